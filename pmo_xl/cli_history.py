"""The command line's period-over-period commands: `snapshot`, `history list|export` and
`changes`. Like the rest of the command line, a thin skin: the store is `history`, the
comparison `changes`."""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import re
import sys
from pathlib import Path
from typing import Any

from .errors import OutputError, RegisterError, os_reason

PREVIOUS = "previous"
_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")


def add_parsers(commands: Any, common: argparse.ArgumentParser,
                register_arguments: Any) -> None:
    snapshot = commands.add_parser(
        "snapshot", parents=[common], help="record the register's roll-up as of a date",
        description="Record the roll-up of the register as of a date (every field and "
                    "figure per project, the milestones and lessons) in the history file; "
                    "re-recording the same as-of date replaces it.")
    register_arguments(snapshot)
    _history_option(snapshot)

    history = commands.add_parser("history", parents=[common],
                                  help="the snapshots a history holds: list or export them")
    actions = history.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", parents=[common], help="dates, projects, hashes")
    listing.add_argument("register", type=Path, help="the register")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    _history_option(listing)
    export = actions.add_parser("export", parents=[common],
                                help="one tidy table (as_of, project_id, every field)")
    export.add_argument("register", type=Path, help="the register")
    export.add_argument("--format", choices=("csv", "parquet"), default="csv")
    export.add_argument("--out", type=Path, required=True, metavar="PATH")
    export.add_argument("--table", default="Projects", metavar="SHEET",
                        help="which sheet's rows (default Projects; or Milestones, Lessons)")
    _history_option(export)

    changes = commands.add_parser(
        "changes", parents=[common], help="what changed since an earlier copy or snapshot",
        description="What changed per project and for the portfolio since a baseline: an "
                    "earlier copy of the register (a path), a snapshot's date (YYYY-MM-DD: "
                    "the latest snapshot on or before it) or 'previous' (the latest snapshot "
                    "before the as-of date).")
    register_arguments(changes)
    changes.add_argument("--since", required=True, metavar="PATH|DATE|previous")
    _history_option(changes)


def _history_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--history", type=Path, metavar="PATH",
                        help="the history file (default: <register>.history.sqlite beside "
                             "the register)")


def history_path(args: argparse.Namespace) -> Path:
    from .history import default_history_path

    return args.history or default_history_path(args.register)


def register_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
    except OSError as error:
        raise RegisterError(path, f"cannot be read: {os_reason(error)}") from None
    return digest.hexdigest()


def snapshot_command(args: argparse.Namespace, read: Any, print_json: Any) -> int:
    from .history import History, take_snapshot

    register = read(args)
    snapshot = take_snapshot(register, args.as_of, sha256=register_sha256(args.register))
    path = history_path(args)
    with History(path) as history:
        history.record(snapshot)
        held = len(history.snapshots())
    info = snapshot.info
    if args.format == "json":
        print_json({"history": str(path), "snapshots": held, "recorded": info.to_dict()})
    else:
        print(f"Recorded the snapshot as of {info.as_of.isoformat()} ({info.projects} "
              f"projects) in {path}; it holds {held} snapshot{'s' * (held != 1)}.")
    return 0


def history_command(args: argparse.Namespace, print_json: Any) -> int:
    from .history import History

    with History(history_path(args), create=False) as history:
        if args.action == "list":
            return _list(history, args, print_json)
        table = history.export_table(args.table)
    _export(table, args.format, args.out)
    print(f"Wrote {len(table)} rows of {args.table} to {args.out}.")
    return 0


def _list(history: Any, args: argparse.Namespace, print_json: Any) -> int:
    infos = history.snapshots()
    if args.format == "json":
        print_json({"history": str(history.path), "snapshots": [i.to_dict() for i in infos]})
        return 0
    print(f"{history.path}: {len(infos)} snapshot{'s' * (len(infos) != 1)}")
    for info in infos:
        print(f"  {info.as_of.isoformat()}  {info.projects:>6} projects  "
              f"{info.register_sha256[:12]}  pmo-xl {info.pmo_xl_version}")
    return 0


def _export(table: Any, fmt: str, out: Path) -> None:
    """The tidy table (a `history_columnar.TidyTable`) written as CSV or Parquet, streamed
    into the file's temporary (a year of weekly snapshots is hundreds of MB of CSV)."""
    import pyarrow as pa

    from .fileio import atomic_file

    write = table.write_csv if fmt == "csv" else table.write_parquet
    try:
        with atomic_file(out) as temp, pa.OSFile(str(temp), "wb") as sink:
            write(sink)
    except OSError as error:
        raise OutputError(out, f"cannot be written: {os_reason(error)}") from None


def changes_command(args: argparse.Namespace, read: Any, print_json: Any) -> int:
    from .changes import BASELINE_FIELDS, compare
    from .history import take_snapshot

    register = read(args)
    # The columns the comparison reads, as of a baseline: not every field and figure.
    current = take_snapshot(register, args.as_of, fields=BASELINE_FIELDS)
    baseline = baseline_snapshot(args, read, current.info.as_of)
    result = compare(baseline, current, register.standard)
    if args.format == "json":
        print_json(result.to_dict())
    else:
        _print_changes(result)
    return 0


def baseline_snapshot(args: argparse.Namespace, read: Any, as_of: dt.date) -> Any:
    """The snapshot to compare with: from the history (a date, or 'previous'), else an
    earlier copy of the register read through the same profile."""
    from .changes import BASELINE_FIELDS
    from .history import take_snapshot

    since = args.since.strip()
    day = _date(since)
    if day is not None or since == PREVIOUS:
        with _store(args) as history:
            found = (history.before(as_of) if day is None else
                     next((s for s in reversed(history.snapshots()) if s.as_of <= day), None))
            if found is None:
                when = f"before {as_of.isoformat()}" if day is None else f"on or before {since}"
                raise RegisterError(history.path, f"no snapshot {when}: `pmo-xl history "
                                                  "list` shows the dates it holds")
            return history.load(found.as_of, fields=BASELINE_FIELDS)
    copy = Path(since)
    earlier = read(argparse.Namespace(**{**vars(args), "register": copy}))
    return take_snapshot(earlier, _copy_as_of(earlier, copy), fields=BASELINE_FIELDS)


def history_trends(args: argparse.Namespace, as_of: dt.date) -> dict[str, Any] | None:
    """The trends of the register's history, when it has one."""
    path = history_path(args)
    if not path.is_file() and (args.history or workbook_history(args.register) is None):
        return None
    with _store(args) as history:
        return {"portfolio": history.trend(as_of), "projects": history.project_trends(as_of)}


def _store(args: argparse.Namespace) -> Any:
    """The history that --since reads: the history file, else (none given, none beside the
    register) the History sheets of a workbook whose Roll up button kept them."""
    from .history import History

    path = history_path(args)
    if args.history is None and not path.is_file():
        sheets = workbook_history(args.register)
        if sheets is not None:
            return sheets
    return History(path, create=False)


def workbook_history(register: Path) -> Any:
    """The in-memory history of the register workbook's History sheets, or None."""
    from .history_sheets import history_sheet_names, read_history
    from .sources import open_register_file

    with open_register_file(register) as book:
        names = history_sheet_names(book.sheet_names)
        if not names:
            return None
        return read_history(register, {name: book.sheet(name).rows for name in names})


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _copy_as_of(register: Any, path: Path) -> dt.date:
    """An earlier copy's as-of date: its Settings Report Date, else a date in its file name
    (`Register 2026-11-24.xlsx`), else the day it was last saved."""
    if register.settings.report_date is not None:
        return register.settings.report_date
    found = _DATE_IN_NAME.search(path.name)
    if found:
        day = _date("-".join(found.groups()))
        if day is not None:
            return day
    return dt.date.fromtimestamp(path.stat().st_mtime)


def _print_changes(result: Any) -> None:
    from .changes import sentence, summary_lines
    from .terminal import shown_all

    lines = summary_lines(result)
    lines[1:] = [f"  {line}" for line in lines[1:]]
    for project_id in result.project_order():
        lines += ["", project_id]
        lines += [f"  - {sentence(change)}" for change in result.of(project_id)]
    for warning in result.warnings:
        lines += ["", f"warning: {warning.project_id}: {sentence(warning)}"]
    # Every line through `shown`: cells and paths may hold control characters (`shown_all`
    # looks for them in all the lines at once).
    sys.stdout.write("".join(line + "\n" for line in shown_all(lines)))
