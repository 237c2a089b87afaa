"""The figures that prove the fusion keeps its promises (used by tests, docs and bench).

- weight fidelity: fusing A and B at weight w for A, the style classifier's mean posterior
  of A should rise with w;
- pure genre outputs should be classified as their own genre;
- originality: generated melodies should copy a 16-note run from the training set no more
  often than real held-out tunes of the genre do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..corpora.genres import get_genre
from ..encoding.events import Melody
from ..generation.continuation import continue_melody
from ..generation.options import SamplingOptions
from ..metrics.reference import heldout_originality_baseline, judge, originality_index


def generate_many(n: int, bars: int, seed: int, options: SamplingOptions | None = None, meter_of: str | None = None, **kw) -> list[Melody]:
    """``n`` melodies from nothing, seeds ``seed..seed+n-1`` (one call each: independent).

    With ``meter_of`` a genre name, each melody's meter is drawn from that genre's meters."""
    base = (options or SamplingOptions()).to_dict()
    rng = np.random.default_rng(seed)
    out: list[Melody] = []
    for i in range(n):
        if meter_of is not None:
            kw["meter"] = get_genre(meter_of).draw_meter(rng)
        out += continue_melody(None, bars=bars, options=SamplingOptions(**{**base, "seed": seed + i}), **kw).melodies
    return out


def spearman(x: list[float], y: list[float]) -> float:
    rx = np.argsort(np.argsort(x)).astype(float)
    ry = np.argsort(np.argsort(y)).astype(float)
    if rx.std() == 0 or ry.std() == 0:
        return 0.0
    return float(np.corrcoef(rx, ry)[0, 1])


@dataclass
class WeightFidelity:
    a: str
    b: str
    weights: list[float]
    mean_posterior_a: list[float]
    rho: float


def weight_fidelity(a: str, b: str, weights: list[float], n: int = 20, bars: int = 8, seed: int = 0, meter: str | None = None) -> WeightFidelity:
    clf = judge()
    k = clf.genres.index(a)
    meter = meter or get_genre(a).meter
    means = []
    for w in weights:
        mix = {g: v for g, v in ((a, w), (b, 1 - w)) if v > 0}
        mels = generate_many(n, bars, seed, weights=mix, meter=meter)
        means.append(float(clf.posterior(mels)[:, k].mean()))
    return WeightFidelity(a, b, list(weights), means, spearman(list(weights), means))


def pure_genre_accuracy(genres: list[str], n: int = 20, bars: int = 8, seed: int = 0) -> dict[str, float]:
    """Share of each genre's ``n`` melodies (from nothing, its own meters) that the style judge
    gives to that genre."""
    clf = judge()
    out = {}
    for g in genres:
        mels = generate_many(n, bars, seed, genre=g, meter_of=g)
        pred = clf.posterior(mels).argmax(axis=1)
        out[g] = float(np.mean([clf.genres[p] == g for p in pred]))
    return out


@dataclass
class OriginalityRates:
    genre: str
    run: int
    generated_rate: float
    heldout_rate: float
    generated_n: int
    heldout_n: int


def originality_rates(genre: str, n: int = 20, bars: int = 16, seed: int = 0) -> OriginalityRates:
    """Share of melodies holding a 16-note stretch copied from the training split
    (transposition-invariant): generated ones vs real test-split excerpts of the same length
    (the latter measured by ``lstmfuse reference build`` and shipped with the index)."""
    index = originality_index(genre)
    base = heldout_originality_baseline(genre)
    gen = generate_many(n, base["bars"], seed, genre=genre, meter_of=genre)
    rate = float(np.mean([index.query(m).longest_run >= base["run"] for m in gen]))
    return OriginalityRates(genre, base["run"], rate, base["rate"], len(gen), base["pieces"])


def write_report(report: dict, out, markdown, plot) -> None:
    """Print a proof's table; with ``out``, write its numbers (JSON) and plot (PNG beside)."""
    import json

    print(markdown(report))
    if out:
        out.write_text(json.dumps(report, indent=2))
        plot(report, out.with_suffix(".png"))
