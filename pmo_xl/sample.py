"""A realistic, deterministic sample portfolio, with a few honest problems planted in it.

`sample_portfolio(n, seed)` invents a believable register of any size: projects with
programmes, sponsors and managers, dates and costs that agree with their RAG status, three
lessons, four milestones and four to eight RAID items per project (`pmo_xl.sample_raid`), and
settings with a fixed report date so that every figure is reproducible. Some rows carry a
deliberate problem (a budget typed as words, a Closed project without Actual Finish, a Green
project that is behind plan, an unowned high risk, ...); each is
recorded in `planted`, so tests can assert that validation finds exactly these and nothing
else. `write_register(path, portfolio)` writes it as a plain .xlsx with Excel Tables.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .schema import (
    LESSON_CATEGORIES,
    LESSONS,
    MILESTONES,
    PROJECTS,
    SETTINGS,
    SHEETS,
    SheetSchema,
)

DEFAULT_AS_OF = dt.date(2026, 9, 30)
DEFAULT_PROJECTS = 40
LESSONS_PER_PROJECT = 3
MILESTONES_PER_PROJECT = 4

_SYSTEMS = ("ERP", "CRM", "Data Platform", "Payroll", "Intranet", "Warehouse Management",
            "Customer Portal", "Billing", "Identity & Access", "Field Service", "E-commerce",
            "Document Management", "Treasury", "Fleet Telematics", "Learning Platform",
            "Contact Centre", "Procurement Suite", "Network", "Data Centre", "Mobile App")
_ACTIONS = ("Migration", "Upgrade", "Roll-out", "Consolidation", "Replacement",
            "Modernisation", "Integration", "Refresh", "Pilot", "Implementation")
_PROGRAMMES = ("Digital Transformation", "Customer Experience", "Operational Excellence",
               "Regulatory Compliance", "Infrastructure Renewal", "Sustainability")
_UNITS = ("Finance", "HR", "Operations", "Sales", "IT", "Logistics", "Legal", "Marketing")
_FIRST = ("Amira", "Ben", "Chloé", "Daniel", "Elif", "Farid", "Grace", "Hugo", "Ines", "Jonas",
          "Keiko", "Liam", "Maya", "Nikolai", "Olivia", "Pedro", "Quinn", "Rosa", "Sven",
          "Tara", "Umar", "Vera", "Wim", "Yara", "Zoltan")
_LAST = ("Adeyemi", "Bakker", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Hansen",
         "Ivanova", "Jansen", "Kowalski", "Lambert", "Moreau", "Novak", "O'Neill", "Peeters",
         "Rossi", "Schmidt", "Tanaka", "Van Dijk", "Wright", "Zimmermann")
_MILESTONES = ("Business case approved", "Design signed off", "Build complete", "Go-live")
_LESSONS = {
    "Went Well": (
        ("Early supplier workshops", "Joint workshops in week one aligned scope and cut "
         "rework.", "Hold supplier workshops before the contract is signed."),
        ("Weekly demo to users", "Users saw progress every week and raised issues early.",
         "Make a weekly demo part of every delivery plan."),
        ("Dedicated test environment", "A stable test environment avoided defects caused "
         "by shared data.", "Budget a dedicated test environment from the start."),
        ("Sponsor steering cadence", "Fortnightly steering kept decisions within a week.",
         "Agree the steering cadence in the project brief."),
    ),
    "Improve": (
        ("Late data migration rehearsal", "The first rehearsal found data quality gaps "
         "three weeks before go-live.", "Run the first migration rehearsal by mid-build."),
        ("Unclear acceptance criteria", "Acceptance criteria were agreed during testing, "
         "causing disputes.", "Sign off acceptance criteria with the design."),
        ("Resource conflicts with BAU", "Key staff were pulled into business-as-usual "
         "work.", "Ring-fence named staff in the resource plan."),
        ("Procurement lead time underestimated", "Hardware orders took eleven weeks, not "
         "four.", "Confirm lead times with procurement before baselining."),
    ),
}


@dataclass(frozen=True)
class Planted:
    """A deliberate problem: which sheet and data row (0-based), which column, which rule."""

    sheet: str
    index: int
    column: str
    rule: str


@dataclass
class SamplePortfolio:
    """Rows of each sheet (by the standard's sheet name) keyed by column key, settings by
    setting key, and the planted problems."""

    as_of: dt.date
    settings: dict[str, Any]
    tables: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {sheet.name: [] for sheet in SHEETS})
    planted: list[Planted] = field(default_factory=list)

    def rows(self, sheet: str) -> list[dict[str, Any]]:
        return self.tables.get(sheet, [])

    def sheet_names(self) -> list[str]:
        return list(self.tables)

    @property
    def projects(self) -> list[dict[str, Any]]:
        return self.tables[PROJECTS.name]

    @property
    def lessons(self) -> list[dict[str, Any]]:
        return self.tables[LESSONS.name]

    @property
    def milestones(self) -> list[dict[str, Any]]:
        return self.tables[MILESTONES.name]


def sample_portfolio(projects: int = DEFAULT_PROJECTS, seed: int = 7,
                     as_of: dt.date = DEFAULT_AS_OF) -> SamplePortfolio:
    """Invent a portfolio of `projects` projects; the same arguments give the same data."""
    rng = random.Random(seed)
    portfolio = SamplePortfolio(as_of, {
        "organisation": "Harbourside Group", "report_date": as_of, "currency": "EUR",
        "stale_after_days": 30, "date_order": "DMY"})
    names = _unique_names(rng, projects)
    for index in range(projects):
        project = _project(rng, index, names[index], as_of)
        portfolio.projects.append(project)
        portfolio.lessons.extend(_lessons(rng, project, as_of, len(portfolio.lessons)))
        portfolio.milestones.extend(_milestones(rng, project, as_of))
    _plant_problems(portfolio)
    from .sample_raid import add_raid_log  # it builds on this module's portfolio

    add_raid_log(portfolio, seed)
    return portfolio


def _unique_names(rng: random.Random, count: int) -> list[str]:
    combos = [f"{s} {a}" for s in _SYSTEMS for a in _ACTIONS]
    rng.shuffle(combos)
    names = []
    for i in range(count):
        base = combos[i % len(combos)]
        wave = i // len(combos)
        names.append(base if wave == 0 else f"{base} — Wave {wave + 1}")
    return names


def _person(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"


def _days(n: float) -> dt.timedelta:
    return dt.timedelta(days=int(n))


def _planned_fraction(start: dt.date, finish: dt.date, as_of: dt.date) -> float:
    span = (finish - start).days
    return min(1.0, max(0.0, (as_of - start).days / span)) if span > 0 else 1.0


def _project(rng: random.Random, index: int, name: str, as_of: dt.date) -> dict[str, Any]:
    phase = rng.choices(("Initiation", "Planning", "Execution", "Closing", "Closed"),
                        weights=(8, 12, 55, 10, 15))[0]
    budget = round(math.exp(rng.uniform(math.log(60_000), math.log(4_500_000))), -3)
    duration = rng.randint(120, 720)
    start = _start_for(rng, phase, duration, as_of)
    baseline = start + _days(duration)
    rag = rng.choices(("Green", "Amber", "Red"), weights=(60, 28, 12))[0]
    project: dict[str, Any] = {
        "project_id": f"PRJ-{index + 1:04d}", "project_name": name,
        "programme": rng.choice(_PROGRAMMES), "business_unit": rng.choice(_UNITS),
        "sponsor": _person(rng), "project_manager": _person(rng), "phase": phase,
        "priority": rng.choice(("High", "Medium", "Medium", "Low")),
        "start_date": start, "baseline_finish": baseline, "budget": budget,
    }
    if phase == "Closed":
        _close(rng, project, as_of)
    else:
        _progress(rng, project, rag, as_of)
    return project


def _start_for(rng: random.Random, phase: str, duration: int, as_of: dt.date) -> dt.date:
    if phase == "Initiation":
        return as_of + _days(rng.randint(10, 90))
    if phase == "Planning":
        return as_of - _days(rng.randint(5, max(6, duration // 6)))
    if phase == "Execution":
        return as_of - _days(duration * rng.uniform(0.15, 0.9))
    if phase == "Closing":
        return as_of - _days(duration + rng.randint(-20, 5))
    return as_of - _days(duration + rng.randint(60, 500))


def _close(rng: random.Random, project: dict[str, Any], as_of: dt.date) -> None:
    finish = project["baseline_finish"] + _days(rng.choice((0, 0, 7, 21, 45, -5)))
    finish = min(finish, as_of - _days(10))
    project.update({
        "overall_rag": rng.choice(("Green", "Green", "Amber")), "percent_complete": 1.0,
        "actual_finish": finish, "actual_cost": round(project["budget"] * rng.uniform(0.85,
                                                                                    1.12), -2),
        "status_date": finish + _days(rng.randint(0, 20)),
        "status_summary": "Closed; benefits handed over to the business owner.",
        "next_steps": "Post-implementation review with the sponsor.",
    })
    project["schedule_rag"] = project["cost_rag"] = project["overall_rag"]


# How far behind plan (SPI), over cost (1/CPI) and late (days) each health level runs.
_HEALTH = {
    "Green": ((0.95, 1.05), (0.93, 1.04), (0, 0)),
    # Amber: behind or over, but within the tolerances (30 days, 10 %): the board hears of
    # it in the highlight report, not by exception (its slip drawn from 7-45 days and
    # scaled into 7-22: the same random draws as before, so the rest of the sample stays).
    "Amber": ((0.82, 0.95), (1.02, 1.07), (7, 45)),
    "Red": ((0.6, 0.82), (1.12, 1.35), (30, 120)),
}
_SUMMARIES = {
    "Green": "On track against baseline; no escalations needed.",
    "Amber": "Behind plan on {topic}; recovery plan agreed with the sponsor.",
    "Red": "Critical delay on {topic}; re-baseline request going to the board.",
}
_TOPICS = ("supplier deliveries", "data migration", "user acceptance testing",
           "integration testing", "resource availability", "requirements sign-off")


def _progress(rng: random.Random, project: dict[str, Any], rag: str, as_of: dt.date) -> None:
    planned = _planned_fraction(project["start_date"], project["baseline_finish"], as_of)
    spi_range, cost_range, slip_range = _HEALTH[rag]
    if project["phase"] == "Initiation":
        percent = 0.0
    elif project["phase"] == "Closing":
        percent = 1.0 if rng.random() < 0.6 else 0.97
    else:
        percent = round(min(0.97, planned * rng.uniform(*spi_range)), 2)
        if rag == "Green":  # keep SPI at or above 0.9 after rounding
            percent = max(percent, math.ceil(planned * 0.92 * 100) / 100)
    earned = project["budget"] * percent
    # Round down to whole hundreds so that rounding never pushes CPI below its health band.
    actual = math.floor(earned * rng.uniform(*cost_range) / 100) * 100
    slip = rng.randint(*slip_range)
    if rag == "Amber":
        slip = 7 + (slip - 7) * 15 // 38
    topic = rng.choice(_TOPICS)
    project.update({
        "overall_rag": rag,
        "schedule_rag": rag if slip or rag == "Green" else "Green",
        "cost_rag": rag if rag != "Green" and rng.random() < 0.6 else "Green",
        "forecast_finish": project["baseline_finish"] + _days(slip) if slip else None,
        "actual_cost": actual,
        "forecast_cost": round(project["budget"] * rng.uniform(*cost_range), -3)
        if rag != "Green" else None,
        "percent_complete": percent,
        "status_date": as_of - _days(rng.randint(0, 21)),
        "status_summary": _SUMMARIES[rag].format(topic=topic),
        "key_risks": f"Further slippage in {topic}." if rag != "Green" else "None above "
                                                                           "tolerance.",
        "next_steps": f"Review {topic} at the next steering meeting.",
    })
    if project["phase"] == "Initiation":
        project["actual_cost"] = 0.0


def _lessons(rng: random.Random, project: dict[str, Any], as_of: dt.date,
             offset: int) -> Iterator[dict[str, Any]]:
    first = min(project["start_date"], as_of - _days(30))
    span = max(1, (as_of - first).days)
    for n in range(LESSONS_PER_PROJECT):
        kind = rng.choice(("Went Well", "Improve"))
        title, description, recommendation = rng.choice(_LESSONS[kind])
        status = "Closed" if kind == "Went Well" else rng.choice(("Open", "In Progress",
                                                                  "Closed"))
        yield {
            "lesson_id": f"LL-{offset + n + 1:05d}", "project_id": project["project_id"],
            "date_logged": first + _days(rng.randint(0, span)),
            "category": rng.choice(LESSON_CATEGORIES[:-1]), "type": kind, "lesson": title,
            "description": description, "recommendation": recommendation,
            "owner": project["project_manager"], "action_status": status,
            "impact": rng.choice(("High", "Medium", "Low")),
        }


def _milestones(rng: random.Random, project: dict[str, Any],
                as_of: dt.date) -> Iterator[dict[str, Any]]:
    start, baseline = project["start_date"], project["baseline_finish"]
    slip = ((project.get("actual_finish") or project.get("forecast_finish") or baseline)
            - baseline).days
    for n, name in enumerate(_MILESTONES):
        planned = start + _days((baseline - start).days * (n + 1) / len(_MILESTONES))
        moved = planned + _days(slip * (n + 1) / len(_MILESTONES))
        done = moved <= as_of - _days(3) and project["percent_complete"] >= (n + 1) / 4
        yield {
            "project_id": project["project_id"], "milestone": name, "baseline_date": planned,
            "forecast_date": moved if moved != planned and not done else None,
            "actual_date": moved if done else None,
        }


# --- planted problems --------------------------------------------------------------------

Plant = Callable[[dict[str, Any], SamplePortfolio], tuple[str, str]]


def _amber(project: dict[str, Any]) -> None:
    """Planted project problems sit on Amber projects within their tolerances, so that no
    RAG or tolerance warning joins them."""
    project["overall_rag"] = "Amber"
    project["status_summary"] = project.get("status_summary") or "Data being corrected."
    if project.get("forecast_finish") and project.get("baseline_finish"):
        project["forecast_finish"] = project["baseline_finish"] + _days(14)
    if project.get("forecast_cost") is not None:
        project["forecast_cost"] = round(project["budget"] * 1.04, -3)


def _beyond_tolerance(p: dict[str, Any], portfolio: SamplePortfolio) -> tuple[str, str]:
    """Amber, yet forecast to finish 45 days after the baseline: a 30-day tolerance breached."""
    _make_active(p, portfolio, execution=True)
    p["overall_rag"] = "Amber"
    p["status_summary"] = p.get("status_summary") or "Supplier late; recovery plan in hand."
    p["forecast_finish"] = p["baseline_finish"] + _days(45)
    return "overall_rag", "tolerance-not-red"


def _red_within_tolerance(p: dict[str, Any], portfolio: SamplePortfolio) -> tuple[str, str]:
    """Red, with time and cost on plan: the rating says more than the figures."""
    _make_active(p, portfolio, execution=True)
    p["overall_rag"] = "Red"
    p["status_summary"] = "Key supplier in administration."
    p["forecast_finish"] = None
    p["forecast_cost"] = p["budget"]
    planned = _planned_fraction(p["start_date"], p["baseline_finish"], portfolio.as_of)
    p["percent_complete"] = round(max(planned, 0.05), 2)
    p["actual_cost"] = round(p["budget"] * p["percent_complete"], -2)
    return "overall_rag", "red-within-tolerance"


def _bad_budget(p: dict[str, Any], _: SamplePortfolio) -> tuple[str, str]:
    p["budget"] = "twelve thousand"
    return "budget", "bad-money"


def _no_sponsor(p: dict[str, Any], _: SamplePortfolio) -> tuple[str, str]:
    p["sponsor"] = "   "
    return "sponsor", "required"


def _unknown_phase(p: dict[str, Any], portfolio: SamplePortfolio) -> tuple[str, str]:
    _make_active(p, portfolio)
    p["phase"] = "Delivery"
    return "phase", "not-allowed"


def _finish_before_start(p: dict[str, Any], portfolio: SamplePortfolio) -> tuple[str, str]:
    _make_active(p, portfolio)
    p["baseline_finish"] = p["start_date"] - _days(30)
    p["forecast_finish"] = None
    return "baseline_finish", "finish-before-start"


def _closed_without_finish(p: dict[str, Any], portfolio: SamplePortfolio) -> tuple[str, str]:
    _close(random.Random(p["project_id"]), p, portfolio.as_of)
    p["phase"], p["actual_finish"] = "Closed", None
    return "actual_finish", "closed-without-finish"


def _stale(p: dict[str, Any], portfolio: SamplePortfolio) -> tuple[str, str]:
    _make_active(p, portfolio)
    p["status_date"] = portfolio.as_of - _days(portfolio.settings["stale_after_days"] + 17)
    return "status_date", "stale-status"


def _green_behind_plan(p: dict[str, Any], portfolio: SamplePortfolio) -> tuple[str, str]:
    _make_active(p, portfolio, execution=True)
    p["overall_rag"], p["forecast_finish"], p["forecast_cost"] = "Green", None, None
    planned = _planned_fraction(p["start_date"], p["baseline_finish"], portfolio.as_of)
    p["percent_complete"] = round(planned * 0.7, 2)
    p["actual_cost"] = round(p["budget"] * p["percent_complete"], -2)
    return "overall_rag", "rag-integrity"


def _red_without_summary(p: dict[str, Any], _: SamplePortfolio) -> tuple[str, str]:
    p["overall_rag"], p["status_summary"] = "Red", None
    if p.get("baseline_finish") and not p.get("actual_finish"):  # Red for being late
        p["forecast_finish"] = p["baseline_finish"] + _days(60)
    return "status_summary", "rag-without-summary"


def _percent_as_points(p: dict[str, Any], portfolio: SamplePortfolio) -> tuple[str, str]:
    _make_active(p, portfolio, execution=True)
    p["percent_complete"] = max(2, round(p["percent_complete"] * 100))
    return "percent_complete", "percent-as-points"


def _duplicate_id(p: dict[str, Any], portfolio: SamplePortfolio) -> tuple[str, str]:
    # Rows were generated in order: project i owns lessons 3i.. and milestones 4i.. .
    index = int(p["project_id"].removeprefix("PRJ-")) - 1
    p["project_id"] = portfolio.projects[index - 1]["project_id"].lower() + " "
    for rows, per_project in ((portfolio.lessons, LESSONS_PER_PROJECT),
                              (portfolio.milestones, MILESTONES_PER_PROJECT)):
        for row in rows[index * per_project:(index + 1) * per_project]:
            row["project_id"] = p["project_id"].strip()
    return "project_id", "duplicate-id"


def _percent_over(p: dict[str, Any], _: SamplePortfolio) -> tuple[str, str]:
    p["percent_complete"] = "150%"
    return "percent_complete", "percent-range"


def _unreadable_start(p: dict[str, Any], _: SamplePortfolio) -> tuple[str, str]:
    p["start_date"] = "next spring"
    return "start_date", "bad-date"


def _no_status_date(p: dict[str, Any], portfolio: SamplePortfolio) -> tuple[str, str]:
    _make_active(p, portfolio)
    p["status_date"] = None
    return "status_date", "stale-status"


def _negative_cost(p: dict[str, Any], _: SamplePortfolio) -> tuple[str, str]:
    p["actual_cost"] = -abs(p.get("actual_cost") or 5000.0) or -5000.0
    return "actual_cost", "negative-money"


def _complete_in_execution(p: dict[str, Any], portfolio: SamplePortfolio) -> tuple[str, str]:
    _make_active(p, portfolio, execution=True)
    p["percent_complete"] = 1.0
    return "percent_complete", "complete-not-closing"


def _no_rag(p: dict[str, Any], portfolio: SamplePortfolio) -> tuple[str, str]:
    _make_active(p, portfolio)
    p["overall_rag"] = ""
    return "overall_rag", "required"


def _make_active(p: dict[str, Any], portfolio: SamplePortfolio, execution: bool = False) -> None:
    if p["phase"] == "Closed" or (execution and p["phase"] != "Execution"):
        p["phase"] = "Execution"
        p["start_date"] = portfolio.as_of - _days(200)
        p["baseline_finish"] = portfolio.as_of + _days(200)
        p["actual_finish"] = p["forecast_finish"] = None
        p["percent_complete"] = 0.5
        p["actual_cost"] = round(p["budget"] * 0.5, -2)
        p["status_date"] = portfolio.as_of - _days(5)


_PROJECT_PLANTS: tuple[tuple[Plant, bool], ...] = (
    # (plant, whether the project should be Amber to avoid unrelated RAG warnings)
    (_bad_budget, True), (_no_sponsor, True), (_unknown_phase, True),
    (_finish_before_start, True), (_closed_without_finish, True), (_stale, True),
    (_green_behind_plan, False), (_red_without_summary, False), (_percent_as_points, True),
    (_duplicate_id, True), (_percent_over, True), (_unreadable_start, True),
    (_no_status_date, True), (_negative_cost, True), (_complete_in_execution, True),
    (_no_rag, False),
)
# Planted apart, on the last healthy projects: the tolerance checks need a project whose
# figures they judge, and the spacing of the other plants stays as it was.
_TOLERANCE_PLANTS: tuple[Plant, ...] = (_beyond_tolerance, _red_within_tolerance)


def _unknown_lesson_project(row: dict[str, Any], _: SamplePortfolio) -> tuple[str, str]:
    row["project_id"] = "PRJ-OLD-17"  # numbering of a retired register
    return "project_id", "unknown-project"


def _no_recommendation(row: dict[str, Any], _: SamplePortfolio) -> tuple[str, str]:
    row["type"], row["recommendation"] = "Improve", ""
    return "recommendation", "improve-without-recommendation"


def _logged_in_future(row: dict[str, Any], portfolio: SamplePortfolio) -> tuple[str, str]:
    row["date_logged"] = portfolio.as_of + _days(20)
    return "date_logged", "logged-in-future"


def _unknown_category(row: dict[str, Any], _: SamplePortfolio) -> tuple[str, str]:
    row["category"] = "Misc"
    return "category", "not-allowed"


def _unknown_milestone_project(row: dict[str, Any], _: SamplePortfolio) -> tuple[str, str]:
    row["project_id"] = "PRJ-0000"
    return "project_id", "unknown-project"


def _unreadable_baseline(row: dict[str, Any], _: SamplePortfolio) -> tuple[str, str]:
    row["baseline_date"] = "TBC"
    return "baseline_date", "bad-date"


_LESSON_PLANTS: tuple[Plant, ...] = (_unknown_lesson_project, _no_recommendation,
                                     _logged_in_future, _unknown_category)
_MILESTONE_PLANTS: tuple[Plant, ...] = (_unknown_milestone_project, _unreadable_baseline)


def _plant_every(count: int, kinds: int) -> int:
    """Spacing between planted rows: all kinds show in small samples, ~5 % in large ones."""
    return max(2, min(20, count // (kinds + 1)))


def _plant_problems(portfolio: SamplePortfolio) -> None:
    count = len(portfolio.projects)
    step = _plant_every(count, len(_PROJECT_PLANTS))
    # Small samples show each kind once; larger ones keep planting every `step` rows.
    limit = max(len(_PROJECT_PLANTS), count // 20)
    for n, index in enumerate(range(1, count, step)[:limit]):
        plant, amber = _PROJECT_PLANTS[n % len(_PROJECT_PLANTS)]
        project = portfolio.projects[index]
        if amber:
            _amber(project)
        column, rule_id = plant(project, portfolio)
        portfolio.planted.append(Planted(PROJECTS.name, index, column, rule_id))
    _plant_tolerances(portfolio)
    for sheet, rows, plants in ((LESSONS.name, portfolio.lessons, _LESSON_PLANTS),
                                (MILESTONES.name, portfolio.milestones, _MILESTONE_PLANTS)):
        step = _plant_every(len(rows), len(plants))
        for n, index in enumerate(range(2, len(rows), step)):
            column, rule_id = plants[n % len(plants)](rows[index], portfolio)
            portfolio.planted.append(Planted(sheet, index, column, rule_id))


def _plant_tolerances(portfolio: SamplePortfolio) -> None:
    """The first unplanted Amber project goes beyond its time tolerance, the first unplanted
    Red one back within both: among the planted rows, whose neighbours the RAID log's clean
    dependencies avoid already."""
    taken = {p.index for p in portfolio.planted if p.sheet == PROJECTS.name}
    for plant, rag in zip(_TOLERANCE_PLANTS, ("Amber", "Red"), strict=True):
        index = next((i for i in range(len(portfolio.projects)) if i not in taken
                      and portfolio.projects[i]["overall_rag"] == rag
                      and portfolio.projects[i]["phase"] == "Execution"), None)
        if index is None:
            continue
        column, rule_id = plant(portfolio.projects[index], portfolio)
        portfolio.planted.append(Planted(PROJECTS.name, index, column, rule_id))
        taken.add(index)
    # A strategic project's own tolerances: more time, less money than the Settings' (a
    # Green one, whose cost stays within even the tighter tolerance).
    strategic = next((p for i, p in enumerate(portfolio.projects) if i not in taken
                      and p["overall_rag"] == "Green" and p["phase"] == "Execution"
                      and p["priority"] == "High"), None)
    if strategic is not None:
        strategic.update(time_tolerance_days=60, cost_tolerance=0.05)


# --- writing -----------------------------------------------------------------------------

def write_register(path: str | Path, portfolio: SamplePortfolio) -> Path:
    """Write the portfolio as a plain .xlsx register: one Excel Table per sheet, Settings.
    The file is complete or not there (OSError when it cannot be written)."""
    import io

    import xlsxwriter

    from .fileio import write_atomic

    path = Path(path)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": False, "in_memory": True,
                                        "default_date_format": "dd-mmm-yyyy"})
    formats = _formats(book)
    for schema in SHEETS:
        _write_table(book, schema, portfolio.rows(schema.name), formats)
    settings = book.add_worksheet("Settings")
    settings.write_row(0, 0, ("Setting", "Value"), formats["header"])
    for r, setting in enumerate(SETTINGS, start=1):
        settings.write(r, 0, setting.name)
        write_cell(settings, r, 1, portfolio.settings.get(setting.key), formats)
    settings.set_column(0, 0, 20)
    settings.set_column(1, 1, 22)
    book.close()
    write_atomic(path, buffer.getvalue())
    return path


def _formats(book: Any) -> dict[str, Any]:
    return {
        "header": book.add_format({"bold": True}),
        "date": book.add_format({"num_format": "dd-mmm-yyyy"}),
        "money": book.add_format({"num_format": "#,##0"}),
        "percent": book.add_format({"num_format": "0%"}),
    }


def _write_table(book: Any, schema: SheetSchema, rows: list[dict[str, Any]],
                 formats: dict[str, Any]) -> None:
    sheet = book.add_worksheet(schema.name)
    columns = schema.columns
    kinds = [c.kind.value for c in columns]
    for r, row in enumerate(rows, start=1):
        for c, column in enumerate(columns):
            write_cell(sheet, r, c, row.get(column.key), formats, kinds[c])
    sheet.add_table(0, 0, max(1, len(rows)), len(columns) - 1, {
        "name": schema.table, "style": "Table Style Light 9",
        "columns": [{"header": c.name} for c in columns]})
    for c, column in enumerate(columns):
        sheet.set_column(c, c, column.width)
    sheet.freeze_panes(1, 0)


def write_cell(sheet: Any, row: int, col: int, value: object, formats: dict[str, Any],
               kind: str = "") -> None:
    """Write one sample value as a person would have entered it, so that planted problems
    stay problems: dates as date cells, amounts as numbers, unreadable text as text.

    `formats` maps "date", "money" and "percent" to cell formats; an optional "points"
    format is used for a percentage typed as points (45 rather than 45 %).
    """
    if value is None or value == "":
        return
    if kind == "percent" and isinstance(value, (int, float)) and value > 1:
        sheet.write_number(row, col, value, formats.get("points"))  # typed as points
    elif isinstance(value, dt.date):
        sheet.write_datetime(row, col, dt.datetime(value.year, value.month, value.day),
                             formats["date"])
    elif isinstance(value, (int, float)) and kind in ("money", "percent"):
        sheet.write_number(row, col, value, formats[kind])
    elif isinstance(value, (int, float)):
        sheet.write_number(row, col, value)
    else:
        sheet.write_string(row, col, str(value))
