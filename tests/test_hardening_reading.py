"""Issue 10, the reading side: what a fuzz and fault campaign broke, each reproduced first.

1. a date cell holding -1E+308 made python-calamine panic; 2. infinities, NaN and absurd
amounts reached figures and JSON; 3. tiny files made calamine allocate hundreds of GiB;
10. a named pipe given as the register hung, OS errors ended in tracebacks. Every hostile file
here is real (xlsxwriter, or a zip written by hand, or os.mkfifo); a test that could allocate
without bound if its fix regressed runs the command line in a subprocess with an address-space
limit and a timeout.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import os
import re
import stat
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
import xlsxwriter
from registers import AS_OF, VALID_PROJECT, grid, project, settings_rows, write_workbook

from pmo_xl.cli import main
from pmo_xl.errors import RegisterError
from pmo_xl.limits import MAX_SHEET_CELLS, MAX_UNPACKED_BYTES
from pmo_xl.metrics import rollup
from pmo_xl.reader import read_register
from pmo_xl.validation import validate

AS_OF_ARG = ("--as-of", AS_OF.isoformat())
# What a guarded child process may use: a bomb regressing aborts the child, not the suite.
CHILD_MEMORY = 1536 * 1024**2
CHILD_TIMEOUT = 60


def one_line_exit_2(capsys: pytest.CaptureFixture[str], argv: list[str],
                    expected: str) -> str:
    """Run the CLI in-process: exit 2, nothing on stdout, one line on stderr saying it."""
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert expected in lines[0], lines[0]
    assert "Traceback" not in err
    return lines[0]


def run_guarded(*args: str) -> subprocess.CompletedProcess[str]:
    """`pmo-xl ARGS` in a child process limited in memory and time."""
    def limit() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, CHILD_MEMORY))

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    return subprocess.run([sys.executable, "-m", "pmo_xl.cli", *args], capture_output=True,
                          text=True, timeout=CHILD_TIMEOUT, preexec_fn=limit, env=env)


def assert_refused(result: subprocess.CompletedProcess[str], *expected: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr[-2000:]
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def write_cells(path: Path, sheets: dict[str, dict[tuple[int, int], object]],
                date_cells: set[tuple[str, int, int]] = frozenset()) -> Path:
    """A workbook of single cells: {sheet: {(row, col): value}}, 0-based; `date_cells` get a
    date number format (whatever number they hold)."""
    book = xlsxwriter.Workbook(str(path))
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    for name, cells in sheets.items():
        sheet = book.add_worksheet(name)
        for (r, c), value in cells.items():
            if (name, r, c) in date_cells and isinstance(value, float | int):
                sheet.write_number(r, c, value, dates)
            elif isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), dates)
            elif value is not None:
                sheet.write(r, c, value)
    book.close()
    return path


def register_cells(records: list[dict[str, object]]) -> dict[tuple[int, int], object]:
    rows = grid(records)
    return {(r, c): v for r, row in enumerate(rows) for c, v in enumerate(row)
            if v is not None}


HEADERS = list(VALID_PROJECT)


def column(header: str) -> int:
    return HEADERS.index(header)


# --- 2. Infinities, NaN and absurd amounts --------------------------------------------------

def absurd_register(path: Path, **settings: object) -> Path:
    """Two budgets of 1E+308 (their sum overflows), text 'inf' and 'nan' in money and percent
    columns, an Actual Cost of 5E-324 (EV over it is infinite), and one budget just above
    a trillion."""
    return write_workbook(path, {
        "Projects": grid([
            project(Budget=1e308),
            project(**{"Project ID": "PRJ-002", "Budget": 1e308}),
            project(**{"Project ID": "PRJ-003", "Budget": "inf", "Percent Complete": "inf"}),
            project(**{"Project ID": "PRJ-004", "Actual Cost": "nan",
                       "Percent Complete": "-inf"}),
            project(**{"Project ID": "PRJ-005", "Actual Cost": 5e-324}),
            project(**{"Project ID": "PRJ-006", "Forecast Cost": 1_000_000_000_001}),
        ]),
        "Settings": settings_rows(**settings)})


def test_absurd_amounts_are_findings_and_no_figure_is_infinite(tmp_path: Path) -> None:
    register = read_register(absurd_register(tmp_path / "absurd.xlsx"))
    found = {(f.cell, f.rule): f.message for f in validate(register)}
    assert found[("Projects!P2", "implausible-amount")] == (
        "Budget 1e+308 is above the Maximum Amount (1,000,000,000,000): no figure uses it")
    assert ("Projects!P3", "implausible-amount") in found
    assert ("Projects!R7", "implausible-amount") in found
    assert ("Projects!P4", "bad-money") in found
    assert ("Projects!Q5", "bad-money") in found
    assert ("Projects!S4", "percent-range") in found
    assert ("Projects!S5", "percent-range") in found
    result = rollup(register)
    finance = result.finance()
    # The budgets that are amounts: PRJ-004, PRJ-005 and PRJ-006, 100,000 each.
    assert finance["budget"] == 300_000
    assert finance["coverage"]["budget"] == 3
    per_project = result.projects.set_index("project_id")
    assert math.isnan(per_project.loc["PRJ-005", "cpi"])  # 75,000 / 5E-324 is no ratio
    numbers = result.projects.select_dtypes("number")
    assert numbers.abs().max().max() < 1e13
    text = json.dumps(result.to_dict(), allow_nan=False)  # strict JSON, whole
    assert "e+30" not in text


def test_absurd_amounts_through_the_command_line(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = absurd_register(tmp_path / "absurd.xlsx")
    assert main(["rollup", str(path), "--format", "json", *AS_OF_ARG]) == 0
    out, err = capsys.readouterr()
    json.loads(out)  # the whole document, strict
    assert "Traceback" not in err
    assert main(["validate", str(path), "--format", "json", *AS_OF_ARG]) == 1
    rules = [f["rule"] for f in json.loads(capsys.readouterr().out)["findings"]]
    assert rules.count("implausible-amount") == 3
    assert main(["rollup", str(path), *AS_OF_ARG]) == 0
    shown = capsys.readouterr().out
    assert "inf" not in shown.lower().replace("info", "")
    assert not re.search(r"\d{16,}", shown.replace(",", ""))


def test_maximum_amount_is_a_setting(tmp_path: Path) -> None:
    path = absurd_register(tmp_path / "absurd.xlsx", **{"Maximum Amount": 2_000_000_000_000})
    register = read_register(path)
    assert register.settings.maximum_amount == 2_000_000_000_000
    rules = {(f.cell, f.rule) for f in validate(register)}
    assert ("Projects!R7", "implausible-amount") not in rules  # within the new maximum
    assert ("Projects!P2", "implausible-amount") in rules
    for bad in ("1e308", 10**16, "inf", 0):
        path = absurd_register(tmp_path / "bad.xlsx", **{"Maximum Amount": bad})
        found = [f for f in validate(read_register(path)) if f.rule == "bad-setting"]
        assert [f.cell for f in found] == ["Settings!B7"], bad
        assert read_register(path).settings.maximum_amount == 1_000_000_000_000


def test_absurd_integer_settings_are_refused(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "r.xlsx", {
        "Projects": grid([project()]),
        "Settings": settings_rows(**{"Stale After Days": 1e308, "Latest Year": 1e12})})
    register = read_register(path)
    messages = [f.message for f in validate(register) if f.rule == "bad-setting"]
    assert len(messages) == 2, messages
    assert register.settings.stale_after_days == 30
    json.dumps(rollup(register).to_dict(), allow_nan=False)


# --- 10. Special files and OS errors --------------------------------------------------------

def test_named_pipe_is_refused_without_waiting(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this system")
    pipe, lessons = tmp_path / "register.xlsx", tmp_path / "lessons.csv"
    os.mkfifo(pipe)
    os.mkfifo(lessons)
    with _unblocking(pipe, lessons):
        started = time.monotonic()
        for command in ("validate", "rollup", "inspect", "report"):
            one_line_exit_2(capsys, [command, str(pipe)], "is a named pipe, not a workbook")
        assert time.monotonic() - started < 10
        with pytest.raises(RegisterError, match="named pipe"):
            read_register(pipe)
        # A profile's CSV sheet that is a pipe is refused the same way.
        book = write_workbook(tmp_path / "book.xlsx", {"Projects": grid([project()])})
        (tmp_path / "pmo-xl.toml").write_text('[sheets]\nLessons = "lessons.csv"\n')
        one_line_exit_2(capsys, ["validate", str(book)], "lessons.csv: is a named pipe")


@contextmanager
def _unblocking(*pipes: Path) -> Iterator[None]:
    """If a regression opens a pipe and waits for a writer, one comes (every few seconds,
    until the test ends): the test then fails on what was read instead of hanging."""
    done = threading.Event()

    def writer() -> None:
        while not done.wait(3):
            for pipe in pipes:
                with suppress(OSError):  # no reader waiting: nothing to unblock
                    os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def test_devices_and_folders_are_refused(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    if Path("/dev/zero").exists():
        assert stat.S_ISCHR(os.stat("/dev/zero").st_mode)
        one_line_exit_2(capsys, ["validate", "/dev/zero"], "is a device, not a workbook file")
    one_line_exit_2(capsys, ["rollup", str(tmp_path)], "is a folder, not a workbook")


def _unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A register that may not be read, and one inside a folder that may not be looked into:
    by chmod, or, for root (whom chmod does not stop), by the error the OS gives others."""
    locked = tmp_path / "locked"
    locked.mkdir()
    inside = write_workbook(locked / "register.xlsx", {"Projects": grid([project()])})
    unreadable = write_workbook(tmp_path / "unreadable.xlsx", {"Projects": grid([project()])})
    unreadable.chmod(0)
    locked.chmod(0)
    if os.name == "posix" and os.geteuid() == 0:
        real_stat, real_open = os.stat, os.open

        def denied(path: object, *args: object, **kw: object) -> object:
            name = os.fspath(path)  # type: ignore[arg-type]
            if name.startswith(str(locked)) and name != str(locked):
                raise PermissionError(13, "Permission denied", name)
            return None

        def fake_stat(path: object, *args: object, **kw: object) -> os.stat_result:
            denied(path)
            return real_stat(path, *args, **kw)  # type: ignore[arg-type]

        def fake_open(path: object, flags: int, *args: object, **kw: object) -> int:
            denied(path)
            if os.fspath(path) == str(unreadable):  # type: ignore[arg-type]
                raise PermissionError(13, "Permission denied", str(unreadable))
            return real_open(path, flags, *args, **kw)  # type: ignore[arg-type]

        real_io_open = io.open

        def fake_io_open(path: object, *args: object, **kw: object) -> object:
            if isinstance(path, str | Path) and Path(path) in (unreadable, inside):
                raise PermissionError(13, "Permission denied", str(path))
            return real_io_open(path, *args, **kw)  # type: ignore[call-overload]

        monkeypatch.setattr(os, "stat", fake_stat)
        monkeypatch.setattr(os, "open", fake_open)
        monkeypatch.setattr(io, "open", fake_io_open)
    return unreadable, inside


def test_unreadable_register_or_folder_is_one_line(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    unreadable, inside = _unreadable(tmp_path, monkeypatch)
    try:
        for path in (unreadable, inside):
            for command in ("validate", "rollup", "inspect"):
                one_line_exit_2(capsys, [command, str(path)], "permission denied")
    finally:
        monkeypatch.undo()
        inside.parent.chmod(0o755)
        unreadable.chmod(0o644)


# --- 1. A date cell no calendar has ---------------------------------------------------------

def test_impossible_date_cell_is_a_bad_date_finding(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """-1E+308 and -1.1E+11 in date-formatted cells made calamine panic (TimeDelta::
    milliseconds out of bounds): each is a bad-date finding and the rest is read as usual."""
    cells = register_cells([project(), project(**{"Project ID": "PRJ-002"}),
                            project(**{"Project ID": "PRJ-003"})])
    start, finish = column("Start Date"), column("Baseline Finish")
    cells[(2, start)], cells[(3, finish)] = -1e308, -1.1e11
    dated = {("Projects", r, c) for r in range(1, 4) for c in (start, finish)}
    path = write_cells(tmp_path / "impossible.xlsx", {"Projects": cells}, dated)
    register = read_register(path)
    assert list(register.projects.value("project_id")) == ["PRJ-001", "PRJ-002", "PRJ-003"]
    dates = register.projects.values
    assert dates.loc[2, "start_date"] == dt.datetime(2026, 1, 1)
    assert dates.loc[3, "baseline_finish"] == dt.datetime(2026, 12, 31)  # same row, read
    found = [(f.cell, f.rule, f.message) for f in validate(register, AS_OF)]
    assert ("Projects!L3", "bad-date", "Start Date '-1e+308' is not a date") in found
    assert ("Projects!M4", "bad-date", "Baseline Finish '-110000000000' is not a date") in found
    assert main(["validate", str(path), *AS_OF_ARG]) == 1
    out, err = capsys.readouterr()
    assert "Projects!L3" in out and err == ""  # no panic message, no traceback
    assert main(["rollup", str(path), "--format", "json", *AS_OF_ARG]) == 0
    json.loads(capsys.readouterr().out)


def test_impossible_date_in_a_legacy_workbook_is_one_line(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str],
                                                          ) -> None:
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("Projects")
    dates = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for c, header in enumerate(HEADERS):
        sheet.write(0, c, header)
    sheet.write(1, 0, "PRJ-001")
    sheet.write(1, column("Start Date"), -1e308, dates)
    path = tmp_path / "legacy.xls"
    book.save(str(path))
    one_line_exit_2(capsys, ["validate", str(path)], "sheet 'Projects' row 2: a date cell")


# --- 3. Memory bombs in tiny files ----------------------------------------------------------

def test_two_cells_at_opposite_corners_are_read_compacted(tmp_path: Path) -> None:
    """A1 and XFD1048576 in a 5 KB file: calamine would lay out 17 billion cells (512 GiB,
    exit 134). Read compacted: the header row and the far row, in a fraction of a second."""
    path = write_cells(tmp_path / "corners.xlsx", {"Projects": {
        (0, 0): "Project ID", (0, 1): "Project Name", (1, 0): "PRJ-001", (1, 1): "Payroll",
        (1048575, 16383): "far"}})
    assert path.stat().st_size < 20_000
    started = time.monotonic()
    result = run_guarded("validate", str(path), "--format", "json", *AS_OF_ARG)
    assert result.returncode == 1, result.stderr[-2000:]
    assert time.monotonic() - started < 30
    assert json.loads(result.stdout)["errors"] > 0
    register = read_register(path)
    assert register.projects.rows.tolist() == [2]  # the far row has no ID: not a project


def test_one_value_on_the_last_row_costs_its_row_only(tmp_path: Path) -> None:
    """A register and one value on row 1,048,576: 17-57 s and 1.2 GB before."""
    cells = register_cells([project()])
    cells[(1048575, 0)] = "PRJ-LAST"
    path = write_cells(tmp_path / "last-row.xlsx", {"Projects": cells})
    result = run_guarded("validate", str(path), "--format", "json", *AS_OF_ARG)
    assert result.returncode == 1, result.stderr[-2000:]
    cells_found = {f["cell"] for f in json.loads(result.stdout)["findings"]}
    assert "Projects!M1048576" in cells_found  # the far project's missing Baseline Finish
    started = time.monotonic()
    register = read_register(path)
    assert time.monotonic() - started < 10
    assert register.projects.value("project_id").tolist() == ["PRJ-001", "PRJ-LAST"]
    assert register.projects.rows.tolist() == [2, 1048576]


def test_far_blank_formatting_is_passed_over(tmp_path: Path) -> None:
    """Formatted blank cells far off, and a <dimension> that claims the whole grid, cost
    calamine nothing: the sheet is read as usual."""
    book = xlsxwriter.Workbook(str(tmp_path / "formatted.xlsx"))
    sheet = book.add_worksheet("Projects")
    for r, row in enumerate(grid([project(**{"Start Date": None, "Baseline Finish": None,
                                             "Status Date": None})])):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    sheet.write_blank(1048575, 16383, None, book.add_format({"bold": True}))
    book.close()
    path = _rewritten(tmp_path / "formatted.xlsx", tmp_path / "claims.xlsx",
                      "xl/worksheets/sheet1.xml", lambda xml: re.sub(
                          rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>',
                          xml))
    result = run_guarded("validate", str(path), "--format", "json", *AS_OF_ARG)
    assert result.returncode == 1, result.stderr[-2000:]
    assert read_register(path).projects.rows.tolist() == [2]


def test_a_sheet_too_large_for_any_register_is_refused(tmp_path: Path) -> None:
    """Many rows and one value in the last column: even compacted, more cells than a
    register can be. Refused in one line naming the far cell, quickly."""
    rows = MAX_SHEET_CELLS // 16384 + 10
    book = xlsxwriter.Workbook(str(tmp_path / "wide.xlsx"), {"constant_memory": True})
    sheet = book.add_worksheet("Projects")
    sheet.write_row(0, 0, ["Project ID", "Project Name"])
    for r in range(1, rows):
        sheet.write_row(r, 0, [f"PRJ-{r}", "Name"])
    sheet.write(rows, 16383, "far")
    book.close()
    started = time.monotonic()
    line = assert_refused(run_guarded("validate", str(tmp_path / "wide.xlsx")),
                          "sheet 'Projects' is refused: its values reach XFD", "Ctrl+End")
    assert f"at most {MAX_SHEET_CELLS:,} cells" in line
    assert time.monotonic() - started < 30


def test_package_unpacking_beyond_any_register_is_refused(tmp_path: Path) -> None:
    """About 95:1 (under the ratio check) and over 512 MiB unpacked: 7 GB and an abort
    before. Refused before anything is unpacked."""
    path = tmp_path / "big.xlsx"
    source = write_workbook(tmp_path / "plain.xlsx", {"Projects": grid([project()])})
    # A period just under deflate's 32 KiB window: compresses ~95:1 whatever the data.
    unit = bytes(range(256)) * 127
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED,
                                                         compresslevel=1) as out:
        for item in src.infolist():
            out.writestr(item, src.read(item.filename))
        with out.open("xl/media/image1.bin", "w") as stream:
            for _ in range(MAX_UNPACKED_BYTES // len(unit) + 100):
                stream.write(unit)
    packed = sum(i.compress_size for i in zipfile.ZipFile(path).infolist())
    unpacked = sum(i.file_size for i in zipfile.ZipFile(path).infolist())
    assert 50 < unpacked / packed < 200
    assert_refused(run_guarded("rollup", str(path)), "possible zip bomb", "MiB")


def _rewritten(source: Path, target: Path, part: str, change: object) -> Path:
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            data = src.read(item.filename)
            out.writestr(item, change(data) if item.filename == part else data)  # type: ignore[operator]
    return target


def write_ods(path: Path, rows_repeated: int, columns_repeated: int) -> Path:
    """An .ods whose Projects table is a header and one row of values repeated: a few
    hundred bytes that ask calamine for rows_repeated × columns_repeated cells."""
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')

    def cell(text: str, repeated: int = 1) -> str:
        times = f' table:number-columns-repeated="{repeated}"' if repeated > 1 else ""
        return (f'<table:table-cell{times} office:value-type="string"><text:p>{text}'
                '</text:p></table:table-cell>')

    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} '
               'office:version="1.2"><office:body><office:spreadsheet>'
               '<table:table table:name="Projects"><table:table-row>'
               f'{cell("Project ID")}{cell("Project Name")}</table:table-row>'
               f'<table:table-row table:number-rows-repeated="{rows_repeated}">'
               f'{cell("PRJ-1", columns_repeated)}</table:table-row>'
               '<table:table-row table:number-rows-repeated="1048000"><table:table-cell '
               'table:number-columns-repeated="1024"/></table:table-row>'
               '</table:table></office:spreadsheet></office:body></office:document-content>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(zipfile.ZipInfo("mimetype"),
                         "application/vnd.oasis.opendocument.spreadsheet")
        package.writestr("content.xml", content)
        package.writestr("META-INF/manifest.xml", (
            '<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:'
            'opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" '
            'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            '</manifest:manifest>'))
    return path


def test_ods_repeated_rows_bomb_is_refused(tmp_path: Path) -> None:
    # Found: 800 bytes asking for 1,000,000 rows × 99 columns made calamine abort (exit 134)
    # after 3.4 GB; calamine's own limit (100 million cells) does not catch it.
    bomb = write_ods(tmp_path / "Register.ods", 1_000_000, 99)
    assert bomb.stat().st_size < 2_000
    line = assert_refused(run_guarded("validate", str(bomb)), "sheet 'Projects' is refused",
                          "1,000,001 rows by 99 columns")
    assert "Ctrl+End" in line


def test_ods_repeated_rows_within_limits_are_read(tmp_path: Path) -> None:
    # Three repeated rows of values are three projects; the trailing million formatted
    # blank rows (LibreOffice writes one) cost nothing and count for nothing.
    register = read_register(write_ods(tmp_path / "Register.ods", 3, 2))
    assert register.projects.values["project_id"].tolist() == ["PRJ-1"] * 3


def test_xlsb_value_at_the_far_corner_is_refused(tmp_path: Path) -> None:
    # Found: an .xlsb whose last value sits at XFD1048576 made calamine abort (exit 134).
    import struct

    from pyxlsbwriter import XlsbWriter  # a test dependency (pyproject's test extras)

    from pmo_xl.extent import xlsb_records

    base = tmp_path / "base.xlsb"
    with XlsbWriter(str(base)) as writer:
        writer.add_sheet("Projects")
        writer.write_sheet([["Project ID", "Project Name"], ["P-1", "Payroll"]])
    with zipfile.ZipFile(base) as package:
        parts = {n: package.read(n) for n in package.namelist()}
    sheet = bytearray(parts["xl/worksheets/sheet1.bin"])
    records = list(xlsb_records(bytes(sheet)))
    last_row = [start for kind, start, _ in records if kind == 0][-1]
    last_cell = [start for kind, start, _ in records if kind in (6, 7)][-1]
    struct.pack_into("<I", sheet, last_row, 1_048_575)  # row 1,048,576
    struct.pack_into("<I", sheet, last_cell, 16_383)  # column XFD
    bomb = tmp_path / "Register.xlsb"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts.items():
            package.writestr(name, bytes(sheet) if name.endswith("sheet1.bin") else data)
    assert_refused(run_guarded("validate", str(bomb)), "sheet 'Projects' is refused",
                   "XFD1048576")
    assert read_register(base).projects.values["project_id"].tolist() == ["P-1"]
