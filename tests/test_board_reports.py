"""The highlight and exception reports' drafted sections, from report records built by the
roll-up of a real register (tests/registers.py), with a planted slip."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from registers import VALID_MILESTONE, VALID_PROJECT, register

from pmo_xl.board_reports import PLACEHOLDER, draft_exception, highlight, needs_exception_report
from pmo_xl.formatting import money
from pmo_xl.metrics import rollup
from pmo_xl.reader import read_register
from pmo_xl.reports import report_data
from pmo_xl.validation import validate

AS_OF = dt.date(2026, 9, 30)


def records(path: Path) -> dict[str, dict[str, Any]]:
    """The project records the reports are built from."""
    reg = read_register(path)
    data = report_data(reg, validate(reg, AS_OF), rollup(reg, AS_OF))
    return {p["project_id"]: p for p in data.projects}


def test_a_slip_beyond_the_time_tolerance_is_drafted_with_its_cause(tmp_path: Path) -> None:
    late = {**VALID_PROJECT, "Project ID": "PRJ-LATE", "Baseline Finish": dt.date(2026, 12, 31),
            "Forecast Finish": dt.date(2027, 2, 14), "Exception Recommendation":
            "Re-plan the build with a second supplier."}
    fine = {**VALID_PROJECT, "Project ID": "PRJ-FINE", "Baseline Finish": dt.date(2026, 12, 31),
            "Forecast Finish": dt.date(2027, 1, 25)}
    slipped = {**VALID_MILESTONE, "Project ID": "PRJ-LATE", "Milestone": "Build complete",
               "Baseline Date": dt.date(2026, 11, 1), "Forecast Date": dt.date(2026, 12, 16),
               "Actual Date": None}
    path = register(tmp_path / "r.xlsx", projects=[late, fine],
                    milestones=[slipped], settings={"Report Date": AS_OF})
    found = records(path)
    late_p, fine_p = found["PRJ-LATE"], found["PRJ-FINE"]
    assert needs_exception_report(late_p) and not needs_exception_report(fine_p)
    assert (late_p["time_status"], fine_p["time_status"]) == ("forecast to exceed", "at risk")

    drafted = draft_exception(late_p, lambda v: money(v, "EUR"))
    assert drafted["breaches"] == [
        "Time is forecast to exceed its tolerance of 30 days by 15 days: finish 14 Feb 2027, "
        "45 days after the baseline finish."]
    assert drafted["cause"][0] == "Milestone Build complete forecast 45 days late (16 Dec 2026)."
    assert drafted["recommendation"] == {"text": "Re-plan the build with a second supplier.",
                                         "drafted": False}
    assert drafted["options"] == {"text": PLACEHOLDER, "drafted": True}

    sections = highlight(late_p, AS_OF.isoformat(), {"scope_tolerance": "Core modules only",
                                                     "high_risk_score": 15})
    time, cost, scope, risk = sections["tolerances"]
    assert (time["tolerance_days"], time["deviation_days"], time["status"]) == (
        30, 45, "forecast to exceed")
    assert scope["text"] == "Core modules only" and risk["status"] is None  # no RAID log
    assert sections["period"] == {"from": None, "to": "2026-09-30"}
    # Without a baseline the next period is 30 days: Build complete (16 Dec) is not due in it.
    assert sections["due_next"] == []


def test_risk_tolerance_is_at_risk_while_a_high_risk_is_open() -> None:
    """The risk row shows the RAID log's high risks (score >= High Risk Score) and the risk
    tolerance status `raid` computed from them (tests/test_raid.py); without a RAID log it
    has no status rather than "within"."""
    settings = {"scope_tolerance": "", "high_risk_score": 15}
    base = {"time_status": "within", "cost_status": "within"}
    rows = {name: highlight({**base, "raid": figures}, AS_OF.isoformat(),
                            settings)["tolerances"][3]
            for name, figures in (("high", {"high_risks": 2, "highest_risk_score": 20,
                                            "risk_status": "at risk"}),
                                  ("low", {"high_risks": 0, "highest_risk_score": 12,
                                           "risk_status": "within"}),
                                  ("none", None))}
    assert (rows["high"]["status"], rows["high"]["high_risks"]) == ("at risk", 2)
    assert (rows["low"]["status"], rows["low"]["highest_risk_score"]) == ("within", 12)
    assert rows["none"]["status"] is None and rows["none"]["high_risks"] is None


def test_the_cause_names_what_moved_since_the_baseline_and_risks_that_happened() -> None:
    """Of the changes since the baseline, the cause keeps the moves of dates and money, the
    slips and the risks that became issues; a text edit explains no breach."""
    since = {"date": "2026-08-31", "sentences": [
        "Forecast finish moved 45 days later, to 2027-02-14",
        "Risk R-6 (Supplier misses go-live) became an issue", "Status summary changed"]}
    cause = draft_exception({"since": since, "milestones": []}, lambda v: str(v))["cause"]
    assert cause == ["Since 31 Aug 2026: Forecast finish moved 45 days later, to 2027-02-14.",
                     "Since 31 Aug 2026: Risk R-6 (Supplier misses go-live) became an issue."]
