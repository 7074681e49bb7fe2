"""Portfolio roll-up: earned value, schedule slip and staleness per project, summed up.

All figures are computed here, column-wise over the whole register, and nowhere else:
validation, reports, the CLI and the workbook use these numbers, never recompute them.
Formulas (as of the as-of date, calendar days):

- PV  = Budget × clamp((as_of − Start) / (Baseline Finish − Start), 0, 1)
- EV  = Budget × Percent Complete;  AC = Actual Cost (blank = 0)
- CPI = EV / AC, SPI = EV / PV (null when the divisor is 0); CV = EV − AC; SV = EV − PV
- EAC = Forecast Cost if given, else Budget / CPI when CPI > 0, else Budget
- ETC = EAC − AC; VAC = Budget − EAC; TCPI = (Budget − EV) / (Budget − AC), null when the
  budget is already spent
- slip = (Actual Finish, else Forecast Finish, else Baseline Finish) − Baseline Finish
- stale = not Closed and (as_of − Status Date > Stale After Days, or no Status Date)

Honest figures: a value that failed validation (unreadable, negative, another currency, an
implausible date, a finish before the start) is blank for every figure; a column the register
does not keep makes every figure that needs it null ("not tracked"), never zero. Portfolio
earned-value sums (ΣEV, ΣPV, ΣAC, CPI, SPI) cover only the projects whose every input is
usable, numerator and denominator alike, and say how many that is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import tolerances
from .reader import Register, Table
from .rules import PERFORMANCE_TOLERANCE
from .schema import CLOSED, RAG, STAGES, Kind

DUE_SOON_DAYS = 30
_NEEDS_ATTENTION = (tolerances.AT_RISK, tolerances.FORECAST, tolerances.EXCEEDED)
UNSET = "Unset"
UNRECOGNISED = "Unrecognised"
EARLY_STAGES = ("Initiation", "Planning", "Execution")
# The inputs of the earned-value figures, and which figures need each.
_FINANCE_INPUTS = ("budget", "percent_complete", "start_date", "baseline_finish",
                   "actual_cost")


def resolve_as_of(register: Register, as_of: dt.date | None = None) -> dt.date:
    """The as-of date: given explicitly, else the Settings Report Date, else today."""
    return as_of or register.settings.report_date or dt.date.today()


def usable_dates(table: Table) -> pd.DataFrame:
    """The table's date columns for figures: a finish before its start is blank (computed
    once per table)."""
    cached = table.__dict__.get("_usable_dates")
    if cached is None:
        cached = table.__dict__["_usable_dates"] = _usable_dates(table)
    return cached


def _usable_dates(table: Table) -> pd.DataFrame:
    v = table.values
    dates = {c.key: v[c.key] for c in table.schema.columns if c.kind is Kind.DATE}
    if "start_date" in dates:
        start = dates["start_date"]
        for key in ("baseline_finish", "forecast_finish", "actual_finish"):
            if key in dates:
                dates[key] = dates[key].where(~(dates[key] < start))
    return pd.DataFrame(dates, index=v.index, copy=False)


def project_metrics(register: Register, as_of: dt.date) -> pd.DataFrame:
    """Every project's figures (index = the Projects table's); computed once per as-of date
    and shared by validation, the roll-up and the reports."""
    cache = register.__dict__.setdefault("_metrics", {})
    if as_of not in cache:
        cache[as_of] = _project_metrics(register, as_of)
    return cache[as_of]


def _project_metrics(register: Register, as_of: dt.date) -> pd.DataFrame:
    # In numpy, column by column: each pandas step costs a millisecond whatever its size,
    # and validation and the roll-up wait for these figures.
    table = register.projects
    v, dates = table.values, usable_dates(table)
    day = {key: tolerances.ticks(dates[key]) for key in (
        "start_date", "baseline_finish", "forecast_finish", "actual_finish", "status_date")}
    today = tolerances.day_tick(as_of)
    bac, done = tolerances.floats(v["budget"]), tolerances.floats(v["percent_complete"])
    duration = tolerances.days_between(day["baseline_finish"], day["start_date"])
    elapsed = tolerances.days_between(today, day["start_date"])
    with np.errstate(all="ignore"):
        # A zero-length (or inverted) plan is fully planned from its start date onwards.
        zero_length = np.where(np.isnan(elapsed) | np.isnan(duration), np.nan,
                               (elapsed >= 0).astype(float))
        planned = np.where(duration > 0, np.clip(elapsed / _known(duration > 0, duration), 0,
                                                 1), zero_length)
        pv, ev = bac * planned, bac * done
        ac = _actual_cost(table)
        cpi, spi = _divide(ev, ac), _divide(ev, pv)
        eac = _forecast_cost(table, tolerances.floats(v["forecast_cost"]), bac, cpi)
        remaining_budget = bac - ac
        tcpi = (bac - ev) / _known(remaining_budget > 0, remaining_budget)
    finish = _first_known(day["actual_finish"], day["forecast_finish"], day["baseline_finish"])
    since_update = tolerances.days_between(today, day["status_date"])
    active = _active(table, dates, pd.Timestamp(as_of)).to_numpy(dtype=bool)
    stale = (active & ((since_update > register.settings.stale_after_days)
                       | np.isnan(day["status_date"])) if table.has("status_date")
             else np.zeros(len(active), dtype=bool))
    slip = tolerances.days_between(finish, day["baseline_finish"])
    if not (table.has("forecast_finish") or table.has("actual_finish")):
        slip = np.full(len(slip), np.nan)  # "on baseline" would be a guess
    figures = {
        "budget": bac, "percent_complete": done,
        "pv": pv, "ev": ev, "ac": ac, "cv": ev - ac, "sv": ev - pv, "cpi": cpi, "spi": spi,
        "eac": eac, "etc": eac - ac, "vac": bac - eac, "tcpi": tcpi,
        "finish": _dates(finish, dates["baseline_finish"]), "slip_days": slip,
        "days_since_update": since_update, "stale": stale, "active": active,
        "low_cpi": active & (cpi < PERFORMANCE_TOLERANCE),
        "low_spi": active & (spi < PERFORMANCE_TOLERANCE),
        "slipped": slip > 0,
        "in_finance": _in_finance(table, ev, pv, ac)}
    return pd.DataFrame({
        "project_id": v["project_id"], "project_name": v["project_name"],
        "programme": v["programme"],
        "phase": v["phase"], "phase_label": table.label("phase"),
        "overall_rag": v["overall_rag"], "overall_rag_label": table.label("overall_rag"),
        **_finite_all(figures),
        "row": table.rows,
        **_tolerances(register, day, eac, ac, as_of)}, index=table.rows.index, copy=False)


def _known(usable: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The values where usable, else NaN (a divisor that must not be used)."""
    return np.where(usable, values, np.nan)


def _divide(numerator: np.ndarray, divisor: np.ndarray) -> np.ndarray:
    """Element-wise ratio, null where the divisor is 0 or unknown."""
    with np.errstate(all="ignore"):
        return numerator / _known(divisor != 0, divisor)


def _first_known(*candidates: np.ndarray) -> np.ndarray:
    """Per project, the first of the candidates that is not NaN."""
    found = candidates[0]
    for candidate in candidates[1:]:
        found = np.where(np.isnan(found), candidate, found)
    return found


def _forecast_cost(table: Table, forecast: np.ndarray, bac: np.ndarray,
                   cpi: np.ndarray) -> np.ndarray:
    """EAC: the Forecast Cost, else the budget over CPI, else the budget."""
    if not (table.has("forecast_cost") or table.has("actual_cost")):
        return np.full(len(bac), np.nan)  # nothing to forecast from: not the budget
    with np.errstate(all="ignore"):
        return _first_known(forecast, bac / _known(cpi > 0, cpi), bac)


def _dates(found: np.ndarray, like: pd.Series) -> np.ndarray:
    """Ticks back as dates, of the register's date type."""
    whole = np.where(np.isnan(found), np.iinfo(np.int64).min, found).astype(np.int64)
    return whole.view("datetime64[us]").astype(like.dtype)


def _tolerances(register: Register, day: dict[str, np.ndarray], eac: np.ndarray,
                ac: np.ndarray, as_of: dt.date) -> dict[str, np.ndarray | pd.Series]:
    """Time and cost against each project's tolerances (`tolerances`): the project's own
    tolerance where it gives one, else the Settings'. A forecast the register does not keep
    (no Forecast or Actual Finish column; no cost) gives no status, not "within"."""
    table, settings = register.projects, register.settings
    index = table.rows.index
    share = settings.tolerance_at_risk
    days = tolerances.override(table.values["time_tolerance_days"],
                               settings.time_tolerance_days, index,
                               tolerances.MAX_TIME_TOLERANCE_DAYS).to_numpy()
    forecast = _first_known(day["forecast_finish"], day["baseline_finish"])
    if not (table.has("forecast_finish") or table.has("actual_finish")):
        forecast = np.full(len(forecast), np.nan)
    time, time_figures = tolerances.time_ranks(day["baseline_finish"], forecast,
                                               day["actual_finish"], days, as_of, share)
    cost_share = tolerances.override(table.values["cost_tolerance"], settings.cost_tolerance,
                                     index, tolerances.MAX_COST_TOLERANCE).to_numpy()
    cost, cost_figures = tolerances.cost_ranks(tolerances.floats(table.values["budget"]), eac, ac,
                                               cost_share, share)
    # The statuses as object Series: a frame built from object arrays would make them text.
    return {**_finite_all(time_figures), "time_status": tolerances.shown(time, index),
            **_finite_all(cost_figures), "cost_status": tolerances.shown(cost, index),
            "tolerance_status": tolerances.shown(np.maximum(time, cost), index)}


def _finite_all(figures: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {name: _finite(values) for name, values in figures.items()}


def _finite(values: np.ndarray) -> np.ndarray:
    """No figure is infinite: a ratio over a vanishing divisor (CPI with an Actual Cost of
    5E-324) means no more than one over zero. Amounts are bounded by Maximum Amount, so sums
    of them stay finite."""
    if values.dtype.kind == "f":
        return np.where(np.isfinite(values), values, np.nan)
    return values


def _actual_cost(table: Table) -> np.ndarray:
    """Actual Cost for figures: blank means nothing spent yet (0); an unusable value stays
    unknown; a register without the column has no actual cost at all (not 0)."""
    parsed = table.parsed["actual_cost"]
    if not table.has("actual_cost"):
        return np.full(len(table.rows), np.nan)
    return np.where(parsed.blank.to_numpy(dtype=bool), 0.0, tolerances.floats(parsed.values))


def _active(table: Table, dates: pd.DataFrame, today: pd.Timestamp) -> pd.Series:
    """Not Closed. Without a Phase column, a project with an Actual Finish counts as closed."""
    if table.has("phase"):
        return table.values["phase"] != CLOSED
    if table.has("actual_finish"):
        return ~(dates["actual_finish"] <= today)
    return pd.Series(True, index=table.rows.index)


def _in_finance(table: Table, ev: np.ndarray, pv: np.ndarray, ac: np.ndarray) -> np.ndarray:
    """Projects whose every kept earned-value input is usable: the portfolio sums cover
    exactly these, numerator and denominator alike."""
    usable = np.ones(len(ev), dtype=bool)
    for figure, needs in ((ev, ("budget", "percent_complete")),
                          (pv, ("budget", "start_date", "baseline_finish")),
                          (ac, ("actual_cost",))):
        if all(table.has(key) for key in needs):
            usable &= ~np.isnan(figure)
    return usable


def milestone_metrics(milestones: Table, as_of: dt.date) -> pd.DataFrame:
    """Per milestone: the expected date, slip against baseline, overdue (and by how many
    days: an overdue milestone with no new forecast has slipped 0 days, yet is late) and
    due-soon flags."""
    v = usable_dates(milestones)
    baseline, forecast, actual = (tolerances.ticks(v[key]) for key in (
        "baseline_date", "forecast_date", "actual_date"))
    today = tolerances.day_tick(as_of)
    expected = _first_known(forecast, baseline)
    done = ~np.isnan(actual)
    overdue = ~done & (expected < today)
    late = np.where(overdue, tolerances.days_between(today, expected), np.nan)
    soon = today + DUE_SOON_DAYS * tolerances.DAY_TICKS
    return pd.DataFrame({
        "project_id": milestones.values["project_id"],
        "milestone": milestones.values["milestone"],
        "baseline_date": v["baseline_date"],
        "expected_date": _dates(expected, v["baseline_date"]),
        "actual_date": v["actual_date"],
        "slip_days": tolerances.days_between(_first_known(actual, expected), baseline),
        "done": done,
        "overdue": overdue,
        "days_overdue": pd.array(late, dtype="Int64"),
        "due_soon": ~done & (expected >= today) & (expected <= soon),
        "row": milestones.rows,
    }, index=milestones.rows.index, copy=False)


@dataclass
class Rollup:
    """The portfolio roll-up of one register on one as-of date: every project's figures, and
    every child sheet's rows (by sheet name) with their own figures."""

    as_of: dt.date
    projects: pd.DataFrame
    children: dict[str, pd.DataFrame] = field(default_factory=dict)
    register: Register | None = field(default=None, repr=False)

    @property
    def milestones(self) -> pd.DataFrame | None:
        return self.children.get("Milestones")

    @property
    def lessons(self) -> pd.DataFrame | None:
        return self.children.get("Lessons")

    @property
    def raid(self) -> pd.DataFrame | None:
        return self.children.get("RAID")

    @property
    def active(self) -> pd.Series:
        return self.projects["active"]

    def _kept(self, key: str, sheet: str = "Projects") -> bool:
        if self.register is None:
            return True
        table = self.register.table(sheet)
        return table is not None and table.has(key)

    def counts(self) -> dict[str, Any]:
        p = self.projects
        return {"total": len(p), "active": int(self.active.sum()),
                "by_phase": self._by_phase(), "by_stage": self._by_stage(),
                "by_rag": self._by_rag()}

    def _by_phase(self) -> dict[str, int] | None:
        """All projects by the organisation's phases, in lifecycle order."""
        if not self._kept("phase"):
            return None
        words = self.projects["phase_label"]
        order = (words.cat.categories if isinstance(words.dtype, pd.CategoricalDtype)
                 else pd.Index(sorted(words.dropna().unique())))
        counts = words.value_counts()
        found = {str(word): int(counts.get(word, 0)) for word in order}
        unrecognised = int(words.isna().sum())
        if unrecognised:
            found[UNSET] = unrecognised
        return found

    def _by_stage(self) -> dict[str, int] | None:
        if not self._kept("phase"):
            return None
        stages = self.projects["phase"]
        return {stage: int((stages == stage).sum()) for stage in STAGES}

    def _by_rag(self) -> dict[str, int] | None:
        """Open projects by Overall RAG (Green/Amber/Red, whatever the organisation's words);
        a value that is not a rating is counted as unrecognised, never as unset."""
        if not self._kept("overall_rag"):
            return None
        open_rag = self.projects.loc[self.active, "overall_rag"]
        by_rag = {rag: int((open_rag == rag).sum()) for rag in RAG}
        unreadable = self._unreadable("overall_rag")
        bad = int((unreadable & self.active).sum()) if unreadable is not None else 0
        by_rag[UNSET] = int(open_rag.isna().sum()) - bad
        if bad:
            by_rag[UNRECOGNISED] = bad
        return by_rag

    def _unreadable(self, key: str) -> pd.Series | None:
        if self.register is None:
            return None
        parsed = self.register.projects.parsed[key]
        return (parsed.bad | (parsed.values.isna() & ~parsed.blank)).reindex(
            self.projects.index, fill_value=False)

    def finance(self) -> dict[str, Any]:
        """Portfolio money figures; earned-value sums over `in_finance` projects only."""
        p = self.projects
        counted = p["in_finance"].to_numpy(dtype=bool)
        kept = {key: self._kept(key) for key in _FINANCE_INPUTS}
        has_ev = kept["budget"] and kept["percent_complete"]
        has_pv = kept["budget"] and kept["start_date"] and kept["baseline_finish"]

        has_eac = kept["budget"] and (self._kept("forecast_cost") or kept["actual_cost"])
        known = {name: p[name].notna().to_numpy() for name in ("budget", "eac")}

        def total(column: str, ok: bool, rows: np.ndarray = counted) -> float | None:
            # None: not tracked, or no project has a usable value (not a sum of nothing).
            # The column alone is masked: filtering the frame would copy every figure.
            return float(np.nansum(p[column].to_numpy()[rows])) if ok and rows.any() else None

        sums: dict[str, Any] = {
            "budget": total("budget", kept["budget"], known["budget"]),
            "actual_cost": total("ac", kept["actual_cost"]),
            "earned_value": total("ev", has_ev),
            "planned_value": total("pv", has_pv),
            "forecast_cost": total("eac", has_eac, known["eac"]),
        }
        sums["cpi"] = _ratio(sums["earned_value"], sums["actual_cost"])
        sums["spi"] = _ratio(sums["earned_value"], sums["planned_value"])
        sums["cost_variance"] = _difference(sums["earned_value"], sums["actual_cost"])
        sums["schedule_variance"] = _difference(sums["earned_value"], sums["planned_value"])
        sums["variance_at_completion"] = total("vac", has_eac, known["budget"] & known["eac"])
        sums["coverage"] = {"projects": len(p), "earned_value": int(counted.sum()),
                            "budget": int(known["budget"].sum()),
                            "forecast_cost": int(known["eac"].sum())}
        return sums

    def schedule(self) -> dict[str, Any]:
        """Slipped projects and milestone counts; None where the register does not keep
        what they need (a Baseline Finish, a Milestones sheet)."""
        p = self.projects
        slipped = p[p["slip_days"] > 0]
        m = self.milestones
        kept = self._kept("baseline_finish") and (self._kept("forecast_finish")
                                                  or self._kept("actual_finish"))

        def count(column: str) -> int | None:
            return None if m is None else int(m[column].sum())

        return {
            "slipped": _plain_list(slipped["project_id"]) if kept else None,
            "average_slip_days": _mean(slipped["slip_days"]) if kept else None,
            "overdue_milestones": count("overdue"),
            "milestones_due_soon": count("due_soon"),
            "milestones_total": None if m is None else len(m),
            "milestones_done": count("done"),
        }

    def stale(self) -> list[str] | None:
        if not self._kept("status_date"):
            return None
        return _plain_list(self.projects.loc[self.projects["stale"], "project_id"])

    def lessons_summary(self) -> dict[str, Any]:
        lessons = self.lessons
        if lessons is None:  # no lessons log: not tracked, not zero
            return {"total": None, "by_category": {}, "by_type": {}, "open_actions": None}
        counts = lessons["category_label"].value_counts()
        by_category = {str(c): int(n) for c, n in sorted(counts.items(),
                                                         key=lambda kv: (-kv[1], str(kv[0])))
                       if n}
        types = lessons["type_label"].value_counts()
        open_actions = lessons["action_status"].notna() & (lessons["action_status"] != CLOSED)
        return {"total": len(lessons), "by_category": by_category,
                "by_type": {str(k): int(n) for k, n in types.items() if n},
                "open_actions": int(open_actions.sum())}

    def raid_summary(self, *, per_project: bool = True) -> dict[str, Any] | None:
        """The RAID log's figures (`pmo_xl.raid`); None without a RAID sheet."""
        from .raid import raid_summary

        return raid_summary(self.raid, self.projects, self.as_of, per_project=per_project)

    def programmes(self) -> list[dict[str, Any]]:
        """Per programme: projects, Red and Amber among the open ones, and the money figures
        (earned value over `in_finance` projects, as for the portfolio; None: none usable)."""
        p = self.projects
        counted = p["in_finance"]
        frame = pd.DataFrame({
            "programme": p["programme"].fillna("(none)"), "projects": 1,
            "red": self.active & (p["overall_rag"] == "Red"),
            "amber": self.active & (p["overall_rag"] == "Amber"),
            "budget": p["budget"], "actual_cost": p["ac"].where(counted),
            "earned_value": p["ev"].where(counted), "planned_value": p["pv"].where(counted)})
        grouped = frame.groupby("programme", sort=True).sum(min_count=1)
        return [{"programme": name, "projects": int(row.projects),
                 "budget": _money(row.budget), "actual_cost": _money(row.actual_cost),
                 "earned_value": _money(row.earned_value),
                 "cpi": _ratio(_money(row.earned_value), _money(row.actual_cost)),
                 "spi": _ratio(_money(row.earned_value), _money(row.planned_value)),
                 "red": int(row.red), "amber": int(row.amber)}
                for name, row in grouped.iterrows()]

    def exception_mask(self) -> pd.Series:
        """Which projects are exceptions, managed by exception: open, and forecast to exceed
        or exceeding a tolerance, at risk of one, or rated Red."""
        p = self.projects
        beyond = p["tolerance_status"].isin(_NEEDS_ATTENTION)
        return self.active & (beyond | (p["overall_rag"] == "Red"))

    def exceptions(self) -> list[dict[str, Any]]:
        """The exceptions with the reasons why, in one line each: forecast to exceed or
        exceeding a tolerance first, then at risk of one, then Red without a breach (Red
        first within each)."""
        columns = ("project_id", "project_name", "overall_rag", "overall_rag_label",
                   "tolerance_status", "time_status", "time_deviation_days",
                   "time_tolerance_days", "cost_status", "cost_deviation_share",
                   "cost_tolerance")
        flagged = self.projects.loc[self.exception_mask(), list(columns)]  # these columns only
        found = []
        # Plain lists and zip: a few thousand flagged rows cost milliseconds this way.
        for (pid, name, rating, word, status, time, slip, days, cost, share,
             tolerance) in zip(*(_plain_list(flagged[c]) for c in columns), strict=True):
            reasons = []
            if time in _NEEDS_ATTENTION:
                reasons.append(f"time {time}: finish {int(slip)} days after the baseline, "
                               f"tolerance {int(days)}" if slip is not None else f"time {time}")
            if cost in _NEEDS_ATTENTION:
                reasons.append(f"cost {cost}: forecast {share:+.1%} on the budget, tolerance "
                               f"{tolerance:.0%}" if share is not None else f"cost {cost}")
            if rating == "Red":
                reasons.append(f"Overall RAG {word}")
            found.append({"project_id": pid, "project_name": name, "overall_rag": rating,
                          "overall_rag_label": word, "tolerance_status": status,
                          "reasons": reasons})
        rank = {tolerances.EXCEEDED: 0, tolerances.FORECAST: 0, tolerances.AT_RISK: 1}
        return sorted(found, key=lambda e: (rank.get(e["tolerance_status"], 2),
                                            e["overall_rag"] != "Red"))

    def per_project(self, positions: Sequence[int] | None = None) -> list[dict[str, Any]]:
        """One JSON-ready record per project (or per project at those positions): ISO dates,
        money to cents, ratios to 4 places, whole days as integers, blanks as None (built
        column-wise, not row by row)."""
        frame = self.projects[[c for c in self.projects.columns if c not in _INTERNAL]]
        if positions is not None:  # chosen first: only their cells are converted
            frame = frame.iloc[list(positions)]
        names = list(frame.columns)
        columns = [plain_column(name, values).tolist() for name, values in frame.items()]
        # zip + dict is ~10x faster than DataFrame.to_dict("records") for object columns.
        return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]

    def data_quality(self) -> dict[str, Any]:
        """What the figures rest on: findings, projects left out of the earned-value sums,
        columns and sheets the register does not keep, headers pmo-xl did not use."""
        from .validation import validate

        if self.register is None:
            return {}
        found = validate(self.register, self.as_of)
        p = self.projects
        excluded = p.loc[~p["in_finance"], "project_id"]
        return {"errors": found.errors, "warnings": found.warnings,
                "projects_excluded_from_finance": [_plain_value(x) for x in excluded],
                "not_tracked": not_tracked(self.register),
                "columns_unmatched": columns_unmatched(self.register)}

    def to_dict(self, *, per_project: bool = True) -> dict[str, Any]:
        finance = {k: (_money(v) if k not in ("cpi", "spi", "coverage") and v is not None
                       else v) for k, v in self.finance().items()}
        data: dict[str, Any] = {
            "as_of": self.as_of.isoformat(),
            "projects": self.counts(),
            "finance": finance,
            "schedule": self.schedule(),
            "stale": self.stale(),
            "lessons": self.lessons_summary(),
            "raid": self.raid_summary(per_project=per_project),
            "programmes": self.programmes(),
            "exceptions": self.exceptions(),
            "data_quality": self.data_quality(),
        }
        if per_project:
            data["per_project"] = self.per_project()
        return data


def not_tracked(register: Register) -> list[str]:
    """The standard's columns (and sheets) this register does not keep, by name; columns of
    sheets other than Projects as 'Sheet.Column'."""
    found = []
    for schema in register.standard.sheets:
        table = register.table(schema.name)
        if table is None:
            found.append(f"{schema.name} (sheet)")
            continue
        prefix = "" if schema is register.standard.projects else f"{schema.name}."
        found += [f"{prefix}{c.name}" for c in schema.columns
                  if not table.has(c.key) and not c.optional]
    return found


def columns_unmatched(register: Register) -> list[str]:
    """Headers of the register that no pmo-xl column reads (other sheets' as 'Sheet: x')."""
    found = []
    for table in register:
        if table.layout is None:
            continue
        prefix = "" if table.schema is register.standard.projects else f"{table.schema.name}: "
        found += [f"{prefix}{m.header}" for m in table.layout.matches if m.key is None]
    return found


def child_frame(table: Table, as_of: dt.date, register: Register) -> pd.DataFrame:
    """A child sheet's rows for the roll-up: its values (dropdowns as canonical meanings,
    with the organisation's words beside them as `<column>_label`), usable dates, the Excel
    row, and the sheet's own figures where it has any (`SHEET_METRICS`); one frame, built
    once."""
    dates = usable_dates(table)
    columns: dict[str, pd.Series] = {}
    for column in table.schema.columns:
        parsed = table.parsed[column.key]
        columns[column.key] = dates.get(column.key, parsed.values)
        if column.kind is Kind.ENUM:
            columns[f"{column.key}_label"] = table.label(column.key)
    columns["row"] = table.rows
    figures = SHEET_METRICS.get(table.schema.name)
    if figures is not None:
        columns.update(figures(table, register, as_of).items())
    return pd.DataFrame(columns, index=table.rows.index, copy=False)


def _raid_metrics(table: Table, register: Register, as_of: dt.date) -> pd.DataFrame:
    from .raid import raid_metrics  # pmo_xl.raid builds on this module's figures

    return raid_metrics(table, register, as_of)


# Each child sheet's own figures, by the standard's sheet name: (table, register, as-of date)
# -> a frame over the table's rows (a sheet's figures may need the projects').
SHEET_METRICS: dict[str, Callable[[Table, Register, dt.date], pd.DataFrame]] = {
    "Milestones": lambda table, _register, as_of: milestone_metrics(table, as_of),
    "RAID": _raid_metrics,
}

# Which register columns each per-project figure needs: a figure is "not tracked" when the
# register does not keep one of them ("a|b": either will do).
FIGURE_NEEDS: dict[str, tuple[str, ...]] = {
    "budget": ("budget",), "percent_complete": ("percent_complete",),
    "pv": ("budget", "start_date", "baseline_finish"), "ev": ("budget", "percent_complete"),
    "ac": ("actual_cost",), "cv": ("budget", "percent_complete", "actual_cost"),
    "sv": ("budget", "percent_complete", "start_date", "baseline_finish"),
    "cpi": ("budget", "percent_complete", "actual_cost"),
    "spi": ("budget", "percent_complete", "start_date", "baseline_finish"),
    "eac": ("budget", "forecast_cost|actual_cost"), "etc": ("budget", "actual_cost"),
    "vac": ("budget", "forecast_cost|actual_cost"),
    "tcpi": ("budget", "percent_complete", "actual_cost"),
    "slip_days": ("baseline_finish", "forecast_finish|actual_finish"),
    "finish": ("baseline_finish|forecast_finish|actual_finish",),
    "stale": ("status_date",), "days_since_update": ("status_date",),
    "phase": ("phase",), "overall_rag": ("overall_rag",),
}


def untracked_figures(register: Register) -> list[str]:
    """The per-project figures, and the Projects columns, this register cannot show for want
    of a column (by figure name or column key)."""
    table = register.projects
    figures = [figure for figure, needs in FIGURE_NEEDS.items()
               if not all(any(table.has(k) for k in need.split("|")) for need in needs)]
    columns = [c.key for c in table.schema.columns if not table.has(c.key)]
    return list(dict.fromkeys([*figures, *columns]))


def rollup(register: Register, as_of: dt.date | None = None) -> Rollup:
    """Roll the register up into portfolio metrics as of the given (or resolved) date."""
    day = resolve_as_of(register, as_of)
    children = {t.schema.name: child_frame(t, day, register) for t in register.children()}
    return Rollup(day, project_metrics(register, day), children, register)


_INTERNAL = {"low_cpi", "low_spi", "slipped"}
_MONEY_FIELDS = {"budget", "pv", "ev", "ac", "cv", "sv", "eac", "etc", "vac", "cost_deviation"}
_RATIO_FIELDS = {"cpi", "spi", "tcpi", "percent_complete", "cost_tolerance",
                 "cost_deviation_share", "cost_tolerance_used", "time_tolerance_used"}
_DAY_FIELDS = {"slip_days", "days_since_update", "days_overdue", "row", "time_tolerance_days",
               "time_deviation_days"}


def plain_column(column: str, values: pd.Series) -> pd.Series:
    """A column as JSON-ready Python objects (see Rollup.per_project): never NaN or inf."""
    return plain_objects(json_ready(column, values))


def json_ready(column: str, values: pd.Series) -> pd.Series:
    """A column's values as the JSON has them, still typed (a snapshot takes its columnar
    copy from these): ISO dates as text, money to cents, ratios to 4 places, whole days as
    integers, non-finite numbers blank."""
    if pd.api.types.is_datetime64_any_dtype(values):
        values = iso_dates(values)
    elif column in _MONEY_FIELDS:
        values = values.round(2)
    elif column in _RATIO_FIELDS:
        values = values.round(4)
    elif column in _DAY_FIELDS:
        values = values.astype("Int64")
    if pd.api.types.is_float_dtype(values):
        values = values.where(np.isfinite(values))
    return values


def plain_objects(values: pd.Series) -> pd.Series:
    """A `json_ready` column as Python objects, None for blanks."""
    if isinstance(values.dtype, pd.StringDtype):
        return _shared_texts(values)
    return values.astype(object).where(values.notna(), None)


def _shared_texts(values: pd.Series) -> pd.Series:
    """A text column as Python strings, one object per distinct text: a register repeats
    its words (phases, owners, units) across thousands of rows, and reports and snapshots
    keep these records, so each cell need not hold a copy of its own."""
    codes, texts = pd.factorize(values)  # blanks are code -1: the None appended last
    shown = np.append(texts.to_numpy(dtype=object), None)
    return pd.Series(shown[codes], index=values.index, name=values.name, dtype=object)


def iso_dates(values: pd.Series) -> pd.Series:
    """A date column as ISO dates ("2026-09-30"; blanks as None). A register's dates repeat
    (a few thousand days among 100,000 cells), and `strftime` formats each cell in Python:
    each distinct day is formatted once, and the cells take their text from it."""
    codes, shown = iso_date_codes(values)
    text = np.full(len(values), None, dtype=object)
    known = codes >= 0
    text[known] = shown[codes[known]]
    return pd.Series(text, index=values.index, name=values.name, dtype=object)


def iso_date_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A date column's distinct days as ISO text, and each cell's code into them (-1 for a
    blank)."""
    codes, days = pd.factorize(values)
    return codes, np.asarray(days.strftime("%Y-%m-%d"), dtype=object)


def _plain_list(values: pd.Series) -> list[object]:
    """A column as Python values with blanks as None (NaN, NaT and pd.NA alike)."""
    return values.astype(object).where(values.notna(), None).tolist()


def _plain_value(value: object) -> object:
    if value is None or (isinstance(value, float) and not np.isfinite(value)) or value is pd.NA:
        return None
    return value.item() if hasattr(value, "item") else value


def _money(value: object) -> float | None:
    if value is None or pd.isna(value) or not np.isfinite(value):  # type: ignore[call-overload]
        return None
    return round(float(value), 2)  # type: ignore[arg-type]


def _difference(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def _ratio(numerator: float | None, divisor: float | None) -> float | None:
    if numerator is None or divisor is None or not divisor or not np.isfinite(divisor):
        return None
    value = numerator / divisor
    return round(value, 4) if np.isfinite(value) else None


def _mean(values: pd.Series) -> float | None:
    return round(float(values.mean()), 1) if len(values) else None
