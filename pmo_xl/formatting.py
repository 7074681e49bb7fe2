"""How figures are shown to people: money with its currency, ratios, percentages, dates."""

from __future__ import annotations

import datetime as dt
import math

_SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$", "JPY": "¥", "INR": "₹", "CHF": "CHF "}


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def money(value: float | None, currency: str = "EUR", *, decimals: int = 0) -> str:
    """€1,250,000 — or 'SEK 1,250,000' for currencies without a common symbol."""
    if _missing(value):
        return "–"
    prefix = _SYMBOLS.get(currency.upper(), f"{currency.upper()} ")
    sign = "-" if value < 0 else ""  # type: ignore[operator]
    return f"{sign}{prefix}{abs(value):,.{decimals}f}"  # type: ignore[arg-type]


def ratio(value: float | None) -> str:
    """CPI/SPI style index with two decimals."""
    return "–" if _missing(value) else f"{value:.2f}"


def percent(fraction: float | None, decimals: int = 0) -> str:
    return "–" if _missing(fraction) else f"{fraction * 100:.{decimals}f} %"  # type: ignore[operator]


def date(value: dt.date | None) -> str:
    return "–" if value is None else value.isoformat()
