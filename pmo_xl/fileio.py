"""Writing report files so that no reader ever sees half of one, and so that two batches
never write into one folder at once.

`write_atomic` writes a hidden temporary beside the target and renames it into place
(`atomic_file` gives the temporary to a writer that streams its output there). A
failure while writing the temporary that means the folder takes no files at all (disk full,
quota, read-only disk, no permission: the temporary's name is new, so it is never one file's
permission) raises `WriteFailed`; any other failure (a name too long, the rename alone: on
Windows, the target is open in another program) is that one file's.

`folder_lock` holds the output folder for one batch: a lock file holding the owner's pid,
locked with the operating system's file lock (released by the kernel when its process dies,
however it dies, so a stale lock of a dead process is simply taken over).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

PART_SUFFIX = ".pmo-xl-part"  # temporary files; a later run removes those a killed run left
LOCK_NAME = ".pmo-xl.lock"
_PART = re.compile(rf"^\..+\.(\d+){re.escape(PART_SUFFIX)}$")
_LOCK_POLL_SECONDS = 0.1
_FOLDER_ERRORS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EROFS,
                  errno.EACCES, errno.EPERM}


class WriteFailed(OSError):
    """Writing into the output folder failed (disk full, read-only, no permission): a problem
    of the folder, not of one report, so the batch stops. Picklable, so that a PDF worker
    process can hand it to the batch."""


class FolderBusy(Exception):
    """Another batch holds the folder's lock; `owner` is its pid when the lock file says."""

    def __init__(self, lock: Path, owner: int | None, waited: float) -> None:
        self.lock, self.owner, self.waited = lock, owner, waited
        super().__init__(f"{lock.parent}: busy")


def _write_bytes(path: Path, data: bytes | memoryview) -> None:
    path.write_bytes(data)


def write_atomic(path: Path, data: bytes | memoryview) -> None:
    """Write to a hidden temporary file beside the target, then rename it into place: readers
    see either the old file or the complete new one, never half a file."""
    with atomic_file(path) as temp:
        _write_bytes(temp, data)


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[Path]:
    """The hidden temporary beside `path` for the block to write, renamed into place when the
    block ends and removed when it fails: for output too large to build in memory first."""
    temp = path.with_name(f".{path.name}.{os.getpid()}{PART_SUFFIX}")
    try:
        try:
            yield temp
        except OSError as error:
            if error.errno not in _FOLDER_ERRORS:
                raise
            raise WriteFailed(error.errno, error.strerror or str(error), str(path)) from error
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)
        raise


def remove_leftovers(folder: Path) -> None:
    """Temporary files of runs that were killed before they could clean up: only those whose
    process is gone, never the in-flight file of a live one (another batch, or a worker)."""
    for temp in folder.glob(f".*{PART_SUFFIX}"):
        match = _PART.match(temp.name)
        if match and not pid_alive(int(match[1])):
            with contextlib.suppress(OSError):
                temp.unlink(missing_ok=True)


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (it may be another user's)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":
        return _windows_pid_alive(pid)
    try:
        os.kill(pid, 0)  # signal 0: only the existence and permission check
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _windows_pid_alive(pid: int) -> bool:
    # os.kill(pid, 0) on Windows would terminate the process: ask the kernel instead.
    import ctypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return ctypes.get_last_error() == 5  # ERROR_ACCESS_DENIED: it exists
    try:
        code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        return code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


# --- the folder lock ----------------------------------------------------------------------------


@contextlib.contextmanager
def folder_lock(folder: Path, wait: float) -> Iterator[None]:
    """Hold `folder`'s lock for the duration, waiting up to `wait` seconds for another batch
    to finish; FolderBusy after that. OSError when the lock file cannot be created (the
    folder is read-only, the disk is full): the caller's one-line problem."""
    lock = folder / LOCK_NAME
    started = time.monotonic()
    while True:
        fd = _open_lock(lock)
        if _acquired(fd, lock):
            break
        owner = _owner(fd)
        os.close(fd)
        if time.monotonic() - started >= wait:
            raise FolderBusy(lock, owner, wait)
        time.sleep(_LOCK_POLL_SECONDS)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        _release(fd, lock)


def _open_lock(lock: Path) -> int:
    try:
        return os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as error:
        raise WriteFailed(error.errno, error.strerror or str(error), str(lock)) from error


def _acquired(fd: int, lock: Path) -> bool:
    """Try the OS lock without waiting; True when held and the lock file is still the one
    at `lock` (a releasing batch deletes it: a waiter holding the deleted file retries)."""
    try:
        if not _os_lock(fd):
            return False
    except OSError:  # a file system without locks (some network shares): trust the pid
        owner = _owner(fd)
        if owner is not None and owner != os.getpid() and pid_alive(owner):
            return False
    try:
        return os.stat(lock).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def _os_lock(fd: int) -> bool:
    """The OS's exclusive lock on the file without waiting: False when another holds it."""
    if sys.platform == "win32":
        import msvcrt

        try:
            os.lseek(fd, 1 << 20, os.SEEK_SET)  # a byte past the pid, so others can read it
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError as error:
            if error.errno in (errno.EACCES, errno.EDEADLK):
                return False
            raise
        finally:
            os.lseek(fd, 0, os.SEEK_SET)
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        if error.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            return False
        raise
    return True


def _owner(fd: int) -> int | None:
    """The pid the lock file holds, if it holds one."""
    try:
        if hasattr(os, "pread"):
            text = os.pread(fd, 32, 0)
        else:  # Windows
            os.lseek(fd, 0, os.SEEK_SET)
            text = os.read(fd, 32)
    except OSError:
        return None
    value = text.decode("ascii", "replace").strip()
    return int(value) if value.isdigit() else None


def _release(fd: int, lock: Path) -> None:
    if sys.platform == "win32":  # Windows cannot delete an open file: close first
        os.close(fd)
        with contextlib.suppress(OSError):
            lock.unlink(missing_ok=True)
        return
    # Delete while still holding the lock: a waiter then finds its file gone and retries.
    with contextlib.suppress(OSError):
        lock.unlink(missing_ok=True)
    os.close(fd)  # closing releases the lock
