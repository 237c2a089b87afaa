"""Pitches at the models' own odds or tempered like the note lengths: which is nearer real tunes?

For each genre, ``n`` tunes from nothing (meters drawn from the genre's own, default settings)
are set beside the same seeds with the pitches (and rests) sampled as the note lengths are
(``temperature``/``top_p``, the design before 2026-12-03), and both beside whole held-out tunes
of the test split. Compared on statistics no judge of ours computes: the overlap of the pooled
interval histograms with the real one (1 = the same), the share of leaps of a fifth or more,
of repeated notes (unisons), runs of five or more notes on one pitch per 16 bars; and, for what
the change might cost, the form proof's rhythm recurrence and its real-vs-generated AUC
(``form_proof``). The style judge's share is shown, not chosen by.

Run: ``python -m lstmfuse.evaluation.pitch_odds --n 100 -o docs/pitch_odds.json`` (after
``lstmfuse corpus build``; about 3 minutes). docs/fusion.md, "Pitches at the model's own odds".
"""

from __future__ import annotations

import time

import numpy as np

from ..encoding.events import Melody
from ..generation import SamplingOptions
from ..metrics.form import bar_grid
from ..metrics.pitch import interval_counts, same_pitch_runs
from ..metrics.reference import judge
from . import form_proof
from .proof_cli import arms_table, proof_arguments, publish

GENRES = ("folk", "irish", "scottish", "bach", "palestrina")
#: the pitch settings before 2026-12-03: the note lengths' own
TEMPERED = {"pitch_temperature": SamplingOptions().temperature, "pitch_top_p": SamplingOptions().top_p}
#: intervals from this many semitones up or down count as wide leaps (a fifth or more)
WIDE = 7


def interval_statistics(melodies: list[Melody]) -> tuple[np.ndarray, dict[str, float]]:
    """Pooled interval histogram (25 bins, +-12) and its wide-leap and unison shares, with runs
    of five or more notes on one pitch per 16 bars."""
    counts = sum(interval_counts(m) for m in melodies)
    hist = counts / counts.sum()
    bars = sum(bar_grid(m).n_bars for m in melodies)
    wide = float(hist[: 13 - WIDE].sum() + hist[12 + WIDE :].sum())
    runs = sum(same_pitch_runs(m) for m in melodies)
    return hist, {"wide_leaps": round(wide, 4), "unisons": round(float(hist[12]), 4), "runs_of_5_per_16_bars": round(16 * runs / max(bars, 1), 3)}


def run(n: int, seed: int = 0, genres: tuple[str, ...] = GENRES) -> dict:
    j = judge()
    report: dict = {"n": n, "seed": seed, "tempered": TEMPERED, "genres": {}}
    for g in genres:
        started = time.perf_counter()
        real = form_proof.real_tunes(g, n, seed)
        real_hist, real_fig = interval_statistics(real)
        real_matrix = form_proof.feature_matrix(real)
        entry: dict = {"real_n": len(real), "real": {**real_fig, "recurrence_rhythm": form_proof.summarise(real_matrix)["recurrence_rhythm"]}}
        for label, sampling in (("own odds", {}), ("tempered", TEMPERED)):
            tunes = form_proof.generated_tunes(g, n, 16, seed, **sampling)
            hist, fig = interval_statistics(tunes)
            matrix = form_proof.feature_matrix(tunes)
            entry[label] = {
                "interval_overlap": round(float(np.minimum(hist, real_hist).sum()), 3), **fig,
                "recurrence_rhythm": form_proof.summarise(matrix)["recurrence_rhythm"],
                "form_auc": round(form_proof.cross_validated_auc(real_matrix, matrix, seed=seed), 3),
                "judge_share": round(float(np.asarray(j.posterior(tunes))[:, j.genres.index(g)].mean()), 3),
            }
        entry["seconds"] = round(time.perf_counter() - started, 1)
        report["genres"][g] = entry
        print(g, entry, flush=True)
    return report


COLUMNS = (("interval_overlap", "interval overlap"), ("wide_leaps", "leaps >= 5th"), ("unisons", "repeated notes"),
           ("runs_of_5_per_16_bars", "runs of 5 / 16 bars"), ("recurrence_rhythm", "rhythm recurrence"), ("form_auc", "form AUC"),
           ("judge_share", "judge (shown)"))


def markdown(report: dict) -> str:
    return arms_table(report, COLUMNS, (("tempered", "tempered"), ("own odds", "own odds")), "pitches")


def main(argv: list[str] | None = None) -> None:
    args = proof_arguments(__doc__, 100, "tunes per genre and setting").parse_args(argv)
    report = run(args.n, args.seed)
    publish(report, markdown(report), args.out)


if __name__ == "__main__":
    main()
