"""What a register workbook holds, read with independent tools, for comparing two builds.

`workbook_content(path)` describes a workbook by content, not bytes: sheets (order,
visibility, code names, cell values and formulas, number formats, widths), tables, data
validations, conditional formats, frozen panes, print setup, defined names, the form buttons
(from the VML drawing parts) and the VBA modules' source (via oletools' olevba).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import openpyxl
from oletools.olevba import VBA_Parser

_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_PKG_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def workbook_content(path: Path) -> dict[str, Any]:
    book = openpyxl.load_workbook(path)
    return {
        "workbook_code_name": book.code_name,
        "defined_names": {name: dn.attr_text for name, dn in book.defined_names.items()},
        "sheets": {ws.title: _sheet(ws) for ws in book.worksheets},
        "sheet_order": book.sheetnames,
        "buttons": {name: vml_buttons(path, name) for name in book.sheetnames},
        "macros": vba_modules(path),
    }


def _sheet(ws: Any) -> dict[str, Any]:
    setup = ws.page_setup
    return {
        "state": ws.sheet_state,
        "code_name": ws.sheet_properties.codeName,
        "cells": [[cell.value for cell in row] for row in ws.iter_rows()],
        "number_formats": {cell.coordinate: cell.number_format for row in ws.iter_rows()
                           for cell in row if cell.value is not None},
        "widths": column_widths(ws),
        "tables": {table.name: table_summary(table) for table in ws.tables.values()},
        "validations": sorted(validation_summary(dv) for dv in ws.data_validations.dataValidation),
        "conditional_formats": sorted(
            (str(cf.sqref), tuple(rule.formula or ())) for cf in ws.conditional_formatting
            for rule in cf.rules),
        "freeze_panes": ws.freeze_panes,
        "print": {"orientation": setup.orientation, "fit_to_page":
                  ws.sheet_properties.pageSetUpPr.fitToPage
                  if ws.sheet_properties.pageSetUpPr else None,
                  "fit_width": setup.fitToWidth, "fit_height": setup.fitToHeight,
                  "title_rows": ws.print_title_rows, "title_cols": ws.print_title_cols},
    }


def column_widths(ws: Any) -> dict[int, float]:
    """Column number -> width; the file may declare a run of equal columns at once."""
    return {index: dim.width for dim in ws.column_dimensions.values()
            for index in range(dim.min, dim.max + 1)}


def table_summary(table: Any) -> tuple[str, list[str]]:
    return table.ref, [column.name for column in table.tableColumns]


def validation_summary(dv: Any) -> tuple[str, str, str, str, str]:
    return (str(dv.sqref), dv.type or "any", dv.formula1 or "", dv.promptTitle or "",
            dv.prompt or "")


def vml_buttons(path: Path, sheet: str) -> list[tuple[str, str]]:
    """(caption, macro) of each form button on a sheet, from its legacy VML drawing."""
    with zipfile.ZipFile(path) as package:
        sheet_part = _sheet_part(package, sheet)
        rels = _relationships(package, sheet_part)
        root = ElementTree.fromstring(package.read(sheet_part))
        drawing = root.find(f"{_MAIN}legacyDrawing")
        if drawing is None:
            return []
        vml = package.read(rels[drawing.get(_REL)]).decode("utf-8")
    buttons = []
    for shape in re.findall(r"<v:shape\b.*?</v:shape>", vml, re.DOTALL):
        if 'ObjectType="Button"' not in shape:
            continue
        caption = re.sub(r"<[^>]+>", "", re.search(r"<v:textbox.*?</v:textbox>", shape,
                                                   re.DOTALL)[0]).strip()
        macro = re.search(r"<x:FmlaMacro>(.*?)</x:FmlaMacro>", shape)
        buttons.append((caption, macro[1] if macro else ""))
    return buttons


def _sheet_part(package: zipfile.ZipFile, sheet: str) -> str:
    workbook = ElementTree.fromstring(package.read("xl/workbook.xml"))
    rels = _relationships(package, "xl/workbook.xml")
    for node in workbook.iter(f"{_MAIN}sheet"):
        if node.get("name") == sheet:
            return rels[node.get(_REL)]
    raise KeyError(sheet)


def _relationships(package: zipfile.ZipFile, part: str) -> dict[str, str]:
    folder, name = posixpath.split(part)
    rels_part = f"{folder}/_rels/{name}.rels"
    if rels_part not in package.namelist():
        return {}
    rels = ElementTree.fromstring(package.read(rels_part))
    return {rel.get("Id"): posixpath.normpath(posixpath.join(folder, rel.get("Target")))
            for rel in rels.iter(f"{_PKG_RELS}Relationship")}


def vba_modules(path: Path) -> dict[str, str]:
    """Module name -> stored source (attribute lines included), as olevba extracts it."""
    parser = VBA_Parser(str(path))
    try:
        if not parser.detect_vba_macros():
            return {}
        return {stream.split("/")[-1]: code
                for _, stream, _, code in parser.extract_macros()}
    finally:
        parser.close()


def body(code: str) -> str:
    """Source as the VBA editor shows it: LF line ends, leading ``Attribute VB_`` lines and
    an exported class header (``VERSION 1.0 CLASS`` ... ``END``) removed."""
    lines = code.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[0].startswith("VERSION 1.0 CLASS"):
        lines = lines[lines.index("END") + 1:]
    while lines and lines[0].startswith("Attribute VB_"):
        lines.pop(0)
    return "\n".join(lines).rstrip("\n")
