"""Benchmark of the RAID log's cost (issue 12's target): `pmo-xl validate` and `pmo-xl rollup`
of a 10k-project register with its RAID log (four to eight items per project, ~60k) against
the same commands on the same register without its RAID sheet, side by side.

Both registers come from one `sample_portfolio(10_000)`: the second is written with the RAID
table dropped, so the Projects, Lessons and Milestones sheets are byte for byte the same
data. Whole processes run this checkout (`python -m pmo_xl`, it first on PYTHONPATH), the
two registers interleaved in each round; the target is met when the ratio is <= 1.25x in the
median *and* in the worst round. Beside them, the bare python-calamine read of both files:
the RAID sheet's ~1.2M cells are more than the other sheets' together, so that ratio is the
floor no reader can go below. Then, in process after reading, how long the RAID item
figures (`raid_metrics`: the dependency at-risk join included) and the RAID rules take, to
show where the time goes.

    .venv/bin/python bench/bench_raid.py [--projects 10000] [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))

from pmo_xl.metrics import resolve_as_of  # noqa: E402 - this checkout's, not an installed one
from pmo_xl.raid import raid_metrics  # noqa: E402
from pmo_xl.reader import Register, read_register  # noqa: E402
from pmo_xl.sample import sample_portfolio, write_register  # noqa: E402
from pmo_xl.schema import RAID  # noqa: E402
from pmo_xl.validation import validate  # noqa: E402

REGISTERS = BENCH_DIR / "results" / "registers"
TARGET = 1.25
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(
    [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}


def registers(projects: int, seed: int = 7) -> tuple[Path, Path]:
    """The register with its RAID log and the same register without it (cached while
    written by the same sample generator: bench_core's stamp)."""
    from bench_core import mark_written, written_by_this_sample

    with_raid = REGISTERS / f"register-raid-{projects}-seed{seed}.xlsx"
    without = REGISTERS / f"register-raid-{projects}-seed{seed}-without.xlsx"
    if not (written_by_this_sample(with_raid) and without.exists()):
        REGISTERS.mkdir(parents=True, exist_ok=True)
        portfolio = sample_portfolio(projects, seed)
        write_register(with_raid, portfolio)
        items = len(portfolio.tables.pop(RAID.name))
        write_register(without, portfolio)
        mark_written(with_raid)
        print(f"wrote {with_raid.name} ({projects:,} projects, {items:,} RAID items) and "
              f"{without.name}")
    return with_raid, without


def _process(*argv: str) -> float:
    """Seconds of one whole `pmo-xl` process (exit 1 is validate's "findings")."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pmo_xl", *argv], env=ENV,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"pmo-xl {' '.join(argv)} failed: {done.stderr.strip()}")
    return time.perf_counter() - started


def side_by_side(command: str, with_raid: Path, without: Path, runs: int) -> bool:
    """One command on both registers, interleaved; prints the medians and the ratios."""
    ours, reference = [], []
    for _ in range(runs):
        reference.append(_process(command, str(without)))
        ours.append(_process(command, str(with_raid)))
    ratios = [a / b for a, b in zip(ours, reference, strict=True)]
    median, worst = statistics.median(ratios), max(ratios)
    met = median <= TARGET and worst <= TARGET
    print(f"pmo-xl {command}: with RAID {statistics.median(ours):.2f} s, without "
          f"{statistics.median(reference):.2f} s; ratio median {median:.2f}x, worst "
          f"{worst:.2f}x (target <= {TARGET}x): {'MET' if met else 'MISSED'}")
    return met


def _bare_read(path: Path) -> float:
    """Seconds python-calamine takes to hand over every cell of every sheet: the floor of
    any reader of that file."""
    import python_calamine

    started = time.perf_counter()
    book = python_calamine.CalamineWorkbook.from_path(str(path))
    for name in book.sheet_names:
        book.get_sheet_by_name(name).to_python()
    return time.perf_counter() - started


def bare_reads(with_raid: Path, without: Path, runs: int) -> float:
    """The bare read of both registers, interleaved: how much more the RAID sheet's cells
    cost to read at all, before pmo-xl does anything with them."""
    ours, reference = [], []
    for _ in range(runs):
        reference.append(_bare_read(without))
        ours.append(_bare_read(with_raid))
    ratio = statistics.median(ours) / statistics.median(reference)
    print(f"bare read (python-calamine, every sheet): with RAID {statistics.median(ours):.2f}"
          f" s, without {statistics.median(reference):.2f} s; ratio {ratio:.2f}x (the "
          "floor of any reader)")
    return ratio


def _fresh(path: Path, step: Callable[[Register], object], runs: int) -> float:
    """Median seconds of `step` on a register read afresh each round (its caches empty)."""
    times = []
    for _ in range(runs):
        register = read_register(path)
        started = time.perf_counter()
        step(register)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def in_process(with_raid: Path, without: Path, runs: int) -> None:
    """Where the time goes after reading: the RAID item figures (the project figures they
    join included) and the whole validation, with and without the RAID sheet."""
    figures = _fresh(with_raid, lambda r: raid_metrics(r.table(RAID.name), r,
                                                       resolve_as_of(r)), runs)
    ours, bare = _fresh(with_raid, validate, runs), _fresh(without, validate, runs)
    print(f"in process, after reading: raid_metrics {figures:.3f} s; validate with RAID "
          f"{ours:.3f} s, without {bare:.3f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    with_raid, without = registers(args.projects)
    print(f"machine: {os.cpu_count()} CPUs; {args.runs} interleaved rounds")
    bare_reads(with_raid, without, args.runs)
    met = [side_by_side(command, with_raid, without, args.runs)
           for command in ("validate", "rollup")]
    in_process(with_raid, without, max(3, args.runs // 2))
    return 0 if all(met) else 1


if __name__ == "__main__":
    raise SystemExit(main())
