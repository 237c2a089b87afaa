"""Compact, exact JSON form of melodies (for corpus caches and the bridge)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from .events import Melody, NoteEvent


def _f(x: Fraction) -> str | int:
    return x.numerator if x.denominator == 1 else f"{x.numerator}/{x.denominator}"


def _unf(x: str | int) -> Fraction:
    return Fraction(x)


def melody_to_dict(m: Melody, spelling: bool = False) -> dict[str, Any]:
    events = []
    for e in m.events:
        row: list[Any] = [e.pitch, _f(e.onset), _f(e.duration), _f(e.bar_pos)]
        if spelling:
            row.append(e.spelling)
        events.append(row)
    return {
        "meter": m.meter,
        "meters": [[_f(o), ts] for o, ts in m.meters],
        "sharps": m.sharps,
        "mode": m.mode,
        "tonic": m.tonic,
        "source": m.source,
        "events": events,
    }


def melody_from_dict(d: dict[str, Any]) -> Melody:
    events = [
        NoteEvent(row[0], _unf(row[1]), _unf(row[2]), _unf(row[3]), row[4] if len(row) > 4 else None)
        for row in d["events"]
    ]
    return Melody(
        events,
        meter=d["meter"],
        sharps=int(d["sharps"]),
        mode=d.get("mode"),
        tonic=d.get("tonic"),
        source=d.get("source", ""),
        meters=[(_unf(o), ts) for o, ts in d.get("meters", [])],
    )
