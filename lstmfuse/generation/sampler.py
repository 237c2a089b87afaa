"""The one sampler: temperature, top-k and top-p (nucleus) over masked logits."""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Sequence

import numpy as np


def sample(
    logits: np.ndarray, allowed: np.ndarray, temperature: float | Sequence[float], top_k: int, top_p: float | Sequence[float], rng: np.random.Generator
) -> np.ndarray:
    """Draw one token per row of ``logits`` (B, V) among ``allowed`` (B, V bool).

    Masked tokens get probability zero; a row with nothing allowed is a bug upstream and
    raises. Top-k and top-p trim the tail (after temperature scaling) of each row's
    distribution, sorted once (ties keep vocabulary order). ``temperature`` and ``top_p`` are
    one value for every row or one per row (the engine draws pitches and note lengths
    differently: docs/fusion.md, "Pitches at the model's own odds").

    Why plain Python after the mask: a row has a few dozen allowed tokens, and at that size
    a list sort and ``math.exp`` cost less than NumPy's per-call overhead (this runs once per
    generated token; bench/bench_generate.py measures it).
    """
    n = len(logits)
    draws = rng.random(n).tolist()
    rows, tokens = allowed.nonzero()  # row-major: each row's allowed tokens, ascending
    one_t = isinstance(temperature, (int, float))
    divisor = -temperature if one_t else -np.asarray(temperature, dtype=float)[rows]
    negated = (logits[rows, tokens] / divisor).tolist()  # ascending sort = most likely first
    rows, tokens = rows.tolist(), tokens.tolist()
    nucleus = [top_p] * n if isinstance(top_p, (int, float)) else list(top_p)
    exp = math.exp
    out = []
    lo = 0
    for b in range(n):
        hi = bisect.bisect_right(rows, b, lo)
        if lo == hi:
            raise RuntimeError("no token is allowed for some row (constraints contradict each other)")
        ranked = sorted(zip(negated[lo:hi], tokens[lo:hi]))  # ties: vocabulary order
        top = ranked[0][0]
        cum = list(itertools.accumulate([exp(top - z) for z, _ in ranked]))
        keep = len(cum)  # tokens whose weight underflowed to 0 add no mass and are never drawn
        if top_k:
            keep = min(keep, top_k)
        if nucleus[b] < 1.0:
            keep = min(keep, bisect.bisect_left(cum, nucleus[b] * cum[-1]) + 1)  # at least the top one
        j = min(bisect.bisect_left(cum, draws[b] * cum[keep - 1]), keep - 1)
        out.append(ranked[j][1])
        lo = hi
    return np.array(out, dtype=np.int64)
