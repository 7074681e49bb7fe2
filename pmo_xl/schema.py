"""The register contract, declared once.

Every sheet, column, type, allowed value and header alias of a PMO register lives here. The
reader maps headers with it, parsing and validation check values against it, the workbook
builder lays out tables and dropdowns from it, and the README's column reference is generated
from it. Nothing else in the package spells out a column name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    """How a column's cells are read."""

    TEXT = "text"
    ENUM = "enum"
    DATE = "date"
    MONEY = "money"
    PERCENT = "percent"
    INTEGER = "integer"


PHASES = ("Initiation", "Planning", "Execution", "Closing", "Closed")
RAG = ("Green", "Amber", "Red")
PRIORITIES = ("High", "Medium", "Low")
LESSON_CATEGORIES = (
    "Governance", "Planning", "Scope", "Schedule", "Cost", "Quality", "Resources",
    "Stakeholders", "Communication", "Procurement", "Risk", "Technical", "Other",
)
LESSON_TYPES = ("Went Well", "Improve")
ACTION_STATUSES = ("Open", "In Progress", "Closed")
IMPACTS = ("High", "Medium", "Low")
DATE_ORDERS = ("DMY", "MDY")

CLOSED = "Closed"
# RAG is commonly typed as its initial in status meetings.
RAG_SHORTHAND = {"g": "Green", "a": "Amber", "r": "Red"}


def normalise_header(text: object) -> str:
    """Header text reduced for matching: case-, space- and line-break-insensitive."""
    return re.sub(r"\s+", "", str(text)).casefold()


@dataclass(frozen=True)
class Column:
    """One column of a register sheet."""

    name: str
    key: str
    kind: Kind
    required: bool = False
    allowed: tuple[str, ...] = ()
    shorthand: dict[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    unique: bool = False
    hint: str = ""
    width: int = 14

    def spellings(self) -> tuple[str, ...]:
        """Every header text that maps to this column, normalised."""
        return tuple(normalise_header(h) for h in (self.name, *self.aliases))

    @property
    def type_label(self) -> str:
        if self.kind is Kind.ENUM:
            return ", ".join(self.allowed)
        return {"money": "money ≥ 0", "percent": "0–100 %"}.get(self.kind.value, self.kind.value)


@dataclass(frozen=True)
class SheetSchema:
    """One data sheet of the register: its name, Excel Table name and columns."""

    name: str
    table: str
    columns: tuple[Column, ...]
    required: bool = False
    description: str = ""

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.columns)

    def header_lookup(self) -> dict[str, str]:
        """Normalised header spelling -> column key."""
        return {spelling: col.key for col in self.columns for spelling in col.spellings()}


def _text(name: str, key: str, **kw: object) -> Column:
    return Column(name, key, Kind.TEXT, **kw)  # type: ignore[arg-type]


def _enum(name: str, key: str, allowed: tuple[str, ...], **kw: object) -> Column:
    return Column(name, key, Kind.ENUM, allowed=allowed, **kw)  # type: ignore[arg-type]


def _rag(name: str, key: str, **kw: object) -> Column:
    return _enum(name, key, RAG, shorthand=RAG_SHORTHAND, width=11, **kw)


PROJECTS = SheetSchema(
    name="Projects",
    table="tblProjects",
    required=True,
    description="The project register: one row per project.",
    columns=(
        _text("Project ID", "project_id", required=True, unique=True, aliases=("ID",),
              hint="Unique reference, e.g. PRJ-001.", width=12),
        _text("Project Name", "project_name", required=True,
              aliases=("Name", "Project", "Project Title"), width=34),
        _text("Programme", "programme", aliases=("Program",), width=22),
        _text("Business Unit", "business_unit", aliases=("BU", "Department"), width=18),
        _text("Sponsor", "sponsor", required=True, aliases=("Project Sponsor",), width=18),
        _text("Project Manager", "project_manager", required=True, aliases=("PM",), width=18),
        _enum("Phase", "phase", PHASES, required=True, aliases=("Stage",),
              hint="Initiation, Planning, Execution, Closing or Closed.", width=12),
        _rag("Overall RAG", "overall_rag", aliases=("RAG", "Status RAG", "Overall Status"),
             hint="Green, Amber or Red; required unless the project is Closed."),
        _rag("Schedule RAG", "schedule_rag"),
        _rag("Cost RAG", "cost_rag", aliases=("Budget RAG",)),
        _enum("Priority", "priority", PRIORITIES, width=10),
        Column("Start Date", "start_date", Kind.DATE, required=True, aliases=("Start",),
               width=12),
        Column("Baseline Finish", "baseline_finish", Kind.DATE, required=True,
               aliases=("Baseline End", "Planned Finish", "Baseline Finish Date"),
               hint="The approved finish date; on or after Start Date.", width=12),
        Column("Forecast Finish", "forecast_finish", Kind.DATE,
               aliases=("Forecast End", "Forecast Finish Date"),
               hint="The PM's current finish forecast; blank means on baseline.", width=12),
        Column("Actual Finish", "actual_finish", Kind.DATE,
               aliases=("Actual End", "Actual Finish Date"),
               hint="Required once the project is Closed.", width=12),
        Column("Budget", "budget", Kind.MONEY, required=True,
               aliases=("BAC", "Budget at Completion", "Approved Budget"),
               hint="Budget at completion (BAC).", width=14),
        Column("Actual Cost", "actual_cost", Kind.MONEY,
               aliases=("AC", "Actuals", "Spend to Date", "Actual Cost to Date"),
               hint="Cost incurred to date; blank means 0.", width=14),
        Column("Forecast Cost", "forecast_cost", Kind.MONEY,
               aliases=("EAC", "Estimate at Completion", "Forecast at Completion"),
               hint="The PM's estimate at completion; optional.", width=14),
        Column("Percent Complete", "percent_complete", Kind.PERCENT, required=True,
               aliases=("% Complete", "Pct Complete", "Percent Done", "% Done", "Progress"),
               hint="Work done as a percentage: 45% or 0.45.", width=11),
        Column("Status Date", "status_date", Kind.DATE,
               aliases=("Last Update", "Last Updated", "Status As Of"),
               hint="Date of the last status update.", width=12),
        _text("Status Summary", "status_summary", aliases=("Summary", "Status Comment"),
              width=40),
        _text("Key Risks", "key_risks", aliases=("Risks",), width=32),
        _text("Next Steps", "next_steps", width=32),
    ),
)

LESSONS = SheetSchema(
    name="Lessons",
    table="tblLessons",
    description="The lessons-learned log: one row per lesson.",
    columns=(
        _text("Lesson ID", "lesson_id", required=True, unique=True, width=12),
        _text("Project ID", "project_id", required=True,
              hint="Must match a Project ID on the Projects sheet.", width=12),
        Column("Date Logged", "date_logged", Kind.DATE, required=True,
               aliases=("Logged", "Date"), width=12),
        _enum("Category", "category", LESSON_CATEGORIES, required=True, width=15),
        _enum("Type", "type", LESSON_TYPES, required=True, aliases=("Lesson Type",),
              hint="Went Well or Improve.", width=11),
        _text("Lesson", "lesson", required=True, aliases=("Title", "Lesson Title"), width=40),
        _text("Description", "description", aliases=("Details",), width=40),
        _text("Recommendation", "recommendation", aliases=("Recommendations",), width=40),
        _text("Owner", "owner", aliases=("Action Owner",), width=18),
        _enum("Action Status", "action_status", ACTION_STATUSES, aliases=("Status",),
              width=13),
        _enum("Impact", "impact", IMPACTS, width=10),
    ),
)

MILESTONES = SheetSchema(
    name="Milestones",
    table="tblMilestones",
    description="Key milestones: one row per milestone.",
    columns=(
        _text("Project ID", "project_id", required=True, width=12),
        _text("Milestone", "milestone", required=True, aliases=("Milestone Name",), width=34),
        Column("Baseline Date", "baseline_date", Kind.DATE, required=True,
               aliases=("Baseline", "Planned Date"), width=12),
        Column("Forecast Date", "forecast_date", Kind.DATE, aliases=("Forecast",), width=12),
        Column("Actual Date", "actual_date", Kind.DATE, aliases=("Actual",), width=12),
    ),
)

SHEETS: tuple[SheetSchema, ...] = (PROJECTS, LESSONS, MILESTONES)


@dataclass(frozen=True)
class Setting:
    """One row of the Settings sheet (Setting | Value)."""

    name: str
    key: str
    kind: Kind
    default: object
    allowed: tuple[str, ...] = ()
    hint: str = ""


SETTINGS_SHEET = "Settings"
SETTINGS: tuple[Setting, ...] = (
    Setting("Organisation", "organisation", Kind.TEXT, "",
            hint="Shown on reports."),
    Setting("Report Date", "report_date", Kind.DATE, None,
            hint="The as-of date of the roll-up and reports; blank means today."),
    Setting("Currency", "currency", Kind.TEXT, "EUR",
            hint="ISO 4217 code used to format money, e.g. EUR, GBP, USD."),
    Setting("Stale After Days", "stale_after_days", Kind.INTEGER, 30,
            hint="A status update older than this many days is stale."),
    Setting("Date Order", "date_order", Kind.ENUM, "DMY", allowed=DATE_ORDERS,
            hint="How to read ambiguous text dates such as 03/04/2026: DMY or MDY."),
    Setting("Report Formats", "report_formats", Kind.TEXT, "HTML, PDF",
            hint="Formats of the status reports: HTML, PDF, or both separated by a comma."),
    Setting("Output Folder", "output_folder", Kind.TEXT, "Reports",
            hint="Where reports are saved; a relative folder is taken from the workbook's "
                 "folder."),
    Setting("Logo", "logo", Kind.TEXT, "",
            hint="Optional image for the reports (PNG, JPEG or SVG file), relative to the "
                 "register's folder."),
)
def sheet_schema(name: str) -> SheetSchema:
    """The schema of a data sheet by its (case-insensitive) name."""
    for sheet in SHEETS:
        if sheet.name.casefold() == name.casefold():
            return sheet
    raise KeyError(name)
