"""The lessons recommender at scale and its why for RAID items (pmo_xl.lessons): the batch
(`recommend_all`) gives every project exactly what `recommend` gives it alone, and both equal
a brute-force ranking of every lesson; a lesson that matched words of a project's open RAID
items names the item, in the text and JSON output of `pmo-xl lessons`."""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from registers import VALID_LESSON, VALID_PROJECT, VALID_RAID, register

from pmo_xl.lessons import (
    BOOSTS,
    NEXT_PHASE,
    PROBLEMS,
    LessonIndex,
    bm25_scores,
    build_index,
    recommend,
    recommend_all,
)
from pmo_xl.reader import Register, read_register, read_sheets
from pmo_xl.schema import LESSONS, PROJECTS

EVAL = Path(__file__).resolve().parent / "data" / "lessons_eval"


def _csv(name: str) -> list[dict[str, str]]:
    with (EVAL / name).open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def synthetic_register(lessons: int = 3000, projects: int = 150, seed: int = 11) -> Register:
    """A log recombined from the evaluation set's texts, as the bench's is, but small: every
    third lesson is a word-for-word copy of an earlier one (ties the ranking must break in
    register order), and the projects' phases, programmes and figures vary."""
    rng = random.Random(seed)
    source_p, source_l = _csv("projects.csv"), _csv("lessons.csv")
    p_head = [c.name for c in PROJECTS.columns if c.name in source_p[0]]
    rows = [p_head]
    for n in range(projects):
        row = dict(rng.choice(source_p))
        for key in ("Status Summary", "Key Risks", "Next Steps", "Programme", "Phase"):
            row[key] = rng.choice(source_p)[key]
        row["Project ID"] = f"P{n:04d}"
        rows.append([row[h] for h in p_head])
    l_head = [c.name for c in LESSONS.columns]
    made: list[dict[str, str]] = []
    for n in range(lessons):
        if n % 3 == 2:
            row = dict(rng.choice(made))  # the same lesson logged again, by another project
        else:
            parts = [rng.choice(source_l) for _ in range(3)]
            row = dict(parts[0])
            row["Description"] = f"{parts[1]['Description']} Seen at site {rng.randint(1, 99)}."
            row["Recommendation"] = parts[2]["Recommendation"]
        row["Lesson ID"], row["Project ID"] = f"L{n:05d}", f"P{rng.randrange(projects):04d}"
        made.append(row)
    lesson_rows = [l_head, *([row.get(h, "") for h in l_head] for row in made)]
    settings = [["Setting", "Value"], ["Report Date", "2026-09-30"], ["Date Order", "auto"]]
    return read_sheets(Path("synthetic.xlsx"), {"Projects": rows, "Lessons": lesson_rows,
                                                "Settings": settings})


def _key(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else " ".join(str(value).split()).casefold()


def brute_force(index: LessonIndex, position: int, top: int) -> list[tuple[str, float]]:
    """Every lesson scored and sorted, the boosts read from the lessons' and the project's
    own fields (not from the index's codes and bounds), own lessons left out."""
    lessons, project = index.lessons, index.projects.iloc[position]
    bm25 = bm25_scores(index, index.query(position))
    programme, phase = _key(project["programme_value"]), project["phase"]
    phases = {_key(phase), _key(NEXT_PHASE.get(str(phase)))} - {None}
    pointed = {c for p in PROBLEMS if p.name in project["problems"] for c in p.categories}
    multiplier = 1.0 + index.prior
    if programme is not None:
        multiplier += BOOSTS["same_programme"] * np.array(
            [_key(v) == programme for v in lessons["programme"]])
    multiplier += BOOSTS["phase"] * np.array([_key(v) in phases for v in lessons["phase"]])
    multiplier += BOOSTS["problem_category"] * lessons["category"].isin(pointed).to_numpy()
    finals = bm25 * multiplier
    finals[(lessons["project_id"] == project["project_id"]).to_numpy()] = 0.0
    order = [d for d in np.lexsort((np.arange(len(finals)), -finals)) if finals[d] > 0][:top]
    return [(lessons["lesson_id"].iat[d], float(finals[d])) for d in order]


@pytest.fixture(scope="module")
def synthetic_index() -> LessonIndex:
    return build_index(synthetic_register())


@pytest.mark.parametrize("top", [1, 3, 10])
def test_the_batch_is_each_project_alone_and_a_brute_force_ranking(
        synthetic_index: LessonIndex, top: int) -> None:
    every = recommend_all(synthetic_index, top=top)
    assert len(every) == len(synthetic_index.projects)
    for pid, found in every.items():
        alone = recommend(synthetic_index, pid, top=top)
        assert [(r.lesson_id, r.score, r.why, r.matched) for r in found] == [
            (r.lesson_id, r.score, r.why, r.matched) for r in alone]
        expected = brute_force(synthetic_index, synthetic_index.project_position(pid), top)
        assert [r.lesson_id for r in found] == [lid for lid, _ in expected], pid
        # scores are shown to 4 decimals
        assert [r.score for r in found] == pytest.approx([s for _, s in expected], abs=6e-5)


def test_copied_lessons_tie_and_keep_register_order(synthetic_index: LessonIndex) -> None:
    """The copies score alike, so some top 10 holds two of them, the earlier row first."""
    lessons = synthetic_index.lessons
    wording = dict(zip(lessons["lesson_id"], zip(lessons["lesson"], lessons["description"],
                                                 strict=True), strict=True))
    tied = 0
    for found in recommend_all(synthetic_index, top=10).values():
        for a, b in zip(found, found[1:], strict=False):
            if a.score == b.score and wording[a.lesson_id] == wording[b.lesson_id]:
                tied += 1
                assert a.row < b.row
    assert tied > 0


# --- why: the project's open RAID items ------------------------------------------------------

RAID_DAY = dt.date(2026, 8, 1)


def raid_register(path: Path) -> Path:
    projects = [
        {**VALID_PROJECT, "Project ID": "PRJ-001", "Project Name": "Payroll Upgrade",
         "Status Summary": "Build on track.", "Key Risks": "Test window is short.",
         "Next Steps": "Start system testing."},
        {**VALID_PROJECT, "Project ID": "PRJ-002", "Project Name": "Depot Refit",
         "Programme": "Estates"},
        {**VALID_PROJECT, "Project ID": "PRJ-003", "Project Name": "CRM Roll-out",
         "Programme": "Customer"}]
    lessons = [
        {**VALID_LESSON, "Lesson ID": "LL-1", "Project ID": "PRJ-002",
         "Lesson": "Supplier onboarding took two months",
         "Description": "Vendor vetting and site access were not started until contract "
                        "signature.", "Recommendation": "Start supplier onboarding early."},
        {**VALID_LESSON, "Lesson ID": "LL-2", "Project ID": "PRJ-003",
         "Lesson": "System testing window was too short",
         "Description": "Testing squeezed by a long build.",
         "Recommendation": "Protect the test window."},
        {**VALID_LESSON, "Lesson ID": "LL-3", "Project ID": "PRJ-003",
         "Lesson": "Asbestos survey held up demolition",
         "Description": "Survey booked after the strip-out.",
         "Recommendation": "Commission the survey first."}]
    raid = [
        {**VALID_RAID, "RAID ID": "R-0042", "Project ID": "PRJ-001",
         "Title": "Supplier onboarding delay",
         "Description": "The payroll vendor's consultants are still waiting for vetting.",
         "Response / Mitigation": "Escalate onboarding to the supplier's account lead.",
         "Raised": RAID_DAY},
        {**VALID_RAID, "RAID ID": "R-0043", "Project ID": "PRJ-001", "Type": "Issue",
         "Title": "Asbestos survey", "Description": "Survey of the plant room.",
         "Response / Mitigation": "", "Status": "Closed", "Closed On": RAID_DAY,
         "Raised": RAID_DAY},
        {**VALID_RAID, "RAID ID": "R-0050", "Project ID": "PRJ-003",
         "Title": "Supplier onboarding", "Raised": RAID_DAY}]
    return register(path, projects, lessons, raid=raid)


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    from pmo_xl.cli import main

    capsys.readouterr()
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert not err
    return out


def test_why_names_the_open_raid_item_a_lesson_matched(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(raid_register(tmp_path / "Register.xlsx"))
    found = {r["lesson_id"]: r for r in json.loads(_cli(
        ["lessons", path, "--project", "PRJ-001", "--format", "json"], capsys))["lessons"]}
    supplier, testing = found["LL-1"], found["LL-2"]
    assert supplier["raid_items"] == ["R-0042"]
    line = next(w for w in supplier["why"] if w.startswith("matches your open RAID item"))
    assert line.startswith("matches your open RAID item R-0042: Supplier onboarding delay (")
    # the lesson's own words for the terms the item shares (vetting and vendor fold into them)
    assert set(line.split("(", 1)[1].rstrip(")").split(", ")) == {"onboarding", "supplier"}
    assert testing["raid_items"] == []  # it matched the project's own row only
    assert not any("RAID" in w for w in testing["why"])
    assert "LL-3" not in found  # the asbestos issue is closed: not in the query, not named
    text = _cli(["lessons", path, "--project", "PRJ-001"], capsys)
    assert "matches your open RAID item R-0042: Supplier onboarding delay (" in text
    assert "R-0043" not in text and "R-0050" not in text  # closed; another project's


def test_sample_register_recommendations_name_only_their_projects_open_items(
        sample_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raid = read_register(sample_path).table("RAID")
    assert raid is not None
    values = raid.values
    open_items = values.loc[values["status"] != "Closed", ["raid_id", "project_id"]]
    named = 0
    for pid in ("PRJ-0001", "PRJ-0003", "PRJ-0005"):
        mine = set(open_items.loc[open_items["project_id"] == pid, "raid_id"])
        found = json.loads(_cli(["lessons", str(sample_path), "--project", pid, "--format",
                                 "json"], capsys))["lessons"]
        for r in found:
            assert set(r["raid_items"]) <= mine, (pid, r["raid_items"])
            lines = [w for w in r["why"] if w.startswith("matches your open RAID item")]
            assert len(lines) == bool(r["raid_items"])
            if lines:
                assert lines[0].startswith(f"matches your open RAID item {r['raid_items'][0]}:")
                named += 1
    assert named > 0
