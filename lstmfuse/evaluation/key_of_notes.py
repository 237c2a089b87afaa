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

A third kind, **modal**: tunes whose source names a final that is neither tonic of their
signature (Palestrina's ``*G:mix``), as written; figures: continuations ending on the named final
and on its triad (``continuation.modal_tonic``), beside the tunes' own last notes.

Run: ``python -m lstmfuse.evaluation.key_of_notes --n 40 -o docs/key_of_notes.json`` (after
``lstmfuse corpus build``; about 3 minutes). ``--limits 0.15,0.08``: how the held-out passages
are read at each limit, no generation (what chose ``passage_key.PASSAGE_LIMIT``). ``--outside
200``: passages from music21's corpus outside the training corpora, checked against music21's
own key analysis.
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
from ..metrics.form import tonic_pitch_class
from ..theory import fitting_signature, scale_pitch_classes, tonic_pc

#: bars of a held-out tune kept as the passage, and bars continued
PASSAGE_BARS = CONTINUED_BARS = 8


@contextmanager
def as_before():
    """Generation as before 2026-12-03: the signature in force is the key, whatever the notes,
    and its major or minor tonic the final, whatever the source names."""
    kept = continuation.passage_key, continuation.modal_tonic
    continuation.passage_key = lambda passage, sharps, mode: PassageKey(sharps, mode, passage.tonic if passage else None, False)
    continuation.modal_tonic = lambda passage, shift, minor: None
    try:
        yield
    finally:
        continuation.passage_key, continuation.modal_tonic = kept


def true_key(m: Melody) -> tuple[int, str]:
    """The key of a whole tune's notes: its fitted signature where its own misfits, and the
    mode whose tonic is its last note (else its own)."""
    key = passage_key(m, m.sharps, m.mode)
    return key.sharps, key.mode or "major"


def final_triad(m: Melody) -> set[int]:
    """The triad on the tune's named final, of its key's notes (D F A on D under no signature)."""
    scale = scale_pitch_classes(true_key(m)[0])
    t = tonic_pitch_class(m)
    third = (t + 4) % 12 if (t + 4) % 12 in scale else (t + 3) % 12
    fifth = (t + 7) % 12 if (t + 7) % 12 in scale else (t + 6) % 12
    return {t, third, fifth}


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
    out: dict[str, list] = {"misfit": [], "no signature": [], "modal": []}
    for m in tunes:
        pitches = [e.pitch for e in m.notes]
        if fitting_signature(pitches, m.sharps) is not None:
            kinds = ["misfit"]
        else:
            kinds = (["no signature"] if m.sharps != 0 else []) + (["modal"] if _modal(m) else [])
        if (split := _split(m)) is None:
            continue
        passage, after = split
        for kind in kinds:
            if len(out[kind]) < n:
                out[kind].append((m, replace(passage, sharps=0, mode=None, tonic=None) if kind == "no signature" else passage, after))
    return out


def _modal(m: Melody) -> bool:
    """The source names a final that is neither the signature's major nor its minor tonic."""
    return bool(m.tonic) and tonic_pitch_class(m) not in (tonic_pc(m.sharps, "major"), tonic_pc(m.sharps, "minor"))


def measure(items: list[tuple[Melody, Melody, list[int]]], genre: str, seed: int) -> dict:
    outside, home, final, triad, refit = [], [], [], [], 0
    for i, (tune, passage, _) in enumerate(items):
        sharps, mode = true_key(tune)
        r = continuation.continue_melody(passage, bars=CONTINUED_BARS, genre=genre, options=SamplingOptions(seed=seed + i))
        new = [e.pitch for e in r.melodies[0].notes if e.onset >= passage.end]
        if (share := _outside(new, sharps, mode)) is not None:
            outside.append(share)
        home.append(float(bool(new) and new[-1] % 12 == tune.notes[-1].pitch % 12))
        final.append(float(bool(new) and new[-1] % 12 == tonic_pitch_class(tune)))
        triad.append(float(bool(new) and new[-1] % 12 in final_triad(tune)))
        refit += "key_of_notes" in r.settings
    return {"outside_key": _mean(outside), "ends_home": _mean(home), "ends_on_final": _mean(final), "ends_on_final_triad": _mean(triad), "read_from_notes": refit}


def _mean(xs: list[float]) -> float | None:
    return round(sum(xs) / len(xs), 3) if xs else None


def run(genres: list[str], n: int = 40, seed: int = 0) -> dict:
    rows = []
    for g in genres:
        for kind, items in cases(g, n).items():
            if not items:
                continue
            composer = [s for tune, _, after in items if (s := _outside(after, *true_key(tune))) is not None]
            row = {"genre": g, "kind": kind, "tunes": len(items), "composer_outside_key": _mean(composer),
                   "composer_ends_on_final": _mean([float(t.notes[-1].pitch % 12 == tonic_pitch_class(t)) for t, _, _ in items]),
                   "composer_ends_on_final_triad": _mean([float(t.notes[-1].pitch % 12 in final_triad(t)) for t, _, _ in items])}
            with as_before():
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


#: music21 corpus composers outside every training corpus, for ``outside_corpus``
OUTSIDE = ("beethoven", "mozart", "haydn", "schumann", "schubert", "chopin", "joplin", "handel", "monteverdi", "verdi",
           "weber", "schoenberg", "luca", "cpebach", "corelli", "trecento", "ciconia")


def outside_corpus(n: int, seed: int = 0) -> dict:
    """The first 8 bars of the top part of up to ``n`` scores from music21's corpus outside the
    training corpora (OUTSIDE), read as a continuation reads them: how often the signature is
    overruled, and whether music21's own key analysis (Krumhansl-Schmuckler, on the same bars)
    names a key with the signature chosen."""
    import random

    import music21

    from ..encoding.extract import melody_from_part
    from ..errors import LstmfuseError
    from ..io import load
    from ..metrics.collage import cut

    root = Path(music21.__file__).parent / "corpus"
    files = [f for d in OUTSIDE for f in sorted((root / d).rglob("*")) if f.suffix in (".mxl", ".xml", ".musicxml", ".krn")]
    random.Random(seed).shuffle(files)
    read, overruled = 0, []
    for f in files:
        if read >= n:
            break
        try:
            score = load(f)
            m = melody_from_part(score.parts[0])
        except (LstmfuseError, ValueError, IndexError, AttributeError):
            continue
        first = next((e.onset for e in m.events if e.bar_pos == 0), None)
        if first is None:
            continue
        passage = cut(m, first, first + PASSAGE_BARS * m.bar_length)
        if len(passage.notes) < 8:
            continue
        read += 1
        key = passage_key(passage, passage.sharps, passage.mode)
        if key.from_notes:
            analysed = score.parts[0].measures(1, PASSAGE_BARS).analyze("key")
            overruled.append({"file": str(f.relative_to(root)), "signature": passage.sharps, "read": key.sharps, "name": key.name,
                              "music21": str(analysed), "agrees": analysed.sharps == key.sharps})
            print(overruled[-1], flush=True)
    return {"passages": read, "overruled": overruled}


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def markdown_row(r: dict) -> str:
    a, b = r["as_written"], r["key_of_notes"]
    return (f"| {r['genre']} | {r['kind']} | {r['tunes']} | {_f(r['composer_outside_key'])} | {_f(a['outside_key'])} | "
            f"{_f(b['outside_key'])} | {_f(a['ends_home'])} | {_f(b['ends_home'])} | {_f(r['composer_ends_on_final'])} | "
            f"{_f(a['ends_on_final'])} | {_f(b['ends_on_final'])} | {_f(r['composer_ends_on_final_triad'])} | "
            f"{_f(a['ends_on_final_triad'])} | {_f(b['ends_on_final_triad'])} | {b['read_from_notes']} |")


def markdown(report: dict) -> str:
    head = ("| genre | passage | tunes | notes outside the key: the composer's bars 9-16 | ours, before | "
            "ours, key of the notes | ends on the tune's home note: before | now | ends on the named final: composer | before | now | "
            "on its triad: composer | before | now | passages read from their notes |\n"
            "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    return "\n".join([head] + [markdown_row(r) for r in report["rows"]])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=40, help="held-out tunes of each kind per genre")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--genres", default=",".join(GENRES))
    ap.add_argument("--limits", default=None, help="instead: how passages are read at these limits, e.g. 0.15,0.1,0.08,0.06")
    ap.add_argument("--outside", type=int, default=0, help="instead: how N passages from music21's corpus outside the training corpora are read")
    ap.add_argument("-o", "--out", type=Path, default=None)
    args = ap.parse_args(argv)
    genres = [g.strip() for g in args.genres.split(",") if g.strip()]
    if args.limits:
        readings(genres, [float(x) for x in args.limits.split(",")])
        return
    if args.outside:
        report = outside_corpus(args.outside, args.seed)
        agree = sum(o["agrees"] for o in report["overruled"])
        print(f"{report['passages']} passages, {len(report['overruled'])} read from their notes, music21's analysis agrees with {agree}")
        return
    report = run(genres, args.n, args.seed)
    print(markdown(report))
    if args.out:
        write_bytes_atomic(args.out, json.dumps(report, indent=2).encode(), force=True)


if __name__ == "__main__":
    main()
