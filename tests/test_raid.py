"""The RAID log: its sheet as the standard declares it, its rules and its roll-up figures,
each on real .xlsx registers written here and checked against values worked out by hand."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

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

