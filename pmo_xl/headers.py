"""Finding a register's header row and mapping its headers to pmo-xl columns.

Registers are kept by people, not designed for pmo-xl: title rows sit above the table, headers
are spelt `Project_ID`, `projectId` or `Budget (£m)`, a group row ("Budget" merged over
"Approved | Actual | Forecast") may sit above the real header, and headers get misspelt. This
module decides which row is the header and what each header cell means:

* `header_spellings` reduces a header to the forms it may be matched by;
* `find_header` picks the header row (one or two rows) among the first rows of a sheet and maps
  every header cell, through the organisation's profile patterns, the columns' names and
  aliases, and (only when confident) a fuzzy match;
* `match_header` maps one header text on its own (for `inspect`).

How one header is matched, strongest first: a profile pattern ("profile"), the column's name
("exact") or an alias ("alias"), then a fuzzy match ("fuzzy"). Only exact lookups are used to
choose the header row, so the search stays fast; fuzzy matching runs once, on the chosen row.

A wrong fuzzy match silently reads the wrong column, a missed one is reported with its
suggestions, so a fuzzy match is applied only when it looks like a typo: a score of at least
85, at most one typo (two in long words), the same digits, clearly ahead of any other column,
and no other header near the same column. See the FUZZY_* constants.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from .schema import Column

MIN_HEADER_COLUMNS = 2  # a row naming fewer schema columns is not a header row

# Fuzzy matching (scores are rapidfuzz's `fuzz.ratio`, 0-100, on normalised spellings). A fuzzy
# match is applied only when all of these hold, else the guesses become suggestions:
FUZZY_MIN_LENGTH = 4  # shorter headers (BU, FFC, PM) are codes: never fuzzy-matched
FUZZY_APPLY_LENGTH = 5  # "Stat" is not a misspelt "Start": 4 letters only get suggestions
FUZZY_MIN_SCORE = 85.0  # one typo in a 7-letter word ("Sponser") scores 85.7
FUZZY_MIN_LEAD = 5.0  # ahead of the best other column: "Estimated Completion" is 92 vs 90
FUZZY_LONG = 12  # words at least this long (both) may carry two typos, shorter ones one:
# "Planned Spend" is two edits from "Planned End", a different column
SUGGEST_MIN_SCORE = 60.0
SUGGESTIONS = 3

# Separators people put between words (besides whitespace, which str.split removes); BOMs and
# zero-width spaces come with CSV exports.
_SEPARATORS = "_-."
_WIDE_SEPARATORS = "\u2010\u2011\u2012\u2013\u2014\u2015\u200b\ufeff"
_INVISIBLE = "\u200b\ufeff"
_NO_PROFILE: frozenset[str] = frozenset()
_BRACKETS = {")": "(", "]": "["}
_DIGITS = re.compile(r"\d+")


def _squeeze(text: str) -> str:
    squeezed = "".join(text.casefold().split())
    # str.replace per separator is several times faster than a regex or str.translate: the
    # header search normalises every cell of the first rows, descriptions included.
    for separator in _SEPARATORS if squeezed.isascii() else _SEPARATORS + _WIDE_SEPARATORS:
        if separator in squeezed:
            squeezed = squeezed.replace(separator, "")
    return squeezed


def _normalise(text: str) -> str:
    # A header made only of separators ("-", "_") still needs a non-empty spelling.
    return _squeeze(text) or "".join(text.casefold().split())


def _trailing_part(text: str) -> tuple[str, str] | None:
    """("Budget", "£m") for "Budget (£m)": the text before a trailing bracketed part, and it."""
    opening = _BRACKETS.get(text[-1:])
    start = text.rfind(opening) if opening else -1
    if start < 0:
        return None
    part = text[start + 1:-1]
    if any(b in part for b in "()[]"):
        return None  # nested brackets: not a simple trailing part
    return text[:start].rstrip(), part


def _shown(value: object) -> str:
    """A cell as a header text: whitespace (line breaks too) collapsed, "" when blank."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # calamine reads a header typed as 2024 as 2024.0
    text = str(value)
    if not text.isascii():
        for invisible in _INVISIBLE:
            text = text.replace(invisible, "")
    return " ".join(text.split())


def header_spellings(text: object) -> tuple[str, ...]:
    """The normalised forms a header may be matched by, most specific first.

    The whole text, and for a trailing parenthesised (or bracketed) part ("Project Manager
    (PM)", "Budget (£m)") also the text without it and the part alone. Normalised: casefolded, with
    whitespace, underscores, hyphens and dots removed ("Project_ID", "project-id", "projectId"
    all give "projectid"). A blank cell has no spellings.
    """
    return _spellings(_shown(text))


def _spellings(shown: str) -> tuple[str, ...]:
    """`header_spellings` of a text already reduced by `_shown`."""
    if not shown:
        return ()
    whole = _normalise(shown)
    spellings = [whole]
    if part := _trailing_part(shown):
        spellings += map(_normalise, part)
    else:
        spellings.append(_normalise(_without_unit(shown)))
    return tuple(dict.fromkeys(s for s in spellings if s))


def _without_unit(shown: str) -> str:
    """A money header without the unit glued to it ('Budget_kEUR', 'Cost £m' -> 'Budget',
    'Cost'); bracketed units are the trailing part already."""
    from .money import header_money_unit

    unit = header_money_unit(shown)
    if unit is None or not unit.text or not shown.endswith(unit.text):
        return ""
    return shown[: -len(unit.text)].rstrip(" _-.")


@dataclass(frozen=True)
class HeaderMatch:
    """How one header cell maps to a pmo-xl column.

    `how` is "exact" (the column's name), "alias", "profile", "fuzzy" or None (unmatched);
    `score` is 100 except for fuzzy matches; `suggestions` are up to three (key, score) guesses
    for an unmatched header.
    """

    index: int
    header: str
    key: str | None
    how: str | None
    score: float | None
    suggestions: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class HeaderLayout:
    """The header of a sheet: where it is and what each header cell means.

    `row` is the 0-based header row (the lower row of a two-row header, `rows` == 2).
    `duplicates` lists (key, first index, later index) when two headers name one column; the
    first keeps the key, the later one is unmatched.
    """

    row: int
    rows: int
    matches: tuple[HeaderMatch, ...]
    duplicates: tuple[tuple[str, int, int], ...] = ()

    def positions(self) -> dict[str, int]:
        """Column key -> 0-based column index, for every matched header."""
        return {m.key: m.index for m in self.matches if m.key is not None}


class _Text(NamedTuple):
    """A header text and what it matches by name or alias and by profile pattern."""

    shown: str
    spellings: tuple[str, ...]
    hit: tuple[str, str] | None  # the first (key, how) its spellings find by name or alias
    profile: frozenset[str]  # keys whose profile pattern it matches


_BLANK_TEXT = _Text("", (), None, frozenset())


class _Cell(NamedTuple):
    """A header cell ready for matching: its spellings, lookup hit and profile keys."""

    index: int
    shown: str
    spellings: tuple[str, ...]
    hit: tuple[str, str] | None  # the first (key, how) its spellings find by name or alias
    profile: frozenset[str]  # keys whose profile pattern it matches
    lower: bool = True  # False: taken from the upper row alone (a vertically merged cell)


@dataclass
class _Assignment:
    keys: dict[int, tuple[str, str]] = field(default_factory=dict)  # index -> (key, how)
    duplicates: list[tuple[str, int, int]] = field(default_factory=list)
    settled: set[int] = field(default_factory=set)  # known meaning, never fuzzy-matched


def _pattern(pattern: str) -> re.Pattern[str] | None:
    # Each piece between the `*`s is normalised like a header, so "Approved budget*" is
    # matched case- and space-insensitively and `*` stands for any run of characters.
    pieces = [_squeeze(piece) for piece in str(pattern).split("*")]
    regex = ".*".join(map(re.escape, pieces))
    return re.compile(regex, re.S) if regex else None


class _Matcher:
    """The lookups of one set of columns and profile patterns, with a per-call cell cache."""

    def __init__(self, columns: Sequence[Column],
                 patterns: Mapping[str, str | Sequence[str]] | None) -> None:
        self.columns = tuple(columns)
        self.lookup: dict[str, tuple[str, str]] = {}
        # Names first: a column's name wins over another column's alias.
        for col in self.columns:
            self.lookup.setdefault(_normalise(col.name), (col.key, "exact"))
        for col in self.columns:
            for alias in col.aliases:
                if alias.strip():
                    self.lookup.setdefault(_normalise(alias), (col.key, "alias"))
        keys = {col.key for col in self.columns}
        given = [(k, p) for k, value in (patterns or {}).items() if k in keys
                 for p in ([value] if isinstance(value, str) else value)]
        # Literal patterns first: they are more specific than wildcard ones.
        ordered = sorted(given, key=lambda kp: "*" in kp[1])
        self.patterns = [(k, rx) for k, p in ordered if (rx := _pattern(p)) is not None]
        self.pattern_keys = tuple(dict.fromkeys(k for k, _ in self.patterns))
        self._values: dict[tuple[type, object], _Text] = {}
        self._texts: dict[tuple[str, tuple[str, ...] | None], _Text] = {}

    def text(self, shown: str, spellings: tuple[str, ...] | None = None) -> _Text:
        """A header text (with its spellings, if not its own: a two-row header's) and what it
        matches by name, alias and profile, cached."""
        cache_key = (shown, spellings)
        found = self._texts.get(cache_key)
        if found is None:
            forms = _spellings(shown) if spellings is None else spellings
            hit = next((self.lookup[s] for s in forms if s in self.lookup), None)
            profile = frozenset(k for k, rx in self.patterns
                                if any(rx.fullmatch(s) for s in forms)
                                ) if self.patterns else _NO_PROFILE
            found = self._texts[cache_key] = _Text(shown, forms, hit, profile)
        return found

    def value(self, value: object) -> _Text:
        """`text` of a cell value; cached by value too, as title rows and blanks repeat."""
        if value is None or value == "":
            return _BLANK_TEXT
        cache_key = (value.__class__, value)  # True, 1 and 1.0 are equal but read differently
        try:
            found = self._values.get(cache_key)
        except TypeError:  # an unhashable cell value: not worth caching
            return self.text(_shown(value))
        if found is None:
            found = self._values[cache_key] = self.text(_shown(value))
        return found

    def row_texts(self, row: Sequence[object]) -> list[_Text]:
        return [self.value(value) for value in row]


def _cells(texts: Sequence[_Text], known_only: bool = False) -> list[_Cell]:
    """The header cells of a row; `known_only`: only those a name, alias or profile matches
    (all the header row search needs)."""
    return [_Cell(i, *text) for i, text in enumerate(texts)
            if text.spellings and (text.hit or text.profile or not known_only)]


def _assign(cells: Sequence[_Cell], pattern_keys: Sequence[str]) -> _Assignment:
    """Map cells by profile, then by name or alias; a column is taken by one header only."""
    out = _Assignment()
    taken: dict[str, int] = {}
    for key in pattern_keys:
        candidates = [c for c in cells if key in c.profile and c.index not in out.keys]
        # Prefer a header that is not another column's name or alias ("Budget*" should take
        # "Budget (£m)", not "Budget RAG"), but the profile has the last word.
        own = [c for c in candidates if c.hit is None or c.hit[0] == key]
        if first := (own or candidates)[:1]:
            out.keys[first[0].index] = (key, "profile")
            taken[key] = first[0].index
    profiled = set(taken)
    for cell in cells:
        if cell.index in out.keys:
            continue
        if cell.hit is None or cell.hit[0] in profiled:
            again = next((k for k in pattern_keys if k in cell.profile), None)
            if again is not None and (cell.hit is None or cell.hit[0] == again):
                out.duplicates.append((again, taken[again], cell.index))
            if cell.hit is not None or again is not None:
                out.settled.add(cell.index)  # the profile's header stands for this column
            continue
        key, how = cell.hit
        out.settled.add(cell.index)
        if key in taken:
            out.duplicates.append((key, taken[key], cell.index))
        else:
            out.keys[cell.index] = (key, how)
            taken[key] = cell.index
    return out


def _digits(text: str) -> list[str]:
    return _DIGITS.findall(text)


def _typo(spelling: str, choice: str) -> bool:
    """Whether `spelling` is `choice` with a typo or two, not a numbered variant of it."""
    shorter = min(len(spelling), len(choice))
    if shorter < FUZZY_APPLY_LENGTH:
        return False
    allowed = 1 if shorter < FUZZY_LONG else 2
    from rapidfuzz.distance import OSA  # here: a register whose headers all match never needs it

    # "Stage1" is not a misspelt "Stage": numbered columns are distinct columns.
    return OSA.distance(spelling, choice) <= allowed and _digits(spelling) == _digits(choice)


def _fuzzy_scores(spellings: Sequence[str], choices: Sequence[str],
                  keys: Sequence[str]) -> tuple[list[tuple[str, float]], str | None]:
    """Best score per column key (>= SUGGEST_MIN_SCORE, best first) and the confident key."""
    from rapidfuzz import fuzz, process  # here: only headers that match no column need it

    best: dict[str, float] = {}
    plausible: set[str] = set()
    for spelling in spellings:
        if len(spelling) < FUZZY_MIN_LENGTH:
            continue
        for choice, score, i in process.extract(spelling, choices, scorer=fuzz.ratio,
                                                score_cutoff=SUGGEST_MIN_SCORE, limit=None):
            best[keys[i]] = max(best.get(keys[i], 0.0), score)
            if score >= FUZZY_MIN_SCORE and _typo(spelling, choice):
                plausible.add(keys[i])
    order = {key: n for n, key in enumerate(dict.fromkeys(keys))}
    ranked = sorted(best.items(), key=lambda kv: (-kv[1], order[kv[0]]))
    confident = None
    if ranked and ranked[0][0] in plausible:
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        if ranked[0][1] - runner_up >= FUZZY_MIN_LEAD:
            confident = ranked[0][0]
    return [(k, round(s, 1)) for k, s in ranked], confident


def _fuzzy(cells: Sequence[_Cell], assignment: _Assignment, columns: Sequence[Column],
           ) -> tuple[dict[int, tuple[str, float]], dict[int, tuple[tuple[str, float], ...]]]:
    """Fuzzy matches to apply (index -> key, score) and suggestions for the rest."""
    matched = {key for key, _ in assignment.keys.values()}
    free = [col for col in columns if col.key not in matched]
    choices, keys = [], []
    for col in free:
        for text in (col.name, *col.aliases):
            if text.strip():
                choices.append(_normalise(text))
                keys.append(col.key)
    ranked: dict[int, list[tuple[str, float]]] = {}
    claims: dict[str, list[int]] = {}
    for cell in cells:
        if cell.index in assignment.keys or cell.index in assignment.settled:
            continue
        ranked[cell.index], confident = _fuzzy_scores(cell.spellings, choices, keys)
        if confident is not None:
            claims.setdefault(confident, []).append(cell.index)
    # Two headers confidently near one column ("Stage1", "Stage2"): neither is applied.
    applied = {found[0]: (key, dict(ranked[found[0]])[key])
               for key, found in claims.items() if len(found) == 1}
    gone = {key for key, _ in applied.values()}
    suggestions = {index: tuple([(k, s) for k, s in scores if k not in gone][:SUGGESTIONS])
                   for index, scores in ranked.items() if index not in applied}
    return applied, suggestions


def _layout(cells: Sequence[_Cell], matcher: _Matcher, row: int, rows: int) -> HeaderLayout:
    assignment = _assign(cells, matcher.pattern_keys)
    applied, suggestions = _fuzzy(cells, assignment, matcher.columns)
    matches = []
    for cell in cells:
        if cell.index in assignment.keys:
            key, how = assignment.keys[cell.index]
            matches.append(HeaderMatch(cell.index, cell.shown, key, how, 100.0))
        elif cell.index in applied:
            key, score = applied[cell.index]
            matches.append(HeaderMatch(cell.index, cell.shown, key, "fuzzy", score))
        else:
            matches.append(HeaderMatch(cell.index, cell.shown, None, None, None,
                                       suggestions.get(cell.index, ())))
    return HeaderLayout(row, rows, tuple(matches), tuple(assignment.duplicates))


def match_header(text: object, columns: Sequence[Column],
                 patterns: Mapping[str, str | Sequence[str]] | None = None) -> HeaderMatch:
    """How one header text on its own maps to `columns` (index 0)."""
    matcher = _Matcher(columns, patterns)
    found = matcher.value(text)
    if not found.spellings:
        return HeaderMatch(0, found.shown, None, None, None)
    return _layout([_Cell(0, *found)], matcher, 0, 1).matches[0]


Merge = tuple[int, int, int, int]
# A merged range, 0-based: (first_row, first_col, last_row, last_col), or as python-calamine's
# `merged_cell_ranges` gives it, ((first_row, first_col), (last_row, last_col)).
MergedRange = Merge | tuple[tuple[int, int], tuple[int, int]]


def _merges(merged: Sequence[MergedRange]) -> dict[int, dict[int, Merge]]:
    """Merged ranges by first row, then first column."""
    found: dict[int, dict[int, Merge]] = {}
    for item in merged:
        if len(item) == 2:
            (r0, c0), (r1, c1) = item  # type: ignore[misc]
        else:
            r0, c0, r1, c1 = item  # type: ignore[misc]
        found.setdefault(int(r0), {})[int(c0)] = (int(r0), int(c0), int(r1), int(c1))
    return found


def _at(texts: Sequence[_Text], index: int) -> _Text:
    return texts[index] if index < len(texts) else _BLANK_TEXT


def _group_spans(upper: Sequence[_Text], lower: Sequence[_Text],
                 merges: Mapping[int, Merge]) -> dict[int, _Text]:
    """Column -> group label, for upper-row labels heading two or more filled lower cells.

    A merged range in the upper row (`merges`: by first column) gives the span; without
    merge information a label standing on a filled lower cell spans the blank upper cells to
    its right whose lower cells are filled (how a group looks when the merge was lost or
    "centre across selection" was used).
    """
    spans: dict[int, _Text] = {}
    width = max(len(upper), len(lower))
    for c, label in enumerate(upper):
        if not label.shown:
            continue
        if c in merges:
            r0, _, r1, c1 = merges[c]
            end = c1 if r1 == r0 else c  # merged down into the lower row too: not a group
        elif not _at(lower, c).shown:
            continue
        else:
            end = c
            while (end + 1 < width and not _at(upper, end + 1).shown
                   and _at(lower, end + 1).shown):
                end += 1
        if end > c and sum(1 for j in range(c, end + 1) if _at(lower, j).shown) >= 2:
            spans.update(dict.fromkeys(range(c, end + 1), label))
    return spans


def _may_group(upper: Sequence[_Text], lower: Sequence[_Text],
               merges: Mapping[int, Merge]) -> bool:
    """Cheap test before `_group_spans`: a group needs a merge in the upper row, or a blank
    upper cell over a filled lower one."""
    return bool(merges) or any(
        not _at(upper, c).shown and lower[c].shown for c in range(len(lower)))


def _combined(matcher: _Matcher, group: _Text, own: _Text) -> _Text:
    """"Group / Own" matched as "Group Own", "Own Group" or "Own" (in that order)."""
    forms = [g + o for g in group.spellings for o in own.spellings]
    forms += [o + g for o in own.spellings for g in group.spellings]
    spellings = tuple(dict.fromkeys([*forms, *own.spellings]))
    return matcher.text(f"{group.shown} / {own.shown}", spellings)


def _two_row_cells(matcher: _Matcher, upper: Sequence[_Text], lower: Sequence[_Text],
                   spans: Mapping[int, _Text]) -> list[_Cell]:
    """Header cells of a two-row header: "group + own", own, or the upper cell alone."""
    cells = []
    for c in range(max(len(upper), len(lower))):
        own, up = _at(lower, c), _at(upper, c)
        group = spans.get(c) or up
        if own.shown and group.shown:
            cells.append(_Cell(c, *_combined(matcher, group, own)))
        elif own.shown:
            cells.append(_Cell(c, *own))
        elif up.shown and c not in spans:  # merged (or standing) over both rows
            cells.append(_Cell(c, *up, lower=False))
    return cells


def _two_row(matcher: _Matcher, upper: Sequence[_Text], lower: Sequence[_Text],
             merges: Mapping[int, Merge], lower_score: int) -> tuple[int, list[_Cell]] | None:
    """The score and cells of (upper, lower) read as a two-row header, if the group labels
    add to the lower row: its cells read with them must map more columns than the lower row
    alone (a title or "Status as of" row above a header adds nothing)."""
    if not _may_group(upper, lower, merges):
        return None
    spans = _group_spans(upper, lower, merges)
    if not spans:
        return None
    cells = _two_row_cells(matcher, upper, lower, spans)
    keys = _assign([c for c in cells if c.hit or c.profile], matcher.pattern_keys).keys
    from_lower = sum(1 for cell in cells if cell.lower and cell.index in keys)
    if len(keys) < MIN_HEADER_COLUMNS or from_lower <= lower_score:
        return None
    return len(keys), cells


def find_header(rows: Sequence[Sequence[object]], columns: Sequence[Column], *,
                patterns: Mapping[str, str | Sequence[str]] | None = None,
                search_rows: int = 20, merged: Sequence[MergedRange] = (),
                min_columns: int = MIN_HEADER_COLUMNS) -> HeaderLayout | None:
    """The header of a sheet whose rows (from A1) are `rows`, or None if there is none.

    The header row is the row among the first `search_rows` that maps the most columns (at
    least two; ties go to the upper row), or a two-row header (group labels above the real
    header) when that maps more than its lower row alone. `patterns` maps column keys to the
    organisation's header (or headers; `*` matches anything); `merged` are the sheet's merged
    ranges (see `MergedRange`). `min_columns=1` accepts a row that names a single column
    (the caller then checks which: a register whose header names only its ID).
    """
    matcher = _Matcher(columns, patterns)
    merges = _merges(merged)
    best: tuple[int, int, int] | None = None  # (score, -first row, rows)
    chosen: tuple[int, list[_Cell]] = (0, [])
    upper: list[_Text] = []
    every_column = len({column.key for column in columns})
    for r, row in enumerate(rows[:search_rows]):
        texts = matcher.row_texts(row)
        known = _cells(texts, known_only=True)
        score = len(_assign(known, matcher.pattern_keys).keys) if known else 0
        if score >= min_columns and (best is None or (score, -r, 1) > best):
            best, chosen = (score, -r, 1), (r, _cells(texts))
        if (r and any(t.shown for t in upper)
                and sum(1 for t in texts if t.shown) >= MIN_HEADER_COLUMNS):
            double = _two_row(matcher, upper, texts, merges.get(r - 1, {}), score)
            if double is not None and (best is None or (double[0], 1 - r, 2) > best):
                best, chosen = (double[0], 1 - r, 2), (r, double[1])
        if best is not None and best[0] == every_column:
            break  # every column found: no row below can map more (ties go to the upper)
        upper = texts
    if best is None:
        return None
    return _layout(chosen[1], matcher, chosen[0], best[2])
