"""HTML → PDF with two engines behind one small interface, `render_pdfs`.

- **chromium**: an installed Chromium-family browser (Chromium, Chrome or Edge), driven
  headless through Playwright with `executable_path` — never a browser download. One browser
  for the whole batch, with several pages converting at once (`parallel` pages); starting a
  browser per report would cost ~0.75 s each instead of ~0.1 s. Reports that share a
  stylesheet are printed several to a document and split (see `print_groups`). JavaScript
  is off.
- **weasyprint**: pure Python on pango; slower (~0.25–0.5 s per one-page report) but needs no
  browser. It is single-threaded, so a batch runs in `parallel` worker processes, each
  keeping one engine. This module imports nothing heavy, so that a worker starts quickly.

Both engines load nothing but data: URIs and files inside the template folders: every other
request (network, other local files) is refused, so a register's text cannot make a report
fetch anything. Chromium is given no network at all besides (`CHROMIUM_OFFLINE_FLAGS`: no
name or address resolves, every request must pass a proxy that is not there) and prints
every page under a Content-Security-Policy, since its request routing alone does not see
every connection a page can open (prefetch, preconnect, frames).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import queue
import re
import shutil
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from html import unescape as html_unescape
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from .fileio import WriteFailed, write_atomic

ENGINES = ("chromium", "weasyprint")
# A WeasyPrint worker process costs ~1 s to start; one more pays off only when it has this
# many PDFs to convert.
PDFS_PER_WORKER = 4
_PDF_OPTIONS = {"format": "A4", "print_background": True, "prefer_css_page_size": True}
BROWSER_ENV = "PMO_XL_BROWSER"  # the full path of a browser to use instead of searching
# Flags for a headless browser in containers and CI (no sandbox user namespace, no GPU,
# small /dev/shm) and without background traffic.
CHROMIUM_FLAGS = ("--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking")
# No network for the browser, whatever a page asks for. The page's request routing does not
# see everything (a <link rel=prefetch> went out past it, and <iframe>, <object> and <meta
# refresh> opened connections), so the network itself is closed: every host name and IP
# address, loopback included, resolves to nothing, and every request (loopback too, which a
# proxy otherwise skips) must go through a SOCKS proxy on a closed port. No pings, no
# reliability reports. Not --disable-features: Chromium keeps only the last such switch, and
# one here would silently drop Playwright's own list (and --dns-prefetch-disable is gone from
# Chromium; with nothing resolving, prefetch and preconnect have nowhere to go anyway).
CHROMIUM_OFFLINE_FLAGS = ("--host-resolver-rules=MAP * ~NOTFOUND",
                          "--proxy-server=socks5://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
                          "--no-pings", "--disable-domain-reliability")
# Every page is printed under this policy too: a third guard, inside the renderer, before a
# request is even made. Reports need nothing but inline CSS and data: URIs.
PRINT_CSP = ("default-src 'none'; img-src data:; font-src data:; media-src data:; "
             "style-src 'unsafe-inline' data:; base-uri 'none'; form-action 'none'")
_BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable",
                  "microsoft-edge", "microsoft-edge-stable", "msedge", "chrome")
_BROWSER_PATHS = {
    "win32": (r"%ProgramFiles(x86)%\Microsoft\Edge\Application\msedge.exe",
              r"%ProgramFiles%\Microsoft\Edge\Application\msedge.exe",
              r"%ProgramFiles%\Google\Chrome\Application\chrome.exe",
              r"%ProgramFiles(x86)%\Google\Chrome\Application\chrome.exe",
              r"%LocalAppData%\Google\Chrome\Application\chrome.exe"),
    "darwin": ("/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
               "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
               "/Applications/Chromium.app/Contents/MacOS/Chromium"),
}


_NO_BROWSER = (f"no Chromium, Chrome or Edge found (install one, e.g. Debian 'chromium', or "
               f"set {BROWSER_ENV} to its path); or use --pdf-engine weasyprint")


class PdfEngineError(Exception):
    """The chosen PDF engine cannot run here; the message says what to install."""


def find_browser() -> str | None:
    """The path of an installed Chromium-family browser, or None."""
    override = os.environ.get(BROWSER_ENV)
    if override:
        return override if Path(override).is_file() else None
    for name in _BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    for candidate in _BROWSER_PATHS.get(sys.platform, ()):
        path = Path(os.path.expandvars(candidate))
        if path.is_file():
            return str(path)
    return None


def resolve_engine(choice: str) -> str:
    """`auto` → chromium when a browser is installed, else weasyprint; others as given."""
    if choice != "auto":
        return choice
    return "chromium" if find_browser() else "weasyprint"


def check_engine(name: str) -> None:
    """Raise PdfEngineError unless the named engine can run here (cheap: starts nothing)."""
    if name == "chromium":
        if find_browser() is None:
            raise PdfEngineError(_NO_BROWSER)
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError as error:
            raise PdfEngineError(f"Playwright is not installed ({error})") from None
    elif name == "weasyprint":
        _import_weasyprint()
    else:
        raise PdfEngineError(f"unknown PDF engine '{name}' (use one of {', '.join(ENGINES)})")


def _import_weasyprint() -> Any:
    try:
        import weasyprint
    except (ImportError, OSError) as error:  # OSError: pango libraries missing
        raise PdfEngineError(f"WeasyPrint cannot run here ({error}); it needs pango "
                             "(Debian: libpango-1.0-0 libpangoft2-1.0-0)") from None
    return weasyprint


def allowed_url(url: str, folders: Sequence[Path]) -> bool:
    """data: URIs, and file: URLs of files inside one of the folders; nothing else."""
    parts = urlsplit(url)
    if parts.scheme == "data":
        return True
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return False
    path = Path(unquote(parts.path)).resolve()
    return any(path.is_relative_to(folder.resolve()) for folder in folders)


class WeasyPrintEngine:
    """WeasyPrint with a URL fetcher that refuses everything outside the template folders."""

    name = "weasyprint"

    def __init__(self, allowed_folders: Sequence[Path]) -> None:
        weasyprint = _import_weasyprint()
        self._weasyprint = weasyprint
        folders = list(allowed_folders)

        class _Fetcher(weasyprint.URLFetcher):
            def fetch(self, url: str, headers: Any = None) -> Any:
                if not allowed_url(url, folders):
                    raise ValueError(f"pmo-xl reports load no external resources: {url}")
                return super().fetch(url, headers)

        self._fetcher = _Fetcher(allowed_protocols=("data", "file"))

    def pdf(self, html: str) -> bytes:
        return self._weasyprint.HTML(string=html, url_fetcher=self._fetcher).write_pdf()



# --- a batch ----------------------------------------------------------------------------------

Result = tuple[str, float, "str | None"]  # file name, seconds, error (None: written)


def render_pdfs(jobs: list[tuple[str, str]], out_dir: Path, engine: str,
                folders: Sequence[Path], parallel: int) -> Iterator[Result]:
    """Convert each (file name, HTML) job into out_dir/<file name>, written atomically, and
    yield (file name, seconds, error or None) as each finishes. One job's failure is its
    own; the others go on."""
    if not jobs:
        return
    if engine == "chromium":
        yield from _chromium_pdfs(jobs, out_dir, folders, max(1, parallel))
    elif engine == "weasyprint":
        yield from _weasyprint_pdfs(jobs, out_dir, folders, parallel)
    else:
        raise PdfEngineError(f"unknown PDF engine '{engine}' (use one of {', '.join(ENGINES)})")


def _failure(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


# Chromium: one browser, `pages` pages converting at once. Playwright's async API runs in a
# thread of its own, so that results reach the caller (and its progress bar) as they finish.

_DONE = object()


def _chromium_pdfs(jobs: list[tuple[str, str]], out_dir: Path, folders: Sequence[Path],
                   pages: int) -> Iterator[Result]:
    executable = find_browser()
    if executable is None:
        raise PdfEngineError(_NO_BROWSER)
    results: queue.Queue[object] = queue.Queue()

    def run() -> None:
        try:
            asyncio.run(_chromium_batch(jobs, out_dir, folders, executable, pages, results.put))
        except BaseException as error:  # handed to the caller's thread below
            results.put(error)
        finally:
            results.put(_DONE)

    # A daemon thread: after Ctrl-C the process exits, and Playwright's driver and the
    # browser end with it.
    threading.Thread(target=run, name="pmo-xl-chromium", daemon=True).start()
    while (item := results.get()) is not _DONE:
        if isinstance(item, WriteFailed):  # the output folder's problem: the batch's to say
            raise item
        if isinstance(item, BaseException):
            raise PdfEngineError(f"cannot run {executable}: {item}") from item
        yield item  # type: ignore[misc]


async def _chromium_batch(jobs: list[tuple[str, str]], out_dir: Path,
                          folders: Sequence[Path], executable: str, pages: int,
                          emit: Callable[[Result], None]) -> None:
    from playwright.async_api import async_playwright

    async def guard(route: Any) -> None:
        if allowed_url(route.request.url, folders):
            await route.continue_()
        elif route.request.is_navigation_request():
            # "No content": the frame stays where it is. An aborted navigation would show an
            # error page instead, perhaps while another report is on this page.
            await route.fulfill(status=204)
        else:
            await route.abort("blockedbyclient")

    todo: asyncio.Queue[list[tuple[str, str]]] = asyncio.Queue()
    for group in print_groups(jobs):
        todo.put_nowait(group)

    async def convert_one(page: Any, name: str, html: str) -> None:
        started = time.perf_counter()
        try:
            await page.set_content(with_policy(html), wait_until="load")
            write_atomic(out_dir / name, await page.pdf(**_PDF_OPTIONS))
        except WriteFailed:  # the folder cannot be written (disk full): stop the batch
            raise
        except Exception as error:  # this file failed; the page goes on with the next
            emit((name, time.perf_counter() - started, _failure(error)))
        else:
            emit((name, time.perf_counter() - started, None))

    async def convert_group(page: Any, group: list[tuple[str, str]]) -> bool:
        """Print the group as one document and split it; False if that cannot be done."""
        started = time.perf_counter()
        try:
            await page.set_content(with_policy(combined_document(group)),
                                   wait_until="load")
            files = split_pages(await page.pdf(**_PDF_OPTIONS), group)
        except Exception:  # printed one by one below, each with its own result
            return False
        if files is None:
            return False
        each = (time.perf_counter() - started) / len(group)
        for (name, _html), data in zip(group, files, strict=True):
            try:
                write_atomic(out_dir / name, data)
            except WriteFailed:  # the folder cannot be written (disk full): stop the batch
                raise
            except OSError as error:  # this file failed; the others are written
                emit((name, each, _failure(error)))
            else:
                emit((name, each, None))
        return True

    async def convert(context: Any) -> None:
        page = await context.new_page()
        while not todo.empty():
            group = todo.get_nowait()
            if len(group) > 1 and await convert_group(page, group):
                continue
            for name, html in group:
                await convert_one(page, name, html)

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, args=[*CHROMIUM_FLAGS, *CHROMIUM_OFFLINE_FLAGS])
        try:
            context = await browser.new_context(java_script_enabled=False,
                                                service_workers="block")
            await context.route("**/*", guard)
            await _all_or_none(convert(context) for _ in range(min(pages, len(jobs))))
        finally:
            await browser.close()


async def _all_or_none(coroutines: Iterable[Coroutine[Any, Any, None]]) -> None:
    """Run the pages at once; when one raises (the folder cannot be written), cancel the
    others before the browser closes, so that they do not fail their reports one by one."""
    tasks = [asyncio.ensure_future(coroutine) for coroutine in coroutines]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


_DOCTYPE = re.compile(r"\A\s*<!doctype[^>]*>", re.IGNORECASE)


def with_policy(html: str) -> str:
    """The page with PRINT_CSP as its very first element (after a doctype): a policy in a
    <meta> covers only what comes after it, and the parser puts it in the head wherever the
    page's own <html> and <head> tags are."""
    meta = f'<meta http-equiv="Content-Security-Policy" content="{PRINT_CSP}">'
    doctype = _DOCTYPE.match(html)
    at = doctype.end() if doctype else 0
    return f"{html[:at]}{meta}{html[at:]}"


# Chromium's cost is mostly per print call (~0.08 s for a one-page report on 2 cores), so
# reports that share a stylesheet are printed several to a document and the PDF is split
# back into one file per report: ~0.04 s per report with 5 to a document. The split is only
# used when every report came out as exactly one page; otherwise the group is printed again
# report by report.
REPORTS_PER_PRINT = 8
_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.DOTALL)
_TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)
# A report's style for its pages after the first (running header, page numbers): left out of
# a combined document, whose every page is the first of a one-page report.
_CONTINUATION = re.compile(r'<style data-pages="continuation">.*?</style>', re.DOTALL)


def _stylesheet_key(html: str) -> str:
    """The document head without its title: reports with equal keys look alike."""
    return _TITLE.sub("", html.partition("<body")[0])


def print_groups(jobs: Sequence[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    """Consecutive reports that share a head (template and CSS), up to REPORTS_PER_PRINT."""
    groups: list[list[tuple[str, str]]] = []
    for name, html in jobs:
        if (groups and len(groups[-1]) < REPORTS_PER_PRINT and _BODY.search(html)
                and _stylesheet_key(groups[-1][0][1]) == _stylesheet_key(html)):
            groups[-1].append((name, html))
        else:
            groups.append([(name, html)])
    return groups


def combined_document(group: Sequence[tuple[str, str]]) -> str:
    """One HTML document holding the group's report bodies, each starting a new page."""
    head = group[0][1].partition("<body")[0]
    bodies = []
    for index, (_name, html) in enumerate(group):
        match = _BODY.search(html)
        assert match is not None  # print_groups only groups documents with a body
        style = ' style="break-before: page"' if index else ""
        bodies.append(f"<div{style}>{_CONTINUATION.sub('', match[1])}</div>")
    return f"{head}<body>{''.join(bodies)}</body></html>"


def split_pages(pdf: bytes, group: Sequence[tuple[str, str]]) -> list[bytes] | None:
    """One single-page PDF per report of the group, or None unless each filled one page."""
    import io

    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(pdf))
    if len(reader.pages) != len(group):
        return None
    files = []
    for page, (_name, html) in zip(reader.pages, group, strict=True):
        writer = PdfWriter()
        writer.add_page(page)
        title = _TITLE.search(html)
        if title:
            writer.add_metadata({"/Title": html_unescape(title[1]), "/Creator": "pmo-xl"})
        buffer = io.BytesIO()
        writer.write(buffer)
        files.append(buffer.getvalue())
    return files


# WeasyPrint: in this process for a few PDFs, else in worker processes.

_worker_engine: WeasyPrintEngine | None = None


def _weasyprint_pdfs(jobs: list[tuple[str, str]], out_dir: Path, folders: Sequence[Path],
                     parallel: int) -> Iterator[Result]:
    workers = min(parallel, max(1, len(jobs) // PDFS_PER_WORKER))
    if workers <= 1:
        engine = WeasyPrintEngine(folders)
        for name, html in jobs:
            yield _convert(engine, name, html, out_dir)
        return
    # spawn, not fork: the parent may hold threads (pandas, Playwright) that fork would copy.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                             initargs=(list(folders), os.getpid())) as pool:
        futures: dict[Future, str] = {pool.submit(_worker_job, name, html, out_dir): name
                                      for name, html in jobs}
        try:
            for future in as_completed(futures):
                try:
                    yield future.result()
                except WriteFailed:  # the folder cannot be written (disk full): stop
                    raise
                except Exception as error:  # e.g. a worker died: that file failed
                    yield futures[future], 0.0, _failure(error)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _start_worker(folders: list[Path], parent: int) -> None:
    global _worker_engine
    bind_to_parent(parent)
    _worker_engine = WeasyPrintEngine(folders)


# How often a worker's watchdog looks for its batch.
PARENT_POLL_SECONDS = 0.25


def bind_to_parent(parent: int) -> None:
    """End this worker process when the batch process `parent` ends, however it ends
    (kill -9 included): a worker left behind would go on writing PDFs, unrecorded, into a
    folder that another batch may now hold. Linux: the kernel's parent-death signal; every
    system: a watchdog thread on the parent."""
    if sys.platform.startswith("linux"):
        _kill_me_with_parent()
    if not _parent_alive(parent):  # it died before the signal was armed
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), name="pmo-xl-parent-watch",
                     daemon=True).start()


def _kill_me_with_parent() -> None:
    """PR_SET_PDEATHSIG: SIGKILL when the thread that started this process ends (the batch's,
    which outlives its pool)."""
    import contextlib
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):  # no prctl: the watchdog remains
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG


def _parent_alive(parent: int) -> bool:
    if sys.platform == "win32":  # Windows never re-parents: ask whether the pid still lives
        from .fileio import pid_alive

        return pid_alive(parent)
    return os.getppid() == parent  # POSIX re-parents an orphan to init (or a subreaper)


def _watch_parent(parent: int) -> None:
    # multiprocessing's pipe from the parent closes when the parent dies: join returns at
    # once then; the pid check covers a pipe that stays open (inherited elsewhere).
    process = multiprocessing.parent_process()
    while True:
        if process is not None:
            process.join(PARENT_POLL_SECONDS)
            if not process.is_alive():
                os._exit(1)
        else:
            time.sleep(PARENT_POLL_SECONDS)
        if not _parent_alive(parent):
            os._exit(1)


def _worker_job(name: str, html: str, out_dir: Path) -> Result:
    if _worker_engine is None:
        raise PdfEngineError("worker started without a PDF engine")
    return _convert(_worker_engine, name, html, out_dir)


def _convert(engine: WeasyPrintEngine, name: str, html: str, out_dir: Path) -> Result:
    started = time.perf_counter()
    try:
        write_atomic(out_dir / name, engine.pdf(html))
    except WriteFailed:  # the folder cannot be written (disk full): the batch stops
        raise
    except Exception as error:  # reported for this file; the batch goes on
        return name, time.perf_counter() - started, _failure(error)
    return name, time.perf_counter() - started, None
