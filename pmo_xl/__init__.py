"""pmo-xl: an Excel-native toolkit for a Project Management Office.

Read a project register, validate it (every finding tied to a cell), roll it up into
portfolio metrics, and report on it. The public API::

    from pmo_xl import read_register, validate, rollup
    register = read_register("PMO_Register.xlsx")
    findings = validate(register)
    portfolio = rollup(register)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# The single source of the version (pyproject.toml reads it); a literal, because looking it up
# through importlib.metadata costs every command ~40 ms.
__version__ = "0.1.0"

__all__ = ["RegisterError", "Register", "read_register", "validate", "rollup", "__version__"]

if TYPE_CHECKING:
    from .errors import RegisterError
    from .metrics import rollup
    from .reader import Register, read_register
    from .validation import validate

_LAZY = {"RegisterError": "errors", "Register": "reader", "read_register": "reader",
         "validate": "validation", "rollup": "metrics"}


def __getattr__(name: str) -> Any:
    # Lazy so that `pmo-xl --help` does not pay for importing pandas.
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(name)
