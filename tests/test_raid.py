"""The RAID log: its sheet as the standard declares it, its rules and its roll-up figures,
each on real .xlsx registers written here and checked against values worked out by hand."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from registers import (
    VALID_PROJECT,
    VALID_RAID,
    grid,
    project,
    register,
    settings_rows,
    write_workbook,
)

from pmo_xl.metrics import rollup
from pmo_xl.reader import Settings, read_register
from pmo_xl.sample import sample_portfolio, write_register
from pmo_xl.schema import RAID, SETTINGS, SHEETS
from pmo_xl.validation import validate


def item(**changes: Any) -> dict[str, Any]:
    """VALID_RAID with some headers changed."""
    return {**VALID_RAID, **changes}


# --- the sheet ------------------------------------------------------------------------------


def test_the_raid_sheet_is_declared_once_in_the_standard() -> None:
    assert RAID in SHEETS and RAID.parent == "Projects" and not RAID.required
    assert [c.key for c in RAID.columns if c.references] == ["project_id", "depends_on"]


def test_a_register_without_a_raid_sheet_reads_as_before(tmp_path: Path) -> None:
    reg = read_register(register(tmp_path / "r.xlsx"))
    assert reg.table("RAID") is None
    assert list(validate(reg)) == []


def test_a_valid_raid_item_reads_and_has_no_findings(tmp_path: Path) -> None:
    reg = read_register(register(tmp_path / "r.xlsx", raid=[VALID_RAID]))
    table = reg.table("RAID")
    assert table is not None and len(table) == 1
    values = table.values.iloc[0]
    # Probability and Impact typed as numbers are the scale's words "3" and "4".
    assert (values["type"], values["status"], values["probability"], values["impact"]) == (
        "Risk", "Open", "3", "4")
    assert list(validate(reg)) == []


def test_raid_headers_by_alias_and_yes_no_spellings(tmp_path: Path) -> None:
    headers = ["Risk ID", "Project ID", "RAID Type", "Title", "Category", "Date Raised",
               "Likelihood", "Severity", "Mitigation", "Escalated"]
    rows = [headers,
            ["R-1", "PRJ-001", "risk", "A", "Technical", VALID_RAID["Raised"], "2", 5.0,
             "Plan B", True],
            ["R-2", "PRJ-001", "Issue", "B", "Commercial", VALID_RAID["Raised"], None, None,
             None, "n"]]
    path = write_workbook(tmp_path / "r.xlsx", {"Projects": grid([VALID_PROJECT]),
                                                "RAID": rows})
    table = read_register(path).table("RAID")
    assert table is not None
    # A risk "Category" beside Type is the organisation's own column, not Type.
    assert "Category" in table.extra.columns
    assert table.values["escalate"].tolist() == ["Yes", "No"]
    assert table.values["impact"].tolist()[0] == "5"


def test_low_medium_high_words_mean_numbers_through_the_lists_sheet(tmp_path: Path) -> None:
    lists = [["Probability", "Probability means", "RAID Impact", "RAID Impact means"],
             ["Low", 1, "Low", 1], ["Medium", 3, "Medium", 3], ["High", 5, "High", 5]]
    rows = grid([item(Probability="High", Impact="medium")], list(VALID_RAID))
    path = write_workbook(tmp_path / "r.xlsx", {"Projects": grid([VALID_PROJECT]),
                                                "RAID": rows, "Lists": lists,
                                                "Settings": settings_rows()})
    reg = read_register(path)
    table = reg.table("RAID")
    assert table is not None
    assert (table.values["probability"].iloc[0], table.values["impact"].iloc[0]) == ("5", "3")
    assert table.label("probability").iloc[0] == "High"
    assert list(validate(reg)) == []


def test_low_medium_high_words_mean_numbers_through_a_profile(tmp_path: Path) -> None:
    (tmp_path / "pmo-xl.toml").write_text(
        '[vocabularies.Probability]\nLow = "1"\nMedium = "3"\nHigh = "5"\n'
        '[values.RAID.Impact]\nHigh = "5"\n', encoding="utf-8")
    path = register(tmp_path / "r.xlsx", raid=[item(Probability="Medium", Impact="High")])
    table = read_register(path).table("RAID")
    assert table is not None
    assert (table.values["probability"].iloc[0], table.values["impact"].iloc[0]) == ("3", "5")


def test_the_raid_settings_have_defaults_and_read_from_the_settings_sheet(
        tmp_path: Path) -> None:
    defaults = {s.key: s.default for s in SETTINGS}
    # The reader's Settings carry the same defaults as the declaration.
    assert {f.name: f.default for f in dataclasses.fields(Settings)} == defaults
    assert (defaults["high_risk_score"], defaults["issue_age_days"]) == (15, 30)
    path = write_workbook(tmp_path / "r.xlsx", {
        "Projects": grid([project()]),
        "Settings": settings_rows(**{"High Risk Score": 12, "Issue Age Days": 45})})
    settings = read_register(path).settings
    assert (settings.high_risk_score, settings.issue_age_days) == (12, 45)


# --- the rules, on one register made for them --------------------------------------------------
# PRJ-002 slips (forecast finish 2027-03-31, Go-live forecast 2027-03-15): PRJ-001 and PRJ-003
# wait for it, so its one slip puts both at risk. PRJ-003 is Red, PRJ-004 Closed at 80 %,
# PRJ-005 Closing. As of 2026-09-30, High Risk Score 15, Issue Age Days 30.

PROJECTS = [
    project(),
    project(**{"Project ID": "PRJ-002", "Overall RAG": "Amber",
               "Forecast Finish": dt.date(2027, 3, 31), "Status Summary": "Late supplier."}),
    project(**{"Project ID": "PRJ-003", "Overall RAG": "Red", "Status Summary": "Blocked.",
               "Baseline Finish": dt.date(2027, 6, 30)}),
    project(**{"Project ID": "PRJ-004", "Phase": "Closed", "Baseline Finish": dt.date(2026, 6, 30),
               "Actual Finish": dt.date(2026, 6, 30), "Percent Complete": 0.8}),
    project(**{"Project ID": "PRJ-005", "Phase": "Closing", "Percent Complete": 1.0}),
]
MILESTONES = [
    {"Project ID": "PRJ-001", "Milestone": "Go-live", "Baseline Date": dt.date(2026, 12, 1)},
    {"Project ID": "PRJ-002", "Milestone": "Go-live", "Baseline Date": dt.date(2027, 1, 15),
     "Forecast Date": dt.date(2027, 3, 15)},
]
SEP = dt.date(2026, 9, 15)


def dep(raid_id: str, pid: str, on: str, needed: dt.date, milestone: str | None = None,
        **changes: Any) -> dict[str, Any]:
    return item(**{"RAID ID": raid_id, "Project ID": pid, "Type": "Dependency",
                   "Title": f"Needs {on}", "Depends On": on, "Depends On Milestone": milestone,
                   "Needed By": needed, "Probability": None, "Impact": None, **changes})


ITEMS = [
    # row 2-6: risks
    item(**{"RAID ID": "R-1", "Probability": 4, "Impact": 5, "Owner": None}),
    item(**{"RAID ID": "R-2", "Probability": 3, "Impact": 5, "Response / Mitigation": None}),
    item(**{"RAID ID": "R-3", "Probability": 3, "Impact": 4, "Owner": None,
            "Response / Mitigation": None}),
    item(**{"RAID ID": "R-4", "Probability": 5, "Impact": 5, "Owner": None, "Status": "Closed",
            "Closed On": SEP}),
    item(**{"RAID ID": "R-5", "Probability": 7}),
    # row 7-10: actions
    item(**{"RAID ID": "A-1", "Type": "Action", "Due Date": SEP, "Owner": "Cy Moss"}),
    item(**{"RAID ID": "A-2", "Type": "Action", "Due Date": SEP, "Status": None,
            "Owner": "Cy Moss"}),
    item(**{"RAID ID": "A-3", "Type": "Action", "Due Date": SEP, "Status": "Closed",
            "Closed On": dt.date(2026, 9, 20)}),
    item(**{"RAID ID": "A-4", "Type": "Action", "Status": "Closed"}),
    # row 11-14: decisions
    item(**{"RAID ID": "DEC-1", "Type": "Decision", "Decision Needed By": dt.date(2026, 9, 20),
            "Probability": None, "Impact": None}),
    item(**{"RAID ID": "DEC-2", "Type": "Decision", "Due Date": dt.date(2026, 9, 28),
            "Probability": None, "Impact": None}),
    item(**{"RAID ID": "DEC-3", "Type": "Decision", "Decision Needed By": dt.date(2026, 9, 20),
            "Decided On": dt.date(2026, 9, 18), "Probability": None, "Impact": None}),
    item(**{"RAID ID": "DEC-4", "Type": "Decision", "Decision Needed By": dt.date(2026, 10, 10),
            "Probability": None, "Impact": None, "Project ID": "PRJ-003"}),
    # row 15-17: issues
    item(**{"RAID ID": "I-1", "Type": "Issue", "Raised": dt.date(2026, 6, 1), "Probability": 5,
            "Impact": 4}),
    item(**{"RAID ID": "I-2", "Type": "Issue", "Raised": dt.date(2026, 6, 1), "Escalate": "Yes"}),
    item(**{"RAID ID": "I-3", "Type": "Issue", "Raised": dt.date(2026, 8, 31)}),
    # row 18-25: dependencies
    dep("D-1", "PRJ-001", "PRJ-002", dt.date(2027, 2, 1), "Go-live"),
    dep("D-2", "PRJ-003", "PRJ-002", dt.date(2027, 1, 31)),
    dep("D-3", "PRJ-001", "PRJ-003", dt.date(2027, 12, 31)),
    dep("D-4", "PRJ-001", "PRJ-004", dt.date(2027, 1, 1)),
    dep("D-5", "PRJ-003", "PRJ-001", dt.date(2027, 3, 1), "Go live!"),
    dep("D-6", "PRJ-001", "PRJ-999", dt.date(2027, 3, 1)),
    dep("D-7", "PRJ-003", "PRJ-002", dt.date(2027, 6, 1), "go-live"),
    dep("D-8", "PRJ-003", "PRJ-002", dt.date(2027, 1, 1), Status="Closed", **{"Closed On": SEP}),
    # row 26-30: vocabulary, assumptions, an unknown project
    item(**{"RAID ID": "T-1", "Type": "Opportunity"}),
    item(**{"RAID ID": "S-1", "Status": "Parked"}),
    item(**{"RAID ID": "AS-1", "Type": "Assumption", "Project ID": "PRJ-005"}),
    item(**{"RAID ID": "AS-2", "Type": "Assumption", "Project ID": "PRJ-005",
            "Status": "Closed", "Closed On": SEP}),
    item(**{"RAID ID": "U-1", "Project ID": "PRJ-998"}),
]


@pytest.fixture(scope="module")
def raid_register(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return register(tmp_path_factory.mktemp("raid") / "raid.xlsx", PROJECTS,
                    milestones=MILESTONES, raid=ITEMS)


def test_each_raid_rule_finds_exactly_its_cells(raid_register: Path) -> None:
    found = [(f.cell, f.rule, f.message) for f in validate(read_register(raid_register))
             if f.sheet == "RAID"]
    vocabulary = " (map your own words in a profile: pmo-xl inspect suggests how)"
    assert found == [
        ("RAID!F2", "high-risk-without-owner",
         "Risk scores 20 (4 × 5; High Risk Score 15) but has no Owner"),
        ("RAID!L3", "high-risk-without-response",
         "Risk scores 15 (3 × 5; High Risk Score 15) but has no Response / Mitigation"),
        ("RAID!J6", "not-allowed", "Probability '7' is not one of 1, 2, 3, 4, 5" + vocabulary),
        ("RAID!H7", "raid-overdue", "Action was due 2026-09-15 and is still Open: 15 days "
                                    "overdue"),
        ("RAID!H8", "raid-overdue", "Action was due 2026-09-15 and is still open: 15 days "
                                    "overdue"),
        ("RAID!T10", "closed-without-date", "Status is Closed but Closed On is blank"),
        ("RAID!Q11", "raid-overdue", "Decision was due 2026-09-20 and is still Open: 10 days "
                                     "overdue"),
        ("RAID!H12", "raid-overdue", "Decision was due 2026-09-28 and is still Open: 2 days "
                                     "overdue"),
        ("RAID!P15", "issue-not-escalated",
         "Issue raised 2026-06-01 is 121 days old (Issue Age Days 30) but is not escalated"),
        ("RAID!M18", "dependency-at-risk", "Depends On PRJ-002 forecasts its milestone "
                                           "'Go-live' on 2027-03-15, after Needed By 2027-02-01"),
        ("RAID!M19", "dependency-at-risk", "Depends On PRJ-002 forecasts its finish on "
                                           "2027-03-31, after Needed By 2027-01-31"),
        ("RAID!M20", "dependency-at-risk", "Depends On PRJ-003 is Red"),
        ("RAID!M21", "dependency-at-risk", "Depends On PRJ-004 is Closed below 100 % complete"),
        ("RAID!N22", "unknown-milestone",
         "Depends On Milestone 'Go live!' is not a milestone of PRJ-001: its finish is used"),
        ("RAID!M23", "unknown-project", "Depends On 'PRJ-999' is not on the Projects sheet"),
        ("RAID!C26", "not-allowed", "Type 'Opportunity' is not one of Risk, Assumption, Issue, "
                                    "Dependency, Decision, Action" + vocabulary),
        ("RAID!I27", "not-allowed",
         "Status 'Parked' is not one of Open, In Progress, Closed" + vocabulary),
        ("RAID!I28", "assumption-open-at-close",
         "Assumption is still open but its project is Closing"),
        ("RAID!B30", "unknown-project", "Project ID 'PRJ-998' is not on the Projects sheet"),
    ]
    # and nothing on the other sheets: the projects were made consistent
    # The chain's projects slip and turn Red on purpose: their ratings against the
    # tolerances are the tolerance rules' (test_validation), not the RAID log's.
    assert [f for f in validate(read_register(raid_register)) if f.sheet != "RAID"
            and f.rule not in ("tolerance-not-red", "red-within-tolerance")] == []


def test_the_raid_settings_move_the_thresholds(tmp_path: Path) -> None:
    path = register(tmp_path / "r.xlsx", PROJECTS, milestones=MILESTONES, raid=ITEMS,
                    settings={"High Risk Score": 12, "Issue Age Days": 29})
    rules = [(f.cell, f.rule) for f in validate(read_register(path)) if f.sheet == "RAID"]
    # R-3 (12, no owner, no response) is high now; I-3 (30 days old) is old now.
    assert {("RAID!F4", "high-risk-without-owner"), ("RAID!L4", "high-risk-without-response"),
            ("RAID!P17", "issue-not-escalated")} <= set(rules)
    assert ("RAID!P16", "issue-not-escalated") not in rules  # I-2 is escalated


# --- the roll-up's figures, worked out by hand from ITEMS ----------------------------------------


@pytest.fixture(scope="module")
def figures(raid_register: Path) -> dict[str, Any]:
    return rollup(read_register(raid_register)).to_dict()["raid"]


def test_counts_by_type_and_status(figures: dict[str, Any]) -> None:
    # T-1's type and S-1's status are not in the vocabulary: Unset, never a guess.
    assert figures["by_type"] == {"Risk": 7, "Assumption": 2, "Issue": 3, "Dependency": 8,
                                  "Decision": 4, "Action": 4, "Unset": 1}
    assert figures["by_status"] == {"Open": 22, "In Progress": 0, "Closed": 5, "Unset": 2}
    # Closed, D-8, AS-2; a blank or unusable (S-1) status is open.
    assert (figures["total"], figures["open"]) == (29, 24)
    assert figures["open_by_type"] == {"Risk": 6, "Assumption": 1, "Issue": 3,
                                       "Dependency": 7, "Decision": 4, "Action": 2, "Unset": 1}


def test_top_risks_and_issues_by_score_then_oldest_first(figures: dict[str, Any]) -> None:
    top = figures["top_risks_and_issues"]
    assert [(t["raid_id"], t["score"]) for t in top] == [
        ("I-1", 20), ("R-1", 20), ("R-2", 15), ("I-2", 12), ("R-3", 12), ("S-1", 12),
        ("U-1", 12), ("I-3", 12), ("R-5", None)]  # R-5's Probability 7 is no score
    assert top[0] == {"raid_id": "I-1", "project_id": "PRJ-001", "type": "Issue",
                      "type_label": "Issue", "title": "Supplier late", "owner": "Ben Ito",
                      "score": 20, "probability": 5, "impact": 4, "raised": "2026-06-01",
                      "age_days": 121, "response": "Weekly supplier call.",
                      "escalate_label": "No"}


def test_heat_map_of_open_risks(figures: dict[str, Any]) -> None:
    counts = [[0] * 5 for _ in range(5)]
    counts[3][4] = 1  # P4 × I5
    counts[2][4] = 1  # P3 × I5
    counts[2][3] = 3  # R-3, S-1, U-1: P3 × I4 (R-4 is closed)
    assert figures["heat_map"]["counts"] == counts
    assert figures["heat_map"]["unscored"] == 1


def test_overdue_actions_and_decisions_needed(figures: dict[str, Any]) -> None:
    assert figures["overdue_actions_by_owner"] == [
        {"owner": "Cy Moss", "overdue": 2, "raid_ids": ["A-1", "A-2"]}]
    # Within 14 days of 2026-09-30, overdue ones first; DEC-3 is decided.
    assert [(d["raid_id"], d["due"], d["overdue"]) for d in figures["decisions_needed"]] == [
        ("DEC-1", "2026-09-20", True), ("DEC-2", "2026-09-28", True),
        ("DEC-4", "2026-10-10", False)]


def test_cross_project_dependencies_with_their_at_risk_state(figures: dict[str, Any]) -> None:
    # D-6 waits for an unknown project and D-8 is closed: neither is listed.
    assert [(d["raid_id"], d["depends_on"], d["depends_on_delivers"], d["dependency_at_risk"])
            for d in figures["dependencies"]] == [
        ("D-1", "PRJ-002", "2027-03-15", True), ("D-2", "PRJ-002", "2027-03-31", True),
        ("D-3", "PRJ-003", "2027-06-30", True), ("D-4", "PRJ-004", "2026-06-30", True),
        ("D-5", "PRJ-001", "2026-12-31", False), ("D-7", "PRJ-002", "2027-03-15", False)]


def test_per_project_figures_both_directions_of_the_chain(figures: dict[str, Any]) -> None:
    by_id = {p["project_id"]: p for p in figures["per_project"]}
    first = by_id["PRJ-001"]
    assert first["open_by_type"] == {"Risk": 5, "Assumption": 0, "Issue": 3, "Dependency": 4,
                                     "Decision": 3, "Action": 2}
    assert (first["highest_risk_score"], first["overdue_actions"],
            first["open_decisions"]) == (20, 2, 2)
    # R-1 (20) and R-2 (15) reach High Risk Score 15; R-3 and S-1 (12) do not, R-4 is closed.
    assert (first["high_risks"], first["risk_status"]) == (2, "at risk")
    assert (by_id["PRJ-002"]["high_risks"], by_id["PRJ-002"]["risk_status"]) == (0, "within")
    assert [w["raid_id"] for w in first["waits_for"]] == ["D-1", "D-3", "D-4"]
    assert first["waited_on_by"] == []
    # PRJ-002's one slip puts PRJ-001 and PRJ-003 at risk.
    assert [(w["raid_id"], w["project_id"]) for w in by_id["PRJ-002"]["waited_on_by"]] == [
        ("D-1", "PRJ-001"), ("D-2", "PRJ-003")]
    assert by_id["PRJ-002"]["waits_for"] == [] and by_id["PRJ-002"]["highest_risk_score"] is None
    third = by_id["PRJ-003"]
    assert [w["raid_id"] for w in third["waits_for"]] == ["D-2"]
    assert [w["raid_id"] for w in third["waited_on_by"]] == ["D-3"]
    assert third["waits_for"][0]["at_risk_reason"] == ("forecasts its finish on 2027-03-31, "
                                                       "after Needed By 2027-01-31")
    assert (third["open_decisions"], third["open_by_type"]["Dependency"]) == (1, 3)
    assert [w["raid_id"] for w in by_id["PRJ-004"]["waited_on_by"]] == ["D-4"]
    assert by_id["PRJ-005"]["open_by_type"]["Assumption"] == 1


def test_no_raid_sheet_means_no_raid_figures(tmp_path: Path) -> None:
    assert rollup(read_register(register(tmp_path / "r.xlsx"))).to_dict()["raid"] is None


def test_a_closed_project_that_delivered_the_milestone_is_no_risk(tmp_path: Path) -> None:
    projects = [project(), project(**{"Project ID": "PRJ-004", "Phase": "Closed",
                                      "Actual Finish": dt.date(2026, 6, 30),
                                      "Baseline Finish": dt.date(2026, 6, 30),
                                      "Percent Complete": 0.8})]
    milestones = [{"Project ID": "PRJ-004", "Milestone": "Handover",
                   "Baseline Date": dt.date(2026, 5, 1), "Actual Date": dt.date(2026, 5, 2)}]
    path = register(tmp_path / "r.xlsx", projects, milestones=milestones, raid=[
        dep("D-1", "PRJ-001", "PRJ-004", dt.date(2026, 6, 1), "Handover")])
    [dependency] = rollup(read_register(path)).to_dict()["raid"]["dependencies"]
    assert (dependency["depends_on_delivers"], dependency["dependency_at_risk"]) == (
        "2026-05-02", False)


@pytest.mark.parametrize("percent", [None, "about half", 0.8, 1])
def test_a_closed_project_is_below_100_percent_only_when_its_percent_says_so(
        tmp_path: Path, percent: object) -> None:
    """A blank or unusable Percent Complete is blank for every figure: it never makes a
    Closed project one that did not deliver."""
    projects = [project(), project(**{"Project ID": "PRJ-004", "Phase": "Closed",
                                      "Actual Finish": dt.date(2026, 6, 30),
                                      "Baseline Finish": dt.date(2026, 6, 30),
                                      "Percent Complete": percent})]
    path = register(tmp_path / "r.xlsx", projects, raid=[
        dep("D-1", "PRJ-001", "PRJ-004", dt.date(2026, 12, 1))])
    [dependency] = rollup(read_register(path)).to_dict()["raid"]["dependencies"]
    assert dependency["dependency_at_risk"] == (percent == 0.8)
    assert ("below 100 %" in dependency["at_risk_reason"]) == (percent == 0.8)


def test_rollup_command_shows_the_raid_log(raid_register: Path) -> None:
    script = Path(sys.executable).with_name("pmo-xl")
    result = subprocess.run([str(script), "rollup", str(raid_register), "--format", "json"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    raid = json.loads(result.stdout)["raid"]
    assert (raid["open"], raid["high_risks"], raid["overdue"],
            raid["dependencies_at_risk"]) == (24, 2, 4, 4)  # , DEC-1, DEC-2
    text = subprocess.run([str(script), "rollup", str(raid_register)], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "COLUMNS": "200"})
    assert "24 open (2 high risks, 4 overdue, 4 dependencies at risk)" in text.stdout
    assert "Top risks and issues: I-1 PRJ-001 Supplier late (20); R-1 PRJ-001" in text.stdout


# --- the sample's RAID log ---------------------------------------------------------------------


def test_the_sample_plants_a_dependency_chain(tmp_path: Path) -> None:
    portfolio = sample_portfolio()
    path = write_register(tmp_path / "s.xlsx", portfolio)
    figures = rollup(read_register(path)).to_dict()["raid"]
    at_risk = [d for d in figures["dependencies"] if d["dependency_at_risk"]]
    # One slipping project, two others waiting for it (its finish and its Go-live).
    assert len(at_risk) == 2 and len({d["depends_on"] for d in at_risk}) == 1
    assert len({d["project_id"] for d in at_risk}) == 2
    assert {d["depends_on_milestone"] for d in at_risk} == {None, "Go-live"}
    late = next(p for p in figures["per_project"] if p["project_id"] == at_risk[0]["depends_on"])
    assert [w["raid_id"] for w in late["waited_on_by"]] == [d["raid_id"] for d in at_risk]
    # every problem the issue asks for is there
    planted = {p.rule for p in portfolio.planted if p.sheet == "RAID"}
    assert {"high-risk-without-owner", "raid-overdue", "issue-not-escalated",
            "dependency-at-risk"} <= planted
