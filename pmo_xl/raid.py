"""The RAID log's figures per item.

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

import numpy as np
import pandas as pd

from .metrics import project_metrics, usable_dates
from .reader import Register, Table
from .schema import CLOSED, CLOSING_STAGES, normalise_word


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
    v, dates = table.values, usable_dates(table)
    today = pd.Timestamp(as_of)
    kind = v["type"].astype(object)
    status = v["status"].astype(object)
    closed = (status == CLOSED) | (status.isna() & dates["closed_on"].notna())
    is_open = ~closed
    probability, impact = _scale(v["probability"]), _scale(v["impact"])
    score = probability * impact
    decision = kind == "Decision"
    decided = dates["decided_on"].notna()
    due = dates["due_date"].where(kind == "Action")
    due = due.where(~decision, dates["decision_needed_by"].fillna(dates["due_date"]))
    overdue = is_open & ~(decision & decided) & (due < today)
    age = (today - dates["raised"]).dt.days
    settings = register.settings
    figures = pd.DataFrame({
        "probability": probability, "impact": impact, "score": score,
        "is_open": is_open, "age_days": age, "due": due, "overdue": overdue,
        "days_overdue": (today - due).dt.days.where(overdue),
        "decision_open": decision & is_open & ~decided,
        "high_risk": (kind == "Risk") & is_open & (score >= settings.high_risk_score),
        "old_issue": (kind == "Issue") & is_open & (age > settings.issue_age_days)
                     & (v["escalate"].astype(object) != "Yes"),
    }, index=v.index)
    projects = _project_figures(register, as_of)
    figures["project_phase"] = normalised_ids(v["project_id"]).map(projects["phase"]).astype(
        object)
    figures["assumption_open_at_close"] = ((kind == "Assumption") & is_open
                                           & figures["project_phase"].isin(CLOSING_STAGES))
    waiting = is_open & (kind == "Dependency")
    return figures.join(_dependencies(table, register, projects, waiting))


def _scale(values: pd.Series) -> pd.Series:
    """A 1–5 dropdown's meaning as a number (blank or unusable: NaN)."""
    return pd.to_numeric(values.astype(object), errors="coerce").astype(float)


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
        "milestone_key": table.values["milestone"].astype("string").map(
            normalise_word, na_action="ignore"),
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
    items = pd.DataFrame({
        "pid": normalised_ids(v["depends_on"]),
        "milestone_key": v["depends_on_milestone"].astype("string").map(
            normalise_word, na_action="ignore"),
        "needed_by": dates["needed_by"], "position": np.arange(len(v))})
    items = items[waiting.to_numpy() & items["pid"].notna().to_numpy()]
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
    return found


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

