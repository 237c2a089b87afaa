"""Is 6/8 heard as 6/8? Notes from a main beat that run past the next without ending on one.

A half note from a 6/8 downbeat is 3/4's rhythm across the dotted-quarter beat. Of the notes
that start on a main beat, real held-out 6/8 tunes (test and valid splits) let it happen folk
0.027, Irish 0.004, Scottish 0.001; Bach and Palestrina never wrote 6/8. Figures: that share in
``n`` tunes from nothing of 16 bars per genre and blend, in 6/8 (seeds ``seed``..), beside real
tunes, and whether the engine holds the genre to the beats (``form.holds_beats``). No judge of
ours takes part.

Run: ``python -m lstmfuse.evaluation.beat_spanning --n 40 -o docs/beat_spanning.json`` (after
``lstmfuse corpus build``; about 20 s). docs/form.md, "What the genres never do".
"""

from __future__ import annotations

from fractions import Fraction

from ..corpora import load_corpus
from ..encoding.events import Melody
from ..generation import continuation
from ..generation.form import holds_beats
from ..generation.options import SamplingOptions
from .proof_cli import proof_arguments, publish

METER = "6/8"
BEAT = Fraction(3, 2)
REAL = ("folk", "irish", "scottish")
OURS = ("folk", "irish", "scottish", "bach", "palestrina", "bach=0.5,folk=0.5", "bach=0.5,irish=0.5")


def spanning(melodies: list[Melody]) -> tuple[float | None, int]:
    """Share of the notes starting on a main beat that run past the next without ending on one,
    and how many notes started on a main beat."""
    on_beat = [e for m in melodies for e in m.notes if e.bar_pos % BEAT == 0]
    if not on_beat:
        return None, 0
    return round(sum(e.duration > BEAT and bool(e.duration % BEAT) for e in on_beat) / len(on_beat), 4), len(on_beat)


def run(n: int = 40, seed: int = 0) -> dict:
    real = []
    for g in REAL:
        tunes = [m for split in ("test", "valid") for _, m in load_corpus(g, split) if m.meter == METER and len(m.meters) <= 1]
        share, notes = spanning(tunes)
        real.append({"genre": g, "tunes": len(tunes), "notes_on_beat": notes, "spanning": share})
    ours = []
    for who in OURS:
        how = {"weights": who} if "=" in who else {"genre": who}
        tunes = [continuation.continue_melody(None, bars=16, meter=METER, options=SamplingOptions(seed=seed + i), **how).melodies[0] for i in range(n)]
        share, notes = spanning(tunes)
        held = {g.split("=")[0]: holds_beats(g.split("=")[0], METER) for g in who.split(",")}
        ours.append({"by": who, "tunes": n, "notes_on_beat": notes, "spanning": share, "held": held})
        print(f"{who}: {share}", flush=True)
    return {"meter": METER, "n": n, "seed": seed, "real": real, "ours": ours}


def markdown(report: dict) -> str:
    lines = ["| real (held-out, 6/8) | tunes | notes on a main beat | running past the next |", "| --- | ---: | ---: | ---: |"]
    lines += [f"| {r['genre']} | {r['tunes']} | {r['notes_on_beat']} | {r['spanning']:.3f} |" for r in report["real"]]
    lines += ["", "| ours, from nothing in 6/8 | held to the beats | notes on a main beat | running past the next |", "| --- | --- | ---: | ---: |"]
    for r in report["ours"]:
        held = ", ".join(f"{g} {'yes' if h else 'no'}" for g, h in r["held"].items())
        lines.append(f"| {r['by']} | {held} | {r['notes_on_beat']} | {r['spanning']:.3f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = proof_arguments(__doc__, 40, "tunes from nothing per genre and blend").parse_args(argv)
    report = run(args.n, args.seed)
    publish(report, markdown(report), args.out)


if __name__ == "__main__":
    main()
