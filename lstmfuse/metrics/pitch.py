"""Pitch metrics of one melody (Yang & Lerch 2020; MusPy's definitions where it has one).

All functions take a :class:`~lstmfuse.encoding.events.Melody`, count notes (not durations:
every note weighs one, as in MusPy) and skip rests. Where a value is undefined (no notes,
no interval) they return ``nan`` rather than a made-up number; histograms of such melodies
are all zeros.
"""

from __future__ import annotations

import math

import numpy as np

from ..encoding.events import Melody
from ..theory import MAJOR_SCALE, NATURAL_MINOR_SCALE, scale_pitch_classes

__all__ = [
    "INTERVAL_CLIP",
    "MAJOR",
    "NATURAL_MINOR",
    "interval_counts",
    "interval_histogram",
    "in_key_ratio",
    "key_pitch_classes",
    "n_distinct_pitches",
    "pitch_class_counts",
    "pitch_class_entropy",
    "pitch_class_histogram",
    "pitch_range",
    "pitches",
    "rest_ratio",
    "scale_consistency",
]

MAJOR = MAJOR_SCALE
NATURAL_MINOR = NATURAL_MINOR_SCALE
INTERVAL_CLIP = 12  # interval histogram bins: -12..+12 semitones, larger leaps clipped

_SCALES = np.zeros((24, 12), dtype=bool)  # rows: 12 major then 12 natural-minor scales
for _t in range(12):
    _SCALES[_t, [(_t + s) % 12 for s in MAJOR]] = True
    _SCALES[12 + _t, [(_t + s) % 12 for s in NATURAL_MINOR]] = True


def pitches(melody: Melody) -> np.ndarray:
    """MIDI numbers of the notes in order (rests skipped)."""
    return np.fromiter((e.pitch for e in melody.events if e.pitch is not None), dtype=np.int64)


def _normalise(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    return counts / total if total > 0 else counts.astype(np.float64)


def pitch_class_counts(melody: Melody) -> np.ndarray:
    """Notes per pitch class C..B (12 ints); pool these to build a corpus histogram."""
    return np.bincount(pitches(melody) % 12, minlength=12)


def pitch_class_histogram(melody: Melody) -> np.ndarray:
    """Share of notes per pitch class (sums to 1; zeros for a melody without notes)."""
    return _normalise(pitch_class_counts(melody))


def pitch_class_entropy(melody: Melody) -> float:
    """Shannon entropy (bits) of the pitch-class histogram: 0 for one pitch, log2(12) for all
    twelve equally often. Lower means a more tonal, less wandering line."""
    h = pitch_class_histogram(melody)
    if h.sum() == 0:
        return math.nan
    nz = h[h > 0]
    return float(-(nz * np.log2(nz)).sum())


def scale_consistency(melody: Melody) -> float:
    """Largest share of notes that fit one of the 24 major / natural-minor scales (MusPy).

    Independent of the notated key, so it also rates melodies that modulate or were
    generated without a key signature.
    """
    counts = pitch_class_counts(melody)
    total = counts.sum()
    if total == 0:
        return math.nan
    return float((_SCALES @ counts).max() / total)


def key_pitch_classes(sharps: int, mode: str | None) -> frozenset[int]:
    """Pitch classes of the key a melody is notated in.

    Major (and mode None, i.e. only a key signature): the major scale of the signature.
    Minor: the natural minor scale of the signature plus the raised seventh (leading note),
    since harmonic-minor cadences are idiomatic and should not count as out of key.
    """
    return scale_pitch_classes(sharps, mode, leading_note=mode == "minor")


def in_key_ratio(melody: Melody) -> float:
    """Share of notes whose pitch class belongs to the melody's own key (``sharps``/``mode``)."""
    p = pitches(melody)
    if len(p) == 0:
        return math.nan
    scale = np.zeros(12, dtype=bool)
    scale[list(key_pitch_classes(melody.sharps, melody.mode))] = True
    return float(scale[p % 12].mean())


def pitch_range(melody: Melody) -> float:
    """Highest minus lowest pitch in semitones (nan without notes)."""
    p = pitches(melody)
    return float(p.max() - p.min()) if len(p) else math.nan


def n_distinct_pitches(melody: Melody) -> int:
    """Number of different MIDI pitches used (MusPy's n_pitches_used)."""
    return int(len(np.unique(pitches(melody))))


def rest_ratio(melody: Melody) -> float:
    """Share of the melody's duration (not of its events) spent in rests."""
    total = rests = 0.0
    for e in melody.events:  # float sums: Fraction additions cost ~1 us each
        d = e.duration.numerator / e.duration.denominator
        total += d
        if e.pitch is None:
            rests += d
    return rests / total if total > 0 else math.nan


def interval_counts(melody: Melody) -> np.ndarray:
    """Counts of signed intervals between consecutive notes, clipped to +-12, as 25 bins
    (index 0 = -12 or lower, 12 = unison, 24 = +12 or higher). Rests are skipped: the leap
    from the note before a rest to the note after it counts, as a listener hears it."""
    d = np.clip(np.diff(pitches(melody)), -INTERVAL_CLIP, INTERVAL_CLIP)
    return np.bincount(d + INTERVAL_CLIP, minlength=2 * INTERVAL_CLIP + 1)


def interval_histogram(melody: Melody) -> np.ndarray:
    """:func:`interval_counts` normalised to sum 1 (zeros for fewer than two notes)."""
    return _normalise(interval_counts(melody))


def same_pitch_runs(melody: Melody, at_least: int = 5) -> int:
    """How many runs of ``at_least`` or more notes in a row on one pitch (rests between them
    skipped, as :func:`interval_counts` skips them): real tunes drone so rarely (docs/form.md,
    "Repeated notes") that a generator's excess shows here first."""
    p = pitches(melody)
    runs, length = 0, 1
    for k in range(1, len(p) + 1):
        if k < len(p) and p[k] == p[k - 1]:
            length += 1
            continue
        runs += length >= at_least
        length = 1
    return runs
