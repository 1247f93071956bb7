"""Import time of the SDK next to ``import httpx, pydantic`` (the two libraries it is built on).

Each measurement is a fresh interpreter (``sys.executable -c ...``) that times its own import
statement with ``time.perf_counter`` (interpreter start-up excluded) and the ``-X importtime``
total; the statements run interleaved (every round all of them, in a rotated order) and the
table shows medians and the ratio to the baseline. ``import spaps_client`` alone loads nothing
but the version (every public name is loaded on first use), so the statements that matter are
the ones that reach a client. Run:

    .venv/bin/python benchmarks/bench_import.py [--rounds 15] [--top 15]

``--top N`` also prints the N modules with the most ``-X importtime`` self time that the SDK
adds on top of ``import httpx, pydantic`` (to see what, if anything, could load lazily).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

from _sdk_support import load_average, table

BASELINE = "import httpx, pydantic"
STATEMENTS = [
    BASELINE,
    # ``import pydantic`` alone is lazy too; any client with pydantic models loads BaseModel.
    "import httpx; from pydantic import BaseModel, Field",
    "import spaps_client",
    "from spaps_client import SpapsClient",
    "from spaps_client import AsyncSpapsClient",
    "from spaps_client import SpapsClient, AsyncSpapsClient",
]
_TIMED = "import time; _t = time.perf_counter(); {stmt}; print(time.perf_counter() - _t)"


def import_times(stmt: str) -> tuple[float, dict[str, tuple[int, int]]]:
    """Seconds the statement took in a fresh interpreter, and its ``-X importtime`` table
    (module -> (self µs, cumulative µs))."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", _TIMED.format(stmt=stmt)],
        capture_output=True,
        text=True,
        check=True,
    )
    modules: dict[str, tuple[int, int]] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, name = line.removeprefix("import time:").split("|")
        modules[name.strip()] = (int(self_us), int(cumulative_us))
    return float(done.stdout.strip()), modules


def main() -> None:
    """Measure every statement, print the table (and the SDK's own heaviest modules)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--top", type=int, default=0, help="also list the N heaviest modules")
    args = parser.parse_args()
    for stmt in STATEMENTS:  # warm the file system cache; not measured
        import_times(stmt)
    seconds: dict[str, list[float]] = {stmt: [] for stmt in STATEMENTS}
    modules_of: dict[str, list[dict[str, tuple[int, int]]]] = {stmt: [] for stmt in STATEMENTS}
    for round_ in range(args.rounds):
        shift = round_ % len(STATEMENTS)
        for stmt in STATEMENTS[shift:] + STATEMENTS[:shift]:
            took, modules = import_times(stmt)
            seconds[stmt].append(took)
            modules_of[stmt].append(modules)
    base = statistics.median(seconds[BASELINE])
    rows = []
    for stmt in STATEMENTS:
        median = statistics.median(seconds[stmt])
        rows.append(
            [
                f"`{stmt}`",
                f"{median * 1000:.0f}",
                f"{min(seconds[stmt]) * 1000:.0f}-{max(seconds[stmt]) * 1000:.0f}",
                f"{len(modules_of[stmt][-1])}",
                f"{median / base:.2f}x",
            ]
        )
    print(
        f"fresh interpreter per measurement, medians of {args.rounds} interleaved rounds; "
        f"load average {load_average()}\n"
    )
    print(table(["statement", "ms", "range ms", "modules loaded", "vs httpx+pydantic"], rows))
    if args.top:
        print_heaviest(modules_of[STATEMENTS[-1]], modules_of[BASELINE], args.top)


def print_heaviest(
    runs: list[dict[str, tuple[int, int]]], baseline: list[dict[str, tuple[int, int]]], top: int
) -> None:
    """The modules the SDK adds to the baseline, by median self time over the rounds."""
    added = [name for name in runs[-1] if name not in baseline[-1]]
    self_ms = {name: statistics.median(run[name][0] for run in runs) / 1000 for name in added}
    cumulative_ms = {name: statistics.median(run[name][1] for run in runs) / 1000 for name in added}
    heaviest = sorted(added, key=self_ms.__getitem__, reverse=True)[:top]
    print(
        f"\nmodules the SDK adds to `{BASELINE}`: {len(added)}, median self time in total "
        f"{sum(self_ms.values()):.0f} ms; the heaviest:\n"
    )
    rows = [[name, f"{self_ms[name]:.1f}", f"{cumulative_ms[name]:.1f}"] for name in heaviest]
    print(table(["module", "self ms", "cumulative ms"], rows))


if __name__ == "__main__":
    main()
