"""Each value form a register may hold, parsed a column at a time."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from pmo_xl.dates import parse_dates
from pmo_xl.money import parse_money
from pmo_xl.parsing import parse_enum, parse_percent, parse_text
from pmo_xl.schema import LESSONS, PROJECTS

D = pd.Timestamp


def one(parser, value, *args):  # noqa: ANN001, ANN201
    parsed = parser(pd.Series([value], dtype=object), *args)
    flags = {name: bool(mask.iloc[0]) for name, mask in parsed.flags.items()}
    return parsed.values.iloc[0], bool(parsed.blank.iloc[0]), bool(parsed.bad.iloc[0]), flags


@pytest.mark.parametrize("value", [
    dt.date(2026, 3, 31), dt.datetime(2026, 3, 31, 14, 5), "2026-03-31", "2026-03-31T00:00:00",
    "31-Mar-2026", "31-mar-2026", "31 March 2026", "Mar 31, 2026", "31/03/2026", "31.03.2026",
    "31-03-2026", "31/03/26", 46112, 46112.5, "  31/03/2026  ",
])
def test_dates_in_every_form(value: object) -> None:
    parsed, blank, bad, _ = one(parse_dates, value)
    assert (parsed, blank, bad) == (D("2026-03-31"), False, False)


def test_ambiguous_text_dates_follow_date_order() -> None:
    assert one(parse_dates, "03/04/2026", "DMY")[0] == D("2026-04-03")
    assert one(parse_dates, "03/04/2026", "MDY")[0] == D("2026-03-04")
    assert one(parse_dates, "12/31/2026", "MDY")[0] == D("2026-12-31")
    assert one(parse_dates, "12/31/2026", "DMY")[2]  # month 31 does not exist


@pytest.mark.parametrize("value", ["next spring", "TBC", "31/02/2026", 5, True, "2026-13-01"])
def test_unreadable_dates_are_bad(value: object) -> None:
    _, blank, bad, _ = one(parse_dates, value)
    assert (blank, bad) == (False, True)


@pytest.mark.parametrize("value", [None, "", "   ", "\t"])
def test_blank_cells_are_blank_not_bad(value: object) -> None:
    for parser in (parse_dates, parse_money, parse_percent, parse_text):
        _, blank, bad, _ = one(parser, value)
        assert (blank, bad) == (True, False)


@pytest.mark.parametrize(("value", "expected"), [
    (1250000, 1250000.0), (1250000.5, 1250000.5), ("€1,250,000", 1250000.0),
    ("1,250,000.00", 1250000.0), ("1.250.000,00", 1250000.0), ("EUR 3,000", 3000.0),
    ("$ 12.5", 12.5), ("£1 000", 1000.0), ("12,5", 12.5), ("1'250'000", 1250000.0),
])
def test_money_in_every_form(value: object, expected: float) -> None:
    parsed, _, bad, flags = one(parse_money, value)
    assert (parsed, bad, flags["negative"]) == (expected, False, False)


@pytest.mark.parametrize(("value", "expected"), [(-5, -5.0), ("(1,200)", -1200.0),
                                                 ("-€300", -300.0)])
def test_negative_money_is_flagged(value: object, expected: float) -> None:
    parsed, _, bad, flags = one(parse_money, value)
    assert (parsed, bad, flags["negative"]) == (expected, False, True)


@pytest.mark.parametrize("value", ["twelve thousand", "1,2,3", "12 apples", True])
def test_unreadable_money_is_bad(value: object) -> None:
    assert one(parse_money, value)[2] is True


@pytest.mark.parametrize(("value", "expected", "points"), [
    (0.45, 0.45, False), ("45%", 0.45, False), (" 45 % ", 0.45, False), ("0.45", 0.45, False),
    (1, 1.0, False), ("100%", 1.0, False), (0, 0.0, False), (45, 0.45, True), ("45", 0.45, True),
    (100, 1.0, True), (12.5, 0.125, True),
])
def test_percent_forms(value: object, expected: float, points: bool) -> None:
    parsed, _, bad, flags = one(parse_percent, value)
    assert parsed == pytest.approx(expected)
    assert (bad, flags["points"], flags["out_of_range"]) == (False, points, False)


@pytest.mark.parametrize("value", [150, "150%", -0.1, "-5%", 100.5])
def test_percent_outside_range(value: object) -> None:
    parsed, _, bad, flags = one(parse_percent, value)
    assert pd.isna(parsed) and not bad and flags["out_of_range"]


def test_unreadable_percent_is_bad() -> None:
    assert one(parse_percent, "half")[2] is True


@pytest.mark.parametrize(("value", "expected"), [
    ("Green", "Green"), (" green ", "Green"), ("G", "Green"), ("a", "Amber"), ("RED", "Red"),
    ("r ", "Red"),
])
def test_rag_values_and_shorthand(value: str, expected: str) -> None:
    assert one(parse_enum, value, PROJECTS.column("overall_rag"))[0] == expected


def test_enum_is_case_and_space_insensitive_but_strict() -> None:
    column = LESSONS.column("type")
    assert one(parse_enum, "went   well", column)[0] == "Went Well"
    assert one(parse_enum, "Went-Well", column)[2] is True
    # Shorthand belongs to RAG columns only.
    assert one(parse_enum, "G", PROJECTS.column("phase"))[2] is True


def test_text_keeps_displayed_numbers_and_trims() -> None:
    parsed = parse_text(pd.Series([1001.0, " P-1 ", 3, 2.5], dtype=object)).values
    assert parsed.tolist() == ["1001", "P-1", "3", "2.5"]


def test_enum_values_are_meanings_and_labels_the_organisations_words() -> None:
    from pmo_xl.schema import Vocabulary

    phases = Vocabulary("Phase", ("Scope", "Design", "Construction", "Closed"),
                        ("Initiation", "Planning", "Execution", "Closing", "Closed"),
                        ("Initiation", "Planning", "Execution", "Closed"))
    column = dataclasses.replace(PROJECTS.column("phase"), vocabulary=phases)
    raw = pd.Series(["construction", "Scope", None, "Execution", "Closed"], dtype=object)
    parsed = parse_enum(raw, column)
    assert parsed.values.tolist()[:2] == ["Execution", "Initiation"]
    assert parsed.labels.tolist()[:2] == ["Construction", "Scope"]
    # The canonical name is not the organisation's word: not in its vocabulary.
    assert parsed.bad.tolist() == [False, False, False, True, False]
    assert list(parsed.values.cat.categories) == list(phases.canonical)
