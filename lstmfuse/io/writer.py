"""The one score writer: kern (via converter21), MusicXML, .mxl and MIDI, always atomic."""

from __future__ import annotations

import warnings
from pathlib import Path

from ..errors import ScoreWriteError, UsageError
from .atomic import atomic_output, check_writable
from .formats import WRITABLE, format_from_suffix, normalise_format
from .reader import music21_ready

_M21_FORMAT = {"kern": "humdrum", "musicxml": "musicxml", "mxl": "mxl", "midi": "midi"}


def output_format(path: str | Path, fmt: str | None = None) -> str:
    """The format to write: given explicitly, or from the file name."""
    found = normalise_format(fmt) if fmt else format_from_suffix(path)
    if found is None:
        raise UsageError(f"cannot tell the output format from '{Path(path).name}' (use .krn, .musicxml, .mxl or .mid)")
    if found not in WRITABLE:
        raise UsageError(f"cannot write {found} (writable: {', '.join(WRITABLE)})")
    return found


def save(score, path: str | Path, fmt: str | None = None, force: bool = False) -> Path:
    """Write ``score`` to ``path`` atomically; never clobbers an existing file unless ``force``.

    Raises ScoreWriteError naming the file; on failure no file (not even a partial one) is left.
    """
    target = Path(path)
    kind = output_format(target, fmt)
    check_writable(target, force)
    music21_ready()
    if kind in ("musicxml", "mxl"):
        fill_pedal_types(score)
    with atomic_output(target, force) as tmp:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                written = score.write(_M21_FORMAT[kind], fp=str(tmp))
        except ScoreWriteError:
            raise
        except Exception as exc:  # writer internals raise many types
            detail = " ".join(str(exc).split())[:200] or type(exc).__name__
            raise ScoreWriteError(f"cannot write as {kind}: {detail}", target) from None
        if written is not None and Path(written) != tmp and Path(written).exists():
            Path(written).replace(tmp)  # a writer that chose its own suffix
        if kind == "kern":
            _check_kern_output(tmp, target)
    return target


def fill_pedal_types(score) -> int:
    """Give pedal marks without a pedal type the damper (sustain) pedal.

    Humdrum's ``*ped``/``*Xped`` mean the damper pedal, but converter21 leaves the type
    unset, and music21 then writes ``<pedal type="sustain">``, which MusicXML 4.0 does not
    allow (lilypond suite 33a through kern). Returns how many marks were filled in.
    """
    from music21 import expressions

    filled = 0
    for mark in score.recurse().getElementsByClass(expressions.PedalMark):
        if mark.pedalType is None:
            mark.pedalType = expressions.PedalType.Sustain
            filled += 1
    return filled


def _check_kern_output(tmp: Path, target: Path) -> None:
    """music21 alone writes a repr instead of kern; make sure real Humdrum came out."""
    head = tmp.read_text(encoding="utf-8", errors="replace")[:4096]
    if "**kern" not in head:
        raise ScoreWriteError("the Humdrum writer produced no **kern spine", target)
