"""Benchmark of the Excel buttons' Python side: time and Excel calls per button.

There is no Excel here, so each button runs on xlwings' remote engine (tests/xlremote.py):
the workbook's cells arrive as the JSON the VBA client sends, and the button's writes leave
as actions, one per Excel call the VBA client would make. What is timed is everything the
button does in Python (reading the cells through xlwings, validation / roll-up, building
the blocks it writes); Excel's own time to hand over and take the cells is not included.

For each size (default 1k and 10k projects; three lessons and four milestones each) it
builds the sample workbook once, then times Validate entries, Roll up portfolio and
Generate report (one project, HTML) `--runs` times each and counts their actions.

    .venv/bin/python bench/bench_buttons.py --sizes 1000 10000 --runs 5

It prints a Markdown table and writes it, with the raw timings as JSON, to
bench/results/buttons-<date>.md / .json. The xlwings remote engine is licensed PolyForm
Noncommercial; like the tests, this benchmark sets its key for its own process only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results"
sys.path.insert(0, str(BENCH_DIR.parent / "tests"))

from xlremote import payload_from_workbook, remote_payload_book  # noqa: E402

from pmo_xl import excel  # noqa: E402
from pmo_xl.sample import sample_portfolio  # noqa: E402
from pmo_xl.workbook import build_workbook  # noqa: E402

BUTTONS = ("validate_entries", "rollup_portfolio", "generate_report")


def measure(projects: int, runs: int, folder: Path) -> dict[str, Any]:
    portfolio = sample_portfolio(projects)
    portfolio.settings["report_formats"] = "HTML"
    path = build_workbook(folder / f"Register-{projects}.xlsm", portfolio)
    payload = payload_from_workbook(path, book_name=str(path))
    on_projects = {**payload, "book": {**payload["book"], "active_sheet_index": 1,
                                       "selection": "B2"}}
    excel.open_report = lambda _path: None  # no desktop to show it on
    result: dict[str, Any] = {}
    for button in BUTTONS:
        sent = on_projects if button == "generate_report" else payload
        seconds, actions = [], []
        for _ in range(runs):
            with remote_payload_book(sent) as book:
                start = time.perf_counter()
                getattr(excel, button)()
                seconds.append(time.perf_counter() - start)
                actions = book.json()["actions"]
        cells = sum(len(a["values"]) * len(a["values"][0]) for a in actions if a["values"])
        result[button] = {"seconds": seconds, "actions": len(actions), "cells": cells,
                          "alert": actions[-1]["args"][0]}
    return result


def table(results: dict[int, dict[str, Any]]) -> str:
    lines = ["| Projects | Button | Python time (median) | Excel calls | Cells written |",
             "|---:|---|---:|---:|---:|"]
    for projects, buttons in results.items():
        for button, figures in buttons.items():
            median = statistics.median(figures["seconds"])
            lines.append(f"| {projects:,} | {button} | {median:.2f} s | {figures['actions']} | "
                         f"{figures['cells']:,} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        results = {n: measure(n, args.runs, Path(folder)) for n in args.sizes}
    report = table(results)
    print(report)
    RESULTS.mkdir(exist_ok=True)
    stem = RESULTS / f"buttons-{dt.date.today().isoformat()}"
    stem.with_suffix(".md").write_text(report + "\n", encoding="utf-8")
    stem.with_suffix(".json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
