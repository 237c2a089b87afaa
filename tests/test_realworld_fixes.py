"""Issue 15, the items found on the real-world set (OSMD test files, Sapp's kern editions):
each test reproduces one with a small hand-written file and failed before its fix."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data" / "realworld"


def test_voice_starting_late_keeps_its_place_through_kern(tmp_path):
    """A voice that starts at beat 3 1/4 (a MuseScore ``<forward>``; bar 80 of OSMD's Chopin
    op. 10/4) was written to kern as a 16th rest, so its notes moved to the start of the bar
    and, in the Etude, no bar could be placed: info gave 3 quarter notes instead of 329."""
    from lstmfuse.io import load, save
    from lstmfuse.io.summary import note_content, summarise

    src = DATA / "voice-gap.musicxml"
    out = save(load(src), tmp_path / "gap.krn")
    assert note_content(load(out)) == note_content(load(src))
    before, after = summarise(src), summarise(out)
    assert (after.duration_quarters, after.measures, after.notes) == (before.duration_quarters, before.measures, before.notes) == (12.0, 3, 6)


def test_gap_lengths_split_into_kern_values():
    from fractions import Fraction as F

    from lstmfuse.io.voice_gaps import split_length

    assert split_length(F(13, 4)) == [F(3), F(1, 4)]
    assert split_length(F(7, 3)) == [F(2), F(1, 3)]
    assert sum(split_length(F(47, 24))) == F(47, 24)


def _cli(*args: str):
    import os
    import subprocess
    import sys

    env = dict(os.environ, COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "lstmfuse", *args], capture_output=True, text=True, timeout=300, env=env)


def test_from_bar_is_the_printed_measure_number():
    """--from-bar 19 on an excerpt numbered 17-21 (a note tied over 18|19) measures bars 19
    to 21, as MuseScore numbers them: G5, A5, B5, C6. It counted melody bars ("outside the
    melody's 4 bars"), skipping a bar that starts with a tied note."""
    import json

    src = str(DATA / "excerpt-from-bar-17.musicxml")
    res = _cli("metrics", src, "--from-bar", "19", "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)[0]["n_notes"] == 4.0
    res = _cli("metrics", src, "--from-bar", "17", "--json")
    assert json.loads(res.stdout)[0]["n_notes"] == 8.0  # the whole excerpt (the tied F5 once)
    bad = _cli("metrics", src, "--from-bar", "3")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr + bad.stdout
    assert bad.stderr.strip() == "error: --from-bar 3: bar 3 is not a measure number of the part (its measures are numbered 17-21)" or (
        len(bad.stderr.strip().splitlines()) == 1 and "numbered 17-21" in bad.stderr)


def test_from_bar_help_says_printed_numbers():
    res = _cli("metrics", "--help")
    assert "measure number printed in the score" in " ".join(res.stdout.split())
