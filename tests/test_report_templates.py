"""The reports as a PMO adapts them: index order, bundled templates a user's own extend, the
Templates Folder setting, every register column in the templates, continuation pages.

Every test renders for real (HTML through the templates; PDFs through an engine, read back
with pypdf).
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pytest
from jinja2 import TemplateNotFound
from registers import (
    VALID_LESSON,
    VALID_MILESTONE,
    VALID_RAID,
    grid,
    project,
    register,
    settings_rows,
    write_workbook,
)
from test_reports import _require_engine  # one rule: skip locally, fail in CI

from pmo_xl.batch import write_reports
from pmo_xl.cli import main
from pmo_xl.errors import TemplateProblem
from pmo_xl.pdf import combined_document
from pmo_xl.reports import ReportRenderer, natural_key


def _index_ids(out: Path) -> list[str]:
    html = (out / "index.html").read_text(encoding="utf-8")
    return re.findall(r'<td class="id">([^<]*)</td>', html)


def test_natural_key_orders_as_people_read() -> None:
    ids = ["PRJ-10", "prj-0019", "PRJ-2", None, "PRJ-0020", "PRJ-0018", "prj-2", "ALPHA"]
    assert sorted(ids, key=natural_key) == ["ALPHA", "PRJ-2", "prj-2", "PRJ-10", "PRJ-0018",
                                            "prj-0019", "PRJ-0020", None]


def test_index_lists_projects_in_natural_case_insensitive_order(tmp_path: Path) -> None:
    ids = ["PRJ-0020", "prj-0019", "PRJ-10", "PRJ-2", "PRJ-0018"]
    projects = [project(**{"Project ID": pid, "Project Name": f"Project {pid}"}) for pid in ids]
    path = register(tmp_path / "Register.xlsx", projects)
    write_reports(path, tmp_path / "out", all_projects=True, formats=["html"])
    assert _index_ids(tmp_path / "out") == ["PRJ-2", "PRJ-10", "PRJ-0018", "prj-0019",
                                            "PRJ-0020"]


# A user's project.html.j2 that extends the bundled one of the same name, adding one block.
_EXTENDING = """{% extends "bundled:project.html.j2" %}
{% block title %}Ours: {{ super() }}{% endblock %}
"""


def _project_html(out: Path) -> str:
    [html] = out.glob("PRJ-001-*.html")
    return html.read_text(encoding="utf-8")


def test_a_user_template_extends_the_bundled_one_of_its_name(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "project.html.j2").write_text(_EXTENDING, encoding="utf-8")
    path = register(tmp_path / "Register.xlsx")
    write_reports(path, tmp_path / "out", all_projects=True, formats=["html"],
                  templates=templates)
    html = _project_html(tmp_path / "out")
    assert "<title>Ours: PRJ-001 Payroll Upgrade – status report</title>" in html
    assert "Payroll Upgrade</h1>" in html  # the rest is the bundled report
    # The bundled file it extends is in the template set: editing either redoes the report.
    renderer = ReportRenderer(templates)
    assert renderer.template_set_hash() not in (ReportRenderer().template_set_hash(),
                                                _hash_without_bundled(renderer))


def _hash_without_bundled(renderer: ReportRenderer) -> str:
    user = ReportRenderer.__new__(ReportRenderer)
    user.folders = renderer.folders[:1]
    return user.template_set_hash()


def test_bundled_prefix_keeps_the_sandbox_and_refuses_links(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "project.html.j2").write_text(
        '{% extends "bundled:project.html.j2" %}{% block title %}'
        '{{ project.__class__ }}{% endblock %}', encoding="utf-8")
    path = register(tmp_path / "Register.xlsx")
    with pytest.raises(TemplateProblem, match="sandboxed"):
        write_reports(path, tmp_path / "out", all_projects=True, formats=["html"],
                      templates=templates)
    # The bundled templates' own includes still go through the user's folder, links refused.
    (templates / "project.html.j2").write_text(_EXTENDING, encoding="utf-8")
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    (templates / "base.html.j2").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(TemplateProblem, match="is a link to a file outside"):
        write_reports(path, tmp_path / "out", all_projects=True, formats=["html"],
                      templates=templates)
    with pytest.raises(TemplateNotFound):
        ReportRenderer(templates).env.get_template("bundled:../README.md")


def test_templates_folder_setting_is_used_and_templates_option_wins(tmp_path: Path) -> None:
    ours, cli = tmp_path / "ours", tmp_path / "cli"
    for folder, word in ((ours, "Setting"), (cli, "Option")):
        folder.mkdir()
        (folder / "project.html.j2").write_text(
            _EXTENDING.replace("Ours", word), encoding="utf-8")
    path = register(tmp_path / "Register.xlsx",
                    settings={"Templates Folder": "ours", "Report Formats": "HTML"})
    assert main(["report", str(path), "--out", str(tmp_path / "a")]) == 0
    assert "<title>Setting: PRJ-001" in _project_html(tmp_path / "a")
    assert main(["report", str(path), "--out", str(tmp_path / "b"), "--templates",
                 str(cli)]) == 0
    assert "<title>Option: PRJ-001" in _project_html(tmp_path / "b")


@pytest.mark.parametrize(("folder", "problem"), [
    ("missing", "Settings Templates Folder 'missing' is not a folder"),
    ("../elsewhere", "Settings Templates Folder '../elsewhere' (cell Settings!B"),
])
def test_unusable_templates_folder_setting_is_one_line(tmp_path: Path, folder: str,
                                                       problem: str) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "reg").mkdir()
    path = register(tmp_path / "reg" / "Register.xlsx", settings={"Templates Folder": folder})
    result = subprocess.run([sys.executable, "-m", "pmo_xl.cli", "report", str(path), "--out",
                             str(tmp_path / "out"), "--format", "html"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert problem in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_templates_get_every_register_column_by_its_header(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "project.html.j2").write_text(
        '{% extends "bundled:project.html.j2" %}{% block kind %}'
        '{% for name, value in project.columns.items() %}[{{ name }}={{ value }}]{% endfor %}'
        '{% endblock %}', encoding="utf-8")
    rows = [project(**{"Benefits Owner": "Cara <Diaz>", "Benefit Value": 250_000,
                       "Gate Date": dt.date(2026, 3, 1), "Budget": "lots"}),
            project(**{"Project ID": "PRJ-002", "Benefits Owner": None, "Benefit Value": 12.5,
                       "Gate Date": None})]
    path = register(tmp_path / "Register.xlsx", rows)
    write_reports(path, tmp_path / "out", all_projects=True, formats=["html"],
                  templates=templates)
    first = _project_html(tmp_path / "out")
    # The PMO's own columns, after the standard's in the sheet's order, escaped as text; a
    # value that failed validation (Budget 'lots') as it was written.
    assert ("[Next Steps=Build.][Benefits Owner=Cara &lt;Diaz&gt;][Benefit Value=250000]"
            "[Gate Date=2026-03-01]") in first
    assert "[Project ID=PRJ-001][Project Name=Payroll Upgrade]" in first
    assert "[Budget=lots]" in first and "[Percent Complete=0.75]" in first
    [second] = (tmp_path / "out").glob("PRJ-002-*.html")
    assert ("[Benefits Owner=None][Benefit Value=12.5][Gate Date=None]"
            in second.read_text(encoding="utf-8"))


# A user's project template that prints each child row's own columns, by header text.
_CHILD_COLUMNS = """{% extends "bundled:project.html.j2" %}{% block kind %}
{% for m in project.milestones %}<M {{ m.columns["Milestone"] }}|{{ m.columns["Gate Owner"] }}|\
{{ m.columns["Baseline Date"] }}|{{ m.columns | length }}>{% endfor %}
{% for r in project.raid_log %}<R {{ r.columns["RAID ID"] }}|{{ r.columns["Probability"] }}>\
{% endfor %}{% for l in project.lessons %}<L {{ l.columns["Lesson ID"] }}>{% endfor %}
{% endblock %}"""


def test_templates_get_every_column_of_each_child_sheets_row(tmp_path: Path) -> None:
    """Milestones, RAID and lessons rows carry `columns` like the project's: a PMO's own
    column on Milestones, which the standard does not know, shows in its own template."""
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "project.html.j2").write_text(_CHILD_COLUMNS, encoding="utf-8")
    milestones = [{**VALID_MILESTONE, "Gate Owner": "Dee <Ops>"},
                  {**VALID_MILESTONE, "Milestone": "Handover", "Gate Owner": None},
                  {**VALID_MILESTONE, "Project ID": "PRJ-002", "Milestone": "Design",
                   "Gate Owner": "Eve"}]
    path = write_workbook(tmp_path / "Register.xlsx", {
        "Projects": grid([project(), project(**{"Project ID": "PRJ-002",
                                                "Project Name": "Second"})]),
        "Milestones": grid(milestones, [*VALID_MILESTONE, "Gate Owner"]),
        "Lessons": grid([VALID_LESSON], list(VALID_LESSON)),
        "RAID": grid([VALID_RAID], list(VALID_RAID)), "Settings": settings_rows()})
    out = tmp_path / "out"
    assert main(["report", str(path), "--out", str(out), "--format", "html", "--all",
                 "--templates", str(templates)]) == 0
    first = _project_html(out)
    # Each row its own cells only, in the sheet's order, the PMO's column after the
    # standard's, escaped as text; dates as ISO dates, blanks as None, whole numbers as int.
    assert ("<M Go-live|Dee &lt;Ops&gt;|2026-12-01|6><M Handover|None|2026-12-01|6>"
            in first)
    assert "<M Design" not in first and "<R R-1|3>" in first and "<L LL-1>" in first
    [second] = out.glob("PRJ-002-*.html")
    assert "<M Design|Eve|2026-12-01|6>" in second.read_text(encoding="utf-8")


def _pages(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [re.sub(r"\s+", " ", page.extract_text() or "") for page in PdfReader(path).pages]


# Register text that must show as it is on the running header, never read as CSS.
_LONG_NAME = 'Tom & Jerry "url(x)" @import </style> Ünïcode'


@pytest.mark.parametrize("engine", ["chromium", "weasyprint"])
def test_continuation_pages_have_a_running_header_and_page_numbers(
        engine: str, tmp_path: Path) -> None:
    _require_engine(engine)
    rows = [project(**{"Project ID": "PRJ-001", "Project Name": _LONG_NAME}),
            *(project(**{"Project ID": f"PRJ-00{i}", "Project Name": f"Short {i}"})
              for i in (2, 3))]
    milestones = [{**VALID_MILESTONE, "Milestone": f"Milestone {i}"} for i in range(90)]
    path = register(tmp_path / "Register.xlsx", rows, milestones=milestones)
    write_reports(path, tmp_path / "out", project_ids=["PRJ-001", "PRJ-002", "PRJ-003"],
                  formats=["pdf"], pdf_engine=engine)
    [long] = (tmp_path / "out").glob("PRJ-001-*.pdf")
    pages = _pages(long)
    assert len(pages) >= 2
    assert "Page 1 of" not in pages[0]  # the first page looks as a one-page report does
    for number, text in enumerate(pages[1:], start=2):
        assert f"Page {number} of {len(pages)}" in text
        assert "PRJ-001 · Tom & Jerry" in text
        # The invisible word joiners before '(' and after '@' may extract as spaces.
        assert _LONG_NAME.replace(" ", "") in re.sub(r"[\s\u2060]", "", text)
    # One-page reports alone, then (chromium) printed together as one document and split:
    # no page looks like a continuation page.
    write_reports(path, tmp_path / "short", project_ids=["PRJ-002", "PRJ-003"],
                  formats=["pdf"], pdf_engine=engine)
    for out in ("out", "short"):
        for short in ("PRJ-002", "PRJ-003"):
            [pdf] = (tmp_path / out).glob(f"{short}-*.pdf")
            [text] = _pages(pdf)
            assert "Page " not in text and f"{short} · Short" not in text


def test_a_combined_document_leaves_out_continuation_styles() -> None:
    html = ('<html><head></head><body><style data-pages="continuation">@page { @top-left '
            '{ content: "x"; } }</style><p>{}</p></body></html>')
    combined = combined_document([("a.pdf", html.replace("{}", "A")),
                                  ("b.pdf", html.replace("{}", "B"))])
    assert "continuation" not in combined and "<p>A</p>" in combined and "<p>B</p>" in combined
