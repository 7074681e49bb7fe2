"""The organisation's standard in a workbook, as LibreOffice (an independent application)
computes it: dropdown lists that grow with the Lists sheet, RAG colours by meaning.

Needs LibreOffice (see tests/libreoffice.py) and pdftoppm; skipped without them locally,
failed without them under CI=true.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import require_tool
from libreoffice import inspect_workbook, require_libreoffice

from pmo_xl.profile import apply_profile, load_profile
from pmo_xl.sample import sample_portfolio
from pmo_xl.standard import DEFAULT_STANDARD
from pmo_xl.workbook import build_workbook

TIMEOUT_S = 180
# The RAG fills (Excel's Good, Neutral and Bad styles), as the workbook's RAG colours.
FILLS = {"Green": (0xC6, 0xEF, 0xCE), "Amber": (0xFF, 0xEB, 0x9C), "Red": (0xFF, 0xC7, 0xCE)}
WORDS = {"Green": "On Track", "Amber": "At Risk", "Red": "Off Track"}
PROFILE = """
[vocabularies.RAG]
"On Track" = "Green"
"At Risk" = "Amber"
"Off Track" = "Red"
"""


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_libreoffice()
    require_tool("pdftoppm", "apt-get install poppler-utils")
    folder = tmp_path_factory.mktemp("lo-standard")
    (folder / "org.toml").write_text(PROFILE, encoding="utf-8")
    standard = apply_profile(DEFAULT_STANDARD, load_profile(folder / "org.toml"))
    portfolio = sample_portfolio(12)
    for row in portfolio.projects:  # the organisation's words in the register
        row["overall_rag"] = WORDS.get(row.get("overall_rag") or "", row.get("overall_rag"))
        for key in ("schedule_rag", "cost_rag"):
            row[key] = WORDS.get(row.get(key) or "", row.get(key))
    return build_workbook(folder / "Org.xlsm", portfolio, standard=standard)


def dropdown_source(path: Path, header: str) -> str:
    book = openpyxl.load_workbook(path)
    sheet = book["Projects"]
    letter = next(c.column_letter for c in sheet[1] if c.value == header)
    [dv] = [dv for dv in sheet.data_validations.dataValidation
            if dv.type == "list" and str(dv.sqref).startswith(f"{letter}2:")]
    return dv.formula1


def fill_pixels(pdf: Path) -> dict[str, int]:
    """Pixels of each RAG fill on the PDF's pages (pdftoppm, no antialiasing)."""
    ppm = subprocess.run(["pdftoppm", "-r", "50", "-aa", "no", "-aaVector", "no", str(pdf)],
                         check=True, capture_output=True, timeout=60).stdout
    counts = dict.fromkeys(FILLS, 0)
    header = re.compile(rb"P6\s+(\d+)\s+(\d+)\s+255\s")
    at = 0
    while at < len(ppm):
        match = header.match(ppm, at)
        assert match
        width, height = int(match[1]), int(match[2])
        data = ppm[match.end():match.end() + width * height * 3]
        for name, (r, g, b) in FILLS.items():
            counts[name] += data.count(bytes((r, g, b)))
        at = match.end() + width * height * 3
    return counts


def test_libreoffice_reads_the_growing_dropdown_lists(workbook: Path) -> None:
    source = dropdown_source(workbook, "Overall RAG")
    phase = dropdown_source(workbook, "Phase")
    seen: dict[str, Any] = inspect_workbook(
        workbook, f"--evaluate==ROWS({source})", f"--evaluate==INDEX({source},2)",
        f"--evaluate==ROWS({phase})", timeout=TIMEOUT_S)["evaluated"]
    values = list(seen.values())
    assert all(v["error"] == 0 for v in values), seen
    assert values[0]["value"] == 3 and values[1]["string"] == "At Risk"
    assert values[2]["value"] == 5  # the five stages


def test_libreoffice_colours_the_organisations_ratings_by_meaning(workbook: Path) -> None:
    pdf = workbook.with_suffix(".pdf")
    inspect_workbook(workbook, "--pdf", str(pdf), "--pdf-sheets", "Projects",
                     timeout=TIMEOUT_S)
    pixels = fill_pixels(pdf)
    # Every meaning is drawn, though no cell says Green, Amber or Red.
    assert all(count > 200 for count in pixels.values()), pixels
