"""The history store: snapshots of a register's roll-up, one per as-of date, in SQLite.

A snapshot records, as of one date, every sheet of the standard in force: per project every
field of the register (dropdowns as their canonical meaning, with the organisation's word
beside it as `<field>_label`) and every per-project figure of the roll-up; per child sheet
(Milestones, Lessons, ...) its rows and their own figures; with the register's sha256 and the
pmo-xl version. Taking it is pure (`take_snapshot`); `History` keeps snapshots in one SQLite
file that any SQLite tool, pandas or Power BI (through ODBC) can open:

* `snapshots`: one row per as-of date (when taken, the register's path and sha256, the
  pmo-xl version, how many projects);
* `portfolio`: the roll-up's portfolio figures of each snapshot (projects by Overall RAG,
  CPI, SPI and the sums behind them), for trends (schema 2; a store of schema 1 gains the
  table, its earlier snapshots without figures);
* one table per sheet (`projects`, `milestones`, `lessons`, ...: `sheets` maps them to the
  standard's sheet names), one row per register row per snapshot, a column per field; a
  field a later standard adds becomes a new column (earlier snapshots hold NULL there);
* `columnar`: the same rows once more, each (as-of date, sheet) as one compressed Arrow
  blob, which export, load and trends read (schema 3; `history_columnar` says why and how;
  a snapshot recorded before schema 3 is read from its row tables).
* `row_ranges`: where each snapshot's rows lie in each row table, by rowid (schema 4: the
  row tables have no index on as_of; a store of schema 3 gains the ranges and loses the
  indexes).

Every snapshot is written in one transaction in WAL mode, so a killed process or a full disk
leaves the earlier history intact, and two processes recording different dates both land.
`PRAGMA user_version` holds the schema version; `_MIGRATIONS` upgrade older stores.

Writing the row tables is most of a snapshot's cost (10k projects with a RAID log: ~4M
cells). A large snapshot's rows are staged in bulk from its Arrow columns and copied in by
SQLite whole (`history_bulk`); otherwise the cells are handed to the sqlite3 module as
cheaply as it takes them: blanks are bound as NaN, flags as 1 and 0 (see `_bound`), 32 rows
go to a statement, the as-of date is written into it, and SQLite's page cache holds the
whole snapshot until the commit. Either way `take_snapshot` makes each column's Arrow array
from the typed column (`Snapshot.arrays`; the columnar copy is written from them as they
are), and its plain values only when they are read (`PlainSheets`).

Measured and left aside (2026-12-01): one JSON text per sheet inserted with `json_each` and
`->>` (3.4 s instead of 1.0 s: SQLite 3.40 parses each row's JSON again for every field),
`PRAGMA synchronous = NORMAL` (no difference beyond the noise, so commits keep their fsync),
and (2026-12-02) `secure_delete` off (Debian's SQLite has it on; no difference).
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from . import __version__
from .errors import RegisterError
from .history_bulk import Staging, layout, staging
from .history_bulk import quoted as _quote
from .history_columnar import (
    Chunk,
    Piece,
    TidyTable,
    arrow_column,
    chunk_of_blob,
    chunk_of_rows,
    coded_texts,
    encode,
    plain_cells,
    sheet_arrays,
    typed_array,
)
from .metrics import (
    Rollup,
    child_frame,
    iso_date_codes,
    json_ready,
    plain_objects,
    project_metrics,
    resolve_as_of,
    rollup,
)
from .reader import Register

SCHEMA_VERSION = 4
HISTORY_SUFFIX = ".history.sqlite"
BUSY_TIMEOUT_S = 30  # a second process recording at the same moment waits this long
WRITE_CACHE_KIB = 64 * 1024  # SQLite's page cache while a snapshot is written (at most)
# A new store's page size: the columnar copies are blobs of megabytes, read as chains of
# overflow pages; 16 KiB pages make reading 52 weeks of 10k projects' copies a fifth faster
# than SQLite's default 4 KiB (64 KiB gains no more) and leave a small store small.
PAGE_SIZE = 16 * 1024


@dataclass(frozen=True)
class SnapshotInfo:
    """One snapshot's header: what was recorded, when and from which file."""

    as_of: dt.date
    taken_at: str  # ISO 8601, UTC
    register: str
    register_sha256: str
    pmo_xl_version: str
    projects: int

    def to_dict(self) -> dict[str, object]:
        return {"as_of": self.as_of.isoformat(), "taken_at": self.taken_at,
                "register": self.register, "register_sha256": self.register_sha256,
                "pmo_xl_version": self.pmo_xl_version, "projects": self.projects}


class PlainSheets(Mapping[str, pd.DataFrame]):
    """A snapshot's sheets as frames of plain values, each made the first time it is read,
    from its columns: Arrow arrays (`typed_array`, `arrow_column`) or plain values (a column
    that mixes kinds). Recording a snapshot needs only the Arrow arrays, and making a Python
    object of every cell was half the cost of taking one."""

    def __init__(self, columns: Mapping[str, Mapping[str, Piece]],
                 rows: Mapping[str, int]) -> None:
        self._columns, self._rows = columns, rows
        self._frames: dict[str, pd.DataFrame] = {}

    @classmethod
    def of_frames(cls, frames: Mapping[str, pd.DataFrame]) -> PlainSheets:
        """Frames of plain values as they are (a snapshot made by hand, or loaded)."""
        if isinstance(frames, PlainSheets):
            return frames
        sheets = cls({sheet: {name: frame[name].to_numpy(dtype=object) for name in
                              frame.columns} for sheet, frame in frames.items()},
                     {sheet: len(frame) for sheet, frame in frames.items()})
        sheets._frames.update(frames)
        return sheets

    def __getitem__(self, sheet: str) -> pd.DataFrame:
        if sheet not in self._frames:
            # The object arrays themselves: a round trip through lists would copy each cell.
            self._frames[sheet] = pd.DataFrame(
                {name: self.column(sheet, name) for name in self._columns[sheet]},
                index=pd.RangeIndex(self._rows[sheet]), dtype=object, copy=False)
        return self._frames[sheet]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)

    def names(self, sheet: str) -> list[str]:
        return list(self._columns[sheet])

    def rows(self, sheet: str) -> int:
        return self._rows[sheet]

    def column(self, sheet: str, name: str) -> np.ndarray:
        """One column's plain values (ISO dates as text, numbers, booleans, text; None for
        blanks)."""
        if sheet in self._frames:
            return self._frames[sheet][name].to_numpy(dtype=object)
        return plain_cells(self._columns[sheet][name])


@dataclass(frozen=True)
class Snapshot:
    """A register's roll-up as of one date: `sheets` maps each standard sheet's name to a
    frame of plain values (ISO dates as text, numbers, booleans, text; None for blanks)."""

    info: SnapshotInfo
    sheets: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    portfolio: dict[str, float | None] = field(default_factory=dict)
    # The same columns as Arrow (None where one mixes kinds), by sheet, when `take_snapshot`
    # made them from the typed columns: `record` stores them as they are, instead of working
    # out each cell's kind again from the plain values (a third of a snapshot's cost).
    arrays: dict[str, dict[str, pa.Array | None]] = field(default_factory=dict, repr=False,
                                                          compare=False)

    @property
    def projects(self) -> pd.DataFrame:
        return self.sheets["Projects"]


def default_history_path(register_path: Path) -> Path:
    """`<register stem>.history.sqlite` beside the register."""
    return register_path.with_name(register_path.stem + HISTORY_SUFFIX)


def take_snapshot(register: Register, as_of: dt.date | None = None, *,
                  sha256: str = "", portfolio: Rollup | None = None,
                  fields: Mapping[str, Iterable[str]] | None = None) -> Snapshot:
    """The register's snapshot as of the given (or resolved) date; `portfolio` is its
    roll-up when the caller has it already (as of the same date). With `fields`, of each
    sheet named there only those columns (the ones it has), as `History.load` reads them: a
    comparison reads a few of a snapshot's columns, the rest need not be converted."""
    day = portfolio.as_of if portfolio is not None else resolve_as_of(register, as_of)
    if portfolio is None:
        portfolio = rollup(register, day)
    projects = child_frame(register.projects, day, register)
    figures = project_metrics(register, day)
    extra = [name for name in figures.columns if name not in projects]
    projects = pd.concat([projects, figures[extra]], axis=1)
    projects["exception"] = portfolio.exception_mask()
    frames = {"Projects": projects}
    for table in register.children():
        # The roll-up built each child sheet's frame already: taken from it, not again.
        frames[table.schema.name] = portfolio.children[table.schema.name]
    columns, arrays = {}, {}
    for name, frame in frames.items():
        if fields is not None and name in fields:
            wanted = set(fields[name])
            frame = frame[[column for column in frame.columns if column in wanted]]
        columns[name], arrays[name] = snapshot_columns(frame)
    info = SnapshotInfo(day, dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                        str(register.path), sha256, __version__, len(projects))
    sheets = PlainSheets(columns, {name: len(frame) for name, frame in frames.items()})
    return Snapshot(info, sheets, portfolio_figures(portfolio), arrays)


TREND_FIGURES = ("green", "amber", "red", "unset", "cpi", "spi")


def portfolio_figures(portfolio: Rollup) -> dict[str, float | None]:
    """The figures a trend shows, as the roll-up computes them: active projects by Overall
    RAG meaning (None when not tracked), portfolio CPI and SPI."""
    counts = portfolio.counts()["by_rag"] or {}
    finance = portfolio.finance()
    figures: dict[str, float | None] = {
        rag.casefold(): counts.get(rag) if counts else None
        for rag in ("Green", "Amber", "Red", "Unset")}
    figures.update(cpi=finance["cpi"], spi=finance["spi"])
    return figures


def snapshot_columns(frame: pd.DataFrame) -> tuple[dict[str, Piece], dict[str, pa.Array | None]]:
    """A typed frame's columns as a snapshot keeps them (see `PlainSheets`; their plain
    values as the roll-up's JSON has them), and the same as Arrow (`Snapshot.arrays`)."""
    columns: dict[str, Piece] = {}
    arrays: dict[str, pa.Array | None] = {}
    for name, values in frame.items():
        columns[name], arrays[name] = _snapshot_column(name, values)
    return columns, arrays


def _snapshot_column(name: str, values: pd.Series) -> tuple[Piece, pa.Array | None]:
    """A column as Arrow, twice; or, where its dtype does not say what its cells hold, its
    plain values and the same as Arrow (None: they mix kinds)."""
    if pd.api.types.is_datetime64_any_dtype(values):  # ISO dates (`json_ready`), as text
        texts = coded_texts(*iso_date_codes(values))
        return texts, texts
    ready = json_ready(name, values)
    typed = typed_array(ready)
    if typed is not None:
        return typed, typed
    plain = plain_objects(ready).to_numpy(dtype=object)  # an object column: each cell says
    return plain, arrow_column(plain)


class History:
    """A history store: one SQLite file of snapshots (see the module docstring)."""

    def __init__(self, path: Path, *, create: bool = True, in_memory: bool = False) -> None:
        self.path = Path(path)
        if not create and not in_memory and not self.path.is_file():
            raise RegisterError(self.path, "no history here: record one with `pmo-xl "
                                           "snapshot`, or name the file with --history")
        self._db = _connect(Path(":memory:") if in_memory else self.path)
        try:
            _migrate(self._db, self.path)
        except BaseException:
            self._db.close()  # a store refused (newer schema, not a database) stays closed
            raise

    @classmethod
    def in_memory(cls, label: Path) -> History:
        """An empty store in memory; `label` (the workbook whose sheets fill it) names it in
        messages."""
        return cls(label, in_memory=True)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def record(self, snapshot: Snapshot) -> None:
        """Add the snapshot, replacing one of the same as-of date, in one transaction."""
        day = snapshot.info.as_of.isoformat()
        sheets = PlainSheets.of_frames(snapshot.sheets)  # a taken one's frames stay unmade
        arrays = {sheet: snapshot.arrays[sheet] if sheet in snapshot.arrays else
                  sheet_arrays(sheets[sheet]) for sheet in sheets}
        # A large snapshot's rows are staged by worker threads (`history_bulk`) while this
        # one encodes the columnar copies and deletes a replaced snapshot.
        with self._write_cache(), self._without_foreign_keys(), staging(
                self._db, self._layouts(sheets, arrays, day)) as staged:
            copies = {sheet: encode(sheets.names(sheet), arrays[sheet]) for sheet in sheets}
            with self._transaction() as db:
                _delete_snapshot(db, day)
                db.execute("INSERT INTO snapshots VALUES (:as_of, :taken_at, :register, "
                           ":register_sha256, :pmo_xl_version, :projects)",
                           snapshot.info.to_dict())
                ranges = []
                for sheet in sheets:
                    table, first, last = _insert_rows(db, sheets, sheet, day, arrays[sheet],
                                                      staged)
                    ranges.append((day, table, first, last, sheets.rows(sheet)))
                    if copies[sheet] is not None:  # else read from the row table
                        db.execute("INSERT INTO columnar VALUES (?, ?, ?)",
                                   (day, sheet, copies[sheet]))
                # Consecutive unless a table's rowids reached 2**63 - 1 (SQLite then picks
                # free ones at random): a day is found by its ranges or, if not, by as_of.
                if all(last - first + 1 == rows for *_, first, last, rows in ranges):
                    db.executemany("INSERT INTO row_ranges VALUES (?, ?, ?, ?)",
                                   [r[:4] for r in ranges])
                db.executemany("INSERT INTO portfolio VALUES (?, ?, ?)",
                               [(day, k, v) for k, v in snapshot.portfolio.items()])

    def _layouts(self, sheets: PlainSheets, arrays: Mapping[str, Mapping[str, pa.Array | None]],
                 day: str) -> dict[str, dict[str, pa.Array] | None]:
        """Each sheet's rows as they are to be staged: the columns its row table will have
        (read now, before the transaction; `Staging` copies by name if they change)."""
        tables = self._tables()
        layouts = {}
        for sheet in sheets:
            names = (self._columns(tables[sheet], None) if sheet in tables else ["as_of"])
            names += [str(name) for name in sheets.names(sheet) if name not in names]
            layouts[sheet] = layout(names, arrays[sheet], day, sheets.rows(sheet))
        return layouts

    def snapshots(self) -> list[SnapshotInfo]:
        """Every snapshot's header, oldest first."""
        rows = self._query("SELECT * FROM snapshots ORDER BY as_of")
        return [SnapshotInfo(dt.date.fromisoformat(r[0]), *r[1:]) for r in rows]

    def info(self, as_of: dt.date) -> SnapshotInfo | None:
        return next((s for s in self.snapshots() if s.as_of == as_of), None)

    def before(self, as_of: dt.date) -> SnapshotInfo | None:
        """The latest snapshot strictly before the date."""
        earlier = [s for s in self.snapshots() if s.as_of < as_of]
        return earlier[-1] if earlier else None

    def load(self, as_of: dt.date,
             fields: Mapping[str, Iterable[str]] | None = None) -> Snapshot:
        """The snapshot of that date; with `fields`, of each sheet named there only those
        columns (and as_of; the ones the store has), of the other sheets every column. A
        comparison reads a few of a snapshot's columns: the rest is not fetched."""
        with self._reading():
            info = self.info(as_of)
            if info is None:
                raise RegisterError(self.path, f"no snapshot as of {as_of.isoformat()}: "
                                               "`pmo-xl history list` shows the dates it holds")
            sheets = {}
            for sheet in self._tables():
                wanted = None if fields is None or sheet not in fields else fields[sheet]
                sheets[sheet] = self.tidy(sheet, [as_of.isoformat()], wanted).plain()
        return Snapshot(info, sheets)

    def trend(self, until: dt.date, last: int = 12) -> list[dict[str, object]]:
        """The portfolio figures of the latest `last` snapshots up to the date, oldest
        first (a snapshot recorded before schema 2 has none: None each)."""
        days = [s.as_of.isoformat() for s in self.snapshots() if s.as_of <= until][-last:]
        rows = self._query("SELECT as_of, figure, value FROM portfolio")
        found: dict[str, dict[str, object]] = {d: {"as_of": d} for d in days}
        for day, figure, value in rows:
            if day in found:
                found[str(day)][str(figure)] = value
        return [{"as_of": d, **{f: found[d].get(f) for f in TREND_FIGURES}} for d in days]

    def project_trends(self, until: dt.date, last: int = 12) -> dict[str, list[dict]]:
        """Per project, its Overall RAG, CPI and SPI in the latest `last` snapshots."""
        names = ("project_id", "overall_rag", "cpi", "spi")
        with self._reading():
            days = [s.as_of.isoformat() for s in self.snapshots() if s.as_of <= until][-last:]
            if not days or "Projects" not in self._tables():
                return {}
            tidy = self.tidy("Projects", days, names)
        blank = np.full(len(tidy), None, dtype=object)
        columns = [tidy.plain_column(n) if n in tidy.names else blank for n in ("as_of", *names)]
        series: dict[str, list[dict]] = {}
        for day, pid, rag, cpi, spi in zip(*columns, strict=True):
            series.setdefault(str(pid), []).append(
                {"as_of": day, "overall_rag": rag, "cpi": cpi, "spi": spi})
        return series

    def export(self, sheet: str = "Projects") -> pd.DataFrame:
        """One tidy table of a sheet over every snapshot: as_of first, then every field, as
        plain values (`export_table` gives it typed and as CSV too)."""
        return self.export_table(sheet).plain()

    def export_table(self, sheet: str = "Projects") -> TidyTable:
        """A sheet over every snapshot, oldest first, read from the columnar copies."""
        with self._reading():
            return self.tidy(sheet, [s.as_of.isoformat() for s in self.snapshots()])

    def tidy(self, sheet: str, days: list[str], fields: Iterable[str] | None = None
             ) -> TidyTable:
        """A sheet's rows of the given snapshots (as_of first, then every field or those of
        `fields` the store has), each from its columnar copy or, lacking one, its rows."""
        with self._reading():
            table = self._tables().get(sheet)
            if table is None:
                return TidyTable(["as_of"], [])
            return self._tidy(table, sheet, days, fields)

    def _tidy(self, table: str, sheet: str, days: list[str], fields: Iterable[str] | None
              ) -> TidyTable:
        try:
            names = self._columns(table, fields)
            flags = {row[0] for row in self._db.execute(
                "SELECT field FROM flags WHERE table_name = ?", (table,))}
            marks = ", ".join("?" * len(days))
            copies = dict(self._db.execute(
                f"SELECT as_of, data FROM columnar WHERE sheet = ? AND as_of IN ({marks})",
                (sheet, *days)).fetchall())
        except sqlite3.Error as error:
            raise _store_error(self.path, error) from None
        return TidyTable(names, [self._chunk(table, day, copies.get(day), names, flags)
                                 for day in days])

    def _chunk(self, table: str, day: str, copy: bytes | None, names: list[str],
               flags: set[str]) -> Chunk:
        if copy is not None:
            return chunk_of_blob(day, copy, names, flags)
        where, params = _rows_of(self._db, table, day)
        return chunk_of_rows(day, self._frame(table, where + " ORDER BY rowid", params, names))

    def _tables(self) -> dict[str, str]:
        """The table of each sheet the store holds, by the standard's sheet name."""
        return {str(sheet): str(table) for sheet, table in
                self._query("SELECT sheet, table_name FROM sheets")}

    def _frame(self, table: str, where: str, params: tuple[object, ...],
               fields: Iterable[str] | None = None) -> pd.DataFrame:
        try:
            names = self._columns(table, fields)
            cursor = self._db.execute(f"SELECT {', '.join(map(_quote, names))} FROM "
                                      f"{_quote(table)} {where}", params)
            rows = cursor.fetchall()
            flags = {row[0] for row in self._db.execute(
                "SELECT field FROM flags WHERE table_name = ?", (table,))}
        except sqlite3.Error as error:
            raise _store_error(self.path, error) from None
        frame = pd.DataFrame(rows, columns=names, dtype=object)
        for name in flags.intersection(frame.columns):
            frame[name] = _flags(frame[name].to_numpy())
        return frame

    def _columns(self, table: str, fields: Iterable[str] | None) -> list[str]:
        """The table's columns in their order (as_of first), or those of them asked for."""
        names = [row[1] for row in self._db.execute(f"PRAGMA table_info({_quote(table)})")]
        if fields is None:
            return names
        wanted = {"as_of", *fields}
        return [name for name in names if name in wanted]

    def _query(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as error:
            raise _store_error(self.path, error) from None

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """One read transaction around several queries: the store as it was at the first,
        whatever another process records meanwhile (a WAL reader keeps its snapshot)."""
        if self._db.in_transaction:
            yield
            return
        try:
            self._db.execute("BEGIN")
        except sqlite3.Error as error:
            raise _store_error(self.path, error) from None
        try:
            yield
        finally:
            self._db.rollback()  # it only read

    @contextmanager
    def _write_cache(self) -> Iterator[None]:
        """SQLite's page cache large enough for a snapshot's pages (10k projects: ~30 MB)
        while it is written: with the default 2 MB they spill to the WAL and are read back
        before the commit, a fifth of the inserts' time. Reads keep the default."""
        try:
            before = self._db.execute("PRAGMA cache_size").fetchone()[0]
            self._db.execute(f"PRAGMA cache_size = {-WRITE_CACHE_KIB}")
        except sqlite3.Error as error:
            raise _store_error(self.path, error) from None
        try:
            yield
        finally:
            self._db.execute(f"PRAGMA cache_size = {int(before)}")

    @contextmanager
    def _without_foreign_keys(self) -> Iterator[None]:
        """Foreign keys unchecked while a snapshot is written: SQLite copies staged rows
        whole only into a table whose keys it need not check. The snapshot writes its
        header first and deletes a replaced one's rows itself, so none is left dangling
        (the ON DELETE CASCADE of the schema is for other tools)."""
        self._db.execute("PRAGMA foreign_keys = OFF")  # a no-op inside a transaction
        try:
            yield
        finally:
            self._db.execute("PRAGMA foreign_keys = ON")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            self._db.execute("BEGIN IMMEDIATE")  # take the write lock now, not half-way
            try:
                yield self._db
            except BaseException:
                self._db.rollback()
                raise
            self._db.commit()
        except sqlite3.Error as error:
            raise _store_error(self.path, error) from None


def _connect(path: Path) -> sqlite3.Connection:
    try:
        db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        # Before WAL: it sizes a new store's pages (an existing store keeps its own).
        db.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA foreign_keys = ON")
        return db
    except sqlite3.Error as error:
        raise _store_error(path, error) from None


def _store_error(path: Path, error: sqlite3.Error) -> RegisterError:
    text = str(error)
    if "not a database" in text:
        return RegisterError(path, "is not a pmo-xl history (not an SQLite database): name "
                                   "another file with --history")
    if "full" in text:
        return RegisterError(path, "the disk is full: the history was not changed; free "
                                   "some space and record the snapshot again")
    if "locked" in text or "busy" in text:
        return RegisterError(path, f"another process kept the history busy for "
                                   f"{BUSY_TIMEOUT_S} s: try again when it has finished")
    return RegisterError(path, f"cannot use the history: {text}")


# --- schema -----------------------------------------------------------------------------------

def _create_v1(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE snapshots (as_of TEXT PRIMARY KEY, taken_at TEXT NOT NULL, "
               "register TEXT, register_sha256 TEXT, pmo_xl_version TEXT, projects INTEGER)")
    db.execute("CREATE TABLE sheets (sheet TEXT PRIMARY KEY, table_name TEXT UNIQUE)")
    # Which columns hold booleans: SQLite keeps them as 0/1, `load` gives them back as bools.
    db.execute("CREATE TABLE flags (table_name TEXT, field TEXT, PRIMARY KEY (table_name, "
               "field))")


def _add_portfolio_v2(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE portfolio (as_of TEXT NOT NULL REFERENCES snapshots(as_of) ON "
               "DELETE CASCADE, figure TEXT NOT NULL, value REAL, PRIMARY KEY (as_of, "
               "figure))")


def _add_columnar_v3(db: sqlite3.Connection) -> None:
    # Earlier snapshots get no copy: they are read from their row tables, as before.
    db.execute("CREATE TABLE columnar (as_of TEXT NOT NULL REFERENCES snapshots(as_of) ON "
               "DELETE CASCADE, sheet TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY "
               "(as_of, sheet))")


def _add_row_ranges_v4(db: sqlite3.Connection) -> None:
    # Where each snapshot's rows lie in each row table: a snapshot's rows are written in one
    # go, each at the table's largest rowid + 1, so they are consecutive. They are found by
    # rowid, no longer through an index on as_of: SQLite copies staged rows whole only into
    # a table without one (`history_bulk`). A day whose rows were not consecutive in every
    # table gets no ranges and is found by as_of, table by table, as before.
    db.execute("CREATE TABLE row_ranges (as_of TEXT NOT NULL REFERENCES snapshots(as_of) ON "
               "DELETE CASCADE, table_name TEXT NOT NULL, first_rowid INTEGER NOT NULL, "
               "last_rowid INTEGER NOT NULL, PRIMARY KEY (as_of, table_name))")
    tables = _sheet_tables(db)
    for table in tables:
        db.execute(f"INSERT INTO row_ranges SELECT as_of, ?, min(rowid), max(rowid) FROM "
                   f"{_quote(table)} GROUP BY as_of", (table,))
    for table in tables:
        db.execute(f"DELETE FROM row_ranges WHERE as_of IN (SELECT as_of FROM {_quote(table)} "
                   "GROUP BY as_of HAVING count(*) != max(rowid) - min(rowid) + 1)")
    for table in tables:
        db.execute(f"DROP INDEX IF EXISTS {_quote(table + '_as_of')}")


# Version n's entry turns a store of version n - 1 into version n.
_MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    1: _create_v1, 2: _add_portfolio_v2, 3: _add_columnar_v3, 4: _add_row_ranges_v4}


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    try:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise RegisterError(path, f"this history was written by a newer pmo-xl (schema "
                                      f"{version}, this one reads up to {SCHEMA_VERSION}): "
                                      "upgrade pmo-xl")
        if version == SCHEMA_VERSION:
            return
        db.execute("BEGIN IMMEDIATE")
        for step in range(version + 1, SCHEMA_VERSION + 1):
            _MIGRATIONS[step](db)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.commit()
    except sqlite3.Error as error:
        raise _store_error(path, error) from None


def _sheet_tables(db: sqlite3.Connection) -> list[str]:
    return [row[0] for row in db.execute("SELECT table_name FROM sheets")]


def _rows_of(db: sqlite3.Connection, table: str, day: str) -> tuple[str, tuple[object, ...]]:
    """The WHERE clause (and its parameters) of a snapshot's rows in a row table: by their
    rowids (`row_ranges`), none if the snapshot has ranges but none there, else by as_of."""
    ranges = {str(name): (first, last) for name, first, last in db.execute(
        "SELECT table_name, first_rowid, last_rowid FROM row_ranges WHERE as_of = ?", (day,))}
    if table in ranges:
        return "WHERE rowid BETWEEN ? AND ? AND as_of = ?", (*ranges[table], day)
    if ranges:
        return "WHERE 0", ()
    return "WHERE as_of = ?", (day,)


def _delete_snapshot(db: sqlite3.Connection, day: str) -> None:
    """A snapshot's rows table by table, then its header (whose ON DELETE CASCADE, were
    foreign keys on, would find nothing left: the same rows go in 2/3 of the time)."""
    if db.execute("SELECT 1 FROM snapshots WHERE as_of = ?", (day,)).fetchone() is None:
        return  # a new date (the weekly case): its rows are not looked for
    for table in _sheet_tables(db):
        where, params = _rows_of(db, table, day)
        db.execute(f"DELETE FROM {_quote(table)} {where}", params)
    for table in ("columnar", "portfolio", "row_ranges"):
        db.execute(f"DELETE FROM {table} WHERE as_of = ?", (day,))
    db.execute("DELETE FROM snapshots WHERE as_of = ?", (day,))


def _insert_rows(db: sqlite3.Connection, sheets: PlainSheets, sheet: str, day: str,
                 arrays: Mapping[str, pa.Array | None], staged: Staging | None = None
                 ) -> tuple[str, int, int]:
    """The sheet's rows of the snapshot; `arrays` are its columns as Arrow (`sheet_arrays`);
    `staged`, the rows staged in bulk, if they were. Gives the table and the first and last
    rowids written (last < first: none)."""
    table = _sheet_table(db, sheet)
    have = [row[1] for row in db.execute(f"PRAGMA table_info({_quote(table)})")]
    names = sheets.names(sheet)
    for name in names:
        if name not in have:
            db.execute(f"ALTER TABLE {_quote(table)} ADD COLUMN {_quote(name)}")
            have.append(name)
    # A column without Arrow mixes kinds: its cells are looked at (the others' need not be).
    mixed = {name: sheets.column(sheet, name) for name in names if arrays[name] is None}
    flagged = [name for name in names if _is_flag(mixed.get(name), arrays[name])]
    db.executemany("INSERT OR IGNORE INTO flags VALUES (?, ?)",
                   [(table, name) for name in flagged])
    first = db.execute(f"SELECT coalesce(max(rowid), 0) + 1 FROM {_quote(table)}").fetchone()[0]
    if staged is None or not staged.copy_into(sheet, table, have):
        # A column blank throughout is left out: its cells are NULL all the same.
        cells = {name: _bound(sheets.column(sheet, name), arrays[name], name in flagged)
                 for name in names if not _blank(mixed.get(name), arrays[name])}
        _insert_many(db, table, day, cells, sheets.rows(sheet))
    last = db.execute(f"SELECT coalesce(max(rowid), 0) FROM {_quote(table)}").fetchone()[0]
    return table, first, last


# Rows per INSERT statement: each row of a statement costs the sqlite3 module's per-row work
# (reset, step, checks) once, not once per row; more rows per statement gain nothing more.
ROWS_PER_INSERT = 32


def _insert_many(db: sqlite3.Connection, table: str, day: str,
                 cells: Mapping[str, list[object]], rows: int) -> None:
    """Rows given column-wise, ROWS_PER_INSERT to a statement; the as-of date, the same in
    every row, is written into the statement instead of bound in each row."""
    head = f"INSERT INTO {_quote(table)} ({', '.join(map(_quote, ['as_of', *cells]))}) VALUES "
    row = f"({_text_literal(day)}{', ?' * len(cells)})"
    if not cells:  # every column blank: the rows hold their date only
        db.executemany(head + row, repeat((), rows))
        return
    width = len(cells)
    per = max(1, min(ROWS_PER_INSERT, db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width))
    # The cells row after row in one list, each column put in place by one strided slice
    # assignment; each statement's parameters are then one slice of it (all in C: 12% less
    # than zipping the columns into rows and the rows into statements).
    flat: list[object] = [None] * (rows * width)
    for at, column in enumerate(cells.values()):
        flat[at::width] = column
    size, whole = per * width, (rows - rows % per) * width
    db.executemany(head + ", ".join([row] * per),
                   (flat[at:at + size] for at in range(0, whole, size)))
    db.executemany(head + row, (flat[at:at + width] for at in range(whole, len(flat), width)))


def _text_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _is_flag(values: np.ndarray | None, array: pa.Array | None) -> bool:
    """Whether a column holds flags (its first value is a bool: all are, unless it mixes)."""
    if array is None:
        return isinstance(_first(values), bool)
    return pa.types.is_boolean(array.type)


def _blank(values: np.ndarray | None, array: pa.Array | None) -> bool:
    if array is None:
        return _first(values) is None
    return pa.types.is_null(array.type)


def _bound(values: np.ndarray, array: pa.Array | None, flags: bool) -> list[object]:
    """A column's values as handed to SQLite. The sqlite3 module binds ints, floats and text
    at once but looks for an adapter for every other object, None and bools included, at
    ~0.9 us a cell, ten times an int. So flags go as 1 and 0 (SQLite keeps them so anyway)
    and blanks as NaN, which SQLite stores as NULL. Where the column's Arrow array says
    which cells are blank (or holds them as NaN already), the cells are not looked at."""
    if array is None:  # mixed kinds: cell by cell
        if flags:
            return [1 if v is True else 0 if v is False else _NULL if v is None else v
                    for v in values]
        values = values.copy()
        values[pd.isna(values)] = _NULL
        return values.tolist()
    if flags:  # False, True, blank -> 0, 1, NaN
        return _FLAG_CELLS[array.cast(pa.int8()).fill_null(2).to_numpy()].tolist()
    if pa.types.is_floating(array.type):
        return array.fill_null(_NULL).to_numpy().tolist()
    if not array.null_count:
        return values.tolist()
    values = values.copy()
    values[array.is_null().to_numpy(zero_copy_only=False)] = _NULL
    return values.tolist()


_NULL = float("nan")  # bound as NULL by SQLite (sqlite3_bind_double stores NaN as NULL)
_FLAG_CELLS = np.array([0, 1, _NULL], dtype=object)


def _flags(stored: np.ndarray) -> np.ndarray:
    """A flag column as SQLite gives it back (1, 0, NULL) as True, False and None, and
    anything else as None, as before: column-wise, not a dictionary look-up per cell."""
    flags = np.full(len(stored), None, dtype=object)
    flags[stored == 1] = True
    flags[stored == 0] = False
    return flags


def _first(values: Iterable[object]) -> object:
    """The first non-blank value (a column's values are all of one kind)."""
    return next((value for value in values if value is not None), None)


def _sheet_table(db: sqlite3.Connection, sheet: str) -> str:
    """The table of a standard sheet, created on first use."""
    found = db.execute("SELECT table_name FROM sheets WHERE sheet = ?", (sheet,)).fetchone()
    if found:
        return found[0]
    base = re.sub(r"[^0-9a-z]+", "_", sheet.casefold()).strip("_") or "sheet"
    taken = set(_sheet_tables(db)) | {"snapshots", "sheets"}
    table = next(name for n in range(1, len(taken) + 2)
                 if (name := base if n == 1 else f"{base}_{n}") not in taken)
    # No index on as_of: a snapshot's rows are found by their rowids (`_add_row_ranges_v4`).
    db.execute(f"CREATE TABLE {_quote(table)} (as_of TEXT NOT NULL REFERENCES "
               f"snapshots(as_of) ON DELETE CASCADE)")
    db.execute("INSERT INTO sheets VALUES (?, ?)", (sheet, table))
    return table

