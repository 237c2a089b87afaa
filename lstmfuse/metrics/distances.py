"""Distances between a melody's (or a set's) statistics and a reference corpus's.

A :class:`Profile` holds what is needed to compare anything with a corpus - its pooled
pitch-class, interval and note-length histograms and the binned distributions of the
per-melody scalar metrics - so that a genre's profile can be computed once at training
time, shipped with the model as JSON, and compared against in microseconds.

* Histograms are **pooled** (counts summed over the set, then normalised): every note
  weighs the same, so long tunes are not under-represented.
* ``overlap`` = sum_i min(p_i, q_i): 1 for identical distributions, 0 for disjoint ones
  (Yang & Lerch's overlapping area, on histograms).
* ``kl`` = KL(p || q) in bits with additive smoothing (``eps`` per bin, renormalised), p the
  melody/set, q the reference: how many extra bits per note the reference's statistics
  would waste coding the generated notes. Finite even where one side has empty bins.

For sets, :func:`set_comparison` also runs Yang & Lerch's (2020) protocol: per feature,
the distribution (Gaussian KDE) of distances *within* the reference set versus distances
*between* generated and reference melodies, summarised by their overlap area and KL. A
profile keeps the feature vectors of a sample of its melodies so that this works from the
profile alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from ..encoding.events import Melody
from .pitch import (
    in_key_ratio,
    interval_counts,
    n_distinct_pitches,
    pitch_class_counts,
    pitch_class_entropy,
    pitch_range,
    rest_ratio,
    scale_consistency,
)
from .rhythm import groove_consistency, note_length_counts

__all__ = [
    "HISTOGRAMS",
    "feature_vectors",
    "SCALARS",
    "Profile",
    "compare_to_profile",
    "histogram_counts",
    "kl_divergence",
    "overlap_area",
    "reference_profile",
    "scalar_metrics",
    "set_comparison",
]

_FORMAT = "lstmfuse-profile"
_VERSION = 1
KL_EPS = 1e-4

#: name -> function giving a melody's raw counts for that histogram
HISTOGRAMS: dict[str, Callable[[Melody], np.ndarray]] = {
    "pitch_class": pitch_class_counts,
    "interval": interval_counts,
    "note_length": note_length_counts,
}

#: per-melody scalar metrics -> (function, fixed bin edges for their distribution over a set).
#: Fixed edges (values outside go to the end bins) make profiles of different corpora
#: directly comparable.
SCALARS: dict[str, tuple[Callable[[Melody], float], np.ndarray]] = {
    "pitch_class_entropy": (pitch_class_entropy, np.linspace(0.0, math.log2(12), 21)),
    "scale_consistency": (scale_consistency, np.linspace(0.5, 1.0, 21)),
    "in_key_ratio": (in_key_ratio, np.linspace(0.0, 1.0, 21)),
    "pitch_range": (pitch_range, np.arange(0.0, 50.0, 2.0) - 0.5),
    "n_pitches": (n_distinct_pitches, np.arange(0.0, 32.0, 1.0) + 0.5),
    "rest_ratio": (rest_ratio, np.linspace(0.0, 0.5, 21)),
    "groove_consistency": (groove_consistency, np.linspace(0.8, 1.0, 21)),
}


def _prob(p: np.ndarray | list[float]) -> np.ndarray:
    a = np.asarray(p, dtype=np.float64)
    s = a.sum()
    return a / s if s > 0 else a


def overlap_area(p: np.ndarray | list[float], q: np.ndarray | list[float]) -> float:
    """sum_i min(p_i, q_i) of two histograms (each normalised first); nan if either is empty."""
    a, b = _prob(p), _prob(q)
    if a.sum() == 0 or b.sum() == 0:
        return math.nan
    return float(np.minimum(a, b).sum())


def kl_divergence(p: np.ndarray | list[float], q: np.ndarray | list[float], eps: float = KL_EPS) -> float:
    """KL(p || q) in bits after adding ``eps`` to every bin of both and renormalising."""
    a, b = _prob(p), _prob(q)
    if a.sum() == 0 or b.sum() == 0:
        return math.nan
    a = (a + eps) / (1 + eps * len(a))
    b = (b + eps) / (1 + eps * len(b))
    return float(max((a * np.log2(a / b)).sum(), 0.0))


def histogram_counts(melodies: Melody | Iterable[Melody]) -> dict[str, np.ndarray]:
    """Pooled raw counts of every histogram in :data:`HISTOGRAMS` over one or more melodies."""
    ms = [melodies] if isinstance(melodies, Melody) else list(melodies)
    out: dict[str, np.ndarray] = {}
    for name, f in HISTOGRAMS.items():
        total = f(Melody([]))  # zeros of the right length
        for m in ms:
            total = total + f(m)
        out[name] = total
    return out


def scalar_metrics(melody: Melody) -> dict[str, float]:
    """Every scalar in :data:`SCALARS` for one melody (nan where undefined)."""
    return {name: float(f(melody)) for name, (f, _) in SCALARS.items()}


def _binned(values: list[float], edges: np.ndarray) -> np.ndarray:
    v = np.asarray([x for x in values if not math.isnan(x)], dtype=np.float64)
    if len(v) == 0:
        return np.zeros(len(edges) - 1)
    v = np.clip(v, edges[0], edges[-1])
    counts, _ = np.histogram(v, bins=edges)
    return counts / counts.sum()


@dataclass(slots=True)
class ScalarSummary:
    """A scalar metric over a set: distribution on fixed bins, plus mean and spread."""

    probs: np.ndarray
    mean: float
    std: float

    def to_dict(self) -> dict:
        return {"probs": [float(x) for x in self.probs], "mean": _num(self.mean), "std": _num(self.std)}

    @classmethod
    def from_dict(cls, d: dict) -> "ScalarSummary":
        return cls(np.asarray(d["probs"], dtype=np.float64), _unnum(d["mean"]), _unnum(d["std"]))


def _num(x: float) -> float | None:
    return None if x is None or math.isnan(x) else float(x)


def _unnum(x: float | None) -> float:
    return math.nan if x is None else float(x)


def _summary(values: list[float], edges: np.ndarray) -> ScalarSummary:
    v = np.asarray([x for x in values if not math.isnan(x)], dtype=np.float64)
    mean = float(v.mean()) if len(v) else math.nan
    std = float(v.std()) if len(v) else math.nan
    return ScalarSummary(_binned(values, edges), mean, std)


@dataclass(slots=True)
class Profile:
    """A corpus's statistics for cheap comparisons (see the module docstring)."""

    histograms: dict[str, np.ndarray]  # normalised pooled histograms
    scalars: dict[str, ScalarSummary]
    n_melodies: int
    n_notes: int
    name: str = ""
    extra: dict = field(default_factory=dict)  # free-form provenance (corpus, date, ...)
    samples: dict[str, np.ndarray] = field(default_factory=dict)  # feature -> (melodies, dims)

    def to_dict(self) -> dict:
        """Plain JSON types only (no numpy, no nan)."""
        return {
            "format": _FORMAT,
            "version": _VERSION,
            "name": self.name,
            "n_melodies": self.n_melodies,
            "n_notes": self.n_notes,
            "histograms": {k: [float(x) for x in v] for k, v in self.histograms.items()},
            "scalars": {k: v.to_dict() for k, v in self.scalars.items()},
            "extra": self.extra,
            "samples": {k: [[_num(x) for x in row] for row in np.round(v, 5).tolist()] for k, v in self.samples.items()},
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Profile":
        if d.get("format") != _FORMAT or int(d.get("version", 0)) > _VERSION:
            raise ValueError("not an lstmfuse melody profile (or from a newer version)")
        return cls(
            histograms={k: np.asarray(v, dtype=np.float64) for k, v in d["histograms"].items()},
            scalars={k: ScalarSummary.from_dict(v) for k, v in d["scalars"].items()},
            n_melodies=int(d["n_melodies"]),
            n_notes=int(d["n_notes"]),
            name=str(d.get("name", "")),
            extra=dict(d.get("extra") or {}),
            samples={k: np.array(v, dtype=np.float64) for k, v in (d.get("samples") or {}).items() if v},
        )


def reference_profile(melodies: Iterable[Melody], name: str = "", keep_samples: int = 200, seed: int = 0) -> Profile:
    """Pooled histograms and scalar-metric distributions of a corpus (one pass), plus the
    feature vectors of ``keep_samples`` randomly chosen melodies for :func:`set_comparison`
    (200 melodies give ~20k distances within the set; about 100 KB of JSON)."""
    ms = list(melodies)
    rng = np.random.default_rng(seed)
    chosen = sorted(rng.choice(len(ms), size=min(keep_samples, len(ms)), replace=False)) if ms else []
    counts = histogram_counts(ms)
    per_melody = [scalar_metrics(m) for m in ms]
    scalars = {k: _summary([d[k] for d in per_melody], edges) for k, (_, edges) in SCALARS.items()}
    return Profile(
        histograms={k: _prob(v) for k, v in counts.items()},
        scalars=scalars,
        n_melodies=len(ms),
        n_notes=int(counts["pitch_class"].sum()),
        name=name,
        samples=feature_vectors([ms[i] for i in chosen]),
    )


def compare_to_profile(melodies: Melody | Iterable[Melody], profile: Profile) -> dict[str, float]:
    """``<histogram>_overlap`` and ``<histogram>_kl`` for the pooled histograms of a melody or
    set against ``profile``; for a set of two or more melodies also ``<scalar>_overlap`` of
    the per-melody scalar distributions (Yang & Lerch's comparison of feature distributions,
    on the profile's fixed bins). Identical sets give overlap 1 and KL 0."""
    ms = [melodies] if isinstance(melodies, Melody) else list(melodies)
    out: dict[str, float] = {}
    counts = histogram_counts(ms)
    for k, ref in profile.histograms.items():
        if k in counts:
            out[f"{k}_overlap"] = overlap_area(counts[k], ref)
            out[f"{k}_kl"] = kl_divergence(counts[k], ref)
    if len(ms) >= 2:
        per_melody = [scalar_metrics(m) for m in ms]
        for k, summary in profile.scalars.items():
            if k in SCALARS:
                probs = _binned([d[k] for d in per_melody], SCALARS[k][1])
                out[f"{k}_overlap"] = overlap_area(probs, summary.probs)
    return out


def feature_vectors(melodies: Iterable[Melody]) -> dict[str, np.ndarray]:
    """Per-melody features for set comparisons: each normalised histogram and each scalar
    (as a 1-dim vector), stacked to (melodies, dims); nan rows where a value is undefined."""
    ms = list(melodies)
    out: dict[str, np.ndarray] = {}
    for name, f in HISTOGRAMS.items():
        rows = [f(m).astype(np.float64) for m in ms]
        rows = [r / r.sum() if r.sum() > 0 else np.full(len(r), np.nan) for r in rows]
        out[name] = np.array(rows).reshape(len(ms), -1) if rows else np.zeros((0, len(f(Melody([])))))
    for name, (f, _) in SCALARS.items():
        out[name] = np.array([[float(f(m))] for m in ms]).reshape(len(ms), 1)
    return out


def _distances(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """Euclidean distances: all pairs within ``a`` (i < j), or all pairs between a and b."""
    if b is None:
        d = np.sqrt(((a[:, None, :] - a[None, :, :]) ** 2).sum(-1))
        return d[np.triu_indices(len(a), k=1)]
    return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)).ravel()


def _kde(x: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Gaussian KDE (Scott's bandwidth) on an even ``grid``, normalised to sum 1 over it.

    Binned: the samples are counted into the grid's cells and the counts smoothed with the
    kernel, O(grid^2) instead of O(grid x samples) - 40k distances cost nothing."""
    step = grid[1] - grid[0]
    bw = max(1.06 * x.std() * len(x) ** (-1 / 5), step)
    idx = np.clip(np.rint((x - grid[0]) / step).astype(np.int64), 0, len(grid) - 1)
    counts = np.bincount(idx, minlength=len(grid)).astype(np.float64)
    kernel = np.exp(-0.5 * ((grid[:, None] - grid[None, :]) / bw) ** 2)
    dens = kernel @ counts
    return dens / dens.sum()


def set_comparison(
    generated: Iterable[Melody],
    reference: Profile | Iterable[Melody],
    max_melodies: int = 200,
    seed: int = 0,
) -> dict[str, float]:
    """Yang & Lerch's set-level comparison, per feature f: ``<f>_intra_inter_overlap`` (1 =
    generated melodies lie as close to the reference as reference melodies lie to each
    other) and ``<f>_intra_inter_kl`` (KL of intra-reference vs inter-set distance densities,
    bits). Sets larger than ``max_melodies`` are sampled (pairwise distances are quadratic).
    A set compared with itself scores close to, not exactly, 1 (the inter-set distances
    include each melody's zero distance to itself). A profile built with
    ``keep_samples=0`` carries no feature vectors: the result is then empty.
    """
    rng = np.random.default_rng(seed)
    gen = list(generated)
    if len(gen) > max_melodies:
        gen = [gen[i] for i in sorted(rng.choice(len(gen), max_melodies, replace=False))]
    if isinstance(reference, Profile):
        ref_feats = reference.samples
    else:
        ref = list(reference)
        if len(ref) > max_melodies:
            ref = [ref[i] for i in sorted(rng.choice(len(ref), max_melodies, replace=False))]
        ref_feats = feature_vectors(ref)
    gen_feats = feature_vectors(gen)
    out: dict[str, float] = {}
    for name, r in ref_feats.items():
        g = gen_feats.get(name)
        if g is None:
            continue
        r = r[~np.isnan(r).any(axis=1)]
        g = g[~np.isnan(g).any(axis=1)]
        if len(r) < 2 or len(g) < 1:
            out[f"{name}_intra_inter_overlap"] = math.nan
            out[f"{name}_intra_inter_kl"] = math.nan
            continue
        intra, inter = _distances(r), _distances(g, r)
        hi = max(intra.max(), inter.max())
        grid = np.linspace(0.0, hi * 1.1 if hi > 0 else 1.0, 256)
        p, q = _kde(intra, grid), _kde(inter, grid)
        out[f"{name}_intra_inter_overlap"] = float(np.minimum(p, q).sum())
        out[f"{name}_intra_inter_kl"] = kl_divergence(p, q)
    return out
