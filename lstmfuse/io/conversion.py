"""One file in one format to one file in another: the rules every conversion follows.

A file already in the target format is copied as it is, and MusicXML <-> .mxl changes only
the container (what ``batch convert`` does): music21 would drop what it does not model
(lyric extenders, credit types, MIDI instruments). Every other conversion -- ``lstmfuse
convert IN OUT``, the batch engine's music21 route (``convert --out-dir``, ``batch
convert``) and ``render``'s kern fallback -- writes through :func:`save_converted`:
measures' padding made explicit (converter21's kern reader leaves pickups unmarked and
music21's MusicXML writer then fills them with rests, moving every later note), known
writer limits reported up front, atomic, OS errors as one line.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ScoreReadError, ScoreWriteError
from .atomic import check_writable, write_bytes_atomic
from .formats import detect_format
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


def convert_file(source: str | Path, target: str | Path, fmt: str | None = None, force: bool = False, tune: int = 1) -> Path:
    """Convert the ``tune``-th score in ``source`` (from 1: the tunes of an ABC collection) to
    ``target`` (format from ``fmt`` or the suffix).

    Raises LstmfuseError (one line, naming the file) on any failure; leaves no partial file.
    """
    target = Path(target)
    kind = output_format(target, fmt)
    try:
        check_writable(target, force)
    except OSError as exc:
        raise write_error(exc, target) from None
    with quiet():
        score = load(source, tune - 1)  # also proves the source is a score before anything is copied
    kept = _kept_as_it_is(Path(source), detect_format(source), target, kind)
    if kept is not None:
        try:
            return write_bytes_atomic(target, kept, force)
        except OSError as exc:
            raise write_error(exc, target) from None
    return save_converted(score, target, fmt=kind, force=force)


def _kept_as_it_is(source: Path, source_kind: str, target: Path, kind: str) -> bytes | None:
    """The bytes to write when nothing needs music21: the same format, or MusicXML into or out
    of its .mxl container; else None."""
    from .musicxml import read_mxl, write_mxl

    if source_kind != kind and {source_kind, kind} != {"musicxml", "mxl"}:
        return None
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise ScoreReadError(f"cannot read: {exc.strerror}", source) from None
    if source_kind == kind:
        return data
    if kind == "mxl":
        return write_mxl(data, target.stem + ".musicxml")
    return read_mxl(data, source)[0]


__all__ = ["convert_file", "save_converted", "write_error"]
