"""Real collages (``metrics.collage``): units of two tunes in turn, each in its place."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from lstmfuse.encoding.events import Melody, NoteEvent
from lstmfuse.metrics.collage import collage, cut, random_collages, units_of


def _tune(pitch: int, bars: int, meter: str = "3/4") -> Melody:
    """One note a beat, ``pitch`` + bar number, so a unit's source and bar can be read back."""
    events = [NoteEvent(pitch + b, Fraction(3 * b + k), Fraction(1), Fraction(k)) for b in range(bars) for k in range(3)]
    return Melody(events, meter=meter)


def test_units_are_whole_bars_from_the_first_barline():
    m = _tune(60, 7)
    units = units_of(m, 2)
    assert len(units) == 3  # bars 0-1, 2-3, 4-5; bar 6 alone is no whole unit
    assert [u.events[0].pitch for u in units] == [60, 62, 64]
    assert all(u.events[0].onset == 0 and u.end == 6 for u in units)


def test_cut_keeps_events_starting_inside_and_moves_them_to_zero():
    m = _tune(60, 4)
    part = cut(m, Fraction(3), Fraction(6))
    assert [(e.pitch, e.onset) for e in part.events] == [(61, 0), (61, 1), (61, 2)]


def test_collage_puts_units_of_each_tune_in_turn_in_their_places():
    a, b = units_of(_tune(60, 8), 2), units_of(_tune(80, 8), 2)
    m = collage(a, b, "3/4", 16, 2, a_first=False)
    firsts = [m.events[i].pitch for i in range(0, len(m.events), 6)]
    assert firsts == [80, 60, 82, 62, 84, 64, 86, 66]  # B opens; each tune's units in order
    assert [e.onset for e in m.events] == [Fraction(k) for k in range(48)]
    assert m.meter == "3/4"


def test_random_collages_draw_tunes_and_opener_reproducibly():
    tunes_a = [units_of(_tune(60, 8), 2), units_of(_tune(40, 8), 2)]
    tunes_b = [units_of(_tune(80, 8), 2)]
    one = random_collages(tunes_a, tunes_b, "3/4", 10, np.random.default_rng(0))
    two = random_collages(tunes_a, tunes_b, "3/4", 10, np.random.default_rng(0))
    assert [[e.pitch for e in m.events] for m in one] == [[e.pitch for e in m.events] for m in two]
    openers = {m.events[0].pitch >= 80 for m in one}
    assert openers == {True, False}


def test_units_from_the_upbeat_run_from_upbeat_to_upbeat():
    # a one-beat upbeat (pitch 59), then bars of 3/4 as in _tune
    upbeat = NoteEvent(59, Fraction(0), Fraction(1), Fraction(2))
    rest = [NoteEvent(60 + b, Fraction(1 + 3 * b + k), Fraction(1), Fraction(k)) for b in range(6) for k in range(3)]
    m = Melody([upbeat] + rest, meter="3/4")
    barline = units_of(m, 2)
    phrased = units_of(m, 2, from_upbeat=True)
    assert [u.events[0].pitch for u in barline] == [60, 62, 64]
    # each unit starts with the beat before its barline: the upbeat, then a bar's last beat
    assert [u.events[0].pitch for u in phrased] == [59, 61, 63]
    assert all(u.end == 6 and u.events[0].bar_pos == 2 for u in phrased)
