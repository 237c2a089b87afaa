"""A genre classifier trained on real melodies: the judge of style fidelity.

It is trained separately from the generators (MIDI-VAE's practice), on excerpts of 8-16
bars of the corpora's training split, so a generated 16-bar melody is judged like a real
excerpt of the same length. Model: multinomial logistic regression on interpretable
features (key-relative pitch-class, interval, note-length and metrical-onset histograms,
meter, range, register, density); small, fast, and it ships as JSON.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..encoding import vocab as V
from ..encoding.events import Melody, NoteEvent, meter_bar_length
from ..encoding.tokens import normalising_shift
from ..errors import LstmfuseError
from .pitch import interval_histogram
from .rhythm import groove_consistency, note_length_histogram

ONSET_BINS = 12  # onset position within the bar, as a share of the bar


def features(m: Melody) -> np.ndarray:
    """A fixed-length feature vector of one melody (key-relative, so any key works)."""
    shift = normalising_shift(m.sharps)
    notes = [e for e in m.events if e.pitch is not None]
    pcs = np.zeros(12)
    onset = np.zeros(ONSET_BINS)
    bar = meter_bar_length(m.meter)
    for e in notes:
        pcs[(e.pitch + shift) % 12] += 1
        onset[min(int(float(e.bar_pos / bar) * ONSET_BINS), ONSET_BINS - 1)] += 1
    n = max(len(notes), 1)
    pitches = np.array([e.pitch + shift for e in notes]) if notes else np.array([67])
    meter = np.zeros(V.N_METERS)
    meter[V.meter_id(m.meter)] = 1
    total = float(m.end - m.events[0].onset) if m.events else 1.0
    groove = groove_consistency(m) if len(notes) > 1 else 1.0
    scalars = np.array([
        (pitches.max() - pitches.min()) / 24,
        (pitches.mean() - 67) / 12,
        pitches.std() / 12,
        len(notes) / max(total, 1.0),
        sum(float(e.duration) for e in m.events if e.pitch is None) / max(total, 1.0),
        0.0 if math.isnan(groove) else groove,
    ])
    return np.concatenate([pcs / n, interval_histogram(m), note_length_histogram(m), onset / n, meter, scalars])


def excerpt(m: Melody, bars: int, rng: np.random.Generator) -> Melody:
    """A random run of ``bars`` whole bars (the whole melody when shorter)."""
    bar = meter_bar_length(m.meter)
    starts = [i for i, e in enumerate(m.events) if e.bar_pos == 0]
    if not starts:
        return m
    first = starts[int(rng.integers(len(starts)))]
    t0 = m.events[first].onset
    chosen: list[NoteEvent] = [e for e in m.events[first:] if e.onset < t0 + bars * bar]
    return m.with_events(chosen) if len(chosen) >= 8 else m


@dataclass
class StyleClassifier:
    genres: list[str]
    mean: np.ndarray
    std: np.ndarray
    weights: np.ndarray  # (features, genres)
    bias: np.ndarray
    heldout_accuracy: float | None = None
    heldout_confusion: list[list[int]] | None = None

    def posterior(self, melodies: Melody | list[Melody]) -> np.ndarray:
        """P(genre | melody) for one melody (G,) or many (N, G)."""
        single = isinstance(melodies, Melody)
        x = np.stack([features(m) for m in ([melodies] if single else melodies)])
        z = ((x - self.mean) / self.std) @ self.weights + self.bias
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        return p[0] if single else p

    def to_dict(self) -> dict:
        return {
            "genres": self.genres,
            "mean": self.mean.tolist(),
            "std": self.std.tolist(),
            "weights": self.weights.tolist(),
            "bias": self.bias.tolist(),
            "heldout_accuracy": self.heldout_accuracy,
            "heldout_confusion": self.heldout_confusion,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "StyleClassifier":
        return cls(d["genres"], np.array(d["mean"]), np.array(d["std"]), np.array(d["weights"]), np.array(d["bias"]), d.get("heldout_accuracy"), d.get("heldout_confusion"))

    @classmethod
    def load(cls, path: str | Path | None = None) -> "StyleClassifier":
        from ..paths import package_data

        p = Path(path) if path else package_data() / "reference" / "style.json"
        try:
            return cls.from_dict(json.loads(p.read_text()))
        except FileNotFoundError:
            raise LstmfuseError("no style classifier installed: run 'lstmfuse reference build'", p) from None
        except (ValueError, KeyError) as exc:
            raise LstmfuseError(f"style classifier file is corrupt ({type(exc).__name__})", p) from None


def fit(x: np.ndarray, y: np.ndarray, n_classes: int, l2: float = 1e-3, steps: int = 600, lr: float = 0.1, seed: int = 0):
    """Class-balanced softmax regression by full-batch Adam (deterministic). ``y``: class ids
    (N,), or soft labels (N, n_classes) whose rows sum to 1 (a collage is two genres)."""
    rng = np.random.default_rng(seed)
    mean, std = x.mean(axis=0), x.std(axis=0) + 1e-6
    xs = (x - mean) / std
    w = rng.normal(0, 0.01, (x.shape[1], n_classes))
    b = np.zeros(n_classes)
    onehot = np.eye(n_classes)[y] if y.ndim == 1 else y.astype(np.float64)
    mass = onehot.sum(axis=0)  # each class's share of the labels, soft ones split
    sample_w = onehot @ (len(onehot) / (n_classes * np.maximum(mass, 1e-9)))
    m_w = v_w = np.zeros_like(w)
    m_b = v_b = np.zeros_like(b)
    for t in range(1, steps + 1):
        z = xs @ w + b
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        g = (p - onehot) * sample_w[:, None] / len(y)
        gw = xs.T @ g + l2 * w
        gb = g.sum(axis=0)
        m_w = 0.9 * m_w + 0.1 * gw
        v_w = 0.999 * v_w + 0.001 * gw**2
        m_b = 0.9 * m_b + 0.1 * gb
        v_b = 0.999 * v_b + 0.001 * gb**2
        w -= lr * (m_w / (1 - 0.9**t)) / (np.sqrt(v_w / (1 - 0.999**t)) + 1e-8)
        b -= lr * (m_b / (1 - 0.9**t)) / (np.sqrt(v_b / (1 - 0.999**t)) + 1e-8)
    return mean, std, w, b


def train_classifier(genres: list[str], root: Path | None = None, seed: int = 0, per_piece: int = 1,
                     collage_share: float = 0.0, collage_units: tuple[int, ...] = (1, 2, 4),
                     collage_label: str = "time") -> StyleClassifier:
    """Train on excerpts (8-16 bars) of each genre's train split; score its test split.
    ``collage_share``: add that many real collages per excerpt (``metrics.collage``),
    labelled by ``collage_label`` ("time" or "events")."""
    from ..corpora import load_corpus

    rng = np.random.default_rng(seed)

    def dataset(split: str, reps: dict[str, int]):
        xs, ys = [], []
        for k, g in enumerate(genres):
            for _, m in load_corpus(g, split, root):
                for _ in range(reps.get(g, 1)):
                    ex = excerpt(m, int(rng.integers(8, 17)), rng)
                    xs.append(features(ex))
                    ys.append(k)
        return np.stack(xs), np.array(ys)

    x, y = dataset("train", {g: per_piece for g in genres})
    if collage_share:
        from .collage import collage_examples

        mixed, labels = collage_examples(genres, "train", root, int(round(len(y) * collage_share)), rng, collage_units, collage_label)
        x = np.concatenate([x, np.stack([features(m) for m in mixed])])
        y = np.concatenate([np.eye(len(genres))[y], labels])
    mean, std, w, b = fit(x, y, len(genres), seed=seed)
    clf = StyleClassifier(list(genres), mean, std, w, b)
    xt, yt = dataset("test", {})
    z = ((xt - mean) / std) @ w + b
    pred = z.argmax(axis=1)
    clf.heldout_accuracy = float((pred == yt).mean())
    conf = np.zeros((len(genres), len(genres)), dtype=int)
    np.add.at(conf, (yt, pred), 1)
    clf.heldout_confusion = conf.tolist()
    return clf


_FRACTION = Fraction  # re-exported for type hints in callers
