"""The Excel skin: the Python functions behind the register workbook's buttons.

Each button on the workbook's Dashboard runs a one-line VBA Sub (``macros/*.bas``) that
calls xlwings' ``RunPython "import pmo_xl.excel; pmo_xl.excel.<function>()"``. Python then
starts with the workbook available as ``xlwings.Book.caller()``. The functions here stay thin:
read the register from the workbook, call the same core functions as the command line, and
write the results back. Each takes ``book=None`` and falls back to the calling workbook, so
the same function runs from Excel and from a script.

xlwings is imported inside the functions, never at module level, so that ``import
pmo_xl.excel`` works on any machine, with or without Excel.

In this version the buttons are wired end to end, but their work comes in a later release:
each function tells the user so in an Excel alert.
"""

from __future__ import annotations

from typing import Any

from . import __version__

__all__ = ["generate_all_reports", "generate_report", "rollup_portfolio", "validate_entries"]

ALERT_TITLE = "pmo-xl"
NOT_AVAILABLE = "{action} is not available yet in this version of pmo-xl ({version})."


def validate_entries(book: Any = None) -> None:
    """Check every entry of the register and show the findings (Validate entries)."""
    _not_available_yet("Validate entries", book)


def rollup_portfolio(book: Any = None) -> None:
    """Write the portfolio figures onto the Dashboard (Roll up portfolio)."""
    _not_available_yet("Roll up portfolio", book)


def generate_report(book: Any = None) -> None:
    """Write the status report of the project on the selected row (Generate report)."""
    _not_available_yet("Generate report", book)


def generate_all_reports(book: Any = None) -> None:
    """Write a status report for every project (Generate all reports)."""
    _not_available_yet("Generate all reports", book)


def _caller(book: Any) -> Any:
    if book is not None:
        return book
    import xlwings as xw  # only here: importing pmo_xl.excel must not need Excel

    return xw.Book.caller()


def _not_available_yet(action: str, book: Any) -> None:
    message = NOT_AVAILABLE.format(action=action, version=__version__)
    _caller(book).app.alert(message, title=ALERT_TITLE, mode="info")
