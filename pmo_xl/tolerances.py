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

WITHIN, AT_RISK, FORECAST, EXCEEDED = "within", "at risk", "forecast to exceed", "exceeded"
# The largest per-project tolerance used (as the Settings' Time Tolerance Days allows); beyond
# it the Settings' tolerance applies.
MAX_TIME_TOLERANCE_DAYS = 36_500
MAX_COST_TOLERANCE = 1.0
STATUSES = (WITHIN, AT_RISK, FORECAST, EXCEEDED)  # best to worst
_RANK = {status: rank for rank, status in enumerate(STATUSES)}


def tolerance_status(used: pd.Series, exceeded: pd.Series, at_risk_share: float) -> pd.Series:
    """The status from the share of the tolerance the forecast uses (NaN: unknown) and
    whether the actual figures are beyond it already. In numpy: each of the metrics' ten
    thousand projects costs nanoseconds, where each pandas step costs a millisecond."""
    share = used.to_numpy(dtype=float, na_value=np.nan)
    status = np.full(len(share), None, dtype=object)
    with np.errstate(invalid="ignore"):
        status[~np.isnan(share)] = WITHIN  # each line overrides the one before: worse wins
        status[share > at_risk_share] = AT_RISK
        status[share > 1] = FORECAST
    status[exceeded.fillna(False).astype(bool).to_numpy()] = EXCEEDED
    return pd.Series(status, index=used.index, dtype=object)


def _used(deviation: pd.Series, tolerance: pd.Series) -> pd.Series:
    """How much of the tolerance the deviation uses (1 = all of it). A zero tolerance is
    used up by any deviation above zero; a deviation at or below zero uses none."""
    d = deviation.to_numpy(dtype=float, na_value=np.nan)
    t = tolerance.to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(t > 0, d / t, np.where(d > 0, np.inf, 0.0))
        share = np.where(np.isnan(d) | np.isnan(t), np.nan, np.maximum(share, 0.0))
    return pd.Series(share, index=deviation.index)


def time_tolerance(baseline_finish: pd.Series, forecast_finish: pd.Series,
                   actual_finish: pd.Series, tolerance_days: pd.Series, as_of: dt.date,
                   at_risk_share: float) -> pd.DataFrame:
    """Time: the deviation of the effective finish (actual, else forecast) from the
    baseline finish, in days, against the tolerance in days."""
    effective = actual_finish.fillna(forecast_finish)
    deviation = (effective - baseline_finish).dt.days.astype(float)
    limit = baseline_finish + pd.to_timedelta(tolerance_days, unit="D")
    late_finish = actual_finish.notna() & (actual_finish > limit)
    overdue = actual_finish.isna() & baseline_finish.notna() & (pd.Timestamp(as_of) > limit)
    used = _used(deviation.where(effective.notna()), tolerance_days)
    # Still open past baseline + tolerance: exceeded, whatever the forecast says.
    return pd.DataFrame({
        "time_tolerance_days": tolerance_days, "time_deviation_days": deviation,
        "time_tolerance_used": used,
        "time_status": tolerance_status(used, late_finish | overdue, at_risk_share)})


def cost_tolerance(budget: pd.Series, forecast_cost: pd.Series, actual_cost: pd.Series,
                   tolerance: pd.Series, at_risk_share: float) -> pd.DataFrame:
    """Cost: the deviation of the forecast cost (EAC) from the budget (BAC), as an amount and
    a share of the budget, against the tolerance (a share of the budget)."""
    deviation = forecast_cost - budget
    share = deviation / budget.where(budget > 0)
    exceeded = actual_cost > budget * (1 + tolerance)
    used = _used(share, tolerance)
    return pd.DataFrame({
        "cost_tolerance": tolerance, "cost_deviation": deviation,
        "cost_deviation_share": share, "cost_tolerance_used": used,
        "cost_status": tolerance_status(used, exceeded, at_risk_share)})


def worst(*statuses: pd.Series) -> pd.Series:
    """Per project, the worst of its statuses (None when it has none)."""
    ranks = np.max([np.fromiter((_RANK.get(v, -1) for v in status.to_numpy(dtype=object)),
                                dtype=np.int64, count=len(status)) for status in statuses],
                   axis=0)
    shown = np.array([*STATUSES, None], dtype=object)  # rank -1 (none) is the last
    return pd.Series(shown[ranks], index=statuses[0].index, dtype=object)


def override(values: pd.Series | None, default: float, index: pd.Index,
             maximum: float) -> pd.Series:
    """A per-project override column where it has a usable value (0 to `maximum`), else the
    Settings' tolerance."""
    fallback = pd.Series(float(default), index=index)
    if values is None:
        return fallback
    own = pd.to_numeric(values, errors="coerce").astype(float)
    return own.where((own >= 0) & (own <= maximum)).fillna(fallback)
