"""Recurring lessons themes in the portfolio summary (reports.lesson_themes and the
_lessons_themes.html.j2 partial), on a register built here."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path
from typing import Any

from pmo_xl import rollup, validate
from pmo_xl.batch import write_reports
from pmo_xl.lessons import build_index, themes
from pmo_xl.reader import Register, read_sheets
from pmo_xl.reports import PORTFOLIO_STEM, report_data

PROJECT_HEADERS = ("Project ID", "Project Name", "Programme", "Phase", "Overall RAG",
                   "Start Date", "Baseline Finish", "Forecast Finish", "Budget", "Actual Cost",
                   "Percent Complete", "Status Date")
LESSON_HEADERS = ("Lesson ID", "Project ID", "Date Logged", "Category", "Type", "Lesson",
                  "Description", "Recommendation", "Action Status", "Impact")
AS_OF = dt.date(2026, 9, 30)


def _project(pid: str, programme: str) -> tuple[Any, ...]:
    return (pid, f"Project {pid}", programme, "Execution", "Green", dt.date(2026, 1, 5),
            dt.date(2026, 12, 31), dt.date(2026, 12, 31), 100_000, 40_000, 0.4,
            dt.date(2026, 9, 25))


def _register(lessons: list[tuple[Any, ...]] | None) -> Register:
    projects = [_project("P1", "Estates"), _project("P2", "Estates"), _project("P3", "Digital"),
                _project("P4", "Digital")]
    sheets: dict[str, list[Any]] = {"Projects": [PROJECT_HEADERS, *projects]}
    if lessons is not None:
        sheets["Lessons"] = [LESSON_HEADERS, *lessons]
    sheets["Settings"] = [("Setting", "Value"), ("Report Date", AS_OF)]
    return read_sheets(Path("Register.xlsx"), sheets)


def _lesson(lid: str, pid: str, title: str, description: str, day: dt.date,
            status: str = "Closed", category: str = "Resources") -> tuple[Any, ...]:
    return (lid, pid, day, category, "Improve", title, description,
            "Request badges a month ahead.", status, "High")


# Three projects of two programmes kept waiting for site badge access: a theme, one action
# open. The others share nothing beyond their words for a category.
LESSONS = [
    _lesson("L1", "P1", "Site badge access took weeks",
            "Contractors waited for site badge access before work started.",
            dt.date(2025, 11, 3)),
    _lesson("L2", "P2", "Badge access for the site team came late",
            "The site team waited three weeks for badge access.", dt.date(2026, 2, 14),
            status="Open"),
    _lesson("L3", "P3", "Waiting for site badge access",
            "Engineers waited for badge access at the data site.", dt.date(2026, 6, 1)),
    _lesson("L4", "P4", "Budget reforecast was monthly", "Cost reports lagged the spend.",
            dt.date(2026, 5, 5), category="Cost"),
    _lesson("L5", "P1", "Steering papers sent late", "Papers reached members on the day.",
            dt.date(2026, 4, 8), category="Governance"),
]


def test_the_portfolio_data_carries_the_lessons_themes() -> None:
    register = _register(LESSONS)
    portfolio = rollup(register, AS_OF)
    data = report_data(register, validate(register, AS_OF), portfolio)
    found = data.portfolio["lesson_themes"]
    expected = [t.to_dict() for t in themes(build_index(register, as_of=AS_OF))]
    assert found == expected and len(found) == 1
    [theme] = found
    assert set(theme["lessons"]) == {"L1", "L2", "L3"}
    assert theme["projects"] == ["P1", "P2", "P3"] and theme["programmes"] == ["Digital",
                                                                              "Estates"]
    assert {"site", "access"} <= set(theme["terms"])  # what they share beyond Resources
    assert (theme["first_logged"], theme["last_logged"]) == ("2025-11-03", "2026-06-01")
    assert theme["open_actions"] == 1 and theme["open"]
    one = report_data(register, validate(register, AS_OF), portfolio, only=[0])
    assert one.portfolio["lesson_themes"] is None  # a project's own report needs none


def _portfolio_html(tmp_path: Path, register: Register) -> str:
    result = write_reports(tmp_path / "Register.xlsx", tmp_path / "out", portfolio=True,
                           formats=["html"], register=register, as_of=AS_OF)
    assert not result.failed
    page = (tmp_path / "out" / f"{PORTFOLIO_STEM}.html").read_text(encoding="utf-8")
    return html.unescape(re.sub(r"<[^>]+>", " ", page)).replace(" ,", ",")


def test_the_portfolio_summary_shows_each_theme(tmp_path: Path) -> None:
    text = " ".join(_portfolio_html(tmp_path, _register(LESSONS)).split())
    assert "Recurring lessons themes" in text
    register = _register(LESSONS)
    [theme] = themes(build_index(register, as_of=AS_OF))
    row = re.search(r"{} .*?(\d+) P1, P2, P3 (\S+ \S+ \S+) (\S+ \S+ \S+) (.*?) ".format(
        re.escape(", ".join(theme.terms))), text)
    assert row, text[text.index("Recurring"):][:600]
    assert row[1] == "3" and row[2] == "03 Nov 2025" and row[3] == "01 Jun 2026"
    assert text[row.end(3):].lstrip().startswith("1 still open")


def test_no_theme_and_no_lessons_sheet_say_so_or_show_nothing(tmp_path: Path) -> None:
    text = " ".join(_portfolio_html(tmp_path / "a", _register(LESSONS[3:])).split())
    assert "No theme recurs" in text
    text = " ".join(_portfolio_html(tmp_path / "b", _register(None)).split())
    assert "Recurring lessons themes" not in text
