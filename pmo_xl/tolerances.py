"""Management by exception: each project's time and cost tolerances and where it stands
against them.

PRINCE2 gives every project tolerances, the deviation the board delegates to the project
manager: finish up to N days after the baseline, cost up to N % over the budget. Against each
the project is

* **within** — less than the at-risk share (Settings "Tolerance At Risk", default 75 %) of
  the tolerance is forecast to be used;
* **at risk** — more than that share is forecast to be used, but no more than the tolerance;
* **forecast to exceed** — the forecast (forecast finish; forecast cost, EAC) is beyond it;
* **exceeded** — the actual figures are beyond it already: finished later than the baseline
  plus the tolerance, or not finished with that day passed; actual cost above the budget
  plus the tolerance.

Exactly at the tolerance is not beyond it. A project without the figures a status needs has
none (None), and its overall tolerance status is the worst of those it has. Everything is
computed column-wise over all projects at once; `metrics` calls this and every part of
pmo-xl reads the result from there.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from .schema import MAX_TOLERANCE_DAYS

WITHIN, AT_RISK, FORECAST, EXCEEDED = "within", "at risk", "forecast to exceed", "exceeded"
# The largest per-project tolerances used; beyond them (a finding) the Settings' apply.
MAX_TIME_TOLERANCE_DAYS = MAX_TOLERANCE_DAYS
MAX_COST_TOLERANCE = 1.0
STATUSES = (WITHIN, AT_RISK, FORECAST, EXCEEDED)  # best to worst


DAY_TICKS = 86_400_000_000  # microseconds in a day: dates are compared as float64 ticks


def ticks(dates: pd.Series | np.ndarray) -> np.ndarray:
    """Dates as float64 microseconds since 1970 (NaN for blanks): exact to the microsecond
    for any date before the year 2255, and every date figure is numpy arithmetic on them."""
    values = np.asarray(dates, dtype="datetime64[us]")
    found = values.view(np.int64).astype(float)
    found[np.isnat(values)] = np.nan
    return found


def days_between(later: np.ndarray, earlier: np.ndarray) -> np.ndarray:
    """Whole days from one date to another (ticks), rounded down as a timedelta's .days is."""
    return np.floor_divide(later - earlier, DAY_TICKS)


def status_ranks(used: np.ndarray, exceeded: np.ndarray, at_risk_share: float) -> np.ndarray:
    """Each project's status as its rank in STATUSES (-1: none), from the share of the
    tolerance the forecast uses (NaN: unknown) and whether the actual figures are beyond it
    already. In numpy: each of the metrics' ten thousand projects costs nanoseconds, where
    each pandas step costs a millisecond."""
    ranks = np.full(len(used), -1, dtype=np.int8)
    ranks[~np.isnan(used)] = 0  # each line overrides the one before: worse wins
    ranks[used > at_risk_share] = 1
    ranks[used > 1] = 2
    ranks[exceeded] = 3
    return ranks


_SHOWN = np.array([*STATUSES, None], dtype=object)  # rank -1 (none) is the last


def shown(ranks: np.ndarray, index: pd.Index) -> pd.Series:
    """Ranks as the statuses' words (None for none)."""
    return pd.Series(_SHOWN[ranks], index=index, dtype=object)


def tolerance_status(used: pd.Series, exceeded: pd.Series, at_risk_share: float) -> pd.Series:
    """The status from the share of the tolerance used and whether it is exceeded already."""
    share = used.to_numpy(dtype=float, na_value=np.nan)
    beyond = exceeded.fillna(False).astype(bool).to_numpy()
    return shown(status_ranks(share, beyond, at_risk_share), used.index)


def _used(deviation: np.ndarray, tolerance: np.ndarray) -> np.ndarray:
    """How much of the tolerance the deviation uses (1 = all of it). A zero tolerance is
    used up by any deviation above zero; a deviation at or below zero uses none."""
    with np.errstate(all="ignore"):
        share = np.where(tolerance > 0, deviation / tolerance,
                         np.where(deviation > 0, np.inf, 0.0))
    return np.where(np.isnan(deviation) | np.isnan(tolerance), np.nan,
                    np.maximum(share, 0.0))


def day_tick(day: dt.date) -> float:
    """A date as `ticks` has it."""
    return float(np.datetime64(day, "us").view(np.int64))


def floats(values: pd.Series | np.ndarray) -> np.ndarray:
    """A column as float64 (NaN for blanks)."""
    if isinstance(values, pd.Series):
        return values.to_numpy(dtype=float, na_value=np.nan)
    return np.asarray(values, dtype=float)


def time_tolerance(baseline_finish: pd.Series, forecast_finish: pd.Series,
                   actual_finish: pd.Series, tolerance_days: pd.Series, as_of: dt.date,
                   at_risk_share: float) -> pd.DataFrame:
    """Time: the deviation of the effective finish (actual, else forecast) from the
    baseline finish, in days, against the tolerance in days."""
    ranks, columns = time_ranks(ticks(baseline_finish), ticks(forecast_finish),
                                ticks(actual_finish), floats(tolerance_days), as_of,
                                at_risk_share)
    return pd.DataFrame({**columns, "time_status": shown(ranks, baseline_finish.index)},
                        index=baseline_finish.index)


def time_ranks(baseline: np.ndarray, forecast: np.ndarray, actual: np.ndarray,
               tolerance_days: np.ndarray, as_of: dt.date, at_risk_share: float
               ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """`time_tolerance` on ticks: the status ranks and the figures behind them."""
    effective = np.where(np.isnan(actual), forecast, actual)
    deviation = days_between(effective, baseline)
    limit = baseline + np.round(tolerance_days * DAY_TICKS)
    with np.errstate(all="ignore"):
        late_finish = actual > limit  # NaN (a blank) compares False
        # Still open past baseline + tolerance: exceeded, whatever the forecast says.
        today = day_tick(as_of)
        overdue = np.isnan(actual) & (today > limit)
    used = _used(deviation, tolerance_days)
    return status_ranks(used, late_finish | overdue, at_risk_share), {
        "time_tolerance_days": tolerance_days, "time_deviation_days": deviation,
        "time_tolerance_used": used}


def cost_tolerance(budget: pd.Series, forecast_cost: pd.Series, actual_cost: pd.Series,
                   tolerance: pd.Series, at_risk_share: float) -> pd.DataFrame:
    """Cost: the deviation of the forecast cost (EAC) from the budget (BAC), as an amount and
    a share of the budget, against the tolerance (a share of the budget)."""
    ranks, columns = cost_ranks(floats(budget), floats(forecast_cost), floats(actual_cost),
                                floats(tolerance), at_risk_share)
    return pd.DataFrame({**columns, "cost_status": shown(ranks, budget.index)},
                        index=budget.index)


def cost_ranks(budget: np.ndarray, forecast_cost: np.ndarray, actual_cost: np.ndarray,
               tolerance: np.ndarray, at_risk_share: float
               ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """`cost_tolerance` on arrays: the status ranks and the figures behind them."""
    deviation = forecast_cost - budget
    with np.errstate(all="ignore"):
        share = deviation / np.where(budget > 0, budget, np.nan)
        exceeded = actual_cost > budget * (1 + tolerance)
    used = _used(share, tolerance)
    return status_ranks(used, exceeded, at_risk_share), {
        "cost_tolerance": tolerance, "cost_deviation": deviation,
        "cost_deviation_share": share, "cost_tolerance_used": used}


def worst(*statuses: pd.Series) -> pd.Series:
    """Per project, the worst of its statuses (None when it has none)."""
    ranks = np.full(len(statuses[0]), -1, dtype=np.int8)
    for status in statuses:
        values = status.to_numpy(dtype=object)
        for rank, name in enumerate(STATUSES):
            ranks[(values == name) & (ranks < rank)] = rank
    return shown(ranks, statuses[0].index)


def override(values: pd.Series | None, default: float, index: pd.Index,
             maximum: float) -> pd.Series:
    """A per-project override column where it has a usable value (0 to `maximum`), else the
    Settings' tolerance."""
    if values is None:
        return pd.Series(float(default), index=index)
    own = floats(values) if pd.api.types.is_numeric_dtype(values) else (
        pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan))
    with np.errstate(all="ignore"):
        usable = (own >= 0) & (own <= maximum)
    return pd.Series(np.where(usable, own, float(default)), index=index)
