"""Do phrases breathe as real ones do? Rests at phrase ends and half-phrase endings, ours against real.

For each genre and meter in ``SETTINGS``: the 2-bar units of tunes from nothing (cut from the
upbeat, as the phrase plan's halves run) and of the genre's held-out tunes in that meter (test
split), and the share of first halves and of phrase ends whose last event is a rest, with the
planned breath (``form._breath``: docs/form.md, "Phrases breathe") and without it, side by side
in one process. Then, for the blend proof's pairs at w = .5, how each half-phrase ends by its
lead genre (from its last note's onset to its end: a sixth of a bar or less, or half a bar or
more) against real units of that genre (docs/fusion.md, "Each lead ends its half-phrase").
No judge of ours takes part.

Run: ``python -m lstmfuse.evaluation.breaths --n 60 -o docs/breaths.json`` (after ``lstmfuse
corpus build``; about 2 minutes).
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from ..encoding.events import Melody
from ..generation import form
from ..metrics.collage import units_of
from . import blend_proof
from .proof_cli import proof_arguments, publish

#: (genre, meter): the meters each genre's real tunes use most, and folk's (the genre that breathes)
SETTINGS = (
    ("folk", "6/8"), ("folk", "4/4"), ("folk", "3/4"), ("folk", "2/4"), ("irish", "6/8"), ("irish", "4/4"),
    ("scottish", "4/4"), ("bach", "4/4"), ("palestrina", "4/2"),
)
#: bars per unit: a half of the plan's 4-bar phrase
UNIT_BARS = 2


def unit_rests(melodies: list[Melody]) -> dict:
    """Share of first halves and of phrase ends (even and odd 2-bar units from the upbeat) whose
    last event is a rest, and how many of each were counted."""
    mids: list[bool] = []
    ends: list[bool] = []
    for m in melodies:
        units = [u for u in units_of(m, UNIT_BARS, from_upbeat=True) if u.events]
        mids += [u.events[-1].pitch is None for u in units[0::2]]
        ends += [u.events[-1].pitch is None for u in units[1::2]]
    return {"first_halves": _share(mids), "phrase_ends": _share(ends), "units": [len(mids), len(ends)]}


def ending_bars(unit: Melody) -> float | None:
    """From the unit's last note's onset to its end (the note and any breath after it), in bars."""
    notes = unit.notes
    return float((unit.end - notes[-1].onset) / unit.bar_length) if notes else None


def ending_shares(units: list[Melody]) -> dict:
    """Share of units ending on a sixth of a bar or less (a jig's eighth), and on half a bar or more."""
    x = np.array([v for v in (ending_bars(u) for u in units) if v is not None])
    if not len(x):
        return {"short": float("nan"), "long": float("nan"), "units": 0}
    return {"short": round(float(np.mean(x <= 1 / 6 + 1e-9)), 3), "long": round(float(np.mean(x >= 0.5 - 1e-9)), 3), "units": int(len(x))}


def _share(flags: list[bool]) -> float:
    return round(float(np.mean(flags)), 3) if flags else float("nan")


@contextmanager
def without_breaths():
    """Plans as before the breath (commit 761ccc2): no phrase or half ends on a planned rest."""
    kept = form._breath
    form._breath = lambda entry, end_ticks, *rest: (end_ticks, 0)
    try:
        yield
    finally:
        form._breath = kept


@contextmanager
def _as_is():
    yield


def run(n: int = 30, seed: int = 0, pairs: tuple = blend_proof.PAIRS) -> dict:
    rows = []
    for genre, meter in SETTINGS:
        real = blend_proof._real_tunes(genre, meter)
        row = {"genre": genre, "meter": meter, "real_tunes": len(real), "real": unit_rests(real)}
        for name, ctx in (("without", without_breaths), ("with", _as_is)):
            with ctx():
                ours = [m for r in blend_proof.fusions(n, 16, seed, {genre: 1.0}, meter) for m in r.melodies]
            row[name] = unit_rests(ours)
        rows.append(row)
        print(markdown_row(row), flush=True)
    leads = []
    for a, b, meter in pairs:
        real = {g: [u for m in blend_proof._real_tunes(g, meter) for u in units_of(m, UNIT_BARS, from_upbeat=True)] for g in (a, b)}
        entry: dict = {"pair": [a, b], "meter": meter}
        for name, ctx in (("without", without_breaths), ("with", _as_is)):
            with ctx():
                units = [u for r in blend_proof.fusions(n, 16, seed, {a: 0.5, b: 0.5}, meter) for u in blend_proof.lead_units(r)]
            entry[name] = {g: ending_shares([u for lead, u in units if lead == g]) for g in (a, b)}
        entry["real"] = {g: ending_shares(real[g]) for g in (a, b)}
        leads.append(entry)
    return {"n": n, "seed": seed, "unit_bars": UNIT_BARS, "rows": rows, "blend_half_phrases": leads}


def _pair(s: dict) -> str:
    return f"{s['first_halves']:.2f} / {s['phrase_ends']:.2f}"


def markdown_row(row: dict) -> str:
    return f"| {row['genre']} {row['meter']} | {_pair(row['real'])} | {_pair(row['without'])} | {_pair(row['with'])} |"


def markdown(report: dict) -> str:
    lines = ["Share of 2-bar units whose last event is a rest: first halves / phrase ends.", "",
             "| genre, meter | real (test split) | ours without breaths | ours |", "| --- | --- | --- | --- |"]
    lines += [markdown_row(r) for r in report["rows"]]
    lines += ["", "Half-phrases of blends at w = .5 by lead: ending on 1/6 bar or less; on half a bar or more.", "",
              "| pair | lead | real units | ours without breaths | ours |", "| --- | --- | --- | --- | --- |"]
    for e in report["blend_half_phrases"]:
        for g in e["pair"]:
            cells = [f"{e[k][g]['short']:.2f}; {e[k][g]['long']:.2f}" for k in ("real", "without", "with")]
            lines.append(f"| {'+'.join(e['pair'])} ({e['meter']}) | {g} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = proof_arguments(__doc__, 30, "tunes from nothing per genre and meter, and blends per pair").parse_args(argv)
    report = run(args.n, args.seed)
    publish(report, markdown(report), args.out)

if __name__ == "__main__":
    main()
