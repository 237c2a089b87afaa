"""The one score writer: kern (via converter21), MusicXML, .mxl and MIDI, always atomic."""

from __future__ import annotations

import contextlib
import copy
import io
import warnings
from collections.abc import Iterator
from pathlib import Path

from ..errors import ScoreWriteError, UsageError
from .atomic import atomic_output, check_writable
from .formats import WRITABLE, format_from_suffix, normalise_format
from .reader import music21_ready
from .repairs import (add_missing_clefs, drop_doubled_dynamics, move_bar_end_dynamics, drop_empty_contributors, fill_pedal_types,
                      name_parts_by_abbreviation, split_complex_durations)
from .voice_gaps import fill_voice_gaps

_M21_FORMAT = {"kern": "humdrum", "musicxml": "musicxml", "mxl": "mxl", "midi": "midi"}


def output_format(path: str | Path, fmt: str | None = None) -> str:
    """The format to write: given explicitly, or from the file name."""
    found = normalise_format(fmt) if fmt else format_from_suffix(path)
    if found is None:
        raise UsageError(f"cannot tell the output format from '{Path(path).name}' (use .krn, .musicxml, .mxl or .mid)")
    if found not in WRITABLE:
        raise UsageError(f"cannot write {found} (writable: {', '.join(WRITABLE)})")
    return found


def save(score, path: str | Path, fmt: str | None = None, force: bool = False) -> Path:
    """Write ``score`` to ``path`` atomically; never clobbers an existing file unless ``force``.

    Raises ScoreWriteError naming the file; on failure no file (not even a partial one) is left.
    """
    target = Path(path)
    kind = output_format(target, fmt)
    check_writable(target, force)
    music21_ready()
    repair_before_writing(score, kind)
    if kind == "midi":
        score = _pickups_as_silence(_at_sounding_pitch(score))
    with atomic_output(target, force) as tmp, _titles_for(score, kind), _kern_tempos(score, kind), \
            _no_placeholders(), _overfull_bars_kept(), _kern_percussion_chords(kind), _kern_harmonies(kind), _no_guessed_tempos(score), \
            _midi_programs_from_names(score, kind), _midi_without_nontraditional_keys(score, kind):
        try:
            with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
                    contextlib.redirect_stderr(io.StringIO()):  # converter21 prints "Appending 2.0QL space to measure 1"
                warnings.simplefilter("ignore")
                if kind == "mxl":  # music21 would name the score inside after the temporary file
                    written = score.write("musicxml", fp=str(tmp), compress=False)
                else:
                    written = score.write(_M21_FORMAT[kind], fp=str(tmp))
        except ScoreWriteError:
            raise
        except Exception as exc:  # writer internals raise many types
            detail = " ".join(str(exc).split())[:200] or type(exc).__name__
            raise ScoreWriteError(f"cannot write as {kind}: {detail}", target) from None
        if written is not None and Path(written) != tmp and Path(written).exists():
            Path(written).replace(tmp)  # a writer that chose its own suffix
        if kind == "mxl":  # the MusicXML 4.0 layout, the score named after the file it is in
            from .musicxml import write_mxl

            tmp.write_bytes(write_mxl(tmp.read_bytes(), target.stem + ".musicxml"))
        if kind == "kern":
            _check_kern_output(tmp, target)
    return target


def export_musicxml(score, label: str | Path) -> bytes:
    """``score`` as MusicXML bytes from music21's exporter, repaired as :func:`save` repairs
    it; for a caller that edits the tree (a batch's conversion, :mod:`.splice`)."""
    from music21.musicxml import m21ToXml

    from .quiet import quiet

    repair_before_writing(score, "musicxml")
    with warnings.catch_warnings(), quiet(), _overfull_bars_kept():  # music21 prints "we are out of midi channels! help!"
        warnings.simplefilter("ignore")
        try:
            return m21ToXml.GeneralObjectExporter(score).parse()
        except Exception as exc:  # music21's exporter raises many types
            detail = " ".join(str(exc).split())[:200] or type(exc).__name__
            raise ScoreWriteError(f"music21 cannot export this score to MusicXML: {detail}", label) from None


def repair_before_writing(score, kind: str) -> None:
    """What music21's writers need fixed first, for every path that writes ``kind`` from a
    music21 score (``save``, and a batch's conversion to MusicXML, which exports the tree
    itself): pedal types MusicXML 4.0 allows, a clef on every part, no gap converter21 writes
    wrongly, no empty contributors, part names."""
    if kind in ("musicxml", "mxl"):
        fill_pedal_types(score)
    add_missing_clefs(score)
    if kind == "kern":
        fill_voice_gaps(score)  # converter21 wrote a 3 1/4-quarter gap as a 16th rest
        split_complex_durations(score)  # and 2 1/2 quarters as "8%5", which its reader refuses
        drop_doubled_dynamics(score)  # "f f" in one **dynam token reads back as ff
        move_bar_end_dynamics(score)  # converter21 refuses a dynamic after a bar's last note
    drop_empty_contributors(score)
    name_parts_by_abbreviation(score)


def _at_sounding_pitch(score):
    """MIDI is what the instruments sound: a B-flat trumpet's written D sounds C. music21 writes
    the written pitches, so every transposing instrument played a tone (or a sixth) too high. A
    copy at sounding pitch is written; the user's score is not touched."""
    parts = list(score.parts) or [score]
    if all(getattr(p, "atSoundingPitch", True) is not False for p in parts):
        return score
    return score.toSoundingPitch(inPlace=False)


def _pickups_as_silence(score):
    """MIDI has no pickup bar: music21 writes a pickup's notes from time 0, so every barline
    after it fell early by the pickup's missing part (a jig's upbeat became its downbeat). A
    copy of the score is written instead whose pickup bars open with that much silence, as a
    sequencer shows an upbeat; the user's score is not touched."""
    import copy

    from music21 import stream

    def pad_of(part) -> float:
        first = next(iter(part.getElementsByClass(stream.Measure)), None)
        return float(first.paddingLeft or 0) if first is not None else 0.0

    if not any(pad_of(p) for p in score.parts):
        return score
    out = copy.deepcopy(score)
    for part in out.parts:
        pad = pad_of(part)
        if not pad:
            continue
        measures = list(part.getElementsByClass(stream.Measure))
        first = measures[0]
        for container in [first, *first.voices]:  # kern and MusicXML put notes in voices too
            for el in list(container.notesAndRests):
                container.setElementOffset(el, el.offset + pad)
        first.paddingLeft = 0
        for m in measures[1:]:
            part.setElementOffset(m, part.elementOffset(m) + pad)
    return out


def _check_kern_output(tmp: Path, target: Path) -> None:
    """music21 alone writes a repr instead of kern; make sure real Humdrum came out."""
    head = tmp.read_text(encoding="utf-8", errors="replace")[:4096]
    if "**kern" not in head:
        raise ScoreWriteError("the Humdrum writer produced no **kern spine", target)


@contextlib.contextmanager
def _titles_for(score, kind: str) -> Iterator[None]:
    """For MusicXML, write the original-language title as the title and translations as
    alternative titles (restored afterwards): MusicXML has one work title, and music21
    otherwise writes the translation last, so reading back gave the English title of a
    German chorale (chor001) and lost the original."""
    md = score.metadata
    titles = list(md["title"]) if md is not None and kind in ("musicxml", "mxl") else []
    translated = [t for t in titles if getattr(t, "isTranslated", False)]
    if not translated or len(translated) == len(titles):
        yield
        return
    before_alt = list(md["alternativeTitle"])
    md["title"] = [t for t in titles if t not in translated]
    md["alternativeTitle"] = before_alt + translated
    try:
        yield
    finally:
        md["title"] = titles
        md["alternativeTitle"] = before_alt


@contextlib.contextmanager
def _kern_tempos(score, kind: str) -> Iterator[None]:
    """For kern, give playback-only tempos (MusicXML ``<sound tempo>`` without a metronome
    mark) their number while writing, so converter21 writes ``*MM`` instead of dropping them."""
    from music21 import tempo

    marks = []
    if kind == "kern":
        for mark in score.recurse().getElementsByClass(tempo.MetronomeMark):
            if mark.number is None and mark.numberSounding is not None:
                marks.append((mark, mark.numberImplicit))
                mark.number = mark.numberSounding
                mark.numberImplicit = True  # a *MM is not engraved
    try:
        yield
    finally:
        for mark, implicit in marks:
            mark._number = None
            mark.numberImplicit = implicit


@contextlib.contextmanager
def _no_guessed_tempos(score) -> Iterator[None]:
    """Write a tempo word without the number music21 guessed from it (restored afterwards).
    Sapp's Moonlight Sonata iii says only "Adagio" at bar 163: music21 reads 56 into it, and
    the writers stated that guess (kern ``*MM56``, MusicXML ``<sound tempo="56">``), so
    ``info`` found a tempo in the copy that the source never stated."""
    from music21 import tempo

    from .summary import stated_bpm

    guessed = [m for m in score.recurse().getElementsByClass(tempo.MetronomeMark)
               if m.number is not None and m.text and stated_bpm(m) is None]
    for mark in guessed:
        mark._number = None
    try:
        yield
    finally:
        for mark in guessed:
            mark._number = mark._getDefaultNumber(mark.text)


@contextlib.contextmanager
def _midi_programs_from_names(score, kind: str) -> Iterator[None]:
    """A MIDI file plays each part with the instrument its name says where the score names
    no MIDI program: LilyPond 72a's "Trumpet in Bb", "Horn in Eb" and "Piano" all played as
    piano (program 0), since music21 writes 0 for an instrument without a program. music21's
    own instrument names (``instrument.fromString``) give the program; restored afterwards."""
    if kind != "midi":
        yield
        return
    from music21 import instrument

    given = []
    for part in score.parts:
        for inst in part.recurse().getElementsByClass(instrument.Instrument):
            if inst.midiProgram is not None:
                continue
            for name in (inst.instrumentName, inst.partName, part.partName):
                try:
                    known = instrument.fromString(name) if name else None
                except Exception:  # music21 knows no instrument by that name
                    known = None
                if known is not None and known.midiProgram is not None:
                    inst.midiProgram = known.midiProgram
                    given.append(inst)
                    break
    try:
        yield
    finally:
        for inst in given:
            inst.midiProgram = None


@contextlib.contextmanager
def _midi_without_nontraditional_keys(score, kind: str) -> Iterator[None]:
    """A MIDI key-signature event holds -7..7 sharps, so music21's MIDI writer stopped on a
    signature of other accidentals (LilyPond 13c: F sharp, A flat, B flat; "'<' not supported
    between 'NoneType' and 'int'"). The notes carry their own pitches, so the file is written
    without those signatures (a MIDI key signature only labels); they are put back afterwards."""
    if kind != "midi":
        yield
        return
    from music21 import key

    taken = [(ks.activeSite, ks.getOffsetBySite(ks.activeSite), ks)
             for ks in list(score.recurse().getElementsByClass(key.KeySignature)) if ks.sharps is None and ks.activeSite is not None]
    for site, _, ks in taken:
        site.remove(ks)
    try:
        yield
    finally:
        for site, offset, ks in taken:
            site.insert(offset, ks)


@contextlib.contextmanager
def _overfull_bars_kept() -> Iterator[None]:
    """Keep a bar that holds more than its time signature says as the file has it.

    Before writing, music21 ties every note that runs past the signature's bar length into
    the next bar, and leaves the notes after it where they were: in a 2/4 tune's bar of seven
    eighths (an ABC transcription whose notes don't add up, O'Neill's 9) a long B moved its
    end into the next bar and pushed that bar's notes an eighth later, and a split of one
    2048th made a whole tune unwritable. Each such bar is given its own length, for the
    tying only (no signature is written); a bar that is merely short is tied as before."""
    from music21 import meter, stream
    from music21.stream import makeNotation

    original = makeNotation.makeTies

    def make_ties(s, meterStream=None, **kwargs):
        if meterStream is None and isinstance(s, stream.Stream) and not s.hasPartLikeStreams() and s.hasMeasures():
            meterStream = _own_bar_lengths(s, meter)
        return original(s, meterStream=meterStream, **kwargs)

    makeNotation.makeTies = make_ties
    try:
        yield
    finally:
        makeNotation.makeTies = original


def _own_bar_lengths(part, meter):
    """The part's time signatures for tying, with one of its own length at each bar that is
    longer than the signature in force, and the signature again after it. None: no such bar."""
    from fractions import Fraction

    from music21 import stream

    written = part.getTimeSignatures(sortByCreationTime=True, searchContext=False)
    measures = list(part.getElementsByClass(stream.Measure))
    in_force = [written.getElementAtOrBefore(m.offset) for m in measures]
    timeline = stream.Stream()
    overfull = False
    standing = None  # the written signature the timeline stands for at this bar (None: a bar's own)
    for m, current in zip(measures, in_force):
        if current is None:
            continue
        length = Fraction(m.highestTime).limit_denominator(4096)
        whole = length / 4
        if length > Fraction(current.barDuration.quarterLength).limit_denominator(4096) \
                and not whole.denominator & (whole.denominator - 1):  # n/2^k: a signature can say it
            timeline.insert(m.offset, meter.TimeSignature(f"{whole.numerator}/{whole.denominator}"))
            overfull, standing = True, None
        elif current is not standing:
            timeline.insert(m.offset, copy.deepcopy(current))
            standing = current
    return timeline if overfull else None


@contextlib.contextmanager
def _no_placeholders() -> Iterator[None]:
    """Stop music21's MusicXML writer from inventing a title ("Music21 Fragment") and a
    composer ("Music21") for a score that has none: that was read back as real metadata."""
    from music21 import defaults

    before = defaults.title, defaults.author
    defaults.title, defaults.author = "", ""
    try:
        yield
    finally:
        defaults.title, defaults.author = before


@contextlib.contextmanager
def _kern_percussion_chords(kind: str) -> Iterator[None]:
    """Let converter21's kern writer write a chord of drum notes (bass drum + hi-hat), as
    kern does: ``4Rf 4Rgg``. It knows pitched chords and single unpitched notes only and
    wrote an empty field for these, which made the kern file unreadable."""
    if kind != "kern":
        yield
        return
    import copy

    from converter21.humdrum.m21convert import M21Convert
    from music21 import percussion

    original = M21Convert.__dict__["kernTokenStringAndLayoutsFromM21GeneralNote"]
    write = original.__func__

    def with_drum_chords(m21GeneralNote, spannerBundle, owner=None):
        if not isinstance(m21GeneralNote, percussion.PercussionChord):
            return write(m21GeneralNote, spannerBundle, owner)
        tokens: list[str] = []
        layouts: list[str] = []
        for i, head in enumerate(m21GeneralNote.notes):
            single = copy.deepcopy(head)
            single.duration = copy.deepcopy(m21GeneralNote.duration)
            single.beams = copy.deepcopy(m21GeneralNote.beams) if i == 0 else single.beams.__class__()
            token, more = write(single, spannerBundle, owner)
            if token:
                tokens.append(token)
                layouts.extend(more)
        return " ".join(tokens), layouts

    M21Convert.kernTokenStringAndLayoutsFromM21GeneralNote = staticmethod(with_drum_chords)
    try:
        yield
    finally:
        M21Convert.kernTokenStringAndLayoutsFromM21GeneralNote = original


#: an interval above a chord's root as a Harte degree (Harte et al. 2005)
_HARTE_DEGREES = {"P1": "1", "m2": "b2", "M2": "2", "A2": "#2", "m3": "b3", "M3": "3", "d4": "b4", "P4": "4",
                  "A4": "#4", "d5": "b5", "P5": "5", "A5": "#5", "m6": "b6", "M6": "6", "d7": "bb7", "m7": "b7",
                  "M7": "7"}


def harte_from_pitches(cs) -> str | None:
    """A chord symbol as a Harte label listing its degrees, ``C:(1,b5)``, from the pitches
    music21 gives it; None when a pitch lies at no degree the notation names."""
    from music21 import interval

    root = cs.root()
    if root is None:
        return None
    degrees: list[str] = []
    for p in cs.pitches:
        name = "P1" if p.name == root.name else interval.Interval(root, p).simpleName
        if name not in _HARTE_DEGREES:
            return None
        if _HARTE_DEGREES[name] not in degrees:
            degrees.append(_HARTE_DEGREES[name])
    label = f"{root.name.replace('-', 'b')}:({','.join(degrees)})"
    bass = cs.bass()
    if bass is not None and bass.name != root.name:
        name = interval.Interval(root, bass).simpleName
        if name not in _HARTE_DEGREES:
            return None
        label += "/" + _HARTE_DEGREES[name]
    return label


@contextlib.contextmanager
def _kern_harmonies(kind: str) -> Iterator[None]:
    """Let converter21's kern writer write every chord symbol. It builds a Harte label from
    the symbol's degree changes and fails on some (LilyPond 71f's "C subtract 3 alter b5":
    an IndexError that stopped the whole file), and writes no label for a kind it does not
    know (71f's "other", a bare C); such a symbol is written from its pitches instead,
    ``C:(1,b5)``, ``C:(1)``."""
    if kind != "kern":
        yield
        return
    from converter21.humdrum.m21convert import M21Convert

    original = M21Convert.__dict__["m21ChordSymToHarmonyText"]
    write = original.__func__

    def or_from_pitches(cs, dataType="**mxhm", noResult=""):
        from music21 import harmony

        try:
            text = write(cs, dataType=dataType, noResult=noResult)
        except Exception:  # converter21's degree arithmetic (IndexError on 71f)
            if dataType != "**harte":
                raise
            text = noResult
        if text == noResult and dataType == "**harte" and not isinstance(cs, harmony.NoChord) and cs.pitches:
            return harte_from_pitches(cs) or noResult  # a kind it has no label for ("other": 71f's bare C)
        return text

    M21Convert.m21ChordSymToHarmonyText = staticmethod(or_from_pitches)
    try:
        yield
    finally:
        M21Convert.m21ChordSymToHarmonyText = original
