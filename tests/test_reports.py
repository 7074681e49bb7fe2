"""Status reports: data from the roll-up, safe HTML, one-page PDFs with both engines, batches.

The PDF tests need a Chromium (Debian `chromium`) and WeasyPrint's pango libraries; locally
they skip without them, in CI they fail (see `require_tool`). Batches of the 40-project
sample are written once per engine and shared by the tests that read them.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import require_tool
from hypothesis import given, settings
from hypothesis import strategies as st
from registers import AS_OF, VALID_LESSON, project, register

from pmo_xl import formatting as fmt
from pmo_xl import read_register, rollup, validate
from pmo_xl.batch import MANIFEST, write_reports
from pmo_xl.cli import main
from pmo_xl.fileio import PART_SUFFIX
from pmo_xl.pdf import (
    BROWSER_ENV,
    REPORTS_PER_PRINT,
    allowed_url,
    combined_document,
    print_groups,
    render_pdfs,
    resolve_engine,
)
from pmo_xl.reports import (
    PORTFOLIO_STEM,
    PROJECT_TEMPLATE,
    ReportRenderer,
    bundled_templates,
    report_data,
    report_stems,
    slug,
    slugs,
)

ROOT = Path(__file__).resolve().parents[1]
XSS = "<script>alert(1)</script>"


def _require_engine(name: str) -> None:
    if name == "chromium":
        require_tool("chromium", "apt-get install chromium")
    else:
        try:
            import weasyprint  # noqa: F401
        except (ImportError, OSError) as error:
            if os.environ.get("CI") == "true":
                pytest.fail(f"required in CI: WeasyPrint cannot run ({error})")
            pytest.skip(f"WeasyPrint cannot run ({error})")


def pdf_text(path: Path) -> tuple[int, str]:
    """Pages and the text of a PDF, whitespace collapsed."""
    from pypdf import PdfReader

    reader = PdfReader(path)
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    return len(reader.pages), re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def sample_rollup(sample_path: Path) -> dict[str, Any]:
    register_ = read_register(sample_path)
    return rollup(register_).to_dict()


@pytest.fixture(scope="module", params=["chromium", "weasyprint"])
def batch(request: pytest.FixtureRequest, sample_path: Path,
          tmp_path_factory: pytest.TempPathFactory, sample_rollup: dict[str, Any]
          ) -> tuple[str, Path]:
    """All sample projects and the portfolio, HTML and PDF, two processes (chromium); a
    quarter of them with WeasyPrint, which is ~3× slower."""
    engine = request.param
    _require_engine(engine)
    out = tmp_path_factory.mktemp(f"reports-{engine}")
    ids = [p["project_id"] for p in sample_rollup["per_project"]]
    selection = {"all_projects": True} if engine == "chromium" else {"project_ids": ids[::4]}
    result = write_reports(sample_path, out, portfolio=True, jobs=2, pdf_engine=engine,
                           **selection)
    assert not result.failed, result.failed
    return engine, out


# --- report data ------------------------------------------------------------------------------


def test_report_data_carries_the_rollup_figures(sample_path: Path,
                                                sample_rollup: dict[str, Any]) -> None:
    register_ = read_register(sample_path)
    data = report_data(register_, validate(register_), rollup(register_))
    assert len(data.projects) == len(sample_rollup["per_project"])
    for shown, rolled in zip(data.projects, sample_rollup["per_project"], strict=True):
        assert {k: shown[k] for k in rolled} == rolled
    summary = {k: v for k, v in data.portfolio.items()
               if k not in ("watch_milestones", "red_projects", "lesson_themes")}
    expected = {k: v for k, v in sample_rollup.items() if k != "per_project"}
    # A summary carries no per-project records, the RAID log's neither.
    expected["raid"] = {k: v for k, v in expected["raid"].items() if k != "per_project"}
    assert summary == expected
    with_issues = [p for p in data.projects if p["issues"]]
    assert with_issues and all(i["cell"] for p in with_issues for i in p["issues"])
    # A project's own reports show no portfolio figures: they are not built for them, but
    # what the project's reports show of the portfolio (data quality) is the same.
    one = report_data(register_, validate(register_), rollup(register_), only=[3])
    assert one.common == data.common and one.projects == [data.projects[3]]
    assert "raid" not in one.portfolio and "finance" not in one.portfolio
    assert one.portfolio["data_quality"] == data.portfolio["data_quality"]
    again = report_data(register_, validate(register_), rollup(register_), only=[3],
                        summary=True)
    assert {k: again.portfolio[k] for k in expected} == expected


def test_file_names_are_safe_and_unique() -> None:
    assert slug("../../etc/passwd") == "etc-passwd"
    assert slug('a<b>c:"d|e?f*g\\h/i') == "a-b-c-d-e-f-g-h-i"
    assert slug("CON") == "_CON" and slug("Café Über") == "Cafe-Uber"
    projects = [{"project_id": "PRJ-1", "project_name": "Same", "row": 2},
                {"project_id": "prj-1", "project_name": "same", "row": 3},
                {"project_id": None, "project_name": None, "row": 4},
                {"project_id": "..", "project_name": XSS, "row": 5}]
    assert report_stems(projects) == ["PRJ-1-Same", "prj-1-same-row-3", "row-4",
                                      "script-alert-1-script"]
    assert PORTFOLIO_STEM not in report_stems(projects)


# Names as registers hold them: ASCII with punctuation and device names, accented and other
# scripts, numbers, blanks.
_NAMES = st.one_of(st.none(), st.integers(-5, 10**6), st.floats(allow_nan=False),
                   st.text(max_size=80),
                   st.text(st.sampled_from("abcCOMNULPTX019.-_ /:é"), max_size=12),
                   st.sampled_from(["CON", "con.txt", "Lpt3.", "COM10", "AUX-1", "..nul"]))


@settings(max_examples=int(os.environ.get("PMO_XL_HYPOTHESIS_EXAMPLES", "60")), deadline=None)
@given(st.lists(_NAMES, max_size=20), st.integers(1, 70))
def test_file_names_made_column_wise_are_those_made_one_by_one(names: list[Any],
                                                                limit: int) -> None:
    assert slugs(names, limit) == [slug(name, limit) for name in names]


def test_only_data_uris_and_template_files_may_load(tmp_path: Path) -> None:
    folders = [tmp_path]
    assert allowed_url("data:image/png;base64,AAAA", folders)
    assert allowed_url((tmp_path / "logo.png").as_uri(), folders)
    for url in ("http://example.org/x.png", "https://127.0.0.1/", "file:///etc/passwd",
                (tmp_path / ".." / "x.png").as_uri(), "ftp://h/x", "file://host/share/x"):
        assert not allowed_url(url, folders), url


# --- HTML ---------------------------------------------------------------------------------------


def _assert_self_contained(html: str, where: str) -> None:
    assert "<script" not in html.lower(), where
    assert "://" not in html, f"{where}: {re.search(r'.{30}://.{30}', html)}"
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?//", html), where
    assert "@import" not in html, where


def test_html_reports_are_self_contained(batch: tuple[str, Path]) -> None:
    _, out = batch
    pages = sorted(out.glob("*.html"))
    assert len(pages) > 2
    for page in pages:
        _assert_self_contained(page.read_text(encoding="utf-8"), page.name)


def test_index_links_every_report_and_manifest_records_them(
        batch: tuple[str, Path], sample_path: Path) -> None:
    engine, out = batch
    index = (out / "index.html").read_text(encoding="utf-8")
    reports = sorted(p.name for p in out.iterdir() if p.suffix in (".html", ".pdf")
                     and p.name != "index.html")
    linked = sorted(re.findall(r'href="([^"]+)"', index))
    assert linked == reports
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["register"]["file"] == sample_path.name
    assert len(manifest["register"]["sha256"]) == 64 and manifest["pdf_engine"] == engine
    assert manifest["as_of"] == "2026-09-30" and manifest["failures"] == []
    assert sorted(manifest["files"]) == reports
    assert all(len(e["inputs_sha256"]) == 64 and e["seconds"] >= 0
               for e in manifest["files"].values())


# --- PDF --------------------------------------------------------------------------------------


# A typical project's report: its milestones, lessons and the RAID lines it shows (top risks
# and issues, decisions, dependencies both ways) come to no more than this many rows (the
# sample's are 4 milestones, 3 lessons and 3 to 5 RAID lines); it is one A4 page. A longer
# one continues on a second page under its running header.
TYPICAL_REPORT_ROWS = 12


def _report_rows(record: dict[str, Any]) -> int:
    raid = record["raid"] or {}
    return len(record["milestones"]) + len(record["lessons"]) + sum(
        len(raid.get(key, [])) for key in ("top_items", "decisions", "depends_on",
                                           "depended_on_by"))


def test_project_pdfs_are_one_page_with_the_rollup_figures(
        batch: tuple[str, Path], sample_rollup: dict[str, Any], sample_path: Path) -> None:
    _, out = batch
    currency = "EUR"
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    by_id = {p["project_id"]: p for p in sample_rollup["per_project"]}
    register_ = read_register(sample_path)
    data = report_data(register_, validate(register_), rollup(register_))
    rows = {stem: _report_rows(record) for stem, record in zip(data.stems, data.projects,
                                                               strict=True)}
    pdfs = {n: e for n, e in manifest["files"].items()
            if e["format"] == "pdf" and e["kind"] == "project"}
    assert len(pdfs) >= 10
    typical = [name for name in pdfs if rows[name.removesuffix(".pdf")] <= TYPICAL_REPORT_ROWS]
    assert len(typical) >= 0.8 * len(pdfs)
    for name, entry in pdfs.items():
        pages, text = pdf_text(out / name)
        assert pages == 1 if name in typical else pages <= 2, name
        if pages > 1:
            assert f"Page 2 of {pages}" in text and f"{entry['project_id']} · " in text
        p = by_id[entry["project_id"]]
        expected = [p["project_name"], p["project_id"], p["overall_rag"] or "Unset",
                    fmt.money(p["budget"], currency), fmt.money(p["ac"], currency),
                    fmt.money(p["eac"], currency), fmt.money(p["ev"], currency),
                    fmt.money(p["vac"], currency), fmt.ratio(p["cpi"]), fmt.ratio(p["spi"]),
                    fmt.percent(p["percent_complete"])]
        for figure in expected:
            assert figure in text, f"{name}: {figure!r} not in the PDF"


def test_portfolio_summary_names_every_red_project(
        batch: tuple[str, Path], sample_rollup: dict[str, Any]) -> None:
    _, out = batch
    red = [p for p in sample_rollup["per_project"]
           if p["overall_rag"] == "Red" and p["phase"] != "Closed"]
    assert len(red) == sample_rollup["projects"]["by_rag"]["Red"] > 0
    _, text = pdf_text(out / f"{PORTFOLIO_STEM}.pdf")
    html = (out / f"{PORTFOLIO_STEM}.html").read_text(encoding="utf-8")
    for p in red:
        assert p["project_id"] in text and p["project_name"] in text
        assert p["project_id"] in html
    finance = sample_rollup["finance"]
    for figure in (fmt.money(finance["budget"], "EUR"), fmt.ratio(finance["cpi"])):
        assert figure in text


@pytest.fixture(scope="module")
def xss_register(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("xss") / "Register.xlsx"
    return register(path, [project(**{"Project Name": XSS,
                                      "Status Summary": '<img src="http://127.0.0.1:9/x">'})])


@pytest.mark.parametrize("engine", ["chromium", "weasyprint"])
def test_markup_in_the_register_is_shown_as_text(engine: str, xss_register: Path,
                                                 tmp_path: Path) -> None:
    _require_engine(engine)
    result = write_reports(xss_register, tmp_path, all_projects=True, pdf_engine=engine)
    assert not result.failed
    [html_file] = tmp_path.glob("PRJ-001-*.html")
    html = html_file.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script" not in html
    assert "&lt;img src=" in html and "<img src=\"http" not in html
    pages, text = pdf_text(html_file.with_suffix(".pdf"))
    assert pages == 1 and XSS in text


class _Recorder(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        _Recorder.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize("engine", ["chromium", "weasyprint"])
def test_pdf_engines_fetch_nothing_from_outside(engine: str, tmp_path: Path) -> None:
    """A page that asks for a network image, a stylesheet and a local file outside the
    template folder: neither engine requests any of them, and the PDF is still written. A
    second file that cannot be written fails alone."""
    _require_engine(engine)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not for reports")
    url = f"http://127.0.0.1:{server.server_port}"
    html = (f'<html><head><link rel="stylesheet" href="{url}/style.css"></head><body>'
            f'<img src="{url}/logo.png"><img src="{secret.as_uri()}">'
            f'<iframe src="{url}/frame"></iframe><p>Hello</p></body></html>')
    jobs = [("no-such-folder/broken.pdf", html), ("probe.pdf", html)]
    try:
        results = {name: error for name, _, error in
                   render_pdfs(jobs, tmp_path, engine, [bundled_templates()], 2)}
    finally:
        server.shutdown()
    assert results["probe.pdf"] is None and "No such file" in results[jobs[0][0]]
    assert (tmp_path / "probe.pdf").read_bytes().startswith(b"%PDF")
    assert _Recorder.hits == []


def test_auto_engine_prefers_an_installed_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    require_tool("chromium", "apt-get install chromium")
    assert resolve_engine("auto") == "chromium"
    monkeypatch.setenv(BROWSER_ENV, "/nonexistent/browser")
    assert resolve_engine("auto") == "weasyprint"
    assert resolve_engine("weasyprint") == "weasyprint"


# --- batch --------------------------------------------------------------------------------------


def test_rerun_skips_unchanged_reports_and_force_redoes_them(
        batch: tuple[str, Path], sample_path: Path) -> None:
    engine, out = batch
    files = sorted(out.glob("*.html")) + sorted(out.glob("*.pdf"))
    before = {f.name: f.stat().st_mtime_ns for f in files if f.name != "index.html"}
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    ids = sorted({e["project_id"] for e in manifest["files"].values() if e["project_id"]})
    again = write_reports(sample_path, out, project_ids=ids[:2], portfolio=True,
                          pdf_engine=engine)
    assert again.count("skipped") == len(again.files) == 6
    assert {f.name: f.stat().st_mtime_ns for f in files if f.name in before} == before
    assert sorted(json.loads((out / MANIFEST).read_text())["files"]) == sorted(before)
    forced = write_reports(sample_path, out, project_ids=ids[:1], formats=["html"],
                           force=True)
    assert forced.count("written") == 1


def test_one_failing_project_does_not_stop_the_batch(sample_path: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    """A user template (which wins over the bundled one by name) that fails for one project."""
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / PROJECT_TEMPLATE).write_text(
        '{% if project.project_id == "PRJ-0003" %}{{ no_such_field }}{% endif %}'
        "<html><body><h1>{{ project.project_name }}</h1>custom</body></html>",
        encoding="utf-8")
    out = tmp_path / "out"
    code = main(["report", str(sample_path), "--out", str(out), "--format", "html",
                 "--templates", str(templates), "--all"])
    assert code == 1
    captured = capsys.readouterr()
    assert "PRJ-0003" in captured.err and "no_such_field" in captured.err
    written = [f for f in out.glob("*.html") if f.name != "index.html"]
    assert len(written) == 39 and not any("PRJ-0003" in f.name for f in written)
    assert all("custom" in f.read_text(encoding="utf-8") for f in written)
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert [f["project_id"] for f in manifest["failures"]] == ["PRJ-0003"]


def test_killed_batch_leaves_only_complete_reports(sample_path: Path, tmp_path: Path) -> None:
    require_tool("chromium", "apt-get install chromium")
    out = tmp_path / "out"
    script = Path(sys.executable).with_name("pmo-xl")
    command = [str(script), "report", str(sample_path), "--out", str(out), "--format", "pdf",
               "--pdf-engine", "chromium", "--jobs", "2", "--all"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + 60
    while len(list(out.glob("*.pdf"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)  # the CLI, its workers and their browsers
    process.wait(timeout=30)
    finished = list(out.glob("*.pdf"))
    assert 3 <= len(finished) < 40, "the batch was not interrupted mid-way"
    for pdf in finished:
        assert pdf_text(pdf)[0] == 1, pdf.name
    assert {p.name for p in out.iterdir() if not p.name.startswith(".")} <= {
        *(p.name for p in finished), "index.html", MANIFEST}
    resumed = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert len(list(out.glob("*.pdf"))) == 40
    assert not list(out.glob(f".*{PART_SUFFIX}"))


def test_report_command_options(sample_path: Path, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["report", str(sample_path), "--out", str(out), "--project", "PRJ-999",
                 "--format", "html"]) == 2
    assert "no project PRJ-999" in capsys.readouterr().err
    assert main(["report", str(sample_path), "--out", str(out), "--templates",
                 str(tmp_path / "nowhere"), "--format", "html"]) == 2
    assert not out.exists()
    with pytest.raises(SystemExit):
        main(["report", str(sample_path), "--format", "docx"])
    assert main(["report", str(sample_path), "--out", str(out), "--format", "html",
                 "--skip-invalid"]) == 0
    shown = capsys.readouterr().out
    assert "Not reported (validation errors, --skip-invalid)" in shown
    written = {p.name for p in out.glob("*.html")}
    assert f"{PORTFOLIO_STEM}.html" in written and "index.html" in written
    assert 20 < len(written) - 2 < 40  # the projects without errors


def test_report_defaults_come_from_settings(tmp_path: Path) -> None:
    path = register(tmp_path / "Register.xlsx",
                    settings={"Report Formats": "HTML", "Output Folder": "Out"})
    assert main(["report", str(path)]) == 0
    assert sorted(p.name for p in (tmp_path / "Out").iterdir()) == [
        "PRJ-001-Payroll-Upgrade.html", "index.html", MANIFEST, f"{PORTFOLIO_STEM}.html"]


def test_user_templates_win_and_logo_is_inlined(tmp_path: Path, xss_register: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "logo.svg").write_text('<svg width="10" height="10"></svg>', encoding="utf-8")
    (templates / "report.css").write_text("h1 { color: #123456; }", encoding="utf-8")
    renderer = ReportRenderer(templates)
    assert renderer.template_set_hash() != ReportRenderer().template_set_hash()
    write_reports(xss_register, tmp_path / "out", all_projects=True, formats=["html"],
                  templates=templates)
    [html] = (tmp_path / "out").glob("PRJ-001-*.html")
    text = html.read_text(encoding="utf-8")
    assert "#123456" in text and 'src="data:image/svg+xml;base64,' in text


def _page_doc(title: str, paragraphs: int) -> str:
    style = "<style>@page { size: A4; margin: 12mm; } p { font-size: 12pt; }</style>"
    body = "".join(f"<p>{title} line {i}</p>" for i in range(paragraphs))
    return f"<html><head><title>{title}</title>{style}</head><body>{body}</body></html>"


def test_reports_are_printed_several_to_a_document_and_split() -> None:
    jobs = [(f"r{i}.pdf", _page_doc(f"Report {i}", 3)) for i in range(REPORTS_PER_PRINT + 2)]
    jobs.append(("other.pdf", "<html><head><style>p{color:red}</style></head><body>x</body>"
                              "</html>"))
    groups = print_groups(jobs)
    assert [len(g) for g in groups] == [REPORTS_PER_PRINT, 2, 1]  # order kept, CSS apart
    combined = combined_document(groups[1])
    assert combined.count('break-before: page') == 1 and "Report 9 line 2" in combined


def test_a_report_longer_than_a_page_is_printed_on_its_own(tmp_path: Path) -> None:
    _require_engine("chromium")
    jobs = [("a.pdf", _page_doc("Alpha", 3)), ("b.pdf", _page_doc("Bravo", 120)),
            ("c.pdf", _page_doc("Charlie", 3))]
    results = list(render_pdfs(jobs, tmp_path, "chromium", [bundled_templates()], 1))
    assert sorted(name for name, _s, error in results if error is None) == [
        "a.pdf", "b.pdf", "c.pdf"]
    pages = {name: pdf_text(tmp_path / name) for name, _html in jobs}
    assert pages["a.pdf"][0] == 1 and "Alpha line 2" in pages["a.pdf"][1]
    assert pages["b.pdf"][0] > 1 and "Bravo line 119" in pages["b.pdf"][1]
    assert pages["c.pdf"][0] == 1 and "Charlie" in pages["c.pdf"][1]
    assert "Alpha" not in pages["c.pdf"][1]


def test_split_reports_keep_their_own_title(tmp_path: Path) -> None:
    _require_engine("chromium")
    jobs = [(f"r{i}.pdf", _page_doc(f"Report {i}", 2)) for i in range(3)]
    list(render_pdfs(jobs, tmp_path, "chromium", [bundled_templates()], 1))
    from pypdf import PdfReader

    assert [PdfReader(tmp_path / f"r{i}.pdf").metadata.title for i in range(3)] == [
        "Report 0", "Report 1", "Report 2"]


# The smallest valid PNG: one transparent pixel.
_PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                     "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082")


def test_logo_from_settings_is_inlined(tmp_path: Path) -> None:
    (tmp_path / "brand").mkdir()
    (tmp_path / "brand" / "logo.png").write_bytes(_PNG)
    path = register(tmp_path / "Register.xlsx", settings={"Logo": "brand/logo.png"})
    write_reports(path, tmp_path / "out", all_projects=True, formats=["html"])
    [html] = (tmp_path / "out").glob("PRJ-001-*.html")
    text = html.read_text(encoding="utf-8")
    assert 'class="logo" src="data:image/png;base64,' in text
    _assert_self_contained(text, html.name)


@pytest.mark.parametrize(("logo", "problem"), [("missing.png", "not found"),
                                               ("notes.txt", "is not a PNG, JPEG or SVG")])
def test_unusable_logo_setting_is_a_clear_failure(tmp_path: Path, logo: str,
                                                  problem: str) -> None:
    (tmp_path / "notes.txt").write_text("not an image", encoding="utf-8")
    path = register(tmp_path / "Register.xlsx", settings={"Logo": logo})
    result = subprocess.run([sys.executable, "-m", "pmo_xl.cli", "report", str(path), "--out",
                             str(tmp_path / "out"), "--format", "html"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert f"Settings Logo '{logo}' {problem}" in result.stderr
    assert "Traceback" not in result.stderr


def test_installed_package_carries_the_report_templates(tmp_path: Path) -> None:
    """A wheel built from the checkout ships report_templates/ as pmo_xl.report_templates."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "--wheel-dir", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    [wheel] = tmp_path.glob("pmo_xl-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = {Path(n).name for n in archive.namelist()
                   if n.startswith("pmo_xl/report_templates/")}
    bundled = {p.name for p in (ROOT / "report_templates").iterdir() if p.is_file()}
    assert bundled <= shipped and "project.html.j2" in shipped



def _same_report(text: str) -> str:
    """A report's HTML without its generation time (minutes apart between two runs)."""
    return re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} \S+", "<generated>", text)


def test_one_project_report_is_the_file_the_whole_batch_writes(tmp_path: Path) -> None:
    """A run for one project builds only its record, yet names its file over the whole
    register (duplicate IDs, a name taken by the batch's own files) and writes the same
    bytes, milestones, lessons and data issues included."""
    projects = [project(**{"Project ID": "PRJ-1", "Project Name": "Same"}),
                project(**{"Project ID": "prj-1", "Project Name": "same"}),
                project(**{"Project ID": None, "Project Name": "index"}),
                project(**{"Project ID": "PRJ-2", "Budget": -5}),  # a data issue
                project(**{"Project ID": "PRJ-3", "Project Name": "Ünïcode Wörks"})]
    milestones = [{"Project ID": pid, "Milestone": f"M{n}", "Baseline Date": AS_OF,
                   "Forecast Date": None, "Actual Date": None}
                  for n, pid in enumerate(["PRJ-1", "PRJ-2", "prj-1", "PRJ-3", "nobody"])]
    lessons = [{**VALID_LESSON, "Lesson ID": "LL-9", "Project ID": "PRJ-2"}]
    path = register(tmp_path / "r.xlsx", projects, lessons=lessons, milestones=milestones)
    whole = write_reports(path, tmp_path / "all", all_projects=True, formats=["html"])
    names = [f.name for f in whole.files]
    assert len({n.casefold() for n in names}) == len(names) == 5
    for pid in ("PRJ-1", "PRJ-2", "PRJ-3"):
        one = write_reports(path, tmp_path / pid, project_ids=[pid], formats=["html"])
        assert [f.name for f in one.files] == [  # PRJ-1 chooses prj-1 too: IDs ignore case
            f.name for f in whole.files if (f.project_id or "").casefold() == pid.casefold()]
        for f in one.files:
            assert _same_report((tmp_path / pid / f.name).read_text(encoding="utf-8")) == (
                _same_report((tmp_path / "all" / f.name).read_text(encoding="utf-8")))
    assert any(n.startswith("index-row-") for n in names)
