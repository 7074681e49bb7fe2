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

With `--targets`, instead, issue 11's targets for the reports on the 10k-project register,
each beside its reference, with MET or MISSED (this checkout's code, medians of `--runs`):

4. one project's report (`write_reports` for one project of a register already read, as the
   "Generate report" button does) < 1 s, beside building every project's report data;
5. the HTML batch's peak memory (`pmo-xl report R --format html --all`) <= 1.3x that of
   reading the register alone (`read_register`), each in a process of its own.

    .venv/bin/python bench/bench_reports.py --targets [--runs 5]
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
ROOT = BENCH_DIR.parent
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(
    [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
TARGET_REGISTER = RESULTS / "registers" / "register-10000-seed7.xlsx"
TARGET_AS_OF = "2026-09-30"
TEMPLATES = ROOT / "report_templates"


def _verdict(met: bool) -> str:
    return "MET" if met else "MISSED"


def _one_project_report(runs: int) -> None:
    """Target 4, in process: one project's report of a register already read, beside the
    report data of every project (what a one-project report built before selecting)."""
    sys.path.insert(0, str(ROOT))
    from pmo_xl.batch import write_reports
    from pmo_xl.metrics import rollup
    from pmo_xl.reader import read_register
    from pmo_xl.reports import report_data
    from pmo_xl.validation import validate

    register = read_register(TARGET_REGISTER)
    day = dt.date.fromisoformat(TARGET_AS_OF)
    project_id = str(register.projects.values["project_id"].iloc[41])
    one, every = [], []
    with tempfile.TemporaryDirectory() as folder:
        for n in range(runs):  # interleaved: the same load on both
            register.__dict__.pop("_metrics", None)
            started = time.perf_counter()
            write_reports(TARGET_REGISTER, Path(folder) / str(n), project_ids=[project_id],
                          formats=["html"], register=register, read_from="open workbook",
                          templates=TEMPLATES, as_of=day)
            one.append(time.perf_counter() - started)
            started = time.perf_counter()
            report_data(register, validate(register, day), rollup(register, day))
            every.append(time.perf_counter() - started)
    seconds = statistics.median(one)
    print(f"4. one project's report (write_reports, register read) {seconds:.2f} s (report "
          f"data of all 10,000 projects: {statistics.median(every):.2f} s), target < 1 s: "
          f"{_verdict(seconds < 1)}")


def _peak_mib(argv: list[str]) -> float:
    """The peak resident memory of one process: run from a parent of its own, whose
    RUSAGE_CHILDREN then holds that one child's (ru_maxrss is in KiB on Linux)."""
    parent = ("import resource, subprocess, sys\n"
              "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
              "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    found = subprocess.run([sys.executable, "-c", parent, *argv], check=True, env=ENV,
                           capture_output=True, text=True).stdout
    return int(found) / 1024


def _batch_memory(runs: int) -> None:
    """Target 5: the HTML batch's peak memory beside the bare read's."""
    read_code = f"from pmo_xl.reader import read_register; read_register({str(TARGET_REGISTER)!r})"
    reads, batches = [], []
    with tempfile.TemporaryDirectory() as folder:
        for n in range(runs):
            reads.append(_peak_mib([sys.executable, "-c", read_code]))
            batches.append(_peak_mib([sys.executable, "-m", "pmo_xl", "report",
                                      str(TARGET_REGISTER), "--out", f"{folder}/{n}",
                                      "--format", "html", "--all", "--as-of", TARGET_AS_OF,
                                      "--templates", str(TEMPLATES)]))
    read, batch = statistics.median(reads), statistics.median(batches)
    print(f"5. HTML batch peak {batch:.0f} MiB vs read_register peak {read:.0f} MiB: "
          f"{batch / read:.2f}x, target <= 1.3x: {_verdict(batch / read <= 1.3)}")


def targets(runs: int) -> None:
    # Written by bench_core if missing or written by another sample generator.
    subprocess.run([sys.executable, str(BENCH_DIR / "bench_core.py"), "--sizes", "10000",
                    "--registers-only"], check=True, env=ENV)
    print(f"Issue 11 report targets, 10,000 projects, medians of {runs} runs:", flush=True)
    _one_project_report(runs)
    _batch_memory(max(1, runs // 2))


def _register(projects: int) -> Path:
    """A sample register of this size, written once and reused."""
    subprocess.run([sys.executable, str(BENCH_DIR / "bench_core.py"), "--sizes", str(projects),
                    "--registers-only"], check=True, capture_output=True, env=ENV)
    return RESULTS / "registers" / f"register-{projects}-seed7.xlsx"


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
    parser.add_argument("--targets", action="store_true",
                        help="measure issue 11's report targets instead (see above)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if args.targets:
        targets(args.runs)
        return

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
