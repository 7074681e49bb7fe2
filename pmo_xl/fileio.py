"""Writing report files so that no reader ever sees half of one."""

from __future__ import annotations

import os
from pathlib import Path

PART_SUFFIX = ".pmo-xl-part"  # temporary files; a later run removes those a killed run left


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a hidden temporary file beside the target, then rename it into place: readers
    see either the old file or the complete new one, never half a file."""
    temp = path.with_name(f".{path.name}.{os.getpid()}{PART_SUFFIX}")
    try:
        temp.write_bytes(data)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def remove_leftovers(folder: Path) -> None:
    """Temporary files of a run that was killed before it could clean up."""
    for temp in folder.glob(f".*{PART_SUFFIX}"):
        temp.unlink(missing_ok=True)
