"""Status reports: the data each report shows, and the Jinja2 templates that lay it out.

`report_data(register, validation, portfolio)` turns a register, its validation and its roll-up
into plain JSON-ready records: one per project (the roll-up's per-project figures exactly as
`pmo-xl rollup --format json` gives them, plus the register's people, dates and narrative, the
project's milestones, lessons and data issues, and as `columns` every cell of its row by
header text, columns the standard does not know included, as each milestone, lesson and RAID
row has of its own sheet's row; as `raid` what its report shows of the RAID log,
`raid.project_raid`, None without a RAID sheet, and as `raid_log` the log's rows)
and one for the portfolio (the roll-up's `to_dict()`, plus the exception list and the
milestones to watch). Nothing is computed here
that the roll-up already computes; templates only format and lay out.

`ReportRenderer` renders those records through the bundled templates (`report_templates/`,
installed as `pmo_xl.report_templates`), each of which a user may override by name from a
folder of their own. Autoescaping is on, so register text never becomes markup, and undefined
names fail loudly instead of printing blanks. Templates are shared between PMOs, so they are
data, not code: they run in Jinja2's sandbox (no attribute starting with `_`, no method that
changes the report data, only the template folders' own files), and a rendered report that
points outside itself (`references.outside_references`) is refused. Either refusal is a
`TemplateRefused`, which stops the batch like a template that does not parse.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import mimetypes
import re
import traceback
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from jinja2 import (
    BaseLoader,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PrefixLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    pass_context,
)
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup

from . import __version__
from . import formatting as fmt
from .changes import Changes, portfolio_since, project_since
from .errors import RegisterError, TemplateProblem
from .metrics import Rollup, plain_column, untracked_figures, usable_dates
from .raid import DECISIONS_AHEAD_DAYS, project_raid
from .raid_charts import dependency_graph_svg, heat_map_svg
from .reader import Register, Table, unmatched_columns
from .references import Reference, outside_references
from .rules import PERFORMANCE_TOLERANCE
from .schema import CLOSED, Kind
from .template_cache import template_cache
from .validation import Validation

TEMPLATES_PACKAGE = "pmo_xl.report_templates"
PROJECT_TEMPLATE = "project.html.j2"
HIGHLIGHT_TEMPLATE = "highlight.html.j2"
EXCEPTION_TEMPLATE = "exception.html.j2"
PORTFOLIO_TEMPLATE = "portfolio.html.j2"
INDEX_TEMPLATE = "index.html.j2"
PORTFOLIO_STEM = "portfolio-summary"
BUNDLED_PREFIX = "bundled"  # {% extends "bundled:project.html.j2" %}

# Register columns a project report shows besides the roll-up's own figures.
_REGISTER_FIELDS = ("business_unit", "sponsor", "project_manager", "schedule_rag", "cost_rag",
                    "priority", "start_date", "baseline_finish", "forecast_finish",
                    "actual_finish", "status_date", "status_summary", "key_risks", "next_steps",
                    "exception_options", "exception_recommendation")


# --- report data ------------------------------------------------------------------------------

LOGO_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
              ".svg": "image/svg+xml"}
LOGO_MAX_BYTES = 1024 * 1024  # a logo, not a photo: keeps every e-mailed report small


def logo_data_uri(register: Register) -> str | None:
    """The Settings Logo (inside the register's folder) as a data: URI, or None."""
    name = register.settings.logo.strip()
    if not name:
        return None
    kind = LOGO_TYPES.get(Path(name).suffix.lower())
    if kind is None:
        raise RegisterError(register.path, f"Settings Logo '{name}' is not a PNG, JPEG or SVG "
                                           "file")
    path = settings_path(register, "Logo", name, "copy the image into that folder (or one "
                                                 "below it) and name it relative to it")
    try:  # the OS refuses some names outright (a NUL byte, too long): the same one line
        if not path.is_file():
            raise RegisterError(register.path, f"Settings Logo '{name}' not found (looked "
                                               f"for {path})")
        data = path.read_bytes()
    except (OSError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise RegisterError(register.path, f"Settings Logo '{name[:80]}' cannot be read: "
                                           f"{reason}") from None
    if len(data) > LOGO_MAX_BYTES:
        raise RegisterError(register.path, f"Settings Logo '{name}' is larger than 1 MB")
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"


def output_folder(register: Register) -> Path:
    """The Settings Output Folder, taken from the register's folder and kept inside it (the
    command line's --out may name any folder; a register, which may come from anyone, may
    not)."""
    return settings_path(register, "Output Folder", register.settings.output_folder.strip(),
                         "name a folder inside it, such as 'Reports', or give the folder "
                         "with --out")


def templates_folder(register: Register) -> Path | None:
    """The Settings Templates Folder (inside the register's folder), or None when blank: the
    same overrides for the Excel buttons as `--templates` gives the command line."""
    name = register.settings.templates_folder.strip()
    if not name:
        return None
    path = settings_path(register, "Templates Folder", name, "copy the templates into a "
                         "folder inside it, or give the folder with --templates")
    try:
        found = path.is_dir()
    except (OSError, ValueError) as error:
        raise RegisterError(register.path, f"Settings Templates Folder '{name[:80]}' cannot "
                                           f"be used: {error}") from None
    if not found:
        raise RegisterError(register.path, f"Settings Templates Folder '{name[:80]}' is not a "
                                           f"folder (looked for {path})")
    return path


def settings_path(register: Register, setting: str, value: str, what_to_do: str) -> Path:
    """A path a Settings row names, relative to the register's folder: RegisterError naming
    the row's cell unless it stays inside that folder, symbolic links followed, whichever
    separator the register was written with (an absolute path, a drive, `..` above it)."""
    folder = register.path.parent
    try:
        inside = (not _leaves_folder(value)
                  and (folder / value).resolve().is_relative_to(folder.resolve()))
    except (OSError, ValueError, RuntimeError) as error:  # a NUL byte, a symlink loop
        raise RegisterError(register.path, f"Settings {setting} '{value[:80]}' cannot be "
                                           f"used: {error}") from None
    if not inside:
        raise RegisterError(register.path, f"Settings {setting} '{value[:80]}' "
                                           f"({_setting_place(register, setting, value)}) is "
                                           f"outside the register's folder {folder}: "
                                           f"{what_to_do}")
    return folder / value


def _leaves_folder(value: str) -> bool:
    """An absolute path, a drive, or more `..` than folders, with / or \\ as separator."""
    parts = PureWindowsPath(value)
    if parts.anchor or PurePosixPath(value).is_absolute():
        return True
    depth = 0  # folders below the register's folder
    for part in parts.parts:
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in ("", "."):
            depth += 1
    return False


def _setting_place(register: Register, setting: str, value: str) -> str:
    """Where a setting's value comes from: its cell on the Settings sheet, else the profile.
    Read again from the file, only to say so (the register keeps no Settings cells)."""
    from .cells import cell_ref, column_letter
    from .schema import normalise_header
    from .sources import open_register_file

    if register.settings_sheet:
        try:
            with open_register_file(register.path) as book:
                rows = book.sheet(register.settings_sheet).rows
        except (RegisterError, OSError):
            rows = []
        for r, row in enumerate(rows):
            for c, text in enumerate(row[:-1]):
                if isinstance(text, str) and normalise_header(text) == normalise_header(
                        setting) and str(row[c + 1]).strip() == value:
                    return f"cell {cell_ref(register.settings_sheet, column_letter(c + 1), r + 1)}"
    if register.profile is not None:
        return f"[settings] of the profile {register.profile}"
    return f"the {register.settings_sheet or 'Settings'} sheet"


@dataclass
class ReportData:
    """Everything the reports of one register show, as JSON-ready records: `projects` those
    of the projects at `positions` (every project's, unless `report_data` was given `only`),
    `listing` and `stems` every project's ID, name and row and its report's file stem. From
    `report_records`, `projects` is empty and `records` builds them, some at a time."""

    common: dict[str, Any]
    projects: list[dict[str, Any]]
    portfolio: dict[str, Any]
    stems: list[str] = field(default_factory=list)  # file name stem of each project's report
    listing: list[dict[str, Any]] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)
    records: ProjectRecords | None = None


def project_listing(portfolio: Rollup) -> list[dict[str, Any]]:
    """Every project's ID, name and Excel row, as its report record has them: enough to
    choose projects and name their files without building the records."""
    names = ("project_id", "project_name", "row")
    columns = [plain_column(name, portfolio.projects[name]).tolist() for name in names]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def report_data(register: Register, validation: Validation, portfolio: Rollup,
                changes: Changes | None = None,
                trends: dict[str, Any] | None = None,
                only: Sequence[int] | None = None,
                summary: bool | None = None) -> ReportData:
    """The records behind every report of this register (see the module docstring); with
    `changes`, what changed since a baseline, per project and for the portfolio. With
    `only` (positions on the Projects sheet, in order), the records of those projects alone:
    the selection is made before any cell is converted, so one project's report does not
    convert the whole register (the portfolio summary then covers those projects only).
    `summary`: whether to build the portfolio summary's own figures (the roll-up's, the
    RAID log's, the lessons log's recurring themes: seconds on a large register), which
    only the portfolio summary shows; without them `portfolio` holds what project reports
    show of it too (data quality, the baseline). Default: unless `only` is given."""
    data = report_records(register, validation, portfolio, changes, trends, only, summary)
    assert data.records is not None
    data.projects = [record for _at, records in data.records for record in records]
    return data


def report_records(register: Register, validation: Validation, portfolio: Rollup,
                   changes: Changes | None = None, trends: dict[str, Any] | None = None,
                   only: Sequence[int] | None = None, summary: bool | None = None,
                   size: int | None = None) -> ReportData:
    """`report_data` with the project records left to `records`, which yields them `size`
    projects at a time (all at once by default), so that a batch of 10,000 reports holds
    one chunk's records at a time, not every project's. The portfolio summary's milestones
    to watch and red projects cover every project it yields: complete once it is exhausted."""
    listing = project_listing(portfolio)
    positions = list(range(len(listing)) if only is None else only)
    wanted = only is None if summary is None else summary
    shown = (portfolio.to_dict(per_project=False) if wanted
             else {"data_quality": portfolio.data_quality()})
    common = {"organisation": register.settings.organisation,
              "logo": logo_data_uri(register),
              "currency": register.currency, "as_of": portfolio.as_of.isoformat(),
              "source": register.path.name, "version": __version__,
              "not_tracked": untracked_figures(register),
              "data_quality": shown["data_quality"],
              "raid": {"high_risk_score": register.settings.high_risk_score,
                       "decisions_ahead_days": DECISIONS_AHEAD_DAYS}}
    if changes is not None:  # the baseline is an input of every report: redone when it changes
        common["baseline"] = {"as_of": changes.since.isoformat(), "source": changes.baseline}
        shown["since"] = portfolio_since(changes)
    if trends is not None:
        shown["trend"] = _trend(trends.get("portfolio"))
    shown["watch_milestones"] = []  # filled in as the records are built, in this key order
    shown["lesson_themes"] = lesson_themes(register, portfolio.as_of) if wanted else None
    shown["red_projects"] = []
    records = ProjectRecords(_RecordSource(register, validation, portfolio, listing, changes,
                                           trends), positions, shown, size, whole=only is None)
    return ReportData(common, [], shown, report_stems(listing), listing, positions, records)


class ProjectRecords:
    """The records of the projects at `positions`, built `size` at a time as they are asked
    for: iterating yields each chunk's positions and records, in the register's order, and
    adds each chunk's milestones to watch and red projects to the portfolio summary."""

    def __init__(self, source: _RecordSource, positions: list[int], summary: dict[str, Any],
                 size: int | None, whole: bool) -> None:
        self.source, self.positions, self.summary = source, positions, summary
        self.size = max(1, size or len(positions))
        self.whole = whole  # every project: converted without selecting rows first

    def has_issues(self, position: int) -> bool:
        """Whether the project at this position has data issues (its record's `issues`),
        known before its record is built."""
        return bool(self.source.issues.get(self.source.listing[position]["row"]))

    def __iter__(self) -> Iterator[tuple[list[int], list[dict[str, Any]]]]:
        watch: list[dict[str, Any]] = []
        for start in range(0, len(self.positions), self.size):
            chunk = self.positions[start:start + self.size]
            every = self.whole and len(chunk) == len(self.source.listing)
            records = self.source.build(None if every else chunk)
            watch += _watched_milestones(records)
            self.summary["red_projects"] += [p["project_id"] for p in records
                                             if p["overall_rag"] == "Red" and p["phase"] != CLOSED]
            yield chunk, records
        self.summary["watch_milestones"] = _watch_milestones(watch)


class _RecordSource:
    """What every project record is built from, prepared once per register: the records of
    any projects are then built from it (`build`), converting their cells alone."""

    def __init__(self, register: Register, validation: Validation, portfolio: Rollup,
                 listing: list[dict[str, Any]], changes: Changes | None,
                 trends: dict[str, Any] | None) -> None:
        self.register, self.portfolio, self.listing = register, portfolio, listing
        self.changes = changes
        self.trends = None if trends is None else trends.get("projects") or {}
        self.details = _register_details(register)
        children = {t.schema.group or t.schema.name.lower(): _ChildRows(t, frame)
                    for t, frame in ((register.table(name), frame)
                                     for name, frame in portfolio.children.items())
                    if t is not None}
        # The RAID sheet's rows are the log ("raid_log"); "raid" is what the report shows of it.
        if "raid" in children:
            children["raid_log"] = children.pop("raid")
        self.children = children
        self.issues = _issues_by_project(register, validation)

    def build(self, positions: list[int] | None) -> list[dict[str, Any]]:
        """The records of the projects at these positions (None: every project's)."""
        at = list(range(len(self.listing))) if positions is None else positions
        records = self.portfolio.per_project(positions)
        details = _plain_records(self.details.iloc[at], None)
        columns = register_columns(self.register.projects, positions)
        keys = None if positions is None else {_id_key(self.listing[i]["project_id"])
                                               for i in at}
        children = {group: rows.by_project(keys) for group, rows in self.children.items()}
        raid = project_raid(self.portfolio.raid, self.portfolio.projects.iloc[at])
        projects = []
        for record, detail, cells, figures in zip(records, details, columns, raid, strict=True):
            key = _id_key(record["project_id"])
            projects.append({**record, **detail, "columns": cells,
                             **{group: rows.get(key, []) for group, rows in children.items()},
                             "raid": figures, "issues": self.issues.get(record["row"], [])})
        for project in projects:
            if self.changes is not None:
                project["since"] = project_since(self.changes, project["project_id"])
            if self.trends is not None:
                project["trend"] = _trend(self.trends.get(str(project["project_id"])))
        return projects


LESSON_THEMES_SHOWN = 8  # the portfolio summary's largest recurring themes


def lesson_themes(register: Register, as_of: dt.date) -> list[dict[str, Any]] | None:
    """The lessons log's recurring themes for the portfolio summary, largest first
    (`pmo_xl.lessons.themes`, as `pmo-xl lessons --themes` lists them): what several
    projects keep relearning is the portfolio's to fix, not one project manager's. None
    without a Lessons sheet."""
    from .lessons import build_index, themes

    if register.lessons is None:
        return None
    found = themes(build_index(register, as_of=as_of))
    return [t.to_dict() for t in found[:LESSON_THEMES_SHOWN]]


TREND_MIN_SNAPSHOTS = 3  # fewer points make no trend worth a chart


def _trend(points: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    """The history's trend, where there are enough snapshots to draw one."""
    points = points or []
    return points if len(points) >= TREND_MIN_SNAPSHOTS else None


def _register_details(register: Register) -> pd.DataFrame:
    """The register's own fields a project report shows: usable dates (a value that failed
    validation is blank here too), dropdowns as their meaning plus `<key>_label`, the word."""
    table = register.projects
    dates = usable_dates(table)
    frame = {}
    for key in _REGISTER_FIELDS:
        column = table.schema.column(key)
        frame[key] = dates[key] if column.kind is Kind.DATE else table.values[key]
        if column.kind is Kind.ENUM:
            frame[f"{key}_label"] = table.label(key)
    return pd.DataFrame(frame, index=table.rows.index)


def register_columns(table: Table, rows: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """Per row (or per row at the positions `rows`), every column of the sheet as the
    register holds it, keyed by the header text in the sheet's order, the columns the
    standard does not know included: text as written (a value that failed validation too),
    numbers, dates as ISO dates, blanks as None."""
    positions = table.layout.positions() if table.layout is not None else {}
    found = [(positions.get(key, len(positions)), table.headers.get(key, key).strip(),
              table.raw[key]) for key in table.raw.columns]
    if table.extra is not None and table.layout is not None:
        found += [(at, name, table.extra[name])
                  for name, at in unmatched_columns(table.layout).items()]
    found.sort(key=lambda column: column[0])
    names = [name for _at, name, _cells in found]
    values = [_cell_values(cells if rows is None else cells.iloc[list(rows)])
              for _at, _name, cells in found]
    count = len(table) if rows is None else len(rows)
    return [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)] or [
        {} for _ in range(count)]


def _cell_values(cells: pd.Series) -> list[Any]:
    """A column of raw cells as JSON-ready values, column-wise where its type allows: whole
    numbers as int (100000, not 100000.0), dates as ISO dates."""
    if pd.api.types.is_datetime64_any_dtype(cells):
        return _plain(cells.dt.strftime("%Y-%m-%d"))
    if pd.api.types.is_float_dtype(cells):
        cells = cells.where(np.isfinite(cells))
        whole = cells.notna() & (cells % 1 == 0) & (cells.abs() < 2**53)
        shown = cells.astype(object)
        shown[whole] = cells[whole].astype("int64").astype(object)
        return _plain(shown)
    if cells.dtype == object:  # a column of mixed kinds: cell by cell
        return [_cell_value(value) for value in _plain(cells)]
    return _plain(cells)


def _cell_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        if not np.isfinite(value):
            return None
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    return value.item() if hasattr(value, "item") else value


def _plain(values: pd.Series) -> list[Any]:
    return values.astype(object).where(values.notna(), None).tolist()


def exceptions(portfolio: Rollup) -> list[dict[str, Any]]:
    """Open projects that need management attention, with the reasons (`Rollup.exceptions`)."""
    return portfolio.exceptions()


def _watched_milestones(projects: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """These projects' milestones overdue or due within the roll-up's due-soon window."""
    return [{**m, "project_id": p["project_id"], "project_name": p["project_name"]}
            for p in projects for m in p.get("milestones", []) if m["overdue"] or m["due_soon"]]


def _watch_milestones(watched: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The milestones to watch, soonest first (a stable sort: register order within a day)."""
    return sorted(watched, key=lambda m: (m["expected_date"] or "", m["project_id"] or ""))


def _id_key(project_id: object) -> str:
    return str(project_id).strip().casefold() if project_id is not None else ""


def _plain_records(frame: pd.DataFrame, fields: Iterable[str] | None) -> list[dict[str, Any]]:
    """Rows as JSON-ready records, converted column-wise (`metrics.plain_column`)."""
    names = list(frame.columns if fields is None else fields)
    columns = [plain_column(name, frame[name]).tolist() for name in names]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


class _ChildRows:
    """A child sheet's rows (milestones, lessons, the RAID log), their Project IDs keyed once,
    so that the rows of any projects are selected without converting the others."""

    def __init__(self, table: Table, frame: pd.DataFrame) -> None:
        self.table, self.frame = table, frame  # the frame's rows are the table's, in order
        # each distinct ID keyed once; blanks (None) are code -1, last
        self.codes, ids = pd.factorize(
            plain_column("project_id", frame["project_id"]).to_numpy())
        self.keys = [_id_key(i) for i in [*ids, None]]

    def by_project(self, keys: set[str] | None = None) -> dict[str, list[dict]]:
        """The rows as records, grouped by their project (of the projects whose `_id_key` is
        in `keys`, when given: the other rows are not converted); dropdowns show the
        organisation's words, and `columns` holds every cell of the row by header text, as
        a project's does (`register_columns`)."""
        frame, rows = self.frame, None
        if keys is not None:
            inside = np.array([key in keys for key in self.keys], dtype=bool)[self.codes]
            frame, rows = frame[inside], np.flatnonzero(inside).tolist()
        words = {c.removesuffix("_label"): frame[c] for c in frame.columns
                 if c.endswith("_label")}
        shown = frame.assign(**words).drop(columns=[f"{k}_label" for k in words])
        if "slip_days" in shown:
            shown = shown.assign(slip_days=shown["slip_days"].astype("Int64"))
        grouped: dict[str, list[dict]] = {}
        cells = register_columns(self.table, rows)
        for record, columns in zip(_plain_records(shown, None), cells, strict=True):
            record["columns"] = columns
            grouped.setdefault(_id_key(record["project_id"]), []).append(record)
        return grouped


def _issues_by_project(register: Register, validation: Validation) -> dict[int, list[dict]]:
    """Validation errors of each project's row and of its child sheets' rows, keyed by the
    project's Excel row (a child row belongs to the first project of its Project ID). Only
    the rows with errors are looked up: a register has far fewer errors than rows."""
    errors = validation.findings[validation.findings["severity"] == "error"]
    if errors.empty:
        return {}
    found = errors[["sheet", "row", "cell", "rule", "message"]].to_dict("records")
    owner = _error_owners(register, {(f["sheet"], int(f["row"])) for f in found})
    issues: dict[int, list[dict]] = {}
    for f in found:
        project_row = owner.get((f["sheet"], int(f["row"])))
        if project_row is not None:
            issues.setdefault(project_row, []).append(
                {"cell": f["cell"], "rule": f["rule"], "message": f["message"]})
    return issues


def _error_owners(register: Register, wanted: set[tuple[str, int]]) -> dict[tuple[str, int],
                                                                              int]:
    """The project row owning each (sheet, row) with an error: a project row itself; a child
    sheet's row, the first project row of its Project ID (a later sheet of the same name
    wins, as each sheet's rows are filed in turn)."""
    projects = register.projects
    rows = list(map(int, projects.rows))
    kept = set(rows)
    owner = {(sheet, row): row for sheet, row in wanted if sheet == projects.sheet and row in kept}
    rows_by_id: dict[str, int] = {}
    # IDs as Python objects in one conversion: iterating an Arrow-backed column goes
    # through pandas cell by cell (0.1 s for a 60k-item RAID log).
    for pid, row in zip(projects.values["project_id"].to_numpy(dtype=object), rows,
                        strict=True):
        rows_by_id.setdefault(_id_key(pid), row)
    for table in register.children():
        asked = sorted(row for sheet, row in wanted if sheet == table.sheet)
        if not asked:
            continue
        at = pd.Index(table.rows.to_numpy(dtype=np.int64)).get_indexer(asked).tolist()
        ids = table.values["project_id"].to_numpy(dtype=object)
        for row, position in zip(asked, at, strict=True):
            key = _id_key(ids[position]) if position >= 0 else None
            if key in rows_by_id:
                owner[(table.sheet, row)] = rows_by_id[key]
    return owner


# --- file names ---------------------------------------------------------------------------------

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
                     *(f"LPT{i}" for i in range(1, 10))}


def slug(text: object, limit: int = 60) -> str:
    """A file-name-safe slug: ASCII letters, digits, '.', '_' and '-' only, no leading dots,
    never a Windows device name, at most `limit` characters."""
    cleaned = _UNSAFE.sub("-", _ascii(text)).strip("-._")[:limit].strip("-._")
    if cleaned.split(".")[0].upper() in _WINDOWS_RESERVED:
        cleaned = f"_{cleaned}"
    return cleaned


def _ascii(text: object) -> str:
    """The text with accents taken off letters and what is not ASCII left out."""
    shown = str(text or "")
    if shown.isascii():  # ASCII has nothing to decompose: most IDs and names skip this
        return shown
    return unicodedata.normalize("NFKD", shown).encode("ascii", "ignore").decode()


# `slug` of ASCII text as Arrow's (RE2's) patterns: the same classes on ASCII as `re`'s.
_UNSAFE_RE2 = r"[^A-Za-z0-9._-]+"
_RESERVED_RE2 = r"^(CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])(\.|$)"
_TRIMMED = "-._"


def slugs(texts: Sequence[object], limit: int = 60) -> list[str]:
    """`slug` of each text, the same strings, made column-wise in Arrow's C once the texts
    are ASCII. A report's file name is made unique over the whole register, so every
    project's is made even when one project is reported (20,000 slugs at 10k projects:
    0.07 s one by one)."""
    shown = pa.array([_ascii(text) for text in texts], pa.string())
    if not len(shown):
        return []
    cleaned = pc.utf8_slice_codeunits(pc.ascii_trim(pc.replace_substring_regex(
        shown, _UNSAFE_RE2, "-"), _TRIMMED), 0, limit)
    cleaned = pc.ascii_trim(cleaned, _TRIMMED)
    reserved = pc.match_substring_regex(cleaned, _RESERVED_RE2, ignore_case=True)
    cleaned = pc.if_else(reserved, pc.binary_join_element_wise("_", cleaned, ""), cleaned)
    return cleaned.to_pylist()


_DIGITS = re.compile(r"([0-9]+)")


def natural_key(text: object) -> tuple[Any, ...]:
    """A sort key that orders as people read: case-insensitive, numbers by value (PRJ-2
    before PRJ-10, prj-0019 among PRJ-0018 and PRJ-0020); blanks last."""
    shown = "" if text is None else str(text).strip()
    if not shown:
        return (1,)
    parts = tuple((0, int(part), part) if part.isdigit() else (1, 0, part.casefold())
                  for part in _DIGITS.split(shown) if part)
    return (0, parts, shown)  # the text itself last: a stable order for 'a' and 'A'


def report_stems(projects: Iterable[dict[str, Any]]) -> list[str]:
    """`<ProjectID>-<slug-of-name>` per project, made unique by the Excel row when two
    projects would share a name (duplicate IDs happen in real registers)."""
    projects = list(projects)
    stems: list[str] = []
    seen: set[str] = set()
    for p, pid, name in zip(projects, slugs([p["project_id"] for p in projects], 30),
                            slugs([p["project_name"] for p in projects]), strict=True):
        stem = f"{pid}-{name}" if pid and name else pid or name or f"row-{p['row']}"
        if stem.casefold() in seen or stem == PORTFOLIO_STEM:
            stem = f"{stem}-row-{p['row']}"
        seen.add(stem.casefold())
        stems.append(stem)
    return stems


# --- rendering ----------------------------------------------------------------------------------


def bundled_templates() -> Path:
    """The folder of the bundled templates (a real folder in a checkout and when installed).
    A checkout's own `report_templates/` beside the package wins over what the import
    system maps, so the templates are always those of the code that runs: an editable
    install maps the package to the checkout it was installed from, which need not be the
    checkout on PYTHONPATH."""
    checkout = Path(__file__).resolve().parents[1] / "report_templates"
    try:
        if (checkout / "__init__.py").is_file() and (checkout / PROJECT_TEMPLATE).is_file():
            return checkout
    except OSError:  # a folder this user may not look into: the import system decides
        pass
    return Path(str(resources.files(TEMPLATES_PACKAGE)))


class TemplateRefused(TemplateSyntaxError):
    """A template pmo-xl will not run: it reached outside the sandbox, or what it made points
    outside the report. A TemplateSyntaxError, so that whatever stops on a template that does
    not parse (the batch: at once, one line, exit 2) stops on this too. Line 0: not known."""


class _FolderLoader(FileSystemLoader):
    """One template folder's own files: a link in it to a file elsewhere is refused (a shared
    folder could otherwise carry a link to any file the user can read)."""

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Any]:
        source, filename, uptodate = super().get_source(environment, template)
        folder = Path(self.searchpath[0]).resolve()
        if not Path(filename).resolve().is_relative_to(folder):
            raise TemplateRefused(f"'{template}' is a link to a file outside the template "
                                  f"folder {folder}: copy the file itself there", 0,
                                  template, filename)
        return source, filename, uptodate


class ReportRenderer:
    """The Jinja2 environment of the reports: a user's template folder first, then the
    bundled templates; sandboxed; autoescaped; strict about undefined names."""

    def __init__(self, user_templates: Path | None = None) -> None:
        self.folders = [*([user_templates.resolve()] if user_templates else []),
                        bundled_templates()]
        # "bundled:NAME" is always the bundled file, so that a user's template of the same
        # name can extend it; a plain name is the user's file when there is one.
        bundled = PrefixLoader({BUNDLED_PREFIX: _FolderLoader(str(self.folders[-1]))},
                               delimiter=":")
        loaders: list[BaseLoader] = [bundled, *(_FolderLoader(str(f)) for f in self.folders)]
        # Immutable too: a template must not change the data the next report shows.
        self.env = ImmutableSandboxedEnvironment(
            loader=ChoiceLoader(loaders), autoescape=True, undefined=StrictUndefined,
            trim_blocks=True, lstrip_blocks=True, bytecode_cache=template_cache())
        self.env.globals.update(data_uri=self.data_uri, has_asset=self.has_asset,
                                tolerance=PERFORMANCE_TOLERANCE, tracked=_tracked,
                                covered=_covered, raid_heat_map=heat_map_svg,
                                dependency_graph=dependency_graph_svg)
        self.env.filters.update(money=_money, ratio=fmt.ratio, percent=fmt.percent, day=fmt.day,
                                css_string=css_string)

    def template_set_hash(self) -> str:
        """sha256 over every template file in effect (a user's file wins over the bundled;
        a bundled file it hides is still in effect as "bundled:NAME")."""
        effective: dict[str, Path] = {}
        for folder in reversed(self.folders):
            for path in sorted(folder.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".py":
                    name = path.relative_to(folder).as_posix()
                    if name in effective:
                        effective[f"{BUNDLED_PREFIX}:{name}"] = effective[name]
                    effective[name] = path
        digest = hashlib.sha256()
        for name in sorted(effective):
            digest.update(name.encode() + b"\0" + effective[name].read_bytes() + b"\0")
        return digest.hexdigest()

    def _asset(self, name: str) -> Path | None:
        for folder in self.folders:
            path = (folder / name).resolve()
            if path.is_relative_to(folder) and path.is_file():
                return path
        return None

    def has_asset(self, name: str) -> bool:
        return self._asset(name) is not None

    def data_uri(self, name: str) -> str:
        """A file of the template folders (logo, font) inlined as a data: URI, so that every
        report is one self-contained file."""
        path = self._asset(name)
        if path is None:
            raise TemplateNotFound(name)
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode()}"

    def render(self, template: str, common: dict[str, Any], generated: str,
               **context: Any) -> str:
        """The template's HTML; TemplateRefused if it leaves the sandbox or the report."""
        loaded = self.env.get_template(template)
        try:
            html = loaded.render(common=common, generated=generated, **context)
        except SecurityError as error:
            problem = template_problem(error)
            raise TemplateRefused(f"{problem.problem.rstrip('.')}: templates run sandboxed, "
                                  "with nothing but the report's data; remove it",
                                  problem.line or 0, template, problem.template) from None
        outside = outside_references(html)
        if outside:
            raise self._refusal(outside[0], loaded.filename or template)
        return html

    def _refusal(self, found: Reference, rendered: str) -> TemplateRefused:
        """The first reference outside the report, at the template line that has it (when
        the text is in a template file as it is; else the template rendered)."""
        filename, line = self._locate(found.needle) or (rendered, 0)
        return TemplateRefused(f"{_one_line(found.shown)} {found.why}; remove it (a report "
                               "may use only data: URIs, #anchors, mailto: links and links "
                               "to the reports beside it)", line, Path(filename).name,
                               filename)

    def _locate(self, needle: str) -> tuple[str, int] | None:
        """The first template file (the user's before the bundled) and line holding the
        needle, ignoring case."""
        wanted = needle.strip().lower()
        if not wanted:
            return None
        for folder in self.folders:
            for path in sorted(folder.rglob("*")):
                if path.suffix in (".py", ".pyc") or not path.is_file():
                    continue
                try:
                    text = path.read_text(encoding="utf-8", errors="replace").lower()
                except OSError:
                    continue
                at = text.find(wanted)
                if at >= 0:
                    return str(path), text.count("\n", 0, at) + 1
        return None


def template_problem(error: TemplateError) -> TemplateProblem:
    """A Jinja2 error as one line: the template's file and line, and what is wrong."""
    if isinstance(error, TemplateSyntaxError):
        name = error.filename or error.name or "template"
        return TemplateProblem(name, error.lineno, error.message or str(error))
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if f.filename.endswith((".j2", ".html", ".css"))]
    if not frames:
        return TemplateProblem("template", None, str(error))
    # The outermost template is the one rendered; an undefined value passed on to a macro
    # fails only inside it, so name where it failed too.
    first, last = frames[0], frames[-1]
    inner = (f" (in {Path(last.filename).name}, line {last.lineno})"
             if (last.filename, last.lineno) != (first.filename, first.lineno) else "")
    return TemplateProblem(first.filename, first.lineno, f"{error}{inner}")


def _one_line(text: str, limit: int = 100) -> str:
    """Text for a one-line message: control characters as '?', at most `limit` characters."""
    shown = "".join("?" if unicodedata.category(c).startswith("C") else c for c in text)
    return shown if len(shown) <= limit else f"{shown[:limit - 1]}…"


@pass_context
def _money(context: Any, value: float | None, decimals: int = 0) -> str:
    """Money in the register's currency (Settings), from the roll-up's figure."""
    return fmt.money(value, context["common"]["currency"], decimals=decimals)


@pass_context
def _tracked(context: Any, figure: str) -> bool:
    """Whether the register keeps every column this figure needs (`metrics.FIGURE_NEEDS`)."""
    return figure not in context["common"]["not_tracked"]


def _covered(counted: int, total: int) -> Markup | str:
    """' (34 of 35)' after a portfolio figure that covers only part of the portfolio."""
    return Markup(f" <small>({counted} of {total})</small>") if counted < total else ""


_WORD_JOINER = "\u2060"  # invisible; keeps '(' and '@' from joining what comes before


def css_string(text: object) -> Markup:
    """Text (a project's name, say) as a quoted CSS string for a `content:` property: every
    character but ASCII letters, digits and spaces escaped (the space after an escape ends
    it), so that nothing ends the string or the <style>; and a word joiner before each '('
    and after each '@', so that register text never reads as url(...) or @import to
    `references.css_references`, which would refuse the report for it."""
    plain = text.unescape() if isinstance(text, Markup) else str(text)
    plain = plain.replace("(", f"{_WORD_JOINER}(").replace("@", f"@{_WORD_JOINER}")
    shown = "".join(c if c.isascii() and (c.isalnum() or c == " ") else f"\\{ord(c):06x} "
                    for c in plain)
    return Markup(f'"{shown}"')
