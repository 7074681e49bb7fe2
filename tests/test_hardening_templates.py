"""Issue 10, defects 5 and 6: templates are data, not code, and reports reach nothing outside.

- Defect 5: a template's `<link rel="prefetch">` made Chromium send a real GET to a local
  server, and `<iframe>`, `<object>` and `<meta refresh>` opened connections, past the page's
  request routing. Every probe below goes through both PDF engines in one batch each, against
  a listener on 127.0.0.1 (also reached as `localhost`, on ::1 too where there is IPv6) that
  counts every accept(): none may connect, and every PDF is still written.
- Defect 6: `{{ lipsum.__globals__["os"].popen(...).read() }}` put a command's output into
  the HTML and both PDFs. Templates now run in Jinja2's sandbox, and a report whose HTML
  points outside itself is refused: one line naming the template file and line, exit 2.

The engines need Chromium (Debian `chromium`) and WeasyPrint's pango; locally the tests that
use them skip without, in CI they fail (`require_tool`).
"""

from __future__ import annotations

import contextlib
import os
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import require_tool
from registers import register

from pmo_xl.cli import main
from pmo_xl.pdf import render_pdfs
from pmo_xl.references import outside_references
from pmo_xl.reports import PROJECT_TEMPLATE, ReportRenderer, bundled_templates

ENGINES = ("chromium", "weasyprint")


def _require_engine(name: str) -> None:
    if name == "chromium":
        require_tool("chromium", "apt-get install chromium")
        return
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"required in CI: WeasyPrint cannot run ({error})")
        pytest.skip(f"WeasyPrint cannot run ({error})")


# --- a listener that counts connections ----------------------------------------------------


class _Counting(socketserver.BaseRequestHandler):
    """Counts the connection, keeps the request's first line, answers a tiny page."""

    def handle(self) -> None:
        listener: Listener = self.server.listener  # type: ignore[attr-defined]
        with listener.lock:
            listener.accepts += 1
        self.request.settimeout(1.0)
        try:
            first = self.request.recv(4096).split(b"\r\n", 1)[0].decode("latin-1")
            self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                                 b"Content-Length: 2\r\nConnection: close\r\n\r\nok")
        except OSError:
            first = ""
        with listener.lock:
            listener.requests.append(first or "(connection, no request)")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True


class _Server6(_Server):
    address_family = socket.AF_INET6


class Listener:
    """A TCP listener on 127.0.0.1 and, with the same port where it can, on ::1 (so that
    `localhost` reaches it whichever address a client tries first)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.accepts = 0
        self.requests: list[str] = []
        self.servers = [_Server(("127.0.0.1", 0), _Counting)]
        self.port = self.servers[0].server_address[1]
        with contextlib.suppress(OSError):  # no IPv6 here: localhost is 127.0.0.1 only
            self.servers.append(_Server6(("::1", self.port), _Counting))
        for server in self.servers:
            server.listener = self  # type: ignore[attr-defined]
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


# --- defect 5: no engine connects anywhere ---------------------------------------------------

# What a page can do to make a browser connect somewhere; {u} is http://host:port/<probe>,
# {w} the same as ws://.
PROBES = {
    "prefetch": '<link rel="prefetch" href="{u}/p">',
    "preconnect": '<link rel="preconnect" href="{u}">',
    "dns-prefetch": '<link rel="dns-prefetch" href="{u}">',
    "preload": '<link rel="preload" as="image" href="{u}/p">'
               '<link rel="modulepreload" href="{u}/m">',
    "icon": '<link rel="icon" href="{u}/i">',
    "img": '<img src="{u}/p"><img srcset="{u}/s 2x"><picture><source srcset="{u}/t">'
           '<img alt=""></picture><input type="image" src="{u}/u">',
    "svg-image": '<svg width="10" height="10"><image href="{u}/p" width="10" height="10"/>'
                 '<use href="{u}/u#x"/></svg>',
    "script": '<script src="{u}/p"></script>',
    "stylesheet": '<link rel="stylesheet" href="{u}/p">',
    "import": '<style>@import url("{u}/p"); @import "{u}/q";</style>',
    "css-url": '<style>body {{ background: url("{u}/p") }}</style>'
               '<p style="background-image: image-set(\'{u}/q\' 1x)">x</p>',
    "font-face": '<style>@font-face {{ font-family: Probe; src: url("{u}/p") }}'
                 ' p {{ font-family: Probe }}</style><p>font</p>',
    "iframe": '<iframe src="{u}/p"></iframe>',
    "object": '<object data="{u}/p"></object>',
    "embed": '<embed src="{u}/p">',
    "video": '<video poster="{u}/p" src="{u}/v" preload="auto"></video>'
             '<video><source src="{u}/s"></video>',
    "audio": '<audio src="{u}/p" preload="auto"></audio>',
    "meta-refresh": '<meta http-equiv="refresh" content="0;url={u}/p">',
    "form": '<form action="{u}/p" method="post"><input name="a" value="1"></form>'
            '<script>document.forms[0].submit()</script>',
    "script-requests": '<script>fetch("{u}/f"); var x = new XMLHttpRequest();'
                       ' x.open("GET", "{u}/x"); x.send(); new WebSocket("{w}/w");'
                       ' new EventSource("{u}/e"); navigator.sendBeacon("{u}/b", "x");'
                       ' new Image().src = "{u}/i"</script>',
    "body-background": '<table background="{u}/p"><tr><td>x</td></tr></table>',
}


def _probe_jobs(port: int) -> list[tuple[str, str]]:
    """One document per probe and host name, the probe in its head and in its body."""
    jobs = []
    for name, probe in PROBES.items():
        for host in ("127.0.0.1", "localhost"):
            html = probe.format(u=f"http://{host}:{port}/{name}", w=f"ws://{host}:{port}/{name}")
            jobs.append((f"{name}-{host}.pdf",
                         f"<!DOCTYPE html><html><head><title>{name}</title>{html}</head>"
                         f"<body><p>probe {name}</p>{html}</body></html>"))
    return jobs


@pytest.mark.parametrize("engine", ENGINES)
def test_pdf_engines_make_no_connection_whatever_the_page_asks(engine: str, tmp_path: Path,
                                                               listener: Listener) -> None:
    _require_engine(engine)
    jobs = _probe_jobs(listener.port)
    results = {name: error for name, _seconds, error in
               render_pdfs(jobs, tmp_path, engine, [bundled_templates()], 2)}
    time.sleep(0.5)  # a connection made at the very end is counted too
    assert listener.accepts == 0 and listener.requests == [], (
        f"{engine}: {listener.accepts} connection(s): {listener.requests}")
    assert results == dict.fromkeys(results), {n: e for n, e in results.items() if e}
    assert all((tmp_path / name).read_bytes().startswith(b"%PDF") for name, _ in jobs)


def test_the_listener_counts_what_a_client_does(listener: Listener) -> None:
    """The proof above is only as good as the listener: a plain connection on 127.0.0.1 and
    one to `localhost` are both counted."""
    for host in ("127.0.0.1", "localhost"):
        with socket.create_connection((host, listener.port), timeout=5) as client:
            client.sendall(b"GET /probe HTTP/1.1\r\nHost: x\r\n\r\n")
            client.recv(100)
    deadline = time.monotonic() + 5
    while len(listener.requests) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert listener.accepts == 2 and listener.requests == ["GET /probe HTTP/1.1"] * 2


# --- defect 6: templates run sandboxed and stay inside the report ---------------------------

EXPLOIT = '{{ lipsum.__globals__["os"].popen("echo PWNED-$((6*7))").read() }}'


def _templates(folder: Path, body: str, name: str = PROJECT_TEMPLATE) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(
        "<!DOCTYPE html><html><head><title>t</title></head><body>\n"
        f"<h1>{{{{ project.project_name }}}}</h1>\n{body}\n</body></html>\n", encoding="utf-8")
    return folder


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def _shown_anywhere(folder: Path, text: str) -> list[str]:
    """Files in folder whose bytes, or (a PDF) whose text, hold text."""
    from pypdf import PdfReader

    hits = []
    for path in folder.rglob("*"):
        if path.is_file() and (text.encode() in path.read_bytes() or path.suffix == ".pdf"
                               and any(text in (p.extract_text() or "")
                                       for p in PdfReader(path).pages)):
            hits.append(path.name)
    return hits


@pytest.mark.parametrize("engine", ENGINES)
def test_a_template_cannot_run_commands(engine: str, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    _require_engine(engine)
    path = register(tmp_path / "Register.xlsx")
    templates = _templates(tmp_path / "templates", EXPLOIT)
    out = tmp_path / "out"
    code, err = _run(capsys, "report", str(path), "--out", str(out), "--templates",
                     str(templates), "--format", "html,pdf", "--pdf-engine", engine)
    assert code == 2, err
    assert err.count("\n") == 1 and f"{templates / PROJECT_TEMPLATE}, line 3" in err
    assert "__globals__" in err and "sandboxed" in err
    assert _shown_anywhere(tmp_path, "PWNED-42") == []


def test_sandbox_refusals_stop_the_batch_with_the_template_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every way out of the sandbox tried is one line naming the template and line, exit 2 —
    also when only one project's report reaches for it: it is the template's fault."""
    path = register(tmp_path / "Register.xlsx")
    attempts = ['{{ "".__class__.__mro__[1].__subclasses__() }}',
                "{{ cycler.__init__.__globals__.os }}", "{{ data_uri.__self__.folders }}",
                '{{ "{0.__class__}".format(1) }}', "{{ project.issues.append(1) }}",
                "{{ self._TemplateReference__context }}",
                '{% if project.project_id == "PRJ-001" %}{{ lipsum.__globals__ }}{% endif %}']
    for number, attempt in enumerate(attempts):
        templates = _templates(tmp_path / f"t{number}", attempt)
        code, err = _run(capsys, "report", str(path), "--out", str(tmp_path / "out"),
                         "--templates", str(templates), "--format", "html")
        assert code == 2, (attempt, err)
        assert f"{templates / PROJECT_TEMPLATE}, line 3: " in err and "unsafe" in err, err


def test_a_link_to_a_file_outside_the_template_folder_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-TOKEN", encoding="utf-8")
    templates = _templates(tmp_path / "templates", '{% include "notes.txt" %}')
    (templates / "notes.txt").symlink_to(secret)
    path = register(tmp_path / "Register.xlsx")
    code, err = _run(capsys, "report", str(path), "--out", str(tmp_path / "out"),
                     "--templates", str(templates), "--format", "html")
    assert code == 2 and "'notes.txt' is a link to a file outside the template folder" in err
    assert _shown_anywhere(tmp_path / "out", "SECRET-TOKEN") == []


# References the bundled templates and a sensible user template use: all stay inside.
INSIDE = ['<img src="data:image/png;base64,iVBORw0KGgo=">', '<a href="#milestones">',
          '<a href="PRJ-001-Payroll-Upgrade.html">', '<a href="index.html#top">',
          '<a href="mailto:pmo@example.org?subject=Status">', '<img src="">',
          '<svg><rect fill="url(#g)"/><use href="#icon"/></svg>',
          '<style>p { background: url("data:image/png;base64,AAAA") }</style>',
          '<img srcset="data:image/png;base64,AA,BB 1x, data:image/png;base64,CC 2x">',
          '<meta name="generator" content="http://example.org">',
          '<p title="see http://example.org">&lt;img src="http://x"&gt; url(http://x)</p>']
# And what a template may not add (each also in PROBES above, with more).
OUTSIDE = ['<img src="http://h/x.png">', '<img src="HTTPS://h/x.png">', '<img src="//h/x">',
           '<img src="ftp://h/x">', '<img src="file:///etc/passwd">', '<img src="logo.png">',
           '<a href="https://h/">', '<a href="//h/">', '<a href="\\\\h\\share">',
           '<a href="javascript:alert(1)">', '<a href="ws://h/">', '<a href="../up.html">',
           '<a href="/etc/passwd">', '<a href="  &#x09;ht&#x0A;tp://h/">',
           '<base href="http://h/">', '<meta http-equiv="Refresh" content="0;url=x">',
           '<link rel="prefetch" href="http://h/">', '<link rel="stylesheet" href="data:,">',
           '<video poster="http://h/p"></video>', '<object data="data:text/html,x"></object>',
           '<iframe srcdoc="x"></iframe>', '<embed src="x">', '<form action="http://h/">',
           '<button formaction="http://h/">', '<img srcset="data:a,b 1x, http://h/x 2x">',
           '<a href="#" ping="http://h/">', '<img src="data:," onerror="alert(1)">',
           '<script>fetch("/x")</script>', '<style>@import "data:text/css,x";</style>',
           '<p style="background: u\\72l(http://h/x)">', '<svg><style>p{background:u&#114;l(//h)}'
           '</style></svg>', '<svg><set attributeName="href" to="http://h/"/></svg>',
           '<!--> <img src="http://h/x"> -->', '<style>p{}</style x><img src="http://h/"></style>',
           '<![CDATA[ > <img src="http://h/"> ]]>', '<p style="background:image-set(\'//h\' 1x)">']


@pytest.mark.parametrize("html", INSIDE)
def test_references_inside_the_report_are_fine(html: str) -> None:
    assert outside_references(html) == []


@pytest.mark.parametrize("html", OUTSIDE)
def test_references_outside_the_report_are_found(html: str) -> None:
    assert outside_references(html), html


@pytest.mark.parametrize("engine", ENGINES)
def test_a_template_pointing_outside_the_report_is_refused(
        engine: str, tmp_path: Path, listener: Listener,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The report is refused before it is written or printed: one line naming the template,
    its line and what to remove; nothing connects to the listener."""
    _require_engine(engine)
    url = f"http://localhost:{listener.port}/tracker.png"
    templates = _templates(tmp_path / "templates", f'<img src="{url}" alt="">')
    path = register(tmp_path / "Register.xlsx")
    out = tmp_path / "out"
    code, err = _run(capsys, "report", str(path), "--out", str(out), "--templates",
                     str(templates), "--format", "html,pdf", "--pdf-engine", engine)
    assert code == 2, err
    assert f"{templates / PROJECT_TEMPLATE}, line 3: <img src=\"{url}\"> points outside" in err
    assert "remove it" in err and err.count("\n") == 1
    assert not list(out.glob("PRJ-*")) and listener.accepts == 0


def test_bundled_templates_and_their_links_still_work(tmp_path: Path) -> None:
    """The index links every report by name, a user's template may link mailto: and to an
    #anchor; the bundled templates carry nothing from outside (the batch refuses otherwise)."""
    templates = _templates(tmp_path / "templates", '<p id="top"><a href="#top">top</a> '
                           '<a href="mailto:pmo@example.org">PMO</a></p>')
    path = register(tmp_path / "Register.xlsx")
    assert main(["report", str(path), "--out", str(tmp_path / "out"), "--format", "html",
                 "--templates", str(templates)]) == 0
    assert main(["report", str(path), "--out", str(tmp_path / "bundled"),
                 "--format", "html"]) == 0
    for page in (*tmp_path.glob("out/*.html"), *tmp_path.glob("bundled/*.html")):
        assert outside_references(page.read_text(encoding="utf-8")) == [], page.name
    assert 'href="mailto:pmo@example.org"' in next(tmp_path.glob("out/PRJ-*.html")).read_text()
    assert ReportRenderer().env.is_safe_attribute("", "__class__", None) is False
