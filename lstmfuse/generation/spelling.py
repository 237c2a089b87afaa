"""Spell generated MIDI pitches in the user's key (E-flat major gets B-flats, not A-sharps).

Pitches are generated in the normalised key (no key signature). There, the diatonic notes
are the white keys and the usual chromatic notes are spelled as tonal music spells them
(F#, C#, G# as raised degrees, B-flat and E-flat as lowered ones); moving back to the user's
key by the diatonic interval between the two key signatures' tonics then spells correctly.
"""

from __future__ import annotations

import functools

_NORMALISED_NAMES = ("C", "C#", "D", "E-", "E", "F", "F#", "G", "G#", "A", "B-", "B")
#: in A minor the chromatic step between D and E is the raised fourth (D#), not a flat third
_NORMALISED_NAMES_MINOR = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "B-", "B")


@functools.lru_cache(maxsize=64)
def _interval_from_c(sharps: int, shift: int):
    """The music21 interval taking the normalised key (C) to the key of ``sharps``,
    moving by ``-shift`` semitones (so octaves match the MIDI numbers)."""
    from music21 import interval, key, pitch

    tonic = key.KeySignature(sharps).asKey("major").tonic
    start = pitch.Pitch("C4")
    target = pitch.Pitch(tonic.name)
    target.octave = 4
    while target.midi - start.midi > -shift:
        target.octave -= 1
    while target.midi - start.midi < -shift:
        target.octave += 1
    return interval.Interval(start, target)


@functools.lru_cache(maxsize=4096)
def spell(normalised_midi: int, sharps: int, shift: int, minor: bool = False) -> str:
    """Name with octave (music21 style, e.g. 'B-4') of a normalised pitch in the user's key."""
    from music21 import pitch

    names = _NORMALISED_NAMES_MINOR if minor else _NORMALISED_NAMES
    p = pitch.Pitch(names[normalised_midi % 12])
    p.octave = normalised_midi // 12 - 1
    out = p.transpose(_interval_from_c(sharps, shift))
    if out.accidental is not None and abs(out.accidental.alter) > 1:
        out = out.simplifyEnharmonic()  # a readable name beats a double sharp/flat
    return out.nameWithOctave
