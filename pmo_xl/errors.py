"""The exceptions for input and output pmo-xl cannot use at all.

A `RegisterError` means "this file cannot be read as a register" (not a spreadsheet, no
Projects sheet, no Project ID column, a broken profile, ...); an `OutputError` that a file or
folder pmo-xl was asked to write cannot be written; a `TemplateProblem` that a report template
is broken. Each carries one line a PMO officer can act on. Problems with individual values are
not exceptions: they are validation findings.
"""

from __future__ import annotations

from pathlib import Path


class RegisterError(Exception):
    """The register file is unusable; the message is one line a PMO officer can act on."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class OutputError(RegisterError):
    """A file or folder to be written cannot be (not a folder, not writable, disk full)."""


class TemplateProblem(Exception):
    """A report template cannot be rendered: its file, its line and what is wrong."""

    def __init__(self, template: str, line: int | None, problem: str) -> None:
        self.template, self.line, self.problem = template, line, problem
        where = f"{template}, line {line}" if line else template
        super().__init__(f"report template {where}: {problem}")


def os_reason(error: OSError) -> str:
    """An OSError as a short reason with what to do ('disk full: free some space')."""
    import errno

    hints = {errno.ENOSPC: "the disk is full: free some space and run again",
             errno.EACCES: "permission denied: choose a folder you may write to",
             errno.EPERM: "permission denied: choose a folder you may write to",
             errno.EROFS: "the disk is read-only: choose another folder",
             errno.ENOTDIR: "a part of the path is a file, not a folder",
             errno.EEXIST: "it exists and is not a folder",
             errno.ENOENT: "the folder does not exist"}
    return hints.get(error.errno or 0, error.strerror or str(error))
