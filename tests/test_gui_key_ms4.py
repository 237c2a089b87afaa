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


def test_musescore4_continues_in_the_key_of_the_notes(tmp_path):
    from lstmfuse.io import convert_file

    home = tmp_path / "home"
    home.mkdir()
    plugin_dir = G.prepare_musescore4_home(home)
    recorded = json.loads((plugin_dir / "lstmfuse-bridge.json").read_text())
    recorded["args"] += ["--port", str(B.free_port())]
    (plugin_dir / "lstmfuse-bridge.json").write_text(json.dumps(recorded))
    score = home / "hildebrand.musicxml"
    convert_file(B.REPO / "examples" / "essen-altdeu10-1.krn", score)
    before = score.read_bytes()
    display = G.Display(home)
    try:
        ms, _ = G.start_musescore4(display, home, score, extra_env={"PATH": "/usr/bin:/bin"})
        try:
            time.sleep(5)
            shots = Path(os.environ.get("LSTMFUSE_GUI_SHOTS") or home / "shots")
            shots.mkdir(parents=True, exist_ok=True)
            display.click(*EMPTY_CANVAS)
            display.key("ctrl+a")
            display.click(*PLUGINS_MENU, pause=1.0)
            display.click(*PLUGIN_ENTRY)
            wid = display.wait_window(r"^lstmfuse$", timeout=30)
            ms.wait_status(r"bridge is not running", timeout=30)
            time.sleep(1.5)
            n = len(ms.statuses())
            display.key("Return")  # Continue: refused, no bridge yet
            ms.wait_status(r"^Continuing with .*staff 1, voice 1", after=n, timeout=10)
            ms.wait_status(r"bridge is not running", after=n, timeout=30)
            n = len(ms.statuses())
            display.click(*START_BRIDGE_BUTTON, window=wid)  # starts it, then the Continue is retried
            written = ms.wait_status(r"^wrote ", after=n, timeout=150)
            assert "in G minor, the key of the selected notes" in written, written
            time.sleep(1.0)
            display.screenshot(shots / "gui-ms4-key-of-notes.png")
            display.key("Escape", pause=1.5)
            assert ms.proc.poll() is None
        finally:
            ms.close()
    finally:
        display.close()
        subprocess.run([sys.executable, "-m", "lstmfuse", "bridge", "--stop"], env=B.isolated_env(home), capture_output=True, timeout=60)
    assert score.read_bytes() == before  # nothing saved behind the composer's back
