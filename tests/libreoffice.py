"""LibreOffice for tests: is it here, run the UNO inspection script, compare module sources.

LibreOffice opens our workbooks independently of Excel and olevba. It needs ``soffice`` and a
Python with LibreOffice's ``uno`` module (Debian packages ``libreoffice-calc-nogui`` and
``libreoffice-script-provider-python``): tests skip without them locally and fail without them
under ``CI=true``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

LO_PYTHON = os.environ.get("PMO_XL_LO_PYTHON", "/usr/bin/python3")
INSPECT = Path(__file__).with_name("lo_inspect.py")
# Lines LibreOffice adds to the modules it imports from a VBA project.
LO_ADDED_PREFIXES = ("Rem Attribute VBA_ModuleType=", "Option VBASupport ", "Option ClassModule")


def libreoffice_missing() -> str | None:
    """Why LibreOffice cannot be used here, or None."""
    if shutil.which("soffice") is None:
        return "soffice is not installed (Debian: libreoffice-calc-nogui)"
    try:
        subprocess.run([LO_PYTHON, "-c", "import uno"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        return f"{LO_PYTHON} cannot import uno (Debian: libreoffice-script-provider-python)"
    return None


def require_libreoffice() -> None:
    """Skip the test without LibreOffice; fail instead under CI=true."""
    reason = libreoffice_missing()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"LibreOffice is required in CI: {reason}")
    pytest.skip(reason)


def inspect_workbook(workbook: Path, *options: str, timeout: float = 180) -> dict[str, Any]:
    """What LibreOffice sees in the workbook (see tests/lo_inspect.py), as a dict."""
    result = subprocess.run([LO_PYTHON, str(INSPECT), str(workbook), *options],
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def lo_body(source: str) -> str:
    """Module source without the lines LibreOffice and VBA add, with LF line ends."""
    lines = [line for line in source.replace("\r\n", "\n").split("\n")
             if not line.startswith(LO_ADDED_PREFIXES) and not line.startswith("Attribute ")]
    return "\n".join(lines).strip("\n")
