"""Integer time for the generation loop: one tick = 1/120 of a quarter.

120 is the least common multiple of the vocabulary's duration denominators (12, 8, 5), so
every token duration, and every sum of them, is a whole number of ticks. The loop then
adds and compares ints instead of Fractions, which is most of its per-token cost.
"""

from __future__ import annotations

import functools
from fractions import Fraction

from ..encoding import vocab as V
from ..encoding.events import NoteEvent
from ..encoding.tokens import decompose
from ..errors import UsageError

TICKS_PER_QUARTER = V.TICKS_PER_QUARTER  # the encoder's tick (also read by encoding.structure)
DURATION_TICKS = V.DURATION_TICKS


def on_grid(quarters: Fraction | int) -> bool:
    """Is ``quarters`` a whole number of ticks (a time the vocabulary's durations can reach)?"""
    return (Fraction(quarters) * TICKS_PER_QUARTER).denominator == 1


def writable(event: NoteEvent) -> bool:
    """Can the tokens write ``event``: a duration the vocabulary sums to, from a place on the
    tick grid? (A 7-tuplet's note cannot.)"""
    return decompose(event.duration) is not None and on_grid(event.bar_pos)


def to_ticks(quarters: Fraction | int) -> int:
    """Quarters -> ticks; a time off the grid cannot be filled with vocabulary durations."""
    ticks, off_grid = divmod(quarters.numerator * TICKS_PER_QUARTER, quarters.denominator)
    if off_grid:
        raise UsageError(
            f"cannot continue from {quarters} quarters into the bar: the models' durations cannot reach it "
            "(end the selection on a note whose duration the vocabulary has)", about="passage",
        )
    return ticks


def from_ticks(ticks: int) -> Fraction:
    """Ticks -> quarters."""
    return Fraction(ticks, TICKS_PER_QUARTER)


@functools.lru_cache(maxsize=8192)
def fillable(ticks: int) -> bool:
    """Can ``ticks`` be written as a sum of vocabulary durations, largest first (the
    encoder's own decomposition, see encoding.tokens.decompose)?"""
    rest = ticks
    for d in reversed(DURATION_TICKS):
        rest %= d
        if rest == 0:
            return True
    return False


@functools.lru_cache(maxsize=64)
def position_ids(bar_ticks: int) -> list[int]:
    """The model's metrical-position feature for every tick of a bar."""
    return [V.position_id(Fraction(t, TICKS_PER_QUARTER)) for t in range(bar_ticks)]
