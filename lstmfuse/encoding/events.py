"""The melody representation every part of lstmfuse shares (kept apart from any model).

A :class:`Melody` is a monophonic line of :class:`NoteEvent` s with exact rational timing
(``Fraction`` quarter lengths, so triplets and other tuplets are exact), tied notes merged
into one sounding event, plus the context a composer would read off the page: key signature,
meter and where the bars fall.
"""

from __future__ import annotations

import bisect
import functools
from dataclasses import dataclass, field, replace
from fractions import Fraction

Q = Fraction  # quarter lengths


def frac(x: float | Fraction | int) -> Fraction:
    """Exact quarter length from music21's offsets (floats for binary values, Fractions else)."""
    if isinstance(x, Fraction):
        return x
    return Fraction(x).limit_denominator(1 << 16)


@dataclass(frozen=True, slots=True)
class NoteEvent:
    """One note (``pitch`` = MIDI number) or rest (``pitch`` None), ties merged.

    ``bar_pos`` is the onset's distance from the last barline; ``spelling`` keeps the
    score's name for the pitch (e.g. ``'E-4'``) so output can be written as the user spelled it.
    """

    pitch: int | None
    onset: Fraction
    duration: Fraction
    bar_pos: Fraction = Fraction(0)
    spelling: str | None = None

    @property
    def is_rest(self) -> bool:
        return self.pitch is None

    @property
    def end(self) -> Fraction:
        return self.onset + self.duration


@dataclass(slots=True)
class Melody:
    """A monophonic line with its notational context.

    ``meter`` is the time signature in force at the end (what a continuation uses);
    ``sharps`` the key signature (negative = flats); ``mode`` 'major'/'minor' or None when
    the source names no mode. ``key_span`` the onsets [from, to) where that signature is in
    force (``to`` None: to the end): in a piece that changes key, the notes outside it are in
    another key, and only those inside tell whether the signature describes its notes.
    ``signatures`` every key signature of such a piece, ``(onset, sharps)`` in order (sharps None
    where a signature names no key by sharps); empty where ``sharps`` holds throughout or the
    source did not say (a corpus tune, read in its home key).
    ``first_bar`` the number the score shows for the bar of the first event, where the melody
    is an excerpt (a MuseScore selection); None: the melody is the part from its start.
    A composite time signature (3+2/8, 3/8+2/8+3/4) is read as its sum (5/8, 11/8) with its
    ``beat_groups``.
    """

    events: list[NoteEvent]
    meter: str = "4/4"
    sharps: int = 0
    mode: str | None = None
    tonic: str | None = None
    source: str = ""
    meters: list[tuple[Fraction, str]] = field(default_factory=list)
    key_span: tuple[Fraction, Fraction | None] = (Fraction(0), None)
    signatures: list[tuple[Fraction, int | None]] = field(default_factory=list)
    first_bar: int | None = None
    #: the beat groups its last time signature writes (3+2/8: (3, 2); its ``meter`` is then the
    #: sum, 5/8), in units of the meter's denominator; None: the signature names none
    beat_groups: tuple[int, ...] | None = None

    @property
    def bar_length(self) -> Fraction:
        return meter_bar_length(self.meter)

    @property
    def end(self) -> Fraction:
        return self.events[-1].end if self.events else Fraction(0)

    @property
    def notes(self) -> list[NoteEvent]:
        return [e for e in self.events if e.pitch is not None]

    def with_events(self, events: list[NoteEvent]) -> "Melody":
        return replace(self, events=events)


def meter_at(melody: Melody, t: Fraction) -> str:
    """The time signature in force at ``t``."""
    timeline = sorted(melody.meters) if melody.meters else [(Fraction(0), melody.meter)]
    current = timeline[0][1]
    for at, m in timeline:
        if at <= t:
            current = m
    return current


def bar_starts(melody: Melody) -> tuple[list[Fraction], int]:
    """Start times of the melody's bars and the number of the first one (0 for a pickup, as
    notation programs number it, else 1; an excerpt's ``first_bar``). Meter changes start a
    new bar grid."""
    if not melody.events:
        return [], 1
    first = melody.events[0]
    anchor = first.onset - first.bar_pos
    timeline = sorted(melody.meters) if melody.meters else [(Fraction(0), melody.meter)]
    starts: list[Fraction] = []
    for i, (at, meter) in enumerate(timeline):
        t = anchor if i == 0 else at
        stop = timeline[i + 1][0] if i + 1 < len(timeline) else melody.end
        while t < stop:
            starts.append(t)
            t += meter_bar_length(meter)
    if melody.first_bar is not None:
        return starts, melody.first_bar
    return starts, (0 if anchor < first.onset else 1)


def bar_number(melody: Melody, onset: Fraction) -> int:
    """The bar an onset lies in, numbered as the score numbers it (:func:`bar_starts`: a pickup
    is bar 0): for messages that send the user to a place in the score."""
    starts, first_number = bar_starts(melody)
    return first_number + max(bisect.bisect_right(starts, onset) - 1, 0)


@functools.lru_cache(maxsize=256)
def meter_bar_length(meter: str) -> Fraction:
    """Bar length in quarters of a time signature string like '6/8' or '3/2'."""
    try:
        num, den = meter.split("/")
        if int(num) < 1:
            raise ValueError(meter)
        return Fraction(int(num) * 4, int(den))
    except (ValueError, ZeroDivisionError):
        from ..errors import UsageError

        raise UsageError(f"not a time signature: '{meter}'", about="meter") from None


#: the longest bar (quarters) a new tune's meter may have: a rest filling a bar of 64/4 has no
#: note value MusicXML can write
MAX_BAR_QUARTERS = 32


def writable_meter(meter: str) -> str:
    """``meter`` if a new tune can be written in it: a beat of a whole note or a power-of-two
    fraction of one, and at most MAX_BAR_QUARTERS quarters a bar; else a one-line UsageError
    (before any music is generated, not when the file is written)."""
    from ..errors import UsageError

    bar = meter_bar_length(meter)
    den = int(meter.split("/")[1])
    if den & (den - 1) or den > 64:
        raise UsageError(f"meter {meter}: the beat must be a whole note or a half, quarter, eighth ... of one (x/1, x/2, x/4, x/8, x/16, x/32, x/64)", about="meter")
    if bar > MAX_BAR_QUARTERS:
        raise UsageError(f"meter {meter}: a bar of {bar} quarters is longer than lstmfuse writes ({MAX_BAR_QUARTERS} quarters)", about="meter")
    return meter


def rebarred(m: Melody, meter: str, phase: int = 0) -> Melody | None:
    """``m`` barred in ``meter`` where one's bar is a whole number of the other's with the same
    note value for the beat (4/2 as two bars of 2/2, 2/4 paired into 4/4): the same notes and
    durations, only the barlines moved. Split, a note's place is its old one modulo the new
    bar; joined, the old bars are paired from ``phase`` (0: the melody's first bar starts a new
    one), counted by time from the first event. None when the meters do not divide so or the
    melody changes meter."""
    (num, den), (n2, d2) = (tuple(map(int, x.split("/"))) for x in (m.meter, meter))
    if den != d2 or len(m.meters) > 1 or (num % n2 and n2 % num):
        return None
    old, bar = meter_bar_length(m.meter), meter_bar_length(meter)
    if bar <= old:
        events = [replace(e, bar_pos=e.bar_pos % bar) for e in m.events]
    else:
        start = m.events[0].onset - m.events[0].bar_pos if m.events else Fraction(0)
        ratio = int(bar / old)
        events = [replace(e, bar_pos=e.bar_pos + ((int((e.onset - start) // old) + phase) % ratio) * old) for e in m.events]
    return replace(m, meter=meter, meters=[(t, meter) for t, _ in m.meters], events=events)
