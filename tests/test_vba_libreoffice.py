"""A workbook with our vbaProject.bin, opened by headless LibreOffice through UNO.

LibreOffice imports VBA projects independently of Excel and olevba, so this checks that the
compound file, dir stream and module streams are readable by an office suite: module names,
kinds and source, the sheets' code names, and the macros bound to form buttons.

Needs ``soffice`` and a Python with LibreOffice's ``uno`` module (Debian packages
``libreoffice-calc-nogui`` and ``libreoffice-script-provider-python``).  Without them the test
is skipped, except under ``CI=true``, where it fails.
"""

from __future__ import annotations

import importlib.util
import io
import random
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from libreoffice import inspect_workbook, lo_body, require_libreoffice

from pmo_xl.vba import DEFAULT_REFERENCES, XLWINGS_ADDIN_REFERENCE, VBAModule, build_vba_project

TIMEOUT_S = 120


@pytest.fixture(scope="module")
def libreoffice() -> None:
    require_libreoffice()


def _generated_code(size: int) -> str:
    rng = random.Random(11)
    lines = ["Sub Generated()", "    Dim total As Double"]
    while sum(len(line) + 2 for line in lines) < size:
        lines.append(
            f"    total = total + Cells({rng.randrange(1, 500)}, 2).Value * {rng.random():.6f}"
        )
    return "\r\n".join([*lines, "End Sub", ""])


def _xlwings_modules() -> list[VBAModule]:
    spec = importlib.util.find_spec("xlwings")
    if spec is None or spec.origin is None:
        return []
    root = Path(spec.origin).parent
    return [
        VBAModule("xlwings", (root / "xlwings.bas").read_bytes().decode("cp1252")),
        VBAModule(
            "Dictionary", (root / "addin/Dictionary.cls").read_bytes().decode("cp1252"), "class"
        ),
    ]


MODULES = [
    VBAModule(
        "ThisWorkbook",
        'Private Sub Workbook_Open()\n    Sheet1.Range("A2").Value = "opened"\nEnd Sub\n',
        kind="document",
    ),
    VBAModule("Sheet1", "Private Sub Worksheet_Activate()\nEnd Sub\n", kind="document"),
    VBAModule("Sheet2", "", kind="document"),
    VBAModule(
        "Module1",
        'Option Explicit\n\nSub RunReport()\n    MsgBox "Caf\xe9 report"\nEnd Sub\n\n'
        "Sub Refresh()\n    Application.Calculate\nEnd Sub\n",
    ),
    VBAModule("Totals", "Private mTotal As Double\n", kind="class"),
    VBAModule("Generated", _generated_code(20_000)),
]
LO_MODULE_TYPES = {"standard": "normal", "document": "document", "class": "class"}


def _body(code: str) -> str:
    """The source LibreOffice should show: no export header, no attribute lines (it drops
    module and procedure attributes alike)."""
    lines = code.replace("\r\n", "\n").split("\n")
    if lines[0].startswith("VERSION 1.0 CLASS"):
        lines = lines[lines.index("END") + 1 :]
    return "\n".join(line for line in lines if not line.startswith("Attribute ")).strip("\n")


@pytest.fixture(scope="module")
def inspected(libreoffice: None, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    modules = MODULES + _xlwings_modules()
    path = tmp_path_factory.mktemp("lo") / "macros.xlsm"
    workbook = xlsxwriter.Workbook(str(path))
    plan = workbook.add_worksheet("Plan")
    plan.set_vba_name("Sheet1")
    plan.insert_button("B2", {"macro": "Module1.RunReport", "caption": "Run report"})
    risks = workbook.add_worksheet("Risks")
    risks.set_vba_name("Sheet2")
    risks.insert_button("B2", {"macro": "Module1.Refresh", "caption": "Refresh"})
    references = (*DEFAULT_REFERENCES, XLWINGS_ADDIN_REFERENCE)  # an add-in that is absent
    project = build_vba_project(modules, references=references)
    workbook.add_vba_project(io.BytesIO(project), is_stream=True)
    workbook.close()

    report = inspect_workbook(path, timeout=TIMEOUT_S)
    report["expected_modules"] = modules
    return report


def test_libreoffice_sees_every_module_with_its_source(inspected: dict[str, Any]) -> None:
    expected = inspected["expected_modules"]
    modules = inspected["modules"]
    assert sorted(modules) == sorted(m.name for m in expected)
    for module in expected:
        seen = modules[module.name]
        assert seen["type"] == LO_MODULE_TYPES[module.kind], module.name
        assert lo_body(seen["source"]) == _body(module.code), module.name


def test_libreoffice_sees_code_names_and_button_macros(inspected: dict[str, Any]) -> None:
    assert inspected["workbook_code_name"] == "ThisWorkbook"
    sheets = {sheet["name"]: sheet for sheet in inspected["sheets"]}
    assert [s["name"] for s in inspected["sheets"]] == ["Plan", "Risks"]
    assert sheets["Plan"]["code_name"] == "Sheet1"
    assert sheets["Risks"]["code_name"] == "Sheet2"
    for sheet, label, macro in [
        ("Plan", "Run report", "RunReport"),
        ("Risks", "Refresh", "Refresh"),
    ]:
        (button,) = sheets[sheet]["buttons"]
        assert button["label"] == label
        assert button["macro"].startswith(f"vnd.sun.star.script:VBAProject.Module1.{macro}?")
