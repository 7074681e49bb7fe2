"""Tolerance statuses at their boundaries: exactly at the tolerance, 75 % used, beyond, and
the actual figures already beyond it."""

from __future__ import annotations

import datetime as dt
import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl.tolerances import (
    AT_RISK,
    EXCEEDED,
    FORECAST,
    WITHIN,
    cost_tolerance,
    days_between,
    override,
    ticks,
    time_tolerance,
    worst,
)

AS_OF = dt.date(2026, 9, 30)
BASELINE = pd.Timestamp("2026-12-31")


def days(*offsets: float | None) -> pd.Series:
    return pd.Series([BASELINE + pd.Timedelta(days=o) if o is not None else pd.NaT
                      for o in offsets], dtype="datetime64[ns]")


@pytest.mark.parametrize(("slip", "status"), [
    (-10, WITHIN), (0, WITHIN), (22, WITHIN), (22.5, WITHIN),  # 75 % of 30 days is 22.5
    (23, AT_RISK), (30, AT_RISK),  # exactly at the tolerance: not beyond it
    (31, FORECAST), (400, FORECAST)])
def test_time_status_by_forecast_finish(slip: float, status: str) -> None:
    n = 1
    found = time_tolerance(days(0), days(slip), days(None), pd.Series([30.0] * n), AS_OF, 0.75)
    assert found["time_status"].tolist() == [status]
    assert found["time_deviation_days"].tolist() == [float(int(slip))]


def test_time_exceeded_by_actual_finish_or_by_the_calendar() -> None:
    baseline = days(0, 0, 0, -200, -200)
    forecast = days(None, None, None, -190, None)
    actual = days(31, 30, None, None, None)
    found = time_tolerance(baseline, forecast, actual, pd.Series([30.0] * 5), AS_OF, 0.75)
    # Finished 31 days late: exceeded; 30: at the tolerance. Open 200 days after the baseline
    # with a 30-day tolerance: exceeded whatever the forecast says; no forecast, no finish:
    # exceeded too (the day has passed), and its deviation is unknown.
    assert found["time_status"].tolist() == [EXCEEDED, AT_RISK, None, EXCEEDED, EXCEEDED]
    assert np.isnan(found["time_deviation_days"].iloc[4])


@pytest.mark.parametrize(("eac", "actual", "status"), [
    (1_000, 100, WITHIN), (1_075, 100, WITHIN), (1_076, 100, AT_RISK),
    (1_100, 100, AT_RISK), (1_101, 100, FORECAST), (1_200, 1_100, FORECAST),
    (1_200, 1_101, EXCEEDED), (900, None, WITHIN), (None, 100, None)])
def test_cost_status(eac: float | None, actual: float | None, status: str | None) -> None:
    found = cost_tolerance(pd.Series([1_000.0]), pd.Series([eac], dtype=float),
                           pd.Series([actual], dtype=float), pd.Series([0.10]), 0.75)
    assert found["cost_status"].tolist() == [status]


def test_a_zero_tolerance_is_used_up_by_any_overrun() -> None:
    found = cost_tolerance(pd.Series([100.0, 100.0]), pd.Series([100.0, 100.01]),
                           pd.Series([0.0, 0.0]), pd.Series([0.0, 0.0]), 0.75)
    assert found["cost_status"].tolist() == [WITHIN, FORECAST]


def test_per_project_overrides_and_the_worst_status() -> None:
    index = pd.RangeIndex(3)
    tolerance = override(pd.Series([None, 60, "x"], dtype=object), 30, index, 36_500)
    assert tolerance.tolist() == [30.0, 60.0, 30.0]
    # Beyond the largest usable tolerance (1E+308 in a cell), or negative: the Settings'.
    assert override(pd.Series([1e308, -5, 36_500.0]), 30, index, 36_500).tolist() == [
        30.0, 30.0, 36_500.0]
    time = time_tolerance(days(0, 0, 0), days(46, 46, None), days(None, None, None),
                          tolerance, AS_OF, 0.75)
    assert time["time_status"].tolist() == [FORECAST, AT_RISK, None]
    cost = pd.Series([WITHIN, EXCEEDED, None], dtype=object)
    assert worst(time["time_status"], cost).tolist() == [FORECAST, EXCEEDED, None]


# Dates with and without a time of day, blanks among them: the figures' whole days must be
# exactly pandas' Timedelta.days (rounded down), which the earlier figures used.
_STAMPS = st.one_of(st.none(), st.datetimes(min_value=dt.datetime(1900, 1, 1),
                                            max_value=dt.datetime(2200, 12, 31)))


# Cheap examples: eight times the suite's bound (PMO_XL_HYPOTHESIS_EXAMPLES, 25 by default).
@settings(max_examples=8 * int(os.environ.get("PMO_XL_HYPOTHESIS_EXAMPLES", "25")),
          deadline=None)
@given(st.lists(st.tuples(_STAMPS, _STAMPS), min_size=1, max_size=30))
def test_days_between_is_timedelta_days(pairs: list[tuple[dt.datetime | None, ...]]) -> None:
    later = pd.Series([a for a, _ in pairs], dtype="datetime64[us]")
    earlier = pd.Series([b for _, b in pairs], dtype="datetime64[us]")
    expected = (later - earlier).dt.days.astype(float).to_numpy()
    found = days_between(ticks(later), ticks(earlier))
    np.testing.assert_array_equal(found, expected)
