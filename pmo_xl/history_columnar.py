"""The history's columnar copies: each snapshot's sheet kept a second time, as one Arrow blob.

Python's sqlite3 builds one object per cell it fetches, so reading a year of weekly snapshots
of 10,000 projects back from the row tables (52 x 10k rows x ~60 fields, 31M cells) takes
12 s before anything is done with them. `History.record` therefore also keeps, in the same
transaction, every sheet of a snapshot as one Arrow IPC file compressed with lz4 (table
`columnar`, schema 3); export, load and trends read those instead: decompressing,
concatenating and writing them out as CSV or Parquet all happen in C. lz4 rather than zstd:
a 10k-project sheet decompresses in 6 ms instead of 14 ms, and the copy adds about 40% to a
snapshot's size on disk instead of 25%. The row tables stay as they are: they are the store's
contract with SQL tools and Power BI. A snapshot's copy is made from the typed columns it is
taken from (`typed_array`), in C; only object columns are looked at cell by cell.

Arrow keeps one type per column; a sheet one of whose columns mixes kinds (text and numbers,
whole numbers and fractions: only History sheets edited in Excel have them) gets no copy, so
that every cell comes back as recorded. Such a sheet, like every snapshot recorded before
schema 3, is read from its row table. Both sources meet in `TidyTable`, one snapshot a
`Chunk`, which gives the tidy table as plain values (as the row tables give them), as typed
columns (for Parquet: the Arrow table pandas would hand the writer, built without pandas) or
as CSV text that is, byte for byte, what pandas writes of the plain values: each cell
prepared so that Arrow's CSV writer (C++, which lets go of the GIL, so that snapshots are
written side by side) renders it as Python prints it, quoting done by hand only in the
snapshots whose text needs it.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from pandas.api.types import infer_dtype

CODEC = "lz4"
# The kinds a column of plain values may hold to be kept in Arrow, and their Arrow types.
_ARROW_TYPES = {"string": pa.string(), "integer": pa.int64(), "floating": pa.float64(),
                "boolean": pa.bool_(), "empty": pa.null()}
# A column of one snapshot: Arrow values, or plain Python values of mixed kinds (row table).
Piece = pa.Array | np.ndarray


# --- writing ----------------------------------------------------------------------------------

def arrow_column(values: np.ndarray) -> pa.Array | None:
    """Plain values (None for blanks) as an Arrow array of their one kind, or None when they
    mix kinds or do not fit one (an integer beyond 64 bits)."""
    kind = _ARROW_TYPES.get(infer_dtype(values, skipna=True))
    if kind is None:
        return None
    try:
        return pa.array(values, type=kind, from_pandas=True)  # NaN is blank, as in SQLite
    except (OverflowError, pa.ArrowException):
        return None


def typed_array(values: pd.Series) -> pa.Array | None:
    """A typed column (`metrics.json_ready`) as Arrow: what `arrow_column` makes of its plain
    values (as `metrics.plain_objects` gives them, and `plain_cells` gives them back), from
    its dtype and in C, without looking at each cell; None where the dtype does not say what
    the cells hold (object columns: their values are looked at)."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        if infer_dtype(dtype.categories, skipna=False) not in ("string", "empty"):
            return None
        return coded_texts(values.cat.codes.to_numpy(), dtype.categories.to_numpy(object))
    if isinstance(dtype, pd.StringDtype):
        array = pa.array(values, from_pandas=True)  # Arrow-backed text: its own array
        return pa.nulls(len(array)) if array.null_count == len(array) else array.cast(
            pa.string())
    if not (isinstance(values.array, _MASKED) or
            (isinstance(dtype, np.dtype) and dtype.kind in "biuf")):
        return None
    array = pa.array(values, from_pandas=True)  # NaN is blank, as in SQLite
    if array.null_count == len(array):  # blank throughout (or no rows): Arrow's null type
        array = pa.nulls(len(array))
    else:
        try:  # whole numbers beyond 64 bits, like mixed kinds, are not kept
            array = array.cast(_NUMBER_TYPES[array.type.id])
        except pa.ArrowException:
            return None
    return array


_MASKED = (pd.arrays.IntegerArray, pd.arrays.FloatingArray, pd.arrays.BooleanArray)
# The type `arrow_column` gives the plain values of numbers and flags, by their Arrow type.
_NUMBER_TYPES = {kind.id: target for kinds, target in (
    ((pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint16(), pa.uint32(),
      pa.uint64()), pa.int64()),
    ((pa.float16(), pa.float32(), pa.float64()), pa.float64()),
    ((pa.bool_(),), pa.bool_())) for kind in kinds}


def coded_texts(codes: np.ndarray, texts: np.ndarray) -> pa.Array:
    """Text cells given as codes into their distinct texts (-1: blank), as Arrow."""
    if not len(texts) or not (codes >= 0).any():
        return pa.nulls(len(codes))
    return pa.array(texts, pa.string()).take(pa.array(codes, mask=codes < 0))


def plain_cells(piece: Piece) -> np.ndarray:
    """A column recorded as Arrow (`typed_array`, `arrow_column`) as the plain values it
    holds, each distinct text one object (shared by its cells, as a register repeats its
    words)."""
    if isinstance(piece, pa.Array) and pa.types.is_string(piece.type):
        return _distinct_text(pa.chunked_array([piece]))
    return plain_values(piece)


def sheet_arrays(frame: pd.DataFrame) -> dict[str, pa.Array | None]:
    """A frame of plain values as Arrow, column by column (None: see `arrow_column`)."""
    return {name: arrow_column(frame[name].to_numpy(dtype=object)) for name in frame.columns}


def encode(names: Sequence[str], arrays: Mapping[str, pa.Array | None]) -> bytes | None:
    """A sheet's columns `names`, as Arrow (`sheet_arrays`, or a snapshot's own), as a
    compressed Arrow IPC file, or None when a column cannot be kept as recorded (see the
    module docstring)."""
    columns = [arrays[name] for name in names]
    if any(array is None for array in columns):
        return None
    table = pa.table(columns, names=[str(name) for name in names])
    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression=CODEC)
    with pa.ipc.new_file(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


# --- reading ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Chunk:
    """One snapshot's rows of a sheet: the as-of date and the columns it holds, by name."""

    as_of: str
    rows: int
    columns: Mapping[str, Piece]

    def piece(self, name: str) -> Piece:
        """A column of the snapshot; one the snapshot lacks is blank (as its NULLs are)."""
        if name == "as_of":
            return pa.repeat(pa.scalar(self.as_of, pa.string()), self.rows)
        found = self.columns.get(name)
        return pa.nulls(self.rows) if found is None else found


def chunk_of_blob(as_of: str, blob: bytes, names: Collection[str], flags: Collection[str]
                  ) -> Chunk:
    """A snapshot's columnar copy, only the named columns decompressed."""
    source = pa.py_buffer(blob)
    reader = pa.ipc.open_file(source)
    wanted = [i for i, name in enumerate(reader.schema.names) if name in names]
    if len(wanted) < len(reader.schema.names):
        options = pa.ipc.IpcReadOptions(included_fields=wanted)
        reader = pa.ipc.open_file(source, options=options)
    table = reader.read_all()
    columns = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        values = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
        columns[name] = _flag(values) if name in flags else values
    return Chunk(as_of, table.num_rows, columns)


def chunk_of_rows(as_of: str, frame: pd.DataFrame) -> Chunk:
    """A snapshot's rows from its row table (plain values, flags already True/False)."""
    columns: dict[str, Piece] = {}
    for name in frame.columns:
        if name != "as_of":
            values = frame[name].to_numpy(dtype=object)
            array = arrow_column(values)
            columns[name] = values if array is None else array
    return Chunk(as_of, len(frame), columns)


def _flag(values: pa.Array) -> pa.Array:
    """A column that holds flags, as the row table gives it back: 1 is True, 0 is False and
    anything else blank (a snapshot of the column that held numbers, not flags)."""
    if pa.types.is_boolean(values.type) or pa.types.is_null(values.type):
        return values
    if not (pa.types.is_integer(values.type) or pa.types.is_floating(values.type)):
        return pa.nulls(len(values), pa.bool_())
    return pc.if_else(pc.equal(values, 1), True,
                      pc.if_else(pc.equal(values, 0), False, pa.scalar(None, pa.bool_())))


class TidyTable:
    """A sheet over some snapshots: `as_of` first, then each named field, one chunk per
    snapshot in order."""

    def __init__(self, names: Sequence[str], chunks: Iterable[Chunk]) -> None:
        self.names = list(names)
        self.chunks = list(chunks)

    def __len__(self) -> int:
        return sum(chunk.rows for chunk in self.chunks)

    def plain(self) -> pd.DataFrame:
        """Plain Python values (text, int, float, bool; None for blanks), object columns."""
        if not self.chunks:
            return _empty(self.names)
        return pd.DataFrame({name: pd.Series(self.plain_column(name), dtype=object)
                             for name in self.names}, index=pd.RangeIndex(len(self)),
                            columns=self.names)

    def plain_column(self, name: str) -> np.ndarray:
        """A column over every snapshot as plain values (see `plain_values`)."""
        pieces = [chunk.piece(name) for chunk in self.chunks]
        kinds = {piece.type if isinstance(piece, pa.Array) else None for piece in pieces}
        kinds.discard(pa.null())
        if kinds == {pa.string()}:
            return _distinct_text(pa.chunked_array([_cast(p, pa.string()) for p in pieces]))
        pieces = [plain_values(piece) for piece in pieces]  # 5 stays 5 among fractions
        return np.concatenate(pieces) if pieces else np.empty(0, dtype=object)

    def typed(self) -> pd.DataFrame:
        """One type per column, as the Parquet export has always had them: numbers and
        flags keep theirs (whole numbers among fractions become fractions, whole numbers
        with blanks too), the rest is text ("True"/"False" for flags with blanks)."""
        if not self.chunks:
            return _empty(self.names)
        return pd.DataFrame({name: self._typed_column(name) for name in self.names},
                            index=pd.RangeIndex(len(self)), columns=self.names)

    def _typed_column(self, name: str) -> pd.Series:
        typed = self._typed_arrow(name)
        if typed is None:
            return self._inferred(name)
        column, text = typed
        return _text(column) if text else column.to_pandas()

    def arrow(self) -> pa.Table:
        """`typed()` as the Arrow table pandas hands the Parquet writer (pandas' metadata
        included, so that pandas reads the file back as `typed()`), built from the columns
        themselves: no frame of 30M cells in between."""
        if not self.chunks:
            return pa.Table.from_pandas(self.typed(), preserve_index=False)
        columns, dtypes = [], {}
        for name in self.names:
            typed = self._typed_arrow(name)
            if typed is None:
                inferred = self._inferred(name)
                column = pa.Table.from_pandas(inferred.to_frame(name),
                                              preserve_index=False).column(0)
                dtypes[name] = inferred.dtype
            else:
                column, text = typed
                dtypes[name] = _TEXT if text else column.slice(0, 0).to_pandas().dtype
            columns.append(column)
        # pandas' metadata as pandas writes it: that of an empty frame of the same dtypes.
        empty = pd.DataFrame({name: pd.Series([], dtype=dtype) for name, dtype in dtypes.items()})
        schema = pa.Schema.from_pandas(empty, preserve_index=False)
        return pa.Table.from_arrays(columns, schema=schema)

    def write_parquet(self, sink: pa.NativeFile) -> None:
        """`arrow()` as Parquet, as pandas' `to_parquet` writes it (pyarrow's defaults:
        snappy, dictionary pages), but with statistics (min, max, nulls) only of the columns
        a reader selects rows by: numbers, flags, the as-of date and the IDs (`*_id`). The
        min and max of the other text serve no query and cost a fifth of the writing (0.3 s
        at 52 weeks of 10k projects)."""
        import pyarrow.parquet as pq  # only the Parquet export needs it

        table = self.arrow()
        keyed = [name for name, kind in zip(table.column_names, table.schema.types, strict=True)
                 if not pa.types.is_large_string(kind) or name == "as_of" or name.endswith("_id")]
        pq.write_table(table, sink, write_statistics=keyed)

    def _typed_arrow(self, name: str) -> tuple[pa.ChunkedArray, bool] | None:
        """A column in the type pandas gives it on its way to Parquet (text as large_string,
        whole numbers with blanks as floats) and whether it is text pandas holds as
        "string" (flags with blanks, blanks throughout) rather than "str"; None when the
        snapshots' kinds there do not meet in one type (`_inferred` then)."""
        pieces = [chunk.piece(name) for chunk in self.chunks]
        if not all(isinstance(piece, pa.Array) for piece in pieces):
            return None
        kinds = {piece.type for piece in pieces} - {pa.null()}
        if kinds == {pa.int64(), pa.float64()}:
            kinds = {pa.float64()}
        if len(kinds) > 1:
            return None
        kind = kinds.pop() if kinds else pa.null()
        column = pa.chunked_array([_cast(piece, kind) for piece in pieces], kind)
        if pa.types.is_null(kind):  # blank throughout: text
            return pa.chunked_array([pa.nulls(len(column), pa.large_string())]), True
        if pa.types.is_boolean(kind) and column.null_count:
            return _cast(pc.if_else(column, "True", "False"), pa.large_string()), True
        if pa.types.is_string(kind):
            return _cast(column, pa.large_string()), False
        if pa.types.is_integer(kind) and column.null_count:
            return _cast(column, pa.float64()), False  # as pandas has them: NaN for blanks
        return column, False

    def _inferred(self, name: str) -> pd.Series:
        """What pandas infers of the plain values; objects of mixed kinds are text."""
        inferred = pd.Series(self.plain_column(name), dtype=object).infer_objects()
        return inferred.astype("string") if inferred.dtype == object else inferred

    def csv(self) -> bytes:
        """The table as CSV, UTF-8 (see `write_csv`)."""
        sink = pa.BufferOutputStream()
        self.write_csv(sink)
        return sink.getvalue().to_pybytes()

    def write_csv(self, sink: pa.NativeFile) -> None:
        """The table as CSV, UTF-8: what pandas' `to_csv(index=False)` writes of `plain()`
        (blanks empty, flags True/False, numbers as Python prints them, text quoted only when
        it holds a comma, a quote or a line break), written a snapshot at a time by Arrow's
        CSV writer, in C++."""
        header = io.StringIO()
        csv.writer(header, lineterminator="\n").writerow(self.names)
        sink.write(header.getvalue().encode("utf-8"))
        # Arrow lets go of the GIL: columns are prepared, then snapshots written, side by
        # side (in order).
        with ThreadPoolExecutor(CSV_THREADS) as pool:
            columns = list(pool.map(self._csv_cells, self.names))
            snapshots = [[column[at] for column in columns]
                         for at, chunk in enumerate(self.chunks) if chunk.rows]
            for rows in pool.map(_rows, snapshots):
                sink.write(rows)

    def _csv_cells(self, name: str) -> list[pa.Array]:
        """A column's cells, one array per snapshot, of a type Arrow's CSV writer renders as
        pandas does (text as it is, unquoted: `_rows` quotes). Floats and flags are formatted
        over every snapshot at once when the snapshots hold that kind alone there (each
        distinct number once; one call, not 52)."""
        pieces = [chunk.piece(name) for chunk in self.chunks]
        kinds = {piece.type if isinstance(piece, pa.Array) else None for piece in pieces}
        kinds.discard(pa.null())
        if kinds in ({pa.float64()}, {pa.bool_()}):
            kind = kinds.pop()
            texts = csv_cells(pa.concat_arrays([_cast(piece, kind) for piece in pieces]))
            starts = np.cumsum([0] + [len(piece) for piece in pieces[:-1]])
            return [texts.slice(start, len(piece))
                    for start, piece in zip(starts, pieces, strict=True)]
        return [csv_cells(piece) for piece in pieces]


# Arrow writes text unquoted and refuses (ArrowInvalid) a cell that holds a comma, a quote or
# a line break: those snapshots go the slower way, `_quoting_rows`.
_PLAIN = pacsv.WriteOptions(include_header=False, quoting_style="none")
CSV_THREADS = min(4, os.cpu_count() or 1)


def _unnamed_table(cells: Sequence[pa.Array]) -> pa.Table:
    """Columns for Arrow's CSV writer, which wants names (the header is not written)."""
    return pa.Table.from_arrays(list(cells), names=[str(i) for i in range(len(cells))])


def _rows(cells: Sequence[pa.Array]) -> pa.Buffer | memoryview:
    """A snapshot's rows of CSV cells (see `TidyTable._csv_cells`) as CSV text."""
    sink = pa.BufferOutputStream()
    table = _unnamed_table(cells)
    # One batch for the snapshot: a quarter less CPU than Arrow's 1,024 rows a batch.
    options = pacsv.WriteOptions(include_header=False, quoting_style="none",
                                 batch_size=max(table.num_rows, 1))
    try:
        pacsv.write_csv(table, sink, options)
    except pa.ArrowInvalid:
        return _quoting_rows(cells)
    return sink.getvalue()


def _quoting_rows(cells: Sequence[pa.Array]) -> memoryview:
    """Rows some of whose text cells hold a comma, a quote or a line break (pandas quotes
    those), or a carriage return (which pandas writes as it is): such columns are joined in
    cell by cell, the runs of columns between them written by Arrow."""
    parts: list[pa.Array] = []
    run: list[pa.Array] = []
    for cell in cells:
        if pa.types.is_string(cell.type) and _holds(cell, b",", b'"', b"\n", b"\r"):
            if run:
                parts.append(_plain_lines(run))
                run = []
            parts.append(pc.fill_null(_quoted(cell), ""))
        else:
            run.append(cell)
    if run:
        parts.append(_plain_lines(run))
    return _lines(parts)


def _plain_lines(cells: Sequence[pa.Array]) -> pa.Array:
    """Rows of cells no one of which needs quoting, as text, one per row (no line end)."""
    sink = pa.BufferOutputStream()
    table = _unnamed_table(cells)
    pacsv.write_csv(table, sink, _PLAIN)
    data = sink.getvalue()
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord("\n"))
    offsets = np.concatenate([[0], ends + 1]).astype(np.int32)
    lines = pa.StringArray.from_buffers(len(ends), pa.py_buffer(offsets), data)
    return pc.utf8_slice_codeunits(lines, 0, -1)  # each line's "\n" off


def _lines(cells: Sequence[pa.Array]) -> memoryview:
    """Rows of CSV cells (no nulls) joined into lines: the bytes of the text buffer, not a
    copy."""
    last = pc.binary_join_element_wise(cells[-1], "\n", "")
    lines = pc.binary_join_element_wise(*cells[:-1], last, ",")
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)
    start, stop = offsets[lines.offset], offsets[lines.offset + len(lines)]
    return memoryview(lines.buffers()[2])[start:stop]


def _cast(values: pa.Array | pa.ChunkedArray, kind: pa.DataType
          ) -> pa.Array | pa.ChunkedArray:
    """Values in the type, as pandas converts them: a whole number beyond 2**53 among
    fractions rounds to the nearest float rather than failing. No call for values already
    of the type (20 columns of 52 snapshots: a thousand calls)."""
    return values if values.type == kind else values.cast(kind, safe=False)


def _empty(names: Sequence[str]) -> pd.DataFrame:
    """No snapshot: empty columns as pandas makes them (the export of a sheet the store
    does not hold has always been so)."""
    return pd.DataFrame({name: [] for name in names})


_TEXT = pd.StringDtype("pyarrow")  # what `astype("string")` gives


def _text(values: pa.Array | pa.ChunkedArray) -> pd.Series:
    """Text as pandas' "string" type holds it."""
    return pd.Series(pd.array(values, dtype=_TEXT))


def _distinct_text(column: pa.ChunkedArray) -> np.ndarray:
    """Text as Python strings, one object per distinct text (cells of the same text share
    it): over weeks of snapshots most texts repeat, and making a string object costs more
    than finding it again (numbers are made faster than they are found)."""
    if len(column) == 0:
        return np.empty(0, dtype=object)
    encoded = pc.dictionary_encode(column)
    if len({chunk.dictionary.buffers()[-1].address for chunk in encoded.chunks}) > 1:
        encoded = encoded.unify_dictionaries()  # Arrow 26 shares one: this is in case
    distinct = encoded.chunk(0).dictionary
    objects = np.append(distinct.to_numpy(zero_copy_only=False), None)  # a blank: None
    indices = pc.fill_null(pa.chunked_array([chunk.indices for chunk in encoded.chunks]),
                           len(distinct))
    return objects[indices.to_numpy()]


def plain_values(piece: Piece) -> np.ndarray:
    """A column as plain Python values, None for blanks."""
    if isinstance(piece, np.ndarray):
        return piece
    if pa.types.is_null(piece.type):
        return np.full(len(piece), None, dtype=object)
    if pa.types.is_string(piece.type):
        return piece.to_numpy(zero_copy_only=False)
    zero = pa.scalar(False if pa.types.is_boolean(piece.type) else 0, piece.type)
    # numpy's object conversion gives Python ints, floats and bools, not numpy scalars.
    values = piece.fill_null(zero).to_numpy(zero_copy_only=False).astype(object)
    if piece.null_count:
        values[piece.is_null().to_numpy(zero_copy_only=False)] = None
    return values


# --- CSV text ---------------------------------------------------------------------------------

def csv_cells(piece: Piece) -> pa.Array:
    """A column of one snapshot as cells Arrow's CSV writer renders as pandas writes them
    (blanks null): text and whole numbers as they are (Arrow writes an int64 as Python
    does), flags as True/False, floats as Python's repr, other values as `str` gives them."""
    if isinstance(piece, np.ndarray):
        return pa.array([None if value is None else str(value) for value in piece],
                        pa.string())
    if pa.types.is_boolean(piece.type):
        return pc.if_else(piece, "True", "False")
    if pa.types.is_floating(piece.type):
        return float_cells(piece)
    return piece


def float_cells(numbers: pa.Array) -> pa.Array:
    """Floats as Python's repr writes them, each distinct number written once (over weeks of
    snapshots budgets, costs and ratios repeat: at 52 weeks of 10k projects, 3,000 distinct
    budgets in 520,000): a dictionary of texts, which Arrow's CSV writer decodes."""
    distinct = pc.dictionary_encode(numbers)
    return pa.DictionaryArray.from_arrays(distinct.indices, float_texts(distinct.dictionary))


def _quoted(texts: pa.Array) -> pa.Array:
    """Text quoted as csv.QUOTE_MINIMAL does, with pandas' line terminator ("\\n")."""
    if not _holds(texts, b",", b'"', b"\n"):
        return texts  # most columns (IDs, dates, labels): no cell to quote
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(texts, '"', '""'), '"', "")
    return pc.if_else(pc.match_substring_regex(texts, '[,"\n]'), quoted, texts)


def _holds(texts: pa.Array, *marks: bytes) -> bool:
    """Whether any cell may hold one of the marks: one scan of the whole text buffer (bytes
    that no cell of a slice uses can only send a column the slower, still exact, way)."""
    data = texts.buffers()[2]
    block = b"" if data is None else data.to_pybytes()
    return any(mark in block for mark in marks)


def float_texts(values: pa.Array) -> pa.Array:
    """Floats as Python's repr writes them. Arrow and Python both write the shortest digits
    that read back as the same float; they differ in form only: Python adds ".0" to a whole
    number and uses an exponent below 1e-4 and from 1e16 on, Arrow from some number of
    digits on. Those last (rare in a register) are written by Python itself."""
    texts = pc.cast(values, pa.string())
    numbers = values.to_numpy(zero_copy_only=False)  # NaN for blanks: no check holds
    with np.errstate(invalid="ignore"):
        size = np.abs(numbers)
        whole = (numbers == np.floor(numbers)) & (size < 1e16)
        odd = (size >= 1e16) | ((size < 1e-4) & (numbers != 0))
    if _holds(texts, b"e"):
        odd |= pc.fill_null(pc.match_substring(texts, "e"), False).to_numpy(
            zero_copy_only=False)
    if whole.any():
        texts = pc.if_else(whole & ~odd, pc.binary_join_element_wise(texts, ".0", ""), texts)
    if not odd.any():
        return texts
    at = np.flatnonzero(odd)
    written = pa.array([repr(float(numbers[i])) for i in at], pa.string())
    return pc.replace_with_mask(texts, pa.array(odd), written)
