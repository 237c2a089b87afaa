"""What a score holds, at a glance: the library behind ``lstmfuse info``.

>>> s = summarise("examples/bach-bwv277.krn")       # doctest: +SKIP
>>> s.parts, s.key, s.meters, s.notes               # doctest: +SKIP
(['Soprano', 'Alto', 'Tenor', 'Bass'], 'F major', ['4/4'], 190)

Definitions (so that numbers mean the same for every format):

* ``notes``: sounding notes. Each pitch of a chord counts; a note tied over a barline
  counts once; grace notes are not counted. Rests are not notes.
* ``measures``: the number of measures of the longest part (a pickup counts as one).
* ``key``: the key written in the file (``G major``; a bare signature reads
  ``1 sharp``), the first one when it changes; ``keys`` lists every distinct one.
* ``duration_quarters``: the length of the score in quarter notes;
  ``duration_seconds`` only when the file states a tempo (a metronome mark with a number),
  computed through every tempo change.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path

from .formats import detect_format


@dataclass
class ScoreSummary:
    path: str
    format: str
    title: str | None
    composer: str | None
    parts: list[str]
    key: str | None
    keys: list[str]
    meters: list[str]
    measures: int
    notes: int
    rests: int
    lowest: str | None
    highest: str | None
    duration_quarters: float
    duration_seconds: float | None
    tempos: list[float] = field(default_factory=list)
    tunes_in_file: int = 1

    def to_dict(self) -> dict:
        return asdict(self)


def _key_name(obj) -> str:
    from music21 import key as m21key

    if isinstance(obj, m21key.Key):
        tonic = obj.tonic.name.replace("-", "b")
        return f"{tonic} {obj.mode}"
    sharps = obj.sharps
    if sharps == 0:
        return "no sharps or flats"
    word = "sharp" if sharps > 0 else "flat"
    n = abs(sharps)
    return f"{n} {word}{'s' if n != 1 else ''}"


def _unique(seq):
    out = []
    for x in seq:
        if x not in out:
            out.append(x)
    return out


def _part_name(part, index: int) -> str:
    for attr in ("partName", "partAbbreviation"):
        name = getattr(part, attr, None)
        if name:
            return str(name)
    inst = part.getInstrument(returnDefault=False) if hasattr(part, "getInstrument") else None
    if inst is not None and (inst.partName or inst.instrumentName):
        return str(inst.partName or inst.instrumentName)
    return f"Part {index + 1}"


def _seconds(score) -> tuple[float | None, list[float]]:
    """Seconds through every tempo change, or None when the file states no tempo."""
    from music21 import tempo

    marks = [
        m for m in score.recurse().getElementsByClass(tempo.MetronomeMark)
        if m.number is not None and not m.numberImplicit
    ]
    if not marks:
        return None, []
    total = 0.0
    for start, end, mark in score.metronomeMarkBoundaries():
        total += float(end - start) * mark.secondsPerQuarter()
    return round(total, 3), _unique([float(m.number) for m in marks])


def summarise_score(score, path: str = "", fmt: str = "") -> ScoreSummary:
    """Summarise an already-loaded music21 score."""
    from music21 import key as m21key
    from music21 import meter, stream

    md = score.metadata
    title = None
    composer = None
    if md is not None:
        title = md.bestTitle or None
        composer = md.composer or None
        if title and path and title == Path(path).name:
            title = None  # music21 falls back to the file name; that is not a title
    parts = list(score.parts) or [score]
    names = [_part_name(p, i) for i, p in enumerate(parts)]

    keys_objs = list(score.recurse().getElementsByClass(m21key.KeySignature))
    keys_objs.sort(key=lambda k: k.getOffsetInHierarchy(score))
    keys = _unique([_key_name(k) for k in keys_objs])
    meters = _unique(
        ts.ratioString
        for ts in sorted(score.recurse().getElementsByClass(meter.TimeSignature), key=lambda t: t.getOffsetInHierarchy(score))
    )
    measures = max((len(p.getElementsByClass(stream.Measure)) for p in parts), default=0)

    notes = 0
    rests = 0
    lowest = highest = None
    for n in score.recurse().notesAndRests:
        if n.duration.isGrace:
            continue
        if n.isRest:
            rests += 1
            continue
        if not hasattr(n, "pitches"):
            continue
        for i, p in enumerate(n.pitches):
            tie = n.tie if n.isNote else (n.notes[i].tie if i < len(n.notes) else None)
            if tie is None or tie.type == "start":
                notes += 1
            if lowest is None or p.ps < lowest.ps:
                lowest = p
            if highest is None or p.ps > highest.ps:
                highest = p
    quarters = float(Fraction(score.highestTime).limit_denominator(100000))
    seconds, tempos = _seconds(score)

    def pname(p):
        return None if p is None else p.nameWithOctave.replace("-", "b")

    return ScoreSummary(
        path=path,
        format=fmt,
        title=title,
        composer=composer,
        parts=names,
        key=keys[0] if keys else None,
        keys=keys,
        meters=meters,
        measures=measures,
        notes=notes,
        rests=rests,
        lowest=pname(lowest),
        highest=pname(highest),
        duration_quarters=round(quarters, 4),
        duration_seconds=seconds,
        tempos=tempos,
    )


def summarise(path: str | Path, tune: int = 1) -> ScoreSummary:
    """Read a score file (any format lstmfuse reads) and summarise it.

    ``tune`` picks the tune of an ABC collection (1-based). Raises LstmfuseError (one
    line, naming the file) for anything unreadable.
    """
    from ..convert import quiet, tune_count_hint
    from ..errors import UsageError
    from .reader import load

    p = Path(path)
    fmt = detect_format(p)
    if tune < 1:
        raise UsageError(f"--tune must be 1 or more (got {tune})")
    with quiet():
        score = load(p, index=tune - 1)
        summary = summarise_score(score, str(p), fmt)
    summary.tunes_in_file = tune_count_hint(p)
    return summary


__all__ = ["ScoreSummary", "summarise", "summarise_score"]
