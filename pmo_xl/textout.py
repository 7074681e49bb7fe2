"""Text output of the command line: findings and the roll-up as readable rich tables.

Only the CLI imports this module (rich is imported here, not in the core).
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table as RichTable

from . import formatting as fmt
from .metrics import UNSET, Rollup
from .validation import Validation

_RAG_STYLE = {"Green": "green", "Amber": "dark_orange", "Red": "red", UNSET: "dim"}


def _console() -> Console:
    console = Console(highlight=False, soft_wrap=False)
    if not console.is_terminal:
        console.width = 120  # files and pipes: wide enough that messages rarely wrap
    return console


def print_validation(result: Validation, source: Path) -> None:
    """Findings as an aligned table, then a one-line verdict.

    The table is formatted here rather than by rich: a large register can have thousands of
    findings, and rich's layout engine takes seconds for those.
    """
    console = _console()
    colour = console.is_terminal and not console.no_color
    if len(result):
        console.print(f"[bold]{source.name}[/]: findings as of {result.as_of}")
        frame = result.findings
        columns = [("Cell", frame["cell"]), ("Severity", frame["severity"]),
                   ("Rule", frame["rule"]), ("Message", frame["message"])]
        widths = [max(len(title), int(values.str.len().max())) for title, values in columns]
        rules = ["-" * w for w in widths[:-1]] + ["-" * min(widths[-1], 60)]
        lines = [_row([t for t, _ in columns], widths), _row(rules, widths)]
        for cell, severity, rule_id, message in zip(*(v for _, v in columns), strict=True):
            shown = f"{_ANSI[severity]}{severity:<{widths[1]}}\033[0m" if colour else severity
            lines.append(_row([cell, shown, rule_id, message], widths, pad_second=not colour))
        console.file.write("\n".join(lines) + "\n")
    verdict = "[bold red]" if result.errors else "[green]"
    console.print(f"{verdict}{result.errors} error{'s' * (result.errors != 1)}[/], "
                  f"[yellow]{result.warnings} warning{'s' * (result.warnings != 1)}[/] "
                  f"in {source}")


_ANSI = {"error": "\033[1;31m", "warning": "\033[33m"}


def _row(cells: list[str], widths: list[int], pad_second: bool = True) -> str:
    padded = [cell if i == len(cells) - 1 or (i == 1 and not pad_second)
              else f"{cell:<{widths[i]}}" for i, cell in enumerate(cells)]
    return "  ".join(padded)


def print_rollup(result: Rollup, currency: str, source: Path) -> None:
    console = _console()
    counts, finance, schedule = result.counts(), result.finance(), result.schedule()
    lessons = result.lessons_summary()
    console.print(f"[bold]Portfolio roll-up[/] of {source.name} as of {result.as_of}")

    kpis = RichTable(show_header=False, box=None, pad_edge=False)
    kpis.add_column(style="bold")
    kpis.add_column(justify="right")
    for label, value in (
        ("Projects", f"{counts['total']} ({counts['active']} active)"),
        ("Budget (BAC)", fmt.money(finance["budget"], currency)),
        ("Actual cost", fmt.money(finance["actual_cost"], currency)),
        ("Earned value", fmt.money(finance["earned_value"], currency)),
        ("Planned value", fmt.money(finance["planned_value"], currency)),
        ("Forecast (EAC)", fmt.money(finance["forecast_cost"], currency)),
        ("CPI / SPI", f"{fmt.ratio(finance['cpi'])} / {fmt.ratio(finance['spi'])}"),
        ("Slipped projects", str(len(schedule["slipped"]))),
        ("Overdue milestones", str(schedule["overdue_milestones"])),
        ("Stale updates", str(len(result.stale()))),
        ("Lessons", f"{lessons['total']} ({lessons['open_actions']} open actions)"),
    ):
        kpis.add_row(label, value)
    console.print(kpis)

    rag = RichTable(title="Overall RAG (active projects)", title_justify="left")
    for name in counts["by_rag"]:
        rag.add_column(name, justify="right", style=_RAG_STYLE.get(name, ""))
    rag.add_row(*(str(n) for n in counts["by_rag"].values()))
    console.print(rag)

    phase = RichTable(title="Projects by phase", title_justify="left")
    for name in counts["by_phase"]:
        phase.add_column(name, justify="right")
    phase.add_row(*(str(n) for n in counts["by_phase"].values()))
    console.print(phase)

    programmes = RichTable(title="By programme", title_justify="left")
    for name in ("Programme", "Projects", "Budget", "Actual", "CPI", "SPI", "Red", "Amber"):
        programmes.add_column(name, justify="left" if name == "Programme" else "right")
    for row in result.programmes():
        programmes.add_row(row["programme"], str(row["projects"]),
                           fmt.money(row["budget"], currency),
                           fmt.money(row["actual_cost"], currency), fmt.ratio(row["cpi"]),
                           fmt.ratio(row["spi"]), str(row["red"]), str(row["amber"]))
    console.print(programmes)

    if lessons["by_category"]:
        themes = ", ".join(f"{k} {v}" for k, v in list(lessons["by_category"].items())[:5])
        console.print(f"[bold]Top lesson themes:[/] {themes}")
