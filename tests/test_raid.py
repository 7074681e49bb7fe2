"""The RAID log: its sheet as the standard declares it, its rules and its roll-up figures,
each on real .xlsx registers written here and checked against values worked out by hand."""

from __future__ import annotations

import dataclasses
import datetime as dt
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

from pmo_xl.reader import Settings, read_register
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
    assert [f for f in validate(read_register(raid_register)) if f.sheet != "RAID"] == []


def test_the_raid_settings_move_the_thresholds(tmp_path: Path) -> None:
    path = register(tmp_path / "r.xlsx", PROJECTS, milestones=MILESTONES, raid=ITEMS,
                    settings={"High Risk Score": 12, "Issue Age Days": 29})
    rules = [(f.cell, f.rule) for f in validate(read_register(path)) if f.sheet == "RAID"]
    # R-3 (12, no owner, no response) is high now; I-3 (30 days old) is old now.
    assert {("RAID!F4", "high-risk-without-owner"), ("RAID!L4", "high-risk-without-response"),
            ("RAID!P17", "issue-not-escalated")} <= set(rules)
    assert ("RAID!P16", "issue-not-escalated") not in rules  # I-2 is escalated

