"""Lessons that reach the next project: past lessons recommended to each project, and the
recurring themes of the portfolio's lessons log.

Pure core: no terminal, no Excel, no network, no model. `build_index(register)` indexes every
lesson (its Lesson, Description and Recommendation text and Category; its Type, Impact, Action
Status and date; its source project's Programme, and the phase that project was in when the
lesson was logged, where a history says so) for Okapi BM25 ranking. `recommend(index, id)`
ranks the lessons of *other* projects for one project, `recommend_all(index)` for all of them
at once, `search(index, text)` for a free query, `themes(index)` groups similar Improve
lessons of several projects.

Text is plain English: casefolded words, a PMO thesaurus that folds common synonyms into one
term (vendor, contractor and integrator are all `supplier`; go-live, cutover and launch are
`golive`), English stop words out, Snowball stems (PyStemmer). The BM25 variant is Lucene's
(bm25s's default, k1 = 1.5, b = 0.75), scored eagerly: the index holds each term's score in
each lesson as a sparse column, so a query's scores over all lessons are a weighted sum of a
few columns (numpy). A query keeps its 25 strongest terms, without the log's commonest words
(as Lucene's MoreLikeThis). The top N is exact: boosts are computed, as numpy arrays, only for
the lessons whose BM25 is at least θ over the largest multiplier, θ being the N-th best of
BM25 × (1 + the project-independent boosts) among the lessons of the query's strongest term;
no other lesson can reach the top.

Score of a lesson for a project = BM25(query, lesson) × (1 + boosts), where the boosts are
(see `BOOSTS`): same programme, logged in the project's current or next phase, its category is
one the project's current problems point to (`PROBLEMS`), an Improve lesson with a
recommendation, its impact, and how recent it is. A lesson that shares no term with the query
is never recommended, however well it is boosted: every recommendation can say which words
matched, and which of the project's open RAID items share them.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .metrics import project_metrics, resolve_as_of
from .reader import Register, gc_paused
from .schema import STAGES

__all__ = ["LessonIndex", "Recommendation", "Theme", "UnknownProject", "build_index",
           "recommend", "recommend_all", "search", "themes", "bm25_scores", "BOOSTS",
           "PROBLEMS", "SYNONYMS"]

# Okapi BM25, Lucene's variant (as bm25s computes it by default).
K1, B = 1.5, 0.75

# Multipliers above 1 × BM25; each documented in the README ("Lessons").
BOOSTS: Mapping[str, float] = {
    "same_programme": 0.30,
    "phase": 0.20,  # logged in the project's current or next phase
    "problem_category": 0.30,  # its category is one the project's current problems point to
    "improve_with_recommendation": 0.20,
    "high_impact": 0.15,
    "medium_impact": 0.05,
    "recent": 0.15,  # × exp(-age / RECENT_DAYS)
}
RECENT_DAYS = 730.0

# How much each field of a project's register row counts in its query.
QUERY_FIELDS: Mapping[str, float] = {
    "project_name": 1.0, "status_summary": 1.0, "key_risks": 1.0, "next_steps": 1.0,
    "programme": 0.5, "business_unit": 0.5,
}
PROBLEM_WEIGHT = 0.5  # the words a current problem adds to the query
# The words of the project's open RAID items (Title, Description, Response): half a
# field's weight, so that a long RAID log informs the query without drowning the project's
# own Status Summary and Key Risks.
RAID_WEIGHT = 0.5
# A query keeps its strongest terms (weight × idf), and leaves out the words of this log
# that most lessons use: they tell lessons apart least and cost most (a word in every tenth
# lesson of 100k touches 10k of them). Lucene's MoreLikeThis does the same (maxQueryTerms 25,
# maxDocFreqPct).
MAX_QUERY_TERMS = 25
COMMON_SHARE, COMMON_FLOOR = 0.05, 50  # in more than max(50, 5 % of the lessons): left out
MAX_TERM_WEIGHT = 2.0  # a term in several fields counts more, up to this

# The text of a lesson that is indexed (its Category too: "a Cost lesson").
LESSON_TEXT = ("lesson", "description", "recommendation", "category_label")
NEXT_PHASE = dict(zip(STAGES[:-1], STAGES[1:], strict=True))


@dataclass(frozen=True)
class Problem:
    """A current problem of a project, from its roll-up figures: the lesson categories it
    points to and the words it adds to the project's query."""

    name: str
    categories: tuple[str, ...]
    words: str
    test: Callable[[pd.DataFrame], pd.Series]


def _flag(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame[column].fillna(False).astype(bool) if column in frame else (
        pd.Series(False, index=frame.index))


def _rag(frame: pd.DataFrame, column: str) -> pd.Series:
    return frame[column].isin(["Red", "Amber"]) if column in frame else (
        pd.Series(False, index=frame.index))


# The explicit mapping from a project's figures to the lessons worth reading about them.
PROBLEMS: tuple[Problem, ...] = (
    Problem("slipped", ("Schedule", "Planning"), "schedule delay late slipped",
            lambda p: _flag(p, "slipped") | _rag(p, "schedule_rag")),
    Problem("behind plan", ("Schedule", "Resources"), "behind schedule resource",
            lambda p: _flag(p, "low_spi")),
    Problem("over budget", ("Cost",), "cost budget estimate overrun contingency",
            lambda p: _flag(p, "low_cpi") | (p["vac"] < 0).fillna(False)
            | _rag(p, "cost_rag")),
    Problem("stale", ("Communication", "Governance"), "status reporting update governance",
            lambda p: _flag(p, "stale")),
    Problem("red", ("Risk", "Governance"), "risk escalation", lambda p: p["overall_rag"] == "Red"),
)

# --- text ------------------------------------------------------------------------------------

_WORD = re.compile(r"\w+(?:['’-]\w+)*")
_POSSESSIVE = re.compile(r"['’]s$")
_STOP_WORDS_TEXT = """
a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers herself him himself his how i if in into is it
its itself just me more most my myself no nor not now of off on once only or other our ours
ourselves out over own same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we were
what when where which while who whom why will with would you your yours yourself yourselves
s t d ll m re ve y per via etc e g ie eg us one two three four five six seven eight nine ten
got get gets make made use used using each every nobody anyone someone
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())

# A PMO thesaurus: words that mean the same in a lessons log, folded into one term. Written
# from PMO usage before the evaluation was run; a word maps to the term on the right.
SYNONYMS: Mapping[str, str] = {
    **dict.fromkeys(("vendor", "vendors", "supplier", "suppliers", "contractor", "contractors",
                     "subcontractor", "subcontractors", "integrator", "integrators",
                     "provider", "providers", "outsourcer", "agency", "agencies", "partner",
                     "partners", "third-party", "thirdparty", "consultancy"), "supplier"),
    **dict.fromkeys(("go-live", "golive", "cutover", "cut-over", "launch", "launched",
                     "launches", "switch-over", "switchover", "switch-off", "live"), "golive"),
    **dict.fromkeys(("migration", "migrations", "migrate", "migrated", "migrating",
                     "conversion", "convert", "converting", "converted"), "migration"),
    **dict.fromkeys(("delay", "delays", "delayed", "late", "later", "slip", "slipped",
                     "slippage", "overran", "behind", "backordered", "backorder"), "late"),
    **dict.fromkeys(("onboarding", "onboard", "onboarded", "mobilise", "mobilised",
                     "mobilize", "mobilized", "mobilisation", "induction", "inducted",
                     "vetting", "vetted"), "onboard"),
    **dict.fromkeys(("sme", "smes", "expert", "experts", "specialist", "specialists"),
                    "expert"),
    **dict.fromkeys(("uat", "test", "tests", "testing", "tested", "testers"), "test"),
    **dict.fromkeys(("privacy", "dpia", "gdpr", "anonymised", "anonymisation"), "privacy"),
    **dict.fromkeys(("interface", "interfaces", "integration", "integrations", "integrate",
                     "feed", "feeds", "sync"), "interface"),
    **dict.fromkeys(("hardware", "device", "devices", "equipment", "kit"), "hardware"),
    **dict.fromkeys(("overspent", "overspend", "overrun", "overruns", "over-budget"),
                    "overrun"),
    **dict.fromkeys(("steering", "board", "committee"), "steering"),
    **dict.fromkeys(("adoption", "uptake"), "adoption"),
    **dict.fromkeys(("cleanse", "cleansed", "cleansing", "deduplicate", "deduplication",
                     "duplicates", "duplicate"), "cleanse"),
    **dict.fromkeys(("rollback", "roll-back", "fallback", "fall-back", "revert"), "rollback"),
}


class Analyzer:
    """Words → term ids, with a cache per distinct word: a corpus of 100k lessons has a few
    tens of thousands of distinct words, so each is folded, stopped and stemmed once."""

    def __init__(self) -> None:
        import Stemmer

        self._stem = Stemmer.Stemmer("english").stemWords
        self.terms: dict[str, int] = {}  # term -> id
        self.words: dict[str, int] = {}  # a word as written -> term id (-1: a stop word)
        self.spelling: list[str] = []  # term id -> the word it was first seen as
        self._pieces: dict[str, tuple[int, ...]] = {}  # a piece of text -> its term ids

    def words_of(self, text: str) -> list[str]:
        return _WORD.findall(text.casefold())

    def learn(self, words: Iterable[str], *, grow: bool = True) -> None:
        """Give every new word its term id (new terms only when `grow`)."""
        # first-seen order, so a term is spelled as the log first writes it, in any run
        new = [w for w in dict.fromkeys(words) if w not in self.words]
        if not new:
            return
        bases = [_POSSESSIVE.sub("", w) if "'" in w or "’" in w else w
                 for w in new]  # the vendor's team: vendor
        folded = [SYNONYMS.get(b, b) for b in bases]
        stems = self._stem([f.replace("-", "").replace("'", "") for f in folded])
        for word, base, fold, stem in zip(new, bases, folded, stems, strict=True):
            if base in STOP_WORDS or fold in STOP_WORDS or len(stem) < 2:
                self.words[word] = -1
                continue
            term = self.terms.get(stem)
            if term is None and grow:
                term = self.terms[stem] = len(self.spelling)
                self.spelling.append(fold)
            self.words[word] = -1 if term is None else term

    def ids(self, words: Sequence[str], *, grow: bool = True) -> np.ndarray:
        self.learn(words, grow=grow)
        ids = np.fromiter(map(self.words.__getitem__, words), dtype=np.int64, count=len(words))
        return ids[ids >= 0]

    def texts(self, texts: Sequence[str] | pa.Array, *,
              grow: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Term ids of every text, flat, and each text's number of terms (CSR by text).

        Texts are split on white space by pyarrow (C), the pieces ("weeks;", "Access/laptops")
        are dictionary-encoded (C), and only each distinct piece is read into words in
        Python, once per analyzer: a log of 100k lessons has millions of pieces but a few
        tens of thousands of distinct ones. The terms of every piece are then laid out with
        numpy. (Splitting first never cuts a word: white space is never part of one.)"""
        if not len(texts):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        if not isinstance(texts, pa.Array):
            texts = pa.array(texts, type=pa.large_string())
        split = pc.utf8_split_whitespace(texts)
        encoded = pc.dictionary_encode(split.flatten())
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        starts, counts, flat = self._piece_terms(encoded.dictionary.to_pylist(), grow=grow)
        per_piece = counts[codes]
        ids = flat[_ranges(starts[codes], per_piece)]
        pieces = np.diff(split.offsets.to_numpy())
        owner = np.repeat(np.arange(len(texts)), pieces)
        return ids, np.bincount(owner, weights=per_piece,
                                minlength=len(texts)).astype(np.int64)

    def _piece_terms(self, pieces: list[str], *, grow: bool) -> tuple[np.ndarray, np.ndarray,
                                                                       np.ndarray]:
        """Each distinct piece's term ids, CSR (starts, counts, flat ids); a piece read
        before is looked up, a new one casefolded and read into words."""
        known = self._pieces
        new = [p for p in pieces if p not in known]
        words = [_WORD.findall(p.casefold()) for p in new]
        self.learn([w for found in words for w in found], grow=grow)
        lookup = self.words.__getitem__
        for piece, found in zip(new, words, strict=True):
            known[piece] = tuple(t for t in map(lookup, found) if t >= 0)
        terms = list(map(known.__getitem__, pieces))
        counts = np.fromiter(map(len, terms), dtype=np.int64, count=len(terms))
        flat = np.fromiter(chain.from_iterable(terms), dtype=np.int64, count=int(counts.sum()))
        return np.cumsum(counts) - counts, counts, flat

    def fields(self, columns: Sequence[pd.Series], *,
               grow: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The terms of rows made of several text columns: (row of each term, term ids,
        terms per row). Each distinct text of every column is tokenised once, in one call:
        lessons logs repeat recommendations and categories, and copy lessons between
        projects."""
        rows = len(columns[0]) if columns else 0
        encoded = [pc.dictionary_encode(_arrow_strings(column)) for column in columns]
        if not encoded:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
        uniques = pa.concat_arrays([e.dictionary for e in encoded])
        unique_ids, unique_lengths = self.texts(uniques, grow=grow)
        starts = np.cumsum(unique_lengths) - unique_lengths
        owners, ids, lengths, offset = [], [], np.zeros(rows, np.int64), 0
        for column in encoded:
            codes = pc.fill_null(column.indices, -1).to_numpy(zero_copy_only=False)
            at = np.where(codes >= 0, codes + offset, 0)
            counts = np.where(codes >= 0, unique_lengths[at] if len(unique_lengths) else 0, 0)
            owners.append(np.repeat(np.arange(rows), counts))
            ids.append(unique_ids[_ranges(starts[at] if len(starts) else counts, counts)])
            lengths += counts
            offset += len(column.dictionary)
        return np.concatenate(owners), np.concatenate(ids), lengths


def _arrow_strings(column: pd.Series) -> pa.Array:
    """A text column as an Arrow large_string array (no copy when pandas already keeps it
    in Arrow; any other value as its str())."""
    try:
        found = pa.array(column, from_pandas=True)
        if pa.types.is_string(found.type) or pa.types.is_large_string(found.type):
            return found.cast(pa.large_string())
    except (pa.ArrowException, TypeError, ValueError):
        pass
    return pa.array([None if v is None else str(v) for v in column], type=pa.large_string())


# --- the index -------------------------------------------------------------------------------


@dataclass
class LessonIndex:
    """Every lesson of a register, indexed for BM25, with the attributes its boosts read.

    `lessons` has one row per lesson (register order). The BM25 scores are stored by term
    (`term_indptr`, `term_docs`, `term_scores`: a sparse column per term) and each lesson's
    terms by lesson (`doc_indptr`, `doc_terms`). Attribute codes are integers into shared
    lookup lists (-1: unknown), so a boost is one comparison over all lessons.
    """

    as_of: dt.date
    lessons: pd.DataFrame
    projects: pd.DataFrame
    analyzer: Analyzer
    term_indptr: np.ndarray
    term_docs: np.ndarray
    term_scores: np.ndarray
    doc_indptr: np.ndarray
    doc_terms: np.ndarray
    doc_scores: np.ndarray
    idf: np.ndarray
    prior: np.ndarray
    codes: dict[str, np.ndarray]
    lookups: dict[str, list[str]]
    open_raid: OpenRaid
    _queries: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict,
                                                               repr=False)
    _positions: dict[str, int] = field(default_factory=dict, repr=False)  # first row per ID
    _columns: dict[str, dict[str, Sequence[Any]]] = field(default_factory=dict, repr=False)
    _own: dict[int, np.ndarray] = field(default_factory=dict, repr=False)  # project -> lessons
    _rows: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict, repr=False)
    _spelled: dict[int, dict[int, str]] = field(default_factory=dict, repr=False)
    _scored: dict[int, dict[int, float]] = field(default_factory=dict, repr=False)
    _facts: dict[int, tuple[dict[str, Any], tuple[str, ...], Any]] = field(
        default_factory=dict, repr=False)

    def lesson(self, d: int) -> dict[str, Any]:
        """One lesson's fields as plain Python values (pandas row access costs ~0.5 ms); kept,
        since a batch recommends the same good lessons to many projects (a copy is given)."""
        found = self._rows.get(("lessons", d))
        if found is None:
            found = self._rows[("lessons", d)] = {
                key: _blank_none(values[d]) for key, values in self._plain("lessons").items()}
        return dict(found)

    def lesson_facts(self, d: int) -> tuple[dict[str, Any], tuple[str, ...], Any]:
        """The lesson's fields as a Recommendation shows them, the reasons to read it that
        are its own (an Improve lesson with a recommendation, its impact, recent) and its
        Category's canonical word (what `PROBLEMS` name), kept per lesson: a batch
        recommends the same good lessons to many projects."""
        found = self._facts.get(d)
        if found is None:
            row = self.lesson(d)
            date = None if row["date_logged"] is None else row["date_logged"].date()
            fields = {key: row[key] for key in (
                "lesson_id", "project_id", "lesson", "description", "recommendation", "type",
                "impact", "action_status", "programme", "phase")}
            fields.update(category=row["category_label"], date_logged=date, row=int(row["row"]))
            found = self._facts[d] = (fields, tuple(_lesson_reasons(row, date, self.as_of)),
                                      row["category"])
        return found

    def project(self, position: int) -> dict[str, Any]:
        found = self._rows.get(("projects", position))
        if found is None:
            found = self._rows[("projects", position)] = {
                key: _blank_none(values[position])
                for key, values in self._plain("projects").items()}
        return dict(found)

    @property
    def category_terms(self) -> frozenset[int]:
        """The terms of the lessons' Category words (themes look beyond them), once per
        index: a theme of a 30k-lesson log would otherwise read every lesson's label."""
        if "_category_terms" not in self.__dict__:
            self.__dict__["_category_terms"] = frozenset(
                t for label in set(self.lessons["category_label"])
                for t in self.analyzer.ids(self.analyzer.words_of(label), grow=False).tolist())
        return self.__dict__["_category_terms"]

    def term_scores_of(self, d: int) -> dict[int, float]:
        """The lesson's terms and their BM25 in it, kept per lesson like its row."""
        found = self._scored.get(d)
        if found is None:
            start, end = self.doc_indptr[d], self.doc_indptr[d + 1]
            found = self._scored[d] = dict(zip(self.doc_terms[start:end].tolist(),
                                               self.doc_scores[start:end].tolist(),
                                               strict=True))
        return found

    def spellings(self, d: int) -> dict[int, str]:
        """The lesson's terms, each as the lesson first writes it (*vendor's* for the term
        supplier), kept per lesson for the same reason."""
        found = self._spelled.get(d)
        if found is None:
            row = self.lesson(d)
            text = " ".join((row["lesson"], row["description"], row["recommendation"],
                             row["category_label"]))
            words = self.analyzer.words_of(text)
            self.analyzer.learn(words, grow=False)
            found = self._spelled[d] = {}
            for word in words:
                found.setdefault(self.analyzer.words[word], word)
        return found

    def _plain(self, name: str) -> dict[str, Sequence[Any]]:
        if name not in self._columns:
            frame = self.lessons if name == "lessons" else self.projects
            self._columns[name] = {key: _plain_values(values) for key, values in frame.items()}
        return self._columns[name]

    def __len__(self) -> int:
        return len(self.lessons)

    @property
    def df(self) -> np.ndarray:
        """Per term, how many lessons use it."""
        if "_df" not in self.__dict__:
            self.__dict__["_df"] = np.diff(self.term_indptr)
        return self.__dict__["_df"]

    @property
    def term_max(self) -> np.ndarray:
        """Per term, its highest BM25 in any lesson (0 for a term no lesson uses)."""
        if "_term_max" not in self.__dict__:
            found = np.zeros(len(self.df))
            used = self.df > 0
            if used.any():
                found[used] = np.maximum.reduceat(self.term_scores,
                                                  self.term_indptr[:-1][used])
            self.__dict__["_term_max"] = found
        return self.__dict__["_term_max"]

    @property
    def project_codes(self) -> dict[str, np.ndarray]:
        """Per project, the codes its boosts compare: the phase after its own
        (`following`), which lesson phases are its current or next one (`phase_match`,
        projects × phase codes) and which lesson categories its current problems point to
        (`pointed`, projects × category codes); in both tables code -1 reads the last,
        always-False column."""
        if "_project_codes" not in self.__dict__:
            following = np.array([_phase_code(self, phase) for phase in
                                  self._plain("projects")["phase"]], dtype=np.int64)
            phases = np.arange(len(self.lookups["phase"]))
            match = np.zeros((len(self.projects), len(phases) + 1), dtype=bool)
            match[:, :-1] = ((phases == self.codes["project_phase"][:, None])
                             | (phases == following[:, None]))
            self.__dict__["_project_codes"] = {
                "following": following, "phase_match": match,
                "pointed": _problem_categories(self, np.arange(len(self.projects)))}
        return self.__dict__["_project_codes"]

    def query(self, position: int) -> tuple[np.ndarray, np.ndarray]:
        """The query of the project at this position (term ids, weights), built on first
        use: the index does not tokenise 10k projects' rows before one is asked for."""
        found = self._queries.get(position)
        if found is None:
            self.prepare_queries([position])
            found = self._queries[position]
        return found

    def prepare_queries(self, positions: Sequence[int]) -> None:
        """Build the queries of these projects at once (`_project_queries`), for a batch."""
        missing = sorted({int(p) for p in positions} - self._queries.keys())
        if missing:
            with gc_paused():  # tokenising allocates ~1M small objects, none in a cycle
                self._queries.update(zip(missing, _project_queries(self, missing),
                                         strict=True))

    def own_lessons(self, position: int) -> np.ndarray:
        """The positions of the lessons the project at this position logged."""
        if not self._own:
            codes = self.codes["project"]
            order = np.argsort(codes, kind="stable")
            cuts = np.flatnonzero(np.diff(codes[order])) + 1
            self._own.update((int(codes[g[0]]), g) for g in np.split(order, cuts)
                             if len(g) and codes[g[0]] >= 0)
        return self._own.get(int(self.codes["project_project"][position]),
                             np.zeros(0, dtype=np.int64))

    @property
    def wordings(self) -> np.ndarray:
        """Per lesson, a code of its wording (its Lesson and Recommendation, white space and
        case folded: `_wording`), equal for lessons worded alike; each distinct text is
        reduced once, and no lesson's row is read."""
        if "_wordings" not in self.__dict__:
            codes = []
            for key in ("lesson", "recommendation"):
                found, uniques = pd.factorize(self.lessons[key], use_na_sentinel=False)
                reduced = pd.factorize(pd.Series([_wording(u) for u in uniques], dtype=object))[0]
                codes.append(reduced[found].astype(np.int64) if len(found) else found)
            width = int(codes[1].max(initial=0)) + 1
            self.__dict__["_wordings"] = codes[0] * width + codes[1]
        return self.__dict__["_wordings"]

    def project_position(self, project_id: str) -> int:
        """The project's row among `projects`; UnknownProject when the register has none."""
        if not self._positions:
            ids = self.projects["project_id"].tolist()
            self._positions.update((pid, i) for i, pid in reversed(list(enumerate(ids))))
        found = self._positions.get(project_id)
        if found is None:
            raise UnknownProject(project_id)
        return found


def _plain_values(values: pd.Series) -> Sequence[Any]:
    """A column as Python values; dates as datetime (None when blank), converted by numpy
    (pandas makes a Timestamp of each: 0.2 s for a log of 100k lessons); a text column kept
    in Arrow and read a value at a time (`_ArrowTexts`)."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values.to_numpy("datetime64[us]").tolist()
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        return _ArrowTexts(values)
    return values.tolist()


class _ArrowTexts(Sequence[Any]):
    """A text column that stays in Arrow, each value made a str when it is read: the texts of
    30k lessons as Python strs take ~20 MiB, and a batch reads those of the few lessons it
    recommends. A missing value reads as the column's own (`tolist` gives the same)."""

    def __init__(self, values: pd.Series) -> None:
        self._texts = pa.array(values, from_pandas=True)
        self._missing = values.dtype.na_value

    def __len__(self) -> int:
        return len(self._texts)

    def __getitem__(self, at: Any) -> Any:
        found = self._texts[at].as_py()
        return self._missing if found is None else found


def _lesson_reasons(row: Mapping[str, Any], date: dt.date | None, as_of: dt.date) -> list[str]:
    reasons = []
    if row["type"] == "Improve" and row["recommendation"].strip():
        reasons.append("an Improve lesson with a recommendation")
    if row["impact"] in ("High", "Medium"):
        reasons.append(f"{row['impact']} impact")
    if date is not None and 0 <= (as_of - date).days <= RECENT_DAYS / 2:
        reasons.append(f"recent: logged {date.isoformat()}")
    return reasons


def _blank_none(value: Any) -> Any:
    return None if value is None or value is pd.NaT or (
        isinstance(value, float) and math.isnan(value)) else value


class UnknownProject(LookupError):
    """The register's Projects sheet has no project of this ID."""

    def __init__(self, project_id: str) -> None:
        self.project_id = project_id
        super().__init__(f"no project '{project_id}' on the Projects sheet")


def build_index(register: Register, as_of: dt.date | None = None,
                history: Any = None) -> LessonIndex:
    """Index the register's lessons. `history` (a `pmo_xl.history.History`): the phase each
    lesson's project was in when it was logged is read from the latest snapshot on or before
    that date (unknown without one). Raises RegisterError when there is no Lessons sheet."""
    from .errors import RegisterError

    table = register.lessons
    if table is None:
        raise RegisterError(register.path, "has no Lessons sheet, so there are no lessons to "
                                           "recommend; add one (pmo-xl new writes it)")
    day = resolve_as_of(register, as_of)
    lessons = _lesson_frame(register, history)
    projects = _project_frame(register, day)
    analyzer = Analyzer()
    with gc_paused():  # tokenising allocates ~1M small objects, none in a cycle
        owner, ids, lengths = analyzer.fields([lessons[key] for key in LESSON_TEXT])
    width = max(len(analyzer.spelling), 1)
    pairs = owner * width + ids  # (lesson, term) of every token, as one key
    del owner, ids  # a token array each: 8 bytes a word of the log, not needed past here
    columns = _bm25_columns(pairs, lengths, len(analyzer.spelling))
    del pairs
    codes, lookups = _codes(lessons, projects)
    return LessonIndex(day, lessons, projects, analyzer, *columns,
                       prior=_prior(lessons, day), codes=codes, lookups=lookups,
                       open_raid=OpenRaid(register, day, register.projects.values["project_id"]))


def _text(values: pd.Series) -> pd.Series:
    """A column as text, blank for a missing value; a text column stays in Arrow (through
    Python objects, a log of 100k lessons takes 0.1 s a column)."""
    if isinstance(values.dtype, pd.StringDtype):
        return values.fillna("")
    return values.astype(object).where(values.notna(), "").astype(str)


def _objects(values: pd.Series) -> pd.Series:
    """A column as Python objects (as `astype(object)`), one str per distinct text: a log
    repeats its types, impacts and IDs, and the index keeps these columns for the batch
    (as `metrics._shared_texts`)."""
    if not isinstance(values.dtype, pd.StringDtype):
        return values.astype(object)
    codes, texts = pd.factorize(values)  # blanks are code -1: the column's own blank, last
    shown = np.append(texts.to_numpy(dtype=object), values.dtype.na_value)
    return pd.Series(shown[codes], index=values.index, name=values.name, dtype=object)


def _lesson_frame(register: Register, history: Any) -> pd.DataFrame:
    table = register.lessons
    assert table is not None
    v = table.values
    projects = register.projects.values
    programme = pd.Series(_objects(projects["programme"]).to_numpy(),
                          index=projects["project_id"].to_numpy(object))
    programme = programme[programme.index.notna()]
    programme = programme[~programme.index.duplicated()]  # a repeated ID: its first row
    frame = pd.DataFrame({
        "lesson_id": _objects(v["lesson_id"]).where(v["lesson_id"].notna(), None),
        "project_id": _objects(v["project_id"]).where(v["project_id"].notna(), None),
        "date_logged": pd.to_datetime(v["date_logged"]),
        "category": _objects(v["category"]), "category_label": _text(
            table.label("category")),
        "type": _objects(v["type"]), "impact": _objects(v["impact"]),
        "action_status": _objects(v["action_status"]),
        "lesson": _text(v["lesson"]), "description": _text(v["description"]),
        "recommendation": _text(v["recommendation"]), "row": table.rows.to_numpy(),
    }).reset_index(drop=True)
    found = _objects(frame["project_id"].map(programme))
    frame["programme"] = found.where(found.notna() & frame["project_id"].notna(), None)
    frame["phase"] = _phases_logged(frame, history)
    frame["position"] = np.arange(len(frame))
    return frame


def _phases_logged(lessons: pd.DataFrame, history: Any) -> list[str | None]:
    """Each lesson's project's phase on the latest snapshot on or before its date logged."""
    unknown: list[str | None] = [None] * len(lessons)
    if history is None:
        return unknown
    infos = sorted(info.as_of for info in history.snapshots())
    if not infos:
        return unknown
    days = np.array(infos, dtype="datetime64[D]")
    logged = lessons["date_logged"].to_numpy("datetime64[D]")
    which = np.searchsorted(days, logged, side="right") - 1
    phases: dict[int, dict[object, object]] = {}
    for k in {int(w) for w in which[(which >= 0) & ~np.isnat(logged)]}:
        snap = history.load(infos[k]).projects
        phases[k] = dict(zip(snap["project_id"][::-1], snap["phase"][::-1], strict=True))
    return [None if w < 0 or np.isnat(d) else _str_or_none(phases[int(w)].get(p))
            for w, d, p in zip(which, logged, lessons["project_id"], strict=True)]


def _str_or_none(value: object) -> str | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else (
        str(value))


def _project_frame(register: Register, day: dt.date) -> pd.DataFrame:
    """Per project: the fields its query is built from, and its current problems."""
    v = register.projects.values
    metrics = project_metrics(register, day)
    figures = metrics.assign(schedule_rag=v["schedule_rag"], cost_rag=v["cost_rag"])
    frame = pd.DataFrame({key: _text(v[key]) for key in QUERY_FIELDS})
    frame.insert(0, "project_id", _objects(v["project_id"]).where(
        v["project_id"].notna(), None))
    frame["programme_value"] = _objects(v["programme"]).where(v["programme"].notna(), None)
    frame["phase"] = _objects(v["phase"]).where(v["phase"].notna(), None)
    flags = {problem.name: problem.test(figures).fillna(False).astype(bool).to_numpy()
             for problem in PROBLEMS}
    shared: dict[tuple[str, ...], tuple[str, ...]] = {}  # one tuple per combination
    frame["problems"] = [shared.setdefault(found, found) for found in (
        tuple(p.name for p in PROBLEMS if flags[p.name][i]) for i in range(len(frame)))]
    frame["slip_days"] = metrics["slip_days"].to_numpy()
    return frame.reset_index(drop=True)


class OpenRaid:
    """Per project, the Title, Description and Response of its open RAID items as one text
    (blank without a RAID sheet), and the items themselves, in RAID log order, as (RAID ID,
    Title, text) for the why: a project's live risks and issues are what it needs lessons
    about, and they are often written at more length in the RAID log than in Key Risks.
    Open is the RAID figures' own (`pmo_xl.raid`). The items are grouped by project once,
    column-wise; a project's text and items are made when its query is (a report of one
    project does not make every project's)."""

    def __init__(self, register: Register, day: dt.date, project_ids: pd.Series) -> None:
        from .raid import normalised_ids, raid_metrics

        self._group = np.full(len(project_ids), -1)  # each project's group of items
        self._starts = self._ends = np.zeros(0, dtype=np.int64)
        self._columns: list[np.ndarray] = []
        table = register.table("RAID")
        if table is None or not len(table):
            return
        v = table.values
        is_open = raid_metrics(table, register, day)["is_open"].fillna(False).astype(bool)
        items = pd.DataFrame({
            "pid": normalised_ids(v["project_id"]),
            "raid_id": _text(v["raid_id"]).str.strip(), "title": _text(v["title"]).str.strip(),
            "text": (_text(v["title"]) + " " + _text(v["description"]) + " "
                     + _text(v["response"]))})
        items = items[is_open.to_numpy() & items["pid"].notna().to_numpy()]
        codes, pids = pd.factorize(items["pid"])
        order = np.argsort(codes, kind="stable")  # each project's items in RAID log order
        self._starts = np.flatnonzero(np.diff(codes[order], prepend=-1))
        self._ends = np.append(self._starts[1:], len(order))
        self._columns = [items[key].to_numpy(dtype=object)[order]
                         for key in ("raid_id", "title", "text")]
        # Group g holds the items of pids[codes[order][starts[g]]], which is pids[g]:
        # factorize numbers the IDs in order of appearance, and the sort keeps that order.
        self._group = pd.Index(pids).get_indexer(normalised_ids(project_ids))

    def text(self, position: int) -> str:
        """The project's open items' texts, joined."""
        group = self._group[position]
        if group < 0:
            return ""
        return " ".join(self._columns[2][self._starts[group]:self._ends[group]].tolist())

    def items(self, position: int) -> tuple[tuple[Any, ...], ...]:
        """The project's open items, (RAID ID, Title, text) each."""
        group = self._group[position]
        if group < 0:
            return ()
        at = slice(self._starts[group], self._ends[group])
        return tuple(zip(*(column[at].tolist() for column in self._columns), strict=True))


def _bm25_columns(pairs: np.ndarray, lengths: np.ndarray,
                  terms: int) -> tuple[np.ndarray, ...]:
    """Lucene BM25 of every (term, lesson) pair, as sparse columns by term, and each
    lesson's distinct terms with their scores (CSR by lesson); `pairs`: lesson × max(terms,
    1) + term of every token.

    Both layouts come from plain integer sorts (no argsort, no Python): the (lesson, term)
    pairs once for their counts, then the same pairs packed term-first with their count.
    Each intermediate array is let go as soon as it is used, and the packed keys are built
    and sorted in place: the build's peak is a few arrays of the log's pairs, not a dozen."""
    docs, width = len(lengths), max(terms, 1)
    keys, tf = np.unique(pairs, return_counts=True)
    doc_of, term_of = np.divmod(keys, width)
    del keys
    df = np.bincount(term_of, minlength=terms)
    idf = np.log1p((docs - df + 0.5) / (df + 0.5))
    average = lengths.mean() if docs and lengths.mean() > 0 else 1.0
    scores = _lucene(idf[term_of], tf, lengths[doc_of], average)
    doc_indptr = np.concatenate([[0], np.cumsum(np.bincount(doc_of, minlength=docs))])
    most = int(tf.max(initial=0)) + 1
    if width * max(docs, 1) * most < 2 ** 62:
        packed = term_of * docs
        packed += doc_of
        packed *= most
        packed += tf
        del doc_of, tf
        packed.sort()
        by_term, by_tf = np.divmod(packed, most)
        del packed
        column_doc = by_term % docs
        by_term //= docs  # now each posting's term
        column_scores = _lucene(idf[by_term], by_tf, lengths[column_doc], average)
        del by_term, by_tf
    else:  # beyond 2^62 (never at a million lessons): sort the pairs by term instead
        order = np.argsort(term_of, kind="stable")
        column_doc, column_scores = doc_of[order], scores[order]
    term_indptr = np.concatenate([[0], np.cumsum(df)]).astype(np.int64)
    # the columns as the scorer reads them: lesson positions as numpy's index type and
    # scores as float64 (the float32 values, exactly), so that summing a query converts
    # nothing per posting
    return (term_indptr, column_doc.astype(np.intp, copy=False),
            column_scores.astype(np.float64), doc_indptr.astype(np.int64, copy=False),
            term_of, scores, idf)


def _lucene(idf: np.ndarray, tf: np.ndarray, length: np.ndarray, average: float) -> np.ndarray:
    """Lucene's BM25 of a term in a lesson (float32, as the index stores it): idf × tf /
    (tf + k1 × (1 - b + b × length / average)), worked in place on two arrays (the same
    operations in the same order, so the same bits)."""
    norm = B * length
    norm /= average
    norm += 1 - B
    norm *= K1
    norm += tf
    found = idf * tf
    found /= norm
    return found.astype(np.float32)


def _codes(lessons: pd.DataFrame, projects: pd.DataFrame) -> tuple[dict[str, np.ndarray],
                                                                    dict[str, list[str]]]:
    """Integer codes of the attributes boosts compare, lessons and projects in one lookup."""
    codes: dict[str, np.ndarray] = {}
    lookups: dict[str, list[str]] = {}
    pairs = {"programme": (lessons["programme"], projects["programme_value"]),
             "phase": (lessons["phase"], projects["phase"]),
             "project": (lessons["project_id"], projects["project_id"])}
    for name, (ours, theirs) in pairs.items():
        raw, spelled = pd.factorize(pd.concat([ours, theirs], ignore_index=True))
        # the same word spelled with other case or spaces is the same programme or phase
        numbers, uniques = pd.factorize(pd.Series(
            [" ".join(str(x).split()).casefold() for x in spelled]))
        numbers = np.where(raw >= 0, numbers[raw] if len(numbers) else raw, -1)
        codes[name], codes[f"project_{name}"] = numbers[:len(ours)], numbers[len(ours):]
        lookups[name] = [str(u) for u in uniques]
    categories = pd.concat([lessons["category"], pd.Series(
        [c for p in PROBLEMS for c in p.categories])], ignore_index=True)
    numbers, uniques = pd.factorize(categories, use_na_sentinel=True)
    codes["category"] = numbers[:len(lessons)]
    lookups["category"] = [str(u) for u in uniques]
    return codes, lookups


def _prior(lessons: pd.DataFrame, day: dt.date) -> np.ndarray:
    """The boosts that do not depend on the project: Improve with a recommendation, impact,
    recency."""
    improve = (lessons["type"] == "Improve") & (lessons["recommendation"].str.strip() != "")
    age = (pd.Timestamp(day) - lessons["date_logged"]).dt.days.clip(lower=0)
    recent = np.exp(-age.to_numpy(float) / RECENT_DAYS)
    return (BOOSTS["improve_with_recommendation"] * improve.to_numpy(bool)
            + BOOSTS["high_impact"] * (lessons["impact"] == "High").to_numpy(bool)
            + BOOSTS["medium_impact"] * (lessons["impact"] == "Medium").to_numpy(bool)
            + BOOSTS["recent"] * np.nan_to_num(recent, nan=0.0))


# --- queries and scores ----------------------------------------------------------------------


def _query(analyzer: Analyzer, weighted: Iterable[tuple[str, float]]) -> tuple[np.ndarray,
                                                                               np.ndarray]:
    """Term ids and weights of a query from (text, weight) pairs; terms the lessons never use
    are dropped (they cannot match)."""
    weights: dict[int, float] = {}
    for text, weight in weighted:
        for term in dict.fromkeys(analyzer.ids(analyzer.words_of(text), grow=False).tolist()):
            weights[term] = min(MAX_TERM_WEIGHT, weights.get(term, 0.0) + weight)
    terms = np.fromiter(weights, dtype=np.int64, count=len(weights))
    return terms, np.fromiter(weights.values(), dtype=np.float64, count=len(weights))


def _strongest(index: LessonIndex, query: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray,
                                                                                 np.ndarray]:
    terms, weights = query
    common = max(COMMON_FLOOR, COMMON_SHARE * len(index))
    kept = index.df[terms] <= common
    terms, weights = terms[kept], weights[kept]
    if len(terms) <= MAX_QUERY_TERMS:
        return terms, weights
    strength = weights * index.idf[terms]
    keep = np.sort(np.argsort(-strength, kind="stable")[:MAX_QUERY_TERMS])
    return terms[keep], weights[keep]


def _query_parts(index: LessonIndex, positions: Sequence[int]) -> list[tuple[list[str],
                                                                            float]]:
    """The texts of these projects' queries, part by part, each with its weight: the
    register fields, the phase, each problem's words (blank for a project without it) and
    the open RAID items."""
    rows = index._plain("projects")
    parts = [([rows[key][p] for p in positions], weight) for key, weight in QUERY_FIELDS.items()]
    parts.append(([str(rows["phase"][p]) if _blank_none(rows["phase"][p]) else ""
                   for p in positions], PROBLEM_WEIGHT))
    parts += [([problem.words if problem.name in rows["problems"][p] else ""
                for p in positions], PROBLEM_WEIGHT) for problem in PROBLEMS]
    parts.append(([index.open_raid.text(p) for p in positions], RAID_WEIGHT))
    return parts


def _project_queries(index: LessonIndex, positions: Sequence[int]
                     ) -> list[tuple[np.ndarray, np.ndarray]]:
    """The queries of several projects, tokenised together (each distinct piece of text
    once, as the lessons are): per project, its distinct terms in the order they first
    appear over its parts, each weighted by the parts that use it (a part counts once per
    term, up to MAX_TERM_WEIGHT, added part by part as `_query` does), cut by `_strongest`."""
    width, count = max(len(index.analyzer.spelling), 1), len(positions)
    parts = _query_parts(index, positions)
    # one column of every part's texts, part after part: a text's row is part × count + project
    texts = pd.Series([text for part, _ in parts for text in part], dtype=object)
    row, ids, _ = index.analyzer.fields([texts], grow=False)
    part_of, project = np.divmod(row, count)
    key = project * width + ids
    unique, first = np.unique(key, return_index=True)  # first: in part, then text order
    summed = np.zeros(len(unique))
    for part, (_, weight) in enumerate(parts):
        used = np.searchsorted(unique, np.unique(key[part_of == part]))
        summed[used] = np.minimum(MAX_TERM_WEIGHT, summed[used] + weight)
    owner, term = np.divmod(unique, width)
    order = np.lexsort((first, owner))
    owner, term, summed = owner[order], term[order], summed[order]
    cuts = np.searchsorted(owner, np.arange(len(positions) + 1)).tolist()
    return [_strongest(index, (term[a:b], summed[a:b]))
            for a, b in zip(cuts, cuts[1:], strict=False)]


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The positions start..start+length of every range, flat (no Python loop)."""
    total = int(lengths.sum())
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.arange(total, dtype=np.int64) - offsets + np.repeat(starts, lengths)


def bm25_scores(index: LessonIndex, query: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """BM25 of every lesson for a query (term ids, weights): the weighted sum of the query
    terms' columns, as one array over all lessons."""
    return _bm25_block(index, [query])[0]


def _bm25_block(index: LessonIndex, queries: Sequence[tuple[np.ndarray, np.ndarray]]
                ) -> np.ndarray:
    """BM25 of every lesson for each of several queries (queries × lessons): the postings of
    all their terms gathered at once and summed by one bincount (a sparse-matrix product by
    hand), each query's terms in its own order, as for one query alone."""
    docs = len(index)
    terms = np.concatenate([q[0] for q in queries]).astype(np.int64)
    weights = np.concatenate([q[1] for q in queries]).astype(np.float64)
    row = np.repeat(np.arange(len(queries), dtype=np.int64), [len(q[0]) for q in queries])
    starts = index.term_indptr[terms]
    lengths = index.term_indptr[terms + 1] - starts
    at = _ranges(starts, lengths)
    cells = np.repeat(row * docs, lengths) + index.term_docs[at]
    return np.bincount(cells, weights=index.term_scores[at] * np.repeat(weights, lengths),
                       minlength=len(queries) * docs).reshape(len(queries), docs)


def _boosts(index: LessonIndex, position: int | None, lessons: np.ndarray) -> np.ndarray:
    """1 + every boost of these lessons for the project at `position` (None: a free query,
    which has only the boosts of the lesson itself). Pure array lookups into the project's
    rows of `project_codes` (computed once per index); each boost is added where it applies,
    in the same order for every lesson, so equal lessons get equal multipliers."""
    result = 1.0 + index.prior[lessons]
    if position is None:
        return result
    c, own = index.codes, index.project_codes
    programme = c["project_programme"][position]
    if programme >= 0:
        np.add(result, BOOSTS["same_programme"], out=result,
               where=c["programme"][lessons] == programme)
    np.add(result, BOOSTS["phase"], out=result,
           where=own["phase_match"][position][c["phase"][lessons]])
    np.add(result, BOOSTS["problem_category"], out=result,
           where=own["pointed"][position][c["category"][lessons]])
    return result


def _ceiling(positions: np.ndarray | None, index: LessonIndex) -> float:
    """The largest multiplier any lesson can get."""
    most = 1.0 + float(index.prior.max(initial=0.0))
    if positions is not None:
        most += BOOSTS["same_programme"] + BOOSTS["phase"] + BOOSTS["problem_category"]
    return most


def _ranked(index: LessonIndex, queries: Sequence[tuple[np.ndarray, np.ndarray]],
            positions: Sequence[int] | None, top: int) -> list[list[tuple[int, float]]]:
    """Per query, the `top` lessons by BM25 × boosts, best first (ties: register order), with
    their scores; `positions`: each query's project (its own lessons left out), or None for
    free queries. One `_Scorer` serves them all."""
    scorer = _Scorer(index, top, positions is not None)
    return [scorer.ranked(query, None if positions is None else int(positions[i]))
            for i, query in enumerate(queries)]


class _Scorer:
    """Sums a query's BM25 over all lessons into one array that is kept from query to query
    (a fresh 100k-long array per query costs as much as the sum itself), and boosts and
    sorts only the lessons that can still reach the query's top.

    Exact: θ, the top-th best of BM25 × (1 + the project-independent boosts) among the
    lessons of the query's strongest term, is at most the top-th best final score of all
    (those lessons are distinct, and boosts only add), so a lesson whose BM25 is below θ /
    (the largest multiplier) cannot reach the top."""

    def __init__(self, index: LessonIndex, top: int, for_projects: bool) -> None:
        self.index, self.top = index, top
        self.sums = np.zeros(len(index))
        self.ceiling = _ceiling(np.zeros(1) if for_projects else None, index)
        self.lower = 1.0 + index.prior  # the project-independent multiplier of each lesson

    def ranked(self, query: tuple[np.ndarray, np.ndarray],
               position: int | None) -> list[tuple[int, float]]:
        """The query's top lessons and their final scores, best first."""
        found, bm25 = self.candidates(query, position)
        finals = bm25 * _boosts(self.index, position, found)
        if len(finals) > self.top:  # every lesson tied with the top-th best is sorted
            keep = np.flatnonzero(finals >= np.partition(finals, -self.top)[-self.top])
            found, finals = found[keep], finals[keep]
        # a stable sort: equal scores stay in register order, as `found` is
        order = np.argsort(-finals, kind="stable")[:self.top]
        return list(zip(found[order].tolist(), finals[order].tolist(), strict=True))

    def candidates(self, query: tuple[np.ndarray, np.ndarray],
                   position: int | None) -> tuple[np.ndarray, np.ndarray]:
        """The lessons that can reach this query's top, and their BM25 (register order)."""
        index, sums, top = self.index, self.sums, self.top
        terms, weights = query
        starts, ends = index.term_indptr[terms].tolist(), index.term_indptr[terms + 1].tolist()
        docs, scores = index.term_docs, index.term_scores
        # term by term, in the query's order: each lesson's sum is added up as one
        # weighted sum over the query's terms would be (a term's lessons are distinct);
        # most terms weigh 1, and x × 1 is x; the first term is written, as 0 + x is x
        for n, (a, b, weight) in enumerate(zip(starts, ends, weights.tolist(), strict=True)):
            added = scores[a:b] if weight == 1.0 else scores[a:b] * weight
            if n:
                np.add.at(sums, docs[a:b], added)
            else:
                sums[docs[a:b]] = added
        if position is not None:
            sums[index.own_lessons(position)] = 0.0
        theta = 0.0
        if len(terms) and top > 0:
            k = int(np.argmax(weights * index.term_max[terms]))
            pool = docs[starts[k]:ends[k]]
            if len(pool) >= top:
                theta = float(np.partition(sums[pool] * self.lower[pool], -top)[-top])
        found = np.flatnonzero(sums >= max(np.finfo(float).tiny, theta / self.ceiling))
        bm25 = sums[found]
        sums.fill(0.0)
        return found, bm25


def _phase_code(index: LessonIndex, phase: object) -> int:
    following = NEXT_PHASE.get(str(phase)) if phase else None
    lookup = index.lookups["phase"]
    key = following.casefold() if following else None
    return lookup.index(key) if key in lookup else -2


def _problem_categories(index: LessonIndex, positions: np.ndarray) -> np.ndarray:
    """Per project, which lesson categories its current problems point to."""
    lookup = index.lookups["category"]
    problem_lists = index._plain("projects")["problems"]
    found = np.zeros((len(positions), len(lookup) + 1), dtype=bool)
    for problem in PROBLEMS:
        having = np.array([problem.name in problem_lists[p] for p in positions], dtype=bool)
        found[np.ix_(having, [lookup.index(c) for c in problem.categories])] = True
    return found  # (projects × category codes); code -1 reads the last, always-False column


# --- recommendations -------------------------------------------------------------------------


@dataclass(frozen=True)
class Recommendation:
    """One lesson recommended to a project (or found for a query), with why."""

    lesson_id: str | None
    project_id: str | None  # the project that logged the lesson
    score: float
    why: tuple[str, ...]
    matched: tuple[str, ...]  # the lesson's words that matched the query, as written
    lesson: str
    description: str
    recommendation: str
    category: str
    type: str | None
    impact: str | None
    action_status: str | None
    date_logged: dt.date | None
    programme: str | None
    phase: str | None
    row: int  # the lesson's row on the Lessons sheet
    # the project's open RAID items whose words the lesson matched, best first
    raid_items: tuple[str, ...] = ()

    @classmethod
    def _made(cls, values: Mapping[str, Any]) -> Recommendation:
        """One made from every field at once: a frozen dataclass's __init__ sets each of its
        19 fields through object.__setattr__, 8 µs a recommendation, and a batch makes 30k."""
        assert len(values) == len(cls.__dataclass_fields__)  # every field, no other
        made = object.__new__(cls)
        made.__dict__.update(values)
        return made

    def to_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["why"], data["matched"] = list(self.why), list(self.matched)
        data["raid_items"] = list(self.raid_items)
        data["date_logged"] = self.date_logged.isoformat() if self.date_logged else None
        return data


def recommend(index: LessonIndex, project_id: str, top: int = 5) -> list[Recommendation]:
    """The `top` lessons of other projects most worth reading for this project, best first.
    Raises UnknownProject when the register has no project of this ID."""
    return _recommend_positions(index, [index.project_position(project_id)], top)[0]


def recommend_all(index: LessonIndex, top: int = 3) -> dict[str, list[Recommendation]]:
    """The top lessons for every project of the register (by Project ID; a repeated ID: its
    first row). The corpus is tokenised once, in `build_index`; each project's query is
    scored against every lesson."""
    ids = index.projects["project_id"]
    positions = np.array([i for i, pid in enumerate(ids) if pid is not None
                          and index.project_position(pid) == i], dtype=np.int64)
    return {str(ids.iat[p]): recs for p, recs in
            zip(positions, _recommend_positions(index, positions.tolist(), top), strict=True)}


def _recommend_positions(index: LessonIndex, positions: Sequence[int],
                         top: int) -> list[list[Recommendation]]:
    index.prepare_queries(positions)  # every project's query tokenised in one pass
    queries = [index.query(int(p)) for p in positions]
    ranked = _ranked(index, queries, [int(p) for p in positions], top)
    return [_recommendations(index, found, query, int(p))
            for p, query, found in zip(positions, queries, ranked, strict=True)]


def search(index: LessonIndex, text: str, top: int = 5) -> list[Recommendation]:
    """The `top` lessons that best answer a free query (any project), best first."""
    query = _strongest(index, _query(index.analyzer, [(text, 1.0)]))
    if not len(query[0]):
        return []
    return _recommendations(index, _ranked(index, [query], None, top)[0], query, None)


def _recommendations(index: LessonIndex, found: Sequence[tuple[int, float]],
                     query: tuple[np.ndarray, np.ndarray],
                     project: int | None) -> list[Recommendation]:
    """The ranked lessons of one query with their why; what the why reads of the query and
    the project is read once for all of them."""
    if not found:
        return []
    weights = sorted(zip(query[0].tolist(), query[1].tolist(), strict=True))  # by term id
    asker = None if project is None else _Asker.of(index, project)
    return [_recommendation(index, d, score, weights, asker) for d, score in found]


def _recommendation(index: LessonIndex, d: int, score: float,
                    weights: Sequence[tuple[int, float]], asker: _Asker | None
                    ) -> Recommendation:
    fields, reasons, category = index.lesson_facts(d)
    strength = _strength(index, d, weights)
    spelled, spelling = index.spellings(d), index.analyzer.spelling
    words = [spelled.get(t, spelling[t]) for t in strength]
    why = [f"shares the words: {', '.join(words[:6])}"] if words else []
    items: tuple[str, ...] = ()
    if asker is not None:
        raid, items = asker.raid_reason(strength, spelled, spelling)
        why += raid
        why += asker.reasons(index, d, fields, category)
    return Recommendation._made({**fields, "score": round(score, 4), "why": (*why, *reasons),
                                 "matched": tuple(words), "raid_items": items})


def _strength(index: LessonIndex, d: int,
              weights: Sequence[tuple[int, float]]) -> dict[int, float]:
    """The query terms (with their weights, by term id) the lesson contains, strongest
    first (weight × its BM25 in the lesson; ties: by term id, the order of the lesson's
    terms in the index)."""
    scores = index.term_scores_of(d)
    strength = {t: w * scores[t] for t, w in weights if t in scores}
    return {t: strength[t] for t in sorted(strength, key=lambda t: -strength[t])}


@dataclass(frozen=True)
class _Asker:
    """What the why of a project's recommendations reads of the project: its codes, its
    problems and its open RAID items (each with its terms)."""

    position: int
    programme: int
    phase: int
    next_phase: int
    problems: tuple[str, ...]
    slip_days: float | None
    raid: tuple[tuple[str, str, frozenset[int]], ...]  # (RAID ID, title, terms)

    @classmethod
    def of(cls, index: LessonIndex, position: int) -> _Asker:
        rows, c, analyzer = index._plain("projects"), index.codes, index.analyzer
        raid = tuple((rid, title, frozenset(analyzer.ids(analyzer.words_of(text),
                                                          grow=False).tolist()))
                     for rid, title, text in index.open_raid.items(position))
        return cls(position, int(c["project_programme"][position]),
                   int(c["project_phase"][position]),
                   int(index.project_codes["following"][position]),
                   tuple(rows["problems"][position]),
                   _blank_none(rows["slip_days"][position]), raid)

    def reasons(self, index: LessonIndex, d: int, fields: Mapping[str, Any],
                category: Any) -> list[str]:
        """Why the lesson suits this project: programme, phase, current problem."""
        c = index.codes
        reasons = []
        if c["programme"][d] >= 0 and c["programme"][d] == self.programme:
            reasons.append(f"same programme: {fields['programme']}")
        phase = c["phase"][d]
        if phase >= 0 and phase == self.phase:
            reasons.append(f"logged in {fields['phase']}, this project's phase")
        elif phase >= 0 and phase == self.next_phase:
            reasons.append(f"logged in {fields['phase']}, this project's next phase")
        for name in self.problems:
            if category in _PROBLEMS[name].categories:
                reasons.append(f"a {fields['category']} lesson, and this project is "
                               f"{_problem_text(name, self.slip_days)}")
                break
        return reasons

    def raid_reason(self, strength: Mapping[int, float], spelled: Mapping[int, str],
                    spelling: Sequence[str]) -> tuple[list[str], tuple[str, ...]]:
        """The open RAID item whose words the lesson matched most (named, with those words)
        and the IDs of every such item, best first; nothing when none did. A term counts
        whether it came into the query from the item only or from the project's row too."""
        shared = [(-sum(strength[t] for t in strength if t in terms), n, rid, title,
                   [t for t in strength if t in terms])
                  for n, (rid, title, terms) in enumerate(self.raid) if terms & strength.keys()]
        if not shared:
            return [], ()
        shared.sort(key=lambda item: item[:2])
        _, _, rid, title, terms = shared[0]
        words = ", ".join(spelled.get(t, spelling[t]) for t in terms[:4])
        named = ": ".join(x for x in (rid, title) if x) or "(no ID or title)"
        line = f"matches your open RAID item {named} ({words})"
        others = [item[2] or "(no ID)" for item in shared[1:]]
        if others:
            line += f"; also {', '.join(others[:3])}" + (
                f" and {len(others) - 3} more" if len(others) > 3 else "")
        return [line], tuple(item[2] or "" for item in shared)


_PROBLEMS = {problem.name: problem for problem in PROBLEMS}


def _problem_text(name: str, slip_days: float | None) -> str:
    if name == "slipped" and (slip_days or 0) > 0:
        return f"{int(slip_days)} days late"  # type: ignore[arg-type]
    return {"slipped": "behind schedule", "behind plan": "behind plan",
            "over budget": "over budget", "stale": "overdue a status update",
            "red": "rated Red"}[name]


# --- recurring themes ------------------------------------------------------------------------

THEME_SIMILARITY = 0.10  # mean cosine of a group's lessons' terms, beyond their category
THEME_LESSONS = 4000  # the most recent Improve lessons clustered (a 4000² matrix: 64 MB)
THEME_MIN_LESSONS, THEME_MIN_PROJECTS = 3, 2
_SHOWN = {"golive": "go-live"}  # folded terms shown as a reader writes them


@dataclass(frozen=True)
class Theme:
    """Similar Improve lessons logged by several projects."""

    name: str
    terms: tuple[str, ...]
    lessons: tuple[str | None, ...]
    projects: tuple[str, ...]
    programmes: tuple[str, ...]
    categories: tuple[str, ...]
    count: int
    first_logged: dt.date | None
    last_logged: dt.date | None
    open_actions: int  # lessons whose Action Status is not Closed

    @property
    def open(self) -> bool:
        return self.open_actions > 0

    def to_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        for key in ("terms", "lessons", "projects", "programmes", "categories"):
            data[key] = list(data[key])
        for key in ("first_logged", "last_logged"):
            data[key] = data[key].isoformat() if data[key] else None
        data["open"] = self.open
        return data


def themes(index: LessonIndex, *, similarity: float = THEME_SIMILARITY) -> list[Theme]:
    """Recurring themes: Improve lessons grouped by average-linkage clustering of the cosine
    of their idf-weighted terms (other than category words and the log's commonest words):
    groups merge while their lessons are on average at least `similarity` alike. A group of
    at least 3 lessons from at least 2 projects is a theme, named by the terms most of its
    lessons share. Largest first. No labelled set is needed."""
    improve = np.flatnonzero((index.lessons["type"] == "Improve").to_numpy(bool))
    if len(improve) < THEME_MIN_LESSONS:
        return []
    improve = improve[np.argsort(-index.lessons["date_logged"].to_numpy("datetime64[D]")
                                 .astype(np.int64)[improve], kind="stable")][:THEME_LESSONS]
    vectors = _theme_vectors(index, improve)
    groups = _average_linkage(_similarities(vectors, len(improve)), similarity)
    found = [_theme(index, improve[np.array(g)]) for g in groups
             if len(g) >= THEME_MIN_LESSONS]
    found = [t for t in found if t is not None]
    return sorted(found, key=lambda t: (-t.count, -(t.last_logged or dt.date.min).toordinal(),
                                        t.name))


def _theme_vectors(index: LessonIndex, lessons: np.ndarray) -> dict[str, np.ndarray]:
    """The lessons' content terms (CSR, position among `lessons`) with normalised weights."""
    category_terms = index.category_terms
    common = max(COMMON_FLOOR, COMMON_SHARE * len(index))
    starts, ends = index.doc_indptr[lessons], index.doc_indptr[lessons + 1]
    at = _ranges(starts, ends - starts)
    owner = np.repeat(np.arange(len(lessons)), ends - starts)
    terms = index.doc_terms[at]
    keep = (index.df[terms] <= common) & ~np.isin(terms, list(category_terms))
    owner, terms = owner[keep], terms[keep]
    weights = index.idf[terms]
    norms = np.sqrt(np.bincount(owner, weights=weights ** 2, minlength=len(lessons)))
    return {"owner": owner, "terms": terms, "weights": weights / np.maximum(norms[owner], 1e-12)}


def _similarities(vectors: dict[str, np.ndarray], n: int) -> np.ndarray:
    """Cosine of every pair of lessons (n × n, float32; the diagonal -inf)."""
    owner, terms, weights = vectors["owner"], vectors["terms"], vectors["weights"]
    by_term = np.argsort(terms, kind="stable")
    term_sorted = terms[by_term]
    result = np.zeros((n, n), dtype=np.float32)
    bounds = np.searchsorted(owner, np.arange(n + 1))
    for i in range(n):
        mine, mine_w = terms[bounds[i]:bounds[i + 1]], weights[bounds[i]:bounds[i + 1]]
        lo, hi = np.searchsorted(term_sorted, mine), np.searchsorted(term_sorted, mine, "right")
        at = by_term[_ranges(lo, hi - lo)]
        result[i] = np.bincount(owner[at], weights=weights[at] * np.repeat(mine_w, hi - lo),
                                minlength=n)
    np.fill_diagonal(result, -np.inf)
    return result


def _average_linkage(similar: np.ndarray, threshold: float) -> list[list[int]]:
    """Agglomerative clustering, average linkage: merge the two most similar groups while
    their mean pairwise similarity is at least `threshold` (unlike linking pairs, a chain of
    near neighbours does not become one group)."""
    n = len(similar)
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    if n < 2:
        return list(members.values())
    best = similar.argmax(axis=1)
    rows = np.arange(n)
    while True:
        tops = similar[rows, best]
        i = int(tops.argmax())
        j = int(best[i])
        if not np.isfinite(tops[i]) or tops[i] < threshold:
            return list(members.values())
        a, b = len(members[i]), len(members[j])
        merged = (a * similar[i] + b * similar[j]) / (a + b)
        merged[[i, j]] = -np.inf
        similar[i], similar[:, i] = merged, merged
        similar[j], similar[:, j] = -np.inf, -np.inf
        members[i] += members.pop(j)
        stale = np.flatnonzero((best == i) | (best == j))
        best[stale] = similar[stale].argmax(axis=1)
        better = merged > similar[rows, best]
        best[better] = i
        best[i] = similar[i].argmax()


def _theme(index: LessonIndex, members: np.ndarray) -> Theme | None:
    rows = [index.lesson(int(d)) for d in members]
    projects = sorted({r["project_id"] for r in rows if r["project_id"] is not None})
    if len(projects) < THEME_MIN_PROJECTS:
        return None
    terms = _shared_terms(index, members)
    dates = sorted(r["date_logged"].date() for r in rows if r["date_logged"] is not None)
    return Theme(
        name=", ".join(terms) or "(no shared words)", terms=tuple(terms),
        lessons=tuple(r["lesson_id"] for r in rows), projects=tuple(projects),
        programmes=tuple(sorted({r["programme"] for r in rows if r["programme"]})),
        categories=tuple(sorted({r["category_label"] for r in rows if r["category_label"]})),
        count=len(rows), first_logged=dates[0] if dates else None,
        last_logged=dates[-1] if dates else None,
        open_actions=sum(1 for r in rows if r["action_status"] not in (None, "Closed")))


def _shared_terms(index: LessonIndex, members: np.ndarray, most: int = 3) -> list[str]:
    """The terms most of the theme's lessons use, rarest in the log first among equals."""
    starts, ends = index.doc_indptr[members], index.doc_indptr[members + 1]
    terms = index.doc_terms[_ranges(starts, ends - starts)]
    counts = np.bincount(terms, minlength=len(index.df))
    shared = np.flatnonzero(counts >= 2)
    category_terms = index.category_terms
    shared = np.array([t for t in shared if t not in category_terms], dtype=np.int64)
    if not len(shared):
        return []
    order = np.lexsort((shared, -index.idf[shared], -counts[shared]))[:most]
    spelled = [index.analyzer.spelling[int(t)] for t in shared[order]]
    return [_SHOWN.get(word, word) for word in spelled]


DUPLICATE_SLACK = 4  # candidates per box place: lessons logged word for word by several projects


def worth_reading(index: LessonIndex, positions: Sequence[int],
                  top: int = 3) -> list[list[Recommendation]]:
    """The `top` lessons worth reading for each project at these positions on the Projects
    sheet (a report batch's selection), best first: one index for the whole batch, each
    selected project's query scored once, the others never built. A box has no room for
    the same lesson twice: a lesson worded like a better one (the same Lesson and
    Recommendation, logged by another project) or like one the project logged itself is
    left out for the next. Wordings are compared as codes (`LessonIndex.wordings`), and only
    the kept lessons are made Recommendations: a batch of 10k projects then reads no row of
    the lessons it does not show."""
    index.prepare_queries(positions)
    queries = [index.query(int(p)) for p in positions]
    ranked = _ranked(index, queries, [int(p) for p in positions], top * DUPLICATE_SLACK)
    wordings = index.wordings
    found = []
    for position, query, candidates in zip(positions, queries, ranked, strict=True):
        seen = set(wordings[index.own_lessons(int(position))].tolist())
        kept = []
        for d, score in candidates:
            wording = int(wordings[d])
            if wording not in seen and len(kept) < top:
                kept.append((d, score))
            seen.add(wording)
        found.append(_recommendations(index, kept, query, int(position)))
    return found


def _wording(value: Any) -> str:
    """A lesson's Lesson or Recommendation, reduced for comparing wordings."""
    return " ".join(str(_blank_none(value) or "").split()).casefold()
