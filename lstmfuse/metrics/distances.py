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
    "SCALARS",
    "Profile",
    "compare_to_profile",
    "histogram_counts",
    "kl_divergence",
    "overlap_area",
    "reference_profile",
    "scalar_metrics",
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
        )


def reference_profile(melodies: Iterable[Melody], name: str = "") -> Profile:
    """Pooled histograms and scalar-metric distributions of a corpus (one pass)."""
    ms = list(melodies)
    counts = histogram_counts(ms)
    per_melody = [scalar_metrics(m) for m in ms]
    scalars = {k: _summary([d[k] for d in per_melody], edges) for k, (_, edges) in SCALARS.items()}
    return Profile(
        histograms={k: _prob(v) for k, v in counts.items()},
        scalars=scalars,
        n_melodies=len(ms),
        n_notes=int(counts["pitch_class"].sum()),
        name=name,
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
