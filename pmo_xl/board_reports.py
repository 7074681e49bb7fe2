"""Highlight and exception reports, drafted from the data (PRINCE2's reports to the board).

Both are built from one project's report record (`reports.report_data`: its roll-up figures,
tolerance statuses, milestones, RAID figures, changes since the baseline and recommended
lessons), so every number they show is one the roll-up computed; the templates only lay
them out.

* **Highlight report** (every project, every reporting period): the period (the baseline's
  date to the as-of date), the tolerance table (time, cost, scope, risk: tolerance, forecast,
  status), work done in the period (milestones completed, percent complete moved), work
  planned for the next period (Next Steps, milestones due before the next report, a period as
  long as this one), key issues and risks, decisions needed, lessons.
* **Exception report** (a project forecast to exceed, or exceeding, its time or cost
  tolerance): the breach and by how much; the cause (milestones that slipped and by how much,
  what moved since the baseline, open issues and high risks); the consequences (the forecast
  cost, variance at completion and finish, the projects whose dependencies on it are at
  risk); the options and recommendation the project manager wrote (Exception Options,
  Exception Recommendation), else clearly marked placeholders; the lessons that bear on it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from .formatting import day
from .tolerances import EXCEEDED, FORECAST

PLACEHOLDER = "To be written by the project manager."
BREACHED = (FORECAST, EXCEEDED)
DEFAULT_PERIOD_DAYS = 30  # the next period without a baseline to measure this one by
MAX_ITEMS = 5
Money = Callable[[object], str]


def needs_exception_report(project: dict[str, Any]) -> bool:
    """An open project forecast to exceed, or already exceeding, a time or cost tolerance."""
    return bool(project.get("active")) and any(
        project.get(f"{kind}_status") in BREACHED for kind in ("time", "cost"))


# --- highlight report ---------------------------------------------------------------------------


def highlight(project: dict[str, Any], as_of: str, settings: dict[str, Any]) -> dict[str, Any]:
    """The highlight report's sections. `settings`: scope_tolerance and high_risk_score."""
    since = project.get("since") or {}
    start = since.get("date")
    return {
        # Without a baseline (`report --since`) the period has no start: the report says so.
        "period": {"from": start, "to": as_of},
        "tolerances": _tolerance_rows(project, settings),
        "done": _done(since),
        "next_steps": project.get("next_steps"),
        "due_next": _due_next(project, start, as_of),
        "risks": _raid(project).get("top_items", [])[:MAX_ITEMS],
        "decisions": _raid(project).get("decisions", [])[:MAX_ITEMS],
        "lessons": _lessons(project),
    }


def _tolerance_rows(project: dict[str, Any], settings: dict[str, Any]) -> list[dict[str, Any]]:
    """Time, cost, scope and risk: the tolerance, the forecast against it, the status. Risk
    is at risk while any open risk scores the Settings' High Risk Score or more (the RAID
    log's `high_risk`); without a RAID log it has no status."""
    raid = project.get("raid")
    high_risks = None if raid is None else raid.get("high_risks", 0)
    risk = None if raid is None else raid.get("risk_status")
    return [
        {"name": "Time", "tolerance_days": project.get("time_tolerance_days"),
         "deviation_days": project.get("time_deviation_days"),
         "status": project.get("time_status")},
        {"name": "Cost", "tolerance_share": project.get("cost_tolerance"),
         "deviation_share": project.get("cost_deviation_share"),
         "deviation": project.get("cost_deviation"), "status": project.get("cost_status")},
        {"name": "Scope", "text": settings.get("scope_tolerance") or None, "status": None},
        {"name": "Risk", "high_risk_score": settings.get("high_risk_score"),
         "high_risks": high_risks, "highest_risk_score": _raid(project).get(
             "highest_risk_score"), "status": risk},
    ]


def _done(since: dict[str, Any]) -> list[str]:
    """Milestones completed and progress made in the period, as the changes say them."""
    return [s for s in since.get("sentences", [])
            if s.startswith("Milestone") and "completed" in s or s.startswith("Percent")]


def _due_next(project: dict[str, Any], start: str | None, as_of: str) -> list[dict[str, Any]]:
    """Open milestones due before the next report: within a period as long as this one."""
    today = dt.date.fromisoformat(as_of)
    days = ((today - dt.date.fromisoformat(start)).days if start else 0) or DEFAULT_PERIOD_DAYS
    until = (today + dt.timedelta(days=days)).isoformat()
    due = [m for m in project.get("milestones") or []
           if not m.get("done") and m.get("expected_date") and m["expected_date"] <= until]
    return sorted(due, key=lambda m: m["expected_date"])


def _raid(project: dict[str, Any]) -> dict[str, Any]:
    """The project's RAID figures (`raid.project_raid`); {} without a RAID log."""
    return project.get("raid") or {}


def _lessons(project: dict[str, Any]) -> list[dict[str, Any]]:
    """The lessons worth reading (`lessons.worth_reading`), when the register keeps a log."""
    return list(project.get("lessons_worth_reading") or [])


# --- exception report ---------------------------------------------------------------------------


def draft_exception(project: dict[str, Any], money: Money) -> dict[str, Any]:
    """The exception report's sections; `money` shows an amount in the register's currency."""
    return {
        "breaches": _breaches(project, money),
        "cause": _cause(project),
        "consequences": _consequences(project, money),
        "options": _own_text(project, "exception_options"),
        "recommendation": _own_text(project, "exception_recommendation"),
        "lessons": _lessons(project),
    }


def _breaches(project: dict[str, Any], money: Money) -> list[str]:
    found = []
    if project.get("time_status") in BREACHED:
        tolerance, deviation = project["time_tolerance_days"], project["time_deviation_days"]
        verb = _verb(project["time_status"])
        if deviation is None:  # open past baseline + tolerance with no forecast
            found.append(f"Time {verb} its tolerance of {_days(tolerance)}: the baseline "
                         f"finish {day(project.get('baseline_finish'))} and the tolerance have "
                         "passed without a forecast finish.")
        else:
            found.append(f"Time {verb} its tolerance of {_days(tolerance)} by "
                         f"{_days(deviation - tolerance)}: finish {day(project.get('finish'))}, "
                         f"{_days(deviation)} after the baseline finish.")
    if project.get("cost_status") in BREACHED:
        tolerance, share = project["cost_tolerance"], project["cost_deviation_share"]
        found.append(f"Cost {_verb(project['cost_status'])} its tolerance of {tolerance:.0%} "
                     f"of the budget by {share - tolerance:.1%}: forecast cost "
                     f"{money(project.get('eac'))}, {share:+.1%} on the budget of "
                     f"{money(project.get('budget'))}.")
    return found


def _verb(status: str) -> str:
    return "has exceeded" if status == EXCEEDED else "is forecast to exceed"


_MOVES = ("Finish", "Forecast", "Baseline", "Budget", "Forecast cost", "SPI", "CPI")


def _cause(project: dict[str, Any]) -> list[str]:
    slipped = sorted((m for m in project.get("milestones") or [] if (m.get("slip_days") or 0) > 0),
                     key=lambda m: -m["slip_days"])
    found = [f"Milestone {m['milestone']} {'finished' if m.get('done') else 'forecast'} "
             f"{_days(m['slip_days'])} late ({day(m.get('expected_date'))})." for m in slipped]
    since = project.get("since") or {}
    found += [f"Since {day(since['date'])}: {s}." for s in since.get("sentences", [])
              if s.startswith(_MOVES) or "slipped" in s or s.endswith("became an issue")]
    found += [f"{item.get('type_label') or item.get('type')} {item['raid_id']} is open: "
              f"{item['title']}" + (f" (score {item['score']})." if item.get("score") else ".")
              for item in _raid(project).get("top_items", [])[:MAX_ITEMS]
              if item.get("type") in ("Issue", "Risk")]
    return found or [f"Nothing in the register explains it. {PLACEHOLDER}"]


def _consequences(project: dict[str, Any], money: Money) -> list[str]:
    found = []
    if project.get("eac") is not None:
        found.append(f"Forecast cost (EAC) {money(project['eac'])}; variance at completion "
                     f"{money(project.get('vac'))}.")
    if project.get("finish"):
        found.append(f"Forecast finish {day(project['finish'])}.")
    for waiting in _raid(project).get("waited_on_by", []):
        needed = waiting.get("depends_on_milestone") or "its delivery"
        by = day(waiting["needed_by"]) if waiting.get("needed_by") else "no date"
        found.append(f"{waiting['project_id']} waits for {needed} (needed by {by}) and is at risk: "
                     f"{waiting.get('at_risk_reason') or 'see the RAID log'}.")
    return found


def _own_text(project: dict[str, Any], key: str) -> dict[str, Any]:
    text = project.get(key)
    written = isinstance(text, str) and bool(text.strip())
    return {"text": text.strip() if written else PLACEHOLDER, "drafted": not written}


def _days(days: object) -> str:
    whole = int(days)  # type: ignore[call-overload]
    return f"{whole} day{'s' * (abs(whole) != 1)}"
