"""lstmfuse.theory, the one music-theory module: the key grammar (lower case = minor, as in
music21), signatures, alterations, scales and spelled pitches agree with music21, and every
command that takes a key reads it the same way."""

from __future__ import annotations

import functools
import json

import pytest
from music21 import interval as m21interval
from music21 import key as m21key
from music21 import pitch as m21pitch
from typer.testing import CliRunner

from lstmfuse.cli import app
from lstmfuse.encoding.tokens import normalising_shift
from lstmfuse.errors import UsageError
from lstmfuse.generation.spelling import spell
from lstmfuse.theory import (
    KEY_GRAMMAR_HELP,
    Key,
    key_alters,
    name_to_midi,
    name_to_tpc,
    parse_key,
    scale_pitch_classes,
    tonic_pc,
    tpc_to_name,
)


@pytest.mark.parametrize("text, fifths, mode", [
    ("C", 0, "major"), ("c", -3, "minor"), ("Eb", -3, "major"), ("eb", -6, "minor"), ("F#", 6, "major"),
    ("f#", 3, "minor"), ("Am", 0, "minor"), ("f#m", 3, "minor"), ("A minor", 0, "minor"), ("e minor", 1, "minor"),
    ("c major", 0, "major"), ("Bb", -2, "major"), ("bb", -5, "minor"), ("Bb minor", -5, "minor"), ("B-", -2, "major"),
    ("D dorian", 0, "dorian"), ("D Dorian", 0, "dorian"), ("c#m", 4, "minor"), ("G maj", 1, "major"), ("CM", 0, "major"),
])
def test_key_grammar_matches_music21(text, fifths, mode):
    k = parse_key(text)
    assert (k.fifths, k.mode) == (fifths, mode)
    tonic = k.tonic_step + ("#" * int(k.tonic_alter) if k.tonic_alter > 0 else "-" * int(-k.tonic_alter))
    assert m21key.Key(tonic.lower() if mode == "minor" else tonic, None if mode in ("major", "minor") else mode).sharps == fifths


@pytest.mark.parametrize("bad", ["H", "", "C minr", "Cbm7", "X#"])
def test_bad_keys_are_one_line_errors(bad):
    with pytest.raises(UsageError) as e:
        parse_key(bad)
    assert "\n" not in str(e.value) and "lower case = minor" in str(e.value)


def test_key_alterations_and_scales_agree_with_music21():
    for fifths in range(-7, 8):
        sig = m21key.KeySignature(fifths)
        expected = {p.step: p.accidental.alter for p in sig.alteredPitches}
        assert {s: a for s, a in key_alters(fifths).items() if a} == expected
        for mode in ("major", "minor"):
            k = sig.asKey(mode)
            assert tonic_pc(fifths, mode) == k.tonic.pitchClass
            assert scale_pitch_classes(fifths, mode) == {p.pitchClass for p in k.getPitches()}
            assert Key.from_signature(fifths, mode).tonic == k.tonic.name.replace("-", "b")
    # in minor, the leading note counts as in the key when asked
    assert scale_pitch_classes(0, "minor", leading_note=True) == {0, 2, 4, 5, 7, 8, 9, 11}


def test_spelled_pitches_and_musescore_tpc_round_trip():
    for name in ("C4", "B-3", "F#5", "E--2", "G##4", "C-4", "B#3", "A4"):
        p = m21pitch.Pitch(name)
        assert name_to_midi(name) == p.midi
        tpc = name_to_tpc(name)
        assert tpc_to_name(tpc, p.midi) == p.nameWithOctave
    assert name_to_midi("Bb3") == 58 and name_to_tpc("Bb3") == 12 and name_to_tpc("C4") == 14


@functools.lru_cache(maxsize=None)
def _music21_interval(sharps: int, shift: int):
    tonic = m21key.KeySignature(sharps).asKey("major").tonic
    start, target = m21pitch.Pitch("C4"), m21pitch.Pitch(tonic.name)
    target.octave = 4
    while target.midi - start.midi > -shift:
        target.octave -= 1
    while target.midi - start.midi < -shift:
        target.octave += 1
    return m21interval.Interval(start, target)


def test_generated_notes_are_spelled_as_music21_spells_them():
    """The spelling of generated notes moved from music21 to theory: the old music21 code is
    the oracle, over every signature, both modes and the models' whole pitch range."""
    from lstmfuse.generation.spelling import _NORMALISED_NAMES, _NORMALISED_NAMES_MINOR

    for sharps in range(-7, 8):
        shift = normalising_shift(sharps)
        for minor in (False, True):
            names = _NORMALISED_NAMES_MINOR if minor else _NORMALISED_NAMES
            for midi in range(24, 108):
                p = m21pitch.Pitch(names[midi % 12])
                p.octave = midi // 12 - 1
                out = p.transpose(_music21_interval(sharps, shift))
                if out.accidental is not None and abs(out.accidental.alter) > 1:
                    out = out.simplifyEnharmonic()
                assert spell(midi, sharps, shift, minor) == out.nameWithOctave, (sharps, minor, midi)


# --------------------------------------------------------------------------- one grammar on every command


def _invoke(*args):
    r = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    return r


@pytest.mark.parametrize("command", [["fuse"], ["batch", "set-key"], ["batch", "transpose"]])
def test_every_key_option_documents_the_grammar(command):
    text = " ".join(_invoke(*command, "--help").output.split())
    assert "lower case = minor" in text and "c, eb, f# minor" in text, KEY_GRAMMAR_HELP


def test_key_c_is_c_minor_for_fuse_and_batch_set_key(tmp_path, examples_dir):
    """The proof asked for in issue 14: ``--key c`` means one key on every command."""
    from lstmfuse.io import load

    for text, fifths, mode in (("c", -3, "minor"), ("C", 0, "major")):
        fused = tmp_path / f"fused-{fifths}.musicxml"
        _invoke("fuse", "--weights", "folk=1", "--bars", "2", "--seed", "3", "--meter", "4/4", "--key", text, "-o", str(fused))
        settings = json.loads(str(load(fused).metadata.getCustom("lstmfuse-settings")[0]))
        assert (settings["key_signature_sharps"], settings["mode"]) == (fifths, mode)
        out_dir = tmp_path / f"set-{fifths}"
        _invoke("batch", "set-key", str(examples_dir / "oneills-0001.musicxml"), "--key", text, "--out-dir", str(out_dir), "-q")
        written = next(out_dir.rglob("*.musicxml")).read_text(encoding="utf-8")
        assert f"<fifths>{fifths}</fifths>" in written and f"<mode>{mode}</mode>" in written


@pytest.mark.parametrize("key, message", [("D dorian", "major or minor keys, not dorian"), ("H", "bad key 'H'")])
def test_fuse_refuses_a_key_it_cannot_write_in_one_line(tmp_path, key, message):
    import subprocess
    import sys

    out = tmp_path / "x.musicxml"
    proc = subprocess.run([sys.executable, "-m", "lstmfuse", "fuse", "--weights", "folk=1", "--key", key, "-o", str(out)],
                          capture_output=True, text=True)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2 and len(lines) == 1 and message in lines[0], proc.stderr
    assert not out.exists()


def test_the_key_grammar_fuse_offers_is_the_one_it_writes():
    """fuse's --key help gave 'D dorian' as an example and then refused it (lstmfuse writes
    major or minor keys); every example it offers now parses to a key it can write."""
    import re

    from lstmfuse.generation.service import major_or_minor_key
    from lstmfuse.theory import MAJOR_MINOR_KEY_HELP

    examples = re.findall(r"'([^']+)'|\b([A-Ga-g][#b]?m?)(?=[ ,;)]|$)", MAJOR_MINOR_KEY_HELP.split("music21:")[1])
    names = [a or b for a, b in examples]
    assert {"C", "Eb", "F#", "c", "eb", "f#", "Am", "Bb minor"} <= set(names)
    for name in names:
        assert major_or_minor_key(name).major_or_minor in ("major", "minor"), name
