"""Real collages: held-out tunes of two genres cut into units and put in turn.

The reference for a blend. A collage of real Bach and real Irish units is, by construction,
both genres and nothing else; what a judge says of it is the most a blend of units of that
size can expect, and a judge that calls it a third genre is wrong about it. The style
judge's card reports it (``models.judge_train``); the blend proof sets our fusions beside it
(``evaluation.blend_proof``).
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import numpy as np

from ..encoding.events import Melody, meter_bar_length


def cut(m: Melody, start: Fraction, end: Fraction) -> Melody:
    """The events starting in [start, end), moved to start at 0 (bar positions unchanged)."""
    return m.with_events([replace(e, onset=e.onset - start) for e in m.events if start <= e.onset < end])


def units_of(m: Melody, unit_bars: int) -> list[Melody]:
    """The tune's successive whole units of ``unit_bars`` bars, from its first barline."""
    starts = [e.onset for e in m.events if e.bar_pos == 0]
    if not starts:
        return []
    span = unit_bars * m.bar_length
    out, t = [], starts[0]
    while t + span <= m.end:
        unit = cut(m, t, t + span)
        if len(unit.events) >= 2:
            out.append(unit)
        t += span
    return out


def collage(a: list[Melody], b: list[Melody], meter: str, bars: int, unit_bars: int, a_first: bool) -> Melody:
    """``bars`` bars of units of ``a`` and ``b`` in turn (each tune's units in order, from its
    start again when used up), each unit moved to its place."""
    events, t, span = [], Fraction(0), unit_bars * meter_bar_length(meter)
    for k in range(bars // unit_bars):
        source = (a, b)[(k + (0 if a_first else 1)) % 2]
        unit = source[(k // 2) % len(source)]
        events += [replace(e, onset=e.onset + t) for e in unit.events]
        t += span
    return Melody(events, meter=meter, sharps=0)


def random_collages(tunes_a: list[list[Melody]], tunes_b: list[list[Melody]], meter: str, n: int, rng: np.random.Generator,
                    bars: int = 16, unit_bars: int = 2) -> list[Melody]:
    """``n`` collages, each of one random A tune and one random B tune (given as their units),
    the opener drawn at random."""
    out = []
    for _ in range(n):
        ua, ub = tunes_a[rng.integers(len(tunes_a))], tunes_b[rng.integers(len(tunes_b))]
        out.append(collage(ua, ub, meter, bars, unit_bars, a_first=rng.integers(2) == 0))
    return out
