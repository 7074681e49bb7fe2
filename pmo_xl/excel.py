"""The Excel skin: the Python functions behind the register workbook's buttons.

Each button on the workbook's Dashboard runs a one-line VBA Sub (``macros/*.bas``) that
calls xlwings' ``RunPython "import pmo_xl.excel; pmo_xl.excel.<function>()"``. Python then
starts with the workbook available as ``xlwings.Book.caller()``. The functions here stay thin:
read the register's cells from the open workbook (what the user sees, saved or not), call the
same core functions as the command line, and write the results back. Each takes
``book=None`` and falls back to the calling workbook, so the same function runs from Excel, from
a script, and on xlwings' remote engine in the tests.

Rules every button keeps:

- **Bulk.** Each sheet is read with one call and each result block written with one call; the
  number of Excel calls does not depend on the number of rows or findings. A History <sheet>
  sheet, which grows by every roll-up, is read in parts: its header and as-of column, then
  only the row blocks of the roll-ups needed (`history_sheets.HistorySheet`). Cell highlights are
  marks on very hidden sheets that conditional formats turn into fills (see `layout`).
- **Only its own cells.** Python writes to the Validation and History sheets, the Dashboard's
  roll-up area and the highlight sheets; never to the register's own cells or formats.
- **Text stays text.** Text that Excel would turn into a formula, number or date (``=SUM(…)``,
  ``+44 …``, ``-``, ``@x``, ``#N/A``, ``00123``) is written with Excel's text prefix.
- **Clear failure.** Expected problems end in a one-line alert; anything unexpected in an alert
  naming a log file next to the workbook that holds the traceback. The status bar is always
  given back to Excel.

xlwings is imported inside the functions, never at module level, so that ``import
pmo_xl.excel`` works on any machine, with or without Excel.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__
from . import formatting as fmt
from .cells import sheet_prefix
from .errors import RegisterError
from .layout import (
    CHANGES,
    CHANGES_HEADER,
    DASHBOARD,
    ERROR_MARK,
    HEAT_MAP_LABEL,
    HIGHLIGHT_COLUMNS,
    HIGHLIGHTED_SHEETS,
    HISTORY,
    HISTORY_FORMATS,
    HISTORY_HEADER,
    LESSONS_FINDER,
    LESSONS_FINDER_FIRST_ROW,
    LESSONS_FINDER_HEADER,
    LESSONS_FINDER_TOP,
    REPORT_PROJECT_NAME,
    ROLLUP_NAME,
    TREND_COLUMN,
    TREND_HEADER,
    VALIDATION,
    VALIDATION_FIRST_ROW,
    VALIDATION_HEADER,
    WARNING_MARK,
    highlight_sheet,
    is_output_sheet,
    row_marks,
    snapshot_sheet,
)

__all__ = ["ButtonProblem", "as_text", "generate_all_reports", "generate_report",
           "lessons_for_project", "open_report", "rollup_block", "rollup_portfolio",
           "validate_entries"]

ALERT_TITLE = "pmo-xl"
LOG_NAME = "pmo-xl-error.log"
DATE_TIME_FORMAT = "dd-mmm-yyyy hh:mm"
DATE_FORMAT = "dd-mmm-yyyy"
MONEY_FORMAT = "#,##0"
RATIO_FORMAT = "0.00"
STATUS_INTERVAL = 0.5  # seconds between status-bar updates during a batch
# The sheets Python writes (and the History <sheet> sheets); every other sheet of the
# workbook may hold register data.
OWN_SHEETS = (DASHBOARD, VALIDATION, HISTORY, CHANGES, LESSONS_FINDER, "xlwings.conf")


class ButtonProblem(Exception):
    """Something the user can put right; the message is the alert's one line."""


@dataclass
class Outcome:
    """What a button tells the user when it is done."""

    message: str
    mode: str = "info"  # xlwings alert modes: "info" or "critical"


# --- the buttons -----------------------------------------------------------------------------


def validate_entries(book: Any = None) -> None:
    """Check every entry of the register, highlight the cells with problems and list them on
    the Validation sheet (Validate entries)."""
    _button(book, "Validate entries", _validate_entries)


def rollup_portfolio(book: Any = None) -> None:
    """Write the portfolio figures onto the Dashboard and a snapshot onto History
    (Roll up portfolio)."""
    _button(book, "Roll up portfolio", _rollup_portfolio)


def generate_report(book: Any = None) -> None:
    """Write one project's reports of the Settings' Report Kinds (default: its status
    report) and open the first (Generate report)."""
    _button(book, "Generate report", _generate_report)


def generate_all_reports(book: Any = None) -> None:
    """Write every project's reports and the portfolio summary, of the Settings' Report
    Kinds (default: status, portfolio) (Generate all reports)."""
    _button(book, "Generate all reports", _generate_all_reports)


def lessons_for_project(book: Any = None) -> None:
    """Write the lessons of other projects most worth reading for the project in Report for
    onto the Lessons Finder sheet, with links to their rows (Lessons for project)."""
    _button(book, "Lessons for project", _lessons_for_project)


def open_report(path: Path) -> None:
    """Show a written report with the system's default application."""
    if sys.platform == "win32":
        os.startfile(path)  # type: ignore[attr-defined]  # noqa: S606 - our own output file
    else:
        opener = "open" if sys.platform == "darwin" else "xdg-open"
        subprocess.Popen([opener, str(path)], stdout=subprocess.DEVNULL,  # noqa: S603
                         stderr=subprocess.DEVNULL)


# --- running a button ------------------------------------------------------------------------


def _button(book: Any, action: str, work: Callable[[Any, _StatusBar], Outcome]) -> None:
    book = _caller(book)
    status = _StatusBar(book)
    try:
        outcome = work(book, status)
    except (ButtonProblem, RegisterError) as problem:
        outcome = Outcome(_one_line(problem), "critical")
    except Exception:  # noqa: BLE001 - the user gets an alert and a log, never a traceback
        outcome = Outcome(_log_unexpected(book, action), "critical")
    finally:
        status.reset()
    book.app.alert(outcome.message, title=f"{ALERT_TITLE}: {action}", mode=outcome.mode)


def _caller(book: Any) -> Any:
    if book is not None:
        return book
    import xlwings as xw  # only here: importing pmo_xl.excel must not need Excel

    return xw.Book.caller()


def _one_line(problem: BaseException) -> str:
    return " ".join(str(problem).split())


def _log_unexpected(book: Any, action: str) -> str:
    """Write the traceback next to the workbook (or to the temp folder when the workbook has
    no folder yet) and return the alert's text."""
    error = sys.exc_info()[1]
    folder = _folder_or_none(book)
    log = (folder or Path(tempfile.gettempdir())) / LOG_NAME
    stamp = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    entry = (f"--- {stamp} pmo-xl {__version__}, {action}, workbook {_workbook_path(book)}\n"
             f"{traceback.format_exc()}\n")
    try:
        with log.open("a", encoding="utf-8") as stream:
            stream.write(entry)
        where = f"Details are in {log}."
    except OSError:
        where = "The details could not be written to a log file."
    problem = _one_line(error)[:200].rstrip(".")
    return (f"{action} stopped on an unexpected error: {type(error).__name__}: {problem}. "
            f"{where} Please send it to whoever looks after pmo-xl.")


class _StatusBar:
    """Excel's status bar, given back to Excel however the button ends. xlwings' remote
    engines have no status bar; there this does nothing."""

    def __init__(self, book: Any) -> None:
        self._app = book.app
        self._changed = False
        self._shown = 0.0

    def show(self, text: str, *, throttle: bool = False) -> None:
        now = time.monotonic()
        if throttle and now - self._shown < STATUS_INTERVAL:
            return
        self._shown = now
        with suppress(AttributeError, NotImplementedError):
            self._app.status_bar = text
            self._changed = True

    def reset(self) -> None:
        if self._changed:
            with suppress(Exception):  # Excel may be busy closing; nothing else to do then
                self._app.status_bar = False
            self._changed = False


# --- reading the open workbook ---------------------------------------------------------------


def _sheet_names(book: Any) -> list[str]:
    return [sheet.name for sheet in book.sheets]


def _find_sheet(book: Any, names: list[str], wanted: str) -> Any | None:
    folded = {name.casefold(): name for name in names}
    name = folded.get(wanted.casefold())
    return book.sheets[name] if name is not None else None


def _sheet_rows(sheet: Any) -> list[list[object]]:
    """All cells of a sheet from A1 to its last used cell, in one read."""
    last = sheet.used_range.last_cell
    return _block(sheet, 1, last.row, 1, last.column)


def _block(sheet: Any, first_row: int, last_row: int, first_column: int, last_column: int
           ) -> list[list[object]]:
    """The cells of rows first_row..last_row, columns first_column..last_column, in one
    read."""
    rows = sheet.range((first_row, first_column), (last_row, last_column)).options(
        ndim=2).value or []
    # Excel hands every number over as a float; a whole number typed as an ID (1001) must read
    # as "1001", the way the file reader sees it, not "1001.0".
    return [[int(v) if v.__class__ is float and v.is_integer() else v for v in row]
            for row in rows]


def _workbook_path(book: Any) -> Path:
    """The workbook's path, or just its name when Excel gives no usable path (never saved;
    a web location xlwings cannot map to a synced folder)."""
    try:
        return Path(book.fullname)
    except Exception:  # noqa: BLE001 - any failure here just means "no path"
        return Path(book.name)


def _folder_or_none(book: Any) -> Path | None:
    path = _workbook_path(book)
    return path.parent if path.is_absolute() and path.parent.is_dir() else None


def _saved_workbook(book: Any) -> Path:
    """The workbook's path on disk, or a ButtonProblem saying how to get one.

    For a workbook in a OneDrive or SharePoint folder, Excel gives a web address; xlwings
    maps it to the synced folder on this computer (from the OneDrive environment variables,
    or the ONEDRIVE_CONSUMER_WIN/_MAC, ONEDRIVE_COMMERCIAL_WIN/_MAC and SHAREPOINT_WIN/_MAC
    keys of the xlwings.conf sheet) and fails when it cannot.
    """
    try:
        fullname = str(book.fullname)
    except Exception as error:  # noqa: BLE001 - xlwings' XlwingsError, or COM's
        raise ButtonProblem(
            f"The workbook's folder on this computer was not found ({_one_line(error)}). For "
            "a workbook on OneDrive or SharePoint, add its synced folder to the xlwings.conf "
            "sheet (ONEDRIVE_COMMERCIAL_WIN, SHAREPOINT_WIN, …; see pmo-xl's README).") from None
    if "://" in fullname:
        raise ButtonProblem(
            f"The workbook is opened from a web location ({fullname}). Reports need a folder "
            "on this computer: open it from a synced OneDrive folder, or save a copy on this "
            "computer.")
    path = Path(fullname)
    if not path.is_absolute() or not path.parent.is_dir():
        raise ButtonProblem("Save the workbook first: reports are written into a folder next "
                            "to it (Output Folder on Settings).")
    return path


def _read(book: Any) -> Any:
    """The register as it is in the open workbook, one read per sheet."""
    from .reader import read_sheets

    names = _sheet_names(book)
    own = {name.casefold() for name in OWN_SHEETS}
    wanted = [name for name in names
              if name.casefold() not in own and not is_output_sheet(name)]
    return read_sheets(_workbook_path(book), {name: _sheet_rows(book.sheets[name])
                                              for name in wanted})


# --- writing ---------------------------------------------------------------------------------

# Text that Excel would read as a formula (= + - @), an error value (#N/A, #DIV/0!, #REF!: any
# text starting with #, as new error values keep coming), a number, a date ("12/3", "June
# 2026") or a logical value when assigned to a cell gets Excel's text prefix, an apostrophe
# that Excel does not display. Month names are matched by their first three letters:
# prefixing "Marketing" too does no harm.
_COERCED = re.compile(r"^\s*([=+\-@'#]|[0-9.,(]|\$|€|£|true$|false$|"
                      r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))", re.IGNORECASE)


def as_text(value: object) -> object:
    """A value ready to be assigned to a cell: text that Excel would not keep as typed gets
    the text prefix; everything else is unchanged."""
    if isinstance(value, str) and _COERCED.match(value):
        return "'" + value
    return value


def _cells(rows: Sequence[Sequence[object]]) -> list[list[object]]:
    return [[as_text(v) for v in row] for row in rows]


def _write(sheet: Any, row: int, column: int, rows: Sequence[Sequence[object]]) -> None:
    """Write a rectangular block with one call (row and column 1-based)."""
    if rows:
        sheet.range((row, column)).value = _cells(rows)


def _clear(sheet: Any, row: int, column: int, last_column: int) -> None:
    """Clear the contents (not the formats) from `row` to the bottom of the sheet."""
    sheet.range((row, column), (_LAST_ROW, last_column)).clear_contents()


_LAST_ROW = 1_048_576


def _ensure_sheet(book: Any, names: list[str], name: str) -> Any:
    sheet = _find_sheet(book, names, name)
    if sheet is None:
        sheet = book.sheets.add(name, after=book.sheets[names[-1]])
        names.append(name)
    return sheet


# --- Validate entries ------------------------------------------------------------------------


def _validate_entries(book: Any, status: _StatusBar) -> Outcome:
    from .metrics import resolve_as_of
    from .validation import validate

    status.show("pmo-xl: checking the register…")
    register = _read(book)
    as_of = resolve_as_of(register)
    findings = validate(register, as_of).findings
    names = _sheet_names(book)
    missing = _write_highlights(book, names, findings)
    _write_validation_sheet(book, names, findings, as_of)
    errors = int((findings["severity"] == "error").sum())
    warnings = len(findings) - errors
    if not len(findings):
        message = "No problems found: every entry is complete and consistent."
    else:
        message = (f"{errors} error{'s' * (errors != 1)}, {warnings} "
                   f"warning{'s' * (warnings != 1)} — see the Validation sheet.")
    if missing:
        message += (f" Cells are not highlighted on {', '.join(missing)}: this workbook was "
                    "built by an older pmo-xl (pmo-xl new makes a current one).")
    return Outcome(message)


def _write_highlights(book: Any, names: list[str], findings: Any) -> list[str]:
    """Replace the previous marks with this run's: one clear and one write per sheet. Returns
    the checked sheets whose highlight sheet is missing."""
    missing = []
    for sheet_name in HIGHLIGHTED_SHEETS:
        if _find_sheet(book, names, sheet_name) is None:
            continue
        marks_sheet = _find_sheet(book, names, highlight_sheet(sheet_name))
        mine = findings[findings["sheet"].str.casefold() == sheet_name.casefold()]
        if marks_sheet is None:
            if len(mine):
                missing.append(sheet_name)
            continue
        marks_sheet.clear_contents()
        block = _marks_block(mine)
        if block is not None:
            top, left, rows = block
            _write(marks_sheet, top, left, rows)
    return missing


def _marks_block(findings: Any) -> tuple[int, int, list[list[object]]] | None:
    """Column A of the highlight sheet from the first to the last row with findings: each
    row's marks (`layout.row_marks`; an error wins over a warning in the same cell)."""
    by_row: dict[int, dict[int, str]] = {}
    for cell, severity in zip(findings["cell"], findings["severity"], strict=True):
        row, col = _row_col(cell)
        if col > HIGHLIGHT_COLUMNS:
            continue
        marks = by_row.setdefault(row, {})
        if marks.get(col) != ERROR_MARK:
            marks[col] = ERROR_MARK if severity == "error" else WARNING_MARK
    if not by_row:
        return None
    top, bottom = min(by_row), max(by_row)
    rows: list[list[object]] = [[row_marks(by_row[r]) if r in by_row else None]
                                for r in range(top, bottom + 1)]
    return top, 1, rows


_CELL = re.compile(r"([A-Z]+)(\d+)$")


def _row_col(cell: str) -> tuple[int, int]:
    """'Projects!M12' -> (12, 13)."""
    match = _CELL.search(cell)
    if match is None:
        raise ValueError(f"not a cell reference: {cell}")
    col = 0
    for letter in match.group(1):
        col = col * 26 + ord(letter) - 64
    return int(match.group(2)), col


def _write_validation_sheet(book: Any, names: list[str], findings: Any,
                            as_of: dt.date) -> None:
    sheet = _ensure_sheet(book, names, VALIDATION)
    errors = int((findings["severity"] == "error").sum())
    width = len(VALIDATION_HEADER)
    head: list[list[object]] = [
        ["Validation of the register", *[None] * (width - 1)],
        ["Checked", dt.datetime.now().replace(microsecond=0), None, "Errors", errors,
         *[None] * (width - 5)],
        ["As of", as_of, None, "Warnings", len(findings) - errors, *[None] * (width - 5)],
        [None] * width,
        list(VALIDATION_HEADER),
    ]
    _write(sheet, 1, 1, head)
    sheet.range("B2").number_format = DATE_TIME_FORMAT
    sheet.range("B3").number_format = DATE_FORMAT
    _clear(sheet, VALIDATION_FIRST_ROW, 1, width)
    if not len(findings):
        _write(sheet, VALIDATION_FIRST_ROW, 1, [["No problems found.", *[None] * (width - 1)]])
        return
    rows = [[_link(sheet_name, cell), sheet_name, row, column, severity.capitalize(), rule,
             message]
            for sheet_name, row, column, cell, rule, severity, message in zip(
                findings["sheet"], findings["row"], findings["column"], findings["cell"],
                findings["rule"], findings["severity"], findings["message"], strict=True)]
    # The hyperlinks are formulas: written with the values in the same single call, where
    # one Hyperlinks.Add per finding would be one Excel call per row.
    sheet.range((VALIDATION_FIRST_ROW, 1)).value = [
        [row[0], *(as_text(v) for v in row[1:])] for row in rows]


def _link(sheet: str, cell: str) -> str:
    """A HYPERLINK formula that jumps to the cell: =HYPERLINK("#'Projects'!M12","Projects!M12")."""
    address = cell.rsplit("!", 1)[-1]
    target = "#'{}'!{}".format(sheet.replace("'", "''"), address)
    shown = f"{sheet_prefix(sheet)}{address}"
    return '=HYPERLINK("{}","{}")'.format(target.replace('"', '""'), shown.replace('"', '""'))


# --- Roll up portfolio -----------------------------------------------------------------------


def _rollup_portfolio(book: Any, status: _StatusBar) -> Outcome:
    from .history import take_snapshot
    from .metrics import rollup

    status.show("pmo-xl: rolling up the portfolio…")
    register = _read(book)
    portfolio = rollup(register)
    names = _sheet_names(book)
    dashboard = _find_sheet(book, names, DASHBOARD)
    if dashboard is None:
        raise ButtonProblem(f"The workbook has no '{DASHBOARD}' sheet to write the roll-up to.")
    _write_rollup(book, dashboard, portfolio, register.currency)
    snapshot = take_snapshot(register, portfolio=portfolio)
    summary, kept = _history_sheets(book, names)
    baseline = _previous_snapshot(book, summary, kept, snapshot.info.as_of)
    sheets = len(names)
    recorded = _write_history(book, names, summary, kept, snapshot)
    since = _write_changes(book, names, baseline, snapshot, register.standard)
    if len(names) > sheets:
        dashboard.activate()  # a sheet Excel adds becomes the active one: back to the figures
    counts = portfolio.counts()
    rag = counts["by_rag"]
    ratings = ("" if rag is None else f": {rag['Red']} Red, {rag['Amber']} Amber, "
               f"{rag['Green']} Green among {counts['active']} open")
    return Outcome(
        f"Rolled up {counts['total']} projects as of {portfolio.as_of:%d-%b-%Y}{ratings}. "
        f"{since} {recorded}")


ROLLUP_WIDTH = 8  # columns B..I


def _rollup_origin(dashboard: Any) -> tuple[int, int]:
    """Row and column of the roll-up area's top-left cell (the name RollupFigures)."""
    try:
        cell = dashboard.range(ROLLUP_NAME)
    except Exception:  # noqa: BLE001 - xlwings raises different types per engine
        raise ButtonProblem(
            f"The Dashboard has no cell named {ROLLUP_NAME}, where the roll-up goes: define "
            "that name (Formulas > Name Manager) on the cell to fill from.") from None
    return cell.row, cell.column


def rollup_block(portfolio: Any, currency: str) -> tuple[list[list[object]],
                                                         dict[str, list[tuple[int, int]]]]:
    """The Dashboard's roll-up area as rows of ROLLUP_WIDTH cells, and the number format of
    each formatted cell (offsets from the area's top-left cell). All numbers come from the
    roll-up (`metrics.Rollup.to_dict`, the figures `pmo-xl rollup` prints).

    Two label/value pairs per row: labels in the 1st and 5th column (running over the empty
    2nd and 6th), values in the 3rd and 7th."""
    figures = portfolio.to_dict(per_project=False)
    formats: dict[str, list[tuple[int, int]]] = {DATE_FORMAT: [(0, 3)]}
    rolled_up = dt.datetime.now()
    rows: list[list[object]] = [
        [f"Rolled up {rolled_up:%d-%b-%Y %H:%M}", None, "As of", portfolio.as_of,
         f"Money in {currency}", None, None, None],
        [None] * ROLLUP_WIDTH,
    ]
    kpis = _kpis(figures)
    for first in range(0, len(kpis), 2):
        row: list[object] = [None] * ROLLUP_WIDTH
        for offset, (label, value, number_format) in zip((0, 4), kpis[first:first + 2],
                                                         strict=True):
            row[offset], row[offset + 2] = label, "–" if value is None else value
            if number_format:
                formats.setdefault(number_format, []).append((len(rows), offset + 2))
        rows.append(row)
    rows.append([None] * ROLLUP_WIDTH)
    rows += _count_rows(figures["projects"])
    rows.append([None] * ROLLUP_WIDTH)
    if figures["raid"] is not None:
        rows += _raid_rows(figures["raid"])
        rows.append([None] * ROLLUP_WIDTH)
    rows += _exception_rows(figures["exceptions"])
    quality = fmt.data_quality_line(figures["data_quality"])
    if quality:
        rows[1] = [quality, *[None] * (ROLLUP_WIDTH - 1)]
    return rows, formats



def _kpis(figures: dict[str, Any]) -> list[tuple[str, object, str | None]]:
    """The roll-up's key figures as (label, value, number format), two to a Dashboard row."""
    counts, money, schedule = figures["projects"], figures["finance"], figures["schedule"]
    return [
        ("Projects", counts["total"], None), ("Open projects", counts["active"], None),
        ("Budget", money["budget"], MONEY_FORMAT),
        ("Actual cost", money["actual_cost"], MONEY_FORMAT),
        ("Earned value", money["earned_value"], MONEY_FORMAT),
        ("Planned value", money["planned_value"], MONEY_FORMAT),
        ("CPI", money["cpi"], RATIO_FORMAT), ("SPI", money["spi"], RATIO_FORMAT),
        ("Cost variance", money["cost_variance"], MONEY_FORMAT),
        ("Schedule variance", money["schedule_variance"], MONEY_FORMAT),
        ("Forecast cost", money["forecast_cost"], MONEY_FORMAT),
        ("Variance at completion", money["variance_at_completion"], MONEY_FORMAT),
        ("Slipped projects", _shown_count(schedule["slipped"]), None),
        ("Average slip (days)", schedule["average_slip_days"], None),
        ("Stale status updates", _shown_count(figures["stale"]), None),
        ("Overdue milestones", _shown_count(schedule["overdue_milestones"]), None),
    ]


def _count_rows(counts: dict[str, Any]) -> list[list[object]]:
    """Open projects by RAG beside all projects by the organisation's phases."""
    by_rag = list((counts["by_rag"] or {"not tracked": None}).items())
    by_phase = list((counts["by_phase"] or {"not tracked": None}).items())
    rows: list[list[object]] = [["Open projects by RAG", None, None, None,
                                 "Projects by phase", None, None, None]]
    for i in range(max(len(by_rag), len(by_phase))):
        rag = by_rag[i] if i < len(by_rag) else (None, None)
        phase = by_phase[i] if i < len(by_phase) else (None, None)
        rows.append([rag[0], None, rag[1], None, phase[0], None, phase[1], None])
    return rows


def _raid_rows(raid: dict[str, Any]) -> list[list[object]]:
    """The RAID log's figures (label/value pairs as the key figures) and the heat map of open
    risks: a row per probability, 5 at the top, a column per impact (the workbook colours
    these cells by their score, `workbook._heat_map_colours`)."""
    from .raid import DECISIONS_AHEAD_DAYS

    pairs = [("Open RAID items", raid["open"]), ("High risks", raid["high_risks"]),
             ("Open risks", raid["open_by_type"]["Risk"]),
             ("Open issues", raid["open_by_type"]["Issue"]),
             ("Overdue actions, decisions", raid["overdue"]),
             (f"Decisions due in {DECISIONS_AHEAD_DAYS} days", len(raid["decisions_needed"])),
             ("Dependencies at risk", raid["dependencies_at_risk"]),
             ("Risks without a score", raid["heat_map"]["unscored"])]
    rows: list[list[object]] = [["RAID log", *[None] * (ROLLUP_WIDTH - 1)]]
    for first in range(0, len(pairs), 2):
        (left, a), (right, b) = pairs[first:first + 2]
        rows.append([left, None, a, None, right, None, b, None])
    counts = raid["heat_map"]["counts"]
    rows.append(["Open risks by probability and impact", *[None] * (ROLLUP_WIDTH - 1)])
    rows.append(["Impact", *range(1, len(counts) + 1), None, None])
    rows += [[f"{HEAT_MAP_LABEL} {p}", *counts[p - 1], None, None]
             for p in range(len(counts), 0, -1)]
    return rows


def _exception_rows(found: list[dict[str, Any]]) -> list[list[object]]:
    one = len(found) == 1
    rows: list[list[object]] = [
        [f"Exceptions: {len(found)} open project{'' if one else 's'} "
         f"need{'s' if one else ''} attention", *[None] * (ROLLUP_WIDTH - 1)],
        ["Project ID", "Project", None, None, "RAG", "Why", None, None]]
    rows += [[item["project_id"], item["project_name"], None, None, item["overall_rag_label"],
              "; ".join(item["reasons"]), None, None] for item in found]
    return rows


def _shown_count(value: int | list | None) -> object:
    """A count (or a list's length) for the Dashboard; 'not tracked' for None."""
    if value is None:
        return "not tracked"
    return len(value) if isinstance(value, list) else value


def _write_rollup(book: Any, dashboard: Any, portfolio: Any, currency: str) -> None:
    top, left = _rollup_origin(dashboard)
    rows, formats = rollup_block(portfolio, currency)
    _clear(dashboard, top, left, left + ROLLUP_WIDTH - 1)
    _write(dashboard, top, left, rows)
    for number_format, cells in formats.items():
        for r, c in cells:  # a fixed handful of cells, whatever the portfolio's size
            dashboard.range((top + r, left + c)).number_format = number_format


# --- History and Changes --------------------------------------------------------------------


def _history_rows(book: Any, names: list[str]) -> dict[str, list[list[object]]]:
    """The rows of the workbook's History sheets, one read each."""
    from .history_sheets import history_sheet_names

    return {name: _sheet_rows(book.sheets[name]) for name in history_sheet_names(names)}


def _history_sheets(book: Any, names: list[str]) -> tuple[list[list[object]], dict[str, Any]]:
    """History's rows (one per roll-up: read whole) and the History <sheet> sheets, of which
    only the header and as-of column are read until their rows are asked for
    (`history_sheets.HistorySheet`): at 10,000 projects a year of weekly roll-ups is half a
    million rows per sheet, of which a roll-up or a report needs one or a dozen roll-ups'."""
    from .history_sheets import HistorySheet, history_sheet_names

    summary: list[list[object]] = []
    sheets: dict[str, Any] = {}
    for name in history_sheet_names(names):
        sheet = book.sheets[name]
        if name.casefold() == HISTORY.casefold():
            summary = _sheet_rows(sheet)
            continue
        last = sheet.used_range.last_cell
        sheets[name] = HistorySheet.of(
            lambda r1, r2, c1, c2, sheet=sheet: _block(sheet, r1, r2, c1, c2),
            last.row, last.column)
    return summary, sheets


def _workbook_history(book: Any, rows: dict[str, list[list[object]]]) -> Any:
    from .history_sheets import read_history

    return read_history(_workbook_path(book), rows)


def _previous_snapshot(book: Any, summary: list[list[object]], sheets: dict[str, Any],
                       as_of: dt.date) -> Any:
    """The latest snapshot on History before the as-of date, or None: only its rows are
    read (`history_sheets.needed_rows`)."""
    from .history_sheets import needed_rows

    store = _workbook_history(book, needed_rows(summary, sheets, as_of))
    if store is None:
        return None
    with store:
        found = store.before(as_of)
        return store.load(found.as_of) if found is not None else None


def _write_history(book: Any, names: list[str], summary: list[list[object]],
                   sheets: dict[str, Any], snapshot: Any) -> str:
    """Record the snapshot on History and the History <sheet> sheets (`sheets`, as
    `_history_sheets` gives them), replacing one of the same as-of date and writing from its
    first row on only. Returns the alert's sentence."""
    from .history_sheets import fitting, is_legacy

    moved: set[str] = set()  # sheets whose rows are not on them yet
    if summary and is_legacy(summary[0]):
        sheets, summary, moved = _upgraded_legacy(sheets, summary)
    folded = {name.casefold(): sheet for name, sheet in sheets.items()}
    day = snapshot.info.as_of
    dropped: set[dt.date] = set()
    for sheet, frame in snapshot.sheets.items():
        old = folded.get(snapshot_sheet(sheet).casefold())
        days = old.days if old is not None else []
        per_day = _per_day(days)
        dropped |= fitting(days, len(frame) - per_day.get(day, 0), per_day)
    for sheet, frame in snapshot.sheets.items():
        title = snapshot_sheet(sheet)
        _write_snapshot_sheet(_ensure_sheet(book, names, title), folded.get(title.casefold()),
                              frame, day, dropped, title in moved)
    held = _write_summary(_ensure_sheet(book, names, HISTORY), summary, snapshot, dropped)
    sentence = f"History holds {held} roll-up{'s' * (held != 1)}."
    if dropped:
        sentence += (f" The {len(dropped)} oldest were dropped to stay within Excel's rows; "
                     "`pmo-xl snapshot` keeps every one in a history file.")
    return sentence


def _days(body: list[list[object]]) -> list[dt.date | None]:
    from .history_sheets import day_of

    return [day_of(row[0]) if row else None for row in body]


def _per_day(days: list[dt.date | None]) -> dict[dt.date, int]:
    per_day: dict[dt.date, int] = {}
    for day in days:
        if day is not None:
            per_day[day] = per_day.get(day, 0) + 1
    return per_day


def _write_snapshot_sheet(sheet: Any, old: Any, frame: Any, day: dt.date,
                          dropped: set[dt.date], whole: bool = False) -> None:
    """One sheet's snapshot rows: the header (new fields added at its end), then the rows
    from where this roll-up's go (later roll-ups' rows, read, move down after them). When
    roll-ups are dropped, someone has put rows out of date order, or `old` (a
    `HistorySheet`, None for a new sheet) is not on the sheet yet (`whole`), every row is
    read and written."""
    from .history_sheets import placement, snapshot_header, snapshot_rows

    had = old.header if old is not None else []
    header = snapshot_header(frame, had)
    width = len(header)
    days = old.days[:old.filled()] if old is not None else []
    ordered = all(d is not None for d in days) and days == sorted(days)  # type: ignore[type-var]
    whole = whole or bool(dropped) or not ordered
    if whole:
        body = [row for row, d in zip(old.body(0, len(days)) if old is not None else [], days,
                                      strict=True) if d is not None and d not in dropped]
        body.sort(key=lambda row: _days([row])[0])  # type: ignore[arg-type,return-value]
        start, stop = placement(_days(body), day)
        first, before, after = 0, body[:start], body[stop:]
    else:  # the rows before this roll-up's stay as they are, unread
        start, stop = placement(days, day)
        first, before = start, []
        after = old.body(stop, len(days)) if old is not None else []
    block = [*(_fitted(row, width) for row in before), *snapshot_rows(frame, day, header),
             *(_fitted(row, width) for row in after)]
    _write(sheet, 1, 1, [header])
    _clear(sheet, first + 2, 1, max(width, len(had)))
    _write(sheet, first + 2, 1, block)


def _fitted(row: list[object], width: int) -> list[object]:
    return (row + [None] * width)[:width]


def _upgraded_legacy(sheets: dict[str, Any], summary: list[list[object]]
                     ) -> tuple[dict[str, Any], list[list[object]], set[str]]:
    """History as pmo-xl 0.1.0 kept it, one row per project per roll-up: those rows become
    History Projects' (unless that sheet exists) and History gets one row per roll-up."""
    from .history_sheets import HistorySheet, legacy_snapshot_rows, legacy_summary

    projects = snapshot_sheet("Projects")
    sheets = dict(sheets)
    if any(name.casefold() == projects.casefold() for name in sheets):
        return sheets, legacy_summary(summary), set()
    sheets[projects] = HistorySheet.listed(legacy_snapshot_rows(summary))
    return sheets, legacy_summary(summary), {projects}


def _write_changes(book: Any, names: list[str], baseline: Any, snapshot: Any,
                   standard: Any) -> str:
    """The Changes sheet: what changed since the previous roll-up on History, as `pmo-xl
    changes` says it. Returns the alert's sentence."""
    from .changes import change_rows, compare, summary_lines

    sheet = _ensure_sheet(book, names, CHANGES)
    width = len(CHANGES_HEADER)
    sheet.clear_contents()
    if baseline is None:
        _write(sheet, 1, 1, [["No earlier roll-up on History: the next roll-up lists what "
                              "changed since this one.", *[None] * (width - 1)]])
        return "No earlier roll-up to compare with."
    result = compare(baseline, snapshot, standard)
    names_of = dict(zip(snapshot.projects["project_id"], snapshot.projects["project_name"],
                        strict=True))
    head = [[line, *[None] * (width - 1)] for line in summary_lines(result)]
    table = [[pid, names_of.get(pid), *rest] for pid, *rest in change_rows(result)]
    _write(sheet, 1, 1, [*head, [None] * width, list(CHANGES_HEADER), *table])
    moved = len({row[0] for row in table})
    return (f"Changes since {result.since:%d-%b-%Y}: {moved} project{'s' * (moved != 1)} "
            "changed (see the Changes sheet).")


def _write_summary(sheet: Any, old: list[list[object]], snapshot: Any,
                   dropped: set[dt.date]) -> int:
    """History's row per roll-up and the trend block the Dashboard's chart shows. Returns
    how many roll-ups History holds."""
    from .history_sheets import day_of, portfolio_row, trend_rows

    width = len(HISTORY_HEADER)
    day = snapshot.info.as_of
    kept = [(row + [None] * width)[:width] for row in old[1:]
            if (when := day_of(row[0] if row else None)) is not None
            and when != day and when not in dropped]
    rows = sorted([*kept, portfolio_row(snapshot)], key=lambda row: day_of(row[0]))
    _write(sheet, 1, 1, [list(HISTORY_HEADER)])
    _clear(sheet, 2, 1, width)
    _write(sheet, 2, 1, rows)
    for c, number_format in enumerate(HISTORY_FORMATS, start=1):
        if number_format != "@":
            sheet.range((2, c), (max(2, len(rows) + 1), c)).number_format = number_format
    _write(sheet, 1, TREND_COLUMN + 1, [list(TREND_HEADER), *trend_rows(rows)])
    return len(rows)


# --- reports ---------------------------------------------------------------------------------


def _generate_report(book: Any, status: _StatusBar) -> Outcome:
    from .batch import write_reports

    path = _saved_workbook(book)
    register = _read(book)
    project_id = _chosen_project(book, register)
    kinds = _report_kinds(register)
    status.show(f"pmo-xl: writing the reports of {project_id}…")
    result = _reports(write_reports, path, register, project_ids=[project_id], kinds=kinds,
                      **_history_options(book, register))
    written = [f for f in result.files if f.status != "failed"]
    if result.failed:
        raise ButtonProblem(f"The report of {project_id} could not be written: "
                            f"{result.failed[0].error}")
    if not written:  # only kinds this project has none of (exception, portfolio)
        raise ButtonProblem(f"Settings Report Kinds ({', '.join(kinds)}) gives {project_id} "
                            "no report: it needs no exception report (it is within its "
                            "tolerances); add status or highlight to Report Kinds.")
    shown = sorted(written, key=lambda f: f.format != "html")  # HTML first: opens anywhere
    report = result.out_dir / shown[0].name
    open_report(report)
    files = ", ".join(f.name for f in written)
    return Outcome(f"Wrote {files} to {result.out_dir}.")


def _chosen_project(book: Any, register: Any, button: str = "Generate report") -> str:
    """The project of the active cell's row on Projects, or else the one named in the
    Dashboard's Report for cell (the buttons sit on the Dashboard); `button` names the
    button to press again in the alert."""
    projects = register.projects
    active = book.sheets.active
    if active.name.casefold() == projects.sheet.casefold():
        row = book.selection.row
        match = projects.rows[projects.rows == row]
        if match.empty:
            raise ButtonProblem(f"Row {row} of {projects.sheet} is not a project: select a "
                                f"cell in a project's row, then press {button}.")
        return _project_id(register, match.index[0], row)
    chosen = None
    with suppress(Exception):  # an older workbook has no Report for cell
        chosen = active.range(REPORT_PROJECT_NAME).value if active.name == DASHBOARD else (
            book.sheets[DASHBOARD].range(REPORT_PROJECT_NAME).value)
    if chosen is None or not str(chosen).strip():
        raise ButtonProblem("Pick a project in the Report for cell next to the button (or "
                            f"select a project's row on Projects), then press {button}.")
    if isinstance(chosen, float) and chosen.is_integer():
        chosen = int(chosen)
    return str(chosen).strip()


def _project_id(register: Any, index: Any, row: int) -> str:
    value = register.projects.value("project_id").loc[index]
    if value is None or (isinstance(value, float) and value != value):
        raise ButtonProblem(f"The project on row {row} of {register.projects.sheet} has no "
                            "Project ID; fill it in first.")
    return str(value)


def _generate_all_reports(book: Any, status: _StatusBar) -> Outcome:
    from .batch import write_reports

    path = _saved_workbook(book)
    register = _read(book)
    status.show("pmo-xl: writing status reports…")

    def progress(_file: Any, done: int, total: int) -> None:
        status.show(f"pmo-xl: {done} of {total} report files written…", throttle=True)

    result = _reports(write_reports, path, register, all_projects=True, portfolio=True,
                      kinds=_report_kinds(register), jobs=2, progress=progress,
                      **_history_options(book, register))
    written = result.count("written")
    skipped = result.count("skipped")
    failed = result.failed
    parts = [f"Wrote {written} report file{'s' * (written != 1)} to {result.out_dir}"]
    if skipped:
        parts.append(f"{skipped} unchanged since the last run were kept")
    if failed:
        names = ", ".join(f.name for f in failed[:3]) + (" …" if len(failed) > 3 else "")
        parts.append(f"{len(failed)} failed ({names}); see manifest.json in that folder")
    parts.append("index.html lists them all")
    return Outcome("; ".join(parts) + ".", "critical" if failed else "info")


def _report_kinds(register: Any) -> list[str]:
    """The Settings' Report Kinds, which the Generate buttons write (`batch.REPORT_KINDS`);
    an unusable value stops the button with what to write instead."""
    from .batch import parse_kinds

    try:
        return parse_kinds(register.settings.report_kinds)
    except ValueError as error:
        raise ButtonProblem(f"Settings Report Kinds: {error}; write some of them separated "
                            "by commas, e.g. status, portfolio.") from None


def _history_options(book: Any, register: Any) -> dict[str, Any]:
    """The reports' baseline and trends from the History sheets: what changed since the
    latest roll-up before the as-of date, as `pmo-xl report --since previous` says it."""
    from .history_sheets import TREND_SNAPSHOTS, needed_rows
    from .metrics import resolve_as_of

    as_of = resolve_as_of(register)
    # Only the baseline's rows and the trends' figures are read (`needed_rows`).
    summary, sheets = _history_sheets(book, _sheet_names(book))
    store = _workbook_history(book, needed_rows(summary, sheets, as_of, TREND_SNAPSHOTS))
    if store is None:
        return {}
    found = store.before(as_of)
    baseline = store.load(found.as_of) if found is not None else None
    trends = {"portfolio": store.trend(as_of, TREND_SNAPSHOTS),
              "projects": store.project_trends(as_of, TREND_SNAPSHOTS)}
    store.close()
    return {"baseline": None if baseline is None else (lambda _register, _day: baseline),
            "trends": lambda _day: trends}


def _reports(write_reports: Callable[..., Any], path: Path, register: Any,
             **options: Any) -> Any:
    from .pdf import PdfEngineError

    try:
        return write_reports(path, None, formats=None, register=register,
                             read_from="open workbook", **options)
    except PdfEngineError as problem:
        raise ButtonProblem(f"{_one_line(problem)} Or set Report Formats on Settings to "
                            "HTML.") from None



# --- Lessons for project ---------------------------------------------------------------------


def _lessons_for_project(book: Any, status: _StatusBar) -> Outcome:
    from .lessons import UnknownProject, build_index, recommend

    register = _read(book)
    if register.lessons is None:
        raise ButtonProblem("The workbook has no Lessons sheet, so there are no lessons to "
                            "recommend: add one (pmo-xl new writes it).")
    project_id = _chosen_project(book, register, "Lessons for project")
    status.show(f"pmo-xl: finding the lessons worth reading for {project_id}…")
    names = _sheet_names(book)
    history = _workbook_history(book, _history_rows(book, names))  # each lesson's phase
    try:
        index = build_index(register, history=history)
    finally:
        if history is not None:
            history.close()
    try:
        found = recommend(index, project_id, top=LESSONS_FINDER_TOP)
    except UnknownProject:
        raise ButtonProblem(f"Project '{project_id}' in the Report for cell is not on the "
                            f"{register.projects.sheet} sheet: pick one of its Project IDs."
                            ) from None
    project = index.project(index.project_position(project_id))
    title = f"{project_id} {project['project_name']}".strip()
    sheets = len(names)
    sheet = _write_lessons_finder(book, names, register.lessons.sheet, title, found)
    if len(names) > sheets:
        sheet.activate()
    if not found:
        return Outcome(f"No lesson of another project shares a word with {title}'s register "
                       f"row: the {LESSONS_FINDER} sheet says so.")
    return Outcome(f"Wrote the {len(found)} lesson{'s' * (len(found) != 1)} most worth "
                   f"reading for {title} onto the {LESSONS_FINDER} sheet, each with a link "
                   "to its row on the lessons sheet.")


def _write_lessons_finder(book: Any, names: list[str], lessons_sheet: str, title: str,
                          found: Sequence[Any]) -> Any:
    """The Lessons Finder sheet: a heading, then one row per lesson, best first, its Lesson
    ID a link to its row. One clear and one write."""
    sheet = _ensure_sheet(book, names, LESSONS_FINDER)
    width = len(LESSONS_FINDER_HEADER)
    sheet.clear_contents()
    head: list[list[object]] = [
        [f"Lessons worth reading for {title}", *[None] * (width - 1)],
        [f"Found {dt.datetime.now():%d-%b-%Y %H:%M}: lessons of other projects, best first; "
         "Why says what matched.", *[None] * (width - 1)],
        [None] * width, list(LESSONS_FINDER_HEADER)]
    rows = [[rank, r.lesson, r.project_id, r.category, r.type, r.impact, r.date_logged,
             r.score, "; ".join(r.why), r.recommendation]
            for rank, r in enumerate(found, start=1)]
    links = [_link_to(lessons_sheet, f"A{r.row}", r.lesson_id or f"row {r.row}")
             for r in found]
    if not rows:
        rows = [["No lesson of another project shares a word with this project's register "
                 "row.", *[None] * (width - 2)]]
        links = [None]
    _write(sheet, 1, 1, head)
    # The links are formulas: written with the values in the same single call.
    sheet.range((LESSONS_FINDER_FIRST_ROW, 1)).value = [
        [as_text(row[0]), link, *(as_text(v) for v in row[1:])]
        for row, link in zip(rows, links, strict=True)]
    if found:
        date_column = LESSONS_FINDER_HEADER.index("Date logged") + 1
        last = LESSONS_FINDER_FIRST_ROW + len(found) - 1
        sheet.range((LESSONS_FINDER_FIRST_ROW, date_column),
                    (last, date_column)).number_format = DATE_FORMAT
    return sheet


def _link_to(sheet: str, address: str, shown: str) -> str:
    """A HYPERLINK formula that jumps to a cell and shows `shown`."""
    target = "#'{}'!{}".format(sheet.replace("'", "''"), address)
    return '=HYPERLINK("{}","{}")'.format(target.replace('"', '""'), shown.replace('"', '""'))
