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

from pmo_xl.pdf import render_pdfs
from pmo_xl.reports import bundled_templates

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
