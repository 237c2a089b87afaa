"""Which sampling defaults write tunes nearest real ones? Asked of held-out statistics.

For each genre, tunes from nothing (meters drawn from the genre's own, default settings but
for temperature and top-p) are compared with the genre's held-out test split in the
normalised key: the overlap of their pooled interval, note-length and pitch-class histograms
and the mean overlap of the per-tune scalar distributions (``metrics.distances``, Yang &
Lerch's comparison; 1 = the same). The style judge's share is printed beside them, to be
read, not to choose by.

Run: ``python -m lstmfuse.evaluation.sampling_defaults -o docs/sampling.json`` (after
``lstmfuse corpus build``; about a minute with 60 tunes a point).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from ..corpora import get_genre, load_corpus
from ..encoding.tokens import in_normalised_key
from ..generation import SamplingOptions, continue_melody
from ..io.atomic import write_bytes_atomic
from ..metrics.distances import compare_to_profile, reference_profile
from ..metrics.reference import judge

GENRES = ("folk", "irish", "scottish", "bach", "palestrina")
SETTINGS = ((0.9, 0.95), (0.9, 0.98), (1.0, 0.95), (1.0, 0.98))
HISTOGRAMS = ("interval", "note_length", "pitch_class")


def tunes(genre: str, n: int, temperature: float, top_p: float, bars: int = 16) -> list:
    g = get_genre(genre)
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        # pitches at the same settings, as when this table was made (one temperature for both;
        # since 2026-12-03 pitches default to the models' own odds: evaluation/pitch_odds.py)
        options = SamplingOptions(seed=i, temperature=temperature, top_p=top_p, pitch_temperature=temperature, pitch_top_p=top_p)
        out += continue_melody(None, bars=bars, genre=genre, meter=g.draw_meter(rng), options=options).melodies
    return out


def run(n: int = 60, genres: tuple[str, ...] = GENRES, settings: tuple[tuple[float, float], ...] = SETTINGS, root: Path | None = None) -> dict:
    j = judge()
    report: dict = {"n": n, "settings": [list(s) for s in settings], "genres": {}}
    for g in genres:
        profile = reference_profile([in_normalised_key(m) for _, m in load_corpus(g, "test", root)], name=g)
        rows = []
        for t, p in settings:
            gen = tunes(g, n, t, p)
            c = compare_to_profile(gen, profile)
            scalars = [v for k, v in c.items() if k.endswith("_overlap") and k[: -len("_overlap")] not in profile.histograms]
            row = {"temperature": t, "top_p": p, **{h: round(c[f"{h}_overlap"], 3) for h in HISTOGRAMS},
                   "scalars": round(float(np.mean(scalars)), 3),
                   "judge_share": round(float(np.mean(j.posterior(gen).argmax(1) == j.genres.index(g))), 3)}
            row["mean"] = round(float(np.mean([row["interval"], row["note_length"], row["pitch_class"], row["scalars"]])), 3)
            rows.append(row)
            print(g, json.dumps(row), flush=True)
        report["genres"][g] = rows
    return report


def markdown(report: dict) -> str:
    lines = ["| genre | temperature / top-p | interval | note length | pitch class | scalars | mean | judge's share |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for g, rows in report["genres"].items():
        best = max(r["mean"] for r in rows)
        for r in rows:
            mean = f"**{r['mean']:.3f}**" if r["mean"] == best else f"{r['mean']:.3f}"
            lines.append(f"| {g} | {r['temperature']:g} / {r['top_p']:g} | {r['interval']:.3f} | {r['note_length']:.3f} | "
                         f"{r['pitch_class']:.3f} | {r['scalars']:.3f} | {mean} | {r['judge_share']:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=60, help="tunes per genre and setting")
    ap.add_argument("-o", "--out", type=Path, help="write the report (JSON) here")
    ap.add_argument("--cache-dir", type=Path, help="where the corpora were built")
    args = ap.parse_args(argv)
    report = run(args.n, root=args.cache_dir)
    print(markdown(report))
    if args.out:
        write_bytes_atomic(args.out, json.dumps(report, indent=1).encode(), force=True)


if __name__ == "__main__":
    main()
