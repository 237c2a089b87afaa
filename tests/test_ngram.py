"""The n-gram baseline: proper distributions, learning, smoothing, and real folk melodies."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _folk_corpus import kinder_melodies
from lstmfuse.models.ngram import NGramModel


def _kinder_pitch_sequences() -> list[list[int]]:
    seqs = [[e.pitch for e in m.events if e.pitch is not None] for m in kinder_melodies()]
    return [s for s in seqs if s]


def _random_sequences(seed: int, vocab: int, n: int = 200) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, vocab, size=rng.integers(1, 40)) for _ in range(n)]


@pytest.mark.parametrize("order", [1, 2, 3, 5, 8])
def test_distributions_sum_to_one_and_cover_every_token(order):
    train = _random_sequences(0, vocab=20)  # tokens 20..29 never seen
    model = NGramModel(vocab_size=30, order=order).fit(train)
    contexts = [[], [3], [1, 2, 3], list(train[0][:12]), [29, 29, 29], [25, 3, 4, 5, 6, 7, 8, 9]]
    for ctx in contexts:
        p = model.distribution(ctx)
        assert p.shape == (30,)
        assert math.isclose(p.sum(), 1.0, abs_tol=1e-9)
        assert (p > 0).all()


@pytest.mark.parametrize("order", [1, 3, 8])
def test_log2_probs_agree_with_distribution(order):
    train = _random_sequences(1, vocab=12)
    model = NGramModel(12, order).fit(train)
    for seq in train[:10] + _random_sequences(2, vocab=12, n=5):
        bits = model.log2_probs(seq)
        expected = [-math.log2(model.distribution(seq[:i])[seq[i]]) for i in range(len(seq))]
        assert np.allclose(bits, expected)


@pytest.mark.parametrize("order", [1, 2, 4, 8])
def test_distributions_of_a_whole_sequence_match_one_at_a_time(order):
    train = _random_sequences(4, vocab=9)
    model = NGramModel(10, order).fit(train)
    for seq in [train[0], [9, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1], []]:
        rows = model.distributions(seq)
        assert rows.shape == (len(seq), 10)
        for i in range(len(seq)):
            assert np.allclose(rows[i], model.distribution(seq[:i]))
        if len(seq):
            assert np.allclose(-np.log2(rows[np.arange(len(seq)), seq]), model.log2_probs(seq))


def test_deterministic_sequence_is_learnt():
    cycle = list(range(10))
    model = NGramModel(10, order=3).fit([cycle * 30])
    bits = model.log2_probs(cycle * 3)
    assert bits[0] == pytest.approx(-math.log2(model.distribution([])[0]))
    assert bits[2:].max() < 0.1  # two tokens of context determine the next one


def test_higher_order_helps_on_repetitive_data():
    # after a 0 the next token depends on what came before it: order 1-2 cannot tell
    pattern = [0, 1, 0, 2, 0, 3, 1, 1, 2]
    train, test = [pattern * 20], [pattern * 3]
    bits = {n: NGramModel(4, n).fit(train).bits_per_token(test) for n in (1, 2, 4)}
    assert bits[4] < bits[2] < bits[1]
    assert bits[4] < 0.3


def test_unseen_tokens_cost_finite_bits():
    model = NGramModel(50, order=4).fit([[1, 2, 3, 4] * 10])
    bits = model.log2_probs([1, 2, 3, 49, 7])
    assert np.isfinite(bits).all()
    assert bits[3] > 5 and bits[4] > 5  # unseen: expensive, but possible
    assert bits[1] < 1


def test_untrained_model_is_uniform_and_bad_tokens_are_refused():
    model = NGramModel(8, order=3).fit([])
    assert np.allclose(model.distribution([1, 2]), 1 / 8)
    assert np.allclose(model.log2_probs([0, 7]), 3.0)
    with pytest.raises(ValueError):
        model.log2_probs([8])
    with pytest.raises(ValueError):
        model.distribution([-1])
    with pytest.raises(ValueError):
        NGramModel(0)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 5), min_size=0, max_size=25), min_size=0, max_size=8),
    st.lists(st.integers(0, 6), min_size=0, max_size=10),
    st.integers(1, 6),
)
def test_property_any_training_data_gives_a_distribution(train, context, order):
    model = NGramModel(7, order).fit(train)
    p = model.distribution(context)
    assert math.isclose(p.sum(), 1.0, abs_tol=1e-9) and (p > 0).all()
    bits = model.log2_probs(context)
    assert len(bits) == len(context) and np.isfinite(bits).all() and (bits >= 0).all()


def test_folk_melodies_beat_unigram_on_held_out_tunes():
    seqs = _kinder_pitch_sequences()[:200]
    assert len(seqs) == 200
    train, test = seqs[:150], seqs[150:]
    unigram = NGramModel(128, order=1).fit(train).bits_per_token(test)
    model = NGramModel(128, order=8).fit(train)
    bits = model.bits_per_token(test)
    assert math.isfinite(bits)
    assert bits < unigram - 0.5  # context is worth a lot in folk tunes
    assert 1.0 < bits < 4.0


def test_fit_and_score_are_fast():
    rng = np.random.default_rng(3)
    walk = np.clip(60 + np.cumsum(rng.integers(-2, 3, size=200_000)), 0, 127)
    seqs = np.split(walk, 2000)
    t = time.perf_counter()
    model = NGramModel(128, order=8).fit(seqs)
    fit_s = time.perf_counter() - t
    t = time.perf_counter()
    model.bits_per_token(seqs[:200])  # 20k tokens
    score_s = time.perf_counter() - t
    assert fit_s < 5 and score_s < 2, (fit_s, score_s)
