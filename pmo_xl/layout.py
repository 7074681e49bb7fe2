"""Where things live in the register workbook: the sheets and cells that the workbook builder
lays out and the Excel buttons write to, declared once for both.

Nothing here reads or writes a workbook; `workbook.py` builds from these declarations and
`excel.py` writes results into the places they name.
"""

from __future__ import annotations

from .cells import sheet_prefix
from .schema import SETTINGS_SHEET, SHEETS

DASHBOARD = "Dashboard"
VALIDATION = "Validation"
HISTORY = "History"

ROLLUP_NAME = "RollupFigures"  # top-left cell of the roll-up area on the Dashboard
# The roll-up's heat map of open risks: rows labelled "Probability 5" .. "Probability 1" in the
# area's first column, a count per impact 1..5 beside; the workbook colours them by score.
HEAT_MAP_LABEL = "Probability"
HEAT_MAP_ROWS = 200  # rows of the roll-up area, from its top, that may hold the heat map
REPORT_PROJECT_NAME = "ReportProject"  # the Dashboard cell naming the project to report on

# --- highlights ------------------------------------------------------------------------------
# Validate entries does not colour cells itself. Each checked sheet has a very hidden twin
# ("Projects highlights", ...) whose column A holds, on the same row, the marks of that row's
# cells with findings, e.g. "|5E|16W|" (column 5 has an error, column 16 a warning); the
# checked sheet has conditional formats that fill a cell red or amber when its row's marks
# name its column. So one write (one cell per row) marks any number of cells, one clear
# removes exactly the previous run's highlights, and the user's own fills, borders and
# formats are never touched.
HIGHLIGHTED_SHEETS: tuple[str, ...] = (*(s.name for s in SHEETS), SETTINGS_SHEET)
ERROR_MARK = "E"
WARNING_MARK = "W"
# Excel's "Bad" and "Neutral" styles, with a border that tells them apart from RAG fills.
HIGHLIGHT_COLOURS = {ERROR_MARK: ("#FFC7CE", "#9C0006", "#C00000"),
                     WARNING_MARK: ("#FFEB9C", "#9C5700", "#BF8F00")}  # fill, font, border
HIGHLIGHT_COLUMNS = 60  # columns A..BH of a checked sheet can be highlighted


def highlight_sheet(sheet: str) -> str:
    """The very hidden sheet that holds the highlight marks of `sheet`."""
    return f"{sheet} highlights"


def row_marks(marks: dict[int, str]) -> str:
    """The marks of one row's cells (1-based column -> ERROR_MARK or WARNING_MARK)."""
    return "|" + "".join(f"{column}{mark}|" for column, mark in sorted(marks.items()))


def highlight_rule(sheet: str, mark: str) -> str:
    """The conditional-format formula (for cell A2 of `sheet`, relative) that is true while
    the cell is marked `mark`."""
    twin = sheet_prefix(highlight_sheet(sheet))
    return f'=ISNUMBER(FIND("|"&COLUMN()&"{mark}|",{twin}$A2))'


# --- Validation sheet ------------------------------------------------------------------------
VALIDATION_HEADER = ("Cell", "Sheet", "Row", "Column", "Severity", "Rule", "Message")
VALIDATION_FIRST_ROW = 6  # findings start here; rows 1-5: title, when, counts, header
VALIDATION_WIDTHS = (18, 17, 7, 20, 11, 30, 90)

# --- Changes sheet: what changed since the previous roll-up (Roll up portfolio) -----------
CHANGES = "Changes"
CHANGES_HEADER = ("Project ID", "Project", "What changed", "Field", "From", "To", "Direction")

# --- Lessons Finder sheet: the lessons worth reading for one project (Lessons for project) --
LESSONS_FINDER = "Lessons Finder"
LESSONS_FINDER_HEADER = ("Rank", "Lesson ID", "Lesson", "Source project", "Category", "Type",
                         "Impact", "Date logged", "Score", "Why", "Recommendation")
LESSONS_FINDER_FIRST_ROW = 5  # lessons start here; rows 1-4: title, for whom, blank, header
LESSONS_FINDER_TOP = 10

# --- History sheets --------------------------------------------------------------------------
# History: one row per roll-up (the snapshot's header and the portfolio figures a trend
# shows); `history.TREND_FIGURES` in the same order from the 5th column on.
HISTORY_HEADER = ("As of", "Taken at", "pmo-xl", "Projects", "Green", "Amber", "Red", "Unset",
                  "CPI", "SPI")
HISTORY_FORMATS = ("dd-mmm-yyyy", "dd-mmm-yyyy hh:mm", "@", "0", "0", "0", "0", "0", "0.00", "0.00")
HISTORY_WIDTHS = (12, 17, 8, 9, 7, 7, 7, 7, 7, 7)
# The roll-ups recorded by pmo-xl 0.1.0 kept one row per project on History, with this header.
LEGACY_HISTORY_HEADER = ("As of", "Project ID", "Phase", "Overall RAG", "% Complete",
                         "Actual Cost", "Earned Value", "Planned Value", "Forecast Finish")
LEGACY_HISTORY_FIELDS = ("as_of", "project_id", "phase", "overall_rag", "percent_complete",
                         "ac", "ev", "pv", "finish")
# Each sheet of the standard keeps its snapshot rows on "History <sheet>" (History Projects,
# History Milestones, ...): the table `pmo-xl history export` writes, as_of first.
SNAPSHOT_SHEET_PREFIX = "History "
# The RAG trend the Dashboard's chart shows: one row per roll-up, the latest at the bottom.
TREND_COLUMN = 10  # 0-based: column K of History
TREND_HEADER = ("Roll-up of", "Green", "Amber", "Red", "Unset")
TREND_ROWS = 24  # the latest 24 roll-ups


def snapshot_sheet(sheet: str) -> str:
    """The sheet that keeps a standard sheet's snapshot rows (Excel allows 31 characters)."""
    return (SNAPSHOT_SHEET_PREFIX + sheet)[:31]


def is_snapshot_sheet(name: str) -> bool:
    return name.casefold().startswith(SNAPSHOT_SHEET_PREFIX.casefold())


def is_output_sheet(name: str) -> bool:
    """A sheet the buttons write (Validation, History and its History <sheet> sheets, Changes,
    Lessons Finder, the highlight sheets): never a register's data, so readers may pass it
    by."""
    folded = name.casefold()
    return (folded in {VALIDATION.casefold(), HISTORY.casefold(), CHANGES.casefold(),
                       LESSONS_FINDER.casefold()}
            or is_snapshot_sheet(name)
            or any(folded == highlight_sheet(s).casefold() for s in HIGHLIGHTED_SHEETS))
