"""Writing a batch of status reports to a folder: names, atomic files, manifest, skipping,
parallel PDF rendering and one failure never stopping the rest.

`write_reports(register_path, out_dir, ...)` reads, validates and rolls up the register once,
renders the HTML of every selected report in this process (Jinja2 renders thousands a
second), and hands them to `pdf.render_pdfs`, which converts `jobs` of them at once (pages
of one browser, or WeasyPrint worker processes). The project records behind the reports are
built a few hundred at a time (`RECORDS_AT_ONCE`, `reports.report_records`) as their reports
are written, so a batch of 10,000 holds one chunk's records, not every project's; the
portfolio summary, last, has every project's figures. Every file is written to a hidden temporary
name and renamed, so an interrupted run leaves only complete reports. `manifest.json` records the
register's sha256, the as-of date, the template set's hash, the pmo-xl version and, per file,
the hash of its inputs and how long it took; a re-run skips a report whose inputs hash is
unchanged and whose file is still there. `index.html` links every report in the folder.

One batch at a time writes a folder: the batch holds the folder's lock (`fileio.folder_lock`)
from its first file to the manifest, so a second batch into the same folder waits for it
(`PMO_XL_LOCK_WAIT` seconds, default 60) and then refuses in one line; the manifest then
keeps every earlier run's files that are still there, whichever register they came from.

Progress goes to an optional callback; this module prints nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import stat
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import TemplateError, TemplateSyntaxError

from . import __version__
from .board_reports import draft_exception, highlight, needs_exception_report
from .changes import compare
from .errors import OutputError, RegisterError, TemplateProblem, os_reason
from .fileio import FolderBusy, WriteFailed, folder_lock, remove_leftovers, write_atomic
from .formatting import money
from .history import Snapshot, take_snapshot
from .lessons import LessonIndex, build_index, worth_reading
from .metrics import Rollup, plain_column, rollup
from .pdf import PdfEngineError, check_engine, render_pdfs, resolve_engine
from .reader import Register, read_register
from .reports import (
    EXCEPTION_TEMPLATE,
    HIGHLIGHT_TEMPLATE,
    INDEX_TEMPLATE,
    PORTFOLIO_STEM,
    PORTFOLIO_TEMPLATE,
    PROJECT_TEMPLATE,
    ReportData,
    ReportRenderer,
    natural_key,
    output_folder,
    project_listing,
    report_records,
    template_problem,
    templates_folder,
)
from .validation import validate

FORMATS = ("html", "pdf")
# The kinds of report a batch writes: per project the status report, the highlight report
# and (only for a project that needs one) the exception report; and the portfolio summary.
STATUS, HIGHLIGHT, EXCEPTION, PORTFOLIO = "status", "highlight", "exception", "portfolio"
REPORT_KINDS = (STATUS, HIGHLIGHT, EXCEPTION, PORTFOLIO)
DEFAULT_KINDS = (STATUS, PORTFOLIO)
# A project's file stem is followed by its kind's suffix; `unique_stems` keeps every stem
# with every suffix apart, so no report of one project takes another's file name.
KIND_SUFFIXES = {STATUS: "", HIGHLIGHT: "-highlight", EXCEPTION: "-exception"}
KIND_TEMPLATES = {STATUS: PROJECT_TEMPLATE, HIGHLIGHT: HIGHLIGHT_TEMPLATE,
                  EXCEPTION: EXCEPTION_TEMPLATE}
MANIFEST = "manifest.json"
INDEX = "index.html"

WRITTEN, SKIPPED, FAILED = "written", "skipped", "failed"
# The names of the files every batch writes besides the project reports (the lock file and
# temporaries start with a dot, which no report name does): no project may take them.
RESERVED_STEMS = ("index", "manifest", PORTFOLIO_STEM)
LOCK_WAIT_ENV = "PMO_XL_LOCK_WAIT"  # seconds a batch waits for another batch's folder
LOCK_WAIT_SECONDS = 60.0
# Project records built at once: a few MiB of plain values each chunk, instead of every
# project's at once (~90 MiB at 10,000 projects), and the lesson queries scored per chunk.
RECORDS_AT_ONCE = 250
# What `needs_exception_report` reads of a record: roll-up figures, known before the records.
_EXCEPTION_FIELDS = ("active", "time_status", "cost_status")


@dataclass
class FileResult:
    """What happened to one report file of the batch."""

    name: str
    format: str
    kind: str  # "project" or "portfolio"
    project_id: str | None
    status: str
    seconds: float = 0.0
    error: str | None = None
    report: str = STATUS  # status, highlight, exception or portfolio


@dataclass
class BatchResult:
    out_dir: Path
    files: list[FileResult]
    pdf_engine: str | None
    skipped_invalid: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(f.status == status for f in self.files)

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.status == FAILED]


Progress = Callable[[FileResult, int, int], None]


@dataclass
class _Report:
    """One report to produce: its data, file stem, and the hash of everything it shows."""

    kind: str
    stem: str
    template: str
    context: dict[str, Any]
    info: dict[str, Any]  # what index.html shows about it
    inputs: str = ""
    html: str | None = None
    error: str | None = None
    problem: TemplateProblem | None = None  # when rendering failed in a template


def parse_formats(text: str) -> list[str]:
    """'HTML, PDF' or 'html,pdf' → ['html', 'pdf']; raises ValueError for anything else."""
    formats = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if not formats or unknown:
        raise ValueError(f"'{text}' is not a list of report formats (HTML, PDF)")
    return [f for f in FORMATS if f in formats]


def parse_kinds(text: str) -> list[str]:
    """'status, Highlight' → ['status', 'highlight'] (in REPORT_KINDS' order); raises
    ValueError for anything else."""
    kinds = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [k for k in kinds if k not in REPORT_KINDS]
    if not kinds or unknown:
        raise ValueError(f"'{text}' is not a list of report kinds ({', '.join(REPORT_KINDS)})")
    return [k for k in REPORT_KINDS if k in kinds]


def _settings_formats(text: str) -> list[str]:
    try:
        return parse_formats(text)
    except ValueError:
        return list(FORMATS)  # an unusable setting: both; validation reports it


def write_reports(register_path: Path, out_dir: Path | None, *,
                  project_ids: Sequence[str] = (), all_projects: bool = False,
                  portfolio: bool = False, formats: Sequence[str] | None = FORMATS,
                  kinds: Sequence[str] = DEFAULT_KINDS,
                  templates: Path | None = None,
                  jobs: int = 1, as_of: dt.date | None = None, pdf_engine: str = "auto",
                  force: bool = False, skip_invalid: bool = False,
                  progress: Progress | None = None,
                  register: Register | None = None, read_from: str | None = None,
                  profile: Path | None = None, sheet: str | None = None,
                  baseline: Callable[[Register, dt.date], Snapshot] | None = None,
                  trends: Callable[[dt.date], dict[str, Any]] | None = None,
                  ) -> BatchResult:
    """Write the selected reports of a register into out_dir (see the module docstring).

    `out_dir=None`, `formats=None` and `templates=None` take the register's Settings (Output
    Folder and Templates Folder, inside the register's folder, and Report Formats).
    `kinds` (REPORT_KINDS): the per-project kinds are written for the chosen projects (an
    exception report only for a project that needs one, `needs_exception_report`), the
    portfolio summary when `portfolio` is asked and "portfolio" is among them.

    Raises RegisterError for an unusable register or an unknown project ID, and
    PdfEngineError when PDF is asked for and the engine cannot run here. Without `register`
    the file at `register_path` is read (with `profile` and `sheet` as `read_register`
    takes them), and the manifest's sha256 is that of the very bytes read; `register` is one
    already read, e.g. from the workbook open in Excel, unsaved edits included (say so with
    `read_from="open workbook"`). `baseline(register, as_of)` gives the snapshot to show
    changes since (`pmo-xl report --since`); the reports then say what changed.
    `trends(as_of)` gives the history's trends ({"portfolio": [...], "projects": {id: [...]}})
    that the reports chart when three or more snapshots exist. Raises OutputError when the
    folder or a file cannot be written and TemplateProblem when a template is broken (before
    any report is written when it does not even parse).
    """
    register, origin = _register(register_path, register, read_from, profile, sheet)
    if out_dir is None:
        out_dir = output_folder(register)
    if formats is None:
        formats = _settings_formats(register.settings.report_formats)
    if templates is None:
        templates = templates_folder(register)
    portfolio_figures = rollup(register, as_of)
    changes = None
    if baseline is not None:
        current = take_snapshot(register, portfolio_figures.as_of)
        changes = compare(baseline(register, portfolio_figures.as_of), current,
                          register.standard)
    renderer = ReportRenderer(templates)
    engine = resolve_engine(pdf_engine) if "pdf" in formats else None
    if engine:
        check_engine(engine)
    listing = project_listing(portfolio_figures)
    chosen = _positions(listing, _select(register_path, listing, project_ids, all_projects))
    # The selection first, then the records: reports of a few projects convert their cells
    # alone. The portfolio summary covers every project, so it needs every record, which
    # are built RECORDS_AT_ONCE at a time as the reports are written.
    portfolio = portfolio and PORTFOLIO in kinds
    data = report_records(register, validate(register, as_of), portfolio_figures, changes,
                          trends(portfolio_figures.as_of) if trends is not None else None,
                          None if portfolio or all_projects else chosen, summary=portfolio,
                          size=RECORDS_AT_ONCE)
    plan = _Plan(data, chosen, skip_invalid, portfolio, _Board(register, portfolio_figures,
                                                                 kinds))
    templates_hash = renderer.template_set_hash()
    with _output_folder(out_dir) as previous:
        batch = _Batch(out_dir, formats, engine, force, progress, previous,
                       plan.count() * len(formats), origin)
        generated = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
        completed = False
        reports = plan.reports(templates_hash)
        try:
            batch.run(reports, renderer, data.common, generated, jobs)
            completed = True
        finally:
            # The last chunk's records go before the index and manifest are built, which
            # need only each file's entry.
            reports.close()
            # Also after Ctrl-C or a failure: record what was done, so that a re-run skips it.
            # The manifest first: it is what marks index.html as pmo-xl's (`_own_manifest`).
            entries = batch.entries()
            with _reported_unless(completed, out_dir):
                _write_manifest(out_dir, origin, data.common, templates_hash, engine,
                                entries, batch.results, generated)
                _write_index(out_dir, renderer, data.common, generated, entries)
    return BatchResult(out_dir, batch.results, engine, plan.invalid)


# A register saved or synced while it is read is read again, this many times in all.
READ_ATTEMPTS = 3


def _register(path: Path, register: Register | None, read_from: str | None,
              profile: Path | None, sheet: str | None) -> tuple[Register, dict[str, Any]]:
    """The register, and the manifest's record of it with the sha256 of the bytes it was
    parsed from. The reader opens the file by name (calamine, zipfile), so the bytes are
    pinned by the file's identity instead: device, inode, size, modification and change
    times, the same before the read and while the hash is taken (a replaced file is another
    inode; a file written in place has new times). A file that changed is read again."""
    if register is not None:  # read already; from Excel: the values on screen, which may
        # differ from the file's last saved state that sha256 describes
        return register, _origin(path, read_from, _sha256(path)[0])
    for _attempt in range(READ_ATTEMPTS):
        before = _identity(path)
        register = read_register(path, profile=profile, sheet=sheet)
        digest, during = _sha256(path)
        if before is not None and before == during == _identity(path):
            return register, _origin(path, read_from, digest)
    raise RegisterError(path, f"changed while it was being read, {READ_ATTEMPTS} times (is it "
                              "being saved or synced?); run again when it has been saved")


def _origin(path: Path, read_from: str | None, digest: str | None) -> dict[str, Any]:
    return {"file": path.name, "read_from": read_from or "file", "sha256": digest}


def _identity(path: Path, known: os.stat_result | None = None) -> tuple[int, ...] | None:
    try:
        found = known or os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns


def _sha256(path: Path) -> tuple[str | None, tuple[int, ...] | None]:
    """The file's sha256 and its identity, which is None unless it held still while hashed.
    Opened without waiting, so that a named pipe put in its place cannot hang the batch."""
    digest = hashlib.sha256()
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        with open(os.open(path, flags), "rb") as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                return None, None
            start = _identity(path, os.fstat(stream.fileno()))
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
            held = start == _identity(path, os.fstat(stream.fileno()))
    except (OSError, ValueError):
        return None, None
    return digest.hexdigest(), start if held else None


def _positions(listing: list[dict[str, Any]], chosen: list[dict[str, Any]]) -> list[int]:
    """Where the chosen projects stand in the listing, in the register's order."""
    ids = {id(p) for p in chosen}
    return [at for at, p in enumerate(listing) if id(p) in ids]


class _Plan:
    """The reports a batch writes: of the chosen projects (positions on the Projects sheet,
    less those left out for their data issues, `invalid`), of the board's kinds, and the
    portfolio summary if asked; their records built a chunk at a time (`report_records`)."""

    def __init__(self, data: ReportData, chosen: list[int], skip_invalid: bool,
                 portfolio: bool, board: _Board) -> None:
        assert data.records is not None
        self.data, self.records, self.portfolio, self.board = data, data.records, portfolio, board
        left_out = {at for at in chosen if self.records.has_issues(at)} if skip_invalid else set()
        self.invalid = [data.listing[at]["project_id"] for at in chosen if at in left_out]
        self.chosen = [at for at in chosen if at not in left_out]
        # Names over the whole register (`unique_stems`), whichever projects are built.
        self.stems = unique_stems(data.listing, data.stems)

    def count(self) -> int:
        """How many reports the batch writes, known before any record is built."""
        return self.board.count(self.chosen) + self.portfolio

    def reports(self, templates_hash: str) -> Generator[_Report, None, None]:
        """Each report with the hash of its inputs, chunk by chunk: a chunk's records are let
        go when the next chunk is built."""
        wanted, common = set(self.chosen), self.data.common
        for positions, records in self.records:
            mine = [(at, p) for at, p in zip(positions, records, strict=True) if at in wanted]
            self.board.add_lessons(mine)
            for at, project in mine:
                for report in self.board.reports(project, self.stems[at]):
                    report.inputs = _digest(report.kind, report.context, common, templates_hash)
                    yield report
        self.board.index = None  # the lesson index's memory is the index's and manifest's
        if self.portfolio:
            report = _Report("portfolio", PORTFOLIO_STEM, PORTFOLIO_TEMPLATE,
                             {"portfolio": self.data.portfolio},
                             {"kind": "portfolio", "report": PORTFOLIO, "project_id": None})
            report.inputs = _digest(report.kind, report.context, common, templates_hash)
            yield report


def unique_stems(projects: Sequence[dict[str, Any]], stems: Sequence[str]) -> list[str]:
    """The file stem of each project's reports, unique ignoring case (one file on Windows and
    macOS) among all the register's projects and the batch's own files, with each kind's
    suffix (`KIND_SUFFIXES`) too: a stem that is taken, or whose `-highlight` or
    `-exception` name is, gets the project's Excel row, `-row-N`, and that is checked again
    (`-row-N-2`...).
    Over the whole register, so that a project's file name does not depend on the selection."""
    taken = {stem.casefold() for stem in RESERVED_STEMS}
    # Case folding goes character by character: a name's folded is its parts' folded.
    suffixes = [suffix.casefold() for suffix in KIND_SUFFIXES.values()]
    unique = []
    for project, stem in zip(projects, stems, strict=True):
        candidate, count = stem, 1
        key = candidate.casefold()
        while any(key + suffix in taken for suffix in suffixes):
            count += 1
            candidate = f"{stem}-row-{project['row']}" + (f"-{count - 1}" if count > 2 else "")
            key = candidate.casefold()
        taken.update([key + suffix for suffix in suffixes])
        unique.append(candidate)
    return unique


@contextmanager
def _reported_unless(completed: bool, out_dir: Path) -> Iterator[None]:
    """Writing the index and manifest: a failure there is the batch's problem to report,
    unless the batch already failed (then that first problem is the one the user sees)."""
    try:
        yield
    except TemplateError as error:
        if completed:
            raise template_problem(error) from None
    except OSError as error:
        if completed:
            raise OutputError(out_dir, f"cannot be written: {os_reason(error)}") from None


@contextmanager
def _output_folder(out_dir: Path) -> Iterator[dict[str, Any]]:
    """The output folder, created and locked for this batch (creating the lock file also
    proves, before hundreds of reports are rendered, that the folder can be written), with
    the temporaries of killed runs removed; yields the folder's manifest. OutputError, before
    anything is written, for a folder that holds another program's index or manifest."""
    with ExitStack() as stack:
        try:
            if out_dir.exists() and not out_dir.is_dir():
                raise OutputError(out_dir, "is a file, not a folder; give a folder for the "
                                           "reports")
            out_dir.mkdir(parents=True, exist_ok=True)
            stack.enter_context(folder_lock(out_dir, _lock_wait()))
        except FolderBusy as busy:
            raise OutputError(out_dir, _busy_message(busy)) from None
        except OSError as error:
            raise OutputError(out_dir, f"cannot be written: {os_reason(error)}") from None
        previous = _own_manifest(out_dir)
        remove_leftovers(out_dir)
        yield previous


def _output_error(error: WriteFailed) -> OutputError:
    """A file the folder could not take (disk full, read-only): one line, what to do."""
    return OutputError(error.filename, f"cannot be written: {os_reason(error)}")


def _lock_wait() -> float:
    try:
        return max(0.0, float(os.environ.get(LOCK_WAIT_ENV, LOCK_WAIT_SECONDS)))
    except ValueError:
        return LOCK_WAIT_SECONDS


def _busy_message(busy: FolderBusy) -> str:
    owner = f" (pid {busy.owner})" if busy.owner else ""
    return (f"another pmo-xl batch{owner} is writing reports into this folder (waited "
            f"{busy.waited:g} s); run again when it has finished, or choose another folder")


def _select(path: Path, projects: list[dict[str, Any]], ids: Sequence[str],
            all_projects: bool) -> list[dict[str, Any]]:
    if all_projects:
        return projects
    wanted = {i.strip().casefold(): i for i in ids}
    chosen = [p for p in projects if str(p["project_id"] or "").strip().casefold() in wanted]
    found = {str(p["project_id"]).strip().casefold() for p in chosen}
    missing = [original for key, original in wanted.items() if key not in found]
    if missing:
        raise RegisterError(path, f"no project {', '.join(missing)} on the Projects sheet")
    return chosen


def _project_report(project: dict[str, Any], stem: str, kind: str = STATUS,
                    shown: dict[str, Any] | None = None) -> _Report:
    """One project's report of a kind; `shown`: the record it shows, when not the project's
    own (the highlight and exception reports add their sections to a copy)."""
    info = {key: project[key] for key in ("project_id", "project_name", "overall_rag",
                                          "overall_rag_label", "phase", "phase_label")}
    return _Report("project", f"{stem}{KIND_SUFFIXES[kind]}", KIND_TEMPLATES[kind],
                   {"project": project if shown is None else shown},
                   {"kind": "project", "report": kind, "stem": stem, **info})


class _Board:
    """What a batch's per-project reports need beyond each project's record, computed once
    per batch: the lessons worth reading (one lesson index for the batch), and for the
    highlight and exception reports the sections `board_reports` drafts from the record
    (its RAID figures are the record's `raid`)."""

    def __init__(self, register: Register, figures: Rollup, kinds: Sequence[str]) -> None:
        self.register = register
        self.kinds = [kind for kind in REPORT_KINDS if kind in kinds and kind in KIND_SUFFIXES]
        self.figures, self.as_of = figures, figures.as_of
        self.index: LessonIndex | None = None
        self.settings = {"scope_tolerance": register.settings.scope_tolerance.strip(),
                         "high_risk_score": register.settings.high_risk_score}

    def count(self, chosen: Sequence[int]) -> int:
        """How many per-project reports the projects at these positions get: the exception
        report's test (`needs_exception_report`) on their roll-up figures, as their records
        will carry them."""
        count = len(chosen) * sum(kind != EXCEPTION for kind in self.kinds)
        if EXCEPTION in self.kinds:
            frame = self.figures.projects.iloc[list(chosen)]
            names = [name for name in _EXCEPTION_FIELDS if name in frame]
            columns = [plain_column(name, frame[name]).tolist() for name in names]
            count += sum(needs_exception_report(dict(zip(names, row, strict=True)))
                         for row in zip(*columns, strict=True))
        return count

    def add_lessons(self, records: list[tuple[int, dict[str, Any]]]) -> None:
        """`lessons_worth_reading` (the top three, with why) on the record of each chosen
        project (with its position on the Projects sheet), when the register keeps a lessons
        log and some report of a project is asked for: the others' queries are never scored.
        One lesson index for the batch, built for its first chunk."""
        if self.register.lessons is None or not self.kinds or not records:
            return
        if self.index is None:
            self.index = build_index(self.register, self.as_of)
        found = worth_reading(self.index, [at for at, _ in records])
        for (_, record), lessons in zip(records, found, strict=True):
            record["lessons_worth_reading"] = [_worth_reading(r) for r in lessons]

    def reports(self, project: dict[str, Any], stem: str) -> list[_Report]:
        """The project's reports of the batch's kinds (an exception report only when it
        needs one)."""
        found = []
        for kind in self.kinds:
            if kind == STATUS:
                found.append(_project_report(project, stem))
            elif kind == HIGHLIGHT or needs_exception_report(project):
                found.append(_project_report(project, stem, kind, self._shown(project, kind)))
        return found

    def _shown(self, project: dict[str, Any], kind: str) -> dict[str, Any]:
        shown = dict(project)
        if kind == HIGHLIGHT:
            shown["highlight"] = highlight(shown, self.as_of.isoformat(), self.settings)
        else:
            currency = self.register.currency
            shown["exception"] = draft_exception(shown, lambda v: money(v, currency))
        return shown


def _worth_reading(found: Any) -> dict[str, Any]:
    """A recommended lesson as the reports show it: title, source project, why."""
    return {"lesson_id": found.lesson_id, "lesson": found.lesson,
            "project_id": found.project_id, "recommendation": found.recommendation,
            "category": found.category, "why": list(found.why)}


def _digest(kind: str, context: dict[str, Any], common: dict[str, Any],
            templates_hash: str) -> str:
    """The hash of all a report shows (its data, the templates, the pmo-xl version); the
    generation time is left out, so unchanged data gives the same hash."""
    text = json.dumps({"kind": kind, "context": context, "common": common,
                       "templates": templates_hash}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _file_hash(inputs: str, fmt: str, engine: str | None) -> str:
    return hashlib.sha256(f"{inputs}|{fmt}|{engine if fmt == 'pdf' else ''}".encode()
                          ).hexdigest()


class _Batch:
    """The run over all reports: skip, render HTML, write, hand PDFs to the engines."""

    def __init__(self, out_dir: Path, formats: Sequence[str], engine: str | None, force: bool,
                 progress: Progress | None, previous: dict[str, Any], total: int,
                 origin: dict[str, Any]) -> None:
        self.out_dir, self.formats, self.engine, self.force = out_dir, formats, engine, force
        # Each file names the register it was made from: one folder may hold several's.
        self.origin = {"register": origin["file"], "register_sha256": origin["sha256"]}
        self.progress, self.total = progress, total
        self.previous = previous.get("files", {}) if isinstance(previous, dict) else {}
        self.results: list[FileResult] = []
        self.recorded: dict[str, dict[str, Any]] = {}
        self.rendered: set[str] = set()  # templates that rendered at least one report
        self.pending: dict[str, list[tuple[_Report, str, str, str]]] = {}

    def run(self, reports: Iterable[_Report], renderer: ReportRenderer, common: dict[str, Any],
            generated: str, jobs: int) -> None:
        pdf_jobs: list[tuple[str, str]] = []
        by_name: dict[str, tuple[_Report, str]] = {}
        for report in reports:
            for fmt in self.formats:
                name = f"{report.stem}.{fmt}"
                digest = _file_hash(report.inputs, fmt, self.engine)
                if self._unchanged(name, digest):
                    self._done(report, fmt, name, SKIPPED, digest, self.previous[name])
                    continue
                html = self._html(report, renderer, common, generated)
                if html is None:
                    self._failed(report, fmt, name, digest)
                elif fmt == "html":
                    self._write(report, name, html, digest)
                else:
                    pdf_jobs.append((name, html))
                    by_name[name] = (report, digest)
            # Written (and handed to the PDF engine, which keeps its own reference): the page
            # and its data are let go now, not at the end, so the batch holds one page at a
            # time.
            report.html, report.context = None, {}
        self._broken_templates()
        try:
            for name, seconds, error in render_pdfs(pdf_jobs, self.out_dir, self.engine or "",
                                                    renderer.folders, jobs):
                report, digest = by_name[name]
                self._done(report, "pdf", name, FAILED if error else WRITTEN, digest,
                           seconds=seconds, error=error)
        except WriteFailed as error:
            raise _output_error(error) from None

    def _failed(self, report: _Report, fmt: str, name: str, digest: str) -> None:
        """A report that could not be rendered. A template error is held back until a report
        of the same template renders: until then it may be the template's fault, not this
        project's, and is then said once (`_broken_templates`)."""
        pending = self.pending.setdefault(report.template, [])
        if report.template in self.rendered or report.problem is None:
            self._done(report, fmt, name, FAILED, digest, error=report.error)
        else:
            pending.append((report, fmt, name, digest))

    def _rendered(self, template: str) -> None:
        self.rendered.add(template)
        for report, fmt, name, digest in self.pending.pop(template, []):
            self._done(report, fmt, name, FAILED, digest, error=report.error)

    def _broken_templates(self) -> None:
        """A template that failed for every report it was to render is broken: stop, once."""
        for template, failures in self.pending.items():
            if failures and template not in self.rendered:
                problem = failures[0][0].problem
                assert problem is not None
                raise problem

    def _write(self, report: _Report, name: str, html: str, digest: str) -> None:
        started = time.perf_counter()
        try:
            write_atomic(self.out_dir / name, html.encode("utf-8"))
        except WriteFailed as error:
            raise _output_error(error) from None
        except OSError as error:  # this file's alone, e.g. open in another program
            problem = ("cannot be replaced: another program may have it open (close it and "
                       "run again)" if isinstance(error, PermissionError) else
                       f"cannot be written: {os_reason(error)}")
            self._done(report, "html", name, FAILED, digest, error=problem)
            return
        self._done(report, "html", name, WRITTEN, digest,
                   seconds=time.perf_counter() - started)

    def _unchanged(self, name: str, digest: str) -> bool:
        old = self.previous.get(name)
        return (not self.force and isinstance(old, dict) and old.get("inputs_sha256") == digest
                and (self.out_dir / name).is_file())

    def _html(self, report: _Report, renderer: ReportRenderer, common: dict[str, Any],
              generated: str) -> str | None:
        if report.html is None and report.error is None:
            try:
                report.html = renderer.render(report.template, common, generated,
                                              **report.context)
            except TemplateSyntaxError as error:  # broken for every report: stop, say it once
                raise template_problem(error) from None
            except TemplateError as error:
                report.problem = template_problem(error)
                report.error = str(report.problem)
            except Exception as error:  # one report's failure must not stop the batch
                report.error = f"{type(error).__name__}: {error}"
            if report.html is not None:
                self._rendered(report.template)
        return report.html

    def _done(self, report: _Report, fmt: str, name: str, status: str, digest: str,
              previous: dict[str, Any] | None = None, seconds: float = 0.0,
              error: str | None = None) -> None:
        result = FileResult(name, fmt, report.kind, report.info.get("project_id"), status,
                            round(seconds, 4), error, report.info.get("report", STATUS))
        self.results.append(result)
        if status == WRITTEN:
            self.recorded[name] = {**report.info, "format": fmt, "inputs_sha256": digest,
                                   "seconds": result.seconds, **self.origin}
        elif status == SKIPPED and previous is not None:
            self.recorded[name] = previous
        if self.progress:
            self.progress(result, len(self.results), self.total)

    def _still_listed(self, name: str, entry: object, ours: dict[str, str]) -> bool:
        """An earlier run's entry stays while its file is there; not when this run wrote that
        file under another case (one file on Windows and macOS), nor for a project report
        under a reserved name (an older run's collision with the batch's own files)."""
        if not isinstance(entry, dict) or ours.get(name.casefold(), name) != name:
            return False
        if entry.get("kind") != "portfolio" and (
                name.rpartition(".")[0].casefold() in RESERVED_STEMS):
            return False
        return (self.out_dir / name).is_file()

    def entries(self) -> dict[str, dict[str, Any]]:
        """Manifest entries of every report file now in the folder: this run's, plus earlier
        runs' files that still exist (a run for one project keeps the others listed)."""
        ours = {name.casefold(): name for name in self.recorded}
        kept = {name: entry for name, entry in self.previous.items()
                if self._still_listed(name, entry, ours)}
        failed = {r.name for r in self.results if r.status == FAILED}
        return {name: entry for name, entry in {**kept, **self.recorded}.items()
                if name not in failed or (self.out_dir / name).is_file()}


# --- files ------------------------------------------------------------------------------------


def _own_manifest(out_dir: Path) -> dict[str, Any]:
    """The folder's manifest.json ({} when there is none), which must be one pmo-xl wrote, as
    must an index.html: either may be the user's (a web site's index, another tool's
    manifest), and pmo-xl overwrites neither. An index.html is pmo-xl's when the manifest
    beside it is (the manifest is written first)."""
    path = out_dir / MANIFEST
    what_to_do = ("pmo-xl did not write it and will not overwrite it: choose another folder "
                  "for the reports, or move it away")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if (out_dir / INDEX).exists():
            raise OutputError(out_dir / INDEX, f"{what_to_do} (no {MANIFEST} beside it says "
                                               "pmo-xl wrote it)") from None
        return {}
    except (OSError, UnicodeDecodeError) as error:
        reason = os_reason(error) if isinstance(error, OSError) else "it is not text"
        raise OutputError(path, f"cannot be read ({reason}); {what_to_do}") from None
    try:
        loaded = json.loads(text)
    except ValueError:
        loaded = None
    if not (isinstance(loaded, dict) and isinstance(loaded.get("pmo_xl_version"), str)
            and isinstance(loaded.get("files"), dict)):
        raise OutputError(path, what_to_do)
    return loaded


def _write_index(out_dir: Path, renderer: ReportRenderer, common: dict[str, Any],
                 generated: str, entries: dict[str, dict[str, Any]]) -> None:
    projects: dict[str, dict[str, Any]] = {}
    portfolio_files = []
    for name in sorted(entries):
        entry = entries[name]
        link = {"name": name, "kind": str(entry.get("format", "")).upper()}
        if entry.get("kind") == "portfolio":
            portfolio_files.append(link)
            continue
        # One row per project, its reports of each kind together (an earlier version's
        # entries name no stem or report: status reports under their own stem).
        stem = entry.get("stem") or name.rsplit(".", 1)[0]
        row = projects.setdefault(stem, {**entry, "files": [], "by_kind": {}})
        row["files"].append(link)
        row["by_kind"].setdefault(entry.get("report") or STATUS, []).append(link)
    for row in projects.values():
        by_kind = row.pop("by_kind")
        row["reports"] = [{"kind": kind, "title": kind.capitalize(), "files": by_kind[kind]}
                          for kind in REPORT_KINDS if kind in by_kind]
    rows = sorted(projects.values(), key=lambda row: (natural_key(row.get("project_id")),
                                                       natural_key(row.get("project_name"))))
    html = renderer.render(INDEX_TEMPLATE, common, generated, entries=rows,
                           portfolio_files=portfolio_files)
    write_atomic(out_dir / INDEX, html.encode("utf-8"))


def _write_manifest(out_dir: Path, origin: dict[str, Any], common: dict[str, Any],
                    templates_hash: str, engine: str | None,
                    entries: dict[str, dict[str, Any]], results: list[FileResult],
                    generated: str) -> None:
    manifest = {
        "pmo_xl_version": __version__,
        # read_from "open workbook": the values on screen in Excel, which may differ from the
        # file's last saved state that sha256 describes.
        "register": origin,
        "as_of": common["as_of"],
        "baseline": common.get("baseline"),  # what the reports' changes are since, if any
        "templates_sha256": templates_hash,
        "pdf_engine": engine,
        "generated": generated,
        "files": entries,
        "failures": [asdict(r) for r in results if r.status == FAILED],
    }
    text = json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=False, default=str)
    write_atomic(out_dir / MANIFEST, text.encode("utf-8"))


__all__ = ["BatchResult", "FileResult", "PdfEngineError", "parse_formats", "write_reports"]
