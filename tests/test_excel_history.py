"""The workbook's own history: the Roll up button's History sheets and Changes sheet, and the
reports and command line reading them, on xlwings' remote engine (see test_excel).

Expected values come from the command line on the same files: `pmo-xl snapshot` into a
history file for the snapshot rows, `pmo-xl rollup --format json` for the portfolio figures,
and `pmo-xl changes --since <earlier copy>` for the changes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from registers import AS_OF
from test_excel import edit, press, set_setting

from pmo_xl.history import History
from pmo_xl.history_sheets import EXCEL_ROWS, fitting, placement
from pmo_xl.layout import (
    CHANGES_HEADER,
    HISTORY_HEADER,
    LEGACY_HISTORY_HEADER,
    TREND_COLUMN,
    TREND_HEADER,
    TREND_ROWS,
)
from pmo_xl.sample import SamplePortfolio, sample_portfolio
from pmo_xl.workbook import build_workbook

LATER = AS_OF + dt.timedelta(days=7)


@pytest.fixture(scope="module")
def portfolio() -> SamplePortfolio:
    return sample_portfolio(12)


@pytest.fixture
def register(tmp_path: Path, portfolio: SamplePortfolio) -> Path:
    portfolio.settings["report_formats"] = "HTML"
    return build_workbook(tmp_path / "Register.xlsm", portfolio)


def pmo_xl(*argv: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pmo_xl", *map(str, argv)],
                          capture_output=True, text=True, timeout=120)


def rows(book: Any, sheet: str) -> list[tuple[Any, ...]]:
    return [row for row in book[sheet].iter_rows(values_only=True)
            if any(v is not None for v in row)]


def sheet_table(book: Any, sheet: str) -> list[dict[str, Any]]:
    header, *body = rows(book, sheet)
    return [dict(zip(header, row, strict=True)) for row in body]


def same(a: Any, b: Any) -> bool:
    """A sheet's value and a history file's: numbers as numbers, blanks as None."""
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == pytest.approx(b, rel=1e-12, abs=1e-9)
    return (None if a == "" else a) == (None if b == "" else b)


def later(path: Path, target: Path, change: Any = None) -> Path:
    def edited(book: Any) -> None:
        set_setting("Report Date", LATER)(book)
        if change:
            change(book)
    return edit(path, target, edited)


def test_history_sheets_hold_the_snapshot_the_command_line_records(register: Path,
                                                                   tmp_path: Path) -> None:
    first = press(register, "rollup_portfolio", name="first")
    book = first.book()
    assert book.active.title == "Dashboard"  # the sheets added meanwhile did not stay active
    store = tmp_path / "cli.sqlite"
    assert pmo_xl("snapshot", register, "--history", store).returncode == 0
    with History(store, create=False) as history:
        for sheet in ("Projects", "Milestones", "Lessons"):
            expected = history.export(sheet).to_dict("records")
            found = sheet_table(book, f"History {sheet}")
            assert len(found) == len(expected), sheet
            for got, want in zip(found, expected, strict=True):
                assert set(got) == set(want), sheet
                wrong = {k: (got[k], v) for k, v in want.items() if not same(got[k], v)}
                assert not wrong, (sheet, wrong)

    rollup = json.loads(pmo_xl("rollup", register, "--format", "json").stdout)
    header, summary = rows(book, "History")[:2]
    assert header[:len(HISTORY_HEADER)] == HISTORY_HEADER
    by_rag, finance = rollup["projects"]["by_rag"], rollup["finance"]
    assert summary[0].date() == AS_OF and summary[3] == rollup["projects"]["total"]
    assert summary[4:10] == (by_rag["Green"], by_rag["Amber"], by_rag["Red"], by_rag["Unset"],
                             finance["cpi"], finance["spi"])
    assert "No earlier roll-up to compare with. History holds 1 roll-up." in (
        first.alert["prompt"])

    again = press(first.after, "rollup_portfolio", name="again")  # same as-of: replaced
    assert rows(again.book(), "History Projects") == rows(book, "History Projects")
    assert [r[0] for r in rows(again.book(), "History") if r[0] is not None] == [
        "As of", dt.datetime(2026, 9, 30)]


def test_roll_ups_of_other_dates_are_kept_in_date_order_with_the_trend(register: Path) -> None:
    first = press(register, "rollup_portfolio", name="first")
    second = press(later(first.after, register.with_name("later.xlsm")), "rollup_portfolio",
                   name="second")
    earlier = AS_OF - dt.timedelta(days=7)
    back = edit(second.after, register.with_name("back.xlsm"),
                set_setting("Report Date", earlier))
    book = press(back, "rollup_portfolio", name="back").book()  # back-dated: goes first
    projects = len(rows(book, "Projects")) - 1
    days = [row[0] for row in rows(book, "History Projects")[1:]]
    assert days == ([earlier.isoformat()] * projects + [AS_OF.isoformat()] * projects
                    + [LATER.isoformat()] * projects)
    summary = [row for row in rows(book, "History") if row[0] is not None]
    assert [row[0].date() for row in summary[1:]] == [earlier, AS_OF, LATER]
    trend = [row[TREND_COLUMN:TREND_COLUMN + len(TREND_HEADER)] for row in
             book["History"].iter_rows(min_row=1, max_row=TREND_ROWS + 1, values_only=True)]
    assert trend[0] == TREND_HEADER
    assert all(v is None for row in trend[1:-3] for v in row)  # the latest at the bottom
    for row, kept in zip(trend[-3:], summary[1:], strict=True):
        assert row == (f"{kept[0]:%d-%b-%Y}", *kept[4:8])


def plant(book: Any) -> None:
    """PRJ-0001 turns Red and its forecast finish moves 21 days past its baseline."""
    ws = book["Projects"]
    header = {cell.value: cell.column for cell in ws[1]}
    [row] = [r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "PRJ-0001"]
    ws.cell(row, header["Overall RAG"]).value = "Red"
    baseline = ws.cell(row, header["Baseline Finish"]).value
    ws.cell(row, header["Forecast Finish"]).value = baseline + dt.timedelta(days=21)


def test_changes_sheet_and_command_line_agree_with_the_earlier_copy(register: Path) -> None:
    first = press(register, "rollup_portfolio", name="first")
    second = press(later(first.after, register.with_name("later.xlsm"), plant),
                   "rollup_portfolio", name="second")
    assert "Changes since 30-Sep-2026" in second.alert["prompt"]

    against_copy = json.loads(pmo_xl("changes", second.after, "--since", first.after,
                                     "--format", "json").stdout)
    done = pmo_xl("changes", second.after, "--since", "previous", "--format", "json")
    assert done.returncode == 0, done.stderr
    from_sheets = json.loads(done.stdout)  # no history file: the History sheets
    assert from_sheets["baseline"].startswith("History sheet of ")
    for key in ("since", "as_of", "portfolio", "projects", "warnings"):
        assert from_sheets[key] == against_copy[key], key
    planted = {c["field"]: c for c in next(p for p in from_sheets["projects"]
                                           if p["project_id"] == "PRJ-0001")["changes"]}
    assert (planted["overall_rag"]["from"], planted["overall_rag"]["to"],
            planted["overall_rag"]["direction"]) == ("Green", "Red", "worse")
    assert planted["finish"]["delta"] == 21

    changes = rows(second.book(), "Changes")
    header = changes.index(CHANGES_HEADER)
    assert changes[0][0].startswith("Changes since 2026-09-30 (as of 2026-10-07")
    listed = [(row[0], row[3], row[4], row[5]) for row in changes[header + 1:]
              if row[6] != "warning"]
    assert listed == [(p["project_id"], c["field"], c["from"], c["to"])
                      for p in from_sheets["projects"] for c in p["changes"]]
    assert changes[header + 1][0] == from_sheets["projects"][0]["project_id"]  # worst first


def test_generate_report_shows_the_changes_since_the_previous_roll_up(
        register: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pmo_xl import excel

    monkeypatch.setattr(excel, "open_report", lambda _path: None)
    first = press(register, "rollup_portfolio", name="first")
    second = press(later(first.after, register.with_name("later.xlsm"), plant),
                   "rollup_portfolio", name="second")
    reported = press(second.after, "generate_report", active_sheet="Projects",
                     selection="C2", name="report")
    assert reported.alert["mode"] == "info", reported.alert
    html = next(second.after.parent.glob("Reports/*PRJ-0001*.html")).read_text("utf-8")
    assert "Since 30 Sep 2026" in html
    assert "Overall RAG Green → Red" in html
    assert "Finish moved 21 days later" in html


def test_a_legacy_history_sheet_is_carried_over(register: Path, tmp_path: Path) -> None:
    """History as pmo-xl 0.1.0 kept it: one row per project per roll-up."""
    def legacy(book: Any) -> None:
        ws = book["History"]
        ws.delete_rows(1, ws.max_row)
        ws.append(LEGACY_HISTORY_HEADER)
        for project_id, phase, rag in (("PRJ-0001", "Execution", "Amber"),
                                       ("PRJ-0002", "Closed", "Green"),
                                       ("PRJ-0003", "Execution", None)):
            ws.append([dt.datetime(2026, 9, 1), project_id, phase, rag, 0.5, 10.0, 9.0, 8.0,
                       dt.datetime(2027, 1, 1)])
    old = edit(register, tmp_path / "old.xlsm", legacy)
    book = press(old, "rollup_portfolio", name="legacy").book()
    summary = [row for row in rows(book, "History") if row[0] is not None]
    assert summary[0][:len(HISTORY_HEADER)] == HISTORY_HEADER
    assert summary[1][:8] == (dt.datetime(2026, 9, 1), None, "0.1.0", 3, 0, 1, 0, 1)
    kept = sheet_table(book, "History Projects")
    assert [r["project_id"] for r in kept[:3]] == ["PRJ-0001", "PRJ-0002", "PRJ-0003"]
    assert kept[0]["overall_rag"] == "Amber" and kept[0]["finish"] == "2027-01-01"
    done = pmo_xl("changes", old.with_name("old.legacy.xlsm"), "--since", "previous",
                  "--format", "json")
    assert done.returncode == 0, done.stderr
    moved = {p["project_id"]: p["changes"] for p in json.loads(done.stdout)["projects"]}
    assert {"field": "overall_rag", "from": "Amber", "to": "Green", "delta": None,
            "direction": "better"} in moved["PRJ-0001"]


def test_placement_and_the_excel_row_limit() -> None:
    days = [AS_OF] * 3 + [LATER] * 2
    assert placement(days, AS_OF) == (0, 3)  # replaces the same date
    assert placement(days, AS_OF + dt.timedelta(days=1)) == (3, 3)  # between: inserted
    assert placement(days, LATER + dt.timedelta(days=1)) == (5, 5)  # appended
    assert fitting(days, 10, {AS_OF: 3, LATER: 2}) == set()
    full = EXCEL_ROWS - 3
    assert fitting([AS_OF] * full, 3, {AS_OF: full}) == {AS_OF}  # the oldest goes
    per_day = {AS_OF: 500_000, LATER: 500_000}
    assert fitting([AS_OF] * 1_000_000, 48_576, per_day) == {AS_OF}
    assert fitting([AS_OF] * 1_000_000, 48_575, per_day) == set()


def reads_while(monkeypatch: pytest.MonkeyPatch, path: Path, button: str,
                **options: Any) -> tuple[Any, dict[str, list[tuple[int, int, int, int]]]]:
    """Press the button, recording every range whose values the remote engine's book hands
    over: per sheet, (first row, last row, first column, last column)."""
    from xlwings.pro import _xlremote

    handed: dict[str, list[tuple[int, int, int, int]]] = {}
    value = _xlremote.Range.raw_value

    def counted(cells: Any) -> Any:
        rows, columns = cells.shape
        handed.setdefault(cells.sheet.name, []).append(
            (cells.row, cells.row + rows - 1, cells.column, cells.column + columns - 1))
        return value.fget(cells)

    with monkeypatch.context() as patched:
        patched.setattr(_xlremote.Range, "raw_value", property(counted, value.fset))
        pressed = press(path, button, **options)
    return pressed, handed


def rows_of(book: Any, sheet: str, day: dt.date) -> set[int]:
    """The rows of a History <sheet> sheet of the roll-up as of that day."""
    return {cell.row for cell in book[sheet]["A"] if cell.value == day.isoformat()}


def rows_read(ranges: list[tuple[int, int, int, int]], columns: set[int]) -> set[int]:
    """The rows of which any column outside `columns` was read."""
    return {row for r1, r2, c1, c2 in ranges for row in range(r1, r2 + 1)
            if set(range(c1, c2 + 1)) - columns}


def test_the_buttons_read_only_the_baseline_and_trend_rows_of_the_history_sheets(
        register: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Four weekly roll-ups on the History sheets; the fifth roll-up and a report read of each
    History <sheet> sheet its header and as-of column, then the rows of the baseline (the
    latest roll-up before the as-of date) alone, and for the report's trends, of History
    Projects' earlier roll-ups only the trend's columns: never the whole sheet."""
    from pmo_xl import excel

    monkeypatch.setattr(excel, "open_report", lambda _path: None)
    path = register
    for week in range(4):
        dated = edit(path, register.with_name(f"week{week}.xlsm"),
                     set_setting("Report Date", AS_OF + dt.timedelta(days=7 * week)))
        path = press(dated, "rollup_portfolio", name=f"week{week}").after
    fifth = edit(path, register.with_name("week4.xlsm"),
                 set_setting("Report Date", AS_OF + dt.timedelta(days=28)))
    book = openpyxl.load_workbook(fifth)
    header = [c.value for c in book["History Projects"][1]]
    baseline = {sheet: rows_of(book, sheet, AS_OF + dt.timedelta(days=21))  # the fourth's
                for sheet in ("History Projects", "History Milestones", "History Lessons")}

    rolled, handed = reads_while(monkeypatch, fifth, "rollup_portfolio", name="week4")
    assert "Changes since 21-Oct-2026" in rolled.alert["prompt"]
    for sheet in ("History Projects", "History Milestones", "History Lessons"):
        # Beyond column A (the dates), the header and the baseline's rows only.
        assert rows_read(handed[sheet], {1}) - {1} == baseline[sheet], sheet
    read = sum((r2 - r1 + 1) * (c2 - c1 + 1) for r1, r2, c1, c2 in handed["History Projects"])
    whole = book["History Projects"].max_row * len(header)
    assert read < whole / 2, (read, whole)
    # The same changes as the command line finds on the same sheets, which it reads whole.
    done = pmo_xl("changes", rolled.after, "--since", "previous", "--format", "json")
    assert done.returncode == 0, done.stderr
    changes = rows(rolled.book(), "Changes")
    table = changes[changes.index(CHANGES_HEADER) + 1:]
    assert [(row[0], row[3], row[4], row[5]) for row in table if row[6] != "warning"] == [
        (p["project_id"], c["field"], c["from"], c["to"])
        for p in json.loads(done.stdout)["projects"] for c in p["changes"]]

    reported, handed = reads_while(monkeypatch, fifth, "generate_report",
                                   active_sheet="Projects", selection="C2", name="report")
    assert reported.alert["mode"] == "info", reported.alert
    trend = {1, *(header.index(name) + 1 for name in ("project_id", "overall_rag", "cpi",
                                                        "spi"))}
    assert rows_read(handed["History Projects"], trend) - {1} == baseline["History Projects"]
    earlier = set(range(2, min(baseline["History Projects"])))
    assert rows_read(handed["History Projects"], {1}) - {1} >= earlier  # their trend columns
    for sheet in ("History Milestones", "History Lessons"):
        assert rows_read(handed[sheet], {1}) - {1} == baseline[sheet], sheet
    # The report the command line writes from the same sheets, read whole: the same page.
    cli = fifth.with_name("cli")
    done = pmo_xl("report", fifth, "--project", "PRJ-0001", "--since", "previous", "--format",
                  "html", "--out", cli, "--kind", "status")
    assert done.returncode == 0, done.stderr
    [ours] = fifth.parent.glob("Reports/PRJ-0001-*.html")
    [theirs] = cli.glob("PRJ-0001-*.html")
    assert "over the last 4 snapshots" in ours.read_text("utf-8")
    assert generated(ours) == generated(theirs)


def generated(page: Path) -> str:
    """A report's HTML without the minute it was generated."""
    return re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} [A-Z+\-0-9]*", "", page.read_text("utf-8"))
