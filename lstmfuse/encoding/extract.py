"""music21 scores -> :class:`Melody` (the only place that reads notes out of a score)."""

from __future__ import annotations

import re
import warnings
from fractions import Fraction

from ..errors import UsageError
from .events import Melody, NoteEvent, frac, meter_bar_length


class PassageWarning(UserWarning):
    """The passage can be continued, but the result will likely disappoint (one line)."""


#: lowest median pitch (MIDI) of a passage the melody models are trained for: the genre
#: corpora are tunes and chorale sopranos, which sit from about G3 up. A bass line below
#: that gets mostly rests back (BWV 277's bass: 7 quarter rests and 1 note, every seed).
LOW_PASSAGE_MEDIAN = 55  # G3


def _is_drum_part(part) -> bool:
    from music21 import clef, note, percussion

    notes = list(part.recurse().notes)
    drums = sum(isinstance(n, (note.Unpitched, percussion.PercussionChord)) for n in notes)
    if notes:
        return drums * 2 > len(notes)
    return part.recurse().getElementsByClass(clef.PercussionClef).first() is not None


def _is_tab_part(part) -> bool:
    from music21 import clef

    return part.recurse().getElementsByClass(clef.TabClef).first() is not None


def unplayable_reason(part) -> str | None:
    """Why a part cannot be continued as a melody, or None when it can."""
    if _is_drum_part(part):
        return "is a drum-set (unpitched) part"
    if _is_tab_part(part):
        return "is a tablature staff (lstmfuse cannot write string and fret)"
    return None


def _listing(labels: list[str]) -> str:
    """Parts as a user names them: numbered from 1, as ``lstmfuse info`` and ``batch`` count."""
    return ", ".join(f"{i} '{name}'" for i, name in enumerate(labels, start=1))


def pick_part(score, part: int | str | None = None):
    """A part by its number as a user types it (a string of digits, from 1, as ``lstmfuse info``
    lists the parts and ``lstmfuse batch extract-parts`` takes them), by name (as ``info``
    prints it, or its id or abbreviation, any case; ``Part N``), or by a Python ``int`` index
    (from 0, as ``score.parts[i]``: what code passes).

    With ``part=None`` the first part with pitched notes (a score that opens with a drum set
    or a tablature staff gives the first melody-capable one). Asking for a drum-set or
    tablature part is refused with one line naming the parts that can be continued.
    """
    from ..io.summary import part_names

    parts = list(score.parts) or [score]
    labels = part_names(score)
    if part is None:
        for p in parts:
            if unplayable_reason(p) is None:
                return p
        raise UsageError(f"no part can be continued: every part is drums or tablature (parts: {_listing(labels)})")
    index = None
    if isinstance(part, bool):
        raise UsageError(f"a part is a number, a name or an index, not {part!r}")
    if isinstance(part, int):
        if not 0 <= part < len(parts):
            raise UsageError(
                f"part index {part} does not exist (the score has {len(parts)} part(s), indexed from 0)"
            )
        index = part
    elif isinstance(part, str) and part.strip().isdigit():
        number = int(part)
        if not 1 <= number <= len(parts):
            raise UsageError(
                f"part {number} does not exist (the score has {len(parts)} part(s), numbered from 1: {_listing(labels)})"
            )
        index = number - 1
    else:
        wanted = " ".join(str(part).split()).lower()
        for i, p in enumerate(parts):
            names = {labels[i].lower(), str(p.id).lower(), str(p.partName or "").lower(), str(p.partAbbreviation or "").lower()}
            if wanted in names - {""}:
                index = i
                break
        if index is None:
            numbered = re.fullmatch(r"part\s*(\d+)", wanted)
            if numbered and 1 <= int(numbered.group(1)) <= len(parts):
                index = int(numbered.group(1)) - 1
        if index is None:
            raise UsageError(f"no part named '{part}' (parts: {_listing(labels)})")
    chosen = parts[index]
    reason = unplayable_reason(chosen)
    if reason is not None:
        playable = [f"{i} '{labels[i - 1]}'" for i, p in enumerate(parts, start=1) if unplayable_reason(p) is None]
        hint = f"choose a pitched part with --part: {', '.join(playable)}" if playable else "the score has no pitched part"
        raise UsageError(f"part {index + 1} '{labels[index]}' {reason}; {hint}")
    return chosen


def bar_start(part, number: int) -> Fraction:
    """Where the measure printed as ``number`` starts (quarters from the part's start).

    Printed numbers are those in the file (MusicXML ``number``, kern ``=N``), the ones a
    MuseScore user sees: a pickup numbered 0 is bar 0, and bar 1 is the first full bar.
    Counting melody bars instead was off by one after a pickup and by many when numbering
    does not start at 1. A number the part does not print is refused in one line.
    """
    from music21 import stream

    measures = list(part.getElementsByClass(stream.Measure))
    for m in measures:
        if m.number == number:
            return frac(m.getOffsetInHierarchy(part))
    numbers = [m.number for m in measures]
    shown = f"{min(numbers)}-{max(numbers)}" if numbers else "none"
    raise UsageError(f"bar {number} is not a measure number of the part (its measures are numbered {shown})")


def _signatures(part) -> list[tuple[Fraction, int | None]]:
    """Every key signature of the part with its onset, in order (a continuation across a key
    change reads the bars before it in their own key: ``encoding.tokens.in_key_of_span``)."""
    from music21 import key

    found = [(frac(ks.getOffsetInHierarchy(part)), ks.sharps) for ks in part.recurse().getElementsByClass(key.KeySignature)]
    return sorted(found, key=lambda pair: pair[0])


def _key_context(part, at: Fraction | None = None) -> tuple[int, str | None, str | None, tuple[Fraction, Fraction | None]]:
    """Key signature sharps, mode, tonic name and the span where they are in force: the first
    key in the part (``at`` None: a piece's home key, what the corpora read), or the one in
    force at onset ``at`` (what a continuation from there, or new bars there, are written in).
    Without a signature that names a key by sharps (none at all, or a non-traditional one such
    as B-flat with F-sharp), the key the notes are in; without notes either, C (0 sharps)."""
    from music21 import key
    from music21.analysis.discrete import DiscreteAnalysisException

    def heard(span: tuple[Fraction, Fraction | None]):
        try:
            analysed = part.analyze("key")
        except DiscreteAnalysisException:  # rests only: nothing to hear a key in
            return 0, None, None, span
        return analysed.sharps, analysed.mode, analysed.tonic.name, span

    whole: tuple[Fraction, Fraction | None] = (Fraction(0), None)
    signatures = [(frac(ks.getOffsetInHierarchy(part)), ks) for ks in part.recurse().getElementsByClass(key.KeySignature)]
    signatures.sort(key=lambda pair: pair[0])
    if not signatures or (at is None and signatures[0][1].sharps is None):
        return heard(whole)
    span = whole
    found = signatures[0][1]
    if at is not None:
        def same(a, b) -> bool:
            return a.sharps == b.sharps and getattr(a, "mode", None) == getattr(b, "mode", None)

        current = max((i for i, (offset, _) in enumerate(signatures) if offset <= at), default=0)
        found = signatures[current][1]
        first = current
        while first > 0 and same(signatures[first - 1][1], found):
            first -= 1
        after = [offset for offset, ks in signatures[current + 1:] if not same(ks, found)]
        span = (Fraction(0) if first == 0 else signatures[first][0], after[0] if after else None)
        if found.sharps is None:  # a non-traditional signature from here on: hear the notes
            return heard(span)
    if isinstance(found, key.Key):
        mode = found.mode if found.mode in ("major", "minor") else None
        return found.sharps, mode, found.tonic.name, span
    return found.sharps, None, None, span


#: the meter of a part marked senza misura (unmetered): with_readable_meters refuses to bar it
SENZA_MISURA = "senza misura"


def meter_of_bars(lengths: list[Fraction]) -> str | None:
    """The meter of a part written with barlines but no time signature (LilyPond 21e, a score
    whose writer never set one), from its bars' lengths in quarters: the most common length of
    the bars after the first (which may be a pickup), the longest among equals; n/4 for whole
    quarters, else n/8 or n/16. None: no bars, or a length no such meter writes. Before, such
    a part was read in 4/4 whatever its bars, and 21e's bars of two quarters were continued
    in bars of four."""
    rest = [x for x in (lengths[1:] if len(lengths) > 1 else lengths) if x > 0]
    if not rest:
        return None
    length = max(set(rest), key=lambda x: (rest.count(x), x))
    for den in (4, 8, 16):
        n = length * den / 4
        if n.denominator == 1:
            return f"{n.numerator}/{den}"
    return None


def melody_from_part(part, source: str = "", key_at: Fraction | str | None = None) -> Melody:
    """Read a part as a melody: ties merged, chords reduced to their top note, grace notes
    dropped (they take no time), voices other than the first ignored.

    ``key_at``: whose key signature the melody carries: None the part's first (its home key),
    an onset in quarters the one in force there (new bars in the middle), ``"end"`` the one in
    force at its last note (a continuation: after a key change, the new key)."""
    from music21 import meter as m21meter

    events: list[NoteEvent] = []
    ties: list[str | None] = []  # per event: its tie's type (start, continue, stop) or None
    meters: list[tuple[Fraction, str]] = []
    groups: tuple[int, ...] | None = None  # the last composite signature's groups
    measures = list(part.getElementsByClass("Measure"))
    containers = measures if measures else [part]
    unmetered = bool(measures) and part.recurse().getElementsByClass(m21meter.TimeSignature).first() is None
    senza_misura = unmetered and part.recurse().getElementsByClass(m21meter.SenzaMisuraTimeSignature).first() is not None
    bars_meter = meter_of_bars([frac(m.duration.quarterLength) for m in measures]) if unmetered and not senza_misura else None
    for i, measure in enumerate(containers):
        m_off = frac(measure.getOffsetInHierarchy(part)) if measures else Fraction(0)
        ts = measure.timeSignature if measures else None
        if ts is not None:
            meters.append((m_off, _meter_name(ts)))
            groups = _written_groups(ts)
        pad = frac(measure.paddingLeft) if measures else Fraction(0)
        if bars_meter and i == 0 and len(measures) > 1:  # a first bar shorter than the others: a pickup
            pad = max(pad, meter_bar_length(bars_meter) - frac(measure.duration.quarterLength))
        voices = list(measure.voices) if measures else []
        holder = voices[0] if voices else measure
        for el in holder.notesAndRests:
            dur = frac(el.quarterLength)
            if dur <= 0:
                continue  # grace notes
            local = frac(el.offset) + (frac(holder.offset) if voices else Fraction(0))
            onset = m_off + local
            tie = None
            if el.isRest or not el.pitches:  # unpitched (drum) notes take time, like rests
                pitch, spelling = None, None
            elif el.isChord:
                top = max(el.notes, key=lambda n: n.pitch.midi)
                pitch, spelling, tie = top.pitch.midi, top.pitch.nameWithOctave, top.tie or el.tie
            else:
                pitch, spelling, tie = el.pitch.midi, el.pitch.nameWithOctave, el.tie
            events.append(NoteEvent(pitch, onset, dur, pad + local, spelling))
            ties.append(tie.type if tie is not None else None)
    if not meters:
        first = part.recurse().getElementsByClass(m21meter.TimeSignature).first()
        meters = [(Fraction(0), _meter_name(first) if first else SENZA_MISURA if senza_misura else bars_meter or "4/4")]
        groups = _written_groups(first) if first else None
    events = _drop_overlaps(snap_inexact_tuplets(merge_ties(events, ties)))
    if key_at == "end":
        key_at = events[-1].onset if events else Fraction(0)
    sharps, mode, tonic, key_span = _key_context(part, key_at)
    melody = Melody(events, meter=meters[-1][1], sharps=sharps, mode=mode, tonic=tonic, source=source, meters=meters,
                    key_span=key_span, signatures=_signatures(part) if key_span != (0, None) else [], beat_groups=groups)
    warn_if_low(melody)
    return melody


def _composite(ts) -> tuple[tuple[int, ...], int] | None:
    """A composite time signature's groups in units of its smallest note value, and that
    value's denominator (3+2/8: (3, 2), 8; 3/8+2/8+3/4: (3, 2, 6), 8); None for a plain one."""
    parts = [(int(p.numerator), int(p.denominator)) for p in ts.displaySequence]
    if len(parts) < 2:
        return None
    den = max(d for _, d in parts)
    return tuple(n * den // d for n, d in parts), den


def _meter_name(ts) -> str:
    """'n/d' for a time signature; a composite one (3+2/8, 3/8+2/8+3/4) is its sum in its
    smallest note value (5/8, 11/8): one bar length for the tokens, its groups kept apart
    (``_written_groups``)."""
    composite = _composite(ts)
    return ts.ratioString if composite is None else f"{sum(composite[0])}/{composite[1]}"


def _written_groups(ts) -> tuple[int, ...] | None:
    """The beat groups a composite time signature writes (3/8+2/8+3/4: (3, 2, 6) eighths)."""
    composite = _composite(ts)
    return None if composite is None else composite[0]


def with_readable_meters(melody: Melody) -> Melody:
    """``melody`` if every meter it is written in is one the encoder can bar (``n/d``; a
    composite signature such as 3+2/8 is read as its sum, ``_meter_name``); else a one-line
    UsageError naming its file (senza misura, a meter with no bar length)."""
    from ..errors import UsageError
    from .events import meter_bar_length

    for _, meter in melody.meters or [(Fraction(0), melody.meter)]:
        if meter == SENZA_MISURA:
            raise UsageError("the part is senza misura (unmetered): lstmfuse writes bars of a meter; give the part a "
                             "time signature to continue it", melody.source, about="meter")
        try:
            meter_bar_length(meter)
        except UsageError:
            raise UsageError(f"the part is in {meter}, an irregular meter lstmfuse cannot bar "
                             "(only n/d meters such as 6/8 or 7/8, and composite ones such as 3+2/8)", melody.source, about="meter") from None
    return melody


def warn_if_low(melody: Melody) -> str | None:
    """Warn (:class:`PassageWarning`) when the passage lies below the models' melodies."""
    pitches = sorted(e.pitch for e in melody.events if e.pitch is not None)
    if not pitches:
        return None
    median = pitches[len(pitches) // 2]
    if median >= LOW_PASSAGE_MEDIAN:
        return None
    from music21 import pitch as m21pitch

    name = m21pitch.Pitch(midi=median).nameWithOctave.replace("-", "b")
    message = (
        f"the passage lies low for the melody models (median {name}, they learnt tunes from about G3 up): "
        "expect few notes and many rests; continue a melody part, or transpose it up an octave first"
    )
    warnings.warn(PassageWarning(message), stacklevel=2)
    return message


def snap_inexact_tuplets(events: list[NoteEvent]) -> list[NoteEvent]:
    """Move onsets and ends that miss a tuplet by a hair onto it.

    Notation programs store triplets in integer divisions, so a triplet eighth in
    ``schubert/Lindenbaum.xml`` lasts 85/256 or 86/256 of a quarter instead of 1/3; the
    encoder refused the whole melody. A point within 1/96 quarter of the 1/24 or 1/10 grid
    moves there (:func:`lstmfuse.io.tidy.snap_time`, which the MusicXML reader uses too) (durations follow from the snapped ends); exact points and
    anything further off are left alone (the encoder names what it cannot write).
    """
    from ..io.tidy import snap_time

    out = []
    for e in events:
        onset, end = snap_time(e.onset), snap_time(e.end)
        if (onset, end) == (e.onset, e.end) or end <= onset:
            out.append(e)
            continue
        out.append(NoteEvent(e.pitch, onset, end - onset, e.bar_pos + (onset - e.onset), e.spelling))
    return out


def merge_ties(events: list[NoteEvent], ties: list[str | None]) -> list[NoteEvent]:
    """Tied notes as one event, in onset order: a note of the same pitch that starts where a
    note ends is merged into it when a tie joins them (the first's tie starts or continues, or
    the second's stops or continues: files often mark only one end, and music21 joins them).

    music21's ``stripTies`` does the same on a copy of the part, but re-sorts the stream at
    every note it removes: 24 of the 45 seconds ``continue`` took on Beethoven's op. 133
    (742 bars; bench/bench_read_melody.py). This is one pass."""
    order = sorted(range(len(events)), key=lambda i: events[i].onset)
    out: list[NoteEvent] = []
    carries = False  # the last event's last note ties on
    for i in order:
        e = events[i]
        prev = out[-1] if out else None
        joined = carries or ties[i] in ("stop", "continue")
        if joined and prev is not None and prev.pitch is not None and prev.pitch == e.pitch and prev.end == e.onset:
            out[-1] = NoteEvent(prev.pitch, prev.onset, prev.duration + e.duration, prev.bar_pos, prev.spelling)
        else:
            out.append(e)
        carries = ties[i] in ("start", "continue")
    return out


def _drop_overlaps(events: list[NoteEvent]) -> list[NoteEvent]:
    """Keep the line monophonic: a note that starts before the previous one ends is cut."""
    out: list[NoteEvent] = []
    for e in events:
        if out and e.onset < out[-1].end:
            prev = out[-1]
            if e.onset <= prev.onset:
                continue
            out[-1] = NoteEvent(prev.pitch, prev.onset, e.onset - prev.onset, prev.bar_pos, prev.spelling)
        out.append(e)
    return out
