"""Turning raw cell values into typed columns, a whole column at a time.

Registers are kept by people: dates arrive as date cells, Excel serial numbers or text in
several spellings; money as numbers or text with currency symbols and separators; percentages
as fractions, points or text with a percent sign. Each parser takes the raw cells of one column
(a pandas Series of whatever the reader found) and returns the typed values together with masks
saying which cells were blank, unreadable, or need a warning. Validation turns those masks into
findings; nothing here knows about rows, cells or messages.
"""

from __future__ import annotations

import datetime as dt
import re
from contextlib import suppress
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .schema import Column, Kind

_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
# Serial numbers Excel can show as dates in a plausible register: 1927-05-18 .. 2173-10-14.
_SERIAL_RANGE = (10_000, 100_000)
_YEAR_RANGE = (1900, 2199)
_NAMED_MONTH_FORMATS = (
    "%d-%b-%Y", "%d %b %Y", "%d-%B-%Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y",
    "%d-%b-%y", "%d %b %y",
)
_NUMERIC_FORMATS = {
    "DMY": ("%d/%m/%Y", "%d/%m/%y"),
    "MDY": ("%m/%d/%Y", "%m/%d/%y"),
}
_CURRENCY = r"[€$£¥₹]|\b[A-Za-z]{3}\b"
_THOUSANDS_DOT = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+,\d{1,2}"
_THOUSANDS_COMMA = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"


@dataclass
class Parsed:
    """One column after parsing: typed values plus masks over the same index."""

    values: pd.Series
    blank: pd.Series
    bad: pd.Series
    flags: dict[str, pd.Series] = field(default_factory=dict)


def _is_text(raw: pd.Series) -> bool:
    """A column of strings and blanks only (pandas' string dtype)."""
    return isinstance(raw.dtype, pd.StringDtype)


def _is_numeric(raw: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw)


def blank_mask(raw: pd.Series, types: pd.Series | None = None) -> pd.Series:
    """True where a cell is empty or holds only whitespace (`types`: the cells' types, when
    the caller has them already)."""
    if _is_numeric(raw):
        return raw.isna()
    if _is_text(raw):
        return (raw.isna() | (raw.str.strip() == "")).astype(bool)
    obj = raw.astype(object)
    blank = obj.isna()
    is_text = (types if types is not None else _cell_types(obj)).isin((str,))
    if is_text.any():
        blank[is_text] = obj[is_text].str.strip() == ""
    return blank


def _cell_types(raw: pd.Series) -> pd.Series:
    return raw.astype(object).map(type)


def _numbers(raw: pd.Series, types: pd.Series) -> pd.Series:
    """Mask of real numeric cells (bool is excluded: TRUE is not a number in a register)."""
    return types.isin((int, float, np.float64, np.int64)) & raw.astype(object).notna()


def _false(index: pd.Index) -> pd.Series:
    return pd.Series(False, index=index)


def parse_text(raw: pd.Series) -> Parsed:
    """Text cells, trimmed; numbers keep their displayed form (1001, not 1001.0)."""
    if _is_text(raw):
        values = raw.str.strip()
        blank = (values.isna() | (values == "")).astype(bool)
        return Parsed(values.where(~blank), blank, _false(raw.index))
    obj = raw.astype(object)
    blank = blank_mask(obj)
    values = obj.map(_number_text, na_action="ignore").astype(str).str.strip().where(~blank)
    return Parsed(values.astype(object), blank, _false(raw.index))


def _number_text(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    return value


def parse_enum(raw: pd.Series, column: Column) -> Parsed:
    """Allowed values, trimmed and case-insensitive, plus the column's shorthand (G/A/R)."""
    lookup = {" ".join(v.split()).casefold(): v for v in column.allowed}
    lookup.update(column.shorthand)
    text = parse_text(raw)
    # Map each distinct spelling once, then spread the answers back over the rows as a
    # Categorical of the allowed values (-1, i.e. missing, for blanks and unknown spellings).
    codes, distinct = pd.factorize(text.values)
    position = {value: i for i, value in enumerate(column.allowed)}
    known = [position.get(lookup.get(" ".join(str(v).split()).casefold()), -1)
             for v in distinct]
    category_codes = np.array([*known, -1], dtype=np.int8)[codes]
    values = pd.Series(pd.Categorical.from_codes(category_codes, categories=column.allowed),
                       index=raw.index)
    bad = pd.Series(category_codes < 0, index=raw.index) & ~text.blank
    return Parsed(values, text.blank, bad)


def parse_dates(raw: pd.Series, date_order: str = "DMY") -> Parsed:
    """Date cells, Excel serial numbers, and text dates (ISO, 31-Mar-2026, 31/03/2026 ...)."""
    if _is_text(raw):
        blank = blank_mask(raw)
        text = ~blank
        values = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us]")
        if text.any():
            values[text] = _parse_text_dates(raw[text].str.strip(), date_order)
        return _checked_dates(values, blank)
    obj = raw.astype(object)
    if pd.api.types.infer_dtype(obj, skipna=True) in ("date", "datetime", "empty"):
        blank = obj.isna()
        values = pd.to_datetime(obj, errors="coerce").dt.normalize().astype("datetime64[us]")
        return _checked_dates(values, blank)
    # A mix: date cells with some numbers or text among them. Each kind is converted on its
    # own and merged with where(), which keeps the common case (mostly dates) fast.
    types = _cell_types(obj)
    blank = blank_mask(obj, types)
    native = types.isin((dt.date, dt.datetime, pd.Timestamp))
    values = pd.to_datetime(obj.where(native), errors="coerce").dt.normalize()
    values = values.astype("datetime64[us]")

    serial = _numbers(obj, types) & ~blank
    if serial.any():
        days = pd.to_numeric(obj[serial]).astype(float)
        in_range = days.between(*_SERIAL_RANGE)
        stamps = _EXCEL_EPOCH + pd.to_timedelta(days.where(in_range).floordiv(1), unit="D")
        values = values.where(~serial, stamps.reindex(values.index))

    text = types.isin((str,)) & ~blank
    if text.any():
        parsed = _parse_text_dates(obj[text].str.strip(), date_order)
        values = values.where(~text, parsed.reindex(values.index))

    return _checked_dates(values, blank)


def _checked_dates(values: pd.Series, blank: pd.Series) -> Parsed:
    values = values.where(values.dt.year.between(*_YEAR_RANGE))
    return Parsed(values, blank, values.isna() & ~blank)


def _parse_text_dates(text: pd.Series, date_order: str) -> pd.Series:
    # Text dates repeat (and so do typos such as 'TBC'): parse each distinct spelling once,
    # in plain Python, which beats pandas' per-call overhead for the few spellings there are.
    codes, distinct = pd.factorize(text)
    formats = _NUMERIC_FORMATS[date_order]
    parsed = [_parse_date_text(value, formats) for value in distinct]
    stamps = pd.to_datetime(pd.Series([*parsed, None], dtype=object), errors="coerce")
    return pd.Series(stamps.to_numpy()[codes], index=text.index).astype("datetime64[us]")


def _parse_date_text(text: str, numeric_formats: tuple[str, ...]) -> dt.datetime | None:
    """One text date: ISO, a named month (31-Mar-2026), or day/month/year by Date Order."""
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        pass
    for fmt in _NAMED_MONTH_FORMATS:
        with suppress(ValueError):
            return dt.datetime.strptime(text, fmt)
    numeric = re.sub(r"[.\-]", "/", text)
    for fmt in numeric_formats:
        with suppress(ValueError):
            return dt.datetime.strptime(numeric, fmt)
    return None


def parse_money(raw: pd.Series) -> Parsed:
    """Numbers, or text such as €1,250,000 / 1,250,000.00 / 1.250.000,00 / (1,200)."""
    if _is_numeric(raw):
        values = raw.astype(float)
        return Parsed(values, values.isna(), _false(raw.index), {"negative": values < 0})
    obj = raw.astype(object)
    blank = blank_mask(obj)
    types = _cell_types(obj)
    values = pd.Series(np.nan, index=raw.index, dtype=float)
    numbers = _numbers(obj, types) & ~blank
    values[numbers] = pd.to_numeric(obj[numbers]).astype(float)
    text = types.isin((str,)) & ~blank
    if text.any():
        values[text] = _parse_money_text(obj[text])
    bad = values.isna() & ~blank
    negative = values < 0
    return Parsed(values, blank, bad, {"negative": negative})


def _parse_money_text(text: pd.Series) -> pd.Series:
    cleaned = (
        text.str.replace(_CURRENCY, "", regex=True)
        .str.replace(r"[\s\u00a0'’]", "", regex=True)
    )
    parens = cleaned.str.fullmatch(r"\(.*\)")
    minus = cleaned.str.startswith("-")
    digits = cleaned.str.strip("()").str.lstrip("-")
    european = digits.str.fullmatch(_THOUSANDS_DOT)
    usual = digits.str.fullmatch(_THOUSANDS_COMMA)
    plain = digits.where(~european, digits.str.replace(".", "").str.replace(",", "."))
    plain = plain.where(european, plain.str.replace(",", ""))
    amount = pd.to_numeric(plain.where(european | usual), errors="coerce")
    return amount.where(~(parens | minus), -amount)


def parse_percent(raw: pd.Series) -> Parsed:
    """Fractions (0.45), text with a sign (45%), or points (45, read as 45 % with a warning)."""
    signed = _false(raw.index)
    if _is_numeric(raw):
        number = raw.astype(float)
        blank = number.isna()
        return _percent(number, blank, number.isna() & ~blank, signed)
    obj = raw.astype(object)
    blank = blank_mask(obj)
    types = _cell_types(obj)
    number = pd.Series(np.nan, index=raw.index, dtype=float)
    numbers = _numbers(obj, types) & ~blank
    number[numbers] = pd.to_numeric(obj[numbers]).astype(float)

    text = types.isin((str,)) & ~blank
    if text.any():
        stripped = obj[text].str.replace(r"\s", "", regex=True)
        has_sign = stripped.str.endswith("%")
        figures = pd.to_numeric(stripped.str.rstrip("%").str.replace(",", "."), errors="coerce")
        number[text] = figures.where(~has_sign, figures / 100)
        signed[text] = has_sign
    return _percent(number, blank, number.isna() & ~blank, signed)


def _percent(number: pd.Series, blank: pd.Series, bad: pd.Series, signed: pd.Series) -> Parsed:
    points = ~signed & (number > 1) & (number <= 100)
    fraction = number.where(~points, number / 100)
    out_of_range = (fraction < 0) | (fraction > 1)
    values = fraction.where(~out_of_range)
    return Parsed(values, blank, bad, {"points": points, "out_of_range": out_of_range})


def parse_integer(raw: pd.Series) -> Parsed:
    """Whole numbers, from number cells or text."""
    obj = raw.astype(object)
    blank = blank_mask(obj)
    number = pd.to_numeric(obj.astype(str).str.strip().where(~blank), errors="coerce")
    whole = number.where(number.mod(1) == 0)
    return Parsed(whole, blank, whole.isna() & ~blank)


def parse_column(raw: pd.Series, column: Column, date_order: str = "DMY") -> Parsed:
    """Parse one column by its declared kind."""
    if column.kind is Kind.DATE:
        return parse_dates(raw, date_order)
    if column.kind is Kind.MONEY:
        return parse_money(raw)
    if column.kind is Kind.PERCENT:
        return parse_percent(raw)
    if column.kind is Kind.ENUM:
        return parse_enum(raw, column)
    if column.kind is Kind.INTEGER:
        return parse_integer(raw)
    return parse_text(raw)
