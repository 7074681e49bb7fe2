"""Profiles: an organisation's standard for a register pmo-xl did not build.

A profile is a TOML file (read with the standard library's `tomllib`): `--profile PATH` on any
command that reads a register, else `pmo-xl.toml` in the register's folder. It says which of
the register's sheets and headers are pmo-xl's, what the organisation's words mean, which
columns it requires or does not keep, and any Settings value. Its tables and keys are declared
once in `PROFILE_KEYS` (the README's profile reference is generated from them).

A profile is configuration, so it is read strictly: an unknown table, sheet, column,
vocabulary, word or setting refuses the register with one line naming the profile and what to
fix (a typo must never turn into a silent misread).
"""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import RegisterError
from .schema import SETTINGS, VOCABULARIES, Column, Kind, SheetSchema, normalise_header
from .standard import Standard, add_words, meaning_problem, replace_columns, replace_vocabulary

PROFILE_NAME = "pmo-xl.toml"


@dataclass(frozen=True)
class ProfileKey:
    """One top-level key or table of a profile, for the loader and the docs."""

    key: str
    form: str
    meaning: str
    example: str


PROFILE_KEYS: tuple[ProfileKey, ...] = (
    ProfileKey("not_tracked", "list of column names",
               "Columns the register does not keep: no finding when they are absent, and every "
               "figure that needs one is null and labelled not tracked. `Sheet.Column` names "
               "one sheet's column; a bare name applies to every sheet that has it. Project ID "
               "and a sheet's key columns cannot be left out; without Project Name, reports "
               "name projects by their ID.",
               'not_tracked = ["Sponsor", "Project Manager", "Lessons.Owner"]'),
    ProfileKey("required", "list of column names",
               "Columns the organisation requires in addition to the defaults (same forms as "
               "not_tracked).", 'required = ["Programme", "Key Risks"]'),
    ProfileKey("sheets", "table: pmo-xl sheet = sheet name or .csv file",
               "Where each pmo-xl sheet is: a sheet of the register, or a CSV file (relative to "
               "the profile's folder).",
               '[sheets]\nProjects = "Project Register"\nLessons = "lessons.csv"'),
    ProfileKey("columns.<Sheet>", "table: pmo-xl column = header (or a list of headers)",
               "The register's header for a pmo-xl column; `*` matches any run of characters, "
               "case and spaces do not matter. Wins over pmo-xl's own header matching.",
               '[columns.Projects]\n"Project ID" = "Ref"\n"Budget" = "Approved budget*"'),
    ProfileKey("vocabularies.<Vocabulary>", "table: word = meaning, in order",
               f"Replaces a whole vocabulary ({', '.join(v.name for v in VOCABULARIES)}) with "
               "the organisation's words, each with its canonical meaning (a phase's stage, a "
               "rating's Green/Amber/Red, a probability's 1–5). The dropdowns "
               "of `pmo-xl new --from` list these words.",
               '[vocabularies.Phase]\nScope = "Initiation"\nDesign = "Planning"\n'
               'Construction = "Execution"\nHandover = "Closing"\nClosed = "Closed"'),
    ProfileKey("values.<Sheet>.<Column>", "table: register value = pmo-xl value",
               "More words for one column: each means what an existing word or canonical "
               "value means. Reports show the register's word; figures use its meaning.",
               '[values.Projects."Overall RAG"]\n"Amber/Red" = "Red"\n"On Track" = "Green"'),
    ProfileKey("settings", "table: setting name = value",
               "Any setting of the Settings sheet, by its name; wins over the register's own.",
               '[settings]\n"Date Order" = "MDY"\n"Money Unit" = "millions"\n'
               '"Currency" = "GBP"'),
)
_KNOWN_TOP = {key.key.split(".")[0] for key in PROFILE_KEYS}


@dataclass(frozen=True)
class Profile:
    """A profile as read from its file (names not yet checked against a standard)."""

    path: Path
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return self.path.parent

    def settings(self) -> dict[str, object]:
        """Setting key -> value as written (checked by name; values are checked like the
        Settings sheet's)."""
        by_name = {normalise_header(s.name): s for s in SETTINGS}
        found: dict[str, object] = {}
        for name, value in self._table("settings").items():
            setting = by_name.get(normalise_header(name))
            if setting is None:
                self.refuse(f"[settings] has no setting '{name}'"
                            f"{_did_you_mean(name, [s.name for s in SETTINGS])}")
            found[setting.key] = value
        return found

    def refuse(self, problem: str) -> None:
        raise RegisterError(self.path, f"profile: {problem}")

    def _table(self, key: str) -> Mapping[str, Any]:
        value = self.data.get(key, {})
        if not isinstance(value, Mapping):
            self.refuse(f"'{key}' must be a table ([{key}])")
        return value


def find_profile(register: Path, explicit: str | Path | None = None) -> Path | None:
    """The profile in force: the explicit one, else pmo-xl.toml beside the register."""
    if explicit is not None:
        return Path(explicit)
    if not register.is_file():  # an unsaved workbook in Excel has a name but no folder
        return None
    beside = register.parent / PROFILE_NAME
    return beside if beside.is_file() else None


def load_profile(path: str | Path) -> Profile:
    """Read a profile file; RegisterError for a missing, unreadable or malformed one."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise RegisterError(path, "profile not found") from None
    except IsADirectoryError:
        raise RegisterError(path, "profile is a folder, not a .toml file") from None
    except UnicodeDecodeError:
        raise RegisterError(path, "profile is not UTF-8 text (save it as UTF-8)") from None
    except OSError as error:
        raise RegisterError(path, f"profile cannot be read: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise RegisterError(path, f"profile is not valid TOML: {error}") from None
    profile = Profile(path, data)
    for key in data:
        if key not in _KNOWN_TOP:
            profile.refuse(f"unknown key '{key}'{_did_you_mean(key, sorted(_KNOWN_TOP))}; "
                           f"a profile has {', '.join(sorted(_KNOWN_TOP))}")
    return profile


def _did_you_mean(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    if not close:
        close = [c for c in choices if normalise_header(c) == normalise_header(name)]
    return f" (did you mean '{close[0]}'?)" if close else ""


# --- applying a profile to a standard --------------------------------------------------------


def apply_profile(standard: Standard, profile: Profile) -> Standard:
    """The standard with the profile's sheets, columns, vocabularies, values, required and
    not-tracked columns (settings are applied by the reader, with the Settings sheet's)."""
    standard = _apply_vocabularies(standard, profile)
    standard = _apply_values(standard, profile)
    standard = _apply_columns(standard, profile)
    standard = _apply_tracking(standard, profile)
    sheets = {}
    for name, source in profile._table("sheets").items():
        sheet = _sheet(standard, profile, name, "[sheets]")
        if not isinstance(source, str) or not source.strip():
            profile.refuse(f"[sheets] {name} must be a sheet name or a .csv file name")
        sheets[sheet.name] = source.strip()
    return dataclasses.replace(
        standard, sheet_sources={**standard.sheet_sources, **sheets},
        origin=(*standard.origin, f"profile {profile.path.name}"))


def _sheet(standard: Standard, profile: Profile, name: str, where: str) -> SheetSchema:
    try:
        return standard.sheet(name)
    except KeyError:
        names = [s.name for s in standard.sheets]
        profile.refuse(f"{where} names sheet '{name}'{_did_you_mean(name, names)}; pmo-xl's "
                       f"sheets are {', '.join(names)}")
        raise  # unreachable: refuse raises


def _column(sheet: SheetSchema, profile: Profile, name: str, where: str) -> Column:
    wanted = normalise_header(name)
    for column in sheet.columns:
        if wanted in column.spellings() or wanted == normalise_header(column.key):
            return column
    names = [c.name for c in sheet.columns]
    profile.refuse(f"{where} names column '{name}', which is not a {sheet.name} column"
                   f"{_did_you_mean(name, names)}")
    raise AssertionError  # unreachable: refuse raises


def _apply_vocabularies(standard: Standard, profile: Profile) -> Standard:
    in_force = {normalise_header(v.name): v for v in standard.vocabularies()}
    for name, words in profile._table("vocabularies").items():
        vocabulary = in_force.get(normalise_header(name))
        if vocabulary is None:
            known = [v.name for v in in_force.values()]
            profile.refuse(f"[vocabularies] has no vocabulary '{name}'"
                           f"{_did_you_mean(name, known)}; they are {', '.join(known)}")
        where = f"[vocabularies.{name}]"
        if not isinstance(words, Mapping) or not words:
            profile.refuse(f"{where} must list words = meanings")
        pairs = [(str(word).strip(), _meaning(profile, vocabulary, str(word), value, where))
                 for word, value in words.items()]
        replaced = dataclasses.replace(vocabulary, words=tuple(w for w, _ in pairs),
                                       meanings=tuple(m for _, m in pairs))
        standard = replace_vocabulary(standard, replaced)
    return standard


def _meaning(profile: Profile, vocabulary: Any, word: str, value: object, where: str) -> str:
    if vocabulary.open:
        return word if value in (None, "", True) else str(value).strip()
    meaning = str(value).strip() if isinstance(value, str) else None
    problem = meaning_problem(vocabulary, word, meaning)
    if problem:
        profile.refuse(f"{where}: {problem}")
    return next(c for c in vocabulary.canonical if c.casefold() == str(meaning).casefold())


def _apply_values(standard: Standard, profile: Profile) -> Standard:
    for sheet_name, columns in profile._table("values").items():
        sheet = _sheet(standard, profile, sheet_name, "[values]")
        if not isinstance(columns, Mapping):
            profile.refuse(f"[values.{sheet_name}] must hold one table per column")
        for column_name, words in columns.items():
            column = _column(sheet, profile, column_name, f"[values.{sheet_name}]")
            where = f"[values.{sheet_name}.{column_name}]"
            if column.kind is not Kind.ENUM or column.vocabulary is None:
                profile.refuse(f"{where}: {column.name} is not a column with a list of values")
            if not isinstance(words, Mapping):
                profile.refuse(f"{where} must map register values to pmo-xl values")
            _check_targets(profile, column, words, where)
            vocabulary = add_words(column.vocabulary, {str(k).strip(): str(v)
                                                       for k, v in words.items()})
            standard = replace_vocabulary(standard, vocabulary, (sheet.name, column.key))
            sheet = standard.sheet(sheet.name)
    return standard


def _check_targets(profile: Profile, column: Column, words: Mapping[str, Any],
                   where: str) -> None:
    vocabulary = column.vocabulary
    assert vocabulary is not None
    known = {w.casefold() for w in (*vocabulary.words, *vocabulary.canonical)}
    for word, target in words.items():
        if not isinstance(target, str) or target.strip().casefold() not in known:
            choices = ", ".join(dict.fromkeys((*vocabulary.words, *vocabulary.canonical)))
            profile.refuse(f"{where}: '{word}' = '{target}': the value must be one of "
                           f"{choices}")


def _apply_columns(standard: Standard, profile: Profile) -> Standard:
    patterns: dict[str, dict[str, tuple[str, ...]]] = {
        sheet: dict(keys) for sheet, keys in standard.header_patterns.items()}
    for sheet_name, columns in profile._table("columns").items():
        sheet = _sheet(standard, profile, sheet_name, "[columns]")
        if not isinstance(columns, Mapping):
            profile.refuse(f"[columns.{sheet_name}] must map pmo-xl columns to headers")
        for column_name, headers in columns.items():
            column = _column(sheet, profile, column_name, f"[columns.{sheet_name}]")
            given = [headers] if isinstance(headers, str) else headers
            if not isinstance(given, list) or not all(isinstance(h, str) and h.strip()
                                                      for h in given):
                profile.refuse(f"[columns.{sheet_name}] {column_name} must be a header text "
                               "or a list of them")
            patterns.setdefault(sheet.name, {})[column.key] = tuple(h.strip() for h in given)
    return dataclasses.replace(standard, header_patterns=patterns)


def _apply_tracking(standard: Standard, profile: Profile) -> Standard:
    changes: dict[tuple[str, str], dict[str, object]] = {}
    for key, change in (("required", {"required": True}), ("not_tracked", {"tracked": False})):
        for sheet, column in _named_columns(standard, profile, key):
            if key == "not_tracked" and column.key in sheet.key_columns and not (
                    sheet is standard.projects and column.key == "project_name"):
                profile.refuse(f"{key}: {sheet.name} cannot be read without {column.name}")
            changes.setdefault((sheet.name, column.key), {}).update(change)
    return replace_columns(standard, changes)


def _named_columns(standard: Standard, profile: Profile,
                   key: str) -> list[tuple[SheetSchema, Column]]:
    value = profile.data.get(key, [])
    named: list[tuple[str | None, str]] = []
    if isinstance(value, Mapping):  # {Sheet = [columns]}
        for sheet_name, names in value.items():
            named += [(sheet_name, n) for n in (names if isinstance(names, list) else [names])]
    elif isinstance(value, list):
        named = [tuple(n.split(".", 1)) if "." in n else (None, n)  # type: ignore[misc]
                 for n in value if isinstance(n, str)]
        if len(named) != len(value):
            profile.refuse(f"{key} must be a list of column names")
    else:
        profile.refuse(f"{key} must be a list of column names")
    found = []
    for sheet_name, name in named:
        if sheet_name is not None:
            sheet = _sheet(standard, profile, sheet_name, key)
            found.append((sheet, _column(sheet, profile, name, key)))
            continue
        # A bare name means the columns of that name; an alias only when no column has it.
        matches = ([(s, c) for s in standard.sheets for c in s.columns
                    if normalise_header(name) == normalise_header(c.name)]
                   or [(s, c) for s in standard.sheets for c in s.columns
                       if normalise_header(name) in c.spellings()])
        if not matches:
            _column(standard.projects, profile, name, key)  # refuses, with a suggestion
        found += matches
    return found
