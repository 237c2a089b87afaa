"""Rhythm metrics of one melody: note-length histogram and groove consistency.

Durations and bar positions are exact ``Fraction`` quarter lengths, so triplet lengths get
bins of their own instead of being rounded into their neighbours.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..encoding.events import Melody, meter_bar_length

__all__ = [
    "GROOVE_RESOLUTION",
    "NOTE_LENGTH_BINS",
    "NOTE_LENGTH_LABELS",
    "bar_starts",
    "groove_consistency",
    "note_length_counts",
    "note_length_histogram",
]

F = Fraction
#: Common note lengths in quarters: 32nd, 16th triplet, 16th, 8th triplet, dotted 16th, 8th,
#: quarter triplet, dotted 8th, quarter, half triplet, dotted quarter, half, dotted half,
#: whole, dotted whole. Anything else (ties merged into odd lengths, quintuplets) -> "other".
NOTE_LENGTH_BINS: tuple[Fraction, ...] = (
    F(1, 8), F(1, 6), F(1, 4), F(1, 3), F(3, 8), F(1, 2), F(2, 3), F(3, 4),
    F(1), F(4, 3), F(3, 2), F(2), F(3), F(4), F(6),
)
NOTE_LENGTH_LABELS: tuple[str, ...] = tuple(str(b) for b in NOTE_LENGTH_BINS) + ("other",)
_BIN_INDEX = {b: i for i, b in enumerate(NOTE_LENGTH_BINS)}

#: Grid points per quarter note for groove patterns (MusPy's default resolution; it holds
#: 16ths, 32nds and 8th/16th triplets exactly).
GROOVE_RESOLUTION = 24


def note_length_counts(melody: Melody) -> np.ndarray:
    """Notes per length bin (:data:`NOTE_LENGTH_LABELS`, last bin = other). Rests are not
    counted: their lengths say little about a melody's rhythmic vocabulary."""
    counts = np.zeros(len(NOTE_LENGTH_BINS) + 1, dtype=np.int64)
    other = len(NOTE_LENGTH_BINS)
    for e in melody.events:
        if e.pitch is not None:
            counts[_BIN_INDEX.get(e.duration, other)] += 1
    return counts


def note_length_histogram(melody: Melody) -> np.ndarray:
    """:func:`note_length_counts` normalised to sum 1 (zeros without notes)."""
    c = note_length_counts(melody)
    total = c.sum()
    return c / total if total else c.astype(np.float64)


def _meter_at(melody: Melody, t: Fraction) -> str:
    meter = melody.meters[0][1] if melody.meters else melody.meter
    for offset, m in melody.meters:
        if offset <= t:
            meter = m
    return meter


def bar_starts(melody: Melody) -> list[Fraction]:
    """Start times of all bars the melody touches, including bars with no onset (held
    notes, whole-bar rests). A pickup bar starts before 0 (its ``bar_pos`` counts from the
    virtual full bar's start)."""
    seen = sorted({e.onset - e.bar_pos for e in melody.events})
    if not seen:
        return []
    out: list[Fraction] = []
    for i, a in enumerate(seen):
        upto = seen[i + 1] if i + 1 < len(seen) else melody.end  # the last note may be held on
        out.append(a)
        length = meter_bar_length(_meter_at(melody, max(a, Fraction(0))))
        t = a + length
        while t < upto:
            out.append(t)
            t += length
    return out


def groove_consistency(melody: Melody, resolution: int = GROOVE_RESOLUTION) -> float:
    """1 - mean Hamming distance between the onset patterns of consecutive bars (MusPy).

    Each bar becomes a binary vector over a grid of ``resolution`` points per quarter
    (note onsets only, placed by ``bar_pos``); distances are normalised by the grid size.
    1 means every bar has the same rhythm. nan with fewer than two bars.
    """
    starts = bar_starts(melody)
    if len(starts) < 2:
        return math.nan
    index = {s: i for i, s in enumerate(starts)}
    lengths = [meter_bar_length(_meter_at(melody, max(s, Fraction(0)))) for s in starts]
    width = int(max(lengths) * resolution)
    grid = np.zeros((len(starts), max(width, 1)), dtype=bool)
    for e in melody.events:
        if e.pitch is None:
            continue
        row = index[e.onset - e.bar_pos]
        col = min(int(round(e.bar_pos * resolution)), grid.shape[1] - 1)
        grid[row, col] = True
    sizes = np.array([int(L * resolution) for L in lengths])
    pair_size = np.maximum(sizes[:-1], sizes[1:])
    hamming = np.count_nonzero(grid[:-1] != grid[1:], axis=1)
    return float(1.0 - hamming.sum() / pair_size.sum())
