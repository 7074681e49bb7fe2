"""Building real register workbooks for tests, cell by cell, the way people lay them out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import xlsxwriter

AS_OF = dt.date(2026, 9, 30)

# One valid, consistent project (Green, on plan as of AS_OF), keyed by header.
VALID_PROJECT: dict[str, Any] = {
    "Project ID": "PRJ-001", "Project Name": "Payroll Upgrade", "Programme": "Core Systems",
    "Business Unit": "HR", "Sponsor": "Ada Jones", "Project Manager": "Ben Ito",
    "Phase": "Execution", "Overall RAG": "Green", "Schedule RAG": "Green", "Cost RAG": "Green",
    "Priority": "High", "Start Date": dt.date(2026, 1, 1),
    "Baseline Finish": dt.date(2026, 12, 31), "Forecast Finish": None, "Actual Finish": None,
    "Budget": 100_000, "Actual Cost": 50_000, "Forecast Cost": None,
    "Percent Complete": 0.75, "Status Date": dt.date(2026, 9, 25),
    "Status Summary": "On track.", "Key Risks": "None.", "Next Steps": "Build.",
}
VALID_LESSON: dict[str, Any] = {
    "Lesson ID": "LL-1", "Project ID": "PRJ-001", "Date Logged": dt.date(2026, 5, 1),
    "Category": "Planning", "Type": "Improve", "Lesson": "Plan data migration early",
    "Description": "Found late.", "Recommendation": "Rehearse by mid-build.", "Owner": "Ben Ito",
    "Action Status": "Open", "Impact": "High",
}
VALID_MILESTONE: dict[str, Any] = {
    "Project ID": "PRJ-001", "Milestone": "Go-live", "Baseline Date": dt.date(2026, 12, 1),
    "Forecast Date": None, "Actual Date": None,
}
VALID_RAID: dict[str, Any] = {
    "RAID ID": "R-1", "Project ID": "PRJ-001", "Type": "Risk", "Title": "Supplier late",
    "Description": "The supplier may deliver the interfaces late.", "Owner": "Ben Ito",
    "Raised": dt.date(2026, 8, 1), "Due Date": None, "Status": "Open", "Probability": 3,
    "Impact": 4, "Response / Mitigation": "Weekly supplier call.", "Depends On": None,
    "Depends On Milestone": None, "Needed By": None, "Escalate": "No",
    "Decision Needed By": None, "Decided On": None, "Decision": None, "Closed On": None,
}
# One valid record per sheet, by the standard's sheet name.
VALID_RECORDS: dict[str, dict[str, Any]] = {
    "Projects": VALID_PROJECT, "Lessons": VALID_LESSON, "Milestones": VALID_MILESTONE,
    "RAID": VALID_RAID}
SETTINGS = {"Organisation": "Test Org", "Report Date": AS_OF, "Currency": "EUR",
            "Stale After Days": 30, "Date Order": "DMY"}


def project(**changes: Any) -> dict[str, Any]:
    """VALID_PROJECT with some headers changed (keys with spaces: pass a dict via **{...})."""
    return {**VALID_PROJECT, **changes}


def grid(records: Sequence[Mapping[str, Any]], headers: Sequence[str] | None = None,
         ) -> list[list[Any]]:
    """Header row plus one row per record (None records become blank rows)."""
    headers = list(headers or (records[0].keys() if records else VALID_PROJECT))
    rows: list[list[Any]] = [list(headers)]
    for record in records:
        rows.append([None] * len(headers) if record is None else
                    [record.get(h) for h in headers])
    return rows


def write_workbook(path: Path, sheets: Mapping[str, Sequence[Sequence[Any]]], *,
                   tables: Mapping[str, str] | None = None,
                   origin: Mapping[str, tuple[int, int]] | None = None,
                   titles: Mapping[str, Sequence[str]] | None = None) -> Path:
    """Write each sheet's rows of cells starting at origin (row, col; default A1).

    `tables` names the sheets whose first row is a header to wrap in an Excel Table;
    `titles` are lines written into column A from row 1 (above an origin further down).
    """
    book = xlsxwriter.Workbook(str(path))
    date_format = book.add_format({"num_format": "dd-mmm-yyyy"})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        top, left = (origin or {}).get(name, (0, 0))
        for r, line in enumerate((titles or {}).get(name, ())):
            sheet.write_string(r, 0, line)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                _write(sheet, top + r, left + c, value, date_format)
        if tables and name in tables and rows:
            sheet.add_table(top, left, top + max(1, len(rows) - 1), left + len(rows[0]) - 1, {
                "name": tables[name], "header_row": True,
                "columns": [{"header": str(h)} for h in rows[0]]})
    book.close()
    return path


def _write(sheet: Any, row: int, col: int, value: Any, date_format: Any) -> None:
    if value is None:
        return
    if isinstance(value, dt.date):
        sheet.write_datetime(row, col, dt.datetime(value.year, value.month, value.day),
                             date_format)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value)
    elif isinstance(value, (int, float)):
        sheet.write_number(row, col, value)
    else:
        sheet.write_string(row, col, str(value))


def settings_rows(**changes: Any) -> list[list[Any]]:
    values = {**SETTINGS, **changes}
    return [["Setting", "Value"], *([k, v] for k, v in values.items())]


def register(path: Path, projects: Sequence[Mapping[str, Any] | None] = (VALID_PROJECT,),
             lessons: Sequence[Mapping[str, Any]] | None = None,
             milestones: Sequence[Mapping[str, Any]] | None = None,
             settings: Mapping[str, Any] | None = None,
             raid: Sequence[Mapping[str, Any]] | None = None) -> Path:
    """A register workbook with the given records (settings default to SETTINGS)."""
    sheets: dict[str, list[list[Any]]] = {"Projects": grid(projects)}
    if lessons is not None:
        sheets["Lessons"] = grid(lessons, list(VALID_LESSON))
    if milestones is not None:
        sheets["Milestones"] = grid(milestones, list(VALID_MILESTONE))
    if raid is not None:
        sheets["RAID"] = grid(raid, list(VALID_RAID))
    sheets["Settings"] = settings_rows(**(settings or {}))
    return write_workbook(path, sheets)


def keep_only_valid_records(book: Any) -> None:
    """In a register workbook open in openpyxl (e.g. one `pmo-xl new` built), empty every
    table's rows and put one valid, consistent record in each, with Report Date AS_OF:
    validating it finds nothing."""
    for sheet, record in VALID_RECORDS.items():
        ws = book[sheet]
        headers = [c.value for c in ws[1]]
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                cell.value = None
        for col, header in enumerate(headers, start=1):
            ws.cell(2, col).value = record.get(header)
    settings = book["Settings"]
    [row] = [r for r in range(1, settings.max_row + 1)
             if settings.cell(r, 1).value == "Report Date"]
    settings.cell(row, 2).value = AS_OF
