"""The one encoder: Melody <-> token sequence plus the per-step metrical context.

Each note is a pitch token (or ``rest``) followed by a duration token; a duration without
a token of its own is written as a sum joined by ``<tie>`` (``4 <tie> 1`` for five beats),
so tuplets, dotted and tied values are exact and ``decode(encode(m))`` gives back every note.

Alongside each token the model sees *where in the bar* the next token's material starts
(a 1/12-quarter grid) and the meter, so it knows beat and barline without hold tokens.
Pitches are learnt in a normalised key (key signature moved to none, the nearest way);
``shift`` records how to move back.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np

from ..errors import LstmfuseError
from . import vocab as V
from .events import Melody, NoteEvent, bar_number, meter_bar_length


class Unrepresentable(LstmfuseError):
    """A melody holds a value the vocabulary cannot write exactly (e.g. 1/7 notes); ``event``
    is the note or rest (its onset sends the user to the bar)."""

    event: NoteEvent | None = None


def unrepresentable(melody: Melody, event: NoteEvent) -> Unrepresentable:
    """The error for ``event`` of ``melody``, naming its bar as the score numbers it (pass the
    whole melody where only a tail of it was encoded)."""
    err = Unrepresentable(
        f"a note or rest of {event.duration} quarter(s) in bar {bar_number(melody, event.onset)} cannot be "
        "encoded (the models' durations cannot sum to it: an unusual tuplet?)", melody.source or None)
    err.event = event
    return err


@dataclass(slots=True)
class Encoded:
    """Tokens with their context features (all the same length)."""

    tokens: np.ndarray  # int32
    positions: np.ndarray  # int32, V.position_id of the time the *next* token starts at
    meters: np.ndarray  # int32, V.meter_id
    shift: int  # semitones added to reach the normalised key

    def __len__(self) -> int:
        return len(self.tokens)


def normalising_shift(sharps: int) -> int:
    """Semitones that move a key signature of ``sharps`` to none (C major / A minor),
    choosing the smaller move (-5..+6)."""
    shift = (-7 * sharps) % 12
    return shift - 12 if shift > 6 else shift


def in_normalised_key(melody: Melody) -> Melody:
    """The melody moved to the normalised key (C major / A minor, no signature), as the models
    and the reference statistics see it."""
    shift = normalising_shift(melody.sharps)
    events = [replace(e, pitch=None if e.pitch is None else e.pitch + shift) for e in melody.events]
    return replace(melody, sharps=0, events=events)


def in_key_of_span(melody: Melody) -> Melody:
    """The melody as if its key signature in force (``key_span``) held throughout: the notes under
    another signature are moved by the smallest interval that takes that signature's key to this
    one (F major's bars before a change to D major go down a minor third).

    Why: the models read a passage moved to the normalised key by one signature. A selection of
    twelve bars in F and four in D, moved by D's, reached them as twelve bars in E-flat and four in
    C, and the continuation (in D) took up the E-flat bars' notes: F naturals, A sharps, C naturals.
    Moved bar by bar, every bar is in the key the models continue in, and the passage's figures
    and phrases keep their steps. The score is never changed: this is what the models hear."""
    if not melody.signatures or melody.key_span == (0, None):
        return melody
    since, until = melody.key_span
    target = normalising_shift(melody.sharps)
    timeline = [(at, sharps) for at, sharps in melody.signatures]
    events = []
    for e in melody.events:
        inside = since <= e.onset and (until is None or e.onset < until)
        own = next((sharps for at, sharps in reversed(timeline) if at <= e.onset), timeline[0][1])
        if e.pitch is None or inside or own is None:
            events.append(e)
            continue
        move = (normalising_shift(own) - target + 6) % 12 - 6
        events.append(replace(e, pitch=e.pitch + move, spelling=None) if move else e)
    return replace(melody, events=events, signatures=[])


def decompose(duration: Fraction) -> list[Fraction] | None:
    """Write a duration as a sum of vocabulary durations (largest first); None if impossible."""
    parts = _decompose(duration)
    return None if parts is None else list(parts)


@functools.lru_cache(maxsize=8192)
def _decompose(duration: Fraction) -> tuple[Fraction, ...] | None:
    parts: list[Fraction] = []
    rest = duration
    for d in reversed(V.DURATIONS):
        while rest >= d:
            parts.append(d)
            rest -= d
        if rest == 0:
            return tuple(parts)
    return None


def _meter_lookup(melody: Melody):
    timeline = sorted(melody.meters) if melody.meters else [(Fraction(0), melody.meter)]

    def meter_at(onset: Fraction) -> str:
        current = timeline[0][1]
        for start, m in timeline:
            if start <= onset:
                current = m
            else:
                break
        return current

    return meter_at


def fill_gaps(events: list[NoteEvent], start: Fraction | None = None) -> list[NoteEvent]:
    """Make the line contiguous: silence between notes becomes explicit rests."""
    out: list[NoteEvent] = []
    t = events[0].onset if events and start is None else (start or Fraction(0))
    for e in events:
        if e.onset > t and out:
            gap = e.onset - t
            prev = out[-1]
            out.append(NoteEvent(None, t, gap, prev.bar_pos + prev.duration, None))
        out.append(e)
        t = e.end
    return out


def encode(melody: Melody, *, normalise: bool = True, bos: bool = True, eos: bool = True) -> Encoded:
    """Tokens for a melody; raises Unrepresentable for durations the vocabulary cannot sum to."""
    shift = normalising_shift(melody.sharps) if normalise else 0
    meter_at = _meter_lookup(melody)
    toks: list[int] = []
    poss: list[int] = []
    mets: list[int] = []

    def push(tok: int, pos: Fraction, meter: str) -> None:
        bar = meter_bar_length(meter)
        toks.append(tok)
        poss.append(V.position_id(pos % bar if bar else pos))
        mets.append(V.meter_id(meter))

    events = fill_gaps(melody.events)
    if bos:
        first = events[0] if events else None
        push(V.BOS, first.bar_pos if first else Fraction(0), meter_at(first.onset) if first else melody.meter)
    for e in events:
        meter = meter_at(e.onset)
        push(V.REST if e.pitch is None else V.pitch_token(e.pitch + shift), e.bar_pos, meter)
        parts = decompose(e.duration)
        if parts is None:
            raise unrepresentable(melody, e)
        elapsed = Fraction(0)
        for k, d in enumerate(parts):
            if k:
                push(V.TIE, e.bar_pos + elapsed, meter)
            elapsed += d
            push(V.duration_token(d), e.bar_pos + elapsed, meter)
    if eos:
        push(V.EOS, Fraction(0), melody.meter)
    as_array = lambda xs: np.asarray(xs, dtype=np.int32)  # noqa: E731
    return Encoded(as_array(toks), as_array(poss), as_array(mets), shift)


def decode(
    tokens, *, shift: int = 0, start: Fraction = Fraction(0), start_bar_pos: Fraction = Fraction(0), meter: str = "4/4"
) -> list[NoteEvent]:
    """Events from tokens (specials skipped; a stray token out of grammar is ignored).

    ``shift`` is the encoding's normalising shift (undone here); ``start`` and
    ``start_bar_pos`` place the first event in time and in its bar.
    """
    bar = meter_bar_length(meter)
    events: list[NoteEvent] = []
    t = start
    pos = start_bar_pos
    pending: int | None | str = "none"  # pitch awaiting its duration
    extend = False
    for tok in (int(x) for x in tokens):
        if tok == V.EOS:
            break
        if V.is_pitch(tok):
            pending = None if tok == V.REST else V.token_pitch(tok) - shift
            extend = False
        elif tok == V.TIE:
            extend = bool(events)
        elif V.is_duration(tok):
            d = V.token_duration(tok)
            if extend and events:
                last = events[-1]
                events[-1] = NoteEvent(last.pitch, last.onset, last.duration + d, last.bar_pos, last.spelling)
                t += d
                pos = (pos + d) % bar
                extend = False
            elif pending != "none":
                events.append(NoteEvent(pending, t, d, pos, None))  # type: ignore[arg-type]
                t += d
                pos = (pos + d) % bar
                pending = "none"
    return events
