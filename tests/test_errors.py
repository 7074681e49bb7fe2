"""The error contract, proved with real files and real processes.

Bad input or output gets one line on stderr naming the file, the problem and what to do,
exit 2, and nothing half-written; an unexpected internal error gets one line saying where the
traceback was written, exit 3 (`--debug` prints the traceback); Ctrl-C exits 130 with one
line. A traceback is never shown otherwise. Each case runs through `pmo_xl.cli.main` in this
process where that is convenient, and the key ones through the installed `pmo-xl` script.

Tests run as root here and in CI, and root ignores file permissions: the permission cases run
`main` in a forked child that has become `nobody` (a non-root user runs them as itself). A
full disk is a tiny tmpfs, which needs root's mount.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import pkgutil
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from conftest import require_tool
from registers import project, register

import pmo_xl
import pmo_xl.validation
from pmo_xl.batch import MANIFEST
from pmo_xl.cli import TRACEBACK_LOG, main
from pmo_xl.fileio import PART_SUFFIX
from pmo_xl.metrics import Rollup
from pmo_xl.reports import PORTFOLIO_STEM, PROJECT_TEMPLATE
from pmo_xl.validation import Validation

SCRIPT = Path(sys.executable).with_name("pmo-xl")
PREFIX = "pmo-xl: error: "
BOOM = "deliberate failure of the error-contract test"
PERMISSION = "permission denied: choose a folder you may write to"
DISK_FULL = "disk is full"
NOBODY = 65534  # nobody's uid and gid on Debian, when the passwd entry is missing


# --- helpers ------------------------------------------------------------------------------------


def run(*args: str, env: dict[str, str] | None = None,
        command: Sequence[str] = (str(SCRIPT),)) -> subprocess.CompletedProcess[str]:
    """The installed console script (or `command`), as a user runs it."""
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})})


def _preload() -> None:
    """Import every pmo_xl module while still root: the child cannot exec the interpreter
    or read the standard library where root installed them (e.g. a pyenv under /root)."""
    for name in ("importlib.readers", "encodings.cp437", "encodings.cp1252",
                 "encodings.utf_8_sig"):
        importlib.import_module(name)  # imported lazily by resources.files(), zip, codecs
    for module in pkgutil.walk_packages(pmo_xl.__path__, "pmo_xl."):
        if module.name != "pmo_xl.__main__":  # importing it would run the command line
            with contextlib.suppress(ImportError):  # an optional extra these commands skip
                importlib.import_module(module.name)


def main_as(user: int | None, argv: list[str], tmpdir: Path,
            patch: Callable[[], None] | None = None) -> tuple[int, str]:
    """`pmo_xl.cli.main(argv)` in a forked child process running as `user` (None: as
    ourselves) with `tmpdir` as its temp folder; its exit code and its whole stderr."""
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        code = 99
        try:
            os.close(read_end)
            os.dup2(write_end, 2)
            os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
            # pytest's capture objects are the parent's; the child writes to its own fds
            sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115 - lives until _exit
            sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
            _preload()
            tempfile.tempdir = str(tmpdir)
            if patch is not None:
                patch()
            if user is not None:
                os.setgroups([])
                os.setgid(user)
                os.setuid(user)
            code = main(argv)
        except BaseException:  # noqa: BLE001 - shown to the test as a traceback
            traceback.print_exc()
        finally:
            sys.stderr.flush()
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, encoding="utf-8", errors="replace") as pipe:
        stderr = pipe.read()
    return os.waitstatus_to_exitcode(os.waitpid(child, 0)[1]), stderr


def one_error_line(stderr: str, *expected: str) -> str:
    """The whole stderr is one 'pmo-xl: error: ' line holding every expected text."""
    assert "Traceback" not in stderr, stderr
    lines = stderr.splitlines()
    assert len(lines) == 1 and stderr.endswith("\n"), stderr
    assert lines[0].startswith(PREFIX), stderr
    for text in expected:
        assert text in lines[0], f"{text!r} not in {lines[0]!r}"
    return lines[0]


def tree(folder: Path) -> list[str]:
    """Every file and folder below `folder`, hidden ones included."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def unusable_in_process(capsys: pytest.CaptureFixture[str], argv: list[str],
                        *expected: str) -> str:
    assert main(argv) == 2
    return one_error_line(capsys.readouterr().err, *expected)


def unusable_by_script(args: Sequence[str], *expected: str) -> str:
    result = run(*args)
    assert result.returncode == 2, result.stderr
    return one_error_line(result.stderr, *expected)


def unusable_as(user: int | None, shared: Path, argv: list[str], *expected: str) -> str:
    code, stderr = main_as(user, argv, shared / "tmp")
    assert code == 2, stderr
    return one_error_line(stderr, *expected)


def _boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError(BOOM)


def fill(folder: Path, leave: int = 8192) -> Path:
    """Fill the disk under `folder` but for `leave` bytes; the filler file."""
    stat = os.statvfs(folder)
    filler = folder / "filler"
    filler.write_bytes(b"\0" * max(0, stat.f_bavail * stat.f_frsize - leave))
    return filler


def assert_complete(folder: Path) -> None:
    """Only whole files: no temporaries, every report ends as it should, JSON parses."""
    assert not [p.name for p in folder.rglob(f"*{PART_SUFFIX}")]
    for path in folder.iterdir():
        data = path.read_bytes()
        if path.suffix == ".html":
            assert data.rstrip().endswith(b"</html>"), f"{path.name} is cut short"
        elif path.suffix == ".pdf":
            assert data.startswith(b"%PDF") and b"%%EOF" in data[-1024:], path.name
        elif path.name == MANIFEST:
            manifest = json.loads(data)
            assert all((folder / name).is_file() for name in manifest["files"])
        else:
            pytest.fail(f"unexpected file {path.name}")


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def small(tmp_path: Path) -> Path:
    """A valid three-project register."""
    return register(tmp_path / "Register.xlsx", [
        project(), project(**{"Project ID": "PRJ-002", "Project Name": "Data Lake"}),
        project(**{"Project ID": "PRJ-003", "Project Name": "Office Move"})])


@pytest.fixture
def other_user() -> int | None:
    """Whom to run permission cases as: nobody when we are root (root ignores modes),
    else ourselves."""
    if not hasattr(os, "fork") or not hasattr(os, "setuid"):
        pytest.skip("file modes and setuid need a POSIX system")
    if os.geteuid() != 0:
        return None
    hidden = [str(p) for p in (Path(pmo_xl.__file__), Path(sys.prefix)) if not _reachable(p)]
    if hidden:  # e.g. a checkout in a private `mktemp -d` folder: the child cannot read it
        pytest.skip(f"other users cannot reach {', '.join(hidden)}: clone pmo-xl into a "
                    "folder every user may enter")
    try:
        return pwd.getpwnam("nobody").pw_uid
    except KeyError:
        return NOBODY


def _reachable(path: Path) -> bool:
    """Whether every folder above `path` lets other users through (mode o+x)."""
    return all(folder.stat().st_mode & 0o001 for folder in path.resolve().parents)


@pytest.fixture
def shared(small: Path) -> Iterator[Path]:
    """A folder the other user can reach (pytest's tmp_path is root-only), holding a readable
    copy of the small register, a folder nobody may write to (`ro`, mode 555) and a temp
    folder for the traceback log (`tmp`, mode 1777)."""
    folder = Path(tempfile.mkdtemp(prefix="pmo-xl-errors-"))
    folder.chmod(0o755)
    shutil.copy(small, folder / "Register.xlsx")
    (folder / "Register.xlsx").chmod(0o644)
    (folder / "ro").mkdir()
    (folder / "ro").chmod(0o555)
    (folder / "tmp").mkdir()
    (folder / "tmp").chmod(0o1777)
    yield folder
    shutil.rmtree(folder)


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs: writing a few dozen reports fills it."""
    mount = shutil.which("mount")
    folder = tmp_path / "full"
    folder.mkdir()
    if mount is None or subprocess.run(
            [mount, "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)],
            capture_output=True).returncode != 0:
        pytest.skip("mounting a tmpfs is not permitted here")
    try:
        yield folder
    finally:
        if subprocess.run(["umount", str(folder)], capture_output=True).returncode:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)


# --- 1. report --out ------------------------------------------------------------------------


def test_report_out_is_an_existing_file(small: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "Reports"
    out.write_text("keep me", encoding="utf-8")
    args = ["report", str(small), "--out", str(out), "--format", "html"]
    unusable_in_process(capsys, args, f"{PREFIX}{out}: ", "is a file, not a folder")
    unusable_by_script(args, f"{PREFIX}{out}: ", "is a file, not a folder")
    assert out.read_text(encoding="utf-8") == "keep me"


def test_report_out_parent_is_a_file(small: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes").write_text("a file", encoding="utf-8")
    out = tmp_path / "notes" / "Reports"
    args = ["report", str(small), "--out", str(out), "--format", "html"]
    unusable_in_process(capsys, args, f"{PREFIX}{out}: ", "is a file, not a folder")
    unusable_by_script(args, f"{PREFIX}{out}: ", "is a file, not a folder")


def test_report_out_not_writable(shared: Path, other_user: int | None) -> None:
    before = tree(shared)
    for out in (shared / "ro", shared / "ro" / "Reports"):
        unusable_as(other_user, shared, ["report", str(shared / "Register.xlsx"), "--out",
                                         str(out), "--format", "html"],
                    f"{PREFIX}{out}: ", PERMISSION)
    # Only the templates compiled before the refusal, cached in the temporary folder as in
    # any run (pmo_xl.template_cache).
    assert [p for p in tree(shared) if not p.startswith("tmp/_jinja2-cache-")] == before


def test_report_into_a_full_disk(sample_path: Path, full_disk: Path) -> None:
    out = full_disk / "Reports"
    unusable_by_script(["report", str(sample_path), "--out", str(out), "--format", "html"],
                       DISK_FULL)
    assert [p for p in out.glob("*.html") if p.name != "index.html"], "the disk filled early"
    assert_complete(out)


# --- 2. sample PATH ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "expected"), [
    ("missing/Sample.xlsx", "does not exist"),
    ("folder.xlsx", "is a folder"),
    ("Sample.csv", "name it *.xlsx"),
])
def test_sample_refuses_a_path_it_cannot_use(tmp_path: Path, name: str, expected: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "folder.xlsx").mkdir()
    path = tmp_path / name
    before = tree(tmp_path)
    unusable_in_process(capsys, ["sample", str(path)], f"{PREFIX}{path}: ", expected)
    unusable_by_script(["sample", str(path)], f"{PREFIX}{path}: ", expected)
    assert tree(tmp_path) == before


def test_sample_into_an_unwritable_folder(shared: Path, other_user: int | None) -> None:
    path = shared / "ro" / "Sample.xlsx"
    unusable_as(other_user, shared, ["sample", str(path)], f"{PREFIX}{path}: ", PERMISSION)
    assert tree(shared / "ro") == []


def test_sample_into_a_full_disk(full_disk: Path) -> None:
    fill(full_disk)
    path = full_disk / "Sample.xlsx"
    unusable_by_script(["sample", str(path)], f"{PREFIX}{path}: ", DISK_FULL)
    assert tree(full_disk) == ["filler"]


# --- 3. new PATH ------------------------------------------------------------------------------


def test_new_into_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "missing" / "Register.xlsm"
    unusable_in_process(capsys, ["new", str(path)], f"{PREFIX}{path}: ", "does not exist")
    unusable_by_script(["new", str(path)], f"{PREFIX}{path}: ", "does not exist")
    assert tree(tmp_path) == []


def test_new_into_an_unwritable_folder(shared: Path, other_user: int | None) -> None:
    path = shared / "ro" / "Register.xlsm"
    unusable_as(other_user, shared, ["new", str(path)], f"{PREFIX}{path}: ", PERMISSION)
    assert tree(shared / "ro") == []


def test_new_into_a_full_disk(full_disk: Path) -> None:
    fill(full_disk)
    path = full_disk / "Register.xlsm"
    unusable_by_script(["new", str(path), "--sample"], f"{PREFIX}{path}: ", DISK_FULL)
    assert tree(full_disk) == ["filler"]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_history_export_into_a_full_disk_keeps_the_earlier_export(
        small: Path, tmp_path: Path, full_disk: Path, fmt: str) -> None:
    """The export is streamed into its temporary: the disk filling up part of the way leaves
    the earlier export as it was, and no temporary."""
    history = tmp_path / "Register.history.sqlite"
    for day in range(1, 9):
        assert main(["snapshot", str(small), "--history", str(history),
                     "--as-of", f"2026-11-{day:02d}"]) == 0
    out = full_disk / f"projects.{fmt}"
    out.write_text("the earlier export\n", encoding="utf-8")
    fill(full_disk, leave=8192)  # the export's first pages fit, the rest does not
    args = ["history", "export", str(small), "--history", str(history), "--format", fmt,
            "--out", str(out)]
    unusable_by_script(args, f"{PREFIX}{out}: ", DISK_FULL)
    assert out.read_text(encoding="utf-8") == "the earlier export\n"
    assert tree(full_disk) == ["filler", f"projects.{fmt}"]


def test_new_from_an_unusable_register(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "Tracker.xlsx"
    source.write_bytes(b"PK\x03\x04garbage")
    out = tmp_path / "Register.xlsm"
    args = ["new", str(out), "--from", str(source)]
    unusable_in_process(capsys, args, f"{PREFIX}{source}: ", "damaged or truncated")
    unusable_by_script(args, f"{PREFIX}{source}: ", "damaged or truncated")
    assert tree(tmp_path) == ["Tracker.xlsx"]


# --- 4. inspect --write-profile -------------------------------------------------------------


def test_write_profile_over_an_existing_file(small: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "pmo-xl.toml"
    out.write_text("# my profile\n", encoding="utf-8")
    args = ["inspect", str(small), "--write-profile", str(out)]
    unusable_in_process(capsys, args, f"{PREFIX}{out}: ", "already exists", "--force")
    unusable_by_script(args, f"{PREFIX}{out}: ", "already exists", "--force")
    assert out.read_text(encoding="utf-8") == "# my profile\n"


def test_write_profile_into_a_missing_folder(small: Path, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "missing" / "pmo-xl.toml"
    args = ["inspect", str(small), "--write-profile", str(out)]
    unusable_in_process(capsys, args, f"{PREFIX}{out}: ", "does not exist")
    unusable_by_script(args, f"{PREFIX}{out}: ", "does not exist")
    assert not out.parent.exists()


# --- 5. a register that cannot be opened --------------------------------------------------


@pytest.mark.parametrize(("name", "expected"), [("missing.xlsx", "file not found"),
                                                ("folder.xlsx", "is a folder")])
def test_register_missing_or_a_folder(tmp_path: Path, name: str, expected: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "folder.xlsx").mkdir()
    path = tmp_path / name
    for command in ("validate", "rollup", "inspect", "report"):
        unusable_in_process(capsys, [command, str(path)], f"{PREFIX}{path}: ", expected)
    unusable_by_script(["validate", str(path)], f"{PREFIX}{path}: ", expected)
    assert tree(tmp_path) == ["folder.xlsx"]


def test_register_without_read_permission(shared: Path, other_user: int | None) -> None:
    locked = shared / "Register.xlsx"
    locked.chmod(0)
    for command in ("validate", "rollup"):
        unusable_as(other_user, shared, [command, str(locked), "--format", "json"],
                    f"{PREFIX}{locked}: ", "permission denied")


# --- 6. report templates ----------------------------------------------------------------------


def user_template(tmp_path: Path, body: str) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / PROJECT_TEMPLATE).write_text(body, encoding="utf-8")
    return folder


def project_reports(out: Path) -> list[str]:
    return sorted(p.name for p in out.glob("*.html")
                  if p.name not in ("index.html", f"{PORTFOLIO_STEM}.html"))


@pytest.mark.parametrize(("body", "line", "problem"), [
    ("<html>\n<body>\n{% if %}\n</body></html>\n", 3, "Expected an expression"),
    ("<html>\n<body>\n<h1>{{ project.project_name }}</h1>\n{{ project.no_such_field }}\n"
     "</body></html>\n", 4, "no attribute 'no_such_field'"),
], ids=["syntax-error", "fails-for-every-project"])
def test_broken_template_is_one_line_once(sample_path: Path, tmp_path: Path, body: str,
                                          line: int, problem: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    templates = user_template(tmp_path, body)
    where = f"{PREFIX}report template {(templates / PROJECT_TEMPLATE).resolve()}, line {line}: "
    args = ["report", str(sample_path), "--format", "html", "--templates", str(templates)]
    assert main([*args, "--out", str(tmp_path / "a")]) == 2
    out, err = capsys.readouterr()
    one_error_line(err, where, problem)
    assert (out + err).count(problem) == 1  # once, not once per project
    assert project_reports(tmp_path / "a") == []
    result = run(*args, "--out", str(tmp_path / "b"))
    assert result.returncode == 2, result.stderr
    one_error_line(result.stderr, where, problem)
    assert (result.stdout + result.stderr).count(problem) == 1
    assert project_reports(tmp_path / "b") == []


def test_template_failing_for_one_project(sample_path: Path, tmp_path: Path) -> None:
    templates = user_template(
        tmp_path, '<html>\n<body>\n{% if project.project_id == "PRJ-0003" %}'
        "{{ project.no_such_field }}{% endif %}\n<h1>{{ project.project_name }}</h1>\n"
        "</body></html>\n")
    out = tmp_path / "out"
    result = run("report", str(sample_path), "--format", "html", "--templates",
                 str(templates), "--out", str(out))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("failed: PRJ-0003-"), line
    assert f"report template {(templates / PROJECT_TEMPLATE).resolve()}, line 3: " in line
    written = project_reports(out)
    assert len(written) == 39 and not any(n.startswith("PRJ-0003-") for n in written)
    assert (out / f"{PORTFOLIO_STEM}.html").is_file()
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert [f["project_id"] for f in manifest["failures"]] == ["PRJ-0003"]
    assert_complete(out)


# --- 7. an unexpected internal error --------------------------------------------------------


def assert_logged(line: str, log: Path, command: str) -> None:
    """The one line names the log, and the log holds the traceback of this run."""
    assert str(log) in line and "RuntimeError" in line, line
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text and f"RuntimeError: {BOOM}" in text
    assert command in text


@pytest.mark.parametrize(("target", "command"), [("pmo_xl.metrics.rollup", "rollup"),
                                                 ("pmo_xl.validation._validate", "validate")])
def test_internal_error_in_process(small: Path, tmp_path: Path, target: str, command: str,
                                   monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # a log of this test's own
    monkeypatch.setattr(target, _boom)
    assert main([command, str(small)]) == 3
    out, err = capsys.readouterr()
    assert out == ""
    line = one_error_line(err, "internal error")
    assert_logged(line, tmp_path / TRACEBACK_LOG, f"{command} {small}")
    for argv in (["--debug", command, str(small)], [command, str(small), "--debug"]):
        assert main(argv) == 3
        err = capsys.readouterr().err
        assert "Traceback (most recent call last)" in err, argv
        assert err.rstrip().endswith(f"RuntimeError: {BOOM}"), argv


# `pmo-xl` with validation broken for real: the console script's main, in a fresh process.
PATCHED_CLI = (
    "import sys\n"
    "import pmo_xl.validation\n"
    "def boom(*args, **kwargs):\n"
    f"    raise RuntimeError({BOOM!r})\n"
    "pmo_xl.validation._validate = boom\n"
    "from pmo_xl.cli import main\n"
    "sys.exit(main())\n")
PATCHED = (sys.executable, "-c", PATCHED_CLI)


def test_internal_error_in_a_process(small: Path, tmp_path: Path) -> None:
    env = {"TMPDIR": str(tmp_path)}
    result = run("validate", str(small), command=PATCHED, env=env)
    assert result.returncode == 3 and result.stdout == ""
    line = one_error_line(result.stderr, "internal error")
    assert_logged(line, tmp_path / TRACEBACK_LOG, f"validate {small}")
    for args in (("--debug", "validate", str(small)), ("validate", str(small), "--debug")):
        result = run(*args, command=PATCHED, env=env)
        assert result.returncode == 3, args
        assert result.stderr.startswith("Traceback (most recent call last)"), args
        assert result.stderr.rstrip().endswith(f"RuntimeError: {BOOM}"), args


def test_internal_error_log_on_a_shared_machine(shared: Path, other_user: int | None) -> None:
    """Another user's (here root's) traceback log already in the shared temp folder, as on
    any multi-user machine: the internal error still says where this run's traceback was
    written (not merely that it could not be)."""
    if other_user is None:
        pytest.skip("needs a second user: run as root")
    (shared / "tmp" / TRACEBACK_LOG).write_text("--- an earlier run by root\n")

    def patch() -> None:
        pmo_xl.validation._validate = _boom  # type: ignore[assignment]

    code, stderr = main_as(other_user, ["validate", str(shared / "Register.xlsx")],
                           shared / "tmp", patch)
    assert code == 3, stderr
    line = one_error_line(stderr, "internal error")
    named = [Path(word.strip(".,;()")) for word in line.split() if "/" in word]
    logs = [p for p in named if p.is_file() and BOOM in p.read_text(errors="replace")]
    assert logs, f"no file named in {line!r} holds the traceback"


# --- 8. JSON whole or nothing -------------------------------------------------------------------


def _nan_list(self: Rollup) -> list[float]:
    return [float("nan")]  # a value strict JSON cannot hold


@pytest.mark.parametrize(("owner", "name", "replacement"), [
    (Rollup, "counts", _boom),  # the first part of the JSON
    (Rollup, "per_project", _boom),  # the last part
    (Rollup, "stale", _nan_list),
    (Validation, "infos", property(_boom)),
], ids=["rollup-first", "rollup-last", "rollup-nan", "validate"])
def test_json_is_whole_or_nothing(small: Path, tmp_path: Path, owner: type, name: str,
                                  replacement: Callable[..., Any] | property,
                                  monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(owner, name, replacement)
    command = "validate" if owner is Validation else "rollup"
    assert main([command, str(small), "--format", "json"]) == 3
    out, err = capsys.readouterr()
    assert out == ""
    one_error_line(err, "internal error", str(tmp_path / TRACEBACK_LOG))


# --- 9. a blank Project ID ----------------------------------------------------------------------


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not strict JSON")


def test_blank_project_id_gives_strict_json(tmp_path: Path) -> None:
    path = register(tmp_path / "Register.xlsx", [
        project(), project(**{"Project ID": None, "Project Name": "No ID yet"}),
        project(**{"Project ID": "PRJ-002", "Project Name": "Data Lake"})])
    result = run("rollup", str(path), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    data = json.loads(result.stdout, parse_constant=_no_constants)
    assert [p["project_id"] for p in data["per_project"]] == ["PRJ-001", None, "PRJ-002"]
    assert data["projects"]["total"] == 3


# --- 10. Ctrl-C ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "Big.xlsx"
    result = run("sample", str(path), "--projects", "400")
    assert result.returncode == 0, result.stderr
    return path


def interrupt_report(register_path: Path, out: Path, fmt: str, started: int) -> tuple[
        int, str]:
    """Run `report` and press Ctrl-C (SIGINT to its process group, as a terminal does) once
    `started` files of `fmt` are written; its exit code and stderr."""
    process = subprocess.Popen(
        [str(SCRIPT), "report", str(register_path), "--out", str(out), "--format", fmt,
         "--pdf-engine", "chromium", "--jobs", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while len(list(out.glob(f"*.{fmt}"))) < started and time.monotonic() < deadline:
        if process.poll() is not None:
            break
        time.sleep(0.005)
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
    try:
        _, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise
    return process.returncode, err


@pytest.mark.parametrize("fmt", ["html", "pdf"])
def test_ctrl_c_leaves_only_complete_reports(big_sample: Path, tmp_path: Path,
                                             fmt: str) -> None:
    if fmt == "pdf":
        require_tool("chromium", "apt-get install chromium")
    out = tmp_path / "out"
    code, err = interrupt_report(big_sample, out, fmt, started=5)
    assert code == 130, err
    assert err == f"{PREFIX}interrupted\n"
    written = [p for p in out.glob(f"*.{fmt}") if p.name != "index.html"]
    assert 5 <= len(written) < 400, "the batch was not interrupted mid-way"
    assert_complete(out)
