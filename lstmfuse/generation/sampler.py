"""The one sampler: temperature, top-k and top-p (nucleus) over masked logits, batched."""

from __future__ import annotations

import numpy as np


def sample(logits: np.ndarray, allowed: np.ndarray, temperature: float, top_k: int, top_p: float, rng: np.random.Generator) -> np.ndarray:
    """Draw one token per row of ``logits`` (B, V) among ``allowed`` (B, V bool).

    Masked tokens get probability zero; a row with nothing allowed is a bug upstream and
    raises. Top-k and top-p trim the tail (after temperature scaling) of each row's
    distribution sorted once, so every row costs one sort and one search.
    """
    if not allowed.any(axis=1).all():
        raise RuntimeError("no token is allowed for some row (constraints contradict each other)")
    z = np.where(allowed, logits / temperature, -np.inf)
    order = np.argsort(-z, axis=1, kind="stable")
    rows = np.arange(len(z))
    zs = z[rows[:, None], order]
    p = np.exp(zs - zs[:, :1])  # sorted, masked entries are exactly 0
    cum = np.cumsum(p, axis=1)
    total = cum[:, -1:]
    keep = (p > 0).sum(axis=1)
    if top_k:
        keep = np.minimum(keep, top_k)
    if top_p < 1.0:
        keep = np.minimum(keep, (cum < top_p * total).sum(axis=1) + 1)  # at least the top one
    kept_mass = cum[rows, keep - 1]
    u = rng.random(len(p)) * kept_mass
    j = np.minimum((cum < u[:, None]).sum(axis=1), keep - 1)
    return order[rows, j]
