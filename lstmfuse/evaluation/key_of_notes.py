"""Is a continuation in its passage's key when the signature says another? Ours against the composer's.

Two kinds of passage whose key signature does not write their notes' key, from the held-out
tunes (test and valid splits) of each genre: (1) **misfits**, tunes whose own signature leaves
more than 0.15 of the notes out (Essen's minor songs under the tonic's major signature with
their flats written out; ``theory.fitting_signature``), as written; (2) **no signature**, tunes
whose signature fits them, read as a score whose writer never set one (no sharps or flats, no
mode), as often happens in notation programs. The first 8 bars of each are continued by 8 bars
with the tune's genre, once with the signature in force as before (2026-12-03) and once with the
key of the notes (``generation.passage_key``), side by side in one process, same seeds.

Figures: the share of new notes outside the key of the tune's notes (its fitted signature, or
its own where that fits; the minor's leading note counted in), beside the composer's own bars
9-16 of the same tunes; and the share of continuations ending on the tune's own last pitch class
(its home note as the composer wrote it), beside the genre's real tunes ending on their tonic.
No judge of ours takes part.

Run: ``python -m lstmfuse.evaluation.key_of_notes --n 40 -o docs/key_of_notes.json`` (after
``lstmfuse corpus build``; about 5 minutes).
"""

from __future__ import annotations

import argparse
import json
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from ..corpora import load_corpus
from ..corpora.genres import GENRES
from ..encoding.events import Melody
from ..generation import continuation
from ..generation.options import SamplingOptions
from ..generation.passage_key import PassageKey, passage_key
from ..io.atomic import write_bytes_atomic
from ..theory import fitting_signature, scale_pitch_classes

#: bars of a held-out tune kept as the passage, and bars continued
PASSAGE_BARS = CONTINUED_BARS = 8


@contextmanager
def signature_as_written():
    """Generation as before 2026-12-03: the signature in force is the key, whatever the notes."""
    kept = continuation.passage_key
    continuation.passage_key = lambda passage, sharps, mode: PassageKey(sharps, mode, passage.tonic if passage else None, False)
    try:
        yield
    finally:
        continuation.passage_key = kept


def true_key(m: Melody) -> tuple[int, str]:
    """The key of a whole tune's notes: its fitted signature where its own misfits, and the
    mode whose tonic is its last note (else its own)."""
    key = passage_key(m, m.sharps, m.mode)
    return key.sharps, key.mode or "major"


def _outside(pitches: list[int], sharps: int, mode: str) -> float | None:
    if not pitches:
        return None
    scale = scale_pitch_classes(sharps, mode, leading_note=True)
    return sum(p % 12 not in scale for p in pitches) / len(pitches)


def _split(m: Melody) -> tuple[Melody, list[int]] | None:
    """The first PASSAGE_BARS bars (from the first downbeat) and the composer's next bars' pitches."""
    first = next((e.onset for e in m.events if e.bar_pos == 0), None)
    if first is None:
        return None
    cut = first + PASSAGE_BARS * m.bar_length
    after = [e.pitch for e in m.events if cut <= e.onset < cut + CONTINUED_BARS * m.bar_length and e.pitch is not None]
    return m.with_events([e for e in m.events if e.onset < cut]), after


def cases(genre: str, n: int) -> dict[str, list[tuple[Melody, Melody, list[int]]]]:
    """(tune, passage as the score has it, the composer's next bars) for both kinds, up to n each."""
    tunes = [m for split in ("test", "valid") for _, m in load_corpus(genre, split)
             if len(m.meters) <= 1 and len(m.notes) >= 16 and m.end >= (PASSAGE_BARS + 4) * m.bar_length]
    out: dict[str, list] = {"misfit": [], "no signature": []}
    for m in tunes:
        pitches = [e.pitch for e in m.notes]
        misfit = fitting_signature(pitches, m.sharps) is not None
        kind = "misfit" if misfit else ("no signature" if m.sharps != 0 else None)
        if kind is None or len(out[kind]) >= n or (split := _split(m)) is None:
            continue
        passage, after = split
        if kind == "no signature":
            passage = replace(passage, sharps=0, mode=None, tonic=None)
        out[kind].append((m, passage, after))
    return out


def measure(items: list[tuple[Melody, Melody, list[int]]], genre: str, seed: int) -> dict:
    outside, home, refit = [], [], 0
    for i, (tune, passage, _) in enumerate(items):
        sharps, mode = true_key(tune)
        r = continuation.continue_melody(passage, bars=CONTINUED_BARS, genre=genre, options=SamplingOptions(seed=seed + i))
        new = [e.pitch for e in r.melodies[0].notes if e.onset >= passage.end]
        if (share := _outside(new, sharps, mode)) is not None:
            outside.append(share)
        home.append(float(bool(new) and new[-1] % 12 == tune.notes[-1].pitch % 12))
        refit += "key_of_notes" in r.settings
    return {"outside_key": _mean(outside), "ends_home": _mean(home), "read_from_notes": refit}


def _mean(xs: list[float]) -> float | None:
    return round(sum(xs) / len(xs), 3) if xs else None


def run(genres: list[str], n: int = 40, seed: int = 0) -> dict:
    rows = []
    for g in genres:
        for kind, items in cases(g, n).items():
            if not items:
                continue
            composer = [s for tune, _, after in items if (s := _outside(after, *true_key(tune))) is not None]
            row = {"genre": g, "kind": kind, "tunes": len(items), "composer_outside_key": _mean(composer)}
            with signature_as_written():
                row["as_written"] = measure(items, g, seed)
            row["key_of_notes"] = measure(items, g, seed)
            rows.append(row)
            print(markdown_row(row), flush=True)
    return {"n": n, "seed": seed, "rows": rows}


def readings(genres: list[str], limits: list[float]) -> list[dict]:
    """How the first 8 bars of every held-out tune are read at each limit, no generation: of
    those whose signature fits, how many are read otherwise ("false"); of those with a signature,
    read without it, how many get it back ("recovered"). This chose ``PASSAGE_LIMIT``."""
    from ..generation import passage_key as pk

    kept = pk.PASSAGE_LIMIT
    firsts = {}
    for g in genres:
        tunes = [m for split in ("test", "valid") for _, m in load_corpus(g, split)
                 if len(m.meters) <= 1 and len(m.notes) >= 16 and m.end >= (PASSAGE_BARS + 4) * m.bar_length]
        firsts[g] = [(m, sp[0]) for m in tunes if (sp := _split(m)) is not None and fitting_signature([e.pitch for e in m.notes], m.sharps) is None]
    rows = []
    try:
        for limit in limits:
            pk.PASSAGE_LIMIT = limit
            for g, items in firsts.items():
                false = sum(passage_key(p, p.sharps, p.mode).from_notes for _, p in items)
                bare = [(m, passage_key(replace(p, sharps=0, mode=None, tonic=None), 0, None)) for m, p in items if m.sharps != 0]
                recovered = sum(k.from_notes and k.sharps == m.sharps for m, k in bare)
                rows.append({"limit": limit, "genre": g, "false": false, "fitting": len(items), "recovered": recovered, "bare": len(bare)})
                print(rows[-1], flush=True)
    finally:
        pk.PASSAGE_LIMIT = kept
    return rows


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def markdown_row(r: dict) -> str:
    a, b = r["as_written"], r["key_of_notes"]
    return (f"| {r['genre']} | {r['kind']} | {r['tunes']} | {_f(r['composer_outside_key'])} | {_f(a['outside_key'])} | "
            f"{_f(b['outside_key'])} | {_f(a['ends_home'])} | {_f(b['ends_home'])} | {b['read_from_notes']} |")


def markdown(report: dict) -> str:
    head = ("| genre | passage | tunes | notes outside the key: the composer's bars 9-16 | ours, signature as written | "
            "ours, key of the notes | ends on the tune's home note: as written | key of the notes | passages read from their notes |\n"
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    return "\n".join([head] + [markdown_row(r) for r in report["rows"]])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=40, help="held-out tunes of each kind per genre")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--genres", default=",".join(GENRES))
    ap.add_argument("--limits", default=None, help="instead: how passages are read at these limits, e.g. 0.15,0.1,0.08,0.06")
    ap.add_argument("-o", "--out", type=Path, default=None)
    args = ap.parse_args(argv)
    genres = [g.strip() for g in args.genres.split(",") if g.strip()]
    if args.limits:
        readings(genres, [float(x) for x in args.limits.split(",")])
        return
    report = run(genres, args.n, args.seed)
    print(markdown(report))
    if args.out:
        write_bytes_atomic(args.out, json.dumps(report, indent=2).encode(), force=True)


if __name__ == "__main__":
    main()
