"""Pitch, interval and key arithmetic for editing MusicXML trees directly.

Everything here reproduces music21 10.5's own rules (``Interval.transposePitch``,
``KeySignature.transpose``, ``Key.transpose``, ``Pitch.ps``) in plain integer arithmetic,
so a score transposed on its XML tree has the same pitches *and spellings* as
``score.transpose(interval)`` in music21, without music21's 1-2 s import or its
parse/write cost. The tests check the equivalence pitch by pitch against music21.

A pitch is ``(step, alter, octave)`` with ``step`` one of ``CDEFGAB`` and ``alter`` a
float (MusicXML ``<alter>``: 1 = sharp, -0.5 = quarter-tone flat).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..errors import UsageError

STEPS = "CDEFGAB"
STEP_INDEX = {s: i for i, s in enumerate(STEPS)}
NATURAL_SEMITONES = (0, 2, 4, 5, 7, 9, 11)
#: position of each natural on the line of fifths (C = 0, G = 1, F = -1 ...)
STEP_FIFTHS = {"F": -1, "C": 0, "G": 1, "D": 2, "A": 3, "E": 4, "B": 5}
SHARP_ORDER = "FCGDAEB"
FLAT_ORDER = "BEADGCF"

#: music21's ``key.modeSharpsAlter``
MODE_SHARPS = {
    "major": 0, "ionian": 0, "minor": -3, "aeolian": -3, "dorian": -2,
    "phrygian": -4, "lydian": 1, "mixolydian": -1, "locrian": -5,
}

#: music21 ``Pitch.ps`` spelling of each pitch class (``_convertPsToStep``)
PC_SPELLING = (
    ("C", 0), ("C", 1), ("D", 0), ("E", -1), ("E", 0), ("F", 0),
    ("F", 1), ("G", 0), ("G", 1), ("A", 0), ("B", -1), ("B", 0),
)

#: MusicXML <accidental> value for an alteration
ACCIDENTAL_NAMES = {
    0.0: "natural", 1.0: "sharp", -1.0: "flat", 2.0: "double-sharp", -2.0: "flat-flat",
    3.0: "triple-sharp", -3.0: "triple-flat", 0.5: "quarter-sharp", -0.5: "quarter-flat",
    1.5: "three-quarters-sharp", -1.5: "three-quarters-flat",
}
#: the alteration a MusicXML <accidental> value shows (None: not a plain alteration)
ACCIDENTAL_ALTERS = {v: k for k, v in ACCIDENTAL_NAMES.items()}
ACCIDENTAL_ALTERS.update({"sharp-sharp": 2.0, "natural-sharp": 1.0, "natural-flat": -1.0,
                          "double-flat": -2.0})

MAX_ACCIDENTAL = 4  # music21's default ``maxAccidental`` in Interval.transposePitch


def natural_ps(step: str, octave: int) -> int:
    """MIDI-style pitch space number of the natural (C4 = 60)."""
    return (octave + 1) * 12 + NATURAL_SEMITONES[STEP_INDEX[step]]


def pitch_ps(step: str, alter: float, octave: int) -> float:
    return natural_ps(step, octave) + alter


def spell_ps(ps: float) -> tuple[str, float, int]:
    """music21's default spelling of a pitch-space number (what ``Pitch.ps = x`` gives).

    Integers and quarter tones follow ``pitch._convertPsToStep``; other microtones fall
    back to music21 itself (rare, and exactness matters more than speed there).
    """
    if ps == int(ps):
        ps_i = int(ps)
        step, alter = PC_SPELLING[ps_i % 12]
        octave = ps_i // 12 - 1
        return step, float(alter), octave
    return _music21_spell(ps)


def _music21_spell(ps: float) -> tuple[str, float, int]:
    from music21 import pitch as m21pitch

    p = m21pitch.Pitch()
    p.ps = ps
    return p.step, float(p.alter), int(p.octave)


@dataclass(frozen=True)
class Interval:
    """A transposition: a staff distance (lines and spaces moved) and a size in semitones.

    ``chromatic`` intervals (given in semitones) respell every result the way music21's
    ``ChromaticInterval`` does (C, C#, D, E-, E, F, F#, G, G#, A, B-, B).
    """

    staff: int
    semitones: float
    chromatic: bool = False
    text: str = ""

    def __str__(self) -> str:
        return self.text or (f"{self.semitones:+g} semitones" if self.chromatic else f"{self.staff:+d}/{self.semitones:+g}")

    @property
    def music21_spec(self) -> str | int:
        """The value to hand to music21's ``score.transpose`` for the same transposition."""
        if self.chromatic:
            return int(self.semitones) if self.semitones == int(self.semitones) else self.semitones
        return interval_name(self.staff, self.semitones, signed_for_music21=True)

    def transpose(self, step: str, alter: float, octave: int) -> tuple[str, float, int]:
        return transpose_pitch(step, alter, octave, self)


_INTERVAL_RE = re.compile(r"^\s*([+-]?)\s*(P|M|m|A+|d+)\s*(\d+)\s*$")
_SEMITONES_RE = re.compile(r"^\s*([+-]?\d+)\s*(st|semitones?)?\s*$", re.IGNORECASE)


def parse_interval(spec: str | int) -> Interval:
    """Parse ``+M2``, ``-m3``, ``P5``, ``A4``, ``-P8`` or a semitone count (``+2``, ``-3``, ``7``).

    Raises UsageError with a one-line message on anything else.
    """
    if isinstance(spec, bool):
        raise UsageError(f"bad interval {spec!r}")
    if isinstance(spec, int):
        return Interval(0, float(spec), chromatic=True, text=f"{spec:+d} semitones")
    text = str(spec).strip()
    m = _SEMITONES_RE.match(text)
    if m:
        n = int(m.group(1))
        return Interval(0, float(n), chromatic=True, text=f"{n:+d} semitones")
    m = _INTERVAL_RE.match(text)
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
    if number == 1 and sign == -1:
        semis_signed = -semis
    else:
        semis_signed = sign * semis
    label = f"{'-' if sign < 0 else '+'}{quality}{number}"
    return Interval(staff, float(semis_signed), chromatic=False, text=label)


def interval_name(staff: int, semitones: float, signed_for_music21: bool = False) -> str:
    """Name of a diatonic interval; with ``signed_for_music21`` the form music21 parses
    (``M-2`` for a descending major second)."""
    number = abs(staff) + 1
    simple = (number - 1) % 7
    octaves = (number - 1) // 7
    base = NATURAL_SEMITONES[simple] + 12 * octaves
    size = abs(semitones) if staff != 0 else semitones
    sign = -1 if (staff < 0 or (staff == 0 and semitones < 0)) else 1
    size = abs(semitones)
    adj = int(round(size - base))
    perfectable = simple in (0, 3, 4)
    if perfectable:
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


# --------------------------------------------------------------------------- keys


def fifths_of(step: str, alter: float) -> int:
    """Sharps (flats negative) of the major key on this tonic (music21 ``pitchToSharps``)."""
    return STEP_FIFTHS[step] + 7 * int(alter)


def major_tonic(fifths: int) -> tuple[str, float]:
    """The tonic of the major key with these sharps (music21 ``sharpsToPitch``)."""
    # walk the line of fifths: natural positions -1..5 are F..B
    base = fifths + 1  # F = 0
    alter, pos = divmod(base, 7)
    step = "FCGDAEB"[pos]
    return step, float(alter)


def transpose_fifths(fifths: int, iv: Interval) -> int:
    """New ``<fifths>`` of a key signature after transposition, exactly as music21 does it:
    the signature's *major* tonic is transposed (for Key objects too) and re-counted."""
    step, alter = major_tonic(fifths)
    new_step, new_alter, _ = transpose_pitch(step, alter, 4, iv)
    if new_alter != int(new_alter):  # a microtonal tonic: music21 would fail too
        raise UsageError(f"transposing the key signature of {fifths} fifths by {iv} gives no key")
    return fifths_of(new_step, new_alter)


def key_alters(fifths: int) -> dict[str, float]:
    """Step -> alteration implied by a traditional key signature (beyond 7 they double)."""
    out = {s: 0.0 for s in STEPS}
    order = SHARP_ORDER if fifths >= 0 else FLAT_ORDER
    sign = 1.0 if fifths >= 0 else -1.0
    for i in range(abs(fifths)):
        out[order[i % 7]] += sign
    return out


_KEY_RE = re.compile(
    r"^\s*([A-Ga-g])\s*(#{1,2}|b{1,2}|-{1,2}|s|is|es|x)?\s*"
    r"(m|min|minor|maj|major|M|dorian|phrygian|lydian|mixolydian|aeolian|ionian|locrian)?\s*$"
)


@dataclass(frozen=True)
class KeySpec:
    tonic_step: str
    tonic_alter: float
    mode: str  # "major", "minor", or a church mode
    explicit_mode: bool  # False when the case alone decided it

    @property
    def fifths(self) -> int:
        return fifths_of(self.tonic_step, self.tonic_alter) + MODE_SHARPS[self.mode]

    def __str__(self) -> str:
        acc = {1.0: "#", 2.0: "##", -1.0: "b", -2.0: "bb"}.get(self.tonic_alter, "")
        tonic = self.tonic_step + acc
        return f"{tonic} {self.mode}"


def parse_key(spec: str) -> KeySpec:
    """``Eb`` (E-flat major), ``f#`` (F-sharp minor), ``Bb minor``, ``D dorian``, ``c#m``."""
    m = _KEY_RE.match(str(spec))
    if not m:
        raise UsageError(
            f"bad key '{spec}' (use a tonic like C, Eb, F#, with lower case for minor: f#, bb; "
            "or add a mode: 'Bb minor', 'D dorian')"
        )
    letter, acc, mode = m.group(1), m.group(2) or "", m.group(3)
    alter = {"": 0, "#": 1, "##": 2, "s": 1, "is": 1, "x": 2, "b": -1, "bb": -2, "-": -1,
             "--": -2, "es": -1}[acc]
    explicit = mode is not None
    if mode is None:
        mode = "minor" if letter.islower() else "major"
    else:
        mode = {"m": "minor", "min": "minor", "maj": "major", "M": "major"}.get(mode, mode)
    return KeySpec(letter.upper(), float(alter), mode, explicit)


def tonic_of(fifths: int, mode: str | None) -> tuple[str, float]:
    """Tonic of a key signature in a mode (major when the mode is unknown)."""
    shift = MODE_SHARPS.get(mode or "major", 0)
    return major_tonic(fifths - shift)


def interval_between(src: tuple[str, float], dst: tuple[str, float], direction: str = "nearest") -> Interval:
    """The transposition taking tonic ``src`` to tonic ``dst``: the nearest one (ties go up),
    or strictly ``up``/``down`` (within an octave; a unison stays a unison)."""
    s_step, s_alter = src
    d_step, d_alter = dst
    s_ps = pitch_ps(s_step, s_alter, 4)
    best = None
    for octave in (3, 4, 5):
        ps = pitch_ps(d_step, d_alter, octave)
        diff = ps - s_ps
        staff = (octave * 7 + STEP_INDEX[d_step]) - (4 * 7 + STEP_INDEX[s_step])
        if direction == "up" and not (diff > 0 or (diff == 0 and staff >= 0)) or diff > 12:
            continue
        if direction == "down" and not (diff < 0 or (diff == 0 and staff <= 0)) or diff < -12:
            continue
        key = (abs(diff), -diff, abs(staff))
        if best is None or key < best[0]:
            best = (key, staff, diff)
    if best is None:  # pragma: no cover - the three octaves always cover one candidate
        raise UsageError(f"cannot find an interval from {src} to {dst}")
    _, staff, diff = best
    return Interval(staff, float(diff), chromatic=False, text=interval_name(staff, diff))


def accidental_name(alter: float) -> str | None:
    return ACCIDENTAL_NAMES.get(float(alter))


def fmt_alter(alter: float) -> str:
    """``<alter>`` text: integers without a decimal point, as most writers do."""
    if alter == int(alter):
        return str(int(alter))
    return repr(float(alter))


def is_integral(x: float) -> bool:
    return math.isfinite(x) and x == int(x)
