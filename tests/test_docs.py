"""The README's generated blocks match the code (run `make docs` to refresh them)."""

from __future__ import annotations

from pathlib import Path

from pmo_xl import docs
from pmo_xl.rules import RULES
from pmo_xl.schema import SHEETS

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_generated_blocks_are_current() -> None:
    text = README.read_text(encoding="utf-8")
    assert docs.update(text) == text, "README.md is out of date: run `make docs`"


def test_readme_documents_every_rule_and_column() -> None:
    text = README.read_text(encoding="utf-8")
    for rule in RULES:
        assert f"| `{rule.id}` | {rule.severity.value} |" in text
    for sheet in SHEETS:
        for column in sheet.columns:
            assert f"| {column.name} |" in text


def test_check_mode_reports_a_stale_readme(tmp_path: Path) -> None:
    stale = tmp_path / "README.md"
    stale.write_text("<!-- generated:rules -->\nold\n<!-- /generated:rules -->\n")
    assert docs.main([str(stale), "--check"]) == 1
    assert docs.main([str(stale)]) == 0
    assert docs.main([str(stale), "--check"]) == 0
    assert "`duplicate-id`" in stale.read_text()
