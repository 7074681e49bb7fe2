"""The register workbook opened by headless LibreOffice: modules, buttons, sheets, PDF.

One ``soffice`` (started by ``tests/lo_inspect.py`` with a throw-away profile) opens the
sample workbook with macros enabled, lists the Basic modules it imported from the VBA project
with their source, reads each form button's bound macro, and exports the workbook to PDF
with Calc's PDF filter (the one ``soffice --convert-to pdf`` uses).

Needs ``soffice`` and a Python with LibreOffice's ``uno`` module (Debian packages
``libreoffice-calc-nogui`` and ``libreoffice-script-provider-python``); skipped without
them locally, failed without them under ``CI=true``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from libreoffice import inspect_workbook, lo_body, require_libreoffice
from workbook_content import body

from pmo_xl.sample import SamplePortfolio
from pmo_xl.workbook import (
    BUTTONS,
    DASHBOARD,
    build_workbook,
    button_modules,
    code_name,
    sheet_names,
    xlwings_modules,
)

TIMEOUT_S = 180


@pytest.fixture(scope="module")
def seen(tmp_path_factory: pytest.TempPathFactory, sample: SamplePortfolio) -> dict[str, Any]:
    require_libreoffice()
    folder = tmp_path_factory.mktemp("lo-workbook")
    workbook = build_workbook(folder / "PMO_Register.xlsm", sample)
    return inspect_workbook(workbook, "--pdf", str(folder / "PMO_Register.pdf"), timeout=TIMEOUT_S)


def _editor_body(code: str) -> str:
    """What LibreOffice shows of a module: no export header, no attribute lines at all."""
    return "\n".join(line for line in body(code).split("\n")
                     if not line.startswith("Attribute ")).strip("\n")


def test_libreoffice_lists_our_modules_with_their_source(seen: dict[str, Any]) -> None:
    modules = seen["modules"]
    documents = {"ThisWorkbook", *(code_name(name) for name in sheet_names())}
    ours = button_modules()
    xlwings = xlwings_modules()
    assert set(modules) == documents | {m.name for m in ours + xlwings}
    for module in ours + xlwings:
        assert lo_body(modules[module.name]["source"]) == _editor_body(module.code)
    assert {name: modules[name]["type"] for name in documents} == dict.fromkeys(
        documents, "document")
    assert modules["PmoButtons"]["type"] == "normal"
    assert modules["Dictionary"]["type"] == "class"


def test_each_button_is_bound_to_its_macro(seen: dict[str, Any]) -> None:
    sheets = {sheet["name"]: sheet for sheet in seen["sheets"]}
    buttons = sheets[DASHBOARD]["buttons"]
    assert [b["label"] for b in buttons] == [b.caption for b in BUTTONS]
    for found, button in zip(buttons, BUTTONS, strict=True):
        assert found["macro"].startswith(
            f"vnd.sun.star.script:VBAProject.{button.macro}?language=Basic"), found
    assert all(not sheet["buttons"] for name, sheet in sheets.items() if name != DASHBOARD)


def test_sheets_and_code_names_as_libreoffice_sees_them(seen: dict[str, Any]) -> None:
    assert [s["name"] for s in seen["sheets"]] == sheet_names()
    assert seen["workbook_code_name"] == "ThisWorkbook"
    for sheet in seen["sheets"]:
        assert sheet["code_name"] == code_name(sheet["name"])
        hidden = sheet["name"].endswith(" highlights")
        assert sheet["visible"] == (not hidden)


def test_converts_to_pdf(seen: dict[str, Any]) -> None:
    pdf = Path(seen["pdf"]["path"]).read_bytes()
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
    visible = sum(sheet["visible"] for sheet in seen["sheets"])
    assert pages >= visible  # every visible sheet prints at least one page
