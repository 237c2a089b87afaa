"""Weighted fusion with the shipped models, and the proofs that the weights steer style."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from lstmfuse.corpora.genres import GENRES
from lstmfuse.encoding.extract import melody_from_part
from lstmfuse.evaluation.proofs import originality_rates, pure_genre_accuracy, weight_fidelity
from lstmfuse.generation.continuation import continue_melody
from lstmfuse.generation.options import SamplingOptions
from lstmfuse.io import load


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "lstmfuse", *args], capture_output=True, text=True)


def test_fuse_writes_score_with_reproducible_settings(tmp_path):
    out = tmp_path / "f.musicxml"
    proc = _cli("fuse", "--weights", "folk=7,irish=3", "--bars", "4", "--seed", "9", "--meter", "6/8", "--key", "D", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    score = load(out)
    settings = json.loads(str(score.metadata.getCustom("lstmfuse-settings")[0]))
    assert settings["weights"] == {"folk": 0.7, "irish": 0.3}
    assert settings["sampling"]["seed"] == 9 and settings["meter"] == "6/8"
    m = melody_from_part(score.parts[0])
    assert m.sharps == 2 and m.meter == "6/8"
    assert sum(e.duration for e in m.events) == 4 * 3  # four bars of 6/8
    again = tmp_path / "g.musicxml"
    assert _cli("fuse", "--weights", "folk=0.7,irish=0.3", "--bars", "4", "--seed", "9", "--meter", "6/8", "--key", "D", "-o", str(again)).returncode == 0
    assert [(e.pitch, e.duration) for e in melody_from_part(load(again).parts[0]).events] == [(e.pitch, e.duration) for e in m.events]


def test_fuse_continues_a_seed_file(tmp_path, examples_dir):
    out = tmp_path / "f.musicxml"
    proc = _cli("fuse", "--weights", "irish=0.5,scottish=0.5", "--bars", "2", "--seed-file", str(examples_dir / "oneills-0001.musicxml"), "--seed", "1", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    before = melody_from_part(load(examples_dir / "oneills-0001.musicxml").parts[0])
    after = melody_from_part(load(out).parts[0])
    assert after.end - before.end >= 2 * before.bar_length


@pytest.mark.parametrize(
    "weights, message",
    [("jazz=1", "unknown genre 'jazz'"), ("folk=-0.5,irish=1", ">= 0"), ("folk=0,irish=0", "all genre weights are zero")],
)
def test_fuse_rejects_bad_weights(tmp_path, weights, message):
    out = tmp_path / "x.musicxml"
    proc = _cli("fuse", "--weights", weights, "--bars", "2", "-o", str(out))
    assert proc.returncode == 2
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert not out.exists()


def test_fusion_from_a_passage_keeps_key_and_fills_bars(examples_dir):
    passage = melody_from_part(load(examples_dir / "essen-altdeu10-1.krn").parts[0])
    res = continue_melody(passage, bars=2, weights="folk=0.5,irish=0.25,scottish=0.25", options=SamplingOptions(seed=2), variants=2)
    assert len(res.melodies) == 2
    for m in res.melodies:
        assert m.events[0].onset == passage.end and m.sharps == passage.sharps


def test_weight_fidelity_posterior_rises_with_weight():
    result = weight_fidelity("folk", "irish", [0, 0.25, 0.5, 0.75, 1], n=20, bars=16, seed=100, meter="2/4")
    print("weight fidelity folk/irish:", result)
    assert result.rho >= 0.9, result
    assert result.mean_posterior_a[-1] > result.mean_posterior_a[0] + 0.3, result


def test_pure_genre_outputs_are_recognised():
    shares = pure_genre_accuracy(list(GENRES), n=20, bars=16, seed=200)
    print("pure-genre classification:", shares)
    assert all(v >= 0.7 for v in shares.values()), shares


@pytest.mark.parametrize("genre", ["folk", "irish"])
def test_generated_tunes_copy_no_more_than_real_ones(genre):
    r = originality_rates(genre, n=20, seed=300)
    print("originality:", r)
    assert r.generated_rate <= r.heldout_rate, r
