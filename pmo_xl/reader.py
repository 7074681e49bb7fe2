"""Reading a register the way people really keep it, through the standard in force.

`read_register(path, profile=None, sheet=None)` opens any register file (`pmo_xl.sources`:
.xlsx, .xlsm, .xlsb, .xls, .ods, .csv), builds the organisation's standard for it (defaults,
then the workbook's Lists sheet, then the profile: `pmo_xl.standard`, `pmo_xl.profile`),
resolves the settings the same way, and reads every sheet the standard declares: it finds the
header row among title rows (`pmo_xl.headers`), maps headers to columns, skips blank and
totals rows, and parses every column by its declared kind (`pmo_xl.parsing`). Each value keeps
its origin: the table records the Excel row of every record and the column letter of every
field, so findings can name the real cell (`Projects!M12`) however the sheet is laid out.

Only a file that cannot be a register at all (not a spreadsheet, no project sheet, no Project
ID column, a broken profile) raises `RegisterError`. Everything else the reader notices — a
missing column, a totals row, hidden rows, a money unit taken from a header, an unusable
setting — is a `Notice`, which validation reports as a finding.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .cells import cell_ref, column_letter
from .errors import RegisterError
from .limits import DEFAULT_MAXIMUM_AMOUNT
from .parsing import CellRules, Parsed, parse_column
from .schema import SETTINGS, SETTINGS_SHEET, Column, Kind, SheetSchema, normalise_header
from .sources import SheetData
from .standard import DEFAULT_STANDARD, LISTS_SHEET, Standard, with_lists

HEADER_SEARCH_ROWS = 20
MONEY_SCALES = {"units": 1.0, "thousands": 1e3, "millions": 1e6, "billions": 1e9}
# A totals row: blank ID (or an ID that itself says Total) and a first text such as "Total",
# "Grand total", "Sub-total", "Sum", "Totals:".
_TOTAL = re.compile(r"\s*(grand\s*)?(sub[\s-]?)?totals?\b|\s*sum\b", re.IGNORECASE)
_TOTAL_RE2 = r"^\s*(?:grand\s*)?(?:sub[\s-]?)?totals?\b|^\s*sum\b"


class _Source(Protocol):
    path: Path
    kind: str
    sheet_names: list[str]
    note: str | None

    def sheet(self, name: str) -> SheetData: ...


@dataclass(frozen=True)
class Notice:
    """Something the reader noticed that the user should know (validation reports it)."""

    sheet: str
    row: int
    column: str
    cell: str
    rule: str
    message: str


@dataclass
class Table:
    """One data sheet as read: raw cells, parsed values and where each came from."""

    schema: SheetSchema
    sheet: str
    header_row: int
    letters: dict[str, str]
    headers: dict[str, str]
    rows: pd.Series
    raw: pd.DataFrame
    parsed: dict[str, Parsed]
    missing: tuple[str, ...] = ()
    layout: Any = None  # headers.HeaderLayout, for inspect
    skipped: dict[int, str] = field(default_factory=dict)  # totals rows left out
    hidden: tuple[int, ...] = ()  # hidden or filtered-out rows that were read
    width: int = 0  # columns in the header row
    # Raw cells of the columns the standard does not know, by their header text (a repeated
    # text gets its column letter): a PMO's own fields, for its own report templates.
    extra: pd.DataFrame | None = None

    def __len__(self) -> int:
        return len(self.rows)

    @cached_property
    def values(self) -> pd.DataFrame:
        """Typed values of every schema column (absent columns are all blank); dropdown
        columns hold their canonical meaning."""
        # copy=False here and in the figures' frames: each column stays as built, instead of
        # pandas copying every column into 2-D blocks (a third of validation + roll-up).
        return pd.DataFrame({key: p.values for key, p in self.parsed.items()},
                            index=self.rows.index, copy=False)

    @cached_property
    def labels(self) -> pd.DataFrame:
        """Like `values`, but dropdown columns hold the organisation's words."""
        return pd.DataFrame({key: p.labels if p.labels is not None else p.values
                             for key, p in self.parsed.items()}, index=self.rows.index, copy=False)

    def value(self, key: str) -> pd.Series:
        return self.parsed[key].values

    def label(self, key: str) -> pd.Series:
        """One column as the register says it: a dropdown's words, else its values."""
        parsed = self.parsed[key]
        return parsed.labels if parsed.labels is not None else parsed.values

    def cell(self, key: str, row: int) -> str:
        return cell_ref(self.sheet, self.letters[key], row)

    def has(self, key: str) -> bool:
        """Whether the register keeps this column (found, and tracked by the standard)."""
        return key in self.letters

    def tracked(self, key: str) -> bool:
        return self.schema.column(key).tracked


@dataclass(frozen=True)
class Settings:
    """The settings in force: defaults, then the Settings sheet, then the profile."""

    organisation: str = ""
    logo: str = ""
    report_date: dt.date | None = None
    currency: str = ""
    money_unit: str = "units"
    maximum_amount: int = DEFAULT_MAXIMUM_AMOUNT
    stale_after_days: int = 30
    high_risk_score: int = 15
    issue_age_days: int = 30
    date_order: str = "auto"
    fallback_date_order: str = "DMY"
    earliest_year: int = 1990
    latest_year: int = 2100
    report_formats: str = "HTML, PDF"
    output_folder: str = "Reports"
    templates_folder: str = ""
    time_tolerance_days: int = 30
    cost_tolerance: float = 0.10
    tolerance_at_risk: float = 0.75
    scope_tolerance: str = ""
    report_kinds: str = "status, portfolio"

    def cell_rules(self, currency: str | None) -> CellRules:
        return CellRules(self.date_order, self.fallback_date_order,
                         (self.earliest_year, self.latest_year),
                         MONEY_SCALES[self.money_unit], currency, float(self.maximum_amount))


@dataclass
class Register:
    """A whole register: its tables by sheet, the settings and the standard in force."""

    path: Path
    tables: dict[str, Table]
    standard: Standard = DEFAULT_STANDARD
    settings: Settings = field(default_factory=Settings)
    notices: list[Notice] = field(default_factory=list)
    settings_sheet: str | None = None
    profile: Path | None = None
    kind: str = "xlsx"
    currency: str = "EUR"  # the currency in force: Settings, else what the amounts say

    @property
    def projects(self) -> Table:
        return self.tables[self.standard.projects.name]

    @property
    def lessons(self) -> Table | None:
        return self.tables.get("Lessons")

    @property
    def milestones(self) -> Table | None:
        return self.tables.get("Milestones")

    def table(self, sheet: str) -> Table | None:
        return self.tables.get(sheet)

    def children(self) -> list[Table]:
        """The tables whose rows belong to projects (lessons, milestones, ...)."""
        return [t for t in self.tables.values() if t.schema.parent]

    def __iter__(self) -> Iterator[Table]:
        return iter(self.tables.values())


@contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for a while. Reading builds millions of small
    lists that hold no reference cycles; the collector would rescan them again and again
    (about 10 % of a 100k-project read). The lessons index tokenises under it too."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_register(path: str | Path, *, profile: str | Path | None = None,
                  sheet: str | None = None, unnamed: bool = False) -> Register:
    """Read and parse a register; raise RegisterError if it is unusable.

    `profile`: a profile file (default: pmo-xl.toml beside the register, if any); `sheet`:
    the register's sheet that holds the projects (default: found by name or content);
    `unnamed`: read projects without a Project Name column as if the profile said it is not
    tracked (what `inspect` does, to show all it can)."""
    from .sources import open_register_file

    path = Path(path)
    with gc_paused():
        return _read(open_register_file(path), profile, sheet, unnamed)


def read_sheets(path: str | Path, sheets: Mapping[str, Sequence[Sequence[object]]], *,
                profile: str | Path | None = None) -> Register:
    """Parse a register from cell values already in memory, e.g. read from Excel.

    `sheets` maps each sheet name to its rows from A1 (blank cells as None or ""), in the
    workbook's order; `path` is the workbook the values come from (for messages and for
    finding files next to it). Raises RegisterError like `read_register`.
    """
    with gc_paused():
        return _read(_MemorySource(Path(path), sheets), profile, None)


@dataclass
class _MemorySource:
    path: Path
    sheets: Mapping[str, Sequence[Sequence[object]]]
    kind: str = "open workbook"
    note: str | None = None

    @property
    def sheet_names(self) -> list[str]:
        return list(self.sheets)

    def sheet(self, name: str) -> SheetData:
        return SheetData(name, [list(row) for row in self.sheets[name]])


# --- the standard and the settings in force ----------------------------------------------------


def _read(source: _Source, profile_path: str | Path | None, sheet: str | None,
          unnamed: bool = False) -> Register:
    from .profile import apply_profile, find_profile, load_profile

    names = {name.casefold(): name for name in source.sheet_names}
    notices: list[Notice] = []
    if source.note:
        notices.append(Notice("", 0, "", source.path.name, "file-note", source.note))
    standard = DEFAULT_STANDARD
    lists = names.get(LISTS_SHEET.casefold())
    if lists is not None:
        standard = with_lists(standard, source.sheet(lists).rows, lists)
    found_profile = find_profile(source.path, profile_path)
    profile = load_profile(found_profile) if found_profile else None
    if profile is not None:
        standard = apply_profile(standard, profile)
    notices += [Notice(p.sheet, p.row, p.column, p.cell, "bad-standard", p.message)
                for p in standard.problems]
    settings_sheet = names.get(SETTINGS_SHEET.casefold())
    settings = _resolve_settings(source, settings_sheet, profile, notices)
    tables, currency = _read_tables(source, standard, settings, sheet, profile, notices,
                                    unnamed)
    return Register(source.path, tables, standard, settings, notices, settings_sheet,
                    found_profile, source.kind, currency or "EUR")


def _resolve_settings(source: _Source, sheet: str | None, profile: Any,
                      notices: list[Notice]) -> Settings:
    values: dict[str, object] = {}
    if sheet is not None:
        values = _read_settings(source.sheet(sheet).rows, sheet, notices)
    if profile is not None:
        given = [(next(s for s in SETTINGS if s.key == key), raw)
                 for key, raw in profile.settings().items()]
        date_order = str(values.get("date_order", "auto"))
        for (setting, _), (value, reason) in zip(
                given, _parse_settings(given, date_order), strict=True):
            if reason:
                profile.refuse(f"[settings] {reason}")
            if value is not None:
                values[setting.key] = value
    return Settings(**{k: v for k, v in values.items() if v is not None})


def _read_settings(rows: Sequence[Sequence[object]], sheet: str,
                   notices: list[Notice]) -> dict[str, object]:
    """Settings are Setting | Value pairs anywhere in the sheet's first columns: the first
    readable one of each wins. Dates are read in the sheet's Date Order, wherever it is."""
    by_name = {normalise_header(s.name): s for s in SETTINGS}
    cells = {(r, c): setting for r, row in enumerate(rows) for c, text in enumerate(row[:-1])
             if isinstance(text, str) and (setting := by_name.get(normalise_header(text)))}
    orders = [_enum_setting(s, rows[r][c + 1])[0] for (r, c), s in cells.items()
              if s.key == "date_order"]
    date_order = str(next((order for order in orders if order), "auto"))
    read = dict(zip(cells, _parse_settings(
        [(setting, rows[r][c + 1]) for (r, c), setting in cells.items()], date_order),
        strict=True))
    values: dict[str, object] = {}
    for r, row in enumerate(rows):
        for c in range(len(row) - 1):
            setting = cells.get((r, c))
            if setting is None or setting.key in values:
                continue
            value, reason = read[(r, c)]
            if reason:
                cell = cell_ref(sheet, column_letter(c + 1), r + 1)
                notices.append(Notice(sheet, r + 1, setting.name, cell, "bad-setting", reason))
            else:
                values[setting.key] = value
            break
    return values


def _parse_settings(items: Sequence[tuple[Any, object]],
                    date_order: str) -> list[tuple[object, str]]:
    """Each (setting, cell) read as (value, reason it was refused), the cells of one kind
    parsed together: one column parse per kind rather than one per setting."""
    rules = CellRules(date_order if date_order in ("DMY", "MDY") else "auto")
    results: list[tuple[object, str]] = [(None, "")] * len(items)
    by_kind: dict[tuple[Kind, int], list[int]] = {}
    for i, (setting, raw) in enumerate(items):
        if setting.kind is Kind.ENUM:
            results[i] = _enum_setting(setting, raw)
        elif isinstance(raw, dt.date) and setting.kind is Kind.DATE:
            results[i] = (raw.date() if isinstance(raw, dt.datetime) else raw), ""
        else:  # a text date alone: with Date Order auto, no other cell decides its order
            by_kind.setdefault((setting.kind, i if setting.kind is Kind.DATE else -1),
                               []).append(i)
    for (kind, _), at in by_kind.items():
        cells = pd.Series([items[i][1] for i in at], dtype=object)
        parsed = parse_column(cells, Column(kind.name, kind.name, kind), rules)
        for position, i in enumerate(at):
            results[i] = _setting_value(items[i][0], items[i][1], parsed, position)
    return results


def _setting_value(setting: Any, raw: object, parsed: Any, at: int) -> tuple[object, str]:
    if bool(parsed.blank.iloc[at]):
        return None, ""
    value = parsed.values.iloc[at]
    if bool(parsed.bad.iloc[at]) or (setting.kind is Kind.DATE and pd.isna(value)):
        expected = {Kind.DATE: "a date", Kind.INTEGER: "a whole number",
                    Kind.PERCENT: "a percentage"}.get(setting.kind, "text")
        return None, f"{setting.name} '{raw}' is not {expected}"
    if setting.kind is Kind.DATE:
        return pd.Timestamp(value).date(), ""
    if setting.kind is Kind.INTEGER:
        if value < 1:
            return None, f"{setting.name} must be at least 1, not {raw}"
        if setting.maximum is not None and value > setting.maximum:
            return None, f"{setting.name} must be at most {setting.maximum:,}, not {raw}"
        return int(value), ""
    if setting.kind is Kind.PERCENT and not 0 < value <= 1 and (
            value != 0 or setting.key == "tolerance_at_risk"):
        return None, f"{setting.name} must be a percentage up to 100 %, not {raw}"
    if setting.key == "currency":
        code = str(value).strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", code):
            return None, f"Currency '{raw}' is not a three-letter ISO code such as EUR"
        return code, ""
    return value, ""


def _enum_setting(setting: Any, raw: object) -> tuple[object, str]:
    text = "" if raw is None else " ".join(str(raw).split())
    if not text:
        return None, ""
    for allowed in setting.allowed:
        if allowed.casefold() == text.casefold():
            return allowed, ""
    return None, f"{setting.name} '{raw}' is not one of {', '.join(setting.allowed)}"


# --- finding each sheet ------------------------------------------------------------------------


def _read_tables(source: _Source, standard: Standard, settings: Settings, sheet_option: str | None,
                 profile: Any, notices: list[Notice],
                 unnamed: bool = False) -> tuple[dict[str, Table], str]:
    from .money import header_money_unit

    units = {}
    sheets: dict[str, tuple[SheetData, Any]] = {}
    for schema in standard.sheets:
        data = _sheet_data(source, standard, schema, sheet_option, profile, notices)
        if data is None:
            continue
        layout = _layout(source.path, data, schema, standard)
        if layout is None and schema is standard.projects:  # _layout refused any other case
            raise RegisterError(source.path, f"sheet '{data.name}' is empty: no header row "
                                             "and no projects")
        if layout is None:
            continue
        sheets[schema.name] = (data, layout)
        for match in layout.matches:
            if match.key and schema.column(match.key).kind is Kind.MONEY:
                units[(schema.name, match.key)] = header_money_unit(match.header)
    currency = _register_currency(settings, sheets, units, standard)
    rules = settings.cell_rules(currency or None)
    tables: dict[str, Table] = {}
    for schema in standard.sheets:
        if schema.name in sheets:
            data, layout = sheets[schema.name]
            if unnamed and schema is standard.projects and layout is not None and (
                    "project_name" not in layout.positions()):
                schema = _without(schema, "project_name")
            table = _read_table(source.path, data, layout, schema, rules, units, notices)
            if table is not None:
                tables[schema.name] = table
    if settings.date_order == "auto":
        _follow_register_date_order(tables, rules)
    return tables, currency


def _follow_register_date_order(tables: Mapping[str, Table], rules: CellRules) -> None:
    """With Date Order auto, a date column whose text dates could be read either way follows
    the register's other date columns when those agree (a US register's column of 3/4/2022s
    is month-first like its 6/28/2024s), before the Ambiguous Date Order fallback. Only such
    columns are parsed again; a register of date cells has none."""
    columns = [(table, column) for table in tables.values() for column in table.schema.columns
               if column.kind is Kind.DATE and table.has(column.key)]
    decided = {table.parsed[c.key].note.get("date_order") for table, c in columns} & {
        "DMY", "MDY"}
    if len(decided) != 1 or (order := decided.pop()) == rules.fallback_date_order:
        return
    follow = dataclasses.replace(rules, fallback_date_order=order)
    for table, column in columns:
        if table.parsed[column.key].note.get("date_order") == "ambiguous":
            parsed = parse_column(table.raw[column.key], column, follow)
            parsed.note["why"] = (f"every date could be read either way: read {order} like "
                                  "the register's other date columns")
            table.parsed[column.key] = parsed


def _without(schema: SheetSchema, key: str) -> SheetSchema:
    """The sheet with one column not tracked."""
    columns = tuple(dataclasses.replace(c, tracked=False) if c.key == key else c
                    for c in schema.columns)
    return dataclasses.replace(schema, columns=columns)


def _sheet_data(source: _Source, standard: Standard, schema: SheetSchema,
                sheet_option: str | None, profile: Any,
                notices: list[Notice]) -> SheetData | None:
    """The register's sheet (or CSV file) that holds this pmo-xl sheet, or None."""
    from .sources import read_csv

    names = {name.casefold(): name for name in source.sheet_names}
    is_projects = schema is standard.projects
    wanted = (sheet_option if is_projects and sheet_option else
              standard.sheet_sources.get(schema.name))
    if wanted:
        if wanted.casefold().endswith((".csv", ".txt", ".tsv")) and profile is not None:
            return read_csv(profile.folder / wanted, schema.name)
        if wanted.casefold() not in names:
            listed = ", ".join(source.sheet_names) or "none"
            raise RegisterError(source.path, f"no sheet '{wanted}' for {schema.name} (the "
                                             f"workbook has: {listed})")
        return source.sheet(names[wanted.casefold()])
    if schema.name.casefold() in names:
        return source.sheet(names[schema.name.casefold()])
    if is_projects:
        return _guess_projects_sheet(source, schema, standard, notices)
    return None


def _guess_projects_sheet(source: _Source, schema: SheetSchema, standard: Standard,
                          notices: list[Notice]) -> SheetData:
    """No sheet is named Projects: the only sheet, else the sheet whose header row names the
    most project columns (a Project ID among them)."""
    from .headers import find_header
    from .layout import CHANGES, DASHBOARD, HISTORY, VALIDATION, is_snapshot_sheet

    own = {s.name.casefold() for s in standard.sheets} | {
        name.casefold() for name in (SETTINGS_SHEET, LISTS_SHEET, DASHBOARD, VALIDATION,
                                     HISTORY, CHANGES)}
    # pmo-xl's own sheets hold project columns too (History Projects) but never the register.
    candidates = [n for n in source.sheet_names
                  if n.casefold() not in own and not is_snapshot_sheet(n)]
    best, best_score = None, 0
    for name in candidates:
        data = source.sheet(name)
        layout = find_header(data.rows, _tracked(schema), merged=data.merged,
                             patterns=standard.patterns(schema.name))
        positions = layout.positions() if layout else {}
        score = len(positions) if "project_id" in positions else 0
        if len(candidates) == 1 or score > best_score:
            best, best_score = data, score
    listed = ", ".join(source.sheet_names) or "none"
    if best is None or (best_score == 0 and len(candidates) > 1):
        raise RegisterError(source.path, f"no '{schema.name}' sheet (the workbook has: "
                                         f"{listed}); name the projects sheet with --sheet or "
                                         "in a profile ([sheets] Projects = \"...\")")
    if source.kind != "csv" and len(source.sheet_names) > 1:
        notices.append(Notice(best.name, 0, "", best.name, "sheet-chosen",
                              f"no sheet is named {schema.name}: read sheet '{best.name}' "
                              f"as the project register (of {listed})"))
    return best


def _tracked(schema: SheetSchema) -> list[Column]:
    return [c for c in schema.columns if c.tracked]


def _layout(path: Path, data: SheetData, schema: SheetSchema, standard: Standard) -> Any:
    from .headers import find_header

    options = {"merged": data.merged, "patterns": standard.patterns(schema.name),
               "search_rows": HEADER_SEARCH_ROWS}
    layout = find_header(data.rows, _tracked(schema), **options)
    if layout is None:  # a header that names nothing but the sheet's ID column
        layout = find_header(data.rows, _tracked(schema), min_columns=1, **options)
        if layout is not None and schema.key_columns[0] not in layout.positions():
            layout = None
    if layout is None and not _all_blank(data.rows) and schema is standard.projects:
        raise RegisterError(path, f"sheet '{data.name}': no header row found in the first "
                                  f"{HEADER_SEARCH_ROWS} rows (a header names at least two "
                                  "columns such as Project ID and Project Name; run pmo-xl "
                                  "inspect to see what was found)")
    return layout


def _all_blank(rows: Sequence[Sequence[object]]) -> bool:
    return not any(any(v not in ("", None) for v in row) for row in rows)


def _register_currency(settings: Settings, sheets: Mapping[str, tuple[SheetData, Any]],
                       units: Mapping[tuple[str, str], Any], standard: Standard) -> str:
    """The register's currency: the Currency setting, else the one its amounts and money
    headers are written in (the most common), else ''."""
    from .money import currency_code, currency_of_amounts

    if settings.currency:
        return settings.currency
    seen: dict[str, int] = {}
    for unit in units.values():
        code = currency_code(unit.currency) if unit is not None and unit.currency else None
        if code:
            seen[code] = seen.get(code, 0) + 1_000_000  # a header says so for all its cells
    for name, (data, layout) in sheets.items():
        if layout is None:
            continue
        schema = standard.sheet(name)
        for key, index in layout.positions().items():
            if schema.column(key).kind is Kind.MONEY:
                cells = [row[index] for row in data.rows[layout.row + 1:] if index < len(row)]
                for code, count in currency_of_amounts(cells).items():
                    seen[code] = seen.get(code, 0) + count
    return max(seen, key=lambda code: seen[code]) if seen else ""


# --- reading one table ---------------------------------------------------------------------------


def _read_table(path: Path, data: SheetData, layout: Any, schema: SheetSchema,
                rules: CellRules, units: Mapping[tuple[str, str], Any],
                notices: list[Notice]) -> Table | None:
    if layout is None:
        return None
    positions = layout.positions()
    _check_duplicates(path, data.name, layout, schema)
    header_row = layout.row + 1
    missing_keys = [k for k in schema.key_columns if k not in positions
                    and schema.column(k).tracked]
    if missing_keys:
        _key_columns_missing(path, data.name, schema, layout, missing_keys, notices)
        return None
    width = max((m.index for m in layout.matches), default=-1) + 1
    body = data.rows[layout.row + 1:]
    unknown = unmatched_columns(layout)
    both = _raw_frame(body, {**positions, **{_EXTRA + h: i for h, i in unknown.items()}},
                      header_row + 1, data.blank_row)
    raw = both[list(positions)] if unknown else both
    skipped = _totals_rows(raw, body, header_row + 1, data.table_totals_rows, schema)
    raw = raw.drop(index=list(skipped))
    raw = raw[raw.notna().any(axis=1)]  # blank rows (text is trimmed already)
    # Only the standard's columns decide which rows are projects; the others come along.
    extra = both.loc[raw.index, [_EXTRA + h for h in unknown]].set_axis(list(unknown), axis=1)
    letters = {key: column_letter(i) for key, i in positions.items()}
    headers = {m.key: m.header for m in layout.matches if m.key}
    parsed = _parse_table(raw, schema, rules, {k: units.get((schema.name, k)) for k in positions})
    if not schema.column(schema.key_columns[-1]).tracked:  # e.g. no Project Name: use the ID
        name_key = schema.key_columns[-1]
        parsed[name_key] = dataclasses.replace(parsed[schema.key_columns[0]])
    rows = pd.Series(raw.index.to_numpy(), index=raw.index, name="row")
    missing = tuple(c.key for c in schema.columns if c.tracked and c.key not in positions)
    hidden = tuple(r for r in sorted(data.hidden_rows) if r in raw.index)
    table = Table(schema, data.name, header_row, letters, headers, rows, raw, parsed, missing,
                  layout, skipped, hidden, width, extra)
    notices += _table_notices(table, units, rules.currency)
    return table


_EXTRA = "\0extra:"  # keys of unmatched columns while read alongside the standard's


def unmatched_columns(layout: Any) -> dict[str, int]:
    """Header text -> 0-based index of every header cell that matched no column."""
    found: dict[str, int] = {}
    for m in layout.matches:
        if m.key is None and m.header.strip():
            name = m.header.strip()
            found[name if name not in found else f"{name} ({column_letter(m.index)})"] = m.index
    return found


def _check_duplicates(path: Path, sheet: str, layout: Any, schema: SheetSchema) -> None:
    for key, first, again in layout.duplicates:
        row = layout.row + 1
        raise RegisterError(path, f"sheet '{sheet}': columns {column_letter(first)}{row} and "
                                  f"{column_letter(again)}{row} are both "
                                  f"'{schema.column(key).name}'; keep one, or say which one is "
                                  f"meant in a profile ([columns.{schema.name}])")


def _key_columns_missing(path: Path, sheet: str, schema: SheetSchema, layout: Any,
                         missing: list[str], notices: list[Notice]) -> None:
    names = " and ".join(schema.column(k).name for k in missing)
    found = [f"{m.header} → {schema.column(m.key).name}" for m in layout.matches if m.key]
    problem = (f"sheet '{sheet}' has no {names} column (header row {layout.row + 1}; "
               f"recognised: {', '.join(found) or 'none'}); map it in a profile "
               f"([columns.{schema.name}]) or run pmo-xl inspect")
    if not schema.parent:
        raise RegisterError(path, problem)
    notices.append(Notice(sheet, layout.row + 1, names, cell_ref(sheet, "A", layout.row + 1),
                          "sheet-not-read", f"{problem}: the sheet was not read"))


def _raw_frame(body: Sequence[Sequence[object]], positions: Mapping[str, int],
               first_row: int, blank_row: object = None) -> pd.DataFrame:
    # One object grid, blanks made missing in one pass; each read column is then built by
    # `_column`, so that pandas has a proper dtype (all text, all numbers, all dates) for
    # the parsers' fast paths and "blank" is simply a missing value.
    excel_rows: pd.Index = pd.RangeIndex(first_row, first_row + len(body))
    if blank_row is not None:  # a sheet read compacted: only its rows with values
        kept = [i for i, row in enumerate(body) if row is not blank_row]
        body = [body[i] for i in kept]
        excel_rows = pd.Index(np.array(kept, dtype=np.int64) + first_row)
    grid = _grid(body)
    width = grid.shape[1] if grid.ndim == 2 else 0
    missing = np.full(len(body), None, dtype=object)
    frame = {key: _column(grid[:, index] if index < width else missing)
             for key, index in positions.items()}
    raw = pd.DataFrame(frame, copy=False)
    raw.index = excel_rows
    return raw


def _grid(body: Sequence[Sequence[object]]) -> np.ndarray:
    """The rows as a 2-D object array (ragged rows padded), blank text as None."""
    widths = {len(row) for row in body}
    if len(widths) > 1:  # a CSV's short rows: pad them, once
        width = max(widths)
        body = [list(row) + [None] * (width - len(row)) for row in body]
    grid = np.empty((len(body), max(widths, default=0)), dtype=object)
    if body:
        grid[:] = body  # element by element: a cell that is itself a sequence stays one cell
    grid[grid == ""] = None  # calamine's blank cell
    return grid


def _column(cells: np.ndarray) -> pd.Series:
    """One column's cells (blanks None) with text trimmed and blank text as missing.

    Most columns hold one kind of cell besides blanks (text, numbers or dates): pyarrow then
    types and trims them in C. Only a column that mixes kinds (a date column with some text,
    say) takes a pass in Python, cell by cell.
    """
    if not len(cells):
        return pd.Series([], dtype=object)
    try:
        typed = pa.array(cells, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        typed = None
    if typed is not None and pa.types.is_string(typed.type):
        trimmed = pc.utf8_trim_whitespace(typed)
        blank = pc.equal(trimmed, "")  # only cells of spaces: "" is None already
        if pc.any(blank).as_py():
            trimmed = pc.if_else(blank, pa.scalar(None, pa.string()), trimmed)
        return pd.Series(trimmed.to_pandas())
    if typed is not None and pa.types.is_date(typed.type):
        try:  # date cells: the parsers' datetime fast path
            typed = typed.cast(pa.timestamp("us"))
        except pa.ArrowInvalid:  # a date beyond pandas' timestamps: cell by cell, below
            typed = None
    if typed is not None and (pa.types.is_floating(typed.type) or pa.types.is_timestamp(
            typed.type) or (pa.types.is_integer(typed.type) and typed.null_count == 0)):
        return pd.Series(typed.to_pandas())
    return pd.Series([(v.strip() or None) if v.__class__ is str else v for v in cells.tolist()],
                     dtype=None)


def _totals_rows(raw: pd.DataFrame, body: Sequence[Sequence[object]], first_row: int,
                 table_totals: frozenset[int], schema: SheetSchema) -> dict[int, str]:
    """Rows that total the ones above: an Excel Table's totals row, or a row that says Total,
    Grand Total, Subtotal or Sum and has no real ID or name (each blank, or itself such a
    label). Which column comes first does not matter, so a register and the workbook
    `new --from` builds from it agree; a project whose ID says Total keeps its name."""
    skipped = {row: "the Excel Table's totals row" for row in table_totals if row in raw.index}
    labels = [_total_labels(raw[key]) if key in raw else None
              for key in (schema.key_columns[0], schema.key_columns[-1])]
    candidates = np.ones(len(raw), dtype=bool)
    for key, said in zip((schema.key_columns[0], schema.key_columns[-1]), labels, strict=True):
        if said is not None:
            candidates &= raw[key].isna().to_numpy() | said
    for position in np.flatnonzero(candidates):
        row = int(raw.index[position])
        if row in skipped:
            continue
        cells = body[row - first_row]
        said = next((v.strip() for v in cells if isinstance(v, str) and _TOTAL.match(v)), None)
        if said is not None:
            skipped[row] = f"'{said}'"
    return skipped


def _total_labels(cells: pd.Series) -> np.ndarray:
    """Which cells say Total, Grand Total, Subtotal or Sum (pyarrow's regex engine, the whole
    column at once)."""
    if isinstance(cells.dtype, pd.StringDtype) and cells.dtype.storage == "pyarrow":
        text = pa.array(cells.array)  # the reader's text columns: Arrow already
    else:
        text = pa.array(cells.astype(str).where(cells.notna(), None), type=pa.string())
    said = pc.fill_null(pc.match_substring_regex(text, _TOTAL_RE2, ignore_case=True), False)
    return np.asarray(said)


def _parse_table(raw: pd.DataFrame, schema: SheetSchema, rules: CellRules,
                 units: Mapping[str, Any]) -> dict[str, Parsed]:
    parsed = {}
    for column in schema.columns:
        cells = raw[column.key] if column.key in raw else _absent(raw.index)
        unit = units.get(column.key)
        parsed[column.key] = parse_column(cells, column, rules,
                                          unit.scale if unit is not None else None)
        if unit is not None and _foreign(unit, rules.currency):
            # The header says another currency: none of the column's amounts is summed (one
            # finding at the header says so, rather than one per cell).
            parsed[column.key].values = pd.Series(np.nan, index=cells.index)
    return parsed


def _foreign(unit: Any, currency: str | None) -> bool:
    from .money import currency_fits

    return bool(unit.currency and currency and not currency_fits(unit.currency, currency))


def _absent(index: pd.Index) -> pd.Series:
    return pd.Series(None, index=index, dtype=object)


def _table_notices(table: Table, units: Mapping[tuple[str, str], Any],
                   currency: str | None) -> list[Notice]:
    """What the user should know about a table as a whole: missing columns, money units and
    currencies taken from headers, fuzzy header matches, totals rows left out, hidden rows
    read."""
    schema, sheet, row = table.schema, table.sheet, table.header_row
    notices = []

    def at(key: str | None, rule: str, message: str, letter: str | None = None,
           where: int = row) -> None:
        name = schema.column(key).name if key else ""
        letter = letter or table.letters.get(key or "", "A")
        notices.append(Notice(sheet, where, name, cell_ref(sheet, letter, where), rule, message))

    free = column_letter(table.width)  # where a missing column would go
    for key in table.missing:
        column = schema.column(key)
        if column.required:
            at(key, "missing-column", f"the {column.name} column is missing: the standard "
               f"requires it (add it, e.g. at {cell_ref(sheet, free, row)}, map it in a "
               "profile, or declare it not tracked)", free)
    for match in table.layout.matches:
        if match.how == "fuzzy":
            at(match.key, "fuzzy-header", f"header '{match.header}' was read as "
               f"{schema.column(match.key).name} (a close match, {match.score:.0f} %); map it "
               "in a profile to be sure")
    for (sheet_name, key), unit in units.items():
        if sheet_name == schema.name and unit is not None and key in table.letters:
            for rule, message in _unit_notices(schema.column(key).name,
                                               table.headers.get(key, ""), unit, currency):
                at(key, rule, message)
    if table.skipped:
        first = min(table.skipped)
        listed = ", ".join(f"{r} ({why})" for r, why in sorted(table.skipped.items())[:5])
        many = len(table.skipped) > 1
        at(None, "totals-row", f"not read as {schema.name.lower()}: row{'s' * many} {listed} "
           f"total{'' if many else 's'} the rows above", "A", first)
    if table.hidden:
        count = len(table.hidden)
        at(None, "hidden-rows", f"{count} hidden or filtered-out row{'s' * (count != 1)} "
           f"{'were' if count != 1 else 'was'} read and count in every figure: rows "
           f"{_ranges(table.hidden)}", "A", table.hidden[0])
    return notices


def _unit_notices(name: str, header: str, unit: Any,
                  currency: str | None) -> list[tuple[str, str]]:
    """What a money header's declared unit means for its column: (rule, message) pairs."""
    found = []
    if _foreign(unit, currency):
        found.append(("other-currency", f"the header '{header}' says {unit.currency}, but "
                      f"the register's currency is {currency}: its amounts are not summed"))
    if unit.scale != 1:
        size = {1e3: "thousands", 1e6: "millions", 1e9: "billions"}.get(unit.scale,
                                                                       f"× {unit.scale:g}")
        found.append(("money-unit", f"{name} is read in {size}: its header '{header}' says so"))
    return found


def _ranges(rows: Sequence[int], limit: int = 8) -> str:
    """5, 9–14, 20 … (at most `limit` runs)."""
    runs: list[list[int]] = []
    for r in rows:
        if runs and r == runs[-1][-1] + 1:
            runs[-1].append(r)
        else:
            runs.append([r])
    text = ", ".join(str(run[0]) if len(run) == 1 else f"{run[0]}–{run[-1]}"
                     for run in runs[:limit])
    return text + (" …" if len(runs) > limit else "")
