"""Run xlwings button functions against a real workbook file, without Excel.

The round trip of xlwings' VBA client (``xlwings/addin/Remote.bas``, ``RunServerPython``) is
replayed in three steps, each usable on its own:

1. `payload_from_workbook` reads an .xlsx/.xlsm with openpyxl and builds the JSON request that
   Remote.bas would send for it: the book, its defined names, and every worksheet's values,
   tables and pictures, encoded the way VBA-JSON (``WebHelpers.ConvertToJson``) encodes them.
2. `remote_book` opens that payload on xlwings' remote engine (``xw.Book(json=...)``) and makes
   it the mock caller, so that code calling ``xw.Book.caller()`` runs unchanged; afterwards
   ``book.json()["actions"]`` holds what the engine sends back.
3. `apply_actions` applies those actions to a copy of the file with openpyxl, mirroring the
   ``Sub <action>(wb As Workbook, action As Dictionary)`` procedures of Remote.bas, including
   how VBA-JSON parses the response and how Excel stores what ``Range.Value = arr`` assigns.

`remote_bas_actions` lists the actions Remote.bas can apply; an action outside that list raises
`ValueError` (Excel's VBA client would fail on it), an action this module cannot emulate with
openpyxl raises `NotImplementedError`, and a step at which Excel or VBA would stop with a
runtime error raises `VBARuntimeError`. Emulation assumes Excel for Windows in an en-US locale.

The remote engine is xlwings PRO (PolyForm Noncommercial): `remote_book` sets
``XLWINGS_LICENSE_KEY=noncommercial`` for the duration of the block only. This module is test
tooling; nothing in ``pmo_xl`` may import it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.metadata
import importlib.util
import json
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from copy import copy
from dataclasses import dataclass, field
from functools import cache
from itertools import product
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.comments import Comment
from openpyxl.formula.tokenizer import Token, Tokenizer, TokenizerError
from openpyxl.formula.translate import Translator
from openpyxl.styles import Color, PatternFill
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils.cell import get_column_letter, range_boundaries
from openpyxl.utils.datetime import CALENDAR_MAC_1904, to_excel
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.views import Selection
from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["SUPPORTED_ACTIONS", "UNSUPPORTED_ACTIONS", "VBARuntimeError", "apply_actions",
           "payload_from_workbook", "remote_bas_actions", "remote_book", "vba_parse_iso"]

LICENSE_VARIABLE = "XLWINGS_LICENSE_KEY"
MAX_ROWS, MAX_COLUMNS = 1_048_576, 16_384
# Formatting a range creates one openpyxl cell per cell; Excel would format whole rows/columns
# instead, which is not emulated. Larger ranges raise NotImplementedError.
MAX_FORMATTED_CELLS = 100_000
_MACRO_SUFFIXES = {".xlsm", ".xltm", ".xlam"}

# The error values WebHelpers.ConvertToJson knows (CVErr codes 2000-2042). Any other error
# (#SPILL!, #CALC!, #GETTING_DATA, ...) converts to nothing at all: the request becomes
# invalid JSON and the server rejects it.
_VBA_JSON_ERRORS = frozenset(
    {"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"})
_OLE_EPOCH = dt.datetime(1899, 12, 30)
_OLE_DAY_RANGE = (-657_434, 2_958_465)  # VBA Dates: 100-01-01 to 9999-12-31
_EXCEL_FIRST_DATE = dt.datetime(1900, 3, 1)  # earlier Dates differ between VBA and Excel
# How xlwings' engine encodes a datetime with a time of day (Engine.prepare_xl_data_element).
_XLWINGS_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
_EXCEL_DATE_FORMAT, _EXCEL_DATETIME_FORMAT = "mm-dd-yy", "m/d/yy h:mm"  # built-ins 14 and 22


class VBARuntimeError(RuntimeError):
    """Excel or VBA would stop here with a runtime error: the button's actions end midway."""


class _VBAError(Exception):
    """A runtime error inside a VBA function that its caller traps (``On Error``)."""


class _LargeNumberText(str):
    """A JSON number VBA-JSON kept as a String: more than 15 digits do not fit a Double."""


# --------------------------------------------------------------------------- Remote.bas


def _xlwings_dir() -> Path:
    # Located without importing xlwings: importing it before XLWINGS_LICENSE_KEY is set
    # leaves the remote engine unregistered (see _xlwings_with_remote_engine).
    spec = importlib.util.find_spec("xlwings")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("xlwings is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def remote_bas_path() -> Path:
    """The installed xlwings' VBA client module."""
    return _xlwings_dir() / "addin" / "Remote.bas"


@cache
def remote_bas_actions() -> frozenset[str]:
    """Names of Remote.bas' ``Sub name(wb As Workbook, action As Dictionary)``.

    These are the actions the VBA client can apply: ``RunServerPython`` calls
    ``Application.Run action("func"), wb, action`` for each action the server returns.
    """
    text = remote_bas_path().read_text(encoding="utf-8-sig", errors="replace")
    found = re.findall(
        r"^[ \t]*(?:(?:Public|Private)[ \t]+)?Sub[ \t]+(\w+)[ \t]*\([ \t]*(?:ByRef[ \t]+)?wb"
        r"[ \t]+As[ \t]+Workbook[ \t]*,[ \t]*(?:ByRef[ \t]+)?action[ \t]+As[ \t]+Dictionary"
        r"[ \t]*\)", text, flags=re.IGNORECASE | re.MULTILINE)
    return frozenset(found)


# --------------------------------------------------------------------------- VBA helpers


def _cint(text: str) -> int:
    """VBA ``CInt`` of a String (en-US): banker's rounding, Integer range."""
    match = re.fullmatch(r"\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*", text)
    if match is None:
        raise _VBAError("Type mismatch")
    try:
        value = round(float(match[1]))  # round() rounds half to even, as CInt does
    except OverflowError:
        raise _VBAError("Overflow") from None
    if not -32_768 <= value <= 32_767:
        raise _VBAError("Overflow")
    return value


def _val(text: str) -> float:
    """VBA ``Val``: the leading number of a string, ignoring blanks; 0 if there is none."""
    compact = re.sub(r"[ \t\r\n]", "", text)
    match = re.match(r"([+-]?(?:\d+\.?\d*|\.\d+))(?:[eEdD]([+-]?\d+))?", compact)
    if match is None:
        return 0.0
    return float(match[1] + (f"e{match[2]}" if match[2] else ""))


def _split(text: str, separator: str) -> list[str]:
    """VBA ``Split``: an empty string gives an empty array, not one empty element."""
    return text.split(separator) if text else []


def _date_serial(year: int, month: int, day: int) -> int:
    """VBA ``DateSerial`` as days since 1899-12-30, rolling months and days over."""
    if 0 <= year <= 29:  # two-digit years, Windows' default window
        year += 2000
    elif 30 <= year <= 99:
        year += 1900
    rolled_year, month_index = divmod(year * 12 + month - 1, 12)
    if not 100 <= rolled_year <= 9999:
        raise _VBAError("Invalid procedure call")
    serial = dt.date(rolled_year, month_index + 1, 1).toordinal() + day - 1
    serial -= _OLE_EPOCH.toordinal()
    if not _OLE_DAY_RANGE[0] <= serial <= _OLE_DAY_RANGE[1]:
        raise _VBAError("Invalid procedure call")
    return serial


def _time_serial(hours: float, minutes: float, seconds: float) -> int:
    """VBA ``TimeSerial`` in seconds; its arguments are Integers."""
    parts = [round(part) for part in (hours, minutes, seconds)]
    if any(not -32_768 <= part <= 32_767 for part in parts):
        raise _VBAError("Overflow")
    return parts[0] * 3600 + parts[1] * 60 + parts[2]


def _parse_iso(text: str) -> dt.datetime:
    """Port of xlwings' ``WebHelpers.ParseIso`` (timezone offsets parsed, then ignored)."""
    parts = _split(text, "T")
    if not parts:
        raise _VBAError("Subscript out of range")
    date_parts = _split(parts[0], "-")
    if len(date_parts) < 3:
        raise _VBAError("Subscript out of range")
    days = _date_serial(_cint(date_parts[0]), _cint(date_parts[1]), _cint(date_parts[2]))
    seconds = 0
    if len(parts) > 1:
        clock = parts[1]
        if "Z" in clock:
            time_parts = _split(clock.replace("Z", ""), ":")
        else:
            offset_at = clock.find("+")
            if offset_at < 0:
                offset_at = clock.find("-")
            if offset_at >= 0:
                time_parts = _split(clock[:offset_at], ":")
                offset = _split(clock[offset_at + 1:], ":")
                # Parsed (so a malformed offset is still an error) but no longer applied.
                if len(offset) == 1:
                    _time_serial(_cint(offset[0]), 0, 0)
                elif len(offset) == 2:
                    _time_serial(_cint(offset[0]), _cint(offset[1]), 0)
                elif len(offset) == 3:
                    _time_serial(_cint(offset[0]), _cint(offset[1]),
                                 math.floor(_val(offset[2])))
            else:
                time_parts = _split(clock, ":")
        # Select Case UBound(...): other counts add no time at all.
        if len(time_parts) == 1:
            seconds = _time_serial(_cint(time_parts[0]), 0, 0)
        elif len(time_parts) == 2:
            seconds = _time_serial(_cint(time_parts[0]), _cint(time_parts[1]), 0)
        elif len(time_parts) == 3:
            seconds = _time_serial(_cint(time_parts[0]), _cint(time_parts[1]),
                                   math.floor(_val(time_parts[2])))
    total = days * 86_400 + seconds
    if not _OLE_DAY_RANGE[0] * 86_400 <= total < (_OLE_DAY_RANGE[1] + 1) * 86_400:
        raise _VBAError("Overflow")
    return _OLE_EPOCH + dt.timedelta(seconds=total)


def vba_parse_iso(text: str) -> dt.datetime | None:
    """What ``WebHelpers.ParseIso`` makes of ``text``: a datetime, or None where it errors.

    setValues tries it on every value, so any string that starts ``<int>-<int>-<int>`` becomes
    a date in Excel, e.g. ``"2024-001-05"`` (2024-01-05) or ``"1-2-3"`` (2001-02-03), while
    ``"2024-01-15 10:30:00"`` (how xlwings sends a datetime) is no date to ParseIso.
    """
    try:
        return _parse_iso(text)
    except _VBAError:
        return None


def _sheet_prefix(name: str) -> str:
    """A sheet name as Excel writes it before ``!`` in references, quoted where needed."""
    if re.fullmatch(r"[^\W\d][\w.]*", name) and not re.fullmatch(
            r"[A-Za-z]{1,3}[1-9][0-9]*|[Rr][0-9]*[Cc]?[0-9]*", name):
        return name
    return "'" + name.replace("'", "''") + "'"


def _split_reference(reference: str) -> tuple[str | None, str]:
    """``'My Sheet'!$A$1`` -> (``My Sheet``, ``$A$1``); no sheet -> (None, reference)."""
    if "!" not in reference:
        return None, reference
    sheet, cells = reference.rsplit("!", 1)
    if len(sheet) >= 2 and sheet[0] == sheet[-1] == "'":
        sheet = sheet[1:-1].replace("''", "'")
    return sheet, cells


def _a1(row: int, column: int) -> str:
    return f"{get_column_letter(column)}{row}"


def _absolute(r1: int, c1: int, r2: int, c2: int) -> str:
    """``Range.Address`` (absolute), as Remote.bas sends table addresses."""
    first = f"${get_column_letter(c1)}${r1}"
    return first if (r1, c1) == (r2, c2) else f"{first}:${get_column_letter(c2)}${r2}"


# --------------------------------------------------------------------------- the request


def _ole_date_text(value: dt.datetime | dt.date | dt.time | dt.timedelta, epoch: Any) -> str:
    """A date cell as VBA-JSON sends it: ``ConvertToIso`` of what ``Range.Value`` returns.

    Range.Value hands VBA the cell's serial number as an OLE Date, whose day 0 is 1899-12-30
    (so serials below 61, shown by Excel as 1900-01-01..1900-02-29, come out a day earlier).
    """
    serial = to_excel(value, epoch)
    if epoch == CALENDAR_MAC_1904:
        serial += 1462  # Range.Value returns real dates in 1904-based books
    moment = _OLE_EPOCH + dt.timedelta(seconds=round(serial * 86_400))
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T"
            f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}.000Z")


def _vba_number(value: float) -> int | float:
    """A number as VBA-JSON writes it (CStr: 15 significant digits), then json.loads reads it.

    A whole number below 1E+15 is written without point or exponent, so the server reads it
    as an int; anything else is a float.
    """
    if not math.isfinite(value):
        raise ValueError(f"a cell holds {value!r}, which Excel cannot hold")
    rounded = float(f"{value:.15g}")
    if rounded.is_integer() and abs(rounded) < 1e15:
        return int(rounded)
    return rounded


def _cell_payload_value(cell: Cell | MergedCell | None, epoch: Any) -> Any:
    """One element of ``Range(A1, last).Value`` after ConvertToJson and the server's json.loads."""
    value = None if cell is None else cell.value
    if value is None:
        return None  # Empty -> null
    if cell is not None and cell.data_type == "e":
        if value in _VBA_JSON_ERRORS:
            return value
        raise ValueError(
            f"{cell.parent.title}!{cell.coordinate} holds {value}: Remote.bas' ConvertToJson "
            "writes nothing for that error value, so the request is invalid JSON")
    if isinstance(value, bool):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
        return _ole_date_text(value, epoch)
    if isinstance(value, int | float):
        return _vba_number(value)
    return str(value)


def _as_sent(obj: Any) -> Any:
    """VBA-JSON writes a 16-100 character string of only ``.0-9Ee`` unquoted, as a number."""
    if isinstance(obj, dict):
        return {key: _as_sent(value) for key, value in obj.items()}
    if isinstance(obj, list):
        return [_as_sent(value) for value in obj]
    if isinstance(obj, str) and 16 <= len(obj) <= 100 and re.fullmatch(r"[.0-9Ee]+", obj):
        try:
            return json.loads(obj)
        except json.JSONDecodeError:
            raise ValueError(
                f"Remote.bas sends the text {obj!r} unquoted, as a JSON number, and it is not "
                "one: the server cannot parse the request") from None
    return obj


def _used_values(ws: Worksheet, epoch: Any) -> list[list[Any]]:
    """``Range(A1, <UsedRange's last cell>).Value``, or ``[[]]`` for an empty UsedRange."""
    # UsedRange counts cells with a value or a format; openpyxl keeps exactly those cells
    # (plus any a program touched without setting either, which are left out here).
    used = [key for key, cell in ws._cells.items() if cell.value is not None or cell.has_style]
    if not used:
        return [[]]
    rows = [row for row, _ in used]
    columns = [column for _, column in used]
    last_row, last_column = max(rows), max(columns)
    if len(used) == 1 and ws._cells[used[0]].value is None:
        return [[]]  # IsEmpty(UsedRange.Value): a single, empty (formatted) cell
    cells = ws._cells
    return [[_cell_payload_value(cells.get((row, column)), epoch)
             for column in range(1, last_column + 1)] for row in range(1, last_row + 1)]


def _table_payload(table: Table) -> dict[str, Any]:
    min_col, min_row, max_col, max_row = range_boundaries(table.ref)
    headers = 1 if table.headerRowCount is None else table.headerRowCount
    totals = table.totalsRowCount or 0
    body = (min_row + headers, max_row - totals)
    style = table.tableStyleInfo.name if table.tableStyleInfo is not None else None
    return {
        "name": table.displayName or table.name,
        "range_address": _absolute(min_row, min_col, max_row, max_col),
        "header_row_range_address":
            _absolute(min_row, min_col, min_row, max_col) if headers else None,
        # DataBodyRange is Nothing for an empty table (only its insert row is showing).
        "data_body_range_address": None if table.insertRow or body[0] > body[1]
        else _absolute(body[0], min_col, body[1], max_col),
        "total_row_range_address":
            _absolute(max_row, min_col, max_row, max_col) if totals else None,
        "show_headers": bool(headers),
        "show_totals": bool(totals),
        "table_style": style,
        "show_autofilter": bool(headers) and table.autoFilter is not None,
    }


def _refers_to_range(wb: Workbook, text: str) -> tuple[int, str] | None:
    """(sheet index, ``Address(False, False)``) of a name's ``RefersToRange``, if it has one.

    A reference, or a union of references, to one worksheet. Formulas (OFFSET, INDIRECT, ...),
    constants, 3-D and external references count as no range here.
    """
    try:
        items = [item for item in Tokenizer("=" + text).items if item.type != Token.WSPACE]
    except TokenizerError:
        return None
    if not items or len(items) % 2 == 0:
        return None
    sheets, areas = set(), []
    for index, item in enumerate(items):
        if index % 2:
            if (item.type, item.value) != (Token.OP_IN, ","):
                return None
            continue
        if (item.type, item.subtype) != (Token.OPERAND, Token.RANGE):
            return None
        sheet, cells = _split_reference(item.value)
        if sheet is None or "[" in sheet or ":" in sheet:
            return None
        cells = cells.replace("$", "").upper()
        if not re.fullmatch(r"[A-Z]{1,3}\d+(:[A-Z]{1,3}\d+)?|[A-Z]{1,3}:[A-Z]{1,3}|\d+:\d+",
                            cells):
            return None
        first, _, last = cells.partition(":")
        # A1:A1 is the cell A1; 1:1 and A:A stay whole rows/columns.
        single_cell = first == last and re.fullmatch(r"[A-Z]+\d+", first)
        areas.append(first if single_cell else cells)
        sheets.add(sheet)
    titles = [sheet.title for sheet in wb._sheets]
    if len(sheets) != 1 or (sheet := sheets.pop()) not in titles:
        return None
    if not isinstance(wb._sheets[titles.index(sheet)], Worksheet):
        return None
    return titles.index(sheet), ",".join(areas)


def _names_payload(wb: Workbook) -> list[dict[str, Any]]:
    """Remote.bas' entries for ``wb.Names`` that have a ``RefersToRange``."""
    # (Name.Name, scope sheet or None, RefersTo without "=")
    names: list[tuple[str, Worksheet | None, str]] = [
        (name, None, definition.attr_text) for name, definition in wb.defined_names.items()]
    for ws in wb.worksheets:
        prefix = _sheet_prefix(ws.title)
        local = [(name, definition.attr_text) for name, definition in ws.defined_names.items()]
        # openpyxl keeps these built-in names as worksheet attributes; Excel lists them.
        if ws.auto_filter.ref:
            local.append(("_FilterDatabase", f"{prefix}!{_absolute_ref(ws.auto_filter.ref)}"))
        if ws.print_area:
            local.append(("Print_Area", ws.print_area))
        titles = [part for part in (ws.print_title_cols, ws.print_title_rows) if part]
        if titles:  # columns first, as Excel writes them
            local.append(("Print_Titles", ",".join(f"{prefix}!{part}" for part in titles)))
        names.extend((f"{prefix}!{name}", ws, text) for name, text in local)
    payload = []
    for name, scope, text in sorted(names, key=lambda entry: entry[0].casefold()):
        target = _refers_to_range(wb, text or "")
        if target is None:
            continue  # RefersToRange raises: Remote.bas leaves the name out
        sheet_index, address = target
        payload.append({
            "name": name, "sheet_index": sheet_index, "address": address,
            "book_scope": scope is None,
            "scope_sheet_name": None if scope is None else scope.title,
            "scope_sheet_index": None if scope is None else wb._sheets.index(scope),
        })
    return payload


def _absolute_ref(ref: str) -> str:
    return ":".join(re.sub(r"([A-Za-z]+)(\d+)", r"$\1$\2", part) for part in ref.split(":"))


def _sheet_names(names: str | Sequence[str] | None) -> list[str]:
    if not names:
        return []
    return (names.split(",") if isinstance(names, str) else list(names))


def payload_from_workbook(
    path: str | os.PathLike[str], *, active_sheet: str | None = None,
    selection: str | None = "A1", client: str = "VBA",
    include: str | Sequence[str] | None = None, exclude: str | Sequence[str] | None = None,
    book_name: str | None = None,
) -> dict[str, Any]:
    """The request ``RunServerPython`` (Remote.bas) sends for the workbook at ``path``.

    ``book_name`` replaces the file name in ``book.name``; the remote engine's
    ``Book.fullname`` returns it, so a test can pass the full path that Excel's FullName
    (the COM engine, which the buttons run on) would give.

    Read with openpyxl (``data_only=True``: formula cells give their cached values). Shape::

        {"client": "VBA", "version": <xlwings version>,
         "book": {"name", "active_sheet_index", "selection"},
         "names": [{"name", "sheet_index", "address", "book_scope",
                    "scope_sheet_name", "scope_sheet_index"}, ...],
         "sheets": [{"name", "pictures", "tables", "values"}, ...]}

    Mirrored from Remote.bas:

    - ``sheets`` is ``wb.Worksheets``: every worksheet in tab order, hidden and very hidden
      ones included, chart sheets left out. No ``visibility`` or ``used_range_address`` key
      (the Office.js client's), so on this payload the engine's ``Sheet.visible`` raises
      KeyError and ``used_range`` is derived from ``values``.
    - ``values`` run from A1 to the UsedRange's last cell (cells with a value or a format);
      ``[[]]`` for an empty sheet or one whose UsedRange is one empty cell. Empty cells are
      null; numbers have CStr's 15 significant digits and arrive as int when whole and below
      1E+15; date/time-formatted cells arrive as ``"yyyy-mm-ddTHH:MM:SS.000Z"`` for the OLE
      Date that Range.Value returns (time-only cells on 1899-12-30); the seven classic error
      values as ``"#N/A"`` etc.; newer ones (#SPILL!, #CALC!, ...) raise ValueError, because
      ConvertToJson then writes invalid JSON.
    - Anywhere in the payload, a 16-100 character string of only ``.0-9Ee`` is sent unquoted
      by VBA-JSON, so the server reads a number (text ``"1234567890123456"`` -> int), or
      cannot parse the request at all (``"0012345678901234"`` -> ValueError here).
    - ``names``: every name with a ``RefersToRange`` (one worksheet, one or more areas), in
      alphabetical order (the Names collection's), sheet-scoped ones as ``Sheet!name``, with
      ``address`` as ``Address(False, False)`` and sheet indexes into ``wb.Sheets``. Excel's
      hidden ``_FilterDatabase`` and ``Print_Area``/``Print_Titles`` names are included.
    - ``tables`` (ListObjects): addresses absolute, ``data_body_range_address`` null for an
      empty table, ``table_style`` and ``show_autofilter`` as ListObject reports them.
    - ``book``: the file name; ``active_sheet_index`` is ``ActiveSheet.Index - 1`` (counting
      chart sheets); ``selection`` is null when the active sheet is a chart sheet.
    - ``include``/``exclude`` (sheet names, a list or comma-separated as in RunServerPython
      and xlwings.conf): an excluded sheet is sent with empty values, tables and pictures.

    Known differences: ``pictures`` is always empty (openpyxl keeps no picture names); the
    UsedRange ignores row/column-level formats; formula cells without a cached value (files
    written by openpyxl and never opened in Excel) read as empty; currency-formatted cells
    (which Range.Value returns as Currency, rounded to 4 decimals) keep full precision;
    names whose definition is a formula returning a range are left out; a table without a
    style sends ``table_style`` null (Remote.bas' ``TableStyle.Name`` may fail there instead).
    """
    if client != "VBA":
        raise ValueError(
            f"client={client!r}: only the VBA client's payload (Remote.bas) is built here; "
            "the Office.js client sends a different shape")
    include_names, exclude_names = _sheet_names(include), _sheet_names(exclude)
    if include_names and exclude_names:
        raise ValueError("Either use 'include' or 'exclude', but not both!")  # Remote.bas
    path = Path(path)
    wb = openpyxl.load_workbook(path, data_only=True)
    try:
        return _payload(wb, book_name or path.name, active_sheet, selection, include_names,
                        exclude_names)
    finally:
        wb.close()


def _payload(wb: Workbook, book_name: str, active_sheet: str | None, selection: str | None,
             include: list[str], exclude: list[str]) -> dict[str, Any]:
    if active_sheet is None:
        active = wb.active if wb.active is not None else wb._sheets[0]
    else:
        matches = [sheet for sheet in wb._sheets if sheet.title == active_sheet] or [
            sheet for sheet in wb._sheets if sheet.title.casefold() == active_sheet.casefold()]
        if not matches:
            raise ValueError(f"no sheet named {active_sheet!r}")
        active = matches[0]
    if active.sheet_state != "visible":
        raise ValueError(f"sheet {active.title!r} is hidden; Excel cannot make it active")
    if not isinstance(active, Worksheet):
        selection = None  # TypeOf Selection Is Range fails on a chart sheet
    elif selection is not None:
        selection = selection.replace("$", "")  # Address(False, False)

    included = {name.strip() for name in include}
    excluded = {name.strip() for name in exclude}
    if include:
        excluded |= {ws.title for ws in wb.worksheets if ws.title not in included}
    sheets = []
    for ws in wb.worksheets:
        skip = ws.title in excluded
        sheets.append({
            "name": ws.title,
            "pictures": [],
            "tables": [] if skip else [_table_payload(table) for table in ws.tables.values()],
            "values": [[]] if skip else _used_values(ws, wb.epoch),
        })
    payload = {
        "client": "VBA",
        "version": importlib.metadata.version("xlwings"),  # XLWINGS_VERSION in the VBA
        "book": {"name": book_name, "active_sheet_index": wb._sheets.index(active),
                 "selection": selection},
        "names": _names_payload(wb),
        "sheets": sheets,
    }
    return _as_sent(payload)


# --------------------------------------------------------------------------- the engine


def _xlwings_with_remote_engine() -> Any:
    """xlwings, with its remote engine registered (call with the license key set)."""
    import xlwings as xw

    if "remote" not in xw.engines.engines_by_name:
        # xlwings registers the engine on import only if a license key is set by then; an
        # earlier import without one (by other tests, say) leaves it out for the process.
        from xlwings.main import Engine
        from xlwings.pro import _xlremote

        xw.engines.add(Engine(impl=_xlremote.engine))
    return xw


@contextlib.contextmanager
def remote_book(path: str | os.PathLike[str], **kwargs: Any) -> Iterator[Any]:
    """The workbook at ``path`` on xlwings' remote engine, as ``xw.Book.caller()``.

    ``kwargs`` go to `payload_from_workbook`. The license key is set only inside the block;
    on exit the mock caller is removed and the book closed, so read ``book.json()`` inside::

        with remote_book(path) as book:
            pmo_xl.excel.validate_entries()
            actions = book.json()["actions"]
    """
    with remote_payload_book(payload_from_workbook(path, **kwargs)) as book:
        yield book


@contextlib.contextmanager
def remote_payload_book(payload: dict[str, Any]) -> Iterator[Any]:
    """Like `remote_book`, from a payload already built (building one for a big workbook
    takes seconds; the engine copies nothing back into it, so it can be reused)."""
    previous = os.environ.get(LICENSE_VARIABLE)
    os.environ[LICENSE_VARIABLE] = "noncommercial"
    try:
        xw = _xlwings_with_remote_engine()
        book = xw.Book(json=copy_payload(payload))
        book.set_mock_caller()
        try:
            yield book
        finally:
            if "_mock_caller" in vars(xw.Book):
                del xw.Book._mock_caller  # set_mock_caller stores the book on the class
            with contextlib.suppress(Exception):
                book.close()
    finally:
        if previous is None:
            os.environ.pop(LICENSE_VARIABLE, None)
        else:
            os.environ[LICENSE_VARIABLE] = previous


def copy_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """A copy the engine may change (it inserts added sheets into its payload) without
    touching the original; the values lists are shared, as the engine only reads them."""
    copied = {**payload, "book": dict(payload["book"]), "names": list(payload["names"])}
    copied["sheets"] = [dict(sheet) for sheet in payload["sheets"]]
    return copied


# --------------------------------------------------------------------------- the response


def _vba_json_number(token: str) -> Any:
    """VBA-JSON's json_ParseNumber: more than 15 digits stay a String, the rest a Double."""
    large = len(token) >= 17 if "." in token else len(token) >= 16
    if large:
        return _LargeNumberText(token)
    return int(token) if re.fullmatch(r"-?\d+", token) else float(token)


def _as_received(actions: Any) -> list[dict[str, Any]]:
    """The actions after the server's json.dumps and Remote.bas' JSON parser."""
    text = json.dumps(actions, allow_nan=False)  # what the server responds (or fails on)
    received = json.loads(text, parse_int=_vba_json_number, parse_float=_vba_json_number)
    if not isinstance(received, list):
        raise TypeError("actions must be a list, as in book.json()['actions']")
    return received


@dataclass
class _Context:
    wb: Workbook
    alerts: list[dict[str, str]] = field(default_factory=list)


_Bounds = tuple[int, int, int, int]  # first row, first column, last row, last column


def _worksheet(wb: Workbook, position: Any) -> Worksheet:
    """``wb.Worksheets(position + 1)``."""
    if not isinstance(position, int) or not 0 <= position < len(wb.worksheets):
        raise VBARuntimeError(f"Worksheets({position!r} + 1): Subscript out of range")
    return wb.worksheets[position]


def _any_sheet(wb: Workbook, position: Any) -> Any:
    """``wb.Sheets(position + 1)``: counts chart sheets too."""
    if not isinstance(position, int) or not 0 <= position < len(wb._sheets):
        raise VBARuntimeError(f"Sheets({position!r} + 1): Subscript out of range")
    return wb._sheets[position]


def _get_range(wb: Workbook, action: dict[str, Any]) -> tuple[Worksheet, _Bounds]:
    """Remote.bas' GetRange."""
    ws = _worksheet(wb, action["sheet_position"])
    r1, c1 = action["start_row"] + 1, action["start_column"] + 1
    r2 = action["start_row"] + action["row_count"]
    c2 = action["start_column"] + action["column_count"]
    if not (1 <= r1 <= r2 <= MAX_ROWS and 1 <= c1 <= c2 <= MAX_COLUMNS):
        raise VBARuntimeError(f"GetRange: no such range ({r1}, {c1}):({r2}, {c2})")
    return ws, (r1, c1, r2, c2)


def _arg(action: dict[str, Any], number: int) -> Any:
    """``action("args")(number)``: VBA Collections count from 1."""
    args = action.get("args") or []
    if len(args) < number:
        raise VBARuntimeError(f"{action['func']}: args({number}): Subscript out of range")
    return args[number - 1]


def _existing_cells(ws: Worksheet, bounds: _Bounds) -> list[Cell | MergedCell]:
    """The cells openpyxl holds within ``bounds``, without creating any."""
    r1, c1, r2, c2 = bounds
    cells = ws._cells
    if (r2 - r1 + 1) * (c2 - c1 + 1) <= len(cells):
        return [cells[key] for key in product(range(r1, r2 + 1), range(c1, c2 + 1))
                if key in cells]
    # A huge range (A6:G1048576): look only at the cells that exist.
    return [cell for (row, column), cell in list(cells.items())
            if r1 <= row <= r2 and c1 <= column <= c2]


def _all_cells(ws: Worksheet, bounds: _Bounds) -> Iterator[Cell | MergedCell]:
    """Every cell within ``bounds``, created where missing (for formatting)."""
    r1, c1, r2, c2 = bounds
    if (r2 - r1 + 1) * (c2 - c1 + 1) > MAX_FORMATTED_CELLS:
        raise NotImplementedError(
            f"formatting {_a1(r1, c1)}:{_a1(r2, c2)}: ranges over {MAX_FORMATTED_CELLS} "
            "cells (whole rows/columns) are not emulated")
    for row, column in product(range(r1, r2 + 1), range(c1, c2 + 1)):
        yield ws._cells.get((row, column)) or ws.cell(row, column)


def _merged_overlaps(ws: Worksheet, bounds: _Bounds) -> tuple[list[Any], list[Any]]:
    """Merged ranges inside ``bounds``, and those only partly inside."""
    r1, c1, r2, c2 = bounds
    inside, partly = [], []
    for merged in ws.merged_cells.ranges:
        if merged.max_row < r1 or merged.min_row > r2 or merged.max_col < c1 \
                or merged.min_col > c2:
            continue
        contained = r1 <= merged.min_row and merged.max_row <= r2 and c1 <= merged.min_col \
            and merged.max_col <= c2
        (inside if contained else partly).append(merged)
    return inside, partly


def _table_headers(ws: Worksheet) -> dict[tuple[int, int], str]:
    """Header cells of the sheet's tables -> table name."""
    headers = {}
    for table in ws.tables.values():
        if table.headerRowCount == 0:
            continue
        min_col, min_row, max_col, _ = range_boundaries(table.ref)
        for column in range(min_col, max_col + 1):
            headers[(min_row, column)] = table.displayName
    return headers


def _header_change(table: str, coordinate: str) -> NotImplementedError:
    return NotImplementedError(
        f"changing header cell {coordinate} of table {table}: Excel renames the table "
        "column, which is not emulated")


def _guard_header(headers: dict[tuple[int, int], str], cell: Cell | MergedCell,
                  new_value: Any) -> None:
    table = headers.get((cell.row, cell.column))
    if table is not None and cell.value != new_value:
        raise _header_change(table, cell.coordinate)


# ---- setValues


_EMPTY = object()
_NA = "#N/A"


def _excel_value(value: Any) -> Any:
    """One element of setValues' ``arr`` after ``arr(i, j) = WebHelpers.ParseIso(v)``."""
    if value is None:
        return _EMPTY  # ParseIso(Null) fails; arr gets Null, which empties the cell
    if isinstance(value, str) and not isinstance(value, _LargeNumberText):
        parsed = vba_parse_iso(value)
        if parsed is not None:
            return parsed  # a VBA Date
    return value


def _store(cell: Cell, value: Any) -> None:
    """What Excel keeps when ``Range.Value`` assigns ``value`` (a Variant) to ``cell``."""
    if isinstance(cell, MergedCell):
        raise NotImplementedError(f"writing into merged cell {cell.coordinate}")
    if cell.quotePrefix:
        cell.quotePrefix = False  # a new entry drops the text prefix
    text_format = cell.number_format == "@"
    if value is _EMPTY or value == "":
        cell.value = None
    elif isinstance(value, bool | int | float):
        cell.value = value
    elif isinstance(value, dt.datetime):
        _store_date(cell, value)
    elif isinstance(value, _LargeNumberText):
        # Excel parses the string as typed input: a number with 15 significant digits.
        if text_format:
            _store_text(cell, str(value))
        else:
            cell.value = float(f"{float(value):.15g}")
    elif isinstance(value, str):
        if len(value) > 32_767:
            raise NotImplementedError(f"{cell.coordinate}: text over 32,767 characters")
        if value.startswith("'"):
            _store_text(cell, value[1:])
            cell.quotePrefix = True  # Excel's prefix character: shown without the apostrophe
        elif text_format:
            _store_text(cell, value)
        elif value == "=":
            raise VBARuntimeError(f"{cell.coordinate}: '=' is no formula Excel accepts")
        elif _XLWINGS_DATETIME.fullmatch(value) and (moment := _iso_datetime(value)):
            # How xlwings encodes a datetime; ParseIso fails on it, Excel's input parsing not.
            _store_date(cell, moment)
        else:
            cell.value = value  # "=..." -> formula, "#N/A" etc. -> error, else text
    else:
        raise TypeError(f"{cell.coordinate}: unexpected value {value!r}")


def _iso_datetime(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def _store_text(cell: Cell, text: str) -> None:
    cell.value = text or None
    if text:
        cell.data_type = "s"  # text even if it reads "=..." or "#N/A"


def _store_date(cell: Cell, moment: dt.datetime) -> None:
    if moment < _EXCEL_FIRST_DATE:
        raise NotImplementedError(
            f"{cell.coordinate}: Excel's handling of the date {moment:%Y-%m-%d} (before "
            "1900-03-01) is not emulated")
    number_format = cell.number_format
    cell.value = moment
    # Excel gives a General cell a date format; any other format stays (openpyxl would
    # replace a non-date format with its own).
    if number_format == "General":
        has_time = moment.time() != dt.time(0)
        cell.number_format = _EXCEL_DATETIME_FORMAT if has_time else _EXCEL_DATE_FORMAT
    else:
        cell.number_format = number_format


def _set_values(ctx: _Context, action: dict[str, Any]) -> None:
    values = action.get("values")
    if not values or not isinstance(values, list):
        raise VBARuntimeError("setValues: values(1): Subscript out of range")
    # ReDim arr(values.Count, values(1).Count): one spare row and column, left Empty.
    width = len(values[0])
    if any(len(row) > width for row in values):
        raise VBARuntimeError("setValues: a row longer than the first: Subscript out of range")
    ws, (r1, c1, r2, c2) = _get_range(ctx.wb, action)
    headers = _table_headers(ws)
    for i, j in product(range(r2 - r1 + 1), range(c2 - c1 + 1)):
        if i < len(values) and j < len(values[i]):
            value = _excel_value(values[i][j])
        elif i <= len(values) and j <= width:
            value = _EMPTY
        else:
            value = _NA  # Excel fills a range larger than the array with #N/A
        cell = ws._cells.get((r1 + i, c1 + j)) or ws.cell(r1 + i, c1 + j)
        before = (cell.value, cell.data_type)
        _store(cell, value)
        if (cell.row, cell.column) in headers and (cell.value, cell.data_type) != before:
            # Raised after the fact: the workbook is not saved anyway.
            raise _header_change(headers[(cell.row, cell.column)], cell.coordinate)


# ---- clearing


def _clear(ws: Worksheet, bounds: _Bounds, *, contents: bool, formats: bool) -> None:
    inside, partly = _merged_overlaps(ws, bounds)
    if partly and contents:
        raise VBARuntimeError("We can't do that to a merged cell (part of it is in the range)")
    if (inside or partly) and formats:
        raise NotImplementedError("clearing the formats of merged cells (unmerging)")
    headers = _table_headers(ws)
    cells = _existing_cells(ws, bounds)
    if contents:
        for cell in cells:
            _guard_header(headers, cell, None)
    for cell in cells:
        if contents and formats:
            del ws._cells[(cell.row, cell.column)]  # value, format, hyperlink and note
            continue
        if contents and not isinstance(cell, MergedCell):
            cell.value = None
        if formats:
            cell._style = StyleArray()


def _whole_sheet(ctx: _Context, action: dict[str, Any]) -> tuple[Worksheet, _Bounds]:
    return _worksheet(ctx.wb, action["sheet_position"]), (1, 1, MAX_ROWS, MAX_COLUMNS)


def _range_clear_contents(ctx: _Context, action: dict[str, Any]) -> None:
    _clear(*_get_range(ctx.wb, action), contents=True, formats=False)


def _range_clear_formats(ctx: _Context, action: dict[str, Any]) -> None:
    _clear(*_get_range(ctx.wb, action), contents=False, formats=True)


def _range_clear(ctx: _Context, action: dict[str, Any]) -> None:
    _clear(*_get_range(ctx.wb, action), contents=True, formats=True)


def _sheet_clear(ctx: _Context, action: dict[str, Any]) -> None:
    _clear(*_whole_sheet(ctx, action), contents=True, formats=True)


def _sheet_clear_contents(ctx: _Context, action: dict[str, Any]) -> None:
    _clear(*_whole_sheet(ctx, action), contents=True, formats=False)


def _sheet_clear_formats(ctx: _Context, action: dict[str, Any]) -> None:
    _clear(*_whole_sheet(ctx, action), contents=False, formats=True)


# ---- formats


def _hex_to_rgb(hex_color: Any) -> str:
    """Remote.bas' HexToRgb: ``Val("&H" & Mid(...))`` per channel, 0 where it reads no digit."""
    if hex_color is None:
        raise VBARuntimeError("HexToRgb(Null): Invalid use of Null (color None)")
    text = str(hex_color).replace("#", "")
    channels = []
    for start in (0, 2, 4):
        digits = re.match(r"[0-9A-Fa-f]*", text[start:start + 2])[0]
        channels.append(int(digits, 16) if digits else 0)
    return "".join(f"{channel:02X}" for channel in channels)


def _set_range_color(ctx: _Context, action: dict[str, Any]) -> None:
    rgb = _hex_to_rgb(_arg(action, 1))
    ws, bounds = _get_range(ctx.wb, action)
    # Interior.Color: a solid pattern in that colour, pattern colour automatic.
    fill = PatternFill(fill_type="solid", fgColor=Color(rgb=f"FF{rgb}"),
                       bgColor=Color(indexed=64))
    for cell in _all_cells(ws, bounds):
        cell.fill = fill


def _set_number_format(ctx: _Context, action: dict[str, Any]) -> None:
    number_format = _arg(action, 1)
    if not isinstance(number_format, str):
        raise VBARuntimeError(f"NumberFormat = {number_format!r}")
    ws, bounds = _get_range(ctx.wb, action)
    for cell in _all_cells(ws, bounds):
        cell.number_format = number_format


def _add_hyperlink(ctx: _Context, action: dict[str, Any]) -> None:
    address, text, tip = _arg(action, 1), _arg(action, 2), _arg(action, 3)
    ws, (r1, c1, r2, c2) = _get_range(ctx.wb, action)
    if (r1, c1) != (r2, c2):
        raise NotImplementedError("addHyperlink on more than one cell")
    cell = ws._cells.get((r1, c1)) or ws.cell(r1, c1)
    _guard_header(_table_headers(ws), cell, text)
    link = Hyperlink(ref=cell.coordinate, tooltip=tip)
    if str(address).startswith("#"):
        link.location = str(address)[1:]  # a place in this workbook
    else:
        link.target = str(address)
    cell.hyperlink = link
    _store_text(cell, str(address if text is None else text))  # TextToDisplay
    cell.style = "Hyperlink"  # the cell style Excel gives a new hyperlink


# ---- sheets


def _check_sheet_name(wb: Workbook, name: Any, renamed: Any = None) -> str:
    """Excel's rules for ``Worksheet.Name = name`` (error 1004 otherwise)."""
    if not isinstance(name, str) or not 1 <= len(name) <= 31 or set(name) & set("\\/?*[]:") \
            or name[0] == "'" or name[-1] == "'" or name.casefold() == "history":
        raise VBARuntimeError(f"invalid sheet name {name!r}")
    if any(sheet is not renamed and sheet.title.casefold() == name.casefold()
           for sheet in wb._sheets):
        raise VBARuntimeError(f"a sheet named {name!r} already exists")
    return name


def _activate(wb: Workbook, sheet: Any) -> None:
    if sheet.sheet_state != "visible":
        raise VBARuntimeError(f"Activate: sheet {sheet.title!r} is hidden")
    wb.active = sheet
    for other in wb.worksheets:  # one selected tab, not a group
        other.sheet_view.tabSelected = other is sheet


def _add_sheet(ctx: _Context, action: dict[str, Any]) -> None:
    wb = ctx.wb
    position, name = _arg(action, 1), _arg(action, 2)
    active = wb.active
    # wb.Sheets.Add: a new sheet before the active one, which it becomes.
    number = len(wb._sheets) + 1
    while any(sheet.title.casefold() == f"sheet{number}" for sheet in wb._sheets):
        number += 1
    new = wb.create_sheet(f"Sheet{number}", wb._sheets.index(active) if active else None)
    # mysheet.Move After:=Worksheets(args(1) + 1), counted with the new sheet in place.
    anchor = _worksheet(wb, position)
    if anchor is not new:
        wb._sheets.remove(new)
        wb._sheets.insert(wb._sheets.index(anchor) + 1, new)
    if name is not None:
        new.title = _check_sheet_name(wb, name, renamed=new)
    _activate(wb, new)


def _rewrite_references(formula: str, rename: Callable[[str], str | None]) -> str:
    """``formula`` (``=...``) with each ``Sheet!`` reference's sheet passed through ``rename``
    (None: the sheet is gone, the reference becomes ``#REF!``)."""
    try:
        tokens = Tokenizer(formula)
    except TokenizerError:
        return formula
    changed = False
    for item in tokens.items:
        if item.type != Token.OPERAND or item.subtype != Token.RANGE or "!" not in item.value:
            continue
        sheet, cells = _split_reference(item.value)
        if sheet is None or "[" in sheet:
            continue
        parts = sheet.split(":")  # a 3-D reference names two sheets
        renamed = [rename(part) for part in parts]
        if renamed == parts:
            continue
        if any(part is None for part in renamed):
            item.value = f"#REF!{cells}"
        else:
            item.value = f"{_sheet_prefix(':'.join(renamed))}!{cells}"
        changed = True
    return tokens.render() if changed else formula


def _rewrite_workbook_references(wb: Workbook, rename: Callable[[str], str | None]) -> None:
    """Excel's follow-up to renaming/deleting a sheet: formulas and names are rewritten."""
    for ws in wb.worksheets:
        for cell in ws._cells.values():
            if cell.data_type == "f" and isinstance(cell.value, str):
                cell._value = _rewrite_references(cell.value, rename)
    definitions = list(wb.defined_names.values())
    for ws in wb.worksheets:
        definitions.extend(ws.defined_names.values())
    for definition in definitions:
        if definition.attr_text:
            definition.attr_text = _rewrite_references(
                "=" + definition.attr_text, rename).removeprefix("=")


def _set_sheet_name(ctx: _Context, action: dict[str, Any]) -> None:
    sheet = _any_sheet(ctx.wb, action["sheet_position"])
    old, new = sheet.title, _check_sheet_name(ctx.wb, _arg(action, 1), renamed=sheet)
    sheet.title = new
    _rewrite_workbook_references(
        ctx.wb, lambda name: new if name.casefold() == old.casefold() else name)


def _activate_sheet(ctx: _Context, action: dict[str, Any]) -> None:
    _activate(ctx.wb, _any_sheet(ctx.wb, _arg(action, 1)))


def _sheet_delete(ctx: _Context, action: dict[str, Any]) -> None:
    wb = ctx.wb
    ws = _worksheet(wb, action["sheet_position"])
    visible = [sheet for sheet in wb._sheets if sheet.sheet_state == "visible"]
    if visible == [ws]:
        raise VBARuntimeError("a workbook must contain at least one visible sheet")
    active = wb.active
    if active is ws:
        # Excel activates the next visible sheet, or the previous one if there is none.
        index = visible.index(ws)
        active = visible[index + 1] if index + 1 < len(visible) else visible[index - 1]
    wb.remove(ws)
    _activate(wb, active)
    gone = ws.title.casefold()
    _rewrite_workbook_references(wb, lambda name: None if name.casefold() == gone else name)


def _range_select(ctx: _Context, action: dict[str, Any]) -> None:
    ws, (r1, c1, r2, c2) = _get_range(ctx.wb, action)
    if ctx.wb.active is not ws:
        raise VBARuntimeError("Select method of Range class failed (sheet not active)")
    address = _a1(r1, c1) if (r1, c1) == (r2, c2) else f"{_a1(r1, c1)}:{_a1(r2, c2)}"
    view = ws.sheet_view
    pane = view.pane.activePane if view.pane is not None else None
    selections = [selection for selection in view.selection if selection.pane == pane]
    if not selections:
        selections = [Selection(pane=pane)]
        view.selection.append(selections[0])
    selections[0].activeCell, selections[0].sqref = _a1(r1, c1), address


# ---- names


def _reference(ws: Worksheet, bounds: _Bounds) -> str:
    return f"{_sheet_prefix(ws.title)}!{_absolute(*bounds)}"


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not re.fullmatch(r"[^\W\d][\w.]*|\\[\w.]*", name) \
            or re.fullmatch(r"[A-Za-z]{1,3}\d+|[RrCc]|[Rr]\d*[Cc]\d*", name):
        raise VBARuntimeError(f"invalid name {name!r}")
    return name


def _define(scope: Workbook | Worksheet, name: str, text: str) -> None:
    definition = DefinedName(name, attr_text=text)
    scope.defined_names[name] = definition


def _set_range_name(ctx: _Context, action: dict[str, Any]) -> None:
    ws, bounds = _get_range(ctx.wb, action)
    name = _arg(action, 1)
    sheet, local = _split_reference(name) if isinstance(name, str) else (None, name)
    if sheet is None:
        _define(ctx.wb, _check_name(local), _reference(ws, bounds))  # Range.Name = "x"
        return
    matches = [other for other in ctx.wb.worksheets if other.title.casefold() == sheet.casefold()]
    if not matches:
        raise VBARuntimeError(f"invalid name {name!r}")
    _define(matches[0], _check_name(local), _reference(ws, bounds))  # "Sheet1!x": local


def _refers_to_text(refers_to: Any) -> str:
    """Names.Add RefersTo: a formula if it starts with ``=``, otherwise a constant."""
    if isinstance(refers_to, str):
        if refers_to.startswith("="):
            return refers_to[1:]
        return '"' + refers_to.replace('"', '""') + '"'
    if isinstance(refers_to, bool):
        return "TRUE" if refers_to else "FALSE"
    if isinstance(refers_to, int | float):
        return str(refers_to)
    raise VBARuntimeError(f"Names.Add RefersTo:={refers_to!r}")


def _names_add(ctx: _Context, action: dict[str, Any]) -> None:
    name, text = _check_name(_arg(action, 1)), _refers_to_text(_arg(action, 2))
    position = action.get("sheet_position")
    _define(ctx.wb if position is None else _worksheet(ctx.wb, position), name, text)


def _name_delete(ctx: _Context, action: dict[str, Any]) -> None:
    name, refers_to = _arg(action, 1), _arg(action, 2)
    entries: list[tuple[str, Any, str]] = [
        (key, ctx.wb.defined_names, key) for key in ctx.wb.defined_names]
    for ws in ctx.wb.worksheets:
        prefix = _sheet_prefix(ws.title)
        entries.extend((f"{prefix}!{key}", ws.defined_names, key) for key in ws.defined_names)
    for full_name, collection, key in sorted(entries, key=lambda entry: entry[0].casefold()):
        # Name.Name and Name.RefersTo compared as VBA does: case-sensitive.
        if full_name == name and "=" + (collection[key].attr_text or "") == refers_to:
            del collection[key]
            return


# ---- tables


def _table(ctx: _Context, action: dict[str, Any]) -> Table:
    ws = _worksheet(ctx.wb, action["sheet_position"])
    index, tables = _arg(action, 1), list(ws.tables.values())
    if not isinstance(index, int) or not 0 <= index < len(tables):
        raise VBARuntimeError(f"ListObjects({index!r} + 1): Subscript out of range")
    return tables[index]


def _set_table_style(ctx: _Context, action: dict[str, Any]) -> None:
    table, style = _table(ctx, action), _arg(action, 2)
    if table.tableStyleInfo is None:
        table.tableStyleInfo = TableStyleInfo(showRowStripes=True)
    table.tableStyleInfo.name = style or None


def _show_autofilter_table(ctx: _Context, action: dict[str, Any]) -> None:
    table, show = _table(ctx, action), bool(_arg(action, 2))
    if not show:
        table.autoFilter = None
        return
    if table.headerRowCount == 0:
        raise VBARuntimeError("ShowAutoFilter on a table without headers")
    min_col, min_row, max_col, max_row = range_boundaries(table.ref)
    max_row -= table.totalsRowCount or 0
    table.autoFilter = AutoFilter(ref=f"{_a1(min_row, min_col)}:{_a1(max_row, max_col)}")


# ---- copy


def _copy_range(ctx: _Context, action: dict[str, Any]) -> None:
    destination_sheet, destination = _arg(action, 1), _arg(action, 2)
    ws, bounds = _get_range(ctx.wb, action)
    if destination_sheet is None:
        return  # Range.Copy to the clipboard: the workbook does not change
    target = _worksheet(ctx.wb, destination_sheet)
    try:
        t_col, t_row, t_max_col, t_max_row = range_boundaries(str(destination).replace("$", ""))
    except (TypeError, ValueError):
        raise VBARuntimeError(f"Range({destination!r}): no such range") from None
    r1, c1, r2, c2 = bounds
    height, width = r2 - r1 + 1, c2 - c1 + 1
    if (t_max_row - t_row + 1, t_max_col - t_col + 1) not in {(1, 1), (height, width)}:
        raise NotImplementedError("copyRange to a destination of another size (tiling)")
    target_bounds = (t_row, t_col, t_row + height - 1, t_col + width - 1)
    for sheet, area in ((ws, bounds), (target, target_bounds)):
        inside, partly = _merged_overlaps(sheet, area)
        if inside or partly:
            raise NotImplementedError("copyRange with merged cells")
    if any(cell.data_type == "f" and not isinstance(cell.value, str)
           for cell in _existing_cells(ws, bounds)):
        raise NotImplementedError("copyRange of array or data-table formulas")
    source = {(cell.row - r1, cell.column - c1): (cell.value, cell.data_type, copy(cell._style),
                                                   cell.hyperlink, cell.comment)
              for cell in _existing_cells(ws, bounds)}  # read all before writing (overlap)
    headers = _table_headers(target)
    for cell in _existing_cells(target, target_bounds):
        offset = (cell.row - t_row, cell.column - t_col)
        if offset not in source:
            _guard_header(headers, cell, None)
            del target._cells[(cell.row, cell.column)]  # a blank pastes as blank
    for (i, j), (value, data_type, style, link, note) in source.items():
        cell = target.cell(t_row + i, t_col + j)
        if data_type == "f":
            value = Translator(value, origin=_a1(r1 + i, c1 + j)).translate_formula(
                cell.coordinate)
        _guard_header(headers, cell, value)
        cell._value, cell.data_type, cell._style = value, data_type, copy(style)
        cell.hyperlink = None if link is None else Hyperlink(
            ref=cell.coordinate, target=link.target, location=link.location,
            tooltip=link.tooltip, display=link.display)
        cell.comment = None if note is None else Comment(note.text, note.author)


# ---- alert


def _alert(ctx: _Context, action: dict[str, Any]) -> None:
    prompt, title, buttons, mode, callback = (_arg(action, number) for number in range(1, 6))
    values = {"prompt": prompt, "title": title, "buttons": buttons, "mode": mode,
              "callback": callback}
    if any(value is None for value in values.values()):
        raise VBARuntimeError("alert: Invalid use of Null")  # Dim ... As String
    if callback != "":
        raise NotImplementedError(
            f"alert: the callback macro {callback!r} runs in Excel; not emulated")
    ctx.alerts.append({key: str(value) for key, value in values.items()})


# ---- the table of actions

_Handler = Callable[[_Context, dict[str, Any]], None]

_HANDLERS: dict[str, _Handler] = {
    "setValues": _set_values,
    "rangeClearContents": _range_clear_contents,
    "rangeClearFormats": _range_clear_formats,
    "rangeClear": _range_clear,
    "addSheet": _add_sheet,
    "setSheetName": _set_sheet_name,
    "setRangeColor": _set_range_color,
    "activateSheet": _activate_sheet,
    "addHyperlink": _add_hyperlink,
    "setNumberFormat": _set_number_format,
    "alert": _alert,
    "setRangeName": _set_range_name,
    "namesAdd": _names_add,
    "nameDelete": _name_delete,
    "rangeSelect": _range_select,
    "setTableStyle": _set_table_style,
    "showAutofilterTable": _show_autofilter_table,
    "copyRange": _copy_range,
    "sheetDelete": _sheet_delete,
    "sheetClear": _sheet_clear,
    "sheetClearContents": _sheet_clear_contents,
    "sheetClearFormats": _sheet_clear_formats,
}

#: Remote.bas actions this module cannot apply with openpyxl, and why.
UNSUPPORTED_ACTIONS: dict[str, str] = {
    "setAutofit": "autofit needs Excel's font metrics",
    "setPictureName": "pictures are not emulated",
    "setPictureHeight": "pictures are not emulated",
    "setPictureWidth": "pictures are not emulated",
    "deletePicture": "pictures are not emulated",
    "addPicture": "pictures are not emulated",
    "updatePicture": "pictures are not emulated",
    "runMacro": "it runs a VBA macro",
    "rangeDelete": "Excel shifts cells and rewrites every reference to them",
    "rangeInsert": "Excel shifts cells and rewrites every reference to them",
    "addTable": "creating tables (header coercion, naming) is not emulated",
    "setTableName": "Excel rewrites structured references to the table",
    "resizeTable": "resizing tables is not emulated",
    "showHeadersTable": "Excel moves the table's cells",
    "showTotalsTable": "Excel adds or removes the totals row's cells",
}

#: Remote.bas actions `apply_actions` applies.
SUPPORTED_ACTIONS: frozenset[str] = frozenset(_HANDLERS)


def apply_actions(source: str | os.PathLike[str], actions: Iterable[dict[str, Any]],
                  target: str | os.PathLike[str]) -> list[dict[str, str]]:
    """Apply ``actions`` (``book.json()["actions"]``) to a copy of ``source`` saved as ``target``.

    Each action runs as Remote.bas' ``Sub <func>(wb, action)`` would: after the server's
    ``json.dumps`` and VBA-JSON's parsing (a number of more than 15 characters, e.g. the float
    ``0.30000000000000004``, arrives as a String that Excel then parses as typed input), in
    order, on ``wb.Worksheets(sheet_position + 1)``. Returns the alerts, which Excel shows
    rather than applies: ``[{"prompt", "title", "buttons", "mode", "callback"}, ...]``.

    setValues, as ``arr(i, j) = WebHelpers.ParseIso(v)`` then ``Range.Value = arr``:
    a string ParseIso accepts becomes a date (see `vba_parse_iso`: not only ISO dates); a
    General cell given a date gets a date format; ``'text`` is stored as text ``text`` with
    Excel's prefix character (``quotePrefix``); ``=...`` is a formula; ``""``/None empty the
    cell; numbers and booleans are stored as such; a Text-formatted (``@``) cell keeps any
    string as text. Excel's parsing of other typed text is NOT emulated: ``"42"``, ``"+1"``,
    ``"1/2/2024"`` stay text here, where Excel would store a number or date, except for
    (a) the error literals (``"#N/A"`` becomes an error, as openpyxl and Excel both do),
    (b) ``"yyyy-mm-dd hh:mm:ss"``, xlwings' own encoding of a datetime, stored as a date,
    (c) the over-long numbers above, stored with 15 significant digits.

    Also emulated: clearing (only existing cells are visited, so ``A6:G1048576`` is fast;
    Clear drops values, formats, hyperlinks and notes), Interior.Color, NumberFormat,
    hyperlinks (with Excel's Hyperlink style), adding/renaming/activating/deleting sheets
    (addSheet inserts before the active sheet, then moves after ``Worksheets(args(1) + 1)``
    counted with the new sheet already in: not always where the engine thinks; renames and
    deletions rewrite references in cell formulas and defined names), names, selection,
    table style/autofilter, copying a range (values, formulas, formats, links, notes).
    Not emulated: conditional formats, data validation and merges (cleared or copied),
    references in charts, conditional formats and data validation after a sheet rename,
    formatting over 100,000 cells (Excel would format whole rows/columns), control
    characters in text (openpyxl refuses them), changing a table's header cells (raises
    NotImplementedError: Excel renames the column). Writing stops at the first failing
    action and nothing is saved. ``target`` is for inspection, not for shipping: openpyxl
    drops charts, shapes and form controls (the buttons) it cannot round-trip.
    """
    source, target = Path(source), Path(target)
    received = _as_received(list(actions))
    known = {name.casefold(): name for name in remote_bas_actions()}  # Application.Run
    wb = openpyxl.load_workbook(source, keep_vba=source.suffix.lower() in _MACRO_SUFFIXES)
    ctx = _Context(wb)
    for action in received:
        func = action.get("func") if isinstance(action, dict) else None
        name = known.get(func.casefold()) if isinstance(func, str) else None
        if name is None:
            raise ValueError(
                f"Remote.bas has no Sub {func!r}(wb, action): Excel's VBA client cannot run "
                "this action")
        if name in UNSUPPORTED_ACTIONS:
            raise NotImplementedError(f"{name}: not emulated ({UNSUPPORTED_ACTIONS[name]})")
        handler = _HANDLERS.get(name)
        if handler is None:
            raise NotImplementedError(f"{name}: a Remote.bas action this module does not know")
        handler(ctx, action)
    wb.save(target)
    return ctx.alerts
