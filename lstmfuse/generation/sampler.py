"""The one sampler: temperature, top-k and top-p (nucleus) over masked logits."""

from __future__ import annotations

import bisect
import itertools
import math

import numpy as np


def sample(logits: np.ndarray, allowed: np.ndarray, temperature: float, top_k: int, top_p: float, rng: np.random.Generator) -> np.ndarray:
    """Draw one token per row of ``logits`` (B, V) among ``allowed`` (B, V bool).

    Masked tokens get probability zero; a row with nothing allowed is a bug upstream and
    raises. Top-k and top-p trim the tail (after temperature scaling) of each row's
    distribution, sorted once (ties keep vocabulary order).

    Why plain Python after the mask: a row has a few dozen allowed tokens, and at that size
    a list sort and ``math.exp`` cost less than NumPy's per-call overhead (this runs once per
    generated token; bench/bench_generate.py measures it).
    """
    n = len(logits)
    draws = rng.random(n).tolist()
    rows, tokens = np.nonzero(allowed)
    scores = (logits[rows, tokens] / temperature).tolist()
    bounds = np.searchsorted(rows, np.arange(n + 1)).tolist()
    tokens = tokens.tolist()
    out = []
    for b in range(n):
        lo, hi = bounds[b], bounds[b + 1]
        if lo == hi:
            raise RuntimeError("no token is allowed for some row (constraints contradict each other)")
        ranked = sorted(zip(scores[lo:hi], tokens[lo:hi]), key=_neg_first)
        top = ranked[0][0]
        cum = list(itertools.accumulate([math.exp(z - top) for z, _ in ranked]))
        keep = len(cum)  # tokens whose weight underflowed to 0 add no mass and are never drawn
        if top_k:
            keep = min(keep, top_k)
        if top_p < 1.0:
            keep = min(keep, bisect.bisect_left(cum, top_p * cum[-1]) + 1)  # at least the top one
        j = min(bisect.bisect_left(cum, draws[b] * cum[keep - 1]), keep - 1)
        out.append(ranked[j][1])
    return np.array(out, dtype=np.int64)


def _neg_first(pair: tuple[float, int]) -> float:
    return -pair[0]
