"""Does a tune's last note start on the beat? Ours against real tunes, in meters a genre never wrote.

A final that starts off the beat (a quarter on the fifth eighth of a 6/8 bar) makes the ending
hang: the cadence arrives on a weak eighth. Real tunes that end on a barline start their last
note on the pulse (``form._pulse``: the dotted quarter of a compound meter, else the beat, at
most a quarter) almost always; Irish jigs and reels are the exception (a jig's final quarter on
the fifth eighth). Measured judge-free, on held-out tunes (test and valid splits):

- **real**: per genre and meter, the share of tunes ending on a barline whose last note starts
  on the pulse;
- **continued**: the first 8 bars of held-out folk tunes in 6/8, 3/4 and 2/4 continued by 8 bars
  by folk, by Bach and Palestrina (which never wrote those meters) and by Bach + folk at 50/50;
- **from nothing**: 16-bar tunes of a genre in a meter it never wrote, and in its own default.

Run: ``python -m lstmfuse.evaluation.final_beat --n 60 -o docs/final_beat.json`` (after
``lstmfuse corpus build``; about 30 s). docs/form.md, "The last note on the beat".
"""

from __future__ import annotations

from ..corpora import load_corpus
from ..corpora.genres import GENRES
from ..encoding.events import Melody
from ..generation import continuation
from ..generation.form import _pulse, typical_meter_and_key
from ..generation.options import SamplingOptions
from ..generation.ticks import to_ticks
from ..metrics.form import ends_on_barline
from .proof_cli import proof_arguments, publish

PASSAGE_BARS = 8
CONTINUED_BARS = 8
#: the held-out folk meters passages are taken from, and who continues them
PASSAGE_METERS = ("6/8", "3/4", "2/4")
CONTINUERS = ("folk", "bach", "palestrina", "bach=0.5,folk=0.5")
#: genres in meters they have no tunes in
FOREIGN = (("bach", "6/8"), ("bach", "2/4"), ("palestrina", "6/8"), ("palestrina", "3/4"), ("scottish", "3/4"))


def on_pulse(m: Melody) -> bool:
    """Does the last note start on the meter's pulse?"""
    return to_ticks(m.notes[-1].bar_pos) % _pulse(m.meter) == 0


def share(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 3) if flags else None


def real_rows() -> list[dict]:
    rows = []
    for g in GENRES:
        by_meter: dict[str, list[bool]] = {}
        for split in ("test", "valid"):
            for _, m in load_corpus(g, split):
                if len(m.meters) <= 1 and len(m.notes) >= 2 and ends_on_barline(m):
                    by_meter.setdefault(m.meter, []).append(on_pulse(m))
        rows += [{"genre": g, "meter": k, "n": len(v), "on_pulse": share(v)} for k, v in sorted(by_meter.items()) if len(v) >= 20]
    return rows


def passages(meter: str, n: int) -> list[Melody]:
    """The first 8 bars of up to ``n`` held-out folk tunes in ``meter``."""
    out = []
    for _, m in load_corpus("folk", "test"):
        if m.meter != meter or len(m.meters) > 1 or not m.notes or m.end < (PASSAGE_BARS + 4) * m.bar_length:
            continue
        first = next(e.onset for e in m.events if e.bar_pos == 0)
        out.append(m.with_events([e for e in m.events if e.onset < first + PASSAGE_BARS * m.bar_length]))
    return out[:n]


def _continue(passage: Melody | None, who: str, seed: int, **kw) -> Melody:
    how = {"weights": who} if "=" in who else {"genre": who}
    bars = CONTINUED_BARS if passage is not None else 16
    return continuation.continue_melody(passage, bars=bars, options=SamplingOptions(seed=seed), **how, **kw).melodies[0]


def run(n: int = 60, seed: int = 0) -> dict:
    continued = []
    for meter in PASSAGE_METERS:
        ps = passages(meter, n)
        real = share([on_pulse(p) for p in ps if ends_on_barline(p)])
        for who in CONTINUERS:
            flags = [on_pulse(_continue(p, who, seed + i)) for i, p in enumerate(ps)]
            continued.append({"meter": meter, "by": who, "n": len(ps), "on_pulse": share(flags), "passages_on_pulse": real})
            print(f"continued {meter} by {who}: {share(flags)}", flush=True)
    nothing = []
    for g, meter in FOREIGN + tuple((g, typical_meter_and_key(g)[0]) for g in GENRES):
        flags = [on_pulse(_continue(None, g, seed + i, meter=meter)) for i in range(n)]
        nothing.append({"genre": g, "meter": meter, "own": (g, meter) not in FOREIGN, "n": n, "on_pulse": share(flags)})
        print(f"from nothing {g} in {meter}: {share(flags)}", flush=True)
    return {"n": n, "seed": seed, "real": real_rows(), "continued": continued, "from_nothing": nothing}


def markdown(report: dict) -> str:
    lines = ["| continued (held-out folk passages) | by | on the pulse |", "| --- | --- | ---: |"]
    lines += [f"| {r['meter']} ({r['n']}) | {r['by']} | {r['on_pulse']:.2f} |" for r in report["continued"]]
    lines += ["", "| from nothing | meter | on the pulse |", "| --- | --- | ---: |"]
    lines += [f"| {r['genre']}{'' if r['own'] else ' (never wrote it)'} | {r['meter']} | {r['on_pulse']:.2f} |" for r in report["from_nothing"]]
    lines += ["", "| real, ending on a barline | meter | tunes | on the pulse |", "| --- | --- | ---: | ---: |"]
    lines += [f"| {r['genre']} | {r['meter']} | {r['n']} | {r['on_pulse']:.2f} |" for r in report["real"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = proof_arguments(__doc__, 60, "passages per meter, and tunes from nothing per genre and meter").parse_args(argv)
    report = run(args.n, args.seed)
    publish(report, markdown(report), args.out)

if __name__ == "__main__":
    main()
