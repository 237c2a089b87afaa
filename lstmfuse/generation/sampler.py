"""The one sampler: temperature, top-k and top-p (nucleus) over masked logits, batched."""

from __future__ import annotations

import numpy as np


def sample(logits: np.ndarray, allowed: np.ndarray, temperature: float, top_k: int, top_p: float, rng: np.random.Generator) -> np.ndarray:
    """Draw one token per row of ``logits`` (B, V) among ``allowed`` (B, V bool).

    Masked tokens get probability zero; a row with nothing allowed is a bug upstream and
    raises. Top-k and top-p trim the tail after temperature scaling.
    """
    if not allowed.any(axis=1).all():
        raise RuntimeError("no token is allowed for some row (constraints contradict each other)")
    z = np.where(allowed, logits / temperature, -np.inf)
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    if top_k and top_k < p.shape[1]:
        kth = -np.sort(-p, axis=1)[:, top_k - 1 : top_k]
        p = np.where(p >= kth, p, 0.0)
        p /= p.sum(axis=1, keepdims=True)
    if top_p < 1.0:
        order = np.argsort(-p, axis=1)
        sorted_p = np.take_along_axis(p, order, axis=1)
        cum = np.cumsum(sorted_p, axis=1)
        keep_sorted = (cum - sorted_p) < top_p  # keep until the mass reaches top_p (always the top one)
        keep = np.zeros_like(keep_sorted)
        np.put_along_axis(keep, order, keep_sorted, axis=1)
        p = np.where(keep, p, 0.0)
        p /= p.sum(axis=1, keepdims=True)
    u = rng.random((p.shape[0], 1))
    choice = np.minimum((np.cumsum(p, axis=1) < u).sum(axis=1), p.shape[1] - 1)
    rows = np.arange(p.shape[0])
    slipped = p[rows, choice] == 0  # rounding at the top of the cumulative sum
    choice[slipped] = p[slipped].argmax(axis=1)
    return choice
