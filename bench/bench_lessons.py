"""Benchmark of the lessons recommender (pmo_xl.lessons) at 100k lessons, next to the
category-by-recency baseline, and of the BM25 libraries it was chosen against.

The register is synthesised in memory (never written to disk): 10k projects and 100k lessons
recombined from the evaluation set's texts (tests/data/lessons_eval): each lesson takes its
title, description and recommendation from three different lessons and names one of the
sample's systems and a site number, so that almost no two texts are alike (as in a real log);
each project takes its summary, risks and next steps from three evaluation projects. It is
parsed with `read_sheets`, as a workbook's cells are, before any timing.

Timed (in process, medians of --runs, imports and parsing excluded):
  - `build_index(register)`                        target < 3 s
  - `recommend(index, id, top=5)`, one project     target < 50 ms (median over 50 projects)
  - `recommend_all(index, top=3)`, 10k projects    target < 10 s (and checked: the sampled
    projects get from it what `recommend` gives each alone)
  - the same two with the baseline: the newest lessons of the categories the project's
    problems point to, other projects only (vectorised over all lessons as well).
Libraries (same tokens): bm25s `BM25().index` and `get_scores`, and rank-bm25 `BM25Okapi`
build and `get_scores`, when installed; and their BM25-only quality on the evaluation set.

    .venv/bin/python bench/bench_lessons.py              # 100k lessons, 10k projects
    .venv/bin/python bench/bench_lessons.py --quick      # 10k lessons, 1k projects

It prints a Markdown report with MET/MISSED per target and writes it to
bench/results/lessons-<date>.md (never overwriting an earlier run of the same day).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib.metadata
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "tests" / "data" / "lessons_eval"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(EVAL))

from pmo_xl import lessons as core  # noqa: E402
from pmo_xl.reader import Register, read_sheets  # noqa: E402
from pmo_xl.sample import _SYSTEMS  # noqa: E402
from pmo_xl.schema import LESSONS, PROJECTS  # noqa: E402

TARGETS = {"build_index": 3.0, "recommend_one": 0.050, "recommend_all": 10.0}


def _csv(name: str) -> list[dict[str, str]]:
    with (EVAL / name).open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def synthesise(lessons: int, projects: int, seed: int = 3) -> Register:
    rng = random.Random(seed)
    source_p, source_l = _csv("projects.csv"), _csv("lessons.csv")
    p_head = [c.name for c in PROJECTS.columns if c.name in source_p[0]]
    rows = [p_head]
    for n in range(projects):
        base = dict(rng.choice(source_p))
        for key in ("Status Summary", "Key Risks", "Next Steps", "Programme"):
            base[key] = rng.choice(source_p)[key]
        base["Project ID"] = f"P{n:05d}"
        base["Project Name"] = f"{rng.choice(_SYSTEMS)} {base['Project Name']}"
        rows.append([base[h] for h in p_head])
    l_head = [c.name for c in LESSONS.columns]
    lesson_rows = [l_head]
    for n in range(lessons):
        parts = [rng.choice(source_l) for _ in range(3)]
        row = dict(parts[0])
        row["Description"] = (f"{parts[1]['Description']} Seen on the {rng.choice(_SYSTEMS)} "
                              f"work at site {rng.randint(1, 99_999)}.")
        row["Recommendation"] = parts[2]["Recommendation"]
        row["Lesson ID"], row["Project ID"] = f"L{n:06d}", f"P{rng.randrange(projects):05d}"
        lesson_rows.append([row.get(h, "") for h in l_head])
    settings = [["Setting", "Value"], ["Report Date", "2026-09-30"], ["Date Order", "auto"]]
    return read_sheets(Path("synthetic.xlsx"), {"Projects": rows, "Lessons": lesson_rows,
                                                "Settings": settings})


def timed(run: Callable[[], Any], runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def timed_cpu(run: Callable[[], Any], runs: int) -> tuple[float, float, Any]:
    """Median wall and CPU (this process's) seconds: on cores other work shares, the CPU
    time moves less than the wall time."""
    walls, cpus, result = [], [], None
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        result = run()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def same_as_one_at_a_time(index: core.LessonIndex, batch: dict[str, list[Any]],
                          sample: list[str]) -> bool:
    """Whether the batch's top 3 of each sampled project is `recommend`'s (the test suite
    checks every project of a smaller log against a brute-force ranking too)."""
    def shown(found: list[Any]) -> list[tuple[Any, ...]]:
        return [(r.lesson_id, r.score, r.why) for r in found]

    return all(shown(batch[p]) == shown(core.recommend(index, p, top=3)) for p in sample)


# --- the baseline: same categories, newest first ---------------------------------------------


def baseline_all(index: core.LessonIndex, positions: np.ndarray, top: int) -> list[np.ndarray]:
    """Per project, the `top` newest lessons of its problems' categories (others' only)."""
    newest = np.argsort(-index.lessons["date_logged"].to_numpy("datetime64[D]").astype(
        np.int64), kind="stable")
    pointed = core._problem_categories(index, positions)
    categories = pointed[:, index.codes["category"][newest]]
    own = index.codes["project"][newest] == index.codes["project_project"][positions][:, None]
    keep = categories & ~own
    # the first `top` kept columns of each row, in date order
    ranks = np.cumsum(keep, axis=1)
    return [newest[np.flatnonzero(row_keep & (row_rank <= top))]
            for row_keep, row_rank in zip(keep, ranks, strict=True)]


def baseline_batches(index: core.LessonIndex, top: int, chunk: int = 256) -> int:
    positions = np.arange(len(index.projects))
    found = 0
    for start in range(0, len(positions), chunk):
        found += len(baseline_all(index, positions[start:start + chunk], top))
    return found


# --- libraries -------------------------------------------------------------------------------


def corpus_tokens(index: core.LessonIndex) -> list[list[int]]:
    lessons = index.lessons
    texts = (lessons["lesson"] + " " + lessons["description"] + " " + lessons["recommendation"]
             + " " + lessons["category_label"]).tolist()
    analyzer = index.analyzer
    return [analyzer.ids(analyzer.words_of(t), grow=False).tolist() for t in texts]


def libraries(index: core.LessonIndex, runs: int) -> list[tuple[str, str, str, str]]:
    """(library, build, one query's scores over all lessons, note) rows."""
    tokens = corpus_tokens(index)
    query = index.query(0)
    terms = query[0].tolist()
    owner, ids, lengths = _flat(tokens)
    terms_count = len(index.analyzer.spelling)
    # the (lesson, term) keys are made in the timing, as build_index makes them
    ours_build, _ = timed(lambda: core._bm25_columns(owner * max(terms_count, 1) + ids,
                                                     lengths, terms_count), runs)
    ours_query, _ = timed(lambda: core.bm25_scores(index, query), max(runs, 5))
    rows = [("pmo-xl (numpy, Lucene BM25)", f"{ours_build:.2f} s", f"{ours_query * 1e3:.1f} ms",
             "scores equal bm25s's (test)")]
    try:
        import bm25s

        retriever = bm25s.BM25()
        build, _ = timed(lambda: retriever.index(tokens, show_progress=False), 1)
        score, _ = timed(lambda: retriever.get_scores(terms), max(runs, 5))
        rows.append((f"bm25s {bm25s.__version__} (numpy backend, no numba)", f"{build:.2f} s",
                     f"{score * 1e3:.1f} ms", ""))
    except ImportError:
        rows.append(("bm25s", "not installed", "", ""))
    try:
        from rank_bm25 import BM25Okapi

        build, okapi = timed(lambda: BM25Okapi(tokens), 1)
        score, _ = timed(lambda: okapi.get_scores(terms), 1)
        rows.append(("rank-bm25 0.2.2 (BM25Okapi)", f"{build:.2f} s", f"{score * 1e3:.0f} ms",
                     ""))
    except ImportError:
        rows.append(("rank-bm25", "not installed", "", ""))
    return rows


def _flat(tokens: list[list[int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lengths = np.array([len(t) for t in tokens], dtype=np.int64)
    flat = np.fromiter((i for t in tokens for i in t), dtype=np.int64, count=int(lengths.sum()))
    return np.repeat(np.arange(len(tokens)), lengths), flat, lengths


def library_quality() -> list[tuple[str, str]]:
    """BM25 alone (no boosts), same tokens and queries, on the evaluation set: P@5 / MRR."""
    import evaluate

    index, queries = evaluate.load_index(), evaluate.load_queries()
    tokens = corpus_tokens(index)
    scorers: dict[str, Callable[[list[int]], np.ndarray]] = {
        "pmo-xl": lambda terms: core.bm25_scores(index, (np.array(terms, dtype=np.int64),
                                                         np.ones(len(terms))))}
    try:
        import bm25s

        retriever = bm25s.BM25()
        retriever.index(tokens, show_progress=False)
        scorers["bm25s"] = lambda terms: retriever.get_scores(terms) if terms else np.zeros(
            len(index))
    except ImportError:
        pass
    try:
        from rank_bm25 import BM25Okapi

        okapi = BM25Okapi(tokens)
        scorers["rank-bm25"] = lambda terms: okapi.get_scores(terms)
    except ImportError:
        pass
    rows = []
    for name, scorer in scorers.items():
        figures = []
        for q in queries:
            terms = (index.query(index.project_position(q.project))[0] if q.project else
                     core._query(index.analyzer, [(q.text or "", 1.0)])[0]).tolist()
            s = np.asarray(scorer(terms), dtype=float)
            if q.project:
                s[(index.lessons["project_id"] == q.project).to_numpy()] = -1
            ranked = [index.lessons["lesson_id"].iat[i] for i in np.argsort(-s, kind="stable")
                      if s[i] > 0][:10]
            figures.append(evaluate.scores(ranked, q.relevant))
        mean = np.mean(figures, axis=0)
        rows.append((name, f"{mean[1]:.3f} / {mean[2]:.3f}"))
    return rows


# --- report ----------------------------------------------------------------------------------


def machine() -> str:
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as stream:
        for line in stream:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = ", ".join(f"{p} {_version(p)}" for p in ("numpy", "pandas", "PyStemmer", "bm25s"))
    return (f"{cpu}, {os.cpu_count()} cores, {platform.platform()}, Python "
            f"{platform.python_version()}, {versions}")


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def verdict(seconds: float, target: float) -> str:
    return "MET" if seconds < target else "**MISSED**"


def run(lessons: int, projects: int, runs: int) -> str:
    start = time.perf_counter()
    register = synthesise(lessons, projects)
    made = time.perf_counter() - start
    build, build_cpu, index = timed_cpu(lambda: core.build_index(register), runs)
    ids = index.projects["project_id"].tolist()
    sample = ids[:: max(1, len(ids) // 50)][:50]
    ones = [timed_cpu(lambda p=p: core.recommend(index, p, top=5), 1)[:2] for p in sample]
    one, one_cpu = (statistics.median(t[i] for t in ones) for i in (0, 1))
    every, every_cpu, found = timed_cpu(lambda: core.recommend_all(index, top=3),
                                        max(1, runs // 2))
    alike = same_as_one_at_a_time(index, found, sample)
    base_ones = [timed_cpu(lambda p=p: baseline_all(
        index, np.array([index.project_position(p)]), 5), 1)[:2] for p in sample]
    base_one, base_one_cpu = (statistics.median(t[i] for t in base_ones) for i in (0, 1))
    base_all, base_all_cpu, _ = timed_cpu(lambda: baseline_batches(index, 3), max(1, runs // 2))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [f"# Lessons benchmark, {dt.date.today().isoformat()}", "",
             f"Machine: {machine()}; load average at the end {load} (1, 5, 15 min).", "",
             f"{lessons:,} lessons, {projects:,} projects (synthesised and parsed in "
             f"{made:.1f} s, not timed); medians of {runs} runs (batch: {max(1, runs // 2)}); "
             "wall time (CPU time of this process).",
             "", "| Step | pmo-xl recommender | category by recency | ratio | target | verdict |",
             "|---|---:|---:|---:|---:|---|",
             f"| build the index | {build:.2f} s ({build_cpu:.2f} s) | (none needed) | | < 3 s | "
             f"{verdict(build, TARGETS['build_index'])} |",
             f"| one project's top 5 | {one * 1e3:.1f} ms ({one_cpu * 1e3:.1f} ms) | "
             f"{base_one * 1e3:.1f} ms ({base_one_cpu * 1e3:.1f} ms) | {one / base_one:.2f}× | "
             f"< 50 ms | {verdict(one, TARGETS['recommend_one'])} |",
             f"| top 3 for each of {len(found):,} projects | {every:.2f} s ({every_cpu:.2f} s) | "
             f"{base_all:.2f} s ({base_all_cpu:.2f} s) | {every / base_all:.2f}× | "
             f"< 10 s | {verdict(every, TARGETS['recommend_all'])} |", "",
             f"The batch gives the {len(sample)} sampled projects the lessons, scores and why "
             f"that `recommend` gives each alone: {'yes' if alike else '**NO**'}.", "",
             "Libraries, same tokens, this corpus:", "",
             "| Library | build | one query over all lessons | note |", "|---|---:|---:|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in libraries(index, runs)]
    lines += ["", "BM25 alone (no boosts) on the evaluation set, precision@5 / MRR:", "",
              "| Library | P@5 / MRR |", "|---|---|"]
    lines += [f"| {a} | {b} |" for a, b in library_quality()]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lessons", type=int, default=100_000)
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="10k lessons, 1k projects")
    args = parser.parse_args()
    if args.quick:
        args.lessons, args.projects = 10_000, 1_000
    report = run(args.lessons, args.projects, args.runs)
    sys.stdout.write(report)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stem, n = f"lessons-{dt.date.today().isoformat()}", 1
    while (RESULTS_DIR / f"{stem}.md").exists():
        n += 1
        stem = f"lessons-{dt.date.today().isoformat()}-{n}"
    (RESULTS_DIR / f"{stem}.md").write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
