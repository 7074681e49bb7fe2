"""Reading registers laid out the way people really keep them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from registers import (
    SETTINGS,
    VALID_LESSON,
    VALID_MILESTONE,
    VALID_PROJECT,
    VALID_RECORDS,
    grid,
    project,
    register,
    settings_rows,
    write_workbook,
)

from pmo_xl.cells import column_letter
from pmo_xl.reader import read_register
from pmo_xl.schema import LESSONS, MILESTONES, PROJECTS, SHEETS, normalise_header
from pmo_xl.validation import validate


def test_plain_table_reads_every_column(tmp_path: Path) -> None:
    path = register(tmp_path / "r.xlsx", lessons=[VALID_LESSON], milestones=[VALID_MILESTONE])
    reg = read_register(path)
    values = reg.projects.values.iloc[0]
    assert values["project_id"] == "PRJ-001"
    assert values["budget"] == 100_000
    assert values["percent_complete"] == 0.75
    assert values["start_date"].date() == dt.date(2026, 1, 1)
    assert reg.lessons is not None and len(reg.lessons) == 1
    assert reg.milestones is not None and len(reg.milestones) == 1
    assert reg.settings.organisation == "Test Org"
    assert reg.settings.report_date == dt.date(2026, 9, 30)


def test_excel_table_with_title_rows_reordered_columns_and_extras(tmp_path: Path) -> None:
    headers = list(reversed(VALID_PROJECT)) + ["Internal Code", "Notes"]
    rows = grid([project(), None, project(**{"Project ID": "PRJ-002", "Budget": "oops"})],
                headers)
    # Title rows on top, then an Excel Table whose header sits in C5.
    path = write_workbook(tmp_path / "r.xlsx", {"PROJECTS": rows},
                          tables={"PROJECTS": "tblProjects"}, origin={"PROJECTS": (4, 2)},
                          titles={"PROJECTS": ["Harbourside PMO — Project Register", "",
                                               "Budget and Phase as of today"]})
    reg = read_register(path)
    assert reg.projects.sheet == "PROJECTS"
    assert reg.projects.header_row == 5
    assert len(reg.projects) == 2  # the blank row is skipped
    assert reg.projects.rows.tolist() == [6, 8]
    budget_letter = column_letter(2 + headers.index("Budget"))
    [finding] = [f for f in validate(reg) if f.rule == "bad-money"]
    assert finding.cell == f"PROJECTS!{budget_letter}8"
    assert (finding.sheet, finding.row, finding.column) == ("PROJECTS", 8, "Budget")


def test_header_row_is_found_only_within_the_first_20_rows(tmp_path: Path) -> None:
    rows = grid([project()])
    write_workbook(tmp_path / "ok.xlsx", {"Projects": rows}, origin={"Projects": (19, 0)})
    assert read_register(tmp_path / "ok.xlsx").projects.header_row == 20
    write_workbook(tmp_path / "late.xlsx", {"Projects": rows}, origin={"Projects": (20, 0)})
    with pytest.raises(Exception, match="no header row found in the first 20 rows"):
        read_register(tmp_path / "late.xlsx")


ALIASES = [(sheet, column.key, alias) for sheet in SHEETS for column in sheet.columns
           for alias in column.aliases]


@pytest.mark.parametrize(("sheet", "key", "alias"), ALIASES,
                         ids=[f"{s.name}:{a}" for s, _, a in ALIASES])
def test_every_declared_alias_maps_to_its_column(tmp_path: Path, sheet, key, alias) -> None:  # noqa: ANN001
    record = VALID_RECORDS[sheet.name]
    name = sheet.column(key).name
    record = {**record, name: record.get(name, "10")}  # an optional column the record lacks
    headers = [f" {alias.upper()} " if h == name else h for h in record]  # any case, spaces
    cells = [record[h] if record[h] is not None else "given" for h in record]
    sheets = {PROJECTS.name: grid([VALID_PROJECT]), sheet.name: [headers, cells]}
    reg = read_register(write_workbook(tmp_path / "a.xlsx", sheets))
    table = reg.table(sheet.name)
    assert table is not None
    assert table.letters[key] == column_letter(headers.index(f" {alias.upper()} "))
    assert table.raw[key].iloc[0] is not None


@pytest.mark.parametrize(("alias", "column"), [
    ("PM", "Project Manager"), ("RAG", "Overall RAG"), ("Status RAG", "Overall RAG"),
    ("BAC", "Budget"), ("% Complete", "Percent Complete"), ("Pct Complete", "Percent Complete"),
    ("Name", "Project Name"), ("ID", "Project ID"), ("project   id", "Project ID"),
    ("PERCENTCOMPLETE", "Percent Complete"),
])
def test_required_aliases_of_the_projects_sheet(alias: str, column: str) -> None:
    lookup = PROJECTS.header_lookup()
    assert PROJECTS.column(lookup[normalise_header(alias)]).name == column


def test_id_alias_belongs_to_the_projects_sheet_only() -> None:
    assert normalise_header("ID") not in LESSONS.header_lookup()
    assert normalise_header("ID") not in MILESTONES.header_lookup()


def test_aliases_never_collide_within_a_sheet() -> None:
    for sheet in SHEETS:
        spellings = [s for column in sheet.columns for s in column.spellings()]
        assert len(spellings) == len(set(spellings)), sheet.name


def test_sheet_names_match_case_insensitively(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "r.xlsx", {
        "projects": grid([VALID_PROJECT]), "LESSONS": grid([VALID_LESSON]),
        "mileStones": grid([VALID_MILESTONE]), "SETTINGS": settings_rows(Currency="gbp")})
    reg = read_register(path)
    assert (reg.lessons.sheet, reg.milestones.sheet) == ("LESSONS", "mileStones")
    assert reg.settings.currency == "GBP"


def test_optional_sheets_may_be_missing_or_empty(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "r.xlsx", {"Projects": grid([VALID_PROJECT]),
                                                "Lessons": []})
    reg = read_register(path)
    assert reg.lessons is None and reg.milestones is None
    assert reg.settings.stale_after_days == 30 and reg.settings.date_order == "auto"


def test_settings_defaults_and_date_order(tmp_path: Path) -> None:
    rows = [project(**{"Start Date": "01/02/2026", "Baseline Finish": "12/31/2026"})]
    path = register(tmp_path / "r.xlsx", rows, settings={"Date Order": "MDY"})
    values = read_register(path).projects.values.iloc[0]
    assert values["start_date"].date() == dt.date(2026, 1, 2)
    assert values["baseline_finish"].date() == dt.date(2026, 12, 31)


def test_bad_settings_become_findings_and_defaults_apply(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "r.xlsx", {
        "Projects": grid([VALID_PROJECT]),
        "Settings": [["Harbourside settings"], ["Setting", "Value"],
                     ["Stale After Days", "monthly"], ["Currency", "Euro"],
                     ["Report Date", SETTINGS["Report Date"]], ["Date Order", "YMD"]]})
    reg = read_register(path)
    assert reg.settings.stale_after_days == 30 and reg.settings.currency == ""
    assert reg.currency == "EUR"  # nothing says otherwise
    findings = [f for f in validate(reg) if f.rule == "bad-setting"]
    assert [(f.cell, f.column) for f in findings] == [
        ("Settings!B3", "Stale After Days"), ("Settings!B4", "Currency"),
        ("Settings!B6", "Date Order")]
    assert "'monthly' is not a whole number" in findings[0].message


def test_settings_read_in_the_sheets_date_order_and_the_first_readable_one_wins(
        tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "r.xlsx", {
        "Projects": grid([VALID_PROJECT]),
        "Settings": [["Setting", "Value"], ["Report Date", "03/04/2026"],
                     ["Stale After Days", "monthly"], ["Stale After Days", 14],
                     ["Stale After Days", 60], ["Date Order", "MDY"]]})
    reg = read_register(path)
    # Date Order applies to the dates above it too; the unreadable Stale After Days is a
    # finding and the next one in the sheet is used.
    assert reg.settings.report_date == dt.date(2026, 3, 4)
    assert reg.settings.stale_after_days == 14
    assert [f.cell for f in validate(reg) if f.rule == "bad-setting"] == ["Settings!B3"]


def test_numeric_ids_and_whitespace_text_are_read_as_people_see_them(tmp_path: Path) -> None:
    path = register(tmp_path / "r.xlsx", [project(**{"Project ID": 1001, "Sponsor": "   "})])
    reg = read_register(path)
    assert reg.projects.value("project_id").iloc[0] == "1001"
    assert bool(reg.projects.parsed["sponsor"].blank.iloc[0])


def test_header_only_register_is_valid_and_empty(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "r.xlsx", {"Projects": [list(VALID_PROJECT)]})
    reg = read_register(path)
    assert len(reg.projects) == 0
    assert list(validate(reg)) == []
