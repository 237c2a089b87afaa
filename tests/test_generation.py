"""Continuation with the shipped genre models: fast engine, constraints, score writing."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction as F

import numpy as np
import pytest

from lstmfuse.encoding import vocab as V
from lstmfuse.encoding.events import meter_bar_length
from lstmfuse.encoding.extract import melody_from_part
from lstmfuse.encoding.tokens import encode, normalising_shift
from lstmfuse.errors import UsageError
from lstmfuse.generation.continuation import continue_melody
from lstmfuse.generation.options import SamplingOptions
from lstmfuse.generation.service import continue_score
from lstmfuse.generation.weights import parse_weights
from lstmfuse.io import load
from lstmfuse.models.registry import load_model


@pytest.fixture(scope="module")
def folk_passage(examples_dir):
    return melody_from_part(load(examples_dir / "essen-altdeu10-1.krn").parts[0])


def test_numpy_engine_matches_keras_to_1e5(folk_passage):
    pytest.importorskip("keras", reason="TensorFlow is a training dependency, installed by the test extra")
    from lstmfuse.models.keras_model import build_model, set_weights_from_dict
    from lstmfuse.models.numpy_lstm import log_softmax

    model = load_model("folk")
    keras_model = build_model(model.config)
    arrays = dict(np.load(_weights_path("folk"), allow_pickle=False))
    arrays.pop("__config__")
    set_weights_from_dict(keras_model, model.config, arrays)
    enc = encode(folk_passage)
    x = {"tokens": enc.tokens[None], "positions": enc.positions[None], "meters": enc.meters[None]}
    structure = None
    if model.config.structure:  # lookback and phrase inputs (encoding.structure)
        from lstmfuse.encoding.structure import piece_features

        structure = piece_features(enc.tokens, enc.meters, enc.positions)[None]
        x["structure"] = structure
    keras_p = np.exp(log_softmax(np.asarray(keras_model(x, training=False), dtype=np.float64)))[0]
    numpy_p = np.exp(log_softmax(model.sequence_logits(enc.tokens, enc.positions, enc.meters, None, structure)))[0]
    assert np.abs(keras_p - numpy_p).max() < 1e-5


def _weights_path(name):
    from lstmfuse.models.registry import available

    return available()[name] / "weights.npz"


def test_continuation_fills_whole_bars_in_key_and_meter(folk_passage):
    res = continue_melody(folk_passage, bars=4, genre="folk", options=SamplingOptions(seed=5), variants=3)
    bar = meter_bar_length(folk_passage.meter)
    last = folk_passage.events[-1]
    pos_end = (last.bar_pos + last.duration) % bar
    expected = (bar - pos_end) % bar + 4 * bar
    assert len(res.melodies) == 3
    for m in res.melodies:
        assert m.events[0].onset == folk_passage.end  # starts where the passage ends
        assert sum(e.duration for e in m.events) == expected  # whole bars, exactly
        assert m.meter == folk_passage.meter and m.sharps == folk_passage.sharps
        notes = m.notes
        assert notes and all(e.spelling for e in notes)
        # the Hildebrandslied is G minor (dorian) under one sharp with its B-flats written out:
        # it ends on the tonic triad of the key its notes are in (G, B-flat, D)
        assert notes[-1].pitch % 12 in {7, 10, 2}
        # spelled in that key: its diatonic notes have no sharps, B-flat and E-flat are flats
        assert all("#" not in e.spelling for e in notes if e.pitch % 12 in {7, 9, 10, 0, 2, 3, 5})
        assert all("-" in e.spelling for e in notes if e.pitch % 12 in {10, 3})
    assert res.settings["key_signature_sharps"] == 1  # the score's own signature is kept
    assert res.settings["key_of_notes"]["sharps"] == -2 and res.settings["mode"] == "minor"


def test_same_seed_same_result_other_seed_differs(folk_passage):
    a = continue_melody(folk_passage, bars=2, genre="folk", options=SamplingOptions(seed=11)).melodies[0]
    b = continue_melody(folk_passage, bars=2, genre="folk", options=SamplingOptions(seed=11)).melodies[0]
    c = continue_melody(folk_passage, bars=2, genre="folk", options=SamplingOptions(seed=12)).melodies[0]
    assert a.events == b.events
    assert a.events != c.events


def test_range_leap_and_key_constraints_hold(folk_passage):
    opts = SamplingOptions(seed=3, lowest=62, highest=76, max_leap=4, stay_in_key=True, rest_density=0)
    for m in continue_melody(folk_passage, bars=4, genre="folk", options=opts, variants=4).melodies:
        pitches = [e.pitch for e in m.notes]
        assert all(62 <= p <= 76 for p in pitches)
        assert all(abs(a - b) <= 4 for a, b in zip(pitches, pitches[1:]))
        # diatonic to the key the passage's notes are in (G minor: two flats), not to the
        # signature that misdescribes them (one sharp)
        scale = {(x - normalising_shift(-2)) % 12 for x in (0, 2, 4, 5, 7, 9, 11)}
        assert all(p % 12 in scale for p in pitches)
        assert not [e for e in m.events if e.pitch is None]


@pytest.mark.parametrize("meter_file", ["oneills-0001.musicxml", "bach-bwv277.krn"])
def test_continue_score_appends_bars_and_keeps_the_rest(tmp_path, examples_dir, meter_file):
    src = examples_dir / meter_file
    out = tmp_path / "out.musicxml"
    continue_score(src, out, bars=3, genre="folk", options=SamplingOptions(seed=1))
    before, after = load(src), load(out)
    assert len(after.parts) == len(before.parts)
    for pb, pa in zip(before.parts, after.parts):
        mb, ma = pb.getElementsByClass("Measure"), pa.getElementsByClass("Measure")
        assert len(ma) - len(mb) in (3, 4)  # 3 new bars (+1 when the last bar was incomplete)
    old = melody_from_part(before.parts[0])
    new = melody_from_part(after.parts[0])
    old_notes = [(e.pitch, e.onset, e.duration) for e in old.events if e.pitch is not None]
    new_notes = [(e.pitch, e.onset, e.duration) for e in new.events if e.pitch is not None]
    # everything before is unchanged except that the last note may now tie on
    assert new_notes[: len(old_notes) - 1] == old_notes[:-1]
    assert new.end - old.end >= 3 * meter_bar_length(old.meter)


def test_kern_output_round_trips(tmp_path, examples_dir):
    out = tmp_path / "cont.krn"
    continue_score(examples_dir / "essen-altdeu10-1.krn", out, bars=2, genre="folk", options=SamplingOptions(seed=2))
    again = melody_from_part(load(out).parts[0])
    assert "**kern" in out.read_text()
    assert again.end > melody_from_part(load(examples_dir / "essen-altdeu10-1.krn").parts[0]).end


def test_weights_are_validated_and_normalised():
    known = ["folk", "irish", "scottish"]
    assert parse_weights("folk=3,irish=1", known) == {"folk": 0.75, "irish": 0.25}
    for bad, msg in [("jazz=1", "unknown genre"), ("folk=-1", ">= 0"), ("folk=0,irish=0", "all genre weights are zero"), ("folk", "genre=number"), ("folk=x", "not a number")]:
        with pytest.raises(UsageError, match=msg):
            parse_weights(bad, known)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--genre", "jazz"], "unknown genre 'jazz'"),
        (["--genre", "folk", "--temperature", "0"], "temperature"),
        (["--genre", "folk", "--bars", "0"], "bars must be between"),
        (["--genre", "folk", "--instrument", "kazoo"], "unknown instrument"),
        (["--genre", "folk", "--part", "7"], "part 7 does not exist"),
    ],
)
def test_cli_bad_options_one_line_exit_2_no_output(tmp_path, examples_dir, args, message):
    out = tmp_path / "x.musicxml"
    proc = subprocess.run(
        [sys.executable, "-m", "lstmfuse", "continue", str(examples_dir / "essen-altdeu10-1.krn"), "-o", str(out), *args],
        capture_output=True, text=True,
    )
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_vocab_size_is_what_models_were_trained_with():
    assert load_model("folk").config.vocab_size == V.VOCAB_SIZE
    assert F(1, 3) in V.DURATIONS


def test_written_bars_show_only_needed_accidentals_and_are_beamed(tmp_path, examples_dir):
    from lxml import etree

    src = examples_dir / "oneills-0001.musicxml"  # two flats
    out = tmp_path / "c.musicxml"
    continue_score(src, out, bars=4, genre="irish", options=SamplingOptions(seed=8, stay_in_key=True))
    old_bars = len(etree.parse(str(src)).findall(".//part/measure"))
    new = etree.parse(str(out)).findall(".//part/measure")[old_bars:]
    assert len(new) == 4
    notes = [n for m in new for n in m.findall("note") if n.find("pitch") is not None]
    assert notes and not [n for n in notes if n.find("accidental") is not None]  # diatonic: the key says it all
    if any(n.findtext("type") in ("eighth", "16th") for n in notes):
        assert any(n.find("beam") is not None for n in notes)


def test_phrases_end_on_the_tonic_triad_for_every_seed(folk_passage):
    for seed in range(30):
        m = continue_melody(folk_passage, bars=2, genre="folk", options=SamplingOptions(seed=seed)).melodies[0]
        assert m.events[-1].pitch is not None and m.events[-1].pitch % 12 in {7, 11, 2}, seed  # G major: G B D
