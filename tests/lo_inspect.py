"""Print, as JSON, what LibreOffice sees in a workbook: sheets, VBA modules, form buttons.

Run with a Python that has LibreOffice's ``uno`` module (Debian: ``/usr/bin/python3`` with the
``libreoffice-script-provider-python`` package)::

    /usr/bin/python3 tests/lo_inspect.py book.xlsm [--pdf book.pdf [--print-buttons]]

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
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import uno  # type: ignore[import-not-found]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]
from com.sun.star.connection import NoConnectException  # type: ignore[import-not-found]

STARTUP_TIMEOUT_S = 60
ALWAYS_EXECUTE_NO_WARN = 4  # com.sun.star.document.MacroExecMode
VBA_LIBRARY = "VBAProject"
# com.sun.star.script.ModuleType
MODULE_TYPES = {0: "unknown", 1: "normal", 2: "class", 3: "form", 4: "document"}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog=Path(argv[0]).name, description=__doc__.split("\n")[0])
    parser.add_argument("workbook", type=Path)
    parser.add_argument("--pdf", type=Path, help="also export the workbook to this PDF file")
    parser.add_argument("--print-buttons", action="store_true",
                        help="make form buttons printable before exporting the PDF")
    args = parser.parse_args(argv[1:])
    path = args.workbook.resolve()
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
        doc = _load(desktop, path)
        try:
            report = _inspect(doc)
            if args.pdf is not None:
                report["pdf"] = _export_pdf(doc, args.pdf.resolve(), args.print_buttons)
        finally:
            doc.close(True)
        print(json.dumps(report, indent=2))
        _terminate(desktop)
        return 0
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
