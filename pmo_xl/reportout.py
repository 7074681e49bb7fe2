"""Text output of `pmo-xl report`: progress while the batch runs, and a summary at the end.

A rich progress bar when stderr is a terminal; otherwise one plain line per report file, so
logs of scheduled runs stay readable. Only the CLI imports this module. File names, project
IDs and error messages may carry users' text: rich never reads them as markup, and their
control characters are shown (`terminal.shown`).
"""

from __future__ import annotations

import sys
from types import TracebackType

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .batch import FAILED, INDEX, SKIPPED, BatchResult, FileResult
from .terminal import echo, shown
from .textout import console, line


class ReportProgress:
    """A progress callback for `write_reports`, usable as a context manager."""

    def __init__(self) -> None:
        self._console = console(stderr=True)
        self._bar: Progress | None = None
        self._task = None
        if self._console.is_terminal:
            self._bar = Progress(TextColumn("Reports"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(),
                                 TextColumn("{task.description}", markup=False),
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
            echo(f"[{done}/{total}] {result.status} {result.name}{detail}")
            return
        if self._task is None:
            self._task = self._bar.add_task("", total=total)
        if result.status == FAILED:
            self._bar.console.print(line(("failed", "red"), f" {result.name}: {result.error}"))
        # The bar is drawn past the console's render hook: its text is made safe here.
        self._bar.update(self._task, completed=done, description=shown(result.name))


def print_report_summary(result: BatchResult) -> None:
    written, skipped = result.count("written"), result.count(SKIPPED)
    failed = result.failed
    engine = f"; PDF by {result.pdf_engine}" if result.pdf_engine else ""
    echo(f"{written} report files written, {skipped} unchanged (skipped), {len(failed)} "
          f"failed{engine}")
    if result.skipped_invalid:
        echo(f"Not reported (validation errors, --skip-invalid): "
              f"{', '.join(map(str, result.skipped_invalid))}")
    for f in failed:
        echo(f"failed: {f.name}: {f.error}", file=sys.stderr)
    echo(f"Index: {result.out_dir / INDEX}")
