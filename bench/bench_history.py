"""Benchmark of period over period: `snapshot`, `changes` and the history's export and trends.

On the 10k-project sample register of bench_core (written there first if missing):

* whole processes, interleaved in each round: `pmo-xl rollup R` (the reference),
  `pmo-xl changes R --since previous` against a 10k-project snapshot, `pmo-xl snapshot R`;
* in process: `take_snapshot` + `History.record` after reading; over a history of WEEKS
  weekly snapshots of 10k projects, `History.export()` and the 12-snapshot trends
  (`trend` + `project_trends`).

Targets (issue 11): changes ≤ 1.3× rollup; snapshot < 1 s after reading; export and the
12-snapshot trend < 2 s with 52 weekly snapshots.

    .venv/bin/python bench/bench_history.py [--weeks 52] [--runs 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pmo_xl.history import History, take_snapshot
from pmo_xl.reader import read_register

BENCH_DIR = Path(__file__).resolve().parent
REGISTER = BENCH_DIR / "results" / "registers" / "register-10000-seed7.xlsx"
PMO_XL = Path(sys.executable).parent / "pmo-xl"
AS_OF = dt.date(2026, 9, 30)


def _run(argv: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def _processes(history: Path, runs: int) -> dict[str, list[float]]:
    kinds = {
        "rollup": [str(PMO_XL), "rollup", str(REGISTER), "--as-of", AS_OF.isoformat()],
        "changes": [str(PMO_XL), "changes", str(REGISTER), "--since", "previous",
                    "--history", str(history), "--as-of", AS_OF.isoformat()],
        "snapshot": [str(PMO_XL), "snapshot", str(REGISTER), "--history", str(history),
                     "--as-of", AS_OF.isoformat()],
    }
    times: dict[str, list[float]] = {k: [] for k in kinds}
    for _ in range(runs):
        for key, argv in kinds.items():
            times[key].append(_run(argv))
    return times


def _timed(function) -> float:  # noqa: ANN001 - a benchmark's callable
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not REGISTER.exists():
        subprocess.run([sys.executable, str(BENCH_DIR / "bench_core.py"), "--sizes", "10000",
                        "--runs", "1"], check=True)
    register = read_register(REGISTER)
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / "history.sqlite"
        with History(store) as history:
            history.record(take_snapshot(register, AS_OF - dt.timedelta(days=7)))
        times = _processes(store, args.runs)
        after_read = _timed(lambda: History(store).record(take_snapshot(register, AS_OF)))
        with History(store) as history:
            for week in range(args.weeks):
                history.record(take_snapshot(register, AS_OF - dt.timedelta(days=7 * week)))
            export = _timed(history.export)
            trends = _timed(lambda: (history.trend(AS_OF), history.project_trends(AS_OF)))
    median = {k: statistics.median(v) for k, v in times.items()}
    print(f"10,000 projects, medians of {args.runs} interleaved runs:")
    for key, value in median.items():
        print(f"  pmo-xl {key:<9} {value:6.2f} s")
    print(f"  changes / rollup  {median['changes'] / median['rollup']:.2f}x (target <= 1.3x)")
    print(f"  snapshot after reading (take + record): {after_read:.2f} s (target < 1 s)")
    print(f"  {args.weeks} weekly snapshots: export {export:.2f} s, 12-snapshot trends "
          f"{trends:.2f} s, together {export + trends:.2f} s (target < 2 s)")


if __name__ == "__main__":
    main()
