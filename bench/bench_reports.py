"""Benchmark of the status reports: HTML and PDF throughput of `pmo-xl report`.

For each register size (default 1, 100 and 1,000 projects) it runs `pmo-xl report` as a user
does, into a fresh folder each time (so nothing is skipped), and times the whole process:

* HTML only (all project reports, the portfolio summary, index.html);
* PDF with each engine (chromium, weasyprint), with `--jobs 1` and `--jobs 2`, side by side.

From the same runs it reports reports per minute and the median seconds per PDF recorded in
manifest.json. Run it by hand (`make bench` runs it after the other benchmarks), or

    .venv/bin/python bench/bench_reports.py --sizes 1 100 --engines chromium

It prints a Markdown table and writes it, with the raw timings as JSON, to
bench/results/reports-<date>.md / .json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results"
PMO_XL = Path(sys.executable).with_name("pmo-xl")


def _register(projects: int) -> Path:
    """A sample register of this size, written once and reused."""
    path = RESULTS / "registers" / f"register-{projects}-seed7.xlsx"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(PMO_XL), "sample", str(path), "--projects", str(projects)],
                       check=True, capture_output=True)
    return path


def _run(register: Path, formats: str, engine: str | None, jobs: int) -> dict[str, float]:
    """Wall seconds of one `pmo-xl report` into a fresh folder, and per-PDF medians."""
    with tempfile.TemporaryDirectory() as folder:
        command = [str(PMO_XL), "report", str(register), "--out", folder, "--format", formats,
                   "--jobs", str(jobs)]
        if engine:
            command += ["--pdf-engine", engine]
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        wall = time.perf_counter() - started
        manifest = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
    files = [e for e in manifest["files"].values() if e["format"] == formats]
    seconds = [e["seconds"] for e in files]
    return {"wall": wall, "reports": len(files),
            "per_report": statistics.median(seconds) if seconds else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 100, 1000])
    parser.add_argument("--engines", nargs="+", default=["chromium", "weasyprint"])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    rows: list[dict[str, object]] = []
    for size in args.sizes:
        register = _register(size)
        cases = [("html", None, 1)] + [("pdf", e, j) for e in args.engines for j in args.jobs]
        for formats, engine, jobs in cases:
            result = _run(register, formats, engine, jobs)
            rows.append({"projects": size, "format": formats, "engine": engine or "–",
                         "jobs": jobs, **result})
            print(f"{size:>5} {formats} {engine or '-':<10} jobs {jobs}: "
                  f"{result['wall']:.2f} s", flush=True)

    machine = (f"{platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}"
               f", {platform.platform()}")
    lines = [f"Status reports, {dt.date.today()} ({machine}); wall time of `pmo-xl report` "
             "including start-up, reading, validation and roll-up.", "",
             "| Projects | Format | Engine | Jobs | Files | Wall (s) | Files/min | "
             "Median s/file |", "|---:|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        per_minute = 60 * r["reports"] / r["wall"] if r["wall"] else 0  # type: ignore[operator]
        lines.append(f"| {r['projects']} | {r['format']} | {r['engine']} | {r['jobs']} | "
                     f"{r['reports']} | {r['wall']:.2f} | {per_minute:,.0f} | "
                     f"{r['per_report']:.3f} |")
    report = "\n".join(lines)
    print(report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / f"reports-{dt.date.today()}"
    stem.with_suffix(".md").write_text(report + "\n", encoding="utf-8")
    stem.with_suffix(".json").write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
