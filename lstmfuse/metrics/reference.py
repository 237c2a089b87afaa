"""Reference data the metrics judge against, built from the corpora and shipped.

Per genre: a :class:`Profile` (histograms and scalar distributions of the training split)
and an :class:`OriginalityIndex` (its interval strings); for all genres: the style judge
(``judge.npz``, sequence CNNs with the histogram regression; ``lstmfuse metrics``) and the
histogram classifier alone (``style.json``; the proofs, the sweep and the bridge's 'auto' genre).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from ..errors import LstmfuseError
from ..encoding.tokens import normalising_shift
from ..io.atomic import write_bytes_atomic
from ..paths import package_data
from .distances import Profile, reference_profile
from .judge import SequenceJudge
from .originality import OriginalityIndex
from .style import StyleClassifier, train_classifier


def reference_dir() -> Path:
    return package_data() / "reference"


#: meters whose main beat is a dotted quarter
COMPOUND_METERS = ("6/8", "9/8", "12/8")
#: phrase layouts kept per genre in form.json (a seeded sample of the training split)
FORM_LAYOUTS = 2500
_RELATIONS = ("new", "exact", "transposed", "varied")
_CADENCES = ("tonic", "dominant", "other")


#: tunes a meter needs before its own median note stands for the genre's in it
MIN_MEDIAN_TUNES = 20
#: tunes a key signature needs before its own register stands for the genre's in it
MIN_KEY_TUNES = 30


#: the widest move (semitones) form.json's 'approach' counts on its own
APPROACH_SPAN = 12
#: strikes of one pitch at a tune's end counted as a hammered close (form.json 'final_runs')
FINAL_RUN = 4


def build_form_reference(genre: str, pieces: list, seed: int = 0) -> dict:
    """The phrase layouts and final-note lengths of real tunes (training split) that phrase
    plans draw from (generation/form.py); compact rows [relation, source, shift, cadence, end_bars,
    register, breathes, end_last, mid_breathes, mid_last, mid_bars, end_rest, mid_rest] (register: the phrase's mean pitch less
    the tune's, semitones; breathes: 1 if its last bar's longest note outlasts the tune's median
    note; mid_: the same at the end of its first half; metrics.form.phrase_layout). 'written':
    where the tunes lie as written in their own keys (each tune's level with its key signature,
    and per key signature the span of the tunes' lowest and highest notes), which a tune from
    nothing in a given key takes (generation.form.genre_register, draw_tune_level). 'approach':
    how many tunes move onto their last note by each interval (-12..12 semitones, last note less
    the one before; generation.form.genre_approach)."""
    import numpy as np

    from collections import Counter
    from fractions import Fraction

    from .form import closing_run, ending, ends_on_barline, last_bar_completes_pickup, phrase_end_lengthening, phrase_layout, pickup_bars, tonic_pitch_class
    from .pitch import rest_ratio
    from .rhythm import dotted_pair_share

    layouts: list[dict] = []
    finals: dict[str, list[float]] = {}
    # per meter: each tune's pickup (bars; 0: none), and the final notes of tunes whose last bar
    # is the short one that completes their pickup (the written form of a tune with an upbeat)
    pickups: dict[str, Counter] = {}
    pickup_endings: dict[str, Counter] = {}  # tunes with a pickup: last bar 'completes' it, or 'full'
    finals_after_pickup: dict[str, list[float]] = {}
    # per meter and pickup (bars): how often each final length ends the short bar completing it
    # (a final's length means a place in that bar only beside the pickup it completes)
    finals_by_pickup: dict[str, dict[str, Counter]] = {}
    finals_whole_bar: dict[str, list[float]] = {}  # tunes that end on a barline, their last bar whole
    tonic_endings: list[float] = []
    final_degrees: list[int] = []
    final_drops: list[float] = []  # the last note against the tune's mean pitch (semitones)
    first_rises: list[float] = []  # the first note (an upbeat's too) against the tune's mean pitch
    # the move onto the last note (semitones, -12..12; wider ones counted at the edge)
    approach = np.zeros(2 * APPROACH_SPAN + 1, int)
    keys: Counter = Counter()
    rest_shares: list[float] = []
    crossing: dict[str, list[int]] = {}  # compound meter -> [off-beat notes, of them crossing the beat]
    # compound meter -> [notes on a main beat, of them running past the next without ending on one]
    spanning: dict[str, list[int]] = {}
    pitches: list[int] = []  # every note, in the normalised key (C major / A minor)
    tune_means: list[float] = []  # each tune's mean pitch, normalised: the level it lies at
    written_levels: list[list] = []  # [key signature, the tune's mean pitch as written]
    written_ranges: dict[int, list[tuple[int, int]]] = {}  # key signature -> each tune's lowest and highest note
    by_bar: list[list[float]] = [[], [], [], []]  # lengthening of bars 1-4 of the 4-bar grid, per tune
    tune_medians: dict[str, list] = {}  # meter -> each tune's median note (quarters)
    penultimates: dict[str, list] = {}  # meter -> each tune's note before its last (quarters)
    final_runs: dict[str, list[int]] = {}  # meter -> [tunes, of them closing on FINAL_RUN strikes of one pitch]
    for pid, m in pieces:
        keys[f"{m.sharps}:{m.mode or 'major'}"] += 1
        shift = normalising_shift(m.sharps)
        pitches += [e.pitch + shift for e in m.notes]
        if m.notes:
            tune_means.append(round(float(np.mean([e.pitch for e in m.notes])) + shift, 1))
            written_levels.append([m.sharps, round(float(np.mean([e.pitch for e in m.notes])), 1)])
            written_ranges.setdefault(m.sharps, []).append((min(e.pitch for e in m.notes), max(e.pitch for e in m.notes)))
        share = rest_ratio(m)
        if share == share:
            rest_shares.append(share)
        if len({ts for _, ts in m.meters} | {m.meter}) > 1:  # one bar grid per tune
            continue
        if m.meter in COMPOUND_METERS:
            counts = crossing.setdefault(m.meter, [0, 0])
            for e in m.notes:
                off = e.bar_pos % Fraction(3, 2)
                if off:
                    counts[0] += 1
                    counts[1] += off + e.duration > Fraction(3, 2)
            spans = spanning.setdefault(m.meter, [0, 0])
            for e in m.notes:
                if not e.bar_pos % Fraction(3, 2):
                    spans[0] += 1
                    spans[1] += e.duration > Fraction(3, 2) and bool(e.duration % Fraction(3, 2))
        lengths = sorted(e.duration for e in m.notes)
        if lengths:
            tune_medians.setdefault(m.meter, []).append(lengths[len(lengths) // 2])
        if len(m.notes) >= 2:
            penultimates.setdefault(m.meter, []).append(m.notes[-2].duration)
        if m.notes:
            runs = final_runs.setdefault(m.meter, [0, 0])
            runs[0] += 1
            runs[1] += closing_run(m) >= FINAL_RUN
        for k in range(4):
            share = phrase_end_lengthening(m, at=k)
            if share == share:
                by_bar[k].append(share)
        phrases = phrase_layout(m)
        if phrases:
            layouts.append({
                "id": pid, "meter": m.meter,
                "phrases": [[_RELATIONS.index(p["relation"]), p["source"], p["shift"], _CADENCES.index(p["cadence"]), round(p["end_bars"], 4), p["register"], int(p["breathes"]), round(p["end_last"], 4), int(p["mid_breathes"]), round(p["mid_last"], 4), round(p["mid_bars"], 4), round(p["end_rest"], 4), round(p["mid_rest"], 4)] for p in phrases],
                "pickup": round(pickup_bars(m), 4),
                **({"dotted": round(dotted, 3)} if (dotted := dotted_pair_share(m)) else {}),
            })
        end = ending(m)
        pickup = pickup_bars(m)
        pickups.setdefault(m.meter, Counter())[str(round(pickup, 4))] += 1
        short_end = bool(pickup) and last_bar_completes_pickup(m)
        if pickup:
            pickup_endings.setdefault(m.meter, Counter())["completes" if short_end else "full"] += 1
        if end["final_note_bars"] == end["final_note_bars"]:  # not nan
            finals.setdefault(m.meter, []).append(round(end["final_note_bars"], 4))
            if short_end:
                finals_after_pickup.setdefault(m.meter, []).append(round(end["final_note_bars"], 4))
                finals_by_pickup.setdefault(m.meter, {}).setdefault(str(round(pickup, 4)), Counter())[str(round(end["final_note_bars"], 4))] += 1
            elif ends_on_barline(m):  # (until 2026-12-03 also tunes cut short mid-bar, whose
                # tails, placed before a barline, started their finals off the beat)
                finals_whole_bar.setdefault(m.meter, []).append(round(end["final_note_bars"], 4))
            tonic_endings.append(end["ends_on_tonic"])
            final_degrees.append((m.notes[-1].pitch - tonic_pitch_class(m)) % 12)
            final_drops.append(m.notes[-1].pitch - float(np.mean([e.pitch for e in m.notes])))
            first_rises.append(m.notes[0].pitch - float(np.mean([e.pitch for e in m.notes])))
            if len(m.notes) >= 2:
                approach[int(np.clip(m.notes[-1].pitch - m.notes[-2].pitch, -APPROACH_SPAN, APPROACH_SPAN)) + APPROACH_SPAN] += 1
    rng = np.random.default_rng(seed)

    def at_most(values: list) -> list:  # a seeded sample, in order, where there are too many
        return values if len(values) <= FORM_LAYOUTS else [values[i] for i in sorted(rng.choice(len(values), FORM_LAYOUTS, replace=False))]

    layouts = at_most(layouts)
    finals = {k: at_most(v) for k, v in finals.items()}
    finals_after_pickup = {k: at_most(v) for k, v in finals_after_pickup.items()}
    finals_whole_bar = {k: at_most(v) for k, v in finals_whole_bar.items()}  # drawn last: the samples above stay as they were
    tune_means = at_most(tune_means)  # after those: their samples stay as they were
    key_tunes = Counter(k for k, _ in written_levels)
    written_levels = at_most(written_levels)  # last of all, for the same reason
    # where the genre's tunes lie as written, per key signature (generation.form.written_register):
    # as low as its tunes' lowest notes go in 9 tunes of 10, as high as their highest go
    def span(ranges: list[tuple[int, int]]) -> list[int]:
        return [int(np.percentile([lo for lo, _ in ranges], 10)), int(np.percentile([hi for _, hi in ranges], 90))]

    every = [r for rs in written_ranges.values() for r in rs]
    written = {
        "register": span(every) if every else [60, 81],
        "register_by_key": {str(k): span(rs) for k, rs in sorted(written_ranges.items()) if key_tunes[k] >= MIN_KEY_TUNES},
        "levels": written_levels,
    }
    tonic_share = round(float(np.mean(tonic_endings)), 4) if tonic_endings else 1.0
    # the degrees (semitones above the tonic) real tunes end on, those with 3% or more
    degrees = np.bincount(final_degrees, minlength=12) / max(1, len(final_degrees))
    final_degree_shares = {str(d): round(float(v), 4) for d, v in enumerate(degrees) if v >= 0.03}
    typical = [[int(k.split(":")[0]), k.split(":")[1], n] for k, n in keys.most_common(5)]
    p95 = round(float(np.percentile(rest_shares, 95)), 4) if rest_shares else 1.0
    beat_crossing = {k: round(c / n, 4) for k, (n, c) in crossing.items() if n}
    beat_spanning = {k: round(c / n, 4) for k, (n, c) in spanning.items() if n}
    # the register its notes keep to (2nd-98th percentile, normalised MIDI): where a tune
    # started from nothing is written
    register = [int(v) for v in np.percentile(pitches, [2, 98])] if pitches else [60, 81]
    mean_pitch = round(float(np.mean(pitches)), 1) if pitches else 70.0
    # per meter (20 tunes or more), the median of the tunes' median notes: what a phrase end
    # must exceed to breathe in that meter (generation.form.median_note_ticks)
    median_notes = {k: str(sorted(v)[len(v) // 2]) for k, v in tune_medians.items() if len(v) >= MIN_MEDIAN_TUNES}
    # per meter, the median length of the note before the last (generation.form.penultimate_note_ticks)
    penultimate_notes = {k: str(sorted(v)[len(v) // 2]) for k, v in penultimates.items() if len(v) >= MIN_MEDIAN_TUNES}
    return {"genre": genre, "median_notes": median_notes, "phrase_bars": 4, "keys": typical, "rest_share_p95": p95, "beat_crossing": beat_crossing, "beat_spanning": beat_spanning, "register": register, "mean_pitch": mean_pitch, "tune_means": tune_means, "written": written, "lengthening_by_bar": [round(float(np.mean(v)), 3) if v else None for v in by_bar], "layouts": layouts, "final_bars": finals, "pickups": {k: dict(sorted(c.items())) for k, c in pickups.items()}, "pickup_endings": {k: dict(sorted(c.items())) for k, c in pickup_endings.items()}, "final_bars_after_pickup": finals_after_pickup, "final_bars_by_pickup": {k: {p: dict(sorted(c.items())) for p, c in sorted(v.items())} for k, v in finals_by_pickup.items()}, "final_bars_whole_bar": finals_whole_bar, "final_tonic_share": tonic_share, "final_degrees": final_degree_shares, "final_offset": round(float(np.mean(final_drops)), 2) if final_drops else 0.0, "first_offset": round(float(np.mean(first_rises)), 2) if first_rises else 0.0, "approach": approach.tolist(), "penultimate_notes": penultimate_notes, "final_runs": final_runs, "format": "rows: [relation, source, shift, cadence, end_bars, register, breathes, end_last, mid_breathes, mid_last, mid_bars, end_rest, mid_rest]; phrases begin the tune's upbeat ('pickup', bars) before their barlines", "relations": list(_RELATIONS), "cadences": list(_CADENCES)}



def write_form_reference(genres: list[str], root: Path | None = None, out: Path | None = None, seed: int = 0) -> dict:
    """Build and write each genre's form.json; returns layout counts per genre."""
    from ..corpora import load_corpus

    base = out or reference_dir()
    counts = {}
    for g in genres:
        data = build_form_reference(g, load_corpus(g, "train", root), seed)
        (base / g).mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(base / g / "form.json", json.dumps(data, separators=(",", ":")).encode(), force=True)
        counts[g] = len(data["layouts"])
    return counts


def build_reference(genres: list[str], root: Path | None = None, out: Path | None = None, seed: int = 0) -> dict:
    """Profiles, originality indices, phrase layouts (training split), the style classifier and the style judge."""
    from ..corpora import load_corpus

    base = out or reference_dir()
    summary: dict = {}
    write_form_reference(genres, root, out, seed)
    for g in genres:
        train = [m for _, m in load_corpus(g, "train", root)]
        folder = base / g
        folder.mkdir(parents=True, exist_ok=True)
        profile = reference_profile(train, name=g, seed=seed)
        write_bytes_atomic(folder / "profile.json", json.dumps(profile.to_dict()).encode(), force=True)
        index = OriginalityIndex.build(train)
        index.save(folder / "originality.npz", force=True)
        heldout = heldout_originality(index, [m for _, m in load_corpus(g, "test", root)], seed=seed)
        write_bytes_atomic(folder / "heldout_originality.json", json.dumps(heldout, indent=2).encode(), force=True)
        summary[g] = {"train_pieces": len(train), "heldout_originality": heldout}
    clf = train_classifier(genres, root, seed=seed)
    write_bytes_atomic(base / "style.json", json.dumps(clf.to_dict()).encode(), force=True)
    summary["classifier"] = {"heldout_accuracy": clf.heldout_accuracy, "confusion": clf.heldout_confusion, "genres": clf.genres}
    from ..models.judge_train import write_judge  # TensorFlow: imported only to train

    summary["judge"] = write_judge(genres, root, out, seed)["heldout"]
    return summary


def heldout_originality(index: OriginalityIndex, test: list, bars: int = 16, run: int = 16, seed: int = 0) -> dict:
    """How often real held-out tunes (random ``bars``-bar excerpts of the test split) hold a
    ``run``-note stretch found in the training split: the baseline generated tunes must not exceed."""
    import numpy as np

    from .style import excerpt

    rng = np.random.default_rng(seed)
    runs = [index.query(excerpt(m, bars, rng)).longest_run for m in test]
    return {
        "bars": bars,
        "run": run,
        "pieces": len(runs),
        "rate": float(np.mean([r >= run for r in runs])) if runs else None,
        "median_longest_run": float(np.median(runs)) if runs else None,
    }


@functools.cache
def heldout_originality_baseline(genre: str) -> dict:
    p = reference_dir() / genre / "heldout_originality.json"
    if not p.exists():
        raise LstmfuseError(f"no held-out originality baseline for genre '{genre}' (run 'lstmfuse reference build')", p)
    return json.loads(p.read_text())


@functools.cache
def profile(genre: str) -> Profile:
    p = reference_dir() / genre / "profile.json"
    if not p.exists():
        raise LstmfuseError(f"no reference profile for genre '{genre}' (run 'lstmfuse reference build')", p)
    return Profile.from_dict(json.loads(p.read_text()))


@functools.cache
def originality_index(genre: str) -> OriginalityIndex:
    p = reference_dir() / genre / "originality.npz"
    if not p.exists():
        raise LstmfuseError(f"no originality index for genre '{genre}' (run 'lstmfuse reference build')", p)
    return OriginalityIndex.load(p)


@functools.cache
def classifier() -> StyleClassifier:
    """The histogram classifier (``style.json``): a part of the sequence judge, and the
    baseline it is compared with in JUDGE_CARD.md."""
    return StyleClassifier.load()


def judge() -> SequenceJudge:
    """The sequence style judge (``judge.npz``): the style posterior of ``lstmfuse metrics``,
    the proofs (tests/test_fusion.py), the blend and form proofs and the sweep."""
    return SequenceJudge.load()


def known_genres() -> list[str]:
    base = reference_dir()
    return sorted(d.name for d in base.iterdir() if (d / "profile.json").exists()) if base.is_dir() else []
