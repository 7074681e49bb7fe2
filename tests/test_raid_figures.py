"""The RAID item figures (`raid_metrics`, computed column-wise by integer codes) against a
straightforward reference that follows pmo_xl.raid's definitions item by item, on small
random registers: repeated and differently spelt Project IDs and milestone names, unknown
projects, blank and unusable values, with and without a Milestones sheet. Bounded like
test_properties (PMO_XL_HYPOTHESIS_EXAMPLES, default 25)."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from pathlib import Path
from typing import Any

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from registers import VALID_MILESTONE, VALID_RAID, project, register
from test_properties import PROPERTY

from pmo_xl.metrics import project_metrics, usable_dates
from pmo_xl.raid import normalised_ids, raid_metrics
from pmo_xl.reader import Register, Table, read_register
from pmo_xl.schema import CLOSED, CLOSING_STAGES, normalise_word

# A few IDs and milestone names, so that items find their projects and milestones and find
# repeated ones, and other spellings of each that mean the same (as compared).
IDS = ("P-1", "p-1", "P-2", "Ä-3", 7, None)
MILESTONE_IDS = ("P-1", "p-1", "P-2", "ä-3", 7, "P-9", None)
NAMES = ("Go-live", "go  live", "Straße", "Design", 3, None)
SPELLINGS: dict[object, tuple[object, ...]] = {
    "P-1": ("p-1 ", "P-1"), "p-1": ("P-1",), "P-2": ("p-2",), "Ä-3": ("ä-3",), "ä-3": ("Ä-3",),
    7: ("7",), "Go-live": ("GO-LIVE",), "go  live": ("Go Live",), "Straße": ("STRASSE",),
    3: ("3",)}
# A few dates, so that some are equal (due on the as-of date, delivered on Needed By).
DATES = st.sampled_from((None, "soon", dt.date(2026, 6, 30), dt.date(2026, 9, 30),
                         dt.date(2027, 6, 30)))
SCALE = st.sampled_from((1, 2, 3, 4, 5, "3", 7, "high", None))
REPORT_DATE = dt.date(2026, 9, 30)  # the Settings' Report Date (registers.AS_OF)
AS_OF = (None, dt.date(2026, 6, 30), dt.date(2027, 6, 30))


def _ages(as_of: dt.date | None) -> st.SearchStrategy[int]:
    """Issue Age Days that an issue raised on one of the DATES reaches exactly, or just
    passes."""
    day = as_of or REPORT_DATE
    ages = [(day - d).days for d in (dt.date(2026, 6, 30), REPORT_DATE, dt.date(2027, 6, 30))]
    return st.sampled_from([days - less for days in ages if days > 1 for less in (0, 1)]
                           or [30])


@st.composite
def projects(draw: st.DrawFn) -> dict[str, Any]:
    return project(**{
        "Project ID": draw(st.sampled_from(IDS)),
        "Phase": draw(st.sampled_from(("Execution", "Closing", "Closed", "Closed", "Bogus",
                                       None))),
        "Overall RAG": draw(st.sampled_from(("Red", "Red", "Amber", "Green", None))),
        "Start Date": draw(DATES), "Baseline Finish": draw(DATES),
        "Forecast Finish": draw(DATES), "Actual Finish": draw(DATES),
        "Percent Complete": draw(st.sampled_from((0, 0.5, 1, None, "lots")))})


@st.composite
def milestones(draw: st.DrawFn) -> dict[str, Any]:
    return {**VALID_MILESTONE, "Project ID": draw(st.sampled_from(MILESTONE_IDS)),
            "Milestone": draw(st.sampled_from(NAMES)), "Baseline Date": draw(DATES),
            "Forecast Date": draw(DATES), "Actual Date": draw(DATES)}


def _spelt(value: object) -> st.SearchStrategy[object]:
    return st.sampled_from((value, *SPELLINGS.get(value, ())))


@st.composite
def items(draw: st.DrawFn, needed: list[tuple[object, object]]) -> dict[str, Any]:
    """An item; a dependency waits for one of the `needed` (project, milestone) pairs, spelt
    its own way, half the time, else for any project or milestone."""
    pair = st.sampled_from(needed).flatmap(lambda p: st.tuples(_spelt(p[0]), _spelt(p[1])))
    on, name = draw(st.one_of(
        st.tuples(st.sampled_from((*IDS, "P-9")).flatmap(_spelt),
                  st.sampled_from((*NAMES, "Nope")).flatmap(_spelt)),
        *[pair] * bool(needed)))
    return {**VALID_RAID, "Project ID": draw(st.sampled_from(IDS)),
            "Type": draw(st.sampled_from(("Dependency",) * 3 + ("Risk", "Issue") * 2 + (
                "Assumption", "Decision", "Action", "Other"))),
            "Status": draw(st.sampled_from(("Open", "Open", "Closed", "Parked", None))),
            "Probability": draw(SCALE), "Impact": draw(SCALE),
            "Escalate": draw(st.sampled_from(("Yes", "No", None))),
            "Depends On": on, "Depends On Milestone": name,
            **{key: draw(DATES) for key in ("Raised", "Due Date", "Needed By",
                                            "Decision Needed By", "Decided On", "Closed On")}}


@st.composite
def logs(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]] | None,
                                   list[dict[str, Any]]]:
    """The projects, the milestones (None: no Milestones sheet, one time in four; some
    repeated with other dates) and the RAID items of a register."""
    rows = draw(st.lists(projects(), min_size=1, max_size=6))
    kept = draw(st.lists(milestones(), min_size=2, max_size=12)) if draw(
        st.integers(0, 3)) else None
    if kept:
        kept += [{**draw(st.sampled_from(kept)), "Actual Date": draw(DATES),
                  "Forecast Date": draw(DATES)} for _ in range(draw(st.integers(0, 4)))]
    needed = [(m["Project ID"], m["Milestone"]) for m in kept or []]
    return rows, kept, draw(st.lists(items(needed), min_size=6, max_size=20))


def _blank(value: object) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _key(value: object) -> str | None:
    """A Project ID as compared (the documented `normalised_ids`), None for a blank."""
    return None if _blank(value) else normalised_ids(pd.Series([value], dtype=object))[0]


def _first(rows: list[dict[str, Any]], *keys: str) -> dict[tuple, dict[str, Any]]:
    """The rows by their keys, the first of a repeated one; rows with a blank key left out."""
    found: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        key = tuple(row[k] for k in keys)
        if None not in key:
            found.setdefault(key, row)
    return found


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [dict(zip(frame.columns, row, strict=True)) for row in frame.itertuples(False)]


def reference(reg: Register, table: Table, as_of: dt.date) -> list[dict[str, Any]]:
    """Every item's figures, one item at a time, straight from the module's definitions."""
    metrics = project_metrics(reg, as_of)
    by_id = _first([{**p, "key": _key(p["project_id"])} for p in _records(metrics)], "key")
    kept = reg.milestones
    dated = [] if kept is None else _records(pd.concat([kept.values[["project_id", "milestone"]],
                                                        usable_dates(kept)], axis=1))
    by_name = _first([{**m, "key": _key(m["project_id"]), "word": None if _blank(
        m["milestone"]) else normalise_word(m["milestone"])} for m in dated], "key", "word")
    today, settings = pd.Timestamp(as_of), reg.settings
    found = []
    for item in _records(pd.concat([table.values.drop(columns=list(usable_dates(table))),
                                    usable_dates(table)], axis=1)):
        kind = item["type"]
        closed = item["status"] == CLOSED or (_blank(item["status"])
                                              and not _blank(item["closed_on"]))
        p, i = (math.nan if _blank(x) else float(x) for x in (item["probability"],
                                                             item["impact"]))
        due = (item["due_date"] if kind == "Action" else
               item["due_date"] if kind == "Decision" and _blank(item["decision_needed_by"])
               else item["decision_needed_by"] if kind == "Decision" else pd.NaT)
        decided = kind == "Decision" and not _blank(item["decided_on"])
        overdue = not closed and not decided and not _blank(due) and due < today
        age = math.nan if _blank(item["raised"]) else (today - item["raised"]).days
        of = by_id.get((_key(item["project_id"]),), {})
        found.append({
            "probability": p, "impact": i, "score": p * i, "is_open": not closed,
            "age_days": age, "due": due, "overdue": overdue,
            "days_overdue": (today - due).days if overdue else math.nan,
            "decision_open": kind == "Decision" and not closed and not decided,
            "high_risk": kind == "Risk" and not closed and p * i >= settings.high_risk_score,
            "old_issue": kind == "Issue" and not closed and age > settings.issue_age_days
                         and item["escalate"] != "Yes",
            "project_phase": of.get("phase"),
            "assumption_open_at_close": kind == "Assumption" and not closed
                                        and of.get("phase") in CLOSING_STAGES,
            **_dependency(item, closed, by_id, by_name)})
    return found


def _dependency(item: dict[str, Any], closed: bool, by_id: dict, by_name: dict
                ) -> dict[str, Any]:
    """The dependency figures of one item (blank unless an open dependency on a known
    project)."""
    key = _key(item["depends_on"])
    on = by_id.get((key,))
    if item["type"] != "Dependency" or closed or on is None:
        return {"depends_on_project": None, "depends_on_delivers": pd.NaT,
                "milestone_unknown": False, "dependency_at_risk": False,
                "at_risk_reason": None}
    name = item["depends_on_milestone"]
    milestone = None if _blank(name) else by_name.get((key, normalise_word(name)))
    date = pd.NaT if milestone is None else next(
        (d for d in (milestone["actual_date"], milestone["forecast_date"],
                     milestone["baseline_date"]) if not _blank(d)), pd.NaT)
    known = not _blank(date)
    delivers = date if known else on["finish"]
    late = not _blank(delivers) and not _blank(item["needed_by"]) and delivers > item[
        "needed_by"]
    is_closed = on["phase"] == CLOSED
    red = bool(on["active"]) and on["overall_rag"] == "Red" and not is_closed
    # A blank or unusable Percent Complete (NaN) is never taken for below 100 %.
    delivered = (not _blank(milestone["actual_date"]) if known
                 else not on["percent_complete"] < 1)
    undelivered = is_closed and not delivered
    what = f"its milestone '{name}'" if known else "its finish"
    reasons = [f"forecasts {what} on {delivers:%Y-%m-%d}, after Needed By "
               f"{item['needed_by']:%Y-%m-%d}"] if late else []
    reasons += ["is Red"] if red else []
    reasons += ([f"is Closed without having reached {what}" if known
                 else "is Closed below 100 % complete"] if undelivered else [])
    return {"depends_on_project": on["project_id"], "depends_on_delivers": delivers,
            "milestone_unknown": not _blank(name) and not known,
            "dependency_at_risk": late or red or undelivered,
            "at_risk_reason": "; ".join(reasons)}


def _same(a: object, b: object) -> bool:
    return (_blank(a) and _blank(b)) or (not _blank(a) and not _blank(b) and a == b)


_FILES = itertools.count()  # one workbook per example, in the test's tmp_path
FIGURES = {"log": logs(),
           "when": st.sampled_from(AS_OF).flatmap(lambda d: st.tuples(st.just(d), _ages(d))),
           "high": st.sampled_from((4, 6, 9, 12, 15))}  # as scores reach exactly


@PROPERTY
@given(**FIGURES)
def test_the_item_figures_follow_the_definitions(
        log: tuple[list[dict[str, Any]], list[dict[str, Any]] | None, list[dict[str, Any]]],
        when: tuple[dt.date | None, int], high: int, tmp_path: Path) -> None:
    project_rows, milestone_rows, item_rows = log
    as_of, age = when
    raid = [{**row, "RAID ID": f"R-{n}"} for n, row in enumerate(item_rows)]
    path = register(tmp_path / f"r{next(_FILES)}.xlsx", project_rows, milestones=milestone_rows,
                    raid=raid, settings={"High Risk Score": high, "Issue Age Days": age})
    reg = read_register(path)
    table = reg.table("RAID")
    assert table is not None
    assert reg.settings.report_date == REPORT_DATE
    day = as_of or REPORT_DATE
    figures = raid_metrics(table, reg, day)
    expected = reference(reg, table, day)
    assert list(figures.index) == list(table.values.index)
    for row, (got, want) in enumerate(zip(_records(figures), expected, strict=True)):
        assert list(got) == list(want)
        wrong = {k: (got[k], want[k]) for k in got if not _same(got[k], want[k])}
        assert not wrong, f"item {raid[row]['RAID ID']}: {wrong}"
