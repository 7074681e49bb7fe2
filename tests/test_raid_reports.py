"""The RAID log in the status reports: what a project's report and the portfolio summary show
of it, checked against values worked out by hand from registers written here, in the HTML
(the heat map's cells and the dependency graph's edges) and in the PDF as pypdf reads it.

The PDF tests need Chromium and WeasyPrint's pango libraries: skipped locally without them,
failed in CI (`test_reports._require_engine`)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from registers import VALID_RAID, project, register
from test_raid import ITEMS, MILESTONES, PROJECTS, dep
from test_reports import _require_engine

from pmo_xl import read_register, rollup, validate
from pmo_xl.batch import write_reports
from pmo_xl.raid import TOP_ITEMS
from pmo_xl.raid_charts import dependency_graph_svg, graph_edges, heat_map_svg
from pmo_xl.references import outside_references
from pmo_xl.reports import PORTFOLIO_STEM, report_data


def item(**changes: Any) -> dict[str, Any]:
    return {**VALID_RAID, **changes}


@pytest.fixture(scope="module")
def raid_register(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return register(tmp_path_factory.mktemp("raid-reports") / "raid.xlsx", PROJECTS,
                    milestones=MILESTONES, raid=ITEMS)


@pytest.fixture(scope="module")
def records(raid_register: Path) -> dict[str, dict[str, Any]]:
    reg = read_register(raid_register)
    data = report_data(reg, validate(reg), rollup(reg))
    return {p["project_id"]: p for p in data.projects}


# --- a project's report data, worked out by hand from test_raid.ITEMS ---------------------------


def test_a_projects_top_risks_and_issues_by_score_then_oldest(records: dict[str, Any]) -> None:
    raid = records["PRJ-001"]["raid"]
    # I-1 and R-1 score 20 (I-1 raised first); R-2 15; the 12s oldest first (I-2 raised in
    # June; R-3 and S-1 on the same day, in the log's order; I-3 last); R-5 has no score.
    # U-1 belongs to an unknown project, T-1 has no usable type: neither is listed.
    assert [(t["raid_id"], t["score"]) for t in raid["top_items"]] == [
        ("I-1", 20), ("R-1", 20), ("R-2", 15), ("I-2", 12), ("R-3", 12), ("S-1", 12),
        ("I-3", 12), ("R-5", None)]
    assert raid["more_items"] == 0
    first = raid["top_items"][1]
    assert (first["owner"], first["response"], first["high_risk"]) == (
        None, "Weekly supplier call.", True)
    assert raid["top_items"][5]["status_label"] is None  # S-1's 'Parked' failed validation


def test_decisions_needed_from_the_sponsor_soonest_first(records: dict[str, Any]) -> None:
    # DEC-3 is decided; DEC-4 is PRJ-003's.
    assert [(d["raid_id"], d["due"], d["overdue"], d["days_overdue"])
            for d in records["PRJ-001"]["raid"]["decisions"]] == [
        ("DEC-1", "2026-09-20", True, 10), ("DEC-2", "2026-09-28", True, 2)]
    assert [(d["raid_id"], d["overdue"]) for d in records["PRJ-003"]["raid"]["decisions"]] == [
        ("DEC-4", False)]


def test_dependencies_in_and_out_with_their_at_risk_state(records: dict[str, Any]) -> None:
    first = records["PRJ-001"]["raid"]
    # D-6 waits for an unknown project: no at-risk state to show.
    assert [(d["raid_id"], d["depends_on"], d["dependency_at_risk"])
            for d in first["depends_on"]] == [
        ("D-1", "PRJ-002", True), ("D-3", "PRJ-003", True), ("D-4", "PRJ-004", True)]
    assert first["depends_on"][2]["at_risk_reason"] == "is Closed below 100 % complete"
    assert [(d["raid_id"], d["project_id"], d["dependency_at_risk"], d["depends_on_delivers"])
            for d in first["depended_on_by"]] == [("D-5", "PRJ-003", False, "2026-12-31")]
    # PRJ-002's one slip: PRJ-001 and PRJ-003 wait for it, both at risk; D-7 needs it later.
    slipping = records["PRJ-002"]["raid"]
    assert [(d["raid_id"], d["project_id"], d["dependency_at_risk"])
            for d in slipping["depended_on_by"]] == [
        ("D-1", "PRJ-001", True), ("D-2", "PRJ-003", True), ("D-7", "PRJ-003", False)]
    assert slipping["depends_on"] == [] and slipping["top_items"] == []
    # D-8 is closed: not shown.
    assert [d["raid_id"] for d in records["PRJ-003"]["raid"]["depends_on"]] == [
        "D-2", "D-5", "D-7"]


def test_one_projects_records_are_those_of_the_whole_batch(raid_register: Path,
                                                           records: dict[str, Any]) -> None:
    reg = read_register(raid_register)
    [alone] = report_data(reg, validate(reg), rollup(reg), only=[2]).projects
    assert alone["project_id"] == "PRJ-003" and alone["raid"] == records["PRJ-003"]["raid"]
    # The log's own rows stay beside the figures, for templates that want the whole log.
    assert sorted(r["raid_id"] for r in alone["raid_log"]) == [
        "D-2", "D-5", "D-7", "D-8", "DEC-4"]


def test_no_raid_sheet_no_raid_sections(tmp_path: Path) -> None:
    path = register(tmp_path / "r.xlsx")
    reg = read_register(path)
    [record] = report_data(reg, validate(reg), rollup(reg)).projects
    assert record["raid"] is None
    write_reports(path, tmp_path / "out", all_projects=True, portfolio=True, formats=["html"])
    [html] = (tmp_path / "out").glob("PRJ-001-*.html")
    assert "Top risks and issues" not in html.read_text(encoding="utf-8")
    summary = (tmp_path / "out" / f"{PORTFOLIO_STEM}.html").read_text(encoding="utf-8")
    assert "RAID log" not in summary and "heat-map" not in summary


# --- the project report's HTML and PDF ---------------------------------------------------------

SPONSOR_ITEMS = [
    item(**{"RAID ID": "R-10", "Title": "Vendor insolvency", "Probability": 4, "Impact": 5,
            "Owner": "Cy Moss", "Response / Mitigation": "Escrow the source code."}),
    item(**{"RAID ID": "R-11", "Title": "Data migration slips", "Probability": 2,
            "Impact": 3, "Response / Mitigation": "Second rehearsal in October."}),
    item(**{"RAID ID": "I-10", "Type": "Issue", "Title": "Test rig <broken>", "Probability": 3,
            "Impact": 4, "Owner": "Dee Park"}),
    item(**{"RAID ID": "DEC-10", "Type": "Decision", "Title": "Approve phase two budget",
            "Owner": "Ada Jones", "Decision Needed By": dt.date(2026, 10, 6),
            "Probability": None, "Impact": None}),
    item(**{"RAID ID": "DEC-11", "Type": "Decision", "Title": "Choose the hosting option",
            "Owner": "Ada Jones", "Decision Needed By": dt.date(2026, 9, 25),
            "Probability": None, "Impact": None}),
    dep("D-10", "PRJ-001", "PRJ-002", dt.date(2026, 11, 30)),
]
SPONSOR_PROJECTS = [project(), project(**{"Project ID": "PRJ-002", "Project Name": "Data Hub",
                                          "Forecast Finish": dt.date(2027, 3, 31)})]


@pytest.fixture(scope="module")
def sponsor_register(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return register(tmp_path_factory.mktemp("sponsor") / "Register.xlsx", SPONSOR_PROJECTS,
                    raid=SPONSOR_ITEMS)


def test_project_html_shows_the_three_sections_and_escapes_the_log(sponsor_register: Path,
                                                                   tmp_path: Path) -> None:
    write_reports(sponsor_register, tmp_path, project_ids=["PRJ-001", "PRJ-002"],
                  formats=["html"])
    [html] = [p.read_text(encoding="utf-8") for p in tmp_path.glob("PRJ-001-*.html")]
    for heading in ("Top risks and issues", "Decisions needed from the sponsor",
                    "Dependencies"):
        assert f"<h{2 if heading.startswith('Top') else 3}>{heading}</h" in html
    assert "Test rig &lt;broken&gt;" in html and "<broken>" not in html
    assert "20 <small>(4 × 5)</small>" in html and "Escrow the source code." in html
    assert re.search(r"Waits for <span class=\"id\">PRJ-002</span> by 30 Nov 2026: "
                     r"<span class=\"at-risk\">at risk</span>", html)
    assert outside_references(html) == []
    [other] = [p.read_text(encoding="utf-8") for p in tmp_path.glob("PRJ-002-*.html")]
    assert re.search(r"<span class=\"id\">PRJ-001</span> waits for its finish by 30 Nov "
                     r"2026: <span class=\"at-risk\">at risk</span>", other)


def _pages(path: Path) -> list[str]:
    from pypdf import PdfReader

    # A line may break after a hyphen (in an ISO date): joined again.
    return [re.sub(r"-\s+", "-", re.sub(r"\s+", " ", page.extract_text() or ""))
            for page in PdfReader(path).pages]


@pytest.mark.parametrize("engine", ["chromium", "weasyprint"])
def test_pdf_reads_the_top_risks_and_the_decisions(engine: str, sponsor_register: Path,
                                                   tmp_path: Path) -> None:
    _require_engine(engine)
    write_reports(sponsor_register, tmp_path, project_ids=["PRJ-001"], formats=["pdf"],
                  pdf_engine=engine)
    [pdf] = tmp_path.glob("PRJ-001-*.pdf")
    [text] = _pages(pdf)  # a typical log: still one page
    # By score: the vendor (20), the test rig (12), the migration (6); owner and response.
    at = [text.find(title) for title in ("Vendor insolvency", "Test rig <broken>",
                                         "Data migration slips")]
    assert -1 not in at and at == sorted(at), text
    assert "Cy Moss" in text and "Escrow the source code." in text
    # Decisions soonest first, the overdue one flagged.
    first, second = text.find("Choose the hosting option"), text.find("Approve phase two")
    assert -1 < first < second
    assert "overdue 5 days" in text and "06 Oct 2026" in text
    assert "at risk" in text and "forecasts its finish on 2027-03-31" in text


def test_a_long_log_continues_on_page_two_under_the_running_header(tmp_path: Path) -> None:
    _require_engine("chromium")
    risks = [item(**{"RAID ID": f"R-{n}", "Title": f"Risk number {n}", "Probability": 5,
                     "Impact": 1 + n % 5, "Response / Mitigation": "A response long enough "
                     "to take its own line on the report, and then some more words."})
             for n in range(TOP_ITEMS + 3)]
    decisions = [item(**{"RAID ID": f"DEC-{n}", "Type": "Decision", "Title": f"Decision {n}",
                         "Decision Needed By": dt.date(2026, 10, 1 + n), "Probability": None,
                         "Impact": None}) for n in range(24)]
    path = register(tmp_path / "Register.xlsx", raid=[*risks, *decisions])
    write_reports(path, tmp_path / "out", project_ids=["PRJ-001"], formats=["pdf"],
                  pdf_engine="chromium")
    [pdf] = (tmp_path / "out").glob("PRJ-001-*.pdf")
    pages = _pages(pdf)
    assert len(pages) >= 2
    assert f"Page 2 of {len(pages)}" in pages[1] and "PRJ-001 · Payroll Upgrade" in pages[1]
    text = " ".join(pages)
    assert all(f"Decision {n} – Ben Ito" in text for n in range(24))
    assert "… and 3 more open risks and issues in the RAID log." in text


# --- the portfolio summary: heat map and dependency graph -----------------------------------------


@pytest.fixture(scope="module")
def summary_html(raid_register: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("summary")
    write_reports(raid_register, out, portfolio=True, formats=["html"])
    return (out / f"{PORTFOLIO_STEM}.html").read_text(encoding="utf-8")


_CELL = re.compile(r'<g class="cell" data-probability="(\d)" data-impact="(\d)" '
                   r'data-band="(\w+)">.*?>(\d+)</text></g>')


def test_heat_map_counts_the_open_risks_by_probability_and_impact(summary_html: str) -> None:
    cells = {(int(p), int(i)): (band, int(n)) for p, i, band, n in _CELL.findall(summary_html)}
    assert len(cells) == 25
    # Open risks with a score: R-1 P4 × I5, R-2 P3 × I5, R-3, S-1 and U-1 P3 × I4. R-4 is
    # closed, R-5's Probability 7 is no score, I-* are issues.
    expected = {(4, 5): 1, (3, 5): 1, (3, 4): 3}
    assert {k: n for k, (_b, n) in cells.items() if n} == expected
    # Bands from the High Risk Score 15: high from 15, medium from 7.5.
    assert cells[(4, 5)][0] == cells[(3, 5)][0] == "high"
    assert cells[(3, 4)][0] == cells[(2, 4)][0] == "medium" and cells[(2, 3)][0] == "low"
    assert "1 open risk without a usable score." in summary_html


_EDGE = re.compile(r'<g class="edge" data-from="([^"]+)" data-to="([^"]+)" '
                   r'data-at-risk="(true|false)">')


def test_dependency_graph_draws_every_cross_project_dependency(summary_html: str) -> None:
    edges = {(a, b): risk == "true" for a, b, risk in _EDGE.findall(summary_html)}
    # D-1, D-2 (with D-7, not at risk, on the same pair), D-3, D-4 at risk; D-5 not.
    assert edges == {("PRJ-001", "PRJ-002"): True, ("PRJ-003", "PRJ-002"): True,
                     ("PRJ-001", "PRJ-003"): True, ("PRJ-001", "PRJ-004"): True,
                     ("PRJ-003", "PRJ-001"): False}
    nodes = re.findall(r'<g class="node" data-project="([^"]+)">', summary_html)
    assert sorted(nodes) == ["PRJ-001", "PRJ-002", "PRJ-003", "PRJ-004"]
    assert outside_references(summary_html) == [] and "<script" not in summary_html


def test_portfolio_lists_overdue_actions_decisions_and_dependencies_at_risk(
        summary_html: str) -> None:
    section = summary_html[summary_html.index('<section class="raid raid-portfolio">'):]
    assert "<td>Cy Moss</td><td class=\"num\">2</td><td>A-1, A-2</td>" in section
    decisions = re.findall(r'<tr><td class="id">(DEC-\d)</td>', section)
    assert decisions == ["DEC-1", "DEC-2", "DEC-4"]
    at_risk = section[section.index("<h3>Dependencies at risk</h3>"):]
    rows = re.findall(r'<tr><td class="id">(PRJ-\d+)</td><td><span class="id">(PRJ-\d+)', at_risk)
    assert rows == [("PRJ-001", "PRJ-002"), ("PRJ-003", "PRJ-002"), ("PRJ-001", "PRJ-003"),
                    ("PRJ-001", "PRJ-004")]


def test_the_graph_escapes_register_text_and_keeps_to_its_size() -> None:
    hostile = '<script>alert("x")</script>'
    svg = str(dependency_graph_svg([
        {"raid_id": "D&1", "project_id": hostile, "depends_on": "PRJ-2",
         "dependency_at_risk": True}]))
    assert "<script" not in svg and "&lt;script&gt;" in svg and "D&amp;1" in svg
    many = [{"raid_id": f"D-{n}", "project_id": f"P{n}", "depends_on": f"P{n + 1}",
             "dependency_at_risk": n % 3 == 0} for n in range(40)]
    nodes, edges, left_out = graph_edges(many, max_nodes=10)
    assert len(nodes) <= 10 and left_out == 40 - len(edges) > 0
    assert all(risk for _a, _b, risk, _ids in edges[:4])  # at risk ones drawn first
    assert f"{left_out} more not drawn" in str(dependency_graph_svg(many, max_nodes=10))
    assert str(dependency_graph_svg([])) == ""


def test_heat_map_bands_follow_the_high_risk_score() -> None:
    counts = [[0] * 5 for _ in range(5)]
    svg = str(heat_map_svg({"counts": counts, "unscored": 0}, 10))
    bands = {(int(p), int(i)): band for p, i, band, _n in _CELL.findall(svg)}
    assert bands[(2, 5)] == "high" and bands[(2, 2)] == "low" and bands[(1, 5)] == "medium"
