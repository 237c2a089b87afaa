"""Does generated music have the form of real tunes? Measured against the held-out split.

For each genre: real whole tunes of the test split (never trained on, never used to learn the
phrase layouts, which come from the training split) beside generated tunes in the genre's own
meters, with default settings. Compared on the form statistics of :mod:`lstmfuse.metrics.form`,
then by a plain real-vs-generated discriminator: logistic regression on those statistics,
5-fold cross-validated, reported as ROC AUC (0.5 = cannot tell them apart).

Run: ``python -m lstmfuse.evaluation.form_proof --n 60 -o docs/form.json`` (after
``lstmfuse corpus build``); docs/models.md has the table.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

from ..corpora import get_genre, load_corpus
from ..encoding.events import Melody
from ..generation import SamplingOptions, continue_melody
from ..generation.form import PHRASE_BARS
from ..metrics.form import bar_grid, form_metrics, upbeat, upbeat_hits
from .proofs import write_report

FEATURES = (
    "recurrence_exact", "recurrence_transposed", "recurrence_rhythm",
    "phrase_end_lengthening", "ends_on_tonic", "final_note_bars", "pickup_bars",
)
MIN_BARS = 8


def real_tunes(genre: str, n: int, seed: int = 0, root: Path | None = None) -> list[Melody]:
    """Up to ``n`` whole held-out tunes with one meter and at least MIN_BARS full bars."""
    pool = [m for _, m in load_corpus(genre, "test", root) if len({ts for _, ts in m.meters} | {m.meter}) == 1 and bar_grid(m).n_bars >= MIN_BARS]
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(pool), min(n, len(pool)), replace=False) if pool else []
    return [pool[i] for i in sorted(pick)]


def generated_tunes(genre: str, n: int, bars: int = 16, seed: int = 0, form: str = "auto", **sampling) -> list[Melody]:
    """``n`` new tunes of ``bars`` bars, meters drawn from the genre's own (corpora.genres);
    ``sampling``: SamplingOptions fields other than the defaults."""
    g = get_genre(genre)
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        meter = g.draw_meter(rng)
        out += continue_melody(None, bars=bars, genre=genre, meter=meter, options=SamplingOptions(seed=seed + i, form=form, **sampling)).melodies
    return out


def final_half_bar_share(melodies: list[Melody], meter: str = "4/4") -> float:
    """Share of the tunes in ``meter`` whose last note (with any final rest) lasts half a bar or more."""
    vals = [form_metrics(m)["final_note_bars"] >= 0.5 for m in melodies if m.meter == meter]
    return round(float(np.mean(vals)), 3) if vals else float("nan")


def upbeat_restated_share(melodies: list[Melody]) -> float:
    """Over the tunes that start with an upbeat, the share of phrase-final bars that hold the
    next phrase's upbeat (metrics.form.upbeat_restated, pooled)."""
    vals = [v for v in (form_metrics(m)["upbeat_restated"] for m in melodies) if v == v]
    return round(float(np.mean(vals)), 3) if vals else float("nan")


def mean_of(melodies: list[Melody], key: str) -> float:
    """The mean over the melodies of one form_metrics statistic (nan ones left out)."""
    vals = [v for v in (form_metrics(m)[key] for m in melodies) if v == v]
    return round(float(np.mean(vals)), 3) if vals else float("nan")


def feature_matrix(melodies: list[Melody]) -> np.ndarray:
    rows = []
    for m in melodies:
        f = form_metrics(m)
        rows.append([f[k] for k in FEATURES])
    x = np.array(rows, dtype=float)
    # undefined statistics (a tune too short for a 2-bar repeat) take the column mean
    col = np.nanmean(np.where(np.isnan(x), np.nan, x), axis=0)
    return np.where(np.isnan(x), np.nan_to_num(col)[None, :], x)


def _fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, steps: int = 50) -> np.ndarray:
    """Newton's method for L2-regularised logistic regression (bias unpenalised)."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    reg = np.eye(xb.shape[1]) * l2
    reg[-1, -1] = 0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-xb @ w))
        grad = xb.T @ (p - y) + reg @ w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + reg + 1e-9 * np.eye(len(w))
        w -= np.linalg.solve(hess, grad)
    return w


def roc_auc(scores: np.ndarray, y: np.ndarray) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    pos, neg = scores[y == 1], scores[y == 0]
    if not len(pos) or not len(neg):
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def cross_validated_auc(real: np.ndarray, generated: np.ndarray, folds: int = 5, seed: int = 0) -> float:
    """5-fold stratified cross-validated AUC of a logistic regression telling generated (1) from real (0)."""
    x = np.vstack([real, generated])
    y = np.r_[np.zeros(len(real)), np.ones(len(generated))]
    rng = np.random.default_rng(seed)
    fold = np.empty(len(y), dtype=int)
    for label in (0, 1):
        idx = np.flatnonzero(y == label)
        fold[rng.permutation(idx)] = np.arange(len(idx)) % folds
    scores = np.empty(len(y))
    for k in range(folds):
        train, test = fold != k, fold == k
        mu, sd = x[train].mean(0), x[train].std(0) + 1e-9
        w = _fit_logistic((x[train] - mu) / sd, y[train])
        xt = (x[test] - mu) / sd
        scores[test] = np.hstack([xt, np.ones((len(xt), 1))]) @ w
    return roc_auc(scores, y)


def summarise(x: np.ndarray) -> dict[str, float]:
    out = {k: round(float(np.mean(x[:, i])), 3) for i, k in enumerate(FEATURES)}
    out["final_note_half_bar_or_more"] = round(float(np.mean(x[:, FEATURES.index("final_note_bars")] >= 0.5)), 3)
    out["starts_on_upbeat"] = round(float(np.mean(x[:, FEATURES.index("pickup_bars")] > 0)), 3)
    return out


def run(genres: list[str], n: int, bars: int = 16, seed: int = 0, forms: tuple[str, ...] = ("auto", "free")) -> dict:
    report: dict = {"n": n, "bars": bars, "seed": seed, "features": list(FEATURES), "genres": {}}
    for g in genres:
        started = time.perf_counter()
        real_tunes_ = real_tunes(g, n, seed)
        real = feature_matrix(real_tunes_)
        entry = {"real": summarise(real), "real_n": len(real)}
        entry["real"]["final_half_bar_4_4"] = final_half_bar_share(real_tunes_)
        entry["real"]["upbeat_restated"] = upbeat_restated_share(real_tunes_)
        for key in ("half_phrase_lengthening", "phrase_end_other", "phrase_end_rest"):
            entry["real"][key] = mean_of(real_tunes_, key)
        for form in forms:
            tunes = generated_tunes(g, n, bars, seed, form)
            gen = feature_matrix(tunes)
            entry[form] = summarise(gen)
            entry[form]["final_half_bar_4_4"] = final_half_bar_share(tunes)
            entry[form]["upbeat_restated"] = upbeat_restated_share(tunes)
            for key in ("half_phrase_lengthening", "phrase_end_other", "phrase_end_rest"):
                entry[form][key] = mean_of(tunes, key)
            entry[form]["auc"] = round(cross_validated_auc(real, gen, seed=seed), 3)
        entry["seconds"] = round(time.perf_counter() - started, 1)
        report["genres"][g] = entry
        print(g, json.dumps(entry), flush=True)
    return report


#: real passages from outside every training corpus: classical first-violin and piano melodies,
#: and folk-song collections music21 ships but no genre trains on (path, part index, pieces)
CONTINUATION_SOURCES = (
    ("mozart/k80/movement1.mxl", 0, 1), ("mozart/k80/movement2.mxl", 0, 1), ("mozart/k80/movement3.mxl", 0, 1),
    ("mozart/k155/movement1.mxl", 0, 1), ("mozart/k155/movement2.mxl", 0, 1), ("mozart/k155/movement3.mxl", 0, 1),
    ("mozart/k545/movement1_exposition.mxl", 0, 1), ("haydn/opus74no1/movement2.mxl", 0, 1),
    ("schubert/Lindenbaum.xml", 0, 1), ("leadSheet/fosterBrownHair.mxl", 0, 1),
    ("miscFolk/northumbrianminstrelsyopus.abc", 0, 8), ("miscFolk/americanfifeopus.abc", 0, 8),
)
PASSAGE_BARS = 8


def continuation_passages(n_per_collection: int | None = None) -> list[tuple[str, Melody, Melody]]:
    """(name, first 8 full bars, the composer's own next 8 bars) of each source that has 16 bars."""
    from ..corpora.genres import corpus_root
    from ..encoding.extract import melody_from_part, pick_part
    from ..io import load_all

    out = []
    for rel, part, pieces in CONTINUATION_SOURCES:
        taken = 0
        for k, score in enumerate(load_all(corpus_root() / rel)):
            if taken >= (n_per_collection or pieces):
                break
            try:
                m = melody_from_part(pick_part(score, part), source=f"{rel}#{k}")
            except Exception:  # a piece the encoder cannot read: not a passage
                continue
            g = bar_grid(m)
            if g.n_bars < 2 * PASSAGE_BARS or len({ts for _, ts in m.meters} | {m.meter}) > 1:
                continue
            cut, end = g.bar_start(PASSAGE_BARS), g.bar_start(2 * PASSAGE_BARS)
            passage = m.with_events([e for e in m.events if e.onset < cut])
            passage.events[-1:] = [e if e.end <= cut else type(e)(e.pitch, e.onset, cut - e.onset, e.bar_pos, e.spelling) for e in passage.events[-1:]]
            own = m.with_events([e for e in m.events if cut <= e.onset < end])
            out.append((f"{rel}#{k}", passage, own))
            taken += 1
    return out


def continuation_reuse(seeds: int = 3, forms: tuple[str, ...] = ("auto", "free")) -> dict:
    """How the new bars treat the passage's rhythms, the composer's own next 8 bars beside 8
    continued bars (genre = the style judge's closest genre to the passage, as the plugin's
    'auto'): the share of bars reusing a passage bar rhythm, how many different bar rhythms
    they have, the note-length distance from the passage, and the share of their three-interval
    figures the passage played (``figures``: its melodic turns taken up)."""
    from ..metrics.form import distinct_bar_rhythms, figure_reuse, motif_reuse, note_length_distance
    from ..metrics.reference import judge

    def measures(passage: Melody, new: Melody) -> dict:
        return {"reuse": motif_reuse(passage, new), "distinct": distinct_bar_rhythms(new), "distance": note_length_distance(passage, new),
                "figures": figure_reuse(passage, new)}

    clf = judge()
    rows = []
    for name, passage, own in continuation_passages():
        genre = clf.genres[int(np.argmax(clf.posterior(passage)))]
        row: dict = {"passage": name, "genre": genre, "composer": {k: round(v, 3) for k, v in measures(passage, own).items()}}
        for form in forms:
            vals = [
                measures(passage, continue_melody(passage, bars=PASSAGE_BARS, genre=genre, options=SamplingOptions(seed=s, form=form)).melodies[0])
                for s in range(seeds)
            ]
            row[form] = {k: round(float(np.nanmean([v[k] for v in vals])), 3) for k in vals[0]}
        rows.append(row)
        print(json.dumps(row), flush=True)
    means = {
        who: {k: round(float(np.nanmean([r[who][k] for r in rows])), 3) for k in ("reuse", "distinct", "distance", "figures")}
        for who in ("composer",) + forms
    }
    return {"passages": len(rows), "seeds": seeds, "mean": means, "rows": rows}


UPBEAT_PASSAGE_BARS, UPBEAT_NEW_BARS = 8, 12


def _selection(m: Melody, first_bar: int) -> Melody:
    """UPBEAT_PASSAGE_BARS full bars of ``m`` from full bar ``first_bar`` (0: with the upbeat
    before it), a note tied over the end cut there."""
    g = bar_grid(m)
    a, cut = (m.events[0].onset if first_bar == 0 else g.bar_start(first_bar)), g.bar_start(first_bar + UPBEAT_PASSAGE_BARS)
    passage = m.with_events([e for e in m.events if a <= e.onset < cut])
    last = passage.events[-1]
    if last.end > cut:
        passage.events[-1] = type(last)(last.pitch, last.onset, cut - last.onset, last.bar_pos, last.spelling)
    return passage


def continuation_upbeats(genres: list[str], n: int = 30, seeds: int = 2, first_bar: int = 0) -> dict:
    """Continuations of held-out tunes that begin with an upbeat: UPBEAT_PASSAGE_BARS full bars
    from full bar ``first_bar`` (0: with the upbeat before them; 4: from bar 5, as a MuseScore
    selection from the middle of the tune) continued by UPBEAT_NEW_BARS bars with the genre's
    own model. Beside the composer's own next bars: the share of the new phrase-final bars (of
    the tune's grid) that hold the next phrase's upbeat; for ours also the style judge's
    posterior of the genre on the new bars and the share of planned phrases that copy an
    earlier one. From the middle, the continuation is told the selection's place in the tune
    (``TunePosition``, as the plugin does) and, for comparison, not ("unplaced")."""
    from ..generation import TunePosition
    from ..metrics.reference import judge

    clf = judge()
    out: dict = {}
    for genre in genres:
        tunes = [m for _, m in load_corpus(genre, "test") if len(m.meters) <= 1 and m.events and m.events[0].bar_pos
                 and bar_grid(m).n_bars >= first_bar + UPBEAT_PASSAGE_BARS + UPBEAT_NEW_BARS][:n]
        real: list[bool] = []
        ours: list[bool] = []
        unplaced: list[bool] = []
        posterior, copies = [], []
        for m in tunes:
            g = bar_grid(m)
            passage = _selection(m, first_bar)
            end = first_bar + UPBEAT_PASSAGE_BARS
            real += upbeat_hits(m.with_events([e for e in m.events if e.onset < g.bar_start(end + UPBEAT_NEW_BARS)]), from_bar=end)
            for s in range(seeds):
                position = TunePosition(first_bar, upbeat(m)) if first_bar else None
                for placed in (True, False) if first_bar else (True,):
                    r = continue_melody(passage, bars=UPBEAT_NEW_BARS, genre=genre, options=SamplingOptions(seed=s),
                                        position=position if placed else None)
                    new = r.melodies[0]
                    whole = m.with_events([e for e in m.events if e.onset < passage.events[0].onset] + passage.events + list(new.events))
                    hits = upbeat_hits(whole, from_bar=end)  # whole starts with the tune's upbeat
                    if not placed:
                        unplaced += hits
                        continue
                    ours += hits
                    posterior.append(float(clf.posterior(new)[clf.genres.index(genre)]))
                    copies.append(float(np.mean([ph["source"] is not None for ph in r.plans[0]["phrases"]])))
        mean = lambda v: round(float(np.mean(v)), 3) if v else float("nan")  # noqa: E731
        out[genre] = {
            "passages": len(tunes), "seeds": seeds, "first_bar": first_bar,
            "real_upbeat_restated": mean(real), "upbeat_restated": mean(ours), "phrase_ends": len(ours),
            "p_genre": mean(posterior), "phrases_copying": mean(copies),
        }
        if first_bar:
            out[genre]["unplaced_upbeat_restated"] = mean(unplaced)
        print(genre, json.dumps(out[genre]), flush=True)
    return out


def markdown(report: dict) -> str:
    """The table for docs: real vs generated (auto plan, free) per genre."""
    cols = ["recurrence_transposed", "recurrence_rhythm", "phrase_end_lengthening", "half_phrase_lengthening", "phrase_end_other", "phrase_end_rest", "ends_on_tonic", "final_note_half_bar_or_more", "final_half_bar_4_4", "starts_on_upbeat", "upbeat_restated", "auc"]
    lines = ["| genre | tunes | " + " | ".join(c.replace("_", " ") for c in cols) + " |", "| --- | --- |" + " ---: |" * len(cols)]
    for g, e in report["genres"].items():
        for label in ("real", "auto", "free"):
            if label not in e:
                continue
            row = e[label]
            cells = ["-" if c not in row or (isinstance(row[c], float) and math.isnan(row[c])) else f"{row[c]:.2f}" for c in cols]
            name = {"real": f"real (test split, n={e['real_n']})", "auto": "generated, --form auto", "free": "generated, --form free"}[label]
            lines.append(f"| {g} | {name} | " + " | ".join(cells) + " |")
    for key, title in (("continuation_upbeats", "the upbeat and first 8 bars"), ("mid_tune_upbeats", "bars 5-12")):
        ups = report.get(key)
        if not ups:
            continue
        lines += ["", f"Continuations of held-out tunes with an upbeat ({title} continued by 12):", "",
                  "| genre | passages | phrase ends holding the upbeat: composer / ours (not told where the bars stand) | P(genre) of the new bars | phrases copying |",
                  "| --- | ---: | --- | ---: | ---: |"]
        lines += [f"| {g} | {u['passages']} | {u['real_upbeat_restated']:.2f} / {u['upbeat_restated']:.2f}"
                  + (f" ({u['unplaced_upbeat_restated']:.2f})" if "unplaced_upbeat_restated" in u else "")
                  + f" | {u['p_genre']:.2f} | {u['phrases_copying']:.2f} |" for g, u in ups.items()]
    return "\n".join(lines)


def plot(report: dict, path: Path) -> None:
    """Real vs generated per genre and statistic: one panel per statistic, bars per genre."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stats = ["recurrence_transposed", "recurrence_rhythm", "phrase_end_lengthening", "ends_on_tonic", "final_note_half_bar_or_more"]
    genres = list(report["genres"])
    labels = [("real", "real (held-out)", "#444444"), ("auto", "--form auto", "#2b7bba"), ("free", "--form free", "#e08a2c")]
    fig, axes = plt.subplots(1, len(stats), figsize=(3.2 * len(stats), 3.4), sharey=True)
    x = np.arange(len(genres))
    for ax, stat in zip(axes, stats):
        for k, (key, name, colour) in enumerate(labels):
            vals = [report["genres"][g].get(key, {}).get(stat, np.nan) for g in genres]
            ax.bar(x + (k - 1) * 0.27, vals, 0.27, label=name, color=colour)
        ax.set_title(stat.replace("_", " "), fontsize=9)
        ax.set_xticks(x, genres, rotation=45, fontsize=8)
        ax.set_ylim(0, 1.05)
    axes[0].legend(fontsize=7, loc="upper left")
    fig.suptitle(f"Form of {report['bars']}-bar generated tunes vs real held-out tunes (n={report['n']} each)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--genres", default="folk,irish,scottish,bach,palestrina")
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--bars", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("-o", "--out", type=Path, default=None)
    ap.add_argument("--skip-continuations", action="store_true")
    args = ap.parse_args(argv)
    report = run([g.strip() for g in args.genres.split(",")], args.n, args.bars, args.seed)
    if not args.skip_continuations:
        report["continuations"] = continuation_reuse()
        print("continuations (bar-rhythm reuse, distinct bar rhythms, note-length distance, figure reuse):", report["continuations"]["mean"])
        upbeat_genres = [g for g in ("folk", "irish", "scottish") if g in report["genres"]]
        report["continuation_upbeats"] = continuation_upbeats(upbeat_genres)
        report["mid_tune_upbeats"] = continuation_upbeats(upbeat_genres, first_bar=PHRASE_BARS)
    write_report(report, args.out, markdown, plot)


if __name__ == "__main__":
    main()
