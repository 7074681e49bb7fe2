"""Hardening of `pmo-xl report` batches (issue 10): file names, Settings paths, concurrent
batches, the register's hash, PDF workers after kill -9, and output folders that cannot be
written.

Each test reproduces its defect through the real command line on real files: in this
process (`main`), in forked children running `main` (cheap enough to repeat a race twenty
times), or through the installed `pmo-xl` script.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from conftest import require_tool
from registers import project, register

import pmo_xl.batch
from pmo_xl.batch import INDEX, MANIFEST, READ_ATTEMPTS
from pmo_xl.cli import main
from pmo_xl.fileio import LOCK_NAME, PART_SUFFIX, folder_lock

SCRIPT = Path(sys.executable).with_name("pmo-xl")
PREFIX = "pmo-xl: error: "


# --- helpers ------------------------------------------------------------------------------------


def tiny(path: Path, ids: Sequence[str], names: Sequence[str | None] | None = None,
         **settings: Any) -> Path:
    """A register whose projects have these IDs (and names; default 'Project <n>')."""
    names = names or [f"Project {n}" for n in range(1, len(ids) + 1)]
    path.parent.mkdir(parents=True, exist_ok=True)
    projects = [project(**{"Project ID": pid, "Project Name": name})
                for pid, name in zip(ids, names, strict=True)]
    return register(path, projects, settings=settings or None)


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The installed console script, as a user runs it."""
    return subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=180,
                          env={**os.environ, **(env or {})})


def one_error_line(stderr: str, *expected: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(PREFIX), stderr
    for text in expected:
        assert text in lines[0], f"{text!r} not in {lines[0]!r}"
    return lines[0]


def fork_main(argv: list[str], log: Path) -> int:
    """`pmo_xl.cli.main(argv)` in a forked child (its own pid, this process's imports): the
    child's pid; its stdout and stderr go to `log`."""
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        code = 99
        try:
            fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115 - lives until _exit
            sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
            code = main(argv)
        except BaseException:  # noqa: BLE001 - shown to the test in the log
            import traceback

            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    return child


def wait_child(pid: int) -> int:
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def report_files(out: Path) -> set[str]:
    return {p.name for p in out.iterdir() if p.suffix in (".html", ".pdf") and p.name != INDEX}


def manifest(out: Path) -> dict[str, Any]:
    return json.loads((out / MANIFEST).read_text(encoding="utf-8"))


def assert_tidy(out: Path) -> None:
    """No temporaries, no lock left behind; every file the manifest lists exists."""
    hidden = [p.name for p in out.iterdir() if p.name.startswith(".")]
    assert not hidden, hidden
    assert all((out / name).is_file() for name in manifest(out)["files"])


def require_weasyprint() -> None:
    """Skip without WeasyPrint locally; fail without it in CI (as conftest.require_tool)."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"required in CI: WeasyPrint cannot run ({error})")
        pytest.skip(f"WeasyPrint cannot run ({error})")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def wait_for(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.02)


needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork (POSIX)")


# --- 11. concurrent batches into one folder -----------------------------------------------------


@needs_fork
def test_concurrent_batches_into_one_folder_keep_every_file_listed(tmp_path: Path) -> None:
    """Two registers reported into one folder at the same moment, ten times over (twenty
    batches): every batch succeeds, and the manifest and index list both registers' files."""
    first = tiny(tmp_path / "North.xlsx", [f"N-{n:02d}" for n in range(1, 9)])
    second = tiny(tmp_path / "South.xlsx", [f"S-{n:02d}" for n in range(1, 9)])
    out = tmp_path / "Reports"
    for attempt in range(10):
        logs = [tmp_path / f"log-{attempt}-{side}.txt" for side in ("n", "s")]
        children = [fork_main(["report", str(path), "--out", str(out), "--format", "html",
                               "--all", "--force"], log)
                    for path, log in zip((first, second), logs, strict=True)]
        codes = [wait_child(child) for child in children]
        assert codes == [0, 0], [log.read_text() for log in logs]
        listed = set(manifest(out)["files"])
        assert len({n for n in listed if n.startswith("N-")}) == 8, sorted(listed)
        assert len({n for n in listed if n.startswith("S-")}) == 8, sorted(listed)
        assert report_files(out) == listed
        index = (out / INDEX).read_text(encoding="utf-8")
        assert all(name in index for name in listed)
        assert_tidy(out)


def dead_pid() -> int:
    """The pid of a process that has ended."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_second_batch_waits_a_bounded_time_then_refuses(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = tiny(tmp_path / "Register.xlsx", ["PRJ-001"])
    out = tmp_path / "Reports"
    out.mkdir()
    monkeypatch.setenv("PMO_XL_LOCK_WAIT", "0.5")
    with folder_lock(out, 0):  # another batch, busy in this folder
        started = time.monotonic()
        assert main(["report", str(path), "--out", str(out), "--format", "html"]) == 2
        assert time.monotonic() - started < 5
        one_error_line(capsys.readouterr().err, f"{out}: another pmo-xl batch (pid "
                       f"{os.getpid()}) is writing reports into this folder", "run again")
        assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME]
    assert not (out / LOCK_NAME).exists()


def test_a_stale_lock_is_taken_over_and_only_dead_runs_temporaries_removed(
        tmp_path: Path) -> None:
    path = tiny(tmp_path / "Register.xlsx", ["PRJ-001"])
    out = tmp_path / "Reports"
    out.mkdir()
    gone = dead_pid()
    (out / LOCK_NAME).write_text(f"{gone}\n", encoding="ascii")  # left by a kill -9
    dead = out / f".PRJ-001-Project-1.html.{gone}{PART_SUFFIX}"
    live = out / f".PRJ-001-Project-1.html.{os.getppid()}{PART_SUFFIX}"  # another live process
    dead.write_text("half", encoding="utf-8")
    live.write_text("half", encoding="utf-8")
    assert main(["report", str(path), "--out", str(out), "--format", "html"]) == 0
    assert not dead.exists() and live.read_text(encoding="utf-8") == "half"
    assert not (out / LOCK_NAME).exists()
    live.unlink()
    assert_tidy(out)


# --- 4. report file names collide -----------------------------------------------------------


RESERVED = {INDEX, MANIFEST, "portfolio-summary.html", "portfolio-summary.pdf"}


def test_report_names_are_unique_ignoring_case_reserved_names_included(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """IDs that would overwrite index.html, the portfolio summary on a case-insensitive
    folder (Windows, macOS) or another project's `-row-N` name: every report gets its own
    file, and the batch's own files stay its own."""
    ids = ["index", "A", "A-B-row-5", "A", "PORTFOLIO-SUMMARY", "Manifest", "a", "INDEX"]
    names = [None, "B", None, "B", None, None, "b", None]  # rows 2..9; row 5 repeats A/B
    path = tiny(tmp_path / "Register.xlsx", ids, names)
    out = tmp_path / "Reports"
    assert main(["report", str(path), "--out", str(out), "--format", "html"]) == 0
    assert "9 report files written" in capsys.readouterr().out
    files = report_files(out)
    folded = [name.casefold() for name in files]
    assert len(folded) == len(set(folded)) == 9, sorted(files)
    project_files = {name for name in files if name != "portfolio-summary.html"}
    assert not {name.casefold() for name in project_files} & RESERVED, sorted(files)
    listed = manifest(out)["files"]
    assert set(listed) == files
    assert sorted(entry["project_id"] for name, entry in listed.items()
                  if name in project_files) == sorted(ids)
    for name in project_files:  # each file shows its own project
        shown = f'<div class="id">{listed[name]["project_id"]} · '
        assert shown in (out / name).read_text(encoding="utf-8"), name
    assert "<a " in (out / INDEX).read_text(encoding="utf-8")
    assert main(["report", str(path), "--out", str(out), "--format", "html"]) == 0
    assert "0 report files written, 9 unchanged" in capsys.readouterr().out
    assert report_files(out) == files


# --- 7. Settings steer files outside the register's folder -----------------------------------

_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"></svg>'


def settings_cell(name: str, **settings: Any) -> str:
    """The Value cell of a Settings row as `registers.register` lays them out."""
    from registers import SETTINGS

    return f"Settings!B{list({**SETTINGS, **settings}).index(name) + 2}"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the register's, holding another program's index and manifest."""
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / INDEX).write_text("<html>the team's web site</html>", encoding="utf-8")
    (folder / MANIFEST).write_text('{"name": "another tool"}', encoding="utf-8")
    (folder / "logo.svg").write_text(_SVG, encoding="utf-8")
    return folder


def untouched(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


@pytest.mark.parametrize("where", ["../site", "absolute", "..\\site", "Reports/../../site"])
def test_settings_output_folder_stays_in_the_registers_folder(
        tmp_path: Path, outside: Path, where: str, capsys: pytest.CaptureFixture[str]) -> None:
    folder = str(outside) if where == "absolute" else where
    path = tiny(tmp_path / "pmo" / "Register.xlsx", ["PRJ-001"], **{"Output Folder": folder})
    before = untouched(outside)
    assert main(["report", str(path), "--format", "html"]) == 2
    one_error_line(capsys.readouterr().err, f"{path}: Settings Output Folder '{folder}' (cell "
                   f"{settings_cell('Output Folder', **{'Output Folder': folder})}) is outside "
                   "the register's folder", "--out")
    assert untouched(outside) == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["Register.xlsx"]


def test_out_may_go_anywhere_but_never_over_another_programs_index_or_manifest(
        tmp_path: Path, outside: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tiny(tmp_path / "pmo" / "Register.xlsx", ["PRJ-001"],
                **{"Output Folder": "Reports/../Reports/Monthly"})
    assert main(["report", str(path), "--format", "html"]) == 0  # inside: fine
    assert (path.parent / "Reports" / "Monthly" / INDEX).is_file()
    anywhere = tmp_path / "shared" / "pmo-reports"
    assert main(["report", str(path), "--out", str(anywhere), "--format", "html"]) == 0
    assert main(["report", str(path), "--out", str(anywhere), "--format", "html",
                 "--force"]) == 0  # pmo-xl's own index and manifest: rewritten
    capsys.readouterr()
    before = untouched(outside)
    assert main(["report", str(path), "--out", str(outside), "--format", "html"]) == 2
    one_error_line(capsys.readouterr().err, f"{outside / MANIFEST}: pmo-xl did not write it")
    (outside / MANIFEST).unlink()
    del before[MANIFEST]
    assert main(["report", str(path), "--out", str(outside), "--format", "html"]) == 2
    one_error_line(capsys.readouterr().err, f"{outside / INDEX}: pmo-xl did not write it")
    assert untouched(outside) == before


@pytest.mark.parametrize("where", ["../site/logo.svg", "absolute", "link.svg"])
def test_settings_logo_stays_in_the_registers_folder(
        tmp_path: Path, outside: Path, where: str, capsys: pytest.CaptureFixture[str]) -> None:
    logo = str(outside / "logo.svg") if where == "absolute" else where
    path = tiny(tmp_path / "pmo" / "Register.xlsx", ["PRJ-001"], Logo=logo)
    (path.parent / "link.svg").symlink_to(outside / "logo.svg")  # a link out is outside too
    assert main(["report", str(path), "--format", "html"]) == 2
    quoted = logo[:80]  # the message quotes a long value's first 80 characters
    print(one_error_line(capsys.readouterr().err, f"Settings Logo '{quoted}' (cell "
                         f"{settings_cell('Logo', Logo=logo)}) is outside the register's "
                         "folder", "copy the image into that folder"))
    assert not (path.parent / "Reports").exists()


# --- 12. the manifest's register hash describes the bytes read ---------------------------------


def test_register_replaced_during_a_pdf_batch_keeps_the_hash_of_the_bytes_read(
        tmp_path: Path) -> None:
    require_weasyprint()
    path = tiny(tmp_path / "Register.xlsx", ["PRJ-001", "PRJ-002", "PRJ-003"])
    original = sha256(path)
    replacement = tiny(tmp_path / "new" / "Register.xlsx", ["PRJ-001"], ["Renamed"])
    out = tmp_path / "Reports"
    batch = subprocess.Popen([str(SCRIPT), "report", str(path), "--out", str(out), "--format",
                              "pdf", "--pdf-engine", "weasyprint", "--jobs", "1"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: any(out.glob("*.pdf")) or batch.poll() is not None, 120, "a first PDF")
    os.replace(replacement, path)  # saved over while the batch converts PDFs
    assert batch.wait(timeout=120) == 0, batch.stderr.read() if batch.stderr else ""
    recorded = manifest(out)
    assert recorded["register"]["sha256"] == original != sha256(path)
    assert {e["register_sha256"] for e in recorded["files"].values()} == {original}
    assert len(recorded["files"]) == 4  # three projects and the portfolio, as first read


def test_register_saved_while_it_is_read_is_read_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = tiny(tmp_path / "Register.xlsx", ["PRJ-001"])
    saved = tiny(tmp_path / "saved" / "Register.xlsx", ["PRJ-001"], ["Renamed"])
    read = pmo_xl.batch.read_register
    calls: list[Path] = []

    def saved_while_read(where: Path, **options: Any) -> Any:
        register_ = read(where, **options)
        if not calls:
            os.replace(saved, where)  # Excel saved the workbook as it was being parsed
        calls.append(where)
        return register_

    monkeypatch.setattr(pmo_xl.batch, "read_register", saved_while_read)
    out = tmp_path / "Reports"
    assert main(["report", str(path), "--out", str(out), "--format", "html"]) == 0
    assert len(calls) == 2
    assert manifest(out)["register"]["sha256"] == sha256(path)
    assert report_files(out) == {"PRJ-001-Renamed.html", "portfolio-summary.html"}

    def always_saving(where: Path, **options: Any) -> Any:
        register_ = read(where, **options)
        os.utime(where, ns=(time.time_ns(), time.time_ns() + len(calls) * 10**9))
        calls.append(where)
        return register_

    calls.clear()
    monkeypatch.setattr(pmo_xl.batch, "read_register", always_saving)
    again = tmp_path / "Again"
    assert main(["report", str(path), "--out", str(again), "--format", "html"]) == 2
    one_error_line(capsys.readouterr().err, f"{path}: changed while it was being read")
    assert len(calls) == READ_ATTEMPTS and not again.exists()


# --- 13. PDF workers outlive kill -9 of the batch --------------------------------------------

needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(),
                                reason="finds a batch's processes in /proc (Linux)")


def _stat(pid: int | str) -> list[str] | None:
    try:  # the fields after "(name)", which may hold spaces
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def descendants(pid: int) -> set[int]:
    """Every process below `pid`: its children, theirs, ..."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        fields = _stat(entry.name) if entry.name.isdigit() else None
        if fields:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def running(pids: set[int]) -> set[int]:
    """Those of `pids` still running (a zombie has ended)."""
    return {pid for pid in pids if (fields := _stat(pid)) and fields[0] not in ("Z", "X")}


def pdfs(out: Path) -> set[str]:
    return {p.name for p in out.glob("*.pdf")}


def kill_and_watch(process: subprocess.Popen[bytes], out: Path) -> None:
    """SIGKILL the batch alone (not its process group): within a few seconds no process it
    started runs, and no PDF appears after it died."""
    below = descendants(process.pid)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    written = pdfs(out)
    wait_for(lambda: not running(below), 5, f"the batch's processes {running(below)} to end")
    # Nothing that could write is left: the folder is final.
    assert pdfs(out) == written, "a PDF was written after the batch was killed"


@contextlib.contextmanager
def cleaned_up(process: subprocess.Popen[bytes]) -> Iterator[subprocess.Popen[bytes]]:
    """Whatever the test finds, nothing it started outlives it (its own session)."""
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def browser_started(pid: int) -> bool:
    return any(b"chrom" in Path(f"/proc/{child}/cmdline").read_bytes()
               for child in running(descendants(pid)))


@needs_proc
@pytest.mark.parametrize(("engine", "kill_after"), [("weasyprint", 1), ("weasyprint", 3),
                                                   ("chromium", 0)])
def test_pdf_engines_end_with_a_killed_batch(tmp_path: Path, engine: str,
                                             kill_after: int) -> None:
    """The real command killed after its first or third PDF (two WeasyPrint workers), or as
    soon as its browser runs: the workers and the browser end with it instead of writing on."""
    if engine == "weasyprint":
        require_weasyprint()
    else:
        require_tool("chromium", "apt-get install chromium")
    path = tiny(tmp_path / "Register.xlsx", [f"PRJ-{n:03d}" for n in range(1, 13)])
    out = tmp_path / "Reports"
    command = [str(SCRIPT), "report", str(path), "--out", str(out), "--format", "pdf",
               "--pdf-engine", engine, "--jobs", "2", "--all"]
    with cleaned_up(subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL,
                                     start_new_session=True)) as batch:
        if kill_after:
            wait_for(lambda: len(pdfs(out)) >= kill_after, 120, "PDFs")
            assert len(descendants(batch.pid)) >= 2, "no worker processes"
        else:
            wait_for(lambda: browser_started(batch.pid), 120, "the browser")
        kill_and_watch(batch, out)
    assert len(pdfs(out)) < 13, "the batch finished before it was killed"


_POOL_PARENT = """
import multiprocessing, os, sys, time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from pmo_xl.fileio import write_atomic
from pmo_xl.pdf import bind_to_parent

out = Path(sys.argv[1])
pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"),
                           initializer=bind_to_parent, initargs=(os.getpid(),))
for n in range(500):
    pool.submit(time.sleep, 0.01)
    pool.submit(write_atomic, out / f"{n}.pdf", b"%PDF-1.7")
print("started", flush=True)
time.sleep(120)
"""


@needs_proc
def test_pdf_workers_die_with_their_batch_however_early_it_is_killed(tmp_path: Path) -> None:
    """Twenty batches killed at moments from worker start-up to mid-work: the pool the
    WeasyPrint engine uses, started with the same worker start-up (`bind_to_parent`), in a
    parent that imports nothing heavy, so that twenty runs stay cheap."""
    for attempt in range(20):
        out = tmp_path / f"out-{attempt}"
        out.mkdir()
        with cleaned_up(subprocess.Popen([sys.executable, "-c", _POOL_PARENT, str(out)],
                                         stdout=subprocess.PIPE,
                                         start_new_session=True)) as parent:
            assert parent.stdout is not None and parent.stdout.readline() == b"started\n"
            time.sleep(attempt * 0.02)  # 0: the workers are still starting
            kill_and_watch(parent, out)


# --- 10. output folders that cannot be written ---------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 160 KiB tmpfs (root's mount; skipped without it): ten PDF reports fill it."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", str(folder)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here ({mounted.stderr!r})")
    try:
        yield folder
    finally:
        if subprocess.run(["umount", str(folder)], capture_output=True).returncode:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def assert_whole(out: Path) -> None:
    """Nothing half-written: no temporary, no lock, every report and the manifest whole."""
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")]
    for path in out.iterdir():
        data = path.read_bytes()
        if path.suffix == ".pdf":
            assert data.startswith(b"%PDF") and b"%%EOF" in data[-1024:], path.name
        elif path.suffix == ".html":
            assert data.rstrip().endswith(b"</html>"), path.name
        else:
            assert path.name == MANIFEST and json.loads(data)


@pytest.mark.parametrize("engine", ["weasyprint", "chromium"])
def test_a_disk_filling_up_during_pdfs_stops_the_batch_in_one_line(
        tmp_path: Path, small_disk: Path, engine: str) -> None:
    """Two WeasyPrint workers, or two pages of one browser: the first PDF the disk cannot
    take ends the batch; no other report is failed for it."""
    if engine == "weasyprint":
        require_weasyprint()
    else:
        require_tool("chromium", "apt-get install chromium")
    path = tiny(tmp_path / "Register.xlsx", [f"PRJ-{n:03d}" for n in range(1, 17)])
    out = small_disk / "Reports"
    result = run("report", str(path), "--out", str(out), "--format", "pdf", "--pdf-engine",
                 engine, "--jobs", "2")
    assert result.returncode == 2, result.stderr
    line = one_error_line(result.stderr, f"{PREFIX}{out}", "the disk is full: free some space")
    assert line.removeprefix(PREFIX).split(": ")[0].endswith(".pdf"), line  # the file
    assert "Errno" not in result.stdout and " failed " not in result.stdout, result.stdout
    assert pdfs(out), "the disk filled before the first PDF"
    assert_whole(out)
    if (out / MANIFEST).exists():
        assert manifest(out)["failures"] == []


def test_a_disk_filling_up_during_html_reports_stops_the_batch_in_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Without a tmpfs: the OS's own error, raised by the write after part of the file (as
    a full disk does), from the fourth file on."""
    import errno

    import pmo_xl.fileio

    written: list[Path] = []
    real = pmo_xl.fileio._write_bytes

    def filling(path: Path, data: bytes) -> None:
        if len(written) >= 3:
            path.write_bytes(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(path, data)
        written.append(path)

    monkeypatch.setattr(pmo_xl.fileio, "_write_bytes", filling)
    path = tiny(tmp_path / "Register.xlsx", [f"PRJ-{n:03d}" for n in range(1, 9)])
    out = tmp_path / "Reports"
    assert main(["report", str(path), "--out", str(out), "--format", "html"]) == 2
    captured = capsys.readouterr()
    one_error_line(captured.err, f"{PREFIX}{out / 'PRJ-004-Project-4.html'}: cannot be "
                   "written: the disk is full: free some space and run again")
    assert " failed " not in captured.out
    assert len(report_files(out)) == 3
    assert_whole(out)


@pytest.fixture
def read_only_disk(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "ro"
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(folder)],
                      capture_output=True).returncode != 0:
        pytest.skip("mounting a tmpfs is not permitted here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@pytest.mark.parametrize("out", ["ro", "ro/Reports"])
def test_a_read_only_disk_is_one_line(tmp_path: Path, read_only_disk: Path, out: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    path = tiny(tmp_path / "Register.xlsx", ["PRJ-001"])
    folder = tmp_path / out
    assert main(["report", str(path), "--out", str(folder), "--format", "html"]) == 2
    one_error_line(capsys.readouterr().err, f"{PREFIX}{folder}: cannot be written: the disk "
                   "is read-only: choose another folder")
    assert not list(read_only_disk.iterdir())


@pytest.mark.parametrize("out", ["notes.txt", "notes.txt/Reports"])
def test_out_that_is_a_file_is_one_line(tmp_path: Path, out: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = tiny(tmp_path / "Register.xlsx", ["PRJ-001"])
    (tmp_path / "notes.txt").write_text("keep me", encoding="utf-8")
    assert main(["report", str(path), "--out", str(tmp_path / out), "--format", "html"]) == 2
    one_error_line(capsys.readouterr().err, f"{PREFIX}{tmp_path / out}: ",
                   "is a file, not a folder")
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_a_report_open_in_another_program_fails_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """On Windows a file open in a viewer cannot be replaced: that report fails, the rest
    are written, and no temporary stays."""
    replace = os.replace

    def locked(source: Any, target: Any) -> None:
        if Path(target).name.startswith("PRJ-002"):
            raise PermissionError(13, "Permission denied", str(target))
        replace(source, target)

    monkeypatch.setattr(os, "replace", locked)
    path = tiny(tmp_path / "Register.xlsx", ["PRJ-001", "PRJ-002", "PRJ-003"])
    out = tmp_path / "Reports"
    assert main(["report", str(path), "--out", str(out), "--format", "html"]) == 1
    assert "failed: PRJ-002-Project-2.html: cannot be replaced" in capsys.readouterr().err
    assert report_files(out) == {"PRJ-001-Project-1.html", "PRJ-003-Project-3.html",
                                 "portfolio-summary.html"}
    assert_whole(out)
