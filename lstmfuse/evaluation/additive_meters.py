"""Do continuations keep an additive meter's beat groups? Ours with and without them, against real songs.

A 7/8 bar grouped 3+2+2 or 2+2+3 is what makes the meter; a note struck inside a group that
rings on past its end, or over the barline, blurs it. The shipped genres hardly wrote such
meters (generation/beat_groups.py). Measured judge-free:

- **real**: the Essen songs of the folk corpus (all splits: 25 are in 5/8, 7/8, 5/4, 7/4 or
  13/4) in one such meter whose bars are all as long as it says (4 songs, all in 5/8 or 5/4);
  the share of their notes sounding over a barline, and of notes begun inside a group that run
  past its end (the groups each song's notes fit best, ``beat_groups.choose``);
- **continued**: the first ``PASSAGE_BARS`` bars of each such song continued by
  ``CONTINUED_BARS`` bars by each genre and by folk + Irish at 50/50, ``n`` seeds each, with the
  beat groups kept (the default) and without (as before 2026-12-04), the same figures over
  the new notes but the last (a tune's last note may ring on over whole bars);
- **from nothing**: 16-bar tunes of each genre in 7/8 and 5/4 (groups: 3+2+2 and 2+3).

Run: ``python -m lstmfuse.evaluation.additive_meters --n 10 -o docs/additive_meters.json``
(after ``lstmfuse corpus build folk``; about a minute). docs/form.md, "Additive meters keep
their beat groups".
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from ..corpora import load_corpus
from ..encoding.events import Melody
from ..generation import beat_groups, continuation
from ..generation.options import SamplingOptions
from ..metrics.rhythm import across_barline, across_groups
from .proof_cli import proof_arguments, publish

PASSAGE_BARS = 4
CONTINUED_BARS = 8
CONTINUERS = ("folk", "irish", "scottish", "bach", "palestrina", "folk=0.5,irish=0.5")
FROM_NOTHING_METERS = ("7/8", "5/4")


@contextmanager
def without_groups():
    """Generation as before 2026-12-04: no beat groups in any meter."""
    kept = beat_groups.for_passage
    beat_groups.for_passage = lambda meter, passage, beats="auto": None
    try:
        yield
    finally:
        beat_groups.for_passage = kept


def regular(m: Melody) -> bool:
    """Is every bar of ``m`` but its first and last as long as its meter says? (Essen songs
    often are not: their barlines follow the verse, and "M: none" songs are read with the
    meter of their longest bar.)"""
    starts = sorted({e.onset - e.bar_pos for e in m.events})
    return all(e.bar_pos < m.bar_length for e in m.events) and all(b - a == m.bar_length for a, b in zip(starts, starts[1:]))


def real_songs() -> list[tuple[str, Melody]]:
    """The folk corpus's songs in one additive meter, regularly barred."""
    out = []
    for split in ("train", "valid", "test"):
        for name, m in load_corpus("folk", split):
            if len(m.meters) <= 1 and beat_groups.is_additive(m.meter) and m.notes and regular(m):
                out.append((name, m))
    return out


def _starts(m: Melody, groups: tuple[int, ...]) -> list:
    return beat_groups.starts(groups, m.bar_length / sum(groups))


def figures(pieces: list[tuple[list, Melody, tuple[int, ...]]]) -> dict:
    """Pooled shares over (events, melody whose bar they are in, groups) of notes over a
    barline and out of their group."""
    bar_n = grp_n = total = 0.0
    for events, m, groups in pieces:
        n = sum(1 for e in events if e.pitch is not None)
        if not n:
            continue
        bar_n += across_barline(events, m.bar_length) * n
        grp_n += across_groups(events, m.bar_length, _starts(m, groups)) * n
        total += n
    return {"notes": int(total), "across_barline": round(bar_n / total, 4) if total else None,
            "across_groups": round(grp_n / total, 4) if total else None}


def _passage(m: Melody) -> Melody:
    first = next(e.onset for e in m.events if e.bar_pos == 0)
    return m.with_events([e for e in m.events if e.onset < first + PASSAGE_BARS * m.bar_length])


def _continue(passage: Melody, who: str, seed: int) -> list:
    kw = {"weights": who} if "=" in who else {"genre": who}
    r = continuation.continue_melody(passage, bars=CONTINUED_BARS, options=SamplingOptions(seed=seed), **kw)
    return [e for e in r.melodies[0].events if e.onset >= passage.end][:-1]


def run(n: int = 10, seed: int = 0) -> dict:
    songs = real_songs()
    groups = {name: beat_groups.choose(m.meter, m.events) for name, m in songs}
    report: dict = {"n": n, "seed": seed, "songs": [{"name": name, "meter": m.meter, "groups": beat_groups.label(groups[name])} for name, m in songs],
                    "real": figures([(m.events[:-1], m, groups[name]) for name, m in songs]), "continued": {}, "from_nothing": {}}
    for who in CONTINUERS:
        row = {}
        for arm, ctx in (("without", without_groups), ("with", _as_is)):
            with ctx():
                pieces = [(_continue(_passage(m), who, seed + i), m, groups[name]) for name, m in songs for i in range(n)]
            row[arm] = figures(pieces)
        report["continued"][who] = row
        print(f"continued by {who}: {row}", flush=True)
    for meter in FROM_NOTHING_METERS:
        g0 = beat_groups.choose(meter)
        for genre in CONTINUERS[:5]:
            row = {}
            for arm, ctx in (("without", without_groups), ("with", _as_is)):
                with ctx():
                    melodies = [continuation.continue_melody(None, bars=16, genre=genre, meter=meter, options=SamplingOptions(seed=seed + i)).melodies[0]
                                for i in range(n)]
                row[arm] = figures([(m.events[:-1], m, g0) for m in melodies])
            report["from_nothing"][f"{genre} {meter}"] = row
            print(f"{genre} from nothing in {meter}: {row}", flush=True)
    return report


@contextmanager
def _as_is():
    yield


def _pct(x: float | None) -> str:
    return "" if x is None or np.isnan(x) else f"{100 * x:.1f}%"


def markdown(report: dict) -> str:
    real = report["real"]
    lines = [f"Real songs ({len(report['songs'])}, {real['notes']} notes): over a barline {_pct(real['across_barline'])}, "
             f"out of their group {_pct(real['across_groups'])}.", "",
             "| continued by / from nothing | notes over a barline: without groups / with | out of their group: without / with |",
             "| --- | ---: | ---: |"]
    for label, rows in (("continued by ", report["continued"]), ("", report["from_nothing"])):
        for who, row in rows.items():
            lines.append(f"| {label}{who} | {_pct(row['without']['across_barline'])} / {_pct(row['with']['across_barline'])} | "
                         f"{_pct(row['without']['across_groups'])} / {_pct(row['with']['across_groups'])} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = proof_arguments(__doc__, 10, "seeds per song and continuer, and tunes from nothing per genre and meter")
    args = ap.parse_args(argv)
    report = run(args.n, args.seed)
    publish(report, markdown(report), args.out)


if __name__ == "__main__":
    main()
