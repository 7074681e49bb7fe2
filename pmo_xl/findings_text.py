"""Text output of `pmo-xl validate`: the findings as an aligned table, then a one-line verdict.

Apart from the other commands' text output (`textout`, rich tables): a register can have
thousands of findings, which rich's layout engine takes seconds for, so the table is
formatted here; and written to a file or a pipe (batch runs, CI) the output is plain text and
rich is not even imported. A terminal gets the heading and the verdict through rich's console,
styled like the other commands' output. Every cell goes through `terminal.shown`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .terminal import shown, shown_all

if TYPE_CHECKING:
    from .validation import Validation

_ANSI = {"error": "\033[1;31m", "warning": "\033[33m", "info": "\033[2m"}
# What makes rich treat a pipe as a terminal (or not): with any of these, rich decides.
_RICH_DECIDES = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")


def print_validation(result: Validation, source: Path) -> None:
    """The findings table and the verdict, on standard output."""
    if sys.stdout.isatty() or any(name in os.environ for name in _RICH_DECIDES):
        _print_styled(result, source)
        return
    heading = f"{shown(source.name)}: findings as of {result.as_of}\n" if len(result) else ""
    verdict = "".join(shown(part) for part, _ in _verdict(result, source))
    sys.stdout.write(heading + _table(result, colour=False) + verdict + "\n")


def _print_styled(result: Validation, source: Path) -> None:
    from .textout import console, line

    out = console()
    if len(result):
        out.print(line((source.name, "bold"), f": findings as of {result.as_of}"))
        out.file.write(_table(result, colour=out.is_terminal and not out.no_color))
    out.print(line(*(part if style is None else (part, style)
                     for part, style in _verdict(result, source))))


def _verdict(result: Validation, source: Path) -> list[tuple[str, str | None]]:
    """'2 errors, 5 warnings in PATH' as (text, rich style) parts."""
    errors = f"{result.errors} error{'s' * (result.errors != 1)}"
    warnings = f"{result.warnings} warning{'s' * (result.warnings != 1)}"
    infos = f", {result.infos} note{'s' * (result.infos != 1)}" if result.infos else ""
    return [(errors, "bold red" if result.errors else "green"), (", ", None),
            (warnings, "yellow"), (f"{infos} in {source}", None)]


def _table(result: Validation, *, colour: bool) -> str:
    """The findings as aligned lines ("" when there are none), severities coloured for a
    terminal."""
    if not len(result):
        return ""
    frame = result.findings
    # Plain lists, not Series: a pandas text column is walked value by value in Python.
    columns = [(title, shown_all(frame[name].tolist())) for title, name in (
        ("Cell", "cell"), ("Severity", "severity"), ("Rule", "rule"), ("Message", "message"))]
    widths = [max(len(title), max(map(len, values))) for title, values in columns]
    plain = "  ".join(f"{{:<{w}}}" for w in widths[:-1]) + "  {}"
    coloured = f"{{:<{widths[0]}}}  {{}}{{:<{widths[1]}}}\033[0m  {{:<{widths[2]}}}  {{}}"
    rules = ["-" * w for w in widths[:-1]] + ["-" * min(widths[-1], 60)]
    lines = [plain.format(*(t for t, _ in columns)), plain.format(*rules)]
    for cell, severity, rule_id, message in zip(*(v for _, v in columns), strict=True):
        colour_on = _ANSI.get(severity) if colour else None
        lines.append(coloured.format(cell, colour_on, severity, rule_id, message)
                     if colour_on else plain.format(cell, severity, rule_id, message))
    return "\n".join(lines) + "\n"
