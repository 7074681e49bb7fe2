"""The organisation's register standard, built per register.

pmo-xl's default standard is declared in `pmo_xl.schema`. An organisation overrides it:

1. in a pmo-xl workbook, on its **Lists** sheet (the dropdowns' source): each column names a
   vocabulary (`Phase`, `RAG`, ...) and lists its words; a `<name> means` column beside it
   gives each word's canonical meaning (the stage of a phase, the Green/Amber/Red of a rating);
2. in a **profile** (`pmo_xl.profile`), for registers pmo-xl did not build: sheet names, header
   patterns, vocabularies, value maps, required and not-tracked columns.

A profile wins over the workbook, the workbook over the defaults. `Standard` is the result:
the sheets with their columns resolved (vocabulary, required, tracked), which every other part
of pmo-xl takes instead of the schema's constants. Problems on the Lists sheet do not stop the
register from being read: they are listed in `problems` and become findings.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from .cells import cell_ref, column_letter
from .schema import SHEETS, Column, Kind, SheetSchema, Vocabulary, normalise_header, normalise_word

LISTS_SHEET = "Lists"
MEANS_SUFFIX = " means"


@dataclass(frozen=True)
class StandardProblem:
    """An entry of the Lists sheet that could not be used (the rest of the list still is)."""

    sheet: str
    row: int
    column: str  # the vocabulary's name
    cell: str
    message: str


@dataclass(frozen=True)
class Standard:
    """The standard in force for one register: its sheets and columns, resolved."""

    sheets: tuple[SheetSchema, ...]
    header_patterns: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    sheet_sources: Mapping[str, str] = field(default_factory=dict)
    origin: tuple[str, ...] = ("pmo-xl defaults",)
    problems: tuple[StandardProblem, ...] = ()

    def sheet(self, name: str) -> SheetSchema:
        for sheet in self.sheets:
            if sheet.name.casefold() == name.casefold():
                return sheet
        raise KeyError(name)

    @property
    def projects(self) -> SheetSchema:
        return self.sheets[0]

    def children(self) -> tuple[SheetSchema, ...]:
        """The sheets whose rows belong to a project (they reference Projects)."""
        return tuple(s for s in self.sheets if s.parent)

    def vocabularies(self) -> list[Vocabulary]:
        """Each vocabulary in force once, in the order the sheets first use them."""
        seen: dict[str, Vocabulary] = {}
        for column in self.columns():
            if column.vocabulary is not None:
                seen.setdefault(column.vocabulary.name, column.vocabulary)
        return list(seen.values())

    def columns(self) -> Iterator[Column]:
        for sheet in self.sheets:
            yield from sheet.columns

    def patterns(self, sheet: str) -> dict[str, tuple[str, ...]]:
        """Column key -> the header patterns the organisation gave for it."""
        return dict(self.header_patterns.get(sheet, {}))


DEFAULT_STANDARD = Standard(SHEETS)


# --- changing a standard ---------------------------------------------------------------------


def replace_columns(standard: Standard, changes: Mapping[tuple[str, str], Mapping[str, object]],
                    ) -> Standard:
    """A standard with some columns changed: (sheet, key) -> Column fields to replace."""
    sheets = []
    for sheet in standard.sheets:
        columns = tuple(
            dataclasses.replace(column, **changes[(sheet.name, column.key)])
            if (sheet.name, column.key) in changes else column for column in sheet.columns)
        sheets.append(dataclasses.replace(sheet, columns=columns))
    return dataclasses.replace(standard, sheets=tuple(sheets))


def replace_vocabulary(standard: Standard, vocabulary: Vocabulary,
                       only: tuple[str, str] | None = None) -> Standard:
    """Use `vocabulary` in every column that has a vocabulary of the same name (or only in
    the column `only` = (sheet, key))."""
    changes = {}
    for sheet in standard.sheets:
        for column in sheet.columns:
            if column.vocabulary is None:
                continue
            if (only == (sheet.name, column.key)
                    or (only is None and column.vocabulary.name == vocabulary.name)):
                changes[(sheet.name, column.key)] = {"vocabulary": vocabulary}
    return replace_columns(standard, changes)


def add_words(vocabulary: Vocabulary, words: Mapping[str, str]) -> Vocabulary:
    """The vocabulary with more words, each meaning what `words` says (an existing word's
    meaning, or a canonical meaning); the new words come first: they are the organisation's."""
    lookup = vocabulary.lookup()
    added: dict[str, str | None] = {}
    for word, target in words.items():
        meant = lookup.get(normalise_word(target))
        meaning = vocabulary.meaning(meant) if meant else _canonical(vocabulary, target)
        added[word] = meaning if meaning is not None else target
    kept = [(w, m) for w, m in zip(vocabulary.words, vocabulary.meanings, strict=True)
            if normalise_word(w) not in {normalise_word(a) for a in added}]
    pairs = [*added.items(), *kept]
    return dataclasses.replace(vocabulary, words=tuple(w for w, _ in pairs),
                               meanings=tuple(m for _, m in pairs))


def _canonical(vocabulary: Vocabulary, text: str) -> str | None:
    folded = normalise_word(text)
    return next((c for c in vocabulary.canonical if normalise_word(c) == folded), None)


def meaning_problem(vocabulary: Vocabulary, word: str, meaning: str | None) -> str:
    """'' when `meaning` is usable for `word` in this vocabulary, else what is wrong."""
    if vocabulary.open:
        return ""
    choices = ", ".join(vocabulary.canonical)
    if meaning is None:
        return (f"{vocabulary.name} '{word}' has no meaning: give it one of {choices} in "
                f"'{vocabulary.name}{MEANS_SUFFIX}'")
    if _canonical(vocabulary, meaning) is None:
        return f"{vocabulary.name} '{word}' means '{meaning}', which is not one of {choices}"
    return ""


# --- the Lists sheet -------------------------------------------------------------------------


def lists_layout(standard: Standard) -> list[tuple[Vocabulary, bool]]:
    """The Lists sheet's vocabularies in column order, each with whether it has a means
    column (the workbook builder writes this layout; `with_lists` reads it back)."""
    return [(v, not v.open) for v in standard.vocabularies()]


def with_lists(standard: Standard, rows: Sequence[Sequence[object]], sheet: str) -> Standard:
    """The standard with the vocabularies a Lists sheet declares (see the module docstring).

    A header names a vocabulary (`RAG`) or an enum column (`Overall RAG`, for that column
    only); `<header> means` beside it holds the meanings. Unusable entries are skipped and
    listed in `problems`."""
    if not rows:
        return standard
    header = list(rows[0])
    by_name = _list_targets(standard)
    problems: list[StandardProblem] = []
    for c, text in enumerate(header):
        target = by_name.get(normalise_header(text)) if isinstance(text, str) else None
        if target is None:
            continue
        vocabulary, only = target
        means_at = _means_column(header, str(text))
        found = _read_list(rows, c, means_at, vocabulary, sheet, problems)
        if found is not None:
            standard = replace_vocabulary(standard, found, only)
    origin = (*standard.origin, f"{sheet} sheet")
    return dataclasses.replace(standard, origin=origin,
                               problems=(*standard.problems, *problems))


def _list_targets(standard: Standard) -> dict[str, tuple[Vocabulary, tuple[str, str] | None]]:
    targets: dict[str, tuple[Vocabulary, tuple[str, str] | None]] = {}
    for sheet in standard.sheets:
        for column in sheet.columns:
            if column.kind is Kind.ENUM and column.vocabulary is not None:
                targets.setdefault(normalise_header(column.name),
                                   (column.vocabulary, (sheet.name, column.key)))
    for vocabulary in standard.vocabularies():
        targets[normalise_header(vocabulary.name)] = (vocabulary, None)
    return targets


def _means_column(header: Sequence[object], name: str) -> int | None:
    wanted = normalise_header(name + MEANS_SUFFIX)
    return next((i for i, text in enumerate(header)
                 if isinstance(text, str) and normalise_header(text) == wanted), None)


def _read_list(rows: Sequence[Sequence[object]], col: int, means_at: int | None,
               vocabulary: Vocabulary, sheet: str,
               problems: list[StandardProblem]) -> Vocabulary | None:
    words: list[str] = []
    meanings: list[str | None] = []
    for r, row in enumerate(rows[1:], start=2):
        word = _text(row[col] if col < len(row) else None)
        if not word or normalise_word(word) in {normalise_word(w) for w in words}:
            continue
        meaning: str | None = word
        if not vocabulary.open:  # a word of the canonical list may leave its meaning blank
            given = _text(row[means_at]) if means_at is not None and means_at < len(row) else ""
            meaning = given or _canonical(vocabulary, word)
        problem = meaning_problem(vocabulary, word, meaning)
        if problem:
            letter = column_letter(means_at if means_at is not None else col)
            problems.append(StandardProblem(sheet, r, vocabulary.name,
                                            cell_ref(sheet, letter, r), problem))
            meaning = None
        words.append(word)
        meanings.append(_canonical(vocabulary, meaning) if meaning and not vocabulary.open
                        else meaning)
    if not words:
        return None
    return dataclasses.replace(vocabulary, words=tuple(words), meanings=tuple(meanings))


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())
