"""Is a passage that changes key continued in its new key? Ours against the composer's.

A composer who selects sixteen bars that move from F major to D major at a new signature wants
the continuation in D. The passages here are held-out tunes (test and valid splits, one meter,
a signature that fits their notes) whose bars from bar ``CHANGE_BAR`` on are moved to another key
under a new signature, as a score that modulates writes them: to the key one sharp up (the
dominant's) or three sharps up (F major -> D major), or down where the signature would pass six.
The first 8 bars are continued by 8 bars with the tune's genre, once as before 2026-12-04 (every
bar moved to the normalised key by the last signature, so the bars before the change reached the
models in a third key) and once with each bar heard in the key it is written in
(``encoding.tokens.in_key_of_span``), side by side in one process, same seeds.

Figures, no judge of ours: the share of new notes outside the new key (the minor's leading note
counted in), beside the composer's own bars 9-16 moved the same way; the share of continuations
ending on the tune's own last pitch class in the new key; and how far the new notes lie from
the passage's last bars (mean pitch, semitones), beside the composer's.

Run: ``python -m lstmfuse.evaluation.key_change --n 40 -o docs/key_change.json`` (after
``lstmfuse corpus build``; about 3 minutes, measured 2026-12-04).
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace
from fractions import Fraction

from ..corpora import load_corpus
from ..encoding.events import Melody
from ..generation import continuation
from ..generation.options import SamplingOptions
from ..theory import fitting_signature, scale_pitch_classes
from .key_of_notes import true_key
from .proof_cli import genres_main

#: the bar (1 = the first whole bar) from which the passage is in its new key; bars kept and continued
CHANGE_BAR, PASSAGE_BARS, CONTINUED_BARS = 7, 8, 8
#: key changes tried, in fifths (sharps added to the signature)
MOVES = (1, 3)


@contextmanager
def as_before():
    """Generation as before 2026-12-04: every bar of the passage read under the last signature."""
    kept = continuation.in_key_of_span
    continuation.in_key_of_span = lambda melody: melody
    try:
        yield
    finally:
        continuation.in_key_of_span = kept


def semitones(fifths: int) -> int:
    """The smallest move that adds ``fifths`` sharps to a key (+1: down a fourth, +3: down a minor third)."""
    return (7 * fifths + 6) % 12 - 6


def modulated(m: Melody, fifths: int) -> tuple[Melody, list[int], int] | None:
    """The first PASSAGE_BARS bars with bars CHANGE_BAR on moved ``fifths`` up the circle under a
    new signature; the composer's next bars, moved too; the move in semitones."""
    first = next((e.onset for e in m.events if e.bar_pos == 0), None)
    if first is None:
        return None
    sharps = m.sharps + fifths
    if not -6 <= sharps <= 6:
        return None
    move = semitones(fifths)
    change = first + (CHANGE_BAR - 1) * m.bar_length
    cut = first + PASSAGE_BARS * m.bar_length
    events = [e if e.onset < change or e.pitch is None else replace(e, pitch=e.pitch + move, spelling=None)
              for e in m.events if e.onset < cut]
    after = [e.pitch + move for e in m.events if cut <= e.onset < cut + CONTINUED_BARS * m.bar_length and e.pitch is not None]
    passage = replace(m, events=events, sharps=sharps, tonic=None, key_span=(change, None),
                      signatures=[(Fraction(0), m.sharps), (change, sharps)])
    return passage, after, move


def cases(genre: str, n: int) -> list[tuple[Melody, Melody, list[int], int, int]]:
    """(tune, modulating passage, the composer's next bars moved, fifths, semitones), up to n per move."""
    tunes = [m for split in ("test", "valid") for _, m in load_corpus(genre, split)
             if len(m.meters) <= 1 and len(m.notes) >= 16 and m.end >= (PASSAGE_BARS + 4) * m.bar_length
             and fitting_signature([e.pitch for e in m.notes], m.sharps) is None]
    out = []
    for fifths in MOVES:
        got = 0
        for m in tunes:
            if got >= n:
                break
            made = modulated(m, fifths) or modulated(m, -fifths)
            if made is None:
                continue
            passage, after, move = made
            out.append((m, passage, after, passage.sharps - m.sharps, move))
            got += 1
    return out


def _outside(pitches: list[int], sharps: int, mode: str) -> float | None:
    if not pitches or not -7 <= sharps <= 7:
        return None
    scale = scale_pitch_classes(sharps, mode, leading_note=True)
    return sum(p % 12 not in scale for p in pitches) / len(pitches)


def _mean(xs: list[float]) -> float | None:
    return round(sum(xs) / len(xs), 3) if xs else None


def _tail_mean(passage: Melody) -> float:
    """Mean pitch of the passage's bars in the new key."""
    since = passage.key_span[0]
    return sum(p := [e.pitch for e in passage.notes if e.onset >= since]) / max(len(p), 1)


def measure(items, genre: str, seed: int) -> dict:
    outside, home, drift = [], [], []
    for i, (tune, passage, _, fifths, move) in enumerate(items):
        sharps, mode = true_key(tune)
        r = continuation.continue_melody(passage, bars=CONTINUED_BARS, genre=genre, options=SamplingOptions(seed=seed + i))
        new = [e.pitch for e in r.melodies[0].notes if e.onset >= passage.end]
        if (share := _outside(new, sharps + fifths, mode)) is not None:
            outside.append(share)
        home.append(float(bool(new) and new[-1] % 12 == (tune.notes[-1].pitch + move) % 12))
        if new:
            drift.append(abs(sum(new) / len(new) - _tail_mean(passage)))
    return {"outside_key": _mean(outside), "ends_home": _mean(home), "register_drift": _mean(drift)}


def run(genres: list[str], n: int = 40, seed: int = 0) -> dict:
    rows = []
    for g in genres:
        items = cases(g, n)
        for fifths in MOVES:
            group = [it for it in items if abs(it[3]) == fifths]
            if not group:
                continue
            composer = [s for tune, _, after, f, _ in group if (s := _outside(after, true_key(tune)[0] + f, true_key(tune)[1])) is not None]
            drift = [abs(sum(after) / len(after) - _tail_mean(p)) for _, p, after, _, _ in group if after]
            row = {"genre": g, "fifths": fifths, "tunes": len(group), "composer_outside_key": _mean(composer),
                   "composer_register_drift": _mean(drift)}
            with as_before():
                row["before"] = measure(group, g, seed)
            row["now"] = measure(group, g, seed)
            rows.append(row)
            print(markdown_row(row), flush=True)
    return {"n": n, "seed": seed, "change_bar": CHANGE_BAR, "rows": rows}


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def markdown_row(r: dict) -> str:
    a, b = r["before"], r["now"]
    return (f"| {r['genre']} | {r['fifths']} | {r['tunes']} | {_f(r['composer_outside_key'])} | {_f(a['outside_key'])} | "
            f"{_f(b['outside_key'])} | {_f(a['ends_home'])} | {_f(b['ends_home'])} | {_f(r['composer_register_drift'])} | "
            f"{_f(a['register_drift'])} | {_f(b['register_drift'])} |")


def markdown(report: dict) -> str:
    head = ("| genre | change (fifths) | passages | notes outside the new key: composer | before | now | "
            "ends on the tune's home note: before | now | register drift (semitones): composer | before | now |\n"
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    return "\n".join([head] + [markdown_row(r) for r in report["rows"]])


def main(argv: list[str] | None = None) -> None:
    genres_main(argv, __doc__, run, markdown, 40, "held-out tunes per genre and key change")


if __name__ == "__main__":
    main()
