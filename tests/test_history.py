"""Period over period: snapshots in a real SQLite history, and what changed between two
registers a week apart with known planted changes (issue 11's core)."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from registers import VALID_LESSON, VALID_MILESTONE, project, register

from pmo_xl.changes import BASELINE_FIELDS, compare, sentence, word_diff
from pmo_xl.cli import main
from pmo_xl.history import SCHEMA_VERSION, History, default_history_path, take_snapshot
from pmo_xl.reader import read_register

WEEK_1, WEEK_2 = dt.date(2026, 9, 23), dt.date(2026, 9, 30)


def _week_1() -> dict[str, Any]:
    projects = [
        project(**{"Project ID": "PRJ-001"}),  # turns Red, finish slips, EAC grows
        project(**{"Project ID": "PRJ-002", "Overall RAG": "Amber"}),  # improves to Green
        project(**{"Project ID": "PRJ-003"}),  # closes
        project(**{"Project ID": "PRJ-004"}),  # removed
        project(**{"Project ID": "PRJ-005", "Status Date": dt.date(2026, 9, 1)}),  # copy-paste
    ]
    milestones = [
        {**VALID_MILESTONE, "Project ID": "PRJ-001", "Milestone": "Design",
         "Baseline Date": dt.date(2026, 9, 20)},  # completed in the period
        {**VALID_MILESTONE, "Project ID": "PRJ-001", "Milestone": "Build",
         "Baseline Date": dt.date(2026, 11, 1), "Forecast Date": dt.date(2026, 11, 1)},
    ]
    return {"projects": projects, "milestones": milestones,
            "lessons": [VALID_LESSON], "settings": {"Report Date": WEEK_1}}


def _week_2() -> dict[str, Any]:
    data = _week_1()
    p1, p2, p3, _removed, p5 = data["projects"]
    p1.update({"Overall RAG": "Red", "Forecast Finish": dt.date(2027, 1, 21),
               "Forecast Cost": 130_000, "Actual Cost": 60_000, "Percent Complete": 0.8,
               "Status Summary": "Supplier late; replan agreed."})
    p2.update({"Overall RAG": "Green"})
    p3.update({"Phase": "Closed", "Actual Finish": dt.date(2026, 9, 28)})
    p5.update({"Status Date": dt.date(2026, 9, 29)})  # text unchanged
    data["projects"] = [p1, p2, p3, p5,
                        project(**{"Project ID": "PRJ-006"})]  # added
    data["milestones"][0]["Actual Date"] = dt.date(2026, 9, 25)
    data["milestones"][1]["Forecast Date"] = dt.date(2026, 11, 15)
    data["lessons"] = [VALID_LESSON, {**VALID_LESSON, "Lesson ID": "LL-2",
                                      "Lesson": "Onboard suppliers before build"}]
    data["settings"] = {"Report Date": WEEK_2}
    return data


@pytest.fixture
def weeks(tmp_path: Path) -> tuple[Path, Path]:
    first = register(tmp_path / "Register 2026-09-23.xlsx", **_week_1())
    second = register(tmp_path / "Register.xlsx", **_week_2())
    return first, second


def _changes(first: Path, second: Path) -> Any:
    a, b = read_register(first), read_register(second)
    return compare(take_snapshot(a), take_snapshot(b), b.standard)


def test_planted_changes_are_found_exactly(weeks: tuple[Path, Path]) -> None:
    result = _changes(*weeks)
    portfolio = result.portfolio()
    assert (result.since, result.as_of) == (WEEK_1, WEEK_2)
    assert portfolio["added"] == ["PRJ-006"] and portfolio["removed"] == ["PRJ-004"]
    assert portfolio["closed"] == ["PRJ-003"]
    assert portfolio["worsened"] == ["PRJ-001"] and portfolio["improved"] == ["PRJ-002"]
    assert portfolio["rag_moves"] == {"Amber->Green": 1, "Green->Red": 1}
    # PRJ-001's finish: baseline 2026-12-31, forecast 2027-01-21 -> 21 days later;
    # PRJ-003 closed on 2026-09-28 -> 94 days earlier than its baseline.
    assert sorted(portfolio["finish_moved"], key=lambda m: m["project_id"]) == [
        {"project_id": "PRJ-001", "days": 21}, {"project_id": "PRJ-003", "days": -94}]
    assert portfolio["milestones_completed"] == 1 and portfolio["milestones_slipped"] == 1
    assert portfolio["lessons_added"] == 1
    # PRJ-001 turned Red (and its EAC went beyond the cost tolerance); PRJ-002's Amber,
    # within its tolerances, never made it an exception.
    assert portfolio["new_exceptions"] == ["PRJ-001"]
    assert portfolio["resolved_exceptions"] == []
    by_field = {c.field: c for c in result.of("PRJ-001")}
    assert by_field["eac"].delta == pytest.approx(130_000 - 100_000 / (0.75 * 100_000 / 50_000))
    assert by_field["spent"].delta == 10_000
    assert by_field["percent_complete"].delta == pytest.approx(0.05)
    assert by_field["status_summary"].note == (
        "[-On track.-] {+Supplier late; replan agreed.+}")
    assert by_field["milestone_slipped"].delta == 14
    assert [w.project_id for w in result.warnings] == ["PRJ-005"]


def test_a_five_level_scale_moves_by_the_standard_in_force(tmp_path: Path) -> None:
    profile = tmp_path / "pmo-xl.toml"
    profile.write_text('[values.Projects."Overall RAG"]\n"Amber/Green" = "Amber"\n'
                       '"Amber/Red" = "Amber"\n', encoding="utf-8")
    ratings = {"PRJ-001": ("Amber/Green", "Amber/Red"), "PRJ-002": ("Amber/Red", "Amber"),
               "PRJ-003": ("Amber", "Amber")}
    paths = []
    for week, day in enumerate((WEEK_1, WEEK_2)):
        paths.append(register(tmp_path / f"w{week}.xlsx", [
            project(**{"Project ID": p, "Overall RAG": r[week]}) for p, r in ratings.items()],
            settings={"Report Date": day}))
    result = _changes(*paths)
    moves = {c.project_id: c.direction for c in result.of_field("overall_rag")}
    # All three words mean Amber, yet Amber/Green -> Amber/Red is a step towards Red and
    # Amber/Red -> Amber one away from it.
    assert moves == {"PRJ-001": "worse", "PRJ-002": "better"}


def test_history_round_trip_and_replace(weeks: tuple[Path, Path], tmp_path: Path) -> None:
    first, second = weeks
    store = tmp_path / "h.sqlite"
    with History(store) as history:
        history.record(take_snapshot(read_register(first)))
        history.record(take_snapshot(read_register(second)))
        history.record(take_snapshot(read_register(second)))  # the same date: replaced
        assert [s.as_of for s in history.snapshots()] == [WEEK_1, WEEK_2]
        loaded = history.load(WEEK_2)
    direct = take_snapshot(read_register(second))
    for sheet, frame in direct.sheets.items():
        pd.testing.assert_frame_equal(loaded.sheets[sheet].drop(columns="as_of"), frame,
                                      check_dtype=False)
    with sqlite3.connect(store) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT count(*) FROM projects").fetchone()[0] == 5 + 5


def test_changes_through_history_equal_changes_against_the_copy(
        weeks: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    first, second = weeks
    assert main(["snapshot", str(first), "--history", str(default_history_path(second))]) == 0
    assert main(["snapshot", str(second)]) == 0
    capsys.readouterr()
    outputs = []
    for since in ("previous", "2026-09-23", str(first)):
        assert main(["changes", str(second), "--since", since, "--format", "json"]) == 0
        data = json.loads(capsys.readouterr().out)
        outputs.append({k: data[k] for k in ("since", "as_of", "portfolio", "projects")})
    assert outputs[0] == outputs[1] == outputs[2]
    assert main(["changes", str(second), "--since", "previous"]) == 0
    text = capsys.readouterr().out
    assert "Finish moved 21 days later, to 2027-01-21" in text
    assert "Forecast finish set to 2027-01-21" in text
    assert "Milestone Build slipped 14 days later, to 2026-11-15" in text


def test_a_baseline_of_the_compared_fields_only_gives_the_same_changes(
        weeks: tuple[Path, Path], tmp_path: Path) -> None:
    first, second = weeks
    current = read_register(second)
    with History(tmp_path / "h.sqlite") as history:
        history.record(take_snapshot(read_register(first)))
        whole = history.load(WEEK_1)
        narrow = history.load(WEEK_1, fields=BASELINE_FIELDS)
    assert len(narrow.projects.columns) < len(whole.projects.columns)
    results = [compare(baseline, take_snapshot(current), current.standard)
               for baseline in (whole, narrow)]
    assert results[0].to_dict() == results[1].to_dict()
    assert dict(results[0].previous) == dict(results[1].previous)
    assert results[0].previous["PRJ-001"]["overall_rag"] == "Green"


def test_export_holds_each_snapshot_cell_for_cell(weeks: tuple[Path, Path],
                                                  tmp_path: Path) -> None:
    """The tidy table is the snapshots as recorded: the same values of the same Python
    types, flags as True/False, blanks as None (not NaN)."""
    snapshots = [take_snapshot(read_register(path)) for path in weeks]
    with History(tmp_path / "h.sqlite") as history:
        for snapshot in snapshots:
            history.record(snapshot)
        for sheet in ("Projects", "Milestones", "Lessons"):
            table = history.export(sheet)
            expected = pd.concat([s.sheets[sheet] for s in snapshots], ignore_index=True)
            assert list(table.columns) == ["as_of", *expected.columns]
            assert table["as_of"].tolist() == [
                s.info.as_of.isoformat() for s in snapshots for _ in range(len(s.sheets[sheet]))]
            for name in expected.columns:
                got, want = table[name].tolist(), expected[name].tolist()
                assert got == want, name
                assert [type(v) for v in got] == [type(v) for v in want], name
        projects = history.export("Projects")
    assert {type(v) for v in projects["stale"]} == {bool}
    assert None in projects["actual_finish"].tolist()  # blanks stay None, never NaN


def test_history_list_and_export(weeks: tuple[Path, Path], tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    first, second = weeks
    history = str(tmp_path / "h.sqlite")
    for path in weeks:
        assert main(["snapshot", str(path), "--history", history]) == 0
    capsys.readouterr()
    assert main(["history", "list", str(second), "--history", history, "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)["snapshots"]
    assert [s["as_of"] for s in listed] == ["2026-09-23", "2026-09-30"]
    assert [s["projects"] for s in listed] == [5, 5]
    assert all(len(s["register_sha256"]) == 64 for s in listed)
    for fmt, reader in (("csv", pd.read_csv), ("parquet", pd.read_parquet)):
        out = tmp_path / f"export.{fmt}"
        assert main(["history", "export", str(second), "--history", history,
                     "--format", fmt, "--out", str(out)]) == 0
        table = reader(out)
        assert len(table) == 10 and list(table.columns[:2]) == ["as_of", "project_id"]
        assert set(table["as_of"].astype(str)) == {"2026-09-23", "2026-09-30"}


@pytest.mark.parametrize("problem", ["no history", "not a database", "no such date"])
def test_history_problems_are_one_line(problem: str, weeks: tuple[Path, Path],
                                       tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    _, second = weeks
    store = tmp_path / "h.sqlite"
    if problem == "not a database":
        store.write_text("a text file, not a history", encoding="utf-8")
    if problem == "no such date":
        assert main(["snapshot", str(second), "--history", str(store)]) == 0
    since = "2020-01-01" if problem == "no such date" else "previous"
    capsys.readouterr()
    assert main(["changes", str(second), "--since", since, "--history", str(store)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(store) in err and "Traceback" not in err


def test_a_newer_schema_is_refused_and_a_store_without_version_is_created(
        tmp_path: Path) -> None:
    store = tmp_path / "h.sqlite"
    with History(store):
        pass
    with sqlite3.connect(store) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(Exception, match="newer pmo-xl"):
        History(store)


def test_kill_during_snapshot_leaves_earlier_history_intact(weeks: tuple[Path, Path],
                                                            tmp_path: Path) -> None:
    first, second = weeks
    store = tmp_path / "h.sqlite"
    with History(store) as history:
        history.record(take_snapshot(read_register(first)))
    command = [sys.executable, "-m", "pmo_xl.cli", "snapshot", str(second), "--history",
               str(store)]
    for attempt in range(20):
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.3 + 0.05 * attempt)  # from start-up to the end of the write
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        with sqlite3.connect(store) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        with History(store) as history:
            dates = [s.as_of for s in history.snapshots()]
            assert dates[0] == WEEK_1 and set(dates) <= {WEEK_1, WEEK_2}
            assert len(history.load(WEEK_1).projects) == 5


def test_word_diff_and_sentences() -> None:
    assert word_diff("Supplier late on build", "Supplier on time on build") == (
        "Supplier [-late-] {+on time+} on build")
    assert word_diff(None, "New text") == "{+New text+}"
    from pmo_xl.changes import Change

    assert sentence(Change("P", "finish", "2026-12-31", "2027-01-01", 1, "worse")) == (
        "Finish moved 1 day later, to 2027-01-01")


def test_reports_since_a_baseline(weeks: tuple[Path, Path], tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    from test_reports import _require_engine, pdf_text

    _require_engine("weasyprint")
    first, second = weeks
    out = tmp_path / "reports"
    argv = ["report", str(second), "--since", str(first), "--out", str(out), "--format",
            "html,pdf", "--pdf-engine", "weasyprint"]
    assert main(argv) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["baseline"] == {"as_of": "2026-09-23", "source": str(first)}
    [project] = out.glob("PRJ-001-*.pdf")
    _, text = pdf_text(project)
    # Headings are upper-cased by the stylesheet, so compare case-insensitively.
    assert "▼ from green" in text.casefold() and "since 23 sep 2026" in text.casefold()
    assert "Finish moved 21 days later, to 2027-01-21" in text
    _, summary = pdf_text(out / "portfolio-summary.pdf")
    assert "what changed since 23 sep 2026" in summary.casefold()
    capsys.readouterr()
    assert main(["changes", str(second), "--since", str(first), "--format", "json"]) == 0
    matrix = json.loads(capsys.readouterr().out)["portfolio"]["rag_matrix"]
    # The summary's movement matrix shows the same counts, row by row.
    for before, row in matrix.items():
        assert f"{before} {' '.join(str(n) for n in row.values())}" in summary
    # Same baseline: nothing redone; another baseline: every report redone.
    assert main(argv) == 0
    again = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert again["files"] == manifest["files"]
    assert main([*argv[:3], str(second), *argv[4:]]) == 0
    moved = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert moved["baseline"]["as_of"] == "2026-09-30"
    changed = [name for name, entry in moved["files"].items()
               if entry["inputs_sha256"] != manifest["files"][name]["inputs_sha256"]]
    assert len(changed) == len(moved["files"])


def back_to_schema(store: Path, version: int) -> None:
    """Turns a store into what pmo-xl of that schema version wrote: no row ranges and an
    index on as_of in each row table (before 4), no columnar copies (before 3), no
    portfolio figures (before 2)."""
    with sqlite3.connect(store) as db:
        db.execute("DROP TABLE row_ranges")
        for (table,) in db.execute("SELECT table_name FROM sheets").fetchall():
            db.execute(f'CREATE INDEX "{table}_as_of" ON "{table}" (as_of)')
        if version < 3:
            db.execute("DROP TABLE columnar")
        if version < 2:
            db.execute("DROP TABLE portfolio")
        db.execute(f"PRAGMA user_version = {version}")


def test_a_store_of_schema_1_is_migrated(weeks: tuple[Path, Path], tmp_path: Path) -> None:
    first, second = weeks
    store = tmp_path / "h.sqlite"
    with History(store) as history:
        history.record(take_snapshot(read_register(first)))
    back_to_schema(store, 1)  # no portfolio figures
    with History(store) as history:
        history.record(take_snapshot(read_register(second)))
        assert len(history.load(WEEK_1).projects) == 5  # the earlier snapshot, intact
        trend = history.trend(WEEK_2)
    with sqlite3.connect(store) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
    assert [t["as_of"] for t in trend] == ["2026-09-23", "2026-09-30"]
    # Active and Green on 30 Sep: PRJ-002, PRJ-005, PRJ-006 (PRJ-003 has closed).
    assert trend[0]["cpi"] is None and trend[1]["green"] == 3


def test_reports_chart_trends_from_three_snapshots(weeks: tuple[Path, Path],
                                                   tmp_path: Path) -> None:
    first, second = weeks
    history = default_history_path(second)
    for path, day in ((first, "2026-09-16"), (first, "2026-09-23"), (second, "2026-09-30")):
        assert main(["snapshot", str(path), "--history", str(history), "--as-of", day]) == 0
    out = tmp_path / "reports"
    assert main(["report", str(second), "--since", "previous", "--out", str(out),
                 "--format", "html"]) == 0
    summary = (out / "portfolio-summary.html").read_text(encoding="utf-8")
    assert 'aria-label="Trend of the Overall RAG counts and CPI/SPI"' in summary
    assert "The last 3 snapshots" in summary
    [project] = out.glob("PRJ-001-*.html")
    assert 'aria-label="Trend of the project' in project.read_text(encoding="utf-8")


def test_two_concurrent_snapshots_of_different_dates_both_land(weeks: tuple[Path, Path],
                                                               tmp_path: Path) -> None:
    first, second = weeks
    store = tmp_path / "h.sqlite"
    with History(store):
        pass  # created first, so both processes open an existing store
    for round_ in range(3):
        children = [subprocess.Popen([sys.executable, "-m", "pmo_xl.cli", "snapshot",
                                      str(path), "--history", str(store), "--as-of", day],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                    for path, day in ((first, f"2026-0{round_ + 1}-01"),
                                      (second, f"2026-0{round_ + 1}-08"))]
        for child in children:
            _, err = child.communicate(timeout=120)
            assert child.returncode == 0, err
    with History(store) as history:
        days = [s.as_of.isoformat() for s in history.snapshots()]
        assert days == ["2026-01-01", "2026-01-08", "2026-02-01", "2026-02-08",
                        "2026-03-01", "2026-03-08"]
        assert all(len(history.load(dt.date.fromisoformat(d)).projects) == 5 for d in days)
