"""The validation rules, each declared once with its id, severity and meaning.

A rule is data: validation looks rules up by id when it raises a finding, and the README's rule
table is generated from this list (`python -m pmo_xl.docs`), so the documentation cannot drift
from what the code checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# CPI or SPI below this is the common early-warning threshold in earned value management.
PERFORMANCE_TOLERANCE = 0.9


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"  # what the user should know about how the register was read


@dataclass(frozen=True)
class Rule:
    """One kind of finding: what it checks, how serious it is, and an example message."""

    id: str
    severity: Severity
    title: str
    description: str
    example: str


_E, _W, _I = Severity.ERROR, Severity.WARNING, Severity.INFO

RULES: tuple[Rule, ...] = (
    Rule("missing-column", _E, "Missing column",
         "A column the standard requires is not in the register (one finding per column, "
         "at the header row). Add it, map it to the register's own header in a profile, or "
         "declare it not tracked; figures that need it are null until then.",
         "the Sponsor column is missing: the standard requires it"),
    Rule("sheet-not-read", _E, "Sheet not read",
         "A lessons or milestones sheet lacks a column it cannot be read without (its "
         "Project ID or title), so none of its rows were read.",
         "sheet 'Lessons' has no Project ID column: the sheet was not read"),
    Rule("required", _E, "Missing required value",
         "A required column is blank (whitespace only counts as blank). Overall RAG is "
         "required unless the project is Closed.",
         "Sponsor is required"),
    Rule("duplicate-id", _E, "Duplicate ID",
         "Project IDs and Lesson IDs must be unique (trimmed, case-insensitive); each later "
         "occurrence is flagged.",
         "Project ID 'PRJ-007' is already used in row 9"),
    Rule("not-allowed", _E, "Value not in the vocabulary",
         "A dropdown column holds a word outside its vocabulary (the organisation's words "
         "from the Lists sheet or a profile; matching ignores case and surrounding spaces; "
         "RAG also accepts G, A, R). No figure counts it.",
         "Phase 'Delivery' is not one of Initiation, Planning, Execution, Closing, Closed"),
    Rule("bad-date", _E, "Unreadable date",
         "A date column holds something that is not a date cell, an Excel date number, or "
         "a text date such as 2026-03-31, 2026-03-31T09:00Z, 31-Mar-2026, 31/03/2026 or "
         "3/31/2026 5:00 PM (day and month order by Date Order).",
         "Start Date 'next spring' is not a date"),
    Rule("bad-money", _E, "Unreadable amount",
         "A money column holds something that is not a number or an amount such as "
         "€1,250,000, 1.250.000,00, 1,2 Mio or 3.5m.",
         "Budget 'twelve thousand' is not a number"),
    Rule("negative-money", _E, "Negative amount",
         "Budget, Actual Cost and Forecast Cost cannot be negative; no figure uses a "
         "negative amount.",
         "Actual Cost -5,000 is negative"),
    Rule("implausible-amount", _E, "Amount above the Maximum Amount",
         "An amount is larger than any the register can hold: above Maximum Amount "
         "(Settings, default a trillion), e.g. a typo or a damaged cell such as 1E+308. No "
         "figure uses it.",
         "Budget 1e+308 is above the Maximum Amount (1,000,000,000,000): no figure uses it"),
    Rule("other-currency", _E, "Amount in another currency",
         "An amount (or a money column's header) names a currency other than the "
         "register's (Currency setting, else the currency its amounts are written in); it "
         "is never summed with the rest.",
         "Budget '$1,200,000' is not in GBP: it is not summed"),
    Rule("bad-percent", _E, "Unreadable percentage",
         "Percent Complete is not a number or a percentage such as 45%.",
         "Percent Complete 'half' is not a percentage"),
    Rule("percent-range", _E, "Percentage outside 0–100 %",
         "Percent Complete must lie between 0 % and 100 %.",
         "Percent Complete 150% is outside 0–100 %"),
    Rule("bad-number", _E, "Unreadable whole number",
         "A whole-number column (Time Tolerance Days) holds something that is not a whole "
         "number; the project falls back on the Settings' tolerance.",
         "Time Tolerance Days '2.5' is not a whole number"),
    Rule("number-range", _E, "Whole number out of range",
         "A whole-number column holds a number outside its range (Time Tolerance Days: 0 "
         "to 36,500); no figure uses it, and the project falls back on the Settings' "
         "tolerance.",
         "Time Tolerance Days -5 is outside 0–36,500: no figure uses it"),
    Rule("finish-before-start", _E, "Finish before start",
         "Baseline Finish, Forecast Finish and Actual Finish cannot be before Start Date.",
         "Baseline Finish 2026-01-31 is before Start Date 2026-03-01"),
    Rule("closed-without-finish", _E, "Closed without Actual Finish",
         "A project in phase Closed must record its Actual Finish.",
         "Phase is Closed but Actual Finish is blank"),
    Rule("unknown-project", _E, "Unknown Project ID",
         "A lesson, milestone or RAID item names a Project ID that is not on the Projects "
         "sheet, or a RAID dependency's Depends On does.",
         "Project ID 'PRJ-999' is not on the Projects sheet"),
    Rule("closed-without-date", _E, "Closed without Closed On",
         "A RAID item whose Status is Closed must record its Closed On date.",
         "Status is Closed but Closed On is blank"),
    Rule("bad-setting", _E, "Unusable setting",
         "A Settings value cannot be used; its default applies until it is fixed.",
         "Stale After Days 'monthly' is not a whole number"),
    Rule("bad-standard", _E, "Unusable entry on the Lists sheet",
         "A word on the Lists sheet has no usable meaning (a phase needs its stage, a "
         "rating its Green, Amber or Red); values with that word count as unset.",
         "Phase 'Design' has no meaning: give it one of Initiation, Planning, Execution, "
         "Closing, Closed in 'Phase means'"),
    Rule("stale-status", _W, "Stale status",
         "An active project's Status Date is older than Stale After Days (Settings, default "
         "30) on the as-of date, or missing.",
         "Status Date 2026-08-14 is 47 days old (updates are due every 30 days)"),
    Rule("rag-integrity", _W, "Green despite the numbers",
         f"Overall RAG is Green on an active project while CPI or SPI is below "
         f"{PERFORMANCE_TOLERANCE} or the finish has slipped past the baseline.",
         "Overall RAG is Green but SPI is 0.72"),
    Rule("tolerance-not-red", _W, "Beyond tolerance but not Red",
         "An active project is forecast to exceed (or has exceeded) its time or cost "
         "tolerance while its Overall RAG is not Red: the board should hear of it by "
         "exception (see Management by exception).",
         "Overall RAG is Amber but cost is forecast to exceed its tolerance (+13.1% on the "
         "budget, tolerance 10%)"),
    Rule("red-within-tolerance", _W, "Red within every tolerance",
         "An active project is Red while its time and cost are within tolerance: the rating "
         "says more than the data; ask the project manager why (a risk, scope, quality?).",
         "Overall RAG is Red but time and cost are within tolerance"),
    Rule("complete-not-closing", _W, "100 % complete but not closing",
         "Percent Complete is 100 % while the phase is still before Closing.",
         "Percent Complete is 100 % but Phase is Execution"),
    Rule("rag-without-summary", _W, "Amber/Red without explanation",
         "An Amber or Red project has no Status Summary saying why.",
         "Overall RAG is Red but Status Summary is blank"),
    Rule("improve-without-recommendation", _W, "Improvement without recommendation",
         "A lesson of type Improve has no Recommendation.",
         "Lesson of type Improve has no Recommendation"),
    Rule("logged-in-future", _W, "Lesson dated in the future",
         "Date Logged is after the as-of date.",
         "Date Logged 2026-12-01 is after the as-of date 2026-09-30"),
    Rule("high-risk-without-owner", _W, "High risk without an owner",
         "An open risk's Score (Probability × Impact) is at least High Risk Score (Settings, "
         "default 15) and it has no Owner.",
         "Risk scores 20 (4 × 5; High Risk Score 15) but has no Owner"),
    Rule("high-risk-without-response", _W, "High risk without a response",
         "An open risk's Score is at least High Risk Score and it has no Response / "
         "Mitigation.",
         "Risk scores 16 (4 × 4; High Risk Score 15) but has no Response / Mitigation"),
    Rule("raid-overdue", _W, "Action or decision overdue",
         "An open action is past its Due Date, or an open decision not yet decided (no "
         "Decided On) is past its Decision Needed By (else its Due Date), on the as-of date.",
         "Action was due 2026-09-15 and is still Open: 15 days overdue"),
    Rule("issue-not-escalated", _W, "Old issue not escalated",
         "An open issue was raised more than Issue Age Days (Settings, default 30) before "
         "the as-of date and Escalate is not Yes.",
         "Issue raised 2026-06-01 is 121 days old (Issue Age Days 30) but is not escalated"),
    Rule("dependency-at-risk", _W, "Dependency at risk",
         "An open dependency waits for a project (Depends On) that forecasts the needed "
         "milestone (Depends On Milestone: actual, else forecast, else baseline date) or, "
         "without one, its finish after Needed By; or that is Red; or that is Closed without "
         "having delivered (the milestone not reached, or without a milestone below 100 % "
         "complete).",
         "Depends On PRJ-004 forecasts its milestone on 2026-11-30, after Needed By "
         "2026-10-31"),
    Rule("unknown-milestone", _W, "Milestone not found",
         "A dependency's Depends On Milestone is not a milestone of its Depends On project "
         "on the Milestones sheet; the project's finish is used instead.",
         "Depends On Milestone 'Go live' is not a milestone of PRJ-004: its finish is used"),
    Rule("assumption-open-at-close", _W, "Assumption open at closure",
         "An assumption is still open on a project in phase Closing or Closed: confirm it "
         "or close it.",
         "Assumption is still open but its project is Closing"),
    Rule("implausible-date", _W, "Implausible date",
         "A date's year lies outside Earliest Year – Latest Year (Settings, default "
         "1990–2100), e.g. a typo such as 1905: no figure (slip, PV, staleness) uses it.",
         "Forecast Finish 1905-07-14 is implausible (outside 1990–2100): no figure uses it"),
    Rule("approximate-date", _W, "Month or quarter instead of a date",
         "A date was given as a month or quarter (Mar-2025, March 2025, Q3 2026) and read as "
         "its first day (start dates) or its last day (finish and due dates).",
         "Baseline Finish 'Q3 2026' was read as 2026-09-30, the last day of the quarter"),
    Rule("date-order", _W, "Date against the column's day/month order",
         "With Date Order auto, a column is read day-first or month-first by its "
         "unambiguous dates; a date that can only be read the other way is read that way "
         "and flagged, since the column mixes both orders.",
         "Start Date '28/06/2024' can only be read day-first, unlike the rest of its "
         "column (month-first)"),
    Rule("money-unit", _W, "Money unit taken from the header",
         "A money column's header states its unit, e.g. 'Budget (£m)' or 'Cost_kEUR': its "
         "plain numbers are multiplied accordingly (the header wins over Money Unit).",
         "Budget is read in millions: its header 'Budget (£m)' says so"),
    Rule("percent-as-points", _W, "Percent read as points",
         "Percent Complete was given as a number between 1 and 100 (e.g. 45) and was read "
         "as that many percent; enter 45% or 0.45 to be explicit.",
         "Percent Complete 45 was read as 45 %"),
    Rule("fuzzy-header", _I, "Header matched approximately",
         "A header was taken for a pmo-xl column by a confident, unique close match (e.g. "
         "'Projet Name'); map it in a profile to make it certain.",
         "header 'Projet Name' was read as Project Name (a close match, 91 %)"),
    Rule("sheet-chosen", _I, "Projects sheet found by its content",
         "No sheet is named Projects, so the sheet whose header names the most project "
         "columns was read (name it with --sheet or in a profile to be sure).",
         "no sheet is named Projects: read sheet 'Register' as the project register"),
    Rule("totals-row", _I, "Totals rows left out",
         "Rows that total the rows above (an Excel Table's totals row, or a row with no ID "
         "whose first text says Total, Grand Total, Subtotal or Sum) are not read as records.",
         "not read as projects: row 48 ('Total') totals the rows above"),
    Rule("hidden-rows", _I, "Hidden rows were read",
         "Rows hidden or filtered out in Excel are read like any other and count in every "
         "figure; this lists them so that the totals are no surprise.",
         "3 hidden or filtered-out rows were read and count in every figure: rows 5, 9–10"),
    Rule("file-note", _I, "File read by its content",
         "The file's content is not what its extension says (e.g. an .xlsx workbook named "
         ".xls); it was read by its content.",
         "Register.xls is an .xlsx workbook named .xls; read as .xlsx"),
)

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}


def rule(rule_id: str) -> Rule:
    return RULES_BY_ID[rule_id]
