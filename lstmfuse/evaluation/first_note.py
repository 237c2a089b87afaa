"""Where a tune from nothing begins, and whether it slides: ours against real tunes in its key.

The first note of a tune from nothing was the models' own: they learnt it in the normalised key
(every tune moved to C, so songs in G lie a fourth higher there), and a tune in C began high
and slid down to its drawn level. Since 2026-12-04 it is drawn near where the genre's real
tunes begin (``engine._first_pull``, form.json 'first_offset'). Asked without a judge of ours,
per genre, in C (a blank MuseScore score's key) and in the genre's default key, its default
meter, ``n`` tunes from nothing (seeds ``seed``..) with the pull off and on:

- the first note against the tune's mean pitch (semitones);
- the last four bars' mean pitch less the first four's (from the first full bar): negative, the
  tune slid down;
- the share of moves that leap a fifth or more (``tests/test_pitch_sampling.py`` bounds it
  against the genre's training split; real tunes leap less in some keys than in others).

Real: the held-out tunes (test and valid splits) written in that key for the first two, and
the training split's tunes in that key for the leaps (the reference the test reads is all its
keys together).

Run: ``python -m lstmfuse.evaluation.first_note --n 80 -o docs/first_note.json`` (after
``lstmfuse corpus build``; about 2 minutes on 2 cores). docs/form.md, "The first note".
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..corpora import load_corpus
from ..encoding.events import Melody, meter_bar_length
from ..generation import engine
from ..generation.form import typical_meter_and_key
from ..metrics.pitch import interval_counts
from .from_nothing import engine_setting, tunes
from .proof_cli import genres_main

WIDE_BINS = (*range(0, 6), *range(19, 25))  # interval bins -12..+12: a fifth or more, up or down


def first_pull(on: bool):
    """The first-note pull on or off for the block."""
    return engine_setting("FIRST_PULL", engine.FIRST_PULL if on else 0.0)


def begins(m: Melody) -> tuple[float, float] | None:
    """(first note less the tune's mean pitch, last four bars' mean less the first four's);
    None for a tune of fewer than 8 notes."""
    notes = m.notes
    if len(notes) < 8:
        return None
    bar = meter_bar_length(m.meter)
    first_barline = notes[0].onset - notes[0].bar_pos + (bar if notes[0].bar_pos else Fraction(0))
    head = [e.pitch for e in notes if e.onset < first_barline + 4 * bar]
    tail = [e.pitch for e in notes if e.onset >= notes[-1].end - 4 * bar]
    mean = float(np.mean([e.pitch for e in notes]))
    return notes[0].pitch - mean, float(np.mean(tail) - np.mean(head))


def wide_share(melodies: list[Melody]) -> float:
    """Share of moves leaping a fifth or more, pooled."""
    counts = sum((interval_counts(m) for m in melodies), np.zeros(25))
    return round(float(counts[list(WIDE_BINS)].sum() / max(counts.sum(), 1.0)), 4)


def summary(melodies: list[Melody]) -> dict:
    rows = np.asarray([r for r in map(begins, melodies) if r is not None])
    if not len(rows):
        return {"tunes": 0}
    return {"tunes": len(rows), "first_note": round(float(rows[:, 0].mean()), 2),
            "last_less_first_phrase": round(float(rows[:, 1].mean()), 2), "wide": wide_share(melodies)}


def genre_rows(genre: str, n: int, seed: int) -> dict:
    meter, default_sharps, _ = typical_meter_and_key(genre)
    held = [m for split in ("test", "valid") for _, m in load_corpus(genre, split)]
    train = [m for _, m in load_corpus(genre, "train")]
    out = {}
    for sharps in sorted({0, default_sharps}):
        row = {"real": summary([m for m in held if m.sharps == sharps]),
               "train_wide": wide_share([m for m in train if m.sharps == sharps])}
        for label, on in (("pull_off", False), ("pull_on", True)):
            with first_pull(on):
                row[label] = summary(tunes(genre, n, seed, sharps, meter))
        out[str(sharps)] = {"meter": meter, **row}
    return out


def run(genres: list[str], n: int, seed: int) -> dict:
    return {"n": n, "seed": seed, "genres": {g: genre_rows(g, n, seed) for g in genres}}


def markdown(report: dict) -> str:
    fmt = lambda s: f"{s['first_note']:+.2f} / {s['last_less_first_phrase']:+.2f} / {s['wide']:.3f} ({s['tunes']})" if s.get("tunes") else "-"  # noqa: E731
    lines = ["| genre | key (sharps), meter | real held-out: first note / last - first phrase / fifth+ (tunes) | training fifth+ | pull off | pull on |",
             "| --- | --- | --- | ---: | --- | --- |"]
    for g, keys in report["genres"].items():
        for k, r in keys.items():
            lines.append(f"| {g} | {k}, {r['meter']} | {fmt(r['real'])} | {r['train_wide']:.3f} | {fmt(r['pull_off'])} | {fmt(r['pull_on'])} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    genres_main(argv, __doc__, run, markdown, 80, "tunes from nothing per genre, key and setting")


if __name__ == "__main__":
    main()
