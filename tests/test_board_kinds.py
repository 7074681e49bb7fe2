"""`pmo-xl report --kind`: highlight and exception reports beside the status reports and the
portfolio summary, with their own file names, index rows and manifest entries; the exception
report's drafted sentences read back from its PDF; the sample portfolio's exceptions.

The PDF test needs a Chromium or WeasyPrint: locally it skips without one, in CI it fails
(`require_tool`)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from registers import AS_OF, VALID_LESSON, VALID_MILESTONE, VALID_PROJECT, VALID_RAID, register

from pmo_xl.batch import MANIFEST, parse_kinds, unique_stems, write_reports
from pmo_xl.board_reports import PLACEHOLDER, draft_exception, needs_exception_report
from pmo_xl.cli import main
from pmo_xl.formatting import money
from pmo_xl.metrics import rollup
from pmo_xl.reader import read_register
from pmo_xl.reports import bundled_templates, report_data, report_stems
from pmo_xl.validation import validate

ROOT = Path(__file__).resolve().parents[1]
LATE, WAITING = "PRJ-LATE", "PRJ-WAIT"
BUILD = {"name": "Build complete", "baseline": dt.date(2026, 11, 1),
         "forecast": dt.date(2026, 12, 16)}
TEST = {"name": "Testing complete", "baseline": dt.date(2026, 11, 20),
        "forecast": dt.date(2026, 12, 20)}
NEEDED_BY = dt.date(2026, 11, 15)


def planted(path: Path, **settings: Any) -> Path:
    """A project forecast 45 days past its 30-day time tolerance after two milestones
    slipped, another project whose dependency on the first one's build is put at risk by it,
    a high risk on the first, and a lessons log."""
    late = {**VALID_PROJECT, "Project ID": LATE, "Project Name": "Core Banking",
            "Baseline Finish": dt.date(2026, 12, 31), "Forecast Finish": dt.date(2027, 2, 14)}
    waiting = {**VALID_PROJECT, "Project ID": WAITING, "Project Name": "Mobile Wallet"}
    milestones = [{**VALID_MILESTONE, "Project ID": LATE, "Milestone": m["name"],
                   "Baseline Date": m["baseline"], "Forecast Date": m["forecast"]}
                  for m in (BUILD, TEST)]
    raid = [{**VALID_RAID, "RAID ID": "R-1", "Project ID": LATE, "Title": "Vendor insolvent",
             "Probability": 4, "Impact": 5},
            {**VALID_RAID, "RAID ID": "D-1", "Project ID": WAITING, "Type": "Dependency",
             "Title": "Needs the core build", "Probability": None, "Impact": None,
             "Depends On": LATE, "Depends On Milestone": BUILD["name"],
             "Needed By": NEEDED_BY}]
    lessons = [{**VALID_LESSON, "Project ID": WAITING, "Lesson": "Plan vendor build slips",
                "Description": "The build slipped.", "Category": "Schedule"}]
    return register(path, projects=[late, waiting], milestones=milestones, raid=raid,
                    lessons=lessons, settings={"Report Date": AS_OF, **settings})


def manifest(out: Path) -> dict[str, Any]:
    return json.loads((out / MANIFEST).read_text(encoding="utf-8"))


def text_of(path: Path) -> str:
    """A page's words, markup dropped and whitespace collapsed."""
    html = re.sub(r"(?s)<style.*?</style>|<[^>]+>", " ", path.read_text(encoding="utf-8"))
    return re.sub(r"\s+", " ", html.replace("&#39;", "'"))


def test_bundled_templates_are_this_checkouts() -> None:
    assert bundled_templates() == ROOT / "report_templates"


def test_report_kinds_are_parsed_or_refused() -> None:
    assert parse_kinds("Exception, status") == ["status", "exception"]
    for wrong in ("", "status,board", ","):
        with pytest.raises(ValueError, match="report kinds"):
            parse_kinds(wrong)


def test_unknown_kind_is_one_line_and_exit_2(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = planted(tmp_path / "r.xlsx")
    assert main(["report", str(path), "--out", str(tmp_path / "out"), "--kind",
                 "status,board"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'status,board' is not a list of report kinds" in err
    assert not (tmp_path / "out").exists()


def test_every_kind_has_its_own_files_index_row_and_manifest_entry(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, out = planted(tmp_path / "r.xlsx"), tmp_path / "out"
    args = ["report", str(path), "--out", str(out), "--format", "html", "--kind",
            "status,highlight,exception,portfolio"]
    assert main(args) == 0
    stems = dict(zip((LATE, WAITING), report_stems(
        [{"project_id": LATE, "project_name": "Core Banking", "row": 2},
         {"project_id": WAITING, "project_name": "Mobile Wallet", "row": 3}]), strict=True))
    expected = {f"{stems[LATE]}.html", f"{stems[LATE]}-highlight.html",
                f"{stems[LATE]}-exception.html", f"{stems[WAITING]}.html",
                f"{stems[WAITING]}-highlight.html", "portfolio-summary.html"}
    files = manifest(out)["files"]
    assert set(files) == expected  # no exception report for the project within tolerance
    assert {name: entry["report"] for name, entry in files.items()} == {
        name: next((kind for kind in ("highlight", "exception", "portfolio") if kind in name),
                   "status") for name in expected}
    index = (out / "index.html").read_text(encoding="utf-8")
    assert sorted(re.findall(r'href="([^"]+)"', index)) == sorted(expected)
    row = re.search(rf"<tr><td class=\"id\">{LATE}</td>.*?</tr>", index, re.S)
    assert row and all(word in row.group(0) for word in ("Status:", "Highlight:", "Exception:"))
    capsys.readouterr()
    assert main(args) == 0  # nothing changed: every file is kept
    assert "0 report files written, 6 unchanged" in capsys.readouterr().out


def test_kind_stems_never_collide_with_another_projects() -> None:
    projects = [{"project_id": "A", "row": 2}, {"project_id": "B", "row": 3},
                {"project_id": "C", "row": 4}]
    stems = unique_stems(projects, ["X-highlight", "X", "x-exception-highlight"])
    names = [f"{stem}{suffix}".casefold() for stem in stems
             for suffix in ("", "-highlight", "-exception")]
    assert len(set(names)) == len(names) and stems[0] == "X-highlight"


def test_highlight_report_without_a_baseline_says_so_and_shows_the_risk_tolerance(
        tmp_path: Path) -> None:
    path, out = planted(tmp_path / "r.xlsx"), tmp_path / "out"
    write_reports(path, out, all_projects=True, formats=["html"], kinds=["highlight"])
    stem = {e["project_id"]: e["stem"] for e in manifest(out)["files"].values()}
    late = text_of(out / f"{stem[LATE]}-highlight.html")
    assert "No baseline was given, so the period's start is not known" in late
    # R-1 scores 4 × 5 = 20, at least the High Risk Score (15): risk tolerance at risk.
    assert re.search(r"Risk no open risk scored 15 or more 1 open risk scored 15 or more "
                     r"\(highest 20\) at risk", late)
    assert "Risk R-1: Vendor insolvent (score 20)" in late
    waiting = text_of(out / f"{stem[WAITING]}-highlight.html")
    assert re.search(r"0 open risks scored 15 or more within", waiting)
    assert "Plan vendor build slips (PRJ-WAIT)" in late  # another project's lesson


def test_risk_tolerance_follows_the_high_risk_score_setting(tmp_path: Path) -> None:
    path, out = planted(tmp_path / "r.xlsx", **{"High Risk Score": 21}), tmp_path / "out"
    write_reports(path, out, project_ids=[LATE], formats=["html"], kinds=["highlight"])
    (page,) = out.glob("*-highlight.html")
    assert "0 open risks scored 21 or more (highest 20) within" in text_of(page)


def test_lessons_worth_reading_box_only_with_a_lessons_log(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_reports(planted(tmp_path / "r.xlsx"), out, project_ids=[LATE], formats=["html"])
    (page,) = out.glob("PRJ-LATE*.html")
    shown = text_of(page)
    assert "Lessons worth reading" in shown and "Plan vendor build slips (PRJ-WAIT)" in shown
    bare = register(tmp_path / "bare.xlsx")
    write_reports(bare, tmp_path / "bare", all_projects=True, formats=["html"])
    (page,) = (tmp_path / "bare").glob("PRJ-001*.html")
    assert "Lessons worth reading" not in page.read_text(encoding="utf-8")


def _engine() -> str:
    """The PDF engine of this machine: a Chromium, else WeasyPrint; skip (fail in CI)."""
    if shutil.which("chromium") or shutil.which("chromium-browser"):
        return "chromium"
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"required in CI: a PDF engine (chromium or WeasyPrint): {error}")
        pytest.skip(f"no PDF engine here (chromium or WeasyPrint): {error}")
    return "weasyprint"


def test_exception_pdf_drafts_the_cause_and_consequences_of_a_planted_slip(
        tmp_path: Path) -> None:
    from pypdf import PdfReader

    path, out = planted(tmp_path / "r.xlsx"), tmp_path / "out"
    result = write_reports(path, out, all_projects=True, formats=["pdf"],
                           kinds=["highlight", "exception"], pdf_engine=_engine())
    assert not result.failed, result.failed
    (pdf,) = out.glob("*-exception.pdf")
    reader = PdfReader(pdf)
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() or "" for page in reader.pages))
    slips = sorted(((m["forecast"] - m["baseline"]).days, m) for m in (BUILD, TEST))[::-1]
    over = (dt.date(2027, 2, 14) - dt.date(2026, 12, 31)).days
    expected = [
        f"is forecast to exceed its tolerance of 30 days by {over - 30} days",
        *(f"Milestone {m['name']} forecast {days} days late ({m['forecast']:%d %b %Y})."
          for days, m in slips),
        "Risk R-1 is open: Vendor insolvent (score 20).",
        f"{WAITING} waits for {BUILD['name']} (needed by {NEEDED_BY:%d %b %Y}) and is at "
        "risk",
        "Forecast finish 14 Feb 2027.", PLACEHOLDER]
    for sentence in expected:
        assert sentence in text, f"{sentence!r} not in the exception PDF"
    assert len(reader.pages) == 1
    for name in out.glob("*-highlight.pdf"):  # a typical project's highlight: one A4 page
        assert len(PdfReader(name).pages) == 1, name.name


def test_sample_portfolio_has_few_tolerance_exceptions_each_explained(
        sample_path: Path) -> None:
    reg = read_register(sample_path)
    figures = rollup(reg)
    data = report_data(reg, validate(reg, figures.as_of), figures)
    needing = [p for p in data.projects if needs_exception_report(p)]
    assert 1 <= len(needing) <= 5, [p["project_id"] for p in needing]
    reasons = {e["project_id"]: e["reasons"] for e in figures.exceptions()}
    for p in needing:
        drafted = draft_exception(p, lambda v: money(v, reg.currency))
        assert drafted["breaches"] and not drafted["cause"][0].startswith("Nothing"), p
        assert any(f"time {p['time_status']}" in r or f"cost {p['cost_status']}" in r
                   for r in reasons[p["project_id"]]), reasons[p["project_id"]]
    # The exceptions list: a breach first, with its reason, then Red without one.
    listed = figures.exceptions()
    ranks = [0 if e["tolerance_status"] in ("forecast to exceed", "exceeded") else
             1 if e["tolerance_status"] == "at risk" else 2 for e in listed]
    assert ranks == sorted(ranks) and len(listed) < 10 and all(e["reasons"] for e in listed)


def test_with_a_baseline_the_period_and_the_cause_say_what_moved(tmp_path: Path) -> None:
    """`--since` an earlier copy of the register, on plan a month before: the highlight's
    period runs from it, its work done and the exception's cause say what moved since."""
    now = planted(tmp_path / "now.xlsx")
    on_plan = {**VALID_PROJECT, "Project ID": LATE, "Project Name": "Core Banking",
               "Baseline Finish": dt.date(2026, 12, 31), "Forecast Finish": dt.date(2026, 12, 31),
               "Percent Complete": 0.5, "Status Date": dt.date(2026, 8, 25)}
    waiting = {**VALID_PROJECT, "Project ID": WAITING, "Project Name": "Mobile Wallet"}
    milestones = [{**VALID_MILESTONE, "Project ID": LATE, "Milestone": m["name"],
                   "Baseline Date": m["baseline"], "Forecast Date": m["baseline"]}
                  for m in (BUILD, TEST)]
    month_ago = dt.date(2026, 8, 31)
    before = register(tmp_path / "before.xlsx", projects=[on_plan, waiting],
                      milestones=milestones, settings={"Report Date": month_ago})
    out = tmp_path / "out"
    assert main(["report", str(now), "--out", str(out), "--format", "html", "--kind",
                 "highlight,exception", "--since", str(before)]) == 0
    (highlight,) = out.glob(f"{LATE}-*-highlight.html")
    shown = text_of(highlight)
    assert "period 31 Aug 2026 to 30 Sep 2026" in shown and "No baseline" not in shown
    assert "Percent complete 50% → 75%" in shown
    (exception,) = out.glob(f"{LATE}-*-exception.html")
    cause = text_of(exception)
    for m in (BUILD, TEST):
        days = (m["forecast"] - m["baseline"]).days
        assert (f"Since {month_ago:%d %b %Y}: Milestone {m['name']} slipped {days} days "
                f"later, to {m['forecast'].isoformat()}.") in cause
