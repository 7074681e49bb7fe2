"""VBA macros for the workbooks pmo-xl writes: build ``xl/vbaProject.bin`` from module source.

The project is written in source-only form (MS-OVBA), so Excel compiles the macros when the
workbook is opened.  With XlsxWriter::

    import io
    from pmo_xl.vba import VBAModule, build_vba_project

    data = build_vba_project([
        VBAModule("ThisWorkbook", "", kind="document"),
        VBAModule("Sheet1", "", kind="document"),
        VBAModule("Module1", 'Sub Hello()\\r\\n    MsgBox "Hi"\\r\\nEnd Sub\\r\\n'),
    ])
    workbook = xlsxwriter.Workbook("book.xlsm")
    workbook.set_vba_name("ThisWorkbook")
    workbook.add_worksheet().set_vba_name("Sheet1")
    workbook.add_vba_project(io.BytesIO(data), is_stream=True)

``cfb`` (the compound file container) and ``compression`` (MS-OVBA 2.4.1) are the building
blocks; ``ovba`` assembles the project.
"""

from .ovba import (
    DEFAULT_REFERENCES,
    OFFICE_REFERENCE,
    STDOLE_REFERENCE,
    XLWINGS_ADDIN_REFERENCE,
    ProjectReference,
    VBAModule,
    build_vba_project,
)

__all__ = [
    "DEFAULT_REFERENCES",
    "OFFICE_REFERENCE",
    "STDOLE_REFERENCE",
    "XLWINGS_ADDIN_REFERENCE",
    "ProjectReference",
    "VBAModule",
    "build_vba_project",
]
