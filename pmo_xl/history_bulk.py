"""Bulk loading of a snapshot's row tables: its Arrow columns into SQLite without a Python
object per cell.

The sqlite3 module binds every cell of an INSERT from a Python object, and at 10k projects
with a RAID log a snapshot has ~4M cells: binding them was most of a snapshot's cost, while
SQLite itself copies the same rows from one table into another in a thirtieth of the time.
So a large snapshot's rows are written first into staging files in a temporary folder by
ADBC's SQLite driver (`adbc-driver-sqlite`), which binds them in C from the Arrow buffers
and lets go of the GIL, two threads at once; the store's own transaction (the standard
library's sqlite3, as every other write) then attaches the files and copies the rows in
with `INSERT ... SELECT`, which SQLite runs in C.

The driver carries its own copy of SQLite. Two copies in one process must never have the
same file open (each would drop the other's POSIX locks: sqlite.org/howtocorrupt.html,
2.2.1), so the driver only ever opens staging files, and closes each before the store
attaches it. The store's atomicity is its transaction's, as before: a staging file is a
scratch copy, written before the store is touched and deleted after (by the next staged
snapshot, hours later, when a kill -9 left it).

Without the driver, for small snapshots (where setting up costs more than it saves), for a
sheet whose column mixes kinds, and when staging fails (the temporary folder full or not
writable), rows are bound by the sqlite3 module as before, with the same stored cells.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

try:
    from adbc_driver_sqlite import dbapi as _adbc
except ImportError:  # pmo-xl works without it: rows are bound by the sqlite3 module
    _adbc = None

# Below this many cells the sqlite3 module's binding takes no longer than setting up the
# staging (a folder, two threads, two files; ~10 ms): on two cores, a snapshot of 42k cells
# was recorded in 64 ms staged against 52 ms bound, one of 127k in 65 against 77 ms.
STAGE_FROM_CELLS = 100_000
WORKERS = 2  # two staging files, one per thread: on two cores, half the time
STAGING_PREFIX = "pmo-xl-snapshot-"  # a staging folder's name in the temporary folder
STALE_AFTER_S = 6 * 3600
# The Arrow types the driver binds as the sqlite3 module would bind the same plain values.
_TYPES = (pa.types.is_int64, pa.types.is_float64, pa.types.is_string,
          pa.types.is_large_string, pa.types.is_null)
_FAILURES: tuple[type[BaseException], ...] = (OSError, sqlite3.Error) + (
    (_adbc.Error,) if _adbc is not None else ())


@dataclass(frozen=True)
class _Piece:
    """Consecutive rows of a sheet, as staging table `t<index>` of a worker's file."""

    sheet: str
    index: int
    table: pa.Table


def layout(names: list[str], arrays: Mapping[str, pa.Array | None], day: str, rows: int
           ) -> dict[str, pa.Array] | None:
    """A sheet's row table's columns as staged: `names` (the table's, as_of first, then its
    other columns and the sheet's new ones), each as the driver is to bind it (the as-of
    date in every row, flags as 1 and 0, NULL where the sheet has nothing); None when a
    column is not Arrow (it mixes kinds) or of a type not staged."""
    columns = {}
    for name in names:
        array = arrays.get(name, pa.nulls(rows)) if name != "as_of" else pa.repeat(day, rows)
        if array is None:
            return None
        if pa.types.is_boolean(array.type):
            array = array.cast(pa.int64())
        elif pa.types.is_dictionary(array.type):
            array = array.dictionary_decode()
        if not any(kind(array.type) for kind in _TYPES):
            return None
        columns[name] = array
    return columns


class Staging:
    """Sheets' rows being written into staging files by worker threads. `copy_into` waits
    for them and copies a sheet's rows into its row table; it returns False (and copies
    nothing) for a sheet not staged, whose rows the caller then binds itself."""

    def __init__(self, db: sqlite3.Connection, folder: Path,
                 sheets: Mapping[str, dict[str, pa.Array]]) -> None:
        self._db, self._folder = db, folder
        self._names = {sheet: list(columns) for sheet, columns in sheets.items()}
        self._plan = _plan(sheets, WORKERS)
        self._pool = ThreadPoolExecutor(len(self._plan), thread_name_prefix="pmo-xl-stage")
        self._jobs: list[Future[None]] = [
            self._pool.submit(_write, self._file(worker), pieces)
            for worker, pieces in enumerate(self._plan)]
        self._attached: list[str] | None = None  # the schemas, once attached

    def copy_into(self, sheet: str, table: str, names: list[str]) -> bool:
        """The sheet's staged rows, in order, into `table` of columns `names`; False (and
        nothing copied) if the sheet was not staged."""
        staged = self._names.get(sheet)
        if staged is None or not set(names) >= set(staged) or not self._ready():
            return False
        if names == staged:  # as laid out: SQLite copies each row's record as it is
            into, sources = f"main.{quoted(table)}", "*"
        else:  # another process added a column since: copied column by column
            into = f"main.{quoted(table)} ({', '.join(map(quoted, staged))})"
            sources = ", ".join(f"c{at}" for at in range(len(staged)))
        for worker, pieces in enumerate(self._plan):
            for piece in (p for p in pieces if p.sheet == sheet):
                self._db.execute(f"INSERT INTO {into} SELECT {sources} FROM {_schema(worker)}."
                                 f"t{piece.index}")
        return True

    def _ready(self) -> bool:
        """Whether every staging file was written, attaching them the first time."""
        if self._attached is None:
            self._attached = []
            try:
                for job in self._jobs:
                    job.result()
                for worker in range(len(self._plan)):
                    self._db.execute("ATTACH DATABASE ? AS " + _schema(worker),
                                     (str(self._file(worker)),))
                    self._attached.append(_schema(worker))
            except _FAILURES:
                self._names.clear()  # every sheet bound by the caller instead
                return False
        return bool(self._names)

    def close(self) -> None:
        """Waits for the workers (a failed transaction may not have), detaches the files."""
        self._pool.shutdown(wait=True)
        for schema in self._attached or ():
            with suppress(sqlite3.Error):
                self._db.execute(f"DETACH DATABASE {schema}")

    def _file(self, worker: int) -> Path:
        return self._folder / f"stage-{worker}.sqlite"


@contextmanager
def staging(db: sqlite3.Connection, sheets: Mapping[str, dict[str, pa.Array] | None]
            ) -> Iterator[Staging | None]:
    """Starts staging the rows of the sheets laid out (`layout`; None: not staged), or none
    if they are too few to be worth it; the files are detached and deleted on leaving,
    which must follow the end of the transaction that copies them."""
    staged = {sheet: columns for sheet, columns in sheets.items()
              if columns and len(next(iter(columns.values())))}
    cells = sum(len(next(iter(c.values()))) * len(c) for c in staged.values())
    if _adbc is None or cells < STAGE_FROM_CELLS:
        yield None
        return
    _sweep_stale_staging()
    try:
        folder = tempfile.TemporaryDirectory(prefix=STAGING_PREFIX, ignore_cleanup_errors=True)
    except OSError:
        yield None
        return
    with folder as name:
        work = Staging(db, Path(name), staged)
        try:
            yield work
        finally:
            work.close()


def _sweep_stale_staging() -> None:
    """Staging folders that a snapshot killed while staging (kill -9, a power cut) left in
    the temporary folder: tens of MB each at 10k projects. A live snapshot's is seconds
    old; one older than STALE_AFTER_S is nobody's."""
    now = time.time()
    with suppress(OSError):
        for folder in Path(tempfile.gettempdir()).glob(STAGING_PREFIX + "*"):
            with suppress(OSError):
                if folder.is_dir() and now - folder.stat().st_mtime > STALE_AFTER_S:
                    shutil.rmtree(folder, ignore_errors=True)


def _plan(sheets: Mapping[str, dict[str, pa.Array]], workers: int) -> list[list[_Piece]]:
    """The sheets' rows cut into pieces, in order, each worker's pieces about as many cells."""
    tables = {sheet: pa.table(list(columns.values()),
                              names=[f"c{at}" for at in range(len(columns))])
              for sheet, columns in sheets.items()}
    share = -(-sum(t.num_rows * t.num_columns for t in tables.values()) // workers)
    plan: list[list[_Piece]] = [[]]
    room, index = share, 0
    for sheet, table in tables.items():
        start = 0
        while start < table.num_rows:
            if room <= 0 and len(plan) < workers:
                plan.append([])
                room = share
            take = table.num_rows - start
            if len(plan) < workers:
                take = min(take, -(-room // table.num_columns))
            plan[-1].append(_Piece(sheet, index, table.slice(start, take)))
            room -= take * table.num_columns
            start, index = start + take, index + 1
    return plan


def _write(path: Path, pieces: list[_Piece]) -> None:
    """One worker's pieces into one staging file (no journal, no fsync: it is scratch)."""
    connection = _adbc.connect(str(path), autocommit=True)
    try:
        cursor = connection.cursor()
        for pragma in ("journal_mode = OFF", "synchronous = OFF"):
            cursor.execute(f"PRAGMA {pragma}")
            cursor.fetchall()
        for piece in pieces:
            # Declared as the store's row tables are (as_of TEXT NOT NULL, the others without
            # a type, so no affinity converts a cell): SQLite then copies the records whole.
            others = "".join(f", {name}" for name in piece.table.column_names[1:])
            cursor.execute(f"CREATE TABLE t{piece.index} (c0 TEXT NOT NULL{others})")
            cursor.adbc_ingest(f"t{piece.index}", piece.table, mode="append")
        cursor.close()
    finally:
        connection.close()


def _schema(worker: int) -> str:
    return f"pmo_xl_stage_{worker}"


def quoted(name: str) -> str:
    """A table's or column's name as an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'
