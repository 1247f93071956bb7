"""One worker process of ``--workers N`` (``python -m spaps_server.worker``, started by
:class:`spaps_server.serving.WorkerPool`; not a command for people).

It reads its :class:`~spaps_server.serving.WorkerSpec` from stdin (pickled by its parent),
serves the inherited listening socket, writes ``ready`` to the inherited ready pipe once
uvicorn is listening, and shuts down gracefully on SIGTERM/SIGINT or when stdin reaches end
of file (the parent is gone). Its start-up errors go to stderr as one line, exit status 1.
"""

from __future__ import annotations

import asyncio
import os
import pickle
import socket
import sys
import threading

from .config import DataDirError
from .context import open_context
from .seeding import SeedFileError
from .serving import WorkerSpec, configure_logging, serve_context, stop_all_servers
from .storage.database import DatabaseConfigError
from .storage.migrations import MigrationError


def _watch_parent() -> None:
    # Blocks until the parent closes our stdin (or dies), then stops serving. Unbuffered
    # reads: a buffered reader would hold its lock while the interpreter finalises.
    try:
        while os.read(0, 4096):
            pass
    finally:
        stop_all_servers()


async def _run(spec: WorkerSpec, sock: socket.socket) -> int:
    try:
        ctx = await open_context(spec.config, seed_hooks=(), migrate_schema=False)
    except (DataDirError, DatabaseConfigError, MigrationError, SeedFileError) as exc:
        print(f"spaps worker {os.getpid()}: error: {exc}", file=sys.stderr, flush=True)
        return 1
    try:

        def report_ready() -> None:
            os.write(spec.ready_fd, b"ready\n")
            os.close(spec.ready_fd)

        started = await serve_context(ctx, sock, spec.options, report_ready)
    finally:
        await ctx.close()
    return 0 if started else 1


def main() -> int:
    """Run one worker; returns its exit status."""
    spec: WorkerSpec = pickle.load(sys.stdin.buffer)  # noqa: S301 - written by our parent
    configure_logging(spec.options.log_level, json_logs=spec.options.json_logs)
    sock = socket.socket(fileno=spec.socket_fd)
    sock.setblocking(False)
    threading.Thread(target=_watch_parent, name="spaps-parent-watch", daemon=True).start()
    try:
        return asyncio.run(_run(spec, sock))
    except KeyboardInterrupt:
        return 0
    finally:
        sock.close()


if __name__ == "__main__":
    sys.exit(main())
