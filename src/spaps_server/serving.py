"""Serving an opened :class:`~spaps_server.context.AppContext` with uvicorn, in this process or
in N worker processes sharing one listening socket.

One process (``--workers 1``) serves in the process that opened the context. With
``--workers N`` the parent (``spaps local`` / ``spaps serve``) binds the socket, migrates and
seeds once, then starts N ``python -m spaps_server.worker`` children that inherit the socket
(so ``--port 0`` resolves once, in the parent) and open the context without migrating or
seeding. The kernel spreads incoming connections over the processes accepting on the socket.

The parent supervises: it prints the start-up record once every worker is ready, forwards
SIGINT/SIGTERM to the workers once (each shuts down gracefully: uvicorn stops accepting,
finishes in-flight requests within the grace period, then the context closes and finishes its
pending work), and stops everything if a worker dies. A worker also shuts down when its parent
disappears (its stdin, a pipe the parent holds, reaches end of file).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import pickle
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from .app import create_app
from .config import ServerConfig
from .context import AppContext
from .http.access_log import ACCESS_LOGGER, install_access_log_redaction
from .services.metrics import MULTIPROCESS_DIR_ENV

logger = logging.getLogger("spaps_server.serving")

# How long the parent waits for every worker to report that it is serving.
WORKER_START_TIMEOUT_SECONDS = 60.0


@dataclasses.dataclass(frozen=True)
class ServeOptions:
    """How uvicorn runs and logs (the same in the parent and in every worker)."""

    log_level: str = "info"
    json_logs: bool = False
    access_log: bool = True
    # In-flight requests get this long to finish after a stop signal.
    graceful_shutdown_seconds: int = 5


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line: ``time``, ``level``, ``logger``, ``message``, ``pid``; an
    access record (uvicorn's, after :class:`~spaps_server.http.access_log.RedactQuerySecrets`
    has rewritten its arguments) also carries ``client``, ``method``, ``path``, ``http`` and
    ``status``."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line."""
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        args = record.args
        if record.name == ACCESS_LOGGER and isinstance(args, tuple) and len(args) == 5:
            client, method, path, http_version, status = args
            entry.update(client=client, method=method, path=path, http=http_version, status=status)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level_name: str, *, json_logs: bool = False) -> None:
    """Log to stderr at ``level_name``: human lines, or JSON lines with ``json_logs``."""
    level = getattr(logging, level_name.upper())
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonLogFormatter()
        if json_logs
        else logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's life-cycle chatter is noise next to our banner unless debugging.
    logging.getLogger("uvicorn.error").setLevel(min(max(level, logging.WARNING), logging.ERROR))
    # The access log is its own switch (ServeOptions.access_log), independent of the level.
    logging.getLogger(ACCESS_LOGGER).setLevel(logging.INFO)
    if level > logging.DEBUG:
        logging.getLogger("aiosqlite").setLevel(logging.WARNING)
        # One line per revision is logged by the storage layer itself ("applied schema
        # migrations"); Alembic's own account of each step is for debugging.
        logging.getLogger("alembic").setLevel(logging.WARNING)


class _Server(uvicorn.Server):
    """uvicorn's server without its own signal handling: the caller installs handlers that
    shut down gracefully and then let the process exit normally (uvicorn would re-raise the
    signal, turning Ctrl-C into a KeyboardInterrupt after shutdown)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()

    def request_stop(self) -> None:
        """Stop gracefully; a second request stops waiting for in-flight requests."""
        if self.should_exit:
            self.force_exit = True
        self.should_exit = True


def uvicorn_config(app: FastAPI, options: ServeOptions) -> uvicorn.Config:
    """uvicorn's settings for serving ``app`` (also used by the server benchmark to serve
    its bare baseline app exactly the same way)."""
    return uvicorn.Config(
        app,
        log_config=None,
        access_log=options.access_log,
        lifespan="on",
        server_header=False,
        proxy_headers=False,
        timeout_graceful_shutdown=options.graceful_shutdown_seconds,
        # h11 wherever the server runs: uvicorn would switch to httptools whenever that
        # happens to be installed, which has no limit on a header block's size, and the
        # server's answers must not depend on what else is in the environment.
        http="h11",
        # Idle keep-alive connections and oversized header blocks are dropped; a stalled
        # body is bounded by the app's middleware (408).
        timeout_keep_alive=5,
        h11_max_incomplete_event_size=64 * 1024,
    )


async def serve_context(
    ctx: AppContext,
    sock: socket.socket,
    options: ServeOptions,
    on_started: Callable[[], None],
    *,
    stop_signals: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM),
) -> bool:
    """Serve ``ctx`` on ``sock`` until a stop signal; ``on_started`` runs once uvicorn is
    listening. Returns whether the server started. Closes neither ``sock`` nor ``ctx``."""
    app = create_app(context=ctx)
    install_access_log_redaction()
    server = _Server(uvicorn_config(app, options))
    loop = asyncio.get_running_loop()
    for sig in stop_signals:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, server.request_stop)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    _SERVERS.append((loop, server))
    try:
        ready = asyncio.create_task(server.ready.wait())
        await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
        ready.cancel()
        if not server.started:
            await task
            return False
        on_started()
        await task
    finally:
        _SERVERS.remove((loop, server))
    return True


# The servers running in this process, so that a thread (the parent watcher of a worker) can
# ask them to stop from outside their event loop.
_SERVERS: list[tuple[asyncio.AbstractEventLoop, _Server]] = []


def stop_all_servers() -> None:
    """Ask every server of this process to stop gracefully (thread-safe)."""
    for loop, server in list(_SERVERS):
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(server.request_stop)


# --- the worker pool (the parent's side) ---------------------------------------------------


@dataclasses.dataclass(frozen=True)
class WorkerSpec:
    """What a worker process is handed on its stdin (pickled; from its own parent only)."""

    config: ServerConfig
    options: ServeOptions
    socket_fd: int
    ready_fd: int


class WorkerPoolError(Exception):
    """A worker did not start, or died while serving."""


@contextlib.contextmanager
def fresh_multiprocess_dir() -> Iterator[Path]:
    """A metrics directory for prometheus_client's multiprocess mode, with no files from an
    earlier run (they would be summed too): ``$PROMETHEUS_MULTIPROC_DIR`` emptied of its
    ``*.db`` files when the operator set it, else a new temporary directory removed after."""
    given = os.environ.get(MULTIPROCESS_DIR_ENV, "").strip()
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink(missing_ok=True)
        yield path
        return
    path = Path(tempfile.mkdtemp(prefix="spaps-metrics-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


class WorkerPool:
    """N worker processes serving one socket (see the module docstring)."""

    def __init__(
        self, config: ServerConfig, sock: socket.socket, count: int, options: ServeOptions
    ) -> None:
        self._config = dataclasses.replace(config, reset=False, seed=False, seed_file=None)
        self._sock = sock
        self._count = count
        self._options = options
        self._procs: list[subprocess.Popen[bytes]] = []
        self._stopping = threading.Event()
        self._metrics_dir: Path | None = None

    @property
    def pids(self) -> list[int]:
        """The workers' process ids."""
        return [p.pid for p in self._procs]

    def _spawn(self, metrics_dir: Path) -> tuple[subprocess.Popen[bytes], int]:
        read_fd, write_fd = os.pipe()
        spec = WorkerSpec(
            config=self._config,
            options=self._options,
            socket_fd=self._sock.fileno(),
            ready_fd=write_fd,
        )
        env = {**os.environ, MULTIPROCESS_DIR_ENV: str(metrics_dir)}
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "spaps_server.worker"],
                stdin=subprocess.PIPE,
                pass_fds=(self._sock.fileno(), write_fd),
                env=env,
                # Out of the terminal's process group: Ctrl-C reaches the parent only, which
                # forwards one SIGTERM (a second signal would cut the grace period short).
                start_new_session=True,
            )
        finally:
            os.close(write_fd)
        assert proc.stdin is not None
        # The pipe stays open: its end of file tells the worker that the parent is gone.
        proc.stdin.write(pickle.dumps(spec))
        proc.stdin.flush()
        return proc, read_fd

    def start(self, metrics_dir: Path) -> None:
        """Start the workers and wait until each is serving; ``WorkerPoolError`` if one
        exits or does not report in time (the others are stopped)."""
        self._metrics_dir = metrics_dir
        pending: dict[int, subprocess.Popen[bytes]] = {}
        selector = selectors.DefaultSelector()
        try:
            for _ in range(self._count):
                proc, read_fd = self._spawn(metrics_dir)
                self._procs.append(proc)
                pending[read_fd] = proc
                selector.register(read_fd, selectors.EVENT_READ)
            deadline = time.monotonic() + WORKER_START_TIMEOUT_SECONDS
            while pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise WorkerPoolError("a worker did not start in time")
                for key, _ in selector.select(timeout=min(remaining, 0.5)):
                    fd = int(key.fd)
                    data = os.read(fd, 64)
                    selector.unregister(fd)
                    os.close(fd)
                    if not data.startswith(b"ready"):
                        raise WorkerPoolError("a worker failed to start (see its error above)")
                    del pending[fd]
                for proc in pending.values():
                    if proc.poll() is not None:
                        raise WorkerPoolError("a worker failed to start (see its error above)")
        except BaseException:
            for fd in list(pending):
                with contextlib.suppress(KeyError, ValueError):
                    selector.unregister(fd)
                os.close(fd)
            self.stop()
            raise
        finally:
            selector.close()

    def wait(self) -> None:
        """Block until :meth:`request_stop` is called or a worker exits; in the second case
        stop the others and raise ``WorkerPoolError``."""
        while not self._stopping.wait(0.2):
            for proc in self._procs:
                if proc.poll() is not None:
                    self.stop()
                    raise WorkerPoolError(
                        f"worker {proc.pid} exited with status {proc.returncode}; "
                        "stopped the others"
                    )

    def request_stop(self) -> None:
        """Make :meth:`wait` return (safe from a signal handler)."""
        self._stopping.set()

    def stop(self) -> None:
        """Stop every worker gracefully (SIGTERM, then SIGKILL after the grace period)."""
        self._stopping.set()
        for proc in self._procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self._options.graceful_shutdown_seconds + 10
        for proc in self._procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdin is not None:
                with contextlib.suppress(OSError):
                    proc.stdin.close()
        self._mark_dead()

    def _mark_dead(self) -> None:
        # Live gauges ("livesum", "liveall", ...) of an exited worker must stop counting.
        from prometheus_client import multiprocess

        if self._metrics_dir is None or not self._metrics_dir.is_dir():
            return
        for proc in self._procs:
            multiprocess.mark_process_dead(  # type: ignore[no-untyped-call]
                proc.pid, path=str(self._metrics_dir)
            )


def run_worker_pool(
    config: ServerConfig,
    sock: socket.socket,
    count: int,
    options: ServeOptions,
    on_ready: Callable[[list[int]], None],
) -> None:
    """Serve ``config`` with ``count`` worker processes on ``sock`` until SIGINT/SIGTERM;
    ``on_ready`` gets the workers' pids once all are serving. Raises ``WorkerPoolError``."""
    pool = WorkerPool(config, sock, count, options)

    def stop(_signum: int, _frame: object) -> None:
        pool.request_stop()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with fresh_multiprocess_dir() as metrics_dir:
            pool.start(metrics_dir)
            on_ready(pool.pids)
            pool.wait()
            pool.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
