"""The sampler draw by draw: with the uniform numbers chosen by the test, which token comes
out is worked out by hand (tests/test_engine_parts.py checks the distribution statistically).

The row used throughout: tokens 1, 2, 3, 4 allowed with weights 1 : 2 : 3 : 4 (logits
log w), everything else masked, and a masked token 0 with a huge logit. Sorted most likely
first that is 4, 3, 2, 1 with cumulative mass 0.4, 0.7, 0.9, 1.0: a uniform draw u picks the
first token whose cumulative mass reaches u times the kept mass. Top-k keeps the k most
likely; top-p keeps the fewest most likely tokens whose mass reaches p.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lstmfuse.generation.sampler import sample

VOCAB = 8


class Draws:
    """A stand-in for numpy's Generator that hands out the test's uniform numbers."""

    def __init__(self, *values: float):
        self.values = list(values)

    def random(self, n: int) -> np.ndarray:
        out, self.values = self.values[:n], self.values[n:]
        assert len(out) == n
        return np.array(out)


def _row() -> tuple[np.ndarray, np.ndarray]:
    logits = np.full((1, VOCAB), -5.0)
    logits[0, 0] = 50.0  # masked: never drawn however likely
    for tok, w in ((1, 1), (2, 2), (3, 3), (4, 4)):
        logits[0, tok] = math.log(w)
    allowed = np.zeros((1, VOCAB), bool)
    allowed[0, 1:5] = True
    return logits, allowed


def _one(u: float, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0) -> int:
    logits, allowed = _row()
    got = sample(logits, allowed, temperature, top_k, top_p, Draws(u))
    assert got.dtype == np.int64 and got.shape == (1,)
    return int(got[0])


@pytest.mark.parametrize("u, token", [(0.0, 4), (0.39, 4), (0.41, 3), (0.69, 3), (0.71, 2), (0.89, 2), (0.91, 1), (0.999, 1)])
def test_plain_draws_follow_the_cumulative_mass(u, token):
    assert _one(u) == token


@pytest.mark.parametrize("u, token", [(0.5, 4), (0.56, 4), (0.58, 3), (0.999, 3)])
def test_top_k_two_keeps_4_and_3(u, token):
    """Kept mass 0.7: token 4 up to u = 0.4 / 0.7 = 0.571, then token 3."""
    assert _one(u, top_k=2) == token


def test_top_k_larger_than_the_allowed_set_changes_nothing():
    assert [_one(u, top_k=10) for u in (0.39, 0.41, 0.91)] == [4, 3, 1]


@pytest.mark.parametrize("top_p, u, token", [
    (0.35, 0.999, 4),  # 0.4 already reaches 0.35: only token 4
    (0.39, 0.999, 4),
    (0.45, 0.999, 3), (0.45, 0.55, 4), (0.45, 0.6, 3),  # tokens 4 and 3 (mass 0.7): 4 up to 0.571
    (0.75, 0.999, 2), (0.75, 0.75, 3), (0.75, 0.8, 2),  # 4, 3, 2 (mass 0.9): 3 up to 0.778
    (0.95, 0.999, 1),  # all four
])
def test_top_p_keeps_the_smallest_nucleus_reaching_p(top_p, u, token):
    assert _one(u, top_p=top_p) == token


def test_temperature_flattens_the_weights():
    """At temperature 2 the weights are sqrt(1..4) = 1, 1.414, 1.732, 2 (sum 6.146): token 4
    covers u < 0.325, token 3 up to 0.606; at temperature 1 u = 0.35 is still token 4."""
    assert _one(0.35, temperature=1.0) == 4
    assert _one(0.35, temperature=2.0) == 3
    assert _one(0.6, temperature=2.0) == 3 and _one(0.62, temperature=2.0) == 2
    assert _one(0.3, temperature=2.0) == 4
    # temperature 0.5 squares them (1, 4, 9, 16 of 30): token 4 up to 0.533
    assert _one(0.5, temperature=0.5) == 4 and _one(0.55, temperature=0.5) == 3


def test_equal_logits_keep_vocabulary_order():
    logits = np.zeros((1, VOCAB))
    allowed = np.zeros((1, VOCAB), bool)
    allowed[0, [6, 2, 5]] = True
    # three equal weights: 2 for u < 1/3, then 5, then 6
    assert [int(sample(logits, allowed, 1.0, 0, 1.0, Draws(u))[0]) for u in (0.3, 0.4, 0.7)] == [2, 5, 6]
    assert int(sample(logits, allowed, 1.0, 1, 1.0, Draws(0.99))[0]) == 2


def test_rows_are_drawn_independently_with_their_own_masks():
    logits = np.zeros((3, VOCAB))
    logits[0, 3] = math.log(3.0)  # row 0: tokens 1 and 3, weights 1 : 3
    allowed = np.zeros((3, VOCAB), bool)
    allowed[0, [1, 3]] = True
    allowed[1, 7] = True  # row 1: only token 7
    allowed[2, [0, 5]] = True  # row 2: tokens 0 and 5, equal weights
    got = sample(logits, allowed, 1.0, 0, 1.0, Draws(0.8, 0.0, 0.6))
    assert got.tolist() == [1, 7, 5]
    got = sample(logits, allowed, 1.0, 0, 1.0, Draws(0.7, 0.99, 0.4))
    assert got.tolist() == [3, 7, 0]


def test_a_row_with_nothing_allowed_raises_even_after_good_rows():
    logits = np.zeros((2, VOCAB))
    allowed = np.zeros((2, VOCAB), bool)
    allowed[0, 1] = True
    with pytest.raises(RuntimeError, match="no token is allowed"):
        sample(logits, allowed, 1.0, 0, 1.0, Draws(0.5, 0.5))


def test_a_token_whose_weight_underflows_is_never_drawn():
    logits = np.full((1, VOCAB), -2000.0)
    logits[0, 3] = 0.0
    allowed = np.zeros((1, VOCAB), bool)
    allowed[0, [2, 3]] = True
    assert int(sample(logits, allowed, 1.0, 0, 1.0, Draws(0.999999))[0]) == 3


def test_huge_logits_do_not_overflow():
    """Weights are taken relative to the most likely token: logits of 1000 and 999.3 are
    weights 1 : 0.497 (e^-0.7), so token 6 covers u < 0.668."""
    logits = np.zeros((1, VOCAB))
    logits[0, 6], logits[0, 2] = 1000.0, 999.3
    allowed = np.zeros((1, VOCAB), bool)
    allowed[0, [2, 6]] = True
    assert [int(sample(logits, allowed, 1.0, 0, 1.0, Draws(u))[0]) for u in (0.6, 0.7)] == [6, 2]


def test_each_row_can_have_its_own_temperature_and_nucleus():
    """The engine draws pitches and note lengths at different settings in one call: row 0 at
    temperature 2 (u = 0.35 is token 3, as above), row 1 at temperature 1 (still token 4);
    row 0 with top-p 0.35 keeps token 4 alone, row 1 with top-p 1 reaches token 1."""
    logits, allowed = _row()
    logits, allowed = np.repeat(logits, 2, axis=0), np.repeat(allowed, 2, axis=0)
    assert sample(logits, allowed, np.array([2.0, 1.0]), 0, 1.0, Draws(0.35, 0.35)).tolist() == [3, 4]
    assert sample(logits, allowed, 1.0, 0, np.array([0.35, 1.0]), Draws(0.999, 0.999)).tolist() == [4, 1]
