"""What a score holds, at a glance: the library behind ``lstmfuse info``.

>>> s = summarise("examples/bach-bwv277.krn")       # doctest: +SKIP
>>> s.parts, s.key, s.meters, s.notes               # doctest: +SKIP
(['Soprano', 'Alto', 'Tenor', 'Bass'], 'F major', ['4/4'], 190)

Definitions (so that numbers mean the same for every format):

* ``notes``: sounding notes. Each pitch of a chord counts; a note tied over a barline
  counts once; grace notes and chord symbols are not counted. Rests are not notes.
  Unpitched (drum-set) notes count, and ``unpitched`` says how many of them there are;
  they have no pitch, so they are outside ``lowest``/``highest``.
* ``rests``: rests a reader sees; invisible rests (kern ``ryy``, MusicXML
  ``print-object="no"``, voice fill that writers add) are not counted.
* ``lowest``/``highest``: sounding pitch (notes under an ottava line count where they sound).
* ``measures``: the number of measures of the longest part (a pickup counts as one).
* ``key``: the key written in the file (``G major``; a bare signature reads
  ``1 sharp``), the first one when it changes; ``keys`` lists every distinct one.
* ``duration_quarters``: the length of the score in quarter notes;
  ``duration_seconds`` only when the file states a tempo (a metronome mark with a number,
  a kern ``*MM``, a MusicXML ``<sound tempo>``; not a number music21 guesses from a word),
  computed through every tempo change; if the first tempo comes after the start, it is
  assumed from the start and ``tempo_note`` says so.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from .formats import detect_format
from .score_summary import ScoreSummary


def _key_name(obj) -> str:
    from music21 import key as m21key

    if isinstance(obj, m21key.Key):
        tonic = obj.tonic.name.replace("-", "b")
        return f"{tonic} {obj.mode}"
    sharps = obj.sharps
    if sharps is None:  # a non-traditional signature (MusicXML <key-step>/<key-alter>) has no count
        altered = ", ".join(f"{p.step} {p.accidental.name if p.accidental else 'natural'}" for p in obj.alteredPitches)
        return f"non-traditional ({altered})" if altered else "non-traditional"
    if sharps == 0:
        return "no sharps or flats"
    word = "sharp" if sharps > 0 else "flat"
    n = abs(sharps)
    return f"{n} {word}{'s' if n != 1 else ''}"


def _unique(seq):
    out = []
    for x in seq:
        if x not in out:
            out.append(x)
    return out


def _part_name(part, index: int) -> str:
    for attr in ("partName", "partAbbreviation"):
        name = getattr(part, attr, None)
        if name:
            return str(name)
    inst = part.getInstrument(returnDefault=False) if hasattr(part, "getInstrument") else None
    if inst is not None and (inst.partName or inst.instrumentName):
        return str(inst.partName or inst.instrumentName)
    return f"Part {index + 1}"


def part_names(score) -> list[str]:
    """The name of each part as ``info`` prints it (``Part 3`` for one without a name).

    A staff of a multi-staff instrument without a name of its own takes the name of a named
    staff in the same group: kern names a piano once, on its lowest staff, so the upper
    staff read back from kern was "Part 2" beside "Piano".
    """
    from music21 import layout, stream

    parts = list(score.parts) or [score]
    names = [_part_name(p, i) for i, p in enumerate(parts)]
    for i, p in enumerate(parts):
        if names[i] != f"Part {i + 1}" or not isinstance(p, stream.PartStaff):
            continue
        for group in score.getElementsByClass(layout.StaffGroup):
            members = group.getSpannedElements()
            if p not in members:
                continue
            for other in members:
                if other is not p and other in parts:
                    j = parts.index(other)
                    if names[j] != f"Part {j + 1}":
                        names[i] = names[j]
                        break
            if names[i] != f"Part {i + 1}":
                break
        if names[i] == f"Part {i + 1}":  # no staff group read (converter21 may drop it):
            for j in (i + 1, i - 1):  # a neighbouring staff of the same kind
                if 0 <= j < len(parts) and isinstance(parts[j], stream.PartStaff) and names[j] != f"Part {j + 1}":
                    names[i] = names[j]
                    break
    return names


def _seconds(score) -> tuple[float | None, list[float], str | None]:
    """Seconds through every stated tempo, or None when the file states no tempo.

    Returns (seconds, distinct tempos in order, a note on any assumption made). A score
    whose first tempo comes after the start is timed as if that tempo held from the start
    (music21 would silently assume 120 there); the note says so.
    """
    from music21 import tempo

    found: dict[float, object] = {}
    for mark in score.recurse().getElementsByClass(tempo.MetronomeMark):
        if stated_bpm(mark) is None:
            continue
        try:
            offset = float(mark.getOffsetInHierarchy(score))
        except Exception:
            continue
        # One mark per offset (the same mark repeated in every part counts once). Where a
        # file gives a playback-only <sound tempo> and a printed mark at the same place
        # (maple_leaf_rag: 120, then "quarter = 100" with sound 100), the printed one holds.
        earlier = found.get(offset)
        if earlier is None or earlier.number is None or mark.number is not None:
            found[offset] = mark
    if not found:
        return None, [], None
    starts = sorted(found)
    end = float(score.highestTime)
    total = 0.0
    for i, offset in enumerate(starts):
        begin = 0.0 if i == 0 else offset
        stop = starts[i + 1] if i + 1 < len(starts) else end
        total += max(0.0, stop - begin) * found[offset].secondsPerQuarter()
    note = None
    if starts[0] > 0:
        note = (
            f"no tempo is stated before quarter {starts[0]:g}; "
            f"the first stated tempo ({stated_bpm(found[starts[0]]):g}) is assumed from the start"
        )
    return round(total, 3), _unique([stated_bpm(found[o]) for o in starts]), note


def stated_bpm(mark) -> float | None:
    """The tempo number a file states in a metronome mark, or None.

    Counts a printed number, a kern ``*MM`` (converter21 marks it ``numberImplicit`` so it
    is not engraved) and a MusicXML ``<sound tempo>`` (music21's ``numberSounding``); not a
    number music21 made up from a word such as "Allegro" (implicit and equal to its table).
    Returned in quarter notes per minute, whatever the mark's beat unit, so the figure is
    the same whichever format the score was read from.
    """
    if mark.numberSounding is None:
        if mark.number is None:
            return None
        if getattr(mark, "numberImplicit", False):
            text = mark.text
            if text and mark._getDefaultNumber(text) == mark.number:
                return None  # music21's guess from the tempo word
    bpm = mark.getQuarterBPM()  # in quarter notes: a half-note mark of 88 is 176, as kern's *MM
    return None if bpm is None else round(float(bpm), 3)


def _hidden(el) -> bool:
    return bool(el.hasStyleInformation and el.style.hideObjectOnPrint)


def summarise_score(score, path: str = "", fmt: str = "") -> ScoreSummary:
    """Summarise an already-loaded music21 score."""
    from music21 import harmony, meter, note, percussion, stream
    from music21 import key as m21key

    md = score.metadata
    title = None
    composer = None
    if md is not None:
        # title, then movement title (music21's MusicXML reader keeps a work title equal to
        # the movement title only as the latter), then anything else (alternative titles)
        first = md["title"]
        title = str(first[0]) if first else (md.movementName or md.bestTitle or None)
        composer = md.composer or None
        if title and path and title == Path(path).name:
            title = None  # music21 falls back to the file name; that is not a title
    parts = list(score.parts) or [score]
    names = part_names(score)

    keys_objs = list(score.recurse().getElementsByClass(m21key.KeySignature))
    keys_objs.sort(key=lambda k: k.getOffsetInHierarchy(score))
    keys = _unique([_key_name(k) for k in keys_objs])
    meters = _unique(
        ts.ratioString
        for ts in sorted(score.recurse().getElementsByClass(meter.TimeSignature), key=lambda t: t.getOffsetInHierarchy(score))
    )
    measures = max((len(p.getElementsByClass(stream.Measure)) for p in parts), default=0)

    notes = 0
    unpitched = 0
    rests = 0
    lowest = highest = None
    for n in score.recurse().notesAndRests:
        if n.duration.isGrace or isinstance(n, harmony.Harmony):  # chord symbols are not notes
            continue
        if n.isRest:
            rests += not _hidden(n)
            continue
        if isinstance(n, (note.Unpitched, percussion.PercussionChord)):
            heads = list(n.notes) if isinstance(n, percussion.PercussionChord) else [n]
            for head in heads:
                tie = getattr(head, "tie", None) or n.tie
                if tie is None or tie.type == "start":
                    notes += 1
                    unpitched += 1
            continue
        if not hasattr(n, "pitches"):
            continue
        for i, p in enumerate(n.pitches):
            tie = n.tie if n.isNote else (n.notes[i].tie if i < len(n.notes) else None)
            if tie is None or tie.type == "start":
                notes += 1
            if lowest is None or p.ps < lowest.ps:
                lowest = p
            if highest is None or p.ps > highest.ps:
                highest = p
    quarters = float(Fraction(score.highestTime).limit_denominator(100000))
    seconds, tempos, tempo_note = _seconds(score)

    def pname(p):
        return None if p is None else p.nameWithOctave.replace("-", "b")

    return ScoreSummary(
        path=path,
        format=fmt,
        title=title,
        composer=composer,
        parts=names,
        key=keys[0] if keys else None,
        keys=keys,
        meters=meters,
        measures=measures,
        notes=notes,
        rests=rests,
        lowest=pname(lowest),
        highest=pname(highest),
        duration_quarters=round(quarters, 4),
        duration_seconds=seconds,
        tempos=tempos,
        tempo_note=tempo_note,
        unpitched=unpitched,
    )


def note_content(score) -> list[list[tuple[str, Fraction, Fraction]]]:
    """The notes of each part as sorted ``(pitch, onset, duration)`` triples.

    Pitch is the spelled name with octave (``F#4``, so a respelling counts as a change),
    onset and duration are exact fractions of a quarter note, onsets measured from the start
    of the part. Each pitch of a chord is one triple; grace notes are left out; tied notes
    stay separate. Two scores with equal ``note_content`` sound the same notes at the same
    times: this is what the round-trip tests compare.
    """

    from music21 import harmony

    def exact(x) -> Fraction:
        return Fraction(x).limit_denominator(1_000_000)

    result = []
    for part in list(score.parts) or [score]:
        seq = []
        for n in part.flatten().notes:
            if n.duration.isGrace or isinstance(n, harmony.Harmony):
                continue
            onset, dur = exact(n.offset), exact(n.quarterLength)
            seq.extend((p.nameWithOctave, onset, dur) for p in n.pitches)
        seq.sort()
        result.append(seq)
    return result


def summarise(path: str | Path, tune: int = 1, streamed: bool | None = None, progress=None) -> ScoreSummary:
    """Read a score file (any format lstmfuse reads) and summarise it.

    ``tune`` picks the tune of an ABC collection (1-based). Raises LstmfuseError (one
    line, naming the file) for anything unreadable. A MusicXML file of more than
    :data:`~lstmfuse.io.limits.LARGE_SCORE_BYTES` of text is read in one streaming pass
    (:mod:`lstmfuse.io.streamed_summary`; ``streamed=True`` forces it, ``False`` forbids it):
    music21 took over 20 minutes on 50 MB. ``progress(measures, notes)`` follows that pass.
    """
    from ..errors import UsageError
    from .quiet import quiet
    from .formats import tune_count_hint
    from .limits import LARGE_SCORE_BYTES, score_bytes
    from .reader import load

    p = Path(path)
    fmt = detect_format(p)
    if tune < 1:
        raise UsageError(f"--tune must be 1 or more (got {tune})")
    if streamed is None:
        streamed = fmt in ("musicxml", "mxl") and score_bytes(p) > LARGE_SCORE_BYTES
    if streamed and fmt in ("musicxml", "mxl"):
        from .streamed_summary import streamed_summary

        fast = streamed_summary(p, progress=progress)
        if fast is not None:
            fast.format = fmt
            return fast
    with quiet():
        score = load(p, index=tune - 1)
        summary = summarise_score(score, str(p), fmt)
    summary.tunes_in_file = tune_count_hint(p)
    return summary


__all__ = ["ScoreSummary", "note_content", "part_names", "stated_bpm", "summarise", "summarise_score"]
