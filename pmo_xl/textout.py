"""Text output of the command line: findings and the roll-up as readable rich tables.

Only the CLI imports this module (rich is imported here, not in the core).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
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
        console.print(f"[bold]{escape(source.name)}[/]: findings as of {result.as_of}")
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
    infos = f", {result.infos} note{'s' * (result.infos != 1)}" if result.infos else ""
    console.print(f"{verdict}{result.errors} error{'s' * (result.errors != 1)}[/], "
                  f"[yellow]{result.warnings} warning{'s' * (result.warnings != 1)}[/]"
                  f"{infos} in {escape(str(source))}")


_ANSI = {"error": "\033[1;31m", "warning": "\033[33m", "info": "\033[2m"}


def _row(cells: list[str], widths: list[int], pad_second: bool = True) -> str:
    padded = [cell if i == len(cells) - 1 or (i == 1 and not pad_second)
              else f"{cell:<{widths[i]}}" for i, cell in enumerate(cells)]
    return "  ".join(padded)


def print_rollup(result: Rollup, currency: str, source: Path) -> None:
    console = _console()
    data = result.to_dict(per_project=False)
    counts, finance, schedule = data["projects"], data["finance"], data["schedule"]
    lessons, coverage = data["lessons"], finance["coverage"]
    console.print(f"[bold]Portfolio roll-up[/] of {escape(source.name)} as of {result.as_of}")
    quality = fmt.data_quality_line(data["data_quality"])
    if quality:
        console.print(f"[yellow]{escape(quality)}[/]")
    part = (f" ({coverage['earned_value']} of {coverage['projects']} projects)"
            if coverage["earned_value"] < coverage["projects"] else "")

    def money(value: float | None) -> str:
        return "not tracked" if value is None else fmt.money(value, currency)

    kpis = RichTable(show_header=False, box=None, pad_edge=False)
    kpis.add_column(style="bold")
    kpis.add_column(justify="right")
    stale = data["stale"]
    for label, value in (
        ("Projects", f"{counts['total']} ({counts['active']} active)"),
        ("Budget (BAC)", money(finance["budget"])),
        ("Actual cost", money(finance["actual_cost"]) + part),
        ("Earned value", money(finance["earned_value"]) + part),
        ("Planned value", money(finance["planned_value"]) + part),
        ("Forecast (EAC)", money(finance["forecast_cost"])),
        ("CPI / SPI", f"{fmt.ratio(finance['cpi'])} / {fmt.ratio(finance['spi'])}"),
        ("Slipped projects", _count(schedule["slipped"])),
        ("Overdue milestones", _count(schedule["overdue_milestones"])),
        ("Stale updates", _count(stale)),
        ("Lessons", "not tracked" if lessons["total"] is None else
         f"{lessons['total']} ({lessons['open_actions']} open actions)"),
    ):
        kpis.add_row(label, value)
    console.print(kpis)
    _counts_table(console, "Overall RAG (active projects)", counts["by_rag"])
    _counts_table(console, "Projects by phase", counts["by_phase"])
    _programmes_table(console, data["programmes"], currency)
    if lessons["by_category"]:
        themes = ", ".join(f"{k} {v}" for k, v in list(lessons["by_category"].items())[:5])
        console.print(f"[bold]Top lesson themes:[/] {escape(themes)}")


def _count(value: int | list | None) -> str:
    """A count, or the length of a list; 'not tracked' for None."""
    if value is None:
        return "not tracked"
    return str(len(value) if isinstance(value, list) else value)


def _counts_table(console: Console, title: str, counts: dict[str, int] | None) -> None:
    if counts is None:
        console.print(f"[bold]{title}:[/] not tracked")
        return
    table = RichTable(title=title, title_justify="left")
    for name in counts:
        table.add_column(escape(name), justify="right", style=_RAG_STYLE.get(name, ""))
    table.add_row(*(str(n) for n in counts.values()))
    console.print(table)


def _programmes_table(console: Console, programmes: list[dict], currency: str) -> None:
    table = RichTable(title="By programme", title_justify="left")
    for name in ("Programme", "Projects", "Budget", "Actual", "CPI", "SPI", "Red", "Amber"):
        table.add_column(name, justify="left" if name == "Programme" else "right")
    for row in programmes:
        table.add_row(escape(str(row["programme"])), str(row["projects"]),
                      fmt.money(row["budget"], currency), fmt.money(row["actual_cost"], currency),
                      fmt.ratio(row["cpi"]), fmt.ratio(row["spi"]), str(row["red"]),
                      str(row["amber"]))
    console.print(table)


def print_inspection(result: Any, written: Path | None) -> None:
    """How pmo-xl reads the register, sheet by sheet (`pmo-xl inspect`)."""
    console = _console()
    console.print(f"[bold]{escape(result.path.name)}[/] ({result.kind}; sheets: "
                  f"{escape(', '.join(result.sheet_names))}); standard: "
                  f"{escape(', '.join(result.standard))}")
    if result.problem:
        console.print(f"[bold red]Cannot be read yet:[/] {escape(result.problem)}")
    for sheet in result.sheets:
        _print_sheet_inspection(console, sheet)
    if result.currency:
        console.print(f"[bold]Currency:[/] {result.currency['in_force']} (from "
                      f"{result.currency['from']})")
    if written is not None:
        console.print(f"[bold green]Wrote a starter profile:[/] {escape(str(written))} — "
                      "check the commented lines, then run validate with --profile")


def _print_sheet_inspection(console: Console, sheet: Any) -> None:
    if sheet.source is None:
        console.print(f"\n[bold]{sheet.sheet}[/]: not in this register")
        return
    _print_sheet_columns(console, sheet)
    for line in _sheet_notes(sheet):
        console.print(escape(line))


def _print_sheet_columns(console: Console, sheet: Any) -> None:
    rows = f"two-row header ending on row {sheet.header_row}" if sheet.header_rows == 2 else (
        f"header row {sheet.header_row}")
    console.print(f"\n[bold]{sheet.sheet}[/] ← sheet '{escape(sheet.source)}', {rows}, "
                  f"{sheet.rows} rows")
    table = RichTable(box=None, pad_edge=False)
    for name in ("Col", "Header", "pmo-xl column", "How"):
        table.add_column(name)
    for column in sheet.columns:
        how = column.how or "unmatched"
        if column.how == "fuzzy":
            how = f"fuzzy {column.score:.0f} %"
        if not column.maps_to and column.suggestions:
            how += ": perhaps " + ", ".join(f"{s['column']} ({s['score']:.0f} %)"
                                           for s in column.suggestions)
        table.add_row(column.letter, escape(column.header), column.maps_to or "–",
                      escape(how))
    console.print(table)


def _sheet_notes(sheet: Any) -> list[str]:
    """What inspect says of a sheet below its columns, as plain lines."""
    lines = []
    for status in ("required", "optional", "not tracked"):
        names = [m["column"] for m in sheet.missing if m["status"] == status]
        if names:
            lines.append(f"  Not found ({status}): {', '.join(names)}")
    for column, values in sheet.not_in_vocabulary.items():
        shown = "; ".join(f"'{v}' ×{a['count']}" + (f" → {a['suggested']}?" if a["suggested"]
                                                    else "") for v, a in values.items())
        lines.append(f"  {column}, not in the vocabulary: {shown}")
    for column, order in sheet.date_order.items():
        lines.append(f"  {column}: dates read {order} — {sheet.date_order_why[column]}")
    lines += [f"  {column}: amounts in {unit}" for column, unit in sheet.money_units.items()
              if unit != "units"]
    if sheet.totals_rows:
        lines.append(f"  Totals rows left out: {', '.join(map(str, sheet.totals_rows))}")
    if sheet.hidden_rows:
        lines.append(f"  Hidden or filtered-out rows read: {len(sheet.hidden_rows)}")
    return lines
