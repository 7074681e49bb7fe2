"""How a snapshot is written: the typed columns `take_snapshot` turns into Arrow arrays and
(when read) plain values, and the row tables' inserts built from them, checked against the
plain way (each cell looked at, one plain INSERT per row) on real registers and real SQLite
files: the same cells with the same SQL types, blanks, NaN, dates, big integers and text
that looks like a number included."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from registers import register
from test_history import _week_1, _week_2

from pmo_xl import history, history_bulk
from pmo_xl.cli import main
from pmo_xl.history import (
    History,
    PlainSheets,
    Snapshot,
    SnapshotInfo,
    snapshot_columns,
    take_snapshot,
)
from pmo_xl.history_columnar import arrow_column, sheet_arrays
from pmo_xl.metrics import child_frame, plain_column, rollup
from pmo_xl.reader import read_register

DAY = dt.date(2026, 9, 30)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample register: every sheet (RAID too) and planted problems."""
    path = tmp_path_factory.mktemp("sample") / "Sample.xlsx"
    assert main(["sample", str(path), "--projects", "60"]) == 0
    return path


def _typed_frames(path: Path) -> dict[str, pd.DataFrame]:
    """The typed frames a snapshot is taken from: the projects' and the roll-up's children."""
    register = read_register(path)
    portfolio = rollup(register, DAY)
    frames = {"Projects": child_frame(register.projects, DAY, register)}
    frames.update(portfolio.children)
    return frames


def _odd_types() -> pd.DataFrame:
    """Every kind of column a register or a figure might give, blanks in each."""
    return pd.DataFrame({
        "slip_days": [1.0, np.nan, -3.0],  # whole days: Int64 with a blank
        "budget": [1.005, 2.675, np.nan], "cpi": [np.inf, -np.inf, -0.0],
        "flags": pd.array([True, None, False], dtype="boolean"),
        "count": pd.array([1, None, 3], dtype="Int64"),
        "small": np.array([1.5, np.nan, 2.25], dtype=np.float32),
        "huge": np.array([2**64 - 1, 1, 2], dtype=np.uint64),  # beyond SQLite: no copy
        "bytes": np.array([1, 2, 3], dtype=np.uint8), "done": [True, False, True],
        "codes": pd.Categorical([1, 2, None]), "none": pd.Categorical([None, None, None]),
        "word": pd.Categorical(["x", None, "x"]), "blank": pd.Series([None] * 3, dtype="str"),
        "nan": [np.nan] * 3, "text": pd.Series(["007", "", "\x00é"], dtype="str"),
        "python_text": pd.Series(["1e3", None, "NaN"], dtype=pd.StringDtype("python")),
        "mixed": ["a", 1, None], "numbers": [1, 2.5, None],
        "day": pd.to_datetime(["2026-01-01", None, "1999-12-31 13:00"], format="ISO8601"),
    })


def _same_cells(got: np.ndarray, want: np.ndarray) -> bool:
    """Equal cell for cell, of the same Python type, NaN equal to NaN and -0.0 not to 0.0."""
    return len(got) == len(want) and all(
        type(a) is type(b) and (a == b or a != a and b != b) and
        (not isinstance(a, float) or np.signbit(a) == np.signbit(b))
        for a, b in zip(got, want, strict=True))


def _assert_plain_and_arrow_as_before(frame: pd.DataFrame) -> None:
    columns, arrays = snapshot_columns(frame)
    plain = PlainSheets({"sheet": columns}, {"sheet": len(frame)})["sheet"]
    assert list(plain.columns) == list(frame.columns) and len(plain) == len(frame)
    for name, values in frame.items():
        want = plain_column(name, values).to_numpy(dtype=object)
        assert _same_cells(plain[name].to_numpy(), want), name
        expected, got = arrow_column(want), arrays[name]
        if expected is None:
            assert got is None, name
        else:
            assert got is not None and got.type == expected.type and got.equals(expected), name


def test_typed_columns_give_the_plain_values_and_arrow_the_cells_would(sample: Path,
                                                                       tmp_path: Path) -> None:
    paths = [sample, register(tmp_path / "w1.xlsx", **_week_1()),
             register(tmp_path / "w2.xlsx", **_week_2())]
    frames = [frame for path in paths for frame in _typed_frames(path).values()]
    frames.append(_odd_types())
    for frame in frames:
        for part in (frame, frame.iloc[:0], frame.iloc[:2]):  # no rows, a few
            _assert_plain_and_arrow_as_before(part)


def _awkward() -> pd.DataFrame:
    """Plain values as a snapshot holds them, the awkward ones a register can give."""
    return pd.DataFrame({
        "project_id": ["P1", "P2", "P3", "P4", "P5"],
        "text": ["007", "1e3", "NaN", "", None], "unicode": ["é\x00x", "☃", "a\nb", "'\"", None],
        "ints": [1, 2**63 - 1, -(2**63), None, 0], "floats": [1.5, float("nan"), None, 0.0, -0.0],
        "inf": [float("inf"), 1.0, None, 2.0, 3.0], "flags": [True, False, None, True, False],
        "flags_and_numbers": [True, 1, 0, None, False], "dates": ["2026-09-30", None,
                                                               "2026-01-01", "2027-02-28", None],
        "mixed": ["a", 1, 2.5, None, True], "whole_and_fractions": [1, 2.5, None, 3, 4.0],
        "blank": [None] * 5,
    }, dtype=object)


def _reference_store(path: Path, snapshot: Snapshot, tables: dict[str, str]) -> None:
    """The rows the plain way: each cell as the sqlite3 module binds it (None as NULL,
    bools as 1 and 0), one INSERT per row."""
    with sqlite3.connect(path) as db:
        for sheet, frame in snapshot.sheets.items():
            names = ", ".join(f'"{name}"' for name in ["as_of", *frame.columns])
            db.execute(f'CREATE TABLE "{tables[sheet]}" ({names})')
            marks = ", ".join("?" * (len(frame.columns) + 1))
            db.executemany(f'INSERT INTO "{tables[sheet]}" VALUES ({marks})',
                           [(snapshot.info.as_of.isoformat(), *row)
                            for row in frame.itertuples(index=False)])


def _cells(path: Path, table: str) -> list[tuple[object, ...]]:
    """Every cell of the table with its SQL type, in row order."""
    with sqlite3.connect(path) as db:
        names = [row[1] for row in db.execute(f'PRAGMA table_info("{table}")')]
        typed = ", ".join(f'"{n}", typeof("{n}")' for n in names)
        return [(names, *row) for row in db.execute(f'SELECT {typed} FROM "{table}" ORDER BY '
                                                     "rowid")]


@pytest.mark.parametrize("staged", [True, False], ids=["staged in bulk", "bound"])
@pytest.mark.parametrize("typed", [True, False], ids=["taken", "plain values only"])
def test_the_row_tables_hold_what_plain_inserts_store(sample: Path, tmp_path: Path,
                                                      typed: bool, staged: bool,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    copied = _staging_watched(monkeypatch, staged)
    taken = take_snapshot(read_register(sample), DAY)
    sheets = {**taken.sheets, "Awkward": _awkward()}
    arrays = taken.arrays if typed else {}
    snapshot = Snapshot(taken.info, sheets, taken.portfolio, arrays)
    store = tmp_path / "h.sqlite"
    with History(store) as history:
        history.record(Snapshot(taken.info, {"Projects": taken.projects.iloc[:1]}))
        history.record(snapshot)  # replaces the one of that date
        tables = history._tables()
    reference = tmp_path / "reference.sqlite"
    _reference_store(reference, snapshot, tables)
    for sheet in sheets:
        got, want = _cells(store, tables[sheet]), _cells(reference, tables[sheet])
        assert len(got) == len(sheets[sheet]) and got == want, sheet
    with sqlite3.connect(store) as db:  # the date's rows once, none of the replaced ones
        assert db.execute("SELECT count(*) FROM projects").fetchone()[0] == len(taken.projects)
    # Staged: every sheet but the one whose columns mix kinds (bound instead), both times.
    assert copied == ([("Projects", True)] + [(sheet, sheet != "Awkward") for sheet in sheets]
                      if staged else [])


def _staging_watched(monkeypatch: pytest.MonkeyPatch, staged: bool) -> list[tuple[str, bool]]:
    """Staging from the first cell (or never); the sheets it was asked to copy, and whether
    it did, are listed in the list returned."""
    monkeypatch.setattr(history_bulk, "STAGE_FROM_CELLS", 0 if staged else sys.maxsize)
    copied: list[tuple[str, bool]] = []
    copy_into = history_bulk.Staging.copy_into

    def watched(self: history_bulk.Staging, sheet: str, *args: object) -> bool:
        copied.append((sheet, done := copy_into(self, sheet, *args)))
        return done

    monkeypatch.setattr(history_bulk.Staging, "copy_into", watched)
    return copied


def test_rows_are_bound_when_staging_cannot_be_written(sample: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """No temporary folder to stage in: the snapshot is recorded all the same."""
    copied = _staging_watched(monkeypatch, staged=True)
    taken = take_snapshot(read_register(sample), DAY)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "missing"))
    with History(tmp_path / "h.sqlite") as history:
        history.record(taken)
        assert len(history.load(DAY).projects) == len(taken.projects)
    assert copied == []


def test_a_sheet_whose_columns_are_all_blank_keeps_its_rows(tmp_path: Path) -> None:
    info = SnapshotInfo(DAY, "", "r", "", "", 2)
    frame = pd.DataFrame({"project_id": [None, None], "note": [None, None]}, dtype=object)
    with History(tmp_path / "h.sqlite") as history:
        history.record(Snapshot(info, {"Projects": frame}))
        loaded = history.load(DAY)
    assert loaded.projects[["project_id", "note"]].to_dict("list") == {
        "project_id": [None, None], "note": [None, None]}


@pytest.mark.parametrize("rows", [0, 1, 31, 32, 33, 65])
def test_rows_are_written_whole_whatever_their_number(tmp_path: Path, rows: int) -> None:
    """Rows go many to a statement: the last statement's few, and none, are written too."""
    info = SnapshotInfo(DAY, "", "r", "", "", rows)
    frame = pd.DataFrame({"project_id": [f"P{i}" for i in range(rows)],
                          "n": list(range(rows))}, dtype=object)
    with History(tmp_path / "h.sqlite") as history:
        history.record(Snapshot(info, {"Projects": frame}))
    with sqlite3.connect(tmp_path / "h.sqlite") as db:
        stored = db.execute("SELECT project_id, n FROM projects ORDER BY rowid").fetchall()
    assert stored == [(f"P{i}", i) for i in range(rows)]


def test_a_new_store_has_large_pages_and_an_existing_one_keeps_its_own(tmp_path: Path) -> None:
    """The columnar copies are read faster from 16 KiB pages; a store written before (4 KiB
    pages, SQLite's default) is neither rewritten nor harmed, and records on."""
    info = SnapshotInfo(DAY, "", "r", "", "", 1)
    frame = pd.DataFrame({"project_id": ["P1"], "n": [1]}, dtype=object)
    older = tmp_path / "older.sqlite"
    with sqlite3.connect(older) as db:
        db.execute("PRAGMA journal_mode = WAL")  # a store made with 4 KiB pages
    for path in (tmp_path / "new.sqlite", older):
        with History(path) as history:
            history.record(Snapshot(info, {"Projects": frame}))
        with History(path) as history:
            assert history.load(DAY).projects["project_id"].tolist() == ["P1"]
        with sqlite3.connect(path) as db:
            pages = db.execute("PRAGMA page_size").fetchone()[0]
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert pages == (4096 if path == older else 16384)


# Plain values of every kind a snapshot's cell can hold, the awkward ones often.
_CELLS = {
    "text": st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
        ["", "007", "1e3", "NaN", "\x00", "é\x00x"]),
    "whole": st.integers(-(2**63), 2**63 - 1) | st.sampled_from([0, -1, 2**63 - 1]),
    "fraction": st.floats(allow_nan=True, allow_infinity=True) | st.just(-0.0),
    "flag": st.booleans(),
}


@st.composite
def _sheets(draw: st.DrawFn) -> dict[str, pd.DataFrame]:
    """One to three sheets of a few columns, each of one kind (or mixed), blanks anywhere."""
    sheets = {}
    for number in range(draw(st.integers(1, 3))):
        rows = draw(st.integers(0, 40))
        kinds = draw(st.lists(st.sampled_from([*_CELLS, "mixed", "blank"]), min_size=1,
                              max_size=5))
        columns = {}
        for at, kind in enumerate(kinds):
            cell = (st.none() if kind == "blank" else st.one_of(*_CELLS.values())
                    if kind == "mixed" else st.none() | _CELLS[kind])
            columns[f"{kind} {at}"] = draw(st.lists(cell, min_size=rows, max_size=rows))
        sheets["Projects" if number == 0 else f"Sheet {number}"] = pd.DataFrame(
            columns, index=pd.RangeIndex(rows), dtype=object)
    return sheets


@settings(max_examples=int(os.environ.get("PMO_XL_HYPOTHESIS_EXAMPLES", "25")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(sheets=_sheets(), typed=st.booleans())
def test_staged_and_bound_rows_are_the_same_cells(sheets: dict[str, pd.DataFrame], typed: bool,
                                                   tmp_path: Path) -> None:
    """Whatever the cells, the rows staged in bulk and the rows bound one by one store the
    same cells with the same SQL types (and a sheet that cannot be staged is bound)."""
    info = SnapshotInfo(DAY, "", "r", "", "", len(sheets["Projects"]))
    arrays = {name: sheet_arrays(frame) for name, frame in sheets.items()} if typed else {}
    snapshot = Snapshot(info, sheets, {}, arrays)
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    stored, copied = [], []
    for staged in (True, False):
        with pytest.MonkeyPatch.context() as patch:
            copied.append(_staging_watched(patch, staged))
            with History(folder / f"{staged}.sqlite") as history:
                history.record(snapshot)
                tables = history._tables()
        stored.append({sheet: _cells(folder / f"{staged}.sqlite", tables[sheet])
                       for sheet in sheets})
    assert stored[0] == stored[1]
    # Staged: every sheet with rows whose columns each hold one kind.
    kept = {name: sheet_arrays(frame) for name, frame in sheets.items()}
    assert {sheet for sheet, done in copied[0] if done} == {
        name for name, frame in sheets.items()
        if len(frame) and all(array is not None for array in kept[name].values())}
    assert copied[1] == []
    assert {sheet: len(cells) for sheet, cells in stored[0].items()} == {
        sheet: len(frame) for sheet, frame in sheets.items()}


def test_recording_a_taken_snapshot_makes_no_plain_values(sample: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """Staged in bulk, a taken snapshot is recorded from its Arrow arrays alone; its plain
    values are made when its sheets are read, the same as those loaded back."""
    _staging_watched(monkeypatch, staged=True)
    made: list[int] = []
    plain_cells = history.plain_cells
    monkeypatch.setattr(history, "plain_cells", lambda piece: made.append(1) or plain_cells(
        piece))
    taken = take_snapshot(read_register(sample), DAY)
    with History(tmp_path / "h.sqlite") as store:
        store.record(taken)
        assert made == []
        loaded = store.load(DAY)
    for sheet, frame in loaded.sheets.items():
        pd.testing.assert_frame_equal(taken.sheets[sheet], frame[taken.sheets.names(sheet)],
                                      check_dtype=True)
    assert made


def test_kill_while_a_large_snapshot_is_staged_leaves_the_history_whole(tmp_path: Path
                                                                        ) -> None:
    """kill -9 at moments spread over the end of `pmo-xl snapshot` of a register large
    enough to be staged in bulk: the store opens, passes integrity_check, and holds every
    snapshot it holds whole (the earlier one always)."""
    path = tmp_path / "Large.xlsx"
    assert main(["sample", str(path), "--projects", "300"]) == 0
    taken = take_snapshot(read_register(path), DAY)
    cells = sum(taken.sheets.rows(s) * (len(taken.sheets.names(s)) + 1) for s in taken.sheets)
    assert cells >= history_bulk.STAGE_FROM_CELLS  # staged, not bound
    store = tmp_path / "h.sqlite"
    with History(store) as history:
        history.record(taken)
    env = {**os.environ, "TMPDIR": str(tmp_path)}  # where the staging files go

    def command(day: dt.date) -> list[str]:
        return [sys.executable, "-m", "pmo_xl.cli", "snapshot", str(path), "--history",
                str(store), f"--as-of={day.isoformat()}"]

    started = time.perf_counter()
    subprocess.run(command(DAY), check=True, capture_output=True, env=env)
    whole = time.perf_counter() - started
    for attempt in range(20):
        child = subprocess.Popen(command(DAY + dt.timedelta(days=7 + attempt)), env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(whole * (0.55 + 0.5 * attempt / 19))  # reading, staging, copying, commit
        child.kill()
        child.wait()
        with sqlite3.connect(store) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        with History(store) as history:
            dates = [info.as_of for info in history.snapshots()]
            assert dates[0] == DAY
            for day in dates:
                assert len(history.load(day).projects) == 300, day


def test_staging_folders_a_killed_snapshot_left_are_swept(sample: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """Hours old: nobody's, removed by the next staged snapshot; a live snapshot's (fresh),
    and other programs' folders, stay."""
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    copied = _staging_watched(monkeypatch, staged=True)
    hours_ago = time.time() - history_bulk.STALE_AFTER_S - 60
    for name, stale in (("pmo-xl-snapshot-old", True), ("pmo-xl-snapshot-live", False),
                        ("another-programs-old", True)):
        (temp / name).mkdir()
        (temp / name / "stage-0.sqlite").write_bytes(b"staged rows")
        if stale:
            os.utime(temp / name, (hours_ago, hours_ago))
    with History(tmp_path / "h.sqlite") as store:
        store.record(take_snapshot(read_register(sample), DAY))
    assert copied and all(done for _, done in copied)
    assert sorted(p.name for p in temp.iterdir()) == ["another-programs-old",
                                                      "pmo-xl-snapshot-live"]
