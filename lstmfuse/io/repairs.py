"""The music21 repairs a score gets before it is written (and a kern score when it is read).

music21's and converter21's readers and writers disagree on a few things, and each gap
shows up as wrong or unreadable output: pickup bars filled with rests, invalid pedal
types, no clef, converter21's kern writer failing on empty creators. Each repair here is
one function that changes the score in place and returns how many things it changed;
:mod:`lstmfuse.io.writer` and :mod:`lstmfuse.io.reader` call them.
"""

from __future__ import annotations


def mark_partial_measures(score, *, again: bool = False) -> int:
    """Record the padding of incomplete measures, as music21's MusicXML reader does.

    A first measure shorter than its time signature is a pickup (``paddingLeft``); a short
    measure after a full one gets ``paddingRight``; a short measure right after a short one
    completes it (``paddingLeft``). Without this, writing MusicXML fills those measures with
    rests and moves every later note (a kern pickup of one beat became a full bar).
    Measures that already carry padding are left alone, unless ``again``: then every measure
    after the first is padded anew by these rules (music21 10.5's MusicXML reader, which
    converter21's ABC reader goes through too, forgets to clear "the last measure was short"
    at a full one, so a short last bar long after a section's short end bar came out as the
    completion of it, its notes an eighth or more late in the bar: O'Neill's 264). Returns
    how many were marked or changed.
    """
    from music21 import meter, stream

    marked = 0
    for part in score.parts:
        last_was_short = False
        current = None  # the time signature in force
        for i, m in enumerate(part.getElementsByClass(stream.Measure)):
            if m.timeSignature is not None:
                current = m.timeSignature
            elif i == 0:
                # (not m.barDuration: without a time signature music21 guesses one, which
                # costs seconds per measure on odd lengths)
                current = m.getContextByClass(meter.TimeSignature)
            if (m.paddingLeft or m.paddingRight) and not (again and i > 0):
                last_was_short = bool(m.paddingRight)
                continue
            if current is None:  # no meter (free rhythm): nothing to compare with
                last_was_short = False
                continue
            bar = current.barDuration.quarterLength
            filled = m.highestTime
            if filled == 0 or filled >= bar:
                last_was_short = False
                if again and i > 0 and (m.paddingLeft or m.paddingRight):
                    m.paddingLeft = m.paddingRight = 0
                    marked += 1
                continue
            if i == 0 or last_was_short:
                wanted = (bar - filled, 0)
                last_was_short = False
            else:
                wanted = (0, bar - filled)
                last_was_short = True
            if (m.paddingLeft, m.paddingRight) != wanted:
                m.paddingLeft, m.paddingRight = wanted
                marked += 1
    return marked


def kern_write_problems(score) -> str | None:
    """A reason why converter21's Humdrum writer would fail on ``score``, found up front
    (its own error for these is a bare ``KeyError: None``); None when nothing is known."""
    from music21 import key

    for ks in score.recurse().getElementsByClass(key.KeySignature):
        if ks.sharps is None:
            where = ks.measureNumber
            at = f" in measure {where}" if where is not None else ""
            return f"**kern cannot hold the non-traditional key signature{at} (only 0-7 sharps or flats)"
    return None


def fill_pedal_types(score) -> int:
    """Give pedal marks without a pedal type the damper (sustain) pedal.

    Humdrum's ``*ped``/``*Xped`` mean the damper pedal, but converter21 leaves the type
    unset, and music21 then writes ``<pedal type="sustain">``, which MusicXML 4.0 does not
    allow (lilypond suite 33a through kern). Returns how many marks were filled in.
    """
    from music21 import expressions

    filled = 0
    for mark in score.recurse().getElementsByClass(expressions.PedalMark):
        if mark.pedalType is None:
            mark.pedalType = expressions.PedalType.Sustain
            filled += 1
    return filled


def add_missing_clefs(score) -> int:
    """Give each part without any clef the one that fits its notes (percussion for drums).

    A source with no clef (ABC tunes, many generated files) was written without one, and
    engravers then drew the key signature below the staff. Returns how many were added.
    """
    from music21 import clef, note, percussion, stream

    added = 0
    for part in list(score.parts) or [score]:
        if part.recurse().getElementsByClass(clef.Clef).first() is not None:
            continue
        notes = list(part.recurse().notes)
        if not notes:
            continue
        if any(isinstance(n, (note.Unpitched, percussion.PercussionChord)) for n in notes):
            chosen = clef.PercussionClef()
        else:
            try:
                chosen = clef.bestClef(part, recurse=True)
            except Exception:  # a clef is cosmetic; never fail a write over it
                chosen = clef.TrebleClef()
        first = part.getElementsByClass(stream.Measure).first()
        (first if first is not None else part).insert(0, chosen)
        added += 1
    return added


def drop_empty_contributors(score) -> int:
    """Remove creators without a name (``<creator type="lyricist"/>``, common in MuseScore
    exports): converter21's kern writer fails on them with 'list index out of range'."""
    md = score.metadata
    if md is None:
        return 0
    removed = 0
    for key, values in list(md._contents.items()):  # music21 keeps contributors by role
        kept = [v for v in values if not (hasattr(v, "names") and not any(str(n).strip() for n in v.names))]
        if len(kept) != len(values):
            removed += len(values) - len(kept)
            if kept:
                md._contents[key] = kept
            else:
                del md._contents[key]
    return removed


def name_parts_by_abbreviation(score) -> int:
    """A part with only an abbreviation (``E.Pno``; its name blank) is named by it: ``info``
    shows that name, but kern kept only the abbreviation and MusicXML wrote an instrument
    name music21 guessed ("Electric Piano"), so the part came back named otherwise."""
    named = 0
    for part in score.parts:
        if not str(part.partName or "").strip() and str(part.partAbbreviation or "").strip():
            part.partName = str(part.partAbbreviation).strip()
            named += 1
    return named


def split_complex_durations(score) -> int:
    """Write a note no single head can show as tied heads (2 1/2 quarters: a half tied to an
    eighth), as an engraver does. converter21's kern writer wrote such a note as a rational
    value (``8%5``) that its reader then refused ("cannot convert quarterLength 12/5"), so a
    quantised MIDI file converted to kern could not be read back. Returns how many."""
    complex_notes = [n for n in score.recurse().notesAndRests if n.duration.type == "complex"]
    if complex_notes:
        score.splitAtDurations(recurse=True)
    return len(complex_notes)


def drop_doubled_dynamics(score) -> int:
    """A second identical dynamic at the same moment of a part (``f`` above and below a
    staff) is removed before writing kern: converter21 writes both in one ``**dynam`` token,
    ``f f``, which its reader takes for ``ff``."""
    from music21 import dynamics

    dropped = 0
    for part in list(score.parts) or [score]:
        seen: set[tuple[float, str]] = set()
        for dyn in list(part.recurse().getElementsByClass(dynamics.Dynamic)):
            at = (float(dyn.getOffsetInHierarchy(part)), str(dyn.value))
            if at in seen:
                dyn.activeSite.remove(dyn)
                dropped += 1
            else:
                seen.add(at)
    return dropped


def move_bar_end_dynamics(score) -> int:
    """A dynamic at the very end of a bar (after its last note: LilyPond 31a's fff) is moved to
    the downbeat of the part's next bar, where it takes effect, before writing kern: converter21
    refuses it ("Cannot support dynamic at very end of measure"). After a part's last note
    it governs no note, and is left out: put on the last note it would share a ``**dynam``
    token with that note's own dynamic ("ppp fff"), which converter21 reads as neither."""
    from music21 import dynamics, stream

    moved = 0
    for part in list(score.parts) or [score]:
        measures = list(part.getElementsByClass(stream.Measure))
        for i, m in enumerate(measures):
            length = m.duration.quarterLength
            for dyn in list(m.getElementsByClass(dynamics.Dynamic)):
                if dyn.offset < length or length == 0:
                    continue
                m.remove(dyn)
                following = measures[i + 1] if i + 1 < len(measures) else None
                if following is not None and not any(d.offset == 0 for d in following.getElementsByClass(dynamics.Dynamic)):
                    following.insert(0, dyn)  # (where the next bar opens with its own, that one rules)
                moved += 1
    return moved


__all__ = [
    "add_missing_clefs",
    "drop_doubled_dynamics",
    "drop_empty_contributors",
    "fill_pedal_types",
    "kern_write_problems",
    "mark_partial_measures",
    "move_bar_end_dynamics",
    "name_parts_by_abbreviation",
]
