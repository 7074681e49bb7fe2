"""The command line's `lessons` command: the lessons worth reading for a project, the lessons
answering a free query, or the recurring themes of the lessons log. A thin skin over
`pmo_xl.lessons`: this module reads the arguments and prints; the ranking is there."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .errors import RegisterError
from .terminal import echo


def add_parsers(commands: Any, common: argparse.ArgumentParser,
                register_arguments: Any) -> None:
    lessons = commands.add_parser(
        "lessons", parents=[common],
        help="lessons worth reading for a project, a free search, or recurring themes",
        description="Recommend the lessons of other projects most worth reading for a project "
                    "(BM25 over Lesson, Description, Recommendation and Category, from the "
                    "project's name, programme, status summary, key risks, next steps, phase "
                    "and current problems; boosted for the same programme and phase, Improve "
                    "lessons with a recommendation, High impact and recent ones; each with "
                    "why), search the lessons log, or list its recurring themes. Exit 2: an "
                    "unknown project, or a register without a Lessons sheet.")
    register_arguments(lessons)
    wanted = lessons.add_mutually_exclusive_group(required=True)
    wanted.add_argument("--project", metavar="ID", help="the project to recommend lessons to")
    wanted.add_argument("--query", metavar="TEXT",
                        help='free words, e.g. "supplier delays on data migration"')
    wanted.add_argument("--themes", action="store_true",
                        help="recurring themes: similar Improve lessons of several projects")
    lessons.add_argument("--top", type=_positive, default=5, metavar="N",
                         help="how many lessons (default 5)")
    lessons.add_argument("--history", type=Path, metavar="PATH",
                         help="the history whose snapshots tell each lesson's phase when "
                              "logged (default: <register>.history.sqlite, if there is one)")


def _positive(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number from 1 to 1000")
    return int(text)


def lessons_command(args: argparse.Namespace, read: Any, print_json: Any) -> int:
    from . import lessons

    register = read(args)
    with _history(args) as history:
        index = lessons.build_index(register, args.as_of, history)
    if args.themes:
        found = lessons.themes(index)
        if args.format == "json":
            print_json({"themes": [t.to_dict() for t in found]})
        else:
            _print_themes(found, len(index))
        return 0
    if args.project is not None:
        try:
            recommended = lessons.recommend(index, args.project, args.top)
        except lessons.UnknownProject:
            raise RegisterError(args.register, f"has no project '{args.project}' on its "
                                               "Projects sheet") from None
    else:
        recommended = lessons.search(index, args.query, args.top)
    if args.format == "json":
        print_json({"lessons": [r.to_dict() for r in recommended]})
    else:
        _print_lessons(recommended, args, index)
    return 0


class _NoHistory:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _history(args: argparse.Namespace) -> Any:
    """The history to read phases from: --history, else the default file when it exists."""
    from .history import History, default_history_path

    path = args.history or default_history_path(args.register)
    if args.history is None and not path.is_file():
        return _NoHistory()
    return History(path, create=False)


def _print_lessons(found: list[Any], args: argparse.Namespace, index: Any) -> None:
    if args.project is not None:
        row = index.project(index.project_position(args.project))
        echo(f"Lessons worth reading for {args.project} {row['project_name']} "
             f"(of {len(index)} lessons, other projects' only):")
    else:
        echo(f"Lessons for “{args.query}” (of {len(index)} lessons):")
    if not found:
        echo("  none shares a word with it.")
    for n, r in enumerate(found, 1):
        facts = ", ".join(str(x) for x in (r.project_id, r.category, r.type, r.impact,
                                           r.date_logged) if x)
        echo(f"{n:>3}. {r.lesson_id}  {r.lesson}  ({facts}; Lessons row {r.row}; "
             f"score {r.score:.2f})")
        if r.recommendation:
            echo(f"     Recommendation: {r.recommendation}")
        echo(f"     Why: {'; '.join(r.why)}")


def _print_themes(found: list[Any], total: int) -> None:
    echo(f"{len(found)} recurring theme{'s' * (len(found) != 1)} among {total} lessons:")
    for t in found:
        state = f"{t.open_actions} action(s) still open" if t.open else "all actions closed"
        echo(f"  {t.name}: {t.count} lessons from {len(t.projects)} projects "
             f"({', '.join(t.projects)}) in {len(t.programmes)} programme"
             f"{'s' * (len(t.programmes) != 1)}, logged {t.first_logged} to {t.last_logged}; "
             f"{state}")
        echo(f"    lessons: {', '.join(str(x) for x in t.lessons)}")
