"""music21 scores -> :class:`Melody` (the only place that reads notes out of a score)."""

from __future__ import annotations

from fractions import Fraction

from ..errors import UsageError
from .events import Melody, NoteEvent, frac


def pick_part(score, part: int | str | None = None):
    """A part by index or by (case-insensitive) name/id; the first part by default."""
    parts = list(score.parts) or [score]
    if part is None:
        return parts[0]
    if isinstance(part, int) or (isinstance(part, str) and part.isdigit()):
        idx = int(part)
        if not 0 <= idx < len(parts):
            raise UsageError(f"part {idx} does not exist (the score has {len(parts)} part(s), numbered from 0)")
        return parts[idx]
    wanted = str(part).lower()
    for p in parts:
        names = {str(p.id).lower(), str(p.partName or "").lower(), str(p.partAbbreviation or "").lower()}
        if wanted in names:
            return p
    listing = ", ".join(str(p.partName or p.id) for p in parts)
    raise UsageError(f"no part named '{part}' (parts: {listing})")


def _key_context(part) -> tuple[int, str | None, str | None]:
    """Key signature sharps, mode and tonic name from the first key in the part."""
    from music21 import key

    found = part.recurse().getElementsByClass(key.KeySignature).first()
    if found is None:
        analysed = part.analyze("key")
        return analysed.sharps, analysed.mode, analysed.tonic.name
    if isinstance(found, key.Key):
        mode = found.mode if found.mode in ("major", "minor") else None
        return found.sharps, mode, found.tonic.name
    return found.sharps, None, None


def melody_from_part(part, source: str = "") -> Melody:
    """Read a part as a melody: ties merged, chords reduced to their top note, grace notes
    dropped (they take no time), voices other than the first ignored."""
    from music21 import meter as m21meter

    merged = part.stripTies()
    events: list[NoteEvent] = []
    meters: list[tuple[Fraction, str]] = []
    measures = list(merged.getElementsByClass("Measure"))
    containers = measures if measures else [merged]
    for measure in containers:
        m_off = frac(measure.getOffsetInHierarchy(merged)) if measures else Fraction(0)
        ts = measure.timeSignature if measures else None
        if ts is not None:
            meters.append((m_off, ts.ratioString))
        pad = frac(measure.paddingLeft) if measures else Fraction(0)
        voices = list(measure.voices) if measures else []
        holder = voices[0] if voices else measure
        for el in holder.notesAndRests:
            dur = frac(el.quarterLength)
            if dur <= 0:
                continue  # grace notes
            local = frac(el.offset) + (frac(holder.offset) if voices else Fraction(0))
            onset = m_off + local
            if el.isRest:
                pitch, spelling = None, None
            elif el.isChord:
                top = max(el.pitches, key=lambda p: p.midi)
                pitch, spelling = top.midi, top.nameWithOctave
            else:
                pitch, spelling = el.pitch.midi, el.pitch.nameWithOctave
            events.append(NoteEvent(pitch, onset, dur, pad + local, spelling))
    if not meters:
        first = merged.recurse().getElementsByClass(m21meter.TimeSignature).first()
        meters = [(Fraction(0), first.ratioString if first else "4/4")]
    events.sort(key=lambda e: e.onset)
    events = _drop_overlaps(events)
    sharps, mode, tonic = _key_context(part)
    return Melody(events, meter=meters[-1][1], sharps=sharps, mode=mode, tonic=tonic, source=source, meters=meters)


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
