"""Turning raw cell values into typed columns, a whole column at a time.

Registers are kept by people: dates arrive as date cells, Excel serial numbers or text in
many spellings (`pmo_xl.dates`); money as numbers or text with currency symbols, separators
and units (`pmo_xl.money`); percentages as fractions, points or text with a percent sign;
dropdown values in the organisation's own words. Each parser takes the raw cells of one
column (a pandas Series of whatever the reader found) and returns the typed values together
with masks saying which cells were blank, unreadable, or need a warning. Validation turns
those masks into findings; nothing here knows about rows, cells or messages.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .limits import DEFAULT_MAXIMUM_AMOUNT
from .schema import Column, Kind, normalise_word


@dataclass
class Parsed:
    """One column after parsing: typed values plus masks over the same index."""

    values: pd.Series
    blank: pd.Series
    bad: pd.Series
    flags: dict[str, pd.Series] = field(default_factory=dict)
    # What was decided for the column as a whole (e.g. the date order and why), for
    # findings and for `pmo-xl inspect`.
    note: dict[str, object] = field(default_factory=dict)
    # For dropdown columns: the organisation's word in each cell (`values` hold its meaning).
    labels: pd.Series | None = None


@dataclass(frozen=True)
class CellRules:
    """How the cells of one register are read, from the settings in force."""

    date_order: str = "auto"
    fallback_date_order: str = "DMY"
    years: tuple[int, int] = (1990, 2100)
    money_scale: float = 1.0
    currency: str | None = None
    max_amount: float = float(DEFAULT_MAXIMUM_AMOUNT)  # the Maximum Amount setting


def _is_text(raw: pd.Series) -> bool:
    """A column of strings and blanks only (pandas' string dtype)."""
    return isinstance(raw.dtype, pd.StringDtype)


def _is_numeric(raw: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw)


def type_masks(cells: np.ndarray, *groups: tuple[type, ...]) -> list[np.ndarray]:
    """For each group of types, which cells are exactly of one of them (so bool is not int):
    one pass over the cells' types in C, then numpy."""
    code = {kind: i for i, group in enumerate(groups, 1) for kind in group}
    codes = np.fromiter(map(code.get, map(type, cells), itertools.repeat(0)), np.int8,
                        count=len(cells))
    return [codes == i for i in range(1, len(groups) + 1)]


def blank_mask(raw: pd.Series, is_text: np.ndarray | None = None) -> pd.Series:
    """True where a cell is empty or holds only whitespace (`is_text`: which cells are text,
    when the caller knows it already)."""
    if _is_numeric(raw):
        return raw.isna()
    if _is_text(raw):
        return (raw.isna() | (raw.str.strip() == "")).astype(bool)
    obj = raw.astype(object)
    blank = obj.isna()
    if is_text is None:
        [is_text] = type_masks(obj.to_numpy(), (str,))
    if is_text.any():
        blank[is_text] = obj[is_text].str.strip() == ""
    return blank


_PLAIN_NUMBERS = (int, float, np.float64, np.int64)  # bool is not: TRUE is not a number


def _false(index: pd.Index) -> pd.Series:
    return pd.Series(False, index=index)


def parse_text(raw: pd.Series) -> Parsed:
    """Text cells, trimmed; numbers keep their displayed form (1001, not 1001.0)."""
    if _is_text(raw) and raw.dtype.storage == "pyarrow":
        return _arrow_text(raw)
    if _is_text(raw):
        values = raw.str.strip()
        blank = (values.isna() | (values == "")).astype(bool)
        return Parsed(values.where(~blank), blank, _false(raw.index))
    obj = raw.astype(object)
    blank = blank_mask(obj)
    values = obj.map(_number_text, na_action="ignore").astype(str).str.strip().where(~blank)
    return Parsed(values.astype(object), blank, _false(raw.index))


def _arrow_text(raw: pd.Series) -> Parsed:
    """`parse_text` of Arrow-backed strings in pyarrow's kernels (the reader's text columns):
    a quarter of the time pandas' string methods take."""
    trimmed = pc.utf8_trim_whitespace(pa.array(raw.array))
    empty = pc.equal(trimmed, "")
    if pc.any(empty).as_py():
        trimmed = pc.if_else(empty, pa.scalar(None, trimmed.type), trimmed)
    blank = pd.Series(np.asarray(pc.is_null(trimmed)), index=raw.index, name=raw.name)
    values = pd.Series(trimmed, index=raw.index, dtype=raw.dtype, name=raw.name)
    return Parsed(values, blank, _false(raw.index))


_WHOLE_TEXT_MAX = 1e15  # beyond, a float's digits are noise: 1E+308 is not 309 digits


def _number_text(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < _WHOLE_TEXT_MAX else f"{value:.15g}"
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        # isoformat, not .date(): a pandas Timestamp beyond year 9999 has no datetime.date.
        return value.isoformat().split("T")[0]
    return value


def parse_enum(raw: pd.Series, column: Column) -> Parsed:
    """The vocabulary's words (trimmed, case-insensitive, plus spellings such as G/A/R):
    `values` are the words' canonical meanings, `labels` the words themselves."""
    vocabulary = column.vocabulary
    assert vocabulary is not None, column.name
    lookup = vocabulary.lookup()
    text = parse_text(raw)
    # Map each distinct spelling once, then spread the answers back over the rows as
    # Categoricals (-1, i.e. missing, for blanks and unknown spellings).
    codes, distinct = pd.factorize(text.values)
    word_at = {word: i for i, word in enumerate(vocabulary.words)}
    words = [word_at.get(lookup.get(normalise_word(v)), -1) for v in distinct]
    categories = vocabulary.categories()
    meaning_at = {meaning: i for i, meaning in enumerate(categories)}
    meaning_of_word = [meaning_at.get(m, -1) if m is not None else -1
                       for m in vocabulary.meanings]
    word_codes = np.array([*words, -1], dtype=np.int16)[codes]
    meaning_codes = np.array([*(meaning_of_word[w] if w >= 0 else -1 for w in words), -1],
                             dtype=np.int16)[codes]
    values = pd.Series(pd.Categorical.from_codes(meaning_codes, categories=categories),
                       index=raw.index)
    labels = pd.Series(pd.Categorical.from_codes(word_codes, categories=vocabulary.words),
                       index=raw.index)
    bad = pd.Series(word_codes < 0, index=raw.index) & ~text.blank
    return Parsed(values, text.blank, bad, labels=labels)


def parse_percent(raw: pd.Series) -> Parsed:
    """Fractions (0.45), text with a sign (45%), or points (45, read as 45 % with a warning)."""
    signed = _false(raw.index)
    if _is_numeric(raw):
        number = raw.astype(float)
        blank = number.isna()
        return _percent(number, blank, number.isna() & ~blank, signed)
    obj = raw.astype(object)
    is_number, is_text = type_masks(obj.to_numpy(), _PLAIN_NUMBERS, (str,))
    blank = blank_mask(obj, is_text)
    number = pd.Series(np.nan, index=raw.index, dtype=float)
    numbers = is_number & ~blank.to_numpy()
    number[numbers] = _as_floats(obj[numbers])

    text = pd.Series(is_text, index=raw.index) & ~blank
    if text.any():
        stripped = obj[text].str.replace(r"\s", "", regex=True)
        has_sign = stripped.str.endswith("%")
        figures = pd.to_numeric(stripped.str.rstrip("%").str.replace(",", "."), errors="coerce")
        number[text] = figures.where(~has_sign, figures / 100)
        signed[text] = has_sign
    return _percent(number, blank, number.isna() & ~blank, signed)


def _as_floats(cells: pd.Series) -> np.ndarray:
    try:
        return cells.to_numpy().astype(float)
    except (OverflowError, TypeError, ValueError):  # a Python int beyond float range
        return pd.to_numeric(cells).astype(float).to_numpy()


def _percent(number: pd.Series, blank: pd.Series, bad: pd.Series, signed: pd.Series) -> Parsed:
    points = ~signed & (number > 1) & (number <= 100)
    fraction = number.where(~points, number / 100)
    out_of_range = (fraction < 0) | (fraction > 1)
    values = fraction.where(~out_of_range)
    return Parsed(values, blank, bad, {"points": points, "out_of_range": out_of_range})


def parse_integer(raw: pd.Series, maximum: int | None = None) -> Parsed:
    """Whole numbers, from number cells or text; with `maximum`, from 0 to it (the others
    are flagged out of range, and no figure uses them)."""
    obj = raw.astype(object)
    blank = blank_mask(obj)
    number = pd.to_numeric(obj.astype(str).str.strip().where(~blank), errors="coerce")
    whole = number.where(number.mod(1) == 0)
    bad = whole.isna() & ~blank
    if maximum is None:
        return Parsed(whole, blank, bad)
    out_of_range = (whole < 0) | (whole > maximum)
    return Parsed(whole.where(~out_of_range), blank, bad, {"out_of_range": out_of_range})


def parse_column(raw: pd.Series, column: Column, rules: CellRules = CellRules(),
                 scale: float | None = None) -> Parsed:
    """Parse one column by its declared kind. `scale` is the money unit the column's header
    declares (it wins over the Money Unit setting for that column)."""
    if column.kind is Kind.DATE:
        from .dates import parse_dates

        return parse_dates(raw, rules.date_order, rules.fallback_date_order,
                           end_of_period=column.period_end, years=rules.years)
    if column.kind is Kind.MONEY:
        from .money import parse_money

        parsed = parse_money(raw, scale=rules.money_scale if scale is None else scale,
                             currency=rules.currency)
        # A negative amount, or one beyond the Maximum Amount (a typo, or 1E+308 whose sums
        # would overflow), is an error: like an unreadable one, no figure may use it.
        too_large = parsed.values > rules.max_amount
        parsed.flags["too_large"] = too_large
        parsed.values = parsed.values.where(~(parsed.flags["negative"] | too_large))
        return parsed
    if column.kind is Kind.PERCENT:
        return parse_percent(raw)
    if column.kind is Kind.ENUM:
        return parse_enum(raw, column)
    if column.kind is Kind.INTEGER:
        return parse_integer(raw, column.maximum)
    return parse_text(raw)
