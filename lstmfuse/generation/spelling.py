"""Spell generated MIDI pitches in the user's key (E-flat major gets B-flats, not A-sharps).

Pitches are generated in the normalised key (no key signature). There, the diatonic notes
are the white keys and the usual chromatic notes are spelled as tonal music spells them
(F#, C#, G# as raised degrees, B-flat and E-flat as lowered ones); moving back to the user's
key by the diatonic interval between the two key signatures' tonics then spells correctly.
The arithmetic is :mod:`lstmfuse.theory`'s (music21's rules, without importing music21).
"""

from __future__ import annotations

import functools

from ..theory import Interval, from_fifths, interval_from_to, name_of, parse_name, pitch_ps, spell_ps, transpose_pitch

_NORMALISED_NAMES = ("C", "C#", "D", "E-", "E", "F", "F#", "G", "G#", "A", "B-", "B")
#: in A minor the chromatic step between D and E is the raised fourth (D#), not a flat third
_NORMALISED_NAMES_MINOR = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "B-", "B")


@functools.lru_cache(maxsize=64)
def _interval_from_c(sharps: int, shift: int) -> Interval:
    """The interval taking the normalised key (C) to the key of ``sharps``, moving by
    ``-shift`` semitones (so octaves match the MIDI numbers)."""
    step, alter = from_fifths(sharps)  # the signature's major tonic
    octave = 4
    while pitch_ps(step, alter, octave) - 60 > -shift:
        octave -= 1
    while pitch_ps(step, alter, octave) - 60 < -shift:
        octave += 1
    return interval_from_to(("C", 0.0, 4), (step, alter, octave))


@functools.lru_cache(maxsize=4096)
def spell(normalised_midi: int, sharps: int, shift: int, minor: bool = False) -> str:
    """Name with octave (music21 style, e.g. 'B-4') of a normalised pitch in the user's key."""
    names = _NORMALISED_NAMES_MINOR if minor else _NORMALISED_NAMES
    step, alter, _ = parse_name(names[normalised_midi % 12])
    out = transpose_pitch(step, alter, normalised_midi // 12 - 1, _interval_from_c(sharps, shift))
    if abs(out[1]) > 1:  # a readable name beats a double sharp/flat (music21 simplifyEnharmonic)
        out = spell_ps(pitch_ps(*out))
    return name_of(*out)
