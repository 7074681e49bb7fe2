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


@dataclass(frozen=True)
class Rule:
    """One kind of finding: what it checks, how serious it is, and an example message."""

    id: str
    severity: Severity
    title: str
    description: str
    example: str


_E, _W = Severity.ERROR, Severity.WARNING

RULES: tuple[Rule, ...] = (
    Rule("required", _E, "Missing required value",
         "A required column is blank (whitespace only counts as blank). Overall RAG is "
         "required unless the project is Closed.",
         "Sponsor is required"),
    Rule("duplicate-id", _E, "Duplicate ID",
         "Project IDs and Lesson IDs must be unique (trimmed, case-insensitive); each later "
         "occurrence is flagged.",
         "Project ID 'PRJ-007' is already used in row 9"),
    Rule("not-allowed", _E, "Value not in the allowed list",
         "A dropdown column holds a value outside its list (matching ignores case and "
         "surrounding spaces; RAG also accepts G, A, R).",
         "Phase 'Delivery' is not one of Initiation, Planning, Execution, Closing, Closed"),
    Rule("bad-date", _E, "Unreadable date",
         "A date column holds something that is not a date cell, an Excel date number, or "
         "a text date such as 2026-03-31, 31-Mar-2026 or 31/03/2026 (read by Date Order).",
         "Start Date 'next spring' is not a date"),
    Rule("bad-money", _E, "Unreadable amount",
         "A money column holds something that is not a number or an amount such as "
         "€1,250,000.",
         "Budget 'twelve thousand' is not a number"),
    Rule("negative-money", _E, "Negative amount",
         "Budget, Actual Cost and Forecast Cost cannot be negative.",
         "Actual Cost -5,000 is negative"),
    Rule("bad-percent", _E, "Unreadable percentage",
         "Percent Complete is not a number or a percentage such as 45%.",
         "Percent Complete 'half' is not a percentage"),
    Rule("percent-range", _E, "Percentage outside 0–100 %",
         "Percent Complete must lie between 0 % and 100 %.",
         "Percent Complete 150% is outside 0–100 %"),
    Rule("finish-before-start", _E, "Finish before start",
         "Baseline Finish, Forecast Finish and Actual Finish cannot be before Start Date.",
         "Baseline Finish 2026-01-31 is before Start Date 2026-03-01"),
    Rule("closed-without-finish", _E, "Closed without Actual Finish",
         "A project in phase Closed must record its Actual Finish.",
         "Phase is Closed but Actual Finish is blank"),
    Rule("unknown-project", _E, "Unknown Project ID",
         "A lesson or milestone names a Project ID that is not on the Projects sheet.",
         "Project ID 'PRJ-999' is not on the Projects sheet"),
    Rule("bad-setting", _E, "Unusable setting",
         "A Settings value cannot be used; its default applies until it is fixed.",
         "Stale After Days 'monthly' is not a whole number"),
    Rule("stale-status", _W, "Stale status",
         "An active project's Status Date is older than Stale After Days (Settings, default "
         "30) on the as-of date, or missing.",
         "Status Date 2026-08-14 is 47 days old (updates are due every 30 days)"),
    Rule("rag-integrity", _W, "Green despite the numbers",
         f"Overall RAG is Green on an active project while CPI or SPI is below "
         f"{PERFORMANCE_TOLERANCE} or the finish has slipped past the baseline.",
         "Overall RAG is Green but SPI is 0.72"),
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
    Rule("percent-as-points", _W, "Percent read as points",
         "Percent Complete was given as a number between 1 and 100 (e.g. 45) and was read "
         "as that many percent; enter 45% or 0.45 to be explicit.",
         "Percent Complete 45 was read as 45 %"),
)

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}


def rule(rule_id: str) -> Rule:
    return RULES_BY_ID[rule_id]
