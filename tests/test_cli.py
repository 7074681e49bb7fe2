"""The pmo-xl command line: exit codes, JSON contracts, readable text, the sample command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from registers import project, register

from pmo_xl.cli import main
from pmo_xl.sample import SamplePortfolio


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed console script, as a user runs it."""
    script = Path(sys.executable).with_name("pmo-xl")
    return subprocess.run([str(script), *args], capture_output=True, text=True, timeout=120)


def test_validate_json_contract(sample_path: Path, sample: SamplePortfolio) -> None:
    result = run("validate", str(sample_path), "--format", "json")
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    assert set(data) >= {"findings", "errors", "warnings"}
    assert len(data["findings"]) == len(sample.planted) == data["errors"] + data["warnings"]
    for finding in data["findings"]:
        assert list(finding) == ["sheet", "row", "column", "cell", "rule", "severity",
                                 "message"]
        assert finding["cell"].startswith(finding["sheet"] + "!")
        assert finding["cell"].endswith(str(finding["row"]))
        assert finding["severity"] in ("error", "warning", "info")


def test_validate_exit_codes(tmp_path: Path) -> None:
    clean = register(tmp_path / "clean.xlsx")
    assert main(["validate", str(clean), "--format", "json"]) == 0
    warned = register(tmp_path / "warned.xlsx", [project(**{"Percent Complete": 75})])
    assert main(["validate", str(warned), "--format", "json"]) == 0  # warnings only
    broken = register(tmp_path / "broken.xlsx", [project(Budget="lots")])
    assert main(["validate", str(broken), "--format", "json"]) == 1


def test_validate_text_is_a_readable_table(sample_path: Path) -> None:
    result = run("validate", str(sample_path))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any("Projects!P3" in line and "Budget 'twelve thousand' is not a number" in line
               for line in lines)
    assert "error" in lines[-1] and "warning" in lines[-1] and str(sample_path) in lines[-1]


def test_rollup_json_contract(sample_path: Path, sample: SamplePortfolio) -> None:
    result = run("rollup", str(sample_path), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["as_of"] == sample.as_of.isoformat()
    assert set(data["projects"]) == {"total", "active", "by_phase", "by_stage", "by_rag"}
    assert set(data["finance"]) >= {"budget", "actual_cost", "earned_value", "planned_value",
                                    "forecast_cost", "cpi", "spi"}
    assert set(data["schedule"]) >= {"slipped", "overdue_milestones"}
    assert isinstance(data["stale"], list)
    assert set(data["lessons"]) >= {"total", "by_category", "open_actions"}
    assert data["projects"]["total"] == len(data["per_project"]) == len(sample.projects)
    assert data["lessons"]["total"] == len(sample.lessons)
    first = data["per_project"][0]
    assert set(first) >= {"project_id", "pv", "ev", "ac", "cpi", "spi", "eac", "slip_days",
                          "stale", "vac", "tcpi"}
    # Money as plain numbers; totals are the sums of the per-project figures of the projects
    # whose every earned-value input is usable (the planted bad budget etc. are left out).
    counted = [p for p in data["per_project"] if p["in_finance"]]
    assert len(counted) == data["finance"]["coverage"]["earned_value"] < len(sample.projects)
    assert data["finance"]["earned_value"] == pytest.approx(sum(p["ev"] for p in counted),
                                                            abs=0.05)
    assert data["finance"]["actual_cost"] == pytest.approx(sum(p["ac"] for p in counted),
                                                           abs=0.05)


def test_rollup_as_of_option(sample_path: Path) -> None:
    result = run("rollup", str(sample_path), "--format", "json", "--as-of", "2027-01-31")
    assert json.loads(result.stdout)["as_of"] == "2027-01-31"


def test_rollup_text(sample_path: Path) -> None:
    result = run("rollup", str(sample_path))
    assert result.returncode == 0
    assert "Portfolio roll-up" in result.stdout and "Budget (BAC)" in result.stdout
    assert "€" in result.stdout  # Settings currency EUR


def test_bad_as_of_is_a_usage_error(sample_path: Path) -> None:
    result = run("validate", str(sample_path), "--as-of", "31/12/2026")
    assert result.returncode == 2
    assert "is not a date (YYYY-MM-DD)" in result.stderr


def test_sample_command_writes_and_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "s.xlsx"
    first = run("sample", str(path), "--projects", "12", "--seed", "3")
    assert first.returncode == 0 and "12 projects" in first.stdout
    again = run("sample", str(path))
    assert again.returncode == 2 and "already exists" in again.stderr
    assert run("sample", str(path), "--force", "--projects", "12", "--seed", "3").returncode == 0


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0 and result.stdout.startswith("pmo-xl ")
