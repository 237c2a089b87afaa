"""Tunes from nothing for the proofs that set one engine setting against another in one process."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from ..encoding.events import Melody
from ..generation import engine
from ..generation.continuation import continue_melody
from ..generation.options import SamplingOptions


def tunes(genre: str, n: int, seed: int, sharps: int, meter: str, bars: int = 16) -> list[Melody]:
    """``n`` tunes from nothing of ``bars`` bars in ``meter`` and the key signature ``sharps``
    (seeds ``seed``..``seed + n - 1``)."""
    return [continue_melody(None, bars=bars, genre=genre, meter=meter, sharps=sharps, options=SamplingOptions(seed=seed + i)).melodies[0]
            for i in range(n)]


@contextmanager
def engine_setting(name: str, value) -> Iterator[None]:
    """The engine's module setting ``name`` (FIRST_PULL, HOLD_FOURTH_STRIKE...) at ``value`` for
    the block, restored after it."""
    saved = getattr(engine, name)
    setattr(engine, name, value)
    try:
        yield
    finally:
        setattr(engine, name, saved)
