"""The register workbook (.xlsm), read back with openpyxl, the zip parts and our own reader."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from workbook_content import body, column_widths, validation_summary, vml_buttons

from pmo_xl import excel
from pmo_xl.cli import main
from pmo_xl.layout import (
    HISTORY_HEADER,
    REPORT_PROJECT_NAME,
    TREND_COLUMN,
    TREND_HEADER,
    TREND_ROWS,
    VALIDATION_FIRST_ROW,
    VALIDATION_HEADER,
    highlight_rule,
)
from pmo_xl.reader import read_register
from pmo_xl.sample import SamplePortfolio, sample_portfolio
from pmo_xl.schema import (
    RAG,
    SETTINGS,
    SHEETS,
    STAGES,
    Kind,
    sheet_schema,
)
from pmo_xl.validation import validate
from pmo_xl.workbook import (
    BUTTONS,
    DASHBOARD,
    LISTS_SHEET,
    NUMBER_FORMATS,
    PRINT_CHARS_PER_PAGE,
    ROLLUP_NAME,
    XLWINGS_CONF,
    MacroError,
    build_workbook,
    button_modules,
    code_name,
)

MACROS = Path(__file__).resolve().parents[1] / "macros"  # the repository's VBA sources
RUN_PYTHON = re.compile(r'^\s*RunPython "import pmo_xl\.excel; pmo_xl\.excel\.(\w+)\(\)"\s*$')
HIGHLIGHT_SHEETS = ["Projects highlights", "Lessons highlights", "Milestones highlights",
                    "RAID highlights", "Settings highlights"]
SHEET_ORDER = [DASHBOARD, "Projects", "Lessons", "Milestones", "RAID", "Validation", "History",
               "Settings", LISTS_SHEET, XLWINGS_CONF, *HIGHLIGHT_SHEETS]


@pytest.fixture(scope="module")
def sample_xlsm(tmp_path_factory: pytest.TempPathFactory, sample: SamplePortfolio) -> Path:
    return build_workbook(tmp_path_factory.mktemp("workbook") / "PMO_Register.xlsm", sample)


@pytest.fixture(scope="module")
def book(sample_xlsm: Path) -> Any:
    return openpyxl.load_workbook(sample_xlsm)


@pytest.fixture(scope="module")
def empty_xlsm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_workbook(tmp_path_factory.mktemp("workbook") / "Empty.xlsm")


def expected_findings(portfolio: SamplePortfolio) -> set[tuple[str, int, str, str]]:
    # The tables' header is row 1, so data row i (0-based) is Excel row i + 2.
    return {(p.sheet, p.index + 2, sheet_schema(p.sheet).column(p.column).name, p.rule)
            for p in portfolio.planted}


# --- structure -------------------------------------------------------------------------------


def test_sheets_in_order_with_code_names(book: Any) -> None:
    assert book.sheetnames == SHEET_ORDER
    assert book.code_name == "ThisWorkbook"
    assert {ws.title: ws.sheet_properties.codeName for ws in book.worksheets} == {
        name: code_name(name) for name in SHEET_ORDER}
    assert code_name(XLWINGS_CONF) == "shtXlwingsConf"
    states = {ws.title: ws.sheet_state for ws in book.worksheets}
    assert states.pop(LISTS_SHEET) == "visible"  # the organisation's vocabularies, to edit
    assert [states.pop(name) for name in HIGHLIGHT_SHEETS] == ["veryHidden"] * 5
    assert set(states.values()) == {"visible"}
    assert book.active.title == DASHBOARD


def test_tables_have_the_schemas_names_headers_and_rows(book: Any,
                                                        sample: SamplePortfolio) -> None:
    for schema in SHEETS:
        ws = book[schema.name]
        (table,) = ws.tables.values()
        last = openpyxl.utils.get_column_letter(len(schema.columns))
        assert table.name == schema.table
        assert table.ref == f"A1:{last}{len(sample.rows(schema.name)) + 1}"
        assert [c.name for c in table.tableColumns] == [c.name for c in schema.columns]
        assert [cell.value for cell in ws[1]] == [c.name for c in schema.columns]
        assert ws.freeze_panes == "A2"
        widths = column_widths(ws)
        for index, column in enumerate(schema.columns, start=1):
            assert widths[index] == pytest.approx(column.width, abs=1), column.name


def test_every_enum_column_has_a_dropdown_from_the_lists_sheet(book: Any) -> None:
    lists = book[LISTS_SHEET]
    for schema in SHEETS:
        ws = book[schema.name]
        rows = ws.max_row
        dropdowns = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation
                     if dv.type == "list"}
        enums = [(i, c) for i, c in enumerate(schema.columns, 1) if c.kind is Kind.ENUM]
        assert len(dropdowns) == len(enums)  # Milestones has none
        for index, column in enums:
            letter = openpyxl.utils.get_column_letter(index)
            dv = dropdowns[f"{letter}2:{letter}{rows}"]
            # The vocabulary's words on Lists, as far down as they are filled: a word added
            # there is in the dropdown at once.
            match = re.fullmatch(r"OFFSET\(Lists!\$([A-Z]+)\$2,0,0,MAX\(1,COUNTA\(Lists!"
                                 r"\$\1\$2:\$\1\$201\)\),1\)", dv.formula1)
            assert match, dv.formula1
            list_letter = match[1]
            values = [row[0].value for row in lists[f"{list_letter}2:{list_letter}201"]]
            assert tuple(v for v in values if v) == column.allowed, column.name
            assert lists[f"{list_letter}1"].value == column.vocabulary.name
            assert dv.errorStyle in (None, "stop") and dv.showErrorMessage


def test_whole_number_columns_refuse_what_validation_would_report(book: Any) -> None:
    for schema in SHEETS:
        ws = book[schema.name]
        bounded = {openpyxl.utils.get_column_letter(i): c for i, c in
                   enumerate(schema.columns, 1) if c.kind is Kind.INTEGER and c.maximum}
        found = {str(dv.sqref).split(":")[0][:-1]: dv
                 for dv in ws.data_validations.dataValidation if dv.type == "whole"}
        assert set(found) == set(bounded), schema.name
        for letter, dv in found.items():
            assert str(dv.sqref) == f"{letter}2:{letter}{ws.max_row}"
            assert (dv.operator in (None, "between"), dv.formula1, dv.formula2) == (
                True, "0", str(bounded[letter].maximum))
            assert dv.errorStyle in (None, "stop") and dv.showErrorMessage


def test_lists_sheet_holds_each_vocabulary_with_its_meanings(book: Any) -> None:
    lists = book[LISTS_SHEET]
    headers = [c.value for c in lists[1] if c.value]
    assert headers[:4] == ["Phase", "Phase means", "RAG", "RAG means"]
    assert "Lesson Category means" not in headers  # an open vocabulary: words mean themselves
    phase = headers.index("Phase") + 1
    pairs = [(lists.cell(r, phase).value, lists.cell(r, phase + 1).value) for r in range(2, 7)]
    assert pairs == [(stage, stage) for stage in STAGES]


def test_headers_carry_the_schemas_hints(book: Any) -> None:
    for schema in SHEETS:
        hints = {summary[0]: summary for summary in map(
            validation_summary, book[schema.name].data_validations.dataValidation)}
        for index, column in enumerate(schema.columns, start=1):
            cell = f"{openpyxl.utils.get_column_letter(index)}1"
            _, kind, _, title, prompt = hints[cell]
            assert (kind, title) == ("any", column.name)
            assert column.hint in prompt
            assert prompt.endswith("Required." if column.required else "Optional.")


def test_rag_columns_are_coloured_green_amber_red(book: Any) -> None:
    ws = book["Projects"]
    rag_letters = {openpyxl.utils.get_column_letter(i) for i, c in
                   enumerate(sheet_schema("Projects").columns, 1) if c.allowed == RAG}
    assert len(rag_letters) == 3
    rules: dict[str, dict[str, str]] = {}
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            (formula,) = rule.formula
            if "highlights" in formula:
                continue  # Validate entries' highlights, tested below
            name = re.search(r'"(Green|Amber|Red)"', formula)[1]
            rules.setdefault(str(cf.sqref), {})[name] = rule.dxf.fill.bgColor.rgb
    assert set(rules) == {f"{letter}2:{letter}{ws.max_row}" for letter in rag_letters}
    for colours in rules.values():
        assert colours == {"Green": "FFC6EFCE", "Amber": "FFFFEB9C", "Red": "FFFFC7CE"}


def test_checked_sheets_turn_their_highlight_marks_into_fills_first(book: Any) -> None:
    """Validate entries marks cells on the very hidden highlight sheet (a row's marks in its
    column A); conditional formats over the whole sheet (before the RAG colours) turn them
    into red or amber fills."""
    for sheet, twin in zip(["Projects", "Lessons", "Milestones", "RAID", "Settings"],
                           HIGHLIGHT_SHEETS, strict=True):
        ws = book[sheet]
        ranges = list(ws.conditional_formatting)
        first = ranges[0]
        assert str(first.sqref) == f"A2:BH{1_048_576}"
        assert [(r.formula, r.stopIfTrue, r.priority) for r in first.rules] == [
            ([highlight_rule(sheet, "E")[1:]], True, 1),
            ([highlight_rule(sheet, "W")[1:]], True, 2)]
        assert f"'{twin}'!$A2" in highlight_rule(sheet, "E")
        fills = [r.dxf.fill.bgColor.rgb for r in first.rules]
        assert fills == ["FFFFC7CE", "FFFFEB9C"]
        others = [r.priority for cf in ranges[1:] for r in cf.rules]
        assert all(priority > 2 for priority in others)
        assert book[twin].max_row == 1 and book[twin]["A1"].value is None


def test_validation_and_history_sheets_are_laid_out(book: Any) -> None:
    validation = book["Validation"]
    assert [c.value for c in validation[VALIDATION_FIRST_ROW - 1]] == list(VALIDATION_HEADER)
    assert validation.freeze_panes == f"A{VALIDATION_FIRST_ROW}"
    history = book["History"]
    assert [c.value for c in history[1]][:len(HISTORY_HEADER)] == list(HISTORY_HEADER)
    assert history.cell(1, TREND_COLUMN + 1).value == TREND_HEADER[0]


def test_dashboard_has_a_report_for_dropdown_and_a_rag_trend_chart(sample_xlsm: Path,
                                                                   book: Any) -> None:
    ws = book[DASHBOARD]
    target = book.defined_names[REPORT_PROJECT_NAME].attr_text
    sheet, cell = target.split("!")
    assert sheet == DASHBOARD
    cell = cell.replace("$", "")
    [dropdown] = [dv for dv in ws.data_validations.dataValidation if cell in str(dv.sqref)]
    assert dropdown.type == "list" and "Projects!$A$2" in dropdown.formula1
    label = ws[cell].offset(column=-1).value
    assert label == "Report for:"
    with zipfile.ZipFile(sample_xlsm) as archive:
        [chart] = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
        xml = archive.read(chart).decode()
    assert xml.count("<c:ser>") == 4
    assert f"History!$K$2:$K${TREND_ROWS + 1}" in xml


def test_number_formats_by_kind(book: Any, sample: SamplePortfolio) -> None:
    planted = {(p.sheet, p.index, p.column) for p in sample.planted}
    for schema in SHEETS:
        ws = book[schema.name]
        for index, column in enumerate(schema.columns, start=1):
            fmt = NUMBER_FORMATS.get(column.kind)
            if fmt is None:
                continue
            cells = [ws.cell(r + 2, index) for r, row in enumerate(sample.rows(schema.name))
                     if isinstance(row.get(column.key), (int, float)) or
                     hasattr(row.get(column.key), "year")]
            checked = [c for c in cells if (schema.name, c.row - 2, column.key) not in planted]
            assert checked and {c.number_format for c in checked} == {fmt}, column.name


def test_every_sheet_prints_landscape_fitted_to_width(book: Any) -> None:
    for ws in book.worksheets:
        if ws.sheet_state == "veryHidden":
            continue  # the highlight marks: never shown, never printed
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.page_setup.fitToHeight == 0, ws.title  # as many pages down as needed
    for schema in SHEETS:
        ws = book[schema.name]
        assert ws.print_title_rows == "$1:$1"
        pages = ws.page_setup.fitToWidth or 1
        total = sum(c.width for c in schema.columns)
        repeated = sum(c.width for c in schema.columns[:2]) if pages > 1 else 0
        # Legible: no page carries more column width than the builder's limit.
        assert (total - repeated) / pages + repeated <= PRINT_CHARS_PER_PAGE, schema.name
        assert (ws.print_title_cols == "$A:$B") == (pages > 1)
    assert book["Projects"].page_setup.fitToWidth > 1  # 23 columns do not fit one page legibly


def test_settings_sheet_holds_every_setting(book: Any, empty_xlsm: Path,
                                            sample: SamplePortfolio) -> None:
    ws = book["Settings"]
    assert [c.value for c in ws[1]] == ["Setting", "Value", "About"]
    declared = SETTINGS
    assert [ws.cell(r, 1).value for r in range(2, len(declared) + 2)] == [
        s.name for s in declared]
    assert ws["B3"].value.date() == sample.as_of
    empty = openpyxl.load_workbook(empty_xlsm)["Settings"]
    for row, setting in enumerate(declared, start=2):
        assert empty.cell(row, 2).value == (setting.default if setting.default != "" else None)
        assert empty.cell(row, 3).value == setting.hint


def test_xlwings_conf_sheet_has_the_keys_xlwings_reads(book: Any) -> None:
    ws = book[XLWINGS_CONF]
    # xlwings reads column A from A1 down to the first blank cell, keys upper-cased.
    keys = []
    for row in ws.iter_rows(min_col=1, max_col=1):
        if row[0].value is None:
            break
        keys.append(row[0].value.upper())
    assert keys == ["INTERPRETER_WIN", "INTERPRETER_MAC", "PYTHONPATH"]
    assert ws["B1"].value.endswith(r"\Scripts\python.exe")
    assert ws["B2"].value.endswith("/bin/python")
    assert all(ws.cell(r, 3).value for r in (1, 2, 3))  # each key documented beside it
    assert any("first blank row" in str(c.value) for c in ws["A"])


def test_dashboard_has_the_five_buttons_and_no_register_data(sample_xlsm: Path,
                                                             book: Any) -> None:
    assert vml_buttons(sample_xlsm, DASHBOARD) == [
        (button.caption, f"[0]!{button.macro}") for button in BUTTONS]
    assert [b.caption for b in BUTTONS] == ["Validate entries", "Roll up portfolio",
                                            "Generate report", "Generate all reports",
                                            "Lessons for project"]
    for sheet in SHEET_ORDER[1:]:
        assert vml_buttons(sample_xlsm, sheet) == []
    ws = book[DASHBOARD]
    texts = {str(c.value) for row in ws.iter_rows() for c in row if c.value is not None}
    headers = {c.name for schema in SHEETS for c in schema.columns}
    assert not texts & headers
    assert any("TODAY()" in text for text in texts)  # the as-of date
    assert book.defined_names[ROLLUP_NAME].attr_text.startswith(f"{DASHBOARD}!")


def test_openpyxl_and_our_reader_read_the_sample(book: Any, sample_xlsm: Path,
                                                 sample: SamplePortfolio) -> None:
    assert book["Projects"]["A2"].value == sample.projects[0]["project_id"]
    register = read_register(sample_xlsm)
    assert len(register.projects) == len(sample.projects)
    assert len(register.lessons) == len(sample.lessons)
    assert len(register.milestones) == len(sample.milestones)
    assert register.settings.report_date == sample.as_of
    assert register.settings.organisation == "Harbourside Group"


def test_validate_finds_exactly_the_planted_problems(sample_xlsm: Path,
                                                     sample: SamplePortfolio) -> None:
    script = Path(sys.executable).with_name("pmo-xl")
    result = subprocess.run([str(script), "validate", str(sample_xlsm), "--format", "json"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    found = {(f["sheet"], f["row"], f["column"], f["rule"])
             for f in json.loads(result.stdout)["findings"]}
    assert found == expected_findings(sample)


@pytest.mark.parametrize(("projects", "seed"), [(1, 1), (120, 5)])
def test_other_sample_sizes_keep_their_planted_problems(tmp_path: Path, projects: int,
                                                        seed: int) -> None:
    portfolio = sample_portfolio(projects, seed)
    path = build_workbook(tmp_path / "s.xlsm", portfolio)
    found = {(f.sheet, f.row, f.column, f.rule) for f in validate(read_register(path))}
    assert found == expected_findings(portfolio)


def test_empty_workbook_has_one_empty_row_per_table_and_no_findings(empty_xlsm: Path) -> None:
    book = openpyxl.load_workbook(empty_xlsm)
    for schema in SHEETS:
        ws = book[schema.name]
        (table,) = ws.tables.values()
        assert table.ref.endswith("2")
        assert all(cell.value is None for cell in ws[2])
    register = read_register(empty_xlsm)
    assert len(register.projects) == 0
    assert list(validate(register)) == []


# --- the command ---------------------------------------------------------------------------


def test_new_writes_a_workbook_and_refuses_to_overwrite(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str],
                                                        ) -> None:
    path = tmp_path / "Register.xlsm"
    assert main(["new", str(path), "--projects", "3"]) == 0
    assert "3 projects" in capsys.readouterr().out
    before = path.read_bytes()
    assert main(["new", str(path)]) == 2
    assert "already exists; use --force" in capsys.readouterr().err
    assert path.read_bytes() == before
    assert main(["new", str(path), "--force"]) == 0
    assert "an empty register" in capsys.readouterr().out
    assert len(read_register(path).projects) == 0
    assert main(["new", str(tmp_path / "Register.xlsx")]) == 2
    assert ".xlsm" in capsys.readouterr().err
    assert not (tmp_path / "Register.xlsx").exists()


def test_macro_outside_code_page_1252_fails_clearly(tmp_path: Path) -> None:
    macros = tmp_path / "macros"
    macros.mkdir()
    (macros / "Arrows.bas").write_text('Sub Go()\n    MsgBox "Next \u2192"\nEnd Sub\n',
                                       encoding="utf-8")
    target = tmp_path / "Register.xlsm"
    with pytest.raises(MacroError) as raised:
        build_workbook(target, macros=macros)
    message = str(raised.value)
    assert "Arrows.bas, line 2" in message and "U+2192" in message and "1252" in message
    assert not target.exists() and list(tmp_path.iterdir()) == [macros]
    (macros / "Arrows.bas").write_text('Sub Go()\n    MsgBox "Caf\u00e9 \u20ac"\nEnd Sub\n',
                                       encoding="utf-8")
    build_workbook(target, macros=macros)  # é and € are in code page 1252


# --- the macros and the Python they call ----------------------------------------------------


def _subs(code: str) -> dict[str, list[str]]:
    """Sub name -> the lines of its body."""
    return {name: [line for line in lines.strip("\n").split("\n") if line.strip()]
            for name, lines in re.findall(r"^Sub (\w+)\(\)\n(.*?)^End Sub$", code,
                                          re.DOTALL | re.MULTILINE)}


def test_every_button_runs_one_python_function_that_exists() -> None:
    modules = {m.name: body(m.code) for m in button_modules()}
    assert sorted(modules) == sorted(p.stem for p in MACROS.glob("*.bas"))
    called = []
    for module, code in modules.items():
        for sub, lines in _subs(code).items():
            assert len(lines) == 1, f"{module}.{sub} should be one RunPython call"
            match = RUN_PYTHON.match(lines[0])
            assert match, f"{module}.{sub}: {lines[0]!r}"
            function = getattr(excel, match[1], None)
            assert callable(function), f"{module}.{sub} calls missing pmo_xl.excel.{match[1]}"
            called.append((f"{module}.{sub}", match[1]))
    assert sorted(called) == sorted([
        ("PmoButtons.ValidateEntries", "validate_entries"),
        ("PmoButtons.RollupPortfolio", "rollup_portfolio"),
        ("PmoButtons.GenerateReport", "generate_report"),
        ("PmoButtons.GenerateAllReports", "generate_all_reports"),
        ("PmoButtons.LessonsForProject", "lessons_for_project")])
    assert {b.macro for b in BUTTONS} == {macro for macro, _ in called}


def test_excel_module_imports_without_xlwings() -> None:
    code = "import sys, pmo_xl.excel; assert 'xlwings' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_installed_package_carries_the_macros(tmp_path: Path) -> None:
    """A wheel built from the checkout ships macros/*.bas as package data of pmo_xl.macros."""
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "--wheel-dir", str(tmp_path), str(root)],
                   check=True, capture_output=True, timeout=300)
    [wheel] = tmp_path.glob("pmo_xl-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = {Path(n).name for n in archive.namelist() if n.startswith("pmo_xl/macros/")}
    assert {p.name for p in MACROS.glob("*.bas")} <= shipped


def test_long_vocabulary_of_emoji_keeps_its_dropdown(tmp_path: Path) -> None:
    # Found by the property tests: Excel counts a message in UTF-16 units, so 255 characters
    # of emoji are 510; XlsxWriter then warned and dropped the whole dropdown.
    import warnings

    import openpyxl
    from registers import project, register

    from pmo_xl.cli import main
    from pmo_xl.workbook import excel_text

    assert excel_text("🚀" * 200, 255) == "🚀" * 127  # 254 units; half an emoji is left out
    words = [f"Stage {i} 🚀🚀🚀" for i in range(40)]
    (tmp_path / "pmo-xl.toml").write_text(
        "[values.Projects.Phase]\n" + "".join(f'"{w}" = "Execution"\n' for w in words),
        encoding="utf-8")
    source = register(tmp_path / "Register.xlsx", [project(**{"Phase": words[0]})])
    out = tmp_path / "New.xlsm"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert main(["new", str(out), "--from", str(source)]) in (0, 1)
    sheet = openpyxl.load_workbook(out)["Projects"]
    phase = next(c.column_letter for c in sheet[1] if c.value == "Phase")
    lists = [v for v in sheet.data_validations.dataValidation if v.type == "list"]
    assert any(phase in str(v.sqref) for v in lists)
