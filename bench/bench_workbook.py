"""Benchmark of the register workbook builder: build time and size of big .xlsm workbooks.

For each size (default 1k and 10k projects; three lessons and four milestones each) it
measures, in a fresh process per run so that one run's memory does not help the next:

* `pmo-xl new PATH --projects N` as a user runs it (wall time and peak memory, `os.wait4`);
* inside one process: generating the sample portfolio, and `build_workbook` alone;
* the size of the written .xlsm.

Run it by hand: `make bench` runs it after the core benchmark, or

    .venv/bin/python bench/bench_workbook.py --sizes 10000 --runs 3

It prints a Markdown table and writes it, with the raw timings as JSON, to
bench/results/workbook-<date>.md / .json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results"
PMO_XL = Path(sys.executable).with_name("pmo-xl")

# Runs in a child process: prints the sample and build times as JSON.
_PHASES = """
import json, sys, time
from pmo_xl.sample import sample_portfolio
from pmo_xl.workbook import build_workbook
t0 = time.perf_counter()
portfolio = sample_portfolio(int(sys.argv[1]))
t1 = time.perf_counter()
build_workbook(sys.argv[2], portfolio)
t2 = time.perf_counter()
print(json.dumps({"sample": t1 - t0, "build": t2 - t1}))
"""


def _spawn(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and peak memory (MiB) of one child process."""
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ)
    _, status, usage = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(argv)}")
    return time.perf_counter() - start, usage.ru_maxrss / 1024


def measure(projects: int, runs: int, folder: Path) -> dict[str, object]:
    target = folder / f"register-{projects}.xlsm"
    walls, memory, sample, build = [], [], [], []
    for _ in range(runs):
        wall, peak = _spawn([str(PMO_XL), "new", str(target), "--projects", str(projects),
                             "--force"])
        walls.append(wall)
        memory.append(peak)
        phases = json.loads(subprocess.run(
            [sys.executable, "-c", _PHASES, str(projects), str(target)], check=True,
            capture_output=True, text=True).stdout)
        sample.append(phases["sample"])
        build.append(phases["build"])
    return {"projects": projects, "runs": runs, "new_wall_s": walls, "new_peak_mib": memory,
            "sample_s": sample, "build_s": build, "size_bytes": target.stat().st_size}


def markdown(results: list[dict[str, object]]) -> str:
    lines = ["| Projects | `pmo-xl new` (whole process) | sample generation | "
             "`build_workbook` | peak memory | file size |", "|---|---:|---:|---:|---:|---:|"]
    for r in results:
        med = {k: statistics.median(r[k]) for k in  # type: ignore[arg-type]
               ("new_wall_s", "sample_s", "build_s", "new_peak_mib")}
        lines.append(f"| {r['projects']:,} | {med['new_wall_s']:.1f} s | "
                     f"{med['sample_s']:.1f} s | {med['build_s']:.1f} s | "
                     f"{med['new_peak_mib']:.0f} MiB | "
                     f"{int(r['size_bytes']) / 1024**2:.1f} MiB |")  # type: ignore[call-overload]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="projects, comma-separated")
    parser.add_argument("--runs", type=int, default=3, help="runs per size (median shown)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = [measure(int(n), args.runs, Path(tmp)) for n in args.sizes.split(",")]
    report = (f"## Workbook benchmark ({dt.date.today()})\n\nMedian of {args.runs} runs.\n\n"
              + markdown(results) + "\n")
    print(report)
    RESULTS.mkdir(exist_ok=True)
    stem = RESULTS / f"workbook-{dt.date.today()}"
    stem.with_suffix(".md").write_text(report)
    stem.with_suffix(".json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
