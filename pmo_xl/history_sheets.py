"""The register workbook's own history: the snapshots its Roll up button keeps on its sheets.

A workbook passed around by e-mail or kept on SharePoint carries its history with it. The
History sheet holds one row per roll-up (as of, when taken, the pmo-xl version, the number of
projects and the portfolio figures a trend shows) and, for the Dashboard's chart, the RAG
trend of the latest roll-ups; each sheet of the standard keeps its snapshot rows on `History
<sheet>` (History Projects, History Milestones, ...), the same table `pmo-xl history export`
writes: `as_of` first, then every field of the snapshot, values as the snapshot has them (ISO
dates as text).

This module turns a snapshot into those rows and the rows back into a history store, so the
buttons (`excel.py`) and the command line (`--since` on a workbook without a history file)
read the same history. Nothing here touches Excel.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .history import TREND_FIGURES, History, Snapshot, SnapshotInfo
from .layout import (
    HISTORY,
    HISTORY_HEADER,
    LEGACY_HISTORY_FIELDS,
    LEGACY_HISTORY_HEADER,
    SNAPSHOT_SHEET_PREFIX,
    TREND_HEADER,
    TREND_ROWS,
    is_snapshot_sheet,
)

AS_OF = "as_of"
EXCEL_ROWS = 1_048_576
Rows = Sequence[Sequence[object]]


def day_of(value: object) -> dt.date | None:
    """A cell's date, whether Excel gave a date, a date-time or ISO text."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.strip()).date()
        except ValueError:
            return None
    return None


def portfolio_row(snapshot: Snapshot) -> list[object]:
    """The snapshot's row on History, in HISTORY_HEADER's order."""
    info = snapshot.info
    return [info.as_of, _local_time(info.taken_at), info.pmo_xl_version, info.projects,
            *(snapshot.portfolio.get(name) for name in TREND_FIGURES)]


def _local_time(taken_at: str) -> object:
    """When a snapshot was taken, in this computer's time, as Excel keeps date-times."""
    try:
        return dt.datetime.fromisoformat(taken_at).astimezone().replace(tzinfo=None)
    except ValueError:
        return taken_at or None


def trend_rows(history: Rows) -> list[list[object]]:
    """Open projects by RAG in the latest TREND_ROWS roll-ups of History's rows, the latest
    last; blank rows on top while History is shorter, so the chart always ends with the latest
    roll-up. A roll-up that did not track RAG shows blanks."""
    counts = {day: row for row in history if (day := day_of(row[0])) is not None}
    latest = sorted(counts)[-TREND_ROWS:]
    figures = [HISTORY_HEADER.index(name) for name in TREND_HEADER[1:]]
    rows: list[list[object]] = [[None] * len(TREND_HEADER)
                                for _ in range(TREND_ROWS - len(latest))]
    # The dates as text: they are the chart's category labels, not an axis of time.
    rows += [[f"{day:%d-%b-%Y}", *(_cell(counts[day], i) for i in figures)] for day in latest]
    return rows


def _cell(row: Sequence[object], index: int) -> object:
    return row[index] if index < len(row) else None


def placement(days: Sequence[dt.date | None], as_of: dt.date) -> tuple[int, int]:
    """Where a roll-up as of `as_of` goes among rows sorted by date: rows [start, stop) are
    the same date's (replaced), rows from `stop` on are later ones (written again after it).
    Rows without a date count as the earliest."""
    keys = [day or dt.date.min for day in days]
    return bisect.bisect_left(keys, as_of), bisect.bisect_right(keys, as_of)


def snapshot_header(frame: pd.DataFrame, header: Sequence[object]) -> list[str]:
    """A snapshot sheet's header: the one it has (columns keep their place, so earlier rows
    stay as they are), with the snapshot's new fields added at the end."""
    have = [str(name) for name in header if name not in (None, "")] or [AS_OF]
    return have + [name for name in frame.columns if name not in have]


def snapshot_rows(frame: pd.DataFrame, day: dt.date, header: Sequence[str]) -> list[list[object]]:
    """The snapshot's rows of one sheet in the header's order, column-wise."""
    blank = [None] * len(frame)
    columns = [[day.isoformat()] * len(frame) if name == AS_OF else
               frame[name].tolist() if name in frame else blank for name in header]
    return [list(row) for row in zip(*columns, strict=True)]


def fitting(days: Sequence[dt.date | None], new_rows: int, rows_of_day: Mapping[dt.date, int]
            ) -> set[dt.date]:
    """The oldest roll-ups to drop so that a sheet's rows fit Excel's rows (header aside)."""
    total = len(days) + new_rows
    dropped: set[dt.date] = set()
    for day in sorted(rows_of_day):
        if total < EXCEL_ROWS:
            break
        dropped.add(day)
        total -= rows_of_day[day]
    return dropped


# --- reading the sheets back ----------------------------------------------------------------


def history_sheet_names(names: Iterable[str]) -> list[str]:
    """The workbook's sheets that hold its history."""
    return [n for n in names if n.casefold() == HISTORY.casefold() or is_snapshot_sheet(n)]


def is_legacy(header: Sequence[object]) -> bool:
    """History as pmo-xl 0.1.0 kept it: one row per project per roll-up."""
    return tuple(header[:len(LEGACY_HISTORY_HEADER)]) == LEGACY_HISTORY_HEADER


def read_history(label: Path, sheets: Mapping[str, Rows]) -> History | None:
    """The history a workbook's History sheets hold, as an in-memory store (None when they
    hold no snapshot). `sheets` maps sheet names to their rows from A1."""
    folded = {name.casefold(): rows for name, rows in sheets.items()}
    summary = [list(r) for r in folded.get(HISTORY.casefold(), [])]
    frames = {name[len(SNAPSHOT_SHEET_PREFIX):]: _frame(rows) for name, rows in sheets.items()
              if is_snapshot_sheet(name)}
    infos: dict[dt.date, list[object]] = {}
    if summary and is_legacy(summary[0]):
        frames.setdefault("Projects", _legacy_frame(summary))
    else:
        infos = {day: row for row in summary[1:] if (day := day_of(row[0])) is not None}
    projects = frames.get("Projects")
    if projects is None or projects.empty:
        return None
    store = History.in_memory(label)
    for day, rows in projects.groupby("_day", sort=True):
        sheets_of_day = {name: _of_day(frame, day) for name, frame in frames.items()}
        store.record(Snapshot(_info(label, day, infos.get(day), len(rows)), sheets_of_day,
                              _figures(infos.get(day))))
    return store


def _frame(rows: Rows) -> pd.DataFrame:
    """A snapshot sheet's rows as a frame, `_day` the date of each row."""
    if not rows:
        return pd.DataFrame({AS_OF: [], "_day": []})
    width = len(rows[0])
    header = [str(name) if name not in (None, "") else f"_blank{i}"
              for i, name in enumerate(rows[0])]
    body = [_padded(row, width) for row in rows[1:] if any(v not in (None, "") for v in row)]
    frame = pd.DataFrame(body, columns=header, dtype=object)
    frame = frame[[name for name in header if not name.startswith("_blank")]]
    frame = frame.where(frame.notna() & (frame != ""), None)
    days = frame[AS_OF].map(day_of) if AS_OF in frame else pd.Series(None, index=frame.index)
    return frame.assign(_day=days)[days.notna()]


def _padded(row: Sequence[object], width: int) -> list[object]:
    cells = [_plain(v) for v in row[:width]]
    return cells + [None] * (width - len(cells))


def _plain(value: object) -> object:
    """A cell as a snapshot value: dates as ISO text, whole numbers as integers (Excel hands
    every number over as a float)."""
    if isinstance(value, dt.datetime | dt.date):
        return day_of(value).isoformat()  # type: ignore[union-attr]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def legacy_snapshot_rows(history: Rows) -> list[list[object]]:
    """History's rows as pmo-xl 0.1.0 kept them, as History Projects rows (header first) with
    the fields they kept. 0.1.0 kept the meanings of Phase and Overall RAG: they stand for the
    organisation's words too."""
    phase, rag = LEGACY_HISTORY_FIELDS.index("phase"), LEGACY_HISTORY_FIELDS.index("overall_rag")
    width = len(LEGACY_HISTORY_FIELDS)
    body = [[*_padded(list(row), width), _cell(row, phase), _cell(row, rag)]
            for row in history[1:] if day_of(_cell(row, 0)) is not None]
    return [[*LEGACY_HISTORY_FIELDS, "phase_label", "overall_rag_label"], *body]


def _legacy_frame(rows: Rows) -> pd.DataFrame:
    return _frame(legacy_snapshot_rows(rows))


def _of_day(frame: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    rows = frame[frame["_day"] == day].drop(columns=["_day", AS_OF], errors="ignore")
    return rows.reset_index(drop=True)


def _info(label: Path, day: dt.date, row: Sequence[object] | None, projects: int
          ) -> SnapshotInfo:
    taken = _cell(row, 1) if row else None
    taken = (taken.astimezone(dt.UTC).isoformat(timespec="seconds")
             if isinstance(taken, dt.datetime) else str(taken or ""))
    version = str(_cell(row, 2) or "") if row else ""
    return SnapshotInfo(day, taken, f"History sheet of {label}", "", version, projects)


def _figures(row: Sequence[object] | None) -> dict[str, float | None]:
    if not row:
        return {}
    first = HISTORY_HEADER.index("Green")
    return {name: _number(_cell(row, first + i)) for i, name in enumerate(TREND_FIGURES)}


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else None


def legacy_summary(history: Rows) -> list[list[object]]:
    """History's rows as pmo-xl 0.1.0 kept them (one per project per roll-up) as one row per
    roll-up: the projects and the open projects by Overall RAG, counted as 0.1.0 did."""
    from .schema import CLOSED, RAG

    phase, rag = LEGACY_HISTORY_FIELDS.index("phase"), LEGACY_HISTORY_FIELDS.index("overall_rag")
    by_day: dict[dt.date, list[Sequence[object]]] = {}
    for row in history[1:]:
        if (day := day_of(_cell(row, 0))) is not None:
            by_day.setdefault(day, []).append(row)
    rows: list[list[object]] = [list(HISTORY_HEADER)]
    for day in sorted(by_day):
        open_rags = [_cell(r, rag) for r in by_day[day] if _cell(r, phase) != CLOSED]
        counts = [sum(1 for v in open_rags if v == name) for name in RAG]
        rows.append([day, None, "0.1.0", len(by_day[day]), *counts,
                     len(open_rags) - sum(counts), None, None])
    return rows


# --- reading the sheets in parts (the buttons, through Excel) --------------------------------

# (first row, last row, first column, last column), 1-based and inclusive -> those cells' rows
ReadBlock = Callable[[int, int, int, int], list[list[object]]]
TREND_SNAPSHOTS = 12  # the snapshots a report's trends show (`History.trend`'s default)
# What `History.project_trends` reads of History Projects' rows (with as_of, column A).
PROJECT_TREND_FIELDS = ("project_id", "overall_rag", "cpi", "spi")


@dataclass
class HistorySheet:
    """A History <sheet> sheet read in parts, as the buttons read it through Excel: its
    header and as-of column (A) first, then only the row blocks asked for, each block one
    read (`read`) of a range, never cell by cell. Body row 0 is the row under the header."""

    read: ReadBlock
    columns: int  # of the used range from A1 (as wide as the header row is read)
    header: list[object]
    days: list[dt.date | None]  # each body row's as-of date, to the used range's last row

    @classmethod
    def of(cls, read: ReadBlock, rows: int, columns: int) -> HistorySheet:
        """The sheet whose used range from A1 is `rows` × `columns`: two reads."""
        header = read(1, 1, 1, columns)[0] if rows and columns else []
        days = [day_of(row[0]) for row in read(2, rows, 1, 1)] if rows > 1 else []
        return cls(read, columns, list(header), days)

    @classmethod
    def listed(cls, rows: Rows) -> HistorySheet:
        """A sheet's rows already in memory (header first), e.g. a legacy History's."""
        width = max((len(row) for row in rows), default=0)
        full = [[*row, *[None] * (width - len(row))] for row in rows]
        return cls.of(lambda r1, r2, c1, c2: [row[c1 - 1:c2] for row in full[r1 - 1:r2]],
                      len(full), width)

    def body(self, start: int, stop: int) -> list[list[object]]:
        """Body rows [start, stop), every column, in one read."""
        return self.read(start + 2, stop + 1, 1, self.columns) if stop > start else []

    def filled(self) -> int:
        """How many body rows there are up to the last that is not blank: Excel's used
        range may run past it. Only rows without a date are looked into."""
        dated = max((i + 1 for i, day in enumerate(self.days) if day is not None), default=0)
        end = len(self.days)
        tail = self.body(dated, end)
        while end > dated and all(v is None for v in tail[end - dated - 1]):
            end -= 1
        return end

    def as_of_first(self) -> bool:
        """Whether column A holds the as-of dates, as pmo-xl writes the sheet."""
        return bool(self.header) and str(self.header[0]) == AS_OF

    def rows_of(self, days: Iterable[dt.date], fields: Sequence[str] | None = None
                ) -> list[list[object]]:
        """The body rows of these dates in the sheet's order; with `fields`, only those
        columns (and A, the as-of date) are read, the others blank. One read per column read,
        over the rows from the first to the last of those dates (rows of other dates between
        them, out of date order, are read and left out)."""
        wanted = set(days)
        at = [i for i, day in enumerate(self.days) if day in wanted]
        if not at:
            return []
        first, last = at[0], at[-1] + 1
        if fields is None:
            block = self.body(first, last)
        else:
            block = [[None] * self.columns for _ in range(last - first)]
            names = [str(name) for name in self.header]
            for c in sorted({0, *(names.index(f) for f in fields if f in names)}):
                for row, [value] in zip(block, self.read(first + 2, last + 1, c + 1, c + 1),
                                        strict=True):
                    row[c] = value
        return [block[i - first] for i in at]


def needed_rows(summary: Rows, sheets: Mapping[str, HistorySheet], as_of: dt.date,
                trend: int = 0) -> dict[str, Rows]:
    """What `read_history` needs of the History sheets for the baseline before `as_of` (the
    latest snapshot before it on History Projects) and, with `trend`, the trends of the
    latest `trend` snapshots up to it: History's own rows (one per roll-up) as they are; of
    each History <sheet> sheet its header and the rows of the baseline; of History Projects
    also the trend's columns of those snapshots' rows. The store `read_history` then builds
    holds those snapshots alone, whose baseline and trends are those of the whole history."""
    projects = next((sheet for name, sheet in sheets.items()
                     if name.casefold() == f"{SNAPSHOT_SHEET_PREFIX}Projects".casefold()), None)
    if projects is None or not projects.as_of_first():  # a legacy History, or a sheet
        # whose dates are not in column A: every row
        return {HISTORY: summary, **{name: [sheet.header, *sheet.body(0, len(sheet.days))]
                                     for name, sheet in sheets.items()}}
    known = sorted({day for day in projects.days if day is not None})
    baseline = [day for day in known if day < as_of][-1:]
    trending = [day for day in known if day <= as_of][-trend:] if trend else []
    rows: dict[str, Rows] = {HISTORY: summary}
    for name, sheet in sheets.items():
        if not sheet.as_of_first():  # its dates are not in column A: all of it
            rows[name] = [sheet.header, *sheet.body(0, len(sheet.days))]
            continue
        # Each date's rows stay in the sheet's order: the store groups them by date.
        rows[name] = [sheet.header, *sheet.rows_of(baseline)]
        if sheet is projects:
            rows[name] += sheet.rows_of([d for d in trending if d not in baseline],
                                        PROJECT_TREND_FIELDS)
    return rows
