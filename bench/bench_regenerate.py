"""Regeneration speed: a 4-bar gap, 64 candidates sampled and weighed (model time, no file I/O).

Cases: bars 3-6 of the bundled Bach chorale's soprano (4/4, 16 quarters) with the bach model;
bars 9-12 of the bundled O'Neill tune (2/4) with the irish model; the same with a 2-genre
fusion (irish 0.6, scottish 0.4: phase 1, phase 2, fusion model). New seed each run; the
median and p95 of :func:`lstmfuse.generation.regenerate.regenerate`, and how much of it is
weighing the candidates (teacher-forcing the two following bars).

    .venv/bin/python bench/bench_regenerate.py [--runs 40]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import lstmfuse  # noqa: F401  - first: it pins BLAS to one thread before NumPy loads (see lstmfuse/__init__.py)
import numpy as np

from lstmfuse import SamplingOptions, load_score, passage_of
from lstmfuse.generation import regenerate as R

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _timed_scoring():
    """Wrap FollowScorer.score to add up its time."""
    spent = []
    original = R.FollowScorer.score

    def score(self, gaps):
        t = time.perf_counter()
        out = original(self, gaps)
        spent.append(time.perf_counter() - t)
        return out

    R.FollowScorer.score = score
    return spent


def run_case(melody, bars: tuple[int, int], runs: int, **kw) -> tuple[list[float], list[float]]:
    spent = _timed_scoring()
    R.regenerate(melody, *bars, options=SamplingOptions(seed=10_000), **kw)  # warm: model load, caches
    spent.clear()
    times = []
    for i in range(runs):
        t = time.perf_counter()
        R.regenerate(melody, *bars, options=SamplingOptions(seed=i), **kw)
        times.append(time.perf_counter() - t)
    return times, list(spent)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=40)
    args = ap.parse_args()
    bach = passage_of(load_score(EXAMPLES / "bach-bwv277.krn"))
    tune = passage_of(load_score(EXAMPLES / "oneills-0001.musicxml"))
    cases = [
        ("bach chorale soprano, bars 3-6 (4/4), bach", bach, (3, 6), {"genre": "bach"}),
        ("O'Neill tune, bars 9-12 (2/4), irish", tune, (9, 12), {"genre": "irish"}),
        ("O'Neill tune, bars 9-12, fusion irish 0.6 + scottish 0.4", tune, (9, 12), {"weights": "irish=0.6,scottish=0.4"}),
    ]
    print(f"load average before: {os.getloadavg()[0]:.1f}; {args.runs} runs, 64 candidates, 2 following bars")
    for name, melody, bars, kw in cases:
        times, scoring = run_case(melody, bars, args.runs, **kw)
        med = 1000 * statistics.median(times)
        p95 = 1000 * float(np.percentile(times, 95))
        print(f"| {name} | {med:.1f} ms | {p95:.1f} ms | {1000 * statistics.median(scoring):.1f} ms |")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
