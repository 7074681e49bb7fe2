"""Measure the lessons recommender on the evaluation set, against two baselines, in one run.

The set (README "Lessons", "Quality, measured"): register.xlsx (30 projects, 132 lessons, read
with `read_register` as users' registers are) and queries.json (25 queries: 16 projects and 9
free queries, each with the lessons a PMO reviewer judged relevant; 6 held out). Baselines:

- *category by recency*: the lessons of the category the reviewer would filter the log on
  (queries.json `categories`), newest first: what a PMO does in Excel today;
- *keyword overlap*: lessons ranked by how many distinct words (casefolded, stop words out,
  no stemming, no synonyms) they share with the query text, newest first among equals.

Both leave out a project's own lessons, as the recommender does. Run:

    PYTHONPATH=. python tests/data/lessons_eval/evaluate.py
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pmo_xl.lessons import QUERY_FIELDS, STOP_WORDS, LessonIndex, build_index, recommend, search
from pmo_xl.reader import read_register

HERE = Path(__file__).resolve().parent
K = 5


@dataclass(frozen=True)
class Query:
    id: str
    relevant: frozenset[str]
    categories: tuple[str, ...]
    held_out: bool
    project: str | None = None
    text: str | None = None


def load_queries() -> list[Query]:
    data = json.loads((HERE / "queries.json").read_text(encoding="utf-8"))
    return [Query(q["id"], frozenset(q["relevant"]), tuple(q["categories"]), q["held_out"],
                  q.get("project"), q.get("query")) for q in data["queries"]]


def load_index() -> LessonIndex:
    return build_index(read_register(HERE / "register.xlsx"))


def _own(index: LessonIndex, query: Query) -> np.ndarray:
    return (index.lessons["project_id"] == query.project).to_numpy() if query.project else (
        np.zeros(len(index), dtype=bool))


def _newest_first(index: LessonIndex, keep: np.ndarray, key: np.ndarray) -> list[str]:
    dates = index.lessons["date_logged"].to_numpy("datetime64[D]").astype(np.int64)
    order = np.lexsort((-dates, -key))
    return [index.lessons["lesson_id"].iat[i] for i in order if keep[i]][:10]


def category_by_recency(index: LessonIndex, query: Query) -> list[str]:
    keep = index.lessons["category"].isin(query.categories).to_numpy() & ~_own(index, query)
    return _newest_first(index, keep, np.zeros(len(index)))


_WORD = re.compile(r"\w+(?:['’-]\w+)*")


def _plain_words(text: str) -> set[str]:
    """The baseline's words: casefolded, stop words out, no stems, no thesaurus."""
    return {w for w in _WORD.findall(text.casefold()) if w not in STOP_WORDS}


def query_text(index: LessonIndex, query: Query) -> str:
    if query.text is not None:
        return query.text
    row = index.projects.iloc[index.project_position(query.project or "")]
    return " ".join(str(row[key]) for key in QUERY_FIELDS)


def keyword_overlap(index: LessonIndex, query: Query) -> list[str]:
    wanted = _plain_words(query_text(index, query))
    lessons = index.lessons
    texts = lessons["lesson"] + " " + lessons["description"] + " " + lessons["recommendation"]
    overlap = np.array([len(wanted & _plain_words(t)) for t in texts], dtype=float)
    return _newest_first(index, (overlap > 0) & ~_own(index, query), overlap)


def recommender(index: LessonIndex, query: Query) -> list[str]:
    found = (recommend(index, query.project, top=10) if query.project
             else search(index, query.text or "", top=10))
    return [r.lesson_id for r in found]


METHODS: dict[str, Callable[[LessonIndex, Query], list[str]]] = {
    "recommender": recommender, "category by recency": category_by_recency,
    "keyword overlap": keyword_overlap}


def scores(ranked: Sequence[str], relevant: frozenset[str]) -> tuple[float, float, float]:
    """recall@5, precision@5 and the reciprocal rank of the first relevant lesson (top 10)."""
    hits = sum(1 for lesson in ranked[:K] if lesson in relevant)
    rank = next((i for i, lesson in enumerate(ranked[:10], 1) if lesson in relevant), None)
    return hits / len(relevant), hits / K, 1 / rank if rank else 0.0


def evaluate(index: LessonIndex | None = None,
             queries: Sequence[Query] | None = None) -> dict[str, dict[str, dict[str, float]]]:
    """Mean recall@5, precision@5 and MRR per method, for the tuning and held-out queries."""
    index = index or load_index()
    queries = queries or load_queries()
    result: dict[str, dict[str, dict[str, float]]] = {}
    for name, method in METHODS.items():
        result[name] = {}
        for part, chosen in (("tuning", [q for q in queries if not q.held_out]),
                             ("held out", [q for q in queries if q.held_out]),
                             ("all", list(queries))):
            rows = np.array([scores(method(index, q), q.relevant) for q in chosen])
            result[name][part] = dict(zip(("recall@5", "precision@5", "mrr"),
                                          rows.mean(axis=0).round(3).tolist(), strict=True))
    return result


def markdown(result: dict[str, dict[str, dict[str, float]]]) -> str:
    lines = ["| Method | Queries | recall@5 | precision@5 | MRR |", "|---|---|---:|---:|---:|"]
    for name, parts in result.items():
        for part, figures in parts.items():
            lines.append(f"| {name} | {part} | {figures['recall@5']:.3f} | "
                         f"{figures['precision@5']:.3f} | {figures['mrr']:.3f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(markdown(evaluate()) + "\n")
