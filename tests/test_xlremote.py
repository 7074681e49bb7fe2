"""The xlremote harness: real workbook files through xlwings' remote engine and back."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlremote
from openpyxl.styles import PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.table import Table, TableStyleInfo
from xlremote import (
    SUPPORTED_ACTIONS,
    UNSUPPORTED_ACTIONS,
    VBARuntimeError,
    apply_actions,
    payload_from_workbook,
    remote_bas_actions,
    remote_book,
    vba_parse_iso,
)

REGISTER = Path(__file__).resolve().parents[1] / "workbooks" / "PMO_Register.xlsm"


@pytest.fixture
def portfolio(tmp_path: Path) -> Path:
    """A small register: a table, names, a hidden and a very hidden sheet, an empty one."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Projects"
    ws.append(["ID", "Name", "Budget", "Start", "Active"])
    ws.append(["P-001", "Alpha", 1000.5, dt.datetime(2024, 1, 15), True])
    ws.append(["P-002", "Beta", 0.1 + 0.2, dt.datetime(2024, 2, 1, 10, 30), False])
    ws.append(["P-003", "Gamma", 12_345_678_901_234, None, None])
    ws.add_table(Table(displayName="tblProjects", ref="A1:E4", tableStyleInfo=TableStyleInfo(
        name="TableStyleMedium2", showRowStripes=True)))
    ws["G1"] = dt.time(9, 30)
    ws["G1"].number_format = "h:mm"
    ws["G2"] = "=1/0"  # no cached value: openpyxl cannot calculate
    wb.defined_names["Budgets"] = DefinedName("Budgets", attr_text="Projects!$C$2:$C$4")
    wb.defined_names["Rate"] = DefinedName("Rate", attr_text="0.5")  # a constant: no range
    ws.defined_names["FirstID"] = DefinedName("FirstID", attr_text="Projects!$A$2")
    dashboard = wb.create_sheet("Dashboard")
    dashboard["B2"] = "Portfolio"
    dashboard["C3"] = 42
    dashboard.print_area = "A1:D10"
    hidden = wb.create_sheet("Lists")
    hidden.sheet_state = "hidden"
    hidden["A1"] = "Green"
    wb.create_sheet("Marks").sheet_state = "veryHidden"
    formatted = wb.create_sheet("Formatted only")
    formatted["C3"].fill = PatternFill("solid", fgColor="FFFF0000")
    wb.active = 1  # the Dashboard
    path = tmp_path / "Register.xlsx"
    wb.save(path)
    return path


def test_payload_has_remote_bas_shape(portfolio: Path) -> None:
    payload = payload_from_workbook(portfolio)
    assert payload["client"] == "VBA"
    # xlwings' own version (the engine refuses any other: see the round-trip test)
    assert payload["version"] == importlib.metadata.version("xlwings")
    assert payload["book"] == {"name": "Register.xlsx", "active_sheet_index": 1,
                               "selection": "A1"}
    # wb.Worksheets: every worksheet in tab order, hidden and very hidden ones too.
    assert [sheet["name"] for sheet in payload["sheets"]] == [
        "Projects", "Dashboard", "Lists", "Marks", "Formatted only"]
    assert all(list(sheet) == ["name", "pictures", "tables", "values"]
               for sheet in payload["sheets"])
    projects, dashboard, lists, marks, formatted = payload["sheets"]
    assert projects["values"][:4] == [
        ["ID", "Name", "Budget", "Start", "Active", None, "1899-12-30T09:30:00.000Z"],
        ["P-001", "Alpha", 1000.5, "2024-01-15T00:00:00.000Z", True, None, None],
        ["P-002", "Beta", 0.3, "2024-02-01T10:30:00.000Z", False, None, None],  # CStr
        ["P-003", "Gamma", 12_345_678_901_234, None, None, None, None],
    ]
    assert dashboard["values"] == [[None] * 3, [None, "Portfolio", None], [None, None, 42]]
    assert lists["values"] == [["Green"]]
    assert marks["values"] == [[]]  # empty sheet
    assert formatted["values"] == [[]]  # the UsedRange is one empty (formatted) cell
    assert projects["tables"] == [{
        "name": "tblProjects", "range_address": "$A$1:$E$4",
        "header_row_range_address": "$A$1:$E$1", "data_body_range_address": "$A$2:$E$4",
        "total_row_range_address": None, "show_headers": True, "show_totals": False,
        "table_style": "TableStyleMedium2", "show_autofilter": True}]
    assert payload["names"] == [
        {"name": "Budgets", "sheet_index": 0, "address": "C2:C4", "book_scope": True,
         "scope_sheet_name": None, "scope_sheet_index": None},
        {"name": "Dashboard!Print_Area", "sheet_index": 1, "address": "A1:D10",
         "book_scope": False, "scope_sheet_name": "Dashboard", "scope_sheet_index": 1},
        {"name": "Projects!FirstID", "sheet_index": 0, "address": "A2", "book_scope": False,
         "scope_sheet_name": "Projects", "scope_sheet_index": 0},
    ]


def test_payload_round_trips_through_the_remote_engine(portfolio: Path) -> None:
    with remote_book(portfolio, active_sheet="Projects", selection="$B$2:$C$3") as book:
        import xlwings as xw

        assert isinstance(book, xw.Book)
        projects = book.sheets["Projects"]
        assert book.name == "Register.xlsx"
        assert book.sheets.active.name == "Projects"
        assert book.app.selection.address == "$B$2:$C$3"
        assert projects["B2"].value == "Alpha"
        assert projects["D3"].value == dt.datetime(2024, 2, 1, 10, 30)
        assert projects["G2"].value is None  # the uncalculated formula
        assert projects.range("tblProjects").value[0] == [
            "P-001", "Alpha", 1000.5, dt.datetime(2024, 1, 15), True]
        assert projects.tables["tblProjects"].header_row_range.value[0] == "ID"
        assert book.names["Budgets"].refers_to_range.value == [1000.5, 0.3, 12_345_678_901_234]
        assert projects.names["Projects!FirstID"].refers_to_range.value == "P-001"
        assert book.sheets["Lists"]["A1"].value == "Green"


def test_text_vba_json_sends_as_a_number(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active["A1"] = "1234567890123456"  # 16 digits: written unquoted by VBA-JSON
    wb.save(tmp_path / "digits.xlsx")
    assert payload_from_workbook(tmp_path / "digits.xlsx")["sheets"][0]["values"] == [
        [1234567890123456]]
    wb.active["A1"] = "0012345678901234"  # unquoted, and no valid JSON number
    wb.save(tmp_path / "padded.xlsx")
    with pytest.raises(ValueError, match="cannot parse the request"):
        payload_from_workbook(tmp_path / "padded.xlsx")


def test_new_error_values_make_invalid_json(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active["A1"] = "#N/A"  # openpyxl stores this as the error value
    wb.save(tmp_path / "na.xlsx")
    assert payload_from_workbook(tmp_path / "na.xlsx")["sheets"][0]["values"] == [["#N/A"]]
    wb.active["A1"].value = "#SPILL!"
    wb.active["A1"].data_type = "e"
    wb.save(tmp_path / "spill.xlsx")
    with pytest.raises(ValueError, match="invalid JSON"):
        payload_from_workbook(tmp_path / "spill.xlsx")


def test_include_and_exclude_send_empty_sheets(portfolio: Path) -> None:
    payload = payload_from_workbook(portfolio, include="Dashboard, Lists")
    sent = {sheet["name"]: sheet["values"] != [[]] for sheet in payload["sheets"]}
    assert sent == {"Projects": False, "Dashboard": True, "Lists": True, "Marks": False,
                    "Formatted only": False}
    assert payload_from_workbook(portfolio, exclude=["Projects"])["sheets"][0] == {
        "name": "Projects", "pictures": [], "tables": [], "values": [[]]}
    with pytest.raises(ValueError, match="not both"):
        payload_from_workbook(portfolio, include="Lists", exclude="Marks")
    with pytest.raises(ValueError, match="hidden"):
        payload_from_workbook(portfolio, active_sheet="Lists")


def _button() -> None:
    """A button function, written as RunPython would call it."""
    import xlwings as xw

    book = xw.Book.caller()
    dashboard = book.sheets["Dashboard"]
    dashboard["A5"].value = [
        ["'=not a formula", "=SUM(1,2)", dt.date(2024, 3, 1), dt.datetime(2024, 3, 1, 9, 15),
         1 / 3, None, "2024-001-05", "'+44 20", 7, True]]
    dashboard["B2"].clear_contents()
    dashboard["C3"].color = "#FF8800"
    dashboard["C3"].number_format = "0.00"
    book.sheets["Projects"]["A6:G1048576"].clear_contents()
    book.sheets.add("Trend", after=book.sheets["Dashboard"])
    book.app.alert("Roll-up done.", title="pmo-xl", buttons="ok", mode="info")


def test_button_actions_applied_like_the_vba_client(portfolio: Path, tmp_path: Path) -> None:
    with remote_book(portfolio) as book:
        _button()
        actions = book.json()["actions"]
    target = tmp_path / "after.xlsx"
    alerts = apply_actions(portfolio, actions, target)

    assert alerts == [{"prompt": "Roll-up done.", "title": "pmo-xl", "buttons": "ok",
                       "mode": "info", "callback": ""}]
    after = openpyxl.load_workbook(target)
    assert after.sheetnames == ["Projects", "Dashboard", "Trend", "Lists", "Marks",
                                   "Formatted only"]
    assert after.active.title == "Trend"  # Sheets.Add activates the new sheet
    dashboard = after["Dashboard"]
    row = {cell.column_letter: cell for cell in dashboard[5]}
    assert (row["A"].value, row["A"].data_type, row["A"].quotePrefix) == (
        "=not a formula", "s", True)
    assert (row["B"].value, row["B"].data_type) == ("=SUM(1,2)", "f")
    assert (row["C"].value, row["C"].number_format) == (dt.datetime(2024, 3, 1), "mm-dd-yy")
    # xlwings sends "2024-03-01 09:15:00", which Excel's input parsing turns into a date.
    assert (row["D"].value, row["D"].number_format) == (
        dt.datetime(2024, 3, 1, 9, 15), "m/d/yy h:mm")
    # 0.3333333333333333 is over 15 characters: VBA-JSON keeps it as text, Excel parses it.
    assert row["E"].value == pytest.approx(0.333333333333333, abs=1e-18)
    assert row["F"].value is None
    assert row["G"].value == dt.datetime(2024, 1, 5)  # ParseIso reads "2024-001-05" as a date
    assert (row["H"].value, row["H"].quotePrefix) == ("+44 20", True)
    assert (row["I"].value, row["J"].value) == (7, True)
    assert dashboard["B2"].value is None
    assert dashboard["C3"].value == 42
    assert dashboard["C3"].fill.fill_type == "solid"
    assert dashboard["C3"].fill.fgColor.rgb == "FFFF8800"
    assert dashboard["C3"].number_format == "0.00"
    projects = after["Projects"]
    assert projects["B4"].value == "Gamma"  # above the cleared range
    assert projects.tables["tblProjects"].ref == "A1:E4"


def test_clearing_a_million_rows_touches_existing_cells_only(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in range(1, 201):
        ws.append([f"r{row}c{column}" for column in range(1, 9)])
    path = tmp_path / "big.xlsx"
    wb.save(path)
    actions = [{"func": func, "args": [None], "values": None, "sheet_position": 0,
                "start_row": 5, "start_column": 0, "row_count": 1_048_571, "column_count": 7}
               for func in ("rangeClearContents", "rangeClearFormats", "rangeClear")]
    started = time.perf_counter()
    apply_actions(path, actions, tmp_path / "cleared.xlsx")
    assert time.perf_counter() - started < 2
    ws = openpyxl.load_workbook(tmp_path / "cleared.xlsx").active
    assert (ws["G5"].value, ws["A6"].value, ws["G200"].value, ws["H200"].value) == (
        "r5c7", None, None, "r200c8")
    assert ws.max_row == 200


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-01-15", dt.datetime(2024, 1, 15)),
    ("2024-01-15T10:30:00.000Z", dt.datetime(2024, 1, 15, 10, 30)),
    ("2024-01-15T10:30:59.9+05:30", dt.datetime(2024, 1, 15, 10, 30, 59)),  # offset ignored
    ("2024-01-15T10", dt.datetime(2024, 1, 15, 10)),
    ("2024-13-01", dt.datetime(2025, 1, 1)),  # DateSerial rolls months over
    ("1-2-3", dt.datetime(2001, 2, 3)),  # two-digit years
    ("2024-001-05-extra", dt.datetime(2024, 1, 5)),
    ("2024-01-15 10:30:00", None),  # CInt("15 10:30:00") fails
    ("P-001", None),
    ("2024-01", None),
    ("", None),
    ("2024-01-15T10:30:00+xx", None),
])
def test_parse_iso_is_webhelpers_parseiso(text: str, expected: dt.datetime | None) -> None:
    assert vba_parse_iso(text) == expected


def _action(func: str, *args: Any, sheet: int | None = 0, **fields: Any) -> dict[str, Any]:
    return {"func": func, "args": list(args) or [None], "values": None,
            "sheet_position": sheet, "start_row": 0, "start_column": 0, "row_count": 1,
            "column_count": 1, **fields}


def test_add_sheet_goes_where_remote_bas_moves_it(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "A"
    wb.create_sheet("B")
    wb.active = 1
    wb.save(tmp_path / "ab.xlsx")
    with remote_book(tmp_path / "ab.xlsx") as book:
        book.sheets.add("New", before=book.sheets["A"])
        assert [sheet.name for sheet in book.sheets] == ["New", "A", "B"]
        actions = book.json()["actions"]
    apply_actions(tmp_path / "ab.xlsx", actions, tmp_path / "after.xlsx")
    # Sheets.Add puts it before the active B, then Move After:=Worksheets(1) keeps it there.
    assert openpyxl.load_workbook(tmp_path / "after.xlsx").sheetnames == ["A", "New", "B"]


def test_rename_and_delete_rewrite_references(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "Data"
    wb.active["A1"] = 5
    other = wb.create_sheet("Sums")
    other["A1"] = "=Data!A1*2"
    other["A2"] = "=Gone!A1"
    wb.create_sheet("Gone")
    wb.defined_names["Base"] = DefinedName("Base", attr_text="Data!$A$1")
    wb.save(tmp_path / "refs.xlsx")
    actions = [_action("setSheetName", "Raw Data"), _action("sheetDelete", sheet=2)]
    apply_actions(tmp_path / "refs.xlsx", actions, tmp_path / "after.xlsx")
    after = openpyxl.load_workbook(tmp_path / "after.xlsx")
    assert after.sheetnames == ["Raw Data", "Sums"]
    assert (after["Sums"]["A1"].value, after["Sums"]["A2"].value) == (
        "='Raw Data'!A1*2", "=#REF!A1")
    assert after.defined_names["Base"].attr_text == "'Raw Data'!$A$1"
    with pytest.raises(VBARuntimeError, match="already exists"):
        apply_actions(tmp_path / "refs.xlsx", [_action("setSheetName", "sums")],
                      tmp_path / "x.xlsx")


def test_actions_outside_remote_bas_fail(portfolio: Path, tmp_path: Path) -> None:
    with remote_book(portfolio) as book:
        book.sheets["Dashboard"]["A1"].formula = "=1+1"  # an Office.js-only action
        book.sheets["Dashboard"]["A1"].column_width = 20
        book.macro("Module1.Refresh")()
        book.sheets["Dashboard"]["A1"].color = None  # HexToRgb(Null)
        set_formula, set_width, run_macro, no_color = book.json()["actions"]
    assert (set_formula["func"], set_width["func"]) == ("setFormula", "setColumnWidth")
    for action in (set_formula, set_width, _action("noSuchSub")):
        with pytest.raises(ValueError, match="no Sub"):
            apply_actions(portfolio, [action], tmp_path / "x.xlsx")
    with pytest.raises(NotImplementedError, match="runMacro"):
        apply_actions(portfolio, [run_macro], tmp_path / "x.xlsx")
    with pytest.raises(VBARuntimeError, match="Invalid use of Null"):
        apply_actions(portfolio, [no_color], tmp_path / "x.xlsx")
    with pytest.raises(NotImplementedError, match="header cell A1 of table tblProjects"):
        apply_actions(portfolio, [_action("setValues", values=[["Project ID"]])],
                      tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()  # nothing saved after a failure


def test_remote_bas_actions_are_the_vba_clients() -> None:
    actions = remote_bas_actions()
    assert {"setValues", "setRangeColor", "alert", "addSheet", "rangeClearContents",
            "sheetClear", "runMacro"} <= actions
    assert not {"setFormula", "setColumnWidth", "GetRange", "RunServerPython"} & actions
    # Every Sub is either emulated or refused by name.
    assert SUPPORTED_ACTIONS | set(UNSUPPORTED_ACTIONS) == actions
    assert not SUPPORTED_ACTIONS & set(UNSUPPORTED_ACTIONS)


def test_remote_book_cleans_up(portfolio: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XLWINGS_LICENSE_KEY", raising=False)
    with remote_book(portfolio) as book:
        import xlwings as xw

        assert os.environ["XLWINGS_LICENSE_KEY"] == "noncommercial"
        assert xw.Book.caller().name == book.name
    assert "XLWINGS_LICENSE_KEY" not in os.environ
    assert not hasattr(xw.Book, "_mock_caller")


def test_remote_engine_after_xlwings_was_imported_without_a_key(portfolio: Path) -> None:
    """xlwings registers its remote engine on import only if the key is already set."""
    script = (
        "import sys, xlwings\n"
        "sys.path.insert(0, sys.argv[1]); import xlremote\n"
        "with xlremote.remote_book(sys.argv[2]) as book:\n"
        "    print(book.sheets['Dashboard']['B2'].value)\n")
    environment = {key: value for key, value in os.environ.items()
                   if key != "XLWINGS_LICENSE_KEY"}
    result = subprocess.run(
        [sys.executable, "-c", script, str(Path(__file__).parent), str(portfolio)],
        capture_output=True, text=True, env=environment, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Portfolio"


def test_names_links_copies_tables_and_selection(portfolio: Path, tmp_path: Path) -> None:
    with remote_book(portfolio) as book:
        projects, dashboard = book.sheets["Projects"], book.sheets["Dashboard"]
        projects["C2:C4"].name = "Costs"
        book.names.add("Anchor", "=Dashboard!$A$1")
        dashboard.names.add("Local", "=Dashboard!$B$1")
        book.names["Budgets"].delete()
        dashboard["A1"].add_hyperlink("www.example.org", "Example")
        projects["A2:B3"].copy(dashboard["E5"])
        projects.tables["tblProjects"].table_style = "TableStyleLight1"
        projects.tables["tblProjects"].show_autofilter = False
        projects.activate()
        projects["B2:C3"].select()
        actions = book.json()["actions"]
    apply_actions(portfolio, actions, tmp_path / "after.xlsx")
    after = openpyxl.load_workbook(tmp_path / "after.xlsx")
    names = {name: definition.attr_text for name, definition in after.defined_names.items()}
    assert names == {"Rate": "0.5", "Costs": "Projects!$C$2:$C$4", "Anchor": "Dashboard!$A$1"}
    assert after["Dashboard"].defined_names["Local"].attr_text == "Dashboard!$B$1"
    link = after["Dashboard"]["A1"]
    assert (link.value, link.hyperlink.target, link.style) == (
        "Example", "http://www.example.org", "Hyperlink")
    assert [[cell.value for cell in row] for row in after["Dashboard"]["E5:F6"]] == [
        ["P-001", "Alpha"], ["P-002", "Beta"]]
    table = after["Projects"].tables["tblProjects"]
    assert (table.tableStyleInfo.name, table.autoFilter) == ("TableStyleLight1", None)
    assert after.active.title == "Projects"
    selection = after["Projects"].sheet_view.selection[0]
    assert (selection.activeCell, selection.sqref) == ("B2", "B2:C3")


def test_selecting_on_an_inactive_sheet_fails(portfolio: Path, tmp_path: Path) -> None:
    with pytest.raises(VBARuntimeError, match="Select method"):
        apply_actions(portfolio, [_action("rangeSelect")], tmp_path / "x.xlsx")
    with pytest.raises(VBARuntimeError, match="hidden"):
        apply_actions(portfolio, [_action("activateSheet", 2)], tmp_path / "x.xlsx")


def test_text_formatted_cells_keep_strings(portfolio: Path, tmp_path: Path) -> None:
    source = openpyxl.load_workbook(portfolio)
    source["Dashboard"]["A1"].number_format = "@"
    source["Dashboard"]["B1"].number_format = "0.0%"
    source.save(tmp_path / "text.xlsx")
    values = [["=1+1", "2024-05-06"]]
    apply_actions(tmp_path / "text.xlsx", [_action(
        "setValues", sheet=1, values=values, column_count=2)], tmp_path / "after.xlsx")
    after = openpyxl.load_workbook(tmp_path / "after.xlsx")["Dashboard"]
    assert (after["A1"].value, after["A1"].data_type) == ("=1+1", "s")
    # The date keeps the cell's own format: openpyxl reads it back as its serial number.
    assert (after["B1"].value, after["B1"].number_format) == (45418, "0.0%")


def test_register_workbook_keeps_its_vba_project(tmp_path: Path) -> None:
    with remote_book(REGISTER) as book:
        sheets = [sheet.name for sheet in book.sheets]
    assert sheets == openpyxl.load_workbook(REGISTER, read_only=True).sheetnames
    target = tmp_path / "PMO_Register.xlsm"
    assert apply_actions(REGISTER, [], target) == []
    assert openpyxl.load_workbook(target, keep_vba=True).vba_archive is not None
    assert xlremote.remote_bas_path().is_file()
