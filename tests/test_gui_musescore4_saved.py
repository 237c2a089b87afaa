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

import os
import time
from fractions import Fraction
from pathlib import Path

import pytest

import bridge_support as B
import gui_support as G
import mscx_reader as R

pytestmark = pytest.mark.slow

G.require_musescore4()

PLUGINS_MENU = (291, 33)   # as tests/test_gui_musescore4.py: 1600x1000 display, 4.4.0 layout
PLUGIN_ENTRY = (330, 101)
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


def _open_plugin(d: G.Display) -> str:
    """Plugins > lstmfuse; a missed menu entry is tried again (as tests/test_gui_regenerate_ms4.py)."""
    for attempt in range(3):
        d.click(*PLUGINS_MENU, pause=1.5 + attempt)
        d.click(*PLUGIN_ENTRY)
        try:
            return d.wait_window(r"^lstmfuse$", timeout=20)
        except AssertionError:
            d.key("Escape")
    return d.wait_window(r"^lstmfuse$", timeout=10)


def test_musescore4_writes_a_7_8_continuation_that_the_saved_file_shows(tmp_path):
    home = tmp_path
    G.prepare_musescore4_home(home)
    xml, score = home / "passage.musicxml", home / "work.mscz"
    _write_seven_eight(xml)
    G.to_mscz4(xml, score)
    before = G.read_mscz(score)[1]
    assert [length for _, length in before.measures] == [BAR] * 4
    shots = Path(os.environ.get("LSTMFUSE_GUI_SHOTS") or home / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    bridge = B.BridgeProcess(home)
    d = G.Display(home)
    try:
        ms, _ = G.start_musescore4(d, home, score)
    except BaseException:
        d.close()
        bridge.stop()
        raise
    try:
        time.sleep(5)
        d.click(*EMPTY_CANVAS)
        d.key("ctrl+a")
        wid = _open_plugin(d)
        ms.wait_status(r"Bridge ready", timeout=60)
        time.sleep(1.0)
        d.click(*SEED_FIELD, window=wid)
        d.key("ctrl+a")
        d.type("1")
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
        assert ms.proc.poll() is None
    finally:
        ms.close()
        d.close()
        bridge.stop()

    # the user's bars, item for item; four new bars of 7/8
    end = 4 * BAR * R.TICKS_PER_WHOLE
    assert [i.key() for i in after.voices[0] if i.tick < end] == [i.key() for i in before.voices[0]]
    assert [length for _, length in after.measures] == [BAR] * 8
    new = R.sounding([i for i in after.voices[0] if i.tick >= end])
    assert new[0][0] == end and sum(length for _, length, _ in new) == 4 * BAR, new
    assert sum(p is not None for _, _, p in new) >= 8, new
    # note for note what the engine continues the file with, in the genre the status line names
    import re

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
