"""The workbook's VBA project as oletools' olevba extracts it; the committed workbook is current.

olevba decodes the project independently of our writer, so "olevba finds exactly our
sources" means the compound file, dir stream and compressed modules are what Excel expects.
"""

from __future__ import annotations

import importlib.metadata
import io
import re
import tomllib
import zipfile
from pathlib import Path

import olefile
import pytest
from oletools.olevba import decompress_stream
from workbook_content import body, vba_modules, workbook_content

from pmo_xl.sample import SamplePortfolio
from pmo_xl.workbook import (
    build_workbook,
    button_modules,
    code_name,
    sheet_names,
    xlwings_modules,
    xlwings_version,
)

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "workbooks" / "PMO_Register.xlsm"
REBUILD = "run `make workbook` and commit workbooks/PMO_Register.xlsm"


@pytest.fixture(scope="module")
def standalone(tmp_path_factory: pytest.TempPathFactory, sample: SamplePortfolio) -> Path:
    return build_workbook(tmp_path_factory.mktemp("vba") / "Standalone.xlsm", sample)


@pytest.fixture(scope="module")
def addin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_workbook(tmp_path_factory.mktemp("vba") / "AddIn.xlsm", addin=True)


def _document_modules() -> set[str]:
    return {"ThisWorkbook", *(code_name(name) for name in sheet_names())}


def _dir_stream(path: Path) -> bytes:
    with zipfile.ZipFile(path) as package:
        ole = olefile.OleFileIO(io.BytesIO(package.read("xl/vbaProject.bin")))
        return bytes(decompress_stream(bytearray(ole.openstream("VBA/dir").read())))


def test_standalone_holds_our_macros_and_xlwings_module(standalone: Path) -> None:
    found = vba_modules(standalone)
    ours = {m.name: m for m in button_modules()}
    xlwings = {m.name: m for m in xlwings_modules()}
    assert set(found) == _document_modules() | set(ours) | set(xlwings)
    for name, module in {**ours, **xlwings}.items():
        assert body(found[name]) == body(module.code), name
        assert found[name].startswith(f'Attribute VB_Name = "{name}"\r\n')
    for name in _document_modules():
        assert body(found[name]) == "", name  # no code behind the sheets
    assert b"xlwings.xlam" not in _dir_stream(standalone)


def test_addin_mode_references_the_add_in_instead(addin: Path) -> None:
    found = vba_modules(addin)
    assert set(found) == _document_modules() | {m.name for m in button_modules()}
    assert b"*\\Cxlwings.xlam" in _dir_stream(addin)


def test_buttons_module_is_the_macros_file(standalone: Path) -> None:
    (module,) = button_modules()
    source = (Path(__file__).resolve().parents[1] / "macros" /
              f"{module.name}.bas").read_text(encoding="utf-8")
    assert body(vba_modules(standalone)[module.name]) == body(source)


# --- the committed workbook ------------------------------------------------------------------


def test_xlwings_is_pinned_to_the_version_the_committed_workbook_embeds() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = [d for d in project["project"]["dependencies"] if d.startswith("xlwings")]
    assert len(pins) == 1 and re.fullmatch(r"xlwings==[\d.]+", pins[0]), pins
    pinned = pins[0].split("==")[1]
    installed = importlib.metadata.version("xlwings")
    assert installed == pinned, (
        f"xlwings {installed} is installed but pyproject.toml pins {pinned}: reinstall "
        "(make test)")
    assert xlwings_version() == installed  # the VBA module the package ships matches it
    embedded = re.search(r'XLWINGS_VERSION As String = "([^"]+)"',
                         vba_modules(COMMITTED)["xlwings"])
    assert embedded and embedded[1] == pinned, f"the committed workbook is stale: {REBUILD}"


def test_committed_workbook_is_current(tmp_path: Path, sample: SamplePortfolio) -> None:
    """Content, not bytes: sheets, cells, tables, dropdowns, formats, print setup, buttons
    and every macro's source must equal a fresh build of the sample workbook."""
    assert COMMITTED.exists(), f"workbooks/PMO_Register.xlsm is missing: {REBUILD}"
    committed = workbook_content(COMMITTED)
    fresh = workbook_content(build_workbook(tmp_path / "PMO_Register.xlsm", sample))
    assert committed["sheet_order"] == fresh["sheet_order"], REBUILD
    for part in ("workbook_code_name", "defined_names", "buttons"):
        assert committed[part] == fresh[part], f"{part} differ: {REBUILD}"
    for sheet, content in fresh["sheets"].items():
        for part, value in content.items():
            assert committed["sheets"][sheet][part] == value, (
                f"sheet {sheet!r}: {part} differ: {REBUILD}")
    _assert_same_macros(committed["macros"], fresh["macros"])


def _assert_same_macros(committed: dict[str, str], fresh: dict[str, str]) -> None:
    assert sorted(committed) == sorted(fresh), f"VBA modules differ: {REBUILD}"
    for name, code in fresh.items():
        assert committed[name] == code, f"VBA module {name} differs: {REBUILD}"


def test_committed_workbook_is_small() -> None:
    assert COMMITTED.stat().st_size < 200_000
