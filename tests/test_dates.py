"""Date columns (pmo_xl.dates): every form a register may hold, the column's date order, periods,
implausible years, the two real registers, and properties over random cells."""

from __future__ import annotations

import csv
import datetime as dt
import os

import numpy as np
import pandas as pd
import pytest
from conftest import REAL_DATA
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl.dates import approximate_day, bad_date_hint, parse_dates
from pmo_xl.parsing import Parsed

D = pd.Timestamp
EXAMPLES = settings(max_examples=int(os.environ.get("PMO_XL_HYPOTHESIS_EXAMPLES", "60")),
                    deadline=None)
REAL = REAL_DATA


def one(value: object, **kw: object) -> tuple[object, bool, bool, dict[str, bool]]:
    parsed = parse_dates(pd.Series([value], dtype=object), **kw)  # type: ignore[arg-type]
    flags = {name: bool(mask.iloc[0]) for name, mask in parsed.flags.items()}
    return parsed.values.iloc[0], bool(parsed.blank.iloc[0]), bool(parsed.bad.iloc[0]), flags


def column(values: list[object], **kw: object) -> Parsed:
    return parse_dates(pd.Series(values, dtype=object), **kw)  # type: ignore[arg-type]


def real_column(name: str, header: str) -> pd.Series:
    path = REAL / name
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"required in CI: {path}")
        pytest.skip(f"{path} is not here (set PMO_XL_REAL_DATA)")
    with path.open(encoding="utf-8-sig", newline="") as f:
        return pd.Series([row[header] or None for row in csv.DictReader(f)], dtype="str")


# --- forms -----------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [
    dt.date(2026, 3, 31), dt.datetime(2026, 3, 31, 14, 5), pd.Timestamp("2026-03-31 23:59"),
    np.datetime64("2026-03-31T08:00"), 46112, 46112.99, "46112",
    "2026-03-31", "2026/03/31", "2026.03.31", "20260331", "2026-W14-2",
    "2026-03-31T00:00:00", "2026-03-31T00:00:00Z", "2026-03-31T23:30:00+01:00",
    "2026-03-31T23:30:00.123456-05:00", "2026-03-31 17:00:00", "2026-03-31 17:00",
    "31/03/2026 5:00:00 PM", "31/03/2026 5:00 pm", "31.03.2026 17:00", "31-03-2026 17:00:00",
    "31-Mar-2026", "31-mar-2026", "31 Mar 2026", "31 March 2026", "31st March 2026",
    "31-MARCH-2026", "31Mar2026", "Mar 31, 2026", "March 31, 2026", "March 31 2026",
    "Mar. 31, 2026", "Tuesday, March 31, 2026", "Tue 31 Mar 2026", "31-Mar-26", "31 Mar 26",
    "31/03/2026", "31.03.2026", "31-03-2026", "31/03/26", "  31/03/2026  ",
])
def test_dates_in_every_form(value: object) -> None:
    assert one(value)[:3] == (D("2026-03-31"), False, False)


def test_timestamps_keep_the_calendar_date_as_written() -> None:
    # 23:30 at UTC-5 is already the next day in UTC: the register means the written day.
    assert one("2011-01-10T23:30:00-05:00")[0] == D("2011-01-10")
    assert one("2011-01-10T00:30:00+09:00")[0] == D("2011-01-10")
    aware = pd.Series(pd.to_datetime(["2011-01-10 23:30"]).tz_localize("America/Toronto"))
    assert parse_dates(aware).values.iloc[0] == D("2011-01-10")
    mixed = [pd.Timestamp("2011-01-10 23:30", tz="Asia/Tokyo"), dt.datetime(2011, 1, 11, 9),
             pd.Timestamp("2011-01-12 01:00", tz="UTC")]
    assert list(column(mixed).values) == [D("2011-01-10"), D("2011-01-11"), D("2011-01-12")]


@pytest.mark.parametrize(("value", "expected"), [
    ("5/02/2016 5:00:00 PM", "2016-02-05"), ("2016-05-25 17:00:00", "2016-05-25"),
    ("25.05.2016 17:00", "2016-05-25"), ("11/07/2016 8:57:00 AM", "2016-07-11"),
    ("July 14, 2025", "2025-07-14"), ("1 Sept 2026", "2026-09-01"), ("7-Jan-99", "1999-01-07"),
    ("7-Jan-68", "2068-01-07"), ("29/02/2024", "2024-02-29"),
])
def test_more_forms(value: str, expected: str) -> None:
    assert one(value, years=(1900, 2100))[:3] == (D(expected), False, False)


@pytest.mark.parametrize("value", [
    "next spring", "TBC", "31/02/2026", "29/02/2025", "2026-13-01", "2022-06-31", "13/13/2024",
    "31/03/2026 25:00", "31/03/2026 13:00 PM", "2026-03-31 12:60", "Smarch 3, 2026", "2026",
    "May-June 2022", "31-Mar-23 (under review)", "0000-01-01", 5, 5.5, 1e300, True,
    dt.time(12, 0), "Q5 2026", "H3 2026", "2026-00", "13/2026",
])
def test_unreadable_dates_are_bad(value: object) -> None:
    parsed, blank, bad, flags = one(value)
    assert (blank, bad) == (False, True)
    assert pd.isna(parsed) and not any(flags.values())


@pytest.mark.parametrize("value", [None, "", "   ", "\t", float("nan"), pd.NaT, pd.NA])
def test_blank_cells_are_blank_not_bad(value: object) -> None:
    assert one(value)[1:3] == (True, False)


def test_serial_numbers_keep_their_sanity_range() -> None:
    parsed = column([46112, 46112.75, 9_999, 100_001, -1, 20_000])
    assert list(parsed.values[:2]) == [D("2026-03-31")] * 2
    assert list(parsed.bad) == [False, False, True, True, True, False]
    # 20000 is 1954-10-03: in Excel's range, but before the plausible years.
    assert bool(parsed.flags["implausible"].iloc[5])


@pytest.mark.parametrize("raw", [
    pd.Series([dt.datetime(2026, 3, 31, 8), None]),  # datetime64 dtype
    pd.Series([dt.datetime(2026, 3, 31, 8), None], dtype=object),
    pd.Series([dt.date(2026, 3, 31), None], dtype=object),
    pd.Series([46112.0, None]),  # float64
    pd.Series([46112, None], dtype="Int64"),
    pd.Series(["31/03/2026", None], dtype="str"),
    pd.Series(["31/03/2026", None], dtype="string"),
    pd.Series(["31/03/2026", None], dtype=object),
    pd.Series([46112, None, "31/03/2026", dt.date(2026, 3, 31)], dtype=object),
])
def test_every_column_dtype(raw: pd.Series) -> None:
    parsed = parse_dates(raw)
    assert parsed.values.dtype == "datetime64[us]"
    assert parsed.values.iloc[0] == D("2026-03-31")
    assert not parsed.bad.any() and bool(parsed.blank.iloc[1])


def test_values_are_midnight_datetime64_us_on_the_same_index() -> None:
    raw = pd.Series([dt.datetime(2026, 1, 2, 23, 59), "2026-01-03 17:00"], index=[10, 20],
                    dtype=object)
    parsed = parse_dates(raw)
    assert parsed.values.dtype == "datetime64[us]"
    assert list(parsed.values) == [D("2026-01-02"), D("2026-01-03")]
    for mask in (parsed.blank, parsed.bad, *parsed.flags.values()):
        assert list(mask.index) == [10, 20] and mask.dtype == bool
    assert set(parsed.flags) == {"approximate", "order_conflict", "implausible"}


def test_an_unknown_order_is_refused() -> None:
    with pytest.raises(ValueError, match="date order"):
        parse_dates(pd.Series(["01/02/2026"]), "YMD")
    with pytest.raises(ValueError, match="fallback"):
        parse_dates(pd.Series(["01/02/2026"]), "auto", "auto")
    assert parse_dates(pd.Series(["01/02/2026"]), "dmy").values.iloc[0] == D("2026-02-01")


# --- date order --------------------------------------------------------------------------------

def test_forced_orders_read_every_numeric_date_their_way() -> None:
    assert one("03/04/2026", order="DMY")[0] == D("2026-04-03")
    assert one("03/04/2026", order="MDY")[0] == D("2026-03-04")
    assert one("12/31/2026", order="MDY")[0] == D("2026-12-31")
    # Year-first and named months need no order.
    assert one("2026-03-04", order="MDY")[0] == D("2026-03-04")
    assert one("4 Mar 2026", order="MDY")[0] == D("2026-03-04")


def test_a_date_impossible_in_the_forced_order_is_bad_with_a_hint() -> None:
    parsed = column(["6/28/2024", "03/04/2026"], order="DMY")
    assert list(parsed.bad) == [True, False]
    assert not parsed.flags["order_conflict"].any()
    assert bad_date_hint("6/28/2024", "DMY") == (
        "read day-first by Date Order DMY; set Date Order to MDY or auto if this column is "
        "month-first")
    assert bad_date_hint("28/06/2024", "MDY").startswith("read month-first by Date Order MDY")
    assert parsed.note["date_order"] == "DMY"
    assert parsed.note["evidence"] == {"DMY": 0, "MDY": 1}
    assert "1 different date cannot be read that way (e.g. 6/28/2024)" in str(parsed.note["why"])


def test_auto_follows_the_majority_and_flags_the_minority() -> None:
    values = ["28/06/2024", "13/01/2025", "31/12/2025", "03/04/2026", "06/28/2024", None]
    parsed = column(values * 2, order="auto")
    assert list(parsed.values[:6]) == [D("2024-06-28"), D("2025-01-13"), D("2025-12-31"),
                                       D("2026-04-03"), D("2024-06-28"), pd.NaT]
    assert list(parsed.flags["order_conflict"][:6]) == [False] * 4 + [True, False]
    assert not parsed.bad.any()
    # Evidence counts distinct spellings, not rows: each value appears twice above.
    assert parsed.note == {
        "date_order": "DMY", "evidence": {"DMY": 3, "MDY": 1}, "fallback": "DMY",
        "why": "3 different dates have a first field above 12 (e.g. 28/06/2024); 1 has a "
               "second field above 12 (e.g. 06/28/2024) and is read month-first",
    }


def test_auto_reads_month_first_when_most_dates_say_so() -> None:
    parsed = column(["7/31/2022", "3/31/2024", "03-31-2023", "04/05/2026"])
    assert parsed.note["date_order"] == "MDY"
    assert parsed.values.iloc[3] == D("2026-04-05")
    assert parsed.note["why"] == "3 different dates have a second field above 12 (e.g. 7/31/2022)"


def test_auto_without_evidence_uses_the_fallback() -> None:
    for fallback, expected in (("DMY", "2026-04-03"), ("MDY", "2026-03-04")):
        parsed = column(["03/04/2026", "05/06/2026", "2026-01-01"], fallback=fallback)
        assert parsed.values.iloc[0] == D(expected)
        assert parsed.note["date_order"] == "ambiguous"
        assert parsed.note["fallback"] == fallback
        assert parsed.note["evidence"] == {"DMY": 0, "MDY": 0}
        assert "no date has a day above 12" in str(parsed.note["why"])
        assert not parsed.flags["order_conflict"].any()


def test_a_tie_uses_the_fallback_and_flags_the_other_side() -> None:
    parsed = column(["28/06/2024", "06/28/2024"], fallback="MDY")
    assert parsed.note["date_order"] == "MDY"
    assert list(parsed.flags["order_conflict"]) == [True, False]
    assert list(parsed.values) == [D("2024-06-28")] * 2


def test_columns_without_numeric_text_dates_decide_nothing() -> None:
    for values in ([dt.date(2026, 1, 1)], ["2026-01-01", "31-Mar-2026"], [46112], [None]):
        note = column(values).note
        assert note["date_order"] is None and note["evidence"] == {"DMY": 0, "MDY": 0}
        assert note["fallback"] == "DMY" and note["why"]


# --- periods ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "first", "last"), [
    ("Mar-2025", "2025-03-01", "2025-03-31"), ("March 2025", "2025-03-01", "2025-03-31"),
    ("Mar 2025", "2025-03-01", "2025-03-31"), ("mar.2025", "2025-03-01", "2025-03-31"),
    ("Mar-25", "2025-03-01", "2025-03-31"), ("Feb '24", "2024-02-01", "2024-02-29"),
    ("2025-03", "2025-03-01", "2025-03-31"), ("2025/03", "2025-03-01", "2025-03-31"),
    ("03/2025", "2025-03-01", "2025-03-31"), ("3.2025", "2025-03-01", "2025-03-31"),
    ("Q3 2026", "2026-07-01", "2026-09-30"), ("2026 Q3", "2026-07-01", "2026-09-30"),
    ("Q3-2026", "2026-07-01", "2026-09-30"), ("q4/2026", "2026-10-01", "2026-12-31"),
    ("2026-Q1", "2026-01-01", "2026-03-31"), ("2026Q2", "2026-04-01", "2026-06-30"),
    ("3Q 2026", "2026-07-01", "2026-09-30"), ("H1 2026", "2026-01-01", "2026-06-30"),
    ("2026 H2", "2026-07-01", "2026-12-31"),
])
def test_months_quarters_and_halves_are_approximate(value: str, first: str, last: str) -> None:
    for end_of_period, expected in ((False, first), (True, last)):
        parsed, blank, bad, flags = one(value, end_of_period=end_of_period)
        assert (parsed, blank, bad) == (D(expected), False, False)
        assert flags == {"approximate": True, "order_conflict": False, "implausible": False}


def test_approximate_day_says_which_day_was_taken() -> None:
    assert approximate_day("Q3 2026", True) == "the last day of the quarter"
    assert approximate_day("Mar-2025", False) == "the first day of the month"
    assert approximate_day("H2 2026", True) == "the last day of the half-year"
    assert approximate_day("31/03/2026", True) == ""


@pytest.mark.parametrize("value", [
    "2024-25", "2024/25", "2024-2025", "Fiscal Year 23/24", "Fiscal Year 22/23 2", "FY2026",
    "FY 2025/26", "Q3 FY2026", "Q4 FY23-24", "Q1 FY 22-23", "Q4 2023/24", "Q1 2024-25",
    "2022/23 Q4", "2022-23 fiscal year",
])
def test_fiscal_years_and_quarters_are_bad_with_a_hint(value: str) -> None:
    assert one(value)[1:3] == (False, True)
    assert bad_date_hint(value, "auto").startswith("fiscal years and fiscal quarters are not")


@pytest.mark.parametrize(("value", "hint"), [
    ("TBD", "leave the cell blank until the date is known"),
    ("N/A", "leave the cell blank until the date is known"),
    ("Project on hold, new estimated end date TBD", "leave the cell blank"),
    ("31-Mar-23 (under review)", "a remark follows the date: keep only the date in this cell"),
    ("2022-06-31", "June 2022 has 30 days"), ("29/02/2025", "February 2025 has 28 days"),
    ("13/13/2024", "neither of the first two numbers can be the month"),
    ("2026-13-01", "there is no month 13"), ("2026", "a year alone is not a date"),
    ("Fall 2022", "a season is not a date"),
    ("31/03/2026 25:00", "the time after the date is not a time of day"),
    ("next spring", "a season is not a date"), ("banana", ""), ("", ""),
])
def test_hints_for_bad_dates(value: str, hint: str) -> None:
    assert bad_date_hint(value, "auto").startswith(hint)


# --- plausibility ------------------------------------------------------------------------------

def test_implausible_years_are_warned_and_left_out_of_the_values() -> None:
    values = ["July 14, 1905", "March 23, 1931", dt.date(1850, 1, 1), "2101-01-01", 20_000,
              "1990-01-01", "2100-12-31", "Q3 1905"]
    parsed = column(values)
    assert list(parsed.flags["implausible"]) == [True] * 5 + [False, False, True]
    assert parsed.values[:5].isna().all() and parsed.values[7:].isna().all()
    assert list(parsed.values[5:7]) == [D("1990-01-01"), D("2100-12-31")]
    assert not parsed.bad.any() and not parsed.flags["approximate"].any()


def test_the_plausible_years_are_a_parameter() -> None:
    parsed = column(["July 14, 1905", "2031-01-01"], years=(1900, 2030))
    assert list(parsed.values) == [D("1905-07-14"), pd.NaT]
    assert list(parsed.flags["implausible"]) == [False, True]


# --- the real registers --------------------------------------------------------------------------

def test_real_canadian_completion_dates() -> None:
    raw = real_column("gc-it-projects-2022.csv", "estimatedCompletionDate")
    parsed = parse_dates(raw, end_of_period=True)
    assert (len(raw), int(parsed.blank.sum()), int(parsed.bad.sum())) == (495, 14, 0)
    assert int(parsed.values.notna().sum()) == 481
    assert parsed.values.iloc[0] == D("2022-07-25")  # "July 25, 2022"
    assert parsed.values.min() == D("2021-08-31") and parsed.values.max() == D("2030-03-31")
    assert parsed.note["date_order"] is None


def test_real_canadian_raw_dates_as_departments_gave_them() -> None:
    raw = real_column("gc-it-projects-2022.csv", "rawProvidedDate")
    parsed = parse_dates(raw, end_of_period=True)
    implausible = raw[parsed.flags["implausible"]]
    assert sorted(implausible) == ["July 14, 1905", "March 23, 1931"]
    assert int(parsed.bad.sum()) == 167 and int(parsed.values.notna().sum()) == 326
    # 03-31-2023, 7/31/2022 ...: month-first, so 3/31/2024 and the others read that way.
    assert parsed.note["date_order"] == "MDY" and parsed.note["evidence"] == {"DMY": 0, "MDY": 5}
    assert parsed.values[raw == "03-31-2023"].iloc[0] == D("2023-03-31")
    hints = [bad_date_hint(text, "auto") for text in raw[parsed.bad]]
    assert sum(h.startswith("fiscal") for h in hints) == 148
    assert sum(h.startswith("leave the cell blank") for h in hints) == 14
    assert sum(not h for h in hints) == 1  # May-June 2022


def test_real_melbourne_date_times() -> None:
    bni = parse_dates(real_column("melbourne-water-capital-delivery.csv", "BNI"))
    assert (int(bni.blank.sum()), int(bni.bad.sum()), int(bni.values.notna().sum())) == (2, 0, 443)
    assert bni.values.iloc[0] == D("2016-02-05")  # 5/02/2016 5:00:00 PM, day-first
    assert bni.note["date_order"] == "DMY" and bni.note["evidence"]["MDY"] == 0
    bca = parse_dates(real_column("melbourne-water-capital-delivery.csv", "BCA"))
    assert int(bca.values.notna().sum()) == 445 and bca.values.iloc[0] == D("2016-05-25")
    pbc = parse_dates(real_column("melbourne-water-capital-delivery.csv", "PBC"))
    assert (int(pbc.blank.sum()), int(pbc.bad.sum())) == (232, 0)
    stage3 = parse_dates(real_column("melbourne-water-capital-delivery.csv", "Stage3"))
    assert (int(stage3.blank.sum()), int(stage3.bad.sum())) == (1, 0)


# --- properties --------------------------------------------------------------------------------

_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d-%b-%Y", "%d %B %Y", "%b %d, %Y",
            "%B %d, %Y", "%Y-%m-%dT%H:%M:%S", "%d.%m.%Y %H:%M", "%Y-%m-%d %H:%M:%S",
            "%d/%m/%Y %I:%M:%S %p", "%d-%b-%y")
dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2068, 12, 31))
date_texts = st.builds(lambda d, f: dt.datetime.combine(d, dt.time(13, 7)).strftime(f),
                       dates, st.sampled_from(_FORMATS))
period_texts = st.builds(lambda q, y, f: f.format(q=q, y=y), st.integers(1, 4),
                         st.integers(1990, 2100),
                         st.sampled_from(("Q{q} {y}", "{y} Q{q}", "Q{q} FY{y}", "{y}-{q:02d}",
                                          "H{q} {y}", "Sep-{y}")))
cells = st.one_of(
    st.none(), st.text(max_size=12), date_texts, period_texts, dates, st.datetimes(),
    st.integers(-10**20, 10**20), st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(), st.sampled_from(["", " ", "TBD", "2024-25", "31/02/2026", "06/28/2024"]),
)


def check_consistent(raw: pd.Series, parsed: Parsed) -> None:
    for mask in (parsed.blank, parsed.bad, *parsed.flags.values()):
        assert isinstance(mask, pd.Series) and mask.dtype == bool
        assert mask.index.equals(raw.index)
    assert parsed.values.index.equals(raw.index) and parsed.values.dtype == "datetime64[us]"
    present = parsed.values.notna()
    assert not (present & (parsed.blank | parsed.bad)).any()
    assert not (parsed.blank & parsed.bad).any()
    implausible = parsed.flags["implausible"]
    # Every non-blank cell is exactly one of: a value, bad, implausible.
    outcomes = present.astype(int) + parsed.bad.astype(int) + implausible.astype(int)
    assert (outcomes == (~parsed.blank).astype(int)).all()
    assert not ((parsed.flags["approximate"] | parsed.flags["order_conflict"]) & ~present).any()
    assert (parsed.values[present] == parsed.values[present].dt.normalize()).all()


@EXAMPLES
@given(st.lists(cells, max_size=30), st.sampled_from(("auto", "DMY", "MDY")), st.booleans())
def test_random_cells_never_raise_and_masks_agree(values: list[object], order: str,
                                                  end_of_period: bool) -> None:
    raw = pd.Series(values, dtype=object, index=range(100, 100 + len(values)))
    check_consistent(raw, parse_dates(raw, order, end_of_period=end_of_period))


@EXAMPLES
@given(st.lists(st.one_of(st.none(), date_texts, period_texts, st.text(max_size=8)),
                max_size=30), st.sampled_from(("DMY", "MDY")))
def test_text_columns_with_a_forced_order_read_each_cell_on_its_own(values: list[object],
                                                                    order: str) -> None:
    raw = pd.Series(values, dtype="str")
    parsed = parse_dates(raw, order)
    check_consistent(raw, parsed)
    for i, value in enumerate(values):
        alone = parse_dates(pd.Series([value], dtype=object), order)
        mine, together = alone.values.iloc[0], parsed.values.iloc[i]
        assert (pd.isna(mine) and pd.isna(together)) or mine == together
        assert bool(alone.bad.iloc[0]) == bool(parsed.bad.iloc[i])


@EXAMPLES
@given(dates, st.sampled_from(_FORMATS))
def test_a_date_written_in_any_form_reads_back(day: dt.date, fmt: str) -> None:
    text = dt.datetime.combine(day, dt.time(21, 45, 30)).strftime(fmt)
    order = "MDY" if fmt.startswith("%m") else "DMY"
    assert one(text, order=order)[:3] == (D(day), False, False)
