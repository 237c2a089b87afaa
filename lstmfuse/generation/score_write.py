"""Generated melodies -> music21 (appended to a part, or a new one-part score).

Notes crossing a barline are split and tied; other parts get whole-bar rests in the new
bars so the score stays aligned; a final barline moves to the new last bar.
"""

from __future__ import annotations

import json
from fractions import Fraction

from ..encoding.events import Melody, NoteEvent, frac, meter_bar_length
from ..theory import key_alters


def _make(e: NoteEvent, length: Fraction, tie: str | None):
    from music21 import note, tie as m21tie

    if e.pitch is None:
        n = note.Rest(quarterLength=length)
    else:
        n = note.Note(e.spelling or e.pitch, quarterLength=length)
        if e.spelling is None:
            n.pitch.midi = e.pitch
        if tie:
            n.tie = m21tie.Tie(tie)
    return n


def is_single_value(length: Fraction) -> bool:
    """Whether a length is written as one note head: a plain or dotted value (no tie)."""
    return any(length in (Fraction(2) ** k, Fraction(3, 2) * Fraction(2) ** k) for k in range(-5, 5))


#: lengths one note head with two dots shows (a 7/8 or 7/4 bar)
_DOUBLE_DOTTED = frozenset(Fraction(7, 4) * Fraction(2) ** k for k in range(-4, 3))


def rest_beat_cuts(pos: Fraction, length: Fraction, marks: list[Fraction], bar: Fraction) -> list[Fraction]:
    """Where a rest inside one bar, from ``pos`` for ``length`` (in the bar, the unit of
    ``marks`` and ``bar``), is cut at the beats ``marks`` (where they fall in the bar, 0 among
    them): at every beat it crosses, unless it fills whole beats from one. A rest from a 6/8
    bar's third eighth to its end is an eighth and a quarter rest, as engravers write it, not a
    dotted quarter rest that hides the second beat; a dotted-quarter rest on a beat stays one.
    The MusicXML writer and the MuseScore bridge both call it."""
    end = pos + length
    inside = [m for m in marks if pos < m < end]
    if not inside or ((pos in marks or pos == bar) and (end in marks or end == bar)):
        return []
    return inside


def _beat_cuts(e: NoteEvent, start: Fraction, end: Fraction, marks: list[Fraction], bar: Fraction) -> list[Fraction]:
    """Where a piece of ``e`` from ``start`` to ``end`` (within one bar) is cut at its meter's
    beats (``marks``: where they fall in the bar): a note only where no single note head can
    show its length, which music21 would otherwise write largest value first (5 eighths in 6/8
    as a half tied to an eighth, hiding the beat; an engraver writes a dotted quarter tied to a
    quarter); a rest wherever it hides a beat (``rest_beat_cuts``)."""
    bar_start = start - (e.bar_pos + (start - e.onset)) % bar
    if e.pitch is None:
        return [bar_start + c for c in rest_beat_cuts(start - bar_start, end - start, marks, bar)]
    if is_single_value(end - start):
        return []
    if start == bar_start and end == bar_start + bar and end - start in _DOUBLE_DOTTED:
        return []  # a whole bar: one head where two dots show it (7/8)
    return [bar_start + m for m in marks if start < bar_start + m < end]


def _beat_marks(meter: str | None, groups: tuple[int, ...] | None) -> list[Fraction] | None:
    """Where a long note is cut to show the beat: an additive meter's group starts (7/8 as
    3+2+2: a note of five eighths from the fourth is a quarter tied to a dotted quarter), a
    compound meter's dotted beats; None in simple meters (music21's own splitting)."""
    from .form import COMPOUND_BEAT, beat_ticks
    from .ticks import from_ticks

    if not meter:
        return None
    bar = meter_bar_length(meter)
    if groups:
        from .beat_groups import starts

        return starts(groups, bar / sum(groups))
    if beat_ticks(meter) != COMPOUND_BEAT:
        return None
    beat = from_ticks(COMPOUND_BEAT)
    return [k * beat for k in range(int(bar / beat))]


def rest_marks(meter: str | None, groups: tuple[int, ...] | None = None) -> list[Fraction] | None:
    """Where a rest is cut to show the beat (quarters from the barline; ``rest_beat_cuts``): the
    beats a note is cut at in a compound or additive meter (``_beat_marks``); in a simple meter
    of four beats its half bar (a half rest from the second beat of 4/4 is two quarter rests),
    else each beat (2/4, 3/4, 2/2: the denominator's value)."""
    marks = _beat_marks(meter, groups)
    if marks or not meter:
        return marks
    beats, unit = meter.split("/")
    bar, beat = meter_bar_length(meter), Fraction(4, int(unit))
    step = bar / 2 if int(beats) == 4 else beat
    return [k * step for k in range(int(bar / step))]


def _split(events: list[NoteEvent], barlines: list[Fraction], meter: str | None = None, groups: tuple[int, ...] | None = None):
    """Yield (onset, length, event, tie) pieces cut at the given barline offsets (and, in a
    compound or additive meter, a length no note head can show at the beats: ``_beat_marks``;
    a rest wherever it hides a beat: ``rest_marks``)."""
    note_marks, for_rests = _beat_marks(meter, groups), rest_marks(meter, groups)
    bar = meter_bar_length(meter) if for_rests else None
    for e in events:
        cuts = [b for b in barlines if e.onset < b < e.end]
        bounds = [e.onset, *cuts, e.end]
        marks = for_rests if e.pitch is None else note_marks
        if marks and bar:
            bounds = sorted({*bounds, *(c for a, b in zip(bounds, bounds[1:]) for c in _beat_cuts(e, a, b, marks, bar))})
        pieces = len(bounds) - 1
        for i in range(pieces):
            tie = None
            if e.pitch is not None and pieces > 1:
                tie = "start" if i == 0 else ("stop" if i == pieces - 1 else "continue")
            yield bounds[i], bounds[i + 1] - bounds[i], e, tie


def show_accidentals(notes: list, sharps: int, earlier: list | None = None) -> None:
    """Show an accidental only where the key signature and earlier notes of the bar do not
    already imply it (a natural where one is needed), as an engraver would."""
    from music21 import pitch

    implied = key_alters(sharps)
    in_bar: dict[tuple[str, int | None], float] = {}
    for n in earlier or []:
        if getattr(n, "isNote", False):
            in_bar[(n.pitch.step, n.pitch.octave)] = n.pitch.alter
    for n in notes:
        if not getattr(n, "isNote", False):
            continue
        p = n.pitch
        expected = in_bar.get((p.step, p.octave), implied.get(p.step, 0.0))
        if p.alter != expected:
            if p.accidental is None:
                p.accidental = pitch.Accidental("natural")
            p.accidental.displayStatus = True
        elif p.accidental is not None:
            p.accidental.displayStatus = False
        in_bar[(p.step, p.octave)] = p.alter


def append_to_part(score, part_index: int, events: list[NoteEvent], meter: str, sharps: int | None = None,
                   groups: tuple[int, ...] | None = None) -> int:
    """Write ``events`` (absolute onsets in the part) after the part's last note; returns bars added.
    ``groups``: an additive meter's beat groups (``Result.settings['beat_groups']``), by which long
    notes are tied."""
    from music21 import bar as m21bar, note, stream

    parts = list(score.parts)
    part = parts[part_index]
    measures = list(part.getElementsByClass(stream.Measure))
    if not measures:
        part.makeMeasures(inPlace=True)
        measures = list(part.getElementsByClass(stream.Measure))
    last = measures[-1]
    bar = meter_bar_length(meter)
    last_start = frac(last.offset)
    last_len = frac(last.barDuration.quarterLength) - (frac(last.paddingLeft) if len(measures) == 1 else 0)
    last_end = last_start + last_len
    end = max((e.end for e in events), default=last_end)
    new_count = 0
    starts = []
    t = last_end
    while t < end:
        starts.append(t)
        t += bar
        new_count += 1
    barlines = [last_end, *starts[1:]]
    final_barline = last.rightBarline
    # new measures in every part
    new_measures: dict[int, list] = {}
    for pi, p in enumerate(parts):
        p_measures = list(p.getElementsByClass(stream.Measure))
        number = (p_measures[-1].number if p_measures else 0) + 1
        made = []
        for k, s in enumerate(starts):
            m = stream.Measure(number=number + k)
            if pi != part_index:
                m.insert(0, note.Rest(quarterLength=bar))
            p.insert(s, m)
            made.append(m)
        new_measures[pi] = made
        if p_measures:
            p_measures[-1].paddingRight = 0
            if final_barline is not None and p_measures[-1].rightBarline is not None:
                p_measures[-1].rightBarline = None
                if made:
                    made[-1].rightBarline = m21bar.Barline(final_barline.type)
    target_last = last.voices[0] if last.voices else last
    earlier = list(target_last.notes)
    by_measure: dict[int, list] = {}
    for onset, length, e, tie in _split(events, barlines, meter, groups):
        n = _make(e, length, tie)
        if onset < last_end:
            target_last.insert(onset - last_start - (frac(target_last.offset) if target_last is not last else 0), n)
            by_measure.setdefault(-1, []).append(n)
        else:
            k = int((onset - last_end) // bar)
            new_measures[part_index][k].insert(onset - starts[k], n)
            by_measure.setdefault(k, []).append(n)
    if sharps is not None:
        for k, notes in by_measure.items():
            show_accidentals(notes, sharps, earlier if k == -1 else None)
    for m in new_measures[part_index]:
        _beam(m, meter, groups)
    return new_count


def _group_signature(meter: str, groups: tuple[int, ...]):
    """A time signature of ``meter`` whose eighths are beamed by ``groups`` (7/8 as 3+2+2)."""
    from music21 import meter as m21meter

    time_signature = m21meter.TimeSignature(meter)
    den = meter.split("/")[1]
    time_signature.beamSequence = m21meter.MeterSequence("+".join(f"{g}/{den}" for g in groups))
    return time_signature


def _beam(measure, meter: str | None = None, groups: tuple[int, ...] | None = None) -> None:
    """Beam eighths and shorter by the meter, as music21 would on export of a fresh score; by
    ``groups`` where the meter has them (a new bar of the user's 7/8 in 3+2+2, without touching
    the user's time signature, which would re-beam the bars they wrote)."""
    try:
        if not (meter and groups):
            measure.makeBeams(inPlace=True)
            return
        import copy

        from music21 import stream

        model = stream.Measure()
        model.insert(0, _group_signature(meter, groups))
        mine = list(measure.notesAndRests)
        for n in mine:
            model.insert(n.offset, copy.deepcopy(n))
        model.makeBeams(inPlace=True)
        for n, beamed in zip(mine, model.notesAndRests):
            n.beams = copy.deepcopy(beamed.beams)
    except Exception:  # beaming is cosmetic: odd tuplet groupings must not fail a write
        pass


def melody_to_score(melody: Melody, title: str = "lstmfuse", groups: tuple[int, ...] | None = None):
    """A new one-part score holding ``melody`` with its key signature and meter (``groups``: as
    :func:`append_to_part`; by default the melody's own, else those its notes fit)."""
    from music21 import key, meter as m21meter, metadata, stream

    score = stream.Score()
    part = stream.Part()
    part.partName = "Melody"
    flat = stream.Part()
    if groups is None:  # the melody's own (a result's), else an additive meter's as its notes show them
        from .beat_groups import choose

        groups = melody.beat_groups or choose(melody.meter, melody.events)
    # eighths beamed by the groups (7/8 as 3+2+2), not in music21's pairs
    flat.insert(0, _group_signature(melody.meter, groups) if groups else m21meter.TimeSignature(melody.meter))
    signature = key.KeySignature(melody.sharps)
    # with its mode where the melody knows it (fuse --key e: the file says E minor, not only
    # one sharp); a modal or unknown mode keeps the bare signature
    flat.insert(0, signature.asKey(melody.mode) if melody.mode in ("major", "minor") else signature)
    # a melody that begins with a pickup is laid out from the barline before it, then its
    # first bar is made the short pickup bar (and its last bar the short bar that completes it)
    start = melody.events[0].onset if melody.events else Fraction(0)
    into_bar = melody.events[0].bar_pos if melody.events else Fraction(0)
    for onset, length, e, tie in _split(melody.events, [], melody.meter, groups):
        flat.insert(onset - start + into_bar, _make(e, length, tie))
    part = flat.makeMeasures()
    measures = list(part.getElementsByClass(stream.Measure))
    if into_bar and measures:
        first = measures[0]
        for el in first.notesAndRests:
            first.setElementOffset(el, el.offset - float(into_bar))
        first.paddingLeft = float(into_bar)
        first.number = 0
        first.showNumber = stream.enums.ShowNumber.NEVER  # written implicit="yes": a pickup
        for k, m in enumerate(measures[1:], start=1):
            m.number = k
            part.setElementOffset(m, part.elementOffset(m) - float(into_bar))  # bar 1 starts after the pickup
    if measures and melody.events:
        last = measures[-1]
        bar = meter_bar_length(melody.meter)
        filled = Fraction(last.highestTime).limit_denominator(960) - (into_bar if len(measures) == 1 else 0)
        room = bar - (into_bar if len(measures) == 1 else 0)
        if 0 < filled < room:
            last.paddingRight = float(room - filled)
    for m in part.getElementsByClass(stream.Measure):
        show_accidentals(list(m.notes), melody.sharps)
    part.makeTies(inPlace=True)
    part.partName = "Melody"
    score.insert(0, part)
    score.metadata = metadata.Metadata(title=title)
    return score


def record_settings(score, settings: dict) -> None:
    """Keep the generation settings in the file's metadata so a result can be reproduced."""
    from music21 import metadata

    if score.metadata is None:
        score.metadata = metadata.Metadata()
    score.metadata.addCustom("lstmfuse-settings", json.dumps(settings, sort_keys=True, default=str))
