"""The RAID log's figures: per item, per project and for the portfolio.

Risks, assumptions, issues, dependencies, decisions and actions live on one RAID sheet with a
Type column. Validation and the roll-up both use the item figures computed here (once per
table and as-of date), as they use `pmo_xl.metrics` for projects. Definitions:

- **closed**: Status means Closed, or Status is blank and Closed On is given; else **open**.
- **Score** = Probability × Impact (each 1–5, so 1–25); blank unless both are usable.
- **age** = as-of date − Raised, in days.
- **due**: an action's Due Date; a decision's Decision Needed By, else its Due Date. An action
  or a decision (not yet decided: no Decided On) is **overdue** when open and due before the
  as-of date.
- A **dependency** waits for its Depends On project: for the milestone named in Depends On
  Milestone (its Actual Date, else Forecast, else Baseline) or, without one (or with one that
  project does not have, or one without a usable date), for the project's finish (Actual,
  else Forecast, else Baseline Finish). An open dependency is **at risk** when that date is
  after Needed By, when the project is Red and not Closed, or when it is Closed without having
  delivered: the needed milestone has no Actual Date or, waiting for the finish, the project
  is below 100 % complete (a blank or unusable Percent Complete says neither). At risk does
  not carry on down a chain: a project waiting for an at-risk project is not itself flagged
  for those waiting for it. A dependency finds its project by Project ID (trimmed,
  lower-cased) and its milestone by that ID and the name (trimmed, inner spaces collapsed,
  casefolded): the first of a repeated ID or name. The check joins the items with the
  projects' and milestones' figures column-wise, by integer codes of those keys, never item
  by item; only the reasons of the dependencies at risk are written one by one.

A value that failed validation is blank for every figure: a Type outside the vocabulary counts
under no type, an unreadable Raised gives no age, an unknown Depends On project no at-risk.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .metrics import iso_date_codes, plain_column, project_metrics, usable_dates
from .reader import Register, Settings, Table
from .schema import CLOSED, CLOSING_STAGES, RAID_SCALE, RAID_TYPES, normalise_word
from .tolerances import AT_RISK, WITHIN

DECISIONS_AHEAD_DAYS = 14  # the roll-up's "decisions needed" window
TOP_ITEMS = 10
_SCALE = len(RAID_SCALE)


def normalised_ids(ids: pd.Series) -> pd.Series:
    """Project IDs as compared everywhere: trimmed and lower-cased."""
    return ids.astype("string").str.strip().str.lower()


def raid_metrics(table: Table, register: Register, as_of: dt.date) -> pd.DataFrame:
    """Every RAID item's figures (index = the table's); computed once per as-of date."""
    cache = table.__dict__.setdefault("_raid_metrics", {})
    if as_of not in cache:
        cache[as_of] = _raid_metrics(table, register, as_of)
    return cache[as_of]


def _raid_metrics(table: Table, register: Register, as_of: dt.date) -> pd.DataFrame:
    # In numpy, column by column (as `metrics` does for projects): each pandas step costs
    # a millisecond whatever its size, and validation and the roll-up wait for these.
    index = table.rows.index  # the index of table.values
    figures, kind, is_open = _item_figures(table, register.settings, as_of)
    links = _Links.of(table, register, as_of, np.flatnonzero(is_open & kind["Dependency"]))
    projects, rows = links.projects, links.rows
    figures["project_phase"] = pd.Series(projects.phases(rows), index=index, dtype=object)
    figures["assumption_open_at_close"] = (kind["Assumption"] & is_open
                                           & _take(projects.closing, rows, False))
    figures.update(_dependencies(table, links))
    return pd.DataFrame(figures, index=index, copy=False)


def _item_figures(table: Table, settings: Settings, as_of: dt.date
                  ) -> tuple[dict[str, Any], dict[str, np.ndarray], np.ndarray]:
    """The figures of each item on its own, which items are of each type, which are open."""
    v, dates = table.value, usable_dates(table)
    today = pd.Timestamp(as_of).to_datetime64()
    kind = _meanings(v("type"), RAID_TYPES)
    status = v("status")
    closed = _means(status, CLOSED) | (_blank(status) & _known(dates, "closed_on"))
    is_open = ~closed
    probability, impact = _scale(v("probability")), _scale(v("impact"))
    score = probability * impact
    decision, decided = kind["Decision"], _known(dates, "decided_on")
    due = _due(dates, kind["Action"], decision)
    overdue = is_open & ~(decision & decided) & (due < today)
    age = _whole_days(today, dates["raised"].to_numpy())
    days_overdue = _whole_days(today, due)
    figures = {
        "probability": probability, "impact": impact, "score": score,
        "is_open": is_open, "age_days": age, "due": due, "overdue": overdue,
        # as pandas' where gave: whole days stay int64 when every item is overdue
        "days_overdue": days_overdue if overdue.all() else np.where(overdue, days_overdue,
                                                                    np.nan),
        "decision_open": decision & is_open & ~decided,
        "high_risk": kind["Risk"] & is_open & (score >= settings.high_risk_score),
        "old_issue": kind["Issue"] & is_open & (age > settings.issue_age_days)
                     & ~_means(v("escalate"), "Yes"),
    }
    return figures, kind, is_open


def _meanings(values: pd.Series, meanings: tuple[str, ...]) -> dict[str, np.ndarray]:
    """For each meaning, which cells of a dropdown column mean it (blank or unusable:
    none)."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        cells = values.astype(object)
        return {meaning: (cells == meaning).to_numpy(dtype=bool) for meaning in meanings}
    codes, categories = values.array.codes, values.array.categories  # the reader's
    return {meaning: codes == categories.get_loc(meaning) if meaning in categories
            else np.zeros(len(values), dtype=bool) for meaning in meanings}


def _means(values: pd.Series, meaning: str) -> np.ndarray:
    """Which cells of a dropdown column mean `meaning` (blank or unusable: none)."""
    return _meanings(values, (meaning,))[meaning]


def _blank(values: pd.Series) -> np.ndarray:
    return values.isna().to_numpy(dtype=bool)


def _known(dates: pd.DataFrame, key: str) -> np.ndarray:
    return ~np.isnat(dates[key].to_numpy())


def _scale(values: pd.Series) -> np.ndarray:
    """A 1–5 dropdown's meaning as a number (blank or unusable: NaN), from its canonical
    words: each category is converted once, not each cell."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        numbers = _numbers(tuple(values.array.categories))
        return np.append(numbers, np.nan)[values.array.codes]  # code -1 (blank): the NaN
    return pd.to_numeric(values.astype(object), errors="coerce").astype(float).to_numpy()


@functools.cache
def _numbers(words: tuple[object, ...]) -> np.ndarray:
    numbers = pd.to_numeric(pd.Series(words, dtype=object), errors="coerce")
    return numbers.astype(float).to_numpy()


def _due(dates: pd.DataFrame, action: np.ndarray, decision: np.ndarray) -> np.ndarray:
    """An action's Due Date; a decision's Decision Needed By, else its Due Date."""
    due_date = dates["due_date"].to_numpy()
    needed_by = dates["decision_needed_by"].to_numpy()
    blank = np.array("NaT", dtype=due_date.dtype)
    by_decision = np.where(np.isnat(needed_by), due_date, needed_by)
    return np.where(decision, by_decision, np.where(action, due_date, blank))


def _whole_days(later: np.datetime64, earlier: np.ndarray) -> np.ndarray:
    """Whole days from each date to `later`, rounded down as a Timedelta's .days is: int64
    when every date is known, else float64 with NaN for the blanks (as .dt.days gives)."""
    delta = later - earlier
    day = np.timedelta64(1, "D").astype(delta.dtype).view(np.int64)  # in the dates' unit
    days = np.floor_divide(delta.view(np.int64), day)
    blank = np.isnat(delta)
    return np.where(blank, np.nan, days) if blank.any() else days


def _take(values: np.ndarray, rows: np.ndarray, blank: object) -> np.ndarray:
    """`values` at `rows`, `blank` where the row is -1 (none)."""
    return np.append(values, np.array([blank], dtype=values.dtype))[rows]


def _text(values: pd.Series) -> pa.Array:
    """A text column as Arrow text, as `normalised_ids` converts it (the reader's Arrow text
    as it is)."""
    arrow = isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow"
    text = pa.array((values if arrow else values.astype("string")).array)
    return text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text


def _encoded(*columns: pa.Array) -> tuple[pa.Array, list[np.ndarray]]:
    """The distinct texts of the columns, and each row's code into them (-1: blank)."""
    encoded = pc.dictionary_encode(pa.concat_arrays(columns))
    codes = pc.fill_null(encoded.indices, -1).to_numpy().astype(np.intp)
    return encoded.dictionary, np.split(codes, np.cumsum([len(c) for c in columns])[:-1])


def _id_codes(*columns: pd.Series) -> tuple[int, list[np.ndarray]]:
    """Project IDs as compared (`normalised_ids`) in several columns, as codes into one
    space (equal codes, equal normalised IDs; -1: blank) and the number of codes. Each
    distinct text is normalised once, and every join is then on integers."""
    distinct, codes = _encoded(*(_text(column) for column in columns))
    keys = pc.dictionary_encode(pc.utf8_lower(pc.utf8_trim_whitespace(distinct)))
    normalised = np.append(keys.indices.to_numpy(), -1)  # -1 (blank) stays -1
    return len(keys.dictionary), [normalised[column] for column in codes]


def _word_codes(*columns: pd.Series) -> tuple[int, list[np.ndarray]]:
    """Milestone names reduced for matching (`normalise_word`) in several columns, as codes
    into one space (-1: blank) and the number of codes. Each distinct name is reduced once:
    a register names the same few milestones thousands of times."""
    distinct, codes = _encoded(*(_text(column) for column in columns))
    reduced, words = pd.factorize(np.array(
        [normalise_word(name) for name in distinct.to_pylist()], dtype=object))
    reduced = np.append(reduced, -1)
    return len(words), [reduced[column] for column in codes]


def _first_rows(codes: np.ndarray, size: int) -> np.ndarray:
    """For each of `size` codes the first row holding it, -1 for none (and at index -1, so
    that a blank's code -1 finds none)."""
    found = np.full(size + 1, -1, dtype=np.intp)
    distinct, first = np.unique(codes, return_index=True)
    found[distinct[distinct >= 0]] = first[distinct >= 0]
    return found


@dataclass(frozen=True)
class _Projects:
    """What a RAID item needs of its projects, per row of the project figures."""

    ids: pd.Series  # the Project ID as the register has it
    phase: np.ndarray  # the Phase meaning as a code into `phase_words` (-1: blank)
    phase_words: np.ndarray  # object: the distinct Phase meanings
    finish: np.ndarray
    red: np.ndarray  # Red and not Closed
    closed: np.ndarray
    complete: np.ndarray  # 100 % complete, or not known to be below (blank or unusable)
    closing: np.ndarray  # in a closing stage

    @classmethod
    def of(cls, register: Register, as_of: dt.date) -> _Projects:
        metrics = project_metrics(register, as_of)
        phase = metrics["phase"]
        closed = _means(phase, CLOSED)
        red = metrics["active"].to_numpy(dtype=bool) & _means(metrics["overall_rag"], "Red")
        codes, words = pd.factorize(phase)
        return cls(metrics["project_id"], codes, np.asarray(words, dtype=object),
                   metrics["finish"].to_numpy(), red & ~closed, closed,
                   ~(metrics["percent_complete"] < 1).to_numpy(dtype=bool),
                   np.logical_or.reduce([_means(phase, stage) for stage in CLOSING_STAGES]))

    def phases(self, rows: np.ndarray) -> np.ndarray:
        """The Phase of each row's project (-1: none), as object values the way pandas' map
        of the IDs gave them: blanks pd.NA, or None when no project found has a Phase (and
        pd.NA when no project has a Project ID)."""
        codes = _take(self.phase, rows, -1)
        if (codes >= 0).any() or not self.ids.notna().any():
            return np.append(self.phase_words, pd.NA)[codes]
        return np.full(len(rows), None, dtype=object)

    def shown(self, rows: np.ndarray) -> pa.Array:
        """The Project ID of each row's project (null: -1, none)."""
        return _text(self.ids).take(pa.array(rows, mask=rows < 0))


@dataclass(frozen=True)
class _Links:
    """Each item's project, and for the open dependencies the project and milestone each
    waits for: rows of the project figures and of the Milestones table (-1: none). Items
    find them by normalised Project ID, the first of a repeated one (repeating an ID is an
    error of its own), and milestones by (ID, reduced name), again the first."""

    projects: _Projects
    rows: np.ndarray  # each item's project
    waiting: np.ndarray  # positions of the open dependencies on a known project
    needs: np.ndarray  # the project each of those waits for
    named: np.ndarray  # whether it names a milestone
    milestone: np.ndarray  # that milestone of that project
    milestones: Table | None  # the register's (None: it keeps none)

    @classmethod
    def of(cls, table: Table, register: Register, as_of: dt.date,
           waiting: np.ndarray) -> _Links:
        v, projects = table.value, _Projects.of(register, as_of)
        milestones = register.milestones
        milestones = milestones if milestones is not None and len(milestones) else None
        theirs = () if milestones is None else (milestones.value("project_id"),)
        size, (ids, own, wanted, *their_ids) = _id_codes(
            projects.ids, v("project_id"), v("depends_on").iloc[waiting], *theirs)
        first = _first_rows(ids, size)
        needs = first[wanted]
        known = needs >= 0  # a dependency on an unknown project has no figures
        waiting, wanted, needs = waiting[known], wanted[known], needs[known]
        names = v("depends_on_milestone").iloc[waiting]
        if milestones is None:
            named, at = names.notna().to_numpy(dtype=bool), np.full(len(waiting), -1)
        else:
            named, at = _milestone_rows(wanted, names, their_ids[0], size,
                                        milestones.value("milestone"))
        return cls(projects, first[own], waiting, needs, named, at, milestones)


def _milestone_rows(wanted: np.ndarray, names: pd.Series, ids: np.ndarray, size: int,
                    milestones: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Whether each dependency names a milestone, and the row of the first milestone of
    that name of the project it waits for (-1: none). `wanted` are those projects' ID codes,
    `ids` the milestones' (of `size` codes)."""
    named = names.notna().to_numpy(dtype=bool)
    relevant = np.zeros(size + 1, dtype=bool)  # index -1 (blank) stays False
    relevant[wanted[named]] = True
    mine = np.flatnonzero(relevant[ids])  # only the milestones of projects waited for
    count, (words, their_words) = _word_codes(names, milestones.iloc[mine])
    keys = np.where(their_words >= 0, ids[mine] * count + their_words, -1)
    ours = pa.array(wanted * count + words, mask=words < 0)
    # index_in gives the first equal key, as drop_duplicates kept the first milestone
    found = pc.fill_null(pc.index_in(ours, value_set=pa.array(keys), skip_nulls=True), -1)
    return words >= 0, _take(mine, found.to_numpy().astype(np.intp), -1)


def _dependencies(table: Table, links: _Links) -> dict[str, Any]:
    """Per item: the project it depends on, the date that project delivers what it needs,
    and whether the dependency is at risk and why (blank for items that are no open
    dependency on a known project)."""
    items, rows, projects = links.waiting, links.needs, links.projects
    needed_by = usable_dates(table)["needed_by"].to_numpy()[items]
    finish = projects.finish[rows]
    date, done = _milestone_dates(links.milestones, links.milestone, finish.dtype)
    known = links.named & ~np.isnat(date)
    delivers = np.where(known, date, finish)
    if links.milestones is None and np.isnat(delivers).all():
        delivers = delivers.astype("datetime64[s]")  # as pandas' to_datetime made it
    late = delivers > needed_by
    # Delivered: the needed milestone reached, else the project complete; a blank or
    # unusable Percent Complete is blank for this figure too, never taken for undelivered.
    undelivered = projects.closed[rows] & ~np.where(known, done, projects.complete[rows])
    red = projects.red[rows]
    at_risk = late | red | undelivered
    names = table.value("depends_on_milestone").iloc[items[at_risk]].astype(object)
    reasons = _reasons(names.to_numpy(), known, delivers, needed_by, late, red, undelivered)
    index = table.rows.index
    n = len(index)
    text = np.zeros(len(items), dtype=np.intp)
    text[at_risk] = np.arange(1, len(reasons) + 1)  # 0: '' (not at risk)
    return {
        "depends_on_project": _texts(projects.shown(rows), _scatter(n, items, np.arange(
            len(items))), index),
        "depends_on_delivers": _scatter(n, items, delivers, np.datetime64("NaT")),
        "milestone_unknown": _scatter(n, items, links.named & ~known, False),
        "dependency_at_risk": _scatter(n, items, at_risk, False),
        "at_risk_reason": _texts(pa.array(["", *reasons], type=pa.large_string()),
                                 _scatter(n, items, text), index),
    }


def _milestone_dates(milestones: Table | None, rows: np.ndarray,
                     like: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """The date of the milestones at `rows` (actual, else forecast, else baseline; NaT for
    -1, none) and whether each is done (has its Actual Date)."""
    if milestones is None:
        return np.full(len(rows), None, dtype=like), np.zeros(len(rows), dtype=bool)
    dates = usable_dates(milestones)
    actual, forecast, baseline = (_take(dates[key].to_numpy(), rows, None) for key in (
        "actual_date", "forecast_date", "baseline_date"))
    date = np.where(np.isnat(actual), np.where(np.isnat(forecast), baseline, forecast), actual)
    return date, ~np.isnat(actual)


def _reasons(names: np.ndarray, known: np.ndarray, delivers: np.ndarray,
             needed_by: np.ndarray, late: np.ndarray, red: np.ndarray,
             undelivered: np.ndarray) -> list[str]:
    """Why each dependency at risk is at risk, in words, for those only (few: plain
    Python); `names` are their Depends On Milestone."""
    at = np.flatnonzero(late | red | undelivered)
    shown = _iso(np.concatenate([delivers[at], needed_by[at]]))
    found = []
    for k, i in enumerate(at):
        what = f"its milestone '{names[k]}'" if known[i] else "its finish"
        parts = ([f"forecasts {what} on {shown[k]}, after Needed By {shown[len(at) + k]}"]
                 if late[i] else [])
        if red[i]:
            parts.append("is Red")
        if undelivered[i]:
            parts.append(f"is Closed without having reached {what}" if known[i]
                         else "is Closed below 100 % complete")
        found.append("; ".join(parts))
    return found


def _iso(dates: np.ndarray) -> list[str]:
    """Dates as ISO text, each distinct day formatted once ('' for a blank)."""
    codes, shown = iso_date_codes(pd.Series(dates))
    return np.append(shown, "")[codes].tolist()


def _scatter(n: int, items: np.ndarray, values: np.ndarray, blank: object = -1) -> np.ndarray:
    """An array over all n items: `values` at the positions `items`, `blank` elsewhere."""
    found = np.full(n, blank, dtype=values.dtype)
    found[items] = values
    return found


def _texts(values: pa.Array, at: np.ndarray, index: pd.Index) -> pd.Series:
    """`values` at `at` (-1: blank) as pandas text; all-NaN objects when none is taken (as
    pandas made an empty join)."""
    if not (at >= 0).any():
        return pd.Series(np.full(len(at), np.nan, dtype=object), index=index, dtype=object)
    return pd.Series(values.take(pa.array(at, mask=at < 0)), index=index, dtype="str")


# --- the roll-up -------------------------------------------------------------------------------


def raid_summary(items: pd.DataFrame | None, projects: pd.DataFrame, as_of: dt.date, *,
                 per_project: bool = True) -> dict[str, Any] | None:
    """The RAID figures of the roll-up (None: the register keeps no RAID log); the
    per-project records only with `per_project`, as for the roll-up's own."""
    if items is None:
        return None
    opened = items[items["is_open"]]
    summary = {
        "total": len(items), "open": len(opened),
        "high_risks": int(items["high_risk"].sum()),
        "overdue": int(items["overdue"].sum()),
        "dependencies_at_risk": int(items["dependency_at_risk"].sum()),
        "by_type": _counts(items["type"], RAID_TYPES),
        "open_by_type": _counts(opened["type"], RAID_TYPES),
        "by_status": _counts(items["status"], ("Open", "In Progress", "Closed")),
        "top_risks_and_issues": _top(opened),
        "overdue_actions_by_owner": _overdue_by_owner(items),
        "decisions_needed": _decisions_needed(items, as_of),
        "dependencies": _records(_cross_project(items), _DEPENDENCY_FIELDS),
        "heat_map": _heat_map(opened),
    }
    if per_project:
        summary["per_project"] = _per_project(items, projects)
    return summary


def _counts(values: pd.Series, order: tuple[str, ...]) -> dict[str, int]:
    """Counts by canonical meaning, in the standard's order; blank or unusable as Unset."""
    found = values.astype(object).value_counts()
    counts = {word: int(found.get(word, 0)) for word in order}
    counts["Unset"] = int(values.isna().sum())
    return counts


_ITEM_FIELDS = ("raid_id", "project_id", "type", "type_label", "title", "owner", "score",
                "probability", "impact", "raised", "age_days", "response", "escalate_label")


def _records(frame: pd.DataFrame, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """JSON-ready records: ISO dates, whole numbers as int, blanks as None."""
    columns = [_plain(name, frame[name]) for name in fields]
    return [dict(zip(fields, row, strict=True)) for row in zip(*columns, strict=True)]


def _plain(name: str, values: pd.Series) -> list[object]:
    if name in ("score", "probability", "impact", "age_days", "days_overdue"):
        values = values.astype("Int64")
    return plain_column(name, values).tolist()


def _top(opened: pd.DataFrame) -> list[dict[str, Any]]:
    """Open risks and issues by Score, highest first; equal scores oldest first (unscored
    ones last)."""
    candidates = opened[opened["type"].isin(["Risk", "Issue"])]
    # The two keys sorted alone, not every column of every candidate.
    order = candidates[["score", "raised"]].reset_index(drop=True).sort_values(
        ["score", "raised"], ascending=[False, True], na_position="last", kind="stable")
    return _records(candidates.iloc[order.index[:TOP_ITEMS]], _ITEM_FIELDS)


def _overdue_by_owner(items: pd.DataFrame) -> list[dict[str, Any]]:
    """Overdue actions per owner (most first; '(no owner)' for blank owners)."""
    overdue = items[items["overdue"] & (items["type"] == "Action")]
    owners = overdue["owner"].astype(object).fillna("(no owner)").tolist()
    by_owner: dict[str, list[object]] = {}
    for owner, raid_id in zip(owners, plain_column("raid_id", overdue["raid_id"]), strict=True):
        by_owner.setdefault(owner, []).append(raid_id)
    found = [{"owner": owner, "overdue": len(ids), "raid_ids": ids}
             for owner, ids in sorted(by_owner.items())]
    return sorted(found, key=lambda o: -o["overdue"])


_DECISION_FIELDS = ("raid_id", "project_id", "title", "owner", "due", "overdue")


def _decisions_needed(items: pd.DataFrame, as_of: dt.date) -> list[dict[str, Any]]:
    """Open decisions due within the next 14 days, overdue ones included, soonest first."""
    horizon = pd.Timestamp(as_of) + pd.Timedelta(days=DECISIONS_AHEAD_DAYS)
    needed = items[items["decision_open"] & (items["due"] <= horizon)]
    return _records(needed.sort_values("due", kind="stable"), _DECISION_FIELDS)


_DEPENDENCY_FIELDS = ("raid_id", "project_id", "depends_on", "depends_on_milestone",
                      "needed_by", "depends_on_delivers", "dependency_at_risk",
                      "at_risk_reason")


def _cross_project(items: pd.DataFrame) -> pd.DataFrame:
    """Open dependencies on another (known) project."""
    known = items[items["depends_on_project"].notna()]  # few: IDs normalised for these only
    other = normalised_ids(known["depends_on"]) != normalised_ids(known["project_id"])
    return known[other.fillna(False)]


def _heat_map(opened: pd.DataFrame) -> dict[str, Any]:
    """Open risks by Probability (rows, 1 to 5) and Impact (columns, 1 to 5)."""
    risks = opened[opened["type"] == "Risk"]
    scored = risks[risks["score"].notna()]
    counts = np.zeros((_SCALE, _SCALE), dtype=int)
    np.add.at(counts, (scored["probability"].astype(int).to_numpy() - 1,
                       scored["impact"].astype(int).to_numpy() - 1), 1)
    return {"rows": "probability 1–5", "columns": "impact 1–5", "counts": counts.tolist(),
            "unscored": len(risks) - len(scored)}


def _per_project(items: pd.DataFrame, projects: pd.DataFrame) -> list[dict[str, Any]]:
    """Per project, in the register's order: open items by type, the highest open risk
    score, how many open risks score the High Risk Score or more (`high_risks`) and so its
    risk tolerance (`risk_status`: at risk with any, else within), overdue actions, open
    decisions, and the at-risk dependencies it waits for and that wait for it. Counted in
    numpy by each item's project code (a project's items are found by its normalised ID)."""
    keys = normalised_ids(projects["project_id"]).astype(object)
    distinct = pd.Index(pd.unique(keys[keys.notna()]))
    blank = len(distinct)  # the code of a project with no ID: it owns no item
    code = distinct.get_indexer(normalised_ids(items["project_id"]).astype(object))
    kind = pd.Index(RAID_TYPES).get_indexer(items["type"].astype(object))
    owned = code >= 0
    opened = items["is_open"].to_numpy(dtype=bool) & owned
    typed = opened & (kind >= 0)
    by_type = np.bincount(code[typed] * len(RAID_TYPES) + kind[typed],
                          minlength=(blank + 1) * len(RAID_TYPES))
    by_type = by_type.reshape(-1, len(RAID_TYPES)).tolist()
    score = items["score"].to_numpy(dtype=float)
    risk = opened & (kind == RAID_TYPES.index("Risk")) & ~np.isnan(score)
    highest = np.full(blank + 1, np.nan)
    np.fmax.at(highest, code[risk], score[risk])
    action = kind == RAID_TYPES.index("Action")
    overdue = _count(code, owned & action & items["overdue"].to_numpy(dtype=bool), blank + 1)
    decisions = _count(code, owned & items["decision_open"].to_numpy(dtype=bool), blank + 1)
    high = _count(code, owned & items["high_risk"].to_numpy(dtype=bool), blank + 1)
    at_risk = _cross_project(items)
    at_risk = at_risk[at_risk["dependency_at_risk"]]
    waits = _grouped_records(at_risk, normalised_ids(at_risk["project_id"]),
                             ("raid_id", "depends_on", "depends_on_milestone", "needed_by",
                              "at_risk_reason"))
    waited = _grouped_records(at_risk, normalised_ids(at_risk["depends_on"]),
                              ("raid_id", "project_id", "depends_on_milestone", "needed_by",
                               "at_risk_reason"))
    ids = projects["project_id"]
    shown_ids = ids.astype(object).where(ids.notna(), None).tolist()
    at = np.where(keys.notna(), distinct.get_indexer(keys), blank).tolist()
    scores = [None if s != s else int(s) for s in highest.tolist()]
    return [{"project_id": shown,
             "open_by_type": dict(zip(RAID_TYPES, by_type[i], strict=True)),
             "highest_risk_score": scores[i], "high_risks": high[i],
             "risk_status": AT_RISK if high[i] else WITHIN,
             "overdue_actions": overdue[i], "open_decisions": decisions[i],
             "waits_for": waits.get(key, []), "waited_on_by": waited.get(key, [])}
            for shown, key, i in zip(shown_ids, keys.tolist(), at, strict=True)]


def _count(codes: np.ndarray, where: np.ndarray, size: int) -> list[int]:
    """How many of the flagged items each code has (as plain ints)."""
    return np.bincount(codes[where], minlength=size).tolist()


def _grouped_records(frame: pd.DataFrame, keys: pd.Series,
                     fields: tuple[str, ...]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for key, record in zip(keys, _records(frame, fields), strict=True):
        found.setdefault(key, []).append(record)
    return found



# --- one project's status report ---------------------------------------------------------------

_REPORT_ITEM_FIELDS = ("raid_id", "type", "type_label", "title", "owner", "score", "probability",
                       "impact", "raised", "age_days", "response", "status_label",
                       "escalate_label", "high_risk")
_REPORT_DECISION_FIELDS = ("raid_id", "title", "description", "owner", "due", "overdue",
                           "days_overdue")
_IN_FIELDS = ("raid_id", "title", "depends_on", "depends_on_milestone", "needed_by",
              "depends_on_delivers", "dependency_at_risk", "at_risk_reason")
_OUT_FIELDS = ("raid_id", "title", "project_id", "depends_on_milestone", "needed_by",
               "depends_on_delivers", "dependency_at_risk", "at_risk_reason")


def project_raid(items: pd.DataFrame | None, projects: pd.DataFrame
                 ) -> list[dict[str, Any] | None]:
    """What each project's status report shows of the RAID log, per row of `projects` (the
    roll-up's project figures, or some of their rows): the per-project roll-up figures, its
    open risks and issues by score (`top_items`, at most TOP_ITEMS; `more_items` the open
    ones left out), the open decisions it needs from the sponsor (soonest first), and its
    open cross-project dependencies both ways, each with its at-risk flag and reason
    (`depends_on`: what it waits for; `depended_on_by`: who waits for it). None for every
    project when the register keeps no RAID log. Only the items of those projects (and the
    dependencies on them) are converted."""
    if items is None:
        return [None] * len(projects)
    keys = normalised_ids(projects["project_id"])
    wanted = set(keys.dropna())
    pid, on = normalised_ids(items["project_id"]), normalised_ids(items["depends_on"])
    items = items[pid.isin(wanted).fillna(False) | on.isin(wanted).fillna(False)]
    pid, on = pid[items.index], on[items.index]
    ranked = items[items["is_open"] & items["type"].isin(["Risk", "Issue"])].sort_values(
        ["score", "raised"], ascending=[False, True], na_position="last", kind="stable")
    top = _grouped_records(ranked, pid[ranked.index], _REPORT_ITEM_FIELDS)
    decisions = items[items["decision_open"]].sort_values("due", kind="stable",
                                                           na_position="last")
    needed = _grouped_records(decisions, pid[decisions.index], _REPORT_DECISION_FIELDS)
    crossing = _cross_project(items)
    waits = _grouped_records(crossing, pid[crossing.index], _IN_FIELDS)
    waited = _grouped_records(crossing, on[crossing.index], _OUT_FIELDS)
    found = []
    for figures, key in zip(_per_project(items, projects), keys.astype(object), strict=True):
        if key is pd.NA:  # a blank Project ID owns no item (a blank one is an error)
            key = None
        ranked_items = top.get(key, [])
        found.append({**figures, "top_items": ranked_items[:TOP_ITEMS],
                      "more_items": max(len(ranked_items) - TOP_ITEMS, 0),
                      "decisions": needed.get(key, []),
                      "depends_on": waits.get(key, []), "depended_on_by": waited.get(key, [])})
    return found
