"""The roll-up formulas against figures computed by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from registers import VALID_LESSON, VALID_MILESTONE, project, register

from pmo_xl.metrics import iso_dates, rollup
from pmo_xl.reader import read_register

AS_OF = dt.date(2026, 1, 6)
D = dt.date


def portfolio(tmp_path: Path) -> dict[str, Any]:
    """Four projects whose every figure is worked out by hand in the tests below."""
    rows = [
        # P1: 10-day plan, half elapsed; 40 % done; over spent; forecast 4 days late.
        project(**{"Project ID": "P1", "Programme": "Alpha", "Phase": "Execution",
                   "Overall RAG": "Red", "Start Date": D(2026, 1, 1),
                   "Baseline Finish": D(2026, 1, 11), "Forecast Finish": D(2026, 1, 15),
                   "Budget": 1000, "Actual Cost": 500, "Percent Complete": 0.4,
                   "Status Date": D(2025, 12, 1)}),
        # P2: zero-length plan starting on the as-of date; nothing spent yet.
        project(**{"Project ID": "P2", "Programme": "Alpha", "Phase": "Planning",
                   "Overall RAG": "Amber", "Start Date": D(2026, 1, 6),
                   "Baseline Finish": D(2026, 1, 6), "Budget": 2000, "Actual Cost": None,
                   "Percent Complete": "50%", "Status Date": D(2026, 1, 5)}),
        # P3: closed 10 days early, over budget, with the PM's forecast cost.
        project(**{"Project ID": "P3", "Programme": "Beta", "Phase": "Closed",
                   "Overall RAG": "Green", "Start Date": D(2025, 1, 1),
                   "Baseline Finish": D(2025, 12, 31), "Actual Finish": D(2025, 12, 21),
                   "Budget": 3000, "Actual Cost": 3300, "Forecast Cost": 3300,
                   "Percent Complete": 1, "Status Date": D(2025, 1, 1)}),
        # P4: starts next month; no status update yet.
        project(**{"Project ID": "P4", "Programme": None, "Phase": "Initiation",
                   "Overall RAG": "Green", "Start Date": D(2026, 2, 1),
                   "Baseline Finish": D(2026, 6, 1), "Budget": 500, "Actual Cost": 0,
                   "Percent Complete": 0, "Status Date": None}),
    ]
    milestones = [
        {**VALID_MILESTONE, "Project ID": "P1", "Baseline Date": D(2026, 1, 3)},  # overdue
        {**VALID_MILESTONE, "Project ID": "P1", "Baseline Date": D(2026, 1, 20),
         "Forecast Date": D(2026, 1, 4)},  # overdue by its forecast
        {**VALID_MILESTONE, "Project ID": "P2", "Baseline Date": D(2026, 1, 1),
         "Actual Date": D(2026, 1, 2)},  # done
        {**VALID_MILESTONE, "Project ID": "P4", "Baseline Date": D(2026, 1, 30)},  # due soon
    ]
    lessons = [
        {**VALID_LESSON, "Lesson ID": "L1", "Project ID": "P1", "Category": "Cost",
         "Type": "Improve", "Action Status": "Open", "Date Logged": D(2026, 1, 2)},
        {**VALID_LESSON, "Lesson ID": "L2", "Project ID": "P1", "Category": "Cost",
         "Type": "Went Well", "Action Status": "Closed", "Date Logged": D(2026, 1, 2)},
        {**VALID_LESSON, "Lesson ID": "L3", "Project ID": "P3", "Category": "Risk",
         "Type": "Improve", "Action Status": "In Progress", "Date Logged": D(2025, 12, 1)},
    ]
    path = register(tmp_path / "r.xlsx", rows, lessons=lessons, milestones=milestones,
                    settings={"Report Date": AS_OF})
    return rollup(read_register(path)).to_dict()


@pytest.fixture
def result(tmp_path: Path) -> dict[str, Any]:
    return portfolio(tmp_path)


def by_id(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["project_id"]: p for p in result["per_project"]}


def test_as_of_comes_from_settings(result: dict[str, Any]) -> None:
    assert result["as_of"] == "2026-01-06"


def test_project_with_a_normal_plan(result: dict[str, Any]) -> None:
    p1 = by_id(result)["P1"]
    # PV = 1000 × 5/10; EV = 1000 × 0.4; CPI = 400/500; SPI = 400/500; EAC = 1000/0.8.
    assert (p1["pv"], p1["ev"], p1["ac"]) == (500.0, 400.0, 500.0)
    assert (p1["cpi"], p1["spi"]) == (0.8, 0.8)
    assert (p1["cv"], p1["sv"]) == (-100.0, -100.0)
    assert (p1["eac"], p1["etc"], p1["vac"]) == (1250.0, 750.0, -250.0)
    assert p1["tcpi"] == 1.2  # (1000 − 400) / (1000 − 500)
    assert p1["slip_days"] == 4 and p1["finish"] == "2026-01-15"
    assert p1["days_since_update"] == 36 and p1["stale"] is True


def test_zero_length_plan_and_no_actual_cost(result: dict[str, Any]) -> None:
    p2 = by_id(result)["P2"]
    # Baseline Finish = Start and as_of ≥ Start: PV is the whole budget.
    assert (p2["pv"], p2["ev"], p2["ac"]) == (2000.0, 1000.0, 0.0)
    assert p2["cpi"] is None and p2["spi"] == 0.5
    assert p2["eac"] == 2000.0 and p2["vac"] == 0.0  # no CPI: EAC falls back to budget
    assert p2["tcpi"] == 0.5  # (2000 − 1000) / (2000 − 0)
    assert p2["slip_days"] == 0 and p2["stale"] is False


def test_closed_project_uses_actuals_and_forecast_cost(result: dict[str, Any]) -> None:
    p3 = by_id(result)["P3"]
    assert (p3["pv"], p3["ev"], p3["ac"]) == (3000.0, 3000.0, 3300.0)
    assert p3["cpi"] == round(3000 / 3300, 4) and p3["spi"] == 1.0
    assert (p3["eac"], p3["vac"]) == (3300.0, -300.0)  # Forecast Cost wins over BAC/CPI
    assert p3["tcpi"] is None  # budget already spent
    assert p3["slip_days"] == -10
    assert p3["stale"] is False  # closed projects are never stale


def test_project_not_started_yet(result: dict[str, Any]) -> None:
    p4 = by_id(result)["P4"]
    assert (p4["pv"], p4["ev"], p4["spi"], p4["cpi"]) == (0.0, 0.0, None, None)
    assert p4["stale"] is True and p4["days_since_update"] is None  # no Status Date


def test_portfolio_counts(result: dict[str, Any]) -> None:
    assert result["projects"] == {
        "total": 4, "active": 3,
        "by_phase": {"Initiation": 1, "Planning": 1, "Execution": 1, "Closing": 0, "Closed": 1},
        "by_stage": {"Initiation": 1, "Planning": 1, "Execution": 1, "Closing": 0, "Closed": 1},
        "by_rag": {"Green": 1, "Amber": 1, "Red": 1, "Unset": 0},  # Closed P3 not counted
    }


def test_portfolio_finance(result: dict[str, Any]) -> None:
    finance = result["finance"]
    assert finance["budget"] == 6500.0
    assert finance["actual_cost"] == 3800.0
    assert finance["earned_value"] == 4400.0
    assert finance["planned_value"] == 5500.0
    assert finance["forecast_cost"] == 7050.0  # 1250 + 2000 + 3300 + 500
    assert finance["cpi"] == round(4400 / 3800, 4)
    assert finance["spi"] == 0.8
    assert finance["variance_at_completion"] == -550.0


def test_schedule_staleness_and_lessons(result: dict[str, Any]) -> None:
    schedule = result["schedule"]
    assert schedule["slipped"] == ["P1"]
    assert schedule["overdue_milestones"] == 2
    assert schedule["milestones_due_soon"] == 1
    assert (schedule["milestones_total"], schedule["milestones_done"]) == (4, 1)
    assert result["stale"] == ["P1", "P4"]
    assert result["lessons"] == {"total": 3, "by_category": {"Cost": 2, "Risk": 1},
                                 "by_type": {"Improve": 2, "Went Well": 1}, "open_actions": 2}


def test_programmes(result: dict[str, Any]) -> None:
    programmes = {p["programme"]: p for p in result["programmes"]}
    assert set(programmes) == {"Alpha", "Beta", "(none)"}
    alpha = programmes["Alpha"]
    assert (alpha["projects"], alpha["budget"], alpha["actual_cost"]) == (2, 3000.0, 500.0)
    assert (alpha["red"], alpha["amber"]) == (1, 1)
    assert alpha["spi"] == round(1400 / 2500, 4)


def test_explicit_as_of_wins_over_settings(tmp_path: Path) -> None:
    path = register(tmp_path / "r.xlsx", [project()])
    later = rollup(read_register(path), dt.date(2026, 12, 31)).to_dict()
    assert later["as_of"] == "2026-12-31"
    assert later["per_project"][0]["pv"] == 100_000.0  # baseline reached: fully planned


def test_as_of_defaults_to_today_without_report_date(tmp_path: Path) -> None:
    path = register(tmp_path / "r.xlsx", [project()], settings={"Report Date": None})
    assert rollup(read_register(path)).as_of == dt.date.today()


def test_overdue_milestones_say_by_how_many_days(tmp_path: Path) -> None:
    # On 6 Jan: a 3 Jan milestone with no new forecast has slipped 0 days against its
    # baseline, yet is 3 days overdue; one forecast for 4 Jan is 2 days overdue.
    milestones = [
        {**VALID_MILESTONE, "Project ID": "PRJ-001", "Baseline Date": D(2026, 1, 3)},
        {**VALID_MILESTONE, "Project ID": "PRJ-001", "Baseline Date": D(2026, 1, 20),
         "Forecast Date": D(2026, 1, 4)},
        {**VALID_MILESTONE, "Project ID": "PRJ-001", "Baseline Date": D(2026, 1, 1),
         "Actual Date": D(2026, 1, 2)},
        {**VALID_MILESTONE, "Project ID": "PRJ-001", "Baseline Date": D(2026, 1, 30)},
    ]
    path = register(tmp_path / "r.xlsx", milestones=milestones)
    frame = rollup(read_register(path), AS_OF).milestones
    assert frame["slip_days"].tolist() == [0, -16, 1, 0]
    overdue = frame["days_overdue"]
    assert overdue.astype(object).where(overdue.notna(), None).tolist() == [3, 2, None, None]


def test_iso_dates_write_each_date_as_strftime_does() -> None:
    days = pd.Series([pd.Timestamp("2026-09-30"), pd.NaT, pd.Timestamp("1999-01-01 13:45"),
                      pd.Timestamp("1969-12-31 23:00"), pd.Timestamp("2026-09-30"),
                      pd.Timestamp("0999-01-01").as_unit("us")], index=[5, 6, 7, 8, 9, 10])
    shown = iso_dates(days)
    expected = days.dt.strftime("%Y-%m-%d")
    assert shown.tolist() == [None if pd.isna(v) else v for v in expected]
    assert shown.index.equals(days.index)
    assert iso_dates(pd.Series([], dtype="datetime64[us]")).tolist() == []
