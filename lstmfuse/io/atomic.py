"""Atomic file writes: a reader (or a crash) sees the old file or the new one, never half.

Everything the project writes (scores, images, batch results and backups, the batch
journal and report) goes through :func:`atomic_output`: the content is written to a
temporary file in the destination folder, flushed to disk, then renamed over the target
(or linked into place when clobbering is not allowed), and the folder is synced so the
rename itself survives a power loss. A writer killed outright (SIGKILL, power loss)
cannot remove its temporary file; its name carries the writer's pid, so the next write
to the same destination removes it once that process is gone.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import ScoreWriteError

_TEMP = re.compile(r"^\..+\.\d+\.[^.]+\.part(\.[^.]*)?$")


def check_writable(dest: str | Path, force: bool = False) -> Path:
    """Fail early (before any work) if ``dest`` cannot or must not be written."""
    p = Path(dest)
    if p.is_dir():
        raise ScoreWriteError("is a directory", p)
    if p.exists() and not force:
        raise ScoreWriteError("already exists (use --force to overwrite)", p)
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise ScoreWriteError("its folder does not exist", p)
    if not os.access(parent, os.W_OK):
        raise ScoreWriteError("its folder is not writable", p)
    return p


@contextlib.contextmanager
def atomic_output(dest: str | Path, force: bool = False, *, mode: int | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; on success it becomes ``dest`` atomically.

    ``force`` replaces an existing ``dest`` (else it is never clobbered, even by a file
    that appears meanwhile); ``mode`` gives the file these permissions (the umask's
    default otherwise; a batch keeps an edited file's own). On any exception the temporary
    file is removed and ``dest`` is untouched.
    """
    p = check_writable(dest, force)
    _remove_dead_temps(p)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{p.name}.{os.getpid()}.", suffix=f".part{p.suffix}", dir=p.parent)
    except OSError as exc:  # e.g. a read-only or virtual file system that os.access calls writable
        raise ScoreWriteError(f"cannot create a file in its folder ({exc.strerror or type(exc).__name__})", p) from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise ScoreWriteError("the writer produced no output", p)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask() if mode is None else mode)
        if force:
            os.replace(tmp, p)
        else:
            try:
                os.link(tmp, p)  # fails if p appeared meanwhile: never clobber
            except FileExistsError:
                raise ScoreWriteError("already exists (use --force to overwrite)", p) from None
            except OSError:
                if p.exists():
                    raise ScoreWriteError("already exists (use --force to overwrite)", p) from None
                os.replace(tmp, p)
        _fsync_folder(p.parent if str(p.parent) else Path("."))
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_bytes_atomic(dest: str | Path, data: bytes, force: bool = False, *, mode: int | None = None) -> Path:
    """Write ``data`` to ``dest`` with :func:`atomic_output` (same ``force`` and ``mode``)."""
    with atomic_output(dest, force, mode=mode) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
    return Path(dest)


def is_temp_name(name: str) -> bool:
    """Whether a file name is one of :func:`atomic_output`'s temporary files."""
    return name.startswith(".") and ".part" in name and _TEMP.match(name) is not None


def _fsync_folder(folder: Path) -> None:
    """Sync a folder's entries (the rename) to disk; a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_dead_temps(p: Path) -> None:
    """Remove temporary files beside ``p`` left by writers that no longer run (POSIX only:
    a live pid, even a reused one, keeps its file, so a concurrent writer is never hit)."""
    if os.name != "posix":
        return
    head, tail = f".{p.name}.", f".part{p.suffix}"
    try:
        names = os.listdir(p.parent if str(p.parent) else ".")
    except OSError:
        return
    for name in names:
        pid = name[len(head):-len(tail)].split(".", 1)[0]
        if not (name.startswith(head) and name.endswith(tail) and pid.isdigit()):
            continue
        temp = p.parent / name
        try:
            changed = temp.stat().st_mtime
        except OSError:
            continue
        if not _writer_alive(int(pid), changed):
            with contextlib.suppress(OSError):
                temp.unlink()


def _writer_alive(pid: int, changed: float) -> bool:
    """Whether process ``pid`` may still be writing a temporary file last changed at ``changed``
    (seconds since the epoch). No when it is gone; also no, where /proc says so, when it is a
    zombie (killed, not yet reaped: a batch worker killed with its group stays one until its
    new parent reaps it, and a resume started at once kept its temp, CI 2026-12-02) or started
    after the file was last changed (its pid reused by a later process). Otherwise yes: a live
    writer's file is never touched."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):
        return True  # another user's process, or not a pid we may ask about: keep the file
    state, started = _process_state(pid)
    if state == "Z":
        return False
    return started is None or started <= changed + 2.0  # /proc's start time is whole clock ticks after a whole-second boot time


def _process_state(pid: int) -> tuple[str | None, float | None]:
    """(state letter, start time in seconds since the epoch) from Linux's /proc; Nones elsewhere."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = next(float(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines() if line.startswith("btime "))
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": the comm may hold spaces
        return fields[0], boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None, None


def _umask() -> int:
    old = os.umask(0)
    os.umask(old)
    return old
