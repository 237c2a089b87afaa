"""Regenerate in a real MuseScore 4 window: the 4.4.0 development build kept in
../shared/musescore4 (Qt 6), on Xvfb + openbox, driven by real clicks and keys (xdotool), with
a real bridge process.

Bars 3-4 of the Irish tune are selected with the keyboard (click the first note, Ctrl+Right
twice, Shift+Ctrl+Right twice); Regenerate with 2 variants shows "Regenerated bars 3-4: 2
variant(s) engraved" and the preview window; Write 1 writes variant 1 in place; Ctrl+Z pressed
in the dialog gives back exactly the score before the write (the plugin's snapshot of every
segment and track says so). The score is a .mscz MuseScore 4 converted itself, which Ctrl+S
saves in place, so the file is read back after the write (bars 3-4 new and full, every other
bar item for item as it was) and after the undo (the file's notes again).
Screenshots gui-ms4-regenerate-*.png go to the test's temp folder or $LSTMFUSE_GUI_SHOTS.

Skipped only where the MuseScore 4 build is not on this machine at all (no ../shared/musescore4
and nothing installed); with the build present, a missing install or a failing flow fails.
"""

from __future__ import annotations

import time
from fractions import Fraction

import pytest

import bridge_support as B
import gui_support as G
import mscx_reader as R

pytestmark = pytest.mark.slow

G.require_musescore4()

EMPTY_CANVAS = (1300, 900)
FIRST_NOTE = (466, 341)    # the first note of bar 1
VARIANTS_FIELD = (220, 236)  # inside the dialog (Qt 6 metrics)
SEED_FIELD = (330, 236)
DIALOG_BLANK = (250, 570)
REGENERATE_BUTTON = (413, 331)


def test_musescore4_regenerate_bars_3_4(tmp_path):
    home = tmp_path
    G.prepare_musescore4_home(home)
    score = home / "work.mscz"  # MuseScore 4's own format: Ctrl+S saves it in place, and the test reads it back
    G.to_mscz4(B.REPO / "examples" / "oneills-0001.musicxml", score)
    before = G.read_mscz(score)[1]
    with G.musescore4_with_plugin(home, score, EMPTY_CANVAS) as (d, ms, wid, shots):
        d.click(*VARIANTS_FIELD, window=wid)
        d.key("ctrl+a")
        d.type("2")
        d.click(*SEED_FIELD, window=wid)
        d.key("ctrl+a")
        d.type("3")
        d.click(*EMPTY_CANVAS)
        d.key("Escape")
        d.click(*FIRST_NOTE)
        d.key("ctrl+Right", "ctrl+Right", "shift+ctrl+Right", "shift+ctrl+Right")
        n = len(ms.statuses())
        d.click(*DIALOG_BLANK, window=wid)
        d.click(*REGENERATE_BUTTON, window=wid)
        ms.wait_status(r"^Regenerated bars 3-4: 2 variant\(s\) engraved .*nothing written yet", after=n, timeout=120)
        pw = d.wait_window(r"^lstmfuse preview$", timeout=10)
        d.xdotool("windowmove", pw, "300", "620")  # below the first system: bars 3-4 stay visible
        time.sleep(1.0)
        d.screenshot(shots / "gui-ms4-regenerate-preview.png")
        n = len(ms.statuses())
        d.click(10 + 35, 22, window=pw)  # Write 1
        ms.wait_status(r"^Regenerated bars 3-4: wrote .*variant 1 of 2.*gives back the old bars", after=n, timeout=30)
        time.sleep(1.0)
        d.screenshot(shots / "gui-ms4-regenerate-written.png")
        G.save_with_ctrl_s(d, score, EMPTY_CANVAS)
        written = G.read_mscz(score)[1]
        d.click(*DIALOG_BLANK, window=wid)
        n = len(ms.statuses())
        d.key("ctrl+z")  # in the dialog
        ms.wait_status(r"^Undone: the score is as it was before lstmfuse wrote", after=n, timeout=10)
        G.save_with_ctrl_s(d, score, EMPTY_CANVAS)
        undone = G.read_mscz(score)[1]

    # read back from the saved file: bars 3-4 hold new notes that fill them, every other bar and
    # the bar count are as they were; the undo gives back the file's notes item for item
    assert [m for m in written.measures] == [m for m in before.measures]
    (a, _), (b, length) = before.measures[2], before.measures[3]  # bars 3 and 4: the tune has no pickup
    gap_end = b + int(length * R.TICKS_PER_WHOLE)
    outside = [i.key() for i in before.voices[0] if not a <= i.tick < gap_end]
    assert [i.key() for i in written.voices[0] if not a <= i.tick < gap_end] == outside
    new = R.sounding([i for i in written.voices[0] if a <= i.tick < gap_end])
    old = R.sounding([i for i in before.voices[0] if a <= i.tick < gap_end])
    # (the old bars hold a grace note, which the reader counts as a note of its own)
    assert new != old and sum(x for _, x, _ in new) == Fraction(gap_end - a, R.TICKS_PER_WHOLE), (new, old)
    assert [i.key() for i in undone.voices[0]] == [i.key() for i in before.voices[0]]
    assert undone.measures == before.measures
