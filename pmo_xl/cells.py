"""Excel cell addresses: column letters and sheet-qualified references such as Projects!M12.

Kept free of pandas, so that modules which only write workbooks stay light to import.
"""

from __future__ import annotations

import re

__all__ = ["cell_ref", "column_letter", "sheet_prefix"]


def sheet_prefix(sheet: str) -> str:
    """'Projects!' — or "'My Sheet'!" when Excel needs the name quoted."""
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", sheet):
        return f"{sheet}!"
    return "'{}'!".format(sheet.replace("'", "''"))


def cell_ref(sheet: str, letter: str, row: int) -> str:
    """An Excel cell reference such as Projects!M12."""
    return f"{sheet_prefix(sheet)}{letter}{row}"


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
