"""The `pmo-xl` command line: a thin skin over the core.

Each command reads its input, calls one core function, and presents the result as text (rich
tables on a terminal) or JSON (written whole or not at all, strict: never NaN or Infinity).

Exit codes: 0 fine; 1 the register has errors (validate, new --from) or a report failed;
2 the input or output is unusable (one line on stderr naming the file and the problem, and
nothing half-written); 3 an unexpected internal error (one line saying where the traceback
was written; `--debug` shows it instead); 130 interrupted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from . import __version__
from .errors import OutputError, RegisterError, TemplateProblem, os_reason
from .terminal import echo, json_text, shown

EXIT_OK, EXIT_FINDINGS, EXIT_UNUSABLE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
TRACEBACK_LOG = "pmo-xl-error.log"
EXIT_CODES = (
    (EXIT_OK, "fine: no errors (warnings and notes allowed); every report written"),
    (EXIT_FINDINGS, "the register has errors (validate, new --from), or a report failed"),
    (EXIT_UNUSABLE, "unusable input or output: one line on stderr naming the file and what to "
                    "do; nothing half-written"),
    (EXIT_INTERNAL, "an unexpected internal error: one line saying where the traceback was "
                    "written (--debug prints it)"),
    (EXIT_INTERRUPTED, "interrupted (Ctrl-C)"),
)


def _as_of(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a positive whole number")
    return int(text)


def _debug_option() -> argparse.ArgumentParser:
    # SUPPRESS: a subcommand's default must not overwrite `pmo-xl --debug COMMAND`.
    common = _Parser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the traceback of an internal error")
    return common


class _Parser(argparse.ArgumentParser):
    """argparse, with the user's words in its error line made safe to show (a file name
    from a directory listing may hold anything)."""

    def error(self, message: str) -> NoReturn:
        super().error(shown(message))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="pmo-xl", description="Validate, roll up and report on a PMO project register.",
        epilog="Exit codes: " + "; ".join(f"{code} {text}" for code, text in EXIT_CODES))
    parser.add_argument("--version", action="version", version=f"pmo-xl {__version__}")
    parser.add_argument("--debug", action="store_true", default=False,
                        help="show the traceback of an internal error")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = _debug_option()

    validate = commands.add_parser(
        "validate", parents=[common], help="check a register; every finding names its cell",
        description="Check a register against the organisation's standard. Exit 0: no errors; "
                    "1: errors found; 2: unusable input.")
    _register_arguments(validate)

    rollup = commands.add_parser(
        "rollup", parents=[common],
        help="portfolio metrics: counts, budget, earned value, slippage, staleness",
        description="Roll the register up into portfolio metrics as of a date.")
    _register_arguments(rollup)

    inspect = commands.add_parser(
        "inspect", parents=[common],
        help="how pmo-xl reads a register: headers, values, date orders, units",
        description="Show how pmo-xl reads a register: the header row of each sheet, how each "
                    "header maps to a pmo-xl column (or suggestions), the columns not found, "
                    "the values of each dropdown column and those outside the vocabulary, the "
                    "date order and money unit of each column, totals and hidden rows. "
                    "--write-profile writes a starter profile to edit.")
    _register_arguments(inspect, as_of=False)
    inspect.add_argument("--write-profile", type=Path, metavar="OUT",
                         help="write a starter profile (TOML) with every confident mapping "
                              "filled in and every doubtful one as a comment")
    inspect.add_argument("--force", action="store_true",
                         help="overwrite an existing --write-profile file")

    _sample_parser(commands, common)
    _new_parser(commands, common)
    _report_parser(commands, common)
    from .cli_history import add_parsers
    from .cli_lessons import add_parsers as add_lessons_parser

    add_parsers(commands, common, _register_arguments)
    add_lessons_parser(commands, common, _register_arguments)
    return parser


def _sample_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    sample = commands.add_parser(
        "sample", parents=[common], help="write a realistic sample register (.xlsx)",
        description="Write a deterministic sample register with a few planted problems.")
    sample.add_argument("path", type=Path, help="the .xlsx file to write")
    sample.add_argument("--projects", type=_positive, default=40, help="number of projects "
                        "(default 40; three lessons, four milestones and four to eight RAID "
                        "items each)")
    sample.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    sample.add_argument("--force", action="store_true", help="overwrite an existing file")


def _new_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    new = commands.add_parser(
        "new", parents=[common],
        help="write a new register workbook (.xlsm) with buttons and macros",
        description="Write a new register workbook (.xlsm): a Dashboard with buttons that run "
                    "pmo-xl through xlwings, Excel Tables with dropdowns and RAG colours, "
                    "Settings, Lists (the organisation's vocabularies) and the VBA macros. "
                    "--from fills it with an existing register's data, in that register's "
                    "own words.")
    new.add_argument("path", type=Path, help="the .xlsm file to write")
    new.add_argument("--from", dest="source", type=Path, metavar="REGISTER",
                     help="fill it with this register's data and vocabularies (values that "
                          "fail validation are carried over as the text they were; the "
                          "findings are printed)")
    new.add_argument("--profile", type=Path, metavar="PATH",
                     help="the profile of the --from register (default: pmo-xl.toml beside it)")
    new.add_argument("--sheet", metavar="NAME", help="the --from register's projects sheet")
    new.add_argument("--sample", action="store_true",
                     help="fill it with the sample portfolio, planted problems included")
    new.add_argument("--projects", type=_positive, help="number of sample projects (implies "
                     "--sample; default 40)")
    new.add_argument("--addin", action="store_true", help="call the xlwings add-in instead "
                     "of embedding xlwings' VBA module (standalone, the default)")
    new.add_argument("--force", action="store_true", help="overwrite an existing file")


def _formats(text: str) -> list[str]:
    from .batch import parse_formats

    try:
        return parse_formats(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _report_parser(commands: Any, common: argparse.ArgumentParser) -> None:
    report = commands.add_parser(
        "report", parents=[common],
        help="status reports: one page per project, a portfolio summary (HTML, PDF)",
        description="Write status reports of a register into a folder: one A4 page per "
                    "project and a portfolio summary, as self-contained HTML and PDF, with "
                    "index.html and manifest.json. Reports whose inputs are unchanged are "
                    "skipped. Exit 0: all written; 1: some report failed; 2: unusable input, "
                    "output or template.")
    _register_arguments(report, output=False)
    report.add_argument("--project", action="append", default=[], metavar="ID",
                        help="a project to report on (repeat for more)")
    report.add_argument("--all", action="store_true", help="every project of the register")
    report.add_argument("--portfolio", action="store_true", help="the portfolio summary "
                        "(without --project, --all or --portfolio: all projects and the "
                        "portfolio summary)")
    report.add_argument("--kind", metavar="KINDS", help="report kinds, separated by commas: "
                        "status, highlight, exception (only the projects forecast to exceed "
                        "or exceeding a tolerance), portfolio (default: status,portfolio)")
    report.add_argument("--format", type=_formats, metavar="html,pdf",
                        help="formats (default: Settings Report Formats, else html,pdf)")
    report.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: "
                        "Settings Output Folder, taken from the register's folder)")
    report.add_argument("--templates", type=Path, metavar="DIR", help="a folder of templates "
                        "that win over the bundled ones with the same name (default: Settings "
                        "Templates Folder, inside the register's folder)")
    report.add_argument("--jobs", type=_positive, metavar="N",
                        help="PDFs converted at once: pages of one browser (chromium) or "
                        "worker processes (weasyprint); default: the number of CPUs")
    report.add_argument("--pdf-engine", choices=("auto", "chromium", "weasyprint"),
                        default="auto", help="auto (default): chromium when a Chromium, "
                        "Chrome or Edge is installed, else weasyprint")
    report.add_argument("--skip-invalid", action="store_true", help="no report for projects "
                        "whose rows have validation errors (default: a report with a "
                        "data-issues box)")
    report.add_argument("--force", action="store_true",
                        help="rewrite reports even when their inputs are unchanged")
    report.add_argument("--since", metavar="PATH|DATE|previous",
                        help="say what changed since an earlier copy of the register, a "
                             "snapshot's date or the previous snapshot (see `changes`)")
    report.add_argument("--history", type=Path, metavar="PATH",
                        help="the history file of --since (default: <register>.history.sqlite)")


def _register_arguments(parser: argparse.ArgumentParser, *, output: bool = True,
                        as_of: bool = True) -> None:
    parser.add_argument("register", type=Path,
                        help="the register (.xlsx, .xlsm, .xlsb, .xls, .ods or .csv)")
    parser.add_argument("--profile", type=Path, metavar="PATH",
                        help="the organisation's profile (default: pmo-xl.toml beside the "
                             "register, if any)")
    parser.add_argument("--sheet", metavar="NAME",
                        help="the register's sheet that holds the projects")
    if output:
        parser.add_argument("--format", choices=("text", "json"), default="text",
                            help="output format (default text)")
    if as_of:
        parser.add_argument("--as-of", type=_as_of, metavar="YYYY-MM-DD",
                            help="as-of date (default: Settings Report Date, else today)")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except (RegisterError, TemplateProblem) as error:
        _fail(str(error))
        return EXIT_UNUSABLE
    except BrokenPipeError:  # `pmo-xl validate ... | head` is fine
        return EXIT_OK
    except KeyboardInterrupt:
        _fail("interrupted")
        return EXIT_INTERRUPTED
    except Exception:  # noqa: BLE001 - one line and a log, never a traceback on screen
        if getattr(args, "debug", False):
            sys.stderr.write(shown(traceback.format_exc(), keep_newlines=True))
        else:
            _fail(_internal_error(argv))
        return EXIT_INTERNAL


def _fail(message: str) -> None:
    """The one line on stderr: its file names and cell values may hold anything."""
    echo(f"pmo-xl: error: {' '.join(message.split())}", file=sys.stderr)


def _internal_error(argv: Sequence[str] | None) -> str:
    """Write the traceback to the temp folder's log; the one line saying so."""
    error = sys.exc_info()[1]
    stamp = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    command = " ".join(sys.argv[1:] if argv is None else argv)
    entry = f"--- {stamp} pmo-xl {__version__}: {command}\n{traceback.format_exc()}\n"
    where = "the traceback could not be written; run again with --debug"
    # The shared name first; on a machine where another user owns it, one of one's own.
    for log in _traceback_logs():
        try:
            with log.open("a", encoding="utf-8") as stream:
                stream.write(entry)
        except OSError:
            continue
        where = f"the traceback is in {log}"
        break
    problem = " ".join(str(error).split())[:160]
    return (f"internal error ({type(error).__name__}: {problem}); {where}. Please report it "
            "to the pmo-xl developers.")


def _traceback_logs() -> list[Path]:
    folder = Path(tempfile.gettempdir())
    own = f"pmo-xl-error-{os.getuid()}.log" if hasattr(os, "getuid") else None
    return [folder / TRACEBACK_LOG, *([folder / own] if own else [])]


def _read(args: argparse.Namespace) -> Any:
    from .reader import read_register

    return read_register(args.register, profile=args.profile, sheet=args.sheet)


def _validate(args: argparse.Namespace) -> int:
    from .validation import validate

    result = validate(_read(args), args.as_of)
    if args.format == "json":
        _print_json(result.to_dict())
    else:
        from .findings_text import print_validation

        print_validation(result, args.register)
    return EXIT_FINDINGS if result.errors else EXIT_OK


def _rollup(args: argparse.Namespace) -> int:
    from .metrics import rollup

    register = _read(args)
    result = rollup(register, args.as_of)
    if args.format == "json":
        _print_json(result.to_dict())
    else:
        from .textout import print_rollup

        print_rollup(result, register.currency, args.register)
    return EXIT_OK


def _inspect(args: argparse.Namespace) -> int:
    from .inspection import inspect_register, starter_profile

    result = inspect_register(args.register, profile=args.profile, sheet=args.sheet)
    if args.write_profile is not None:
        out: Path = args.write_profile
        if out.exists() and not args.force:
            raise OutputError(out, "already exists; use --force to overwrite it")
        _write_text(out, starter_profile(result))
    if args.format == "json":
        _print_json(result.to_dict())
    else:
        from .textout import print_inspection

        print_inspection(result, args.write_profile)
    return EXIT_OK


def _sample(args: argparse.Namespace) -> int:
    from .sample import sample_portfolio, write_register

    path: Path = args.path
    _check_new_file(path, ".xlsx", "the sample register is written as .xlsx; name it *.xlsx",
                    args.force)
    portfolio = sample_portfolio(args.projects, args.seed)
    try:
        write_register(path, portfolio)
    except OSError as error:
        raise OutputError(path, f"cannot be written: {os_reason(error)}") from None
    echo(f"Wrote {path} ({_content_summary(portfolio)})")
    return EXIT_OK


def _check_new_file(path: Path, suffix: str, wrong_suffix: str, force: bool) -> None:
    """Refuse, before any work, a file that cannot or must not be written."""
    if path.is_dir():
        raise OutputError(path, "is a folder; give the name of the file to write")
    if path.exists() and not force:
        raise OutputError(path, "already exists; use --force to overwrite it")
    if path.suffix.lower() != suffix:
        raise OutputError(path, wrong_suffix)
    folder = path.parent
    if not folder.is_dir():
        raise OutputError(path, f"the folder {folder} does not exist")


def _new(args: argparse.Namespace) -> int:
    from .sample import DEFAULT_PROJECTS, sample_portfolio
    from .workbook import MacroError, build_workbook, register_content, xlwings_version

    path: Path = args.path
    _check_new_file(path, ".xlsm", "the register workbook has macros, so Excel needs the "
                    ".xlsm extension; name it *.xlsm", args.force)
    content, standard, findings = None, None, None
    if args.source is not None:
        from .reader import read_register
        from .validation import validate

        register = read_register(args.source, profile=args.profile, sheet=args.sheet)
        content, standard, findings = (register_content(register), register.standard,
                                       validate(register))
    elif args.sample or args.projects:
        content = sample_portfolio(args.projects or DEFAULT_PROJECTS)
    try:
        build_workbook(path, content, addin=args.addin, standard=standard)
        macros = ("macros use the xlwings add-in" if args.addin else
                  f"standalone macros, xlwings {xlwings_version()} VBA module embedded")
    except MacroError as error:
        raise OutputError(path, str(error)) from None
    except OSError as error:
        raise OutputError(path, f"cannot be written: {os_reason(error)}") from None
    echo(f"Wrote {path} ({_content_summary(content)}; {macros})")
    if findings is not None:
        from .findings_text import print_validation

        print_validation(findings, args.source)
        return EXIT_FINDINGS if findings.errors else EXIT_OK
    return EXIT_OK


def _content_summary(content: Any) -> str:
    if content is None:
        return "an empty register"
    from .schema import SHEETS

    words = {schema.name: schema.row_words for schema in SHEETS}
    parts = [f"{len(content.rows(name))} {words.get(name, name.lower())}"
             for name in content.sheet_names()]
    planted = getattr(content, "planted", None)
    if planted:
        parts.append(f"{len(planted)} planted problems")
    return ", ".join(parts)


def _report(args: argparse.Namespace) -> int:
    import os

    from .batch import DEFAULT_KINDS, PORTFOLIO, parse_kinds, write_reports
    from .pdf import PdfEngineError
    from .reportout import ReportProgress, print_report_summary

    try:
        kinds = DEFAULT_KINDS if args.kind is None else parse_kinds(args.kind)
    except ValueError as error:
        _fail(f"--kind: {error}")
        return EXIT_UNUSABLE
    if args.portfolio:  # asked for by name: whichever kinds
        kinds = (*kinds, PORTFOLIO)
    if args.templates is not None and not args.templates.is_dir():
        raise RegisterError(args.templates, "is not a folder of templates")
    everything = not (args.project or args.all or args.portfolio)
    try:
        with ReportProgress() as progress:
            result = write_reports(
                args.register, args.out, project_ids=args.project, all_projects=args.all or
                everything, portfolio=args.portfolio or everything, kinds=kinds,
                formats=args.format,
                templates=args.templates, jobs=args.jobs or os.cpu_count() or 1,
                as_of=args.as_of, pdf_engine=args.pdf_engine, force=args.force,
                skip_invalid=args.skip_invalid, progress=progress.update,
                profile=args.profile, sheet=args.sheet, baseline=_baseline(args),
                trends=_trends(args))
    except PdfEngineError as error:
        _fail(f"PDF engine: {error}")
        return EXIT_UNUSABLE
    print_report_summary(result)
    return EXIT_FINDINGS if result.failed else EXIT_OK


def _baseline(args: argparse.Namespace) -> Any:
    """`report --since`: the function that gives the baseline snapshot, or None."""
    if not args.since:
        return None
    from .cli_history import baseline_snapshot

    return lambda register, as_of: baseline_snapshot(args, _read, as_of)


def _trends(args: argparse.Namespace) -> Any:
    """`report --since` with a history: the function that gives its trends, or None."""
    if not args.since:
        return None
    from .cli_history import history_trends

    return lambda as_of: history_trends(args, as_of)


def _print_json(data: dict[str, Any]) -> None:
    # Built whole first: a value JSON cannot hold fails here, before anything is printed.
    sys.stdout.write(json_text(json_document(data)) + "\n")


def json_document(value: object, depth: int = 0) -> str:
    """Indented JSON, strict (never NaN or Infinity), with each record of a long list of
    records (a project, a finding) on one line: as readable, and written by json's C encoder
    rather than its pure-Python indenting one (10x faster on a large register)."""
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(value, dict) and value:
        items = (f"{inner}{_json(str(k))}: {json_document(v, depth + 1)}"
                 for k, v in value.items())
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and value:
        if len(value) >= _ONE_LINE_RECORDS and all(isinstance(v, dict) for v in value):
            return "[\n" + ",\n".join(inner + _json(v) for v in value) + f"\n{pad}]"
        return "[\n" + ",\n".join(inner + json_document(v, depth + 1) for v in value) + (
            f"\n{pad}]")
    return _json(value)


_ONE_LINE_RECORDS = 10


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(", ", ": "))


def _write_text(path: Path, text: str) -> None:
    from .fileio import write_atomic

    try:
        write_atomic(path, text.encode("utf-8"))
    except OSError as error:
        raise OutputError(path, f"cannot be written: {os_reason(error)}") from None


def _snapshot(args: argparse.Namespace) -> int:
    from .cli_history import snapshot_command

    return snapshot_command(args, _read, _print_json)


def _history(args: argparse.Namespace) -> int:
    from .cli_history import history_command

    return history_command(args, _print_json)


def _changes(args: argparse.Namespace) -> int:
    from .cli_history import changes_command

    return changes_command(args, _read, _print_json)


def _lessons(args: argparse.Namespace) -> int:
    from .cli_lessons import lessons_command

    return lessons_command(args, _read, _print_json)


_COMMANDS = {"validate": _validate, "rollup": _rollup, "inspect": _inspect,
             "snapshot": _snapshot, "history": _history, "changes": _changes,
             "lessons": _lessons, "sample": _sample, "new": _new, "report": _report}


if __name__ == "__main__":
    raise SystemExit(main())
