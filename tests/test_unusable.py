"""Input that cannot be a register: one line on stderr naming file and problem, exit 2."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import xlwt
from msoffcrypto.format.ooxml import OOXMLFile
from registers import VALID_PROJECT, grid, register, settings_rows, write_workbook

from pmo_xl.cli import main
from pmo_xl.reader import read_register


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pmo_xl.cli", *args], capture_output=True,
                          text=True, timeout=120)


def assert_unusable(path: Path, expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("validate", "rollup"):
        before = sorted(path.parent.iterdir())
        assert main([command, str(path), "--format", "json"]) == 2
        out, err = capsys.readouterr()
        assert out == ""
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        assert str(path) in lines[0] and expected in lines[0]
        assert "Traceback" not in err
        assert sorted(path.parent.iterdir()) == before  # nothing written


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert_unusable(tmp_path / "nope.xlsx", "file not found", capsys)


def test_empty_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    assert_unusable(path, "the file is empty", capsys)


def test_not_a_workbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # (CSV text under an .xlsx name is read as CSV; text without columns is not a register.)
    path = tmp_path / "register.xlsx"
    path.write_text("Notes for the steering committee.\nNothing here is a table.\n")
    assert_unusable(path, "not an Excel workbook", capsys)


def test_excel_lock_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "~$register.xlsx"
    path.write_bytes(b"\x08Ben Ito " + b" " * 45 + "\x08\x00Ben Ito".encode("utf-16-le"))
    assert_unusable(path, "this is Excel's lock file for 'register.xlsx'", capsys)


def test_html_page_named_xls(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "export.xls"
    path.write_text("<!DOCTYPE html><html><body><table><tr><td>PRJ-001</td></tr></table>"
                    "</body></html>")
    assert_unusable(path, "is an HTML page, not a workbook: open it in Excel and save it as "
                          ".xlsx", capsys)


def test_zip_that_is_not_a_workbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "register.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    assert_unusable(path, "no xl/workbook.xml", capsys)


def test_truncated_workbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    whole = register(tmp_path / "whole.xlsx").read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    assert_unusable(path, "damaged or truncated", capsys)


def test_no_projects_sheet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_workbook(tmp_path / "r.xlsx", {"Contacts": [["Name", "Phone"], ["Ada", "1"]],
                                                "Notes": [["Note"], ["hello"]]})
    assert_unusable(path, "no 'Projects' sheet (the workbook has: Contacts, Notes); name the "
                          "projects sheet with --sheet or in a profile", capsys)


def test_no_project_id_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    headers = [h for h in VALID_PROJECT if h != "Project ID"]
    path = write_workbook(tmp_path / "r.xlsx", {"Projects": grid([VALID_PROJECT], headers)})
    assert_unusable(path, "sheet 'Projects' has no Project ID column (header row 1; "
                          "recognised: Project Name → Project Name, ", capsys)


def test_same_column_twice(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    headers = [*VALID_PROJECT, "BAC"]
    path = write_workbook(tmp_path / "r.xlsx", {"Projects": grid([VALID_PROJECT], headers)})
    assert_unusable(path, "columns P1 and X1 are both 'Budget'", capsys)


def test_xml_entity_bomb(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = register(tmp_path / "plain.xlsx")
    path = tmp_path / "bomb.xlsx"
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    bomb = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<!DOCTYPE lolz [<!ENTITY l0 "lol">{entities}]>'
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
            'uniqueCount="1"><si><t>&l9;</t></si></sst>')
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            data = src.read(item.filename)
            out.writestr(item, bomb if item.filename == "xl/sharedStrings.xml" else data)
    assert_unusable(path, "XML entity declarations", capsys)


def test_zip_bomb(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = register(tmp_path / "plain.xlsx")
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            out.writestr(item, src.read(item.filename))
        out.writestr("xl/media/padding.bin", b"\0" * 50_000_000)
    assert_unusable(path, "possible zip bomb", capsys)


def test_password_protected_workbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain = register(tmp_path / "plain.xlsx")
    path = tmp_path / "locked.xlsx"
    with plain.open("rb") as source, path.open("wb") as target:
        office = OOXMLFile(source)
        office.encrypt("secret", target)
    assert_unusable(path, "password-protected", capsys)


def test_legacy_xls_workbook_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    book = xlwt.Workbook()
    dates = xlwt.easyxf(num_format_str="DD-MMM-YYYY")
    for name, rows in (("Projects", grid([VALID_PROJECT])), ("Settings", settings_rows())):
        sheet = book.add_sheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, dt.date):
                    sheet.write(r, c, value, dates)
                elif value is not None:
                    sheet.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    path = tmp_path / "register.xls"
    path.write_bytes(buffer.getvalue())
    projects = read_register(path).projects
    assert projects.values.iloc[0]["project_id"] == "PRJ-001"
    assert projects.values.iloc[0]["budget"] == 100_000
    assert projects.values.iloc[0]["start_date"].date() == dt.date(2026, 1, 1)
    assert main(["validate", str(path), "--format", "json"]) != 2
    assert "error" not in capsys.readouterr().err


def test_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "dir.xlsx"
    folder.mkdir()
    assert main(["validate", str(folder)]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_whole_process_prints_no_traceback(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04garbage")
    result = run_cli("validate", str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"pmo-xl: error: {path}: ")
