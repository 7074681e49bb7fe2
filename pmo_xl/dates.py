"""Reading a register's date columns: date cells, Excel serial numbers and dates typed as text.

People type dates in registers in every spelling their locale and their habits allow: ISO dates
and timestamps, day-first or month-first numbers (31/03/2026, 3/31/2026), named months
(31-Mar-2026, March 31, 2026), date-times exported by other tools (5/02/2016 5:00:00 PM), and
periods (Mar-2026, Q3 2026). `parse_dates` reads one column of them at a time into a `Parsed`:

* the date order of numeric dates (03/04/2026) is decided per column from the dates that can
  only be read one way, unless the register forces DMY or MDY;
* a month, quarter or half-year becomes its first day (or its last, for finish and due dates)
  and is flagged `approximate`;
* a date outside the plausible years (a typo such as 1905) is flagged `implausible` and left out
  of the values, so that no figure uses it;
* anything else that is not a date (TBD, fiscal years such as 2024-25) is `bad`;
  `bad_date_hint` says, for a finding's message, what is wrong with it when that can be told.

Speed: a column is converted a kind at a time (date cells, numbers, text) with whole-column
operations, and each distinct text is read once in plain Python; everything is kept as whole
days (int64 since 1970-01-01) until the single conversion to datetime64 at the end.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .parsing import Parsed, type_masks

DATE_ORDERS = ("auto", "DMY", "MDY")
FLAGS = ("approximate", "order_conflict", "implausible")

# Serial numbers Excel can show as dates in a plausible register: 1927-05-18 .. 2173-10-14.
_SERIAL_RANGE = (10_000, 100_000)
_EXCEL_EPOCH = -25_569  # 1899-12-30, Excel's day 0, in days since 1970-01-01
_UNIX_ORDINAL = dt.date(1970, 1, 1).toordinal()
_NAT = np.iinfo(np.int64).min  # NaT as an int64 day count
# Number cells as python-calamine and xlwings give them (bool is not one: TRUE is no date).
_NUMBER_TYPES = (int, float, np.int64, np.float64, np.int32, np.float32)

# What one distinct text turned out to be.
_EXACT, _APPROX, _NUMERIC, _BAD = 0, 1, 2, 3

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4,
    "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8,
    "sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11,
    "dec": 12, "december": 12,
}
_MONTH_NAMES = ("", "January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")
_DAYS_IN_MONTH = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

# A time after the date, dropped: 17:00, 5:00:00 PM, T23:30:00.123+01:00, 00:00:00Z. The date
# is taken as written, never converted to another time zone: 2011-01-10T23:30:00-05:00 is
# 10 January where it was written, which is the day the register means.
_TIME = (r"(?:(?:T|\s+)(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,]\d+)?)?"
         r"\s*(?P<ampm>[AaPp]\.?\s?[Mm]\.?)?\s*(?P<tz>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?)?")
_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
_YMD = re.compile(r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})" + _TIME)
_NUM = re.compile(r"(?P<a>\d{1,2})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})"
                  + _TIME)
_MONTH_FIRST = re.compile(
    _WEEKDAY + r"(?P<mon>[a-z]{3,9})\.?[-\s/.]*(?P<d>\d{1,2})(?:st|nd|rd|th)?"
    r"(?:,\s*|[-\s/.]+)(?P<y>\d{4}|\d{2})" + _TIME, re.I)
_DAY_FIRST = re.compile(
    _WEEKDAY + r"(?P<d>\d{1,2})(?:st|nd|rd|th)?[-\s/.]*(?P<mon>[a-z]{3,9})\.?[-\s/.,]*"
    r"(?P<y>\d{4}|\d{2})" + _TIME, re.I)
_COMPACT = re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})")
_SERIAL_TEXT = re.compile(r"\d{5}(?:\.\d+)?")
# Periods. 'Mar-25' is Excel's mmm-yy display of March 2025; 'March 25' (a day) is not a period.
_MONTH_YEAR = re.compile(
    r"(?P<mon>[a-z]{3,9})\.?(?:[-\s/.,]*(?P<y>\d{4})|-(?P<yy>\d{2})|\s*['’](?P<yq>\d{2}))",
    re.I)
_YEAR_MONTH = re.compile(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})")
_MONTH_NUM_YEAR = re.compile(r"(?P<m>\d{1,2})[-/.](?P<y>\d{4})")
# Calendar quarters and halves (Q3 2026, 2026-Q3, 3Q 2026, H1 2026). Fiscal ones (Q3 FY2026,
# Q4 2023/24) are refused: when a fiscal year starts differs between organisations.
_PERIOD = re.compile(
    r"(?:(?P<p1>[QH])(?P<n1>[1-4])|(?P<n2>[1-4])(?P<p2>Q))[-\s/]*(?P<y1>\d{4})"
    r"|(?P<y2>\d{4})[-\s/]*(?P<p3>[QH])(?P<n3>[1-4])", re.I)

_FISCAL = re.compile(r"\bfiscal\b|\bFY\s*'?\d|\bFY\b", re.I)
_YEAR_SPAN = re.compile(r"(?<![\d/.-])(\d{2}|\d{4})\s*[-/–]\s*(\d{2}|\d{4})(?![\d/.-])")
_PLACEHOLDER = re.compile(
    r"\b(?:tb[cda]|n/?a|none|unknown|ongoing|pending|on hold|to be (?:confirmed|determined|"
    r"decided|advised|agreed)|not (?:yet )?(?:known|determined|decided|confirmed|set))\b|"
    r"^[-?–—.]+$", re.I)
_SEASON = re.compile(r"\b(?:spring|summer|autumn|fall|winter)\b", re.I)


@dataclass
class _Days:
    """A column being built: whole days since 1970-01-01 (_NAT: none) and the text flags."""

    days: np.ndarray
    approximate: np.ndarray
    conflict: np.ndarray


def parse_dates(raw: pd.Series, order: str = "auto", fallback: str = "DMY", *,
                end_of_period: bool = False,
                years: tuple[int, int] = (1990, 2100)) -> Parsed:
    """Date cells, Excel serial numbers and text dates of one column.

    `order`: how to read numeric text dates such as 03/04/2026: "DMY", "MDY", or "auto" (decide
    from the column's dates that can be read one way only; `fallback` when none can).
    `end_of_period`: a month or quarter means its last day (finish and due dates), else its
    first. `years`: the plausible years, inclusive.
    """
    order, fallback = _checked_orders(order, fallback)
    n = len(raw)
    out = _Days(np.full(n, _NAT, dtype=np.int64), np.zeros(n, bool), np.zeros(n, bool))
    note = _order_note(None, {"DMY": 0, "MDY": 0}, "", fallback)
    kind = _column_kind(raw)
    if kind == "datetime64":
        blank = raw.isna().to_numpy()
        out.days = _datetime64_days(raw)
    elif kind == "numeric":
        blank = raw.isna().to_numpy()
        out.days = _serial_days(raw.to_numpy(dtype=float, na_value=np.nan))
    elif kind in ("native", "empty"):
        blank = raw.isna().to_numpy()
        out.days = _native_days(raw.to_numpy(dtype=object))
    elif kind == "text":
        blank, note = _text_into(out, raw.to_numpy(dtype=object), None, order, fallback,
                                 end_of_period)
    else:
        blank, note = _mixed_into(out, raw.to_numpy(dtype=object), order, fallback,
                                  end_of_period)
    return _finish(raw.index, out, blank, years, note)


def _checked_orders(order: str, fallback: str) -> tuple[str, str]:
    order = "auto" if str(order).strip().casefold() == "auto" else str(order).strip().upper()
    fallback = str(fallback).strip().upper()
    if order not in DATE_ORDERS:
        raise ValueError(f"date order must be one of {', '.join(DATE_ORDERS)}, not {order!r}")
    if fallback not in ("DMY", "MDY"):
        raise ValueError(f"the fallback date order must be DMY or MDY, not {fallback!r}")
    return order, fallback


def _column_kind(raw: pd.Series) -> str:
    """Which fast path fits the whole column: datetime64, numeric, native, text, empty, mixed."""
    if pd.api.types.is_datetime64_any_dtype(raw):
        return "datetime64"
    if pd.api.types.is_bool_dtype(raw):
        return "mixed"  # TRUE is not a date: each cell is bad
    if pd.api.types.is_numeric_dtype(raw):
        return "numeric"
    if isinstance(raw.dtype, pd.StringDtype):
        return "text"
    inferred = pd.api.types.infer_dtype(raw, skipna=True)
    if inferred in ("date", "datetime", "datetime64"):
        return "native"
    return {"string": "text", "empty": "empty"}.get(inferred, "mixed")


def _finish(index: pd.Index, out: _Days, blank: np.ndarray, years: tuple[int, int],
            note: dict[str, object]) -> Parsed:
    days = out.days
    valid = days != _NAT
    bad = ~blank & ~valid
    lo = dt.date(min(max(years[0], 1), 9999), 1, 1).toordinal() - _UNIX_ORDINAL
    hi = dt.date(min(max(years[1], 1), 9999), 12, 31).toordinal() - _UNIX_ORDINAL
    implausible = valid & ((days < lo) | (days > hi))
    days = np.where(implausible, _NAT, days)
    values = pd.Series(days.view("datetime64[D]").astype("datetime64[us]"), index=index)
    flags = {
        "approximate": out.approximate & ~implausible,
        "order_conflict": out.conflict & ~implausible,
        "implausible": implausible,
    }
    return Parsed(values, pd.Series(blank, index=index), pd.Series(bad, index=index),
                  {name: pd.Series(mask, index=index) for name, mask in flags.items()}, note)


def _datetime64_days(raw: pd.Series) -> np.ndarray:
    if getattr(raw.dt, "tz", None) is not None:
        raw = raw.dt.tz_localize(None)  # the wall-clock date as written, see _TIME
    return raw.to_numpy().astype("datetime64[D]").view(np.int64).copy()


def _native_days(cells: np.ndarray) -> np.ndarray:
    """Date cells (date, datetime, Timestamp; NaN/None for blanks) as day counts."""
    try:
        stamps = pd.to_datetime(pd.Series(cells, dtype=object), errors="coerce")
        if getattr(stamps.dt, "tz", None) is not None:
            stamps = stamps.dt.tz_localize(None)  # the wall-clock date as written, see _TIME
        days = stamps.to_numpy().astype("datetime64[D]").view(np.int64).copy()
    except (TypeError, ValueError, OverflowError):
        days = np.full(len(cells), _NAT, dtype=np.int64)
    # Cells pandas could not convert together (time zones mixed with naive cells): each
    # cell's own calendar date instead.
    missed = (days == _NAT) & ~pd.isna(cells)
    if missed.any():
        days[missed] = [_native_day(cell) for cell in cells[missed]]
    return days


def _native_day(cell: object) -> int:
    if isinstance(cell, np.datetime64):
        cell = pd.Timestamp(cell) if not np.isnat(cell) else None
    if isinstance(cell, dt.datetime):
        return cell.date().toordinal() - _UNIX_ORDINAL
    if isinstance(cell, dt.date):
        return cell.toordinal() - _UNIX_ORDINAL
    return _NAT


def _serial_days(numbers: np.ndarray) -> np.ndarray:
    """Excel serial numbers (floats; the time of day is dropped) as day counts."""
    with np.errstate(invalid="ignore"):
        usable = (numbers >= _SERIAL_RANGE[0]) & (numbers <= _SERIAL_RANGE[1])
        whole = np.floor(np.where(usable, numbers, 0)).astype(np.int64) + _EXCEL_EPOCH
    return np.where(usable, whole, _NAT)


def _mixed_into(out: _Days, cells: np.ndarray, order: str, fallback: str,
                end_of_period: bool) -> tuple[np.ndarray, dict[str, object]]:
    """A column of several kinds: each kind converted on its own, then merged by mask."""
    is_native, is_number, is_text = type_masks(
        cells, (dt.date, dt.datetime, pd.Timestamp, np.datetime64), _NUMBER_TYPES, (str,))
    blank = _missing(cells)
    native = is_native & ~blank
    if native.any():
        out.days[native] = _native_days(cells[native])
    numbers = is_number & ~blank
    if numbers.any():
        out.days[numbers] = _serial_days(_floats(cells[numbers]))
    text = is_text & ~blank
    note = _order_note(None, {"DMY": 0, "MDY": 0}, "", fallback)
    if text.any():
        blank_text, note = _text_into(out, cells, text, order, fallback, end_of_period)
        blank[text] = blank_text
    return blank, note


def _missing(cells: np.ndarray) -> np.ndarray:
    """pd.isna, which raises on Decimal('sNaN'); such a cell is not blank (it is bad)."""
    try:
        return pd.isna(cells)
    except ArithmeticError:
        return np.array([not (isinstance(c, decimal.Decimal) and c.is_snan()) and pd.isna(c)
                         for c in cells], dtype=bool)


def _floats(cells: np.ndarray) -> np.ndarray:
    try:
        return cells.astype(float)
    except OverflowError:  # a Python int beyond float range: no date anyway
        return np.array([float(c) if abs(c) < 1e300 else np.nan for c in cells])


def _text_into(out: _Days, cells: np.ndarray, where: np.ndarray | None, order: str,
               fallback: str, end_of_period: bool) -> tuple[np.ndarray, dict[str, object]]:
    """Read the text cells (all of `cells`, or those `where` is True) into `out`; return
    which of them are blank (whitespace only, or missing) and the column's date order note."""
    subset = cells if where is None else cells[where]
    codes, distinct = pd.factorize(subset)
    kinds, first, second = [], [], []
    for text in distinct:
        kind, a, b = _read(str(text).strip(), end_of_period)
        kinds.append(kind)
        first.append(a)
        second.append(b)
    resolved, conflict, note = _resolve(np.array(kinds, dtype=np.int8),
                                        np.array(first, dtype=np.int64),
                                        np.array(second, dtype=np.int64),
                                        distinct, order, fallback)
    # A sentinel for code -1 (a missing cell among the text).
    days = np.append(resolved, _NAT)[codes]
    approx = np.append(np.array(kinds, dtype=np.int8) == _APPROX, False)[codes]
    conflicted = np.append(conflict, False)[codes]
    blank_distinct = np.append(np.array([not str(t).strip() for t in distinct], bool), True)
    target = slice(None) if where is None else where
    out.days[target] = days
    out.approximate[target] = approx
    out.conflict[target] = conflicted
    return blank_distinct[codes], note


def _resolve(kinds: np.ndarray, dmy: np.ndarray, mdy: np.ndarray, distinct: np.ndarray,
             order: str, fallback: str) -> tuple[np.ndarray, np.ndarray, dict[str, object]]:
    """Each distinct text's day once the column's date order is known; which were read in the
    other order (auto only); the note saying what was decided and why."""
    numeric = kinds == _NUMERIC
    dmy_ok, mdy_ok = dmy != _NAT, mdy != _NAT
    only_dmy = numeric & dmy_ok & ~mdy_ok
    only_mdy = numeric & mdy_ok & ~dmy_ok
    evidence = {"DMY": int(only_dmy.sum()), "MDY": int(only_mdy.sum())}
    if order == "auto":
        if evidence["DMY"] != evidence["MDY"]:
            chosen = "DMY" if evidence["DMY"] > evidence["MDY"] else "MDY"
        else:
            chosen = fallback
    else:
        chosen = order
    mine, other = (dmy, mdy) if chosen == "DMY" else (mdy, dmy)
    mine_ok = mine != _NAT
    conflict = numeric & ~mine_ok & (other != _NAT) & (order == "auto")
    days = np.where(numeric, np.where(mine_ok, mine, np.where(conflict, other, _NAT)), dmy)
    if not numeric.any():
        return days, conflict, _order_note(None, evidence, "", fallback)
    examples = {name: str(distinct[np.argmax(mask)]) if mask.any() else ""
                for name, mask in (("DMY", only_dmy), ("MDY", only_mdy))}
    ambiguous = order == "auto" and evidence["DMY"] == evidence["MDY"] == 0
    why = _why(order, chosen, evidence, examples, str(distinct[np.argmax(numeric)]))
    return days, conflict, _order_note("ambiguous" if ambiguous else chosen, evidence, why,
                                       fallback)


def _order_note(decided: str | None, evidence: dict[str, int], why: str,
                fallback: str) -> dict[str, object]:
    if decided is None and not why:
        why = "the column has no dates written as numbers such as 03/04/2026"
    return {"date_order": decided, "evidence": evidence, "why": why, "fallback": fallback}


def _why(order: str, chosen: str, evidence: dict[str, int], examples: dict[str, str],
         sample: str) -> str:
    """One sentence for a person: how the column's numeric dates are read, and why."""
    way = {"DMY": "day-first", "MDY": "month-first"}
    field = {"DMY": "first", "MDY": "second"}
    other = "MDY" if chosen == "DMY" else "DMY"
    if order != "auto":
        why = f"Date Order is {order}: dates are read {way[order]}"
        if evidence[other]:
            why += (f"; {_dates(evidence[other])} cannot be read that way "
                    f"(e.g. {examples[other]})")
        return why
    if evidence["DMY"] == evidence["MDY"] == 0:
        return (f"no date has a day above 12 to tell the order (e.g. {sample}): read "
                f"{way[chosen]}, the order for ambiguous columns ({chosen})")
    if evidence["DMY"] == evidence["MDY"]:
        return (f"as many dates can only be day-first (e.g. {examples['DMY']}) as only "
                f"month-first (e.g. {examples['MDY']}), {evidence['DMY']} each: read "
                f"{way[chosen]}, the order for ambiguous columns ({chosen})")
    why = (f"{_dates(evidence[chosen])} {_have(evidence[chosen])} a {field[chosen]} field above "
           f"12 (e.g. {examples[chosen]})")
    if evidence[other]:
        why += (f"; {evidence[other]} {_have(evidence[other])} a {field[other]} field above 12 "
                f"(e.g. {examples[other]}) and {'is' if evidence[other] == 1 else 'are'} read "
                f"{way[other]}")
    return why


def _dates(n: int) -> str:
    return f"{n} different date" + ("" if n == 1 else "s")


def _have(n: int) -> str:
    return "has" if n == 1 else "have"


def _read(text: str, end_of_period: bool) -> tuple[int, int, int]:
    """One distinct text: (kind, day, day). For _NUMERIC the days are the day-first and the
    month-first reading (_NAT where impossible); otherwise both are the day (or _NAT)."""
    m = _YMD.fullmatch(text)
    if m:
        return _exact(m, int(m["y"]), int(m["m"]), int(m["d"]))
    m = _NUM.fullmatch(text)
    if m:
        if not _time_ok(m):
            return _BAD, _NAT, _NAT
        a, b, y = int(m["a"]), int(m["b"]), _year(m["y"])
        return _NUMERIC, _day(y, b, a), _day(y, a, b)
    m = _MONTH_FIRST.fullmatch(text) or _DAY_FIRST.fullmatch(text)
    if m:
        month = _MONTHS.get(m["mon"].casefold(), 0)
        return _exact(m, _year(m["y"]), month, int(m["d"])) if month else (_BAD, _NAT, _NAT)
    period = _period(text)
    if period:
        day = _period_day(*period[:3], end_of_period)
        return _APPROX, day, day
    return _rare(text)


def _rare(text: str) -> tuple[int, int, int]:
    """Serial numbers typed as text (CSV exports), 20260331, and ISO week dates."""
    if _SERIAL_TEXT.fullmatch(text):
        day = int(_serial_days(np.array([float(text)]))[0])
        return (_EXACT if day != _NAT else _BAD), day, day
    m = _COMPACT.fullmatch(text)
    if m:
        day = _day(int(m["y"]), int(m["m"]), int(m["d"]))
        return (_EXACT if day != _NAT else _BAD), day, day
    if text[:4].isdigit() and len(text) >= 8:
        try:
            day = dt.datetime.fromisoformat(text).date().toordinal() - _UNIX_ORDINAL
        except ValueError:
            return _BAD, _NAT, _NAT
        return _EXACT, day, day
    return _BAD, _NAT, _NAT


def _exact(m: re.Match[str], y: int, month: int, d: int) -> tuple[int, int, int]:
    day = _day(y, month, d) if _time_ok(m) else _NAT
    return (_EXACT if day != _NAT else _BAD), day, day


def _time_ok(m: re.Match[str]) -> bool:
    if m["H"] is None:
        return True
    hour, minute, second = int(m["H"]), int(m["M"]), int(m["S"] or 0)
    return hour <= (12 if m["ampm"] else 23) and minute <= 59 and second <= 59


def _year(text: str) -> int:
    # Two-digit years as strptime's %y reads them: 00-68 are 20xx, 69-99 are 19xx.
    year = int(text)
    if len(text) == 2:
        return year + (2000 if year <= 68 else 1900)
    return year


def _days_in_month(y: int, m: int) -> int:
    if m == 2 and y % 4 == 0 and (y % 100 != 0 or y % 400 == 0):
        return 29
    return _DAYS_IN_MONTH[m]


def _day(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01, or _NAT when there is no such day."""
    if 1 <= y <= 9999 and 1 <= m <= 12 and 1 <= d <= _days_in_month(y, m):
        return dt.date(y, m, d).toordinal() - _UNIX_ORDINAL
    return _NAT


def _period(text: str) -> tuple[int, int, int, str] | None:
    """A month, quarter or half-year: (year, first month, months, what it is), else None."""
    m = _MONTH_YEAR.fullmatch(text)
    if m:
        month = _MONTHS.get(m["mon"].casefold(), 0)
        y = int(m["y"]) if m["y"] else _year(m["yy"] or m["yq"])
        return (y, month, 1, "month") if month else None
    m = _YEAR_MONTH.fullmatch(text) or _MONTH_NUM_YEAR.fullmatch(text)
    if m:
        month = int(m["m"])
        return (int(m["y"]), month, 1, "month") if 1 <= month <= 12 else None
    m = _PERIOD.fullmatch(text)
    if m:
        kind = (m["p1"] or m["p2"] or m["p3"]).upper()
        number = int(m["n1"] or m["n2"] or m["n3"])
        year = int(m["y1"] or m["y2"])
        if kind == "Q":
            return year, 3 * number - 2, 3, "quarter"
        return (year, 6 * number - 5, 6, "half-year") if number <= 2 else None
    return None


def _period_day(y: int, first_month: int, months: int, end_of_period: bool) -> int:
    if not end_of_period:
        return _day(y, first_month, 1)
    last = first_month + months - 1
    return _day(y, last, _days_in_month(y, last)) if 1 <= y <= 9999 else _NAT


def approximate_day(text: str, end_of_period: bool) -> str:
    """Which day a month or quarter was read as, for a warning's message ('the last day of the
    quarter'); "" when `text` is not a period."""
    period = _period(" ".join(str(text).split()))
    if period is None:
        return ""
    return f"the {'last' if end_of_period else 'first'} day of the {period[3]}"


_HINT_MAX = 80  # characters


def bad_date_hint(text: str, order: str) -> str:
    """A short hint for the finding about an unreadable date `text` ("" when there is none to
    give). `order`: the Date Order the column was read with ("auto", "DMY" or "MDY")."""
    s = " ".join(str(text).split())
    if not s or len(s) > _HINT_MAX:  # no date is that long: a note, whatever it says
        return ""
    if _is_fiscal(s):
        return ("fiscal years and fiscal quarters are not read as dates (fiscal years start in "
                "different months): enter the date itself, e.g. 2025-03-31")
    if _PLACEHOLDER.search(s):
        return "leave the cell blank until the date is known"
    m = _NUM.fullmatch(s) or _YMD.fullmatch(s)
    if m and not _time_ok(m):
        return "the time after the date is not a time of day"
    if m and m.re is _NUM:
        return _numeric_hint(int(m["a"]), int(m["b"]), _year(m["y"]), order)
    if m:
        return _no_such_day(int(m["y"]), int(m["m"]), int(m["d"]))
    if re.fullmatch(r"\d{4}", s):
        return "a year alone is not a date: give a month (Dec 2026) or a quarter (Q4 2026)"
    if _SEASON.search(s):
        return "a season is not a date: give a month (Oct 2026) or a quarter (Q4 2026)"
    return _note_after_date(s)


def _is_fiscal(s: str) -> bool:
    if _FISCAL.search(s):
        return True
    # Two consecutive years (2024-25, 22/23, 2024-2025) name a fiscal year.
    for first, second in _YEAR_SPAN.findall(s):
        if (int(first) + 1) % 100 == int(second) % 100:
            return True
    return False


def _numeric_hint(a: int, b: int, y: int, order: str) -> str:
    dmy, mdy = _day(y, b, a) != _NAT, _day(y, a, b) != _NAT
    if order == "DMY" and mdy and not dmy:
        return ("read day-first by Date Order DMY; set Date Order to MDY or auto if this "
                "column is month-first")
    if order == "MDY" and dmy and not mdy:
        return ("read month-first by Date Order MDY; set Date Order to DMY or auto if this "
                "column is day-first")
    if a > 12 and b > 12:
        return "neither of the first two numbers can be the month"
    return _no_such_day(y, a, b) if order == "MDY" else _no_such_day(y, b, a)


def _no_such_day(y: int, m: int, d: int) -> str:
    if not 1 <= m <= 12:
        return f"there is no month {m}"
    if not 1 <= y <= 9999 or 1 <= d <= _days_in_month(y, m):
        return ""
    return f"{_MONTH_NAMES[m]} {y} has {_days_in_month(y, m)} days" if d >= 1 else ""


def _note_after_date(s: str) -> str:
    """'31-Mar-23 (under review)': a date with a remark after it."""
    for i, char in enumerate(s):
        if char in " (" and i >= 6 and _read(s[:i].strip(), False)[0] != _BAD:
            return "a remark follows the date: keep only the date in this cell"
    return ""
