"""One file in one format to one file in another: the rules every conversion follows.

``lstmfuse convert IN OUT``, the batch engine's music21 route (``convert --out-dir``,
``batch convert``) and ``render``'s kern fallback all write through :func:`save_converted`:
measures' padding made explicit (converter21's kern reader leaves pickups unmarked and
music21's MusicXML writer then fills them with rests, moving every later note), known
writer limits reported up front, atomic, OS errors as one line.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ScoreWriteError
from .atomic import check_writable
from .quiet import quiet
from .reader import load
from .repairs import kern_write_problems, mark_partial_measures
from .writer import output_format, save


def write_error(exc: OSError, path: str | Path) -> ScoreWriteError:
    """An OSError met while writing ``path`` as the one-line error users see."""
    return ScoreWriteError(f"cannot write: {exc.strerror or type(exc).__name__}", path)


def save_converted(score, target: str | Path, fmt: str | None = None, force: bool = False) -> Path:
    """Write a loaded score as a conversion does: padding made explicit, known writer
    limits reported clearly, atomic, OS errors as one-line ScoreWriteErrors."""
    target = Path(target)
    kind = output_format(target, fmt)
    if kind == "kern":
        problem = kern_write_problems(score)
        if problem:
            raise ScoreWriteError(problem, target)
    mark_partial_measures(score)
    try:
        with quiet():
            return save(score, target, fmt=kind, force=force)
    except OSError as exc:  # e.g. a read-only file system that os.access does not see
        raise write_error(exc, target) from None


def convert_file(source: str | Path, target: str | Path, fmt: str | None = None, force: bool = False) -> Path:
    """Convert the first score in ``source`` to ``target`` (format from ``fmt`` or the suffix).

    Raises LstmfuseError (one line, naming the file) on any failure; leaves no partial file.
    """
    target = Path(target)
    kind = output_format(target, fmt)
    try:
        check_writable(target, force)
    except OSError as exc:
        raise write_error(exc, target) from None
    with quiet():
        score = load(source)
    return save_converted(score, target, fmt=kind, force=force)


__all__ = ["convert_file", "save_converted", "write_error"]
