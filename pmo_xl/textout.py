"""Text output of the command line: findings and the roll-up as readable rich tables.

Only the CLI imports this module (rich is imported here, not in the core).

Everything shown comes from users' files (cells, headers, sheet names, paths, profiles), so
nothing shown is ever read as rich markup or emoji codes, and no control character reaches the
terminal: `terminal.shown` is the one function every string passes through — rich strings
through `SafeConsole.render_str`, styled lines through `line`, the findings table (written past
rich, for speed) cell by cell — and a render hook checks every segment rich writes once more.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console, ConsoleOptions, RenderableType, RenderHook, RenderResult
from rich.segment import Segment
from rich.table import Table as RichTable
from rich.text import Text

from . import formatting as fmt
from .metrics import UNSET, Rollup
from .terminal import shown


def line(*parts: str | tuple[str, str]) -> Text:
    """A styled line: plain parts and (text, style) pairs, each made safe to show. Rich never
    parses it, so brackets in a programme name are just brackets."""
    return Text.assemble(*((shown(p[0]), p[1]) if isinstance(p, tuple) else shown(p)
                           for p in parts))


class _Shown:
    """A renderable whose segments are checked once more on the way out."""

    def __init__(self, renderable: RenderableType) -> None:
        self.renderable = renderable

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for segment in console.render(self.renderable, options):
            # Control segments are rich's own cursor moves (progress bars); styles become
            # escape codes only after this, so only the text itself is user data.
            yield segment if segment.control else Segment(
                shown(segment.text, keep_newlines=True), segment.style)


class _Guard(RenderHook):
    def process_renderables(self, renderables: list[Any]) -> list[Any]:
        return [_Shown(r) for r in renderables]


class SafeConsole(Console):
    """A rich console for users' text: no markup, no emoji codes, no highlighting, and
    control characters shown (before layout, so widths are right)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(markup=False, emoji=False, highlight=False, **options)
        self.push_render_hook(_Guard())

    def render_str(self, text: str, **options: Any) -> Text:
        return super().render_str(shown(text, keep_newlines=True), **options)

_RAG_STYLE = {"Green": "green", "Amber": "dark_orange", "Red": "red", UNSET: "dim"}


def console(*, stderr: bool = False) -> SafeConsole:
    """The console of every command's text output."""
    safe = SafeConsole(soft_wrap=False, stderr=stderr)
    if not safe.is_terminal:
        safe.width = 120  # files and pipes: wide enough that messages rarely wrap
    return safe


def print_rollup(result: Rollup, currency: str, source: Path) -> None:
    out = console()
    data = result.to_dict(per_project=False)
    counts = data["projects"]
    out.print(line(("Portfolio roll-up", "bold"), f" of {source.name} as of {result.as_of}"))
    quality = fmt.data_quality_line(data["data_quality"])
    if quality:
        out.print(line((quality, "yellow")))
    out.print(_kpis(data, currency))
    _counts_table(out, "Overall RAG (active projects)", counts["by_rag"])
    _counts_table(out, "Projects by phase", counts["by_phase"])
    _programmes_table(out, data["programmes"], currency)
    lessons = data["lessons"]
    if lessons["by_category"]:
        themes = ", ".join(f"{k} {v}" for k, v in list(lessons["by_category"].items())[:5])
        out.print(line(("Top lesson themes:", "bold"), f" {themes}"))
    _raid_lines(out, data["raid"])


def _raid_lines(out: Console, raid: dict[str, Any] | None) -> None:
    """The RAID log in brief: what is open by type, and the top three risks and issues."""
    if raid is None:
        return
    types = ", ".join(f"{k} {v}" for k, v in raid["open_by_type"].items() if v)
    out.print(line(("Open RAID items:", "bold"), f" {types or 'none'}"))
    top = [f"{t['raid_id']} {t['project_id']} {t['title']} ({t['score']})"
           for t in raid["top_risks_and_issues"][:3] if t["score"] is not None]
    if top:
        out.print(line(("Top risks and issues:", "bold"), " " + "; ".join(map(shown, top))))


def _kpis(data: dict[str, Any], currency: str) -> RichTable:
    counts, finance, schedule = data["projects"], data["finance"], data["schedule"]
    lessons, coverage = data["lessons"], finance["coverage"]
    part = (f" ({coverage['earned_value']} of {coverage['projects']} projects)"
            if coverage["earned_value"] < coverage["projects"] else "")

    def money(value: float | None) -> str:
        return "not tracked" if value is None else fmt.money(value, currency)

    kpis = RichTable(show_header=False, box=None, pad_edge=False)
    kpis.add_column(style="bold")
    kpis.add_column(justify="right")
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
        ("Stale updates", _count(data["stale"])),
        ("Lessons", "not tracked" if lessons["total"] is None else
         f"{lessons['total']} ({lessons['open_actions']} open actions)"),
        ("RAID log", _raid_kpi(data["raid"])),
    ):
        kpis.add_row(label, shown(value))
    return kpis


def _raid_kpi(raid: dict[str, Any] | None) -> str:
    if raid is None:
        return "not tracked"
    return (f"{raid['open']} open ({raid['high_risks']} high risks, {raid['overdue']} overdue, "
            f"{raid['dependencies_at_risk']} dependencies at risk)")


def _count(value: int | list | None) -> str:
    """A count, or the length of a list; 'not tracked' for None."""
    if value is None:
        return "not tracked"
    return str(len(value) if isinstance(value, list) else value)


def _counts_table(out: Console, title: str, counts: dict[str, int] | None) -> None:
    if counts is None:
        out.print(line((f"{title}:", "bold"), " not tracked"))
        return
    table = RichTable(title=title, title_justify="left")
    for name in counts:
        table.add_column(shown(name), justify="right", style=_RAG_STYLE.get(name, ""))
    table.add_row(*(str(n) for n in counts.values()))
    out.print(table)


def _programmes_table(out: Console, programmes: list[dict], currency: str) -> None:
    table = RichTable(title="By programme", title_justify="left")
    for name in ("Programme", "Projects", "Budget", "Actual", "CPI", "SPI", "Red", "Amber"):
        table.add_column(name, justify="left" if name == "Programme" else "right")
    for row in programmes:
        table.add_row(shown(row["programme"]), str(row["projects"]),
                      fmt.money(row["budget"], currency), fmt.money(row["actual_cost"], currency),
                      fmt.ratio(row["cpi"]), fmt.ratio(row["spi"]), str(row["red"]),
                      str(row["amber"]))
    out.print(table)


def print_inspection(result: Any, written: Path | None) -> None:
    """How pmo-xl reads the register, sheet by sheet (`pmo-xl inspect`)."""
    out = console()
    out.print(line((result.path.name, "bold"), f" ({result.kind}; sheets: "
                   f"{', '.join(map(shown, result.sheet_names))}); standard: "
                   f"{', '.join(map(shown, result.standard))}"))
    if result.problem:
        out.print(line(("Cannot be read yet:", "bold red"), f" {result.problem}"))
    for sheet in result.sheets:
        _print_sheet_inspection(out, sheet)
    if result.currency:
        out.print(line(("Currency:", "bold"), f" {result.currency['in_force']} (from "
                       f"{result.currency['from']})"))
    if written is not None:
        out.print(line(("Wrote a starter profile:", "bold green"), f" {written} — check the "
                       "commented lines, then run validate with --profile"))


def _print_sheet_inspection(out: Console, sheet: Any) -> None:
    if sheet.source is None:
        out.print()
        out.print(line((sheet.sheet, "bold"), ": not in this register"))
        return
    _print_sheet_columns(out, sheet)
    for note in _sheet_notes(sheet):
        out.print(line(note))


def _print_sheet_columns(out: Console, sheet: Any) -> None:
    rows = f"two-row header ending on row {sheet.header_row}" if sheet.header_rows == 2 else (
        f"header row {sheet.header_row}")
    out.print()
    out.print(line((sheet.sheet, "bold"), f" ← sheet '{sheet.source}', {rows}, "
                   f"{sheet.rows} rows"))
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
        table.add_row(shown(column.letter), shown(column.header),
                      shown(column.maps_to or None), shown(how))
    out.print(table)


def _sheet_notes(sheet: Any) -> list[str]:
    """What inspect says of a sheet below its columns, as plain lines (`line` makes each
    safe to show)."""
    lines = []
    for status in ("required", "optional", "not tracked"):
        names = [m["column"] for m in sheet.missing if m["status"] == status]
        if names:
            lines.append(f"  Not found ({status}): {', '.join(names)}")
    for column, values in sheet.not_in_vocabulary.items():
        shown_values = "; ".join(f"'{v}' ×{a['count']}" + (f" → {a['suggested']}?" if
                                 a["suggested"] else "") for v, a in values.items())
        lines.append(f"  {column}, not in the vocabulary: {shown_values}")
    for column, order in sheet.date_order.items():
        lines.append(f"  {column}: dates read {order} — {sheet.date_order_why[column]}")
    lines += [f"  {column}: amounts in {unit}" for column, unit in sheet.money_units.items()
              if unit != "units"]
    if sheet.totals_rows:
        lines.append(f"  Totals rows left out: {', '.join(map(str, sheet.totals_rows))}")
    if sheet.hidden_rows:
        lines.append(f"  Hidden or filtered-out rows read: {len(sheet.hidden_rows)}")
    return lines
