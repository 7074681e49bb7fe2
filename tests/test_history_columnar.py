"""The history's columnar copies (schema 3): what a real SQLite file holds, that export, load
and trends read from them give back exactly what the row tables hold, and that stores of
schemas 1 and 2 are migrated with their earlier snapshots read from their rows."""

from __future__ import annotations

import datetime as dt
import io
import sqlite3
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from registers import register
from test_history import WEEK_1, WEEK_2, _week_1, _week_2, back_to_schema

from pmo_xl.cli import main
from pmo_xl.history import SCHEMA_VERSION, History, Snapshot, SnapshotInfo, take_snapshot
from pmo_xl.reader import read_register

SHEETS = ("Projects", "Milestones", "Lessons")


@pytest.fixture
def weeks(tmp_path: Path) -> tuple[Path, Path]:
    """test_history's two registers a week apart."""
    return (register(tmp_path / "Register 2026-09-23.xlsx", **_week_1()),
            register(tmp_path / "Register.xlsx", **_week_2()))


def _rows_export(history: History, sheet: str) -> pd.DataFrame:
    """The sheet over every snapshot read from its row table alone (the way before schema
    3): the reference the columnar copies must match."""
    table = history._tables()[sheet]
    return history._frame(table, "ORDER BY as_of, rowid", ())


def _typed(table: pd.DataFrame) -> pd.DataFrame:
    """How `history export --format parquet` typed the plain table before schema 3: numbers
    and flags keep their type, the rest is text."""
    typed = {}
    for name, values in table.items():
        converted = values.infer_objects()
        if converted.dtype == object:
            converted = values.astype("string")
        typed[name] = converted
    return pd.DataFrame(typed)


def _parquet(frame: pd.DataFrame) -> pa.Table:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return pq.read_table(io.BytesIO(buffer.getvalue()))


def _assert_same_cells(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == list(want.columns)
    for name in want.columns:
        values, expected = got[name].tolist(), want[name].tolist()
        assert values == expected, name
        assert [type(v) for v in values] == [type(v) for v in expected], name


def _assert_exports_match_rows(history: History, sheet: str) -> None:
    """Plain values, CSV bytes and Parquet (schema with pandas' metadata, values) alike."""
    reference = _rows_export(history, sheet)
    tidy = history.export_table(sheet)
    _assert_same_cells(tidy.plain(), reference)
    assert tidy.csv() == reference.to_csv(index=False).encode("utf-8")
    got, want = _parquet(tidy.typed()), _parquet(_typed(reference))
    assert got.schema.equals(want.schema, check_metadata=True)
    assert got.equals(want)


def test_each_sheet_of_each_snapshot_has_one_copy_any_arrow_reader_opens(
        weeks: tuple[Path, Path], tmp_path: Path) -> None:
    store = tmp_path / "h.sqlite"
    snapshots = [take_snapshot(read_register(path)) for path in weeks]
    with History(store) as history:
        for snapshot in snapshots:
            history.record(snapshot)
        history.record(snapshots[1])  # the same date again: its copies replaced, not added
    with sqlite3.connect(store) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
        copies = db.execute("SELECT as_of, sheet, data FROM columnar ORDER BY as_of, sheet"
                            ).fetchall()
    assert [(day, sheet) for day, sheet, _ in copies] == [
        (day.isoformat(), sheet) for day in (WEEK_1, WEEK_2) for sheet in sorted(SHEETS)]
    for (_, sheet, data), snapshot in zip(copies, [s for s in snapshots for _ in SHEETS],
                                            strict=True):
        table = pa.ipc.open_file(pa.py_buffer(data)).read_all()
        assert table.to_pylist() == snapshot.sheets[sheet].to_dict("records")


def test_the_row_tables_hold_each_cell_with_its_sql_type(weeks: tuple[Path, Path],
                                                        tmp_path: Path) -> None:
    """Blanks are NULL (bound as NaN, which SQLite stores as NULL), flags 0/1, numbers and
    text as themselves: what any SQL tool sees."""
    store = tmp_path / "h.sqlite"
    snapshot = take_snapshot(read_register(weeks[1]))
    with History(store) as history:
        history.record(snapshot)
        tables = history._tables()
    sql_type = {type(None): "null", str: "text", int: "integer", bool: "integer",
                float: "real"}
    with sqlite3.connect(store) as db:
        for sheet, frame in snapshot.sheets.items():
            for name in frame.columns:
                stored = db.execute(f'SELECT typeof("{name}"), "{name}" FROM '
                                    f'"{tables[sheet]}" ORDER BY rowid').fetchall()
                assert [t for t, _ in stored] == [sql_type[type(v)] for v in frame[name]]
                assert [v for _, v in stored] == frame[name].tolist(), name  # True == 1


def test_export_and_load_from_copies_equal_the_row_tables(weeks: tuple[Path, Path],
                                                          tmp_path: Path) -> None:
    with History(tmp_path / "h.sqlite") as history:
        for path in weeks:
            history.record(take_snapshot(read_register(path)))
        for sheet in SHEETS:
            _assert_exports_match_rows(history, sheet)
        assert "RAID" not in history._tables()  # these registers keep no RAID log
        absent = history.export_table("RAID")
        loaded = history.load(WEEK_1)
        for sheet in SHEETS:
            rows = _rows_export(history, sheet)
            _assert_same_cells(loaded.sheets[sheet],
                               rows[rows["as_of"] == WEEK_1.isoformat()].reset_index(drop=True))
    before = pd.DataFrame({"as_of": []})  # what export gave of a sheet the store lacks
    pd.testing.assert_frame_equal(absent.plain(), before)
    got, want = _parquet(absent.typed()), _parquet(_typed(before))
    assert got.schema.equals(want.schema, check_metadata=True) and got.equals(want)
    assert absent.csv() == before.to_csv(index=False).encode("utf-8")


def _snapshot(day: dt.date, frame: pd.DataFrame) -> Snapshot:
    info = SnapshotInfo(day, "2026-12-01T00:00:00+00:00", "hand-made", "", "test", len(frame))
    return Snapshot(info, {"Projects": frame.astype(object).where(frame.notna(), None)})


def _awkward_weeks() -> list[Snapshot]:
    """Values a History sheet edited in Excel, or a later standard, can hand the store."""
    texts = ["plain", "with, comma", 'with "quotes"', "two\nlines", "carriage\rreturn", ""]
    first = pd.DataFrame({
        "project_id": ["P1", "P2", "P3", "P4", "P5", "P6"],
        "status_summary": texts,
        "budget": [5.0, 1e-05, 1e16, -0.0, 123456.78, None],
        "slip_days": [1, None, -3, 2**40, 0, 7],
        "stale": [True, False, None, True, False, True],
        "unused": [None] * 6,
    }, dtype=object)
    second = first.assign(budget=[5, 2, None, 7, 8, 9],  # whole numbers this week
                          stale=[1, 0, 2, None, 1, 0])  # numbers in a column of flags
    third = first.assign(budget=[5, 2.5, None, 7, 8, 9],  # whole numbers among fractions
                         slip_days=[1, "late", None, 4, 5, 6],  # text among numbers
                         unused=[1.5, None, None, None, None, 2.0])
    return [_snapshot(dt.date(2026, 11, day), frame)
            for day, frame in ((3, first), (10, second), (17, third))]


def test_sheets_mixing_kinds_are_read_from_their_rows_cell_for_cell(tmp_path: Path) -> None:
    store = tmp_path / "h.sqlite"
    with History(store) as history:
        for snapshot in _awkward_weeks():
            history.record(snapshot)
        _assert_exports_match_rows(history, "Projects")
        third = history.load(dt.date(2026, 11, 17)).projects
    with sqlite3.connect(store) as db:
        copied = [row[0] for row in db.execute("SELECT as_of FROM columnar ORDER BY as_of")]
    assert copied == ["2026-11-03", "2026-11-10"]  # the third mixes kinds: rows only
    assert third["slip_days"].tolist() == [1, "late", None, 4, 5, 6]


@pytest.mark.parametrize("version", [1, 2, 3])
def test_a_store_of_an_earlier_schema_is_migrated_and_reads_as_before(
        version: int, weeks: tuple[Path, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    first, second = weeks
    store, fresh = tmp_path / "old.sqlite", tmp_path / "fresh.sqlite"
    with History(store) as history:
        history.record(take_snapshot(read_register(first)))
    back_to_schema(store, version)
    with History(fresh) as history:
        for path in weeks:
            history.record(take_snapshot(read_register(path)))
    with History(store) as history:  # migrated on opening
        history.record(take_snapshot(read_register(second)))
        for sheet in SHEETS:
            _assert_exports_match_rows(history, sheet)
        assert len(history.load(WEEK_1).projects) == 5  # the earlier snapshot, intact
        trend = history.trend(WEEK_2)
        trends = history.project_trends(WEEK_2)
    with sqlite3.connect(store) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        copied = [r[0] for r in db.execute("SELECT DISTINCT as_of FROM columnar")]
        assert copied == [day.isoformat() for day in (WEEK_1, WEEK_2)][version < 3:]
    assert [t["as_of"] for t in trend] == ["2026-09-23", "2026-09-30"]
    assert (trend[0]["cpi"] is None) == (version == 1) and trend[1]["green"] == 3
    with History(fresh) as history:
        assert trends == history.project_trends(WEEK_2)
    outputs = {}
    for path in (store, fresh):  # the CLI's files: the same whatever the source of the rows
        for fmt in ("csv", "parquet"):
            out = tmp_path / f"{path.stem}.{fmt}"
            assert main(["history", "export", str(second), "--history", str(path),
                         "--format", fmt, "--out", str(out)]) == 0
            outputs[path.stem, fmt] = out.read_bytes()
    capsys.readouterr()
    assert outputs["old", "csv"] == outputs["fresh", "csv"]
    assert pq.read_table(io.BytesIO(outputs["old", "parquet"])).equals(
        pq.read_table(io.BytesIO(outputs["fresh", "parquet"])))


def _tricky_weeks() -> list[Snapshot]:
    """Cells whose CSV text Arrow's writer and pandas could write differently: floats
    Python and Arrow print in other forms, whole numbers stored as floats, big integers,
    dates and times (ISO text), blanks, and text to quote, in snapshots that need no quoting
    (written by Arrow alone) and in ones that do (their runs of plain columns by Arrow)."""
    floats = [0.1, 1e16, -0.0, 0.0, 1 / 3, 2.0, 1e-05, 5e-324, 123456789012345.67, 1e22,
              9999999999999998.0, 1e15, 0.0001, 1.2345678901234567e-07, float("inf"), None]
    rows = len(floats)
    quiet = pd.DataFrame({
        "project_id": [f"P{n:02d}" for n in range(rows)],
        "budget": floats,
        "slip_days": [0, -1, 2**53, -(2**62), 7, None, 42, 10**15] * 2,
        "ratio": [2.0, 3.0, None, -7.0] * 4,  # whole numbers, stored as floats
        "start_date": ["2026-09-30", None, "2024-02-29", "1999-12-31"] * 4,
        "updated": ["2026-09-30T12:00:00", "2026-09-30 08:15:00+00:00", None, ""] * 4,
        "stale": [True, False, None, True] * 4,
        "status_summary": ["café ☕", "plain", "", None, " lead", "trail ", "semi;colon",
                           "tab\there", "日本語", "1.0", "True", "None", "x" * 80, "-0",
                           "é", "ok"],
    }, dtype=object)
    loud = quiet.assign(status_summary=[
        "with, comma", 'say "hi"', "two\nlines", "carriage\rreturn", '"', ",", "\n", "\r\n",
        "plain", None, "", "a,b\nc", "ünï, cödé", "end,", ",start", "ok"],
        budget=[5, 2.5, None, 1e16, 2**53, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13])
    return [_snapshot(dt.date(2026, 11, day), frame)
            for day, frame in ((3, quiet), (10, loud), (17, quiet))]


def test_csv_and_parquet_of_tricky_cells_are_what_pandas_writes(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]
                                                               ) -> None:
    store = tmp_path / "h.sqlite"
    with History(store) as history:
        for snapshot in _tricky_weeks():
            history.record(snapshot)
        _assert_exports_match_rows(history, "Projects")
        plain = history.export("Projects")
    expected = plain.to_csv(index=False, lineterminator="\n").encode("utf-8")
    out = tmp_path / "export.csv"
    register_path = tmp_path / "Register.xlsx"
    assert main(["history", "export", str(register_path), "--history", str(store),
                 "--format", "csv", "--out", str(out)]) == 0
    assert out.read_bytes() == expected
    read_back = pd.read_csv(out, dtype=str, keep_default_na=False, nrows=19)
    assert read_back["status_summary"].tolist()[16:19] == [
        "with, comma", 'say "hi"', "two\nlines"]
    # A carriage return alone is not quoted, as pandas (Python's csv module) writes it.
    assert b",carriage\rreturn\n" in expected
    parquet = tmp_path / "export.parquet"
    assert main(["history", "export", str(register_path), "--history", str(store),
                 "--format", "parquet", "--out", str(parquet)]) == 0
    capsys.readouterr()
    got = pq.read_table(parquet)
    assert got.schema.equals(_parquet(_typed(plain)).schema, check_metadata=True)
    assert got.equals(_parquet(_typed(plain)))
    # A whole number beyond 2**53 among fractions becomes the nearest float, as in pandas.
    assert got.column("budget").to_pylist()[16:21] == [5.0, 2.5, None, 1e16, 2.0**53]
    pd.testing.assert_frame_equal(pd.read_parquet(parquet), _typed(plain))
    # Statistics of the columns a reader selects rows by, not of other text (flags with
    # blanks are text there).
    columns = pq.read_metadata(parquet).row_group(0)
    kept = {columns.column(i).path_in_schema: columns.column(i).is_stats_set
            for i in range(columns.num_columns)}
    assert kept == {"as_of": True, "project_id": True, "budget": True, "slip_days": True,
                    "ratio": True, "start_date": False, "updated": False, "stale": False,
                    "status_summary": False}
    stats = columns.column(0).statistics
    assert (stats.min, stats.max, stats.null_count) == ("2026-11-03", "2026-11-17", 0)
