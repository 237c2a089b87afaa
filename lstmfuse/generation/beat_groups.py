"""Beat groups: of an additive meter (5/8, 7/8, 5/4, 11/8, ...) read off a passage, of a composite
signature (3+2/8) as it writes them, or as the user names them (--beats 3+3+2).

A 7/8 bar is not seven equal beats: it is heard as 2+2+3, 3+2+2 or 2+3+2 eighths, and a tune
keeps its grouping. The shipped genres hardly wrote such meters (25 of 7,176 folk songs, most
of them changing meter; one Irish tune; no Scottish, Bach or Palestrina one), and their
models, which read the bar position but never saw a bar of seven eighths end, wrote 4/4
rhythms into it: 4-21% of their notes in continuations of a 7/8 passage ran across the
barline (regularly barred real tunes in their own meters: folk, Irish, Scottish and Bach under
0.5%; Palestrina's parts 7% in 4/2, its suspensions). The engine keeps notes inside the groups
chosen here (``engine.Context.beat_starts``); docs/form.md, "Additive meters keep their beat
groups".

music21 gives no grouping (its 7/8 is seven eighth-note beats), so the grouping is the one the
passage's own notes fit best (``fit``), or without a passage the one real songs in the meter
use most.
"""

from __future__ import annotations

from fractions import Fraction

from ..encoding.events import Melody, NoteEvent
from .ticks import DURATION_TICKS, to_ticks

#: per number of units in the bar, the groupings (units of the meter's denominator) considered,
#: the one a tune from nothing takes first: the Essen songs in these meters (folk corpus, all
#: splits) fit 2+3 best in 10 of 16 in 5/4 and 3+2+2 in both in 7/8; 11 and 13 as Balkan dances
#: count them
GROUPINGS: dict[int, tuple[tuple[int, ...], ...]] = {
    5: ((2, 3), (3, 2)),
    7: ((3, 2, 2), (2, 2, 3), (2, 3, 2)),
    11: ((2, 2, 3, 2, 2), (3, 2, 2, 2, 2), (2, 2, 2, 2, 3), (3, 3, 3, 2), (2, 3, 3, 3)),
    13: ((2, 2, 2, 3, 2, 2), (3, 2, 2, 2, 2, 2), (2, 2, 2, 2, 2, 3), (2, 2, 3, 2, 2, 2)),
}


def _units(meter: str) -> tuple[int, Fraction] | None:
    """(units a bar, quarters a unit) of an additive meter; None for any other."""
    try:
        num, den = (int(x) for x in meter.split("/"))
    except ValueError:
        return None
    if num not in GROUPINGS or den not in (2, 4, 8, 16):
        return None
    return num, Fraction(4, den)


def is_additive(meter: str) -> bool:
    return _units(meter) is not None


def starts(groups: tuple[int, ...], unit: Fraction) -> list[Fraction]:
    """Where each group starts in the bar (quarters), the downbeat first."""
    out, t = [], Fraction(0)
    for g in groups:
        out.append(t)
        t += g * unit
    return out


def fit(groups: tuple[int, ...], unit: Fraction, bar: Fraction, events: list[NoteEvent]) -> Fraction:
    """How well a passage's notes sit in ``groups``: the time of the notes that start a group,
    less the time of those that start inside one and run past its end (quarters)."""
    marks = starts(groups, unit)
    score = Fraction(0)
    for e in events:
        if e.pitch is None or e.bar_pos >= bar:
            continue
        if e.bar_pos in marks:
            score += e.duration
        else:
            nxt = min([m for m in marks if m > e.bar_pos] + [bar])
            if e.bar_pos + e.duration > nxt:
                score -= e.duration
    return score


def choose(meter: str, events: list[NoteEvent] | None = None) -> tuple[int, ...] | None:
    """The beat groups of ``meter`` (units of its denominator) that ``events`` (a passage in it,
    bar positions set) fit best; the first of ``GROUPINGS`` where none fits better or there is
    no passage; None for a meter that is not additive."""
    units = _units(meter)
    if units is None:
        return None
    n, unit = units
    options = GROUPINGS[n]
    if not events:
        return options[0]
    bar = n * unit
    scores = [fit(g, unit, bar, events) for g in options]
    return options[scores.index(max(scores))]  # the first best on a tie


def start_ticks(meter: str, groups: tuple[int, ...] | None) -> tuple[int, ...] | None:
    """The group starts in a bar, in the engine's ticks (``Context.beat_starts``)."""
    if groups is None:
        return None
    return tuple(to_ticks(s) for s in starts(groups, Fraction(4, int(meter.split("/")[1]))))


def label(groups: tuple[int, ...]) -> str:
    """'2+2+3', as the settings and the user see it."""
    return "+".join(str(g) for g in groups)


def parse(text: str, meter: str) -> tuple[int, ...]:
    """A grouping the user names ('3+2+2') for ``meter``: its parts must add up to the bar's
    beats (8/8 as 3+3+2 too: any meter, in its own note value)."""
    from ..errors import UsageError

    try:
        groups = tuple(int(x) for x in text.split("+"))
    except ValueError:
        raise UsageError(f"--beats '{text}' is not a grouping like 2+2+3", about="beats") from None
    beats = int(meter.split("/")[0])
    if any(g < 1 for g in groups) or len(groups) < 2 or sum(groups) != beats:
        raise UsageError(f"--beats '{text}' does not add up to the {beats} beats of {meter}", about="beats")
    return groups


def for_passage(meter: str, passage: Melody | None, beats: str = "auto") -> tuple[int, ...] | None:
    """The groups a continuation (or a tune from nothing) in ``meter`` keeps: the ones named by
    ``beats`` ('auto' or such as '2+2+3'), else those the passage's time signature writes (a
    composite one, 3+2/8), else in an additive meter those its notes fit (its notes since its
    last change of meter); None in other meters."""
    if beats != "auto":
        return parse(beats, meter)
    written = passage.beat_groups if passage is not None and passage.meter == meter else None
    if written and len(written) > 1 and sum(written) == int(meter.split("/")[0]):
        return written  # the score's own composite signature (3+2/8)
    if _units(meter) is None:
        return None
    events: list[NoteEvent] = []
    if passage is not None and passage.events and passage.meter == meter:
        since = max((onset for onset, m in passage.meters), default=Fraction(0))
        events = [e for e in passage.events if e.onset >= since]
    return choose(meter, events)


def zone_from_group_start(end: int, zone: int, bar: int, starts: tuple[int, ...], longest: int, one_token: bool = False) -> int:
    """A phrase's last note (``zone`` ticks up to its ``end``, ticks from the bar its phrase
    began in) moved to start on a group start: the nearest one at or before where it would
    have, no longer than ``longest`` (the phrase); a template from 4/4 had a 7/8 tune end on a
    half note struck on the fourth eighth, across its group's end. ``one_token``: the length
    must be one duration token (the note ending a phrase's first half is not tied on; a whole
    7/8 bar is not one): then the nearest such start after it where none before is."""
    start = end - zone
    bar_start = (start // bar) * bar
    zones = [end - (bar_start + s) for s in starts if 0 < end - (bar_start + s) <= longest]
    if one_token:
        zones = [z for z in zones if z in DURATION_TICKS]
    if not zones:
        return zone
    longer = [z for z in zones if z >= zone]
    return min(longer) if longer else max(zones)


def of_settings(settings: dict) -> tuple[int, ...] | None:
    """The groups a result's settings name (``'beat_groups': '3+2+2'``), for the score writer."""
    text = settings.get("beat_groups")
    return tuple(int(x) for x in text.split("+")) if text else None
