"""The novelty/coherence balance as numbers and a picture.

Temperature sweep: for one genre, melodies generated at each temperature are scored for
*novelty* (share of their 8-note interval runs NOT found in the training set) and
*coherence* (in-key ratio and pitch-class-histogram overlap with the genre's corpus).
Weight sweep: fusing genre A with genre B at weight w for A, the sequence style judge's mean
posterior of A. Both are what Lee (2023) calls the balance of stochastic generation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..corpora.genres import get_genre
from ..generation.options import SamplingOptions
from ..metrics import compare_to_profile
from ..metrics.pitch import in_key_ratio
from ..metrics.reference import judge, originality_index, profile
from .proofs import generate_many


@dataclass
class SweepResult:
    genre: str
    temperatures: list[float]
    novelty: list[float]
    in_key: list[float]
    pc_overlap: list[float]
    pair: tuple[str, str] = ("", "")
    weights: list[float] = field(default_factory=list)
    posterior_a: list[float] = field(default_factory=list)
    posterior_sd: list[float] = field(default_factory=list)

    def to_dict(self) -> dict:
        return self.__dict__ | {"pair": list(self.pair)}


def temperature_sweep(genre: str, temperatures: list[float], n: int = 10, bars: int = 16, seed: int = 0) -> tuple[list, list, list]:
    index = originality_index(genre)
    prof = profile(genre)
    novelty, in_key, overlap = [], [], []
    for t in temperatures:
        # both the note lengths and the pitches at t: the whole sampler's novelty against coherence
        mels = generate_many(n, bars, seed, SamplingOptions(temperature=t, pitch_temperature=t), genre=genre, meter_of=genre)
        novelty.append(float(np.mean([1 - (index.query(m).shares.get(8) or 0.0) for m in mels])))
        in_key.append(float(np.mean([in_key_ratio(m) for m in mels])))
        overlap.append(float(np.mean([compare_to_profile(m, prof)["pitch_class_overlap"] for m in mels])))
    return novelty, in_key, overlap


def weight_sweep(a: str, b: str, weights: list[float], n: int = 20, bars: int = 16, seed: int = 0) -> tuple[list, list]:
    clf = judge()
    k = clf.genres.index(a)
    means, sds = [], []
    for w in weights:
        mix = {a: w, b: 1 - w}
        mix = {g: v for g, v in mix.items() if v > 0}
        mels = generate_many(n, bars, seed, weights=mix, meter=get_genre(a).meter)
        post = clf.posterior(mels)[:, k]
        means.append(float(post.mean()))
        sds.append(float(post.std()))
    return means, sds


def plot(result: SweepResult, png_path) -> None:
    """Two panels: temperature vs novelty/coherence; weight vs style posterior."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..io.atomic import write_bytes_atomic

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    ax1.plot(result.temperatures, result.novelty, "o-", label="novelty (8-grams not in training set)")
    ax1.plot(result.temperatures, result.in_key, "s-", label="coherence: in-key ratio")
    ax1.plot(result.temperatures, result.pc_overlap, "^-", label="coherence: pitch-class overlap with corpus")
    ax1.set_xlabel("temperature (note lengths and pitches)")
    ax1.set_ylim(0, 1.02)
    ax1.set_title(f"{result.genre}: novelty vs coherence")
    ax1.legend(fontsize=8, loc="lower left")
    a, b = result.pair
    if result.weights:
        ax2.errorbar(result.weights, result.posterior_a, yerr=result.posterior_sd, fmt="o-", capsize=3)
        ax2.plot([0, 1], [0, 1], ":", color="grey")
        ax2.set_xlabel(f"weight of {a} (rest: {b})")
        ax2.set_ylabel(f"style judge P({a})")
        ax2.set_ylim(0, 1.02)
        ax2.set_title("composer weight vs style posterior")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    write_bytes_atomic(png_path, buf.getvalue(), force=True)
