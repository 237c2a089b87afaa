"""What the plugin writes in a real MuseScore 4 window, read back from the file MuseScore 4 saves.

The other MuseScore 4 tests read the dialog's status lines only: a MusicXML score cannot be
saved with Ctrl+S without a dialog. Here the score is one MuseScore 4 converted itself (.mscz,
``gui_support.to_mscz4``), which Ctrl+S saves in place, so the written notes are read back
(tests/mscx_reader.py) and checked as tests/test_bridge_musescore.py checks MuseScore 3's.

The passage is 4 bars of 7/8 in 2+2+3 (an additive meter, where MuseScore writes each value as
the plugin sets it and splits only at barlines). Select all, Plugins > lstmfuse, seed 1,
Continue (a bridge is running): the 4 user's bars are item for item as they were, 4 new bars
of 7/8 follow, note for note the engine's continuation of the file at that seed, their notes fill them, a note that leaves its 2+2+3 group ends on a later
group's start and none but the last rings over a barline. Continue again at once extends
the written bars, as the status line promises ("the written bars stay selected, so Continue
extends them": MuseScore 4's selectRange stopped short of the last written bar, so the second
Continue was refused, "the bars after the selection already hold notes"). Each of the user's
Ctrl+Z in the score takes back one write: after two, Ctrl+S saves the user's 4 bars again and
nothing else. Screenshot gui-ms4-7-8-written.png goes to the test's temp folder or $LSTMFUSE_GUI_SHOTS.

Skipped only where the MuseScore 4 build is not on this machine at all; with it present, a
failing flow fails.
"""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path

import pytest

import gui_support as G
import mscx_reader as R

pytestmark = pytest.mark.slow

G.require_musescore4()

EMPTY_CANVAS = (1300, 900)
SEED_FIELD = (330, 236)    # inside the dialog (Qt 6 metrics)
DIALOG_BLANK = (250, 570)
BAR = Fraction(7, 8)       # whole notes
GROUP_STARTS = (Fraction(0), Fraction(2, 8), Fraction(4, 8))  # 2+2+3 eighths


def _write_seven_eight(path: Path) -> None:
    """Four bars of 7/8 in G, every bar grouped 2+2+3 (its notes start each group)."""
    from music21 import key, meter, note, stream

    part = stream.Part()
    part.append(meter.TimeSignature("7/8"))
    part.append(key.KeySignature(1))
    bar = [("G4", 1), ("A4", 1), ("B4", 1), ("G4", 1), ("D5", 3)]
    eighths = bar + [("E5", 1), ("D5", 1), ("C5", 1), ("B4", 1), ("A4", 3)] + bar + [("A4", 2), ("B4", 2), ("G4", 3)]
    for name, n in eighths:
        part.append(note.Note(name, quarterLength=n / 2))
    stream.Score([part.makeMeasures()]).write("musicxml", fp=str(path))


def _in_musescore4(home: Path, name: str, write) -> tuple[Path, Path, dict]:
    """A MuseScore 4 home in ``home``; ``write(path)`` writes the passage as MusicXML
    (``name``.musicxml), which MuseScore 4 converts into its own work.mscz. Returns the
    MusicXML, the .mscz and its staves as read back."""
    G.prepare_musescore4_home(home)
    xml, score = home / f"{name}.musicxml", home / "work.mscz"
    write(xml)
    G.to_mscz4(xml, score)
    return xml, score, G.read_mscz(score)


@contextmanager
def _musescore4_with_plugin(home: Path, score: Path, seed: str):
    """gui_support.musescore4_with_plugin, the dialog's seed set."""
    with G.musescore4_with_plugin(home, score, EMPTY_CANVAS) as (d, ms, wid, shots):
        d.click(*SEED_FIELD, window=wid)
        d.key("ctrl+a")
        d.type(seed)
        yield d, ms, wid, shots


def test_musescore4_writes_a_7_8_continuation_that_the_saved_file_shows(tmp_path):
    home = tmp_path
    xml, score, staves = _in_musescore4(home, "passage", _write_seven_eight)
    before = staves[1]
    assert [length for _, length in before.measures] == [BAR] * 4
    with _musescore4_with_plugin(home, score, "1") as (d, ms, wid, shots):
        d.click(*EMPTY_CANVAS)
        d.key("ctrl+a")
        d.click(*DIALOG_BLANK, window=wid)
        n = len(ms.statuses())
        d.key("Return")  # Continue
        written = ms.wait_status(r"^wrote |^Not written|error", after=n, timeout=150)
        assert written.startswith("wrote ") and "seed 1" in written, written
        time.sleep(1.0)
        d.screenshot(shots / "gui-ms4-7-8-written.png")
        # "the written bars stay selected, so Continue extends them": Continue again, at once
        n = len(ms.statuses())
        d.click(*DIALOG_BLANK, window=wid)
        d.key("Return")
        again = ms.wait_status(r"^wrote |^Not written|error", after=n, timeout=150)
        assert again.startswith("wrote "), again
        time.sleep(1.0)
        d.screenshot(shots / "gui-ms4-7-8-extended.png")
        G.save_with_ctrl_s(d, score, EMPTY_CANVAS)
        extended = G.read_mscz(score)[1]
        d.click(*EMPTY_CANVAS)
        d.key("ctrl+z", pause=1.5)  # the user's own undo, in the score: the second write goes
        G.save_with_ctrl_s(d, score, EMPTY_CANVAS)
        after = G.read_mscz(score)[1]
        d.click(*EMPTY_CANVAS)
        d.key("ctrl+z", pause=1.5)  # and the first
        G.save_with_ctrl_s(d, score, EMPTY_CANVAS)
        undone = G.read_mscz(score)[1]

    # the user's bars, item for item; four new bars of 7/8
    end = 4 * BAR * R.TICKS_PER_WHOLE
    assert [i.key() for i in after.voices[0] if i.tick < end] == [i.key() for i in before.voices[0]]
    assert [length for _, length in after.measures] == [BAR] * 8
    new = R.sounding([i for i in after.voices[0] if i.tick >= end])
    assert new[0][0] == end and sum(length for _, length, _ in new) == 4 * BAR, new
    assert sum(p is not None for _, _, p in new) >= 8, new
    # note for note what the engine continues the file with, in the genre the status line names
    from lstmfuse.api import continue_passage
    from lstmfuse.generation import SamplingOptions

    genre = re.search(r"auto: (\w+)", written).group(1)
    engine = continue_passage(xml, bars=4, genre=genre, options=SamplingOptions(seed=1)).melodies[0]
    expected = R.merge([(end + int(e.onset * R.TICKS_PER_WHOLE / 4) - int(engine.events[0].onset * R.TICKS_PER_WHOLE / 4),
                         e.duration / 4, e.pitch, False) for e in engine.events])
    assert new == expected, (new, expected)
    # as the engine writes additive meters (docs/form.md, "Additive meters keep their beat
    # groups"): a note that runs out of its 2+2+3 group ends on a later group's start, and none
    # but the last rings over a barline (the pieces of a tied note count as one)
    starts = {end + int((bar * BAR + g) * R.TICKS_PER_WHOLE) for bar in range(5) for g in GROUP_STARTS}
    barlines = {end + int(bar * BAR * R.TICKS_PER_WHOLE) for bar in range(5)}
    notes = [(t, int(t + length * R.TICKS_PER_WHOLE)) for t, length, p in new if p is not None]
    out_of_group = [(t, u) for t, u in notes if any(t < b < u for b in starts) and u not in starts]
    over_a_barline = [(t, u) for t, u in notes[:-1] if any(t < b < u for b in barlines)]
    assert not out_of_group and not over_a_barline, (out_of_group, over_a_barline, new)
    # the second Continue went on from the written bars: 4 more, full, the first 8 kept
    assert [length for _, length in extended.measures] == [BAR] * 12
    assert [i.key() for i in extended.voices[0] if i.tick < 2 * end] == [i.key() for i in after.voices[0]]
    more = R.sounding([i for i in extended.voices[0] if i.tick >= 2 * end])
    assert more[0][0] == 2 * end and sum(length for _, length, _ in more) == 4 * BAR, more
    # each Ctrl+Z takes back one whole write: bars and notes
    assert [length for _, length in undone.measures] == [BAR] * 4
    assert [i.key() for i in undone.voices[0]] == [i.key() for i in before.voices[0]]


def _write_melody_over_a_bass(path: Path) -> None:
    """A melody of 4 bars then 4 bars of rests, over a bass line that sounds through all 8."""
    from music21 import clef, key, meter, note, stream

    melody, bass = stream.Part(), stream.Part()
    melody.append(meter.TimeSignature("4/4"))
    melody.append(key.KeySignature(1))
    for name in "G4 A4 B4 G4 D5 C5 B4 A4 G4 B4 D5 B4 C5 A4 F#4 D4".split():
        melody.append(note.Note(name, quarterLength=1))
    for _ in range(4):
        melody.append(note.Rest(quarterLength=4))
    bass.append(clef.BassClef())
    bass.append(meter.TimeSignature("4/4"))
    bass.append(key.KeySignature(1))
    for name in "G2 D3 G2 D3 C3 G2 D3 D2".split():
        bass.append(note.Note(name, quarterLength=4))
    stream.Score([melody.makeMeasures(), bass.makeMeasures()]).write("musicxml", fp=str(path))


FIRST_NOTE = (461, 341)  # the melody's first note (1600x1000 display, 4.4.0 layout)


def test_musescore4_writes_into_the_empty_bars_of_one_staff_and_nothing_else(tmp_path):
    """A melody's bars 1-4 selected with the keyboard (its first note clicked, Shift+Ctrl+Right),
    over a bass that sounds through bars 1-8. First bars 1-3 are selected and Continue refused:
    bar 4 holds the user's notes ("already hold notes ... (bar 4)"). Then bars 1-4, Continue:
    the melody's empty bars 5-8 are filled, no bar is added, the bass and bars 1-4 are item for
    item as they were; the user's Ctrl+Z and Ctrl+S save the score as it was."""
    home = tmp_path
    xml, score, before = _in_musescore4(home, "duo", _write_melody_over_a_bass)
    assert len(before[1].measures) == len(before[2].measures) == 8
    with _musescore4_with_plugin(home, score, "2") as (d, ms, wid, shots):
        for bars, expect in ((3, r"^Not written: the bars after the selection already hold notes in staff 1, voice 1 \(bar 4\)"),
                             (4, r"^wrote ")):
            d.click(*EMPTY_CANVAS)
            d.key("Escape")
            d.click(*FIRST_NOTE)
            d.key(*["shift+ctrl+Right"] * bars)
            d.click(*DIALOG_BLANK, window=wid)
            n = len(ms.statuses())
            d.key("Return")  # Continue, 4 bars
            said = ms.wait_status(r"^wrote |^Not written|error", after=n, timeout=150)
            assert re.search(expect, said), said
            assert "staff 1" in said
        time.sleep(1.0)
        d.screenshot(shots / "gui-ms4-one-staff-written.png")
        G.save_with_ctrl_s(d, score, EMPTY_CANVAS)
        after = G.read_mscz(score)
        d.click(*EMPTY_CANVAS)
        d.key("ctrl+z", pause=1.5)
        G.save_with_ctrl_s(d, score, EMPTY_CANVAS)
        undone = G.read_mscz(score)

    end = 4 * R.TICKS_PER_WHOLE  # bars 1-4 of 4/4
    assert after[1].measures == before[1].measures and after[2].measures == before[2].measures  # no bar added
    assert [i.key() for i in after[2].voices[0]] == [i.key() for i in before[2].voices[0]]  # the bass
    assert [i.key() for i in after[1].voices[0] if i.tick < end] == [i.key() for i in before[1].voices[0] if i.tick < end]
    new = R.sounding([i for i in after[1].voices[0] if i.tick >= end])
    assert new[0][0] == end and sum(length for _, length, _ in new) == 4, new
    assert sum(p is not None for _, _, p in new) >= 8, new
    for staff in (1, 2):
        assert [i.key() for i in undone[staff].voices[0]] == [i.key() for i in before[staff].voices[0]]
        assert undone[staff].measures == before[staff].measures


def _write_triplets(path: Path) -> None:
    """Four bars of 4/4 whose beats are eighth-note triplets and quarters (a triplet run down to
    the last bar's half note)."""
    from music21 import key, meter, note, stream

    part = stream.Part()
    part.append(meter.TimeSignature("4/4"))
    part.append(key.KeySignature(0))
    bars = [("t", "C5 B4 A4"), ("q", "G4"), ("t", "E4 F4 G4"), ("q", "C5"), ("t", "D5 C5 B4"), ("q", "C5"), ("h", "G4"),
            ("t", "A4 B4 C5"), ("q", "D5"), ("t", "E5 D5 C5"), ("q", "B4"), ("t", "C5 B4 A4"), ("t", "G4 F4 E4"), ("h", "C4")]
    for kind, names in bars:
        for name in names.split():
            part.append(note.Note(name, quarterLength={"t": Fraction(1, 3), "q": 1, "h": 2}[kind]))
    stream.Score([part.makeMeasures()]).write("musicxml", fp=str(path))


IRISH_CHIP = (269, 64)  # "Continue with: irish", inside the dialog
FOLK_CHIP = (222, 64)   # "Continue with: folk"
BARS_FIELD = (113, 236)  # "Bars to add"


def _continue_all(home: Path, score: Path, shot: str, chip: tuple[int, int] | None = IRISH_CHIP, seed: str = "1",
                  bars: str | None = None):
    """``seed``, a genre chip (None: the dialog's default, auto), ``bars`` typed into "Bars to
    add" (None: the dialog's 4), Ctrl+A in the score, Continue; the status line says it wrote at
    that seed; a screenshot ``shot``; Ctrl+S. Returns (status line, the saved score's staff 1)."""
    with _musescore4_with_plugin(home, score, seed) as (d, ms, wid, shots):
        if chip is not None:
            d.click(*chip, window=wid)
        if bars is not None:
            d.click(*BARS_FIELD, window=wid)
            d.key("ctrl+a")
            d.type(bars)
        d.click(*EMPTY_CANVAS)
        d.key("ctrl+a")
        d.click(*DIALOG_BLANK, window=wid)
        n = len(ms.statuses())
        d.key("Return")
        written = ms.wait_status(r"^wrote |^Not written|error", after=n, timeout=150)
        assert written.startswith("wrote ") and f", seed {seed})" in written, written
        time.sleep(1.0)
        d.screenshot(shots / shot)
        G.save_with_ctrl_s(d, score, EMPTY_CANVAS)
        return written, G.read_mscz(score)[1]


def _as_written(events, end: int, first: Fraction):
    """The engine's events (quarters, the first new one at ``first``) as the score's sounding
    items from tick ``end`` (mscx_reader.merge)."""
    return R.merge([(end + int((e.onset - first) * R.TICKS_PER_WHOLE / 4), e.duration / 4, e.pitch, False) for e in events])


def test_musescore4_writes_triplets_and_adds_only_the_bars_asked_for(tmp_path):
    """MuseScore 4 has addTuplet, so the bridge sends tuplets (MuseScore 3.2 cannot write them).
    A passage of triplets continued by Irish at seed 1: 24 of the 33 new notes lie in triplets,
    written as 3:2 tuplets (the last group, two eighths and a half, was a 6:4 "6"), note for
    note the engine's continuation, in exactly the 4 bars asked for. The plugin added 5: it measured the written end by the last note's written
    value, a triplet half (960 ticks) where it sounds 640, and appended a bar of rest."""
    home = tmp_path
    xml, score, staves = _in_musescore4(home, "triplets", _write_triplets)
    before = staves[1]
    assert len(before.measures) == 4 and sum(i.tuplet == (3, 2) for i in before.voices[0]) == 21
    written, after = _continue_all(home, score, "gui-ms4-triplets-written.png")
    assert "(irish, seed 1)" in written, written

    from lstmfuse.api import continue_passage
    from lstmfuse.generation import SamplingOptions

    end = 4 * R.TICKS_PER_WHOLE
    assert len(after.measures) == 8, after.measures  # 4 bars asked for, no more
    assert [i.key() for i in after.voices[0] if i.tick < end] == [i.key() for i in before.voices[0]]
    added = [i for i in after.voices[0] if i.tick >= end]
    in_tuplets = [i.tuplet for i in added if i.tuplet is not None]
    assert len(in_tuplets) == 24 and set(in_tuplets) == {(3, 2)}, [(i.tick, i.tuplet) for i in added]
    engine = continue_passage(xml, bars=4, genre="irish", options=SamplingOptions(seed=1)).melodies[0]
    first = engine.events[0].onset
    assert R.sounding(added) == _as_written(engine.events, end, first)


def test_musescore4_continues_a_strain_with_irregular_bars_as_the_file_is_continued(tmp_path):
    """O'Neill's 5 ("The Fun at Donnybrook", 6/8, G minor): a one-eighth upbeat, an overfull bar
    of six quarters, the strain's short bar of five eighths, a bar of rest. Continued by Irish at
    seed 1 in MuseScore 4, the new bars are note for note what ``lstmfuse continue`` writes
    after the same file at that seed. They parted twice: read from the selection's end, every
    note before the short bar was off its beat (fixed by the barlines the plugin sends); then,
    counted modulo the meter, the overfull bar's second half was read as a bar of its own where
    the file's reader counts on through it, and the engine, which takes the user's bar rhythms
    up, parted at the second new note (an eighth F for two sixteenths F, E-flat)."""
    import music21

    from lstmfuse.api import continue_passage
    from lstmfuse.generation import SamplingOptions
    from lstmfuse.io import load, save

    home = tmp_path
    tunes = Path(music21.__file__).parent / "corpus" / "oneills1850" / "0001-0050.abc"
    xml, score, staves = _in_musescore4(home, "donnybrook", lambda path: save(load(tunes, 4), path, force=True))
    before = staves[1]
    lengths = [length for _, length in before.measures]
    assert lengths[0] == Fraction(1, 8) and Fraction(3, 2) in lengths and Fraction(5, 8) in lengths, lengths
    written, after = _continue_all(home, score, "gui-ms4-donnybrook-written.png")
    assert "(irish, seed 1)" in written, written

    end = before.measures[-1][0] + int(before.measures[-1][1] * R.TICKS_PER_WHOLE)
    assert [i.key() for i in after.voices[0] if i.tick < end] == [i.key() for i in before.voices[0]]
    assert [length for _, length in after.measures] == lengths + [Fraction(3, 4)] * 4
    engine = continue_passage(xml, bars=4, genre="irish", options=SamplingOptions(seed=1)).melodies[0]
    first = engine.events[0].onset
    assert R.sounding([i for i in after.voices[0] if i.tick >= end]) == _as_written(engine.events, end, first)


def test_musescore4_writes_a_new_tune_after_the_empty_bars_of_a_blank_score(tmp_path):
    """A blank score (4 empty bars of 4/4 in C), everything selected, Continue with the dialog's
    default, auto, at seed 1: auto has no notes to judge and takes folk, whose tunes are most of
    the real tunes in 4/4 in C, and the status line says so; 4 new bars after the empty ones, a
    tune from nothing (the bridge reads the rests as nothing to continue, 2026-12-04), note for
    note what the engine writes after 4 bars of rest at that seed, starting on the first new
    barline; the empty bars stay empty. (Before 2026-12-04 auto refused a selection without
    notes, and the rests were continued as a passage.)"""
    from bridge_support import rest_bars, write_blank_score

    from lstmfuse.generation import SamplingOptions, continue_melody

    home = tmp_path
    xml, score, staves = _in_musescore4(home, "blank", write_blank_score)
    before = staves[1]
    assert len(before.measures) == 4 and all(i.pitch is None for i in before.voices[0])
    written, after = _continue_all(home, score, "gui-ms4-blank-score-written.png", chip=None)
    # auto, the dialog's default, has no notes to judge: the genre of the bars' meter and key
    assert "(auto: folk, whose tunes are 64% of the real tunes in 4/4 with this key signature (no notes to judge), seed 1)" in written, written

    end = 4 * R.TICKS_PER_WHOLE
    assert [i.key() for i in after.voices[0] if i.tick < end] == [i.key() for i in before.voices[0]]
    assert len(after.measures) == 8, after.measures
    result = continue_melody(rest_bars(4), bars=4, genre="folk", options=SamplingOptions(seed=1))
    engine = result.melodies[0]
    assert result.settings["after_rests"] == "16" and engine.events[0].onset == 16 and engine.events[0].pitch is not None
    assert R.sounding([i for i in after.voices[0] if i.tick >= end]) == _as_written(engine.events, end, Fraction(16))


def test_musescore4_writes_a_rest_cut_at_the_6_8_beat(tmp_path):
    """4 bars of 6/8 (tests/test_bridge_musescore.py's passage), everything selected, 8 bars to
    add typed into the dialog, seed 26, the "folk" chip clicked: the bridge cuts a rest that
    would hide the dotted-quarter beat (2026-12-05), and the file MuseScore 4 saves holds the new
    bars note for note as the engine writes them with every rest inside a beat or filling whole
    beats from one (before, one rest from the second eighth of a beat across the next)."""
    from test_bridge_musescore import _write_six_eight

    from lstmfuse.api import continue_passage
    from lstmfuse.generation import SamplingOptions

    home = tmp_path
    xml, score, staves = _in_musescore4(home, "six-eight", _write_six_eight)
    before = staves[1]
    assert len(before.measures) == 4
    written, after = _continue_all(home, score, "gui-ms4-6-8-rest-cut.png", chip=FOLK_CHIP, seed="26", bars="8")
    assert "(folk, seed 26)" in written, written
    end = 4 * 3 * R.TICKS_PER_WHOLE // 4
    bar, beat = 3 * R.TICKS_PER_WHOLE // 4, 3 * R.TICKS_PER_WHOLE // 8
    assert len(after.measures) == 12, after.measures
    assert [i.key() for i in after.voices[0] if i.tick < end] == [i.key() for i in before.voices[0]]
    engine = continue_passage(xml, bars=8, genre="folk", options=SamplingOptions(seed=26)).melodies[0]
    added = [i for i in after.voices[0] if i.tick >= end]
    assert R.sounding(added) == _as_written(engine.events, end, engine.events[0].onset)
    rests = [i for i in added if i.kind == "rest"]
    assert len(rests) > sum(e.pitch is None for e in engine.events)  # a rest was cut at a beat
    for i in rests:
        pos = (i.tick - end) % bar
        stop = pos + int(i.value * R.TICKS_PER_WHOLE)
        assert not any(pos < t < stop for t in range(beat, bar, beat)) or (pos % beat == 0 and stop % beat == 0), (pos, stop)
