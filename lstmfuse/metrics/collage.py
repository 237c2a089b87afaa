"""Real collages: held-out tunes of two genres cut into units and put in turn.

The reference for a blend. A collage of real Bach and real Irish units is, by construction,
both genres and nothing else; what a judge says of it is the most a blend of units of that
size can expect, and a judge that calls it a third genre is wrong about it. The style
judge's card reports it (``models.judge_train``); the blend proof sets our fusions beside it
(``evaluation.blend_proof``). Collages of the train and valid splits, labelled with each
genre's share of the time (``collages_of``; the judge of commit 4542d8c was labelled with its
share of events), teach the judge's histogram regression and choose its weight; the CNNs cut
theirs from pre-encoded tokens (``judge_train.collage``).
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..encoding.events import Melody, meter_bar_length


def cut(m: Melody, start: Fraction, end: Fraction) -> Melody:
    """The events starting in [start, end), moved to start at 0 (bar positions unchanged)."""
    return m.with_events([replace(e, onset=e.onset - start) for e in m.events if start <= e.onset < end])


def units_of(m: Melody, unit_bars: int, from_upbeat: bool = False) -> list[Melody]:
    """The tune's successive whole units of ``unit_bars`` bars, from its first barline; with
    ``from_upbeat``, from its start, so that in a tune with an upbeat every unit runs from
    upbeat to upbeat as its phrases do (as the half-phrases of a generated blend are cut)."""
    starts = [e.onset for e in m.events if e.bar_pos == 0]
    if not starts:
        return []
    span = unit_bars * m.bar_length
    out, t = [], (m.events[0].onset if from_upbeat else starts[0])
    while t + span <= m.end:
        unit = cut(m, t, t + span)
        if len(unit.events) >= 2:
            out.append(unit)
        t += span
    return out


def collage_parts(a: list[Melody], b: list[Melody], bars: int, unit_bars: int, a_first: bool) -> list[tuple[bool, Melody]]:
    """The units of a collage in order, each with whether it is ``a``'s: ``a`` and ``b`` in
    turn, each tune's units in order, from its start again when used up."""
    out = []
    for k in range(bars // unit_bars):
        source_is_a = (k + (0 if a_first else 1)) % 2 == 0
        source = a if source_is_a else b
        out.append((source_is_a, source[(k // 2) % len(source)]))
    return out


def collage(a: list[Melody], b: list[Melody], meter: str, bars: int, unit_bars: int, a_first: bool) -> Melody:
    """``bars`` bars of units of ``a`` and ``b`` in turn (``collage_parts``), each unit moved
    to its place."""
    events, t, span = [], Fraction(0), unit_bars * meter_bar_length(meter)
    for _, unit in collage_parts(a, b, bars, unit_bars, a_first):
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


# --- training collages with soft labels (the style judge and the histogram regression) ---


def collage_examples(genres: list[str], split: str, root: Path | None, n: int, rng: np.random.Generator,
                     units: tuple[int, ...] = (1, 2, 4), label: str = "time") -> tuple[list[Melody], np.ndarray]:
    """``n`` real collages of ``split`` (``collages_of``), with their soft labels."""
    from ..corpora import load_corpus

    return collages_of([[m for _, m in load_corpus(g, split, root)] for g in genres], n, rng, units, label)


def collages_of(tunes_by_genre: list[list[Melody]], n: int, rng: np.random.Generator,
                units: tuple[int, ...] = (1, 2, 4), label: str = "time") -> tuple[list[Melody], np.ndarray]:
    """``n`` collages (units of 1-4 bars of two genres' tunes in one meter,
    in turn, 8-16 bars, in the normalised key), the first genre drawn evenly, with soft labels
    (N, genres): each genre's share of the collage's time (``label="time"``: the sum of its
    units' note and rest lengths, what a listener hears) or of its events (``"events"``; the
    judge's config calls it ``"tokens"``)."""
    if label not in ("time", "events", "tokens"):
        raise ValueError(f"a collage's label is its 'time' or its 'events' (got {label!r})")
    from ..encoding.tokens import in_normalised_key

    genres = range(len(tunes_by_genre))
    by_meter: list[dict[str, list[Melody]]] = []
    for melodies in tunes_by_genre:
        tunes: dict[str, list[Melody]] = {}
        for m in melodies:
            if len(m.meters) <= 1 and m.events:
                tunes.setdefault(m.meter, []).append(in_normalised_key(m))
        by_meter.append(tunes)
    if not any(b != a and by_meter[b].get(mt) for a in genres for mt in by_meter[a] for b in genres):
        raise ValueError("no two genres share a meter: no collage can be made")
    out, labels = [], []
    while len(out) < n:
        a = int(rng.integers(len(by_meter)))
        meters = list(by_meter[a])
        if not meters:
            continue
        meter = meters[int(rng.integers(len(meters)))]
        partners = [b for b in genres if b != a and by_meter[b].get(meter)]
        if not partners:
            continue
        b = partners[int(rng.integers(len(partners)))]
        size, bars = int(rng.choice(units)), int(rng.integers(8, 17))
        ta, tb = by_meter[a][meter], by_meter[b][meter]
        ua = units_from_random_bar(ta[int(rng.integers(len(ta)))], size, rng)
        ub = units_from_random_bar(tb[int(rng.integers(len(tb)))], size, rng)
        if not ua or not ub:
            continue
        k_units = max(bars // size, 2)
        out.append(collage(ua, ub, meter, k_units * size, size, a_first=True))
        share = np.zeros(len(by_meter))
        for from_a, unit in collage_parts(ua, ub, k_units * size, size, a_first=True):
            share[a if from_a else b] += float(sum(e.duration for e in unit.events)) if label == "time" else len(unit.events)
        labels.append(share / share.sum())
    return out, np.asarray(labels)


def units_from_random_bar(m: Melody, size: int, rng: np.random.Generator) -> list[Melody]:
    """The tune's whole units of ``size`` bars from a random barline on (to its end)."""
    units = units_of(m, size)
    return units[int(rng.integers(len(units))) :] if units else []
