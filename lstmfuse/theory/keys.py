"""Keys: the one key grammar, key signatures, the alterations they imply, scales.

The grammar (every ``--key`` option, recipes, the Python API) follows music21: a tonic
letter, an optional accidental, an optional mode; **a lower-case tonic alone means minor**
(``c`` is C minor, ``C`` is C major, ``f#`` is F-sharp minor, ``Eb`` is E-flat major); a
mode word wins over the case (``c major``, ``Am``, ``f#m``, ``Bb minor``, ``D dorian``).
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

from ..errors import UsageError
from .pitches import NATURAL_SEMITONES, STEPS, Interval, fifths_of, from_fifths, transpose_pitch

SHARP_ORDER = "FCGDAEB"
FLAT_ORDER = "BEADGCF"

#: sharps a mode adds to its major key's signature (music21's ``key.modeSharpsAlter``)
MODE_SHARPS = {
    "major": 0, "ionian": 0, "minor": -3, "aeolian": -3, "dorian": -2,
    "phrygian": -4, "lydian": 1, "mixolydian": -1, "locrian": -5,
}
MAJOR_SCALE = NATURAL_SEMITONES
NATURAL_MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)

#: what ``--help`` says about the grammar, word for word in every command that takes a key
KEY_GRAMMAR_HELP = "lower case = minor, as in music21: C, Eb, F# major; c, eb, f# minor; or a mode word: Am, 'Bb minor', 'D dorian'"
#: the same grammar where only major and minor keys can be written (generation from nothing)
MAJOR_MINOR_KEY_HELP = "major or minor; lower case = minor, as in music21: C, Eb, F# major; c, eb, f# minor; or Am, 'Bb minor'"


def key_alters(fifths: int) -> dict[str, float]:
    """Step -> alteration implied by a traditional key signature (beyond 7 they double)."""
    out = {s: 0.0 for s in STEPS}
    order = SHARP_ORDER if fifths >= 0 else FLAT_ORDER
    sign = 1.0 if fifths >= 0 else -1.0
    for i in range(abs(fifths)):
        out[order[i % 7]] += sign
    return out


def transpose_fifths(fifths: int, iv: Interval) -> int:
    """A key signature after transposition, exactly as music21 does it: the signature's
    *major* tonic is transposed (for Key objects too) and re-counted."""
    step, alter = from_fifths(fifths)
    new_step, new_alter, _ = transpose_pitch(step, alter, 4, iv)
    if new_alter != int(new_alter):  # a microtonal tonic: music21 would fail too
        raise UsageError(f"transposing the key signature of {fifths} fifths by {iv} gives no key")
    return fifths_of(new_step, new_alter)


def tonic_of(fifths: int, mode: str | None) -> tuple[str, float]:
    """Tonic of a key signature in a mode (major when the mode is unknown)."""
    return from_fifths(fifths - MODE_SHARPS.get(mode or "major", 0))


def tonic_pc(fifths: int, mode: str | None = None) -> int:
    """Pitch class (C = 0) of the tonic of a signature in a mode (major when unknown)."""
    return (7 * (fifths - MODE_SHARPS.get(mode or "major", 0))) % 12


def scale_pitch_classes(fifths: int, mode: str | None = None, *, leading_note: bool = False) -> frozenset[int]:
    """Pitch classes of the scale a signature writes (the same seven for every mode of it).

    ``leading_note``: in minor, add the raised seventh, since harmonic-minor cadences are
    idiomatic and should not count as out of key."""
    major_tonic = (7 * fifths) % 12
    pcs = {(major_tonic + s) % 12 for s in MAJOR_SCALE}
    if leading_note and mode in ("minor", "aeolian"):
        pcs.add((tonic_pc(fifths, mode) + 11) % 12)
    return frozenset(pcs)


#: a signature is said not to describe its notes when more than this share lies outside its
#: scale...
OUT_OF_KEY_LIMIT = 0.15
#: ...and another signature at least halves that share
MIN_IMPROVEMENT = 0.5


def out_of_key_share(pitches: list[int], fifths: int) -> float:
    """The share of ``pitches`` (MIDI numbers) outside the scale the signature writes."""
    scale = scale_pitch_classes(fifths)
    return sum(p % 12 not in scale for p in pitches) / len(pitches) if pitches else 0.0


def fitting_signature(pitches: list[int], written: int, limit: float = OUT_OF_KEY_LIMIT) -> int | None:
    """The signature whose scale holds ``pitches``, where the ``written`` one does not; else None.

    Essen's files name the tonic and write every other accidental out (a G-minor song with one
    sharp and explicit B-flats), and a score whose writer never set a signature shows none over a
    tune in D. The best of the 13 signatures from 6 flats to 6 sharps by notes in its scale, among
    equals the nearest the written one on the circle of fifths; only when the written one leaves
    more than ``limit`` of the notes out and the best at least halves that share."""
    share = out_of_key_share(pitches, written)
    if share <= limit:
        return None
    best = min(range(-6, 7), key=lambda s: (out_of_key_share(pitches, s), abs(s - written)))
    return None if out_of_key_share(pitches, best) > share * MIN_IMPROVEMENT else best


def tonic_text(step: str, alter: float) -> str:
    """A tonic as people write it: ``Eb``, ``F#``, ``C``."""
    return step + {1.0: "#", 2.0: "##", -1.0: "b", -2.0: "bb"}.get(alter, "")


class Key(NamedTuple):
    """A key: tonic and mode (``major``, ``minor`` or a church mode); an immutable value
    (a NamedTuple: cheaper to build than a dataclass when the command line starts)."""

    tonic_step: str
    tonic_alter: float
    mode: str
    explicit_mode: bool = True  # False when the tonic's case alone decided the mode

    @classmethod
    def from_signature(cls, fifths: int, mode: str | None = None) -> "Key":
        step, alter = tonic_of(fifths, mode)
        return cls(step, alter, mode if mode in MODE_SHARPS else "major")

    @property
    def fifths(self) -> int:
        """The key signature: sharps, flats negative."""
        return fifths_of(self.tonic_step, self.tonic_alter) + MODE_SHARPS[self.mode]

    @property
    def tonic(self) -> str:
        return tonic_text(self.tonic_step, self.tonic_alter)

    @property
    def major_or_minor(self) -> str | None:
        """``major`` (also for ionian), ``minor`` (also aeolian), None for other modes."""
        return {"major": "major", "ionian": "major", "minor": "minor", "aeolian": "minor"}.get(self.mode)

    def __str__(self) -> str:
        return f"{self.tonic} {self.mode}"


@functools.cache
def _key_pattern() -> re.Pattern:
    """Compiled on first use: importing theory (the bridge, ``lstmfuse --help``) needs no pattern."""
    return re.compile(
        r"^\s*([A-Ga-g])\s*(#{1,2}|b{1,2}|-{1,2}|s|is|es|x)?\s*"
        r"(m|M|(?i:min|minor|maj|major|dorian|phrygian|lydian|mixolydian|aeolian|ionian|locrian))?\s*$"
    )


_ACCIDENTALS = {"": 0, "#": 1, "##": 2, "s": 1, "is": 1, "x": 2, "b": -1, "bb": -2, "-": -1, "--": -2, "es": -1}


def parse_key(spec: str) -> Key:
    """``Eb`` (E-flat major), ``f#`` (F-sharp minor), ``c`` (C minor), ``Bb minor``, ``D dorian``, ``c#m``."""
    m = _key_pattern().match(str(spec))
    if not m:
        raise UsageError(f"bad key '{spec}' ({KEY_GRAMMAR_HELP})")
    letter, acc, mode = m.group(1), m.group(2) or "", m.group(3)
    explicit = mode is not None
    if mode is None:
        mode = "minor" if letter.islower() else "major"
    else:
        mode = {"m": "minor", "min": "minor", "maj": "major", "M": "major"}.get(mode, mode.lower())
        mode = {"min": "minor", "maj": "major"}.get(mode, mode)
    return Key(letter.upper(), float(_ACCIDENTALS[acc]), mode, explicit)


def major_or_minor_key(key: str | Key) -> Key:
    """A key to generate in (``parse_key``'s grammar: ``c`` is C minor): a new melody's
    (``fuse --key``) or a passage's (``continue --key``). Generation writes major and minor
    keys, so a church mode is refused in one line."""
    if not isinstance(key, (str, Key)):
        raise UsageError(f"key must be text such as 'G', 'e' or 'Bb minor', or a lstmfuse.Key (got {key!r})")
    k = parse_key(key) if isinstance(key, str) else key
    if k.major_or_minor is None:
        raise UsageError(f"key '{key}': lstmfuse writes major or minor keys, not {k.mode} (e.g. {k.tonic} or {k.tonic.lower()} minor)")
    chosen = Key(k.tonic_step, k.tonic_alter, k.major_or_minor)
    if abs(chosen.fifths) > 7:  # G# major: 8 sharps, F## among them; no signature writes it
        from music21 import pitch

        other = pitch.Pitch(chosen.tonic).getEnharmonic().name.replace("-", "b")
        raise UsageError(f"key '{key}': {chosen.tonic} {chosen.mode} needs {abs(chosen.fifths)} "
                         f"{'sharps' if chosen.fifths > 0 else 'flats'} (a signature has at most 7): "
                         f"write it as {other if chosen.mode == 'major' else other.lower()} ({other} {chosen.mode})")
    return chosen
