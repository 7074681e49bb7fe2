"""Text output of `pmo-xl report`: progress while the batch runs, and a summary at the end.

A rich progress bar when stderr is a terminal; otherwise one plain line per report file, so
logs of scheduled runs stay readable. Only the CLI imports this module.
"""

from __future__ import annotations

import sys
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .batch import FAILED, INDEX, SKIPPED, BatchResult, FileResult


class ReportProgress:
    """A progress callback for `write_reports`, usable as a context manager."""

    def __init__(self) -> None:
        self._console = Console(stderr=True, highlight=False)
        self._bar: Progress | None = None
        self._task = None
        if self._console.is_terminal:
            self._bar = Progress(TextColumn("Reports"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), TextColumn("{task.description}"),
                                 console=self._console, transient=True)

    def __enter__(self) -> ReportProgress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()

    def update(self, result: FileResult, done: int, total: int) -> None:
        if self._bar is None:
            detail = f": {result.error}" if result.error else (
                "" if result.status == SKIPPED else f" ({result.seconds:.2f} s)")
            print(f"[{done}/{total}] {result.status} {result.name}{detail}", flush=True)
            return
        if self._task is None:
            self._task = self._bar.add_task("", total=total)
        if result.status == FAILED:
            self._bar.console.print(f"[red]failed[/] {result.name}: {result.error}")
        self._bar.update(self._task, completed=done, description=result.name)


def print_report_summary(result: BatchResult) -> None:
    written, skipped = result.count("written"), result.count(SKIPPED)
    failed = result.failed
    engine = f"; PDF by {result.pdf_engine}" if result.pdf_engine else ""
    print(f"{written} report files written, {skipped} unchanged (skipped), {len(failed)} "
          f"failed{engine}")
    if result.skipped_invalid:
        print(f"Not reported (validation errors, --skip-invalid): "
              f"{', '.join(map(str, result.skipped_invalid))}")
    for f in failed:
        print(f"failed: {f.name}: {f.error}", file=sys.stderr)
    print(f"Index: {result.out_dir / INDEX}")
