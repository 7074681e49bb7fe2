"""Benchmark of period over period: `snapshot`, `changes`, the history's export and trends, and
the JSON output, each beside its reference and its target of issue 11 (MET or MISSED).

On the 10k-project sample register of bench_core (written there first if missing):

1. whole processes, interleaved in each round: `pmo-xl rollup R` (the reference) and
   `pmo-xl changes R --since previous` against a 10k-project snapshot: changes <= 1.3x rollup;
2. in process, after reading: `take_snapshot` + `History.record` < 1 s, of a new as-of date
   (the weekly case) and of the same date again (which replaces it), beside the read and the
   record's two parts: the row tables' inserts and the columnar copy;
3. over a history of WEEKS weekly snapshots of 10k projects: `pmo-xl history export` and the
   12-snapshot trends (`trend` + `project_trends`) < 2 s together, in process: the tidy
   table read from the columnar copies (`History.export_table`), written as Parquet and as
   CSV, beside the bare `SELECT *` fetch of the same rows from the row table (the floor of
   any row-wise read, what the export cost before schema 3); then `history export` as whole
   processes;
6. `rollup --format json` of 100k project records (the 10k register's, ten times over):
   written in one call (the number of writes, and the seconds, beside `json.dumps` of the
   same document on one line).

The processes run this checkout (`python -m pmo_xl` with it first on PYTHONPATH), not
whatever `pmo-xl` is installed. Timings are medians of RUNS interleaved rounds, wall time
and CPU time (of every thread; of the child, for processes): on a busy machine, compare the
ratios and the CPU times.

    .venv/bin/python bench/bench_history.py [--weeks 52] [--runs 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import redirect_stdout
from pathlib import Path

import pyarrow as pa

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))

from pmo_xl import history_bulk  # noqa: E402 - this checkout's, not an installed one
from pmo_xl.cli import _print_json  # noqa: E402
from pmo_xl.history import History, Snapshot, take_snapshot  # noqa: E402
from pmo_xl.metrics import rollup  # noqa: E402
from pmo_xl.reader import read_register  # noqa: E402

REGISTER = BENCH_DIR / "results" / "registers" / "register-10000-seed7.xlsx"
AS_OF = dt.date(2026, 9, 30)
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(
    [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}


def verdict(met: bool) -> str:
    return "MET" if met else "MISSED"


def median_of(runs: int, function: Callable[[], object]) -> float:
    return statistics.median(timed(function) for _ in range(runs))


def timed(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def medians(runs: int, function: Callable[[], object],
            before: Callable[[], object] | None = None) -> tuple[float, float]:
    """Median wall and CPU seconds of the function (`before` each run, untimed)."""
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        times.append(clocked(function))
    return (statistics.median(t[0] for t in times), statistics.median(t[1] for t in times))


def clocked(function: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - wall, time.process_time() - cpu


def shown(times: tuple[float, float]) -> str:
    return f"{times[0]:.2f} s ({times[1]:.2f} s CPU)"


def _pmo_xl(*argv: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pmo_xl", *argv], check=True,
                   stdout=subprocess.DEVNULL, env=ENV)
    return time.perf_counter() - started


def _pmo_xl_clocked(*argv: str) -> tuple[float, float]:
    """A whole process's wall and CPU seconds (user + system, of the child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = _pmo_xl(*argv)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def changes_against_rollup(history: Path, runs: int) -> None:
    """Target 1: whole processes side by side, interleaved."""
    day = AS_OF.isoformat()
    kinds = {"rollup": ["rollup", str(REGISTER), "--as-of", day],
             "changes": ["changes", str(REGISTER), "--since", "previous", "--history",
                         str(history), "--as-of", day]}
    times: dict[str, list[float]] = {k: [] for k in kinds}
    for _ in range(runs):
        for key, argv in kinds.items():
            times[key].append(_pmo_xl(*argv))
    rolled, changed = (statistics.median(times[k]) for k in kinds)
    ratio = changed / rolled
    print(f"1. pmo-xl changes {changed:.2f} s vs pmo-xl rollup {rolled:.2f} s (whole "
          f"processes): {ratio:.2f}x, target <= 1.3x: {verdict(ratio <= 1.3)}")


def snapshot_after_reading(store: Path, runs: int) -> None:
    """Target 2: take + record of an already read register (beside the read itself), and
    its parts: the take, the record, and the record with every row bound by the sqlite3
    module instead of staged in bulk (the reference: how snapshots were written before)."""
    read = median_of(max(1, runs // 2), lambda: read_register(REGISTER))
    register = read_register(REGISTER)
    parts: dict[str, list[tuple[float, float]]] = {"take": [], "record": [], "bound": []}
    days = iter(range(1, 10_000))

    def take_and_record(as_of: dt.date | None = None) -> None:
        register.__dict__.pop("_metrics", None)  # figures computed afresh, as in a process
        with History(store) as history:
            history.record(take_snapshot(register, as_of or AS_OF))

    def parted() -> None:
        register.__dict__.pop("_metrics", None)
        taken: list[Snapshot] = []
        parts["take"].append(clocked(lambda: taken.append(take_snapshot(register, AS_OF))))
        for kind, cells in (("record", history_bulk.STAGE_FROM_CELLS), ("bound", sys.maxsize)):
            os.sync()
            parts[kind].append(clocked(lambda c=cells: _record_with(store, taken[0], c)))

    # The weekly case, a date not in the history yet; then the same date again, which
    # replaces it (its rows deleted first).
    # Each run on a settled disk: a snapshot is weekly, not while the last one's 50 MB are
    # still being written back.
    whole = medians(runs, lambda: take_and_record(AS_OF + dt.timedelta(days=next(days))),
                    before=os.sync)
    take_and_record()
    again = medians(runs, take_and_record, before=os.sync)
    for _ in range(runs):
        os.sync()
        parted()
    take, record, bound = (tuple(statistics.median(t[i] for t in parts[k]) for i in (0, 1))
                           for k in ("take", "record", "bound"))
    print(f"2. take_snapshot + History.record of a new as-of date {shown(whole)} after "
          f"reading (the read: {read:.2f} s; of the same date again: take {shown(take)}, "
          f"record {shown(record)}, the same record with the rows bound by the sqlite3 "
          f"module {shown(bound)}), target < 1 s: {verdict(whole[0] < 1)}; of the same date "
          f"again, replacing it: {shown(again)}, target < 1 s: {verdict(again[0] < 1)}")


def _record_with(store: Path, snapshot: Snapshot, stage_from_cells: int) -> None:
    """`History.record` of the snapshot (replacing its date) with staging from that many
    cells (sys.maxsize: never)."""
    default, history_bulk.STAGE_FROM_CELLS = history_bulk.STAGE_FROM_CELLS, stage_from_cells
    try:
        with History(store) as history:
            history.record(snapshot)
    finally:
        history_bulk.STAGE_FROM_CELLS = default


def export_and_trends(weeks: int, runs: int) -> None:
    """Target 3: a history of `weeks` weekly 10k-project snapshots."""
    register = read_register(REGISTER)
    with tempfile.TemporaryDirectory() as folder:
        store = Path(folder) / "weekly.sqlite"
        with History(store) as history:
            for week in range(weeks):
                history.record(take_snapshot(register, AS_OF - dt.timedelta(days=7 * week)))
        # A store is exported long after it was written: the register is not in memory, and
        # the gigabytes just written are on disk, not being flushed while the export is timed.
        del register
        os.sync()
        with History(store) as history:
            table = history.export_table()
            read = medians(runs, history.export_table)
            # What `history export` does: written into one buffer, then to the file.
            parquet = medians(runs, lambda: table.write_parquet(pa.BufferOutputStream()))
            text = medians(runs, lambda: table.write_csv(pa.BufferOutputStream()))
            trends = medians(runs, lambda: (history.trend(AS_OF),
                                            history.project_trends(AS_OF)))
        with sqlite3.connect(store) as db:
            fetch = medians(runs, lambda: db.execute(
                "SELECT * FROM projects ORDER BY as_of, rowid").fetchall())
        processes = {fmt: [_pmo_xl_clocked("history", "export", str(REGISTER), "--history",
                                           str(store), "--format", fmt, "--out",
                                           str(Path(folder) / f"export.{fmt}"))
                           for _ in range(runs)] for fmt in ("parquet", "csv")}
    totals = {fmt: sum(t[0] for t in (read, written, trends))
              for fmt, written in (("parquet", parquet), ("csv", text))}
    print(f"3. {weeks} weekly snapshots ({len(table):,} rows): History.export_table "
          f"{shown(read)}, written as Parquet {shown(parquet)} or CSV {shown(text)}; "
          f"12-snapshot trends {shown(trends)} (the bare SELECT * fetch of the same rows: "
          f"{shown(fetch)}); export + trends: Parquet {totals['parquet']:.2f} s, CSV "
          f"{totals['csv']:.2f} s, target < 2 s: Parquet {verdict(totals['parquet'] < 2)}, "
          f"CSV {verdict(totals['csv'] < 2)}")
    for fmt, times in processes.items():
        wall, cpu = (statistics.median(t[i] for t in times) for i in (0, 1))
        print(f"   pmo-xl history export --format {fmt}: {wall:.2f} s ({cpu:.2f} s CPU), "
              "whole process")


class _CountingOutput(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def write(self, text: str) -> int:
        self.calls += 1
        return super().write(text)


def json_in_one_write(runs: int) -> None:
    """Target 6: the roll-up's JSON document at 100k projects, written in one call."""
    document = rollup(read_register(REGISTER), AS_OF).to_dict()
    document["per_project"] = document["per_project"] * 10  # 100k records
    outputs: list[_CountingOutput] = []

    def printed() -> None:
        outputs.append(_CountingOutput())
        with redirect_stdout(outputs[-1]):
            _print_json(document)

    seconds = median_of(runs, printed)
    one_line = median_of(runs, lambda: json.dumps(document, ensure_ascii=False))
    writes = outputs[-1].calls
    print(f"6. rollup --format json of {len(document['per_project']):,} projects: {writes} "
          f"write call(s), {seconds:.2f} s to encode and write (json.dumps on one line: "
          f"{one_line:.2f} s), target one write: {verdict(writes == 1)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--targets", default="1,2,3,6",
                        help="comma-separated targets to measure (default all: 1,2,3,6)")
    args = parser.parse_args()
    targets = {int(target) for target in args.targets.split(",")}
    # Written by bench_core if missing or written by another sample generator.
    subprocess.run([sys.executable, str(BENCH_DIR / "bench_core.py"), "--sizes", "10000",
                    "--registers-only"], check=True, env=ENV)
    print(f"Issue 11 targets, 10,000 projects, medians of {args.runs} runs "
          f"({os.cpu_count()} CPUs):", flush=True)
    if targets & {1, 2}:
        with tempfile.TemporaryDirectory() as folder:
            store = Path(folder) / "history.sqlite"
            with History(store) as history:
                history.record(take_snapshot(read_register(REGISTER),
                                             AS_OF - dt.timedelta(days=7)))
            if 1 in targets:
                changes_against_rollup(store, args.runs)
            if 2 in targets:
                snapshot_after_reading(store, args.runs)
    if 3 in targets:
        export_and_trends(args.weeks, args.runs)
    if 6 in targets:
        json_in_one_write(args.runs)
    print("(targets 4 and 5, the reports': bench/bench_reports.py --targets)")


if __name__ == "__main__":
    main()
