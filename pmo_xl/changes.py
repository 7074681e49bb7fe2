"""What changed between two snapshots of a register: per project and for the portfolio.

`compare(baseline, current, standard)` lines the two snapshots' projects up by Project ID
and compares them column-wise (one vectorised pass per kind of change, then a record only
for the rows that changed): projects added, removed, closed and re-opened; RAG and phase
moves; finish, budget and forecast-cost movements; progress, CPI/SPI and spend in the
period; staleness; copy-paste status updates; text fields that changed (with a word diff);
milestones completed, slipped or newly overdue; lessons added; RAID items opened (new and
open, or re-opened), closed and escalated, risks whose Score rose and risks that became
issues. A RAG move is better or worse
by the rating scale of the standard in force: a step towards Red is worse, on a three- or
five-level scale alike.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from .history import Snapshot
from .schema import CLOSED
from .standard import Standard

RAG_FIELDS = ("overall_rag", "schedule_rag", "cost_rag")
TEXT_FIELDS = ("status_summary", "key_risks", "next_steps")
DATE_FIELDS = ("baseline_finish", "forecast_finish", "actual_finish")
# Money and ratio figures compared as numbers: (field, what it is called in sentences).
AMOUNT_FIELDS = (("budget", "Budget"), ("eac", "Forecast cost (EAC)"))
RATIO_FIELDS = (("percent_complete", "Percent complete"), ("cpi", "CPI"), ("spi", "SPI"))


@dataclass(frozen=True)
class Change:
    """One change of one project: a field's value from the baseline to now."""

    project_id: str
    field: str
    before: Any
    after: Any
    delta: Any = None
    direction: str = ""  # "worse", "better" or "" (neither, or not a matter of better)
    note: str = ""  # e.g. the word diff of a text field

    def to_dict(self) -> dict[str, Any]:
        data = {"field": self.field, "from": self.before, "to": self.after,
                "delta": self.delta}
        if self.direction:
            data["direction"] = self.direction
        if self.note:
            data["note"] = self.note
        return data


@dataclass
class Changes:
    """Every change between a baseline and the current snapshot."""

    since: dt.date
    as_of: dt.date
    baseline: str  # where the baseline came from: a register's path or a history's
    changes: list[Change] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    milestones_completed: int = 0
    milestones_slipped: int = 0
    milestones_overdue: int = 0
    lessons_added: int = 0
    # RAID items opened, closed, escalated and risks whose score rose (None: no RAID log now).
    raid: dict[str, int] | None = None
    warnings: list[Change] = field(default_factory=list)
    # Overall RAG meaning in the baseline -> now, over the projects in both (Unset: blank).
    rag_matrix: dict[str, dict[str, int]] = field(default_factory=dict)
    # Each project's baseline values of the figures reports show beside today's.
    previous: Mapping[str, dict[str, Any]] = field(default_factory=dict)

    def of(self, project_id: str) -> list[Change]:
        """The project's changes (grouped once, on first use: `changes` is complete by then)."""
        grouped = self.__dict__.get("_grouped")
        if grouped is None or grouped[0] != len(self.changes):
            by_project: dict[str, list[Change]] = {}
            for change in self.changes:
                by_project.setdefault(change.project_id, []).append(change)
            grouped = self.__dict__["_grouped"] = (len(self.changes), by_project)
        return grouped[1].get(project_id, [])

    def moved(self, direction: str) -> list[str]:
        """Projects with at least one RAG move in that direction, first seen first."""
        ids = (c.project_id for c in self.changes
               if c.field in RAG_FIELDS and c.direction == direction)
        return list(dict.fromkeys(ids))

    def rag_moves(self) -> dict[str, int]:
        moves = Counter(f"{c.before or 'Unset'}->{c.after or 'Unset'}" for c in self.changes
                        if c.field == "overall_rag")
        return dict(sorted(moves.items()))

    def of_field(self, name: str) -> list[Change]:
        return [c for c in self.changes if c.field == name]

    def portfolio(self) -> dict[str, Any]:
        return {
            "rag_moves": self.rag_moves(),
            "improved": self.moved("better"), "worsened": self.moved("worse"),
            "added": self.added, "removed": self.removed,
            "closed": [c.project_id for c in self.of_field("closed")],
            "reopened": [c.project_id for c in self.of_field("reopened")],
            "finish_moved": [{"project_id": c.project_id, "days": c.delta}
                             for c in self.of_field("finish")],
            "milestones_completed": self.milestones_completed,
            "milestones_slipped": self.milestones_slipped,
            "milestones_overdue": self.milestones_overdue,
            "lessons_added": self.lessons_added,
            "raid": self.raid,
            "rag_matrix": self.rag_matrix,
            "new_exceptions": [c.project_id for c in self.of_field("exception") if c.after],
            "resolved_exceptions": [c.project_id for c in self.of_field("exception")
                                    if not c.after],
        }

    def project_order(self) -> list[str]:
        """Projects with changes, those that worsened first, then by how much changed (ties:
        first seen first)."""
        counts = Counter(c.project_id for c in self.changes)  # in the order first seen
        worse = set(self.moved("worse"))
        return sorted(counts, key=lambda p: (p not in worse, -counts[p]))

    def by_project(self) -> list[dict[str, Any]]:
        """Each project's changes as records, in `project_order`."""
        return [{"project_id": p, "changes": [c.to_dict() for c in self.of(p)]}
                for p in self.project_order()]

    def to_dict(self) -> dict[str, Any]:
        return {"since": self.since.isoformat(), "as_of": self.as_of.isoformat(),
                "baseline": self.baseline, "portfolio": self.portfolio(),
                "projects": self.by_project(),
                "warnings": [{"project_id": w.project_id, **w.to_dict()}
                             for w in self.warnings]}


def compare(baseline: Snapshot, current: Snapshot, standard: Standard) -> Changes:
    """The changes from `baseline` to `current` (see the module docstring)."""
    result = Changes(baseline.info.as_of, current.info.as_of, baseline.info.register)
    before, after = _by_id(baseline.projects), _by_id(current.projects)
    # get_indexer, not isin: pandas' isin of text indexes costs ~0.4 s at 10k projects.
    result.added = after.index[before.index.get_indexer(after.index) < 0].tolist()
    result.removed = before.index[after.index.get_indexer(before.index) < 0].tolist()
    both = after.index.intersection(before.index, sort=False)
    # One index object for both: each comparison of their columns then aligns them at
    # once, instead of checking 10k IDs equal.
    old, new = before.loc[both].set_axis(both), after.loc[both].set_axis(both)
    ranks = _rag_ranks(standard)
    found = result.changes
    found += _stage_changes(old, new)
    for name in RAG_FIELDS:
        found += _rag_changes(old, new, name, ranks)
    stage_moved = {c.project_id for c in found}  # closed or re-opened says it already
    found += [c for c in _moved(old, new, "phase_label", "phase")
              if c.project_id not in stage_moved]
    found += _finish_changes(old, new)
    for name in DATE_FIELDS:
        found += _date_changes(old, new, name)
    for name, _ in AMOUNT_FIELDS:
        found += _amount_changes(old, new, name)
    for name, _ in RATIO_FIELDS:
        found += _ratio_changes(old, new, name)
    found += _spend(old, new)
    found += _flag_changes(old, new, "stale", "newly stale", "no longer stale")
    if "exception" in old:  # a snapshot taken before pmo-xl recorded exceptions has none
        found += _flag_changes(old, new, "exception", "is a new exception",
                               "is no longer an exception")
    for name in TEXT_FIELDS:
        found += _text_changes(old, new, name)
    # A baseline that did not record a field (an older snapshot) says nothing about it.
    recorded = set(old.columns)
    found[:] = [c for c in found if _SOURCES.get(c.field, c.field) in recorded]
    result.warnings = _copy_paste_updates(old, new)
    result.rag_matrix = _rag_matrix(old, new)
    result.previous = BaselineFigures(old)
    _milestones(result, baseline, current)
    _lessons(result, baseline, current)
    _raid(result, baseline, current)
    return result


# The snapshot column a change of the project's is computed from, where it is named otherwise.
_SOURCES = {"phase": "phase_label", "closed": "phase", "reopened": "phase", "spent": "ac"}
RAG_STEPS = ("Green", "Amber", "Red", "Unset")
PREVIOUS_FIELDS = ("overall_rag", "overall_rag_label", "schedule_rag", "schedule_rag_label",
                   "cost_rag", "cost_rag_label", "phase_label", "budget", "ac", "eac", "cpi",
                   "spi", "percent_complete", "finish")


# What `compare` reads of a baseline, by sheet: a history loads only these columns.
BASELINE_FIELDS: dict[str, tuple[str, ...]] = {
    "Projects": tuple(dict.fromkeys((
        "project_id", "phase", "phase_label", *RAG_FIELDS, *(f"{n}_label" for n in RAG_FIELDS),
        "finish", *DATE_FIELDS, *(n for n, _ in AMOUNT_FIELDS), *(n for n, _ in RATIO_FIELDS),
        "ac", "stale", "exception", *TEXT_FIELDS, "status_date", *PREVIOUS_FIELDS))),
    "Milestones": ("project_id", "milestone", "actual_date", "forecast_date", "overdue"),
    "Lessons": ("lesson_id", "project_id", "lesson"),
    "RAID": ("raid_id", "project_id", "type", "type_label", "title", "is_open", "escalate",
             "score"),
}


def _rag_matrix(old: pd.DataFrame, new: pd.DataFrame) -> dict[str, dict[str, int]]:
    """How many projects went from each Overall RAG to each, unchanged ones included."""
    pairs = pd.DataFrame({"from": _column(old, "overall_rag").fillna("Unset").astype(str),
                          "to": _column(new, "overall_rag").fillna("Unset").astype(str)})
    counts = pairs.value_counts().to_dict() if len(pairs) else {}
    return {a: {b: int(counts.get((a, b), 0)) for b in RAG_STEPS} for a in RAG_STEPS}


class BaselineFigures(Mapping[str, dict[str, Any]]):
    """Each project's baseline values of `PREVIOUS_FIELDS`, by Project ID. A project's record
    is built when a report asks for it: `changes` alone never needs one."""

    def __init__(self, old: pd.DataFrame) -> None:
        self._fields = [f for f in PREVIOUS_FIELDS if f in old]
        self._columns = [old[f].tolist() for f in self._fields]
        self._at = dict(zip(map(str, old.index), range(len(old)), strict=True))

    def __getitem__(self, project_id: str) -> dict[str, Any]:
        at = self._at[project_id]
        return {name: values[at] for name, values in zip(self._fields, self._columns,
                                                          strict=True)}

    def __iter__(self) -> Iterator[str]:
        return iter(self._at)

    def __len__(self) -> int:
        return len(self._at)


def _by_id(projects: pd.DataFrame) -> pd.DataFrame:
    """Projects keyed by their ID (blank IDs left out; a duplicate ID's first row wins, as
    validation reports the rest)."""
    if "project_id" not in projects or projects.empty:
        return pd.DataFrame(index=pd.Index([], dtype=object))
    kept = projects[projects["project_id"].notna()]
    # Python strings in an object index: the comparison goes through them one by one when
    # it builds its records, which an Arrow-backed index would give out one at a time.
    ids = pd.Index(_texts(kept["project_id"]), dtype=object, name="project_id")
    first = ~ids.duplicated()
    return kept[first].set_axis(ids[first])


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame:
        return frame[name]
    return pd.Series(None, index=frame.index, dtype=object)


def _differs(a: pd.Series, b: pd.Series) -> pd.Series:
    """Where two object columns differ, blanks equal to blanks."""
    blank_a, blank_b = a.isna(), b.isna()
    same = (a == b) | (blank_a & blank_b)
    return ~same.fillna(False).astype(bool)


def _picked(rows: pd.Series, *columns: pd.Series) -> list[tuple[Any, ...]]:
    """(project id, each column's value) of the rows marked: one selection per column,
    not one lookup per row."""
    marked = rows.to_numpy(dtype=bool)
    picked = [column[marked].tolist() for column in columns]
    return list(zip(rows.index[marked], *picked, strict=True))


def _moved(old: pd.DataFrame, new: pd.DataFrame, source: str, name: str,
           direction: str = "") -> list[Change]:
    a, b = _column(old, source), _column(new, source)
    return [Change(p, name, x, y, direction=direction)
            for p, x, y in _picked(_differs(a, b), a, b)]


def _stage_changes(old: pd.DataFrame, new: pd.DataFrame) -> list[Change]:
    was, now = _column(old, "phase") == CLOSED, _column(new, "phase") == CLOSED
    labels_a, labels_b = _column(old, "phase_label"), _column(new, "phase_label")
    closed, reopened = now & ~was, was & ~now
    return ([Change(p, "closed", x, y) for p, x, y in _picked(closed, labels_a, labels_b)]
            + [Change(p, "reopened", x, y)
               for p, x, y in _picked(reopened, labels_a, labels_b)])


def _rag_ranks(standard: Standard) -> dict[str, float]:
    """Each rating word's place on the scale, Green (0) to Red (2). A word that names
    colours sits at their mean, so a five-level scale's Amber/Green (0.5) lies between Green
    and Amber and Amber/Red (1.5) between Amber and Red, whatever it is mapped to; any
    other word (On Track, At Risk) sits at its meaning's place."""
    vocabulary = standard.projects.column("overall_rag").vocabulary
    ranks = dict(_RAG_ORDER)
    if vocabulary is None:
        return ranks
    for word, meaning in zip(vocabulary.words, vocabulary.meanings, strict=True):
        named = [_RAG_ORDER[c] for c in _COLOURS.findall(word.casefold().replace("yellow",
                                                                                 "amber"))]
        ranks[word] = sum(named) / len(named) if named else _RAG_ORDER.get(meaning, 1.0)
    return ranks


_RAG_ORDER = {"Green": 0.0, "Amber": 1.0, "Red": 2.0, "green": 0.0, "amber": 1.0, "red": 2.0}
_COLOURS = re.compile(r"green|amber|red")


def _rag_changes(old: pd.DataFrame, new: pd.DataFrame, name: str,
                 ranks: dict[str, float]) -> list[Change]:
    label = f"{name}_label"
    a, b = _column(old, label), _column(new, label)
    meaning_a, meaning_b = _column(old, name), _column(new, name)
    changes = []
    for p, x, y, mx, my in _picked(_differs(a, b), a, b, meaning_a, meaning_b):
        rank_a, rank_b = ranks.get(x, ranks.get(mx)), ranks.get(y, ranks.get(my))
        direction = ("" if rank_a is None or rank_b is None or rank_a == rank_b
                     else "worse" if rank_b > rank_a else "better")
        changes.append(Change(p, name, x, y, direction=direction))
    return changes


def _days(old: pd.DataFrame, new: pd.DataFrame, name: str) -> pd.Series:
    return (_dates(_column(new, name)) - _dates(_column(old, name))).dt.days


def _dates(values: pd.Series) -> pd.Series:
    """Snapshots hold ISO dates: parsed as such, not by guessing each one's format, and each
    distinct date once (a register's dates repeat: a few thousand days in 40,000 cells)."""
    codes, texts = pd.factorize(values)  # blanks are code -1: the NaT appended last
    parsed = pd.to_datetime(pd.Series(np.append(texts.to_numpy(dtype=object), None)),
                            errors="coerce", format="ISO8601")
    return pd.Series(parsed.to_numpy()[codes], index=values.index)


def _finish_changes(old: pd.DataFrame, new: pd.DataFrame) -> list[Change]:
    """The effective finish (actual, else forecast, else baseline) moved."""
    days = _days(old, new, "finish")
    a, b = _column(old, "finish"), _column(new, "finish")
    return [Change(p, "finish", x, y, int(d), "worse" if d > 0 else "better")
            for p, x, y, d in _picked(days.fillna(0) != 0, a, b, days)]


def _date_changes(old: pd.DataFrame, new: pd.DataFrame, name: str) -> list[Change]:
    """A date field changed: by how many days (None when set or cleared)."""
    a, b = _column(old, name), _column(new, name)
    days = _days(old, new, name)
    later = "worse" if name == "forecast_finish" else ""
    return [Change(p, name, x, y, None if pd.isna(d) else int(d),
                   later and not pd.isna(d) and ("worse" if d > 0 else "better") or "")
            for p, x, y, d in _picked(_differs(a, b), a, b, days)]


def _numbers(frame: pd.DataFrame, name: str) -> pd.Series:
    return pd.to_numeric(_column(frame, name), errors="coerce").astype(float)


def _amount_changes(old: pd.DataFrame, new: pd.DataFrame, name: str) -> list[Change]:
    """A money figure changed: the amount and the percentage of the baseline's."""
    a, b = _numbers(old, name), _numbers(new, name)
    delta = b - a
    rows = delta.abs() >= 0.005  # cents: money is kept to the cent
    percent = (delta / a.where(a != 0) * 100).round(1)
    direction = "worse" if name == "eac" else ""
    return [Change(p, name, x, y, round(float(d), 2),
                   direction and ("worse" if d > 0 else "better"),
                   "" if pd.isna(pc) else f"{pc:+.1f}%")
            for p, x, y, d, pc in _picked(rows, a, b, delta, percent)]


def _ratio_changes(old: pd.DataFrame, new: pd.DataFrame, name: str) -> list[Change]:
    a, b = _numbers(old, name), _numbers(new, name)
    delta = (b - a).round(4)
    # Moves the sentences cannot show (CPI 0.974 -> 0.970 reads "0.97 -> 0.97") are noise.
    rows = (a.round(2) != b.round(2)) & a.notna() & b.notna()
    better = "better" if name in ("cpi", "spi") else ""
    return [Change(p, name, x, y, float(d), better and ("better" if d > 0 else "worse"))
            for p, x, y, d in _picked(rows, a, b, delta)]


def _spend(old: pd.DataFrame, new: pd.DataFrame) -> list[Change]:
    """Actual cost spent in the period (a fall is shown too: a correction)."""
    a, b = _numbers(old, "ac"), _numbers(new, "ac")
    delta = (b - a).round(2)
    return [Change(p, "spent", x, y, float(d))
            for p, x, y, d in _picked(delta.fillna(0) != 0, a, b, delta)]


def _flag_changes(old: pd.DataFrame, new: pd.DataFrame, name: str, became: str,
                  ended: str) -> list[Change]:
    was = _column(old, name).fillna(False).astype(bool)
    now = _column(new, name).fillna(False).astype(bool)
    return ([Change(p, name, False, True, note=became) for (p,) in _picked(now & ~was)]
            + [Change(p, name, True, False, note=ended) for (p,) in _picked(was & ~now)])


def _text_changes(old: pd.DataFrame, new: pd.DataFrame, name: str) -> list[Change]:
    a, b = _column(old, name), _column(new, name)
    return [Change(p, name, x, y, note=word_diff(x, y))
            for p, x, y in _picked(_differs(a, b), a, b)]


def word_diff(before: object, after: object) -> str:
    """Words removed as [-word-] and added as {+word+}, the rest as it was."""
    a = str(before).split() if before is not None else []
    b = str(after).split() if after is not None else []
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out += a[i1:i2]
            continue
        if i2 > i1:
            out.append("[-" + " ".join(a[i1:i2]) + "-]")
        if j2 > j1:
            out.append("{+" + " ".join(b[j1:j2]) + "+}")
    return " ".join(out)


def _copy_paste_updates(old: pd.DataFrame, new: pd.DataFrame) -> list[Change]:
    """The Status Date moved but the status text did not change: a copy-paste update."""
    moved = _days(old, new, "status_date").fillna(0) > 0
    same = pd.Series(True, index=new.index)
    any_text = pd.Series(False, index=new.index)
    for name in TEXT_FIELDS:
        same &= ~_differs(_column(old, name), _column(new, name))
        any_text |= _column(new, name).notna()
    rows = moved & same & any_text
    a, b = _column(old, "status_date"), _column(new, "status_date")
    return [Change(p, "status_date", x, y, direction="worse",
                   note="the Status Date moved but the status text is unchanged: "
                        "a copy-paste update?") for p, x, y in _picked(rows, a, b)]


def _milestones(result: Changes, baseline: Snapshot, current: Snapshot) -> None:
    old, new = (_keyed(s.sheets.get("Milestones"), ("project_id", "milestone"))
                for s in (baseline, current))
    if new is None:
        return
    if old is None:
        old = new.iloc[0:0]
    both = new.index.intersection(old.index, sort=False)
    a, b = old.loc[both], new.loc[both]
    done = _column(b, "actual_date").notna() & _column(a, "actual_date").isna()
    fresh = new.loc[new.index.difference(old.index, sort=False)]
    period = _within(_column(fresh, "actual_date"), result.since, result.as_of)
    days = _days(a, b, "forecast_date")
    slipped = days.fillna(0) > 0
    overdue = (_column(b, "overdue").fillna(False).astype(bool)
               & ~_column(a, "overdue").fillna(False).astype(bool))
    for key in b.index[done]:
        result.changes.append(Change(key[0], "milestone_completed", None,
                                     b.at[key, "actual_date"], note=key[1]))
    for key in fresh.index[period]:
        result.changes.append(Change(key[0], "milestone_completed", None,
                                     fresh.at[key, "actual_date"], note=key[1]))
    for key in b.index[slipped]:
        result.changes.append(Change(key[0], "milestone_slipped", a.at[key, "forecast_date"],
                                     b.at[key, "forecast_date"], int(days[key]), "worse",
                                     key[1]))
    for key in b.index[overdue]:
        result.changes.append(Change(key[0], "milestone_overdue", False, True,
                                     direction="worse", note=key[1]))
    result.milestones_completed = int(done.sum() + period.sum())
    result.milestones_slipped = int(slipped.sum())
    result.milestones_overdue = int(overdue.sum())


def _keyed(frame: pd.DataFrame | None, keys: tuple[str, ...]) -> pd.DataFrame | None:
    """The rows keyed by their key columns as text (a blank key left out; a duplicate
    key's first row wins)."""
    if frame is None or any(k not in frame for k in keys):
        return None
    if all(infer_dtype(frame[k], skipna=False) == "string" for k in keys):
        # Keys all text (as the register's are): their text is them, so the duplicates are
        # found on the index's codes, not by hashing the cells again (half the time).
        index = pd.MultiIndex.from_arrays([frame[k].astype(str) for k in keys])
        first = ~index.duplicated()
        return frame[first].set_axis(index[first])
    kept = frame.dropna(subset=list(keys))
    kept = kept[~kept.duplicated(subset=list(keys))]
    index = pd.MultiIndex.from_arrays([kept[k].astype(str) for k in keys])
    return kept.set_axis(index)


def _texts(values: pd.Series) -> pd.Series | np.ndarray:
    """Key values as text: a column of Python strings as it is, any other through str."""
    if infer_dtype(values, skipna=False) == "string":
        return values.to_numpy(dtype=object)
    return values.astype(str)


def _within(dates: pd.Series, since: dt.date, as_of: dt.date) -> pd.Series:
    days = pd.to_datetime(dates, errors="coerce")
    return ((days > pd.Timestamp(since)) & (days <= pd.Timestamp(as_of))).fillna(False)


def _lessons(result: Changes, baseline: Snapshot, current: Snapshot) -> None:
    keys = ("lesson_id",)
    old, new = (_keyed(s.sheets.get("Lessons"), keys) for s in (baseline, current))
    if new is None:
        return
    added = new.index if old is None else new.index.difference(old.index, sort=False)
    rows = new.loc[added]
    for key, project, lesson in zip(rows.index, _column(rows, "project_id"),
                                    _column(rows, "lesson"), strict=True):
        result.changes.append(Change(str(project), "lesson_added", None, key[0],
                                     note=str(lesson or "")))
    result.lessons_added = len(rows)


RAID_CHANGES = ("raid_opened", "raid_closed", "raid_escalated", "risk_score_rose",
                "risk_became_issue")


def _raid(result: Changes, baseline: Snapshot, current: Snapshot) -> None:
    """RAID items by RAID ID: opened (new and open, or closed then and open now), closed,
    escalated (Escalate became Yes, or a new item raised escalated), open risks whose Score
    rose (both scores usable: a value that failed validation has none), and risks that
    became issues (the Type moved from Risk to Issue: what was feared has happened)."""
    keys = ("raid_id",)
    old, new = (_keyed(s.sheets.get("RAID"), keys) for s in (baseline, current))
    if new is None:
        return
    if old is None:
        old = new.iloc[0:0]
    is_open = _column(new, "is_open").fillna(False).astype(bool)
    was_open = _column(old, "is_open").reindex(new.index)
    known = was_open.notna()
    was_open = was_open.fillna(False).astype(bool)
    escalated = _column(new, "escalate") == "Yes"
    was_escalated = _column(old, "escalate").reindex(new.index) == "Yes"
    before = pd.to_numeric(_column(old, "score").reindex(new.index), errors="coerce")
    after = pd.to_numeric(_column(new, "score"), errors="coerce")
    kind = _column(new, "type")
    risk = kind == "Risk"
    was_risk = _column(old, "type").reindex(new.index) == "Risk"
    found = {
        "raid_opened": is_open & ~(known & was_open),
        "raid_closed": ~is_open & known & was_open,
        "raid_escalated": escalated & ~was_escalated,
        "risk_score_rose": risk & is_open & known & (after > before).fillna(False),
        "risk_became_issue": (kind == "Issue") & was_risk,
    }
    for name, rows in found.items():
        result.changes += _raid_changes(new.loc[rows.to_numpy()], name, before, after)
    result.raid = {summary: int(rows.sum()) for summary, rows in zip(
        ("opened", "closed", "escalated", "scores_rose", "became_issues"), found.values(),
        strict=True)}


def _raid_changes(rows: pd.DataFrame, name: str, before: pd.Series,
                  after: pd.Series) -> list[Change]:
    """One change per item: the item named as 'Risk R-1 (Supplier late)'."""
    found = []
    for key, project, kind, title in zip(rows.index, _column(rows, "project_id"),
                                         _column(rows, "type_label"), _column(rows, "title"),
                                         strict=True):
        was = "Risk" if name == "risk_became_issue" else kind  # named as it was
        named = f"{was or 'Item'} {key[0]}" + (f" ({title})" if title else "")
        if name == "risk_score_rose":
            old, new = int(before[key]), int(after[key])
            found.append(Change(str(project), name, old, new, new - old, "worse", named))
        else:
            worse = name in ("raid_escalated", "risk_became_issue")
            found.append(Change(str(project), name, None, key[0],
                                direction="worse" if worse else "", note=named))
    return found


# --- sentences ----------------------------------------------------------------------------------

FIELD_NAMES = {"overall_rag": "Overall RAG", "schedule_rag": "Schedule RAG",
               "cost_rag": "Cost RAG", "phase": "Phase", "finish": "Finish",
               "baseline_finish": "Baseline finish", "forecast_finish": "Forecast finish",
               "actual_finish": "Actual finish", "status_summary": "Status summary",
               "key_risks": "Key risks", "next_steps": "Next steps",
               **dict(AMOUNT_FIELDS), **dict(RATIO_FIELDS)}


def sentence(change: Change) -> str:
    """The change in plain words, e.g. "Forecast finish moved 21 days later, to 2027-03-14"."""
    special = _SPECIAL.get(change.field)
    if special is not None:  # only its own sentence is written: thousands of changes
        return special(change)
    name = FIELD_NAMES.get(change.field, change.field.replace("_", " ").capitalize())
    f, before, after, delta = change.field, change.before, change.after, change.delta
    if f in TEXT_FIELDS or f == "status_date" and change.note:
        return f"{name} changed" if f in TEXT_FIELDS else change.note.capitalize()
    if isinstance(delta, int) and f in ("finish", *DATE_FIELDS):
        return f"{name} moved {_days_text(delta)}, to {after}"
    if before is None and after is not None:
        return f"{name} set to {_value(after)}"
    if after is None and before is not None:
        return f"{name} cleared (was {_value(before)})"
    if f in _AMOUNT_NAMES and delta is not None:
        return f"{name} {'up' if delta > 0 else 'down'} {abs(delta):,.2f}" + (
            f" ({change.note})" if change.note else "") + f", to {after:,.2f}"
    if f == "percent_complete":
        return f"{name} {_percent(before)} → {_percent(after)}"
    if f in ("cpi", "spi"):
        return f"{name} {_ratio(before)} → {_ratio(after)}"
    return f"{name} {_value(before)} → {_value(after)}"


_AMOUNT_NAMES = frozenset(name for name, _ in AMOUNT_FIELDS)


def _spent(change: Change) -> str:
    if not isinstance(change.delta, float):
        return ""
    return f"Spent {change.delta:,.2f} in the period (actual cost {change.after:,.2f})"


# The sentences of the changes that are not a field's value moving, by field.
_SPECIAL: dict[str, Callable[[Change], str]] = {
    "closed": lambda c: f"Closed (phase {c.before} → {c.after})",
    "reopened": lambda c: f"Re-opened (phase {c.before} → {c.after})",
    "stale": lambda c: f"Status {c.note}",
    "exception": lambda c: f"The project {c.note}",
    "spent": _spent,
    "milestone_completed": lambda c: f"Milestone {c.note} completed on {c.after}",
    "milestone_slipped": lambda c: f"Milestone {c.note} slipped {_days_text(c.delta)}, to "
                                   f"{c.after}",
    "milestone_overdue": lambda c: f"Milestone {c.note} is now overdue",
    "lesson_added": lambda c: f"Lesson {c.after} logged: {c.note}",
    "raid_opened": lambda c: f"{c.note} opened",
    "raid_closed": lambda c: f"{c.note} closed",
    "raid_escalated": lambda c: f"{c.note} escalated",
    "risk_score_rose": lambda c: f"{c.note}: score rose from {c.before} to {c.after}",
    "risk_became_issue": lambda c: f"{c.note} became an issue",
}


def _percent(value: object) -> str:
    return f"{value:.0%}" if isinstance(value, float) else _value(value)


def _ratio(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, float) else _value(value)


def _days_text(days: object) -> str:
    if not isinstance(days, int):
        return ""
    word = "later" if days > 0 else "earlier"
    return f"{abs(days)} day{'s' * (abs(days) != 1)} {word}"


def _value(value: object) -> str:
    if value is None:
        return "blank"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# --- what the reports show ---------------------------------------------------------------------

def project_since(result: Changes, project_id: object) -> dict[str, Any]:
    """One project's changes for its report: the baseline date, the sentences (worse first)
    and the baseline values of its badges and tiles."""
    key = str(project_id)
    changes = sorted(result.of(key), key=lambda c: c.direction != "worse")
    return {"date": result.since.isoformat(), "sentences": [sentence(c) for c in changes],
            "previous": result.previous.get(key) or {}, "added": key in result.added,
            "moves": {c.field: c.direction for c in changes if c.field in RAG_FIELDS}}


def portfolio_since(result: Changes, top: int = 5) -> dict[str, Any]:
    """The portfolio summary's "What changed" section."""
    worse = set(result.moved("worse"))
    reasons = {p: [sentence(c) for c in result.of(p) if c.direction == "worse"] for p in worse}
    slips = sorted((c for c in result.of_field("finish") if (c.delta or 0) > 0),
                   key=lambda c: -c.delta)[:top]
    growth = sorted((c for c in result.of_field("eac") if (c.delta or 0) > 0),
                    key=lambda c: -c.delta)[:top]
    return {**result.portfolio(), "since": result.since.isoformat(),
            "worsened_reasons": [{"project_id": p, "reasons": reasons[p]}
                                 for p in result.moved("worse")],
            "biggest_slips": [{"project_id": c.project_id, "days": c.delta, "to": c.after}
                              for c in slips],
            "cost_growth": [{"project_id": c.project_id, "amount": c.delta,
                             "percent": c.note, "to": c.after} for c in growth],
            "steps": list(RAG_STEPS)}


def summary_lines(result: Changes) -> list[str]:
    """The portfolio's changes in a few lines: the head of `pmo-xl changes` and of the
    workbook's Changes sheet."""
    portfolio = result.portfolio()
    lines = [f"Changes since {result.since.isoformat()} (as of {result.as_of.isoformat()}, "
             f"baseline {result.baseline})"]
    for label, key in (("Worsened", "worsened"), ("Improved", "improved"),
                       ("Added", "added"), ("Removed", "removed"), ("Closed", "closed"),
                       ("New exceptions", "new_exceptions"),
                       ("No longer exceptions", "resolved_exceptions")):
        if portfolio[key]:
            lines.append(f"{label}: {', '.join(portfolio[key])}")
    moves = ", ".join(f"{k} {v}" for k, v in portfolio["rag_moves"].items())
    if moves:
        lines.append(f"RAG moves: {moves}")
    lines.append(f"Milestones completed {portfolio['milestones_completed']}, slipped "
                 f"{portfolio['milestones_slipped']}, newly overdue "
                 f"{portfolio['milestones_overdue']}; lessons added "
                 f"{portfolio['lessons_added']}")
    raid = portfolio["raid"]
    if raid is not None:
        lines.append(f"RAID items opened {raid['opened']}, closed {raid['closed']}, escalated "
                     f"{raid['escalated']}; risk scores rose {raid['scores_rose']}; risks "
                     f"became issues {raid['became_issues']}")
    return lines


def change_rows(result: Changes) -> list[tuple[str, str, str, Any, Any, str]]:
    """Every change as (project ID, sentence, field, from, to, direction), the projects that
    worsened first (as `by_project` orders them), then the warnings."""
    rows = [(c.project_id, sentence(c), c.field, c.before, c.after, c.direction)
            for project in result.by_project() for c in result.of(project["project_id"])]
    rows += [(w.project_id, sentence(w), w.field, w.before, w.after, "warning")
             for w in result.warnings]
    return rows
