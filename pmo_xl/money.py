"""Reading a register's money columns: amounts as numbers or as text, in the register's currency.

Amounts arrive as number cells, or as text written the way the register's author writes money:
`$3,794,700`, `1.250.000,00 €`, `1 250 000`, `1'250'000.-`, `(1,200)`, `3.5m`, `1,2 Mio`.
`parse_money` reads one column of them at a time into a `Parsed`:

* a plain number counts in the register's money unit (`scale`: 1e6 when amounts are millions);
  a suffix (k, m, bn, Mio, Mrd, million ...) states its own unit, so `scale` does not apply;
* the decimal mark of `1,250` or `1.250` (three digits after the only separator) is decided per
  column from the amounts whose mark is plain; with none it is a thousands separator;
* an amount marked with a currency (symbol or ISO code) that cannot be the register's is left
  out of the values and flagged `other_currency`: money of two currencies is never summed.

`header_money_unit` reads the unit a header declares (`Budget (£m)`, `Cost_kEUR`), which wins
over the register's Money Unit for its column.

Speed: number cells are converted as whole columns; each distinct text is read once in plain
Python and the results are spread back over the rows by index.
"""

from __future__ import annotations

import decimal
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .parsing import Parsed, type_masks

MONEY_UNITS = {"units": 1.0, "thousands": 1e3, "millions": 1e6, "billions": 1e9}
FLAGS = ("negative", "other_currency")

# ISO 4217 codes in use. Codes that are also English words (ALL, TOP, CUP, PEN ...) are not
# taken from a header outside brackets: "Budget ALL" is not a budget in Albanian lek.
_ISO_TEXT = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
    BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR
    FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD
    JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT
    MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG
    QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB
    TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF
    YER ZAR ZMW ZWG ZWL
"""
_ISO_CODES = frozenset(_ISO_TEXT.split())
_WORDLIKE_CODES = frozenset({"ALL", "TOP", "CUP", "PEN", "SOS", "MOP", "BOB", "NIO", "MAD",
                             "BAM", "GEL", "LAK", "PAB", "TRY", "SAR", "ANG"})
_DOLLARS = ("USD CAD AUD NZD SGD HKD MXN ARS CLP COP CUP CUC DOP UYU TWD BSD BBD BZD BMD BND "
            "KYD FJD GYD JMD LRD NAD SBD SRD TTD XCD ZWL ZWG")
_POUNDS = "GBP EGP FKP GIP SHP SSP SYP LBP SDG"
_FRANCS = "CHF XOF XAF XPF GNF RWF BIF KMF DJF CDF"
# Currency symbols (as they are usually written, then other spellings) and the ISO codes each
# can stand for: `$` fits any dollar or peso, `kr` any Nordic krona/krone.
_SYMBOL_TABLE: tuple[tuple[tuple[str, ...], str], ...] = (
    (("$",), _DOLLARS), (("US$", "U$S"), "USD"), (("C$", "CA$", "Can$"), "CAD NIO"),
    (("A$", "AU$"), "AUD"), (("NZ$",), "NZD"), (("S$", "SG$"), "SGD"), (("HK$",), "HKD"),
    (("MX$", "Mex$"), "MXN"), (("R$",), "BRL"), (("NT$",), "TWD"), (("£",), _POUNDS),
    (("€",), "EUR"), (("¥", "￥"), "JPY CNY"), (("円",), "JPY"), (("元", "RMB"), "CNY"),
    (("₹",), "INR"), (("Rs", "Rs.", "₨"), "INR PKR LKR NPR MUR SCR"),
    (("kr", "kr.", "kr:"), "SEK NOK DKK ISK"), (("Fr.", "Fr"), _FRANCS),
    (("SFr.", "SFr"), "CHF"), (("₩",), "KRW"), (("₽",), "RUB"), (("₺",), "TRY"),
    (("₪",), "ILS"), (("₫",), "VND"), (("₱",), "PHP"), (("฿",), "THB"), (("₦",), "NGN"),
    (("₴",), "UAH"), (("zł",), "PLN"), (("Kč",), "CZK"), (("Ft",), "HUF"), (("R",), "ZAR"),
    (("RM",), "MYR"), (("Rp",), "IDR"), (("lei",), "RON"), (("₡",), "CRC"), (("₲",), "PYG"),
    (("₵",), "GHS"), (("₸",), "KZT"), (("₼",), "AZN"), (("₾",), "GEL"), (("лв",), "BGN"),
)
_SYMBOLS: dict[str, tuple[str, frozenset[str]]] = {
    spelling.casefold(): (spellings[0], frozenset(codes.split()))
    for spellings, codes in _SYMBOL_TABLE for spelling in spellings
}

# Suffixes that state an amount's unit (either case, so M and m are both millions).
_SCALES = {
    **dict.fromkeys(("k", "thousand", "thousands", "tsd", "tsd."), 1e3),
    **dict.fromkeys(("m", "mm", "mn", "mln", "mio", "mio.", "million", "millions", "millionen"),
                    1e6),
    **dict.fromkeys(("b", "bn", "bln", "billion", "billions", "mrd", "mrd.", "md", "mds",
                     "milliard", "milliards", "milliarde", "milliarden"), 1e9),
    **dict.fromkeys(("lakh", "lakhs"), 1e5), **dict.fromkeys(("crore", "crores"), 1e7),
}
# How headers write thousands besides the suffixes: (000s), ('000), T in TEUR.
_HEADER_SCALES = {**_SCALES, **dict.fromkeys(
    ("000", "000s", "'000", "'000s", "’000", "’000s", "‘000", "‘000s"), 1e3)}
# Scales a header may show outside brackets on their own: words, never a lone letter.
_WORD_SCALES = frozenset(s for s in _HEADER_SCALES if len(s) > 2 and s not in ("mln", "bln"))

_MONEY = re.compile(
    r"(?P<s1>[-+−–])?\s*"
    r"(?P<pre>[^\d\s.,'’()+\-−–][^\d\s,'’()+\-−–]*?)?\s*"
    r"(?P<s2>[-+−–])?\s*"
    r"(?P<open>\()?\s*"
    r"(?P<num>\d(?:[\d.,'’ ]*\d)?|[.,]\d+)"
    r"(?:[eE](?P<exp>[+-]?\d+))?"
    r"(?P<dash>[.,][-–])?"  # 1.000,- and 1'000.-: whole amounts
    r"\s*(?(open)\))"
    r"\s*(?P<post>[^\d()+\-−–]*?)"
    r"\s*(?P<s3>[-−–])?"  # 1.200,00- (a trailing minus, as accounting exports write it)
)
_GROUPED_LAST = re.compile(r"(\d{3})(?:([.,])(\d+))?")
_COMMA_GROUPS = re.compile(r"\d{1,3}(?:,\d{3})+")
_DOT_GROUPS = re.compile(r"\d{1,3}(?:\.\d{3})+")
_PLAIN = re.compile(r"\d+(?:\.\d+)?")
_BRACKETS = re.compile(r"[(\[]([^()\[\]]*)[)\]]")

# What the separator of a number says about the decimal mark (_MAYBE_x is _x + 2).
_NO_MARK, _DOT, _COMMA, _MAYBE_DOT, _MAYBE_COMMA = 0, 1, 2, 3, 4
_NUMBER_TYPES = (int, float, np.int64, np.float64, np.int32, np.float32, decimal.Decimal)


@dataclass(frozen=True)
class HeaderUnit:
    """The money unit a header declares: amounts in the column are multiplied by `scale`;
    `currency` is the ISO code, or the symbol when it can stand for several ('$', '£');
    `text` is what in the header declared it, e.g. "(£m)"."""

    scale: float
    currency: str | None
    text: str


# One distinct text, read: (number, its reading with the other decimal mark when the column
# decides, what it shows of the decimal mark, its own unit (nan: the column's), sign, currency
# as shown in notes, whether that currency can be the register's). A plain tuple: readers
# build one per distinct text, and a tuple is several times cheaper to make than a class.
_Amount = tuple[float, float, int, float, float, str | None, bool]
_NOT_AN_AMOUNT: _Amount = (np.nan, np.nan, _NO_MARK, np.nan, 1.0, None, True)
# The usual shapes, read without the general pattern: $3,794,700 / (1,200) / -12.5 / 2359288.62.
_USUAL = re.compile(r"(\(|-)?([$€£¥₹]?)(\d{1,3}(?:,\d{3}){2,}|\d+)(\.\d+)?(\)?)")


def parse_money(raw: pd.Series, *, scale: float = 1.0, currency: str | None = None) -> Parsed:
    """Money cells of one column: numbers (times `scale`) or text amounts.

    `scale`: what a plain number counts (MONEY_UNITS, or a header's unit). `currency`: the
    register's ISO code or a symbol; an amount written in a currency that cannot be it is not
    a value but flagged `other_currency`; None accepts every currency.
    """
    if not (math.isfinite(scale) and scale > 0):
        raise ValueError(f"a money scale must be a positive number, not {scale!r}")
    n = len(raw)
    values = np.full(n, np.nan)
    other = np.zeros(n, bool)
    note: dict[str, object] = {"scale": scale, "currencies": {}, "decimal_mark": None}
    kind = _column_kind(raw)
    if kind == "numeric":
        blank = raw.isna().to_numpy()
        values = _scaled(raw.to_numpy(dtype=float, na_value=np.nan), scale)
    elif kind == "empty":
        blank = raw.isna().to_numpy()
    elif kind == "text":
        blank, note = _text_into(values, other, raw.to_numpy(dtype=object), None, scale,
                                 currency)
    else:
        blank, note = _mixed_into(values, other, raw.to_numpy(dtype=object), scale, currency)
    return _finish(raw.index, values, blank, other, note)


def _column_kind(raw: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(raw):
        return "mixed"  # TRUE is not an amount: each cell is bad
    if pd.api.types.is_numeric_dtype(raw):
        return "numeric"
    if isinstance(raw.dtype, pd.StringDtype):
        return "text"
    inferred = pd.api.types.infer_dtype(raw, skipna=True)
    return {"string": "text", "empty": "empty"}.get(inferred, "mixed")


def _scaled(numbers: np.ndarray, scale: float) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        return numbers * scale


def _finish(index: pd.Index, values: np.ndarray, blank: np.ndarray, other: np.ndarray,
            note: dict[str, object]) -> Parsed:
    # Anything that is not a finite amount (inf, overflow, unreadable) is no value.
    values = np.where(np.isfinite(values), values, np.nan)
    bad = ~blank & np.isnan(values) & ~other
    flags = {"negative": pd.Series(values < 0, index=index),
             "other_currency": pd.Series(other & ~blank, index=index)}
    return Parsed(pd.Series(values, index=index), pd.Series(blank, index=index),
                  pd.Series(bad, index=index), flags, note)


def _mixed_into(values: np.ndarray, other: np.ndarray, cells: np.ndarray, scale: float,
                currency: str | None) -> tuple[np.ndarray, dict[str, object]]:
    """A column of several kinds: number cells and text converted each on their own."""
    is_number, is_text = type_masks(cells, _NUMBER_TYPES, (str,))
    blank = _missing(cells)
    numbers = is_number & ~blank
    if numbers.any():
        values[numbers] = _scaled(_floats(cells[numbers]), scale)
    text = is_text & ~blank
    note: dict[str, object] = {"scale": scale, "currencies": {}, "decimal_mark": None}
    if text.any():
        blank_text, note = _text_into(values, other, cells, text, scale, currency)
        blank[text] = blank_text
    return blank, note


def _floats(cells: np.ndarray) -> np.ndarray:
    try:
        return cells.astype(float)
    except (OverflowError, ValueError, ArithmeticError):
        # A Python int beyond float range, or Decimal('sNaN'): not an amount.
        return np.array([_float(cell) for cell in cells])


def _float(cell: object) -> float:
    try:
        return float(cell)  # type: ignore[arg-type]
    except (OverflowError, ValueError, ArithmeticError):
        return np.nan


def _missing(cells: np.ndarray) -> np.ndarray:
    """pd.isna, which raises on Decimal('sNaN'); such a cell is not blank (it is bad)."""
    try:
        return pd.isna(cells)
    except ArithmeticError:
        return np.array([not (isinstance(c, decimal.Decimal) and c.is_snan()) and pd.isna(c)
                         for c in cells], dtype=bool)


def _text_into(values: np.ndarray, other: np.ndarray, cells: np.ndarray,
               where: np.ndarray | None, scale: float,
               currency: str | None) -> tuple[np.ndarray, dict[str, object]]:
    """Read the text cells (all of `cells`, or where `where` is True) into `values` and
    `other`; return which of them are blank and the column's note."""
    subset = cells if where is None else cells[where]
    codes, distinct = pd.factorize(subset)
    allowed = _codes_of(currency) if currency else None
    amounts = [_usual(text, allowed) or _read(text, allowed) for text in map(str, distinct)]
    amounts = amounts or [_NOT_AN_AMOUNT]
    number, alternative, marks, factor, sign, currencies, fits = (np.array(a) for a in
                                                                  zip(*amounts, strict=True))
    mark = _decimal_mark(marks)
    # 1,250 under a decimal comma is 1.25; else the comma groups thousands (the old reading).
    number = np.where(marks == mark + 2, alternative, number) if mark else number
    with np.errstate(over="ignore", invalid="ignore"):
        found = sign * number * np.where(np.isnan(factor), scale, factor)
    found = np.append(np.where(np.isfinite(found), found, np.nan), np.nan)
    mismatch = np.append(~fits.astype(bool), False) & ~np.isnan(found)
    target = slice(None) if where is None else where
    values[target] = np.where(mismatch, np.nan, found)[codes]
    other[target] = mismatch[codes]
    blank_distinct = np.array([not str(t).strip() for t in distinct] + [True])
    note = {"scale": scale, "currencies": _currency_counts(codes, currencies, found),
            "decimal_mark": {_DOT: ".", _COMMA: ","}.get(mark)}
    return blank_distinct[codes], note


def _decimal_mark(marks: np.ndarray) -> int:
    """The column's decimal mark, from the amounts that show it plainly (_NO_MARK: a tie)."""
    dots, commas = int((marks == _DOT).sum()), int((marks == _COMMA).sum())
    return _DOT if dots > commas else _COMMA if commas > dots else _NO_MARK


def _currency_counts(codes: np.ndarray, currencies: np.ndarray,
                     found: np.ndarray) -> dict[str, int]:
    """Rows per currency mark, among the amounts that were read."""
    counts = np.bincount(codes[codes >= 0], minlength=len(currencies))
    seen: dict[str, int] = {}
    for shown, count, amount in zip(currencies, counts, found, strict=False):
        if shown is not None and count and not np.isnan(amount):
            seen[shown] = seen.get(shown, 0) + int(count)
    return seen


def _usual(text: str, allowed: frozenset[str] | None) -> _Amount | None:
    """The usual shapes of amounts, read fast (most amounts in a column are distinct, so this
    runs once per cell); None: leave it to `_read`, which reads every shape the same way."""
    m = _USUAL.fullmatch(text)
    if m is None:
        return None
    lead, symbol, whole, fraction, close = m.groups()
    if (lead == "(") != bool(close):
        return None
    if fraction is None:
        number, mark = float(whole.replace(",", "")), _DOT if "," in whole else _NO_MARK
    elif len(fraction) == 4 and "," not in whole and len(whole) <= 3 and whole[0] != "0":
        return None  # 1.250: a decimal mark or a thousands separator, which _read settles
    else:
        number, mark = float(whole.replace(",", "") + fraction), _DOT
    sign = -1.0 if lead else 1.0
    if not symbol:
        return number, np.nan, mark, np.nan, sign, None, True
    shown, codes = _SYMBOLS[symbol]
    return number, np.nan, mark, np.nan, sign, shown, allowed is None or bool(codes & allowed)


def _read(text: str, allowed: frozenset[str] | None) -> _Amount:
    """One distinct text as an amount (_NOT_AN_AMOUNT when it is not one)."""
    if "\u00a0" in text or "\u202f" in text or "  " in text:
        text = " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())
    negative = 0
    if text[:1] == "(" and text[-1:] == ")":
        text, negative = text[1:-1].strip(), 1
    m = _MONEY.fullmatch(text)
    if m is None:
        return _NOT_AN_AMOUNT
    s1, pre, s2, opened, num, exp, dash, post, s3 = m.groups()
    negative += (s1 == "-" or s1 == "−" or s1 == "–") + (s2 is not None and s2 != "+")
    negative += (s3 is not None) + (opened is not None)
    if negative > 1 or (s1 and s2) or (s3 and (s1 or s2)):
        return _NOT_AN_AMOUNT
    number = (float(num), _NO_MARK, np.nan) if num.isdigit() and not (exp or dash) \
        else _number_of(num, exp, dash)
    suffix = _suffix(post) if post else (np.nan, None)
    if number is None or suffix is None:
        return _NOT_AN_AMOUNT
    after = suffix[1]
    if pre is None and after is None:
        currency = None
    else:
        currency = _mark(pre or after) if not (pre and after) else _currency_of([pre, after])
        if currency is None:
            return _NOT_AN_AMOUNT
    fits = currency is None or allowed is None or bool(currency[1] & allowed)
    return (number[0], number[2], number[1], suffix[0], -1.0 if negative else 1.0,
            currency[0] if currency else None, fits)


def _number_of(num: str, exp: str | None, dash: str | None) -> tuple[float, int, float] | None:
    """The number of a money text: (reading, what it shows of the decimal mark, the reading
    with the other decimal mark)."""
    if exp is not None:
        if dash or not _PLAIN.fullmatch(num):
            return None
        return float(f"{num}e{exp}"), _NO_MARK, np.nan
    number = _number(num)
    if number is None or not dash:
        return number
    # '1.000,-': the dash's mark is the decimal mark and the number has no decimals.
    decimal_mark = _DOT if dash[0] == "." else _COMMA
    if number[1] in (_DOT, _COMMA) and number[1] != decimal_mark or dash[0] in num:
        return None
    return number[0], decimal_mark, np.nan


def _number(num: str) -> tuple[float, int, float] | None:
    """Digits with separators: 1,250,000.00 / 1.250.000,00 / 1 250 000 / 12,5 / 1,250."""
    if " " in num or "'" in num or "’" in num:
        return _grouped(num)
    dots, commas = num.count("."), num.count(",")
    if dots and commas:
        decimal_mark = "." if num.rfind(".") > num.rfind(",") else ","
        whole, _, fraction = num.rpartition(decimal_mark)
        groups = _COMMA_GROUPS if decimal_mark == "." else _DOT_GROUPS
        if not fraction or not groups.fullmatch(whole):
            return None
        plain = whole.replace(",", "").replace(".", "")
        return float(f"{plain}.{fraction}"), _DOT if decimal_mark == "." else _COMMA, np.nan
    if dots + commas > 1:
        # A repeated separator groups thousands, so the other one is the decimal mark.
        sep, groups = (".", _DOT_GROUPS) if dots else (",", _COMMA_GROUPS)
        if not groups.fullmatch(num):
            return None
        return float(num.replace(sep, "")), _COMMA if sep == "." else _DOT, np.nan
    sep = "." if dots else ","
    whole, _, fraction = num.partition(sep)
    if not fraction:
        return float(num), _NO_MARK, np.nan
    decimal_reading = float(f"{whole or '0'}.{fraction}")
    if len(fraction) == 3 and 1 <= len(whole) <= 3 and whole[0] != "0":
        # 1,250 or 1.250: a thousands separator or a decimal mark; the column decides.
        return float(whole + fraction), _MAYBE_DOT if sep == "." else _MAYBE_COMMA, \
            decimal_reading
    return decimal_reading, _DOT if sep == "." else _COMMA, np.nan


def _grouped(num: str) -> tuple[float, int, float] | None:
    """1 250 000 and 1'250'000.50: spaces or apostrophes between groups of three."""
    groups = re.split(r" |'|’", num)
    last = _GROUPED_LAST.fullmatch(groups[-1])
    if (last is None or not groups[0].isdigit() or len(groups[0]) > 3
            or not all(len(g) == 3 and g.isdigit() for g in groups[1:-1])):
        return None
    whole = "".join(groups[:-1]) + last[1]
    if last[2] is None:
        return float(whole), _NO_MARK, np.nan
    return float(f"{whole}.{last[3]}"), _DOT if last[2] == "." else _COMMA, np.nan


def _suffix(post: str) -> tuple[float, str | None] | None:
    """What follows the number: its unit (nan: none), a currency mark; None if neither."""
    tokens = post.split()
    if not tokens:
        return np.nan, None
    if len(tokens) == 2:
        first, second = tokens
        pairs = [(first, second), (second, first)]
    elif len(tokens) == 1:
        token = tokens[0]
        if token.casefold() in _SCALES:
            return _SCALES[token.casefold()], None
        if _mark(token):
            return np.nan, token
        pairs = [(token[:i], token[i:]) for i in range(1, len(token))]
        pairs += [(b, a) for a, b in pairs]
    else:
        return None
    for scale_text, mark in pairs:
        if scale_text.casefold() in _SCALES and _mark(mark):
            return _SCALES[scale_text.casefold()], mark
    return None


def _mark(text: str) -> tuple[str, frozenset[str]] | None:
    """A currency symbol or ISO code: how it is shown in notes, and the codes it can be."""
    key = text.casefold()
    if key in _SYMBOLS:
        return _SYMBOLS[key]
    code = text.upper()
    return (code, frozenset((code,))) if code in _ISO_CODES else None


def _currency_of(marks: list[str]) -> tuple[str, frozenset[str]] | None:
    """The currency of an amount's marks ('$100 USD': USD); None if they contradict."""
    found = [_mark(mark) for mark in marks]
    if not found or any(f is None for f in found):
        return None
    shown, codes = found[0]  # type: ignore[misc]
    for other_shown, other_codes in found[1:]:  # type: ignore[misc]
        if not codes & other_codes:
            return None
        if len(other_codes) < len(codes):
            shown = other_shown
        codes = codes & other_codes
    return shown, codes


def _codes_of(currency: str) -> frozenset[str]:
    found = _mark(currency.strip())
    return found[1] if found else frozenset((currency.strip().upper(),))


def currency_fits(mark: str, currency: str | None) -> bool:
    """Whether money marked `mark` (a symbol or an ISO code) can be in `currency` (the
    register's ISO code or symbol; None fits everything): '$' fits CAD, not EUR."""
    if currency is None or not currency.strip():
        return True
    return bool(_codes_of(mark) & _codes_of(currency))


def header_money_unit(header: str) -> HeaderUnit | None:
    """The money unit a header declares: 'Budget (£m)', 'Cost £m', 'Budget_kEUR',
    'Spend (000s)', 'Cost in millions', 'Budget (GBP)'; None when it declares none (or two
    that disagree)."""
    text = " ".join(str(header).split())
    if len(text) > HEADER_MAX:
        return None
    found = []
    for m in _BRACKETS.finditer(text):
        unit = _unit(m[1].replace(",", " ").split(), loose=True)
        if unit:
            found.append(HeaderUnit(unit[0], unit[1], m[0]))
    if found:
        agree = all((u.scale, u.currency) == (found[0].scale, found[0].currency) for u in found)
        return found[0] if agree else None
    return _trailing_unit(text)


_GLUED_UNIT_MAX = 10  # "USD000s", "EURmn": longer tokens are words, not units
HEADER_MAX = 200  # characters; a longer cell is a note or a title, never a money header


def _trailing_unit(text: str) -> HeaderUnit | None:
    """A unit at the end of a header, outside brackets: 'Cost £m', 'Budget_kEUR',
    'Cost in millions', 'Budget EUR m'. Needs a name before it."""
    tokens = list(re.finditer(r"[^\s_]+", text))
    for size in (3, 2, 1):
        if len(tokens) <= size:
            continue
        words = [t[0] for t in tokens[-size:]]
        if words[0].casefold() == "in":
            words = words[1:]
        unit = _unit(words, loose=False) if 0 < len(words) <= 2 else None
        if unit:
            return HeaderUnit(unit[0], unit[1], text[tokens[-size].start():])
    return None


def _unit(tokens: list[str], loose: bool) -> tuple[float, str | None] | None:
    """A scale and/or a currency from a header's unit tokens, or None if any token is not
    one. Outside brackets (`loose` False) a lone-letter scale needs a currency beside it."""
    scale: float | None = None
    currency: str | None = None
    letters_ok = loose or any(_header_currency(t, loose) for t in tokens)
    for token in tokens:
        if loose and token.casefold() in ("in", "of"):
            continue
        found = _unit_token(token, letters_ok, loose)
        if found is None:
            return None
        token_scale, token_currency = found
        if token_scale is not None:
            if scale is not None:
                return None
            scale = token_scale
        if token_currency is not None:
            if currency is not None and currency != token_currency:
                return None
            currency = token_currency
    if scale is None and currency is None:
        return None
    return (scale or 1.0), currency


def _unit_token(token: str, letters_ok: bool,
                loose: bool) -> tuple[float | None, str | None] | None:
    """One token of a header's unit: (scale, currency), either may be None; None if the
    token is neither."""
    key = token.casefold()
    if key in _HEADER_SCALES and (letters_ok or key in _WORD_SCALES):
        return _HEADER_SCALES[key], None
    currency = _header_currency(token, loose)
    if currency:
        return None, currency
    # Glued: £m, $MM, EURm, kEUR, TEUR (Tausend Euro), m€, £000s: a few characters at most
    # (every split is tried, so a long token would cost its length squared).
    if len(token) > _GLUED_UNIT_MAX:
        return None
    for i in range(1, len(token)):
        left, right = token[:i], token[i:]
        currency = _header_currency(left, loose)
        if currency and right.casefold() in _HEADER_SCALES:
            return _HEADER_SCALES[right.casefold()], currency
        currency = _header_currency(right, loose)
        if currency and (left.casefold() in _HEADER_SCALES or left == "T"):
            return _HEADER_SCALES.get(left.casefold(), 1e3), currency
    return None


def _header_currency(token: str, loose: bool) -> str | None:
    """A currency in a header: any symbol or code in brackets; outside them only symbols that
    are not letters and upper-case codes that are not also words."""
    found = _mark(token)
    if found is None:
        return None
    if not loose and token.isalpha() and (token != token.upper() or token in _WORDLIKE_CODES
                                          or token not in _ISO_CODES):
        return None
    shown, codes = found
    return next(iter(codes)) if len(codes) == 1 else shown


def currency_of_amounts(cells: Iterable[object]) -> dict[str, int]:
    """ISO code -> how many text amounts are written in it, for a register that does not say
    its currency. A symbol shared by several currencies counts for the first of them in the
    symbol table ('$' USD, '£' GBP, '¥' JPY); numbers and unreadable text count for none."""
    counts: dict[str, int] = {}
    for text in cells:
        if text.__class__ is not str or not text.strip():
            continue
        counts[text] = counts.get(text, 0) + 1
    found: dict[str, int] = {}
    for text, count in counts.items():
        amount = _usual(text.strip(), None) or _read(text.strip(), None)
        shown = amount[5]
        if shown is None or np.isnan(amount[0]):
            continue
        mark = _mark(shown)
        if mark is None:
            continue
        code = _first_code(mark[1], shown)
        found[code] = found.get(code, 0) + count
    return found


def _first_code(codes: frozenset[str], shown: str) -> str:
    if len(codes) == 1:
        return next(iter(codes))
    for spellings, listed in _SYMBOL_TABLE:
        if shown in spellings:
            return listed.split()[0]
    return sorted(codes)[0]


def currency_code(mark: str) -> str | None:
    """The ISO code a currency mark stands for ('£' GBP, '$' USD: the first of the currencies
    a shared symbol can be), or None when it is no currency mark."""
    found = _mark(mark.strip())
    return _first_code(found[1], found[0]) if found else None
