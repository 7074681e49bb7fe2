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
  project does not have), for the project's finish (Actual, else Forecast, else Baseline
  Finish). An open dependency is **at risk** when that date is after Needed By, when the
  project is Red and not Closed, or when it is Closed without having delivered: the needed
  milestone has no Actual Date or, with no milestone named, the project is below 100 %
  complete. At risk does not carry on down a chain: a project waiting for an at-risk project
  is not itself flagged for those waiting for it. The check is one join of the items with the
  projects' and milestones' figures, never a loop over items.

A value that failed validation is blank for every figure: a Type outside the vocabulary counts
under no type, an unreadable Raised gives no age, an unknown Depends On project no at-risk.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from .metrics import plain_column, project_metrics, usable_dates
from .reader import Register, Table
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
    v, dates = table.values, usable_dates(table)
    today = pd.Timestamp(as_of).to_datetime64()
    kind = {word: _means(v["type"], word) for word in RAID_TYPES}
    closed = _means(v["status"], CLOSED) | (_blank(v["status"]) & _known(dates, "closed_on"))
    is_open = ~closed
    probability, impact = _scale(v["probability"]), _scale(v["impact"])
    score = probability * impact
    decision, decided = kind["Decision"], _known(dates, "decided_on")
    due = _due(dates, kind["Action"], decision)
    overdue = is_open & ~(decision & decided) & (due < today)
    age = _whole_days(today, dates["raised"].to_numpy())
    days_overdue = _whole_days(today, due)
    settings = register.settings
    figures = {
        "probability": probability, "impact": impact, "score": score,
        "is_open": is_open, "age_days": age, "due": due, "overdue": overdue,
        # pandas' where: whole days stay int64 when every item is overdue
        "days_overdue": days_overdue if overdue.all() else np.where(overdue, days_overdue,
                                                                    np.nan),
        "decision_open": decision & is_open & ~decided,
        "high_risk": kind["Risk"] & is_open & (score >= settings.high_risk_score),
        "old_issue": kind["Issue"] & is_open & (age > settings.issue_age_days)
                     & ~_means(v["escalate"], "Yes"),
    }
    projects = _project_figures(register, as_of)
    phase = normalised_ids(v["project_id"]).map(projects["phase"]).astype(object)
    figures["project_phase"] = phase
    figures["assumption_open_at_close"] = (kind["Assumption"] & is_open
                                           & phase.isin(CLOSING_STAGES).to_numpy())
    waiting = pd.Series(is_open & kind["Dependency"], index=v.index)
    found = _dependencies(table, register, projects, waiting)
    return pd.DataFrame({**figures, **found}, index=v.index)


def _means(values: pd.Series, meaning: str) -> np.ndarray:
    """Which cells of a dropdown column mean `meaning` (blank or unusable: none)."""
    if isinstance(values.dtype, pd.CategoricalDtype):  # the reader's: compare codes
        categories = values.cat.categories
        if meaning not in categories:
            return np.zeros(len(values), dtype=bool)
        return values.array.codes == categories.get_loc(meaning)
    return (values.astype(object) == meaning).to_numpy(dtype=bool)


def _blank(values: pd.Series) -> np.ndarray:
    return values.isna().to_numpy(dtype=bool)


def _known(dates: pd.DataFrame, key: str) -> np.ndarray:
    return ~np.isnat(dates[key].to_numpy())


def _scale(values: pd.Series) -> np.ndarray:
    """A 1–5 dropdown's meaning as a number (blank or unusable: NaN), from its canonical
    words: each category is converted once, not each cell."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        words = pd.Series(values.cat.categories.astype(object), dtype=object)
        numbers = pd.to_numeric(words, errors="coerce").astype(float).to_numpy()
        return np.append(numbers, np.nan)[values.array.codes]  # code -1 (blank): the NaN
    return pd.to_numeric(values.astype(object), errors="coerce").astype(float).to_numpy()


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
    blank = np.isnat(earlier)
    delta = later - np.where(blank, later, earlier)
    days = np.floor_divide(delta, np.timedelta64(1, "D")).astype(np.int64)
    return np.where(blank, np.nan, days) if blank.any() else days


def _project_figures(register: Register, as_of: dt.date) -> pd.DataFrame:
    """What a RAID item needs of its projects, by normalised Project ID (the first of a
    repeated ID: repeating one is an error of its own)."""
    metrics = project_metrics(register, as_of)
    frame = pd.DataFrame({
        "phase": metrics["phase"].astype(object), "finish": metrics["finish"],
        "red": metrics["active"] & (metrics["overall_rag"] == "Red"),
        "closed": metrics["phase"] == CLOSED,
        "complete": metrics["percent_complete"] >= 1,
        "shown_id": metrics["project_id"]})
    frame.index = normalised_ids(metrics["project_id"])
    return frame[frame.index.notna() & ~frame.index.duplicated(keep="first")]


def _word_keys(names: pd.Series) -> np.ndarray:
    """Milestone names reduced for matching (`normalise_word`), each distinct name once:
    a register names the same few milestones thousands of times. Blanks stay missing."""
    codes, distinct = pd.factorize(names.to_numpy(dtype=object), use_na_sentinel=True)
    keys = np.array([*(normalise_word(name) for name in distinct), None], dtype=object)
    return keys[codes]


def _milestone_dates(register: Register) -> pd.DataFrame:
    """Each milestone's date (actual, else forecast, else baseline) and whether it is done,
    by (normalised Project ID, normalised milestone name)."""
    columns = ["pid", "milestone_key", "milestone_date", "milestone_done"]
    table = register.milestones
    if table is None or not len(table):
        return pd.DataFrame(columns=columns)
    dates = usable_dates(table)
    frame = pd.DataFrame({
        "pid": normalised_ids(table.values["project_id"]),
        "milestone_key": _word_keys(table.values["milestone"]),
        "milestone_date": dates["actual_date"].fillna(dates["forecast_date"])
                                              .fillna(dates["baseline_date"]),
        "milestone_done": dates["actual_date"].notna()})
    return frame.drop_duplicates(["pid", "milestone_key"], keep="first")[columns]


def _dependencies(table: Table, register: Register, projects: pd.DataFrame,
                  waiting: pd.Series) -> pd.DataFrame:
    """Per item: the project it depends on, the date that project delivers what it needs,
    and whether the dependency is at risk and why (blank for items that are no open
    dependency). One merge with the projects, one with the milestones."""
    v, dates = table.values, usable_dates(table)
    items = pd.DataFrame({"pid": normalised_ids(v["depends_on"]),
                          "needed_by": dates["needed_by"], "position": np.arange(len(v))})
    items = items[waiting.to_numpy() & items["pid"].notna().to_numpy()]
    items["milestone_key"] = _word_keys(v["depends_on_milestone"].iloc[items["position"]])
    joined = items.merge(projects, left_on="pid", right_index=True, how="inner")
    joined = joined.merge(_milestone_dates(register), on=["pid", "milestone_key"], how="left")
    named = joined["milestone_key"].notna()
    known = named & joined["milestone_date"].notna()
    delivers = pd.to_datetime(joined["milestone_date"].where(known, joined["finish"]))
    late = delivers > joined["needed_by"]
    # Delivered: the needed milestone reached, else the project complete; unknown (an
    # unusable Percent Complete) is not taken for undelivered.
    delivered = joined["milestone_done"].where(known, joined["complete"])
    undelivered = joined["closed"] & ~delivered.fillna(True).astype(bool)
    red = joined["red"] & ~joined["closed"]
    found = pd.DataFrame({
        "depends_on_project": joined["shown_id"].to_numpy(),
        "depends_on_delivers": delivers.to_numpy(),
        "milestone_unknown": (named & ~known).to_numpy(),
        "dependency_at_risk": (late | red | undelivered).to_numpy(),
        "at_risk_reason": _reasons(joined, v["depends_on_milestone"], known, delivers, late,
                                   red, undelivered).to_numpy(),
    }, index=v.index[joined["position"].to_numpy()])
    found = found.reindex(v.index)
    found["dependency_at_risk"] = found["dependency_at_risk"].fillna(False).astype(bool)
    found["milestone_unknown"] = found["milestone_unknown"].fillna(False).astype(bool)
    return dict(found.items())


def _reasons(joined: pd.DataFrame, milestones: pd.Series, known: pd.Series,
             delivers: pd.Series, late: pd.Series, red: pd.Series,
             undelivered: pd.Series) -> pd.Series:
    """Why each dependency is at risk, in words ('' when it is not), column-wise."""
    names = milestones.astype(object).to_numpy()[joined["position"].to_numpy()]
    named = pd.Series(names, index=joined.index).astype("string")
    what = ("its milestone '" + named + "'").where(known, "its finish").astype(object)
    shown = delivers.dt.strftime("%Y-%m-%d").fillna("")
    needed = joined["needed_by"].dt.strftime("%Y-%m-%d").fillna("")
    parts = [
        ("forecasts " + what + " on " + shown + ", after Needed By " + needed).where(late, ""),
        pd.Series("is Red", index=joined.index).where(red, ""),
        ("is Closed without having reached " + what).where(undelivered & known, ""),
        pd.Series("is Closed below 100 % complete", index=joined.index).where(
            undelivered & ~known, ""),
    ]
    reasons = parts[0]
    for part in parts[1:]:
        reasons = reasons.str.cat(part, sep="; ").str.strip("; ")
    return reasons


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
    ranked = opened[opened["type"].isin(["Risk", "Issue"])].sort_values(
        ["score", "raised"], ascending=[False, True], na_position="last", kind="stable")
    return _records(ranked.head(TOP_ITEMS), _ITEM_FIELDS)


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
    other = normalised_ids(items["depends_on"]) != normalised_ids(items["project_id"])
    return items[items["depends_on_project"].notna() & other.fillna(False)]


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
    decisions, and the at-risk dependencies it waits for and that wait for it."""
    pid = normalised_ids(items["project_id"])
    opened = items["is_open"]
    by_type = pd.Series(1, index=pid[opened].index).groupby(
        [pid[opened], items.loc[opened, "type"].astype(object)]).sum().unstack(fill_value=0)
    grouped = pd.DataFrame({
        "risk": items["score"].where(opened & (items["type"] == "Risk")),
        "overdue": items["overdue"] & (items["type"] == "Action"),
        "decisions": items["decision_open"], "high": items["high_risk"]}).groupby(pid)
    # Plain dicts: looked up once per project, a Series lookup would cost ten times more.
    counts_of = by_type.to_dict("index")
    highest = grouped["risk"].max().dropna().astype(int).to_dict()
    overdue, decisions = grouped["overdue"].sum().to_dict(), grouped["decisions"].sum().to_dict()
    high = grouped["high"].sum().to_dict()
    at_risk = _cross_project(items)
    at_risk = at_risk[at_risk["dependency_at_risk"]]
    waits = _grouped_records(at_risk, pid[at_risk.index], ("raid_id", "depends_on",
                             "depends_on_milestone", "needed_by", "at_risk_reason"))
    waited = _grouped_records(at_risk, normalised_ids(at_risk["depends_on"]),
                              ("raid_id", "project_id", "depends_on_milestone", "needed_by",
                               "at_risk_reason"))
    ids = projects["project_id"]
    shown_ids = ids.astype(object).where(ids.notna(), None).tolist()
    keys = normalised_ids(ids).astype(object).tolist()
    found = []
    for shown, key in zip(shown_ids, keys, strict=True):
        counts = counts_of.get(key, {})
        found.append({
            "project_id": shown,
            "open_by_type": {t: int(counts.get(t, 0)) for t in RAID_TYPES},
            "highest_risk_score": highest.get(key),
            "high_risks": int(high.get(key, 0)),
            "risk_status": AT_RISK if high.get(key, 0) else WITHIN,
            "overdue_actions": int(overdue.get(key, 0)),
            "open_decisions": int(decisions.get(key, 0)),
            "waits_for": waits.get(key, []), "waited_on_by": waited.get(key, [])})
    return found


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
