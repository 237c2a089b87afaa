"""Weighted fusion with the shipped models, and the proofs that the weights steer style."""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

from lstmfuse.corpora.genres import GENRES
from lstmfuse.encoding.extract import melody_from_part
from lstmfuse.evaluation.proofs import generate_many, originality_rates, pure_genre_accuracy, weight_fidelity
from lstmfuse.generation.continuation import continue_melody
from lstmfuse.generation.options import SamplingOptions
from lstmfuse.io import load
from lstmfuse.metrics.reference import heldout_originality_baseline, originality_index


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
    # four bars of 6/8, after an upbeat if one was drawn (a pickup bar is not counted; the last
    # bar is then whole or the short one that completes the upbeat)
    pickup = Fraction(settings.get("pickup_quarters", "0"))
    assert sum(e.duration for e in m.events) in (4 * 3, 4 * 3 + pickup)
    again = tmp_path / "g.musicxml"
    assert _cli("fuse", "--weights", "folk=0.7,irish=0.3", "--bars", "4", "--seed", "9", "--meter", "6/8", "--key", "D", "-o", str(again)).returncode == 0
    assert [(e.pitch, e.duration) for e in melody_from_part(load(again).parts[0]).events] == [(e.pitch, e.duration) for e in m.events]


def test_fuse_takes_one_weights_option_per_genre(tmp_path):
    """``-w folk=0.5 -w irish=0.5`` is the blend, not the last option alone: a scalar option
    given twice keeps its last value, which wrote pure Irish without a word."""
    repeated, comma, irish = (tmp_path / f"{name}.musicxml" for name in ("repeated", "comma", "irish"))
    common = ["--bars", "2", "--seed", "5", "--meter", "6/8", "--key", "G"]
    assert _cli("fuse", "-w", "folk=0.5", "-w", "irish=0.5", *common, "-o", str(repeated)).returncode == 0
    assert _cli("fuse", "-w", "folk=0.5,irish=0.5", *common, "-o", str(comma)).returncode == 0
    assert _cli("fuse", "-w", "irish=0.5", *common, "-o", str(irish)).returncode == 0

    def notes(path):
        return [(e.pitch, e.onset, e.duration) for e in melody_from_part(load(path).parts[0]).events]

    settings = json.loads(str(load(repeated).metadata.getCustom("lstmfuse-settings")[0]))
    assert settings["weights"] == {"folk": 0.5, "irish": 0.5}
    assert notes(repeated) == notes(comma) and notes(repeated) != notes(irish)


def test_fuse_writes_the_mode_of_the_key_asked_for(tmp_path):
    """``--key e`` is E minor in the file (MusicXML <mode>minor</mode>, kern *e:), not a bare
    one-sharp signature that reads as G major."""
    for suffix in (".musicxml", ".krn"):
        out = tmp_path / f"e{suffix}"
        assert _cli("fuse", "-w", "folk=1", "--key", "e", "--bars", "2", "--seed", "1", "-o", str(out)).returncode == 0
        k = load(out).recurse().getElementsByClass("KeySignature").first()
        assert (k.sharps, getattr(k, "mode", None)) == (1, "minor"), (suffix, k)


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
    assert result.rho >= 0.9 - 1e-9, result  # one swap among the 5 means is rho 0.9 (in floats 0.8999...)
    assert result.mean_posterior_a[-1] > result.mean_posterior_a[0] + 0.3, result


def test_pure_genre_outputs_are_recognised():
    """The pure-genre proof: of each genre's 160 melodies of 16 bars (from nothing, its own
    meters, 40 at each of seeds 0, 100, 200, 300), at least 0.75 are given to that genre by the
    style judge, and 0.85 on average over the five genres (the issue's target is 0.80 each).
    One seed of 40 moves a genre by 0.05-0.10 (folk 0.75-0.95 over these seeds), too much for
    a threshold near the figures.

    Since tunes from nothing start on an upbeat and end on the short bar that completes it, as
    written tunes do (commit cfea005), the 160 tunes are recognised folk 0.87, irish 0.79,
    scottish 0.90, bach 0.99, palestrina 1.00 (commit b53e07a), against 0.75, 0.66, 0.98, 0.98,
    1.00 before (docs/fusion.md, "Pure genres: upbeats and the short last bar"). With the judge
    taught collages (commit 373d5b3): folk 0.83, irish 0.825, scottish 0.825, bach 0.98,
    palestrina 1.00; with its learning-rate schedule and every phrase starting with the upbeat
    (commit 5b97a8a): folk 0.96, irish 0.86, scottish 0.87, bach 0.98, palestrina 1.00; with
    whole-bar endings ending as real ones do and the upbeat drawn by weight (commit 76b710c):
    folk 0.89, irish 0.92, scottish 0.88, bach 0.96, palestrina 1.00."""
    seeds = (0, 100, 200, 300)
    runs = [pure_genre_accuracy(list(GENRES), n=40, bars=16, seed=seed) for seed in seeds]
    whole = {g: float(np.mean([r[g] for r in runs])) for g in GENRES}
    print("pure-genre classification, 160 tunes a genre:", whole, "per seed:", runs)
    assert all(v >= 0.75 for v in whole.values()), whole
    assert float(np.mean(list(whole.values()))) >= 0.85, whole


def copy_rate_upper_bound(copied: int, n: int, confidence: float = 0.9) -> float:
    """One-sided Clopper-Pearson upper bound of a rate seen as ``copied`` of ``n``: the
    largest true rate under which seeing ``copied`` or fewer still has chance >= 1 - confidence."""
    if copied >= n:
        return 1.0
    lo, hi = copied / n, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        cdf = sum(math.comb(n, i) * mid**i * (1 - mid) ** (n - i) for i in range(copied + 1))
        lo, hi = (mid, hi) if cdf > 1 - confidence else (lo, mid)
    return hi


def copies_less_than_real_tunes(copied: int, n: int, heldout_rate: float) -> bool:
    """The originality proof: with 90% confidence the generator holds a 16-note copied run
    in fewer of its melodies than real held-out tunes do. With n = 20 that allows at most 1
    copy for folk (real rate 19.3%) and 3 for irish (31.2%); a model copying in 20% of its
    outputs fails for both, while a bare ``rate <= real rate`` passed it for folk."""
    return copy_rate_upper_bound(copied, n) < heldout_rate


def test_copy_rate_bound_by_hand():
    assert copy_rate_upper_bound(0, 20) == pytest.approx(1 - 0.1 ** (1 / 20), abs=1e-9)  # 0.109
    p = 0.180961  # 1 of 20: solves (1-p)^20 + 20 p (1-p)^19 = 0.1
    assert (1 - p) ** 20 + 20 * p * (1 - p) ** 19 == pytest.approx(0.1, abs=1e-6)
    assert copy_rate_upper_bound(1, 20) == pytest.approx(p, abs=1e-6)
    assert copy_rate_upper_bound(20, 20) == 1.0
    assert copies_less_than_real_tunes(1, 20, 0.193) and not copies_less_than_real_tunes(2, 20, 0.193)
    assert copies_less_than_real_tunes(3, 20, 0.312) and not copies_less_than_real_tunes(4, 20, 0.312)


@pytest.mark.parametrize("genre", ["folk", "irish"])
def test_generated_tunes_copy_no_more_than_real_ones(genre):
    r = originality_rates(genre, n=20, seed=300)
    print("originality:", r)
    assert r.generated_rate <= r.heldout_rate, r
    copied = round(r.generated_rate * r.generated_n)
    assert copies_less_than_real_tunes(copied, r.generated_n, r.heldout_rate), (r, copy_rate_upper_bound(copied, r.generated_n))


def _training_runs(index, notes: int, k: int) -> list[np.ndarray]:
    """``k`` interval runs of ``notes`` notes, each from another training tune of the index."""
    tunes = [t for t in index.corpus.split(b"\0") if len(t) >= notes - 1]
    picks = [tunes[i * len(tunes) // k] for i in range(k)]
    return [np.frombuffer(t[: notes - 1], dtype=np.uint8).astype(np.int64) - 128 for t in picks]


def _paste(melody, intervals: np.ndarray):
    """The melody with its first len(intervals)+1 notes' pitches replaced by the copied run
    (started on its own first pitch; rhythm and rests kept)."""
    notes = [i for i, e in enumerate(melody.events) if e.pitch is not None]
    assert len(notes) > len(intervals)
    pitches = melody.events[notes[0]].pitch + np.concatenate(([0], np.cumsum(intervals)))
    events = list(melody.events)
    for i, p in zip(notes, pitches.tolist()):
        events[i] = dataclasses.replace(events[i], pitch=int(p))
    return melody.with_events(events)


@pytest.mark.parametrize("genre, pasted", [("folk", 3), ("irish", 4)])
def test_originality_proof_fails_a_model_that_copies(genre, pasted):
    """A 'model' that is the real one with a 16-note run of a training tune pasted into some
    of its 20 melodies (folk 3: 15%, irish 4: 20%, both below the real tunes' rate, so a bare
    ``rate <= real rate`` let them through) must fail the proof above."""
    index, base = originality_index(genre), heldout_originality_baseline(genre)
    generated = generate_many(20, base["bars"], 300, genre=genre, meter_of=genre)
    runs = iter(_training_runs(index, base["run"], pasted))
    where = set(range(0, 20, 20 // pasted)[:pasted])
    copier = [_paste(m, next(runs)) if i in where else m for i, m in enumerate(generated)]
    copied = sum(index.query(m).longest_run >= base["run"] for m in copier)
    assert copied >= pasted  # the index finds every pasted run
    assert copied / len(copier) <= base["rate"]  # the old bar is fooled ...
    assert not copies_less_than_real_tunes(copied, len(copier), base["rate"]), (copied, base)  # ... this one is not


def test_the_fusion_share_is_each_genres_own_and_their_weighted_mean_in_a_fusion(tmp_path, monkeypatch):
    """Phase 2's fusion share per genre is the one with the fewest held-out bits on the valid
    split (models/fusion/mixture.json, written by `python -m lstmfuse.evaluation.mixture_bits
    --write`); a fusion takes the weighted mean, a genre without a measured share 0.5."""
    from lstmfuse.generation import fusion_share as fs

    shipped = json.loads((fs.available()["fusion"] / fs.MIXTURE_FILE).read_text())
    for genre, share in shipped["share"].items():
        bits = shipped["valid_bits_per_token"][genre]
        assert float(min(bits, key=bits.get)) == share  # the stored choice is the stored minimum
        assert fs.fusion_share({genre: 1.0}) == share
    assert shipped["share"]["folk"] == 0.25 and shipped["share"]["bach"] == 0.5
    assert fs.fusion_share({"folk": 0.5, "bach": 0.5}) == pytest.approx(0.375)
    assert fs.fusion_share({"folk": 3, "bach": 1}) == pytest.approx(0.3125)  # weights need not sum to 1
    assert fs.fusion_share({"unknown": 1.0}) == fs.DEFAULT_SHARE
    # a fusion model without the file (a user's own) keeps the old constant
    monkeypatch.setattr(fs, "available", lambda: {"fusion": tmp_path})
    assert fs.fusion_share({"folk": 1.0}) == fs.DEFAULT_SHARE == 0.5


def test_a_palestrina_led_half_phrase_keeps_palestrina_note_lengths_in_a_blend():
    """Where the template phrase did not breathe, its last bar is capped at the genre's median
    note; in a blend the cap is the lead's (Palestrina: a half), not the template's (a Scottish
    eighth, which gave Palestrina-led half-phrases 25% notes shorter than a quarter; real 1%)."""
    from lstmfuse.evaluation.blend_proof import fusions, lead_units, short_share

    results = fusions(10, 16, 0, {"palestrina": 0.5, "scottish": 0.5}, "2/2")
    led = [m for r in results for g, m in lead_units(r) if g == "palestrina"]
    assert len(led) >= 20
    assert short_share(led) < 0.1, short_share(led)


def test_the_order_the_weights_are_typed_in_does_not_change_the_tune():
    """At 50/50 the upbeat came from the first genre named, so 'palestrina=.5,scottish=.5' never
    had one and 'scottish=.5,palestrina=.5' mostly did. Now the genre whose upbeat and phrase
    layout a tune takes is drawn by weight: the same seed gives the same tune in either order,
    and over seeds both genres' habits are drawn."""
    drawn = set()
    for seed in range(8):
        one, other = (
            continue_melody(None, bars=8, weights=text, meter="2/2", options=SamplingOptions(seed=seed))
            for text in ("palestrina=0.5,scottish=0.5", "scottish=0.5,palestrina=0.5")
        )
        assert one.melodies[0].events == other.melodies[0].events
        assert one.settings.get("pickup_genre") == other.settings.get("pickup_genre")
        assert one.plans[0]["template"] == other.plans[0]["template"]
        drawn.add(one.plans[0]["template"].split("/")[0])
    assert drawn == {"palestrina", "scottish"}


def test_a_50_50_tune_without_meter_or_key_does_not_depend_on_the_order_of_the_weights():
    """Without --meter/--key a tune takes the heaviest genre's meter and key; at 50/50 that was
    the first named, so 'palestrina=.5,scottish=.5' was in 4/2 and the reverse in another meter.
    Among equals the genre is now drawn with the seed: either order, the same tune."""
    from lstmfuse.generation.service import fuse_melody
    from lstmfuse.generation.weights import GenreWeights

    meters = set()
    for seed in range(6):
        (a, used_a), (b, used_b) = (
            fuse_melody(GenreWeights.parse(text, list(GENRES)), bars=4, options=SamplingOptions(seed=seed))
            for text in ("palestrina=0.5,scottish=0.5", "scottish=0.5,palestrina=0.5")
        )
        assert (used_a["meter"], used_a["sharps"], used_a["from_genre"]) == (used_b["meter"], used_b["sharps"], used_b["from_genre"])
        assert a.melodies[0].events == b.melodies[0].events
        meters.add(used_a["from_genre"])
    assert meters == {"palestrina", "scottish"}
    assert GenreWeights.parse("folk=0.7,irish=0.3", list(GENRES)).heaviest_drawn(3) == "folk"


def test_the_cli_says_when_a_50_50_tunes_meter_was_drawn(tmp_path):
    from typer.testing import CliRunner

    from lstmfuse.cli.app import app

    run = CliRunner().invoke(app, ["fuse", "-w", "scottish=0.5,palestrina=0.5", "--bars", "2", "--seed", "1", "-o", str(tmp_path / "t.musicxml")],
                             env={"COLUMNS": "200"})
    assert run.exit_code == 0, run.output
    assert "drawn with the seed among the equally heaviest genres" in " ".join(run.output.split())
    run = CliRunner().invoke(app, ["fuse", "-w", "scottish=0.6,palestrina=0.4", "--bars", "2", "--seed", "1", "-o", str(tmp_path / "u.musicxml")],
                             env={"COLUMNS": "200"})
    assert run.exit_code == 0, run.output
    assert "the most common in scottish, the heaviest genre" in " ".join(run.output.split())
