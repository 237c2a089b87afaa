"""Does regeneration fit what follows? Measured on held-out real tunes with a 2-bar gap.

For each tune (test split, one meter, at least 8 full bars) the two bars in the middle are
cut out; 64 candidates are sampled from the music before (:func:`regenerate.sample_candidates`,
default settings) and the bars after the gap are scored after each, and after the original
bars. Reported per genre, in nats (natural-log likelihood of the following tokens, higher is
better), means over tunes:

- ``original``: after the tune's own two bars;
- ``forward``: after plain forward continuation (mean over the 64 draws, i.e. what
  ``continue`` gives on average), and ``forward_first`` (the first draw only);
- ``regenerated``: after the candidate :func:`regenerate.regenerate_span` would pick (drawn by
  weight, lookahead 2 bars, joint max-leap filter), ``best`` (highest weight), and with a
  1- or 4-bar lookahead;
- ``far``: the same for bars 3-4 after the gap, which the default (2-bar) weighing never
  sees: an out-of-sample check that the choice fits the music, not only the scored bars.

Joint leaps: the interval from the gap's last note to the next bar's first note, against
the genre's 95th percentile of consecutive-note intervals (training split).

Run: ``python -m lstmfuse.evaluation.regenerate_proof --genres folk irish --n 100 -o docs/regenerate.json``
(after ``lstmfuse corpus build``); docs/regenerate.md has the table.
"""

from __future__ import annotations

import argparse
import json
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..corpora import load_corpus
from ..encoding.events import Melody, NoteEvent
from ..encoding.tokens import normalising_shift
from ..generation.options import SamplingOptions
from ..generation.regenerate import FollowScorer, _joint_leap, _unique, choose, joint_leap_limit, pick, sample_candidates, split_span
from ..metrics.form import bar_grid

MIN_BARS = 8
GAP_BARS = 2


def tunes(genre: str, n: int, seed: int = 0, splits: tuple[str, ...] = ("test",)) -> list[tuple[str, Melody]]:
    """Up to ``n`` held-out tunes in one meter with at least MIN_BARS full bars."""
    pool = []
    for split in splits:
        pool += [(pid, m) for pid, m in load_corpus(genre, split)
                 if len({ts for _, ts in m.meters} | {m.meter}) == 1 and bar_grid(m).n_bars >= MIN_BARS]
    rng = np.random.default_rng(seed)
    pick = sorted(rng.choice(len(pool), min(n, len(pool)), replace=False)) if pool else []
    return [pool[i] for i in pick]


def leap_p95(genre: str, limit: int = 2000) -> float:
    """95th percentile of |interval| between consecutive notes in the genre's training split."""
    leaps: list[int] = []
    for _, m in load_corpus(genre, "train")[:limit]:
        p = [e.pitch for e in m.events if e.pitch is not None]
        leaps += np.abs(np.diff(p)).tolist()
    return float(np.percentile(leaps, 95))


def gap_of(m: Melody) -> tuple[Fraction, Fraction]:
    """A 2-bar gap in the middle, on bar lines, with at least 2 full bars after it."""
    grid = bar_grid(m)
    first = max(1, min(grid.n_bars // 2 - 1, grid.n_bars - GAP_BARS - 2))
    start = grid.start + first * grid.bar
    return start, start + GAP_BARS * grid.bar


def _normalised(events: list[NoteEvent], start: Fraction, shift: int) -> list[NoteEvent]:
    return [NoteEvent(None if e.pitch is None else e.pitch + shift, e.onset - start, e.duration, e.bar_pos) for e in events]


def evaluate_tune(m: Melody, genre: str, seed: int, candidates: int = 64, weights: dict[str, float] | None = None) -> dict:
    """One tune, by one genre model (or, with ``weights``, the two-phase fusion)."""
    start, end = gap_of(m)
    span = split_span(m, start, end)
    opts = SamplingOptions(seed=seed)
    rng = np.random.default_rng(seed)
    w = weights or {genre: 1.0}
    fused = weights is not None
    raw, shift, _ = sample_candidates(span, w, opts, candidates, rng, fused=fused)
    raw = [raw[i] for i in _unique(raw)]
    original = _normalised(span.original, start, normalising_shift(m.sharps))
    rows = raw + [original]
    ll = {k: FollowScorer(span, w, k, fused).score(rows) for k in (1, 2, 4)}
    far = ll[4] - ll[2]
    leaps = [_joint_leap(g, span.after, shift) for g in rows]
    limit = joint_leap_limit(w)
    chosen = {f"draw{k}": pick(span, raw, ll[k][:-1], opts, 1, "draw", np.random.default_rng(seed + 1), shift, limit)[0] for k in (1, 2, 4)}
    chosen["best2"] = pick(span, raw, ll[2][:-1], opts, 1, "best", rng, shift, limit)[0]
    chosen["unfiltered"] = choose(ll[2][:-1], 1, "draw", np.random.default_rng(seed + 1))[0]
    n = len(raw)
    out = {
        "original": float(ll[2][-1]), "forward": float(ll[2][:n].mean()), "forward_first": float(ll[2][0]),
        "regenerated": float(ll[2][chosen["draw2"]]), "best": float(ll[2][chosen["best2"]]),
        "lookahead1": float(ll[2][chosen["draw1"]]), "lookahead4": float(ll[2][chosen["draw4"]]),
        "far_original": float(far[-1]), "far_forward": float(far[:n].mean()), "far_regenerated": float(far[chosen["draw2"]]),
        "far_lookahead4": float(far[chosen["draw4"]]),
        "unfiltered": float(ll[2][chosen["unfiltered"]]),
        "leap_regenerated": leaps[chosen["draw2"]], "leap_unfiltered": leaps[chosen["unfiltered"]],
        "leap_forward": leaps[0], "leap_original": leaps[-1],
        "follow_tokens": FollowScorer(span, w, 2, fused).follow_tokens, "distinct": n,
    }
    return out


def _share_within(leaps: list[int | None], limit: float) -> float:
    known = [d for d in leaps if d is not None]
    return round(float(np.mean([d <= limit for d in known])), 3) if known else float("nan")


def run(
    genres: list[str], n: int, seed: int = 0, splits: tuple[str, ...] = ("test",), candidates: int = 64,
    weights: dict[str, float] | None = None,
) -> dict:
    """Held-out tunes of each genre; with ``weights`` every tune is regenerated by that fusion."""
    report: dict = {"n": n, "seed": seed, "gap_bars": GAP_BARS, "candidates": candidates, "splits": list(splits),
                    "weights": weights, "genres": {}}
    for g in genres:
        started = time.perf_counter()
        rows = []
        for i, (pid, m) in enumerate(tunes(g, n, seed, splits)):
            try:
                rows.append(evaluate_tune(m, g, seed + i, candidates, weights))
            except Exception as exc:  # a tune the engine refuses (off-grid time) is counted, not fatal
                rows.append({"error": f"{pid}: {exc}"})
        ok = [r for r in rows if "error" not in r]
        limit = joint_leap_limit(weights or {g: 1.0})
        means = {k: round(float(np.mean([r[k] for r in ok])), 3) for k in ok[0] if not k.startswith("leap")} if ok else {}
        wins = round(float(np.mean([r["regenerated"] >= r["forward"] for r in ok])), 3) if ok else float("nan")
        report["genres"][g] = {
            "tunes": len(ok), "failed": [r["error"] for r in rows if "error" in r], "means_nats": means,
            "regenerated_at_least_forward_share": wins,
            "leap_p95": limit, "leap_p95_train_split": leap_p95(g),
            "joint_leap_within_p95": {k: _share_within([r[f"leap_{k}"] for r in ok], limit) for k in ("regenerated", "unfiltered", "forward", "original")},
            "seconds": round(time.perf_counter() - started, 1),
        }
        print(g, json.dumps(report["genres"][g]), flush=True)
    return report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--genres", nargs="+", default=["folk", "irish"])
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--splits", nargs="+", default=["test"])
    ap.add_argument("--candidates", type=int, default=64)
    ap.add_argument("--weights", help="regenerate with this fusion (e.g. irish=0.6,scottish=0.4) instead of each genre's model")
    ap.add_argument("-o", "--out", type=Path)
    args = ap.parse_args()
    weights = None
    if args.weights:
        from ..generation.weights import parse_weights
        from ..models.registry import genre_names

        weights = parse_weights(args.weights, genre_names())
    report = run(args.genres, args.n, args.seed, tuple(args.splits), args.candidates, weights)
    if args.out:
        args.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
