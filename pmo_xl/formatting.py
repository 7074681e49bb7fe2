"""How figures are shown to people: money with its currency, ratios, percentages, dates."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

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


def day(iso: str | None) -> str:
    """An ISO date as people read it on a report: 31 Mar 2026."""
    return "–" if not iso else dt.date.fromisoformat(iso).strftime("%d %b %Y")


def data_quality_line(quality: dict[str, Any]) -> str:
    """One line saying what the figures rest on, or '' when they rest on the whole register
    (the reports' data-quality line, for the Dashboard and the terminal)."""
    if not quality or not any(quality.values()):
        return ""
    parts = [f"{quality['errors']} error{'s' * (quality['errors'] != 1)}, "
             f"{quality['warnings']} warning{'s' * (quality['warnings'] != 1)}"]
    excluded = quality["projects_excluded_from_finance"]
    if excluded:
        parts.append(f"earned value leaves out {len(excluded)} project"
                     f"{'s' * (len(excluded) != 1)} with unusable figures")
    if quality["not_tracked"]:
        parts.append("not tracked: " + ", ".join(quality["not_tracked"]))
    if quality["columns_unmatched"]:
        count = len(quality["columns_unmatched"])
        parts.append(f"{count} column{'s' * (count != 1)} not used")
    return "Data quality: " + "; ".join(parts) + "."
