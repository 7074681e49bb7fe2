"""The README's generated sections, written from the code so that the docs cannot drift.

`python -m pmo_xl.docs README.md` rewrites every block between `<!-- generated:NAME -->` and
`<!-- /generated:NAME -->`; `--check` exits 1 when the file is out of date instead. Blocks: the
register contract (one table per sheet, and Settings), the vocabularies, the profile's keys,
the validation rules, the exit codes and the command line's `--help`.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

from .rules import RULES
from .schema import SETTINGS, SETTINGS_SHEET, SHEETS, Kind, SheetSchema

_BLOCK = re.compile(r"(<!-- generated:(?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /generated:"
                    r"(?P=name) -->)", re.DOTALL)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def sheet_table(sheet: SheetSchema) -> str:
    lines = [f"**{sheet.name}** ({'required' if sheet.required else 'optional'} sheet, "
             f"Excel Table `{sheet.table}`): {sheet.description}", "",
             "| Column | Required | Type | Also accepted as | Notes |", "|---|---|---|---|---|"]
    for column in sheet.columns:
        aliases = ", ".join(column.aliases) or ""
        lines.append(f"| {column.name} | {'yes' if column.required else ''} | "
                     f"{_cell(column.type_label)} | {_cell(aliases)} | {_cell(column.hint)} |")
    return "\n".join(lines)


def register_contract() -> str:
    parts = [sheet_table(sheet) for sheet in SHEETS]
    settings = [f"**{SETTINGS_SHEET}** (optional sheet, two columns Setting | Value):", "",
                "| Setting | Default | Meaning |", "|---|---|---|"]
    for setting in SETTINGS:
        default = ("" if setting.default in (None, "") else
                   f"{setting.default:.0%}" if setting.kind is Kind.PERCENT else
                   str(setting.default))
        settings.append(f"| {setting.name} | {default} | {_cell(setting.hint)} |")
    return "\n\n".join([*parts, "\n".join(settings)])


def rules_table() -> str:
    lines = ["| Rule | Severity | What it means | Example message |", "|---|---|---|---|"]
    for rule in RULES:
        lines.append(f"| `{rule.id}` | {rule.severity.value} | {_cell(rule.description)} | "
                     f"{_cell(rule.example)} |")
    return "\n".join(lines)


def cli_help() -> str:
    from .cli import build_parser

    previous = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"  # argparse wraps to the terminal; fix it for the docs
    try:
        parser = build_parser()
        helps = [parser.format_help()]
        commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
        helps += [sub.format_help() for sub in commands.values()]
    finally:
        if previous is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = previous
    return "```text\n" + "\n".join(h.rstrip() + "\n" for h in helps) + "```"


def profile_reference() -> str:
    from .profile import PROFILE_KEYS

    lines = ["| Key | Form | What it does | Example |", "|---|---|---|---|"]
    for key in PROFILE_KEYS:
        example = "<br>".join(f"`{line}`" for line in key.example.splitlines())
        lines.append(f"| `{key.key}` | {_cell(key.form)} | {_cell(key.meaning)} | "
                     f"{_cell(example)} |")
    return "\n".join(lines)


def vocabularies_table() -> str:
    from .standard import DEFAULT_STANDARD

    lines = ["| Vocabulary | Used by | Default words | Meanings pmo-xl understands |",
             "|---|---|---|---|"]
    for vocabulary in DEFAULT_STANDARD.vocabularies():
        users = [f"{s.name}: {c.name}" for s in DEFAULT_STANDARD.sheets for c in s.columns
                 if c.vocabulary is not None and c.vocabulary.name == vocabulary.name]
        meanings = ", ".join(vocabulary.canonical) or "(open: each word means itself)"
        lines.append(f"| {vocabulary.name} | {_cell(', '.join(users))} | "
                     f"{_cell(', '.join(vocabulary.words))} | {_cell(meanings)} |")
    return "\n".join(lines)


def exit_codes() -> str:
    from .cli import EXIT_CODES

    lines = ["| Exit code | Meaning |", "|---|---|"]
    lines += [f"| {code} | {_cell(text)} |" for code, text in EXIT_CODES]
    return "\n".join(lines)


GENERATORS: dict[str, Callable[[], str]] = {
    "register": register_contract,
    "rules": rules_table,
    "cli": cli_help,
    "profile": profile_reference,
    "vocabularies": vocabularies_table,
    "exit-codes": exit_codes,
}


def update(text: str) -> str:
    """The text with every generated block rewritten."""
    def replace(match: re.Match[str]) -> str:
        body = GENERATORS[match["name"]]().rstrip("\n") + "\n"
        return match[1] + body + match[4]

    return _BLOCK.sub(replace, text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate the README's generated blocks.")
    parser.add_argument("path", type=Path, nargs="?", default=Path("README.md"))
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = parser.parse_args(argv)
    text = args.path.read_text(encoding="utf-8")
    fresh = update(text)
    if args.check:
        if fresh != text:
            print(f"{args.path} is out of date: run `make docs`", file=sys.stderr)
            return 1
        return 0
    args.path.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
