"""The public Python API, re-exported by ``lstmfuse`` (``import lstmfuse; lstmfuse.fuse(...)``).

Scores in and out (:func:`load_score`, :func:`save_score`), a passage continued by a genre or
a weighted fusion (:func:`continue_passage`), a new fused melody (:func:`fuse`), and the values
they take (:class:`SamplingOptions`, :class:`GenreWeights`, :class:`Key`). The command line,
the bridge and the benchmarks call the same functions; the README shows them in use.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import UsageError
from .encoding.events import Melody
from .generation.continuation import Result, continue_melody
from .generation.form import TunePosition
from .generation.options import SamplingOptions
from .generation.weights import GenreWeights
from .theory import Key

__all__ = ["GenreWeights", "Key", "Melody", "Result", "SamplingOptions", "TunePosition", "continue_passage", "fuse", "load_score",
           "passage_of", "save_score", "to_score"]


def load_score(path: str | Path, index: int = 0):
    """A music21 score from any readable file (.krn, .musicxml/.xml, .mxl, .abc, .mid);
    ``index`` picks a tune of an ABC collection."""
    from .io import load

    if not isinstance(path, (str, Path)):
        raise UsageError(f"load_score takes a file's path (got {type(path).__name__})")
    return load(path, index)


def save_score(score, path: str | Path, *, force: bool = False) -> Path:
    """Write a score atomically in the format its suffix names; never overwrites unless ``force``."""
    from music21 import stream

    from .io import save

    if not isinstance(score, stream.Stream):
        raise UsageError(f"save_score takes a music21 score (lstmfuse.to_score makes one of a Melody; got {type(score).__name__})")
    return save(score, path, force=force)


def passage_of(source: Any, part: int | str | None = 0) -> Melody:
    """The melody of one part of a score, a file, or a music21 part: ``part`` an int index from 0
    (as ``score.parts[i]``), a string number from 1 (as ``lstmfuse info`` lists parts), or a name."""
    from .encoding.extract import melody_from_part, pick_part

    if isinstance(source, Melody):
        return source
    where = ""
    if isinstance(source, (str, Path)):
        where = str(source)
        source = load_score(source)
    if hasattr(source, "parts") and len(source.parts):
        source = pick_part(source, part)
    if not hasattr(source, "stripTies"):  # not a music21 stream
        raise UsageError(f"a passage is a Melody, a music21 score or part, or a file's path (got {type(source).__name__})")
    return melody_from_part(source, source=where, key_at="end")  # a passage goes on in the key it ends in


def _weights(weights: str | Mapping[str, float] | GenreWeights | None) -> GenreWeights | None:
    if weights is None:
        return None
    from .models.registry import genre_names

    return GenreWeights.parse(weights, genre_names())


def continue_passage(
    passage: Any,
    *,
    bars: int,
    genre: str | None = None,
    weights: str | Mapping[str, float] | GenreWeights | None = None,
    options: SamplingOptions | None = None,
    variants: int = 1,
    part: int | str | None = 0,
    meter: str | None = None,
    sharps: int | None = None,
    mode: str | None = None,
    position: TunePosition | None = None,
    key: str | None = None,
) -> Result:
    """Continue a passage (a :class:`Melody`, a score, a part or a file; ``part`` picks one)
    by ``bars`` whole bars with one ``genre`` or a fusion of ``weights``
    (``{"irish": 0.7, "scottish": 0.3}`` or ``"irish=0.7,scottish=0.3"``), in its key and meter.
    ``passage=None`` starts from nothing in ``meter`` and the key signature ``sharps``/``mode``
    (which also override a passage's own, as the bridge does with MuseScore's); such a tune may
    start on an upbeat, as the genre's real tunes do (``result.settings["pickup_quarters"]``;
    ``form="free"`` in the options: never). ``position``: where the passage stands in its tune
    (:class:`TunePosition`: a selection from the middle of a score keeps the tune's phrase grid).
    ``key`` ('F', 'e' = E minor): the key the passage is in where neither its signature nor its
    notes say it, as ``continue --key``; the result's signature stays the passage's."""
    melody = None if passage is None else passage_of(passage, part)
    return continue_melody(melody, bars=bars, genre=genre, weights=_weights(weights), options=options, variants=variants,
                           meter=meter, sharps=sharps, mode=mode, position=position, key=key)


def fuse(
    weights: str | Mapping[str, float] | GenreWeights,
    *,
    bars: int = 8,
    meter: str | None = None,
    key: str | Key | None = None,
    options: SamplingOptions | None = None,
    variants: int = 1,
) -> Result:
    """A new melody fused from the weighted genres; without ``meter``/``key`` (``'G'``, ``'e'``
    = E minor, ``'Bb major'``), the heaviest genre's most common. It may start on an upbeat
    before its ``bars``, as the real tunes in the meter of a genre drawn by weight do."""
    from .generation.service import fuse_melody

    result, _used = fuse_melody(_weights(weights), bars=bars, meter=meter, key=key, options=options, variants=variants)
    return result


def to_score(melody: Melody, title: str = "lstmfuse"):
    """A one-part music21 score holding a melody (with its key signature and meter)."""
    from .generation.score_write import melody_to_score

    if not isinstance(melody, Melody):
        raise UsageError(f"to_score takes a Melody, e.g. a result's melodies[0] (got {type(melody).__name__})")
    return melody_to_score(melody, title=title)
