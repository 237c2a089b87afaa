"""From sounding events to what a MuseScore plugin can write: bars, ties, tuplets.

The generator gives sounding events (onset, length in quarters, pitch or rest). MuseScore's
plugin API writes one *value* at a time (``cursor.setDuration(n, d); cursor.addNote(p)``):

* a value must be a plain or dotted note value (up to two dots);
* a note longer than the rest of its bar is split at the barline(s) by MuseScore itself,
  which ties the pieces; within each bar the part is cut greedily into the largest values
  that fit (``toDurationList``), and :func:`split_like_musescore` mirrors that exactly, so
  the bridge can say beforehand which tied pieces will appear;
* no plugin API up to 4.x can tie two notes it wrote separately inside one command, so a
  note that is not one value (5/16, a quarter tied to a sixteenth inside the bar) cannot be
  written; rests need no ties and are simply written as several rests;
* tuplets need ``cursor.addTuplet`` (MuseScore 3.5+); a tuplet group must sit inside one bar.

:func:`notate` returns the write operations and the expected pieces, or raises
:class:`Unwritable` naming the first event that cannot be written; the server then draws
another sample (see service.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from math import gcd

from lstmfuse.generation.score_write import rest_beat_cuts

#: MuseScore ticks per quarter note (PluginAPI.division).
DIVISION = 480
MAX_DOTS = 2  # values the bridge asks the plugin to set
SPLIT_DOTS = 4  # values MuseScore's own split may produce (toDurationList, maxDots = 4; measured on 3.2.3)
#: longest single value MuseScore knows (longa = 4 whole notes), shortest we allow (1/128)
_LONGEST = Fraction(4)
_SHORTEST = Fraction(1, 128)


class Unwritable(ValueError):
    """The events contain something the client's plugin API cannot write."""


def _is_pow2(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def is_binary(x: Fraction) -> bool:
    """A position on the plain (non-tuplet) grid: denominator a power of two."""
    return _is_pow2(x.denominator)


def valid_values(max_dots: int = MAX_DOTS) -> list[Fraction]:
    """Every plain or dotted (<= max_dots) note value in whole notes, longest first."""
    out = []
    base = _LONGEST
    while base >= _SHORTEST:
        v = base
        add = base
        for _ in range(max_dots + 1):
            if v <= _LONGEST:
                out.append(v)
            add /= 2
            v += add
        base /= 2
    return sorted(set(out), reverse=True)


_VALUES = valid_values()
_VALUE_SET = frozenset(_VALUES)
_SPLIT_VALUES = valid_values(SPLIT_DOTS)


def is_value(whole: Fraction) -> bool:
    """Whether a length (in whole notes) is one plain or dotted note value."""
    return whole in _VALUE_SET


def greedy(whole: Fraction) -> list[Fraction]:
    """Largest values first, as MuseScore's toDurationList(l, useDots=true) cuts a length."""
    out = []
    rest = whole
    for v in _SPLIT_VALUES:
        while v <= rest:
            out.append(v)
            rest -= v
    if rest:
        raise Unwritable(f"length {whole} cannot be cut into note values")
    return out


def split_like_musescore(start: Fraction, whole: Fraction, bar: Fraction) -> list[tuple[Fraction, Fraction]]:
    """Pieces (start, value), in whole notes from the start of bar 0, of a note of length
    ``whole`` written at ``start``: cut at each barline, each part cut greedily."""
    pieces = []
    for t, part in _bar_parts(start, whole, bar):
        for v in greedy(part):
            pieces.append((t, v))
            t += v
    return pieces


def _bar_parts(start: Fraction, whole: Fraction, bar: Fraction) -> list[tuple[Fraction, Fraction]]:
    """(start, length) of each bar's part of a length written at ``start``, cut at barlines."""
    parts = []
    t, left = start, whole
    while left > 0:
        part = min(left, (t // bar + 1) * bar - t)
        parts.append((t, part))
        t, left = t + part, left - part
    return parts


def frac_str(x: Fraction) -> str:
    return f"{x.numerator}/{x.denominator}"


@dataclass
class Piece:
    """One notehead or rest as it will appear in the score."""

    measure: int  # bar index from the bar where writing starts (0)
    pos: Fraction  # whole notes from that bar's start
    value: Fraction  # written value (whole notes; inside a tuplet the nominal value)
    actual: Fraction  # sounding length (whole notes)
    pitch: int | None
    tie_next: bool = False
    tuplet: dict | None = None


@dataclass
class WriteOp:
    """One cursor.setDuration + addNote (or rest) call."""

    start: Fraction  # whole notes from the start of bar 0
    value: Fraction  # the value to set (whole notes)
    pitch: int | None
    event: int  # index of the sounding event it belongs to
    tuplet: dict | None = None  # on the first op of a tuplet: addTuplet(ratio, total) first


@dataclass
class Notation:
    ops: list[WriteOp] = field(default_factory=list)
    pieces: list[Piece] = field(default_factory=list)


def _frac_gcd(a: Fraction, b: Fraction) -> Fraction:
    den = a.denominator * b.denominator // gcd(a.denominator, b.denominator)
    return Fraction(gcd(int(a * den), int(b * den)), den)


def notate(events: list[tuple[Fraction, Fraction, int | None]], start: Fraction, bar: Fraction, tuplets: bool,
           marks: list[Fraction] | None = None) -> Notation:
    """Write ``events`` (onset from the start position, length, pitch/None; all in whole
    notes, contiguous) starting ``start`` whole notes into bar 0 of length ``bar``.

    ``tuplets``: whether the client can create tuplets (MuseScore 3.5+ addTuplet). ``marks``:
    the beats a rest must show (whole notes from the barline; ``score_write.rest_marks``), at
    which rests are cut where they would hide one (``score_write.rest_beat_cuts``, as the
    MusicXML writer cuts them).
    """
    out = Notation()
    i = 0
    n = len(events)
    while i < n:
        onset, length, pitch = events[i]
        s = start + onset
        e = s + length
        if is_binary(s) and is_binary(e):
            _plain(out, i, s, length, pitch, bar, marks)
            i += 1
            continue
        # A tuplet group: from s (on the plain grid) to the first event end back on it.
        if not is_binary(s):
            raise Unwritable(f"event {i} starts off the note-value grid at {s}")
        j = i
        while j < n and not is_binary(start + events[j][0] + events[j][1]):
            j += 1
        if j == n:
            raise Unwritable(f"events from {i} never return to the note-value grid")
        _tuplet(out, events, i, j, start, bar, tuplets)
        i = j + 1
    return out


def _plain(out: Notation, index: int, s: Fraction, length: Fraction, pitch: int | None, bar: Fraction,
           marks: list[Fraction] | None = None) -> None:
    if pitch is None:
        # Rests need no ties: write each bar's part, cut where it would hide a beat, as
        # separate greedy values.
        for t, part in _bar_parts(s, length, bar):
            cuts = [t - t % bar + c for c in rest_beat_cuts(t % bar, part, marks, bar)] if marks else []
            for a, b in zip([t, *cuts], [*cuts, t + part]):
                for v in greedy(b - a):
                    out.ops.append(WriteOp(a, v, None, index))
                    out.pieces.append(Piece(int(a // bar), a % bar, v, v, None))
                    a += v
        return
    if not is_value(length):
        raise Unwritable(f"event {index}: a note of {length} whole notes is not one note value (it would need a tie the plugin API cannot write)")
    out.ops.append(WriteOp(s, length, pitch, index))
    pieces = split_like_musescore(s, length, bar)
    for k, (t, v) in enumerate(pieces):
        out.pieces.append(Piece(int(t // bar), t % bar, v, v, pitch, tie_next=k < len(pieces) - 1))


def _tuplet(out: Notation, events, i: int, j: int, start: Fraction, bar: Fraction, tuplets: bool) -> None:
    s = start + events[i][0]
    g_end = start + events[j][0] + events[j][1]
    total = g_end - s
    if not tuplets:
        raise Unwritable(f"events {i}-{j} form a tuplet, which this MuseScore's plugin API cannot write (needs 3.5+)")
    if int(s // bar) != int((g_end - Fraction(1, 10**9)) // bar):
        raise Unwritable(f"the tuplet of events {i}-{j} would cross a barline")
    if not is_value(total):
        raise Unwritable(f"the tuplet of events {i}-{j} lasts {total}, not one note value")
    unit = total
    for k in range(i, j + 1):
        unit = _frac_gcd(unit, start + events[k][0] - s)
        unit = _frac_gcd(unit, events[k][1])
    actual = int(total / unit)
    normal = 1
    while normal * 2 < actual:
        normal *= 2
    if actual < 2 or normal < 1:
        raise Unwritable(f"events {i}-{j}: no tuplet ratio")
    # fewer notes than the ratio counts (two triplet eighths and a triplet half): the smallest
    # ratio whose values fit, 3:2 and not 6:4, as an engraver writes it; a group of as many
    # equal notes as the ratio counts keeps it
    while j - i + 1 != actual and actual % 2 == 0 and normal % 2 == 0 and \
            is_value(total / (normal // 2)) and all(is_value(events[k][1] * actual / normal) for k in range(i, j + 1)):
        actual, normal = actual // 2, normal // 2
    base = total / normal
    if not is_value(base):
        raise Unwritable(f"events {i}-{j}: tuplet {actual}:{normal} over {total} has no note value for its unit")
    tup = {"actual": actual, "normal": normal, "total": total}
    for k in range(i, j + 1):
        onset, length, pitch = events[k]
        written = length * actual / normal
        if not is_value(written):
            raise Unwritable(f"event {k}: {length} inside a {actual}:{normal} tuplet is not one note value")
        t = start + onset
        first = k == i
        out.ops.append(WriteOp(t, written, pitch, k, dict(tup) if first else None))
        out.pieces.append(Piece(int(t // bar), t % bar, written, length, pitch, tuplet={**tup, "first": first}))


def to_ticks(whole: Fraction) -> int:
    t = whole * 4 * DIVISION
    if t.denominator != 1:
        raise Unwritable(f"{whole} whole notes is not a whole number of MuseScore ticks")
    return int(t)
