"""The sample register's RAID log: four to eight believable items per project.

Written after the projects' planted problems, so that each item agrees with its project as it
finally stands (an assumption on a Closed project is closed, a dependency waits only for a
healthy project). Its own planted problems are recorded in the portfolio's `planted` like the
other sheets'. A separate random stream is used, so the projects, lessons and milestones are
exactly those of a portfolio without a RAID log.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .sample import Planted, SamplePortfolio
from .schema import PROJECTS, RAID, SETTINGS

_RISKS = (
    ("Supplier delivers late", "Deliveries slip beyond the integration window.",
     "Weekly supplier call; penalty clause invoked at two weeks' delay."),
    ("Key staff unavailable", "Named specialists are pulled into business-as-usual work.",
     "Ring-fence named staff; backfill agreed with line managers."),
    ("Data quality below target", "Migration rehearsals find more defects than planned.",
     "Data cleansing sprint before the second rehearsal."),
    ("Budget cut next year", "The programme's funding is reviewed in the spring round.",
     "Benefits case refreshed for the sponsor before the review."),
    ("Security review fails", "The penetration test finds issues that block go-live.",
     "Early test on the pre-production environment."),
)
_ASSUMPTIONS = (
    ("Licences cover the pilot", "The enterprise agreement covers the pilot users."),
    ("Users available for testing", "Ten business users join user acceptance testing."),
    ("Legacy system stays until cut-over", "The old system is not switched off early."),
)
_ISSUES = (
    ("Test environment unstable", "Shared test data is overwritten twice a week."),
    ("Interface specification missing", "The supplier has not sent the final specification."),
    ("Requirements disputed", "Two business units disagree on the approval flow."),
)
_DECISIONS = (
    ("Approve change request 4", "Extend scope to the second warehouse."),
    ("Choose the hosting option", "Cloud or on-premises hosting for production."),
    ("Agree the cut-over weekend", "Which weekend the business accepts the outage."),
)
_ACTIONS = (
    ("Confirm hardware lead times", "Ask procurement for committed delivery dates."),
    ("Update the benefits register", "Record the revised benefit profile."),
    ("Book the steering meeting", "Agree the date of the next board with the sponsor."),
)
_ACTIVE = ("Planning", "Execution")
_SCALE = (1, 2, 3, 4, 5)


def _days(n: float) -> dt.timedelta:
    return dt.timedelta(days=int(n))


def setting(portfolio: SamplePortfolio, key: str) -> Any:
    """A setting of the sample: its own value, else the declared default."""
    return portfolio.settings.get(key, next(s.default for s in SETTINGS if s.key == key))


@dataclass
class _Log:
    """What the items of one portfolio are drawn from."""

    portfolio: SamplePortfolio
    targets: list[int]  # projects a clean dependency may wait for
    planted_projects: set[int] = field(default_factory=set)
    open_milestones: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    index: int = 0  # the project whose items are being written

    def __post_init__(self) -> None:
        projects = self.portfolio.projects
        # By ID as the RAID rows write it (trimmed); a repeated ID keeps its first project.
        self.by_index: dict[str, int] = {}
        for i, p in enumerate(projects):
            self.by_index.setdefault(str(p["project_id"]).strip(), i)
        self.by_id = {key: projects[i] for key, i in self.by_index.items()}
        # IDs that name one project however they are spelt (a planted duplicate does not).
        folded = Counter(str(p["project_id"]).strip().lower() for p in projects)
        self.unique_ids = {i for i, n in folded.items() if n == 1}

    def target(self, rng: random.Random) -> dict[str, Any] | None:
        """Another project to wait for (never the project itself)."""
        choices = [t for t in rng.sample(self.targets, min(3, len(self.targets)))
                   if t != self.index]
        return self.portfolio.projects[choices[0]] if choices else None


def add_raid_log(portfolio: SamplePortfolio, seed: int) -> None:
    """Fill the portfolio's RAID sheet (see the module docstring)."""
    rng = random.Random(f"raid-{seed}")
    planted = {p.index for p in portfolio.planted if p.sheet == PROJECTS.name}
    # A planted project (or the one whose ID a planted duplicate repeats) is no dependency
    # target: its own problem would put the dependency at risk.
    avoid = planted | {i - 1 for i in planted}
    log = _Log(portfolio, [i for i, p in enumerate(portfolio.projects) if i not in avoid
                           and p["phase"] in _ACTIVE and p["overall_rag"] == "Green"], avoid)
    for milestone in portfolio.milestones:
        if not milestone["actual_date"] and isinstance(milestone["baseline_date"], dt.date):
            log.open_milestones.setdefault(milestone["project_id"], []).append(milestone)
    rows = portfolio.tables.setdefault(RAID.name, [])
    first = {}  # a repeated ID (a planted duplicate) means its first project, as validation
    for project in portfolio.projects:  # reads it: its items must agree with that one's phase
        first.setdefault(str(project["project_id"]).strip().lower(), project)
    for index, project in enumerate(portfolio.projects):
        log.index = index
        owner = first[str(project["project_id"]).strip().lower()]
        for kind in _kinds(rng):
            row = _item(rng, kind, {**owner, "project_id": project["project_id"]}, log)
            if row is not None:
                row["raid_id"] = f"RAID-{len(rows) + 1:05d}"
                rows.append(row)
    _plant(log, rows)


def _kinds(rng: random.Random) -> list[str]:
    """Four to eight item types; every project has a risk, an assumption, an action and a
    decision, and some also an issue, a dependency, more risks and actions."""
    extra = rng.sample(("Risk", "Issue", "Dependency", "Action"), k=rng.randint(0, 4))
    kinds = ["Risk", "Assumption", "Action", "Decision", *extra]
    return kinds


def _item(rng: random.Random, kind: str, project: dict[str, Any],
          log: _Log) -> dict[str, Any] | None:
    """One item of `kind` on `project` (None: a dependency with nothing to wait for)."""
    as_of = log.portfolio.as_of
    start = project["start_date"] if isinstance(project["start_date"], dt.date) else None
    earliest = min(start or as_of - _days(120), as_of - _days(10))
    raised = earliest + _days(rng.randint(0, max(0, (as_of - earliest).days - 5)))
    row: dict[str, Any] = {"project_id": str(project["project_id"]).strip(), "type": kind,
                           "owner": project["project_manager"], "raised": raised,
                           "status": "Open"}
    if _FILL[kind](rng, row, project, log) is False:
        return None
    if _finished(project):  # a closed project's log is closed too
        _close(rng, row, as_of)
    return row


def _finished(project: dict[str, Any]) -> bool:
    return project["phase"] == "Closed"


def _close(rng: random.Random, row: dict[str, Any], as_of: dt.date) -> None:
    span = max(1, (as_of - row["raised"]).days)
    row.update(status="Closed", closed_on=row["raised"] + _days(rng.randint(1, span)))
    if row["type"] == "Decision":
        row.setdefault("decision", "Agreed at the steering meeting.")
        row["decided_on"] = row["closed_on"]


def _risk(rng: random.Random, row: dict[str, Any], project: dict[str, Any],
          log: _Log) -> None:
    title, description, response = rng.choice(_RISKS)
    # Most risks are moderate; a few are likely and severe.
    probability = rng.choices(_SCALE, weights=(15, 30, 30, 18, 7))[0]
    impact = rng.choices(_SCALE, weights=(10, 25, 30, 25, 10))[0]
    row.update(title=title, description=description, response=response,
               probability=probability, impact=impact,
               escalate="Yes" if probability * impact >= 15 else "No",
               status=rng.choice(("Open", "Open", "In Progress")))


def _assumption(rng: random.Random, row: dict[str, Any], project: dict[str, Any],
                log: _Log) -> None:
    title, description = rng.choice(_ASSUMPTIONS)
    row.update(title=title, description=description)
    if project["phase"] == "Closing":  # an assumption is settled by the time a project closes
        _close(rng, row, log.portfolio.as_of)


def _issue(rng: random.Random, row: dict[str, Any], project: dict[str, Any],
           log: _Log) -> None:
    title, description = rng.choice(_ISSUES)
    age = (log.portfolio.as_of - row["raised"]).days
    row.update(title=title, description=description, probability=5,  # it has happened
               impact=rng.choices(_SCALE[:4], weights=(20, 35, 30, 15))[0], status="In Progress",
               escalate="Yes" if age > setting(log.portfolio, "issue_age_days") else "No",
               response="Workaround agreed; fix planned in the next release.")


def _decision(rng: random.Random, row: dict[str, Any], project: dict[str, Any],
              log: _Log) -> None:
    title, description = rng.choice(_DECISIONS)
    row.update(title=title, description=description, owner=project["sponsor"],
               decision_needed_by=log.portfolio.as_of + _days(rng.randint(3, 60)))


def _action(rng: random.Random, row: dict[str, Any], project: dict[str, Any],
            log: _Log) -> None:
    title, description = rng.choice(_ACTIONS)
    row.update(title=title, description=description,
               due_date=log.portfolio.as_of + _days(rng.randint(3, 45)))
    if rng.random() < 0.4:
        _close(rng, row, log.portfolio.as_of)


def _dependency(rng: random.Random, row: dict[str, Any], project: dict[str, Any],
                log: _Log) -> bool:
    target = log.target(rng)
    if target is None:
        return False
    finish = target.get("forecast_finish") or target["baseline_finish"]
    row.update(title=f"Needs {target['project_name']}",
               description="Our go-live needs this project's delivery.",
               depends_on=target["project_id"], needed_by=finish + _days(rng.randint(14, 90)))
    milestones = log.open_milestones.get(target["project_id"], [])
    if milestones and rng.random() < 0.5:
        milestone = rng.choice(milestones)
        expected = milestone["forecast_date"] or milestone["baseline_date"]
        row.update(depends_on_milestone=milestone["milestone"],
                   needed_by=expected + _days(rng.randint(14, 60)))
    return True


_FILL = {"Risk": _risk, "Assumption": _assumption, "Issue": _issue, "Decision": _decision,
         "Action": _action, "Dependency": _dependency}


# --- planted problems ------------------------------------------------------------------------

RowPlant = Callable[[dict[str, Any], _Log], tuple[str, str] | None]


def _unowned_high_risk(row: dict[str, Any], log: _Log) -> tuple[str, str]:
    row.update(probability=4, impact=5, owner=None, escalate="Yes")
    return "owner", "high-risk-without-owner"


def _unmitigated_high_risk(row: dict[str, Any], log: _Log) -> tuple[str, str]:
    row.update(probability=5, impact=3, response=None, escalate="Yes")
    return "response", "high-risk-without-response"


def _overdue_action(row: dict[str, Any], log: _Log) -> tuple[str, str]:
    row.update(status="Open", closed_on=None, due_date=log.portfolio.as_of - _days(12))
    return "due_date", "raid-overdue"


def _old_issue(row: dict[str, Any], log: _Log) -> tuple[str, str]:
    row.update(raised=log.portfolio.as_of - _days(75), escalate="No")
    return "escalate", "issue-not-escalated"


def _closed_undated(row: dict[str, Any], log: _Log) -> tuple[str, str]:
    row.update(status="Closed", closed_on=None)
    return "closed_on", "closed-without-date"


def _open_assumption(row: dict[str, Any], log: _Log) -> tuple[str, str]:
    row.update(status="Open", closed_on=None)
    return "status", "assumption-open-at-close"


def _misnamed_milestone(row: dict[str, Any], log: _Log) -> tuple[str, str]:
    target = log.by_id[row["depends_on"]]
    finish = target.get("forecast_finish") or target["baseline_finish"]
    # Only the name is wrong: the project's finish, used instead, is in time.
    row.update(depends_on_milestone="UAT sign-off", needed_by=finish + _days(30))
    return "depends_on_milestone", "unknown-milestone"


def _retired_project(row: dict[str, Any], log: _Log) -> tuple[str, str]:
    row.update(depends_on="PRJ-OLD-4", depends_on_milestone=None)
    return "depends_on", "unknown-project"


def _healthy(log: _Log, row: dict[str, Any]) -> bool:
    """A row of an active project with no planted problem of its own."""
    project = log.by_id[row["project_id"]]
    return (project["phase"] in _ACTIVE
            and log.by_index[row["project_id"]] not in log.planted_projects)


# plant, and which rows it may go on
_ROW_PLANTS: tuple[tuple[RowPlant, Callable[[dict[str, Any], _Log], bool]], ...] = (
    (_unowned_high_risk, lambda r, log: r["type"] == "Risk" and _healthy(log, r)),
    (_unmitigated_high_risk, lambda r, log: r["type"] == "Risk" and _healthy(log, r)),
    (_overdue_action, lambda r, log: r["type"] == "Action" and _healthy(log, r)),
    (_old_issue, lambda r, log: r["type"] == "Issue" and _healthy(log, r)),
    (_closed_undated, lambda r, log: r["type"] == "Action" and _healthy(log, r)),
    # Any Closing project will do: no other planted problem is about its phase.
    (_open_assumption, lambda r, log: r["type"] == "Assumption"
     and log.by_id[r["project_id"]]["phase"] == "Closing"
     and r["project_id"].lower() in log.unique_ids),
    (_misnamed_milestone, lambda r, log: r["type"] == "Dependency" and r["status"] != "Closed"
     and bool(r.get("depends_on_milestone"))),
    (_retired_project, lambda r, log: r["type"] == "Dependency" and r["status"] != "Closed"
     and not r.get("depends_on_milestone")),
)


def _plant(log: _Log, rows: list[dict[str, Any]]) -> None:
    """Each kind of problem on a few rows spread over the log (one per 40 projects), never
    two on one row; then the dependency chain."""
    per_kind = max(1, len(log.portfolio.projects) // 40)
    used: set[int] = set()
    for plant, fits in _ROW_PLANTS:
        candidates = [i for i, row in enumerate(rows) if i not in used and fits(row, log)]
        stride = max(1, len(candidates) // per_kind)
        for index in candidates[::stride][:per_kind]:
            found = plant(rows[index], log)
            if found is not None:
                used.add(index)
                log.portfolio.planted.append(Planted(RAID.name, index, *found))
    _plant_chain(log, rows)


def _plant_chain(log: _Log, rows: list[dict[str, Any]]) -> None:
    """One project's slip puts two others at risk: a slipping Amber project, and two healthy
    projects waiting for it, one for its finish and one for its Go-live."""
    slipping = [p for i, p in enumerate(log.portfolio.projects)
                if i not in log.planted_projects and p["phase"] == "Execution"
                and p["overall_rag"] == "Amber" and p.get("forecast_finish")
                and _go_live(log, p) is not None]
    items = Counter(row["project_id"] for row in rows)  # at most eight items a project
    waiting = [i for i in log.targets if log.portfolio.projects[i]["phase"] == "Execution"
               and items[log.portfolio.projects[i]["project_id"]] < 8]
    if not slipping or len(waiting) < 2:
        return
    late = slipping[0]
    go_live = _go_live(log, late)
    assert go_live is not None
    for n, (milestone, needed) in enumerate(((None, late["baseline_finish"]),
                                             ("Go-live", go_live["baseline_date"]))):
        waiter = log.portfolio.projects[waiting[n]]
        rows.append({
            "raid_id": f"RAID-{len(rows) + 1:05d}", "project_id": waiter["project_id"],
            "type": "Dependency", "title": f"Needs {late['project_name']}",
            "description": "Our roll-out needs this project's delivery.",
            "owner": waiter["project_manager"], "raised": log.portfolio.as_of - _days(40),
            "status": "Open", "depends_on": late["project_id"],
            "depends_on_milestone": milestone, "needed_by": needed})
        log.portfolio.planted.append(Planted(RAID.name, len(rows) - 1, "depends_on",
                                             "dependency-at-risk"))


def _go_live(log: _Log, project: dict[str, Any]) -> dict[str, Any] | None:
    return next((m for m in log.open_milestones.get(project["project_id"], [])
                 if m["milestone"] == "Go-live" and m["forecast_date"]), None)
