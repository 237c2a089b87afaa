"""How a genre model reads a meter it never saw: as a meter it knows whose barlines and beats
fall on the same grid.

Palestrina's model learnt 4/2 and 3/2 only; asked for 2/2 it reads an untrained meter embedding
and positions it never saw, and writes something the style judge does not call Palestrina
(0.55 for pure Palestrina in 2/2 at commit afdf125). Two 2/2 bars are one 4/2 bar with the same
half-note beats, so the model is shown 4/2 and the position in that longer bar; the music is
still written, barred and tracked in 2/2. Likewise Bach (4/4, 3/4) reads 2/2 as 4/4 and 2/4 as
half a 4/4 bar, and a dance-tune model reads 4/2 as two 2/2 bars. A compound meter is never
read as a simple one (6/8 is not 3/4: the beat differs), and a meter is read as another only
if both bars are whole multiples of the other's beat, so no beat falls between beats.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..encoding import vocab as V
from ..encoding.events import meter_bar_length
from .ticks import DURATION_TICKS, TICKS_PER_QUARTER, to_ticks

_COMPOUND = ("6/8", "9/8", "12/8")


def _beat(meter: str) -> Fraction:
    """The beat: a dotted quarter in compound meters, else the time signature's note value."""
    if meter in _COMPOUND:
        return Fraction(3, 2)
    return Fraction(4, int(meter.split("/")[1]))


@dataclass(frozen=True)
class MeterView:
    """A model reads meter id ``meter_id`` and positions in bars of ``bar_ticks`` ticks, for
    music whose own bar is ``music_bar`` ticks (one divides the other)."""

    meter: str
    meter_id: int
    bar_ticks: int
    music_bar: int

    def position(self, bar_index: int, pos: int) -> int:
        """Position id in the model's bar of the point ``pos`` ticks into the music's bar number
        ``bar_index`` (counted from the first full bar): a longer bar holds several of the
        music's bars in turn, a shorter one repeats within it."""
        if self.bar_ticks <= self.music_bar:
            t = pos % self.bar_ticks
        else:
            t = (bar_index % (self.bar_ticks // self.music_bar)) * self.music_bar + pos
        return _positions(self.bar_ticks)[min(t, self.bar_ticks - 1)]


@functools.lru_cache(maxsize=64)
def _positions(bar_ticks: int) -> tuple[int, ...]:
    return tuple(V.position_id(Fraction(t, TICKS_PER_QUARTER)) for t in range(bar_ticks))


def bar_indices(tokens: np.ndarray, positions: np.ndarray, meter: str) -> np.ndarray:
    """For each token of an encoded passage, the number of the bar its successor starts in
    (0 = the first full bar, -1 = a pickup), from the encoder's true bar positions: a barline
    passes where a duration carries past the bar's end, or where the next position is not where
    the duration ends (a short bar, such as a pickup bar inside the tune)."""
    bar = to_ticks(meter_bar_length(meter))
    steps = V.POS_STEPS_PER_QUARTER
    out = np.empty(len(tokens), dtype=np.int64)
    prev = round(int(positions[0]) * TICKS_PER_QUARTER / steps) if len(tokens) else 0
    index = -1 if prev else 0
    for i, (tok, pid) in enumerate(zip(np.asarray(tokens).tolist(), np.asarray(positions).tolist())):
        pos = round(pid * TICKS_PER_QUARTER / steps)
        if i:
            end = prev + (DURATION_TICKS[tok - V.DURATION_BASE] if tok >= V.DURATION_BASE else 0)
            crossed = end // bar
            # the position is not where the time since the last token says: the bar ended early
            # (position ids are on a 1/12-quarter grid, so allow half a step)
            if not crossed and abs(end % bar - pos) > TICKS_PER_QUARTER // steps // 2:
                crossed = 1
            index += crossed
        out[i] = index
        prev = pos
    return out


#: a meter is one a genre's model knows if at least this share of its training tunes use it
KNOWN_SHARE = 0.01


def known_meters(genre: str) -> list[str]:
    """The meters a genre's model was trained on in earnest (at least ``KNOWN_SHARE`` of the
    training tunes' phrase layouts in form.json), commonest first; [] if there is no reference."""
    from collections import Counter

    from .form import form_reference, has_layouts

    if not has_layouts(genre):
        return []
    counts = Counter(t["meter"] for t in form_reference(genre)["layouts"])
    total = sum(counts.values())
    return [m for m, n in counts.most_common() if n >= KNOWN_SHARE * total]


def view_for(genre: str | None, meter: str) -> MeterView | None:
    """The meter a ``genre`` model should read for music in ``meter``; None: read it as it is
    (the genre knows it, or no known meter shares its grid, or the model is the fusion model,
    which saw every genre's meters)."""
    if genre is None or meter not in V.METERS:
        return None
    known = known_meters(genre)
    if not known or meter in known:
        return None
    bar = meter_bar_length(meter)
    for k in known:
        if k not in V.METERS or (k in _COMPOUND) != (meter in _COMPOUND):
            continue
        k_bar = meter_bar_length(k)
        longer, shorter = max(bar, k_bar), min(bar, k_bar)
        beat = max(_beat(meter), _beat(k))
        if longer % shorter == 0 and shorter % beat == 0:
            return MeterView(k, V.meter_id(k), to_ticks(k_bar), to_ticks(bar))
    return None


def views_for(genres: list[str | None], meter: str) -> list[MeterView | None]:
    """One view per stacked model (None for the fusion model)."""
    return [view_for(g, meter) for g in genres]
