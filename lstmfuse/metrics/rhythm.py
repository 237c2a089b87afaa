"""Rhythm metrics of one melody: note-length histogram and groove consistency.

Durations and bar positions are exact ``Fraction`` quarter lengths, so triplet lengths get
bins of their own instead of being rounded into their neighbours.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

import numpy as np

from ..encoding.events import Melody, NoteEvent, meter_bar_length

__all__ = [
    "GROOVE_RESOLUTION",
    "NOTE_LENGTH_BINS",
    "NOTE_LENGTH_LABELS",
    "across_barline",
    "across_groups",
    "bar_starts",
    "dotted_pair_share",
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
_BIN_INDEX = {(b.numerator, b.denominator): i for i, b in enumerate(NOTE_LENGTH_BINS)}  # int keys hash fast

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
            d = e.duration
            counts[_BIN_INDEX.get((d.numerator, d.denominator), other)] += 1
    return counts


def note_length_histogram(melody: Melody) -> np.ndarray:
    """:func:`note_length_counts` normalised to sum 1 (zeros without notes)."""
    c = note_length_counts(melody)
    total = c.sum()
    return c / total if total else c.astype(np.float64)


@functools.lru_cache(maxsize=256)
def _bar_length(meter: str) -> Fraction:
    return meter_bar_length(meter)


def _bars(melody: Melody) -> tuple[int, list[int], list[int], list[int]]:
    """Bars in integer ticks (Fraction arithmetic is slow): (ticks per quarter, bar starts,
    bar lengths, each event's bar start). See :func:`bar_starts`."""
    evs = melody.events
    meters = melody.meters or [(Fraction(0), melody.meter)]
    lengths_q = [_bar_length(m) for _, m in meters]
    D = math.lcm(
        *{e.onset.denominator for e in evs},
        *{e.bar_pos.denominator for e in evs},
        *{o.denominator for o, _ in meters},
        *{L.denominator for L in lengths_q},
        melody.end.denominator,
    )

    def tick(x: Fraction) -> int:
        return x.numerator * (D // x.denominator)

    meter_ticks = [(tick(o), tick(L)) for (o, _), L in zip(meters, lengths_q)]
    of_event = [tick(e.onset) - tick(e.bar_pos) for e in evs]
    seen = sorted(set(of_event))
    end = tick(melody.end)
    starts: list[int] = []
    lengths: list[int] = []
    for i, a in enumerate(seen):
        upto = seen[i + 1] if i + 1 < len(seen) else end  # the last note may be held on
        length = meter_ticks[0][1]
        for off, L in meter_ticks:  # the meter in force at the bar (a pickup: the first)
            if off <= a:
                length = L
        starts.append(a)
        lengths.append(length)
        t = a + length
        while t < upto:
            starts.append(t)
            lengths.append(length)
            t += length
    return D, starts, lengths, of_event


def bar_starts(melody: Melody) -> list[Fraction]:
    """Start times of all bars the melody touches, including bars with no onset (held
    notes, whole-bar rests). A pickup bar starts before 0 (its ``bar_pos`` counts from the
    virtual full bar's start)."""
    if not melody.events:
        return []
    D, starts, _, _ = _bars(melody)
    return [Fraction(s, D) for s in starts]


def groove_consistency(melody: Melody, resolution: int = GROOVE_RESOLUTION) -> float:
    """1 - mean Hamming distance between the onset patterns of consecutive bars (MusPy).

    Each bar becomes a binary vector over a grid of ``resolution`` points per quarter
    (note onsets only, placed by ``bar_pos``); distances are normalised by the grid size.
    1 means every bar has the same rhythm. nan with fewer than two bars.
    """
    if not melody.events:
        return math.nan
    D, starts, lengths, of_event = _bars(melody)
    if len(starts) < 2:
        return math.nan
    index = {s: i for i, s in enumerate(starts)}

    def cell(ticks: int) -> int:  # round(ticks / D * resolution)
        return (2 * ticks * resolution + D) // (2 * D)

    sizes = np.array([cell(L) for L in lengths])
    width = max(int(sizes.max()), 1)
    rows, cols = [], []
    for e, bar in zip(melody.events, of_event):
        if e.pitch is not None:
            rows.append(index[bar])
            cols.append(min(cell(e.bar_pos.numerator * (D // e.bar_pos.denominator)), width - 1))
    grid = np.zeros((len(starts), width), dtype=bool)
    grid[rows, cols] = True
    pair_size = np.maximum(sizes[:-1], sizes[1:])
    hamming = np.count_nonzero(grid[:-1] != grid[1:], axis=1)
    return float(1.0 - hamming.sum() / pair_size.sum())


def dotted_pair_share(melody: Melody) -> float:
    """Share of the melody's events that are a dotted eighth followed by a sixteenth: the
    written-out swing of a hornpipe or a strathspey (real Irish 4/4 tunes: 0.14 of their
    events; reels in even eighths: about none)."""
    events = melody.events
    pairs = sum(1 for a, b in zip(events, events[1:]) if a.duration == F(3, 4) and b.duration == F(1, 4))
    return pairs / len(events) if events else 0.0


def across_barline(events: list[NoteEvent], bar: Fraction) -> float:
    """The share of notes that sound on over the barline after their onset (a tie into the
    next bar): under 0.5% in regularly barred real folk, Irish, Scottish and Bach tunes in
    their own meters, 7% in Palestrina's 4/2 parts (suspensions). nan without notes."""
    notes = [e for e in events if e.pitch is not None]
    if not notes:
        return float("nan")
    return sum(1 for e in notes if e.bar_pos + e.duration > bar) / len(notes)


def across_groups(events: list[NoteEvent], bar: Fraction, starts: list[Fraction]) -> float:
    """The share of notes that begin inside a beat group (``starts``: where the groups of an
    additive meter begin, e.g. 7/8 as 3+2+2) and sound on past its end: the meter's grouping
    blurred. nan without notes."""
    notes = [e for e in events if e.pitch is not None]
    if not notes:
        return float("nan")
    out = 0
    for e in notes:
        if e.bar_pos not in starts:
            group_end = min([s for s in starts if s > e.bar_pos] + [bar])
            out += e.bar_pos + e.duration > group_end
    return out / len(notes)
