"""Benchmark of pmo-xl's core: how long `validate` and `rollup` take, next to plain reading.

What it measures, on sample registers of 1k, 10k and 100k projects (three lessons, four
milestones and four to eight RAID items per project, written once by `pmo-xl sample` into
bench/results/registers/ and reused while a file of the same size and seed exists, written
by the same sample generator: see `sample_stamp`):

* whole processes, exactly as a user runs them, each spawned fresh with stdout to /dev/null:
  - `pmo-xl validate REGISTER --format text` and `pmo-xl rollup REGISTER`, through the venv's
    `pmo-xl` console script (what users run; not `python -m pmo_xl.cli`);
  - reference A, "naive read": `pandas.read_excel(path, sheet_name=[...], engine="openpyxl")`
    of the sheets pmo-xl reads (Projects, Lessons, Milestones, RAID, Settings: those of the
    standard's sheets the register holds);
  - reference B, "bare read": import pandas, read the same sheets with python-calamine
    (`CalamineWorkbook.from_path(p).get_sheet_by_name(s).to_python()`) and build a DataFrame
    of each: the practical floor for any pandas tool that reads the register;
  - reference C: `python -c "import pandas"`, the interpreter + pandas start-up;
* wall time (median of several runs; the five process kinds run interleaved in each round,
  in a rotating order, so machine noise hits them alike), CPU time and peak memory (max RSS of
  each child, from `os.wait4`);
* in-process phase times of our code in a fresh worker process, imports excluded:
  `read_register`, `validate`, `rollup(...)` and its `.to_dict()`, and the CLI's text output
  of findings and roll-up (to /dev/null), median over the same run count.

Children get this environment, except that bytecode caching is switched back on when
PYTHONDONTWRITEBYTECODE is set (see `child_environment`), and an untimed warm-up runs every
process kind once first.

Run it by hand (minutes; 100k registers take a few minutes to generate the first time):

    make bench                                      # 1k, 10k and 100k projects
    .venv/bin/python bench/bench_core.py --quick    # 1k only: a smoke run
    .venv/bin/python bench/bench_core.py --sizes 1000,10000 --runs 7

It prints a Markdown report (tables to paste into the README, machine info, the ratios against
the targets) and writes the same Markdown plus a JSON of every raw timing to
bench/results/core-<date>.md / .json (never overwriting an earlier run of the same day).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import hashlib
import importlib.metadata
import itertools
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pmo_xl
from pmo_xl.schema import SETTINGS_SHEET, SHEETS

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
REGISTERS_DIR = RESULTS_DIR / "registers"
PYCACHE_DIR = RESULTS_DIR / "pycache"
PYTHON = Path(sys.executable)
PMO_XL = PYTHON.parent / "pmo-xl"  # the console script users run
# The sheets pmo-xl reads (its standard's, and Settings): the references read those of them
# a register holds, so that every command reads the same cells.
READ_SHEETS = frozenset(s.name for s in SHEETS) | {SETTINGS_SHEET}

DEFAULT_SIZES = (1_000, 10_000, 100_000)
DEFAULT_SEED = 7
BIG = 100_000  # from this size on, fewer runs by default
RUNS_SMALL, RUNS_BIG = 7, 3

TARGET_SIZE = 10_000
TARGET_VS_NAIVE = 0.35  # our command / naive read, at most
TARGET_VS_BARE = 1.5  # our command / bare read, at most
TARGET_AFTER_READ_S = 0.1  # validate + rollup() after reading, under

NAIVE_READ = """
import sys
import pandas as pd
pd.read_excel(sys.argv[1], sheet_name=sys.argv[2:], engine="openpyxl")
"""
BARE_READ = """
import sys
import pandas as pd
from python_calamine import CalamineWorkbook
book = CalamineWorkbook.from_path(sys.argv[1])
for name in sys.argv[2:]:
    rows = book.get_sheet_by_name(name).to_python()
    pd.DataFrame(rows[1:], columns=rows[0])
"""
IMPORT_PANDAS = "import pandas"


class BenchError(RuntimeError):
    """A process the benchmark relies on failed (e.g. writing a sample register)."""


@dataclass(frozen=True)
class Command:
    """One kind of process to time."""

    key: str
    label: str
    argv: tuple[str, ...]
    ok_codes: frozenset[int] = frozenset({0})


@dataclass(frozen=True)
class Sample:
    """One run of one process."""

    wall_s: float
    cpu_s: float
    max_rss_mib: float
    returncode: int
    stderr_tail: str = ""


@dataclass
class Measurement:
    """All runs of one process kind on one register."""

    label: str
    samples: list[Sample] = field(default_factory=list)

    @property
    def ok(self) -> list[Sample]:
        return [s for s in self.samples if not s.stderr_tail]

    @property
    def failed(self) -> list[Sample]:
        return [s for s in self.samples if s.stderr_tail]

    @property
    def median_s(self) -> float | None:
        return statistics.median(s.wall_s for s in self.ok) if self.ok else None

    @property
    def spread(self) -> float | None:
        """Half the min-max range, relative to the median."""
        walls = [s.wall_s for s in self.ok]
        if not walls or not self.median_s:
            return None
        return (max(walls) - min(walls)) / 2 / self.median_s

    @property
    def peak_rss_mib(self) -> float | None:
        return max(s.max_rss_mib for s in self.ok) if self.ok else None


@dataclass
class SizeResult:
    """Everything measured on one register size."""

    projects: int
    register: str
    register_mib: float
    generation: dict[str, Any] | None
    processes: dict[str, Measurement]
    phases: dict[str, list[float]]
    phases_rss_mib: float

    def ratio(self, ours: str, reference: str) -> float | None:
        a, b = self.processes[ours].median_s, self.processes[reference].median_s
        return a / b if a is not None and b else None

    def worst_ratio(self, ours: str, reference: str) -> float | None:
        """The highest ratio of one round's run of ours to the same round's reference run
        (the kinds ran interleaved, so each round is one pair under the same conditions)."""
        pairs = zip(self.processes[ours].samples, self.processes[reference].samples,
                    strict=True)
        ratios = [a.wall_s / b.wall_s for a, b in pairs if not (a.stderr_tail or b.stderr_tail)]
        return max(ratios) if ratios else None

    def phase_median(self, phase: str) -> float:
        return statistics.median(self.phases[phase])

    @property
    def after_read_s(self) -> float:
        """Validation plus the roll-up's figures once the register is read (the JSON of
        `.to_dict()` is reported beside it)."""
        return sum(self.phase_median(p) for p in ("validate", "rollup"))


# --- running processes ---------------------------------------------------------------------

def child_environment() -> dict[str, str]:
    """This environment, with bytecode caching on as on users' machines.

    With PYTHONDONTWRITEBYTECODE set (as in some sandboxes and CI images), every run would
    recompile pmo-xl's modules from source (an editable install has no .pyc files), which no
    user pays. Children then cache bytecode under bench/results/pycache instead, leaving the
    source tree untouched; the untimed warm-up fills that cache.
    """
    env = dict(os.environ)
    if env.pop("PYTHONDONTWRITEBYTECODE", None):
        env["PYTHONPYCACHEPREFIX"] = str(PYCACHE_DIR)
    return env


CHILD_ENV = child_environment()


def run_process(argv: Sequence[str], ok_codes: frozenset[int] = frozenset({0})) -> Sample:
    """Spawn argv (stdin and stdout on /dev/null), wait for it; time, CPU and max RSS."""
    with tempfile.TemporaryFile() as stderr:
        actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                   (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                   (os.POSIX_SPAWN_DUP2, stderr.fileno(), 2)]
        start = time.perf_counter()
        pid = os.posix_spawn(argv[0], list(argv), CHILD_ENV, file_actions=actions)
        _, status, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
        returncode = os.waitstatus_to_exitcode(status)
        tail = ""
        if returncode not in ok_codes:
            stderr.seek(0)
            text = stderr.read().decode(errors="replace").strip()
            tail = f"exit {returncode}: " + (text[-600:] or "(no stderr)")
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, returncode,
                  tail)


def sheets_read(register: Path) -> list[str]:
    """The register's sheets that pmo-xl reads, in the workbook's order."""
    from python_calamine import CalamineWorkbook

    return [name for name in CalamineWorkbook.from_path(str(register)).sheet_names
            if name in READ_SHEETS]


def commands_for(register: Path) -> list[Command]:
    path, python, sheets = str(register), str(PYTHON), sheets_read(register)
    return [
        Command("validate", "`pmo-xl validate`", (str(PMO_XL), "validate", path, "--format",
                                                  "text"), frozenset({0, 1})),
        Command("rollup", "`pmo-xl rollup`", (str(PMO_XL), "rollup", path)),
        Command("naive", "naive read (openpyxl)", (python, "-c", NAIVE_READ, path, *sheets)),
        Command("bare", "bare read (calamine)", (python, "-c", BARE_READ, path, *sheets)),
        Command("pandas", "import pandas", (python, "-c", IMPORT_PANDAS)),
    ]


def measure_processes(register: Path, runs: int, log: Callable[[str], None],
                      ) -> dict[str, Measurement]:
    """Run every command `runs` times, interleaved round by round in a rotating order."""
    commands = commands_for(register)
    results = {c.key: Measurement(c.label) for c in commands}
    for round_no in range(runs):
        shift = round_no % len(commands)
        for command in commands[shift:] + commands[:shift]:
            sample = run_process(command.argv, command.ok_codes)
            results[command.key].samples.append(sample)
            status = f"FAILED {sample.stderr_tail}" if sample.stderr_tail else "ok"
            log(f"  round {round_no + 1}/{runs} {command.key:<8} {sample.wall_s:7.2f} s "
                f"{sample.max_rss_mib:7.0f} MiB  {status}")
    return results


def measure_phases(register: Path, runs: int) -> tuple[dict[str, list[float]], float]:
    """In-process phase times from a fresh worker (this script with --phases-of)."""
    with tempfile.NamedTemporaryFile("w+", suffix=".json") as out:
        argv = [str(PYTHON), str(Path(__file__).resolve()), "--phases-of", str(register),
                "--runs", str(runs), "--phases-out", out.name]
        sample = run_process(argv)
        if sample.stderr_tail:
            raise BenchError(f"phase worker on {register.name} failed: {sample.stderr_tail}")
        return json.loads(Path(out.name).read_text()), sample.max_rss_mib


PHASES = {"read": "`read_register`", "validate": "`validate`", "rollup": "`rollup()`",
          "to_dict": "`.to_dict()`", "print_validation": "print findings",
          "print_rollup": "print roll-up"}


def phase_worker(register: Path, runs: int, out: Path) -> None:
    """Time each step of our code in this process; all imports are done before timing."""
    import python_calamine  # noqa: F401  (read_register imports it lazily; keep it out)

    from pmo_xl.findings_text import print_validation
    from pmo_xl.metrics import rollup
    from pmo_xl.reader import read_register
    from pmo_xl.textout import print_rollup
    from pmo_xl.validation import validate

    times: dict[str, list[float]] = {phase: [] for phase in PHASES}
    with open(os.devnull, "w", encoding="utf-8") as devnull:
        for _ in range(runs):
            marks = [time.perf_counter()]
            data = read_register(register)
            marks.append(time.perf_counter())
            findings = validate(data)
            marks.append(time.perf_counter())
            portfolio = rollup(data)
            marks.append(time.perf_counter())
            portfolio.to_dict()
            marks.append(time.perf_counter())
            with contextlib.redirect_stdout(devnull):  # as `pmo-xl ... > /dev/null` prints
                print_validation(findings, register)
                marks.append(time.perf_counter())
                print_rollup(portfolio, data.currency, register)
                marks.append(time.perf_counter())
            for phase, (start, end) in zip(times, itertools.pairwise(marks), strict=True):
                times[phase].append(end - start)
            del data, findings, portfolio
            gc.collect()
    out.write_text(json.dumps(times))


# --- sample registers ----------------------------------------------------------------------

def register_path(projects: int, seed: int) -> Path:
    return REGISTERS_DIR / f"register-{projects}-seed{seed}.xlsx"


def sample_stamp() -> str:
    """A digest of the sample generator's source (every `sample*.py` and the schema): a
    cached register written by another generator (one without a sheet added since, say) is
    written again rather than timed as today's."""
    package = Path(pmo_xl.__file__).parent
    digest = hashlib.sha256()
    for source in sorted([*package.glob("sample*.py"), package / "schema.py"]):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()[:16]


def _stamp_file(register: Path) -> Path:
    return register.with_name(register.name + ".sample")


def written_by_this_sample(register: Path) -> bool:
    """Whether the cached register exists and was written by today's sample generator."""
    stamp = _stamp_file(register)
    return register.exists() and stamp.exists() and stamp.read_text() == sample_stamp()


def mark_written(register: Path) -> None:
    """Record that the register was just written by today's sample generator."""
    _stamp_file(register).write_text(sample_stamp())


def ensure_register(projects: int, seed: int, log: Callable[[str], None],
                    ) -> tuple[Path, dict[str, Any] | None]:
    """The cached sample register; written with `pmo-xl sample` (then timed) if missing or
    written by another sample generator (its stamp, `<register>.sample`, differs)."""
    path = register_path(projects, seed)
    if written_by_this_sample(path):
        log(f"reusing {path.relative_to(BENCH_DIR.parent)}")
        return path, None
    REGISTERS_DIR.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.stem + ".partial.xlsx")
    log(f"writing {path.relative_to(BENCH_DIR.parent)} ({projects:,} projects) ...")
    sample = run_process([str(PMO_XL), "sample", str(partial), "--projects", str(projects),
                          "--seed", str(seed), "--force"])
    if sample.stderr_tail:
        partial.unlink(missing_ok=True)
        raise BenchError(f"pmo-xl sample --projects {projects} failed: {sample.stderr_tail}")
    partial.replace(path)
    mark_written(path)
    log(f"  written in {sample.wall_s:.1f} s, peak {sample.max_rss_mib:.0f} MiB")
    return path, {"wall_s": sample.wall_s, "cpu_s": sample.cpu_s,
                  "max_rss_mib": sample.max_rss_mib}


# --- machine info ----------------------------------------------------------------------------

def _proc_field(path: str, name: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                if key.strip() == name:
                    return value.strip()
    except OSError:
        pass
    return "unknown"


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine_info() -> dict[str, str]:
    mem_kib = _proc_field("/proc/meminfo", "MemTotal").split()[0]
    ram = f"{int(mem_kib) / 1024**2:.1f} GiB" if mem_kib.isdigit() else "unknown"
    info = {
        "CPU": _proc_field("/proc/cpuinfo", "model name"),
        "Cores": str(os.cpu_count()),
        "RAM": ram,
        "OS": platform.platform(),
        "Python": platform.python_version(),
    }
    for package in ("pmo-xl", "pandas", "numpy", "python-calamine", "openpyxl", "pyarrow"):
        info[package] = _version(package)
    return info


# --- report --------------------------------------------------------------------------------

PROCESS_KEYS = ("validate", "rollup", "naive", "bare", "pandas")


def _seconds(value: float | None) -> str:
    return "FAILED" if value is None else f"{value:.2f} s"


def _timing(m: Measurement) -> str:
    if m.median_s is None:
        return "FAILED"
    spread = f" ±{m.spread:.0%}" if m.spread else ""
    return f"{_seconds(m.median_s)}{spread}" + (f" ({len(m.failed)} failed)" if m.failed else "")


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}×"


def _check(value: float | None, limit: float, unit: str = "×", strict: bool = False) -> str:
    if value is None:
        return "n/a (failed)"
    met = value < limit if strict else value <= limit
    return (f"{value:.2f}{unit} (target {'<' if strict else '≤'} {limit}{unit}: "
            f"{'met' if met else 'MISSED'})")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def render_markdown(results: Sequence[SizeResult], info: dict[str, str], runs: str,
                    when: str) -> str:
    labels = [results[0].processes[k].label for k in PROCESS_KEYS] if results else []
    lines = [f"## Core benchmark ({when})", "",
             f"Wall time per whole process, median of {runs} (± half the min–max range); "
             "the five kinds ran interleaved.", ""]
    lines += _table(
        ["Projects", *labels, "validate / naive", "validate / bare", "rollup / naive",
         "rollup / bare"],
        [[f"{r.projects:,}", *(_timing(r.processes[k]) for k in PROCESS_KEYS),
          _ratio(r.ratio("validate", "naive")), _ratio(r.ratio("validate", "bare")),
          _ratio(r.ratio("rollup", "naive")), _ratio(r.ratio("rollup", "bare"))]
         for r in results])
    lines += ["", "In-process phases of our code (fresh worker, imports excluded), median; "
              "text output goes to /dev/null:", ""]
    lines += _table(
        ["Projects", *PHASES.values(), "validate + rollup()"],
        [[f"{r.projects:,}", *(_seconds(r.phase_median(p)) for p in PHASES),
          _seconds(r.after_read_s)] for r in results])
    lines += ["", "Peak memory (max RSS of the process, MiB):", ""]
    lines += _table(
        ["Projects", "register file", *labels, "phase worker"],
        [[f"{r.projects:,}", f"{r.register_mib:.1f} MiB",
          *(_mib(r.processes[k].peak_rss_mib) for k in PROCESS_KEYS),
          _mib(r.phases_rss_mib)] for r in results])
    lines += ["", *_target_lines(results), "", "Machine:", ""]
    lines += [f"- {key}: {value}" for key, value in info.items()]
    lines += _failure_lines(results)
    return "\n".join(lines) + "\n"


def _mib(value: float | None) -> str:
    return "FAILED" if value is None else f"{value:,.0f}"


def _target_lines(results: Sequence[SizeResult]) -> list[str]:
    at = next((r for r in results if r.projects == TARGET_SIZE), None)
    if at is None:
        return [f"Targets are checked at {TARGET_SIZE:,} projects (not measured in this run)."]
    return [
        f"Targets at {TARGET_SIZE:,} projects (median, and the worst of the paired runs):", "",
        *(f"- {ours} / {label} read: median {_check(at.ratio(ours, ref), limit)}; worst "
          f"{_check(at.worst_ratio(ours, ref), limit)}"
          for ours in ("validate", "rollup")
          for ref, label, limit in (("naive", "naive", TARGET_VS_NAIVE),
                                    ("bare", "bare", TARGET_VS_BARE))),
        "- validate + rollup() after reading: "
        + _check(at.after_read_s, TARGET_AFTER_READ_S, " s", strict=True),
    ]


def _failure_lines(results: Sequence[SizeResult]) -> list[str]:
    lines = []
    for r in results:
        for key, m in r.processes.items():
            lines += [f"- {r.projects:,} projects, {key}: {s.stderr_tail}" for s in m.failed]
    return ["", "Failures:", "", *lines] if lines else []


def json_report(results: Sequence[SizeResult], info: dict[str, str], when: str,
                seed: int) -> dict[str, Any]:
    return {
        "date": when, "seed": seed, "machine": info,
        "bytecode_cache_prefix": CHILD_ENV.get("PYTHONPYCACHEPREFIX"),
        "sizes": [{
            "projects": r.projects, "register": r.register, "register_mib": r.register_mib,
            "commands": {c.key: list(c.argv)
                         for c in commands_for(BENCH_DIR.parent / r.register)},
            "generation": r.generation,
            "processes": {k: {"label": m.label, "median_s": m.median_s,
                              "samples": [asdict(s) for s in m.samples]}
                          for k, m in r.processes.items()},
            "phases_s": r.phases, "phases_max_rss_mib": r.phases_rss_mib,
        } for r in results],
    }


def write_reports(markdown: str, data: dict[str, Any], when: str) -> Path:
    """bench/results/core-<date>.md/.json, with -2, -3 ... when that day already has one."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stem, n = f"core-{when}", 1
    while (RESULTS_DIR / f"{stem}.md").exists() or (RESULTS_DIR / f"{stem}.json").exists():
        n += 1
        stem = f"core-{when}-{n}"
    (RESULTS_DIR / f"{stem}.md").write_text(markdown, encoding="utf-8")
    (RESULTS_DIR / f"{stem}.json").write_text(json.dumps(data, indent=2) + "\n",
                                              encoding="utf-8")
    return RESULTS_DIR / stem


# --- main ----------------------------------------------------------------------------------

def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a comma-separated list of "
                                         "project counts") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError("project counts must be positive")
    return sizes


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=_sizes, default=list(DEFAULT_SIZES),
                        help="comma-separated project counts (default 1000,10000,100000)")
    parser.add_argument("--runs", type=int, default=None,
                        help=f"runs per process kind (default {RUNS_SMALL}; {RUNS_BIG} from "
                             f"{BIG:,} projects)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1000 projects only")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="sample seed")
    parser.add_argument("--registers-only", action="store_true",
                        help="only write the sample registers that are missing or stale")
    parser.add_argument("--phases-of", type=Path, help=argparse.SUPPRESS)  # worker mode
    parser.add_argument("--phases-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.runs is not None and args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.quick:
        args.sizes = [1_000]
    return args


def runs_for(projects: int, runs: int | None) -> int:
    if runs is not None:
        return runs
    return RUNS_BIG if projects >= BIG else RUNS_SMALL


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_benchmark(sizes: Sequence[int], runs: int | None, seed: int) -> list[SizeResult]:
    if not PMO_XL.exists():
        raise BenchError(f"{PMO_XL} not found; install pmo-xl into this interpreter's venv")
    registers = {n: ensure_register(n, seed, log) for n in sorted(sizes)}  # before any timing
    log("warm-up (untimed): every process kind once on the smallest register")
    for command in commands_for(registers[min(sizes)][0]):
        run_process(command.argv, command.ok_codes)
    results = []
    for projects in sorted(sizes):
        path, generation = registers[projects]
        n = runs_for(projects, runs)
        log(f"{projects:,} projects: {n} interleaved rounds")
        processes = measure_processes(path, n, log)
        log(f"{projects:,} projects: in-process phases")
        phases, phases_rss = measure_phases(path, n)
        results.append(SizeResult(projects, str(path.relative_to(BENCH_DIR.parent)),
                                  path.stat().st_size / 1024**2, generation, processes,
                                  phases, phases_rss))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.phases_of is not None:
        phase_worker(args.phases_of, args.runs or 1, args.phases_out)
        return 0
    if args.registers_only:
        for projects in sorted(args.sizes):
            ensure_register(projects, args.seed, log)
        return 0
    try:
        results = run_benchmark(args.sizes, args.runs, args.seed)
    except BenchError as error:
        log(f"bench_core: error: {error}")
        return 2
    when = dt.date.today().isoformat()
    runs = ", ".join(f"{runs_for(r.projects, args.runs)} at {r.projects:,}" for r in results)
    info = machine_info()
    markdown = render_markdown(results, info, runs, when)
    print(markdown)
    stem = write_reports(markdown, json_report(results, info, when, args.seed), when)
    log(f"wrote {stem.relative_to(BENCH_DIR.parent)}.md and .json")
    failed = any(m.failed for r in results for m in r.processes.values())
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
