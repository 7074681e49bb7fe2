"""The `pmo-xl` command line: a thin skin over the core.

Each command reads its input, calls one core function, and presents the result as text (rich
tables on a terminal) or JSON. Exit codes: 0 fine, 1 the register has errors, 2 the input is
unusable (one line on stderr naming the file and the problem; nothing is written).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .errors import RegisterError

EXIT_OK, EXIT_FINDINGS, EXIT_UNUSABLE = 0, 1, 2


def _as_of(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (YYYY-MM-DD)") from None


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a positive whole number")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pmo-xl", description="Validate, roll up and report on a PMO project register.")
    parser.add_argument("--version", action="version", version=f"pmo-xl {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser(
        "validate", help="check a register; every finding names its cell",
        description="Check a register. Exit 0: no errors; 1: errors found; 2: unusable input.")
    _register_arguments(validate)

    rollup = commands.add_parser(
        "rollup", help="portfolio metrics: counts, budget, earned value, slippage, staleness",
        description="Roll the register up into portfolio metrics as of a date.")
    _register_arguments(rollup)

    sample = commands.add_parser(
        "sample", help="write a realistic sample register (.xlsx)",
        description="Write a deterministic sample register with a few planted problems.")
    sample.add_argument("path", type=Path, help="the .xlsx file to write")
    sample.add_argument("--projects", type=_positive, default=40, help="number of projects "
                        "(default 40; three lessons and four milestones each)")
    sample.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    sample.add_argument("--force", action="store_true", help="overwrite an existing file")

    new = commands.add_parser(
        "new", help="write a new register workbook (.xlsm) with buttons and macros",
        description="Write a new register workbook (.xlsm): a Dashboard with buttons that run "
                    "pmo-xl through xlwings, Excel Tables with dropdowns and RAG colours, "
                    "Settings, and the VBA macros.")
    new.add_argument("path", type=Path, help="the .xlsm file to write")
    new.add_argument("--sample", action="store_true",
                     help="fill it with the sample portfolio, planted problems included")
    new.add_argument("--projects", type=_positive, help="number of sample projects (implies "
                     "--sample; default 40)")
    new.add_argument("--addin", action="store_true", help="call the xlwings add-in instead "
                     "of embedding xlwings' VBA module (standalone, the default)")
    new.add_argument("--force", action="store_true", help="overwrite an existing file")
    _report_parser(commands)
    return parser


def _formats(text: str) -> list[str]:
    from .batch import parse_formats

    try:
        return parse_formats(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _report_parser(commands: Any) -> None:
    report = commands.add_parser(
        "report", help="status reports: one page per project, a portfolio summary (HTML, PDF)",
        description="Write status reports of a register into a folder: one A4 page per "
                    "project and a portfolio summary, as self-contained HTML and PDF, with "
                    "index.html and manifest.json. Reports whose inputs are unchanged are "
                    "skipped. Exit 0: all written; 1: some report failed; 2: unusable input.")
    report.add_argument("register", type=Path, help="the register workbook (.xlsx or .xlsm)")
    report.add_argument("--project", action="append", default=[], metavar="ID",
                        help="a project to report on (repeat for more)")
    report.add_argument("--all", action="store_true", help="every project of the register")
    report.add_argument("--portfolio", action="store_true", help="the portfolio summary "
                        "(without --project, --all or --portfolio: all projects and the "
                        "portfolio summary)")
    report.add_argument("--format", type=_formats, metavar="html,pdf",
                        help="formats (default: Settings Report Formats, else html,pdf)")
    report.add_argument("--out", type=Path, metavar="DIR", help="output folder (default: "
                        "Settings Output Folder, taken from the register's folder)")
    report.add_argument("--templates", type=Path, metavar="DIR", help="a folder of templates "
                        "that win over the bundled ones with the same name")
    report.add_argument("--jobs", type=_positive, metavar="N",
                        help="PDFs converted at once: pages of one browser (chromium) or "
                        "worker processes (weasyprint); default: the number of CPUs")
    report.add_argument("--as-of", type=_as_of, metavar="YYYY-MM-DD",
                        help="as-of date (default: Settings Report Date, else today)")
    report.add_argument("--pdf-engine", choices=("auto", "chromium", "weasyprint"),
                        default="auto", help="auto (default): chromium when a Chromium, "
                        "Chrome or Edge is installed, else weasyprint")
    report.add_argument("--skip-invalid", action="store_true", help="no report for projects "
                        "whose rows have validation errors (default: a report with a "
                        "data-issues box)")
    report.add_argument("--force", action="store_true",
                        help="rewrite reports even when their inputs are unchanged")


def _register_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("register", type=Path, help="the register workbook (.xlsx or .xlsm)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="output format (default text)")
    parser.add_argument("--as-of", type=_as_of, metavar="YYYY-MM-DD",
                        help="as-of date (default: Settings Report Date, else today)")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except RegisterError as error:
        print(f"pmo-xl: error: {error}", file=sys.stderr)
        return EXIT_UNUSABLE
    except BrokenPipeError:  # `pmo-xl validate ... | head` is fine
        return EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    from .reader import read_register
    from .validation import validate

    result = validate(read_register(args.register), args.as_of)
    if args.format == "json":
        _print_json(result.to_dict())
    else:
        from .textout import print_validation

        print_validation(result, args.register)
    return EXIT_FINDINGS if result.errors else EXIT_OK


def _rollup(args: argparse.Namespace) -> int:
    from .metrics import rollup
    from .reader import read_register

    register = read_register(args.register)
    result = rollup(register, args.as_of)
    if args.format == "json":
        _print_json(result.to_dict())
    else:
        from .textout import print_rollup

        print_rollup(result, register.settings.currency, args.register)
    return EXIT_OK


def _sample(args: argparse.Namespace) -> int:
    from .sample import sample_portfolio, write_register

    path: Path = args.path
    if path.exists() and not args.force:
        raise RegisterError(path, "already exists; use --force to overwrite it")
    if path.suffix.lower() != ".xlsx":
        raise RegisterError(path, "the sample register is written as .xlsx; name it *.xlsx")
    portfolio = sample_portfolio(args.projects, args.seed)
    write_register(path, portfolio)
    print(f"Wrote {path} ({len(portfolio.projects)} projects, {len(portfolio.lessons)} "
          f"lessons, {len(portfolio.milestones)} milestones, "
          f"{len(portfolio.planted)} planted problems)")
    return EXIT_OK


def _new(args: argparse.Namespace) -> int:
    from .sample import DEFAULT_PROJECTS, sample_portfolio
    from .workbook import MacroError, build_workbook, xlwings_version

    path: Path = args.path
    if path.exists() and not args.force:
        raise RegisterError(path, "already exists; use --force to overwrite it")
    if path.suffix.lower() != ".xlsm":
        raise RegisterError(path, "the register workbook has macros, so Excel needs the "
                                  ".xlsm extension; name it *.xlsm")
    portfolio = None
    if args.sample or args.projects:
        portfolio = sample_portfolio(args.projects or DEFAULT_PROJECTS)
    try:
        build_workbook(path, portfolio, addin=args.addin)
        macros = ("macros use the xlwings add-in" if args.addin else
                  f"standalone macros, xlwings {xlwings_version()} VBA module embedded")
    except MacroError as error:
        print(f"pmo-xl: error: {path}: {error}", file=sys.stderr)
        return EXIT_UNUSABLE
    except OSError as error:
        print(f"pmo-xl: error: {error}", file=sys.stderr)
        return EXIT_UNUSABLE
    content = "an empty register" if portfolio is None else (
        f"{len(portfolio.projects)} projects, {len(portfolio.lessons)} lessons, "
        f"{len(portfolio.milestones)} milestones, {len(portfolio.planted)} planted problems")
    print(f"Wrote {path} ({content}; {macros})")
    return EXIT_OK


def _report(args: argparse.Namespace) -> int:
    import os

    from .batch import write_reports
    from .pdf import PdfEngineError
    from .reportout import ReportProgress, print_report_summary

    if args.templates is not None and not args.templates.is_dir():
        raise RegisterError(args.templates, "is not a folder of templates")
    everything = not (args.project or args.all or args.portfolio)
    try:
        with ReportProgress() as progress:
            result = write_reports(
                args.register, args.out, project_ids=args.project, all_projects=args.all or
                everything, portfolio=args.portfolio or everything, formats=args.format,
                templates=args.templates, jobs=args.jobs or os.cpu_count() or 1,
                as_of=args.as_of, pdf_engine=args.pdf_engine, force=args.force,
                skip_invalid=args.skip_invalid, progress=progress.update)
    except PdfEngineError as error:
        print(f"pmo-xl: error: PDF engine: {error}", file=sys.stderr)
        return EXIT_UNUSABLE
    print_report_summary(result)
    return EXIT_FINDINGS if result.failed else EXIT_OK


def _print_json(data: dict[str, Any]) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, allow_nan=False)
    sys.stdout.write("\n")


_COMMANDS = {"validate": _validate, "rollup": _rollup, "sample": _sample, "new": _new,
             "report": _report}


if __name__ == "__main__":
    raise SystemExit(main())
