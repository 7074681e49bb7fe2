"""The register workbook (.xlsm): built from the schema, with buttons whose macros call Python.

`build_workbook(path, portfolio=None, *, addin=False)` writes the macro-enabled workbook PMO
officers work in. All of it comes from code, so it always matches `pmo_xl.schema` and can be
regenerated at any time:

- **Dashboard** (first sheet): title, as-of date, the five buttons, the Report for cell
  (`ReportProject`), a short how-to, the area the roll-up writes to (`RollupFigures`) and a
  chart of RAG counts per roll-up. No register data.
- **Projects, Lessons, Milestones**: one Excel Table each, header in row 1 (frozen), the
  schema's headers, widths and hints (as input messages on the header cells), a dropdown for
  every enum column (lists on the Lists sheet), number formats by kind and RAG colours. With
  a sample portfolio its rows go in, planted problems included; otherwise one empty row.
- **Validation** and **History**: laid out here, filled by the Validate entries and Roll up
  portfolio buttons (`excel.py`); the Dashboard's chart shows History's RAG trend.
- **Settings** (Setting | Value | About) with defaults, **Lists** (hidden) and
  **xlwings.conf** (the interpreter and PYTHONPATH that xlwings' RunPython reads).
- One very hidden "<sheet> highlights" sheet per checked sheet, and conditional formats that
  turn its marks into red and amber fills (see `layout`).
- The VBA project (`pmo_xl.vba`): `ThisWorkbook` and one document module per sheet, named
  like the sheets' code names (`shtDashboard`, ...); the button macros from
  `macros/*.bas`; and either xlwings' own VBA module with its Dictionary class, taken
  from the installed xlwings package (standalone, the default), or a reference to the
  xlwings add-in (`addin=True`).

The macros live in the repository's `macros/` folder, installed as the package-data package
`pmo_xl.macros`, so a source checkout and an installed pmo-xl find them the same way.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from .cells import column_letter
from .fileio import write_atomic
from .layout import (
    DASHBOARD,
    ERROR_MARK,
    HEAT_MAP_LABEL,
    HEAT_MAP_ROWS,
    HIGHLIGHT_COLOURS,
    HIGHLIGHT_COLUMNS,
    HIGHLIGHTED_SHEETS,
    HISTORY,
    HISTORY_FORMATS,
    HISTORY_HEADER,
    HISTORY_WIDTHS,
    REPORT_PROJECT_NAME,
    ROLLUP_NAME,
    TREND_COLUMN,
    TREND_HEADER,
    TREND_ROWS,
    VALIDATION,
    VALIDATION_FIRST_ROW,
    VALIDATION_HEADER,
    VALIDATION_WIDTHS,
    WARNING_MARK,
    highlight_rule,
    highlight_sheet,
)
from .sample import write_cell
from .schema import (
    RAG,
    RAG_SHORTHAND,
    SETTINGS,
    SETTINGS_SHEET,
    Column,
    Kind,
    Setting,
    SheetSchema,
    Vocabulary,
)
from .standard import DEFAULT_STANDARD, LISTS_SHEET, MEANS_SUFFIX, Standard, lists_layout
from .vba import DEFAULT_REFERENCES, XLWINGS_ADDIN_REFERENCE, VBAModule, build_vba_project

__all__ = ["BUTTONS", "Button", "LISTS_SHEET", "MacroError", "RegisterContent",
           "build_workbook", "button_modules", "code_name", "register_content", "sheet_names",
           "xlwings_modules", "xlwings_version"]

XLWINGS_CONF = "xlwings.conf"  # the sheet name xlwings looks for
WORKBOOK_CODE_NAME = "ThisWorkbook"
MACROS_PACKAGE = "pmo_xl.macros"
VBA_ENCODING = "cp1252"  # VBA stores module source in the project's code page

TABLE_STYLE = "Table Style Medium 2"
HEADER_ROW_HEIGHT = 32  # points: two lines of wrapped header text
# Printing: a sheet wider than this many characters of column width is spread over more
# pages across, its key columns repeated on each, so that the print scale stays at about 75 %
# or more (8 pt text) on A4 or Letter landscape instead of shrinking to fit one page.
PRINT_CHARS_PER_PAGE = 180
PRINT_KEY_COLUMNS = 2  # e.g. Project ID and Project Name, repeated on every printed page

DATE_FORMAT = "dd-mmm-yyyy"
NUMBER_FORMATS = {Kind.DATE: DATE_FORMAT, Kind.MONEY: "#,##0", Kind.PERCENT: "0%",
                  Kind.INTEGER: "0"}
# Excel's own "Good", "Neutral" and "Bad" cell styles.
RAG_COLOURS = {"Green": ("#C6EFCE", "#006100"), "Amber": ("#FFEB9C", "#9C5700"),
               "Red": ("#FFC7CE", "#9C0006")}


class MacroError(ValueError):
    """A macro source cannot go into the workbook's VBA project; the message says why."""


@dataclass(frozen=True)
class Button:
    """A Form Control button on the Dashboard and the VBA Sub (``Module.Sub``) it runs."""

    caption: str
    macro: str
    does: str  # what it does, for the Dashboard's how-to


BUTTONS: tuple[Button, ...] = (
    Button("Validate entries", "PmoButtons.ValidateEntries",
           "checks every entry, highlights the cells with problems and lists them on "
           "Validation."),
    Button("Roll up portfolio", "PmoButtons.RollupPortfolio",
           "writes the portfolio figures below and a snapshot to History for the trend."),
    Button("Generate report", "PmoButtons.GenerateReport",
           "writes the status report of the project in Report for (or of the selected row "
           "on Projects) and opens it."),
    Button("Generate all reports", "PmoButtons.GenerateAllReports",
           "writes a status report for every project, into the Output Folder (Settings)."),
    Button("Lessons for project", "PmoButtons.LessonsForProject",
           "writes the 10 lessons of other projects most worth reading for the project in "
           "Report for onto Lessons Finder, each linked to its row on Lessons."),
)


@dataclass(frozen=True)
class XlwingsSetting:
    """One key of the xlwings.conf sheet (xlwings reads column A from A1 down to a blank)."""

    key: str
    value: str
    about: str


# A suggested place for the Python environment (the README's Excel set-up uses it), so that
# the buttons work without editing this sheet when the set-up is followed as written.
XLWINGS_SETTINGS: tuple[XlwingsSetting, ...] = (
    XlwingsSetting("Interpreter_Win", r"%USERPROFILE%\.venvs\pmo-xl\Scripts\python.exe",
                   "Windows: python.exe of the Python environment pmo-xl is installed in. "
                   "%VARIABLES% are expanded."),
    XlwingsSetting("Interpreter_Mac", "$HOME/.venvs/pmo-xl/bin/python",
                   "macOS: python of the Python environment pmo-xl is installed in. $HOME is "
                   "expanded."),
    XlwingsSetting("PYTHONPATH", "",
                   "Extra folders to import Python code from, separated by ';'. Leave blank "
                   "when pmo-xl is installed in the interpreter's environment."),
)
XLWINGS_NOTES = (
    "How xlwings reads this sheet",
    "Keys in column A, values in column B, from A1 down to the first blank row: keep them at "
    "the top. Column C is only for people.",
    "Values here win over xlwings.conf files and the xlwings add-in's settings.",
    "Only the keys above are needed; other xlwings keys (e.g. Conda Path, Conda Env, Show "
    "Console) may be added above the blank row.",
    "When a button shows an error, see 'Excel set-up' in pmo-xl's README.",
)


# --- the VBA project ---------------------------------------------------------------------------


def code_name(sheet_name: str) -> str:
    """The VBA code name of a sheet: 'sht' + its name in CamelCase ('xlwings.conf' ->
    'shtXlwingsConf'). Its document module in the VBA project carries the same name."""
    parts = re.split(r"[^A-Za-z0-9]+", sheet_name)
    return "sht" + "".join(part[:1].upper() + part[1:] for part in parts if part)


def button_modules(folder: Path | None = None) -> list[VBAModule]:
    """The standard modules in `folder` (default: the package's macros), one per .bas file,
    named after the file. The files are UTF-8 text limited to code page 1252."""
    if folder is None:
        files = [f for f in resources.files(MACROS_PACKAGE).iterdir()
                 if f.name.endswith(".bas")]
    else:
        files = list(Path(folder).glob("*.bas"))
    if not files:
        raise MacroError(f"no macro sources (*.bas) in {folder or 'macros/'}")
    modules = []
    for file in sorted(files, key=lambda f: f.name):
        code = _read_macro(file)
        modules.append(VBAModule(file.name.removesuffix(".bas"), code))
    return modules


def _read_macro(file: Any) -> str:
    try:
        code = file.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise MacroError(f"{file}: not UTF-8 text") from None
    try:
        code.encode(VBA_ENCODING)
    except UnicodeEncodeError as error:
        char = code[error.start]
        line = code.count("\n", 0, error.start) + 1
        raise MacroError(
            f"{file}, line {line}: character {char!r} (U+{ord(char):04X}) is not in code page "
            "1252 (Windows-1252), the only encoding VBA stores macros in; use a plain "
            "equivalent") from None
    return code


def _xlwings_folder() -> Path:
    # find_spec does not import xlwings (its import is slow and not needed to read files).
    spec = importlib.util.find_spec("xlwings")
    if spec is None or spec.origin is None:
        raise MacroError("xlwings is not installed: the standalone workbook embeds its VBA "
                         "module (install xlwings, or build with --addin)")
    return Path(spec.origin).parent


def xlwings_modules() -> list[VBAModule]:
    """xlwings' VBA module and the Dictionary class it needs on macOS, as the installed
    xlwings package ships them (exported from the VBA editor, so in code page 1252)."""
    folder = _xlwings_folder()
    modules = []
    for name, relative, kind in (("xlwings", "xlwings.bas", "standard"),
                                 ("Dictionary", "addin/Dictionary.cls", "class")):
        try:
            code = (folder / relative).read_bytes().decode(VBA_ENCODING)
        except (OSError, UnicodeDecodeError) as error:
            raise MacroError(f"cannot read xlwings' VBA {folder / relative}: {error}") from None
        modules.append(VBAModule(name, code, kind))  # type: ignore[arg-type]
    return modules


def xlwings_version(modules: Sequence[VBAModule] | None = None) -> str:
    """The version stamped in xlwings' VBA module (by default the installed one's)."""
    for module in modules if modules is not None else xlwings_modules():
        match = re.search(r'XLWINGS_VERSION As String = "([^"]+)"', module.code)
        if module.name == "xlwings" and match:
            return match[1]
    raise MacroError("xlwings' VBA module states no XLWINGS_VERSION")


def _vba_project(sheets: Sequence[str], addin: bool, macros: Path | None) -> bytes:
    modules = [VBAModule(WORKBOOK_CODE_NAME, "", kind="document")]
    modules += [VBAModule(code_name(name), "", kind="document") for name in sheets]
    modules += button_modules(macros)
    references = DEFAULT_REFERENCES
    if addin:
        references = (*DEFAULT_REFERENCES, XLWINGS_ADDIN_REFERENCE)
    else:
        modules += xlwings_modules()
    try:
        return build_vba_project(modules, references=references)
    except ValueError as error:
        raise MacroError(str(error)) from None


# --- the workbook ------------------------------------------------------------------------------


def sheet_names(standard: Standard = DEFAULT_STANDARD) -> list[str]:
    """The workbook's sheets, in tab order."""
    return [DASHBOARD, *(s.name for s in standard.sheets), VALIDATION, HISTORY, SETTINGS_SHEET,
            LISTS_SHEET, XLWINGS_CONF, *map(highlight_sheet, HIGHLIGHTED_SHEETS)]


class Content(Protocol):
    """What fills a workbook: rows per sheet (dicts by column key), settings by key, and the
    as-of date (a `sample.SamplePortfolio`, or `register_content(register)`)."""

    as_of: dt.date
    settings: dict[str, Any]

    def rows(self, sheet: str) -> list[dict[str, Any]]: ...


def build_workbook(path: str | Path, content: Content | None = None, *,
                   addin: bool = False, macros: Path | None = None,
                   standard: Standard | None = None) -> Path:
    """Write the register workbook to `path` (.xlsm), replacing any file there.

    `content` fills the tables (e.g. `sample.sample_portfolio()` or `register_content(r)`);
    without it each table has one empty row and Settings hold their defaults. `standard` is
    the organisation's standard (sheets, columns, vocabularies: the Lists sheet and every
    dropdown follow it; default: pmo-xl's). `addin=True` references the xlwings add-in
    instead of embedding xlwings' VBA module. `macros` is a folder of .bas files to use
    instead of the package's. Raises `MacroError` (before anything is written) when a macro
    cannot go into the VBA project, e.g. a character outside code page 1252, and `OSError`
    (with its errno) when the file cannot be written.
    """
    import xlsxwriter

    path = Path(path)
    standard = standard or DEFAULT_STANDARD
    project = _vba_project(sheet_names(standard), addin, macros)
    # Built in memory, then written beside the target and renamed (fileio.write_atomic): a
    # complete file or none, and a full disk or a read-only folder is a plain OSError.
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"strings_to_numbers": False,
                                        "strings_to_formulas": False,
                                        "strings_to_urls": False, "in_memory": True})
    _fill(book, content, standard)
    book.add_vba_project(io.BytesIO(project), is_stream=True)
    book.close()
    write_atomic(path, buffer.getvalue())
    return path


def _fill(book: Any, content: Content | None, standard: Standard) -> None:
    settings = _setting_values(content)
    book.set_vba_name(WORKBOOK_CODE_NAME)
    book.set_properties({
        "title": "PMO register", "subject": "Project register, lessons learned, milestones",
        "author": "pmo-xl", "company": settings.get("organisation") or "",
        # A fixed date for a sample, so that rebuilding it gives the same file.
        "created": _midnight(content.as_of if content else dt.date.today()),
    })
    formats = _Formats(book)
    lists = _ValueLists(standard)
    settings_rows = _settings_rows()
    _dashboard(book, formats, settings, settings_rows, standard)
    for schema in standard.sheets:
        rows = content.rows(schema.name) if content else []
        _data_sheet(book, formats, schema, rows, lists)
    _validation_sheet(book, formats)
    _history_sheet(book, formats)
    _settings_sheet(book, formats, settings, settings_rows, lists)
    _lists_sheet(book, formats, lists)
    _xlwings_sheet(book, formats)
    for name in HIGHLIGHTED_SHEETS:
        _highlight_sheet(book, name)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day)


class _Formats:
    """The cell formats of one workbook, made once."""

    def __init__(self, book: Any) -> None:
        add = book.add_format
        self.title = add({"bold": True, "font_size": 20, "font_color": "#1F3864"})
        self.as_of = add({"bold": True, "font_size": 13, "num_format": DATE_FORMAT,
                          "align": "left"})
        self.heading = add({"bold": True, "font_size": 13, "font_color": "#1F3864",
                            "bottom": 1, "bottom_color": "#8EA9DB"})
        self.label = add({"bold": True, "font_size": 13})
        self.text = add({"font_size": 11})
        self.bold = add({"bold": True})
        self.note = add({"italic": True, "font_color": "#595959"})
        # The table style's header colours, also as a cell format, for applications that do
        # not draw table styles (LibreOffice).
        self.header = add({"bold": True, "text_wrap": True, "valign": "top",
                           "font_color": "#FFFFFF", "bg_color": "#4472C4"})
        self.kinds = {kind: add({"num_format": fmt}) for kind, fmt in NUMBER_FORMATS.items()}
        # What sample.write_cell expects; "points": a percentage typed as 45, shown as typed.
        self.cells = {"date": self.kinds[Kind.DATE], "money": self.kinds[Kind.MONEY],
                      "percent": self.kinds[Kind.PERCENT], "points": add({"num_format": "0"})}
        self.rag = {name: add({"bg_color": fill, "font_color": font})
                    for name, (fill, font) in RAG_COLOURS.items()}
        self.highlight = {mark: add({"bg_color": fill, "font_color": font, "border": 2,
                                     "border_color": border})
                          for mark, (fill, font, border) in HIGHLIGHT_COLOURS.items()}
        self.severity = {"Error": self.rag["Red"], "Warning": self.rag["Amber"]}
        self.history = [add({"num_format": fmt}) for fmt in HISTORY_FORMATS]
        self.input = add({"bg_color": "#FFF2CC", "border": 1, "border_color": "#BF8F00",
                          "bold": True})
        left = {"align": "left"}
        self.setting_value = add(left)
        self.setting_cells = {"date": add({"num_format": DATE_FORMAT, **left}),
                              "money": add({"num_format": "#,##0", **left}),
                              "percent": add({"num_format": "0%", **left})}

    def column(self, kind: Kind) -> Any:
        return self.kinds.get(kind)


class _ValueLists:
    """The Lists sheet's layout: one column per vocabulary (its words below its name) with a
    `<name> means` column beside it for vocabularies whose words carry a meaning, then the
    settings' fixed lists. Dropdowns take their words from here, to the last filled cell, so a
    word added on Lists is in the dropdown at once."""

    ROWS = 200  # how far down a list may grow

    def __init__(self, standard: Standard) -> None:
        self.columns: list[tuple[str, tuple[str, ...]]] = []
        self._start: dict[str, int] = {}
        for vocabulary, with_meanings in lists_layout(standard):
            self._add(vocabulary.name, vocabulary.words)
            if with_meanings:
                meanings = tuple(m or "" for m in vocabulary.meanings)
                self.columns.append((vocabulary.name + MEANS_SUFFIX, meanings))
        for setting in SETTINGS:
            if setting.kind is Kind.ENUM:
                self._add(setting.name, setting.allowed)

    def _add(self, name: str, values: tuple[str, ...]) -> None:
        self._start[name] = len(self.columns)
        self.columns.append((name, values))

    def source(self, name: str) -> str:
        """The list validation source of a vocabulary or setting: its words on Lists, as far
        down as they are filled."""
        letter = column_letter(self._start[name])
        column = f"{LISTS_SHEET}!${letter}$2:${letter}${self.ROWS + 1}"
        return f"=OFFSET({LISTS_SHEET}!${letter}$2,0,0,MAX(1,COUNTA({column})),1)"

    def meanings(self, name: str) -> str:
        """The words and meanings of a vocabulary, as a VLOOKUP table range."""
        first = column_letter(self._start[name])
        second = column_letter(self._start[name] + 1)
        return f"{LISTS_SHEET}!${first}$2:${second}${self.ROWS + 1}"


# --- Dashboard -----------------------------------------------------------------------------

_HOW_TO = (
    "Enter one row per project on Projects, per lesson on Lessons, per milestone on "
    "Milestones.",
    "Pick values from the dropdowns; select a header cell to see what its column expects.",
    "Set the organisation, report date and currency on Settings.",
)
_SET_UP = (
    "The buttons run Python (pmo-xl, through xlwings). Once per computer: install Python and "
    "pmo-xl,",
    "and check the interpreter on the xlwings.conf sheet. See 'Excel set-up' in pmo-xl's "
    "README.",
)
_DASHBOARD_COLUMNS = 8  # B..I
_DASHBOARD_WIDTH = 14
_BUTTON_ROW = 5
_BUTTON_SIZE = (196, 46)  # pixels; two Dashboard columns each


def _settings_rows() -> dict[str, int]:
    """Setting key -> its 1-based row on the Settings sheet (row 1 is the header)."""
    return {s.key: row for row, s in enumerate(SETTINGS, start=2)}


def _setting_values(content: Content | None) -> dict[str, object]:
    values = {s.key: s.default for s in SETTINGS}
    if content is not None:
        values.update({k: v for k, v in content.settings.items() if k in values})
    return values


def _dashboard(book: Any, formats: _Formats, settings: dict[str, object],
               settings_rows: dict[str, int], standard: Standard) -> None:
    sheet = book.add_worksheet(DASHBOARD)
    sheet.set_vba_name(code_name(DASHBOARD))
    sheet.hide_gridlines(2)
    sheet.set_column(0, 0, 2)
    sheet.set_column(1, _DASHBOARD_COLUMNS, _DASHBOARD_WIDTH)
    organisation_cell = _setting_cell(settings_rows, "organisation")
    report_date_cell = _setting_cell(settings_rows, "report_date")

    organisation = str(settings.get("organisation") or "")
    sheet.set_row(1, 30)
    sheet.write_formula(1, 1, f'=IF({organisation_cell}="","PMO register",'
                              f'"PMO register: "&{organisation_cell})', formats.title,
                        f"PMO register: {organisation}" if organisation else "PMO register")
    as_of = settings.get("report_date") or dt.date.today()
    sheet.write_string(2, 1, "As of", formats.label)
    sheet.write_formula(2, 2, f'=IF({report_date_cell}="",TODAY(),{report_date_cell})',
                        formats.as_of, _excel_serial(as_of))  # type: ignore[arg-type]
    sheet.write_string(2, 4, "Report Date on Settings; blank means today.", formats.note)

    sheet.set_row(_BUTTON_ROW, 38)
    width, height = _BUTTON_SIZE
    for n, button in enumerate(BUTTONS):
        sheet.insert_button(_BUTTON_ROW, 1 + 2 * n, {
            "macro": button.macro, "caption": button.caption, "width": width,
            "height": height, "x_offset": 4, "description": button.does})

    report_button = next(n for n, b in enumerate(BUTTONS) if b.caption == "Generate report")
    report_col = 1 + 2 * report_button
    sheet.write_string(_BUTTON_ROW + 1, report_col, "Report for:", formats.bold)
    sheet.write_blank(_BUTTON_ROW + 1, report_col + 1, None, formats.input)
    sheet.data_validation(_BUTTON_ROW + 1, report_col + 1, _BUTTON_ROW + 1, report_col + 1, {
        "validate": "list", "source": _project_ids_source(standard.projects),
        "error_type": "warning",
        "input_title": "Report for", "input_message": "The Project ID whose status report "
        "Generate report writes (or select the project's row on Projects)."})
    book.define_name(REPORT_PROJECT_NAME,
                     f"={DASHBOARD}!${column_letter(report_col + 1)}${_BUTTON_ROW + 2}")

    heading = _BUTTON_ROW + 3
    sheet.write_string(heading, 1, "How to use this workbook", formats.heading)
    _underline(sheet, heading, formats)
    row = heading
    for line in _HOW_TO:
        row += 1
        sheet.write_string(row, 1, line, formats.text)
    for button in BUTTONS:
        row += 1
        sheet.write_rich_string(row, 1, formats.bold, button.caption, f" {button.does}")
    for line in _SET_UP:
        row += 1
        sheet.write_string(row, 1, line, formats.text)

    row += 2
    sheet.write_string(row, 1, "Portfolio roll-up", formats.heading)
    _underline(sheet, row, formats)
    sheet.write_string(row + 1, 1, "Press Roll up portfolio to fill in this area.",
                       formats.note)
    book.define_name(ROLLUP_NAME, f"={DASHBOARD}!$B${row + 2}")
    _heat_map_colours(sheet, row + 1, formats, _setting_cell(settings_rows, "high_risk_score"))
    sheet.insert_chart(row, _DASHBOARD_COLUMNS + 1, _trend_chart(book),
                       {"x_offset": 12, "x_scale": 1.1, "y_scale": 1.2})
    _print_setup(sheet, pages_wide=1, title_rows=False)


def _heat_map_colours(sheet: Any, top: int, formats: _Formats, high_risk_cell: str) -> None:
    """Colour the roll-up's heat map of open risks (`excel._raid_rows`) by each cell's score,
    Probability (in its row's label) × Impact (its column): red from the Settings High Risk
    Score, amber from half of it, else green, as the portfolio summary's heat map. The cells
    move with the roll-up, so the rule finds them by their row's label."""
    first, last = top, top + HEAT_MAP_ROWS  # 0-based rows; columns C..G: impact 1..5
    row, label = first + 1, HEAT_MAP_LABEL
    score = f"VALUE(RIGHT($B{row},1))*(COLUMN(C{row})-COLUMN($B{row}))"
    is_cell = f'LEFT($B{row},{len(label) + 1})="{label} ",ISNUMBER(C{row})'
    for rag, bound in (("Red", high_risk_cell), ("Amber", f"{high_risk_cell}/2"),
                       ("Green", "0")):
        sheet.conditional_format(first, 2, last, 6, {
            "type": "formula", "criteria": f"=AND({is_cell},{score}>={bound})",
            "format": formats.rag[rag], "stop_if_true": True})


def _project_ids_source(projects: SheetSchema) -> str:
    """The dropdown of Project IDs: the Projects sheet's ID column, as far down as it is
    filled."""
    letter = column_letter(projects.columns.index(projects.column("project_id")))
    column = f"{projects.name}!${letter}:${letter}"
    return f"=OFFSET({projects.name}!${letter}$2,0,0,MAX(1,COUNTA({column})-1),1)"


def _underline(sheet: Any, row: int, formats: _Formats) -> None:
    for col in range(2, _DASHBOARD_COLUMNS + 1):
        sheet.write_blank(row, col, None, formats.heading)


def _setting_cell(settings_rows: dict[str, int], key: str) -> str:
    return f"{SETTINGS_SHEET}!$B${settings_rows[key]}"


def _excel_serial(day: dt.date) -> float:
    """A date as Excel's serial number, the cached value of a date formula."""
    return float((day - dt.date(1899, 12, 30)).days)


# --- data sheets ---------------------------------------------------------------------------


def _data_sheet(book: Any, formats: _Formats, schema: SheetSchema,
                rows: Sequence[dict[str, Any]], lists: _ValueLists) -> None:
    sheet = book.add_worksheet(schema.name)
    sheet.set_vba_name(code_name(schema.name))
    columns = schema.columns
    last_row = max(1, len(rows))  # a Table needs a data row, even an empty one
    for c, column in enumerate(columns):
        sheet.set_column(c, c, column.width, formats.column(column.kind))
    kinds = [column.kind.value for column in columns]
    for r, row in enumerate(rows, start=1):
        for c, column in enumerate(columns):
            write_cell(sheet, r, c, row.get(column.key), formats.cells, kinds[c])
    sheet.add_table(0, 0, last_row, len(columns) - 1, {
        "name": schema.table, "style": TABLE_STYLE,
        "columns": [{"header": column.name, "header_format": formats.header}
                    for column in columns]})
    sheet.set_row(0, HEADER_ROW_HEIGHT)
    _highlight_formats(sheet, schema.name, formats)
    for c, column in enumerate(columns):
        sheet.data_validation(0, c, 0, c, _header_hint(column))
        if column.kind is Kind.ENUM and column.vocabulary is not None:
            sheet.data_validation(1, c, last_row, c, _dropdown(column, lists))
            if tuple(column.vocabulary.canonical) == RAG:
                _rag_colours(sheet, c, last_row, formats, lists.meanings(column.vocabulary.name))
        elif column.kind is Kind.INTEGER and column.maximum is not None:
            sheet.data_validation(1, c, last_row, c, _whole_numbers(column))
    _score_colours(sheet, columns, last_row, formats, lists)
    sheet.freeze_panes(1, 0)
    _print_setup(sheet, pages_wide=_pages_wide(columns))


_KIND_HINTS = {
    Kind.DATE: "A date, e.g. 31-Mar-2026.",
    Kind.MONEY: "An amount, e.g. 125000.",
    Kind.PERCENT: "A percentage, e.g. 45%.",
    Kind.INTEGER: "A whole number.",
}


def excel_text(text: str, limit: int) -> str:
    """Text cut to Excel's limit for a validation title or message, counted as Excel counts
    (UTF-16 units: an emoji is two). Longer, XlsxWriter drops the whole dropdown."""
    units = text.encode("utf-16-le", "surrogatepass")[:2 * limit]
    return units.decode("utf-16-le", "ignore")  # "ignore": half an emoji at the cut


def _header_hint(column: Column) -> dict[str, Any]:
    """The input message shown when a header cell is selected."""
    parts = [column.hint] if column.hint else []
    if column.kind is Kind.ENUM and not column.hint:
        parts.append(f"Pick from the list: {', '.join(column.allowed)}.")
    elif not column.hint and column.kind in _KIND_HINTS:
        parts.append(_KIND_HINTS[column.kind])
    parts.append("Required." if column.required else "Optional.")
    return {"validate": "any", "input_title": excel_text(column.name, 32),
            "input_message": excel_text(" ".join(parts), 255)}


def _whole_numbers(column: Column) -> dict[str, Any]:
    """Excel refuses what validation would report (`bad-number`, `number-range`)."""
    return {"validate": "integer", "criteria": "between", "minimum": 0,
            "maximum": column.maximum, "error_type": "stop",
            "error_title": "Not a whole number in range",
            "error_message": excel_text(f"{column.name} is a whole number from 0 to "
                                        f"{column.maximum:,}, or blank.", 255)}


def _dropdown(column: Column | Setting, lists: _ValueLists) -> dict[str, Any]:
    vocabulary = getattr(column, "vocabulary", None)
    name = vocabulary.name if isinstance(vocabulary, Vocabulary) else column.name
    return {"validate": "list", "source": lists.source(name),
            "error_type": "stop", "error_title": "Not in the list",
            "error_message": excel_text(f"{column.name} must be one of the words on the "
                                        f"{LISTS_SHEET} sheet ({name}): "
                                        f"{', '.join(column.allowed)}.", 255)}


def _rag_colours(sheet: Any, col: int, last_row: int, formats: _Formats, meanings: str) -> None:
    """Green, amber and red fills by what each word means on the Lists sheet (so 'On Track'
    or 'Amber/Red' are coloured too); the RAG initials G, A and R count as well
    (case-insensitive, like Excel's text comparison)."""
    cell = f"${column_letter(col)}2"
    initials = {name: letter.upper() for letter, name in RAG_SHORTHAND.items()}
    for name in RAG:
        meaning = f'IFERROR(VLOOKUP(TRIM({cell}),{meanings},2,FALSE),"")'
        sheet.conditional_format(1, col, last_row, col, {
            "type": "formula",
            "criteria": f'=OR({meaning}="{name}",TRIM({cell})="{initials[name]}")',
            "format": formats.rag[name]})


SCORED = ("probability", "impact")  # Score = Probability × Impact (the RAID sheet's)


def _score_colours(sheet: Any, columns: Sequence[Column], last_row: int, formats: _Formats,
                   lists: _ValueLists) -> None:
    """On a sheet with Probability and Impact (the RAID log), fill both cells by the row's
    Score, as the Dashboard's heat map and the reports do: red from the Settings High Risk
    Score, amber from half of it, green below. Each word counts by its meaning on the Lists
    sheet ('High' may mean 5); a word that is not in the list scores nothing, as it does in
    every figure."""
    at = {column.key: c for c, column in enumerate(columns)}
    if not all(key in at for key in SCORED):
        return
    factors = []
    for key in SCORED:
        vocabulary = columns[at[key]].vocabulary
        assert vocabulary is not None  # both are dropdowns of the standard
        cell = f"${column_letter(at[key])}2"
        factors.append(f'IFERROR(VALUE(VLOOKUP(TRIM({cell}&""),'
                       f'{lists.meanings(vocabulary.name)},2,FALSE)),0)')
    score = "*".join(factors)
    high = _setting_cell(_settings_rows(), "high_risk_score")
    for c in (at[key] for key in SCORED):
        for rag, bound in (("Red", high), ("Amber", f"{high}/2"), ("Green", "1")):
            sheet.conditional_format(1, c, last_row, c, {
                "type": "formula", "criteria": f"={score}>={bound}",
                "format": formats.rag[rag], "stop_if_true": True})


def _pages_wide(columns: Sequence[Column]) -> int:
    total = sum(column.width for column in columns)
    if total <= PRINT_CHARS_PER_PAGE:
        return 1
    key = sum(column.width for column in columns[:PRINT_KEY_COLUMNS])
    return math.ceil((total - key) / (PRINT_CHARS_PER_PAGE - key))


def _print_setup(sheet: Any, pages_wide: int, title_rows: bool = True) -> None:
    """Landscape, fitted to `pages_wide` pages across; header row and key columns repeated
    on every page; sheet name and page numbers in the margins."""
    sheet.set_landscape()
    sheet.fit_to_pages(pages_wide, 0)
    sheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    sheet.set_header("&L&A&R&D", {"margin": 0.3})
    sheet.set_footer("&CPage &P of &N", {"margin": 0.3})
    if title_rows:
        sheet.repeat_rows(0)
    if pages_wide > 1:
        sheet.repeat_columns(0, PRINT_KEY_COLUMNS - 1)


# --- highlights, Validation, History --------------------------------------------------------


def _highlight_formats(sheet: Any, name: str, formats: _Formats) -> None:
    """Fill a cell red (error) or amber (warning) while its row's marks on the highlight sheet
    name its column (see `layout`); these rules come first, so they win over RAG colours."""
    for mark in (ERROR_MARK, WARNING_MARK):
        sheet.conditional_format(1, 0, _LAST_ROW, HIGHLIGHT_COLUMNS - 1, {
            "type": "formula", "criteria": highlight_rule(name, mark),
            "format": formats.highlight[mark], "stop_if_true": True})


_LAST_ROW = 1_048_575  # 0-based


def _highlight_sheet(book: Any, name: str) -> None:
    sheet = book.add_worksheet(highlight_sheet(name))
    sheet.set_vba_name(code_name(highlight_sheet(name)))
    sheet.very_hidden()  # Python's bookkeeping: nothing to see or edit


def _validation_sheet(book: Any, formats: _Formats) -> None:
    """Filled by Validate entries; laid out here so that it looks right from the start."""
    sheet = book.add_worksheet(VALIDATION)
    sheet.set_vba_name(code_name(VALIDATION))
    sheet.write_string(0, 0, "Validation of the register", formats.title)
    sheet.set_row(0, 30)
    sheet.write_string(1, 0, "Press Validate entries on the Dashboard to fill in this sheet.",
                       formats.note)
    header = VALIDATION_FIRST_ROW - 2
    sheet.write_row(header, 0, VALIDATION_HEADER, formats.header)
    for c, width in enumerate(VALIDATION_WIDTHS):
        sheet.set_column(c, c, width)
    severity = VALIDATION_HEADER.index("Severity")
    for text, cell_format in formats.severity.items():
        sheet.conditional_format(header + 1, severity, _LAST_ROW, severity, {
            "type": "cell", "criteria": "==", "value": f'"{text}"', "format": cell_format})
    sheet.freeze_panes(header + 1, 0)
    _print_setup(sheet, pages_wide=1, title_rows=False)
    sheet.repeat_rows(header)


def _history_sheet(book: Any, formats: _Formats) -> None:
    """One row per project per roll-up (Roll up portfolio appends), and the RAG trend the
    Dashboard's chart shows."""
    sheet = book.add_worksheet(HISTORY)
    sheet.set_vba_name(code_name(HISTORY))
    sheet.write_row(0, 0, HISTORY_HEADER, formats.header)
    for c, (width, cell_format) in enumerate(zip(HISTORY_WIDTHS, formats.history, strict=True)):
        sheet.set_column(c, c, width, cell_format)
    sheet.write_row(0, TREND_COLUMN, TREND_HEADER, formats.header)
    sheet.set_column(TREND_COLUMN, TREND_COLUMN, 12)
    sheet.set_column(TREND_COLUMN + 1, TREND_COLUMN + len(TREND_HEADER) - 1, 8)
    sheet.set_row(0, HEADER_ROW_HEIGHT)
    sheet.freeze_panes(1, 0)
    _print_setup(sheet, pages_wide=1)


def _trend_chart(book: Any) -> Any:
    """Open projects by RAG over the latest roll-ups (History's trend block)."""
    chart = book.add_chart({"type": "column", "subtype": "stacked"})
    last = TREND_ROWS  # 0-based: rows 1..TREND_ROWS under the header
    categories = [HISTORY, 1, TREND_COLUMN, last, TREND_COLUMN]
    colours = {"Green": "#70AD47", "Amber": "#FFC000", "Red": "#C00000", "Unset": "#A6A6A6"}
    for offset, name in enumerate(TREND_HEADER[1:], start=1):
        chart.add_series({"name": [HISTORY, 0, TREND_COLUMN + offset],
                          "categories": categories,
                          "values": [HISTORY, 1, TREND_COLUMN + offset, last,
                                     TREND_COLUMN + offset],
                          "fill": {"color": colours[name]}, "gap": 60})
    chart.set_title({"name": "Open projects by RAG, per roll-up",
                     "name_font": {"size": 11, "bold": True}})
    chart.set_x_axis({"num_font": {"size": 8}})
    chart.set_y_axis({"major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}},
                      "num_font": {"size": 8}})
    chart.set_legend({"position": "bottom"})
    chart.show_blanks_as("gap")
    return chart


# --- Settings, Lists, xlwings.conf -----------------------------------------------------------


def _settings_sheet(book: Any, formats: _Formats, values: dict[str, object],
                    settings_rows: dict[str, int], lists: _ValueLists) -> None:
    sheet = book.add_worksheet(SETTINGS_SHEET)
    sheet.set_vba_name(code_name(SETTINGS_SHEET))
    sheet.write_row(0, 0, ("Setting", "Value", "About"), formats.header)
    _highlight_formats(sheet, SETTINGS_SHEET, formats)
    for setting in SETTINGS:
        r = settings_rows[setting.key] - 1
        sheet.write_string(r, 0, setting.name, formats.bold)
        if setting.kind is Kind.DATE:
            sheet.write_blank(r, 1, None, formats.setting_cells["date"])
        write_cell(sheet, r, 1, values.get(setting.key), formats.setting_cells,
                   "percent" if setting.kind is Kind.PERCENT else "")
        sheet.write_string(r, 2, setting.hint)
        sheet.data_validation(r, 1, r, 1, _setting_validation(setting, lists))
    sheet.set_column(0, 0, 20)
    sheet.set_column(1, 1, 24, formats.setting_value)
    sheet.set_column(2, 2, 90)
    sheet.freeze_panes(1, 0)
    _print_setup(sheet, pages_wide=1)


def _setting_validation(setting: Setting, lists: _ValueLists) -> dict[str, Any]:
    hint = {"input_title": excel_text(setting.name, 32),
            "input_message": excel_text(setting.hint, 255)}
    if setting.kind is Kind.ENUM:
        return {**_dropdown(setting, lists), **hint}
    if setting.kind is Kind.INTEGER:
        return {"validate": "integer", "criteria": ">=", "value": 1, "error_type": "stop",
                "error_title": "Not a whole number",
                "error_message": f"{setting.name} is a whole number of at least 1.", **hint}
    return {"validate": "any", **hint}


def _lists_sheet(book: Any, formats: _Formats, lists: _ValueLists) -> None:
    """The organisation's vocabularies, to edit in Excel: a word added here is in the
    dropdowns at once, and validation and reports follow it (`standard.with_lists`)."""
    sheet = book.add_worksheet(LISTS_SHEET)
    sheet.set_vba_name(code_name(LISTS_SHEET))
    for c, (name, values) in enumerate(lists.columns):
        sheet.write_string(0, c, name, formats.bold)
        for r, value in enumerate(values, start=1):
            if value:
                sheet.write_string(r, c, value)
        sheet.set_column(c, c, max(14, len(name) + 2))
        if name.endswith(MEANS_SUFFIX):
            vocabulary = name.removesuffix(MEANS_SUFFIX)
            sheet.write_comment(0, c, f"What each {vocabulary} word means to pmo-xl's "
                                      "figures; see the README's 'The register standard'.")
    sheet.freeze_panes(1, 0)
    _print_setup(sheet, pages_wide=1)


def _xlwings_sheet(book: Any, formats: _Formats) -> None:
    sheet = book.add_worksheet(XLWINGS_CONF)
    sheet.set_vba_name(code_name(XLWINGS_CONF))
    for r, setting in enumerate(XLWINGS_SETTINGS):
        sheet.write_string(r, 0, setting.key, formats.bold)
        if setting.value:
            sheet.write_string(r, 1, setting.value)
        sheet.write_string(r, 2, setting.about, formats.note)
    first_note = len(XLWINGS_SETTINGS) + 1  # after the blank row that ends xlwings' keys
    for r, note in enumerate(XLWINGS_NOTES, start=first_note):
        sheet.write_string(r, 0, note, formats.bold if r == first_note else formats.text)
    sheet.set_column(0, 0, 18)
    sheet.set_column(1, 1, 50)
    sheet.set_column(2, 2, 80)
    _print_setup(sheet, pages_wide=1, title_rows=False)


# --- filling a workbook from an existing register --------------------------------------------


@dataclass
class RegisterContent:
    """An existing register's rows and settings, ready for `build_workbook` (see
    `register_content`)."""

    as_of: dt.date
    settings: dict[str, Any]
    tables: dict[str, list[dict[str, Any]]]

    def rows(self, sheet: str) -> list[dict[str, Any]]:
        return self.tables.get(sheet, [])

    def sheet_names(self) -> list[str]:
        return list(self.tables)


def register_content(register: Any) -> RegisterContent:
    """The register's data for a new pmo-xl workbook: usable values typed (dates, amounts in
    units, fractions), dropdowns in the organisation's words, and every value that failed
    validation carried over as the text it was, so nothing typed is lost."""
    tables = {table.schema.name: _content_rows(table) for table in register}
    settings = {field.name: getattr(register.settings, field.name)
                for field in dataclasses.fields(register.settings)}
    # Amounts are converted to units here, and the currency is the one in force.
    settings.update(currency=register.currency, money_unit="units")
    return RegisterContent(register.settings.report_date or dt.date.today(), settings, tables)


def _content_rows(table: Any) -> list[dict[str, Any]]:
    columns: dict[str, list[Any]] = {}
    for column in table.schema.columns:
        if not table.has(column.key):
            continue
        parsed = table.parsed[column.key]
        typed = parsed.labels if parsed.labels is not None else parsed.values
        unusable = parsed.bad | parsed.values.isna() & ~parsed.blank
        raw = table.raw[column.key]
        cells = []
        for value, was, bad in zip(typed.tolist(), raw.tolist(), unusable.tolist(), strict=True):
            cells.append(_as_text(was) if bad else _plain_cell(value))
        columns[column.key] = cells
    return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def _plain_cell(value: Any) -> Any:
    if value is None or value != value:  # noqa: PLR0124 - NaN and NaT are not themselves
        return None
    if isinstance(value, dt.datetime):  # pandas' Timestamp too
        return value.date()
    return value.item() if hasattr(value, "item") else value


def _as_text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(" ")
    return str(value)
