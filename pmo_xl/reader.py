"""Reading a register workbook the way people really keep it.

`read_register(path)` opens an .xlsx/.xlsm with python-calamine (a Rust reader, about 5× faster
than openpyxl; see the README's benchmark), finds each sheet case-insensitively, finds the
header row among title rows, maps headers through the schema's aliases, skips blank rows, and
parses every column by its declared kind. Each value keeps its origin: the table records the
Excel row of every record and the column letter of every field, so findings can name the real
cell (`Projects!M12`) however the sheet is laid out.

Files that cannot be a register at all raise `RegisterError` with a one-line reason.
"""

from __future__ import annotations

import datetime as dt
import gc
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from .cells import cell_ref, column_letter
from .errors import RegisterError
from .parsing import Parsed, parse_column
from .schema import (
    LESSONS,
    MILESTONES,
    PROJECTS,
    SETTINGS,
    SETTINGS_SHEET,
    Column,
    Kind,
    SheetSchema,
    normalise_header,
)

HEADER_SEARCH_ROWS = 20
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
# A real register is a few MB unpacked; refuse archives that expand absurdly (zip bombs).
_MAX_UNPACKED_BYTES = 2 * 1024**3
_MAX_RATIO = 200
_BLANK = ("", None)  # calamine gives "" for a blank cell, Excel (xlwings) None


@dataclass
class Table:
    """One data sheet as read: raw cells, parsed values and where each came from."""

    schema: SheetSchema
    sheet: str
    header_row: int
    letters: dict[str, str]
    rows: pd.Series
    raw: pd.DataFrame
    parsed: dict[str, Parsed]

    def __len__(self) -> int:
        return len(self.rows)

    @cached_property
    def values(self) -> pd.DataFrame:
        """Typed values of every schema column (absent optional columns are all blank)."""
        return pd.DataFrame({key: p.values for key, p in self.parsed.items()},
                            index=self.rows.index)

    def value(self, key: str) -> pd.Series:
        return self.parsed[key].values

    def cell(self, key: str, row: int) -> str:
        return cell_ref(self.sheet, self.letters[key], row)

    def has(self, key: str) -> bool:
        return key in self.letters


@dataclass(frozen=True)
class Settings:
    """The Settings sheet, with defaults for anything not given."""

    organisation: str = ""
    logo: str = ""
    report_date: dt.date | None = None
    currency: str = "EUR"
    stale_after_days: int = 30
    date_order: str = "DMY"
    report_formats: str = "HTML, PDF"
    output_folder: str = "Reports"


@dataclass(frozen=True)
class SettingProblem:
    """A Settings value that could not be used (its default applies instead)."""

    name: str
    cell: str
    row: int
    value: object
    reason: str


@dataclass
class Register:
    """A whole register: projects, the optional lessons log and milestones, and settings."""

    path: Path
    projects: Table
    lessons: Table | None = None
    milestones: Table | None = None
    settings: Settings = field(default_factory=Settings)
    setting_problems: list[SettingProblem] = field(default_factory=list)
    settings_sheet: str | None = None

    def tables(self) -> list[Table]:
        return [t for t in (self.projects, self.lessons, self.milestones) if t is not None]


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Reading builds millions of small lists that hold no reference cycles; the cyclic
    garbage collector would rescan them again and again (about 10 % of a 100k-project read)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_register(path: str | Path) -> Register:
    """Read and parse a register workbook; raise RegisterError if it is unusable."""
    with _gc_paused():
        return _read_register(Path(path))


def read_sheets(path: str | Path, sheets: Mapping[str, Sequence[Sequence[object]]]) -> Register:
    """Parse a register from cell values already in memory, e.g. read from Excel.

    `sheets` maps each sheet name to its rows from A1 (blank cells as None or ""), in the
    workbook's order; `path` is the workbook the values come from (for messages and for
    finding files next to it). Raises RegisterError like `read_register`.
    """
    with _gc_paused():
        return _register(Path(path), list(sheets), lambda name: sheets[name])


def _read_register(path: Path) -> Register:
    check_workbook_file(path)
    book = _open(path)
    return _register(path, list(book.sheet_names), lambda name: _sheet_rows(path, book, name))


def _register(path: Path, sheet_names: list[str],
              rows_of: Callable[[str], Sequence[Sequence[object]]]) -> Register:
    sheets = {name.casefold(): name for name in sheet_names}

    settings_sheet = sheets.get(SETTINGS_SHEET.casefold())
    settings, problems = Settings(), []
    if settings_sheet is not None:
        settings, problems = _read_settings(rows_of(settings_sheet), settings_sheet)

    projects_sheet = sheets.get(PROJECTS.name.casefold())
    if projects_sheet is None:
        listed = ", ".join(sheet_names) or "none"
        raise RegisterError(path, f"no '{PROJECTS.name}' sheet (the workbook has: {listed})")
    projects = _read_table(path, rows_of(projects_sheet), projects_sheet, PROJECTS,
                           settings.date_order)
    if projects is None:
        raise RegisterError(path, f"sheet '{projects_sheet}' is empty")
    optional = {}
    for schema in (LESSONS, MILESTONES):
        name = sheets.get(schema.name.casefold())
        optional[schema.name] = (_read_table(path, rows_of(name), name, schema,
                                             settings.date_order) if name else None)
    return Register(path, projects, optional[LESSONS.name], optional[MILESTONES.name],
                    settings, problems, settings_sheet)


def check_workbook_file(path: Path) -> None:
    """Refuse files that are not an .xlsx/.xlsm package before any parser sees them."""
    if not path.exists():
        raise RegisterError(path, "file not found")
    if path.is_dir():
        raise RegisterError(path, "is a folder, not a workbook")
    with path.open("rb") as handle:
        head = handle.read(8)
    if not head:
        raise RegisterError(path, "the file is empty")
    if head == _OLE_MAGIC:
        raise RegisterError(path, _ole_problem(path))
    if not head.startswith(_ZIP_MAGIC):
        raise RegisterError(path, "not an Excel workbook (.xlsx or .xlsm expected)")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise RegisterError(path, "the workbook is damaged or truncated (not a complete "
                                  ".xlsx/.xlsm file)") from None
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names:
        raise RegisterError(path, "not an Excel workbook (no xl/workbook.xml inside)")
    unpacked = sum(info.file_size for info in infos)
    packed = max(1, sum(info.compress_size for info in infos))
    if unpacked > _MAX_UNPACKED_BYTES or unpacked / packed > _MAX_RATIO:
        raise RegisterError(path, "refused: the workbook expands to an implausible size "
                                  "(possible zip bomb)")


def _ole_problem(path: Path) -> str:
    # Encrypted .xlsx files are OLE containers holding an EncryptedPackage stream; anything
    # else in an OLE container is a legacy binary .xls workbook.
    data = path.read_bytes()
    if "EncryptedPackage".encode("utf-16-le") in data:
        return "the workbook is password-protected; save an unprotected copy and try again"
    return "legacy .xls workbooks are not supported; save it as .xlsx or .xlsm in Excel"


def _open(path: Path):  # noqa: ANN202 - python-calamine ships no type stubs
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises several unrelated types
        raise RegisterError(path, f"cannot be read as a workbook: {_reason(exc)}") from None


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if "entity" in text.lower():
        # Excel never writes DTD entities; their presence means a crafted (entity-bomb) file.
        return "it contains XML entity declarations, which Excel never writes (refused)"
    return text[:200] or type(exc).__name__


def _sheet_rows(path: Path, book, sheet: str) -> list[list[object]]:  # noqa: ANN001
    try:
        return book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    except Exception as exc:
        raise RegisterError(path, f"sheet '{sheet}' cannot be read: {_reason(exc)}") from None


def _find_header(rows: Sequence[Sequence[object]], lookup: dict[str, str]) -> int | None:
    """Index of the row (within the first 20) that names the most schema columns."""
    best, best_score = None, 1
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        score = len({lookup[h] for h in map(normalise_header, row) if h in lookup})
        if score > best_score:
            best, best_score = index, score
    return best


def _map_columns(path: Path, sheet: str, header: Sequence[object],
                 schema: SheetSchema, header_row: int) -> dict[str, int]:
    lookup = schema.header_lookup()
    positions: dict[str, int] = {}
    for index, text in enumerate(header):
        key = lookup.get(normalise_header(text))
        if key is None:
            continue
        if key in positions:
            first = column_letter(positions[key]) + str(header_row)
            again = column_letter(index) + str(header_row)
            name = schema.column(key).name
            raise RegisterError(path, f"sheet '{sheet}': columns {first} and {again} are both "
                                      f"'{name}'; keep one")
        positions[key] = index
    missing = [c.name for c in schema.columns if c.required and c.key not in positions]
    if missing:
        raise RegisterError(path, f"sheet '{sheet}': missing required column"
                                  f"{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                                  f"(header row {header_row})")
    return positions


def _read_table(path: Path, rows: Sequence[Sequence[object]], sheet: str,
                schema: SheetSchema, date_order: str) -> Table | None:
    if not any(any(v not in _BLANK for v in row) for row in rows):
        return None
    header_index = _find_header(rows, schema.header_lookup())
    if header_index is None:
        expected = ", ".join(c.name for c in schema.columns if c.required)
        raise RegisterError(path, f"sheet '{sheet}': no header row found in the first "
                                  f"{HEADER_SEARCH_ROWS} rows (expected {expected})")
    header_row = header_index + 1
    positions = _map_columns(path, sheet, rows[header_index], schema, header_row)
    body = rows[header_index + 1:]
    first_row = header_row + 1
    raw = pd.DataFrame({key: _column(body, i) for key, i in positions.items()})
    raw.index = pd.RangeIndex(first_row, first_row + len(raw))
    raw = raw[raw.notna().any(axis=1)]  # blank rows (text is trimmed already)
    parsed = _parse_table(raw, schema, date_order)
    letters = {key: column_letter(i) for key, i in positions.items()}
    rows_series = pd.Series(raw.index.to_numpy(), index=raw.index, name="row")
    return Table(schema, sheet, header_row, letters, rows_series, raw, parsed)


def _column(body: Sequence[Sequence[object]], index: int) -> pd.Series:
    # Text is trimmed and blank text becomes None here, in the one pass that collects the
    # column: pandas then infers a proper dtype (all text, all numbers, all dates) for the
    # parsers' fast paths, and "blank" is simply a missing value.
    cells = [(v.strip() or None) if (v := row[index]).__class__ is str else v for row in body]
    return pd.Series(cells, dtype=None if cells else object)


def _parse_table(raw: pd.DataFrame, schema: SheetSchema, date_order: str) -> dict[str, Parsed]:
    parsed = {}
    for column in schema.columns:
        cells = raw[column.key] if column.key in raw else _absent(raw.index)
        parsed[column.key] = parse_column(cells, column, date_order)
    return parsed


def _absent(index: pd.Index) -> pd.Series:
    return pd.Series(None, index=index, dtype=object)


def _read_settings(rows: Sequence[Sequence[object]], sheet: str,
                   ) -> tuple[Settings, list[SettingProblem]]:
    """Settings are Setting | Value pairs anywhere in the sheet's first columns."""
    by_name = {normalise_header(s.name): s for s in SETTINGS}
    values: dict[str, object] = {}
    problems: list[SettingProblem] = []
    for r, row in enumerate(rows):
        for c, text in enumerate(row[:-1]):
            setting = by_name.get(normalise_header(text)) if isinstance(text, str) else None
            if setting is None or setting.key in values:
                continue
            cell = cell_ref(sheet, column_letter(c + 1), r + 1)
            value, reason = _parse_setting(setting, row[c + 1], values.get("date_order", "DMY"))
            if reason:
                problems.append(SettingProblem(setting.name, cell, r + 1, row[c + 1], reason))
            else:
                values[setting.key] = value
            break
    return Settings(**{k: v for k, v in values.items() if v is not None}), problems


def _parse_setting(setting, raw: object, date_order: str) -> tuple[object, str]:  # noqa: ANN001
    column = Column(setting.name, setting.key, setting.kind, allowed=setting.allowed)
    parsed = parse_column(pd.Series([raw], dtype=object), column, str(date_order))
    if bool(parsed.blank.iloc[0]):
        return None, ""
    value = parsed.values.iloc[0]
    if bool(parsed.bad.iloc[0]):
        expected = {Kind.DATE: "a date", Kind.INTEGER: "a whole number",
                    Kind.ENUM: " or ".join(setting.allowed)}.get(setting.kind, "text")
        return None, f"{setting.name} '{raw}' is not {expected}"
    if setting.kind is Kind.DATE:
        return pd.Timestamp(value).date(), ""
    if setting.kind is Kind.INTEGER:
        if value < 1:
            return None, f"{setting.name} must be at least 1, not {raw}"
        return int(value), ""
    if setting.key == "currency":
        code = str(value).strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", code):
            return None, f"Currency '{raw}' is not a three-letter ISO code such as EUR"
        return code, ""
    return value, ""
