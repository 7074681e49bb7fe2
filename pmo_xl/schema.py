"""The default register standard, declared once.

Every sheet, column, type, vocabulary and header alias of a PMO register lives here. This is
pmo-xl's *default* standard: an organisation overrides it per register (the workbook's Lists
and Settings sheets, or a profile; see `pmo_xl.standard`), and every other part of pmo-xl takes
the standard in force from there. Nothing else in the package spells out a column name.

A vocabulary is the list of words a dropdown column accepts. Where pmo-xl's figures depend on
what a word means (a phase's stage, a RAG rating, a lesson's type, an action's status, a RAID
item's type or its probability on the 1–5 scale) each word carries a *canonical meaning*: an
organisation may call its phases Scope, Design and Construction, and the roll-up still knows
which projects are active.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from .limits import DEFAULT_MAXIMUM_AMOUNT, MAXIMUM_AMOUNT_CEILING

# The largest time tolerance, a project's own or the Settings' (a hundred years of days).
MAX_TOLERANCE_DAYS = 36_500


class Kind(StrEnum):
    """How a column's cells are read."""

    TEXT = "text"
    ENUM = "enum"
    DATE = "date"
    MONEY = "money"
    PERCENT = "percent"
    INTEGER = "integer"


# Canonical meanings: what pmo-xl's figures understand.
STAGES = ("Initiation", "Planning", "Execution", "Closing", "Closed")
PHASES = STAGES  # the default lifecycle is the canonical one
RAG = ("Green", "Amber", "Red")
LEVELS = ("High", "Medium", "Low")
LESSON_TYPES = ("Went Well", "Improve")
ACTION_STATUSES = ("Open", "In Progress", "Closed")
LESSON_CATEGORIES = (
    "Governance", "Planning", "Scope", "Schedule", "Cost", "Quality", "Resources",
    "Stakeholders", "Communication", "Procurement", "Risk", "Technical", "Other",
)
PRIORITIES = IMPACTS = LEVELS
RAID_TYPES = ("Risk", "Assumption", "Issue", "Dependency", "Decision", "Action")
# Probability and impact of a RAID item on the common 5-point scale: Score = P × I (1–25). An
# organisation that rates Low/Medium/High maps its words to these on the Lists sheet or in a
# profile, as it maps its phases to stages.
RAID_SCALE = ("1", "2", "3", "4", "5")
YES_NO = ("Yes", "No")
DATE_ORDERS = ("auto", "DMY", "MDY")
FALLBACK_DATE_ORDERS = ("DMY", "MDY")
MONEY_UNITS = ("units", "thousands", "millions", "billions")

CLOSED = "Closed"
CLOSING_STAGES = ("Closing", "Closed")
# RAG is commonly typed as its initial in status meetings.
RAG_SHORTHAND = MappingProxyType({"g": "Green", "a": "Amber", "r": "Red"})
# Yes/No as Excel and people also write it: a TRUE/FALSE cell, Y/N.
YES_NO_SPELLINGS = MappingProxyType({"y": "Yes", "n": "No", "true": "Yes", "false": "No"})


def normalise_header(text: object) -> str:
    """Header text reduced for matching: case-, space- and line-break-insensitive."""
    return re.sub(r"\s+", "", str(text)).casefold()


def normalise_word(text: object) -> str:
    """A dropdown value reduced for matching: trimmed, inner spaces collapsed, casefolded."""
    return " ".join(str(text).split()).casefold()


@dataclass(frozen=True)
class Vocabulary:
    """The words a dropdown column accepts, in the organisation's order, and what each means.

    `canonical` lists the meanings pmo-xl's figures understand; `meanings[i]` is the meaning of
    `words[i]` (None: not yet given, which the standard reports). A vocabulary without canonical
    meanings (lesson categories, say) is *open*: each word means itself. `spellings` are further
    accepted spellings (normalised) of words, such as the RAG initials.
    """

    name: str
    words: tuple[str, ...]
    canonical: tuple[str, ...] = ()
    meanings: tuple[str | None, ...] = ()
    spellings: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.meanings:
            object.__setattr__(self, "meanings", self.words)

    @property
    def open(self) -> bool:
        return not self.canonical

    def meaning(self, word: str) -> str | None:
        return self.meanings[self.words.index(word)]

    def lookup(self) -> dict[str, str]:
        """Normalised spelling -> word."""
        found = {normalise_word(word): word for word in self.words}
        for spelling, word in self.spellings.items():
            if word in self.words:  # an organisation's own list may drop a default word
                found.setdefault(spelling, word)
        return found

    def categories(self) -> tuple[str, ...]:
        """Every meaning a value of this vocabulary can have, canonical ones first."""
        extra = tuple(dict.fromkeys(m for m in self.meanings if m and m not in self.canonical))
        return (*self.canonical, *extra)


def _vocabulary(name: str, words: tuple[str, ...], canonical: bool = True,
                **kw: object) -> Vocabulary:
    return Vocabulary(name, words, words if canonical else (), **kw)  # type: ignore[arg-type]


PHASE_VOCABULARY = _vocabulary("Phase", PHASES)
RAG_VOCABULARY = _vocabulary("RAG", RAG, spellings=RAG_SHORTHAND)
PRIORITY_VOCABULARY = _vocabulary("Priority", PRIORITIES)
CATEGORY_VOCABULARY = _vocabulary("Lesson Category", LESSON_CATEGORIES, canonical=False)
LESSON_TYPE_VOCABULARY = _vocabulary("Lesson Type", LESSON_TYPES)
ACTION_STATUS_VOCABULARY = _vocabulary("Action Status", ACTION_STATUSES)
IMPACT_VOCABULARY = _vocabulary("Impact", IMPACTS)
# The RAID log's vocabularies have names of their own (not Impact, Status): a Lists sheet or a
# profile can then give the RAID log other words than the lessons log's.
RAID_TYPE_VOCABULARY = _vocabulary("RAID Type", RAID_TYPES)
RAID_STATUS_VOCABULARY = _vocabulary("RAID Status", ACTION_STATUSES)
PROBABILITY_VOCABULARY = _vocabulary("Probability", RAID_SCALE)
RAID_IMPACT_VOCABULARY = _vocabulary("RAID Impact", RAID_SCALE)
YES_NO_VOCABULARY = _vocabulary("Yes/No", YES_NO, spellings=YES_NO_SPELLINGS)
VOCABULARIES: tuple[Vocabulary, ...] = (
    PHASE_VOCABULARY, RAG_VOCABULARY, PRIORITY_VOCABULARY, CATEGORY_VOCABULARY,
    LESSON_TYPE_VOCABULARY, ACTION_STATUS_VOCABULARY, IMPACT_VOCABULARY, RAID_TYPE_VOCABULARY,
    RAID_STATUS_VOCABULARY, PROBABILITY_VOCABULARY, RAID_IMPACT_VOCABULARY, YES_NO_VOCABULARY)


@dataclass(frozen=True)
class Column:
    """One column of a register sheet, as the standard in force declares it.

    `tracked=False`: the organisation does not keep this column (no finding when it is absent;
    figures that need it are null). `optional`: a column a register need not keep at all (a
    per-project override of a setting, text for a report that has a placeholder): its absence
    is not reported as "not tracked". `references`: the sheet whose ID this column must match
    (a child sheet's link to its parent). `period_end`: a month or quarter typed in this date
    column means its last day (finish and due dates), else its first.
    """

    name: str
    key: str
    kind: Kind
    required: bool = False
    vocabulary: Vocabulary | None = None
    aliases: tuple[str, ...] = ()
    unique: bool = False
    references: str = ""
    period_end: bool = False
    tracked: bool = True
    optional: bool = False
    hint: str = ""
    width: int = 14
    maximum: int | None = None  # a whole-number column's largest usable value (0 the least)

    @property
    def allowed(self) -> tuple[str, ...]:
        return self.vocabulary.words if self.vocabulary else ()

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
    """One data sheet of the register: its name, Excel Table name and columns.

    `key_columns` are the columns without which the sheet cannot be read at all; every other
    missing column is a finding. `group` is the name under which a project's rows of a child
    sheet appear in its report (`lessons`, `milestones`). `rows_are` says what its rows are
    in a sentence ("RAID items"; default: the sheet's name in lower case).
    """

    name: str
    table: str
    columns: tuple[Column, ...]
    key_columns: tuple[str, ...]
    required: bool = False
    description: str = ""
    group: str = ""
    rows_are: str = ""

    @property
    def row_words(self) -> str:
        """What the sheet's rows are, for sentences such as "40 projects, 223 RAID items"."""
        return self.rows_are or self.name.lower()

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)

    def has_column(self, key: str) -> bool:
        return any(col.key == key for col in self.columns)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.columns)

    @property
    def parent(self) -> str:
        """The sheet this one's rows belong to ('' for the root sheet)."""
        return next((c.references for c in self.columns if c.references), "")

    def header_lookup(self) -> dict[str, str]:
        """Normalised header spelling -> column key."""
        return {spelling: col.key for col in self.columns for spelling in col.spellings()}


def _text(name: str, key: str, **kw: object) -> Column:
    return Column(name, key, Kind.TEXT, **kw)  # type: ignore[arg-type]


def _enum(name: str, key: str, vocabulary: Vocabulary, **kw: object) -> Column:
    return Column(name, key, Kind.ENUM, vocabulary=vocabulary, **kw)  # type: ignore[arg-type]


def _rag(name: str, key: str, **kw: object) -> Column:
    return _enum(name, key, RAG_VOCABULARY, width=11, **kw)


def _date(name: str, key: str, **kw: object) -> Column:
    return Column(name, key, Kind.DATE, width=12, **kw)  # type: ignore[arg-type]


def _money(name: str, key: str, **kw: object) -> Column:
    return Column(name, key, Kind.MONEY, **kw)  # type: ignore[arg-type]


PROJECTS = SheetSchema(
    name="Projects",
    table="tblProjects",
    required=True,
    key_columns=("project_id", "project_name"),
    description="The project register: one row per project.",
    columns=(
        _text("Project ID", "project_id", required=True, unique=True,
              aliases=("ID", "Unique ID", "Ref", "Ref No", "Project No", "Project Number",
                       "Project Ref", "Project Code", "Reference", "Reference No"),
              hint="Unique reference, e.g. PRJ-001.", width=12),
        _text("Project Name", "project_name", required=True,
              aliases=("Name", "Project", "Project Title"), width=34),
        _text("Programme", "programme", aliases=("Program", "Portfolio"), width=22),
        _text("Business Unit", "business_unit", aliases=("BU", "Department", "Division"),
              width=18),
        _text("Sponsor", "sponsor", required=True,
              aliases=("Project Sponsor", "SRO", "Senior Responsible Owner", "Executive"),
              width=18),
        _text("Project Manager", "project_manager", required=True,
              aliases=("PM", "Manager", "Project Lead"), width=18),
        _enum("Phase", "phase", PHASE_VOCABULARY, required=True,
              aliases=("Stage", "Lifecycle Stage", "Project Phase", "Project Stage"), width=12),
        _rag("Overall RAG", "overall_rag", required=True,
             aliases=("RAG", "Status RAG", "Overall Status", "RAG Status", "Overall Rating",
                      "DCA", "Delivery Confidence"),
             hint="The overall rating; required unless the project is Closed."),
        _rag("Schedule RAG", "schedule_rag", aliases=("Time RAG", "Schedule Status")),
        _rag("Cost RAG", "cost_rag", aliases=("Budget RAG", "Cost Status", "Finance RAG")),
        _enum("Priority", "priority", PRIORITY_VOCABULARY, width=10),
        _date("Start Date", "start_date", required=True,
              aliases=("Start", "Planned Start", "Start Date Baseline")),
        _date("Baseline Finish", "baseline_finish", required=True, period_end=True,
              aliases=("Baseline End", "Planned Finish", "Baseline Finish Date",
                       "Planned End", "Planned End Date", "Baseline Completion"),
              hint="The approved finish date; on or after Start Date."),
        _date("Forecast Finish", "forecast_finish", period_end=True,
              aliases=("Forecast End", "Forecast Finish Date", "Forecast Completion",
                       "Estimated Completion Date", "Expected Finish"),
              hint="The PM's current finish forecast; blank means on baseline."),
        _date("Actual Finish", "actual_finish", period_end=True,
              aliases=("Actual End", "Actual Finish Date", "Completion Date",
                       "Actual Completion"),
              hint="Required once the project is Closed."),
        _money("Budget", "budget", required=True,
               aliases=("BAC", "Budget at Completion", "Approved Budget", "Total Budget",
                        "Baseline Budget", "Whole Life Cost"),
               hint="Budget at completion (BAC)."),
        _money("Actual Cost", "actual_cost",
               aliases=("AC", "Actuals", "Spend to Date", "Actual Cost to Date", "Spend",
                        "Actual Spend"),
               hint="Cost incurred to date; blank means 0."),
        _money("Forecast Cost", "forecast_cost",
               aliases=("EAC", "Estimate at Completion", "Forecast at Completion",
                        "Forecast Total Cost"),
               hint="The PM's estimate at completion; optional."),
        Column("Percent Complete", "percent_complete", Kind.PERCENT, required=True,
               aliases=("% Complete", "Pct Complete", "Percent Done", "% Done", "Progress",
                        "Complete %", "Completion %"),
               hint="Work done as a percentage: 45% or 0.45.", width=11),
        _date("Status Date", "status_date",
              aliases=("Last Update", "Last Updated", "Status As Of", "Report Date",
                       "Status Updated"),
              hint="Date of the last status update."),
        _text("Status Summary", "status_summary",
              aliases=("Summary", "Status Comment", "Commentary", "Status Commentary"),
              width=40),
        _text("Key Risks", "key_risks", aliases=("Risks",), width=32),
        _text("Next Steps", "next_steps", width=32),
        Column("Time Tolerance Days", "time_tolerance_days", Kind.INTEGER, optional=True,
               aliases=("Time Tolerance", "Schedule Tolerance", "Schedule Tolerance Days"),
               hint="This project's time tolerance in days after the baseline finish (0 to "
                    "36,500); blank: Settings' Time Tolerance Days.", width=11,
               maximum=MAX_TOLERANCE_DAYS),
        Column("Cost Tolerance %", "cost_tolerance", Kind.PERCENT, optional=True,
               aliases=("Cost Tolerance", "Budget Tolerance", "Budget Tolerance %"),
               hint="This project's cost tolerance as a percentage of its budget (up to "
                    "100 %); blank: Settings' Cost Tolerance %.", width=11),
        _text("Exception Options", "exception_options", optional=True,
              hint="For an exception report: the options the project manager sees.", width=32),
        _text("Exception Recommendation", "exception_recommendation", optional=True,
              hint="For an exception report: the option the project manager recommends.",
              width=32),
    ),
)

LESSONS = SheetSchema(
    name="Lessons",
    table="tblLessons",
    key_columns=("project_id", "lesson"),
    group="lessons",
    description="The lessons-learned log: one row per lesson.",
    columns=(
        _text("Lesson ID", "lesson_id", required=True, unique=True, width=12),
        _text("Project ID", "project_id", required=True, references="Projects",
              hint="Must match a Project ID on the Projects sheet.", width=12),
        _date("Date Logged", "date_logged", required=True, aliases=("Logged", "Date")),
        _enum("Category", "category", CATEGORY_VOCABULARY, required=True,
              aliases=("Lesson Category",), width=15),
        _enum("Type", "type", LESSON_TYPE_VOCABULARY, required=True, aliases=("Lesson Type",),
              hint="Went Well or Improve.", width=11),
        _text("Lesson", "lesson", required=True, aliases=("Title", "Lesson Title"), width=40),
        _text("Description", "description", aliases=("Details",), width=40),
        _text("Recommendation", "recommendation", aliases=("Recommendations",), width=40),
        _text("Owner", "owner", aliases=("Action Owner",), width=18),
        _enum("Action Status", "action_status", ACTION_STATUS_VOCABULARY,
              aliases=("Status",), width=13),
        _enum("Impact", "impact", IMPACT_VOCABULARY, width=10),
    ),
)

MILESTONES = SheetSchema(
    name="Milestones",
    table="tblMilestones",
    key_columns=("project_id", "milestone"),
    group="milestones",
    description="Key milestones: one row per milestone.",
    columns=(
        _text("Project ID", "project_id", required=True, references="Projects", width=12),
        _text("Milestone", "milestone", required=True, aliases=("Milestone Name",), width=34),
        _date("Baseline Date", "baseline_date", required=True, period_end=True,
              aliases=("Baseline", "Planned Date")),
        _date("Forecast Date", "forecast_date", period_end=True, aliases=("Forecast",)),
        _date("Actual Date", "actual_date", period_end=True, aliases=("Actual",)),
    ),
)

RAID = SheetSchema(
    name="RAID",
    table="tblRAID",
    key_columns=("project_id", "title"),
    group="raid",
    rows_are="RAID items",
    description="The RAID log: one row per risk, assumption, issue, dependency, decision or "
                "action.",
    # No alias here is a header that commonly sits beside the column's own name in a RAID log
    # (a risk "Category" beside "Type", "Score" beside "Impact"): two headers for one column
    # refuse the sheet.
    columns=(
        _text("RAID ID", "raid_id", required=True, unique=True,
              aliases=("ID", "RAID Ref", "RAID No", "Ref", "Reference", "Item ID", "Risk ID",
                       "Log ID"), width=11),
        _text("Project ID", "project_id", required=True, references="Projects",
              aliases=("Project Ref", "Project Code", "Project No"),
              hint="Must match a Project ID on the Projects sheet.", width=12),
        _enum("Type", "type", RAID_TYPE_VOCABULARY, required=True,
              aliases=("RAID Type", "Item Type", "Log Type", "Entry Type"),
              hint="Risk, Assumption, Issue, Dependency, Decision or Action.", width=12),
        _text("Title", "title", required=True,
              aliases=("Item", "Headline", "Short Description", "Risk Title"), width=34),
        _text("Description", "description", aliases=("Details", "Detail"), width=40),
        _text("Owner", "owner", aliases=("Item Owner", "Risk Owner", "Action Owner",
                                         "Assigned To", "Responsible"), width=18),
        _date("Raised", "raised", required=True,
              aliases=("Date Raised", "Raised On", "Date Logged", "Date Identified",
                       "Identified", "Opened")),
        _date("Due Date", "due_date", period_end=True, aliases=("Due", "Due By", "Target Date"),
              hint="When an action (or a decision without Decision Needed By) is due."),
        _enum("Status", "status", RAID_STATUS_VOCABULARY,
              aliases=("Item Status", "RAID Status"), width=12,
              hint="Blank means open, unless Closed On is given."),
        _enum("Probability", "probability", PROBABILITY_VOCABULARY,
              aliases=("Likelihood", "Prob"), width=11, hint="1–5, for risks and issues."),
        _enum("Impact", "impact", RAID_IMPACT_VOCABULARY, aliases=("Consequence", "Severity"),
              width=9, hint="1–5, for risks and issues; Score = Probability × Impact."),
        _text("Response / Mitigation", "response",
              aliases=("Response", "Mitigation", "Mitigation / Response", "Mitigation Plan",
                       "Risk Response"), width=40),
        _text("Depends On", "depends_on", references="Projects",
              aliases=("Depends On Project", "Dependency On", "Dependent On"),
              hint="For a dependency: the Project ID it waits for.", width=12),
        _text("Depends On Milestone", "depends_on_milestone",
              aliases=("Needed Milestone", "Dependency Milestone"),
              hint="Optional: the milestone of that project it waits for.", width=24),
        _date("Needed By", "needed_by", period_end=True,
              aliases=("Need By", "Required By", "Needed By Date"),
              hint="When the dependency must be delivered."),
        _enum("Escalate", "escalate", YES_NO_VOCABULARY,
              aliases=("Escalated", "Escalation", "Escalate?"), width=9),
        _date("Decision Needed By", "decision_needed_by", period_end=True,
              aliases=("Decision Due", "Decision By", "Decision Required By")),
        _date("Decided On", "decided_on", aliases=("Decision Date", "Date Decided")),
        _text("Decision", "decision", aliases=("Decision Made", "Outcome"), width=32),
        _date("Closed On", "closed_on", aliases=("Date Closed", "Closed Date", "Closure Date"),
              hint="Required once the item is Closed."),
    ),
)

SHEETS: tuple[SheetSchema, ...] = (PROJECTS, LESSONS, MILESTONES, RAID)


@dataclass(frozen=True)
class Setting:
    """One row of the Settings sheet (Setting | Value)."""

    name: str
    key: str
    kind: Kind
    default: object
    allowed: tuple[str, ...] = ()
    hint: str = ""
    maximum: int | None = None  # an integer setting's largest usable value


SETTINGS_SHEET = "Settings"
SETTINGS: tuple[Setting, ...] = (
    Setting("Organisation", "organisation", Kind.TEXT, "",
            hint="Shown on reports."),
    Setting("Report Date", "report_date", Kind.DATE, None,
            hint="The as-of date of the roll-up and reports; blank means today."),
    Setting("Currency", "currency", Kind.TEXT, "",
            hint="ISO 4217 code of the register's money, e.g. EUR, GBP, USD; an amount in "
                 "another currency is an error. Blank: the currency the amounts are written "
                 "in (EUR when none is)."),
    Setting("Money Unit", "money_unit", Kind.ENUM, "units", allowed=MONEY_UNITS,
            hint="What a plain number in a money column counts: units, thousands, millions or "
                 "billions. A header that states its unit, e.g. 'Budget (£m)', wins for its "
                 "column."),
    Setting("Maximum Amount", "maximum_amount", Kind.INTEGER, DEFAULT_MAXIMUM_AMOUNT,
            maximum=MAXIMUM_AMOUNT_CEILING,
            hint="The largest plausible amount, in units of the currency: an amount above it "
                 "(a typo, or a damaged cell such as 1E+308) is an error and no figure uses "
                 f"it. At most {MAXIMUM_AMOUNT_CEILING:,}."),
    Setting("Stale After Days", "stale_after_days", Kind.INTEGER, 30, maximum=36_500,
            hint="A status update older than this many days is stale."),
    Setting("High Risk Score", "high_risk_score", Kind.INTEGER, 15, maximum=25,
            hint="An open risk whose Score (Probability × Impact, 1–25) is at least this needs "
                 "an owner and a response."),
    Setting("Issue Age Days", "issue_age_days", Kind.INTEGER, 30, maximum=36_500,
            hint="An open issue raised more than this many days ago should be escalated."),
    Setting("Date Order", "date_order", Kind.ENUM, "auto", allowed=DATE_ORDERS,
            hint="How to read text dates such as 03/04/2026: auto decides each column from "
                 "its unambiguous dates; DMY or MDY reads every column that way."),
    Setting("Ambiguous Date Order", "fallback_date_order", Kind.ENUM, "DMY",
            allowed=FALLBACK_DATE_ORDERS,
            hint="With Date Order auto: how to read a column whose dates could be read "
                 "either way (every day and month 12 or less)."),
    Setting("Earliest Year", "earliest_year", Kind.INTEGER, 1990, maximum=9999,
            hint="A date before this year is implausible (a typo such as 1905): a warning, "
                 "and no figure uses it."),
    Setting("Latest Year", "latest_year", Kind.INTEGER, 2100, maximum=9999,
            hint="A date after this year is implausible: a warning, and no figure uses it."),
    Setting("Report Formats", "report_formats", Kind.TEXT, "HTML, PDF",
            hint="Formats of the status reports: HTML, PDF, or both separated by a comma."),
    Setting("Output Folder", "output_folder", Kind.TEXT, "Reports",
            hint="Where reports are saved; a relative folder is taken from the workbook's "
                 "folder."),
    Setting("Logo", "logo", Kind.TEXT, "",
            hint="Optional image for the reports (PNG, JPEG or SVG file), relative to the "
                 "register's folder."),
    Setting("Time Tolerance Days", "time_tolerance_days", Kind.INTEGER, 30,
            maximum=MAX_TOLERANCE_DAYS,
            hint="How many days after its baseline finish a project may finish before it is an "
                 "exception (a project's own Time Tolerance Days wins)."),
    Setting("Cost Tolerance %", "cost_tolerance", Kind.PERCENT, 0.10,
            hint="How far over its budget a project's forecast cost may go before it is an "
                 "exception, as a percentage (a project's own Cost Tolerance % wins)."),
    Setting("Tolerance At Risk %", "tolerance_at_risk", Kind.PERCENT, 0.75,
            hint="A project forecast to use more than this share of a tolerance is at risk."),
    Setting("Scope Tolerance", "scope_tolerance", Kind.TEXT, "",
            hint="Optional: the scope tolerance in words, shown on highlight and exception "
                 "reports."),
    Setting("Templates Folder", "templates_folder", Kind.TEXT, "",
            hint="Optional folder of your own report templates, inside the register's folder: "
                 "each file wins over the bundled one of the same name (pmo-xl report "
                 "--templates wins over this setting)."),
    Setting("Report Kinds", "report_kinds", Kind.TEXT, "status, portfolio",
            hint="The reports the Generate buttons write, separated by commas: status, "
                 "highlight, exception (only for projects forecast to exceed or exceeding a "
                 "tolerance), portfolio (Generate report writes its project's alone)."),
)


def sheet_schema(name: str) -> SheetSchema:
    """The default schema of a data sheet by its (case-insensitive) name."""
    for sheet in SHEETS:
        if sheet.name.casefold() == name.casefold():
            return sheet
    raise KeyError(name)
