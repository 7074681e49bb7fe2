"""Every rule, on registers made for it; the sample register's planted problems, exactly."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from registers import VALID_LESSON, VALID_MILESTONE, VALID_PROJECT, project, register

from pmo_xl.cells import column_letter
from pmo_xl.metrics import rollup
from pmo_xl.reader import read_register
from pmo_xl.rules import RULES
from pmo_xl.sample import SamplePortfolio, sample_portfolio, write_register
from pmo_xl.schema import PROJECTS, sheet_schema
from pmo_xl.validation import Finding, validate

LETTER = {name: column_letter(i) for i, name in enumerate(VALID_PROJECT)}


def findings(tmp_path: Path, projects: list[dict[str, Any]] | None = None, **kw: Any,
             ) -> list[Finding]:
    path = register(tmp_path / "r.xlsx", projects or [VALID_PROJECT], **kw)
    return list(validate(read_register(path)))


def only(found: list[Finding]) -> Finding:
    assert len(found) == 1, found
    return found[0]


def test_a_clean_register_has_no_findings(tmp_path: Path) -> None:
    assert findings(tmp_path, lessons=[VALID_LESSON], milestones=[VALID_MILESTONE]) == []


@pytest.mark.parametrize("header", [c.name for c in PROJECTS.columns
                                    if c.required and c.key != "overall_rag"])
@pytest.mark.parametrize("blank", [None, "   "])
def test_required_values(tmp_path: Path, header: str, blank: object) -> None:
    f = only([f for f in findings(tmp_path, [project(**{header: blank})])
              if f.rule == "required"])
    assert (f.cell, f.severity, f.message) == (f"Projects!{LETTER[header]}2", "error",
                                               f"{header} is required")


def test_overall_rag_required_unless_closed(tmp_path: Path) -> None:
    closed = project(**{"Project ID": "P-2", "Phase": "Closed", "Overall RAG": None,
                        "Actual Finish": dt.date(2026, 9, 1), "Percent Complete": 1})
    found = findings(tmp_path, [project(**{"Overall RAG": None}), closed])
    f = only(found)
    assert (f.cell, f.rule) == (f"Projects!{LETTER['Overall RAG']}2", "required")
    assert f.message == "Overall RAG is required unless the project is Closed"


def test_duplicate_ids_flag_each_later_occurrence(tmp_path: Path) -> None:
    rows = [project(), project(**{"Project ID": " prj-001 "}), project(**{"Project ID": "P-9"}),
            project(**{"Project ID": "PRJ-001"})]
    found = [f for f in findings(tmp_path, rows) if f.rule == "duplicate-id"]
    assert [f.cell for f in found] == ["Projects!A3", "Projects!A5"]
    assert found[0].message == "Project ID 'prj-001' is already used in row 2"


def test_duplicate_lesson_ids(tmp_path: Path) -> None:
    found = findings(tmp_path, lessons=[VALID_LESSON, VALID_LESSON])
    f = only(found)
    assert (f.cell, f.rule) == ("Lessons!A3", "duplicate-id")


@pytest.mark.parametrize("ids", [("PRJ-001", "prj-001"), ("ÄRZTE-01", "ärzte-01")])
def test_ids_compare_without_case_in_ascii_and_beyond(tmp_path: Path,
                                                      ids: tuple[str, str]) -> None:
    """IDs are lower-cased byte by byte when all ASCII, else as Unicode: both match a child
    row's ID in the other case, and both find a repeated ID."""
    upper, lower = ids
    rows = [project(**{"Project ID": upper}), project(**{"Project ID": "P-9"}),
            project(**{"Project ID": lower})]
    lessons = [{**VALID_LESSON, "Project ID": lower}]
    found = [(f.cell, f.rule) for f in findings(tmp_path, rows, lessons=lessons)]
    assert found == [("Projects!A4", "duplicate-id")]


MAP_HINT = " (map your own words in a profile: pmo-xl inspect suggests how)"


@pytest.mark.parametrize(("header", "value", "rule", "message"), [
    ("Phase", "Delivery", "not-allowed",
     "Phase 'Delivery' is not one of Initiation, Planning, Execution, Closing, Closed"
     + MAP_HINT),
    ("Cost RAG", "Purple", "not-allowed",
     "Cost RAG 'Purple' is not one of Green, Amber, Red" + MAP_HINT),
    ("Priority", "Urgent", "not-allowed",
     "Priority 'Urgent' is not one of High, Medium, Low" + MAP_HINT),
    ("Start Date", "next spring", "bad-date", "Start Date 'next spring' is not a date; a "
     "season is not a date: give a month (Oct 2026) or a quarter (Q4 2026)"),
    ("Status Date", "yesterday", "bad-date", "Status Date 'yesterday' is not a date"),
    ("Forecast Finish", "6/28/2024", "bad-date", "Forecast Finish '6/28/2024' is not a date; "
     "read day-first by Date Order DMY; set Date Order to MDY or auto if this column is "
     "month-first"),
    ("Budget", "twelve thousand", "bad-money", "Budget 'twelve thousand' is not a number"),
    ("Budget", "$1,200,000", "other-currency",
     "Budget '$1,200,000' is not in EUR: it is not summed"),
    ("Actual Cost", -5000, "negative-money", "Actual Cost -5000 is negative: no figure uses it"),
    ("Forecast Cost", "(1,200)", "negative-money",
     "Forecast Cost (1,200) is negative: no figure uses it"),
    ("Percent Complete", "half", "bad-percent", "Percent Complete 'half' is not a percentage"),
    ("Percent Complete", "150%", "percent-range", "Percent Complete 150% is outside 0–100 %"),
    ("Percent Complete", -0.2, "percent-range", "Percent Complete -0.2 is outside 0–100 %"),
])
def test_unreadable_or_disallowed_values(tmp_path: Path, header: str, value: object, rule: str,
                                         message: str) -> None:
    found = [f for f in findings(tmp_path, [project(**{header: value})]) if f.rule == rule]
    f = only(found)
    assert (f.cell, f.column, f.severity, f.message) == (
        f"Projects!{LETTER[header]}2", header, "error", message)


@pytest.mark.parametrize(("value", "rule", "message"), [
    ("ten", "bad-number", "Time Tolerance Days 'ten' is not a whole number"),
    (2.5, "bad-number", "Time Tolerance Days '2.5' is not a whole number"),
    (-5, "number-range", "Time Tolerance Days -5 is outside 0–36,500: no figure uses it"),
    (40_000, "number-range",
     "Time Tolerance Days 40000 is outside 0–36,500: no figure uses it"),
    (1e20, "number-range", "Time Tolerance Days 1e+20 is outside 0–36,500: no figure uses it"),
])
def test_unusable_whole_numbers_fall_back_on_the_settings(tmp_path: Path, value: object,
                                                          rule: str, message: str) -> None:
    """A project's own time tolerance that is no whole number of days from 0 to a hundred
    years is an error, and its figures use the Settings' tolerance instead."""
    rows = [project(**{"Time Tolerance Days": value}),
            project(**{"Project ID": "P-2", "Time Tolerance Days": 45})]
    path = register(tmp_path / "r.xlsx", rows)
    read = read_register(path)
    f = only([f for f in validate(read) if f.column == "Time Tolerance Days"])
    assert (f.cell, f.rule, f.severity, f.message) == (
        f"Projects!{column_letter(len(VALID_PROJECT))}2", rule, "error", message)
    used = [p["time_tolerance_days"] for p in rollup(read).to_dict()["per_project"]]
    assert used == [read.settings.time_tolerance_days, 45]


@pytest.mark.parametrize("header", ["Baseline Finish", "Forecast Finish", "Actual Finish"])
def test_finish_before_start(tmp_path: Path, header: str) -> None:
    row = project(**{header: dt.date(2025, 12, 1), "Overall RAG": "Amber",
                     "Phase": "Closed" if header == "Actual Finish" else "Execution"})
    f = only([f for f in findings(tmp_path, [row]) if f.rule == "finish-before-start"])
    assert f.cell == f"Projects!{LETTER[header]}2"
    assert f.message == f"{header} 2025-12-01 is before Start Date 2026-01-01"


def test_closed_without_actual_finish(tmp_path: Path) -> None:
    row = project(Phase="Closed", **{"Percent Complete": 1})
    f = only(findings(tmp_path, [row]))
    assert (f.cell, f.rule) == (f"Projects!{LETTER['Actual Finish']}2", "closed-without-finish")


def test_stale_status(tmp_path: Path) -> None:
    rows = [project(**{"Status Date": dt.date(2026, 8, 1)}),
            project(**{"Project ID": "P-2", "Status Date": None}),
            project(**{"Project ID": "P-3", "Status Date": dt.date(2026, 8, 31)}),  # 30 days
            project(**{"Project ID": "P-4", "Status Date": None, "Phase": "Closed",
                       "Actual Finish": dt.date(2026, 9, 1), "Percent Complete": 1})]
    found = findings(tmp_path, rows)
    assert [(f.cell, f.rule, f.severity) for f in found] == [
        ("Projects!T2", "stale-status", "warning"), ("Projects!T3", "stale-status", "warning")]
    assert found[0].message == ("Status Date 2026-08-01 is 60 days old (updates are due "
                                "every 30 days)")
    assert "blank" in found[1].message


def test_stale_after_days_comes_from_settings(tmp_path: Path) -> None:
    row = project(**{"Status Date": dt.date(2026, 9, 15)})
    assert findings(tmp_path, [row], settings={"Stale After Days": 30}) == []
    f = only(findings(tmp_path, [row], settings={"Stale After Days": 14}))
    assert f.rule == "stale-status" and "15 days old" in f.message


@pytest.mark.parametrize(("changes", "why"), [
    ({"Actual Cost": 90_000}, "CPI is 0.83"),
    ({"Percent Complete": 0.5, "Actual Cost": 50_000}, "SPI is 0.67"),
    ({"Forecast Finish": dt.date(2027, 1, 20)}, "the finish has slipped 20 days"),
    ({"Percent Complete": 0.5, "Actual Cost": 60_000, "Forecast Finish": dt.date(2027, 1, 1)},
     "CPI is 0.83, SPI is 0.67, the finish has slipped 1 days"),
])
def test_green_despite_the_numbers(tmp_path: Path, changes: dict[str, Any], why: str) -> None:
    # The forecast beyond a tolerance is the tolerance check's (test below), not this one's.
    f = only([f for f in findings(tmp_path, [project(**changes)])
              if f.rule != "tolerance-not-red"])
    assert (f.cell, f.rule, f.severity) == ("Projects!H2", "rag-integrity", "warning")
    assert f.message == f"Overall RAG is Green but {why}"
    # The same numbers reported honestly as Amber raise nothing (but a tolerance breach).
    assert [f for f in findings(tmp_path, [project(**changes, **{"Overall RAG": "Amber"})])
            if f.rule != "tolerance-not-red"] == []


def test_complete_but_not_closing(tmp_path: Path) -> None:
    f = only(findings(tmp_path, [project(**{"Percent Complete": "100%", "Actual Cost": 75_000})]))
    assert (f.rule, f.message) == ("complete-not-closing",
                                   "Percent Complete is 100 % but Phase is Execution")
    assert findings(tmp_path, [project(**{"Percent Complete": 1, "Phase": "Closing",
                                          "Actual Cost": 75_000})]) == []


@pytest.mark.parametrize("rag", ["Amber", "Red"])
def test_amber_or_red_needs_a_summary(tmp_path: Path, rag: str) -> None:
    # Red on plan is also red-within-tolerance (its own test): the summary is this one's.
    f = only([f for f in findings(tmp_path, [project(**{"Overall RAG": rag,
                                                        "Status Summary": " "})])
              if f.rule != "red-within-tolerance"])
    assert (f.cell, f.rule) == (f"Projects!{LETTER['Status Summary']}2", "rag-without-summary")
    assert f.message == f"Overall RAG is {rag} but Status Summary is blank"


def test_percent_read_as_points(tmp_path: Path) -> None:
    f = only(findings(tmp_path, [project(**{"Percent Complete": 75})]))
    assert (f.rule, f.severity, f.message) == ("percent-as-points", "warning",
                                               "Percent Complete 75 was read as 75 %")


def test_lesson_rules(tmp_path: Path) -> None:
    lessons = [
        {**VALID_LESSON, "Lesson ID": "LL-2", "Project ID": "PRJ-404"},
        {**VALID_LESSON, "Lesson ID": "LL-3", "Recommendation": None},
        {**VALID_LESSON, "Lesson ID": "LL-4", "Type": "Went Well", "Recommendation": None},
        {**VALID_LESSON, "Lesson ID": "LL-5", "Date Logged": dt.date(2026, 10, 1)},
        {**VALID_LESSON, "Lesson ID": "LL-6", "Category": "Misc", "Project ID": " prj-001"},
    ]
    found = findings(tmp_path, lessons=lessons)
    assert [(f.cell, f.rule, f.severity) for f in found] == [
        ("Lessons!B2", "unknown-project", "error"),
        ("Lessons!H3", "improve-without-recommendation", "warning"),
        ("Lessons!C5", "logged-in-future", "warning"),
        ("Lessons!D6", "not-allowed", "error"),
    ]
    assert found[0].message == "Project ID 'PRJ-404' is not on the Projects sheet"
    assert found[2].message == "Date Logged 2026-10-01 is after the as-of date 2026-09-30"


def test_milestone_rules(tmp_path: Path) -> None:
    milestones = [{**VALID_MILESTONE, "Project ID": "PRJ-404"},
                  {**VALID_MILESTONE, "Baseline Date": "TBC"},
                  {**VALID_MILESTONE, "Milestone": None}]
    found = findings(tmp_path, milestones=milestones)
    assert [(f.cell, f.rule) for f in found] == [
        ("Milestones!A2", "unknown-project"), ("Milestones!C3", "bad-date"),
        ("Milestones!B4", "required")]


def test_as_of_changes_time_based_rules(tmp_path: Path) -> None:
    path = register(tmp_path / "r.xlsx")
    assert list(validate(read_register(path))) == []
    later = list(validate(read_register(path), dt.date(2026, 12, 1)))
    # Two months on the same 75 % is behind plan: SPI = 75,000 / (100,000 × 334/364) = 0.82.
    assert [(f.rule, f.message) for f in later] == [
        ("rag-integrity", "Overall RAG is Green but SPI is 0.82"),
        ("stale-status", "Status Date 2026-09-25 is 67 days old (updates are due every 30 "
                         "days)")]


# Rules about how a register is kept (its headers, rows, dates and units) rather than about
# its entries: the sample, a pmo-xl register, cannot show them; test_own_registers does
# (and test_hardening_reading the amounts of damaged or hostile cells).
READING_RULES = {"missing-column", "sheet-not-read", "bad-standard", "other-currency",
                 "implausible-date", "approximate-date", "date-order", "money-unit",
                 "fuzzy-header", "sheet-chosen", "totals-row", "hidden-rows", "file-note",
                 "implausible-amount"}


def test_every_declared_rule_is_exercised_by_the_sample() -> None:
    planted = {p.rule for p in sample_portfolio().planted}
    # Unusable whole numbers: test_unusable_whole_numbers_fall_back_on_the_settings.
    unplanted = {"bad-setting", "bad-percent", "bad-number", "number-range"}
    assert planted | unplanted | READING_RULES == {r.id for r in RULES}


def expected_cells(portfolio: SamplePortfolio) -> set[tuple[str, int, str, str]]:
    found = set()
    for p in portfolio.planted:
        found.add((p.sheet, p.index + 2, sheet_schema(p.sheet).column(p.column).name, p.rule))
    return found


def test_sample_register_has_exactly_the_planted_problems(sample: SamplePortfolio,
                                                          sample_path: Path) -> None:
    result = validate(read_register(sample_path))
    assert {(f.sheet, f.row, f.column, f.rule) for f in result} == expected_cells(sample)
    assert result.errors > 0 and result.warnings > 0


@pytest.mark.parametrize(("projects", "seed"), [(1, 1), (17, 3), (250, 11)])
def test_samples_of_other_sizes_too(tmp_path: Path, projects: int, seed: int) -> None:
    portfolio = sample_portfolio(projects, seed)
    path = write_register(tmp_path / "s.xlsx", portfolio)
    found = {(f.sheet, f.row, f.column, f.rule) for f in validate(read_register(path))}
    assert found == expected_cells(portfolio)


def test_the_rating_is_checked_against_the_tolerances(tmp_path: Path) -> None:
    late = {**VALID_PROJECT, "Project ID": "A", "Overall RAG": "Amber",
            "Forecast Finish": dt.date(2027, 2, 14), "Status Summary": "Late."}  # +45 days
    over = {**VALID_PROJECT, "Project ID": "B", "Overall RAG": "Amber",
            "Forecast Cost": 115_000, "Status Summary": "Over."}  # +15 % on the budget
    red_fine = {**VALID_PROJECT, "Project ID": "C", "Overall RAG": "Red",
                "Status Summary": "Supplier dispute."}
    red_late = {**late, "Project ID": "D", "Overall RAG": "Red"}
    amber_at_risk = {**VALID_PROJECT, "Project ID": "E", "Overall RAG": "Amber",
                     "Forecast Finish": dt.date(2027, 1, 25), "Status Summary": "Tight."}
    found = [f for f in findings(tmp_path, [late, over, red_fine, red_late, amber_at_risk])
             if f.rule in ("tolerance-not-red", "red-within-tolerance")]
    rag = LETTER["Overall RAG"]
    assert [(f.cell, f.rule, f.message) for f in found] == [
        (f"Projects!{rag}2", "tolerance-not-red", "Overall RAG is Amber but time is forecast "
         "to exceed its tolerance (45 days after the baseline, tolerance 30)"),
        (f"Projects!{rag}3", "tolerance-not-red", "Overall RAG is Amber but cost is forecast "
         "to exceed its tolerance (+15.0% on the budget, tolerance 10%)"),
        (f"Projects!{rag}4", "red-within-tolerance",
         "Overall RAG is Red but time and cost are within tolerance")]
