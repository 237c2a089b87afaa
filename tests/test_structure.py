"""Structure inputs (issue 10, part 1): lookbacks one and two bars back, the bar's place in
its phrase and the bars left, computed by one tracker for training, scoring and generation.

Hand-built tunes whose answers can be read off the score, plus the promise that matters
most: the generation loop gives the model exactly the inputs training gave it.
"""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest

from lstmfuse.encoding import vocab as V
from lstmfuse.encoding.events import Melody, NoteEvent
from lstmfuse.encoding.structure import (
    LEFT_UNKNOWN,
    N_CONTEXT,
    N_LEFT,
    N_PHRASE,
    PICKUP,
    UNKNOWN,
    context_id,
    features,
    piece_features,
    tracker_for,
)
from lstmfuse.encoding.tokens import encode
from lstmfuse.models.config import ModelConfig
from lstmfuse.models.numpy_lstm import MelodyLSTM


def _melody(bars: list[list[tuple[int | None, F]]], meter: str = "4/4", start: F = F(0)) -> Melody:
    events, t = [], start
    bar = sum(d for _, d in bars[-1]) if bars else F(4)
    for notes in bars:
        for pitch, d in notes:
            events.append(NoteEvent(pitch, t, d, t % bar))
            t += d
    return Melody(events, meter=meter)


def _decode_context(cid: int) -> tuple[int, int, int]:
    match, rest = divmod(cid, N_PHRASE * N_LEFT)
    phrase, left = divmod(rest, N_LEFT)
    return match, phrase, left


Q = F(1)
BAR_A = [(60, Q), (62, Q), (64, Q), (65, Q)]
BAR_B = [(67, Q), (65, Q), (64, Q), (62, Q)]


def _steps(m: Melody):
    e = encode(m, normalise=False)
    return e, piece_features(e.tokens, e.meters, e.positions)


def test_lookback_one_bar_shows_the_previous_bar_at_the_same_moment():
    e, f = _steps(_melody([BAR_A, BAR_A, BAR_B, BAR_A]))
    toks = e.tokens.tolist()
    # step i reads token i; the next token (i + 1) is what a lookback predicts
    bar_tokens = 8  # 4 notes x (pitch, duration)
    for i in range(1 + bar_tokens, 1 + 2 * bar_tokens):  # second bar: a repeat of the first
        assert f[i - 1, 0] == toks[i], (i, f[i - 1], toks[i])
    # bar 3 looks back one bar at bar 2 (A) and two bars at bar 1 (A)
    first_of_bar3 = 1 + 2 * bar_tokens - 1  # the step whose next token is bar 3's first pitch
    assert f[first_of_bar3, 0] == V.pitch_token(60) and f[first_of_bar3, 1] == V.pitch_token(60)
    assert toks[first_of_bar3 + 1] == V.pitch_token(67)


def test_repeat_flag_phrase_place_and_bars_left():
    e, f = _steps(_melody([BAR_A, BAR_A, BAR_B, BAR_A, BAR_B]))
    ctx = [_decode_context(int(c)) for c in f[:, 2]]
    bar_tokens = 8
    # in bar 1 (index 0) there is nothing to compare with
    assert ctx[0][0] == 0
    # bar 2 repeats bar 1 all the way: match stays 1 up to its last step
    assert all(c[0] == 1 for c in ctx[bar_tokens : 2 * bar_tokens])
    # bar 3 (B) differs from bar 2 from its first note on: "neither" once B's first pitch is read
    assert ctx[2 * bar_tokens + 1][0] == 3
    # bar 4 (A) repeats bar 2 (two back) but not bar 3 (one back)
    assert ctx[3 * bar_tokens + 1][0] == 2
    # phrase place cycles 0..3 then starts again; bars left count down to 0
    assert [ctx[k * bar_tokens + 1][1] for k in range(5)] == [0, 1, 2, 3, 0]
    assert [ctx[k * bar_tokens + 1][2] for k in range(5)] == [4, 3, 2, 1, 0]


def test_a_pickup_bar_is_marked_and_phrases_count_from_the_first_full_bar():
    pickup = [(55, Q)]
    m = _melody([pickup, BAR_A, BAR_B], start=F(3))
    m = Melody([NoteEvent(e.pitch, e.onset, e.duration, (e.onset) % 4) for e in m.events], meter="4/4")
    e, f = _steps(m)
    assert _decode_context(int(f[0, 2]))[1] == PICKUP
    # after the pickup's duration: bar 1 of the phrase (index 0), then index 1
    assert _decode_context(int(f[2, 2]))[1] == 0
    assert _decode_context(int(f[2 + 8, 2]))[1] == 1


def test_unknown_meter_gives_the_unknown_inputs():
    m = _melody([BAR_A, BAR_A], meter="7/8")
    e = encode(m, normalise=False)
    f = piece_features(e.tokens, e.meters, e.positions)
    assert all(tuple(row) == UNKNOWN for row in f)
    assert _decode_context(UNKNOWN[2])[2] == LEFT_UNKNOWN


def test_generation_reads_on_exactly_as_training_read_the_whole_piece():
    """A passage primed the way continue primes it, then the rest of the tune pushed token by
    token: the same inputs as the training features of the whole tune."""
    from lstmfuse.generation.continuation import _prime_tokens

    whole = _melody([BAR_A, BAR_B, BAR_A, BAR_B, BAR_B, BAR_A, BAR_A, BAR_B])
    passage = Melody(whole.events[:12], meter="4/4")  # three bars
    rest = Melody(whole.events[12:], meter="4/4")
    prime = _prime_tokens(passage, "4/4", 0, length_after=rest.end - passage.end)
    full = encode(whole, normalise=False)
    expected = piece_features(full.tokens, full.meters, full.positions)
    n_prime = len(prime.tokens)
    assert np.array_equal(prime.structure, expected[:n_prime])
    tracker = prime.tracker.copy()
    later = [tracker.push(t) for t in full.tokens[n_prime:-1].tolist()]  # up to (not incl.) EOS
    assert np.array_equal(np.array(later), expected[n_prime:-1])


def test_a_zero_initialised_structure_model_computes_what_its_base_did():
    rng = np.random.default_rng(0)
    base_cfg = ModelConfig(units=8, token_dim=4, position_dim=2, meter_dim=2)
    cfg = ModelConfig(units=8, token_dim=4, position_dim=2, meter_dim=2, structure=True, lookback_dim=3, context_dim=2)
    base = {
        "token_embedding": rng.normal(size=(V.VOCAB_SIZE, 4)),
        "position_embedding": rng.normal(size=(V.N_POSITIONS, 2)),
        "meter_embedding": rng.normal(size=(V.N_METERS, 2)),
        "lstm_0_kernel": rng.normal(size=(base_cfg.input_dim, 32)),
        "lstm_0_recurrent": rng.normal(size=(8, 32)),
        "lstm_0_bias": rng.normal(size=32),
        "logits_kernel": rng.normal(size=(8, V.VOCAB_SIZE)),
        "logits_bias": rng.normal(size=V.VOCAB_SIZE),
    }
    grown = dict(base)
    grown["lstm_0_kernel"] = np.concatenate([base["lstm_0_kernel"], rng.normal(size=(cfg.structure_dim, 32))])
    grown["lookback_embedding"] = np.zeros((V.VOCAB_SIZE, 3))
    grown["context_embedding"] = np.zeros((N_CONTEXT, 2))
    m = _melody([BAR_A, BAR_B, BAR_A])
    e = encode(m)
    s = piece_features(e.tokens, e.meters, e.positions)
    a = MelodyLSTM(base_cfg, base).sequence_logits(e.tokens, e.positions, e.meters)
    b = MelodyLSTM(cfg, grown).sequence_logits(e.tokens, e.positions, e.meters, None, s[None])
    assert np.allclose(a, b)
    grown["lookback_embedding"] = rng.normal(size=(V.VOCAB_SIZE, 3))
    c = MelodyLSTM(cfg, grown).sequence_logits(e.tokens, e.positions, e.meters, None, s[None])
    assert not np.allclose(a, c)  # and the inputs do reach the model once learnt


def test_features_of_a_tracker_with_no_end_say_unknown_bars_left():
    tracker = tracker_for("4/4", F(0), None)
    out = features(np.array([V.BOS, V.pitch_token(60), V.duration_token(F(1))]), tracker)
    assert all(_decode_context(int(c))[2] == LEFT_UNKNOWN for c in out[:, 2])
    assert context_id(0, 0, 0) == 0
@pytest.mark.parametrize("genre", ["folk", "irish", "scottish", "bach", "palestrina", "fusion"])
def test_shipped_models_read_structure_inputs(genre):
    from lstmfuse.models.registry import load_model

    model = load_model(genre)
    assert model.config.structure, f"{genre} was retrained with structure inputs"
