"""How hard should a unit's lead pull with its own phase-1 melody? Asked of real units.

At w = .5, for the blend proof's three pairs (``blend_proof.PAIRS``) and each setting of a
knob of ``continuation`` (``LEAD_GUIDE``: the whole pull; ``LEAD_RHYTHM``: the durations' pull
over the pitches'): in the units each genre leads, the share of notes shorter than a quarter
and the total-variation distance of their note lengths from real held-out 2-bar units of that
genre in the same meter (statistics no judge of ours computes); the leap into a unit against
the leaps inside units (a join that leaps more than real tunes do across 2-bar boundaries is a
seam); and, to be read beside them, the style judge on each unit and on the whole 16 bars.
The setting is restored afterwards.

Run: ``python -m lstmfuse.evaluation.lead_guide --n 60 -o docs/lead_guide.json`` (after
``lstmfuse corpus build``; about 85 s with 60 fusions a point), and with ``--knob LEAD_RHYTHM
-o docs/lead_rhythm.json``.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..encoding.events import Melody
from ..generation import continuation
from ..io.atomic import write_bytes_atomic
from ..metrics.collage import units_of
from .blend_proof import PAIRS, _posteriors, _real_tunes, fusions, judge, junction_leaps, lead_units, short_share

SETTINGS = {"LEAD_GUIDE": (1.0, 1.5, 2.0, 3.0), "LEAD_RHYTHM": (1.0, 1.5, 2.0, 3.0)}


def length_shares(units: list[Melody]) -> dict[Fraction, float]:
    """Each note length's share of the notes in ``units``."""
    counts = Counter(e.duration for u in units for e in u.notes)
    total = sum(counts.values())
    return {d: c / total for d, c in counts.items()} if total else {}


def length_distance(units: list[Melody], real: dict[Fraction, float]) -> float | None:
    """Total-variation distance of the units' note lengths from a real distribution (0: the
    same lengths as often; 1: none in common)."""
    ours = length_shares(units)
    if not ours or not real:
        return None
    return 0.5 * sum(abs(ours.get(d, 0.0) - real.get(d, 0.0)) for d in set(ours) | set(real))


def run(n: int = 20, knob: str = "LEAD_GUIDE", settings: tuple[float, ...] | None = None, seed: int = 0) -> dict:
    j, name = judge()
    real, real_lengths = {}, {}
    for a, b, meter in PAIRS:
        for g in (a, b):
            units = [u for m in _real_tunes(g, meter) for u in units_of(m, 2, from_upbeat=True)]
            real[f"{g} {meter}"] = round(short_share(units), 3) if units else None
            real_lengths[f"{g} {meter}"] = length_shares(units)
    default = getattr(continuation, knob)
    report: dict = {"n": n, "seed": seed, "judge": name, "knob": knob, "default": default,
                    "real_unit_short_notes": real, "rows": []}
    try:
        for setting in settings or SETTINGS[knob]:
            setattr(continuation, knob, setting)
            for a, b, meter in PAIRS:
                results = fusions(n, 16, seed, {a: 0.5, b: 0.5}, meter)
                units = [u for r in results for u in lead_units(r)]
                into, inside = [], []
                for r in results:
                    x, y = junction_leaps(r)
                    into += x
                    inside += y
                p = _posteriors(j, [m for r in results for m in r.melodies])
                row = {"setting": setting, "pair": [a, b], "meter": meter,
                       "leap_into_unit": round(float(np.mean(into)), 2), "leap_inside_unit": round(float(np.mean(inside)), 2),
                       "p_a": round(float(p[:, j.genres.index(a)].mean()), 3), "p_b": round(float(p[:, j.genres.index(b)].mean()), 3)}
                for g in (a, b):
                    led = [m for lead, m in units if lead == g]
                    row[f"short_notes_{g}_led"] = round(short_share(led), 3) if led else None
                    dist = length_distance(led, real_lengths[f"{g} {meter}"])
                    row[f"length_distance_{g}_led"] = round(dist, 3) if dist is not None else None
                    row[f"p_{g}_in_{g}_led"] = round(float(_posteriors(j, led)[:, j.genres.index(g)].mean()), 3) if led else None
                report["rows"].append(row)
                print(json.dumps(row), flush=True)
    finally:
        setattr(continuation, knob, default)
    return report


def markdown(report: dict) -> str:
    real = report["real_unit_short_notes"]
    lines = [
        f"w = .5, {report['n']} fusions of 16 bars a point; real: held-out 2-bar units in the same meter.",
        "",
        f"| {report['knob']} | pair (meter) | short notes, A-led (real A) | short notes, B-led (real B) "
        "| note-length distance from real, A-led; B-led | units heard as their lead, A-led; B-led "
        "| leap into / inside units | whole P(A) + P(B) |",
        "| ---: | --- | --- | --- | --- | --- | --- | --- |",
    ]
    fmt = lambda v: "n/a" if v is None else f"{v:.2f}"  # noqa: E731
    for r in report["rows"]:
        a, b = r["pair"]
        lines.append(
            f"| {r['setting']:g} | {a}+{b} ({r['meter']}) | {fmt(r[f'short_notes_{a}_led'])} ({fmt(real[f'{a} {r['meter']}'])}) "
            f"| {fmt(r[f'short_notes_{b}_led'])} ({fmt(real[f'{b} {r['meter']}'])}) "
            f"| {fmt(r[f'length_distance_{a}_led'])}; {fmt(r[f'length_distance_{b}_led'])} "
            f"| {fmt(r[f'p_{a}_in_{a}_led'])}; {fmt(r[f'p_{b}_in_{b}_led'])} | {r['leap_into_unit']:.2f} / {r['leap_inside_unit']:.2f} "
            f"| {r['p_a']:.2f} + {r['p_b']:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=60, help="fusions per pair and setting")
    ap.add_argument("--knob", choices=sorted(SETTINGS), default="LEAD_GUIDE", help="which pull to sweep")
    ap.add_argument("--seed", type=int, default=0, help="first seed (fusions use seed..seed+n-1)")
    ap.add_argument("-o", "--out", type=Path, help="write the report (JSON) here")
    args = ap.parse_args(argv)
    report = run(args.n, args.knob, seed=args.seed)
    print(markdown(report))
    if args.out:
        write_bytes_atomic(args.out, json.dumps(report, indent=1).encode(), force=True)


if __name__ == "__main__":
    main()
