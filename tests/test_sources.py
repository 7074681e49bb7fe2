"""Opening every kind of file a register is kept in, and refusing the rest in one line."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
import xlwt
from conftest import REAL_DATA, require_tool
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from libreoffice import LO_PYTHON, require_libreoffice
from msoffcrypto.format.ooxml import OOXMLFile
from registers import register

from pmo_xl.errors import RegisterError
from pmo_xl.sources import RegisterFile, SheetData, open_register_file, read_csv
from pmo_xl.vba import VBAModule, build_vba_project

EXAMPLES = settings(max_examples=int(os.environ.get("PMO_XL_HYPOTHESIS_EXAMPLES", "40")),
                    deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
PERMISSION = ("cannot be opened: permission denied (ask for read access to it, or copy it "
              "somewhere you can read and try again)")
PLAN = "R&D <Plan> 'A' 1"  # XML-escaped in xl/workbook.xml
STATUSES = ["Green", "Red", "Amber", "Red", "Green", "Red", "Green", "Amber", "Red", "Green"]


def refused(path: Path, expected: str) -> str:
    """The one-line problem open_register_file gives for the file; it must contain expected."""
    with pytest.raises(RegisterError) as caught:
        open_register_file(path)
    problem = caught.value.problem
    assert expected in problem and "\n" not in problem and caught.value.path == path
    return problem


# --- .xlsx and .xlsm ----------------------------------------------------------------------

def write_plan(path: Path, *, vba: bytes | None = None) -> Path:
    """Projects filtered to Red by an AutoFilter, one more row hidden by hand, a merged title;
    a Budget sheet holding an Excel Table with a totals row."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet(PLAN)
    sheet.merge_range("A1:C1", "Harbourside PMO")
    sheet.write_row(1, 0, ["Project ID", "Status", "Budget"])
    for i, status in enumerate(STATUSES):
        row = i + 2
        sheet.write_row(row, 0, [f"P-{i + 1}", status, 1000 * (i + 1)])
        if status != "Red":  # Excel stores filtered-out rows as hidden rows
            sheet.set_row(row, None, None, {"hidden": True})
    sheet.autofilter(1, 0, len(STATUSES) + 1, 2)
    sheet.filter_column(1, "x == Red")
    sheet.set_row(len(STATUSES) + 3, None, None, {"hidden": True})
    sheet.write(len(STATUSES) + 3, 0, "hidden note")
    budget = book.add_worksheet("Budget")
    budget.write(0, 0, "Budget by programme")
    budget.add_table(2, 1, 5, 2, {"total_row": True, "data": [["Core", 10], ["Web", 20]],
                                  "columns": [{"header": "Programme", "total_string": "Total"},
                                              {"header": "Cost", "total_function": "sum"}]})
    if vba is not None:
        book.add_vba_project(io.BytesIO(vba), is_stream=True)
    book.close()
    return path


def test_xlsx_gives_cells_hidden_and_filtered_rows_totals_rows_and_merged_ranges(
        tmp_path: Path) -> None:
    path = write_plan(tmp_path / "Plan.xlsx")
    with open_register_file(path) as book:
        assert (book.kind, book.sheet_names, book.note) == ("xlsx", [PLAN, "Budget"], None)
        plan = book.sheet(PLAN)
        budget = book.sheet("Budget")
    assert plan.rows[0] == ["Harbourside PMO", "", ""]
    assert plan.rows[1:3] == [["Project ID", "Status", "Budget"], ["P-1", "Green", 1000.0]]
    filtered = {i + 3 for i, status in enumerate(STATUSES) if status != "Red"}
    assert plan.hidden_rows == frozenset(filtered | {len(STATUSES) + 4})
    # openpyxl, an independent reader, sees the same hidden rows
    sheet = openpyxl.load_workbook(path)[PLAN]
    assert {r for r, d in sheet.row_dimensions.items() if d.hidden} == plan.hidden_rows
    assert plan.merged == ((0, 0, 0, 2),) and plan.table_totals_rows == frozenset()
    assert budget.table_totals_rows == frozenset({6}) and budget.hidden_rows == frozenset()
    assert budget.rows[5][1] == "Total"


def test_xlsm_is_told_from_xlsx_by_its_content_types(tmp_path: Path) -> None:
    vba = build_vba_project([VBAModule("Module1", "Sub Hello()\nEnd Sub")])
    path = write_plan(tmp_path / "Plan.xlsm", vba=vba)
    book = open_register_file(path)
    assert (book.kind, book.note) == ("xlsm", None)
    assert book.sheet(PLAN).table_totals_rows == frozenset()
    assert book.sheet("Budget").table_totals_rows == frozenset({6})
    renamed = path.rename(tmp_path / "Plan.xlsx")
    book = open_register_file(renamed)
    assert (book.kind, book.note) == ("xlsm", "Plan.xlsx is an .xlsm workbook named .xlsx; "
                                               "read as .xlsm")


def rewrite_part(source: Path, target: Path, part: str, change) -> Path:  # noqa: ANN001
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            data = src.read(item.filename)
            out.writestr(item, change(data) if item.filename == part else data)
    return target


def test_rows_without_numbers_are_counted(tmp_path: Path) -> None:
    # The r attribute of <row> is optional: without it a row is the one after the previous.
    plain = tmp_path / "plain.xlsx"
    book = xlsxwriter.Workbook(str(plain))
    sheet = book.add_worksheet("Projects")
    for row in range(6):
        sheet.write_row(row, 0, [f"P-{row}", row])
        if row in (1, 4):
            sheet.set_row(row, None, None, {"hidden": True})
    book.close()
    path = rewrite_part(plain, tmp_path / "unnumbered.xlsx", "xl/worksheets/sheet1.xml",
                        lambda xml: xml.replace(b'<row r="', b'<row x="'))
    assert b'<row r="' not in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    got = open_register_file(path).sheet("Projects")
    assert got.hidden_rows == frozenset({2, 5})
    assert got.rows == open_register_file(plain).sheet("Projects").rows


def test_a_workbook_under_another_extension_is_read_by_content_with_a_note(
        tmp_path: Path) -> None:
    source = write_plan(tmp_path / "Plan.xlsx")
    for name in ("Register.xls", "Register.csv", "Register.XLSX", "Register"):
        path = tmp_path / name
        shutil.copy(source, path)
        book = open_register_file(path)
        assert book.kind == "xlsx" and book.sheet(PLAN).hidden_rows
        if name == "Register.xls":
            assert book.note == "Register.xls is an .xlsx workbook named .xls; read as .xlsx"
    assert open_register_file(tmp_path / "Register.XLSX").note is None
    assert open_register_file(tmp_path / "Register").note == (
        "Register is an .xlsx workbook without a file extension; read as .xlsx")


# --- .xls, .ods, .xlsb --------------------------------------------------------------------

def test_legacy_xls_is_read(tmp_path: Path) -> None:
    book = xlwt.Workbook()
    sheet = book.add_sheet("Projects")
    sheet.write_merge(0, 0, 0, 2, "Register")
    for c, value in enumerate(["P-1", 12.5, "Ünïcode €"]):
        sheet.write(1, c, value)
    sheet.write(2, 0, dt.date(2026, 3, 31), xlwt.easyxf(num_format_str="DD-MM-YYYY"))
    sheet.row(2).hidden = True
    book.add_sheet("Lessons").write(0, 0, "nothing yet")
    path = tmp_path / "register.xls"
    book.save(str(path))
    opened = open_register_file(path)
    assert (opened.kind, opened.sheet_names, opened.note) == ("xls", ["Projects", "Lessons"],
                                                              None)
    projects = opened.sheet("Projects")
    assert projects.rows == [["Register", "", ""], ["P-1", 12.5, "Ünïcode €"],
                             [dt.date(2026, 3, 31), "", ""]]
    assert projects.merged == ((0, 0, 0, 2),)
    assert projects.hidden_rows == frozenset()  # not read for .xls (documented)


def convert(source: Path, to: str, outdir: Path) -> Path:
    """LibreOffice's conversion of source, with a throw-away profile of its own."""
    soffice = require_tool("soffice", "Debian: libreoffice-calc-nogui")
    profile = outdir / "lo-profile"
    subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                    "--convert-to", to, "--outdir", str(outdir), str(source)],
                   check=True, capture_output=True, timeout=180)
    return outdir / f"{source.stem}.{to.split(':')[0]}"


def test_ods_written_by_libreoffice_is_read(tmp_path: Path) -> None:
    xlsx = write_plan(tmp_path / "Plan.xlsx")
    ods = convert(xlsx, "ods", tmp_path / "out")
    book = open_register_file(ods)
    assert (book.kind, book.sheet_names, book.note) == ("ods", [PLAN, "Budget"], None)
    plan = book.sheet(PLAN)
    assert plan.rows == open_register_file(xlsx).sheet(PLAN).rows
    assert (plan.hidden_rows, plan.merged) == (frozenset(), ())  # not known for .ods
    renamed = ods.rename(tmp_path / "Plan.xlsx")
    assert open_register_file(renamed).note == "Plan.xlsx is an .ods workbook named .xlsx; " \
                                               "read as .ods"


def xlsb_writer():  # noqa: ANN201 - the package ships no types
    """pyxlsbwriter (LibreOffice 7.4 cannot save .xlsb): skip without it, fail in CI."""
    try:
        from pyxlsbwriter import XlsbWriter
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("pyxlsbwriter is required in CI (pip install pyxlsbwriter)")
        pytest.skip("pyxlsbwriter is not installed")
    return XlsbWriter


def test_xlsb_is_read(tmp_path: Path) -> None:
    path = tmp_path / "register.xlsb"
    with xlsb_writer()(str(path)) as writer:
        writer.add_sheet("Projects")
        writer.write_sheet([["Project ID", "Budget", "Start"], ["P-1", 2.5, dt.date(2026, 1, 5)]])
        writer.add_sheet("Settings")
        writer.write_sheet([["Currency", "EUR"]])
    book = open_register_file(path)
    assert (book.kind, book.sheet_names, book.note) == ("xlsb", ["Projects", "Settings"], None)
    sheet = book.sheet("Projects")
    assert sheet.rows == [["Project ID", "Budget", "Start"], ["P-1", 2.5, dt.date(2026, 1, 5)]]
    assert (sheet.hidden_rows, sheet.table_totals_rows, sheet.merged) == (frozenset(),
                                                                          frozenset(), ())
    renamed = path.rename(tmp_path / "register.xlsx")
    assert open_register_file(renamed).kind == "xlsb"


def test_a_panic_in_calamine_is_one_register_error_and_prints_nothing(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "register.xlsb"
    with xlsb_writer()(str(path)) as writer:
        writer.add_sheet("Projects")
        writer.write_sheet([["Project ID"], ["P-1"]])
    # A sheet whose relationship is missing makes calamine's .xlsb reader panic.
    broken = rewrite_part(path, tmp_path / "broken.xlsb", "xl/_rels/workbook.bin.rels",
                          lambda xml: xml.replace(b'Id="rId', b'Id="other'))
    capfd.readouterr()
    refused(broken, "cannot be read as a workbook: the reader failed on it")
    print("still here", file=sys.stderr)
    out, err = capfd.readouterr()
    assert (out, err) == ("", "still here\n")  # Rust's panic message and backtrace dropped


# --- password-protected ---------------------------------------------------------------------

PASSWORD = "password-protected; save an unprotected copy and try again"
# Saves a copy of a workbook with a password through LibreOffice's UNO API (argv: source,
# then target=filter pairs); the command line cannot set a password.
SAVE_WITH_PASSWORD = r"""
import socket, subprocess, sys, tempfile, time
from pathlib import Path
import uno
from com.sun.star.beans import PropertyValue

def prop(name, value):
    p = PropertyValue(); p.Name, p.Value = name, value; return p

with socket.socket() as s:
    s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]
profile = Path(tempfile.mkdtemp(prefix="lo-password-"))
office = subprocess.Popen(["soffice", "--headless", "--invisible", "--norestore", "--nologo",
                           f"-env:UserInstallation={profile.as_uri()}",
                           f"--accept=socket,host=127.0.0.1,port={port};urp;"])
try:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    url = f"uno:socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext"
    for _ in range(600):
        try:
            context = resolver.resolve(url); break
        except Exception:
            time.sleep(0.1)
    desktop = context.ServiceManager.createInstanceWithContext(
        "com.sun.star.frame.Desktop", context)
    doc = desktop.loadComponentFromURL(Path(sys.argv[1]).as_uri(), "_blank", 0,
                                       (prop("Hidden", True),))
    for pair in sys.argv[2:]:
        target, filter_name = pair.split("=", 1)
        doc.storeToURL(Path(target).as_uri(), (prop("FilterName", filter_name),
                                               prop("Password", "secret")))
    doc.close(True)
    try:
        desktop.terminate()
    except Exception:
        pass
finally:
    try:
        office.wait(timeout=60)
    except subprocess.TimeoutExpired:
        office.kill()
"""


def test_password_protected_xlsx_xls_and_ods_are_refused(tmp_path: Path) -> None:
    plain = register(tmp_path / "plain.xlsx")
    locked = tmp_path / "locked.xlsx"
    with plain.open("rb") as source, locked.open("wb") as target:
        OOXMLFile(source).encrypt("secret", target)
    refused(locked, PASSWORD)
    refused(locked.rename(tmp_path / "locked.xls"), PASSWORD)
    require_libreoffice()
    script = tmp_path / "save_with_password.py"
    script.write_text(SAVE_WITH_PASSWORD)
    xls, ods = tmp_path / "locked-legacy.xls", tmp_path / "locked.ods"
    subprocess.run([LO_PYTHON, str(script), str(plain), f"{xls}=MS Excel 97", f"{ods}=calc8"],
                   check=True, capture_output=True, timeout=300)
    refused(xls, PASSWORD)
    refused(ods, PASSWORD)


# --- CSV ----------------------------------------------------------------------------------

def test_csv_encodings_and_delimiters(tmp_path: Path) -> None:
    header = ["Project ID", "Projektname", "Budget", "Start"]
    record = ["007", " Café Ü ", "1.234,50", "31.03.2026"]
    cases = {
        "utf8.csv": ("utf-8", ","), "bom.csv": ("utf-8-sig", ";"), "win.csv": ("cp1252", ";"),
        "tabs.tsv": ("utf-8", "\t"), "unicode.txt": ("utf-16", "\t"),
    }
    for name, (encoding, delimiter) in cases.items():
        text = io.StringIO()
        csv.writer(text, delimiter=delimiter).writerows([header, record, ["P-2", "€ only"]])
        path = tmp_path / name
        path.write_bytes(text.getvalue().encode(encoding))
        sheet = read_csv(path)
        assert sheet.name == path.stem, name
        # every value as written, ragged rows padded with blanks
        assert sheet.rows == [header, record, ["P-2", "€ only", "", ""]], name
        book = open_register_file(path)
        assert (book.kind, book.sheet_names, book.note) == ("csv", [path.stem], None)
        assert book.sheet(path.stem).rows == sheet.rows
    assert "€".encode("cp1252") in (tmp_path / "win.csv").read_bytes()


def test_csv_quoted_newlines_excel_sep_line_and_sheet_name(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(b'sep=;\r\nID;Status Summary\r\nP-1;"On track.\r\nSecond ""line"""\r\n'
                     b'P-2;\r\n\r\nP-3;"a;b"\r\n')
    sheet = read_csv(path, sheet_name="Projects")
    assert sheet.name == "Projects"
    assert sheet.rows == [["ID", "Status Summary"], ["P-1", 'On track.\r\nSecond "line"'],
                          ["P-2", ""], ["", ""], ["P-3", "a;b"]]
    assert (sheet.hidden_rows, sheet.table_totals_rows, sheet.merged) == (frozenset(),
                                                                          frozenset(), ())


def test_european_csv_with_decimal_commas_is_semicolon_separated(tmp_path: Path) -> None:
    path = tmp_path / "eu.csv"
    path.write_text("Projekt;Budget;Ist-Kosten\nP-1;1500,50;200,25\nP-2;99,5;1,5\n",
                    encoding="cp1252")
    assert read_csv(path).rows == [["Projekt", "Budget", "Ist-Kosten"],
                                   ["P-1", "1500,50", "200,25"], ["P-2", "99,5", "1,5"]]


def test_csv_text_under_a_workbook_extension_is_read_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "Export.xls"  # web tools often name their tab-separated export .xls
    path.write_text("Project ID\tBudget\nP-1\t100\nP-2\t200\n")
    book = open_register_file(path)
    assert (book.kind, book.sheet_names) == ("csv", ["Export"])
    assert book.note == "Export.xls is a CSV text file named .xls; read as CSV"
    assert book.sheet("Export").rows == [["Project ID", "Budget"], ["P-1", "100"],
                                         ["P-2", "200"]]


@pytest.mark.parametrize("name", ["gc-it-projects-2022.csv",
                                  "melbourne-water-capital-delivery.csv"])
def test_real_registers_open_as_csv_with_every_row(name: str) -> None:
    path = REAL_DATA / name
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reference = list(csv.reader(handle))
    book = open_register_file(path)
    assert (book.kind, book.note, book.sheet_names) == ("csv", None, [path.stem])
    rows = book.sheet(path.stem).rows
    assert len(rows) == len(reference) > 400
    assert rows == reference  # rectangular already: nothing padded, nothing changed
    assert rows[0][0] in ("deptAcronym", "ID")  # the BOM is not part of the first header


# --- refusals -----------------------------------------------------------------------------

def excel_lock_file(owner: str) -> bytes:
    """What Excel writes into ~$Book.xlsx: the owner's name as a length byte and ANSI text
    padded with spaces, then again in UTF-16 (165 bytes)."""
    ansi = bytes([len(owner)]) + owner.encode("cp1252").ljust(53, b" ")
    wide = bytes([len(owner), 0]) + owner.encode("utf-16-le").ljust(109, b" ")
    return ansi + wide


def test_lock_files_say_which_workbook_to_open(tmp_path: Path) -> None:
    lock = tmp_path / "~$Register.xlsx"
    lock.write_bytes(excel_lock_file("Ada Jones"))
    assert len(lock.read_bytes()) == 165
    assert refused(lock, "Excel's lock file") == (
        "this is Excel's lock file for 'Register.xlsx' (it exists while that workbook is open "
        "in Excel); open 'Register.xlsx' itself")
    with pytest.raises(RegisterError, match="lock file for 'Register.xlsx'"):
        read_csv(lock)
    office = tmp_path / ".~lock.Register.ods#"
    office.write_text("Ada Jones,ada,host,01.12.2026 11:00,file:///home/ada;")
    refused(office, "LibreOffice's lock file for 'Register.ods'")


def test_documents_that_are_not_workbooks_say_what_they_are(tmp_path: Path) -> None:
    cases = {
        "Export.xls": (b"\xef\xbb\xbf<!DOCTYPE html>\n<html><body><table><tr><td>P-1</td>"
                       b"</tr></table></body></html>",
                       "is an HTML page, not a workbook: open it in Excel and save it as .xlsx"),
        "Excel-export.xlsx": (b'<html xmlns:o="urn:schemas-microsoft-com:office:office">'
                              b"<table></table></html>", "is an HTML page"),
        "Report.xlsx": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "is a PDF document"),
        "Old.xml": (b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
                    b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"/>',
                    "Excel 2003 XML spreadsheet"),
        "notes.xlsx": (b"These are my notes.\nNothing here is a table.\n",
                       "not an Excel workbook (it is plain text"),
        "random.xlsx": (bytes(range(256)) * 4, "not an Excel workbook (unrecognised content"),
        "binary.csv": (b"\x00\x01\x02garbage\x00" * 50, "is not CSV text (it holds binary data)"),
    }
    for name, (data, expected) in cases.items():
        (tmp_path / name).write_bytes(data)
        refused(tmp_path / name, expected)
    with pytest.raises(RegisterError, match="is not CSV text"):
        read_csv(tmp_path / "binary.csv")


def test_zips_and_compound_files_that_are_not_workbooks(tmp_path: Path) -> None:
    docx = tmp_path / "Register.xlsx"
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    assert refused(docx, "no xl/workbook.xml") == (
        "not an Excel workbook (no xl/workbook.xml inside: it is a Word document)")
    odt = tmp_path / "Register.ods"
    with zipfile.ZipFile(odt, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
    refused(odt, "is an OpenDocument text file, not a spreadsheet")
    from pmo_xl.vba.cfb import write_compound_file

    doc = tmp_path / "Register.xls"
    doc.write_bytes(write_compound_file({"WordDocument": b"\0" * 600, "1Table": b"\0" * 80}))
    refused(doc, "it is a legacy Word document (.doc)")


def test_damaged_files_and_bombs(tmp_path: Path) -> None:
    whole = register(tmp_path / "whole.xlsx")
    (tmp_path / "cut.xlsx").write_bytes(whole.read_bytes()[:2000])
    refused(tmp_path / "cut.xlsx", "the workbook is damaged or truncated")
    book = xlwt.Workbook()
    book.add_sheet("Projects").write(0, 0, "x" * 5000)
    book.save(str(tmp_path / "whole.xls"))
    (tmp_path / "cut.xls").write_bytes((tmp_path / "whole.xls").read_bytes()[:1536])
    refused(tmp_path / "cut.xls", "the workbook is damaged or truncated")
    bomb = rewrite_part(whole, tmp_path / "bomb.xlsx", "docProps/app.xml",
                        lambda data: data + b" " * 50_000_000)
    refused(bomb, "possible zip bomb")
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    strings = (f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY l0 "lol">{entities}]>'
               '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
               "<si><t>&l9;</t></si></sst>").encode()
    for name in ("entities.xlsx", "ENTITIES.XLSX"):  # calamine's own reason either way
        rewrite_part(whole, tmp_path / name, "xl/sharedStrings.xml", lambda _: strings)
        refused(tmp_path / name, "it contains XML entity declarations")
    (tmp_path / "junk.xlsx").write_bytes(b"PK\x03\x04garbage")
    refused(tmp_path / "junk.xlsx", "damaged or truncated")


def test_missing_empty_and_folder(tmp_path: Path) -> None:
    refused(tmp_path / "nope.xlsx", "file not found")
    refused(tmp_path / "nope.xlsx" / "deeper.csv", "file not found")
    (tmp_path / "empty.csv").write_bytes(b"")
    refused(tmp_path / "empty.csv", "the file is empty")
    with pytest.raises(RegisterError, match="the file is empty"):
        read_csv(tmp_path / "empty.csv")
    (tmp_path / "folder.xlsx").mkdir()
    refused(tmp_path / "folder.xlsx", "is a folder, not a workbook")
    with pytest.raises(RegisterError, match="is a folder"):
        read_csv(tmp_path / "folder.xlsx")


def problem_as(user: int, path: Path) -> str:
    """open_register_file's problem with the file, in a forked child running as `user`."""
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            os.setgid(user)
            os.setuid(user)
            try:
                open_register_file(path)
                os.write(write_end, b"opened")
            except RegisterError as error:
                os.write(write_end, error.problem.encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        problem = pipe.read().decode()
    os.waitpid(child, 0)
    return problem


@pytest.mark.skipif(not hasattr(os, "fork"), reason="chmod 000 means nothing on Windows")
def test_unreadable_file(tmp_path: Path) -> None:
    folder = Path(tempfile.mkdtemp(prefix="pmo-xl-unreadable-"))  # tmp_path's are root-only
    try:
        folder.chmod(0o755)
        locked = shutil.copy(register(tmp_path / "locked.xlsx"), folder / "locked.xlsx")
        Path(locked).chmod(0)
        if os.geteuid() == 0:  # root reads any file: ask as nobody instead
            problem = problem_as(65534, Path(locked))
        else:
            problem = refused(Path(locked), "")
        assert problem == PERMISSION
    finally:
        shutil.rmtree(folder)


def test_unknown_sheet_and_closed_file(tmp_path: Path) -> None:
    book = open_register_file(write_plan(tmp_path / "Plan.xlsx"))
    assert isinstance(book, RegisterFile)
    with pytest.raises(RegisterError, match=r"no sheet 'Nope' \(the workbook has: R&D"):
        book.sheet("Nope")
    book.close()
    with pytest.raises(RegisterError, match=f"sheet '{PLAN}' cannot be read: the file is closed"):
        book.sheet(PLAN)


# --- property: any CSV bytes give rows or one RegisterError ---------------------------------

DELIMITERS = st.sampled_from([",", ";", "\t"])
# Text that survives each encoding and does not look like another encoding: a cp1252 file
# whose bytes happened to be valid UTF-8 would be read as UTF-8, as Excel does.
# Control characters other than line breaks would make the file binary, not text.
PRINTABLE = st.one_of(st.characters(blacklist_categories=("Cs", "Cc")), st.sampled_from("\r\n"))
CELL_TEXT = {
    "utf-8": st.text(PRINTABLE.filter(lambda c: c != "\ufeff"), max_size=8),
    "utf-8-sig": st.text(PRINTABLE, max_size=8),
    "cp1252": st.text(st.sampled_from("abcXYZ019 .-/:'\"\n\r éüßÄ"), max_size=8),
    "utf-16": st.text(PRINTABLE, max_size=8),
}


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[bytes, str, list[list[str]]]:
    encoding = draw(st.sampled_from(sorted(CELL_TEXT)))
    delimiter = draw(DELIMITERS)
    others = set(",;\t") - {delimiter}
    width = draw(st.integers(2, 5))
    cell = CELL_TEXT[encoding].filter(lambda t: not others & set(t) and "sep=" not in t)
    rows = draw(st.lists(st.lists(cell, min_size=width, max_size=width), min_size=1,
                         max_size=6))
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter).writerows(rows)
    return text.getvalue().encode(encoding), delimiter, rows


@EXAMPLES
@given(csv_files())
def test_property_written_csv_reads_back_exactly(tmp_path: Path,
                                                 case: tuple[bytes, str, list[list[str]]]
                                                 ) -> None:
    data, _delimiter, rows = case
    path = tmp_path / "written.csv"
    path.write_bytes(data)
    assert read_csv(path).rows == rows


ANY_TEXT = st.text(st.sampled_from('ab1 ,;\t"\'\r\n€é\x00\x1f'), max_size=300)


@EXAMPLES
@given(st.one_of(ANY_TEXT.map(lambda t: t.encode("utf-8")),
                 ANY_TEXT.map(lambda t: codecs.BOM_UTF8 + t.encode("utf-8")),
                 ANY_TEXT.map(lambda t: t.encode("utf-16")),
                 st.binary(max_size=300)),
       st.sampled_from(["r.csv", "r.xlsx", "r.xls", "r.txt", "~$r.xlsx"]))
def test_property_any_bytes_give_rows_or_a_register_error(tmp_path: Path, data: bytes,
                                                          name: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    for read in (open_register_file, read_csv):
        try:
            result = read(path)
        except RegisterError as error:
            assert error.problem and "\n" not in error.problem
            continue
        sheet = result if isinstance(result, SheetData) else result.sheet(result.sheet_names[0])
        assert all(isinstance(v, str) for row in sheet.rows for v in row)
        assert len({len(row) for row in sheet.rows}) <= 1  # padded to one width


@pytest.fixture(scope="module")
def workbook_bytes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """One real workbook of each kind, as bytes (.xlsb and .ods where their writers are here:
    the tests of those kinds above insist on them in CI)."""
    folder = tmp_path_factory.mktemp("workbooks")
    book = xlwt.Workbook()
    book.add_sheet("Projects").write(0, 0, "x" * 3000)
    book.save(str(folder / "r.xls"))
    found = {"xlsx": write_plan(folder / "r.xlsx").read_bytes(),
             "xls": (folder / "r.xls").read_bytes()}
    try:
        from pyxlsbwriter import XlsbWriter
    except ImportError:
        pass
    else:
        with XlsbWriter(str(folder / "r.xlsb")) as writer:
            writer.add_sheet("Projects")
            writer.write_sheet([["Project ID", "Budget"], ["P-1", 2.5], ["P-2", "x" * 300]])
        found["xlsb"] = (folder / "r.xlsb").read_bytes()
    if shutil.which("soffice"):
        found["ods"] = convert(folder / "r.xlsx", "ods", folder / "ods").read_bytes()
    return found


@EXAMPLES
@given(kind=st.sampled_from(["xlsx", "xls", "xlsb", "ods"]), cut=st.floats(0, 1),
       flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=4))
def test_property_damaged_workbooks_give_one_register_error(
        tmp_path: Path, capfd: pytest.CaptureFixture[str], workbook_bytes: dict[str, bytes],
        kind: str, cut: float, flips: list[tuple[float, int]]) -> None:
    assume(kind in workbook_bytes)
    data = bytearray(workbook_bytes[kind])
    for where, value in flips:
        data[int(where * (len(data) - 1))] = value
    path = tmp_path / f"damaged.{kind}"
    path.write_bytes(bytes(data[:max(1, int(cut * len(data)))]))
    try:
        with open_register_file(path) as book:
            for name in book.sheet_names:
                assert isinstance(book.sheet(name).rows, list)
    except RegisterError as error:
        assert error.problem and "\n" not in error.problem
    assert capfd.readouterr().err == ""  # no panic message from calamine


def _reach_by_hand(piece: bytes) -> tuple[int, int]:
    """What `_piece_reach` must find, one reference at a time: after each ' r="' up to 3
    letters, then digits (8 or more: a damaged reference, reaching the end); past the end of
    the piece its last byte repeats."""
    if len(piece) < 8:
        return 0, 0
    padded = piece + piece[-1:] * 16
    last_row = last_column = 0
    for at in range(1, len(piece) - 2):
        if piece[at:at + 3] != b'r="' or piece[at - 1] not in b" \t\r\n":
            continue
        ref = padded[at + 3:at + 3 + 11]
        letters = 0
        while letters < 3 and 65 <= ref[letters] <= 90:
            letters += 1
        digits = 0
        while digits < 8 and 48 <= ref[letters + digits] <= 57:
            digits += 1
        column = 0
        for char in ref[:letters]:
            column = column * 26 + char - 64
        row = 1 << 40 if digits == 8 else int(ref[letters:letters + digits] or b"0")
        last_row, last_column = max(last_row, row), max(last_column, column)
    return last_row, last_column


@settings(max_examples=int(os.environ.get("PMO_XL_HYPOTHESIS_EXAMPLES", "40")) * 10,
          deadline=None)
@given(st.lists(st.one_of(st.sampled_from([b' r="', b'\tr="', b'<c r="', b'"', b"r", b"="]),
                          st.binary(max_size=4),
                          st.text("AZBY09815 ", max_size=12).map(str.encode)),
                max_size=30).map(b"".join))
def test_property_sheet_reach_is_every_references_furthest(piece: bytes) -> None:
    from pmo_xl.extent import _piece_reach

    assert _piece_reach(piece) == _reach_by_hand(piece)


def test_sheet_reach_of_a_written_register(tmp_path: Path) -> None:
    path = tmp_path / "reach.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("Projects")
    for row in range(0, 12_000, 7):
        sheet.write(row, row % 40, "x")
    sheet.write(10_345, 701, 1)  # ZZ10346
    book.close()
    from pmo_xl.extent import scan_extent

    with zipfile.ZipFile(path) as archive, archive.open("xl/worksheets/sheet1.xml") as stream:
        reach = scan_extent(stream)
    assert (reach.last_row, reach.last_column) == (11_999, 702)
