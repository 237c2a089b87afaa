"""Does a tune stop at home? Real tunes' last notes, and ours, against the tonic triad.

A tune's plan draws the degree of its last note from the genre's real tunes (form.json
``final_degrees``, measured from the tonic the source names). Some real tunes' written last
notes lie off the tonic triad; this asks what those notes are, with no judge of ours:

- **real**: each held-out tune (test and valid splits) is classed by its last note against its
  written key (the tonic, the triad, or off it), and for each class: how often music21's
  Krumhansl-Kessler analysis of the notes before the last bar reads the last note as its key's
  tonic, on its triad, or off it (an independent key reading), and the share of last notes shorter
  than a quarter (a note that leads back into a repeat, not a final).
- **ours**: ``n`` tunes from nothing in the genre's default meter and key (seeds ``seed``..) and
  the first 8 bars of ``n`` held-out tunes continued by 8, with the final drawn among every
  degree real tunes end on (as before 2026-12-04) and among the triad's only (``form.HOME_DEGREES``),
  side by side in one process: the share ending off the written key's triad, and the
  Krumhansl-Kessler classes of the whole tune.

Run: ``python -m lstmfuse.evaluation.final_home --n 60 -o docs/final_home.json`` (after
``lstmfuse corpus build``; about 2 minutes on 2 cores). docs/form.md, "A tune stops at home".
"""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager

from ..corpora import load_corpus
from ..encoding.events import Melody
from ..generation import continuation, form
from ..generation.form import typical_meter_and_key
from ..generation.options import SamplingOptions
from ..metrics.form import tonic_pitch_class
from ..theory import tonic_pc
from .endings import CONTINUED_BARS, PASSAGE_BARS, held_out
from .proof_cli import genres_main

CLASSES = ("tonic", "triad", "off")


def _triad(tonic: int, minor: bool) -> set[int]:
    return {tonic, (tonic + (3 if minor else 4)) % 12, (tonic + 7) % 12}


def written_class(m: Melody, tonic: int | None = None) -> str | None:
    """The last note against the written key (its named tonic, else the signature's major or
    minor one): 'tonic', 'triad' (its 3rd, major or minor, as a Picardy third ends a minor piece,
    or its 5th: ``form.HOME_DEGREES``) or 'off'."""
    if not m.notes:
        return None
    tonic = tonic_pitch_class(m) if tonic is None else tonic
    degree = (m.notes[-1].pitch - tonic) % 12
    return "tonic" if degree == 0 else ("triad" if degree in (3, 4, 7) else "off")


def heard_class(m: Melody) -> str | None:
    """The last note against the key music21's Krumhansl-Kessler analysis reads from the notes
    before the last bar: 'tonic', 'triad' or 'off'; None for fewer than 6 such notes."""
    from music21 import analysis, note, stream

    notes = m.notes
    if len(notes) < 8:
        return None
    last_bar = notes[-1].onset - notes[-1].bar_pos
    s = stream.Stream()
    for e in notes:
        if e.onset < last_bar:
            s.append(note.Note(e.pitch, quarterLength=float(e.duration)))
    if len(s.notes) < 6:
        return None
    key = analysis.discrete.KrumhanslKessler().getSolution(s)
    tonic, last = key.tonic.pitchClass, notes[-1].pitch % 12
    return "tonic" if last == tonic else ("triad" if last in _triad(tonic, key.mode == "minor") else "off")


def _shares(classes: list[str | None]) -> dict:
    c = Counter(x for x in classes if x)
    n = sum(c.values())
    return {"n": n, **{k: round(c[k] / n, 3) if n else None for k in CLASSES}}


def real_finals(genre: str) -> dict:
    """Per written class of the held-out tunes: their count, their key-analysis classes, and the
    share of last notes shorter than a quarter."""
    tunes = [m for split in ("test", "valid") for _, m in load_corpus(genre, split) if len(m.notes) >= 8]
    out = {}
    for cls in CLASSES:
        group = [m for m in tunes if written_class(m) == cls]
        out[cls] = {"tunes": len(group), "share": round(len(group) / len(tunes), 3) if tunes else None,
                    "heard": _shares([heard_class(m) for m in group]),
                    "shorter_than_a_quarter": round(sum(m.notes[-1].duration < 1 for m in group) / len(group), 3) if group else None}
    return out


@contextmanager
def every_degree():
    """The final drawn among every degree real tunes end on (before 2026-12-04)."""
    kept = form.HOME_DEGREES
    form.HOME_DEGREES = frozenset(range(12))
    try:
        yield
    finally:
        form.HOME_DEGREES = kept


@contextmanager
def _as_is():
    yield


def ours(genre: str, n: int, seed: int, passages: list[Melody]) -> dict:
    meter, sharps, mode = typical_meter_and_key(genre)
    new = [continuation.continue_melody(None, bars=16, genre=genre, meter=meter, sharps=sharps, mode=mode,
                                        options=SamplingOptions(seed=seed + i)).melodies[0] for i in range(n)]
    whole = []
    written = []
    for i, p in enumerate(passages):
        more = continuation.continue_melody(p, bars=CONTINUED_BARS, genre=genre, options=SamplingOptions(seed=seed + i))
        tune = p.with_events(p.events + more.melodies[0].events)
        whole.append(tune)
        # against the key the passage is read in (its named tonic; its notes' key where the
        # signature writes another)
        key = more.settings.get("key_of_notes")
        written.append(written_class(tune) if key is None else written_class(tune, tonic_pc(key["sharps"], key["mode"])))
    return {"from_nothing": {"written": _shares([written_class(m) for m in new]), "heard": _shares([heard_class(m) for m in new])},
            "continued": {"written": _shares(written), "heard": _shares([heard_class(m) for m in whole])}}


def passages_of(genre: str, n: int) -> list[Melody]:
    """The first 8 bars of up to ``n`` held-out tunes (as the endings proof cuts them)."""
    out = []
    for m in held_out(genre, n):
        first = next(e.onset for e in m.events if e.bar_pos == 0)
        out.append(m.with_events([e for e in m.events if e.onset < first + PASSAGE_BARS * m.bar_length]))
    return out


def run(genres: list[str], n: int = 60, seed: int = 0) -> dict:
    rows = []
    for g in genres:
        passages = passages_of(g, n)
        row = {"genre": g, "default": list(typical_meter_and_key(g)), "real": real_finals(g)}
        for name, ctx in (("every degree", every_degree), ("triad", _as_is)):
            with ctx():
                row[name] = ours(g, n, seed, passages)
        rows.append(row)
        print(markdown_row(row), flush=True)
    return {"n": n, "seed": seed, "rows": rows}


def markdown_row(row: dict) -> str:
    r = row["real"]
    real = "; ".join(f"{c} {r[c]['share']:.3f}: heard {r[c]['heard']['tonic']:.2f} / {r[c]['heard']['triad']:.2f} / "
                     f"{r[c]['heard']['off']:.2f}, short {r[c]['shorter_than_a_quarter']:.2f}" for c in CLASSES if r[c]["tunes"])

    def off(v: dict, part: str) -> str:
        return f"{v[part]['written']['off']:.3f} ({v[part]['heard']['off']:.2f})"

    return (f"| {row['genre']} | {real} | {off(row['every degree'], 'from_nothing')} -> {off(row['triad'], 'from_nothing')} | "
            f"{off(row['every degree'], 'continued')} -> {off(row['triad'], 'continued')} |")


def markdown(report: dict) -> str:
    head = ("| genre | real held-out tunes, by their last note against the written key: share; music21's key reading "
            "tonic / triad / off; last note shorter than a quarter | from nothing: off the triad, every degree -> triad "
            "(key reading off) | continued: the same |\n| --- | --- | --- | --- |")
    return "\n".join([head] + [markdown_row(r) for r in report["rows"]])


def main(argv: list[str] | None = None) -> None:
    genres_main(argv, __doc__, run, markdown, 60, "tunes from nothing, and continued tunes, per genre")


if __name__ == "__main__":
    main()
