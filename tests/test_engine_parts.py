"""The generation engine's parts, each checked against a slow, obvious reference:
the float32 stacked LSTM against the float64 MelodyLSTM, integer ticks against Fractions,
the sampler's draws against the distribution it claims to sample."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction as F

import numpy as np
import pytest

from lstmfuse.encoding import vocab as V
from lstmfuse.encoding.extract import melody_from_part
from lstmfuse.encoding.tokens import decompose, encode
from lstmfuse.errors import UsageError
from lstmfuse.generation.sampler import sample
from lstmfuse.generation.stack import LSTMStack
from lstmfuse.generation.ticks import DURATION_TICKS, TICKS_PER_QUARTER, fillable, position_ids, to_ticks
from lstmfuse.io import load
from lstmfuse.models.registry import load_model


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_stacked_float32_models_match_each_float64_model(examples_dir):
    """Fusion model (with a style vector) and two genre models, primed on a real passage and
    stepped twice: every probability within 1e-5 of MelodyLSTM's float64 arithmetic."""
    enc = encode(melody_from_part(load(examples_dir / "oneills-0001.musicxml").parts[0]), eos=False)
    names = ["fusion", "irish", "folk"]
    models = [load_model(n) for n in names]
    style = np.zeros(len(models[0].config.genres))
    style[list(models[0].config.genres).index("irish")] = 0.7
    style[list(models[0].config.genres).index("folk")] = 0.3
    stack = LSTMStack(models, [style, None, None])
    logits, state = stack.run_sequence(enc.tokens, enc.positions, enc.meters)
    refs = [m.sequence_logits(enc.tokens, enc.positions, enc.meters, style=style if k == 0 else None)[0, -1] for k, m in enumerate(models)]
    for k in range(len(models)):
        assert np.abs(_softmax(logits[k, 0].astype(np.float64)) - _softmax(refs[k])).max() < 1e-5, names[k]
    # two generated steps with the carried state
    toks = [V.pitch_token(67), V.duration_token(F(1))]
    tok_seq, pos_seq = list(enc.tokens), list(enc.positions)
    bias = stack.input_bias(np.full((len(models), 1), enc.meters[-1]))
    for tok, pos in zip(toks, (0, 12)):
        tok_seq.append(tok)
        pos_seq.append(pos)
        logits, state = stack.step(np.full((len(models), 1), tok), np.full((len(models), 1), pos), bias, state)
    met = [enc.meters[-1]] * len(tok_seq)
    for k, m in enumerate(models):
        ref = m.sequence_logits(tok_seq, pos_seq, met, style=style if k == 0 else None)[0, -1]
        assert np.abs(_softmax(logits[k, 0].astype(np.float64)) - _softmax(ref)).max() < 1e-5, names[k]


def test_ticks_are_exact_for_every_vocabulary_duration_and_reject_off_grid_times():
    for d, t in zip(V.DURATIONS, DURATION_TICKS):
        assert F(t, TICKS_PER_QUARTER) == d
        assert to_ticks(d) == t
    assert to_ticks(F(7, 2)) == 420 and to_ticks(3) == 360
    with pytest.raises(UsageError, match="cannot continue from 1/7 quarters"):
        to_ticks(F(1, 7))


def test_fillable_agrees_with_the_encoders_decomposition():
    for ticks in range(0, 4 * TICKS_PER_QUARTER * 3 + 1):
        assert fillable(ticks) == (decompose(F(ticks, TICKS_PER_QUARTER)) is not None), ticks


@pytest.mark.parametrize("bar_quarters", [F(2), F(3), F(4), F(3, 2), F(5, 2), F(8)])
def test_position_table_matches_the_encoders_position_feature(bar_quarters):
    table = position_ids(to_ticks(bar_quarters))
    assert table == [V.position_id(F(t, TICKS_PER_QUARTER)) for t in range(to_ticks(bar_quarters))]


def test_sampler_draws_follow_the_tempered_nucleus_distribution():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2, V.VOCAB_SIZE)) * 2
    allowed = np.zeros((2, V.VOCAB_SIZE), bool)
    allowed[0, 10:30] = True
    allowed[1, ::3] = True
    temperature, top_p = 0.8, 0.9
    n = 40_000
    draws = np.stack([sample(logits, allowed, temperature, 0, top_p, rng) for _ in range(n)])
    for b in range(2):
        p = np.where(allowed[b], _softmax(np.where(allowed[b], logits[b] / temperature, -np.inf)), 0)
        order = np.argsort(-p, kind="stable")
        cum = np.cumsum(p[order])
        keep = order[: np.searchsorted(cum, top_p) + 1]
        expected = np.zeros(V.VOCAB_SIZE)
        expected[keep] = p[keep] / p[keep].sum()
        observed = np.bincount(draws[:, b], minlength=V.VOCAB_SIZE) / n
        assert set(np.flatnonzero(observed)) <= set(keep.tolist())  # nothing outside the nucleus or the mask
        assert np.abs(observed - expected).max() < 0.01


def test_sampler_top_k_one_is_the_allowed_argmax_and_empty_rows_raise():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(3, V.VOCAB_SIZE))
    allowed = rng.random((3, V.VOCAB_SIZE)) < 0.4
    got = sample(logits, allowed, 1.0, 1, 1.0, rng)
    assert got.tolist() == [int(np.flatnonzero(a)[np.argmax(l[a])]) for l, a in zip(logits, allowed)]
    allowed[1] = False
    with pytest.raises(RuntimeError, match="no token is allowed"):
        sample(logits, allowed, 1.0, 0, 1.0, rng)


def test_same_generator_state_same_draws():
    logits = np.random.default_rng(2).normal(size=(4, V.VOCAB_SIZE))
    allowed = np.ones_like(logits, bool)
    a = [sample(logits, allowed, 0.9, 0, 0.95, np.random.default_rng(7)).tolist() for _ in range(3)]
    assert a[0] == a[1] == a[2]


def test_priming_uses_the_passages_last_tokens_only(examples_dir):
    from lstmfuse.generation.continuation import PRIMING_TOKENS, _prime_tokens

    passage = melody_from_part(load(examples_dir / "oneills-0001.musicxml").parts[0])
    full = encode(passage, eos=False)
    assert len(full.tokens) > PRIMING_TOKENS  # the example is long enough to be cut
    toks, poss, mets, structure, _ = _prime_tokens(passage, passage.meter, 0)
    assert toks.tolist() == full.tokens[-PRIMING_TOKENS:].tolist()
    # the structure inputs were read over the whole passage, then cut like the tokens
    from lstmfuse.encoding.structure import features, tracker_for

    whole = features(full.tokens, tracker_for(passage.meter, passage.events[0].bar_pos, None))
    assert structure.tolist() == whole[-PRIMING_TOKENS:].tolist()
    assert poss.tolist() == full.positions[-PRIMING_TOKENS:].tolist()
    assert mets.tolist() == full.meters[-PRIMING_TOKENS:].tolist()
    short = replace(passage, events=passage.events[:5])
    assert _prime_tokens(short, passage.meter, 0)[0].tolist() == encode(short, eos=False).tokens.tolist()  # from <bos>


@pytest.mark.parametrize("meter, upbeat", [("6/8", F(1, 2)), ("4/4", F(1)), ("4/4", F(0))])
def test_a_tune_from_nothing_reads_bos_where_the_encoder_puts_it(meter, upbeat):
    """The models were trained with <bos> at the bar position of the tune's first event (the
    encoder's choice); a tune from nothing that starts on an upbeat must be primed the same
    way, not with <bos> on the downbeat (before it was, whatever the upbeat)."""
    from lstmfuse.encoding.events import Melody, NoteEvent, meter_bar_length
    from lstmfuse.generation.continuation import _prime_tokens

    start = (meter_bar_length(meter) - upbeat) % meter_bar_length(meter)
    real = Melody([NoteEvent(67, F(0), upbeat or F(1), start, None)], meter=meter)
    _, poss, mets, _, _ = _prime_tokens(None, meter, 0, F(8), start)
    enc = encode(real, eos=False)
    assert poss.tolist() == enc.positions[:1].tolist()
    assert mets.tolist() == enc.meters[:1].tolist()
