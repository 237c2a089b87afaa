"""How do tunes come home? The move onto the last note, ours against real tunes of the genre.

For each genre, in its default meter and key (the CLI's, ``form.typical_meter_and_key``): the
move from the note before the last onto the last (semitones) in ``n`` tunes from nothing
(seeds ``seed``..), with the approach to the last note (``form.genre_approach``, and since
2026-12-03 ``form.genre_approach2`` for the note two before it), with the first alone ("one
note") and without either, side by side in one process, against the genre's held-out tunes (test and valid splits). Then
the same for continuations: the first 8 bars of up to ``n`` held-out tunes continued by 8 bars
in their genre. Figures: the share of steps (1-2 semitones), of re-struck last notes, of leaps
of a fourth or more, and the total variation between the distributions of the move (0: the
same as real tunes). No judge of ours takes part.

Run: ``python -m lstmfuse.evaluation.endings --n 60 -o docs/endings.json`` (after ``lstmfuse
corpus build``; about 3 minutes). docs/form.md, "The note before the last" and "Two notes from home".
"""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager

from ..corpora import load_corpus
from ..encoding.events import Melody
from ..generation import continuation
from ..generation.form import typical_meter_and_key
from ..generation.options import SamplingOptions
from .proof_cli import genres_main

#: bars of a held-out tune kept as the passage, and bars continued
PASSAGE_BARS = CONTINUED_BARS = 8


def move(m: Melody) -> int | None:
    """The last note less the one before it (semitones); None with fewer than two notes."""
    notes = m.notes
    return notes[-1].pitch - notes[-2].pitch if len(notes) >= 2 else None


def shares(moves: list[int]) -> dict:
    """Step, re-struck and fourth-or-more shares of a list of moves, and its distribution."""
    n = len(moves)
    counts = Counter(moves)
    return {
        "n": n,
        "step": round(sum(v for k, v in counts.items() if 1 <= abs(k) <= 2) / n, 3) if n else None,
        "same": round(counts.get(0, 0) / n, 3) if n else None,
        "fourth_or_more": round(sum(v for k, v in counts.items() if abs(k) >= 5) / n, 3) if n else None,
        "distribution": {str(k): round(v / n, 4) for k, v in sorted(counts.items())} if n else {},
    }


def total_variation(a: dict, b: dict) -> float:
    keys = set(a) | set(b)
    return round(0.5 * sum(abs(a.get(k, 0.0) - b.get(k, 0.0)) for k in keys), 3)


@contextmanager
def without_approach():
    """Generation as before the approach to the last note (commit 2547897): no approach table."""
    kept = continuation.genre_approach, continuation.genre_approach2
    continuation.genre_approach = continuation.genre_approach2 = lambda weights: None
    try:
        yield
    finally:
        continuation.genre_approach, continuation.genre_approach2 = kept


@contextmanager
def one_note():
    """The approach to the last note drawing only the note before it (before 2026-12-03, when
    the note two before the last was drawn home as well: form.genre_approach2)."""
    kept = continuation.genre_approach2
    continuation.genre_approach2 = lambda weights: None
    try:
        yield
    finally:
        continuation.genre_approach2 = kept


def from_nothing(genre: str, n: int, seed: int, bars: int = 16) -> list[int]:
    meter, sharps, mode = typical_meter_and_key(genre)
    out = []
    for i in range(n):
        r = continuation.continue_melody(None, bars=bars, genre=genre, meter=meter, sharps=sharps, mode=mode, options=SamplingOptions(seed=seed + i))
        if (mv := move(r.melodies[0])) is not None:
            out.append(mv)
    return out


def held_out(genre: str, n: int) -> list[Melody]:
    """Up to ``n`` test-split tunes in one meter, long enough for a passage and its continuation."""
    tunes = [m for _, m in load_corpus(genre, "test") if len(m.meters) <= 1 and m.notes and m.end >= (PASSAGE_BARS + 4) * m.bar_length]
    return tunes[:n]


def continued(tunes: list[Melody], genre: str, seed: int) -> list[int]:
    out = []
    for i, m in enumerate(tunes):
        first = next(e.onset for e in m.events if e.bar_pos == 0)
        passage = m.with_events([e for e in m.events if e.onset < first + PASSAGE_BARS * m.bar_length])
        r = continuation.continue_melody(passage, bars=CONTINUED_BARS, genre=genre, options=SamplingOptions(seed=seed + i))
        if (mv := move(r.melodies[0])) is not None:
            out.append(mv)
    return out


def run(genres: list[str], n: int = 60, seed: int = 0) -> dict:
    rows = []
    for g in genres:
        real_tunes = [m for split in ("test", "valid") for _, m in load_corpus(g, split)]
        real = shares([mv for m in real_tunes if (mv := move(m)) is not None])
        tunes = held_out(g, n)
        real_cont = shares([mv for m in tunes if (mv := move(m)) is not None])
        row = {"genre": g, "default": list(typical_meter_and_key(g)), "real": real, "real_continued": real_cont}
        for name, ctx in (("without", without_approach), ("one note", one_note), ("with", _as_is)):
            with ctx():
                ours = shares(from_nothing(g, n, seed))
                cont = shares(continued(tunes, g, seed))
            ours["tv"] = total_variation(real["distribution"], ours["distribution"])
            cont["tv"] = total_variation(real_cont["distribution"], cont["distribution"])
            row[name] = {"from_nothing": ours, "continued": cont}
        rows.append(row)
        print(markdown_row(row), flush=True)
    return {"n": n, "seed": seed, "rows": rows}


@contextmanager
def _as_is():
    yield


def _fig(s: dict) -> str:
    return f"{s['step']:.2f}, {s['same']:.2f}, {s['fourth_or_more']:.2f}" + (f"; TV {s['tv']:.2f}" if "tv" in s else "")


def markdown_row(row: dict) -> str:
    meter, sharps, mode = row["default"]
    return (f"| {row['genre']} ({meter}, {sharps} sharps, {mode}) | {_fig(row['real'])} | {_fig(row['without']['from_nothing'])} | "
            f"{_fig(row['one note']['from_nothing'])} | {_fig(row['with']['from_nothing'])} | {_fig(row['real_continued'])} | {_fig(row['without']['continued'])} | "
            f"{_fig(row['one note']['continued'])} | {_fig(row['with']['continued'])} |")


def markdown(report: dict) -> str:
    head = ("| genre (default) | real: step, same, >= 4th | from nothing, without | the note before the last | and the one before it | "
            "real continued tunes | continued, without | the note before the last | and the one before it |\n"
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    return "\n".join([head] + [markdown_row(r) for r in report["rows"]])


def main(argv: list[str] | None = None) -> None:
    genres_main(argv, __doc__, run, markdown, 60, "tunes from nothing, and continued tunes, per genre")

if __name__ == "__main__":
    main()
