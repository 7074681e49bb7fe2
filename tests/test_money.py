"""Money columns (pmo_xl.money): every form an amount may take, units from suffixes and headers,
the column's decimal mark, currencies, the two real registers, and properties over random
cells."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import math
import os

import numpy as np
import pandas as pd
import pytest
from conftest import REAL_DATA
from hypothesis import given, settings
from hypothesis import strategies as st

from pmo_xl import money
from pmo_xl.money import (
    MONEY_UNITS,
    HeaderUnit,
    currency_fits,
    header_money_unit,
    parse_money,
)
from pmo_xl.parsing import Parsed

EXAMPLES = settings(max_examples=int(os.environ.get("PMO_XL_HYPOTHESIS_EXAMPLES", "60")),
                    deadline=None)
REAL = REAL_DATA


def one(value: object, **kw: object) -> tuple[float, bool, bool, dict[str, bool]]:
    parsed = parse_money(pd.Series([value], dtype=object), **kw)  # type: ignore[arg-type]
    flags = {name: bool(mask.iloc[0]) for name, mask in parsed.flags.items()}
    return parsed.values.iloc[0], bool(parsed.blank.iloc[0]), bool(parsed.bad.iloc[0]), flags


def column(values: list[object], **kw: object) -> Parsed:
    return parse_money(pd.Series(values, dtype=object), **kw)  # type: ignore[arg-type]


def real_column(name: str, header: str) -> pd.Series:
    path = REAL / name
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"required in CI: {path}")
        pytest.skip(f"{path} is not here (set PMO_XL_REAL_DATA)")
    with path.open(encoding="utf-8-sig", newline="") as f:
        return pd.Series([row[header] or None for row in csv.DictReader(f)], dtype="str")


# --- forms -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    (1250000, 1250000.0), (1250000.5, 1250000.5), (np.int64(7), 7.0),
    (decimal.Decimal("12.25"), 12.25), ("1250000", 1250000.0), ("2359288.62", 2359288.62),
    ("€1,250,000", 1250000.0), ("1,250,000.00", 1250000.0), ("1.250.000,00", 1250000.0),
    ("1 250 000", 1250000.0), ("1\u00a0250\u00a0000", 1250000.0), ("1\u202f250\u202f000,50",
                                                                    1250000.5),
    ("1'250'000", 1250000.0), ("1’250’000.50", 1250000.5), ("EUR 3,000", 3000.0),
    ("3,000 EUR", 3000.0), ("EUR3000", 3000.0), ("3000€", 3000.0), ("$ 12.5", 12.5),
    ("£1 000", 1000.0), ("12,5", 12.5), ("0,75", 0.75), (".5", 0.5), ("1.5E+06", 1.5e6),
    ("$3,794,700", 3794700.0), ("EUR 3.000,-", 3000.0), ("Fr. 1'000.-", 1000.0),
    ("+1,200", 1200.0), ("1,250", 1250.0), ("1.250", 1250.0),
])
def test_money_in_every_form(value: object, expected: float) -> None:
    parsed, blank, bad, flags = one(value)
    assert (parsed, blank, bad) == (pytest.approx(expected), False, False)
    assert flags == {"negative": False, "other_currency": False}


@pytest.mark.parametrize(("value", "expected"), [
    ("(1,200)", -1200.0), ("-1,200", -1200.0), ("−1,200", -1200.0), ("– 1,200", -1200.0),
    ("-$1,200", -1200.0), ("$-1,200", -1200.0), ("$(1,200)", -1200.0), ("($1,200)", -1200.0),
    ("1.200,00-", -1200.0), ("(1.200,00 €)", -1200.0), (-50, -50.0), ("(3.5m)", -3.5e6),
])
def test_negative_amounts_are_read_and_flagged(value: object, expected: float) -> None:
    parsed, _, bad, flags = one(value)
    assert (parsed, bad, flags["negative"]) == (pytest.approx(expected), False, True)


@pytest.mark.parametrize(("value", "expected"), [
    ("3.5m", 3.5e6), ("3.5M", 3.5e6), ("3,5m", 3.5e6), ("2bn", 2e9), ("2 Bn", 2e9),
    ("2B", 2e9), ("1,2 Mio", 1.2e6), ("1.2 Mio.", 1.2e6), ("1,5 Mrd", 1.5e9),
    ("1,5 Mrd.", 1.5e9), ("3 million", 3e6), ("3 millions", 3e6), ("2 billion", 2e9),
    ("2,5 billions", 2.5e9), ("250k", 250e3), ("250 K", 250e3), ("12 thousand", 12e3),
    ("€3.5m", 3.5e6), ("$2bn", 2e9), ("3,5 Mio. €", 3.5e6), ("5 kEUR", 5e3), ("3 EUR m", 3e6),
    ("3EURm", 3e6), ("USD 1.5 bn", 1.5e9), ("£1,250m", 1.25e9), ("2.5 crore", 2.5e7),
    ("3 lakh", 3e5), ("1,5 Md€", 1.5e9),
])
def test_suffixes_state_their_own_unit(value: str, expected: float) -> None:
    assert one(value)[:3] == (pytest.approx(expected), False, False)
    # The register's unit does not apply on top of a suffix.
    assert one(value, scale=1e6)[0] == pytest.approx(expected)


def test_the_scale_applies_to_plain_numbers_and_text_without_a_suffix() -> None:
    parsed = column([2.5, 3, "1,250,000", "€4.75", "3.5m", None], scale=MONEY_UNITS["millions"])
    assert list(parsed.values[:5]) == pytest.approx([2.5e6, 3e6, 1.25e12, 4.75e6, 3.5e6])
    numeric = parse_money(pd.Series([2.5, None]), scale=1e3)
    assert numeric.values.iloc[0] == 2500.0 and bool(numeric.blank.iloc[1])
    assert parse_money(pd.Series(["2,5"], dtype="str"), scale=1e3).values.iloc[0] == 2500.0
    assert parse_money(pd.Series(["2,5"]), scale=1e3).note["scale"] == 1e3


def test_money_units() -> None:
    assert MONEY_UNITS == {"units": 1.0, "thousands": 1e3, "millions": 1e6, "billions": 1e9}
    with pytest.raises(ValueError, match="scale"):
        parse_money(pd.Series([1.0]), scale=0)
    with pytest.raises(ValueError, match="scale"):
        parse_money(pd.Series([1.0]), scale=math.inf)


@pytest.mark.parametrize("value", [
    "TBC", "abc 100", "XYZ 100", "1,2,3", "12 5", "1..5", "1.2.3,4,5", "--5", "(-5)",
    "-5-", "€100 USD", "$", "EUR", "5 apples", "1,2 Mio Mrd", "12.", "nan", "NaN", "inf",
    "-Infinity", "1e400", "9" * 400, True, dt.date(2020, 1, 1), dt.datetime(2020, 1, 1),
    float("inf"), -math.inf, 10**400, decimal.Decimal("Infinity"),
])
def test_unreadable_and_non_finite_amounts_are_bad(value: object) -> None:
    parsed, blank, bad, flags = one(value)
    assert (blank, bad) == (False, True) and math.isnan(parsed)
    assert not any(flags.values())


def test_non_finite_numbers_and_overflow_are_bad_in_numeric_columns() -> None:
    parsed = parse_money(pd.Series([1.0, np.inf, -np.inf, np.nan, 1e300]), scale=1e9)
    assert list(parsed.bad) == [False, True, True, False, True]
    assert bool(parsed.blank.iloc[3]) and np.isfinite(parsed.values.dropna()).all()
    assert math.isnan(one("1e300", scale=1e9)[0]) and one("1e300", scale=1e9)[2]


@pytest.mark.parametrize("value", [None, "", "   ", "\u00a0", float("nan"), pd.NA])
def test_blank_cells_are_blank_not_bad(value: object) -> None:
    assert one(value)[1:3] == (True, False)


@pytest.mark.parametrize("raw", [
    pd.Series([1250.0, None]), pd.Series([1250, None], dtype="Int64"),
    pd.Series(["$1,250", None], dtype="str"), pd.Series(["1.250", None], dtype="string"),
    pd.Series(["1 250", None], dtype=object), pd.Series([1250, None, "x"], dtype=object),
])
def test_every_column_dtype(raw: pd.Series) -> None:
    parsed = parse_money(raw)
    assert parsed.values.dtype == float and parsed.values.iloc[0] == 1250.0
    assert bool(parsed.blank.iloc[1]) and not bool(parsed.bad.iloc[1])
    assert set(parsed.flags) == {"negative", "other_currency"}
    assert set(parsed.note) == {"scale", "currencies", "decimal_mark"}


# --- the column's decimal mark ---------------------------------------------------------------

def test_a_column_with_decimal_commas_reads_1_250_as_one_and_a_quarter() -> None:
    parsed = column(["1.250.000,00", "12,5", "1,250", "1.250"], scale=1e6)
    assert list(parsed.values) == pytest.approx([1.25e12, 12.5e6, 1.25e6, 1.25e9])
    assert parsed.note["decimal_mark"] == ","


def test_a_column_with_decimal_points_reads_1_250_as_twelve_hundred_and_fifty() -> None:
    parsed = column(["1,250,000.00", "2359288.62", "1,250", "1.250"])
    assert list(parsed.values) == pytest.approx([1.25e6, 2359288.62, 1250, 1.25])
    assert parsed.note["decimal_mark"] == "."


def test_without_evidence_a_single_separator_groups_thousands() -> None:
    parsed = column(["1,250", "1.250", "3 000", 7.5])
    assert list(parsed.values) == [1250.0, 1250.0, 3000.0, 7.5]
    assert parsed.note["decimal_mark"] is None


# --- currencies ------------------------------------------------------------------------------

def test_any_currency_is_read_without_a_register_currency() -> None:
    parsed = column(["$3,794,700", "€1,000", "USD 5", "5 kr", "5 kr", None, 7])
    assert not parsed.bad.any() and not parsed.flags["other_currency"].any()
    assert parsed.note["currencies"] == {"$": 1, "€": 1, "USD": 1, "kr": 2}


@pytest.mark.parametrize(("value", "currency"), [
    ("$5", "CAD"), ("$5", "USD"), ("$5", "AUD"), ("$5", "MXN"), ("C$5", "CAD"), ("US$5", "USD"),
    ("£5", "GBP"), ("€5", "EUR"), ("5 €", "eur"), ("¥5", "JPY"), ("¥5", "CNY"), ("₹5", "INR"),
    ("Rs. 5", "PKR"), ("5 kr", "SEK"), ("kr 5", "NOK"), ("5 kr.", "DKK"), ("Fr. 5", "CHF"),
    ("CHF 5", "CHF"), ("SFr. 5", "CHF"), ("5 zł", "PLN"), ("R$ 5", "BRL"), ("USD 5", "USD"),
    ("5 usd", "USD"), ("$5 USD", "USD"), ("$5", "$"), ("5", "EUR"), (5, "EUR"),
])
def test_amounts_that_can_be_the_register_currency(value: object, currency: str) -> None:
    assert one(value, currency=currency) == (5.0, False, False,
                                             {"negative": False, "other_currency": False})


@pytest.mark.parametrize(("value", "currency"), [
    ("$3,794,700", "EUR"), ("$3,794,700", "GBP"), ("€5", "CAD"), ("£5", "EUR"),
    ("USD 3,000", "EUR"), ("3,000 EUR", "GBP"), ("C$5", "USD"), ("US$5", "CAD"),
    ("¥5", "USD"), ("5 kr", "EUR"), ("Fr. 5", "EUR"), ("₹5", "PKR"), ("(USD 5)", "EUR"),
    ("USD 3.5m", "EUR"), ("$5", "€"),
])
def test_amounts_in_another_currency_are_flagged_not_summed(value: str, currency: str) -> None:
    parsed, blank, bad, flags = one(value, currency=currency)
    assert math.isnan(parsed) and (blank, bad) == (False, False)
    assert flags == {"negative": False, "other_currency": True}


def test_currency_counts_and_mismatches_in_a_column() -> None:
    parsed = column(["$1", "$2", "€3", "EUR 4", "5", None, "x"], currency="CAD")
    assert list(parsed.flags["other_currency"]) == [False, False, True, True, False, False,
                                                    False]
    assert parsed.values.sum() == 8.0
    assert list(parsed.bad) == [False] * 6 + [True]
    assert parsed.note["currencies"] == {"$": 2, "€": 1, "EUR": 1}


def test_currency_fits() -> None:
    assert currency_fits("$", "CAD") and currency_fits("$", "USD")
    assert not currency_fits("$", "EUR") and not currency_fits("£", "EUR")
    assert currency_fits("EUR", "€") and currency_fits("kr", "ISK")
    assert currency_fits("€", None) and currency_fits("€", " ")


# --- header units ----------------------------------------------------------------------------

@pytest.mark.parametrize(("header", "unit"), [
    ("Budget (£m)", HeaderUnit(1e6, "£", "(£m)")),
    ("Cost £m", HeaderUnit(1e6, "£", "£m")),
    ("Budget_kEUR", HeaderUnit(1e3, "EUR", "kEUR")),
    ("Budget ($M)", HeaderUnit(1e6, "$", "($M)")),
    ("Budget ($MM)", HeaderUnit(1e6, "$", "($MM)")),
    ("Forecast $m", HeaderUnit(1e6, "$", "$m")),
    ("Spend (000s)", HeaderUnit(1e3, None, "(000s)")),
    ("Budget ('000)", HeaderUnit(1e3, None, "('000)")),
    ("Budget (£'000)", HeaderUnit(1e3, "£", "(£'000)")),
    ("Budget (€ thousands)", HeaderUnit(1e3, "EUR", "(€ thousands)")),
    ("Cost in millions", HeaderUnit(1e6, None, "in millions")),
    ("Budget (EUR bn)", HeaderUnit(1e9, "EUR", "(EUR bn)")),
    ("Budget (GBP)", HeaderUnit(1.0, "GBP", "(GBP)")),
    ("Budget [USD m]", HeaderUnit(1e6, "USD", "[USD m]")),
    ("Budget (m)", HeaderUnit(1e6, None, "(m)")),
    ("Budget EUR m", HeaderUnit(1e6, "EUR", "EUR m")),
    ("Budget USD", HeaderUnit(1.0, "USD", "USD")),
    ("Budget CAD", HeaderUnit(1.0, "CAD", "CAD")),
    ("Cost (k€)", HeaderUnit(1e3, "EUR", "(k€)")),
    ("Cost TEUR", HeaderUnit(1e3, "EUR", "TEUR")),
    ("Kosten (Mio. €)", HeaderUnit(1e6, "EUR", "(Mio. €)")),
    ("Actual Cost (in € millions)", HeaderUnit(1e6, "EUR", "(in € millions)")),
    ("Budget in £", HeaderUnit(1.0, "£", "in £")),
    ("Budget (cad)", HeaderUnit(1.0, "CAD", "(cad)")),
])
def test_headers_that_declare_a_unit(header: str, unit: HeaderUnit) -> None:
    assert header_money_unit(header) == unit


@pytest.mark.parametrize("header", [
    "Budget", "Programme", "Amount", "Team", "TEAM", "Milestone", "Distance kilometres",
    "Distance (km)", "Budget m", "Budget ALL", "COST TOP", "Budget (approved)", "Budget (%)",
    "totalBudget", "FFC", "Mortgage", "Budget (£m, nominal)", "EUR", "Budget (m) (k)",
    "Budget (EUR GBP)",
])
def test_ordinary_headers_declare_no_unit(header: str) -> None:
    assert header_money_unit(header) is None


def test_a_header_unit_feeds_parse_money() -> None:
    unit = header_money_unit("Budget (£m)")
    assert unit is not None
    parsed = parse_money(pd.Series([2.5, "£1.2", "€3"], dtype=object), scale=unit.scale,
                         currency=unit.currency)
    assert list(parsed.values[:2]) == [2.5e6, 1.2e6]
    assert list(parsed.flags["other_currency"]) == [False, False, True]


# --- the real registers --------------------------------------------------------------------------

def test_real_canadian_budgets() -> None:
    raw = real_column("gc-it-projects-2022.csv", "totalBudget")
    parsed = parse_money(raw, currency="CAD")
    assert (int(parsed.blank.sum()), int(parsed.bad.sum())) == (14, 0)
    assert int(parsed.values.notna().sum()) == 481
    assert parsed.values.iloc[0] == 3_794_700.0 and parsed.values.sum() == 7_023_336_948.0
    assert parsed.note["currencies"] == {"$": 481} and parsed.note["decimal_mark"] == "."
    in_euros = parse_money(raw, currency="EUR")
    assert int(in_euros.flags["other_currency"].sum()) == 481
    assert not in_euros.bad.any() and in_euros.values.isna().all()


def test_real_melbourne_valuations() -> None:
    raw = real_column("melbourne-water-capital-delivery.csv", "FFC")
    parsed = parse_money(raw, currency="AUD")
    assert (int(parsed.blank.sum()), int(parsed.bad.sum())) == (0, 0)
    assert int(parsed.values.notna().sum()) == 445
    assert parsed.values.iloc[0] == 2359288.62
    assert parsed.values.iloc[1] == pytest.approx(2066075.59)
    assert parsed.values.sum() == pytest.approx(5_113_659_152.5)
    assert parsed.note["currencies"] == {} and parsed.note["decimal_mark"] == "."


# --- properties --------------------------------------------------------------------------------

def _styles(cents: int, style: int) -> str:
    """An amount of `cents` in one of the ways people write money."""
    whole, frac = divmod(abs(cents), 100)
    english = f"{whole:,}.{frac:02d}"
    european = f"{whole:,}".replace(",", ".") + f",{frac:02d}"
    spaced = f"{whole:,}".replace(",", " ") + f",{frac:02d}"
    swiss = f"{whole:,}".replace(",", "'") + f".{frac:02d}"
    text = (f"${english}", f"{european} €", spaced, swiss, f"EUR {english}", english,
            f"{whole}.{frac:02d}")[style]
    if cents < 0:
        return f"({text})" if style % 2 else f"-{text}"
    return text


amounts = st.integers(-10**13, 10**13)
cells = st.one_of(
    st.none(), st.text(max_size=14), st.builds(_styles, amounts, st.integers(0, 6)),
    st.integers(-10**20, 10**20), st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(), st.dates(), st.decimals(allow_nan=True),
    st.from_regex(r"\A[-(]?[$€£]?\d{1,4}([.,' ]\d{1,4}){0,3}\s?(k|m|bn|Mio|EUR|kr)?\)?\Z"),
)


def check_consistent(raw: pd.Series, parsed: Parsed) -> None:
    for mask in (parsed.blank, parsed.bad, *parsed.flags.values()):
        assert isinstance(mask, pd.Series) and mask.dtype == bool
        assert mask.index.equals(raw.index)
    assert parsed.values.index.equals(raw.index) and parsed.values.dtype == float
    present = parsed.values.notna()
    assert np.isfinite(parsed.values[present]).all()
    assert not (present & (parsed.blank | parsed.bad)).any()
    assert not (parsed.blank & parsed.bad).any()
    other = parsed.flags["other_currency"]
    outcomes = present.astype(int) + parsed.bad.astype(int) + other.astype(int)
    assert (outcomes == (~parsed.blank).astype(int)).all()
    assert (parsed.flags["negative"] == (parsed.values < 0)).all()


@EXAMPLES
@given(st.lists(cells, max_size=30), st.sampled_from((None, "EUR", "CAD", "$")),
       st.sampled_from(list(MONEY_UNITS.values())))
def test_random_cells_never_raise_and_masks_agree(values: list[object], currency: str | None,
                                                  scale: float) -> None:
    raw = pd.Series(values, dtype=object, index=range(7, 7 + len(values)))
    check_consistent(raw, parse_money(raw, scale=scale, currency=currency))
    text = [v for v in values if isinstance(v, str) or v is None]
    check_consistent(pd.Series(text, dtype="str"), parse_money(pd.Series(text, dtype="str")))


@EXAMPLES
@given(amounts, st.integers(0, 6))
def test_an_amount_written_any_way_reads_back(cents: int, style: int) -> None:
    text = _styles(cents, style)
    parsed, blank, bad, flags = one(text)
    assert (blank, bad) == (False, False)
    assert parsed == pytest.approx(cents / 100, rel=1e-12, abs=1e-9)
    assert flags["negative"] == (cents < 0)


@EXAMPLES
@given(st.from_regex(r"\A[-(]?[$€£¥₹]?(\d{1,3}(,\d{3}){0,4}|\d{1,12})(\.\d{1,5})?\)?\Z"))
def test_the_fast_reader_agrees_with_the_general_one(text: str) -> None:
    fast = money._usual(text, frozenset({"EUR"}))
    if fast is not None:
        general = money._read(text, frozenset({"EUR"}))
        assert [str(x) for x in fast] == [str(x) for x in general]
