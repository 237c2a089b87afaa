"""Make a late-starting voice explicit before writing kern.

MusicXML lets a voice start after the barline (``<forward>``: MuseScore writes one for a
deleted rest). converter21's kern writer fills a gap inside or after a voice with a rest
of the right (possibly rational, ``12%11``) length, but a gap *before* the voice's first
note it wrote as a 16th rest: in bar 80 of OSMD's Chopin op. 10/4 the spine then ran 3
quarters short, the kern reader could place no bar, and ``info`` on the kern file gave 3
quarter notes for a score of 329, every measure at offset 0. :func:`fill_voice_gaps` puts
one invisible rest of the exact length there (one rest, not a sum of note values: split
values inside a triplet group made converter21's reader fail).
"""

from __future__ import annotations

from fractions import Fraction


def _exact(x) -> Fraction:
    return Fraction(x).limit_denominator(1 << 16)


def fill_voice_gaps(score) -> int:
    """Give every voice that starts after its measure's barline an invisible rest from the
    barline to its first note or rest; returns how many rests were added."""
    from music21 import note, stream

    added = 0
    for measure in score.recurse().getElementsByClass(stream.Measure):
        for voice in measure.voices:
            timed = [el for el in voice.notesAndRests if not el.duration.isGrace]
            if not timed:
                continue
            first = min(_exact(el.offset) for el in timed)
            start = _exact(voice.offset)
            if first <= 0 or start != 0:
                continue
            rest = note.Rest(quarterLength=first)
            rest.style.hideObjectOnPrint = True
            voice.insert(0, rest)
            added += 1
    return added


__all__ = ["fill_voice_gaps"]
