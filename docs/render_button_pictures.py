"""Regenerate the README's pictures of what the buttons do, as a spreadsheet application shows it.

    .venv/bin/python docs/render_button_pictures.py      # or: make pictures

Writes ``docs/dashboard-rollup.png`` (the Dashboard's roll-up figures, exceptions and chart
after *Roll up portfolio*), ``docs/validation.png`` (the top of the Validation sheet after
*Validate entries*) and ``docs/projects-highlights.png`` (the first printed page of Projects
with its red and amber highlights).

How: build the 40-project sample workbook into a temporary folder; run the button functions
``validate_entries`` and then ``rollup_portfolio`` (pmo_xl.excel) on xlwings' remote engine,
each on the same original file, as Excel's VBA client would send it (tests/xlremote.py); have
headless LibreOffice apply both lists of actions to the real .xlsm, as the VBA client applies
them in Excel, and export the Dashboard, Projects and Validation sheets to PDF
(tests/lo_inspect.py ``--actions``); turn pages into PNGs with poppler's pdftoppm at 80 dpi,
cropped below the page header to the sheet's content (found with pdftotext -bbox, so the
crops follow layout changes), as docs/render_pictures.sh crops.

A dev script: it imports test tooling from tests/ and needs the test extras (openpyxl),
``soffice`` with a python3 that has LibreOffice's ``uno`` module (``PMO_XL_LO_PYTHON``
overrides /usr/bin/python3), and pdftoppm/pdftotext (Debian: poppler-utils).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # tests/xlremote.py: the remote engine round trip

from xlremote import remote_book  # noqa: E402

from pmo_xl import excel  # noqa: E402
from pmo_xl.sample import sample_portfolio  # noqa: E402
from pmo_xl.workbook import build_workbook  # noqa: E402

LO_PYTHON = os.environ.get("PMO_XL_LO_PYTHON", "/usr/bin/python3")
INSPECT = ROOT / "tests" / "lo_inspect.py"
DOCS = ROOT / "docs"
BUTTONS = ("validate_entries", "rollup_portfolio")  # in this order: as a user would press them
PDF_SHEETS = ("Dashboard", "Projects", "Validation")
DPI = 80


@dataclass(frozen=True)
class Picture:
    """The first PDF page of `sheet`, cropped to its content: from the line that starts with
    `starts_at` (default: the top of the sheet), at most `max_height` pixels tall."""

    name: str
    sheet: str
    starts_at: str | None = None
    max_height: int | None = None


PICTURES = (
    # From the "Portfolio roll-up" heading down: figures, exceptions and the RAG chart.
    Picture("dashboard-rollup", "Dashboard", starts_at="Portfolio"),
    # Title, when, counts and the findings (the sample's fit on the first page).
    Picture("validation", "Validation", max_height=432),
    # As docs/projects.png: the first of the three pages Projects prints across.
    Picture("projects-highlights", "Projects", max_height=432),
)

# In pixels at DPI, as docs/render_pictures.sh crops: the page header (sheet name, date) ends
# above TOP, the content lies between LEFT and LEFT + WIDTH.
TOP, LEFT, WIDTH = 36, 20, 840
PAD = 8  # around the content found (a chart's frame reaches a little beyond its text)
FOOTER_PT = 0.6 * 72  # the bottom margin: the page footer ("Page 1 of 5") lies below it


@dataclass(frozen=True)
class Word:
    """A word of a PDF page and its box, in points from the page's top left."""

    text: str
    left: float
    top: float
    right: float
    bottom: float


@dataclass(frozen=True)
class Page:
    number: int
    height: float
    words: list[Word]

    @property
    def sheet(self) -> str:
        """The sheet printed on the page: the header's first word (the header is ``&L&A``)."""
        first = min(self.words, key=lambda word: (round(word.top), word.left), default=None)
        return first.text if first is not None else ""

    def content(self) -> list[Word]:
        """The words between the page header and the footer."""
        top_pt = TOP * 72 / DPI
        return [w for w in self.words if w.top >= top_pt and w.top <= self.height - FOOTER_PT]


def read_pages(pdf: Path) -> list[Page]:
    """Every page's words and their boxes (pdftotext -bbox)."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    pages = []
    for number, match in enumerate(re.finditer(
            r'<page width="[\d.]+" height="([\d.]+)">(.*?)</page>', html, re.S), start=1):
        words = [Word(unescape(text), float(x1), float(y1), float(x2), float(y2))
                 for x1, y1, x2, y2, text in re.findall(
                     r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" '
                     r'yMax="([\d.]+)">(.*?)</word>', match[2])]
        pages.append(Page(number, float(match[1]), words))
    return pages


def crop(page: Page, picture: Picture) -> tuple[int, int, int, int]:
    """x, y, width and height in pixels of the picture on its page."""
    scale = DPI / 72
    words = page.content()
    top = TOP
    if picture.starts_at is not None:
        start = [w for w in words if w.text == picture.starts_at]
        if not start:
            raise RuntimeError(f"page {page.number}: no {picture.starts_at!r} to start at")
        top = round(min(w.top for w in start) * scale) - PAD
        words = [w for w in words if w.top * scale >= top]
    bottom = round(max(w.bottom for w in words) * scale) + PAD
    height = bottom - top
    if picture.max_height is not None:
        height = min(height, picture.max_height)
    return LEFT, top, WIDTH, height


def button_actions(workbook: Path) -> list[dict[str, Any]]:
    """The actions of each button pressed on the original workbook, concatenated."""
    actions: list[dict[str, Any]] = []
    for button in BUTTONS:
        with remote_book(workbook, book_name=str(workbook)) as book:
            getattr(excel, button)()  # as RunPython calls it: the book is xw.Book.caller()
            actions.extend(book.json()["actions"])
    return actions


def render(pdf: Path, pages: list[Page], picture: Picture) -> Path:
    page = next((p for p in pages if p.sheet == picture.sheet), None)
    if page is None:
        raise RuntimeError(f"{pdf}: no page of {picture.sheet}")
    x, y, width, height = crop(page, picture)
    target = DOCS / picture.name
    subprocess.run(["pdftoppm", "-png", "-r", str(DPI), "-f", str(page.number),
                    "-l", str(page.number), "-singlefile", "-x", str(x), "-y", str(y),
                    "-W", str(width), "-H", str(height), str(pdf), str(target)], check=True)
    return target.with_suffix(".png")


def main() -> int:
    for tool in ("pdftoppm", "pdftotext"):
        if shutil.which(tool) is None:
            print(f"{tool} is missing (apt-get install poppler-utils)", file=sys.stderr)
            return 1
    with tempfile.TemporaryDirectory(prefix="pmo-xl-pictures-") as folder:
        work = Path(folder)
        workbook = build_workbook(work / "PMO_Register.xlsm", sample_portfolio(40))
        actions_file = work / "actions.json"
        actions_file.write_text(json.dumps(button_actions(workbook)), encoding="utf-8")
        pdf = work / "pressed.pdf"
        subprocess.run([LO_PYTHON, str(INSPECT), str(workbook), "--actions", str(actions_file),
                        "--pdf", str(pdf), "--pdf-sheets", ",".join(PDF_SHEETS)],
                       check=True, stdout=subprocess.DEVNULL, timeout=300)
        pages = read_pages(pdf)
        for picture in PICTURES:
            png = render(pdf, pages, picture)
            print(f"{png.relative_to(ROOT)}: {png.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
