"""How far an .xlsx sheet really reaches, and rewrites of its package that calamine can read.

python-calamine lays out every cell of a sheet's used range in memory before Python sees any
of it: one value on XFD1048576 costs 17 billion cells (it aborts the process), one on row
1,048,576 of a 23-column register 24 million. `scan_extent` finds the reach of a worksheet
part cheaply (numpy over the XML's bytes, a piece at a time): an upper bound from every cell
and row reference; only when that bound is beyond the limit does `value_extent` walk the
tags to find the cells that hold values (blank formatted cells cost calamine nothing).

A sheet whose values are few but far apart is read *compacted*: `compact_rows` renumbers its
rows that hold values 1, 2, 3 ... in a copy of the package (`repackaged`), which calamine
reads at the cost of those rows; the caller puts each row back where it was. The same
repackaging without date formats (`without_date_formats`) lets calamine read a sheet whose
date cell holds a number no calendar has (-1E+308), which makes it panic.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import IO

import numpy as np

_CHUNK = 4 * 1024 * 1024
_R, _EQ, _QUOTE, _A, _Z, _ZERO, _NINE = (ord(c) for c in 'r="AZ09')
MAX_REF_DIGITS = 7  # row 1,048,576
_HIGH = np.uint64(0x8080808080808080)
_LOW7 = np.uint64(0x7F7F7F7F7F7F7F7F)


@dataclass(frozen=True)
class Extent:
    """The last row and column (1-based) a sheet's references reach; `rows`: the rows that
    hold values, in order (known only from `value_extent`)."""

    last_row: int
    last_column: int
    rows: tuple[int, ...] = ()
    far_cell: str = ""  # a value cell that reaches furthest, e.g. "XFD1048576"

    @property
    def cells(self) -> int:
        return self.last_row * self.last_column


def pieces(stream: IO[bytes]) -> Iterable[bytes]:
    """The stream in large pieces, each ending just after a '>', so no tag spans two."""
    carry = b""
    while chunk := stream.read(_CHUNK):
        data = carry + chunk
        cut = data.rfind(b">") + 1
        yield data[:cut]
        carry = data[cut:]
    if carry:
        yield carry


def scan_extent(stream: IO[bytes], also: Callable[[bytes], None] | None = None) -> Extent:
    """An upper bound of how far the sheet reaches: the largest row and column of any
    reference r="..." (cells and rows, blank or not). `also` sees each piece of the bytes,
    for a caller that looks for something else in the same pass."""
    last_row = last_column = 0
    for piece in pieces(stream):
        if also is not None:
            also(piece)
        row, column = _piece_reach(piece)
        last_row, last_column = max(last_row, row), max(last_column, column)
    return Extent(last_row, last_column)


def _spread(byte: int) -> np.uint64:
    return np.uint64(int.from_bytes(bytes([byte]) * 8, "big"))


def _words_at(a: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The 8 bytes from each offset as a big-endian number (so that comparing two compares
    their bytes as text); past the end of the piece its last byte repeats."""
    n = len(a)
    whole = np.ndarray((n - 7,), ">u8", a, 0, (1,))  # unaligned views of the same bytes
    near = at > n - 8
    if not near.any():
        return whole[at].astype(np.uint64)
    tail = np.concatenate([a[n - 8:], np.full(16, a[-1], np.uint8)])
    words = np.empty(len(at), np.uint64)
    words[~near] = whole[at[~near]]
    words[near] = np.ndarray((17,), ">u8", tail, 0, (1,))[at[near] - (n - 8)]
    return words


def _leading(words: np.ndarray, low: int, high: int) -> np.ndarray:
    """How many of each word's bytes, from the first, lie in low..high: eight bytes
    compared at once (each byte's high bit says; no borrow crosses a byte)."""
    at_least = ((words | _HIGH) - _spread(low)) & _HIGH
    at_most = ((_spread(high) | _HIGH) - (words & _LOW7)) & _HIGH
    outside = ~(at_least & at_most & ~words) & _HIGH  # the high bit of each byte outside
    count = np.full(len(words), 8, np.int64)
    some = outside != 0
    # The first byte outside holds the highest set bit; float64 keeps its position exactly.
    top = np.floor(np.log2(outside[some].astype(np.float64))).astype(np.int64)
    count[some] = (63 - top) // 8
    return count


def _largest(words: np.ndarray, width: np.ndarray) -> bytes:
    """The greatest of the words' first `width` bytes, among those of the greatest width."""
    most = int(width.max())
    if most == 0:
        return b""
    top = (words[width == most] >> np.uint64(8 * (8 - most))).max()
    return int(top).to_bytes(most, "big")


def _piece_reach(piece: bytes) -> tuple[int, int]:
    a = np.frombuffer(piece, np.uint8)
    n = len(a)
    if n < 8:
        return 0, 0
    # Each ' r="': the r's (one compare over the piece), then the few bytes around them.
    r = np.flatnonzero(a[1:n - 2] == _R) + 1
    before = a[r - 1]
    r = r[(a[r + 1] == _EQ) & (a[r + 2] == _QUOTE) & (
        (before == 32) | (before == 9) | (before == 10) | (before == 13))]
    if not len(r):
        return 0, 0
    first = _words_at(a, r + 3)  # each reference: its letters, then its digits
    letters = np.minimum(_leading(first, _A, _Z), 3)
    second = _words_at(a, r + 3 + letters)
    digits = _leading(second, _ZERO, _NINE)
    if (digits > MAX_REF_DIGITS).any():  # longer than Excel's: damaged, reaching the end
        return 1 << 40, _column_number(_largest(first, letters))
    zeros = np.minimum(_leading(second, _ZERO, _ZERO), digits)
    if zeros.any():  # not Excel's: compare the digits after them
        second, digits = _words_at(a, r + 3 + letters + zeros), digits - zeros
    return int(_largest(second, digits) or b"0"), _column_number(_largest(first, letters))


_TAG = re.compile(rb"<(?:\w+:)?(row|c)\b([^>]*?)(/?)>")
_REF = re.compile(rb"""\sr\s*=\s*["']([A-Z]*)(\d*)["']""")


def value_extent(stream: IO[bytes]) -> Extent:
    """How far the cells that hold values reach, tag by tag (a cell or row without a
    reference follows the previous one, as Excel reads it)."""
    rows: set[int] = set()
    last_column, far = 0, (0, 0)
    row = column = 0
    for piece in pieces(stream):
        for tag in _TAG.finditer(piece):
            ref = _REF.search(tag[2])
            if tag[1] == b"row":
                row = int(ref[2]) if ref and ref[2] else row + 1
                column = 0
                continue
            column = _column_number(ref[1]) if ref and ref[1] else column + 1
            if ref and ref[2]:
                row = int(ref[2])
            if tag[3]:  # <c .../>: formatted but blank
                continue
            rows.add(row)
            last_column = max(last_column, column)
            far = max(far, (row, column), key=lambda p: p[0] * 16384 + p[1])
    ordered = tuple(sorted(rows))
    return Extent(ordered[-1] if ordered else 0, last_column, ordered, cell_name(*far))


def _column_number(letters: bytes) -> int:
    number = 0
    for char in letters:
        number = number * 26 + char - _A + 1
    return number


def cell_name(row: int, column: int) -> str:
    letters = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return f"{letters}{row}" if row else ""


# --- Rewriting a package for calamine ------------------------------------------------------

_ROW_ELEMENT = re.compile(rb"<(?:\w+:)?row\b[^>]*?(?:/>|>.*?</(?:\w+:)?row>)", re.DOTALL)
_ROW_REF = re.compile(rb"""(<(?:\w+:)?row\b[^>]*?\sr\s*=\s*["'])(\d+)""")
_CELL_REF = re.compile(rb"""(<(?:\w+:)?c\b[^>]*?\sr\s*=\s*["'][A-Z]+)(\d+)""")
_DROPPED = re.compile(rb"<(?:\w+:)?(dimension|mergeCells|conditionalFormatting|"
                      rb"dataValidations|hyperlinks)\b.*?(?:/>|</(?:\w+:)?\1>)", re.DOTALL)
_MERGE = re.compile(rb"""<(?:\w+:)?mergeCell\b[^>]*?ref\s*=\s*["']([A-Z]+)(\d+):([A-Z]+)(\d+)""")


def compact_rows(sheet_xml: bytes, rows: tuple[int, ...]) -> bytes:
    """The sheet with its rows that hold values numbered 1, 2, 3 ... (in `rows` order) and
    every other row left out; ranges that would name the old rows are left out too."""
    number = {row: i for i, row in enumerate(rows, start=1)}
    current = 0

    def row_element(match: re.Match[bytes]) -> bytes:
        nonlocal current
        element = match[0]
        ref = _ROW_REF.match(element)
        current = int(ref[2]) if ref else current + 1
        new = number.get(current)
        if new is None:
            return b""
        element = _ROW_REF.sub(lambda m: m[1] + str(new).encode(), element, count=1)
        return _CELL_REF.sub(lambda m: m[1] + str(new).encode(), element)

    return _ROW_ELEMENT.sub(row_element, _DROPPED.sub(b"", sheet_xml))


def merged_ranges(stream: IO[bytes]) -> tuple[tuple[int, int, int, int], ...]:
    """The sheet's merged ranges, 0-based inclusive (first_row, first_col, last_row,
    last_col), as calamine gives them."""
    found = []
    for piece in pieces(stream):
        for m in _MERGE.finditer(piece):
            found.append((int(m[2]) - 1, _column_number(m[1]) - 1, int(m[4]) - 1,
                          _column_number(m[3]) - 1))
    return tuple(found)


_NUMBER_FORMATS = re.compile(rb"<(?:\w+:)?numFmts\b.*?</(?:\w+:)?numFmts>", re.DOTALL)
_FORMAT_ID = re.compile(rb"""numFmtId\s*=\s*["']\d+["']""")


def without_date_formats(styles_xml: bytes) -> bytes:
    """The styles with every number format General: calamine then reads date cells as the
    numbers they hold (which `pmo_xl.dates` reads as Excel dates when they can be)."""
    return _FORMAT_ID.sub(b'numFmtId="0"', _NUMBER_FORMATS.sub(b"", styles_xml))


# Parts calamine never reads for cell values: left out of a repackaged copy.
_UNREAD = re.compile(r"^xl/(media|embeddings|printerSettings|drawings|charts|pivotCache|"
                     r"externalLinks)/|^xl/vbaProject\.bin$|^docProps/", re.IGNORECASE)
_EMPTY_SHEET = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns='
                b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/>'
                b"</worksheet>")


def repackaged(archive: zipfile.ZipFile, sheet_part: str,
               changes: dict[str, Callable[[bytes], bytes]]) -> io.BytesIO:
    """A copy of the package that keeps `sheet_part` (other worksheets empty, images and
    macros left out), with `changes` applied to the named parts."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as copy:
        for info in archive.infolist():
            name = info.filename
            if _UNREAD.match(name):
                continue
            if (name.startswith("xl/worksheets/") and name.endswith(".xml")
                    and name != sheet_part):
                copy.writestr(name, _EMPTY_SHEET)
                continue
            data = archive.read(info)
            if name in changes:
                data = changes[name](data)
            copy.writestr(name, data)
    out.seek(0)
    return out


# --- OpenDocument ------------------------------------------------------------------------------

_ODS_TAG = re.compile(rb"<(/?)table:(table|table-row|table-cell|covered-table-cell)"
                      rb"(?=[\s/>])([^>]*?)(/?)>")
_ODS_NAME = re.compile(rb"""table:name\s*=\s*["']([^"']*)["']""")
_ODS_ROWS = re.compile(rb"""number-rows-repeated\s*=\s*["'](\d+)["']""")
_ODS_COLUMNS = re.compile(rb"""number-columns-repeated\s*=\s*["'](\d+)["']""")
_ODS_VALUE = re.compile(rb"office:value-type\s*=")


def ods_extents(stream: IO[bytes]) -> dict[str, Extent]:
    """How far each table of an .ods content.xml reaches with cells that hold values, with
    repeated rows and columns counted as calamine lays them out (one row holding a value,
    repeated a million times, is a million rows)."""
    found: dict[str, Extent] = {}
    name, row, repeat, column = "", 0, 0, 0
    last_row = last_column = 0
    for piece in pieces(stream):
        for closing, kind, attributes, empty in _ODS_TAG.findall(piece):
            if kind == b"table":
                if closing or empty:
                    found[name] = Extent(last_row, last_column,
                                         far_cell=cell_name(last_row, last_column))
                    continue
                match = _ODS_NAME.search(attributes)
                name = match[1].decode("utf-8", "replace") if match else ""
                row, repeat, last_row, last_column = 0, 0, 0, 0
            elif kind == b"table-row" and not closing:
                row += repeat  # the previous row's repeats
                repeat, column = _repeats(_ODS_ROWS, attributes), 0
            elif kind != b"table-row" and not closing:
                count = _repeats(_ODS_COLUMNS, attributes)
                if _ODS_VALUE.search(attributes) or (kind == b"table-cell" and not empty):
                    last_row = max(last_row, row + repeat)
                    last_column = max(last_column, column + count)
                column += count
    return found


def _repeats(pattern: re.Pattern[bytes], attributes: bytes) -> int:
    match = pattern.search(attributes)
    return int(match[1]) if match and len(match[1]) < 12 else 1 if not match else 1 << 40


# --- Excel binary (.xlsb) ----------------------------------------------------------------------

_XLSB_ROW = 0  # BrtRowHdr: the row (0-based uint32) of the cells that follow
_XLSB_VALUE_CELLS = {*range(2, 12), *range(13, 19)}  # cells with values (1, 12: blank)
_XLSB_SHEET = 156  # BrtBundleSh, in xl/workbook.bin: a sheet's relationship id and name


def xlsb_records(data: bytes) -> Iterator[tuple[int, int, int]]:
    """(record type, start of its data, its size) of every record of a binary part."""
    i, end = 0, len(data)
    while i < end:
        kind = data[i]
        i += 1
        if kind & 0x80 and i < end:
            kind = (kind & 0x7F) | ((data[i] & 0x7F) << 7)
            i += 1
        size = shift = 0
        for _ in range(4):
            if i >= end:
                return
            byte = data[i]
            i += 1
            size |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        yield kind, i, size
        i += size


def xlsb_sheets(workbook: bytes) -> dict[str, str]:
    """Sheet name -> relationship id, from xl/workbook.bin."""
    found = {}
    for kind, start, size in xlsb_records(workbook):
        if kind != _XLSB_SHEET or size < 12:
            continue
        record = workbook[start:start + size]
        relid, offset = _wide_string(record, 8)
        name, _ = _wide_string(record, offset)
        found[name] = relid
    return found


def _wide_string(record: bytes, offset: int) -> tuple[str, int]:
    (count,) = struct.unpack_from("<I", record, offset) if offset + 4 <= len(record) else (0,)
    if count == 0xFFFFFFFF:  # a null string
        return "", offset + 4
    end = offset + 4 + 2 * count
    return record[offset + 4:end].decode("utf-16-le", "replace"), end


def xlsb_extent(sheet: bytes) -> Extent:
    """How far a binary sheet's cells with values reach."""
    row = last_row = last_column = 0
    for kind, start, size in xlsb_records(sheet):
        if size < 4:
            continue
        if kind == _XLSB_ROW:
            (row,) = struct.unpack_from("<I", sheet, start)
        elif kind in _XLSB_VALUE_CELLS:
            (column,) = struct.unpack_from("<I", sheet, start)
            last_row, last_column = max(last_row, row + 1), max(last_column, column + 1)
    return Extent(last_row, last_column, far_cell=cell_name(last_row, last_column))
