"""The Excel buttons' actions applied by a real spreadsheet application: LibreOffice.

tests/test_excel.py applies the actions of a button function with openpyxl, which checks
what is stored but not what a user sees: openpyxl evaluates no conditional format and drops
the chart. Here headless LibreOffice loads the real .xlsm that `build_workbook` writes, applies
the actions of ``validate_entries`` (and ``rollup_portfolio``) as xlwings' VBA client applies
them in Excel (tests/lo_inspect.py ``--actions``), recalculates, and prints the Projects sheet
to PDF: the highlights must show as the conditional formats' borders, dark red for errors and
dark amber for warnings, and must go again when a clean run's actions clear the marks.

Needs ``soffice``, a Python with LibreOffice's ``uno`` module (see tests/libreoffice.py) and
pdftoppm (poppler-utils); skipped without them locally, failed without them under CI=true.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import require_tool
from libreoffice import inspect_workbook, require_libreoffice
from openpyxl.utils import get_column_letter
from registers import keep_only_valid_records
from xlremote import remote_book, vba_parse_iso

from pmo_xl import excel
from pmo_xl.layout import (
    DASHBOARD,
    ERROR_MARK,
    HIGHLIGHT_COLOURS,
    VALIDATION,
    VALIDATION_FIRST_ROW,
    WARNING_MARK,
    highlight_sheet,
)
from pmo_xl.sample import sample_portfolio
from pmo_xl.schema import PROJECTS
from pmo_xl.workbook import build_workbook, sheet_names

TIMEOUT_S = 180
DPI = 60  # modest: quick to scan, and lines are drawn without antialiasing anyway
TOLERANCE = 24  # per channel: the border's own colour, not text antialiased onto a fill
BORDERS = {mark: colours[2] for mark, colours in HIGHLIGHT_COLOURS.items()}  # #C00000, #BF8F00


@dataclass
class Pressed:
    """What LibreOffice shows after a list of actions: its report and the Projects pages."""

    report: dict[str, Any]
    pixels: dict[str, int]  # border colour -> pixels of that colour on the Projects pages


def button_actions(path: Path, button: str) -> list[dict[str, Any]]:
    """The actions `button` returns for the workbook at `path` (xlwings' remote engine)."""
    with remote_book(path, book_name=str(path)) as book:
        getattr(excel, button)()
        return book.json()["actions"]


def clean_copy(path: Path, target: Path) -> Path:
    """The register with one valid record per table: validating it finds nothing. Saved by
    openpyxl, so without chart and buttons; only the actions of its run are used."""
    book = openpyxl.load_workbook(path, keep_vba=True)
    keep_only_valid_records(book)
    book.save(target)
    return target


def border_pixels(pdf: Path) -> dict[str, int]:
    """Pixels of each highlight border colour on every page of `pdf`, rasterised without
    antialiasing of lines (so a border is drawn in its own colour)."""
    ppm = subprocess.run(["pdftoppm", "-r", str(DPI), "-aaVector", "no", str(pdf)],
                         check=True, capture_output=True, timeout=60).stdout
    counts = dict.fromkeys(BORDERS.values(), 0)
    targets = {colour: tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
               for colour in BORDERS.values()}
    for width, height, data in _ppm_pages(ppm):
        for i in range(0, width * height * 3, 3):
            r, g, b = data[i], data[i + 1], data[i + 2]
            if g > 180 and r > 230:
                continue  # white, fills and light text: the bulk of the page, skipped fast
            for colour, (tr, tg, tb) in targets.items():
                if abs(r - tr) <= TOLERANCE and abs(g - tg) <= TOLERANCE \
                        and abs(b - tb) <= TOLERANCE:
                    counts[colour] += 1
    return counts


def _ppm_pages(stream: bytes) -> list[tuple[int, int, bytes]]:
    """The pages of pdftoppm's output: binary PPMs (P6, maxval 255) one after another."""
    pages = []
    header = re.compile(rb"P6\s+(\d+)\s+(\d+)\s+255\s")
    at = 0
    while at < len(stream):
        match = header.match(stream, at)
        assert match, f"not a PPM at byte {at}"
        width, height = int(match[1]), int(match[2])
        start = match.end()
        pages.append((width, height, stream[start:start + width * height * 3]))
        at = start + width * height * 3
    return pages


def marks_written(actions: list[dict[str, Any]], sheet: str) -> set[str]:
    """The marks (E, W) the actions write onto `sheet`'s highlight sheet."""
    position = sheet_names().index(highlight_sheet(sheet))
    written = "".join(str(value) for action in actions
                      if action["func"] == "setValues" and action["sheet_position"] == position
                      for row in action["values"] for value in row)
    return set(re.findall(r"\|\d+([EW])(?=\|)", written))


def setvalues_on(actions: list[dict[str, Any]], sheet: str, row: int) -> dict[str, Any]:
    """The setValues action writing `sheet` from 0-based `row`."""
    position = sheet_names().index(sheet)
    [action] = [a for a in actions if a["func"] == "setValues"
                and a["sheet_position"] == position and a["start_row"] == row]
    return action


def cells_of(action: dict[str, Any]) -> str:
    """``Sheet!A1:H38``: the range an action writes."""
    top, left = action["start_row"] + 1, action["start_column"] + 1
    bottom, right = top + action["row_count"] - 1, left + action["column_count"] - 1
    sheet = sheet_names()[action["sheet_position"]]
    return (f"{sheet}!{get_column_letter(left)}{top}:"
            f"{get_column_letter(right)}{bottom}")


def press_in_libreoffice(workbook: Path, actions: list[dict[str, Any]], name: str,
                         *cells: str) -> Pressed:
    folder = workbook.parent
    actions_file = folder / f"{name}.json"
    actions_file.write_text(json.dumps(actions), encoding="utf-8")
    pdf = folder / f"{name}.pdf"
    options = [f"--cells={spec}" for spec in cells]
    report = inspect_workbook(workbook, "--actions", str(actions_file), *options, "--pdf",
                              str(pdf), "--pdf-sheets", PROJECTS.name, timeout=TIMEOUT_S)
    return Pressed(report, border_pixels(pdf))


@dataclass
class Run:
    validate: list[dict[str, Any]]
    rollup: list[dict[str, Any]]
    after: Pressed  # validate and roll-up applied
    cleaned: Pressed  # then the actions of a clean run


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    require_libreoffice()
    require_tool("pdftoppm", "apt-get install poppler-utils")
    folder = tmp_path_factory.mktemp("lo-buttons")
    workbook = build_workbook(folder / "PMO_Register.xlsm", sample_portfolio(40))
    validate = button_actions(workbook, "validate_entries")
    rollup = button_actions(workbook, "rollup_portfolio")
    clean = button_actions(clean_copy(workbook, folder / "Clean.xlsm"), "validate_entries")
    findings = setvalues_on(validate, VALIDATION, VALIDATION_FIRST_ROW - 1)
    figures = setvalues_on(rollup, DASHBOARD, _rollup_row(rollup))
    after = press_in_libreoffice(workbook, validate + rollup, "after",
                                 cells_of(findings), cells_of(figures))
    cleaned = press_in_libreoffice(workbook, validate + clean, "cleaned",
                                   f"{VALIDATION}!A{VALIDATION_FIRST_ROW}")
    return Run(validate, rollup, after, cleaned)


def _rollup_row(actions: list[dict[str, Any]]) -> int:
    """The first row of the roll-up's block of figures on the Dashboard."""
    dashboard = sheet_names().index(DASHBOARD)
    return min(a["start_row"] for a in actions
               if a["func"] == "setValues" and a["sheet_position"] == dashboard)


def test_libreoffice_draws_the_highlight_borders_of_the_findings(run: Run) -> None:
    written = marks_written(run.validate, PROJECTS.name)
    assert written == {ERROR_MARK, WARNING_MARK}  # the sample plants both on Projects
    for mark, colour in BORDERS.items():
        # A cell's medium border is some 30 pixels at this resolution.
        assert (run.after.pixels[colour] > 20) == (mark in written), (mark, run.after.pixels)


def test_the_actions_of_a_clean_run_remove_every_highlight(run: Run) -> None:
    assert run.cleaned.pixels == dict.fromkeys(BORDERS.values(), 0)
    [cell] = run.cleaned.report["cells"].values()
    assert cell[f"A{VALIDATION_FIRST_ROW}"] == {"type": "TEXT", "string": "No problems found."}
    assert run.cleaned.report["actions"]["alerts"][-1].startswith("No problems found")


def test_validation_links_are_the_formulas_the_glue_wrote(run: Run) -> None:
    action = setvalues_on(run.validate, VALIDATION, VALIDATION_FIRST_ROW - 1)
    formula = action["values"][0][0]
    assert formula.startswith("=HYPERLINK(")
    cells = run.after.report["cells"][cells_of(action)]
    a6 = cells[f"A{VALIDATION_FIRST_ROW}"]
    assert a6["type"] == "FORMULA" and a6["formula"] == formula
    link_text = re.fullmatch(r'=HYPERLINK\("[^"]*","([^"]*)"\)', formula)[1]
    assert a6["string"] == link_text  # LibreOffice evaluated it
    last = action["row_count"] + VALIDATION_FIRST_ROW - 1
    assert cells[f"A{last}"]["formula"] == action["values"][-1][0]


def _thousands(value: float) -> str:
    """``value`` as the format #,##0 shows it (halves round away from zero)."""
    whole = math.floor(abs(value) + 0.5)
    return f"{'-' if value < 0 and whole else ''}{whole:,}"


def test_the_dashboards_rollup_cells_hold_the_figures(run: Run) -> None:
    action = setvalues_on(run.rollup, DASHBOARD, _rollup_row(run.rollup))
    cells = run.after.report["cells"][cells_of(action)]
    formats = {(a["start_row"], a["start_column"]): a["args"][0] for a in run.rollup
               if a["func"] == "setNumberFormat"
               and a["sheet_position"] == action["sheet_position"]}
    numbers = 0
    for i, row in enumerate(action["values"]):
        for j, value in enumerate(row):
            top, left = action["start_row"] + i, action["start_column"] + j
            cell = cells[f"{get_column_letter(left + 1)}{top + 1}"]
            if isinstance(value, int | float):
                numbers += 1
                assert cell["type"] == "VALUE" and cell["value"] == pytest.approx(value), cell
                if formats.get((top, left)) == "#,##0":
                    assert cell["string"] == _thousands(value)  # setNumberFormat applied
            elif value == "":
                assert cell["type"] == "EMPTY"
            elif vba_parse_iso(value) is not None or re.fullmatch(r"[\d-]+ [\d:]+", value):
                assert cell["type"] == "VALUE", cell  # a date, as in Excel
            else:
                assert cell == {"type": "TEXT", "string": value.removeprefix("'")}
    assert numbers >= 20  # the figures, the RAG and phase counts
    alerts = run.after.report["actions"]["alerts"]
    assert [a["args"][0] for a in run.validate + run.rollup if a["func"] == "alert"] == alerts
