"""A score whose key signature misdescribes its notes, continued in a real MuseScore 4 window
(the 4.4.0 build kept in ../shared/musescore4, on Xvfb + openbox, real clicks and keys).

Essen's Hildebrandslied is G dorian under one sharp, its B-flats and E-flats written out. The
plugin sends the selection; the bridge continues it in G minor, the key its notes are in, and
says so; the dialog's status line tells the composer, and the score's signature is left as it
was. (tests/test_bridge_musescore.py checks the written notes and their spelling note by note in
MuseScore 3's saved file; MuseScore 4 cannot save without a dialog.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import bridge_support as B
import gui_support as G

pytestmark = pytest.mark.slow

G.require_musescore4()

PLUGINS_MENU = (291, 33)   # as in tests/test_gui_musescore4.py (1600x1000 display)
PLUGIN_ENTRY = (330, 101)
EMPTY_CANVAS = (1300, 900)
START_BRIDGE_BUTTON = (90, 331)
CONCERT_PITCH_BUTTON = (1206, 985)  # the status bar's toggle


def _continue_all_in_musescore4(tmp_path, write_score, shot: str, concert_pitch: bool = False) -> tuple[str, bytes, bytes]:
    """Open the score ``write_score(path)`` writes in a real MuseScore 4 window, select all,
    run the plugin, Continue (refused: no bridge), start the bridge (the Continue is retried):
    the status line that says what was written, and the file's bytes before and after.
    ``concert_pitch``: first press the status bar's Concert pitch button."""
    home = tmp_path / "home"
    home.mkdir()
    plugin_dir = G.prepare_musescore4_home(home)
    recorded = json.loads((plugin_dir / "lstmfuse-bridge.json").read_text())
    recorded["args"] += ["--port", str(B.free_port())]
    (plugin_dir / "lstmfuse-bridge.json").write_text(json.dumps(recorded))
    score = home / "score.musicxml"
    write_score(score)
    before = score.read_bytes()
    display = G.Display(home)
    try:
        ms, _ = G.start_musescore4(display, home, score, extra_env={"PATH": "/usr/bin:/bin"})
        try:
            time.sleep(5)
            shots = Path(os.environ.get("LSTMFUSE_GUI_SHOTS") or home / "shots")
            shots.mkdir(parents=True, exist_ok=True)
            if concert_pitch:
                display.click(*CONCERT_PITCH_BUTTON, pause=2.0)
                display.screenshot(shots / ("concert-" + shot))
            display.click(*EMPTY_CANVAS)
            display.key("ctrl+a")
            display.click(*PLUGINS_MENU, pause=1.0)
            display.click(*PLUGIN_ENTRY)
            wid = display.wait_window(r"^lstmfuse$", timeout=30)
            ms.wait_status(r"bridge is not running", timeout=30)
            time.sleep(1.5)
            n = len(ms.statuses())
            display.key("Return")  # Continue: refused, no bridge yet
            ms.wait_status(r"^Continuing with .*staff 1( \(.*\))?, voice 1", after=n, timeout=10)
            ms.wait_status(r"bridge is not running", after=n, timeout=30)
            n = len(ms.statuses())
            display.click(*START_BRIDGE_BUTTON, window=wid)  # starts it, then the Continue is retried
            written = ms.wait_status(r"^wrote ", after=n, timeout=150)
            time.sleep(1.0)
            display.screenshot(shots / shot)
            display.key("Escape", pause=1.5)
            assert ms.proc.poll() is None
        finally:
            ms.close()
    finally:
        display.close()
        subprocess.run([sys.executable, "-m", "lstmfuse", "bridge", "--stop"], env=B.isolated_env(home), capture_output=True, timeout=60)
    return written, before, score.read_bytes()


def test_musescore4_continues_in_the_key_of_the_notes(tmp_path):
    from lstmfuse.io import convert_file

    written, before, after = _continue_all_in_musescore4(
        tmp_path, lambda path: convert_file(B.REPO / "examples" / "essen-altdeu10-1.krn", path), "gui-ms4-key-of-notes.png")
    assert "in G minor, the key of the selected notes" in written, written
    assert after == before  # nothing saved behind the composer's back


def test_musescore4_continues_a_selection_across_a_key_change_in_its_last_key(tmp_path):
    """12 bars of F major, then 4 of D major: MuseScore 4's plugin sends where each signature
    holds, and the continuation is in the last one. With only the last signature sent, the
    bridge found the selection's notes in F major and said so ("in F major, the key of the
    selected notes") under two sharps."""
    from music21 import key, meter, note, stream

    def modulating(path):
        part = stream.Part()
        part.append(meter.TimeSignature("4/4"))
        part.append(key.KeySignature(-1))
        names = ("F4 G4 A4 B-4 C5 B-4 A4 G4 F4 A4 C5 F5 E5 D5 C5 B-4".split() * 3
                 + "D4 E4 F#4 G4 A4 B4 C#5 D5 C#5 B4 A4 F#4 E4 F#4 G4 A4".split())
        for k, name in enumerate(names):
            if k == 48:
                part.append(key.KeySignature(2))
            part.append(note.Note(name, quarterLength=1))
        stream.Score([part.makeMeasures()]).write("musicxml", fp=str(path))

    written, before, after = _continue_all_in_musescore4(tmp_path, modulating, "gui-ms4-key-change.png")
    assert "the key of the selected notes" not in written, written
    assert "; in D major, the key from bar 13)" in written, written  # the status line names the key it went on in
    assert after == before


def test_musescore4_continues_a_transposing_instrument_in_its_concert_key(tmp_path):
    """The plugin sent the key the staff shows (a clarinet's written two sharps) beside the
    concert pitches MuseScore gives: the bridge found "the selected notes" in C major, not in
    D, and said so; with fewer notes it would have gone on in concert D major (written E). The
    plugin now sends the concert key, read off the notes' concert and shown spellings."""
    written, before, after = _continue_all_in_musescore4(tmp_path, B.write_clarinet_in_c, "gui-ms4-clarinet.png")
    assert "the key of the selected notes" not in written, written
    assert after == before


def test_musescore4_continues_a_transposing_instrument_shown_at_concert_pitch(tmp_path):
    """The same clarinet with the score shown at concert pitch (the status bar's toggle): the
    staff shows C major and the notes' shown spellings are their concert ones."""
    written, before, after = _continue_all_in_musescore4(tmp_path, B.write_clarinet_in_c, "gui-ms4-clarinet-concert.png", concert_pitch=True)
    assert "the key of the selected notes" not in written, written
    assert after == before
