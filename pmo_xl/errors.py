"""The one exception type for input pmo-xl cannot use at all.

A `RegisterError` means "this file cannot be read as a register" (not a workbook, no Projects
sheet, missing required columns, ...). Problems with individual values are not exceptions:
they are validation findings.
"""

from __future__ import annotations

from pathlib import Path


class RegisterError(Exception):
    """The register file is unusable; the message is one line a PMO officer can act on."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")
