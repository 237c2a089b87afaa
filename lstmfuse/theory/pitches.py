"""Spelled pitches: steps, alterations, names, MuseScore tonal pitch classes, intervals.

A spelled pitch is ``(step, alter, octave)``: ``step`` one of ``CDEFGAB``, ``alter`` a float
(1 = sharp, -1 = flat, -0.5 = quarter-tone flat, as MusicXML's ``<alter>``). Intervals and
transposition reproduce music21 10.5's own rules (``Interval.transposePitch`` with
``maxAccidental=4``, ``Pitch.ps``) in integer arithmetic, so code that must not pay music21's
1-2 s import (the bridge, batch edits on the XML tree, spelling generated notes) gets the
same spellings; tests/test_batch_transpose.py checks that pitch by pitch against music21.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

from ..errors import UsageError

STEPS = "CDEFGAB"
STEP_INDEX = {s: i for i, s in enumerate(STEPS)}
#: semitones above C of each natural (also the major scale)
NATURAL_SEMITONES = (0, 2, 4, 5, 7, 9, 11)
#: the naturals in line-of-fifths order (F = -1, C = 0, G = 1 ... B = 5)
FIFTHS_ORDER = "FCGDAEB"
STEP_FIFTHS = {s: i - 1 for i, s in enumerate(FIFTHS_ORDER)}
#: MuseScore's tonal pitch class of C (tpc = line-of-fifths position + 14)
TPC_OF_C = 14

#: music21 ``Pitch.ps`` spelling of each pitch class (``_convertPsToStep``)
PC_SPELLING = (
    ("C", 0), ("C", 1), ("D", 0), ("E", -1), ("E", 0), ("F", 0),
    ("F", 1), ("G", 0), ("G", 1), ("A", 0), ("B", -1), ("B", 0),
)

MAX_ACCIDENTAL = 4  # music21's default ``maxAccidental`` in Interval.transposePitch


# --------------------------------------------------------------------------- the line of fifths


def fifths_of(step: str, alter: float) -> int:
    """Position on the line of fifths (C = 0, G = 1, F = -1, F# = 6, Bb = -2); also the
    sharps (flats negative) of the major key on this tonic (music21 ``pitchToSharps``)."""
    return STEP_FIFTHS[step] + 7 * int(alter)


def from_fifths(fifths: int) -> tuple[str, float]:
    """The spelled pitch class at a position on the line of fifths (music21 ``sharpsToPitch``)."""
    alter, pos = divmod(fifths + 1, 7)  # F = 0
    return FIFTHS_ORDER[pos], float(alter)


def tpc_of(step: str, alter: float) -> int:
    """MuseScore's tonal pitch class (14 = C, 15 = G, 13 = F, 20 = F#, 12 = Bb)."""
    return fifths_of(step, alter) + TPC_OF_C


# --------------------------------------------------------------------------- names and pitch space


_ACCIDENTAL_TEXT = {"": 0, "#": 1, "##": 2, "###": 3, "-": -1, "--": -2, "---": -3, "b": -1, "bb": -2, "bbb": -3}


def parse_name(text: str) -> tuple[str, float, int | None]:
    """``'B-4'``, ``'Bb4'``, ``'F#5'``, ``'C'`` -> (step, alter, octave or None).

    Read by hand, not by a regular expression: the bridge spells every answer's notes with
    it, and compiling patterns at import would be most of what importing this module costs.
    (As in music21's names, ``'C-1'`` reads as C-flat 1.)"""
    s = str(text).strip()
    step, rest = s[:1].upper(), s[1:]
    body = rest.rstrip("0123456789")
    octave = rest[len(body):]
    if step not in STEP_INDEX or body not in _ACCIDENTAL_TEXT:
        raise UsageError(f"not a pitch: '{text}' (use a name like C4, F#5, Bb3 or B-3)")
    return step, float(_ACCIDENTAL_TEXT[body]), int(octave) if octave else None


def name_of(step: str, alter: float, octave: int | None = None) -> str:
    """music21's name (``'B-4'``, ``'F#5'``, ``'E--3'``) of an integral spelled pitch."""
    a = int(alter)
    acc = "#" * a if a > 0 else "-" * (-a)
    return f"{step}{acc}{'' if octave is None else octave}"


def natural_ps(step: str, octave: int) -> int:
    """MIDI-style pitch space number of the natural (C4 = 60)."""
    return (octave + 1) * 12 + NATURAL_SEMITONES[STEP_INDEX[step]]


def pitch_ps(step: str, alter: float, octave: int) -> float:
    return natural_ps(step, octave) + alter


def name_to_midi(name: str) -> int:
    """``'Bb3'`` / ``'B-3'`` / ``'F#5'`` -> MIDI number; no octave means octave 4 (as music21)."""
    step, alter, octave = parse_name(name)
    return int(pitch_ps(step, alter, 4 if octave is None else octave))


def tpc_to_name(tpc: int, midi: int) -> str:
    """MuseScore tonal pitch class + MIDI pitch -> music21 name with octave (``'B-4'``)."""
    step, alter = from_fifths(tpc - TPC_OF_C)
    octave = (midi - int(alter)) // 12 - 1
    return name_of(step, alter, octave)


def name_to_tpc(name: str) -> int:
    """``'B-4'`` / ``'F#5'`` / ``'Bb3'`` -> MuseScore tonal pitch class."""
    step, alter, _ = parse_name(name)
    return tpc_of(step, alter)


def spell_ps(ps: float) -> tuple[str, float, int]:
    """music21's default spelling of a pitch-space number (what ``Pitch.ps = x`` gives).

    Integers follow ``pitch._convertPsToStep``; microtones fall back to music21 itself
    (rare, and exactness matters more than speed there).
    """
    if ps == int(ps):
        ps_i = int(ps)
        step, alter = PC_SPELLING[ps_i % 12]
        return step, float(alter), ps_i // 12 - 1
    from music21 import pitch as m21pitch

    p = m21pitch.Pitch()
    p.ps = ps
    return p.step, float(p.alter), int(p.octave)


# --------------------------------------------------------------------------- intervals


class Interval(NamedTuple):
    """A transposition: a staff distance (lines and spaces moved) and a size in semitones.

    ``chromatic`` intervals (given in semitones) respell every result the way music21's
    ``ChromaticInterval`` does (C, C#, D, E-, E, F, F#, G, G#, A, B-, B). (A NamedTuple, not
    a dataclass: it is built when ``lstmfuse --help`` starts, where a dataclass costs a ms.)
    """

    staff: int
    semitones: float
    chromatic: bool = False
    text: str = ""

    def __str__(self) -> str:
        return self.text or (f"{self.semitones:+g} semitones" if self.chromatic else f"{self.staff:+d}/{self.semitones:+g}")

    @property
    def music21_spec(self) -> str | int | float:
        """The value to hand to music21's ``score.transpose`` for the same transposition."""
        if self.chromatic:
            return int(self.semitones) if self.semitones == int(self.semitones) else self.semitones
        return interval_name(self.staff, self.semitones, signed_for_music21=True)

    def transpose(self, step: str, alter: float, octave: int) -> tuple[str, float, int]:
        return transpose_pitch(step, alter, octave, self)


@functools.cache
def _interval_patterns() -> tuple[re.Pattern, re.Pattern]:
    """(quality-and-number, semitones) patterns, compiled on first use, not at import."""
    return (re.compile(r"^\s*([+-]?)\s*(P|M|m|A+|d+)\s*(\d+)\s*$"),
            re.compile(r"^\s*([+-]?\d+)\s*(st|semitones?)?\s*$", re.IGNORECASE))


def parse_interval(spec: str | int) -> Interval:
    """Parse ``+M2``, ``-m3``, ``P5``, ``A4``, ``-P8`` or a semitone count (``+2``, ``-3``, ``7``).

    Raises UsageError with a one-line message on anything else.
    """
    if isinstance(spec, bool):
        raise UsageError(f"bad interval {spec!r}")
    if isinstance(spec, int):
        return Interval(0, float(spec), chromatic=True, text=f"{spec:+d} semitones")
    text = str(spec).strip()
    interval_re, semitones_re = _interval_patterns()
    m = semitones_re.match(text)
    if m:
        n = int(m.group(1))
        return Interval(0, float(n), chromatic=True, text=f"{n:+d} semitones")
    m = interval_re.match(text)
    if not m:
        raise UsageError(
            f"bad interval '{spec}' (use a quality and number like +M2, -m3, P5, A4, -P8, "
            "or semitones like +2, -3)"
        )
    sign = -1 if m.group(1) == "-" else 1
    quality, number = m.group(2), int(m.group(3))
    if number < 1:
        raise UsageError(f"bad interval '{spec}': the number must be 1 or more")
    simple = (number - 1) % 7
    octaves = (number - 1) // 7
    perfectable = simple in (0, 3, 4)
    base = NATURAL_SEMITONES[simple] + 12 * octaves
    if quality == "P":
        if not perfectable:
            raise UsageError(f"bad interval '{spec}': a {number} is major or minor, not perfect")
        adj = 0
    elif quality == "M":
        if perfectable:
            raise UsageError(f"bad interval '{spec}': a {number} is perfect, not major")
        adj = 0
    elif quality == "m":
        if perfectable:
            raise UsageError(f"bad interval '{spec}': a {number} is perfect, not minor")
        adj = -1
    elif quality[0] == "A":
        adj = len(quality)
    else:  # diminished
        adj = -len(quality) - (0 if perfectable else 1)
    semis = base + adj
    if number == 1 and semis < 0:
        raise UsageError(f"bad interval '{spec}': a diminished unison is not an interval")
    staff = sign * (number - 1)
    semis_signed = -semis if number == 1 and sign == -1 else sign * semis
    label = f"{'-' if sign < 0 else '+'}{quality}{number}"
    return Interval(staff, float(semis_signed), chromatic=False, text=label)


def interval_name(staff: int, semitones: float, signed_for_music21: bool = False) -> str:
    """Name of a diatonic interval; with ``signed_for_music21`` the form music21 parses
    (``M-2`` for a descending major second)."""
    number = abs(staff) + 1
    simple = (number - 1) % 7
    octaves = (number - 1) // 7
    base = NATURAL_SEMITONES[simple] + 12 * octaves
    sign = -1 if (staff < 0 or (staff == 0 and semitones < 0)) else 1
    adj = int(round(abs(semitones) - base))
    if simple in (0, 3, 4):  # perfect intervals
        quality = "P" if adj == 0 else ("A" * adj if adj > 0 else "d" * -adj)
    else:
        quality = {0: "M", -1: "m"}.get(adj) or ("A" * adj if adj > 0 else "d" * (-adj - 1))
    if signed_for_music21:
        return f"{quality}{'-' if sign < 0 else ''}{number}"
    return f"{'-' if sign < 0 else '+'}{quality}{number}"


def transpose_pitch(step: str, alter: float, octave: int, iv: Interval) -> tuple[str, float, int]:
    """music21's ``Interval.transposePitch`` (maxAccidental=4) on a plain pitch."""
    if iv.chromatic:
        return spell_ps(pitch_ps(step, alter, octave) + iv.semitones)
    dnn = octave * 7 + STEP_INDEX[step] + iv.staff
    new_octave, idx = divmod(dnn, 7)
    new_step = STEPS[idx]
    fix = iv.semitones - (natural_ps(new_step, new_octave) - pitch_ps(step, alter, octave))
    if fix != 0:
        while fix >= 12:
            fix -= 12
            new_octave -= 1
        if abs(fix) > MAX_ACCIDENTAL:
            return spell_ps(natural_ps(new_step, new_octave) + fix)
        return new_step, float(fix), new_octave
    return new_step, 0.0, new_octave


def interval_from_to(src: tuple[str, float, int], dst: tuple[str, float, int]) -> Interval:
    """The diatonic interval from one spelled pitch to another (music21 ``Interval(p, q)``)."""
    staff = (dst[2] * 7 + STEP_INDEX[dst[0]]) - (src[2] * 7 + STEP_INDEX[src[0]])
    semis = pitch_ps(*dst) - pitch_ps(*src)
    return Interval(staff, float(semis), chromatic=False, text=interval_name(staff, semis))


def interval_between(src: tuple[str, float], dst: tuple[str, float], direction: str = "nearest") -> Interval:
    """The transposition taking tonic ``src`` to tonic ``dst``: the nearest one (ties go up),
    or strictly ``up``/``down`` (within an octave; a unison stays a unison)."""
    s_step, s_alter = src
    d_step, d_alter = dst
    s_ps = pitch_ps(s_step, s_alter, 4)
    best = None
    for octave in (3, 4, 5):
        diff = pitch_ps(d_step, d_alter, octave) - s_ps
        staff = (octave * 7 + STEP_INDEX[d_step]) - (4 * 7 + STEP_INDEX[s_step])
        if direction == "up" and not (diff > 0 or (diff == 0 and staff >= 0)) or diff > 12:
            continue
        if direction == "down" and not (diff < 0 or (diff == 0 and staff <= 0)) or diff < -12:
            continue
        rank = (abs(diff), -diff, abs(staff))
        if best is None or rank < best[0]:
            best = (rank, staff, diff)
    if best is None:  # pragma: no cover - the three octaves always cover one candidate
        raise UsageError(f"cannot find an interval from {src} to {dst}")
    _, staff, diff = best
    return Interval(staff, float(diff), chromatic=False, text=interval_name(staff, diff))
