"""Whether a tune closes on one hammered note: ours against real tunes, per genre and meter.

A tune's last note is forced home, and a line that had struck the tonic twice or three times
in its last note's zone closed on four strikes or more: Irish reels and hornpipes from nothing
did so in 0.06-0.12 of tunes, where real ones do 0.02-0.05 (a reel's last bar G G G G). Since
2026-12-05 a fourth strike there is held instead, where the closing genre's real tunes in the
meter seldom close so (``engine._holds_fourth_strike``, form.json 'final_runs',
``form.hammers_final``). Asked without a
judge of ours, per genre and meter, ``n`` tunes from nothing in the genre's default key (seeds
``seed``..), the rule off and on:

- the share of tunes whose last note and the three or more notes before it share one pitch
  (``metrics.form.closing_run`` >= 4);
- the share that close on three or more (the rule must not take the ordinary re-struck close
  away: real jigs end so in a third of tunes).

Real: the training split's tunes in that meter (what ``final_runs`` holds) and the held-out
ones (test and valid splits).

Run: ``python -m lstmfuse.evaluation.final_runs --n 200 -o docs/final_runs.json`` (after
``lstmfuse corpus build``; about 3 minutes on 2 cores). docs/form.md, "A run of the final".
"""

from __future__ import annotations

from ..corpora import load_corpus
from ..encoding.events import Melody
from ..generation import engine
from ..generation.form import hammers_final, typical_meter_and_key
from ..metrics.form import closing_run
from .from_nothing import engine_setting, tunes
from .proof_cli import genres_main

#: the meters measured per genre: those with the most real tunes (form.json 'final_runs')
METERS = {"folk": ("4/4", "2/4", "3/4", "6/8"), "irish": ("6/8", "2/2", "2/4", "4/4"),
          "scottish": ("4/4", "6/8", "2/4", "2/2"), "bach": ("4/4",), "palestrina": ("4/2",)}


def run_rule(on: bool):
    """The held fourth strike on or off for the block."""
    return engine_setting("HOLD_FOURTH_STRIKE", engine.HOLD_FOURTH_STRIKE and on)


def shares(melodies: list[Melody]) -> dict:
    """How many tunes, and the shares closing on 4+ and on 3+ strikes of their last pitch."""
    runs = [closing_run(m) for m in melodies if m.notes]
    n = len(runs)
    return {"tunes": n, "four": round(sum(k >= 4 for k in runs) / n, 4) if n else None,
            "three": round(sum(k >= 3 for k in runs) / n, 4) if n else None}


def _in(m: Melody, meter: str) -> bool:
    """Is the tune in ``meter`` throughout (as form.json counts it)?"""
    return {ts for _, ts in m.meters} | {m.meter} == {meter}


def genre_rows(genre: str, n: int, seed: int) -> dict:
    _, sharps, _ = typical_meter_and_key(genre)
    held = [m for split in ("test", "valid") for _, m in load_corpus(genre, split)]
    train = [m for _, m in load_corpus(genre, "train")]
    out = {}
    for meter in METERS.get(genre, (typical_meter_and_key(genre)[0],)):
        row = {"sharps": sharps, "rule_applies": not hammers_final(genre, meter),
               "train": shares([m for m in train if _in(m, meter)]),
               "heldout": shares([m for m in held if _in(m, meter)])}
        for label, on in (("rule_off", False), ("rule_on", True)):
            with run_rule(on):
                row[label] = shares(tunes(genre, n, seed, sharps, meter))
        out[meter] = row
    return out


def run(genres: list[str], n: int, seed: int) -> dict:
    return {"n": n, "seed": seed, "genres": {g: genre_rows(g, n, seed) for g in genres}}


def markdown(report: dict) -> str:
    fmt = lambda s: f"{s['four']:.3f} / {s['three']:.3f} ({s['tunes']})" if s.get("tunes") else "-"  # noqa: E731
    lines = ["| genre | meter | rule | real, training: 4+ / 3+ (tunes) | real, held-out | ours, rule off | ours, rule on |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for g, meters in report["genres"].items():
        for meter, r in meters.items():
            lines.append(f"| {g} | {meter} | {'yes' if r['rule_applies'] else 'no'} | {fmt(r['train'])} | {fmt(r['heldout'])} | "
                         f"{fmt(r['rule_off'])} | {fmt(r['rule_on'])} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    genres_main(argv, __doc__, run, markdown, 200, "tunes from nothing per genre, meter and setting")


if __name__ == "__main__":
    main()
