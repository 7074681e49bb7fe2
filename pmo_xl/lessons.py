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
each lesson as a sparse column, so a query is a weighted sum of a few columns over all lessons
(numpy), its boosts are numpy arrays over all lessons too, and `argpartition` picks the top N.

Score of a lesson for a project = BM25(query, lesson) × (1 + boosts), where the boosts are
(see `BOOSTS`): same programme, logged in the project's current or next phase, its category is
one the project's current problems point to (`PROBLEMS`), an Improve lesson with a
recommendation, its impact, and how recent it is. A lesson that shares no term with the query
is never recommended, however well it is boosted: every recommendation can say which words
matched.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .metrics import project_metrics, resolve_as_of
from .reader import Register
from .schema import STAGES

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
MAX_TERM_WEIGHT = 2.0  # a term in several fields counts more, up to this

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

_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")
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

    def words_of(self, text: str) -> list[str]:
        return _WORD.findall(text.casefold())

    def learn(self, words: Iterable[str], *, grow: bool = True) -> None:
        """Give every new word its term id (new terms only when `grow`)."""
        new = [w for w in set(words) if w not in self.words]
        if not new:
            return
        folded = [SYNONYMS.get(w, w.replace("’", "'")) for w in new]
        stems = self._stem([f.replace("-", "").replace("'", "") for f in folded])
        for word, fold, stem in zip(new, folded, stems, strict=True):
            if word in STOP_WORDS or fold in STOP_WORDS or len(stem) < 2:
                self.words[word] = -1
                continue
            term = self.terms.get(stem)
            if term is None and grow:
                term = self.terms[stem] = len(self.spelling)
                self.spelling.append(SYNONYMS.get(word, word))
            self.words[word] = -1 if term is None else term

    def ids(self, words: Sequence[str], *, grow: bool = True) -> np.ndarray:
        self.learn(words, grow=grow)
        ids = np.fromiter(map(self.words.__getitem__, words), dtype=np.int64, count=len(words))
        return ids[ids >= 0]

    def corpus(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Term ids of every text, flat, and each text's length (CSR by text)."""
        tokenised = list(map(self.words_of, texts))
        flat = [w for words in tokenised for w in words]
        self.learn(flat)
        ids = np.fromiter(map(self.words.__getitem__, flat), dtype=np.int64, count=len(flat))
        lengths = np.fromiter(map(len, tokenised), dtype=np.int64, count=len(tokenised))
        owner = np.repeat(np.arange(len(texts)), lengths)
        keep = ids >= 0
        return ids[keep], np.bincount(owner[keep], minlength=len(texts))


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
    prior: np.ndarray
    codes: dict[str, np.ndarray]
    lookups: dict[str, list[str]]
    queries: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list, repr=False)

    def __len__(self) -> int:
        return len(self.lessons)

    def project_position(self, project_id: str) -> int:
        """The project's row among `projects`; UnknownProject when the register has none."""
        found = np.flatnonzero(self.projects["project_id"].to_numpy(object) == project_id)
        if not len(found):
            raise UnknownProject(project_id)
        return int(found[0])


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
    texts = (lessons["lesson"] + " " + lessons["description"] + " "
             + lessons["recommendation"] + " " + lessons["category_label"]).tolist()
    ids, lengths = analyzer.corpus(texts)
    columns = _bm25_columns(ids, lengths, len(analyzer.spelling))
    codes, lookups = _codes(lessons, projects)
    index = LessonIndex(day, lessons, projects, analyzer, *columns,
                        prior=_prior(lessons, day), codes=codes, lookups=lookups)
    index.queries = [_project_query(index, row) for row in projects.itertuples(index=False)]
    return index


def _text(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), "").astype(str)


def _lesson_frame(register: Register, history: Any) -> pd.DataFrame:
    table = register.lessons
    assert table is not None
    v = table.values
    projects = register.projects.values
    programme = dict(zip(projects["project_id"][::-1], projects["programme"][::-1],
                         strict=True))  # reversed: the first row of a repeated ID wins
    frame = pd.DataFrame({
        "lesson_id": v["lesson_id"].astype(object).where(v["lesson_id"].notna(), None),
        "project_id": v["project_id"].astype(object).where(v["project_id"].notna(), None),
        "date_logged": pd.to_datetime(v["date_logged"]),
        "category": v["category"].astype(object), "category_label": _text(
            table.label("category")),
        "type": v["type"].astype(object), "impact": v["impact"].astype(object),
        "action_status": v["action_status"].astype(object),
        "lesson": _text(v["lesson"]), "description": _text(v["description"]),
        "recommendation": _text(v["recommendation"]), "row": table.rows.to_numpy(),
    }).reset_index(drop=True)
    frame["programme"] = [programme.get(p) if p is not None else None
                          for p in frame["project_id"]]
    frame["programme"] = frame["programme"].astype(object).where(frame["programme"].notna(),
                                                                 None)
    frame["phase"] = _phases_logged(frame, history)
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
    frame.insert(0, "project_id", v["project_id"].astype(object).where(
        v["project_id"].notna(), None))
    frame["programme_value"] = v["programme"].astype(object).where(v["programme"].notna(), None)
    frame["phase"] = v["phase"].astype(object).where(v["phase"].notna(), None)
    flags = {problem.name: problem.test(figures).fillna(False).astype(bool).to_numpy()
             for problem in PROBLEMS}
    frame["problems"] = [tuple(p.name for p in PROBLEMS if flags[p.name][i])
                         for i in range(len(frame))]
    frame["slip_days"] = metrics["slip_days"].to_numpy()
    return frame.reset_index(drop=True)


def _bm25_columns(ids: np.ndarray, lengths: np.ndarray, terms: int) -> tuple[np.ndarray, ...]:
    """Lucene BM25 of every (term, lesson) pair, as sparse columns by term, and each
    lesson's distinct terms (CSR by lesson)."""
    docs = len(lengths)
    owner = np.repeat(np.arange(docs, dtype=np.int64), lengths)
    keys, tf = np.unique(owner * max(terms, 1) + ids, return_counts=True)
    doc_of, term_of = np.divmod(keys, max(terms, 1))
    df = np.bincount(term_of, minlength=terms)
    idf = np.log1p((docs - df + 0.5) / (df + 0.5))
    average = lengths.mean() if docs and lengths.mean() > 0 else 1.0
    norm = K1 * (1 - B + B * lengths[doc_of] / average)
    scores = (idf[term_of] * tf / (tf + norm)).astype(np.float32)
    order = np.argsort(term_of, kind="stable")
    term_indptr = np.concatenate([[0], np.cumsum(df)]).astype(np.int64)
    doc_indptr = np.concatenate([[0], np.cumsum(np.bincount(doc_of, minlength=docs))])
    return (term_indptr, doc_of[order], scores[order], doc_indptr.astype(np.int64),
            term_of)


def _codes(lessons: pd.DataFrame, projects: pd.DataFrame) -> tuple[dict[str, np.ndarray],
                                                                    dict[str, list[str]]]:
    """Integer codes of the attributes boosts compare, lessons and projects in one lookup."""
    codes: dict[str, np.ndarray] = {}
    lookups: dict[str, list[str]] = {}
    pairs = {"programme": (lessons["programme"], projects["programme_value"]),
             "phase": (lessons["phase"], projects["phase"]),
             "project": (lessons["project_id"], projects["project_id"])}
    for name, (ours, theirs) in pairs.items():
        both = pd.concat([ours, theirs], ignore_index=True).map(
            lambda x: None if x is None else " ".join(str(x).split()).casefold())
        numbers, uniques = pd.factorize(both, use_na_sentinel=True)
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


def _project_query(index: LessonIndex, row: Any) -> tuple[np.ndarray, np.ndarray]:
    parts = [(getattr(row, key), weight) for key, weight in QUERY_FIELDS.items()]
    if row.phase:
        parts.append((str(row.phase), PROBLEM_WEIGHT))
    problems = {p.name: p for p in PROBLEMS}
    parts += [(problems[name].words, PROBLEM_WEIGHT) for name in row.problems]
    return _query(index.analyzer, parts)


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The positions start..start+length of every range, flat (no Python loop)."""
    total = int(lengths.sum())
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.arange(total, dtype=np.int64) - offsets + np.repeat(starts, lengths)


def _bm25(index: LessonIndex, queries: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """BM25 of every lesson for each query: a (queries × lessons) array."""
    docs = len(index)
    terms = [q[0] for q in queries]
    weights = np.concatenate([q[1] for q in queries]) if queries else np.zeros(0)
    flat = np.concatenate(terms) if terms else np.zeros(0, dtype=np.int64)
    starts, ends = index.term_indptr[flat], index.term_indptr[flat + 1]
    lengths = ends - starts
    positions = _ranges(starts, lengths)
    which = np.repeat(np.repeat(np.arange(len(queries)), [len(t) for t in terms]), lengths)
    scores = index.term_scores[positions] * np.repeat(weights, lengths)
    return np.bincount(which * docs + index.term_docs[positions], weights=scores,
                       minlength=len(queries) * docs).reshape(len(queries), docs)


def _multipliers(index: LessonIndex, positions: np.ndarray) -> np.ndarray:
    """1 + every boost, for each project (by position) and every lesson; a project's own
    lessons get 0 (never recommended)."""
    c = index.codes
    programme = c["project_programme"][positions][:, None]
    phase = c["project_phase"][positions]
    next_phase = np.array([_phase_code(index, index.projects["phase"].iat[p])
                           for p in positions])[:, None]
    result = 1.0 + np.broadcast_to(index.prior, (len(positions), len(index))).copy()
    result += BOOSTS["same_programme"] * ((c["programme"] == programme) & (programme >= 0))
    in_phase = (c["phase"] >= 0) & ((c["phase"] == phase[:, None]) | (c["phase"] == next_phase))
    result += BOOSTS["phase"] * in_phase
    result += BOOSTS["problem_category"] * _problem_categories(index, positions)
    result[c["project"] == c["project_project"][positions][:, None]] = 0.0
    return result


def _phase_code(index: LessonIndex, phase: object) -> int:
    following = NEXT_PHASE.get(str(phase)) if phase else None
    lookup = index.lookups["phase"]
    key = following.casefold() if following else None
    return lookup.index(key) if key in lookup else -2


def _problem_categories(index: LessonIndex, positions: np.ndarray) -> np.ndarray:
    lookup = index.lookups["category"]
    problems = {p.name: p for p in PROBLEMS}
    found = np.zeros((len(positions), len(lookup) + 1), dtype=bool)
    for i, p in enumerate(positions):
        for name in index.projects["problems"].iat[p]:
            found[i, [lookup.index(c) for c in problems[name].categories]] = True
    return found[:, index.codes["category"]]  # code -1 reads the last, always-False column


def _top(scores: np.ndarray, top: int) -> list[np.ndarray]:
    """Per row, the positions of the `top` highest positive scores, best first (ties: the
    register's order)."""
    if scores.shape[1] > top:
        part = np.argpartition(-scores, top - 1, axis=1)[:, :top]
    else:
        part = np.broadcast_to(np.arange(scores.shape[1]), scores.shape)
    found = []
    for row, candidates in zip(scores, part, strict=True):
        candidates = candidates[row[candidates] > 0]
        found.append(candidates[np.lexsort((candidates, -row[candidates]))])
    return found


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

    def to_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["why"], data["matched"] = list(self.why), list(self.matched)
        data["date_logged"] = self.date_logged.isoformat() if self.date_logged else None
        return data


def recommend(index: LessonIndex, project_id: str, top: int = 5) -> list[Recommendation]:
    """The `top` lessons of other projects most worth reading for this project, best first.
    Raises UnknownProject when the register has no project of this ID."""
    return _recommend_positions(index, [index.project_position(project_id)], top)[0]


def recommend_all(index: LessonIndex, top: int = 3, *,
                  chunk: int = 64) -> dict[str, list[Recommendation]]:
    """The top lessons for every project of the register (by Project ID; a repeated ID: its
    first row), scored `chunk` projects at a time against every lesson."""
    ids = index.projects["project_id"]
    positions = np.array([i for i, pid in enumerate(ids) if pid is not None
                          and index.project_position(pid) == i], dtype=np.int64)
    found: dict[str, list[Recommendation]] = {}
    for start in range(0, len(positions), chunk):
        batch = positions[start:start + chunk]
        for p, recs in zip(batch, _recommend_positions(index, list(batch), top), strict=True):
            found[str(ids.iat[p])] = recs
    return found


def _recommend_positions(index: LessonIndex, positions: Sequence[int],
                         top: int) -> list[list[Recommendation]]:
    queries = [index.queries[p] for p in positions]
    where = np.asarray(positions, dtype=np.int64)
    scores = _bm25(index, queries) * _multipliers(index, where)
    return [[_recommendation(index, d, float(scores[i, d]), queries[i], int(p))
             for d in best] for i, (p, best) in enumerate(zip(positions, _top(scores, top),
                                                              strict=True))]


def search(index: LessonIndex, text: str, top: int = 5) -> list[Recommendation]:
    """The `top` lessons that best answer a free query (any project), best first."""
    query = _query(index.analyzer, [(text, 1.0)])
    if not len(query[0]):
        return []
    scores = _bm25(index, [query]) * (1.0 + index.prior)[None, :]
    return [_recommendation(index, d, float(scores[0, d]), query, None)
            for d in _top(scores, top)[0]]


def _recommendation(index: LessonIndex, d: int, score: float,
                    query: tuple[np.ndarray, np.ndarray], project: int | None) -> Recommendation:
    row = index.lessons.iloc[d]
    date = row["date_logged"]
    return Recommendation(
        lesson_id=row["lesson_id"], project_id=row["project_id"], score=round(score, 4),
        why=tuple(_why(index, d, query, project)), matched=tuple(_matched(index, d, query)),
        lesson=row["lesson"], description=row["description"],
        recommendation=row["recommendation"], category=row["category_label"],
        type=_str_or_none(row["type"]), impact=_str_or_none(row["impact"]),
        action_status=_str_or_none(row["action_status"]),
        date_logged=None if pd.isna(date) else date.date(), programme=row["programme"],
        phase=row["phase"], row=int(row["row"]))


def _matched(index: LessonIndex, d: int, query: tuple[np.ndarray, np.ndarray]) -> list[str]:
    """The lesson's own words for the query terms it contains, strongest first."""
    terms, weights = query
    mine = index.doc_terms[index.doc_indptr[d]:index.doc_indptr[d + 1]]
    shared = np.intersect1d(terms, mine)
    if not len(shared):
        return []
    weight = dict(zip(terms.tolist(), weights.tolist(), strict=True))
    strength = {int(t): weight[int(t)] * _term_score(index, int(t), d) for t in shared}
    spelled: dict[int, str] = {}
    row = index.lessons.iloc[d]
    text = " ".join((row["lesson"], row["description"], row["recommendation"],
                     row["category_label"]))
    for word in index.analyzer.words_of(text):
        term = index.analyzer.words.get(word, -1)
        if term in strength:
            spelled.setdefault(term, word)
    return [spelled.get(t, index.analyzer.spelling[t])
            for t in sorted(strength, key=lambda t: -strength[t])]


def _term_score(index: LessonIndex, term: int, d: int) -> float:
    start, end = index.term_indptr[term], index.term_indptr[term + 1]
    at = start + np.searchsorted(index.term_docs[start:end], d)
    return float(index.term_scores[at])


def _why(index: LessonIndex, d: int, query: tuple[np.ndarray, np.ndarray],
         project: int | None) -> list[str]:
    row = index.lessons.iloc[d]
    words = _matched(index, d, query)
    why = [f"shares the words: {', '.join(words[:6])}"] if words else []
    if project is not None:
        why += _project_reasons(index, d, project)
    if row["type"] == "Improve" and row["recommendation"].strip():
        why.append("an Improve lesson with a recommendation")
    if row["impact"] in ("High", "Medium"):
        why.append(f"{row['impact']} impact")
    if not pd.isna(row["date_logged"]):
        age = (pd.Timestamp(index.as_of) - row["date_logged"]).days
        if 0 <= age <= RECENT_DAYS / 2:
            why.append(f"recent: logged {row['date_logged'].date().isoformat()}")
    return why


def _project_reasons(index: LessonIndex, d: int, project: int) -> list[str]:
    c, p = index.codes, index.projects.iloc[project]
    row = index.lessons.iloc[d]
    reasons = []
    if c["programme"][d] >= 0 and c["programme"][d] == c["project_programme"][project]:
        reasons.append(f"same programme: {row['programme']}")
    if c["phase"][d] >= 0:
        if c["phase"][d] == c["project_phase"][project]:
            reasons.append(f"logged in {row['phase']}, this project's phase")
        elif c["phase"][d] == _phase_code(index, p["phase"]):
            reasons.append(f"logged in {row['phase']}, this project's next phase")
    problems = {q.name: q for q in PROBLEMS}
    for name in p["problems"]:
        if row["category"] in problems[name].categories:
            reasons.append(f"a {row['category_label']} lesson, and this project is "
                           f"{_problem_text(name, p)}")
            break
    return reasons


def _problem_text(name: str, project: pd.Series) -> str:
    if name == "slipped" and project["slip_days"] > 0:
        return f"{int(project['slip_days'])} days late"
    return {"slipped": "behind schedule", "behind plan": "behind plan",
            "over budget": "over budget", "stale": "overdue a status update",
            "red": "rated Red"}[name]
