"""Server throughput of ``spaps local`` route by route, each against a bare FastAPI endpoint
served by the same uvicorn settings, with one load generator (wrk) and the sides interleaved.
Run by hand (no assertions; it prints a table of medians and ratios):

    .venv/bin/python benchmarks/bench_server.py            # SQLite, and PostgreSQL when
                                                           # SPAPS_TEST_DATABASE_URL is set

Needs ``wrk`` on PATH (``apt-get install -y wrk``; ``bash scripts/provision`` installs it).

* Routes: ``GET /api/sessions/current`` (API key, JWT, session row and wallet count),
  ``GET /health``, ``POST /api/auth/login`` with the **test** argon2id profile and with the
  **production** profile (19 MiB, t=2; a second server), ``POST
  /api/payments/create-checkout-session`` and ``POST /api/usage/record``. The bare side is
  ``GET /bare`` for GET routes and ``POST /bare`` (the body parsed into a pydantic model) for
  POST routes, both answering small JSON; it receives the very request the spaps side gets
  (same headers, same body), so both pay the same HTTP parsing.
* Each measurement is one ``wrk -t1 -c32 -d5s`` run; for every route the sides alternate
  A B A B ... (every other round B A ...) for ``--rounds`` rounds, after a short warm-up of
  each, so load from other processes on the machine hits both alike. The table shows the
  median requests per second of each side, their ratio, the median of the per-round ratios
  (each round's runs ran back to back under the same load), and the server CPU per request
  (user plus system time of the server process, from ``/proc/<pid>/stat``).
* ``--compare-src DIR`` adds a third side interleaved with the other two: ``spaps local``
  run from another source tree (e.g. ``git archive main | tar -x -C /tmp/main`` then
  ``--compare-src /tmp/main/src``), for before/after numbers measured in the same run.
* Every server gets a fresh data directory (SQLite) or a throw-away schema (PostgreSQL).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

API_KEY = "test_key_local_dev_only"
LOGIN_BODY = {"email": "user@example.com", "password": "Secret123!"}
CHECKOUT_BODY = {
    "price_id": "price_basic",
    "mode": "payment",
    "success_url": "https://example.com/success",
    "cancel_url": "https://example.com/cancel",
}
USAGE_BODY = {"feature": "api_calls", "quantity": 1}
WRK_INSTALL = "apt-get install -y wrk"

# The bare baseline: FastAPI answering small JSON, served by spaps_server's own uvicorn
# settings (so the only difference from spaps is the application).
BARE_APP = textwrap.dedent(
    """
    import asyncio
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse
    from pydantic import BaseModel
    from spaps_server.commands import bind_socket
    from spaps_server.serving import ServeOptions, uvicorn_config
    import uvicorn

    app = FastAPI()

    class Body(BaseModel):
        model_config = {"extra": "allow"}

    @app.get("/bare")
    async def bare_get() -> JSONResponse:
        return JSONResponse({"success": True, "data": {"ok": True}})

    @app.post("/bare")
    async def bare_post(body: Body) -> JSONResponse:
        keys = len(body.model_extra or {})
        return JSONResponse({"success": True, "data": {"ok": True, "keys": keys}})

    sock = bind_socket("127.0.0.1", 0)
    print(sock.getsockname()[1], flush=True)
    server = uvicorn.Server(uvicorn_config(app, ServeOptions(access_log=False)))
    asyncio.run(server.serve(sockets=[sock]))
    """
)


@dataclasses.dataclass(frozen=True)
class Request:
    """What wrk sends."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, object] | None = None
    # Send a fresh Idempotency-Key with every request.
    idempotent: bool = False

    def lua(self) -> str:
        """A wrk script sending this request."""
        lines = [f'wrk.method = "{self.method}"']
        for name, value in self.headers.items():
            lines.append(f'wrk.headers["{name}"] = [==[{value}]==]')
        if self.body is not None:
            lines.append('wrk.headers["Content-Type"] = "application/json"')
            lines.append(f"wrk.body = [==[{json.dumps(self.body)}]==]")
        if self.idempotent:
            # Unique across runs: a random prefix per script, a counter per request.
            lines += [
                f'local prefix = "bench-{secrets.token_hex(8)}-"',
                "local sent = 0",
                "request = function()",
                "  sent = sent + 1",
                '  wrk.headers["Idempotency-Key"] = prefix .. sent',
                "  return wrk.format()",
                "end",
            ]
        return "\n".join(lines) + "\n"


@dataclasses.dataclass
class Server:
    """A running server process and its base URL."""

    label: str
    proc: subprocess.Popen[str]
    url: str

    def cpu_seconds(self) -> float:
        """User plus system CPU time of the process so far (Linux ``/proc``)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        """Terminate and wait."""
        self.proc.terminate()
        try:
            self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()


@dataclasses.dataclass
class Sample:
    """One wrk run."""

    rps: float
    requests: int
    errors: int
    cpu_us_per_request: float


@dataclasses.dataclass
class Side:
    """One side of a comparison: a server and the request sent to it."""

    label: str
    server: Server
    request: Request
    samples: list[Sample] = dataclasses.field(default_factory=list)
    # Answered 2xx requests, warm-up included (for the usage counter check).
    answered: int = 0

    def median_rps(self) -> float:
        """Median requests per second over the rounds."""
        return statistics.median(s.rps for s in self.samples)

    def median_cpu(self) -> float:
        """Median server CPU microseconds per request over the rounds."""
        return statistics.median(s.cpu_us_per_request for s in self.samples)

    def errors(self) -> int:
        """Non-2xx answers and socket errors over the rounds."""
        return sum(s.errors for s in self.samples)


_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
_TOTAL = re.compile(r"(\d+) requests in")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


def run_wrk(side: Side, args: argparse.Namespace, seconds: int, script_dir: Path) -> Sample:
    """One wrk run against ``side``; the server's CPU time is read around it."""
    script = script_dir / f"{abs(hash((side.label, side.request.path)))}.lua"
    script.write_text(side.request.lua())
    before = side.server.cpu_seconds()
    out = subprocess.run(
        [
            "wrk",
            f"-t{args.threads}",
            f"-c{args.connections}",
            f"-d{seconds}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            side.server.url + side.request.path,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    cpu = side.server.cpu_seconds() - before
    rps_match, total_match = _RPS.search(out), _TOTAL.search(out)
    if rps_match is None or total_match is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    errors = sum(int(n) for m in _SOCKET_ERRORS.finditer(out) for n in m.groups())
    errors += sum(int(m.group(1)) for m in _NON_2XX.finditer(out))
    total = int(total_match.group(1))
    return Sample(
        rps=float(rps_match.group(1)),
        requests=total,
        errors=errors,
        cpu_us_per_request=cpu / max(total, 1) * 1e6,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _spaps_command(*args: str) -> list[str]:
    return [
        sys.executable,
        "-c",
        "import sys; from spaps_server.cli import main; sys.exit(main())",
        *args,
    ]


def _env(src: str | None) -> dict[str, str]:
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    return env


def start_spaps(
    label: str, data_dir: Path, database_url: str | None, profile: str, src: str | None
) -> Server:
    """``spaps local`` (one process, access log off) with login limits out of the way."""
    args = ["local", "--json", "--port", "0", "--data-dir", str(data_dir)]
    args += ["--password-profile", profile]
    args += ["--rate-limit", "login:ip=100000000/60", "--rate-limit", "login:acct=100000000/60"]
    if database_url:
        args += ["--database-url", database_url, "--reset"]
    proc = subprocess.Popen(
        _spaps_command(*args),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=_env(src),
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.wait()
        raise RuntimeError(f"spaps local ({label}) did not start")
    server = Server(label, proc, str(json.loads(line)["url"]))
    # Usage records must never hit the limit during the run.
    subprocess.run(
        _spaps_command(
            "usage",
            "features",
            "set",
            "api_calls",
            "--tier",
            "basic",
            "--limit",
            "unlimited",
            "--data-dir",
            str(data_dir),
            *(["--database-url", database_url] if database_url else []),
        ),
        check=True,
        capture_output=True,
        env=_env(src),
    )
    return server


def start_bare() -> Server:
    """The bare FastAPI app on a free port."""
    proc = subprocess.Popen(
        [sys.executable, "-c", BARE_APP],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    return Server("bare", proc, f"http://127.0.0.1:{port}")


def bearer_token(server: Server) -> str:
    """An access token of the seeded user."""
    response = httpx.post(
        server.url + "/api/auth/login", json=LOGIN_BODY, headers={"X-API-Key": API_KEY}, timeout=60
    )
    response.raise_for_status()
    return str(response.json()["data"]["access_token"])


def check(server: Server, request: Request) -> None:
    """Send ``request`` once; refuse to measure a route that does not answer 2xx."""
    response = httpx.request(
        request.method,
        server.url + request.path,
        headers=request.headers,
        json=request.body,
        timeout=60,
    )
    if response.status_code >= 300:
        raise RuntimeError(
            f"{server.label} {request.method} {request.path} answered "
            f"{response.status_code}: {response.text[:300]}"
        )


@dataclasses.dataclass
class Route:
    """A route of the table and the bare request it is compared with."""

    name: str
    target: float | None
    sides: list[Side]


def spaps_requests(token: str, idempotent: bool) -> dict[str, Request]:
    """The measured spaps requests, by table row (``idempotent``: checkout and usage
    requests carry a fresh Idempotency-Key each)."""
    auth = {"X-API-Key": API_KEY, "Authorization": f"Bearer {token}"}
    key = {"X-API-Key": API_KEY}
    return {
        "GET /api/sessions/current": Request("GET", "/api/sessions/current", auth),
        "GET /health": Request("GET", "/health", {}),
        "POST /api/auth/login (test argon2id)": Request("POST", "/api/auth/login", key, LOGIN_BODY),
        "POST /api/payments/create-checkout-session": Request(
            "POST", "/api/payments/create-checkout-session", auth, CHECKOUT_BODY, idempotent
        ),
        "POST /api/usage/record": Request(
            "POST", "/api/usage/record", auth, USAGE_BODY, idempotent
        ),
    }


PRODUCTION_LOGIN = "POST /api/auth/login (production argon2id)"
TARGETS = {"GET /api/sessions/current": 0.5, "GET /health": 0.8}
SHORT_NAMES = {
    "bearer": "GET /api/sessions/current",
    "health": "GET /health",
    "login": "POST /api/auth/login (test argon2id)",
    "login-production": PRODUCTION_LOGIN,
    "checkout": "POST /api/payments/create-checkout-session",
    "usage": "POST /api/usage/record",
}


async def _pg(url: str, statement: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from spaps_server.storage.database import normalize_database_url

    engine = create_async_engine(normalize_database_url(url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


@contextlib.contextmanager
def storage(pg_url: str | None, tmp: Path, name: str) -> Iterator[tuple[Path, str | None]]:
    """A data directory, and on PostgreSQL a throw-away schema's URL (dropped after)."""
    data_dir = tmp / name
    if pg_url is None:
        yield data_dir, None
        return
    schema = f"spaps_bench_{secrets.token_hex(4)}"
    asyncio.run(_pg(pg_url, f'CREATE SCHEMA "{schema}"'))
    try:
        separator = "&" if "?" in pg_url else "?"
        yield data_dir, f"{pg_url}{separator}schema={schema}"
    finally:
        asyncio.run(_pg(pg_url, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


def measure(
    database: str, pg_url: str | None, args: argparse.Namespace
) -> tuple[list[Route], list[str]]:
    """Start the servers for one database, run every selected route, check the usage
    counters, stop the servers."""
    wanted = (
        {SHORT_NAMES[n] for n in args.only.split(",")} if args.only else set(SHORT_NAMES.values())
    )
    variants = [("spaps", None)] + (
        [(args.compare_label, args.compare_src)] if args.compare_src else []
    )
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        bare = start_bare()
        stack.callback(bare.stop)
        servers: dict[str, tuple[Server, str]] = {}
        production: dict[str, Server] = {}
        for label, src in variants:
            data_dir, url = stack.enter_context(storage(pg_url, tmp, f"{label}-test"))
            server = start_spaps(label, data_dir, url, "test", src)
            stack.callback(server.stop)
            servers[label] = (server, bearer_token(server))
            if PRODUCTION_LOGIN in wanted:
                data_dir, url = stack.enter_context(storage(pg_url, tmp, f"{label}-prod"))
                prod = start_spaps(f"{label} (production)", data_dir, url, "production", src)
                stack.callback(prod.stop)
                production[label] = prod

        routes: list[Route] = []
        for name in SHORT_NAMES.values():
            if name not in wanted:
                continue
            sides: list[Side] = []
            for label, _ in variants:
                server, token = servers[label]
                if name == PRODUCTION_LOGIN:
                    request = Request("POST", "/api/auth/login", {"X-API-Key": API_KEY}, LOGIN_BODY)
                    sides.append(Side(label, production[label], request))
                else:
                    sides.append(Side(label, server, spaps_requests(token, args.idempotent)[name]))
                if len(sides) == 1:
                    method = sides[0].request.method
                    # The same request (headers and body) as the spaps side gets.
                    first = sides[0].request
                    bare_request = Request(method, "/bare", first.headers, first.body)
                    sides.append(Side("bare", bare, bare_request))
            routes.append(Route(name, TARGETS.get(name), sides))

        script_dir = tmp / "wrk"
        script_dir.mkdir()
        for route in routes:
            for side in route.sides:
                check(side.server, side.request)
                warm = run_wrk(side, args, args.warmup, script_dir)
                side.answered = 1 + warm.requests - warm.errors
            for round_index in range(args.rounds):
                # A B A B ..., every other round B A, so that neither side always runs
                # right after the other.
                order = route.sides if round_index % 2 == 0 else route.sides[::-1]
                for side in order:
                    sample = run_wrk(side, args, args.duration, script_dir)
                    side.samples.append(sample)
                    side.answered += sample.requests - sample.errors
                load = os.getloadavg()[0]
                line = "  ".join(f"{s.label} {s.samples[-1].rps:8.0f}" for s in route.sides)
                print(
                    f"  [{database}] {route.name} round {round_index + 1}/{args.rounds}: "
                    f"{line} req/s (load {load:.2f})",
                    file=sys.stderr,
                )
        return routes, usage_check(routes)


def usage_check(routes: list[Route]) -> list[str]:
    """For each spaps server: the usage counter against the records it answered (wrk may
    stop with requests in flight that the server still commits, never the reverse)."""
    lines = []
    for route in routes:
        if route.name != "POST /api/usage/record":
            continue
        for side in route.sides:
            if side.label == "bare":
                continue
            response = httpx.get(
                side.server.url + "/api/usage/features",
                headers=side.request.headers,
                timeout=60,
            )
            features = response.raise_for_status().json()["data"]["features"]
            used = next(int(f["used"]) for f in features if f["name"] == "api_calls")
            verdict = "no answered record lost" if used >= side.answered else "RECORDS LOST"
            lines.append(
                f"usage counter ({side.label}): {used} recorded, {side.answered} answered: "
                f"{verdict}"
            )
    return lines


def table(database: str, routes: list[Route], args: argparse.Namespace) -> str:
    """The markdown table of one database's results."""
    labels = [s.label for s in routes[0].sides]
    spaps_labels = [label for label in labels if label != "bare"]
    header = ["route"]
    for label in labels:
        header.append(f"{label} req/s")
    for label in spaps_labels:
        header.append(f"{label} / bare")
        header.append(f"{label} / bare, per round")
    header += ["target"] + [f"{label} CPU µs/req" for label in labels] + ["errors"]
    rows = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for route in routes:
        by_label = {s.label: s for s in route.sides}
        bare = by_label["bare"]
        cells = [route.name]
        cells += [f"{by_label[label].median_rps():,.0f}" for label in labels]
        for label in spaps_labels:
            side = by_label[label]
            # Each round's two runs ran back to back under the same load: the median of their
            # ratios is the steadier figure when the load drifts between rounds.
            paired = [a.rps / b.rps for a, b in zip(side.samples, bare.samples, strict=True)]
            cells.append(f"{side.median_rps() / bare.median_rps():.2f}×")
            cells.append(f"{statistics.median(paired):.2f}×")
        cells.append(f"≥ {route.target}×" if route.target else "—")
        cells += [f"{by_label[label].median_cpu():,.0f}" for label in labels]
        cells.append(str(sum(s.errors() for s in route.sides)))
        rows.append("| " + " | ".join(cells) + " |")
    return f"### {database}\n\n" + "\n".join(rows) + "\n"


def main() -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="A B rounds per route (default 5)")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of warm-up per side")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument(
        "--only", default="", help=f"comma-separated subset of {','.join(SHORT_NAMES)}"
    )
    parser.add_argument("--compare-src", default=None, help="another source tree's src/ to add")
    parser.add_argument("--compare-label", default="main", help="its label (default: main)")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    parser.add_argument(
        "--idempotent",
        action="store_true",
        help="checkout and usage requests carry a fresh Idempotency-Key each",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print(f"bench_server needs wrk on PATH; install it with: {WRK_INSTALL}", file=sys.stderr)
        return 2
    unknown = [n for n in args.only.split(",") if n and n not in SHORT_NAMES]
    if unknown:
        parser.error(f"unknown route {unknown[0]!r}; choose from {','.join(SHORT_NAMES)}")

    started_load = os.getloadavg()
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    results = [("SQLite", *measure("SQLite", None, args))]
    pg_url = os.environ.get("SPAPS_TEST_DATABASE_URL", "").strip()
    if pg_url and not args.sqlite_only:
        results.append(("PostgreSQL", *measure("PostgreSQL", pg_url, args)))
    ended_load = os.getloadavg()

    print(
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s, {args.rounds} "
        f"interleaved rounds per route, medians; {os.cpu_count()} CPUs; started {started}; "
        f"load average {started_load[0]:.2f} at the start, {ended_load[0]:.2f} at the end"
    )
    for database, routes, checks in results:
        print()
        print(table(database, routes, args))
        for line in checks:
            print(line)
    if not pg_url:
        print("(set SPAPS_TEST_DATABASE_URL to also measure PostgreSQL)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
