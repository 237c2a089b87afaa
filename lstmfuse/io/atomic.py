"""Atomic file writes: a reader (or a crash) sees the old file or the new one, never half.

Everything the project writes goes through :func:`atomic_output`: the content is written
to a temporary file in the destination folder, flushed to disk, then renamed over the
target (or linked into place when clobbering is not allowed).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import ScoreWriteError


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
def atomic_output(dest: str | Path, force: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; on success it becomes ``dest`` atomically.

    On any exception the temporary file is removed and ``dest`` is untouched.
    """
    p = check_writable(dest, force)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{p.name}.", suffix=f".part{p.suffix}", dir=p.parent)
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
        mode = 0o666 & ~_umask()
        os.chmod(tmp, mode)
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
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_bytes_atomic(dest: str | Path, data: bytes, force: bool = False) -> Path:
    with atomic_output(dest, force) as tmp:
        tmp.write_bytes(data)
    return Path(dest)


def _umask() -> int:
    old = os.umask(0)
    os.umask(old)
    return old
