"""Registers as organisations really keep them: their headers, words, units and dates.

Each fixture is built the way real registers are (a CSV export with US dates and ISO
timestamps, £m columns, five-level ratings and the organisation's own phases, a totals row; a
workbook with a merged two-row header, hidden rows and a table totals row; a European CSV),
and the tests assert the figures, the findings and their cells. The two real public registers
in tests/data/real are read as they are.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from conftest import REAL_DATA
from registers import VALID_PROJECT, project, register

from pmo_xl.cli import main
from pmo_xl.metrics import rollup
from pmo_xl.reader import read_register
from pmo_xl.validation import validate

AS_OF = dt.date(2026, 11, 30)

TRACKER = """\
Project_ID,Project Title,Project Manager (PM),SRO,Stage,DCA,Start,Planned End,Budget (£m),\
Spend to Date (£m),% Complete,Last Updated
P-001,Crossrail East,Ann Lee,Bob Roy,Construction,Amber/Red,2021-01-10T00:00:00Z,6/28/2024,\
34,20.5,55%,2026-11-20T09:00:00+01:00
P-002,Depot Upgrade,Cy Tan,Di Ek,Design,Amber/Green,3/15/2022,12/31/2026,12.5,3,20%,11/25/2026
P-003,Signal Works,Ed Po,Fi Wu,Scope,Green,7/6/2021,1/1/1905,1.2,0.1,5%,11/01/2026
P-004,Ticketing,Gu Ha,Ho Ji,Closed,Green,2/1/2020,3/31/2023,8,7.9,100%,4/1/2023
,Total,,,,,,,55.7,31.5,,
"""

PROFILE = """\
[values.Projects.Phase]
Construction = "Execution"
Design = "Planning"
Scope = "Initiation"

[values.Projects."Overall RAG"]
"Amber/Red" = "Red"
"Amber/Green" = "Amber"
"""


def cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = main([*args, "--format", "json"])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, json.loads(out) if out else {}


def by_rule(findings: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        found.setdefault(f["rule"], []).append(f)
    return found


@pytest.fixture
def tracker(tmp_path: Path) -> Path:
    path = tmp_path / "tracker.csv"
    path.write_text(TRACKER, encoding="utf-8")
    return path


# --- a CSV export: its own words, units, US dates, ISO timestamps, a totals row --------------


def test_export_is_read_with_its_own_headers_units_and_dates(tracker: Path) -> None:
    reg = read_register(tracker)
    table = reg.projects
    assert len(table) == 4 and table.skipped == {6: "'Total'"}
    assert table.letters["project_id"] == "A" and table.letters["project_manager"] == "C"
    v = table.values.set_index("project_id")
    # ISO timestamps with Z and offsets keep their calendar date; the column is month-first.
    assert v.loc["P-001", "start_date"] == dt.datetime(2021, 1, 10)
    assert v.loc["P-003", "start_date"] == dt.datetime(2021, 7, 6)  # 7/6/2021: 6 July
    assert v.loc["P-001", "status_date"] == dt.datetime(2026, 11, 20)
    # (£m): millions, and the register's currency comes from the header.
    assert v.loc["P-001", "budget"] == 34_000_000 and reg.currency == "GBP"
    assert v.loc["P-003", "baseline_finish"] is pd_nat()  # 1905: implausible, never used


def pd_nat() -> Any:
    import pandas as pd

    return pd.NaT


def test_export_without_a_profile_flags_its_words_and_units(
        tracker: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, data = cli_json(capsys, "validate", str(tracker), "--as-of", AS_OF.isoformat())
    assert code == 1
    found = by_rule(data["findings"])
    assert [f["cell"] for f in found["not-allowed"]] == [
        "tracker!E2", "tracker!F2", "tracker!E3", "tracker!F3", "tracker!E4"]
    assert [f["message"] for f in found["money-unit"]] == [
        "Budget is read in millions: its header 'Budget (£m)' says so",
        "Actual Cost is read in millions: its header 'Spend to Date (£m)' says so"]
    assert found["implausible-date"][0]["cell"] == "tracker!H4"
    assert found["totals-row"][0]["severity"] == "info"
    # Unrecognised ratings are counted as such, never as unset.
    code, rolled = cli_json(capsys, "rollup", str(tracker), "--as-of", AS_OF.isoformat())
    assert code == 0
    assert rolled["projects"]["by_rag"] == {"Green": 1, "Amber": 0, "Red": 0, "Unset": 0,
                                            "Unrecognised": 2}


def test_export_with_its_profile_rolls_up_in_its_own_words(
        tracker: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tracker.parent / "pmo-xl.toml").write_text(PROFILE, encoding="utf-8")
    code, data = cli_json(capsys, "validate", str(tracker), "--as-of", AS_OF.isoformat())
    assert code == 0, data["findings"]
    code, rolled = cli_json(capsys, "rollup", str(tracker), "--as-of", AS_OF.isoformat())
    counts = rolled["projects"]
    assert counts["by_rag"] == {"Green": 1, "Amber": 1, "Red": 1, "Unset": 0}
    assert counts["by_stage"] == {"Initiation": 1, "Planning": 1, "Execution": 1,
                                  "Closing": 0, "Closed": 1}
    assert {k: v for k, v in counts["by_phase"].items() if v} == {
        "Construction": 1, "Design": 1, "Scope": 1, "Closed": 1}
    first = rolled["per_project"][0]
    assert (first["phase"], first["phase_label"]) == ("Execution", "Construction")
    assert (first["overall_rag"], first["overall_rag_label"]) == ("Red", "Amber/Red")
    # P-003's baseline (1905) is unusable: it leaves every earned-value sum, and says so.
    quality = rolled["data_quality"]
    assert quality["projects_excluded_from_finance"] == ["P-003"]
    finance = rolled["finance"]
    counted = [p for p in rolled["per_project"] if p["in_finance"]]
    assert finance["coverage"]["earned_value"] == 3
    assert finance["actual_cost"] == pytest.approx(sum(p["ac"] for p in counted))
    assert finance["actual_cost"] == 31_400_000  # 20.5 + 3 + 7.9 £m; not P-003's 0.1
    assert rolled["schedule"]["slipped"] is None  # no Forecast or Actual Finish kept


def test_inspect_then_validate_with_the_written_profile(tracker: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    out = tmp_path / "profile" / "tracker.toml"
    out.parent.mkdir()
    code, seen = cli_json(capsys, "inspect", str(tracker), "--write-profile", str(out))
    assert code == 0
    [sheet] = [s for s in seen["sheets"] if s["sheet"] == "Projects"]
    assert sheet["header_row"] == 1 and sheet["totals_rows"] == [6]
    how = {c["header"]: (c["maps_to"], c["how"]) for c in sheet["columns"]}
    assert how["Project_ID"] == ("Project ID", "exact")
    assert how["Project Manager (PM)"] == ("Project Manager", "exact")
    assert how["DCA"] == ("Overall RAG", "alias")
    assert sheet["date_order"] == {"Start Date": "MDY", "Baseline Finish": "MDY",
                                   "Status Date": "MDY"}
    assert sheet["not_in_vocabulary"]["Phase"]["Construction"]["suggested"] == "Execution"
    assert sheet["not_in_vocabulary"]["Overall RAG"]["Amber/Red"]["suggested"] == "Red"
    text = out.read_text(encoding="utf-8")
    assert '"Construction" = "Execution"' in text and '"Currency" = "GBP"' in text
    code, data = cli_json(capsys, "validate", str(tracker), "--profile", str(out), "--as-of",
                          AS_OF.isoformat())
    assert code == 0 and data["errors"] == 0


# --- a workbook: merged two-row header, hidden rows, a table totals row -----------------------


def workbook_with_two_row_header(path: Path) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Portfolio 2026")
    sheet.write(0, 0, "Harbourside capital portfolio — as at 30 Nov 2026")
    for col, title in ((0, "Project ID"), (1, "Project Name"), (2, "Sponsor"),
                       (3, "Project Manager"), (4, "Phase"), (5, "Overall RAG")):
        sheet.merge_range(2, col, 3, col, title)  # vertical merge over both header rows
    sheet.merge_range(2, 6, 2, 7, "Baseline")  # group row over two columns
    sheet.write_row(3, 6, ["Start", "Finish"])
    sheet.merge_range(2, 8, 2, 9, "Cost")
    sheet.write_row(3, 8, ["Budget", "Actual Cost"])
    sheet.write(3, 10, "Percent Complete")
    date = book.add_format({"num_format": "dd-mmm-yyyy"})
    rows = [("A-1", "Quay wall", "Ana", "Bo", "Execution", "Green", 45658, 46387, 100, 40, 0.4),
            ("A-2", "Lock gates", "Cy", "Di", "Execution", "Amber", 45658, 46387, 200, 90, 0.5),
            ("A-3", "Dredging", "Ed", "Fi", "Planning", "Green", 46000, 46500, 300, 10, 0.05)]
    for r, row in enumerate(rows, start=4):
        for c, value in enumerate(row):
            sheet.write(r, c, value, date if c in (6, 7) else None)
    sheet.set_row(5, None, None, {"hidden": True})  # A-2 hidden
    book.close()
    return path


def test_two_row_header_and_hidden_rows(tmp_path: Path) -> None:
    path = workbook_with_two_row_header(tmp_path / "Portfolio.xlsx")
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    reg = read_register(path)
    table = reg.projects
    assert table.sheet == "Portfolio 2026" and table.header_row == 4
    assert table.letters["start_date"] == "G" and table.letters["baseline_finish"] == "H"
    assert table.letters["budget"] == "I" and table.hidden == (6,)
    found = {f.rule: f for f in validate(reg, AS_OF)}
    assert found["hidden-rows"].message.startswith("1 hidden or filtered-out row was read")
    assert found["hidden-rows"].cell == "'Portfolio 2026'!A6"
    # The hidden project counts in every figure, and the finding says so.
    assert rollup(reg, AS_OF).finance()["budget"] == 600
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before  # never written to


def test_excel_table_totals_row_is_left_out(tmp_path: Path) -> None:
    path = tmp_path / "r.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Projects")
    headers = list(VALID_PROJECT)
    rows = [[VALID_PROJECT[h] for h in headers]]
    rows[0][headers.index("Start Date")] = "2026-01-01"
    rows[0][headers.index("Baseline Finish")] = "2026-12-31"
    rows[0][headers.index("Status Date")] = "2026-09-25"
    columns = [{"header": h} for h in headers]
    columns[headers.index("Budget")]["total_function"] = "sum"
    columns[0]["total_string"] = "Totals"
    sheet.add_table(0, 0, 2, len(headers) - 1, {"data": rows, "columns": columns,
                                                "total_row": True, "name": "tblProjects"})
    book.close()
    reg = read_register(path)
    assert len(reg.projects) == 1 and reg.projects.skipped == {3: "the Excel Table's totals row"}


# --- a European CSV: semicolons, decimal commas, kEUR, Mio, day-first dates ------------------


def test_european_export(tmp_path: Path) -> None:
    path = tmp_path / "Projektliste.csv"
    path.write_bytes(
        "Project ID;Project Name;Sponsor;Project Manager;Phase;Overall RAG;Start Date;"
        "Baseline Finish;Budget_kEUR;Actual Cost;Percent Complete;Status Date\n"
        "DE-1;Netzausbau;Jo;Ka;Execution;Green;01.02.2026;31.12.2026;1.250,5;"
        "\"1,2 Mio\";40%;20.11.2026\n"
        "DE-2;Rechenzentrum;Li;Mo;Planning;Amber;15.03.2026;30.06.2027;800;250.000;10%;"
        "21.11.2026\n".encode("cp1252"))
    reg = read_register(path)
    v = reg.projects.values.set_index("project_id")
    assert v.loc["DE-1", "budget"] == pytest.approx(1_250_500)  # kEUR × 1,250.5
    assert v.loc["DE-1", "actual_cost"] == 1_200_000  # "1,2 Mio": explicit, not × kEUR
    assert v.loc["DE-2", "actual_cost"] == 250_000
    assert v.loc["DE-2", "start_date"] == dt.datetime(2026, 3, 15)
    assert reg.currency == "EUR"
    rules = {f.rule for f in validate(reg, AS_OF)}
    assert "money-unit" in rules and "bad-money" not in rules


# --- honest figures ---------------------------------------------------------------------------


def test_an_unreadable_budget_leaves_every_earned_value_sum(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]
                                                            ) -> None:
    good = project(**{"Budget": 100_000, "Actual Cost": 50_000, "Percent Complete": 0.5})
    bad = project(**{"Project ID": "PRJ-002", "Budget": "tbc", "Actual Cost": 40_000})
    negative = project(**{"Project ID": "PRJ-003", "Actual Cost": -5_000})
    path = register(tmp_path / "r.xlsx", [good, bad, negative])
    code, rolled = cli_json(capsys, "rollup", str(path))
    finance = rolled["finance"]
    # Only PRJ-001: EV 50,000 over AC 50,000, not (50,000 + 0) / (50,000 + 40,000 - 5,000).
    assert (finance["earned_value"], finance["actual_cost"], finance["cpi"]) == (
        50_000, 50_000, 1.0)
    assert rolled["data_quality"]["projects_excluded_from_finance"] == ["PRJ-002", "PRJ-003"]
    per = {p["project_id"]: p for p in rolled["per_project"]}
    assert per["PRJ-003"]["cpi"] is None and per["PRJ-003"]["ac"] is None  # never CPI -1.04


def test_amounts_in_another_currency_are_never_summed(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    rows = [project(), project(**{"Project ID": "PRJ-002", "Budget": "$1,200,000"})]
    path = register(tmp_path / "r.xlsx", rows, settings={"Currency": "GBP"})
    code, data = cli_json(capsys, "validate", str(path))
    [finding] = [f for f in data["findings"] if f["rule"] == "other-currency"]
    assert finding["message"] == "Budget '$1,200,000' is not in GBP: it is not summed"
    code, rolled = cli_json(capsys, "rollup", str(path))
    assert rolled["finance"]["budget"] == 100_000
    assert rolled["finance"]["coverage"]["budget"] == 1


def test_missing_columns_are_findings_at_the_header(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    headers = [h for h in VALID_PROJECT if h not in ("Sponsor", "Overall RAG",
                                                      "Percent Complete")]
    path = tmp_path / "r.xlsx"
    from registers import grid, write_workbook

    write_workbook(path, {"Projects": grid([VALID_PROJECT], headers)})
    code, data = cli_json(capsys, "validate", str(path))
    assert code == 1
    missing = [f for f in data["findings"] if f["rule"] == "missing-column"]
    free = "U1"  # the first column after the header
    assert [(f["column"], f["cell"]) for f in missing] == [
        ("Sponsor", f"Projects!{free}"), ("Overall RAG", f"Projects!{free}"),
        ("Percent Complete", f"Projects!{free}")]
    # No per-row finding points at some other column for the missing ones.
    assert not [f for f in data["findings"] if f["rule"] == "required"]
    code, rolled = cli_json(capsys, "rollup", str(path))
    assert rolled["finance"]["earned_value"] is None and rolled["finance"]["cpi"] is None
    assert rolled["projects"]["by_rag"] is None
    assert {"Sponsor", "Overall RAG", "Percent Complete"} <= set(
        rolled["data_quality"]["not_tracked"])


# --- the real public registers, as they are -----------------------------------------------------


def test_real_canadian_it_portfolio(capsys: pytest.CaptureFixture[str]) -> None:
    path = REAL_DATA / "gc-it-projects-2022.csv"
    code, data = cli_json(capsys, "validate", str(path))
    assert code == 1
    found = by_rule(data["findings"])
    # One finding per missing required column, not per row; blank budgets per row.
    assert sorted(f["column"] for f in found["missing-column"]) == sorted(
        ["Sponsor", "Project Manager", "Phase", "Overall RAG", "Start Date", "Baseline Finish",
         "Percent Complete"])
    assert len(found["required"]) == 14
    code, rolled = cli_json(capsys, "rollup", str(path))
    assert rolled["projects"]["total"] == 495
    assert rolled["finance"]["budget"] == 7_023_336_948  # "$3,794,700" ... summed as dollars
    assert rolled["finance"]["earned_value"] is None  # no Percent Complete: not tracked
    assert rolled["finance"]["forecast_cost"] is None  # nothing to forecast from


def test_real_water_utility_needs_a_profile_and_gets_one(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = REAL_DATA / "melbourne-water-capital-delivery.csv"
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "has no Project Name column" in err and "recognised: ID → Project ID" in err
    profile = tmp_path / "water.toml"
    code, seen = cli_json(capsys, "inspect", str(path), "--write-profile", str(profile))
    # inspect reads it all the same, naming the projects by their ID, and says what is missing.
    [projects] = [s for s in seen["sheets"] if s["sheet"] == "Projects"]
    assert code == 0 and projects["rows"] == 445
    assert {"column": "Project Name", "status": "required"} in projects["missing"]
    text = profile.read_text(encoding="utf-8")
    assert "not_tracked" in text and '"Project Name"' in text
    code, data = cli_json(capsys, "validate", str(path), "--profile", str(profile))
    assert code == 0 and data["errors"] == 0
    code, rolled = cli_json(capsys, "rollup", str(path), "--profile", str(profile))
    assert rolled["projects"]["total"] == 445


# --- a pmo-xl workbook whose Lists sheet holds the organisation's words ------------------------


def test_lists_sheet_words_are_the_standard(tmp_path: Path, sample_path: Path) -> None:
    path = tmp_path / "Register.xlsm"
    assert main(["new", str(path), "--sample"]) == 0
    book = openpyxl.load_workbook(path, keep_vba=True)  # a test's own copy, never a user's
    lists = book["Lists"]
    header = [c.value for c in lists[1]]
    phase = header.index("Phase") + 1
    lists.cell(7, phase).value, lists.cell(7, phase + 1).value = "Design", "Planning"
    book["Projects"]["G2"] = "Design"
    book.save(path)
    reg = read_register(path)
    assert reg.projects.schema.column("phase").vocabulary.meaning("Design") == "Planning"
    [first] = [r for r in rollup(reg).per_project() if r["row"] == 2]
    assert (first["phase"], first["phase_label"]) == ("Planning", "Design")
    assert not [f for f in validate(reg) if f.cell == "Projects!G2"]


def test_new_from_a_register_carries_its_words_and_its_bad_values(
        tracker: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tracker.parent / "pmo-xl.toml").write_text(PROFILE, encoding="utf-8")
    out = tmp_path / "Moved.xlsm"
    assert main(["new", str(out), "--from", str(tracker)]) == 0
    printed = capsys.readouterr().out
    assert "4 projects" in printed and "implausible" in printed
    book = openpyxl.load_workbook(out)
    lists = [c.value for c in book["Lists"]["A"] if c.value]
    assert lists[:4] == ["Phase", "Construction", "Design", "Scope"]
    projects = book["Projects"]
    header = [c.value for c in projects[1]]
    row = {h: projects.cell(2, i + 1).value for i, h in enumerate(header)}
    assert row["Phase"] == "Construction" and row["Overall RAG"] == "Amber/Red"
    assert row["Budget"] == 34_000_000  # amounts in units in the workbook
    bad = {h: projects.cell(4, i + 1).value for i, h in enumerate(header)}
    assert bad["Baseline Finish"] == "1/1/1905"  # carried over as the text it was
    reg = read_register(out)  # and the new workbook reads back with its own Lists
    assert [p["phase_label"] for p in rollup(reg).per_project()] == [
        "Construction", "Design", "Scope", "Closed"]


def test_ambiguous_dates_follow_the_registers_other_date_columns(tmp_path: Path) -> None:
    path = tmp_path / "us.csv"
    path.write_text("Project ID,Project Name,Start Date,Baseline Finish\n"
                    "U-1,Alpha,3/4/2022,6/28/2024\nU-2,Beta,5/6/2023,12/31/2025\n",
                    encoding="utf-8")
    table = read_register(path).projects
    # Start Date alone is ambiguous; Baseline Finish is clearly month-first: so is Start.
    assert table.values["start_date"].tolist() == [dt.datetime(2022, 3, 4),
                                                   dt.datetime(2023, 5, 6)]
    assert "like the register's other date columns" in table.parsed["start_date"].note["why"]


def test_the_projects_sheet_is_found_by_content_or_named(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    from registers import grid, write_workbook

    path = write_workbook(tmp_path / "r.xlsx", {
        "Read me": [["This workbook holds the 2026 portfolio"]],
        "Register": grid([VALID_PROJECT]), "Archive": grid([project(**{"Budget": "x"})])})
    reg = read_register(path)
    assert reg.projects.sheet == "Register"  # the first sheet whose header names most columns
    [note] = [f for f in validate(reg) if f.rule == "sheet-chosen"]
    assert note.severity == "info" and "read sheet 'Register' as the project register" in (
        note.message)
    assert read_register(path, sheet="Archive").projects.sheet == "Archive"
    assert main(["validate", str(path), "--sheet", "Nope"]) == 2
    assert "no sheet 'Nope' for Projects (the workbook has: Read me, Register, Archive)" in (
        capsys.readouterr().err)


def test_a_header_in_another_currency_keeps_its_column_out_of_every_sum(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "r.csv"
    path.write_text("Project ID,Project Name,Budget (£m),Actual Cost ($)\n"
                    "P-1,Alpha,2,100\nP-2,Beta,3,200\n", encoding="utf-8")
    (tmp_path / "pmo-xl.toml").write_text('[settings]\n"Currency" = "GBP"\n', encoding="utf-8")
    code, data = cli_json(capsys, "validate", str(path))
    [finding] = [f for f in data["findings"] if f["rule"] == "other-currency"]
    assert finding["cell"] == "r!D1" and "says $" in finding["message"]
    code, rolled = cli_json(capsys, "rollup", str(path))
    assert rolled["finance"]["budget"] == 5_000_000
    assert [p["ac"] for p in rolled["per_project"]] == [None, None]


# Findings a profile can prevent: a header it could map, a word it could give a meaning, a
# column it could declare not tracked, a sheet it could name, a currency it could set.
PREVENTABLE = {"missing-column", "not-allowed", "sheet-not-read", "other-currency",
               "fuzzy-header", "sheet-chosen"}


def european_csv(path: Path) -> Path:
    path.write_bytes(
        "Ref;Titel;Phase;Status;Budget_kEUR;Start;Ende\n"
        "DE-1;Netzausbau;Bau;Im Plan;1.250,5;01.02.2026;31.12.2026\n"
        "DE-2;Rechenzentrum;Planung;Kritisch;800;15.03.2026;30.06.2027\n".encode("cp1252"))
    return path


@pytest.mark.parametrize("fixture", ["tracker", "two-row", "european", "canadian", "water"])
def test_a_written_profile_prevents_what_a_profile_can(fixture: str, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    folder = tmp_path / "register"
    folder.mkdir()
    path = {
        "tracker": lambda: (folder / "t.csv").write_text(TRACKER, encoding="utf-8") and (
            folder / "t.csv"),
        "two-row": lambda: workbook_with_two_row_header(folder / "Portfolio.xlsx"),
        "european": lambda: european_csv(folder / "Projektliste.csv"),
        "canadian": lambda: REAL_DATA / "gc-it-projects-2022.csv",
        "water": lambda: REAL_DATA / "melbourne-water-capital-delivery.csv",
    }[fixture]()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    profile = tmp_path / "written.toml"
    assert main(["inspect", str(path), "--write-profile", str(profile)]) == 0
    capsys.readouterr()
    code, data = cli_json(capsys, "validate", str(path), "--profile", str(profile))
    assert code in (0, 1)
    text = profile.read_text(encoding="utf-8")
    left = [f for f in data["findings"] if f["severity"] == "error" and f["rule"] in PREVENTABLE]
    # What is left, the profile asks about: a word it could not guess is a commented line.
    unasked = [f for f in left if f["rule"] != "not-allowed"
               or f"# {json.dumps(f['message'].split(chr(39))[1])} = " not in text]
    assert not unasked, (unasked, text)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_a_starter_profile_asks_for_the_id_column_it_cannot_find(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "p.csv"
    path.write_text("Nummer,Project Name,Budget\nA-1,Alpha,100\n", encoding="utf-8")
    profile = tmp_path / "p.toml"
    assert main(["inspect", str(path), "--write-profile", str(profile)]) == 0
    out = capsys.readouterr().out
    assert "[columns.Projects]" in out  # rich markup must not swallow the hint
    text = profile.read_text(encoding="utf-8")
    assert '# "Project ID" = "?"' in text and '"Project ID"' not in text.split("[")[0]
    assert main(["validate", str(path), "--profile", str(profile)]) == 2  # still unreadable
    assert "has no Project ID column" in capsys.readouterr().err
    profile.write_text(text.replace('# "Project ID" = "?"', '"Project ID" = "Nummer"'),
                       encoding="utf-8")
    assert main(["validate", str(path), "--profile", str(profile)]) == 0


def test_long_cells_cost_their_length_not_its_square(tmp_path: Path) -> None:
    """A 170 KB note in a header row or a date cell (seen in a real export) is read in time
    proportional to its length: no parser tries every split of it."""
    import time

    note = "`" * 170_000
    path = tmp_path / "r.csv"
    path.write_text(f"Project ID,Project Name,Start Date,Budget,{note}\n"
                    f"P-1,Alpha,{note},{note},x\n", encoding="utf-8")
    started = time.process_time()
    reg = read_register(path)
    found = list(validate(reg))
    assert {f.rule for f in found} >= {"bad-date", "bad-money"}
    assert time.process_time() - started < 5  # it hung before (quadratic unit search)
