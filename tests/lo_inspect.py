"""Print, as JSON, what LibreOffice sees in a workbook: sheets, VBA modules, form buttons.

Run with a Python that has LibreOffice's ``uno`` module (Debian: ``/usr/bin/python3`` with the
``libreoffice-script-provider-python`` package)::

    /usr/bin/python3 tests/lo_inspect.py book.xlsm [--actions actions.json] [--cells SHEET!A1:B2]
        [--pdf book.pdf [--print-buttons] [--pdf-sheets NAME,NAME]]

It starts its own headless ``soffice`` with a throw-away profile on a free local port, loads
the workbook with macros enabled, prints one JSON object and stops that ``soffice``::

    {"sheets": [{"name": "Plan", "code_name": "Sheet1", "visible": true,
                 "buttons": [{"label": "Run", "macro": "vnd.sun.star.script:..."}]}],
     "workbook_code_name": "ThisWorkbook",
     "modules": {"Module1": {"type": "normal", "source": "..."}},
     "pdf": {"path": "/abs/book.pdf", "bytes": 12345}}

``--pdf`` also exports the workbook as PDF through Calc's PDF filter (what ``soffice
--convert-to pdf`` uses), in the same ``soffice``. Form buttons are usually set not to print;
``--print-buttons`` makes them printable first, for pictures of a sheet with its buttons.
``--pdf-sheets`` exports only the named sheets (in the workbook's order): the others are hidden
first, which is harmless as the document is never saved.

``--actions`` applies a JSON list of xlwings actions (``book.json()["actions"]`` of a button
function run on xlwings' remote engine, see tests/xlremote.py) to the loaded document before
anything is reported or exported, as xlwings' VBA client (``xlwings/addin/Remote.bas``) applies
them in Excel, so that a real spreadsheet application shows what a button press leaves behind.
The report then has ``"actions": {"applied": 12, "alerts": ["prompt", ...]}``. Supported:

- setValues: ``Range.Value = arr`` where each element went through ``WebHelpers.ParseIso``:
  a string ParseIso accepts (``2026-09-30``, ``2026-09-30T10:11:12.000Z``, but also
  ``1-2-3``) and xlwings' own ``2026-09-30 10:11:12`` (which Excel parses as typed input)
  become the date's serial number (the cell's number format is left alone: the glue sets
  formats itself); ``'text`` becomes the text ``text``; ``=...`` a formula, read in Excel's
  English A1 syntax (commas between arguments); numbers and booleans stay numbers; None and
  ``""`` empty the cell; a range larger than the values gets ``#N/A`` beyond one spare row and
  column, as Excel fills it. Any other string is stored as text: Excel would parse typed
  input such as ``42`` or ``TRUE``, which the glue never sends unprefixed.
- rangeClearContents, sheetClearContents: values, text and formulas only (formats, notes and
  conditional formats stay), as ``Range.ClearContents``.
- setNumberFormat: the Excel format code, looked up or added in the document's number formats
  with an en-US locale.
- activateSheet, addSheet (after the sheet at args(1), named args(2), then active); alert is
  not shown but listed in the report.

Any other action stops the script before ``soffice`` starts, naming the action. Sheet positions
count every sheet of the document in order, hidden ones included (``wb.Worksheets(n + 1)``).

``--evaluate =FORMULA`` (repeatable) adds what LibreOffice computes for a formula in Excel's
syntax, placed in a spare cell of the first sheet: ``"evaluated": {"=ROWS(...)": {"value": 5.0,
"string": "5", "error": 0}}``.

``--cells SHEET!RANGE`` (repeatable) adds what LibreOffice holds in those cells::

    "cells": {"Validation!A6": {"A6": {"type": "FORMULA", "formula": "=HYPERLINK(...)",
                                       "value": 0.0, "string": "Projects!P3"}}}

``type`` is EMPTY, VALUE, TEXT or FORMULA; ``formula`` is written in Excel's English A1 syntax,
``string`` is the cell as displayed (number format applied).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uno  # type: ignore[import-not-found]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]
from com.sun.star.connection import NoConnectException  # type: ignore[import-not-found]
from com.sun.star.lang import Locale  # type: ignore[import-not-found]
from com.sun.star.table import CellAddress  # type: ignore[import-not-found]

STARTUP_TIMEOUT_S = 60
ALWAYS_EXECUTE_NO_WARN = 4  # com.sun.star.document.MacroExecMode
VBA_LIBRARY = "VBAProject"
# com.sun.star.script.ModuleType
MODULE_TYPES = {0: "unknown", 1: "normal", 2: "class", 3: "form", 4: "document"}
# com.sun.star.sheet.CellFlags VALUE | DATETIME | STRING | FORMULA: what ClearContents clears.
CLEAR_CONTENTS = 1 | 2 | 4 | 16
LOGICAL_FORMAT = 1024  # com.sun.star.util.NumberFormat.LOGICAL
XL_ENGLISH = 4  # com.sun.star.sheet.FormulaLanguage: Excel's English function names
XL_A1 = 1  # com.sun.star.sheet.AddressConvention
ALL_EXCEPT_SPECIAL = 0x7FFFFFFF  # com.sun.star.sheet.FormulaMapGroup
EN_US = Locale("en", "US", "")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog=Path(argv[0]).name, description=__doc__.split("\n")[0])
    parser.add_argument("workbook", type=Path)
    parser.add_argument("--pdf", type=Path, help="also export the workbook to this PDF file")
    parser.add_argument("--print-buttons", action="store_true",
                        help="make form buttons printable before exporting the PDF")
    parser.add_argument("--pdf-sheets", metavar="NAME,NAME",
                        help="export only these sheets to the PDF")
    parser.add_argument("--actions", type=Path, metavar="FILE.json",
                        help="apply these xlwings actions to the document first")
    parser.add_argument("--cells", action="append", default=[], metavar="SHEET!RANGE",
                        help="report the contents of these cells (repeatable)")
    parser.add_argument("--evaluate", action="append", default=[], metavar="=FORMULA",
                        help="report what LibreOffice computes for this formula, in Excel's "
                             "syntax, placed in a spare cell of the first sheet (repeatable)")
    parser.add_argument("--validation", action="append", default=[], metavar="SHEET!RANGE",
                        help="report the data validation (dropdown) of these cells "
                             "(repeatable)")
    parser.add_argument("--tables", action="store_true",
                        help="report the database ranges (Excel Tables) and their ranges")
    args = parser.parse_args(argv[1:])
    path = args.workbook.resolve()
    # Read and checked before soffice starts: a bad file fails fast and clearly.
    try:
        actions = _read_actions(args.actions) if args.actions is not None else None
    except (OSError, ValueError) as error:
        parser.error(str(error))
    if args.pdf_sheets and args.pdf is None:
        parser.error("--pdf-sheets needs --pdf")
    pdf_sheets = [n.strip() for n in args.pdf_sheets.split(",")] if args.pdf_sheets else None
    profile = Path(tempfile.mkdtemp(prefix="lo-inspect-"))
    port = _free_port()
    office = subprocess.Popen(
        [
            "soffice",
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            "--nodefault",
            f"-env:UserInstallation={profile.as_uri()}",
            f"--accept=socket,host=127.0.0.1,port={port};urp;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        desktop = _connect(port, office)
        try:
            doc = _load(desktop, path)
            try:
                applied = _apply_actions(doc, actions) if actions is not None else None
                report = _inspect(doc)
                if applied is not None:
                    report["actions"] = applied
                if args.cells:
                    report["cells"] = {spec: _cells(doc, spec) for spec in args.cells}
                if args.evaluate:
                    report["evaluated"] = _evaluate(doc, args.evaluate)
                if args.validation:
                    report["validation"] = {spec: _validation(doc, spec)
                                            for spec in args.validation}
                if args.tables:
                    report["tables"] = _tables(doc)
                if args.pdf is not None:
                    if pdf_sheets is not None:
                        _only_sheets(doc, pdf_sheets)
                    report["pdf"] = _export_pdf(doc, args.pdf.resolve(), args.print_buttons)
            finally:
                doc.close(True)
        finally:
            _terminate(desktop)  # also after an error: soffice then exits at once
        print(json.dumps(report, indent=2))
        return 0
    except ActionError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        return 2
    finally:
        _stop(office)
        shutil.rmtree(profile, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _connect(port: int, office: subprocess.Popen[bytes]) -> Any:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local
    )
    url = f"uno:socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext"
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        try:
            ctx = resolver.resolve(url)
            return ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        except NoConnectException:
            if office.poll() is not None:
                raise RuntimeError(f"soffice exited with code {office.returncode}") from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _load(desktop: Any, path: Path) -> Any:
    props = (
        PropertyValue(Name="Hidden", Value=True),
        PropertyValue(Name="MacroExecutionMode", Value=ALWAYS_EXECUTE_NO_WARN),
    )
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(str(path)), "_blank", 0, props)
    if doc is None:
        raise RuntimeError(f"LibreOffice could not load {path}")
    return doc


def _inspect(doc: Any) -> dict[str, Any]:
    sheets = doc.Sheets
    return {
        "sheets": [_sheet(sheets.getByIndex(i)) for i in range(sheets.getCount())],
        "workbook_code_name": _property(doc, "CodeName"),
        "modules": _modules(doc),
    }


def _property(obj: Any, name: str) -> Any:
    info = obj.getPropertySetInfo()
    return obj.getPropertyValue(name) if info.hasPropertyByName(name) else None


def _sheet(sheet: Any) -> dict[str, Any]:
    buttons = []
    forms = sheet.DrawPage.Forms
    for f in range(forms.getCount()):
        form = forms.getByIndex(f)
        for c in range(form.getCount()):
            control = form.getByIndex(c)
            macros = [
                event.ScriptCode
                for event in form.getScriptEvents(c)
                if event.ScriptCode and event.EventMethod in ("actionPerformed", "approveAction")
            ]
            buttons.append(
                {
                    "label": _property(control, "Label"),
                    "macro": macros[0] if macros else None,
                    "events": [
                        f"{e.ListenerType}.{e.EventMethod}={e.ScriptCode}"
                        for e in form.getScriptEvents(c)
                    ],
                }
            )
    return {
        "name": sheet.Name,
        "code_name": _property(sheet, "CodeName"),
        "visible": bool(_property(sheet, "IsVisible")),
        "buttons": buttons,
    }


def _export_pdf(doc: Any, pdf: Path, print_buttons: bool) -> dict[str, Any]:
    if print_buttons:
        sheets = doc.Sheets
        for i in range(sheets.getCount()):
            page = sheets.getByIndex(i).DrawPage
            for s in range(page.getCount()):
                shape = page.getByIndex(s)
                # The flag lives on the shape and, for form controls, on the control model.
                for item in (shape, getattr(shape, "Control", None)):
                    if item is not None and item.getPropertySetInfo().hasPropertyByName(
                        "Printable"
                    ):
                        item.setPropertyValue("Printable", True)
    props = (PropertyValue(Name="FilterName", Value="calc_pdf_Export"),)
    doc.storeToURL(uno.systemPathToFileUrl(str(pdf)), props)
    return {"path": str(pdf), "bytes": pdf.stat().st_size}


# --------------------------------------------------------------------------- xlwings actions


class ActionError(ValueError):
    """An action this script cannot apply as Remote.bas would."""


def _read_actions(path: Path) -> list[dict[str, Any]]:
    actions = json.loads(path.read_text(encoding="utf-8"), parse_int=_vba_json_number,
                         parse_float=_vba_json_number)
    if not isinstance(actions, list) or not all(isinstance(a, dict) for a in actions):
        raise ActionError(f"{path}: expected a JSON list of actions (book.json()['actions'])")
    for number, action in enumerate(actions, start=1):
        if action.get("func") not in ACTIONS:
            raise ActionError(
                f"{path}: action {number}, {action.get('func')!r}, is not supported by "
                f"lo_inspect.py --actions (supported: {', '.join(sorted(ACTIONS))})")
    return actions


def _vba_json_number(token: str) -> int | float:
    """A JSON number as Excel ends up storing it: VBA-JSON keeps a number of 16 characters or
    more (17 with a point) as a String, which Excel parses as typed input, to 15 digits."""
    if len(token) >= (17 if "." in token else 16):
        return float(f"{float(token):.15g}")
    return float(token) if re.search(r"[.eE]", token) else int(token)


class _Document:
    """The loaded document and what applying actions needs of it, looked up once."""

    def __init__(self, doc: Any) -> None:
        self.doc = doc
        null = doc.NullDate  # 1899-12-30, or 1904-01-01 for a 1904-based workbook
        self.null_date = dt.datetime(null.Year, null.Month, null.Day)
        self.alerts: list[str] = []
        self._parser: Any = None

    def sheet(self, position: Any) -> Any:
        sheets = self.doc.Sheets
        if not isinstance(position, int) or not 0 <= position < sheets.getCount():
            raise ActionError(f"no sheet at position {position!r}: Subscript out of range")
        return sheets.getByIndex(position)

    def range(self, action: dict[str, Any]) -> Any:
        """Remote.bas' GetRange (0-based start, counts)."""
        row, column = action["start_row"], action["start_column"]
        return self.sheet(action["sheet_position"]).getCellRangeByPosition(
            column, row, column + action["column_count"] - 1, row + action["row_count"] - 1)

    def number_format(self, code: str) -> int:
        formats = self.doc.NumberFormats
        key = formats.queryKey(code, EN_US, False)
        return key if key != -1 else formats.addNew(code, EN_US)

    def serial(self, moment: dt.datetime) -> float:
        return (moment - self.null_date) / dt.timedelta(days=1)

    @property
    def parser(self) -> Any:
        """A formula parser for Excel's syntax: English names, A1 references, commas.

        XCell.setFormula reads LibreOffice's own API syntax (semicolons between arguments,
        ``$Sheet.A1``): an Excel formula given to it ends up as Err:508 or #NAME?.
        """
        if self._parser is None:
            parser = self.doc.createInstance("com.sun.star.sheet.FormulaParser")
            mapper = self.doc.createInstance("com.sun.star.sheet.FormulaOpCodeMapper")
            opcodes = mapper.getAvailableMappings(XL_ENGLISH, ALL_EXCEPT_SPECIAL)
            # A plain tuple would reach UNO as a sequence of Any, which the property refuses.
            uno.invoke(parser, "setPropertyValue", ("OpCodeMap", uno.Any(
                "[]com.sun.star.sheet.FormulaOpCodeMapEntry", opcodes)))
            parser.setPropertyValue("FormulaConvention", XL_A1)
            parser.setPropertyValue("CompileEnglish", True)
            self._parser = parser
        return self._parser


def _apply_actions(doc: Any, actions: list[dict[str, Any]]) -> dict[str, Any]:
    document = _Document(doc)
    for number, action in enumerate(actions, start=1):
        try:
            ACTIONS[action["func"]](document, action)
        except ActionError as error:
            raise ActionError(f"action {number} ({action['func']}): {error}") from None
    doc.calculateAll()  # formulas and conditional formats see the new values before printing
    return {"applied": len(actions), "alerts": document.alerts}


def _set_values(document: _Document, action: dict[str, Any]) -> None:
    values = action.get("values")
    if not values or not isinstance(values, list) or not all(isinstance(r, list) for r in values):
        raise ActionError("values(1): Subscript out of range")
    width = len(values[0])
    if any(len(row) > width for row in values):
        raise ActionError("a row longer than the first: Subscript out of range")
    cells = document.range(action)
    height, columns = action["row_count"], action["column_count"]
    data: list[list[Any]] = []
    formulas: list[tuple[int, int, str]] = []
    logical: list[tuple[int, int]] = []
    for i in range(height):
        row: list[Any] = []
        for j in range(columns):
            if i < len(values) and j < len(values[i]):
                value = _cell_value(document, values[i][j])
            elif i <= len(values) and j <= width:
                value = ""  # ReDim arr(rows, columns) leaves one spare row and column Empty
            else:
                value = None  # Excel fills the rest of a larger range with #N/A
            if isinstance(value, _Formula):
                formulas.append((i, j, value))
                value = ""
            elif isinstance(value, bool):
                logical.append((i, j))
                value = float(value)
            row.append(value)
        data.append(row)
    # One call for the whole block: clears it, then numbers as values, strings as text
    # (never parsed), "" as empty, None as #N/A.
    cells.setDataArray(tuple(tuple(row) for row in data))
    address = cells.getRangeAddress()
    for i, j, formula in formulas:
        at = CellAddress(address.Sheet, address.StartColumn + j, address.StartRow + i)
        tokens = document.parser.parseFormula(formula, at)
        cells.getCellByPosition(j, i).setTokens(tokens)
    if logical:
        key = document.doc.NumberFormats.getStandardFormat(LOGICAL_FORMAT, EN_US)
        for i, j in logical:
            cells.getCellByPosition(j, i).NumberFormat = key


class _Formula(str):
    """A string Excel stores as a formula."""


# How xlwings' engine sends a datetime with a time of day; Excel parses it as typed input.
_XLWINGS_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


def _cell_value(document: _Document, value: Any) -> Any:
    """What ``Range.Value = arr`` stores for one element, as setDataArray takes it."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ActionError(f"{value!r} is no number Excel can hold")
        return float(value)  # UNO's setDataArray takes doubles, not 64-bit integers
    if not isinstance(value, str):
        raise ActionError(f"unexpected value {value!r}")
    moment = parse_iso(value)
    if moment is None and _XLWINGS_DATETIME.fullmatch(value):
        with contextlib.suppress(ValueError):
            moment = dt.datetime.fromisoformat(value)
    if moment is not None:
        return document.serial(moment)
    if value.startswith("'"):
        return value[1:]  # Excel's prefix character: the rest is text, as typed
    if value == "=":
        raise ActionError("'=' is no formula Excel accepts (run-time error 1004)")
    if value.startswith("="):
        return _Formula(value)
    return value


def _clear_range_contents(document: _Document, action: dict[str, Any]) -> None:
    document.range(action).clearContents(CLEAR_CONTENTS)


def _clear_sheet_contents(document: _Document, action: dict[str, Any]) -> None:
    document.sheet(action["sheet_position"]).clearContents(CLEAR_CONTENTS)


def _set_number_format(document: _Document, action: dict[str, Any]) -> None:
    code = _arg(action, 1)
    if not isinstance(code, str):
        raise ActionError(f"{code!r} is no number format")
    document.range(action).NumberFormat = document.number_format(code)


def _add_sheet(document: _Document, action: dict[str, Any]) -> None:
    """``Sheets.Add``, then ``Move After:=Worksheets(args(1) + 1)`` and the name args(2); the
    new sheet is the active one, as in Excel."""
    position, name = _arg(action, 1), _arg(action, 2)
    sheets = document.doc.Sheets
    if not isinstance(name, str) or sheets.hasByName(name):
        raise ActionError(f"cannot add a sheet named {name!r}")
    names = [sheets.getByIndex(i).Name for i in range(sheets.getCount())]
    active = document.doc.CurrentController.ActiveSheet.Name
    # Sheets.Add puts it before the active sheet; the Move counts the sheets with it there.
    placed = [*names[:names.index(active)], name, *names[names.index(active):]]
    if not isinstance(position, int) or not 0 <= position < len(placed):
        raise ActionError(f"no sheet at position {position!r}: Subscript out of range")
    anchor = placed[position]
    final = [n for n in placed if n != name]
    final.insert(final.index(anchor) + 1 if anchor != name else placed.index(name), name)
    sheets.insertNewByName(name, final.index(name))
    document.doc.CurrentController.setActiveSheet(sheets.getByName(name))


def _activate_sheet(document: _Document, action: dict[str, Any]) -> None:
    document.doc.CurrentController.setActiveSheet(document.sheet(_arg(action, 1)))


def _alert(document: _Document, action: dict[str, Any]) -> None:
    document.alerts.append(str(_arg(action, 1)))


def _arg(action: dict[str, Any], number: int) -> Any:
    """``action("args")(number)``: VBA Collections count from 1."""
    args = action.get("args") or []
    if len(args) < number:
        raise ActionError(f"args({number}): Subscript out of range")
    return args[number - 1]


ACTIONS: dict[str, Callable[[_Document, dict[str, Any]], None]] = {
    "setValues": _set_values,
    "rangeClearContents": _clear_range_contents,
    "sheetClearContents": _clear_sheet_contents,
    "setNumberFormat": _set_number_format,
    "activateSheet": _activate_sheet,
    "addSheet": _add_sheet,
    "alert": _alert,
}


# A port of xlwings' WebHelpers.ParseIso (the same as tests/xlremote.py's, which this script
# cannot import: it runs on LibreOffice's Python, without openpyxl). Timezone offsets are
# parsed and ignored, as xlwings' changed copy does.

_OLE_EPOCH = dt.datetime(1899, 12, 30)
_OLE_DAY_RANGE = (-657_434, 2_958_465)  # VBA Dates: 100-01-01 to 9999-12-31


class _VBAError(Exception):
    """A runtime error inside ParseIso: setValues then keeps the value as it is."""


def _cint(text: str) -> int:
    """VBA ``CInt`` of a String (en-US): banker's rounding, Integer range."""
    match = re.fullmatch(r"\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*", text)
    if match is None:
        raise _VBAError("Type mismatch")
    try:
        value = round(float(match[1]))
    except OverflowError:
        raise _VBAError("Overflow") from None
    if not -32_768 <= value <= 32_767:
        raise _VBAError("Overflow")
    return value


def _val(text: str) -> float:
    """VBA ``Val``: the leading number of a string, ignoring blanks; 0 if there is none."""
    match = re.match(r"([+-]?(?:\d+\.?\d*|\.\d+))(?:[eEdD]([+-]?\d+))?",
                     re.sub(r"[ \t\r\n]", "", text))
    return float(match[1] + (f"e{match[2]}" if match[2] else "")) if match else 0.0


def _split(text: str, separator: str) -> list[str]:
    """VBA ``Split``: an empty string gives no element at all."""
    return text.split(separator) if text else []


def _date_serial(year: int, month: int, day: int) -> int:
    """VBA ``DateSerial`` in days since 1899-12-30, rolling months and days over."""
    if 0 <= year <= 99:  # two-digit years, Windows' default window
        year += 2000 if year <= 29 else 1900
    rolled_year, month_index = divmod(year * 12 + month - 1, 12)
    if not 100 <= rolled_year <= 9999:
        raise _VBAError("Invalid procedure call")
    serial = dt.date(rolled_year, month_index + 1, 1).toordinal() + day - 1
    serial -= _OLE_EPOCH.toordinal()
    if not _OLE_DAY_RANGE[0] <= serial <= _OLE_DAY_RANGE[1]:
        raise _VBAError("Invalid procedure call")
    return serial


def _time_serial(parts: list[str]) -> int:
    """VBA ``TimeSerial`` of ParseIso's 1 to 3 time parts, in seconds; other counts add 0."""
    if not 1 <= len(parts) <= 3:
        return 0
    numbers = [_cint(part) for part in parts[:2]]
    if len(parts) == 3:
        numbers.append(math.floor(_val(parts[2])))
    numbers += [0] * (3 - len(numbers))
    if any(not -32_768 <= number <= 32_767 for number in numbers):
        raise _VBAError("Overflow")
    return numbers[0] * 3600 + numbers[1] * 60 + numbers[2]


def _parse_iso(text: str) -> dt.datetime:
    parts = _split(text, "T")
    date_parts = _split(parts[0], "-") if parts else []
    if len(date_parts) < 3:
        raise _VBAError("Subscript out of range")
    days = _date_serial(*(_cint(part) for part in date_parts[:3]))
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
                _time_serial(_split(clock[offset_at + 1:], ":"))  # checked, then not applied
            else:
                time_parts = _split(clock, ":")
        seconds = _time_serial(time_parts)
    total = days * 86_400 + seconds
    if not _OLE_DAY_RANGE[0] * 86_400 <= total < (_OLE_DAY_RANGE[1] + 1) * 86_400:
        raise _VBAError("Overflow")
    return _OLE_EPOCH + dt.timedelta(seconds=total)


def parse_iso(text: str) -> dt.datetime | None:
    """What ``WebHelpers.ParseIso`` makes of ``text``: a datetime, or None where it errors."""
    try:
        return _parse_iso(text)
    except _VBAError:
        return None


# --------------------------------------------------------------------------- cells, sheets


def _cells(doc: Any, spec: str) -> dict[str, dict[str, Any]]:
    """The contents of ``Sheet!A1:B2`` (or ``'My sheet'!A1``), cell by cell."""
    sheet_name, _, reference = spec.rpartition("!")
    if sheet_name.startswith("'") and sheet_name.endswith("'") and len(sheet_name) > 1:
        sheet_name = sheet_name[1:-1].replace("''", "'")
    if not sheet_name or not doc.Sheets.hasByName(sheet_name):
        raise ValueError(f"--cells {spec}: no such sheet {sheet_name!r}")
    cells = doc.Sheets.getByName(sheet_name).getCellRangeByName(reference)
    address = cells.getRangeAddress()
    found: dict[str, dict[str, Any]] = {}
    parser: Any = None
    for row in range(address.EndRow - address.StartRow + 1):
        for column in range(address.EndColumn - address.StartColumn + 1):
            cell = cells.getCellByPosition(column, row)
            kind = cell.getType().value  # CellContentType: EMPTY, VALUE, TEXT, FORMULA
            entry: dict[str, Any] = {"type": kind}
            if kind == "FORMULA":
                parser = parser or _Document(doc).parser
                at = CellAddress(address.Sheet, address.StartColumn + column,
                                 address.StartRow + row)
                entry["formula"] = "=" + parser.printFormula(cell.getTokens(), at).lstrip("=")
            if kind in ("VALUE", "FORMULA"):
                entry["value"] = cell.getValue()
            if kind != "EMPTY":
                entry["string"] = cell.getString()
            found[_a1(address.StartRow + row, address.StartColumn + column)] = entry
    return found


def _validation(doc: Any, spec: str) -> dict[str, dict[str, Any]]:
    """The data validation of each cell of ``Sheet!A2:K2``: its type (LIST for a dropdown),
    its source formula and whether a value outside it is refused (ErrorAlertStyle STOP)."""
    sheet_name, _, reference = spec.rpartition("!")
    if not doc.Sheets.hasByName(sheet_name):
        raise ValueError(f"--validation {spec}: no such sheet {sheet_name!r}")
    cells = doc.Sheets.getByName(sheet_name).getCellRangeByName(reference)
    address = cells.getRangeAddress()
    found: dict[str, dict[str, Any]] = {}
    for row in range(address.EndRow - address.StartRow + 1):
        for column in range(address.EndColumn - address.StartColumn + 1):
            rule = cells.getCellByPosition(column, row).getPropertyValue("Validation")
            found[_a1(address.StartRow + row, address.StartColumn + column)] = {
                "type": rule.Type.value,  # com.sun.star.sheet.ValidationType: ANY, LIST, ...
                "formula": rule.getFormula1(),
                "stop": bool(rule.ShowErrorMessage) and rule.ErrorAlertStyle.value == "STOP"}
    return found


def _tables(doc: Any) -> dict[str, dict[str, Any]]:
    """The document's database ranges (Calc's import of Excel Tables): sheet and range."""
    found = {}
    ranges = doc.DatabaseRanges
    for name in ranges.getElementNames():
        area = ranges.getByName(name).getDataArea()
        sheet = doc.Sheets.getByIndex(area.Sheet).Name
        found[name] = {"sheet": sheet, "range": f"{_a1(area.StartRow, area.StartColumn)}:"
                                                 f"{_a1(area.EndRow, area.EndColumn)}"}
    return found


def _evaluate(doc: Any, formulas: list[str]) -> dict[str, dict[str, Any]]:
    """Each formula's value and displayed text, computed by LibreOffice in spare cells of
    the first sheet (the document is never saved)."""
    document = _Document(doc)
    sheet = doc.Sheets.getByIndex(0)
    found = {}
    for n, formula in enumerate(formulas):
        cell = sheet.getCellByPosition(1000, n)  # column ALM: far from anything we lay out
        at = CellAddress(0, 1000, n)
        cell.setTokens(document.parser.parseFormula(formula, at))
        doc.calculateAll()
        found[formula] = {"value": cell.getValue(), "string": cell.getString(),
                          "error": cell.getError()}
    return found


def _a1(row: int, column: int) -> str:
    """0-based row and column -> ``A1``."""
    letters = ""
    column += 1
    while column:
        column, remainder = divmod(column - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return f"{letters}{row + 1}"


def _only_sheets(doc: Any, names: list[str]) -> None:
    """Hide every sheet but ``names`` (shown if hidden), so that only they print."""
    sheets = doc.Sheets
    missing = [name for name in names if not sheets.hasByName(name)]
    if missing:
        raise ValueError(f"--pdf-sheets: no such sheet(s): {', '.join(missing)}")
    wanted = [sheets.getByName(name) for name in names]
    for sheet in wanted:
        sheet.IsVisible = True
    # The active sheet cannot be hidden while it is active: make a printed one active first.
    doc.CurrentController.setActiveSheet(wanted[0])
    for i in range(sheets.getCount()):
        sheet = sheets.getByIndex(i)
        if sheet.Name not in names:
            sheet.IsVisible = False


def _modules(doc: Any) -> dict[str, dict[str, Any]]:
    libraries = doc.BasicLibraries
    if not libraries.hasByName(VBA_LIBRARY):
        return {}
    libraries.loadLibrary(VBA_LIBRARY)
    library = libraries.getByName(VBA_LIBRARY)
    modules = {}
    for name in library.getElementNames():
        kind = None
        if hasattr(library, "hasModuleInfo") and library.hasModuleInfo(name):
            kind = MODULE_TYPES.get(library.getModuleInfo(name).ModuleType, "unknown")
        modules[name] = {"type": kind, "source": library.getByName(name)}
    return modules


def _terminate(desktop: Any) -> None:
    with contextlib.suppress(Exception):  # the bridge drops while soffice shuts down
        desktop.terminate()


def _stop(office: subprocess.Popen[bytes]) -> None:
    try:
        office.wait(timeout=15)
    except subprocess.TimeoutExpired:
        office.terminate()
        try:
            office.wait(timeout=10)
        except subprocess.TimeoutExpired:
            office.kill()
            office.wait()


if __name__ == "__main__":
    os.environ.setdefault("SAL_USE_VCLPLUGIN", "svp")  # no display needed
    sys.exit(main(sys.argv))
