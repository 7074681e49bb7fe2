"""Opening the files PMOs really keep their registers in: .xlsx, .xlsm, .xlsb, .xls, .ods, .csv.

`open_register_file(path)` looks at the file's *content*, never only its name: a zip package is
an .xlsx, .xlsm or .xlsb by its workbook part and content types, or an .ods by its `mimetype`;
an OLE2 compound file is a legacy .xls (or an encrypted Office file); text is CSV. A real
spreadsheet whose extension says otherwise (an .xlsx renamed .xls) is read by its content and
`RegisterFile.note` says so. Anything else (Excel's lock file, an HTML "Excel export", a PDF,
a Word document, a zip bomb, ...) raises `RegisterError` with one line saying what the file is
and what to do; so does every failure of the OS or of python-calamine, which reads the cells.

`RegisterFile.sheet(name)` gives the sheet's cells from A1 as calamine returns them, plus what
calamine does not expose: the hidden rows (AutoFilter's filtered-out rows are stored as hidden
rows) and the totals rows of Excel Tables. Those come from the package itself and so exist
only for .xlsx/.xlsm; for .xlsb, .xls, .ods and CSV they are empty sets. Merged ranges come
from calamine, which knows them for .xlsx/.xlsm and .xls only (() for the other kinds).

`read_csv(path)` reads one CSV file as a sheet: UTF-8 (with or without BOM), UTF-16 with a BOM
(Excel's "Unicode Text"), else cp1252; comma, semicolon or tab delimited (sniffed, or Excel's
`sep=` first line); every value stays the text as written, a blank cell is "".
"""

from __future__ import annotations

import codecs
import csv
import html
import io
import os
import posixpath
import re
import shutil
import stat
import struct
import sys
import tempfile
import threading
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .errors import RegisterError
from .extent import (
    Extent,
    compact_rows,
    merged_ranges,
    ods_extents,
    pieces,
    repackaged,
    scan_extent,
    value_extent,
    without_date_formats,
    xlsb_extent,
    xlsb_sheets,
)
from .layout import is_output_sheet
from .limits import MAX_COMPRESSION_RATIO, MAX_SHEET_CELLS, MAX_UNPACKED_BYTES

KINDS = ("xlsx", "xlsm", "xlsb", "xls", "ods", "csv")
# What each extension promises; the content decides, a mismatch only earns a note.
_EXTENSION_KIND = {
    ".xlsx": "xlsx", ".xltx": "xlsx", ".xlsm": "xlsm", ".xltm": "xlsm", ".xlam": "xlsm",
    ".xlsb": "xlsb", ".xls": "xls", ".xlt": "xls", ".ods": "ods", ".ots": "ods",
    ".csv": "csv", ".tsv": "csv", ".txt": "csv",
}
# python-calamine's from_path picks its parser by these (case-sensitive) extensions, and only
# that parser's errors say what is wrong; any other name goes through content detection.
_CALAMINE_SUFFIXES = {"xlsx": {"xlsx", "xlsm", "xlam"}, "xlsm": {"xlsx", "xlsm", "xlam"},
                      "xlsb": {"xlsb"}, "xls": {"xls", "xla"}, "ods": {"ods"}}

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_HEAD_BYTES = 64 * 1024
_LOCK_FILE_MAX_BYTES = 4096  # Excel's owner file is 165 bytes
_CHUNK = 4 * 1024 * 1024

Merged = tuple[tuple[int, int, int, int], ...]

_PASSWORD = "the workbook is password-protected; save an unprotected copy and try again"
_PERMISSION = ("cannot be opened: permission denied (ask for read access to it, or copy it "
               "somewhere you can read and try again)")
_EXPECTED = ".xlsx, .xlsm, .xlsb, .xls, .ods or .csv expected"


@dataclass(slots=True)
class SheetData:
    """One sheet's cells from A1 and what the package says about its rows.

    `rows` are cell values as python-calamine gives them (str, int, float, bool, datetime,
    date, time, timedelta; a blank cell is ""); for CSV every value is text. `hidden_rows` and
    `table_totals_rows` are 1-based Excel rows (known for .xlsx/.xlsm only); `merged` holds
    0-based inclusive (first_row, first_col, last_row, last_col) ranges, () when unknown.
    """

    name: str
    rows: list[list[object]]
    hidden_rows: frozenset[int] = frozenset()
    table_totals_rows: frozenset[int] = frozenset()
    merged: Merged = ()
    # A sheet read compacted (values few and far apart): the one blank row that stands in
    # `rows` for every row without values, so readers can pass over them by identity.
    blank_row: list[object] | None = None


class RegisterFile:
    """An opened register file: its kind (by content), its sheets, and a note on its name."""

    def __init__(self, path: Path, kind: str, sheet_names: list[str], note: str | None, *,
                 book: Any = None, csv_sheet: SheetData | None = None) -> None:
        self.path = path
        self.kind = kind
        self.sheet_names = sheet_names
        self.note = note
        self._book = book  # a CalamineWorkbook (python-calamine ships no usable stubs)
        self._csv_sheet = csv_sheet
        self._sheet_parts: dict[str, str] | None = None
        self._scans: _ScansAhead | None = None

    def __repr__(self) -> str:
        return f"RegisterFile({str(self.path)!r}, kind={self.kind!r}, sheets={self.sheet_names})"

    def __enter__(self) -> RegisterFile:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Let go of the file (calamine keeps .xlsx packages open while sheets are read)."""
        book, self._book = self._book, None
        if book is not None:
            with _calamine_errors(self.path, "cannot be closed"):
                book.close()

    def sheet(self, name: str) -> SheetData:
        """The named sheet's cells and row marks; RegisterError naming the sheet on failure."""
        if name not in self.sheet_names:
            listed = ", ".join(self.sheet_names) or "none"
            raise RegisterError(self.path, f"no sheet '{name}' (the workbook has: {listed})")
        if self._csv_sheet is not None:
            return self._csv_sheet
        if self._book is None:
            raise RegisterError(self.path, f"sheet '{name}' cannot be read: the file is closed")
        data = self._cells(name)
        if self.kind in ("xlsx", "xlsm"):
            data.hidden_rows, data.table_totals_rows = self._row_marks(name)
        return data

    def _cells(self, name: str) -> SheetData:
        if self.kind == "xlsb":
            self._check_xlsb_extent(name)
        sparse = self._sparse_extent(name) if self.kind in ("xlsx", "xlsm") else None
        if sparse is not None:
            return self._compacted(name, sparse)
        try:
            rows, merged = _calamine_cells(self.path, self._book, name)
        except _Panic:
            rows, merged = self._after_panic(name)
        return SheetData(name, rows, merged=merged)

    def _sheet_part(self, archive: zipfile.ZipFile, name: str) -> str | None:
        if self._sheet_parts is None:
            self._sheet_parts = _sheet_parts(archive)
        return _member(archive, self._sheet_parts.get(name))

    def _sparse_extent(self, name: str) -> Extent | None:
        """None when calamine may read the sheet as it is; the extent of its values when
        they are few and far apart (read compacted); RegisterError when they are too many
        over too large a range for any register."""
        with _package(self.path, name) as archive:
            part = self._sheet_part(archive, name)
            if part is None:
                return None
            reach = self._part_scan(archive, part).reach
            if reach.cells <= MAX_SHEET_CELLS:
                return None  # the common case: one cheap pass over the bytes
            with archive.open(part) as stream:
                extent = value_extent(stream)
        if extent.cells <= MAX_SHEET_CELLS:
            return None  # far-off blank cells, which calamine passes over
        if len(extent.rows) * extent.last_column <= MAX_SHEET_CELLS:
            return extent
        raise RegisterError(self.path, _too_large(name, extent))

    def _part_scan(self, archive: zipfile.ZipFile, part: str) -> _PartScan:
        """The worksheet part's one pass over its bytes. The first call scans every sheet in
        a background thread, this one first: while calamine parses a sheet (it releases the
        GIL), the next sheets' scans cost no wall-clock time."""
        if self._scans is None:
            assert self._sheet_parts is not None
            # Not the buttons' own sheets: History may hold far more cells than the register.
            others = [p for p in (_member(archive, q) for sheet, q in
                                  self._sheet_parts.items() if not is_output_sheet(sheet))
                      if p is not None and p != part]
            self._scans = _ScansAhead(self.path, [part, *others])
        found = self._scans.get(part)
        if found is None:  # not scanned there (or failed there: failing here says why)
            with archive.open(part) as stream:
                found = _scan_part(stream)
            self._scans.keep(part, found)
        return found

    def _check_xlsb_extent(self, name: str) -> None:
        """A binary sheet whose values would make calamine lay out more cells than any
        register has (one value at XFD1048576) is refused before calamine reads it."""
        with _package(self.path, name) as archive:
            workbook = _member(archive, "xl/workbook.bin")
            if workbook is None:
                return
            relid = xlsb_sheets(archive.read(workbook)).get(name)
            part = _member(archive, _relationships(archive, workbook).get(relid or "",
                                                                          ("", None))[1])
            if part is None:
                return
            extent = xlsb_extent(archive.read(part))
        if extent.cells > MAX_SHEET_CELLS:
            raise RegisterError(self.path, _too_large(name, extent))

    def _compacted(self, name: str, extent: Extent) -> SheetData:
        """The sheet read at the cost of its rows with values, each put back in its row."""
        with _package(self.path, name) as archive:
            part = self._sheet_part(archive, name)
            assert part is not None
            package = repackaged(archive, part, {part: lambda xml: compact_rows(
                xml, extent.rows)})
            with archive.open(part) as stream:
                merged = merged_ranges(stream)
        from python_calamine import CalamineWorkbook

        with (_calamine_errors(self.path, f"sheet '{name}' cannot be read"),
              CalamineWorkbook.from_filelike(package) as book):
            compact = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        blank: list[object] = [""] * max(map(len, compact), default=0)
        rows = [blank] * extent.last_row
        for row, cells in zip(extent.rows, compact, strict=False):
            rows[row - 1] = cells
        return SheetData(name, rows, merged=merged, blank_row=blank)

    def _after_panic(self, name: str) -> tuple[list[list[object]], Merged]:
        """calamine panicked turning a cell into Python (a date cell holding -1E+308): the
        rows it could turn keep its reading; the others are read again with every number
        format General (their date cells as numbers), from a copy of the package."""
        dated = _rows_until_panics(self.path, self._book, name)
        if self.kind not in ("xlsx", "xlsm"):
            row = dated.index(None) + 1
            raise RegisterError(self.path, f"sheet '{name}' row {row}: a date cell holds a "
                                           "number no date can be (such as -1E+308); correct "
                                           "or clear it in Excel, save, and try again")
        with _package(self.path, name) as archive:
            part = self._sheet_part(archive, name)
            styles = _member(archive, "xl/styles.xml")
            assert part is not None
            package = repackaged(archive, part, {styles or "": without_date_formats})
        from python_calamine import CalamineWorkbook

        with (_calamine_errors(self.path, f"sheet '{name}' cannot be read"),
              CalamineWorkbook.from_filelike(package) as book):
            plain, merged = _calamine_cells(self.path, book, name)
        if len(plain) != len(dated):
            raise RegisterError(self.path, f"sheet '{name}' cannot be read: the reader "
                                           "failed on it")
        rows = [cells if row is None else [""] * (len(cells) - len(row)) + row
                for cells, row in zip(plain, dated, strict=True)]
        return rows, merged

    def _row_marks(self, name: str) -> tuple[frozenset[int], frozenset[int]]:
        with _package(self.path, name) as archive:
            part = self._sheet_part(archive, name)
            if part is None:
                return frozenset(), frozenset()
            hidden = self._part_scan(archive, part).hidden
            if hidden is None:  # some row tags carry no number: count them all
                with archive.open(part) as stream:
                    hidden = _counted_hidden_rows(stream)
            return hidden, _totals_rows(archive, part)


@contextmanager
def _package(path: Path, sheet: str) -> Iterator[zipfile.ZipFile]:
    """The .xlsx package, its failures as one line naming the sheet being read."""
    try:
        with zipfile.ZipFile(path) as archive:
            yield archive
    except RegisterError:
        raise
    except Exception as exc:  # zipfile, zlib and the OS raise many unrelated types
        raise RegisterError(path, f"sheet '{sheet}' cannot be read: the workbook is "
                                  f"damaged ({_text(exc)})") from None


class _Panic(Exception):
    """python-calamine panicked (pyo3's PanicException, a BaseException)."""


def _calamine_cells(path: Path, book: Any, name: str) -> tuple[list[list[object]], Merged]:
    with _calamine_errors(path, f"sheet '{name}' cannot be read", panics=True):
        sheet = book.get_sheet_by_name(name)
        rows = sheet.to_python(skip_empty_area=False)
        ranges = sheet.merged_cell_ranges or ()
    return rows, tuple((r0, c0, r1, c1) for (r0, c0), (r1, c1) in ranges)


def _rows_until_panics(path: Path, book: Any, name: str) -> list[list[object] | None]:
    """The sheet's rows one at a time; None for each row calamine panicked on."""
    rows: list[list[object] | None] = []
    with _calamine_errors(path, f"sheet '{name}' cannot be read"):
        iterator = book.get_sheet_by_name(name).iter_rows()
        while True:
            try:
                with _calamine_errors(path, "", panics=True):
                    row = next(iterator, None)
            except _Panic:
                rows.append(None)
                continue
            if row is None:
                return rows
            rows.append(row)


def _too_large(name: str, extent: Extent) -> str:
    return (f"sheet '{name}' is refused: its values reach {extent.far_cell}, "
            f"{extent.last_row:,} rows by {extent.last_column:,} columns "
            f"({extent.cells:,} cells), more than a register can be (at most "
            f"{MAX_SHEET_CELLS:,} cells); delete what lies beyond the register's data (in "
            "Excel, Ctrl+End shows the last cell), save, and try again")


def _check_ods_extents(path: Path) -> None:
    """calamine lays out every table of an .ods as it opens it, repeated rows and columns
    included (an 800-byte file can ask for 99 million cells): a table that would span more
    cells than any register has is refused first."""
    with _package(path, "content.xml") as archive, archive.open("content.xml") as stream:
        extents = ods_extents(stream)
    for name, extent in extents.items():
        if extent.cells > MAX_SHEET_CELLS:
            raise RegisterError(path, _too_large(name, extent))


def open_register_file(path: str | Path) -> RegisterFile:
    """Open a register file of any supported kind; raise RegisterError if it is unusable."""
    path = Path(path)
    _refuse_special_file(path)
    head = _read(path, _HEAD_BYTES)
    kind = _content_kind(path, head)
    note = _note(path, kind)
    if kind == "csv":
        sheet = _csv_sheet(path, _read(path), path.stem)
        return RegisterFile(path, kind, [sheet.name], note, csv_sheet=sheet)
    if kind == "ods":
        _check_ods_extents(path)
    book = _open_book(path, kind)
    with _calamine_errors(path, "cannot be read as a workbook"):
        names = list(book.sheet_names)
    return RegisterFile(path, kind, names, note, book=book)


def read_csv(path: str | Path, sheet_name: str | None = None) -> SheetData:
    """One CSV file as a sheet named `sheet_name` (default: the file's stem); RegisterError
    if it cannot be read or is not text."""
    path = Path(path)
    _refuse_special_file(path)
    data = _read(path)
    if path.name.startswith(("~$", ".~lock.")):
        _refuse_lock_file(path, data)
    if not data:
        raise RegisterError(path, "the file is empty")
    return _csv_sheet(path, data, sheet_name or path.stem)


# --- Reading bytes -------------------------------------------------------------------------

@contextmanager
def _os_errors(path: Path) -> Iterator[None]:
    """OS failures as one line a PMO officer can act on."""
    try:
        yield
    except (FileNotFoundError, NotADirectoryError):
        raise RegisterError(path, "file not found") from None
    except IsADirectoryError:
        raise RegisterError(path, "is a folder, not a workbook") from None
    except PermissionError as exc:
        if _is_dir(path):  # Windows refuses to open a folder with "permission denied"
            raise RegisterError(path, "is a folder, not a workbook") from None
        if getattr(exc, "winerror", None) == 32:  # ERROR_SHARING_VIOLATION
            raise RegisterError(path, "cannot be opened: another program has it locked (close "
                                      "it there, or wait for syncing to finish, and try again)"
                                ) from None
        raise RegisterError(path, _PERMISSION) from None
    except OSError as exc:
        raise RegisterError(path, f"cannot be opened: {_text(exc)}") from None


_SPECIAL_FILES = (
    (stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
)


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a folder on the way that may not be looked into
        return False


def _refuse_special_file(path: Path) -> None:
    """Anything but a regular file (or a folder, said as such) is refused before it is opened:
    opening a named pipe for reading waits for a writer forever, a device never ends."""
    try:
        with _os_errors(path):
            mode = path.stat().st_mode
    except ValueError as exc:  # e.g. a NUL character in the name
        raise RegisterError(path, f"cannot be opened: {_text(exc)}") from None
    if stat.S_ISDIR(mode):
        raise RegisterError(path, "is a folder, not a workbook")
    if stat.S_ISREG(mode):
        return
    what = next((name for test, name in _SPECIAL_FILES if test(mode)), "not a regular file")
    raise RegisterError(path, f"is {what}, not a workbook file: save the register as a file "
                              "and give that file's path")


def _read(path: Path, limit: int = -1) -> bytes:
    try:
        with _os_errors(path), _open_regular(path) as handle:
            return handle.read(limit)
    except ValueError as exc:  # e.g. a NUL character in the name
        raise RegisterError(path, f"cannot be opened: {_text(exc)}") from None


def _open_regular(path: Path) -> IO[bytes]:
    """The file opened for reading, without waiting: a file swapped for a named pipe after
    `_refuse_special_file` looked is refused here rather than waited on."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise RegisterError(path, "is a folder, not a workbook" if stat.S_ISDIR(mode) else
                                "is not a regular file: save the register as a file and give "
                                "that file's path")
        if hasattr(os, "O_NONBLOCK"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _text(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return " ".join(str(exc).split())[:200] or type(exc).__name__


# --- What the content is -------------------------------------------------------------------

def _content_kind(path: Path, head: bytes) -> str:
    """The kind of register file the bytes are, or RegisterError saying what they are."""
    if path.name.startswith(("~$", ".~lock.")) and not head.startswith((*_ZIP_MAGIC, _OLE_MAGIC)):
        _refuse_lock_file(path, head)
    if not head:
        raise RegisterError(path, "the file is empty")
    if head.startswith(_ZIP_MAGIC):
        return _zip_kind(path)
    if head.startswith(_OLE_MAGIC):
        return _ole_kind(path)
    problem = _other_document(head)
    if problem:
        raise RegisterError(path, problem)
    return _text_kind(path, head)


def _refuse_lock_file(path: Path, data: bytes) -> None:
    if len(data) > _LOCK_FILE_MAX_BYTES:
        return
    if path.name.startswith("~$"):
        target = path.name[2:]
        raise RegisterError(path, f"this is Excel's lock file for '{target}' (it exists while "
                                  f"that workbook is open in Excel); open '{target}' itself")
    target = path.name.removeprefix(".~lock.").removesuffix("#")
    raise RegisterError(path, f"this is LibreOffice's lock file for '{target}' (it exists while "
                              f"LibreOffice has that file open); open '{target}' itself")


_SAVE_AS_XLSX = "open it in Excel and save it as .xlsx"


def _other_document(head: bytes) -> str | None:
    """What a file that is neither a package nor CSV text is, with what to do, or None."""
    start = head.removeprefix(codecs.BOM_UTF8).lstrip()[:4096].lower()
    if start.startswith(b"%pdf-"):
        return ("is a PDF document, not a workbook: use the register's Excel file, or export "
                "the register from its source as .xlsx or .csv")
    if start.startswith(b"{\\rtf"):
        return f"is an RTF document, not a workbook: {_SAVE_AS_XLSX}"
    if start.startswith(b"mime-version:"):
        return f"is a single-file web page (MHTML), not a workbook: {_SAVE_AS_XLSX}"
    if start.startswith((b"<!doctype html", b"<html", b"<table", b"<head", b"<body", b"<meta")) \
            or (start.startswith((b"<?xml", b"<!--")) and b"<html" in start):
        return f"is an HTML page, not a workbook: {_SAVE_AS_XLSX}"
    if start.startswith(b"<?xml"):
        if b"urn:schemas-microsoft-com:office:spreadsheet" in start:
            return f"is an Excel 2003 XML spreadsheet, which pmo-xl cannot read: {_SAVE_AS_XLSX}"
        return f"not an Excel workbook (it is an XML file; {_EXPECTED})"
    return None


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            _refuse_zip_bomb(path, infos)
            return _package_kind(path, archive, {info.filename for info in infos})
    except RegisterError:
        raise
    # What zipfile raises for damaged archives (not, say, an encoding it cannot load).
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, KeyError,
            NotImplementedError, OSError, zlib.error):
        suffix = path.suffix.lower()
        label = suffix if _EXTENSION_KIND.get(suffix, "csv") != "csv" else "workbook"
        raise RegisterError(path, f"the workbook is damaged or truncated (not a complete "
                                  f"{label} file)") from None


def _refuse_zip_bomb(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    unpacked = sum(info.file_size for info in infos)
    packed = max(1, sum(info.compress_size for info in infos))
    if unpacked > MAX_UNPACKED_BYTES or unpacked / packed > MAX_COMPRESSION_RATIO:
        raise RegisterError(path, f"refused: the workbook unpacks to {_mib(unpacked)} "
                                  f"({unpacked / packed:.0f} times its size), more than a "
                                  f"register can be (at most {_mib(MAX_UNPACKED_BYTES)}, "
                                  f"{MAX_COMPRESSION_RATIO} times): possible zip bomb; save "
                                  "the register again from Excel, without embedded files")


def _mib(size: int) -> str:
    return f"{size / 1024**2:,.0f} MiB"


def _package_kind(path: Path, archive: zipfile.ZipFile, names: set[str]) -> str:
    if "mimetype" in names:
        with archive.open("mimetype") as stream:
            mimetype = stream.read(200).strip()
        if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
            return "ods"
        what = mimetype.rsplit(b".", 1)[-1].decode("ascii", "replace")
        raise RegisterError(path, f"is an OpenDocument {what} file, not a spreadsheet "
                                  f"({_EXPECTED})")
    if "xl/workbook.bin" in names:
        return "xlsb"
    if "xl/workbook.xml" in names:
        types = _member(archive, "[Content_Types].xml")
        if types is None:
            return "xlsx"
        with archive.open(types) as stream:
            macro = b"macroEnabled.main+xml" in stream.read(_CHUNK)
        return "xlsm" if macro else "xlsx"
    what = ("a Word document" if "word/document.xml" in names else
            "a PowerPoint presentation" if "ppt/presentation.xml" in names else
            "an Apple Numbers file; export it from Numbers as .xlsx"
            if any(n.startswith("Index/") and n.endswith(".iwa") for n in names) else "")
    raise RegisterError(path, "not an Excel workbook (no xl/workbook.xml inside"
                              f"{': it is ' + what if what else ''})")


def _ole_kind(path: Path) -> str:
    # Encrypted .xlsx/.xlsm/.xlsb files are OLE containers holding an EncryptedPackage stream;
    # a legacy .xls keeps its cells in a Workbook (or, before Excel 97, Book) stream.
    streams = {name.casefold() for name in _ole_stream_names(path)}
    if "encryptedpackage" in streams:
        raise RegisterError(path, _PASSWORD)
    if streams & {"workbook", "book"}:
        return "xls"
    what = ("a legacy Word document (.doc)" if "worddocument" in streams else
            "a legacy PowerPoint presentation (.ppt)" if "powerpoint document" in streams else
            "an OLE compound file holding no workbook")
    raise RegisterError(path, f"not an Excel workbook (it is {what}; {_EXPECTED})")


def _ole_stream_names(path: Path) -> list[str]:
    """Names in a compound file's directory ([MS-CFB] 2.6), without reading its streams."""
    damaged = RegisterError(path, "the workbook is damaged or truncated (not a complete Excel "
                                  "file)")
    with _os_errors(path), path.open("rb") as handle:
        header = handle.read(512)
        shift = int.from_bytes(header[30:32], "little") if len(header) == 512 else 0
        if shift not in (9, 12):
            raise damaged
        size = 1 << shift

        def sector(number: int) -> bytes:
            handle.seek((number + 1) * size)
            data = handle.read(size)
            if len(data) < size:
                raise damaged
            return data

        fat_sectors = list(struct.unpack_from("<109I", header, 76))
        difat, extra = struct.unpack_from("<II", header, 68)
        for _ in range(min(extra, 10_000)):
            if difat >= 0xFFFFFFFA:
                break
            entries = struct.unpack(f"<{size // 4}I", sector(difat))
            fat_sectors.extend(entries[:-1])
            difat = entries[-1]
        return _directory_names(sector, fat_sectors, header, size, damaged)


def _directory_names(sector: Callable[[int], bytes], fat_sectors: list[int], header: bytes,
                     size: int, damaged: RegisterError) -> list[str]:
    per_sector = size // 4
    names: list[str] = []
    current = int.from_bytes(header[48:52], "little")
    for _ in range(100_000):  # a chain longer than this is a loop in a damaged file
        if current >= 0xFFFFFFFA:
            return names
        data = sector(current)
        for offset in range(0, size, 128):
            length, kind = struct.unpack_from("<HB", data, offset + 64)
            if kind in (1, 2, 5) and 2 <= length <= 64:
                names.append(data[offset:offset + length - 2].decode("utf-16-le", "replace"))
        index, slot = divmod(current, per_sector)
        if index >= len(fat_sectors) or fat_sectors[index] >= 0xFFFFFFFA:
            raise damaged
        current = int.from_bytes(sector(fat_sectors[index])[slot * 4:slot * 4 + 4], "little")
    raise damaged


def _text_kind(path: Path, head: bytes) -> str:
    named_csv = _EXTENSION_KIND.get(path.suffix.lower()) == "csv"
    if _looks_binary(head):
        if named_csv:
            raise RegisterError(path, "is not CSV text (it holds binary data): export the "
                                      "register again as .csv or .xlsx")
        raise RegisterError(path, f"not an Excel workbook (unrecognised content; {_EXPECTED})")
    if named_csv or _looks_delimited(_decode(head, final=False)):
        return "csv"
    raise RegisterError(path, "not an Excel workbook (it is plain text without comma-, "
                              f"semicolon- or tab-separated columns; {_EXPECTED})")


def _note(path: Path, kind: str) -> str | None:
    suffix = path.suffix.lower()
    if _EXTENSION_KIND.get(suffix) == kind:
        return None
    what = "a CSV text file" if kind == "csv" else f"an .{kind} workbook"
    named = f"named {path.suffix}" if path.suffix else "without a file extension"
    return f"{path.name} is {what} {named}; read as {'CSV' if kind == 'csv' else '.' + kind}"


# --- Workbooks through python-calamine ---------------------------------------------------

@contextmanager
def _calamine_errors(path: Path, what: str, panics: bool = False) -> Iterator[None]:
    """calamine's failures (several unrelated types, and pyo3's PanicException, which derives
    from BaseException) as one RegisterError line; `panics`: a panic raises _Panic, for a
    caller that can read the sheet another way."""
    try:
        with _panic_output_dropped():
            yield
    except (RegisterError, _Panic):
        raise
    except BaseException as exc:
        panicked = type(exc).__name__ == "PanicException"
        if not isinstance(exc, Exception) and not panicked:
            raise  # KeyboardInterrupt, SystemExit
        if panicked and panics:
            raise _Panic(_text(exc)) from None
        raise RegisterError(path, _calamine_problem(exc, what)) from None


# File descriptor 2 is process-wide: threads reading workbooks take turns redirecting it.
_STDERR_REDIRECT = threading.RLock()


@contextmanager
def _panic_output_dropped() -> Iterator[None]:
    """Rust's panic hook writes its message (with RUST_BACKTRACE set, a whole backtrace)
    straight to file descriptor 2 before pyo3 turns the panic into an exception: hold what
    is written there during the call, and drop it if the call panicked (the RegisterError
    says it in one line); anything else written meanwhile is passed on afterwards."""
    with _STDERR_REDIRECT:
        saved: int | None
        try:
            if sys.stderr is not None:
                sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError):  # no usable stderr (pythonw, a closed stream)
            saved = None
        if saved is None:
            yield
        else:
            with _restoring_stderr(saved):
                yield


@contextmanager
def _restoring_stderr(saved: int) -> Iterator[None]:
    panicked = False
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            yield
        except BaseException as exc:
            panicked = type(exc).__name__ == "PanicException"
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            output = held.read()
            if output and not panicked:
                os.write(2, output)


def _calamine_problem(exc: BaseException, what: str) -> str:
    text = _text(exc)
    if type(exc).__name__ == "PasswordError" or "password" in text.lower():
        return _PASSWORD
    if "entity" in text.lower():
        # Excel never writes DTD entities; their presence means a crafted (entity-bomb) file.
        return f"{what}: it contains XML entity declarations, which Excel never writes (refused)"
    if "cannot detect file format" in text.lower():
        return f"{what}: it is damaged or not a complete workbook"
    if type(exc).__name__ == "PanicException":
        return f"{what}: the reader failed on it ({text})"
    return f"{what}: {text}"


def _open_book(path: Path, kind: str) -> Any:
    from python_calamine import CalamineWorkbook

    with _calamine_errors(path, "cannot be read as a workbook"):
        if path.suffix[1:] in _CALAMINE_SUFFIXES[kind]:
            return CalamineWorkbook.from_path(str(path))
        try:
            with _os_errors(path), path.open("rb") as handle:  # calamine detects the content
                return CalamineWorkbook.from_filelike(handle)
        except Exception as exc:
            if "cannot detect file format" not in str(exc).lower():
                raise
            _open_as_kind(path, kind)  # raises the reason that content detection threw away
            raise


def _open_as_kind(path: Path, kind: str) -> None:
    """Open the file under a name with its kind's extension, so that calamine's parser for
    that kind opens it and says what is wrong (only after a failure: it may copy the file)."""
    from python_calamine import CalamineWorkbook

    with tempfile.TemporaryDirectory(prefix="pmo-xl-") as folder:
        alias = Path(folder) / f"register.{kind}"
        try:
            alias.symlink_to(path.resolve())
        except OSError:  # Windows without the symlink privilege
            with _os_errors(path):
                shutil.copyfile(path, alias)
        CalamineWorkbook.from_path(str(alias)).close()


class _ScansAhead:
    """`_scan_part` of worksheet parts, one after the other in a background thread: while
    calamine parses one sheet (it releases the GIL), the next sheets' scans cost no wall time.
    A part whose scan failed is scanned again by the caller, so its error is reported there."""

    def __init__(self, path: Path, parts: list[str]) -> None:
        self._path = path
        self._found: dict[str, _PartScan | None] = {}
        self._ready = {part: threading.Event() for part in parts}
        threading.Thread(target=self._run, args=(parts,), daemon=True).start()

    def _run(self, parts: list[str]) -> None:
        try:
            with zipfile.ZipFile(self._path) as archive:
                for part in parts:
                    try:
                        with archive.open(part) as stream:
                            self._found[part] = _scan_part(stream)
                    except Exception:  # noqa: BLE001 - the caller scans it again and says why
                        self._found[part] = None
                    self._ready[part].set()
        except Exception:  # noqa: BLE001 - likewise, for every part not scanned yet
            pass
        finally:
            for event in self._ready.values():
                event.set()

    def get(self, part: str) -> _PartScan | None:
        """The part's scan, waiting for it; None when not scanned (or it failed)."""
        ready = self._ready.get(part)
        if ready is not None:
            ready.wait()
        return self._found.get(part)

    def keep(self, part: str, scan: _PartScan) -> None:
        """A scan made elsewhere, for the part's next `get`."""
        self._found[part] = scan


# --- Row marks from the .xlsx package ------------------------------------------------------

_ATTRIBUTE = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b([^>]*)>")
_RELATIONSHIP_TAG = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)>")
_TABLE_TAG = re.compile(rb"<(?:\w+:)?table\b([^>]*)>")
_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b([^>]*)>")
_HIDDEN = re.compile(rb"""\shidden\s*=\s*["'](?:1|true)["']""")
_ROW_NUMBER = re.compile(rb"""\sr\s*=\s*["'](\d+)["']""")


def _attributes(tag: bytes) -> dict[str, str]:
    """A start tag's attributes by local name (r:id is "id"), XML-unescaped."""
    found = {}
    for match in _ATTRIBUTE.finditer(tag):
        value = match[2] if match[2] is not None else match[3]
        found[match[1].decode("ascii", "replace").rsplit(":", 1)[-1]] = html.unescape(
            value.decode("utf-8", "replace"))
    return found


def _relationships(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Id -> (type, target part) from a part's .rels, targets resolved to zip member names."""
    folder, name = posixpath.split(part)
    rels = _member(archive, posixpath.join(folder, "_rels", name + ".rels"))
    if rels is None:
        return {}
    found = {}
    for tag in _RELATIONSHIP_TAG.finditer(archive.read(rels)):
        attrs = _attributes(tag[1])
        target = attrs.get("Target", "")
        if attrs.get("TargetMode") == "External" or not target:
            continue
        resolved = (target.lstrip("/") if target.startswith("/") else
                    posixpath.normpath(posixpath.join(folder, target)))
        found[attrs.get("Id", "")] = (attrs.get("Type", ""), resolved)
    return found


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its worksheet part, from xl/workbook.xml and its relationships."""
    relationships = _relationships(archive, "xl/workbook.xml")
    parts = {}
    for tag in _SHEET_TAG.finditer(archive.read("xl/workbook.xml")):
        attrs = _attributes(tag[1])
        if "name" in attrs and attrs.get("id") in relationships:
            parts[attrs["name"]] = relationships[attrs["id"]][1]
    return parts


def _member(archive: zipfile.ZipFile, name: str | None) -> str | None:
    """The zip member of a part name; some writers differ from their targets in case."""
    if name is None:
        return None
    try:
        archive.getinfo(name)
        return name
    except KeyError:
        folded = name.casefold()
        return next((n for n in archive.namelist() if n.casefold() == folded), None)


@dataclass(frozen=True, slots=True)
class _PartScan:
    """What one pass over a worksheet part's bytes finds: how far its references reach, and
    its hidden rows (None when a hidden row tag has no number: they must be counted)."""

    reach: Extent
    hidden: frozenset[int] | None


def _scan_part(stream: IO[bytes]) -> _PartScan:
    """The part's reach and hidden rows in one pass: the bytes are inflated once."""
    hidden: set[int] = set()
    numbered = True

    def mark(piece: bytes) -> None:
        nonlocal numbered
        numbered = numbered and _hidden_in_piece(piece, hidden)

    reach = scan_extent(stream, mark)
    return _PartScan(reach, frozenset(hidden) if numbered else None)


def _hidden_in_piece(piece: bytes, hidden: set[int]) -> bool:
    """Add the piece's hidden rows to `hidden`; False when one has no number."""
    for tag in _hidden_row_tags(piece):
        if not _HIDDEN.search(tag[1]):
            continue
        number = _ROW_NUMBER.search(tag[1])
        if number is None:
            return False
        hidden.add(int(number[1]))
    return True


def _counted_hidden_rows(stream: IO[bytes]) -> frozenset[int]:
    """1-based rows whose <row> start tag says hidden="1", every row tag counted: a row tag
    without a number is the row after the previous one (the spec allows that)."""
    hidden: set[int] = set()
    last = 0
    for piece in pieces(stream):
        for tag in _ROW_TAG.finditer(piece):
            number = _ROW_NUMBER.search(tag[1])
            last = int(number[1]) if number else last + 1
            if _HIDDEN.search(tag[1]):
                hidden.add(last)
    return frozenset(hidden)


def _hidden_row_tags(piece: bytes) -> Iterator[re.Match[bytes]]:
    """The row start tags around each "hidden" in the piece: a literal search is ~20x faster
    than matching every tag, and most sheets hide few rows or none."""
    at = piece.find(b"hidden")
    while at != -1:
        start = piece.rfind(b"<", 0, at)
        tag = _ROW_TAG.match(piece, start) if start != -1 else None
        if tag is not None and tag.end() > at:
            yield tag
        at = piece.find(b"hidden", at + 6)


def _totals_rows(archive: zipfile.ZipFile, sheet_part: str) -> frozenset[int]:
    """1-based rows that are the totals row(s) of the sheet's Excel Tables."""
    rows: set[int] = set()
    for kind, table_part in _relationships(archive, sheet_part).values():
        member = _member(archive, table_part) if kind.endswith("/table") else None
        if member is None:
            continue
        with archive.open(member) as table:
            tag = _TABLE_TAG.search(table.read(_HEAD_BYTES))
        attrs = _attributes(tag[1]) if tag else {}
        count = int(attrs.get("totalsRowCount", "0") or 0)
        last = re.search(r"(\d+)$", attrs.get("ref", ""))
        if count > 0 and last:
            end = int(last[1])
            rows.update(range(end - count + 1, end + 1))
    return frozenset(rows)


# --- CSV -----------------------------------------------------------------------------------

_CANDIDATE_DELIMITERS = (",", ";", "\t")
_SEP_LINE = re.compile(r"sep=(.)\r?\n")  # Excel's hint line, e.g. "sep=;"
_SNIFF_RECORDS = 50
_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\f\x1a")


def _looks_binary(head: bytes) -> bool:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return b"\0" in head or controls > len(head) // 20


def _decode(data: bytes, final: bool = True) -> str:
    """UTF-16 with a BOM, else UTF-8 (BOM or not), else cp1252 (what Excel writes on
    Windows), else Latin-1. `final=False` tolerates a character cut at the end of a sample."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "strict" if final else "ignore")
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if not final and exc.start >= len(data) - 3:
            return data[:exc.start].decode("utf-8", "replace")
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:  # cp1252 leaves five bytes undefined; Latin-1 takes them all
        return data.decode("latin-1")


@contextmanager
def _any_field_size() -> Iterator[None]:
    """The csv module refuses a field over 128 KiB; a register's note may be longer, and the
    file's size already bounds it."""
    limit = csv.field_size_limit()
    csv.field_size_limit(2**31 - 1)
    try:
        yield
    finally:
        csv.field_size_limit(limit)


def _records(text: str, delimiter: str) -> Iterator[list[str]]:
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def _delimiter_scores(sample: str) -> dict[str, int]:
    """For each delimiter: how many of the first records share the most common width above
    1, i.e. how consistently it splits the sample into columns."""
    scores = {}
    for delimiter in _CANDIDATE_DELIMITERS:
        try:
            widths = [len(r) for _, r in zip(range(_SNIFF_RECORDS), _records(sample, delimiter),
                                              strict=False) if len(r) > 1]
        except csv.Error:
            widths = []
        scores[delimiter] = Counter(widths).most_common(1)[0][1] if widths else 0
    return scores


def _sniff(sample: str) -> str:
    scores = _delimiter_scores(sample)
    # On a tie the earlier delimiter wins. A European file with decimal commas still has more
    # rows of one width with ";": its header has no commas.
    return max(_CANDIDATE_DELIMITERS, key=scores.__getitem__)


def _looks_delimited(sample: str) -> bool:
    """Text under another extension is taken for CSV only if it really has columns: two
    records of one width (or a single line with a delimiter)."""
    best = max(_delimiter_scores(sample).values())
    one_line = len([line for line in sample.splitlines() if line.strip()]) <= 1
    return best >= (1 if one_line else 2)


def _csv_sheet(path: Path, data: bytes, name: str) -> SheetData:
    if _looks_binary(data[:_HEAD_BYTES]):
        raise RegisterError(path, "is not CSV text (it holds binary data): export the register "
                                  "again as .csv or .xlsx")
    try:
        text = _decode(data)
    except UnicodeDecodeError as exc:
        raise RegisterError(path, f"cannot be read as CSV text: {_text(exc)}") from None
    hint = _SEP_LINE.match(text)
    if hint:
        delimiter, text = hint[1], text[hint.end():]
    else:
        delimiter = _sniff(text[:_HEAD_BYTES])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        with _any_field_size():
            rows: list[list[Any]] = list(reader)
    except csv.Error as exc:
        raise RegisterError(path, f"cannot be read as CSV (line {reader.line_num}): "
                                  f"{_text(exc)}") from None
    width = max(map(len, rows), default=0)
    for row in rows:
        if len(row) < width:  # ragged rows: Excel shows the missing cells as blank
            row.extend([""] * (width - len(row)))
    return SheetData(name, rows)
