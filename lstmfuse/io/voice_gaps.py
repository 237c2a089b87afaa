"""Make the gaps in a voice explicit before writing kern.

MusicXML lets a voice start late or stop early (``<forward>``: MuseScore writes one for a
deleted rest). converter21's kern writer fills such a gap with a single invisible rest of
the gap's length, and when that length is not one kern duration (3 1/4 quarters in bar 80
of OSMD's Chopin op. 10/4) it wrote a 16th rest instead. The spine then ran short, the
kern reader could place no bar, and ``info`` on the kern file gave 3 quarter notes for a
score of 329, every measure at offset 0. :func:`fill_voice_gaps` fills every gap with
invisible rests whose lengths kern can write.
"""

from __future__ import annotations

from fractions import Fraction

#: note values kern writes as one token, longest first: plain and dotted powers of two, then
#: triplet values, so that greedy splitting of any gap on the 1/24-quarter grid ends exactly
_VALUES = sorted(
    {Fraction(4), Fraction(3), Fraction(2), Fraction(3, 2), Fraction(1), Fraction(3, 4), Fraction(1, 2),
     Fraction(3, 8), Fraction(1, 4), Fraction(3, 16), Fraction(1, 8), Fraction(1, 16), Fraction(1, 32),
     Fraction(8, 3), Fraction(4, 3), Fraction(2, 3), Fraction(1, 3), Fraction(1, 6), Fraction(1, 12), Fraction(1, 24)},
    reverse=True,
)


def _exact(x) -> Fraction:
    return Fraction(x).limit_denominator(1 << 16)


def split_length(length: Fraction) -> list[Fraction]:
    """``length`` as a sum of values kern writes in one token (3 1/4 -> 3 + 1/4)."""
    parts: list[Fraction] = []
    left = length
    while left > 0:
        value = next((v for v in _VALUES if v <= left), None)
        if value is None:  # finer than any value: one token of the rest (music21 decides)
            parts.append(left)
            break
        parts.append(value)
        left -= value
    return parts


def fill_voice_gaps(score) -> int:
    """Fill the gaps inside every voice of every measure with invisible rests; returns how
    many rests were added. A voice is filled up to the end of the measure's longest voice."""
    from music21 import note, stream

    added = 0
    for measure in score.recurse().getElementsByClass(stream.Measure):
        voices = list(measure.voices)
        if not voices:
            continue
        ends = [_exact(v.offset) + _exact(v.highestTime) for v in voices]
        bar_end = max([_exact(measure.highestTime), *ends])
        for voice in voices:
            start = _exact(voice.offset)
            cursor = start
            gaps: list[tuple[Fraction, Fraction]] = []
            for el in sorted(voice.notesAndRests, key=lambda e: e.offset):
                if el.duration.isGrace:
                    continue
                onset = start + _exact(el.offset)
                if onset > cursor:
                    gaps.append((cursor, onset))
                cursor = max(cursor, onset + _exact(el.quarterLength))
            if cursor < bar_end and voice.notesAndRests.first() is not None:
                gaps.append((cursor, bar_end))
            for begin, end in gaps:
                at = begin
                for length in split_length(end - at):
                    rest = note.Rest(quarterLength=length)
                    rest.style.hideObjectOnPrint = True
                    voice.insert(at - start, rest)
                    at += length
                    added += 1
    return added


__all__ = ["fill_voice_gaps", "split_length"]
