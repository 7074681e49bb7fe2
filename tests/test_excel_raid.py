"""The RAID log in the register workbook: the Validate and Roll up buttons on xlwings' remote
engine (tests/xlremote.py, as test_excel does), and the built workbook opened by headless
LibreOffice (tests/lo_inspect.py): the RAID table, its dropdowns from the Lists sheet and the
score colours' formula as a real spreadsheet computes it.

Expected figures come from the command line (`pmo-xl validate/rollup --format json`) on the
same file or from the sheet's own cells, never from the glue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from libreoffice import inspect_workbook, require_libreoffice
from test_excel import cli_json, expected_marks, marks, press, rollup_area

from pmo_xl.cells import column_letter
from pmo_xl.layout import HEAT_MAP_LABEL, VALIDATION_FIRST_ROW
from pmo_xl.raid import DECISIONS_AHEAD_DAYS
from pmo_xl.sample import SamplePortfolio, sample_portfolio
from pmo_xl.schema import RAID, Kind
from pmo_xl.workbook import LISTS_SHEET, build_workbook

TIMEOUT_S = 180


@pytest.fixture(scope="module")
def portfolio() -> SamplePortfolio:
    return sample_portfolio(40)


@pytest.fixture
def register(tmp_path: Path, portfolio: SamplePortfolio) -> Path:
    portfolio.settings["report_formats"] = "HTML"
    return build_workbook(tmp_path / "Register.xlsm", portfolio)


# --- the buttons on xlwings' remote engine ---------------------------------------------------


def test_validate_highlights_the_raid_cells_of_the_findings(register: Path) -> None:
    findings = [f for f in cli_json("validate", register)["findings"] if f["sheet"] == "RAID"]
    # The sample plants RAID problems: a high risk without an owner, an overdue action, an
    # old issue not escalated, dependencies at risk.
    assert {"high-risk-without-owner", "raid-overdue", "issue-not-escalated",
            "dependency-at-risk"} <= {f["rule"] for f in findings}
    book = press(register, "validate_entries").book()
    found = marks(book, "RAID")
    assert found == expected_marks(findings, "RAID") and found
    listed = [(row[1], row[5], row[6]) for row in book["Validation"].iter_rows(
        min_row=VALIDATION_FIRST_ROW, values_only=True) if row[1] == "RAID"]
    assert listed == [("RAID", f["rule"], f["message"]) for f in findings]


def _pairs(ws: Any, rows: range, left: int) -> dict[str, Any]:
    """Label -> value of the roll-up's label/value pairs (labels in B and F, values in D and
    H) on these rows."""
    return {ws.cell(r, left + c).value: ws.cell(r, left + c + 2).value
            for r in rows for c in (0, 4) if ws.cell(r, left + c).value is not None}


def test_rollup_writes_the_raid_figures_and_the_heat_map(register: Path) -> None:
    raid = cli_json("rollup", register)["raid"]
    ws, top, left = rollup_area(press(register, "rollup_portfolio").book())
    [heading] = [r for r in range(top, ws.max_row + 1) if ws.cell(r, left).value == "RAID log"]
    assert _pairs(ws, range(heading + 1, heading + 5), left) == {
        "Open RAID items": raid["open"], "High risks": raid["high_risks"],
        "Open risks": raid["open_by_type"]["Risk"],
        "Open issues": raid["open_by_type"]["Issue"],
        "Overdue actions, decisions": raid["overdue"],
        f"Decisions due in {DECISIONS_AHEAD_DAYS} days": len(raid["decisions_needed"]),
        "Dependencies at risk": raid["dependencies_at_risk"],
        "Risks without a score": raid["heat_map"]["unscored"]}
    assert raid["open"] > 0 and raid["dependencies_at_risk"] > 0
    impact = heading + 6
    assert [ws.cell(impact, left + c).value for c in range(6)] == ["Impact", 1, 2, 3, 4, 5]
    grid = {ws.cell(impact + n, left).value: [ws.cell(impact + n, left + c).value
                                              for c in range(1, 6)] for n in range(1, 6)}
    counts = raid["heat_map"]["counts"]  # rows: probability 1..5
    assert grid == {f"{HEAT_MAP_LABEL} {p}": counts[p - 1] for p in range(5, 0, -1)}
    assert sum(map(sum, counts)) == raid["open_by_type"]["Risk"] - raid["heat_map"]["unscored"]


def test_the_dashboards_heat_map_cells_are_coloured_by_score(register: Path) -> None:
    ws = openpyxl.load_workbook(register)["Dashboard"]
    rules = [(str(cf.sqref), rule.formula[0]) for cf in ws.conditional_formatting
             for rule in cf.rules]
    heat = [formula for sqref, formula in rules if f'"{HEAT_MAP_LABEL} "' in formula]
    assert len(heat) == 3  # red, amber, green: from the Settings High Risk Score
    assert all(">=Settings!$B$" in f for f in heat[:2]) and heat[1].endswith("/2)")


# --- the workbook in LibreOffice ----------------------------------------------------------------


def _lists_columns(path: Path) -> dict[str, str]:
    """Vocabulary name -> its column letter on the Lists sheet, from the sheet's header."""
    ws = openpyxl.load_workbook(path)[LISTS_SHEET]
    return {cell.value: cell.column_letter for cell in ws[1] if cell.value}


def _score_formula(path: Path) -> str:
    """The RAID sheet's score colour rule (red), for the row 2 cell it is written for."""
    ws = openpyxl.load_workbook(path)["RAID"]
    on_probability = [rule.formula[0] for cf in ws.conditional_formatting
                      for rule in cf.rules if str(cf.sqref).startswith("J")]
    [red] = [f for f in on_probability if ">=Settings!" in f and not f.endswith("/2")]
    return red


@pytest.fixture(scope="module")
def seen(tmp_path_factory: pytest.TempPathFactory, portfolio: SamplePortfolio
         ) -> tuple[Path, dict[str, Any]]:
    require_libreoffice()
    path = build_workbook(tmp_path_factory.mktemp("lo-raid") / "PMO_Register.xlsm", portfolio)
    last = column_letter(len(RAID.columns) - 1)
    score = _score_formula(path).split(">=")[0]
    # Row 2..6's Score as LibreOffice computes the rule's formula on the RAID sheet.
    scores = [f"={score}".replace("$J2", f"RAID!$J{r}").replace("$K2", f"RAID!$K{r}")
              for r in range(2, 7)]
    options = ["--tables", "--validation", f"RAID!A2:{last}2"]
    for formula in scores:
        options += ["--evaluate", formula]
    return path, {**inspect_workbook(path, *options, timeout=TIMEOUT_S), "scores": scores}


def test_libreoffice_sees_the_raid_table(seen: tuple[Path, dict[str, Any]],
                                         portfolio: SamplePortfolio) -> None:
    _path, found = seen
    rows = len(portfolio.rows("RAID"))
    assert found["tables"][RAID.table] == {
        "sheet": "RAID", "range": f"A1:{column_letter(len(RAID.columns) - 1)}{rows + 1}"}


def test_libreoffice_offers_the_raid_dropdowns_from_the_lists_sheet(
        seen: tuple[Path, dict[str, Any]]) -> None:
    path, found = seen
    lists = _lists_columns(path)
    [cells] = found["validation"].values()
    for c, column in enumerate(RAID.columns):
        rule = cells[f"{column_letter(c)}2"]
        if column.kind is Kind.ENUM:
            letter = lists[column.vocabulary.name]
            assert rule["type"] == "LIST" and rule["stop"], column.name
            assert f"$Lists.${letter}$2" in rule["formula"], (column.name, rule)
        else:
            assert rule["type"] == "ANY", column.name


def test_libreoffice_computes_the_score_colours_formula(seen: tuple[Path, dict[str, Any]]
                                                       ) -> None:
    path, found = seen
    ws = openpyxl.load_workbook(path)["RAID"]
    for row, formula in zip(range(2, 7), found["scores"], strict=True):
        probability, impact = ws[f"J{row}"].value, ws[f"K{row}"].value
        expected = (float(probability) * float(impact)
                    if probability is not None and impact is not None else 0.0)
        result = found["evaluated"][formula]
        assert (result["error"], result["value"]) == (0, expected), (row, formula)
