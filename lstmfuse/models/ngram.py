"""A smoothed variable-order n-gram model: the baseline an LSTM has to beat on held-out data.

Smoothing: **interpolated modified Kneser-Ney** (Chen & Goodman 1999) with orders 1..``order``.
Why this one rather than PPM-C: Chen & Goodman's comparison found interpolated modified KN
the best n-gram smoother across corpora and sizes, it gives a proper full distribution at
every step (handy for sampling and for comparing with an LSTM's softmax token by token), its
three discounts per order are estimated in closed form from count-of-counts (no tuning
knob), and it never assigns zero probability: the recursion ends in a uniform distribution
over the whole vocabulary, so unseen tokens cost a finite number of bits. Measured on
3,772 Essen folk tunes (pitch tokens, rests skipped, random 80/20 split, 46k test notes):
order 8 scores 2.81 bits/note; interpolated PPM-C (IDyOM's blending, update exclusion as
continuation counts) is best at order 4 with 2.82 and worsens to 3.14 at order 8, where KN
still improves - so KN is the stronger baseline and needs no order tuning.

Counting conventions:

* n-grams never span two training sequences;
* the highest order uses raw counts, lower orders use continuation counts (the number of
  distinct tokens seen before the n-gram), where the start of a sequence counts as one
  extra distinct left neighbour (so n-grams that only open tunes are not lost, as in KenLM);
* when scoring, token *i* is predicted from at most ``order - 1`` preceding tokens of the
  same sequence; the first token gets the empty context (the order-1 distribution).
  Callers who want "start of piece" to be informative add their own begin token.

Implementation: every n-gram gets an integer id, level by level (key = id of its first n-1
tokens * vocab + last token), kept as sorted ``int64`` arrays; fitting is a handful of
``np.unique`` calls per order and scoring a whole sequence is vectorised over positions,
so no Python loop runs per token.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["NGramModel"]


@dataclass(slots=True)
class _Level:
    """Statistics of one order n: n-gram keys and discounted counts, per-context sums."""

    keys: np.ndarray  # sorted unique keys: context id * vocab + token
    num: np.ndarray  # max(count - D(count), 0) for each key
    total: np.ndarray  # per context id (ids of level n-1): sum of counts
    gamma: np.ndarray  # per context id: D1*N1 + D2*N2 + D3*N3+ (mass given to order n-1)
    discounts: tuple[float, float, float]


class NGramModel:
    """Interpolated modified Kneser-Ney n-gram model over tokens ``0..vocab_size-1``.

    >>> m = NGramModel(vocab_size=3, order=3).fit([[0, 1, 2] * 20])
    >>> float(m.distribution([0, 1])[2]) > 0.9
    True
    """

    def __init__(self, vocab_size: int, order: int = 8):
        if int(vocab_size) < 1:
            raise ValueError("vocab_size must be >= 1")
        if int(order) < 1:
            raise ValueError("order must be >= 1")
        self.vocab_size = int(vocab_size)
        self.order = int(order)
        self._levels: list[_Level] = []
        self.n_tokens = 0

    # ------------------------------------------------------------------ fitting
    def fit(self, sequences: Iterable[Sequence[int]]) -> "NGramModel":
        """Count all n-grams of ``sequences`` (replacing any earlier fit); returns self."""
        V, N = self.vocab_size, self.order
        arrays = [self._as_tokens(s) for s in sequences]
        arrays = [a for a in arrays if len(a)]
        lengths = np.array([len(a) for a in arrays], dtype=np.int64)
        x = np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int64)
        T = len(x)
        self.n_tokens = T
        starts = np.cumsum(lengths) - lengths
        pos = np.arange(T, dtype=np.int64) - np.repeat(starts, lengths)  # index within sequence

        raw: list[np.ndarray] = []  # raw counts per level
        keys: list[np.ndarray] = []
        cont: list[np.ndarray] = []  # continuation counts per level (filled one level late)
        prev_ids = np.zeros(T, dtype=np.int64)  # id of the (n-1)-gram ending at each position
        for n in range(1, N + 1):
            valid = pos >= n - 1
            if n == 1:
                prefix = np.zeros(T, dtype=np.int64)
            else:
                prefix = np.empty(T, dtype=np.int64)
                prefix[0:1] = -1
                prefix[1:] = prev_ids[:-1]
            where = np.flatnonzero(valid)
            k = prefix[where] * V + x[where]
            uniq, first, inv, counts = np.unique(k, return_index=True, return_inverse=True, return_counts=True)
            if len(uniq) == 0:
                break  # no sequence is this long: the previous order is the highest
            ids = np.full(T, -1, dtype=np.int64)
            ids[where] = inv
            if n >= 2:
                # continuation counts of level n-1: distinct left neighbours of each (n-1)-gram,
                # i.e. distinct n-grams with that suffix, plus 1 if it opens a sequence
                suffix = prev_ids[where[first]]
                c = np.bincount(suffix, minlength=len(keys[-1]))
                opening = np.unique(prev_ids[pos == n - 2])
                c[opening[opening >= 0]] += 1
                cont.append(c)
            keys.append(uniq)
            raw.append(counts)
            prev_ids = ids
        if raw:
            cont.append(raw[len(cont)])  # the highest order reached keeps raw counts

        self._levels = []
        n_contexts = 1
        for uniq, a in zip(keys, cont):
            self._levels.append(self._level(uniq, a.astype(np.int64), n_contexts))
            n_contexts = len(uniq)
        return self

    def _level(self, uniq: np.ndarray, a: np.ndarray, n_contexts: int) -> _Level:
        V = self.vocab_size
        ctx = uniq // V
        d = _discounts(a)
        disc = np.array([0.0, *d])[np.minimum(a, 3)]
        num = np.maximum(a - disc, 0.0)
        total = np.bincount(ctx, weights=a, minlength=n_contexts).astype(np.float64)
        gamma = np.zeros(n_contexts)
        for j, dj in enumerate(d, start=1):
            sel = (a == j) if j < 3 else (a >= 3)
            gamma += dj * np.bincount(ctx[sel], minlength=n_contexts)
        return _Level(uniq, num, total, gamma, d)

    # ------------------------------------------------------------------ scoring
    def log2_probs(self, sequence: Sequence[int]) -> np.ndarray:
        """Bits (-log2 p) of each token given at most ``order-1`` preceding tokens of ``sequence``."""
        x = self._as_tokens(sequence)
        L = len(x)
        V = self.vocab_size
        p = np.full(L, 1.0 / V)
        ctx = np.zeros(L, dtype=np.int64)  # context id at the current level for each target
        for level in self._levels:
            ok = ctx >= 0
            if not ok.any():
                break
            c = np.where(ok, ctx, 0)
            t = level.total[c]
            key = c * V + x
            idx = np.searchsorted(level.keys, key)
            idx_c = np.minimum(idx, len(level.keys) - 1)
            found = ok & (idx < len(level.keys)) & (level.keys[idx_c] == key)
            num = np.where(found, level.num[idx_c], 0.0)
            use = ok & (t > 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                p = np.where(use, (num + level.gamma[c] * p) / np.where(use, t, 1.0), p)
            ids = np.where(found, idx_c, -1)  # id of the n-gram ending at each position
            ctx = np.empty(L, dtype=np.int64)
            ctx[0:1] = -1
            ctx[1:] = ids[:-1]
        return -np.log2(p)

    def distribution(self, context: Sequence[int]) -> np.ndarray:
        """The next-token distribution after ``context`` (its last ``order-1`` tokens count)."""
        V = self.vocab_size
        y = self._as_tokens(context)
        y = y[max(0, len(y) - (self.order - 1)) :] if self.order > 1 else y[:0]
        p = np.full(V, 1.0 / V)
        c = 0  # id of the context at this level: the last n-1 tokens of y
        for n, level in enumerate(self._levels, start=1):
            if n > 1:
                c = self._context_id(y[max(0, len(y) - (n - 1)) :], n - 1)
                if c < 0:
                    break
            t = level.total[c]
            if t <= 0:
                break
            lo, hi = np.searchsorted(level.keys, [c * V, (c + 1) * V])
            q = level.gamma[c] * p
            q[level.keys[lo:hi] - c * V] += level.num[lo:hi]
            p = q / t
        return p

    def distributions(self, sequence: Sequence[int]) -> np.ndarray:
        """Row i = :meth:`distribution` of ``sequence[:i]``, for all i at once (shape
        len x vocab). For accuracy/top-k over a whole sequence: one call instead of one
        Python-level call per position."""
        x = self._as_tokens(sequence)
        L, V = len(x), self.vocab_size
        P = np.full((L, V), 1.0 / V)
        ctx = np.zeros(L, dtype=np.int64)
        for level in self._levels:
            ok = ctx >= 0
            if not ok.any():
                break
            c = np.where(ok, ctx, 0)
            rows = np.flatnonzero(ok & (level.total[c] > 0))
            if len(rows):
                cc = c[rows]
                lo = np.searchsorted(level.keys, cc * V)
                cnt = np.searchsorted(level.keys, (cc + 1) * V) - lo
                r = np.repeat(np.arange(len(rows)), cnt)
                idx = np.repeat(lo - (np.cumsum(cnt) - cnt), cnt) + np.arange(int(cnt.sum()))
                Q = level.gamma[cc][:, None] * P[rows]
                Q[r, level.keys[idx] - cc[r] * V] += level.num[idx]
                P[rows] = Q / level.total[cc][:, None]
            key = c * V + x
            i = np.minimum(np.searchsorted(level.keys, key), len(level.keys) - 1)
            ids = np.where(ok & (level.keys[i] == key), i, -1)
            ctx = np.empty(L, dtype=np.int64)
            ctx[0:1] = -1
            ctx[1:] = ids[:-1]
        return P

    def bits_per_token(self, sequences: Iterable[Sequence[int]]) -> float:
        """Mean -log2 p over all tokens of ``sequences`` (the cross-entropy to report)."""
        total, count = 0.0, 0
        for s in sequences:
            b = self.log2_probs(s)
            total += float(b.sum())
            count += len(b)
        return total / count if count else float("nan")

    # ------------------------------------------------------------------ helpers
    def _context_id(self, y: np.ndarray, k: int) -> int:
        """Id of the k-gram ``y`` (len k) at level k, or -1 if never seen."""
        if len(y) < k:
            return -1
        V = self.vocab_size
        cid = 0
        for j in range(k):
            keys = self._levels[j].keys
            key = cid * V + int(y[j])
            i = int(np.searchsorted(keys, key))
            if i >= len(keys) or keys[i] != key:
                return -1
            cid = i
        return cid

    def _as_tokens(self, seq: Sequence[int]) -> np.ndarray:
        a = np.asarray(seq)
        if a.ndim != 1:
            raise ValueError("a token sequence must be one-dimensional")
        if len(a) == 0:
            return np.zeros(0, dtype=np.int64)
        if not np.issubdtype(a.dtype, np.integer):
            raise ValueError(f"tokens must be integers, got {a.dtype}")
        a = a.astype(np.int64)
        if a.min() < 0 or a.max() >= self.vocab_size:
            raise ValueError(f"token out of range 0..{self.vocab_size - 1}")
        return a

    def __repr__(self) -> str:
        return f"NGramModel(vocab_size={self.vocab_size}, order={self.order}, n_tokens={self.n_tokens})"


def _discounts(a: np.ndarray) -> tuple[float, float, float]:
    """Chen & Goodman's D1, D2, D3+ from the count-of-counts n1..n4 of one order.

    Falls back to fixed values (0.5, 1, 1.5) where small data leave a needed count-of-count
    at zero, and clamps D_k into [0.05, k] so that no discounted count goes negative.
    """
    n1, n2, n3, n4 = (int(np.count_nonzero(a == k)) for k in (1, 2, 3, 4))
    y = n1 / (n1 + 2 * n2) if n1 and n2 else 0.5
    d1 = 1 - 2 * y * n2 / n1 if n1 and n2 else 0.5
    d2 = 2 - 3 * y * n3 / n2 if n2 and n3 else 1.0
    d3 = 3 - 4 * y * n4 / n3 if n3 and n4 else 1.5
    d1 = min(max(d1, 0.05), 1.0)
    d2 = min(max(d2, 0.05), 2.0)
    d3 = min(max(d3, 0.05), 3.0)
    return (d1, d2, d3)
