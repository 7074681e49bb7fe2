"""The sample portfolio: deterministic, realistic, any size."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import openpyxl

from pmo_xl.reader import read_register
from pmo_xl.sample import sample_portfolio, write_register


def test_same_seed_same_portfolio_other_seed_other_portfolio() -> None:
    assert sample_portfolio(30, seed=5) == sample_portfolio(30, seed=5)
    assert sample_portfolio(30, seed=5).projects != sample_portfolio(30, seed=6).projects


def test_sizes_and_shape() -> None:
    portfolio = sample_portfolio(100)
    assert len(portfolio.projects) == 100
    assert len(portfolio.lessons) == 300 and len(portfolio.milestones) == 400
    assert len({p["project_name"] for p in portfolio.projects}) == 100
    phases = {p["phase"] for p in portfolio.projects}
    assert {"Initiation", "Planning", "Execution", "Closing", "Closed"} <= phases
    raid = portfolio.rows("RAID")
    per_project = Counter(r["project_id"] for r in raid)
    assert len(per_project) == 100 and set(per_project.values()) <= set(range(4, 9))
    assert {r["type"] for r in raid} == {"Risk", "Assumption", "Issue", "Dependency",
                                         "Decision", "Action"}
    # A few honest problems: every kind shows, on a small share of the rows.
    assert 0 < len(portfolio.planted) <= 0.1 * (100 + 300 + 400 + len(raid))


def test_written_register_reads_back(tmp_path: Path) -> None:
    portfolio = sample_portfolio(25)
    path = write_register(tmp_path / "s.xlsx", portfolio)
    book = openpyxl.load_workbook(path)  # an independent reader
    assert book.sheetnames == ["Projects", "Lessons", "Milestones", "RAID", "Settings"]
    tables = {name: list(book[name].tables) for name in book.sheetnames}
    assert tables == {"Projects": ["tblProjects"], "Lessons": ["tblLessons"],
                      "Milestones": ["tblMilestones"], "RAID": ["tblRAID"], "Settings": []}
    assert book["Projects"]["A1"].value == "Project ID"
    register = read_register(path)
    assert len(register.projects) == 25 and len(register.lessons) == 75
    assert register.settings.report_date == portfolio.as_of
    assert register.settings.organisation == "Harbourside Group"
