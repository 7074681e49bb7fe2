"""The Excel buttons (pmo_xl.excel) on real workbooks, through xlwings' own remote engine.

Each test builds a real .xlsm with `build_workbook`, sends it to the button function as
xlwings' VBA client would (tests/xlremote.py), applies the actions the function returns to a
copy of the file the way the VBA client would, and reads the copy back with openpyxl. The
expected figures come from the command line (`pmo-xl validate/rollup --format json`) on the
same file, never from the glue itself.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from registers import AS_OF, keep_only_valid_records
from xlremote import (
    apply_actions,
    payload_from_workbook,
    remote_bas_actions,
    remote_book,
    remote_payload_book,
)

from pmo_xl import excel
from pmo_xl.layout import (
    HIGHLIGHTED_SHEETS,
    LESSONS_FINDER,
    LESSONS_FINDER_FIRST_ROW,
    LESSONS_FINDER_HEADER,
    REPORT_PROJECT_NAME,
    ROLLUP_NAME,
    VALIDATION_FIRST_ROW,
    VALIDATION_HEADER,
    highlight_sheet,
)
from pmo_xl.sample import SamplePortfolio, sample_portfolio
from pmo_xl.schema import SETTINGS_SHEET
from pmo_xl.workbook import build_workbook

CHECKED = HIGHLIGHTED_SHEETS  # every data sheet of the standard, and Settings


@dataclass
class Press:
    """One press of a button: the actions xlwings returned, the alerts, and the workbook as
    it is after the VBA client applied the actions."""

    actions: list[dict[str, Any]]
    alerts: list[dict[str, str]]
    after: Path

    @property
    def alert(self) -> dict[str, str]:
        [alert] = self.alerts
        return alert

    def book(self) -> Any:
        return openpyxl.load_workbook(self.after)


def press(path: Path, button: str, *, active_sheet: str | None = None,
          selection: str = "A1", saved: bool = True, name: str | None = None) -> Press:
    """Press `button` in the workbook at `path`. `saved`: the workbook has a full path (as
    Excel's FullName gives on the COM engine); otherwise only a name, as a new unsaved book."""
    book_name = str(path) if saved else "Book1"
    with remote_book(path, active_sheet=active_sheet, selection=selection,
                     book_name=book_name) as book:
        getattr(excel, button)()  # as RunPython calls it: the book is xw.Book.caller()
        actions = book.json()["actions"]
    after = path.with_name(f"{path.stem}.{name or button}.xlsm")
    alerts = apply_actions(path, actions, after)
    return Press(actions, alerts, after)


def cli_json(command: str, path: Path) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "pmo_xl", command, "--format", "json",
                           str(path)], capture_output=True, text=True, timeout=120)
    return json.loads(done.stdout)


def edit(path: Path, target: Path, change: Any) -> Path:
    """A copy of the workbook changed with openpyxl (a test copy, never a user's file)."""
    book = openpyxl.load_workbook(path, keep_vba=True)
    change(book)
    book.save(target)
    return target


def set_setting(name: str, value: Any) -> Any:
    def change(book: Any) -> None:
        ws = book[SETTINGS_SHEET]
        [row] = [r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == name]
        ws.cell(row, 2).value = value
    return change


@pytest.fixture(scope="module")
def portfolio() -> SamplePortfolio:
    return sample_portfolio(40)


@pytest.fixture
def register(tmp_path: Path, portfolio: SamplePortfolio) -> Path:
    """The 40-project sample with its planted problems; reports as HTML (quick, no browser)."""
    portfolio.settings["report_formats"] = "HTML"
    return build_workbook(tmp_path / "Register.xlsm", portfolio)


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Path]]:
    """The reports the buttons open. Opening one starts the desktop's browser or PDF viewer,
    which a test machine has no display for; the paths are recorded instead."""
    seen: list[Path] = []
    monkeypatch.setattr(excel, "open_report", seen.append)
    yield seen


def marks(book: Any, sheet: str) -> dict[str, str]:
    """Cell -> mark, read from the highlight sheet: column A holds each row's marks, e.g.
    '|5E|16W|' (layout.row_marks); nothing else on the sheet is used."""
    ws = book[highlight_sheet(sheet)]
    found = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is None:
                continue
            assert cell.column == 1, f"a mark outside column A: {cell.coordinate}"
            for column, mark in re.findall(r"\|(\d+)([EW])(?=\|)", cell.value):
                found[f"{get_column_letter(int(column))}{cell.row}"] = mark
    return found


def expected_marks(findings: list[dict[str, Any]], sheet: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for f in findings:
        if f["sheet"] == sheet:
            address = f["cell"].split("!")[-1]
            if found.get(address) != "E":
                found[address] = "E" if f["severity"] == "error" else "W"
    return found


# --- Validate entries ------------------------------------------------------------------------


def test_validate_highlights_exactly_the_cells_of_the_findings(register: Path) -> None:
    findings = cli_json("validate", register)["findings"]
    assert findings  # the sample has planted problems
    book = press(register, "validate_entries").book()
    for sheet in CHECKED:
        assert marks(book, sheet) == expected_marks(findings, sheet), sheet
    assert sum(len(marks(book, s)) for s in CHECKED) == len({f["cell"] for f in findings})


def test_validation_sheet_lists_every_finding_with_a_link_to_its_cell(register: Path) -> None:
    findings = cli_json("validate", register)["findings"]
    done = press(register, "validate_entries")
    ws = done.book()["Validation"]
    errors = sum(f["severity"] == "error" for f in findings)
    warnings = len(findings) - errors
    assert (ws["D2"].value, ws["E2"].value, ws["D3"].value, ws["E3"].value) == (
        "Errors", errors, "Warnings", warnings)
    assert ws["A2"].value == "Checked" and isinstance(ws["B2"].value, dt.datetime)
    assert ws["A3"].value == "As of" and ws["B3"].value.date() == AS_OF  # Report Date
    assert [c.value for c in ws[VALIDATION_FIRST_ROW - 1]] == list(VALIDATION_HEADER)
    rows = list(ws.iter_rows(min_row=VALIDATION_FIRST_ROW, values_only=True))
    assert len(rows) == len(findings)
    for row, f in zip(rows, findings, strict=True):
        sheet, address = f["sheet"], f["cell"].split("!")[-1]
        assert row[0] == f'=HYPERLINK("#\'{sheet}\'!{address}","{f["cell"]}")'
        assert row[1:] == (sheet, f["row"], f["column"], f["severity"].capitalize(),
                           f["rule"], f["message"])
    alert = done.alert
    assert alert["prompt"] == (f"{errors} errors, {warnings} warnings — see the Validation "
                               "sheet.")
    assert (alert["title"], alert["mode"]) == ("pmo-xl: Validate entries", "info")


def test_a_clean_run_clears_the_previous_highlights_and_nothing_else(register: Path) -> None:
    first = press(register, "validate_entries", name="first")
    assert marks(first.book(), "Projects")

    def fix_and_format(book: Any) -> None:
        keep_only_valid_records(book)
        # The user's own fill on a cell that was highlighted: it must survive.
        highlighted = next(iter(marks(book, "Projects")))
        book["Projects"][highlighted].fill = openpyxl.styles.PatternFill("solid",
                                                                          fgColor="FF00B0F0")
        book["Projects"].cell(40, book["Projects"].max_column + 2).value = "my note"
    fixed = edit(first.after, register.with_name("fixed.xlsm"), fix_and_format)
    note = openpyxl.load_workbook(fixed)["Projects"].max_column  # beyond the table
    user_cell = next(iter(marks(openpyxl.load_workbook(fixed), "Projects")))

    second = press(fixed, "validate_entries", name="second")
    book = second.book()
    assert all(marks(book, sheet) == {} for sheet in CHECKED)
    assert book["Projects"][user_cell].fill.fgColor.rgb == "FF00B0F0"
    assert book["Projects"].cell(40, note).value == "my note"
    assert len(book["Projects"].conditional_formatting) == len(
        openpyxl.load_workbook(fixed)["Projects"].conditional_formatting)
    ws = book["Validation"]
    assert (ws["E2"].value, ws["E3"].value) == (0, 0)
    rows = list(ws.iter_rows(min_row=VALIDATION_FIRST_ROW, values_only=True))
    assert rows == [("No problems found.", *[None] * (len(VALIDATION_HEADER) - 1))]
    assert second.alert["prompt"].startswith("No problems found")


# --- Roll up portfolio -----------------------------------------------------------------------


def rollup_area(book: Any) -> tuple[Any, int, int]:
    sheet, cell = book.defined_names[ROLLUP_NAME].attr_text.split("!")
    ws = book[sheet]
    anchor = ws[cell.replace("$", "")]
    return ws, anchor.row, anchor.column


def test_rollup_writes_the_figures_of_pmo_xl_rollup_on_the_dashboard(register: Path) -> None:
    expected = cli_json("rollup", register)
    book = press(register, "rollup_portfolio").book()
    ws, top, left = rollup_area(book)

    def figures(first: int, last: int) -> dict[str, Any]:
        """Label -> value of the label/value pairs (labels in B and F, values in D and H)."""
        return {ws.cell(r, left + c).value: ws.cell(r, left + c + 2).value
                for r in range(top + first, top + last + 1) for c in (0, 4)
                if ws.cell(r, left + c).value is not None}

    counts, money, schedule = (expected["projects"], expected["finance"],
                               expected["schedule"])
    assert ws.cell(top, left + 3).value.date().isoformat() == expected["as_of"]
    assert figures(2, 9) == {
        "Projects": counts["total"], "Open projects": counts["active"],
        "Budget": money["budget"], "Actual cost": money["actual_cost"],
        "Earned value": money["earned_value"], "Planned value": money["planned_value"],
        "CPI": money["cpi"], "SPI": money["spi"], "Cost variance": money["cost_variance"],
        "Schedule variance": money["schedule_variance"],
        "Forecast cost": money["forecast_cost"],
        "Variance at completion": money["variance_at_completion"],
        "Slipped projects": len(schedule["slipped"]),
        "Average slip (days)": schedule["average_slip_days"],
        "Stale status updates": len(expected["stale"]),
        "Overdue milestones": schedule["overdue_milestones"]}
    assert ws.cell(top + 3, left + 2).number_format == "#,##0"  # Budget
    assert ws.cell(top + 5, left + 2).number_format == "0.00"  # CPI

    heading = top + 11
    assert ws.cell(heading, left).value == "Open projects by RAG"
    by_rag = figures(12, 11 + len(counts["by_rag"]))
    assert {k: v for k, v in by_rag.items() if k in counts["by_rag"]} == counts["by_rag"]
    by_phase = figures(12, 11 + len(counts["by_phase"]))
    assert {k: v for k, v in by_phase.items() if k in counts["by_phase"]} == counts["by_phase"]

    found = expected["exceptions"]
    header = next(r for r in range(top, ws.max_row + 1)
                  if ws.cell(r, left).value == "Project ID")
    listed = [(ws.cell(r, left).value, ws.cell(r, left + 4).value, ws.cell(r, left + 5).value)
              for r in range(header + 1, header + 1 + len(found))]
    assert listed == [(e["project_id"], e["overall_rag_label"], "; ".join(e["reasons"]))
                      for e in found]
    assert ws.cell(header + 1 + len(found), left).value is None


def test_text_that_excel_would_read_as_a_formula_is_written_as_text(
        tmp_path: Path) -> None:
    portfolio = sample_portfolio(5)
    tricky = {0: ("=1+2", "=HYPERLINK(\"http://example.invalid\")"), 1: ("+44 20", "@risk"),
              2: ("-17", "2024-001-05")}
    for index, (project_id, name) in tricky.items():
        portfolio.projects[index].update(project_id=project_id, project_name=name,
                                         overall_rag="Red", phase="Execution")
    path = build_workbook(tmp_path / "Tricky.xlsm", portfolio)
    book = press(path, "rollup_portfolio").book()
    ws, top, left = rollup_area(book)
    written = {ws.cell(r, left).value: ws.cell(r, left + 1) for r in range(top, ws.max_row + 1)}
    for project_id, name in tricky.values():
        assert written[project_id].value == name
        assert written[project_id].data_type == "s"  # text, not a formula or a date
    snapshot = list(book["History Projects"].iter_rows(values_only=True))
    column = snapshot[0].index("project_id")
    ids = {row[column] for row in snapshot[1:]}
    assert {p for p, _ in tricky.values()} <= ids


# --- reports ---------------------------------------------------------------------------------


def test_generate_report_writes_the_selected_rows_project_and_opens_it(
        register: Path, portfolio: SamplePortfolio, opened: list[Path]) -> None:
    project = portfolio.projects[3]  # Excel row 5: the header is row 1
    done = press(register, "generate_report", active_sheet="Projects", selection="C5")
    folder = register.parent / "Reports"
    [report] = folder.glob(f"{project['project_id']}-*.html")
    assert opened == [report]
    assert project["project_name"] in report.read_text(encoding="utf-8")
    assert not list(folder.glob("*.pdf"))  # Report Formats: HTML
    assert done.alert["prompt"] == f"Wrote {report.name} to {folder}."
    assert [a["func"] for a in done.actions] == ["alert"]  # the workbook is not touched


def test_generate_report_from_the_dashboards_report_for_cell(
        register: Path, portfolio: SamplePortfolio, opened: list[Path]) -> None:
    project_id = portfolio.projects[6]["project_id"]

    def choose(book: Any) -> None:
        sheet, cell = book.defined_names[REPORT_PROJECT_NAME].attr_text.split("!")
        book[sheet][cell.replace("$", "")] = project_id
    chosen = edit(register, register.with_name("chosen.xlsm"), choose)
    press(chosen, "generate_report", active_sheet="Dashboard")
    [report] = opened
    assert report.name.startswith(f"{project_id}-") and report.exists()


@pytest.mark.parametrize(("sheet", "selection", "saved", "says"), [
    ("Projects", "B1", True, "Row 1 of Projects is not a project"),
    ("Projects", "B900", True, "Row 900 of Projects is not a project"),
    ("Dashboard", "B2", True, "Pick a project in the Report for cell"),
    ("Projects", "B5", False, "Save the workbook first"),
])
def test_generate_report_explains_what_to_do(register: Path, opened: list[Path], sheet: str,
                                             selection: str, saved: bool, says: str) -> None:
    done = press(register, "generate_report", active_sheet=sheet, selection=selection,
                 saved=saved)
    assert done.alert["prompt"].startswith(says)
    assert "\n" not in done.alert["prompt"]
    assert done.alert["mode"] == "critical"
    assert opened == [] and not (register.parent / "Reports").exists()


def test_generate_all_reports_writes_every_report_and_says_where(
        register: Path, portfolio: SamplePortfolio) -> None:
    done = press(register, "generate_all_reports")
    folder = register.parent / "Reports"
    html = sorted(p.name for p in folder.glob("*.html"))
    assert len(html) == len(portfolio.projects) + 2  # the projects, the portfolio, the index
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["register"]["read_from"] == "open workbook"
    assert done.alert["prompt"].startswith(
        f"Wrote {len(portfolio.projects) + 1} report files to {folder}")
    again = press(register, "generate_all_reports", name="again")
    assert "Wrote 0 report files" in again.alert["prompt"]
    assert f"{len(portfolio.projects) + 1} unchanged" in again.alert["prompt"]


def test_reports_follow_the_settings_output_folder(register: Path, opened: list[Path]) -> None:
    moved = edit(register, register.with_name("moved.xlsm"),
                 set_setting("Output Folder", "Status reports/2026"))
    press(moved, "generate_report", active_sheet="Projects", selection="A2")
    [report] = opened
    assert report.parent == register.parent / "Status reports" / "2026"


def test_reports_use_the_settings_templates_folder(register: Path, opened: list[Path]) -> None:
    """The buttons take the same template overrides as `pmo-xl report --templates`."""
    (register.parent / "Templates").mkdir()
    (register.parent / "Templates" / "project.html.j2").write_text(
        '{% extends "bundled:project.html.j2" %}{% block kind %}Board pack{% endblock %}',
        encoding="utf-8")
    ours = edit(register, register.with_name("ours.xlsm"),
                set_setting("Templates Folder", "Templates"))
    press(ours, "generate_report", active_sheet="Projects", selection="A2")
    [report] = opened
    assert '<div class="kind">Board pack ·' in report.read_text(encoding="utf-8")


# --- failures --------------------------------------------------------------------------------


# --- Lessons for project ---------------------------------------------------------------------


def report_for(project_id: str) -> Any:
    """An edit that types `project_id` into the Dashboard's Report for cell."""
    def choose(book: Any) -> None:
        sheet, cell = book.defined_names[REPORT_PROJECT_NAME].attr_text.split("!")
        book[sheet][cell.replace("$", "")] = project_id
    return choose


def test_lessons_for_project_lists_pmo_xl_lessons_top_10_with_links(
        register: Path, portfolio: SamplePortfolio) -> None:
    project_id = portfolio.projects[4]["project_id"]
    chosen = edit(register, register.with_name("chosen.xlsm"), report_for(project_id))
    done = subprocess.run([sys.executable, "-m", "pmo_xl", "lessons", str(chosen),
                           "--project", project_id, "--top", "10", "--format", "json"],
                          capture_output=True, text=True, timeout=120)
    expected = json.loads(done.stdout)["lessons"]
    assert len(expected) == 10
    pressed = press(chosen, "lessons_for_project", active_sheet="Dashboard")
    assert pressed.alert["mode"] == "info"
    assert pressed.alert["prompt"].startswith(f"Wrote the 10 lessons most worth reading for "
                                              f"{project_id} ")
    book = pressed.book()
    ws = book[LESSONS_FINDER]
    assert ws["A1"].value.startswith(f"Lessons worth reading for {project_id} ")
    assert [c.value for c in ws[LESSONS_FINDER_FIRST_ROW - 1]] == list(LESSONS_FINDER_HEADER)
    rows = list(ws.iter_rows(min_row=LESSONS_FINDER_FIRST_ROW, values_only=True))
    assert len(rows) == len(expected)
    lessons = book["Lessons"]
    for rank, (row, lesson) in enumerate(zip(rows, expected, strict=True), start=1):
        link = re.fullmatch(r'=HYPERLINK\("#\'Lessons\'!A(\d+)","([^"]+)"\)', row[1])
        assert link, row[1]
        assert lessons.cell(int(link[1]), 1).value == link[2] == lesson["lesson_id"]
        assert row[0] == rank and row[2] == lesson["lesson"]
        assert row[3] == lesson["project_id"] != project_id
        assert (row[4], row[5], row[6]) == (lesson["category"], lesson["type"], lesson["impact"])
        assert row[7].date().isoformat() == lesson["date_logged"]
        assert row[8] == lesson["score"] and row[9] == "; ".join(lesson["why"])
        assert row[10] == (lesson["recommendation"] or None)


@pytest.mark.parametrize(("change", "says"), [
    (None, "Pick a project in the Report for cell next to the button (or select a project's "
           "row on Projects), then press Lessons for project."),
    (report_for("PRJ-NONE"), "Project 'PRJ-NONE' in the Report for cell is not on the "
                             "Projects sheet"),
    (lambda book: book.remove(book["Lessons"]), "The workbook has no Lessons sheet"),
])
def test_lessons_for_project_explains_what_to_do(register: Path, portfolio: SamplePortfolio,
                                                change: Any, says: str) -> None:
    if change is not None:
        register = edit(register, register.with_name("changed.xlsm"), change)
        if "Lessons sheet" in says:  # a project is chosen: the missing sheet is the problem
            register = edit(register, register.with_name("chosen.xlsm"),
                            report_for(portfolio.projects[0]["project_id"]))
    done = press(register, "lessons_for_project", active_sheet="Dashboard")
    assert [a["func"] for a in done.actions] == ["alert"]  # the workbook is not touched
    assert done.alert["prompt"].startswith(says)
    assert done.alert["mode"] == "critical" and "\n" not in done.alert["prompt"]


def test_an_unusable_register_gives_a_one_line_alert(register: Path) -> None:
    def drop_id(book: Any) -> None:
        book["Projects"]["A1"] = "Widget"
    broken = edit(register, register.with_name("broken.xlsm"), drop_id)
    done = press(broken, "validate_entries")
    assert [a["func"] for a in done.actions] == ["alert"]
    assert "has no Project ID column" in done.alert["prompt"]
    assert done.alert["mode"] == "critical" and "\n" not in done.alert["prompt"]


def test_a_deleted_validation_sheet_is_added_again_last(register: Path) -> None:
    def drop_validation(book: Any) -> None:
        del book["Validation"]
    dropped = edit(register, register.with_name("dropped.xlsm"), drop_validation)
    findings = cli_json("validate", register)["findings"]
    done = press(dropped, "validate_entries")
    assert "addSheet" in [a["func"] for a in done.actions]
    book = done.book()
    assert book.sheetnames[-1] == "Validation"  # after the very hidden highlight sheets
    rows = list(book["Validation"].iter_rows(min_row=VALIDATION_FIRST_ROW, values_only=True))
    assert len(rows) == len(findings)
    assert marks(book, "Projects") == expected_marks(findings, "Projects")


def test_a_missing_rollup_area_is_named_in_the_alert(register: Path) -> None:
    def drop_name(book: Any) -> None:
        del book.defined_names[ROLLUP_NAME]
    unnamed = edit(register, register.with_name("unnamed.xlsm"), drop_name)
    done = press(unnamed, "rollup_portfolio")
    assert [a["func"] for a in done.actions] == ["alert"]  # nothing written anywhere
    assert done.alert["prompt"].startswith(f"The Dashboard has no cell named {ROLLUP_NAME}")


def test_an_unexpected_error_is_logged_next_to_the_workbook(
        register: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pmo_xl.validation

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("something nobody expected")
    monkeypatch.setattr(pmo_xl.validation, "validate", broken)
    done = press(register, "validate_entries")
    log = register.parent / excel.LOG_NAME
    assert done.alert["prompt"].startswith(
        "Validate entries stopped on an unexpected error: RuntimeError: something nobody "
        "expected.")
    assert str(log) in done.alert["prompt"]
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and "in broken" in text


def test_the_status_bar_is_given_back_to_excel_after_an_error(register: Path) -> None:
    """The remote engine has no status bar, so an object with the one property stands in
    for Excel's Application here; the button must hand it back (False) however it ends."""
    class App:
        def __init__(self) -> None:
            self.shown: list[object] = []
            self.alerts: list[str] = []

        @property
        def status_bar(self) -> object:
            return self.shown[-1] if self.shown else False

        @status_bar.setter
        def status_bar(self, value: object) -> None:
            self.shown.append(value)

        def alert(self, prompt: str, **_kwargs: Any) -> None:
            self.alerts.append(prompt)

    class Book:
        app = App()
        fullname = str(register)

        @property
        def sheets(self) -> list[Any]:
            raise OSError("Excel is busy")  # fails after the status bar was set
    book = Book()
    excel.rollup_portfolio(book)
    assert book.app.shown[0] == "pmo-xl: rolling up the portfolio…"
    assert book.app.shown[-1] is False
    assert "OSError: Excel is busy" in book.app.alerts[0]


# --- what the VBA client can apply ---------------------------------------------------------------


def _actions_per_button(path: Path, selection: str = "A2") -> dict[str, list[str]]:
    return {
        "validate_entries": [a["func"] for a in press(path, "validate_entries").actions],
        "rollup_portfolio": [a["func"] for a in press(path, "rollup_portfolio").actions],
        "generate_report": [a["func"] for a in press(
            path, "generate_report", active_sheet="Projects", selection=selection).actions],
        "lessons_for_project": [a["func"] for a in press(
            path, "lessons_for_project", active_sheet="Projects", selection=selection).actions],
    }


def test_every_action_is_one_xlwings_vba_client_applies(register: Path,
                                                        opened: list[Path]) -> None:
    funcs = {f for funcs in _actions_per_button(register).values() for f in funcs}
    funcs |= {a["func"] for a in press(register, "generate_all_reports").actions}
    assert funcs <= remote_bas_actions()
    assert {"setValues", "sheetClearContents", "rangeClearContents", "setNumberFormat",
            "alert"} <= funcs


def _writes(actions: list[dict[str, Any]]) -> list[str]:
    """The actions' functions, a run of setValues on one sheet counted once: xlwings itself
    splits any write of more than 100,000 cells into chunks of rows (the History sheets'
    10,000 projects x 50 fields), so one assignment in pmo-xl may be several calls."""
    funcs: list[str] = []
    previous = None
    for action in actions:
        key = (action["func"], action.get("sheet_position"))
        if not (key == previous and key[0] == "setValues"):
            funcs.append(action["func"])
        previous = key
    return funcs


def test_excel_calls_do_not_grow_with_the_number_of_projects(tmp_path: Path,
                                                             opened: list[Path]) -> None:
    """Each button's actions (one per Excel call on the VBA client) for 200 and 2,000
    projects: the same list. Ten times the rows is enough to show a write per row; the
    benchmarks time 10,000."""
    counts = {}
    for projects in (200, 2_000):
        portfolio = sample_portfolio(projects)
        portfolio.settings["report_formats"] = "HTML"
        path = build_workbook(tmp_path / f"Register{projects}.xlsm", portfolio)
        payload = payload_from_workbook(path, book_name=str(path))
        on_projects = {**payload, "book": {**payload["book"], "selection": "B2",
                                           "active_sheet_index": 1}}
        counts[projects] = {}
        for button, sent in (("validate_entries", payload), ("rollup_portfolio", payload),
                             ("generate_report", on_projects),
                             ("lessons_for_project", on_projects)):
            with remote_payload_book(sent) as book:
                getattr(excel, button)()
                counts[projects][button] = _writes(book.json()["actions"])
    assert counts[200] == counts[2_000]
    assert all(len(funcs) < 60 for funcs in counts[2_000].values())


@pytest.mark.parametrize(("text", "stored"), [
    ("=SUM(A1)", "'=SUM(A1)"), ("+44 20", "'+44 20"), ("-", "'-"), ("@risk", "'@risk"),
    ("00123", "'00123"), ("2024-001-05", "'2024-001-05"), ("TRUE", "'TRUE"),
    ("'quoted", "''quoted"), ("June 2026", "'June 2026"), ("Payroll", "Payroll"),
    ("Error", "Error"), ("", ""), (12.5, 12.5), (None, None)])
def test_as_text_prefixes_only_what_excel_would_not_keep_as_typed(text: object,
                                                                  stored: object) -> None:
    assert excel.as_text(text) == stored


def test_reports_from_a_web_location_ask_for_a_local_folder(register: Path) -> None:
    """On the COM engine xlwings maps a synced OneDrive/SharePoint address to the local
    folder; an address it leaves as a URL has no folder to write reports into."""
    url = "https://contoso.sharepoint.com/sites/pmo/Shared Documents/Register.xlsm"
    with remote_book(register, book_name=url) as book:
        excel.generate_all_reports()
        [alert] = book.json()["actions"]
    assert alert["args"][0].startswith(f"The workbook is opened from a web location ({url})")
    assert alert["args"][3] == "critical"


# --- a workbook in the organisation's own words -------------------------------------------

TRACKER = """\
Project_ID,Project Title,Project Manager (PM),SRO,Stage,DCA,Start,Planned End,Budget (£m),\
Spend to Date (£m),% Complete,Last Updated
P-001,Crossrail East,Ann Lee,Bob Roy,Construction,Amber/Red,2021-01-10,6/28/2027,34,20.5,55%,\
9/25/2026
P-002,Depot Upgrade,Cy Tan,Di Ek,Design,Amber/Green,3/15/2022,12/31/2026,12.5,3,20%,9/25/2026
"""
OWN_WORDS = """\
[values.Projects.Phase]
Construction = "Execution"
Design = "Planning"
[values.Projects."Overall RAG"]
"Amber/Red" = "Red"
"Amber/Green" = "Amber"
[settings]
"Report Date" = 2026-09-30
"Report Formats" = "HTML"
"""


def test_buttons_on_a_workbook_moved_from_an_own_register(tmp_path: Path) -> None:
    from pmo_xl.cli import main

    source = tmp_path / "source"
    source.mkdir()
    (source / "tracker.csv").write_text(TRACKER, encoding="utf-8")
    (source / "pmo-xl.toml").write_text(OWN_WORDS, encoding="utf-8")
    moved = tmp_path / "Moved.xlsm"
    assert main(["new", str(moved), "--from", str(source / "tracker.csv")]) == 0
    checked = press(moved, "validate_entries")
    # The Lists sheet carries the organisation's words: no finding about them.
    assert "not-allowed" not in {f["rule"] for f in validation_rows(checked.book())}
    rolled = press(moved, "rollup_portfolio")
    assert "1 Red, 1 Amber, 0 Green among 2 open" in rolled.alert["prompt"]
    dashboard = rolled.book()["Dashboard"]
    texts = [c.value for row in dashboard.iter_rows() for c in row if isinstance(c.value, str)]
    assert "Construction" in texts and "Design" in texts  # projects by the organisation's phase
    # The figures rest on a register with findings: the Dashboard says so, as the reports do.
    [quality] = [t for t in texts if t.startswith("Data quality:")]
    warnings = sum(f["severity"] == "Warning" for f in validation_rows(checked.book()))
    assert quality.startswith(f"Data quality: 0 errors, {warnings} warning") and warnings


def validation_rows(book: Any) -> list[dict[str, Any]]:
    ws = book["Validation"]
    header = [c.value for c in ws[5]]
    return [dict(zip([h.lower() if h else h for h in header], row, strict=False))
            for row in ws.iter_rows(min_row=6, values_only=True) if row[0]]


# --- report kinds (Settings Report Kinds) ----------------------------------------------------


def _needing_exception(register: Path) -> set[str]:
    """The open projects the command line's roll-up has forecast to exceed or exceeding a
    time or cost tolerance."""
    breached = ("forecast to exceed", "exceeded")
    return {p["project_id"] for p in cli_json("rollup", register)["per_project"]
            if p["active"] and (p["time_status"] in breached or p["cost_status"] in breached)}


def test_generate_all_reports_writes_the_settings_report_kinds(
        register: Path, portfolio: SamplePortfolio) -> None:
    kinds = edit(register, register.with_name("kinds.xlsm"),
                 set_setting("Report Kinds", "highlight, exception, portfolio"))
    done = press(kinds, "generate_all_reports")
    folder = register.parent / "Reports"
    entries = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["files"]
    by_kind: dict[str, set[str]] = {}
    for entry in entries.values():
        by_kind.setdefault(entry["report"], set()).add(entry["project_id"])
    assert by_kind["highlight"] == {str(p["project_id"]).strip() for p in portfolio.projects}
    assert by_kind["exception"] == _needing_exception(kinds) != set()
    assert by_kind["portfolio"] == {None} and "status" not in by_kind
    assert done.alert["prompt"].startswith(f"Wrote {len(entries)} report files to {folder}")


def test_generate_report_writes_its_projects_report_kinds(
        register: Path, portfolio: SamplePortfolio, opened: list[Path]) -> None:
    project = portfolio.projects[0]  # Excel row 2
    only = edit(register, register.with_name("highlight.xlsm"),
                set_setting("Report Kinds", "Highlight, portfolio"))
    press(only, "generate_report", active_sheet="Projects", selection="A2")
    [report] = opened
    assert report.name.startswith(f"{project['project_id']}-")
    assert report.name.endswith("-highlight.html")
    assert "Highlight report" in report.read_text(encoding="utf-8")
    assert not (report.parent / "portfolio-summary.html").exists()


@pytest.mark.parametrize(("kinds", "says"), [
    ("status, board pack", "Settings Report Kinds: 'status, board pack' is not a list"),
    ("exception", "Settings Report Kinds (exception) gives"),
])
def test_generate_report_explains_unusable_report_kinds(
        register: Path, portfolio: SamplePortfolio, opened: list[Path], kinds: str,
        says: str) -> None:
    within = next(r for r, p in enumerate(portfolio.projects, start=2)
                  if p["project_id"] not in _needing_exception(register))
    changed = edit(register, register.with_name("unusable.xlsm"),
                   set_setting("Report Kinds", kinds))
    done = press(changed, "generate_report", active_sheet="Projects", selection=f"A{within}")
    assert done.alert["prompt"].startswith(says) and "\n" not in done.alert["prompt"]
    assert done.alert["mode"] == "critical" and opened == []


def test_dashboard_exceptions_are_the_tolerance_based_few(register: Path) -> None:
    """Not every open project that is not Green (the noise issue 13 removes): those forecast
    to exceed or exceeding a tolerance first, then at risk, then Red without a breach."""
    expected = cli_json("rollup", register)
    book = press(register, "rollup_portfolio").book()
    ws, top, left = rollup_area(book)
    header = next(r for r in range(top, ws.max_row + 1)
                  if ws.cell(r, left).value == "Project ID")
    listed = []
    row = header + 1
    while ws.cell(row, left).value is not None:
        listed.append(ws.cell(row, left).value)
        row += 1
    not_green = [p for p in expected["per_project"]
                 if p["active"] and p["overall_rag"] != "Green"]
    breaches = _needing_exception(register)
    assert breaches <= set(listed) and len(listed) < len(not_green)
    assert set(listed[:len(breaches)]) == breaches  # the breaches come first
