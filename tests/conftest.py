"""Shared fixtures: sample registers written once per session, and a tool-or-skip helper."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pmo_xl.sample import SamplePortfolio, sample_portfolio, write_register

# The two real public registers (sources and licences in its README), as they were published.
REAL_DATA = Path(__file__).parent / "data" / "real"


def require_tool(name: str, install_hint: str) -> str:
    """Path of an external tool; skip without it locally, fail without it in CI."""
    found = shutil.which(name)
    if found:
        return found
    message = f"{name} is not installed ({install_hint})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"required in CI: {message}")
    pytest.skip(message)


@pytest.fixture(scope="session")
def sample() -> SamplePortfolio:
    return sample_portfolio()


@pytest.fixture(scope="session")
def sample_path(tmp_path_factory: pytest.TempPathFactory, sample: SamplePortfolio) -> Path:
    return write_register(tmp_path_factory.mktemp("sample") / "PMO_Register.xlsx", sample)
