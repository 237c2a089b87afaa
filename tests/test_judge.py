"""The sequence style judge: NumPy forward pass = Keras model, recognises real held-out
excerpts, and runs without TensorFlow.

``tests/data/judge_heldout.json.gz`` holds 16-bar excerpts of 20 random *test-split* pieces per
genre (never trained or tuned on), written from the built corpora with
``metrics.style.excerpt`` (rng seed 11), so this test needs no corpus build.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from lstmfuse.encoding.events import Melody, NoteEvent
from lstmfuse.encoding.store import melody_from_dict
from lstmfuse.errors import LstmfuseError
from lstmfuse.metrics.judge import MAX_TOKENS, SequenceJudge, default_path, judge_inputs

FIXTURE = Path(__file__).parent / "data" / "judge_heldout.json.gz"


@pytest.fixture(scope="module")
def heldout() -> dict[str, list[Melody]]:
    data = json.loads(gzip.decompress(FIXTURE.read_bytes()))
    return {g: [melody_from_dict(x["melody"]) for x in rows] for g, rows in data["genres"].items()}


@pytest.fixture(scope="module")
def judge() -> SequenceJudge:
    return SequenceJudge.load()


def test_shipped_judge_recognises_heldout_excerpts(judge, heldout):
    correct, total = 0, 0
    per = {}
    for g, mels in heldout.items():
        pred = judge.posteriors(mels).argmax(axis=1)
        hits = int(sum(judge.genres[p] == g for p in pred))
        per[g] = hits / len(mels)
        correct += hits
        total += len(mels)
    assert correct / total >= 0.9, per
    assert min(per.values()) >= 0.75, per


def test_numpy_forward_matches_keras(heldout):
    pytest.importorskip("keras", reason="TensorFlow is a training dependency, installed by the test extra")
    from lstmfuse.models.judge_train import keras_from_arrays, pad

    with np.load(default_path()) as z:
        arrays = {k: z[k] for k in z.files if k != "meta"}
        meta = json.loads(str(z["meta"]))
    judge = SequenceJudge(arrays, meta)
    samples = [judge_inputs(m) for g in heldout for m in heldout[g][:3]]
    t, p, me = pad(samples)  # unequal lengths: the padding must not change any result
    for member in range(meta["members"]):
        keras_logits = keras_from_arrays(arrays, meta, member)((t, p, me), training=False).numpy()
        numpy_logits = np.stack([judge.logits_of(*s, member=member) for s in samples])
        np.testing.assert_allclose(numpy_logits, keras_logits, atol=1e-5, rtol=1e-5)


def test_judge_loads_and_runs_without_tensorflow():
    code = (
        "import sys\n"
        "from lstmfuse.metrics.reference import judge\n"
        "from lstmfuse.encoding.events import Melody, NoteEvent\n"
        "from fractions import Fraction as F\n"
        "m = Melody([NoteEvent(60 + i % 5, F(i), F(1), F(i % 4)) for i in range(32)])\n"
        "p = judge().posterior(m)\n"
        "assert abs(p.sum() - 1) < 1e-9, p\n"
        "bad = [k for k in ('tensorflow', 'keras') if k in sys.modules]\n"
        "assert not bad, bad\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]


def test_posterior_shapes_long_and_odd_melodies(judge):
    g = len(judge.genres)
    short = Melody([NoteEvent(60 + i % 7, Fraction(i, 2), Fraction(1, 2), Fraction(i % 8, 2)) for i in range(40)])
    assert judge.posterior(short).shape == (g,)
    both = judge.posterior([short, short])
    assert both.shape == (2, g) and np.allclose(both.sum(axis=1), 1)
    long = Melody([NoteEvent(60 + i % 7, Fraction(i, 2), Fraction(1, 2), Fraction(i % 8, 2)) for i in range(MAX_TOKENS)])
    p = judge.posterior(long)  # longer than one window: windows averaged
    assert p.shape == (g,) and abs(p.sum() - 1) < 1e-9
    odd = Melody([NoteEvent(60, Fraction(0), Fraction(1, 7)), NoteEvent(62, Fraction(1, 7), Fraction(6, 7), Fraction(1, 7))] * 1)
    assert judge.posterior(odd).shape == (g,)  # a duration the vocabulary cannot write: snapped
    assert judge.posteriors([]).shape == (0, g)


def test_corrupt_or_missing_judge_is_a_one_line_error(tmp_path):
    with pytest.raises(LstmfuseError, match="no style judge installed"):
        SequenceJudge.load(tmp_path / "none.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(LstmfuseError, match="corrupt"):
        SequenceJudge.load(bad)


def test_reference_build_only_takes_form_or_judge():
    r = subprocess.run([sys.executable, "-m", "lstmfuse", "reference", "build", "--only", "style"], capture_output=True, text=True)
    assert r.returncode != 0
    assert "--only takes 'form' or 'judge'" in r.stdout + r.stderr
    assert "Traceback" not in r.stdout + r.stderr


def test_metrics_command_reports_the_judges_posterior(examples_dir, judge):
    from lstmfuse.encoding.extract import melody_from_part, pick_part
    from lstmfuse.io import load

    f = examples_dir / "oneills-0001.musicxml"
    r = subprocess.run([sys.executable, "-m", "lstmfuse", "metrics", str(f), "--json"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    row = json.loads(r.stdout)[0]
    expect = judge.posterior(melody_from_part(pick_part(load(f)), source=str(f)))
    assert [row[f"style_{g}"] for g in judge.genres] == pytest.approx(expect, abs=1e-4)
    assert max(judge.genres, key=lambda g: row[f"style_{g}"]) == "irish"


def test_training_collages_alternate_two_genres_in_one_meter_with_time_share_labels(heldout):
    from lstmfuse.models.judge_train import Pieces, collage, token_ticks

    genres = list(heldout)
    pools = [Pieces(heldout[g]) for g in genres]
    rng = np.random.default_rng(3)
    seen = 0
    for first in range(len(genres)):
        for _ in range(20):
            made = collage(pools, first, rng, [1, 2, 4])
            if made is None:  # no other genre has a piece in this piece's meter
                continue
            (t, p, me), label = made
            seen += 1
            assert len(t) == len(p) == len(me) <= MAX_TOKENS
            assert len(set(me.tolist())) == 1  # one meter throughout
            assert label.sum() == pytest.approx(1.0)
            assert label[first] > 0 and np.count_nonzero(label) == 2
            if len(t) < MAX_TOKENS:  # uncut: the label is each genre's share of the collage's time
                assert label * token_ticks(t) == pytest.approx(np.round(label * token_ticks(t)), abs=1e-6)
    assert seen >= 50


def test_a_collage_of_long_and_short_notes_is_labelled_by_time_not_by_note_count():
    """Two bars of half notes and two bars of eighths are half and half to a listener; counted
    by tokens, the eighths would take 8/10 of the label."""
    from lstmfuse.models.judge_train import Pieces, collage

    def tune(value: Fraction, bars: int = 8) -> Melody:
        n = int(4 / value)
        return Melody([NoteEvent(60 + (i % 3), Fraction(b * 4) + i * value, value, i * value) for b in range(bars) for i in range(n)], meter="4/4")

    pools = [Pieces([tune(Fraction(2))]), Pieces([tune(Fraction(1, 2))])]
    (_, label), = [c for c in [collage(pools, 0, np.random.default_rng(s), [2], "time") for s in range(1)]]
    (_, by_tokens), = [c for c in [collage(pools, 0, np.random.default_rng(s), [2], "tokens") for s in range(1)]]
    assert label[0] == pytest.approx(0.5, abs=0.13)  # whole units of 2 bars: 8-16 bars, each genre's time within one unit
    assert by_tokens[0] < 0.25


def test_shipped_judge_hears_both_genres_in_real_collages(judge, heldout):
    """Real held-out music of two genres in turn (2-bar units, ``metrics.collage``) is both
    genres, not a third: the judge, taught collages (JUDGE_CARD.md), gives each a share."""
    from lstmfuse.encoding.tokens import in_normalised_key
    from lstmfuse.metrics.collage import random_collages, units_of

    def tunes(g: str, meter: str) -> list:
        return [u for u in (units_of(in_normalised_key(m), 2) for m in heldout[g] if m.meter == meter) if len(u) >= 4]

    rng = np.random.default_rng(5)
    both, sums = [], []
    for a, b, meter in (("folk", "irish", "6/8"), ("bach", "irish", "4/4"), ("folk", "bach", "4/4"), ("irish", "scottish", "6/8"), ("folk", "scottish", "2/4")):
        p = judge.posteriors(random_collages(tunes(a, meter), tunes(b, meter), meter, 10, rng))
        pa, pb = p[:, judge.genres.index(a)], p[:, judge.genres.index(b)]
        both.append(float(((pa >= 0.2) & (pb >= 0.2)).mean()))
        sums.append(float((pa + pb).mean()))
    assert np.mean(both) >= 0.5, both  # the judge trained without collages: 0.34 (0.0 for folk+irish and bach+irish)
    assert np.mean(sums) >= 0.7, sums


def test_collages_of_real_tunes_label_each_genre_by_its_share_of_time_or_events(heldout):
    from lstmfuse.metrics.collage import collages_of

    genres = list(heldout)
    mixed, labels = collages_of([heldout[g] for g in genres], 30, np.random.default_rng(2), units=(2,))
    assert len(mixed) == 30 and labels.shape == (30, len(genres))
    for m, label in zip(mixed, labels):
        assert label.sum() == pytest.approx(1.0) and np.count_nonzero(label) == 2
        assert m.sharps == 0 and m.events and all(e.onset < m.end for e in m.events)
        span = 2 * m.bar_length  # units of 2 bars in turn: the opener's in the even slots
        time = [sum(float(e.duration) for e in m.events if (e.onset // span) % 2 == k) for k in (0, 1)]
        assert sorted(label[label > 0]) == pytest.approx(sorted(np.array(time) / sum(time)))
    mixed, labels = collages_of([heldout[g] for g in genres], 30, np.random.default_rng(2), label="events")
    for m, label in zip(mixed, labels):
        counts = label * len(m.events)  # shares of the collage's own events: whole numbers
        np.testing.assert_allclose(counts, np.round(counts), atol=1e-6)
        assert min(c for c in counts if c) >= 2  # a unit holds at least two events
    with pytest.raises(ValueError, match="'time' or its 'events'"):
        collages_of([heldout[g] for g in genres], 1, np.random.default_rng(2), label="bars")


def test_softmax_regression_takes_soft_labels_and_one_hot_rows_give_the_same_fit():
    from lstmfuse.metrics.style import fit

    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4))
    y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 1).astype(int)
    hard = fit(x, y, 3, steps=50)
    soft = fit(x, np.eye(3)[y], 3, steps=50)
    for a, b in zip(hard, soft):
        np.testing.assert_allclose(a, b)
    with pytest.raises(ValueError, match="share a meter"):
        from lstmfuse.metrics.collage import collages_of

        one_meter = Melody([NoteEvent(60, Fraction(0), Fraction(1), Fraction(0))], meter="3/4")
        other = Melody([NoteEvent(60, Fraction(0), Fraction(1), Fraction(0))], meter="2/4")
        collages_of([[one_meter], [other]], 1, rng)


def _barred(events: list[tuple[int, Fraction]], meter: str, upbeat: Fraction = Fraction(0)) -> Melody:
    """A melody of (pitch, length) in ``meter``, its first note ``upbeat`` before a barline."""
    from lstmfuse.encoding.events import meter_bar_length

    bar = meter_bar_length(meter)
    out, t = [], Fraction(0)
    for pitch, d in events:
        out.append(NoteEvent(pitch, t, d, (t - upbeat) % bar))
        t += d
    return Melody(out, meter=meter, meters=[(Fraction(0), meter)])


JIG = [(67, Fraction(1, 2)), (69, Fraction(1, 2)), (71, Fraction(1, 2)), (72, Fraction(3, 2)), (74, Fraction(1)),
       (72, Fraction(1, 2)), (71, Fraction(5, 2)), (69, Fraction(1, 2)), (67, Fraction(3, 2))]


def test_rebarred_splits_and_joins_bars_without_touching_the_notes():
    from lstmfuse.encoding.events import rebarred

    jig = _barred(JIG, "6/8", upbeat=Fraction(1, 2))
    split = rebarred(jig, "3/8")
    assert [(e.pitch, e.onset, e.duration) for e in split.events] == [(e.pitch, e.onset, e.duration) for e in jig.events]
    assert split.meter == "3/8" and [e.bar_pos for e in split.events] == [e.bar_pos % Fraction(3, 2) for e in jig.events]
    # joined from phase 0 and 1: the same as the notes barred in 12/8 from either old barline
    for phase, upbeat in ((0, Fraction(1, 2) + 3), (1, Fraction(1, 2))):
        joined = rebarred(jig, "12/8", phase)
        assert [e.bar_pos for e in joined.events] == [e.bar_pos for e in _barred(JIG, "12/8", upbeat).events]
    assert rebarred(jig, "3/4") is None and rebarred(jig, "9/8") is None  # another beat, or not a whole number of bars


def test_token_rebar_equals_encoding_the_rebarred_melody():
    """Training re-bars token arrays (fast); it must give what encoding the re-barred melody gives."""
    pytest.importorskip("keras", reason="TensorFlow is a training dependency, installed by the test extra")
    from lstmfuse.encoding import vocab as V
    from lstmfuse.encoding.events import rebarred
    from lstmfuse.models.judge_train import rebar, rebarred_at_random

    jig = _barred(JIG, "6/8", upbeat=Fraction(1, 2))
    tokens = judge_inputs(jig)
    for meter, phase in (("3/8", 0), ("12/8", 0), ("12/8", 1)):
        got, want = rebar(tokens, meter, phase), judge_inputs(rebarred(jig, meter, phase))
        assert all((x == y).all() for x, y in zip(got, want)), meter
        assert (got[2] == V.meter_id(meter)).all()
    waltz = judge_inputs(_barred(JIG, "3/4"))
    assert rebarred_at_random(waltz, np.random.default_rng(0)) is waltz  # 3/4 has no related barring
    moved = {V.METERS[int(rebarred_at_random(tokens, np.random.default_rng(s))[2][0])] for s in range(20)}
    assert moved == {"3/8", "12/8"}


def test_training_examples_are_rebarred_at_the_configured_share():
    pytest.importorskip("keras", reason="TensorFlow is a training dependency, installed by the test extra")
    from lstmfuse.encoding import vocab as V
    from lstmfuse.models.judge_train import JudgeConfig, Pieces, training_examples

    pools = [Pieces([_barred(JIG * 6, "6/8")]), Pieces([_barred(JIG * 6, "6/8")])]
    for share, expect in ((0.0, {"6/8"}), (1.0, {"3/8", "12/8"})):
        cfg = JudgeConfig(per_genre=20, collage_share=0.0, rebar_share=share)
        samples, labels = training_examples(pools, cfg, np.random.default_rng(0))
        assert {V.METERS[int(s[2][0])] for s in samples} == expect and labels.shape == (40, 2)


def test_the_card_shows_music_as_written_and_rebarred():
    """The judge card's table of test music barred two ways, and its means; none for an older judge."""
    pytest.importorskip("keras", reason="TensorFlow is a training dependency, installed by the test extra")
    from lstmfuse.models.judge_train import _rebar_section, _rebar_training

    row = {"genre": "bach", "meter": "4/4", "rebarred": "2/4", "excerpts": 36, "units": 193,
           "excerpts_own_recognised": 0.94, "excerpts_rebarred_recognised": 0.22, "units_own_recognised": 0.88, "units_rebarred_recognised": None}
    text = _rebar_section({"heldout_rebarred": [row]})
    assert "| bach | 4/4 -> 2/4 | 36 | 0.94 | 0.22 | 193 | 0.88 | n/a |" in text
    assert "excerpts 0.940 as written, 0.220 re-barred;\nunits 0.880 and n/a." in text
    assert _rebar_section({}) == "" and _rebar_training({"rebar_share": 0.0}) == ""
    assert "15%" in _rebar_training({"rebar_share": 0.15})
