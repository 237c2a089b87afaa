"""Melody metrics on real folk tunes and on melodies whose answers are known by construction."""

from __future__ import annotations

import json
import math
import random
import time
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _folk_corpus import kinder_melodies
from lstmfuse.encoding.events import Melody, NoteEvent
from lstmfuse.metrics import (
    OriginalityIndex,
    Profile,
    compare_to_profile,
    kl_divergence,
    melody_metrics,
    overlap_area,
    reference_profile,
    set_comparison,
)
from lstmfuse.metrics.originality import interval_bytes
from lstmfuse.metrics.pitch import (
    in_key_ratio,
    interval_histogram,
    key_pitch_classes,
    n_distinct_pitches,
    pitch_class_entropy,
    pitch_class_histogram,
    pitch_range,
    rest_ratio,
    scale_consistency,
)
from lstmfuse.metrics.rhythm import NOTE_LENGTH_LABELS, bar_starts, groove_consistency, note_length_histogram


def make(pitches, durs=F(1, 2), meter="4/4", sharps=0, mode="major", start=F(0)) -> Melody:
    """A melody from MIDI pitches (None = rest) and one duration or a list of them."""
    durs = [durs] * len(pitches) if not isinstance(durs, list) else durs
    num, den = meter.split("/")
    bar = F(4 * int(num), int(den))
    events, t = [], start
    for p, d in zip(pitches, durs):
        events.append(NoteEvent(p, t, d, t % bar))
        t += d
    return Melody(events, meter=meter, sharps=sharps, mode=mode, meters=[(F(0), meter)])


# ---------------------------------------------------------------- pitch


def test_chromatic_scale_has_maximal_entropy():
    chromatic = make(list(range(60, 72)))
    assert pitch_class_entropy(chromatic) == pytest.approx(math.log2(12))
    assert scale_consistency(chromatic) == pytest.approx(7 / 12)
    assert np.allclose(pitch_class_histogram(chromatic), 1 / 12)
    assert pitch_range(chromatic) == 11 and n_distinct_pitches(chromatic) == 12


def test_one_pitch_has_zero_entropy_and_empty_melody_is_undefined():
    assert pitch_class_entropy(make([62, 74, 62])) == 0.0
    empty = Melody([])
    assert math.isnan(pitch_class_entropy(empty)) and math.isnan(scale_consistency(empty))
    assert pitch_class_histogram(empty).sum() == 0


def test_in_key_ratio_uses_the_key_signature_and_mode():
    g_major = make([67, 69, 71, 72, 74, 76, 78, 79], sharps=1)  # G major scale
    assert in_key_ratio(g_major) == 1.0
    assert in_key_ratio(make([67, 69, 71, 72, 74, 76, 77, 79], sharps=1)) == pytest.approx(7 / 8)  # F natural
    a_minor = make([69, 71, 72, 74, 76, 77, 80, 81], sharps=0, mode="minor")  # harmonic minor
    assert in_key_ratio(a_minor) == 1.0  # the leading note G# belongs to the key
    assert key_pitch_classes(-3, None) == key_pitch_classes(-3, "major") == frozenset({3, 5, 7, 8, 10, 0, 2})


def test_interval_histogram_skips_rests_and_clips_leaps():
    m = make([60, 62, None, 59, 84, 60])
    h = interval_histogram(m)
    assert h.shape == (25,) and h.sum() == pytest.approx(1)
    assert h[12 + 2] == h[12 - 3] == h[24] == h[0] == pytest.approx(0.25)  # +2, -3 (over the rest), +25, -24


def test_rest_ratio_is_a_share_of_time():
    m = make([60, None, 62], durs=[F(1), F(2), F(1)])
    assert rest_ratio(m) == pytest.approx(0.5)


# ---------------------------------------------------------------- rhythm


def test_note_length_histogram_has_triplet_bins_and_other():
    m = make([60, 62, 64, 65, 67], durs=[F(1, 3), F(1, 3), F(1, 3), F(1), F(5, 4)])
    h = dict(zip(NOTE_LENGTH_LABELS, note_length_histogram(m)))
    assert h["1/3"] == pytest.approx(0.6) and h["1"] == pytest.approx(0.2) and h["other"] == pytest.approx(0.2)


def test_groove_consistency():
    same = make([60] * 16, durs=F(1))  # four identical bars of quarters
    assert groove_consistency(same) == 1.0
    # bar 1: 4 quarters, bar 2: one whole note -> 3 of 96 grid points differ
    two = make([60] * 5, durs=[F(1)] * 4 + [F(4)])
    assert bar_starts(two) == [F(0), F(4)]
    assert groove_consistency(two) == pytest.approx(1 - 3 / 96)
    assert math.isnan(groove_consistency(make([60, 62])))
    held = make([60, 62], durs=[F(1), F(11)])  # a note held over two more bars: they count
    assert bar_starts(held) == [F(0), F(4), F(8)]


# ---------------------------------------------------------------- real folk tunes


def test_folk_tunes_are_tonal():
    tunes = kinder_melodies()
    assert len(tunes) > 200
    first = tunes[0]
    assert scale_consistency(first) > 0.9
    assert in_key_ratio(first) > 0.9
    consistency = np.array([scale_consistency(m) for m in tunes])
    in_key = np.array([in_key_ratio(m) for m in tunes])
    assert np.median(consistency) == 1.0 and (consistency > 0.85).mean() > 0.95
    assert np.median(in_key) > 0.95
    assert np.median([pitch_class_entropy(m) for m in tunes]) < math.log2(7) + 0.1
    for m in tunes[:50]:
        for h in (pitch_class_histogram(m), interval_histogram(m), note_length_histogram(m)):
            assert h.sum() == pytest.approx(1.0)
        assert 0.5 < groove_consistency(m) <= 1.0


def test_a_set_against_its_own_profile():
    tunes = list(kinder_melodies()[:60])
    profile = reference_profile(tunes, name="kinder")
    same = compare_to_profile(tunes, profile)
    for k, v in same.items():
        if k.endswith("_overlap"):
            assert v == pytest.approx(1.0), k
        else:
            assert v == pytest.approx(0.0, abs=1e-12), k
    other = compare_to_profile([make(list(range(60, 84)), durs=F(1, 3))] * 3, profile)
    assert other["pitch_class_overlap"] < 0.8 and other["interval_kl"] > 1
    assert other["note_length_overlap"] < 0.1


def test_profile_survives_json():
    tunes = list(kinder_melodies()[:40]) + [make([60, 62]), Melody([])]  # undefined values too
    profile = reference_profile(tunes, name="kinder", keep_samples=1000)
    text = json.dumps(profile.to_dict(), allow_nan=False)
    again = Profile.from_dict(json.loads(text))
    assert again.name == "kinder" and again.n_melodies == 42
    assert np.isnan(again.samples["groove_consistency"]).sum() == 2
    assert set_comparison(tunes[:10], again) == pytest.approx(set_comparison(tunes[:10], profile), abs=1e-3)  # 5 decimals kept
    bare = Profile.from_dict(json.loads(json.dumps(reference_profile(tunes, keep_samples=0).to_dict())))
    assert bare.samples == {}
    assert compare_to_profile(tunes[:5], again) == pytest.approx(compare_to_profile(tunes[:5], profile))
    with pytest.raises(ValueError):
        Profile.from_dict({"format": "something else"})


def test_yang_lerch_set_comparison_tells_folk_from_random_pitches():
    tunes = kinder_melodies()
    profile = Profile.from_dict(json.loads(json.dumps(reference_profile(tunes[:120], keep_samples=80).to_dict())))
    assert profile.samples["pitch_class"].shape == (80, 12)
    held_out = list(tunes[120:170])
    rng = random.Random(0)
    noise = [
        m.with_events([NoteEvent(None if e.pitch is None else rng.randint(50, 85), e.onset, e.duration, e.bar_pos) for e in m.events])
        for m in held_out
    ]
    real = set_comparison(held_out, profile)
    fake = set_comparison(noise, profile)
    for f in ("interval", "pitch_class_entropy", "pitch_range", "n_pitches", "scale_consistency"):
        assert real[f"{f}_intra_inter_overlap"] > 0.75, f
        assert fake[f"{f}_intra_inter_overlap"] < real[f"{f}_intra_inter_overlap"] - 0.4, f
        assert fake[f"{f}_intra_inter_kl"] > real[f"{f}_intra_inter_kl"], f
    assert fake["pitch_class_intra_inter_overlap"] < real["pitch_class_intra_inter_overlap"] - 0.15
    # rhythm was kept: the rhythm features cannot tell the two sets apart
    assert abs(fake["note_length_intra_inter_overlap"] - real["note_length_intra_inter_overlap"]) < 0.01


def test_overlap_and_kl_basics():
    assert overlap_area([1, 0], [0, 1]) == 0.0
    assert overlap_area([2, 2], [1, 1]) == 1.0
    assert kl_divergence([1, 1], [1, 1]) == 0.0
    assert math.isfinite(kl_divergence([1, 0], [0, 1])) and kl_divergence([1, 0], [0, 1]) > 5
    assert math.isnan(overlap_area([0, 0], [1, 1]))


def test_melody_metrics_is_flat_json():
    tunes = kinder_melodies()
    profile = reference_profile(tunes[:50])
    index = OriginalityIndex.build(tunes[:50])
    out = melody_metrics(tunes[3], against=profile, originality=index, histograms=True)
    json.dumps(out, allow_nan=False)
    assert all(isinstance(v, float) or v is None for v in out.values())
    assert out["longest_copied_run"] == out["n_notes"]
    assert {"pitch_class_entropy", "groove_consistency", "pitch_class_overlap", "copied_8gram_share"} <= set(out)
    assert sum(v for k, v in out.items() if k.startswith("pc_hist_")) == pytest.approx(1)
    empty = melody_metrics(Melody([]), originality=index)
    json.dumps(empty, allow_nan=False)
    assert empty["pitch_class_entropy"] is None


# ---------------------------------------------------------------- originality


def _shuffled_intervals(m: Melody, seed: int) -> list[int]:
    p = [e.pitch for e in m.events if e.pitch is not None]
    steps = list(np.diff(p))
    random.Random(seed).shuffle(steps)
    return [int(x) for x in np.cumsum([p[0]] + steps)]


def test_training_tune_is_fully_copied_even_transposed():
    tunes = kinder_melodies()
    index = OriginalityIndex.build(tunes[:150], keep_names=True)
    m = tunes[17]
    n = len(m.notes)
    r = index.query(m)
    assert r.longest_run == n and all(v == 1.0 for v in r.shares.values())
    assert r.source_name is not None and r.source_name.startswith("kinder0.abc#")
    up = [e.pitch + 5 for e in m.events if e.pitch is not None]  # another key, same tune
    assert index.query(up).longest_run == n


def test_shuffled_intervals_are_original():
    tunes = kinder_melodies()
    index = OriginalityIndex.build(tunes[:150])
    results = [index.query(_shuffled_intervals(m, i)) for i, m in enumerate(tunes[150:200])]
    assert np.mean([r.shares[8] for r in results]) < 0.1
    assert np.nanmean([r.shares[12] for r in results]) < 0.02
    assert np.median([r.longest_run for r in results]) < 8


def test_index_round_trips_and_is_fast(tmp_path):
    tunes = kinder_melodies()
    t = time.perf_counter()
    index = OriginalityIndex.build(tunes)
    build_s = time.perf_counter() - t
    probe = _shuffled_intervals(tunes[5], 1)
    expected = index.query(probe)
    again = OriginalityIndex.from_dict(json.loads(json.dumps(index.to_dict())))
    assert again.query(probe) == expected
    path = index.save(tmp_path / "index.npz")
    with pytest.raises(Exception):
        index.save(path)  # never clobbers
    loaded = OriginalityIndex.load(path)
    assert loaded.query(probe) == expected
    t = time.perf_counter()
    for m in tunes[:50]:
        loaded.query(m)
    query_ms = (time.perf_counter() - t) / 50 * 1000
    assert build_s < 2 and query_ms < 20, (build_s, query_ms)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.integers(58, 64), min_size=1, max_size=20), min_size=1, max_size=6),
    st.lists(st.integers(58, 64), min_size=0, max_size=20),
)
def test_longest_run_matches_brute_force(corpus, query):
    index = OriginalityIndex.build(corpus, n_values=(2, 3, 5))
    texts = [interval_bytes(s) for s in corpus]
    q = interval_bytes(query)
    best = 0
    for i in range(len(q)):
        for j in range(i + 1, len(q) + 1):
            if any(q[i:j] in t for t in texts):
                best = max(best, j - i)
    r = index.query(query)
    assert r.longest_run == (best + 1 if query else 0)
    for n in (2, 3, 5):
        windows = len(query) - n + 1
        if windows > 0:
            found = sum(any(q[i : i + n - 1] in t for t in texts) for i in range(windows))
            assert r.shares[n] == pytest.approx(found / windows)
        else:
            assert math.isnan(r.shares[n])
