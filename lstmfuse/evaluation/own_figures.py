"""Do tunes from nothing restate their own turns, as real tunes of the genre do?

A real tune's second half plays again the melodic turns of its first: bars 9-16 of the held-out
folk tunes play 0.28 of their three-interval figures from their own bars 1-8, and only 0.07 from
another tune's (the turns every tune of the style shares). The models, reading 64 tokens, forget
their own opening; phrase plans copy whole phrases where the layout says so, but a new phrase
took up the tune's turns no more than another tune's. For each genre, ``n`` tunes from nothing
(meters drawn from the genre's own, default settings) with and without the own-figure bonus
(``generation.motifs.OWN_FIGURE_BONUS``), beside whole held-out tunes of the test split, on
statistics no judge of ours computes (``metrics.form.own_figure_reuse``): own, cross and gap for
figures of three and four intervals; for what it might cost, the interval histogram's overlap
with the real one, wide leaps and runs of five notes on one pitch (``pitch_odds``). The style
judge's share is shown, not chosen by.

Run: ``python -m lstmfuse.evaluation.own_figures --n 100 -o docs/own_figures.json`` (after
``lstmfuse corpus build``; about 3 minutes; ``--seed 1000`` a second block). docs/form.md, "A
tune takes up its own turns".
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

import numpy as np

from ..encoding.events import Melody
from ..generation import motifs
from ..metrics.form import own_figure_reuse
from ..metrics.reference import judge
from . import form_proof
from .pitch_odds import GENRES, interval_statistics
from .proof_cli import arms_table, proof_arguments, publish


@contextmanager
def without_own_figures() -> Iterator[None]:
    """Tunes from nothing as they were written before the bonus (every genre's set to 0)."""
    saved = dict(motifs.OWN_FIGURE_BONUS)
    try:
        motifs.OWN_FIGURE_BONUS.update({g: 0.0 for g in saved})
        yield
    finally:
        motifs.OWN_FIGURE_BONUS.update(saved)


def reuse(tunes: list[Melody]) -> dict[str, float]:
    """Own, cross and gap for figures of three intervals, and of four (``*4``)."""
    three, four = own_figure_reuse(tunes, 3), own_figure_reuse(tunes, 4)
    return {**three, **{f"{k}4": v for k, v in four.items()}}


def run(n: int, seed: int = 0, genres: tuple[str, ...] = GENRES) -> dict:
    j = judge()
    report: dict = {"n": n, "seed": seed, "bonus": dict(motifs.OWN_FIGURE_BONUS), "genres": {}}
    for g in genres:
        started = time.perf_counter()
        real = form_proof.real_tunes(g, n, seed)
        real_hist, real_fig = interval_statistics(real)
        entry: dict = {"real_n": len(real), "real": {**reuse(real), **real_fig}}
        for label in ("without", "with"):
            with without_own_figures() if label == "without" else nullcontext():
                tunes = form_proof.generated_tunes(g, n, 16, seed)
            hist, fig = interval_statistics(tunes)
            entry[label] = {
                **reuse(tunes), "interval_overlap": round(float(np.minimum(hist, real_hist).sum()), 3), **fig,
                "judge_share": round(float(np.asarray(j.posterior(tunes))[:, j.genres.index(g)].mean()), 3),
            }
        entry["seconds"] = round(time.perf_counter() - started, 1)
        report["genres"][g] = entry
        print(g, entry, flush=True)
    return report


COLUMNS = (("own", "own 3"), ("cross", "cross 3"), ("gap", "gap 3"), ("own4", "own 4"), ("cross4", "cross 4"), ("gap4", "gap 4"),
           ("interval_overlap", "interval overlap"), ("wide_leaps", "leaps >= 5th"), ("runs_of_5_per_16_bars", "runs of 5 / 16 bars"),
           ("judge_share", "judge (shown)"))


def markdown(report: dict) -> str:
    arms = (("without", "without the bonus"), ("with", "with the bonus"))
    return f"bonus (nats) {report['bonus']}\n\n" + arms_table(report, COLUMNS, arms, "tunes")


def main(argv: list[str] | None = None) -> None:
    args = proof_arguments(__doc__, 100, "tunes per genre and setting").parse_args(argv)
    report = run(args.n, args.seed)
    publish(report, markdown(report), args.out)


if __name__ == "__main__":
    main()
