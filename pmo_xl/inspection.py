"""`pmo-xl inspect`: how pmo-xl reads a register, and a starter profile for it.

The on-ramp for a register pmo-xl did not build. `inspect_register(path)` says, per sheet: the
header row found; how each header maps to a pmo-xl column (exact, alias, profile, fuzzy with
its score) or which columns it probably is; the pmo-xl columns not found (required, optional,
not tracked); for each dropdown column the values seen, and for those outside the vocabulary
a suggested meaning; the date order decided per date column and why; the money unit of each
money column; totals and hidden rows. It works on a register that cannot be read yet (no
Project ID column, say): then it shows what it found and what is missing.

`starter_profile(inspection)` writes a profile (`pmo_xl.profile`) with every confident
mapping filled in and every doubtful one as a commented line to edit.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .errors import RegisterError
from .schema import SHEETS, Column, Kind, SheetSchema, Vocabulary, normalise_word

# Words organisations use for the canonical meanings, by vocabulary: a value spelled like one
# of these is a confident suggestion (filled in by --write-profile). Two ratings in one word
# (Amber/Red) roll up to the worse one.
SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "Phase": {
        "Initiation": ("initiate", "initiating", "concept", "idea", "ideation", "proposal",
                       "proposed", "pipeline", "scope", "scoping", "feasibility", "identify",
                       "identification", "pre-project", "business case", "start-up",
                       "startup", "discovery", "opportunity", "assessment", "intake",
                       "request", "strategic outline case", "inception", "gate 0", "gate 1"),
        "Planning": ("plan", "design", "definition", "define", "detailed design", "procurement",
                     "tender", "tendering", "mobilisation", "mobilization", "preparation",
                     "options", "options analysis", "requirements", "outline business case",
                     "full business case", "gate 2", "gate 3"),
        "Execution": ("execute", "executing", "delivery", "deliver", "in delivery", "build",
                      "construction", "construct", "implementation", "implement",
                      "in progress", "active", "underway", "under way", "ongoing", "develop",
                      "testing", "rollout", "roll-out", "deployment", "works", "gate 4"),
        "Closing": ("close", "closeout", "close-out", "close out", "handover", "hand-over",
                    "transition", "commissioning", "finishing", "post-implementation",
                    "post implementation review", "acceptance", "defects liability",
                    "warranty", "gate 5"),
        "Closed": ("complete", "completed", "done", "finished", "delivered", "cancelled",
                   "canceled", "terminated", "archived", "closed down"),
    },
    "RAG": {
        "Green": ("on track", "on-track", "ontrack", "good", "ok", "healthy", "low risk",
                  "no issues"),
        "Amber": ("at risk", "at-risk", "caution", "watch", "warning", "concern", "yellow",
                  "amber/green", "amber-green", "green/amber", "green-amber", "amber green",
                  "medium risk", "some concerns"),
        "Red": ("off track", "off-track", "critical", "failing", "high risk", "amber/red",
                "amber-red", "red/amber", "red-amber", "amber red", "unachievable",
                "in difficulty"),
    },
    "Action Status": {
        "Open": ("new", "not started", "to do", "todo", "pending", "raised", "proposed"),
        "In Progress": ("ongoing", "wip", "started", "underway", "in hand", "active",
                        "in-progress", "progressing"),
        "Closed": ("done", "complete", "completed", "resolved", "implemented", "actioned",
                   "cancelled", "finished"),
    },
    "Lesson Type": {
        "Went Well": ("positive", "success", "strength", "good practice", "what went well",
                      "keep", "worked well", "went-well"),
        "Improve": ("improvement", "negative", "issue", "problem", "even better if", "ebi",
                    "do differently", "what could be improved", "challenge", "to improve",
                    "lesson to improve"),
    },
    "Priority": {"High": ("h", "critical", "urgent", "major", "1", "p1"),
                 "Medium": ("m", "med", "moderate", "normal", "2", "p2"),
                 "Low": ("l", "minor", "3", "p3")},
}
SYNONYMS["Impact"] = SYNONYMS["Priority"]
# The columns a sheet cannot be read without (Project Name may be left out: projects are then
# named by their ID).
_KEY_COLUMNS = {s.name: tuple(s.column(k).name for k in s.key_columns
                              if not (s.name == "Projects" and k == "project_name"))
                for s in SHEETS}


@dataclass
class ColumnFound:
    """One header of the register and what pmo-xl made of it."""

    header: str
    letter: str
    maps_to: str | None
    how: str | None
    score: float | None
    suggestions: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class SheetInspection:
    """One pmo-xl sheet as found in the register."""

    sheet: str  # pmo-xl's sheet
    source: str | None  # the register's sheet (or file) that holds it
    header_row: int | None
    header_rows: int = 1
    rows: int = 0
    columns: list[ColumnFound] = field(default_factory=list)
    missing: list[dict[str, str]] = field(default_factory=list)
    values: dict[str, dict[str, int]] = field(default_factory=dict)
    not_in_vocabulary: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    date_order: dict[str, str] = field(default_factory=dict)
    date_order_why: dict[str, str] = field(default_factory=dict)
    money_units: dict[str, str] = field(default_factory=dict)
    totals_rows: list[int] = field(default_factory=list)
    hidden_rows: list[int] = field(default_factory=list)


@dataclass
class Inspection:
    """How pmo-xl reads one register."""

    path: Path
    kind: str
    sheet_names: list[str]
    standard: list[str]
    profile: str | None
    sheets: list[SheetInspection]
    currency: dict[str, Any]
    settings: dict[str, Any]
    problem: str | None = None  # why the register cannot be read yet

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = str(self.path)
        return json.loads(json.dumps(data, default=str))


def inspect_register(path: str | Path, *, profile: str | Path | None = None,
                     sheet: str | None = None) -> Inspection:
    """Inspect a register (see the module docstring). RegisterError only for a file that is
    no spreadsheet at all, or a broken profile."""
    from .reader import read_register

    path = Path(path)
    try:  # without a Project Name column, projects are named by their ID (a profile can say so)
        register = read_register(path, profile=profile, sheet=sheet, unnamed=True)
    except RegisterError as error:
        if error.path != path or not _is_readable_spreadsheet(path):
            raise
        return _headers_only(path, profile, str(error.problem))
    sheets = [_sheet_inspection(register, schema) for schema in register.standard.sheets]
    settings = {"date_order": register.settings.date_order,
                "fallback_date_order": register.settings.fallback_date_order,
                "money_unit": register.settings.money_unit}
    return Inspection(path, register.kind, _all_sheets(path), list(register.standard.origin),
                      str(register.profile) if register.profile else None, sheets,
                      _currency(register), settings)


def _is_readable_spreadsheet(path: Path) -> bool:
    from .sources import open_register_file

    try:
        open_register_file(path)
    except RegisterError:
        return False
    return True


def _all_sheets(path: Path) -> list[str]:
    from .sources import open_register_file

    return list(open_register_file(path).sheet_names)


def _headers_only(path: Path, profile: str | Path | None, problem: str) -> Inspection:
    """What can be said of a register that cannot be read yet: each sheet's best header row
    against the Projects columns."""
    from .headers import find_header
    from .profile import apply_profile, find_profile, load_profile
    from .sources import open_register_file
    from .standard import DEFAULT_STANDARD

    source = open_register_file(path)
    standard = DEFAULT_STANDARD
    found = find_profile(path, profile)
    if found is not None:
        standard = apply_profile(standard, load_profile(found))
    schema = standard.projects
    sheets = []
    for name in source.sheet_names:
        data = source.sheet(name)
        columns = [c for c in schema.columns if c.tracked]
        options = {"patterns": standard.patterns(schema.name), "merged": data.merged}
        layout = (find_header(data.rows, columns, **options)
                  or find_header(data.rows, columns, min_columns=1, **options))
        if layout is None:
            continue
        report = SheetInspection(schema.name, name, layout.row + 1, layout.rows,
                                 max(0, len(data.rows) - layout.row - 1))
        report.columns = [_column_found(m, schema) for m in layout.matches]
        positions = layout.positions()
        report.missing = [_missing(c) for c in schema.columns if c.key not in positions]
        sheets.append(report)
    return Inspection(path, source.kind, list(source.sheet_names), list(standard.origin),
                      str(found) if found else None, sheets, {}, {}, problem)


def _column_found(match: Any, schema: SheetSchema) -> ColumnFound:
    from .cells import column_letter

    suggestions = [{"column": schema.column(key).name, "score": round(score, 1)}
                   for key, score in match.suggestions]
    return ColumnFound(match.header, column_letter(match.index),
                       schema.column(match.key).name if match.key else None, match.how,
                       None if match.score is None else round(match.score, 1), suggestions)


def _missing(column: Column) -> dict[str, str]:
    status = ("not tracked" if not column.tracked else
              "required" if column.required else "optional")
    return {"column": column.name, "status": status}


def _sheet_inspection(register: Any, schema: SheetSchema) -> SheetInspection:
    table = register.table(schema.name)
    if table is None:
        return SheetInspection(schema.name, None, None,
                               missing=[_missing(c) for c in schema.columns])
    layout = table.layout
    report = SheetInspection(schema.name, table.sheet, table.header_row, layout.rows,
                             len(table), [_column_found(m, schema) for m in layout.matches])
    report.missing = [_missing(c) for c in schema.columns if not table.has(c.key)]
    report.totals_rows = sorted(table.skipped)
    report.hidden_rows = list(table.hidden)
    for column in schema.columns:
        if not table.has(column.key):
            continue
        parsed = table.parsed[column.key]
        if column.kind is Kind.ENUM and column.vocabulary is not None:
            _vocabulary_report(report, column, table, parsed)
        elif column.kind is Kind.DATE and parsed.note.get("date_order"):
            report.date_order[column.name] = str(parsed.note["date_order"])
            report.date_order_why[column.name] = str(parsed.note.get("why", ""))
        elif column.kind is Kind.MONEY:
            report.money_units[column.name] = _money_unit(register, table, column)
    return report


def _vocabulary_report(report: SheetInspection, column: Column, table: Any,
                       parsed: Any) -> None:
    raw = table.raw[column.key]
    counts = raw[~parsed.blank].astype(str).str.strip().value_counts()
    report.values[column.name] = {str(k): int(v) for k, v in counts.items()}
    unknown = raw[parsed.bad].astype(str).str.strip().value_counts()
    if len(unknown):
        assert column.vocabulary is not None
        report.not_in_vocabulary[column.name] = {
            str(value): {"count": int(n), **suggest_value(column.vocabulary, str(value))}
            for value, n in unknown.items()}


def suggest_value(vocabulary: Vocabulary, value: str) -> dict[str, Any]:
    """What a word outside the vocabulary probably means: {"suggested", "how", "confident"}
    (confident: a known name for a canonical meaning, so --write-profile fills it in)."""
    folded = normalise_word(value)
    for meaning, words in SYNONYMS.get(vocabulary.name, {}).items():
        if folded in words or folded.replace("_", " ") in words:
            return {"suggested": meaning, "how": "a common name for it", "confident": True}
    from rapidfuzz import fuzz, process

    choices = list(dict.fromkeys((*vocabulary.words, *vocabulary.canonical)))
    best = process.extractOne(folded, [normalise_word(c) for c in choices],
                              scorer=fuzz.WRatio)
    if best is not None and best[1] >= 80:
        return {"suggested": choices[best[2]], "how": f"a close spelling ({best[1]:.0f} %)",
                "confident": False}
    return {"suggested": None, "how": "no suggestion", "confident": False}


def _money_unit(register: Any, table: Any, column: Column) -> str:
    from .money import header_money_unit

    unit = header_money_unit(table.headers.get(column.key, ""))
    if unit is not None and unit.scale != 1:
        return f"× {unit.scale:g}, from the header '{table.headers[column.key]}'"
    setting = register.settings.money_unit
    return "units" if setting == "units" else f"{setting}, from the Money Unit setting"


def _currency(register: Any) -> dict[str, Any]:
    origin = "the Currency setting" if register.settings.currency else (
        "the amounts and money headers" if register.currency != "EUR" else "the default")
    return {"in_force": register.currency, "from": origin}


# --- the starter profile ---------------------------------------------------------------------


def starter_profile(inspection: Inspection) -> str:
    """A profile (TOML) for the inspected register: confident mappings as settings, doubtful
    ones as comments to check (see the module docstring)."""
    lines = [f"# pmo-xl profile for {inspection.path.name}, started by `pmo-xl inspect` "
             f"(pmo-xl {__version__}) on {dt.date.today().isoformat()}.",
             "# Check it, then: pmo-xl validate "
             f"{_shell(inspection.path.name)} --profile <this file>",
             "# Lines starting with '# ' are suggestions pmo-xl was not sure of: check them, "
             "then remove the '# '.", "# Every key is explained in pmo-xl's README "
             "(The register standard).", ""]
    missing = [(s, m["column"]) for s in inspection.sheets if s.source for m in s.missing
               if m["status"] == "required"]
    # A column a sheet cannot be read without cannot be left out: only the user can say
    # which header holds it (asked under [columns]); every other one is not tracked.
    needed = {(s.sheet, name) for s, name in missing if name in _KEY_COLUMNS.get(s.sheet, ())}
    not_tracked = [name if s.sheet == "Projects" else f"{s.sheet}.{name}"
                   for s, name in missing if (s.sheet, name) not in needed]
    if not_tracked:
        lines += ["# Required columns not found in the register: figures that need them are "
                  "null. If one is there under another header, map it under [columns] "
                  "instead.", f"not_tracked = {_toml_list(not_tracked)}", ""]
    lines += _sheets_table(inspection)
    for sheet in inspection.sheets:
        lines += _columns_table(sheet, [name for s, name in needed if s == sheet.sheet])
    for sheet in inspection.sheets:
        lines += _values_tables(sheet)
    lines += _settings_table(inspection)
    return "\n".join(lines).rstrip() + "\n"


def _shell(name: str) -> str:
    return f'"{name}"' if " " in name else name


def _toml(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a TOML basic string is a JSON string


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(_toml(i) for i in items) + "]"


def _sheets_table(inspection: Inspection) -> list[str]:
    moved = [(s.sheet, s.source) for s in inspection.sheets
             if s.source and s.source.casefold() != s.sheet.casefold()
             and inspection.kind != "csv"]
    if not moved:
        return []
    return ["[sheets]", *(f"{_toml(name)} = {_toml(str(source))}" for name, source in moved),
            ""]


def _columns_table(sheet: SheetInspection, needed: list[str]) -> list[str]:
    found = [c for c in sheet.columns if c.how == "fuzzy" and c.maps_to]
    taken = {c.maps_to for c in sheet.columns if c.maps_to}
    doubtful = []
    for column in sheet.columns:
        if column.maps_to or not column.suggestions:
            continue
        best = column.suggestions[0]
        if best["column"] not in taken:
            doubtful.append((best["column"], column.header, best["score"]))
    if not found and not doubtful and not needed:
        return []
    lines = [f"[columns.{sheet.sheet}]"]
    lines += [f"# {_toml(name)} = \"?\"  # which header holds it? The sheet cannot be read "
              "without it" for name in needed
              if name not in {n for n, _, _ in doubtful}]
    lines += [f"{_toml(c.maps_to or '')} = {_toml(c.header)}  # a close match ({c.score:.0f} %)"
              for c in found]
    lines += [f"# {_toml(name)} = {_toml(header)}  # suggested ({score:.0f} %): is it?"
              for name, header, score in doubtful]
    return [*lines, ""]


def _values_tables(sheet: SheetInspection) -> list[str]:
    lines = []
    for column, values in sheet.not_in_vocabulary.items():
        lines.append(f"[values.{sheet.sheet}.{_toml(column)}]")
        for value, about in values.items():
            target = about["suggested"]
            if about["confident"]:
                lines.append(f"{_toml(value)} = {_toml(target)}  # {about['how']}")
            else:
                shown = _toml(target) if target else '"?"'
                lines.append(f"# {_toml(value)} = {shown}  # {about['how']}; "
                             f"{about['count']} row{'s' * (about['count'] != 1)}")
        lines.append("")
    return lines


def _settings_table(inspection: Inspection) -> list[str]:
    lines = []
    currency = inspection.currency
    if currency.get("from") == "the amounts and money headers":
        lines.append(f"\"Currency\" = {_toml(currency['in_force'])}  # what the amounts are "
                     "written in; a '$' could also be CAD, AUD, …")
    orders = {o for s in inspection.sheets for o in s.date_order.values()
              if o in ("DMY", "MDY")}
    if len(orders) == 1 and inspection.settings.get("date_order") == "auto":
        lines.append(f"\"Date Order\" = {_toml(orders.pop())}  # every date column with "
                     "unambiguous dates reads this way")
    return ["[settings]", *lines, ""] if lines else []
