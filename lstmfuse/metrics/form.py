"""Form of a melody over many bars: what comes back, where phrases breathe, how it ends.

Bar-to-bar statistics (pitch and rhythm histograms) cannot tell a tune from a string of
idiomatic bars; these can. They are computed the same way for real and generated tunes, so a
generated set is judged against the statistics of real tunes of its genre, never against a
number we chose:

- **recurrence**: the share of 2-bar segments (non-overlapping, from the first full bar) that
  come back later in the tune: exactly, exactly or transposed, or in rhythm only;
- **phrase-end lengthening**: at the ends of 4-bar phrases (bars 4, 8, 12, ...), whether the
  bar's longest note (with the rest after it, a breath) lasts longer than the tune's median note;
- **ending**: whether the last note is the key's tonic, and how long it lasts, in bars;
- **motif reuse** (continuations): the share of the new bars whose rhythm is one of the
  passage's bar rhythms.

A segment is compared as a tuple of (onset, end, pitch) triples relative to its start, notes
sounding into it clipped at its start; two segments "match transposed" when the rhythm and the
rest/note pattern are equal and every pitch differs by the same non-zero interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..encoding.events import Melody, NoteEvent, meter_at, meter_bar_length
from ..errors import LstmfuseError
from ..theory import name_to_midi, tonic_pc

#: bars per phrase for the phrase-end statistics and the phrase plan
PHRASE_BARS = 4
#: bars per segment for recurrence
SEGMENT_BARS = 2

Segment = tuple[tuple[Fraction, Fraction, int | None], ...]


@dataclass(frozen=True)
class BarGrid:
    """Where the full bars of a melody lie: the first downbeat after any pickup, the bar
    length (of the melody's last meter) and how many full bars follow."""

    start: Fraction
    bar: Fraction
    n_bars: int

    def bar_start(self, i: int) -> Fraction:
        return self.start + i * self.bar


def bar_grid(melody: Melody) -> BarGrid:
    bar = meter_bar_length(melody.meter)
    if not melody.events:
        return BarGrid(Fraction(0), bar, 0)
    first = melody.events[0]
    start = first.onset - first.bar_pos + (bar if first.bar_pos else 0)
    n = int((melody.end - start) // bar) if melody.end > start else 0
    return BarGrid(start, bar, n)


def segment(events: list[NoteEvent], a: Fraction, b: Fraction) -> Segment:
    """The events sounding in [a, b) as (onset, end, pitch) relative to ``a``, clipped."""
    out = []
    for e in events:
        if e.end <= a or e.onset >= b:
            continue
        out.append((max(e.onset, a) - a, min(e.end, b) - a, e.pitch))
    return tuple(out)


def rhythm_of(seg: Segment) -> tuple:
    return tuple((on, end, p is None) for on, end, p in seg)


def transposition(x: Segment, y: Segment) -> int | None:
    """The interval that maps ``x`` onto ``y`` (0 = exact), or None if they do not match."""
    if len(x) != len(y) or rhythm_of(x) != rhythm_of(y):
        return None
    shifts = {q - p for (_, _, p), (_, _, q) in zip(x, y) if p is not None}
    if len(shifts) > 1:
        return None
    return shifts.pop() if shifts else 0


def _segments(melody: Melody, bars: int) -> list[Segment]:
    grid = bar_grid(melody)
    return [
        segment(melody.events, grid.bar_start(i), grid.bar_start(i + bars))
        for i in range(0, grid.n_bars - bars + 1, bars)
    ]


def recurrence(melody: Melody, bars: int = SEGMENT_BARS) -> dict[str, float]:
    """Shares of ``bars``-bar segments that come back later (exact / exact or transposed /
    rhythm only); nan for a melody shorter than two segments."""
    segs = [s for s in _segments(melody, bars)]
    if len(segs) < 2:
        nan = float("nan")
        return {"recurrence_exact": nan, "recurrence_transposed": nan, "recurrence_rhythm": nan}
    exact = transposed = rhythm = 0
    for i, s in enumerate(segs):
        later = segs[i + 1 :]
        shifts = [transposition(s, t) for t in later]
        exact += any(k == 0 for k in shifts)
        transposed += any(k is not None for k in shifts)
        rhythm += any(rhythm_of(s) == rhythm_of(t) for t in later)
    n = len(segs)
    return {"recurrence_exact": exact / n, "recurrence_transposed": transposed / n, "recurrence_rhythm": rhythm / n}


def _median_note(melody: Melody) -> Fraction | None:
    durs = sorted(e.duration for e in melody.notes)
    return durs[len(durs) // 2] if durs else None


def phrase_end_span(events: list[NoteEvent], bar_start: Fraction, bar_end: Fraction) -> Fraction | None:
    """The longest note starting in the bar, with the rest after it (a breath) up to the next
    note or the bar's end (the note itself may go on past the bar). The longest, not the last:
    a phrase's last bar often ends with the next phrase's pickup."""
    best = None
    for k, e in enumerate(events):
        if e.pitch is None or not bar_start <= e.onset < bar_end:
            continue
        span = e.duration
        for f in events[k + 1 :]:
            if f.pitch is not None or f.onset >= bar_end:
                break
            span += f.duration
        best = span if best is None else max(best, span)
    return best


def phrase_end_lengthening(melody: Melody, phrase_bars: int = PHRASE_BARS, at: int | None = None) -> float:
    """Share of phrase-final bars (every ``phrase_bars``-th full bar; ``at``: another bar of
    the phrase, 0-based) whose longest note, with its breath, lasts longer than the tune's
    median note."""
    grid = bar_grid(melody)
    median = _median_note(melody)
    hits = []
    for i in range(phrase_bars - 1 if at is None else at, grid.n_bars, phrase_bars):
        span = phrase_end_span(melody.events, grid.bar_start(i), grid.bar_start(i + 1))
        if span is not None and median is not None:
            hits.append(span > median)
    return float(np.mean(hits)) if hits else float("nan")


def phrase_end_other(melody: Melody, phrase_bars: int = PHRASE_BARS) -> float:
    """Share of phrase ends (the last note before each phrase-final barline but the tune's
    last, on the grid that starts phrases at the tune's upbeat) on a degree that is neither the
    tonic nor the dominant's (cadence_kind 'other': the 3rd, 4th, 6th; real folk and Bach
    phrases end so a third of the time)."""
    grid = bar_grid(melody)
    off = upbeat(melody)
    tonic = tonic_pitch_class(melody)
    kinds = []
    for i in range(phrase_bars - 1, grid.n_bars - 1, phrase_bars):
        last = _last_note_in(melody.events, grid.bar_start(i) - off, grid.bar_start(i + 1) - off)
        if last is not None:
            kinds.append(cadence_kind(last.pitch, tonic) == "other")
    return float(np.mean(kinds)) if kinds else float("nan")


def phrase_end_rest(melody: Melody, phrase_bars: int = PHRASE_BARS) -> float | None:
    """Share of the tune's phrase ends (each full phrase of the grid from the upbeat but the
    last, which ends the tune) where a rest follows the cadence note before the next phrase: a
    breath. Held-out Essen songs breathe so at 0.27-0.52 of their phrase ends, fiddle tunes
    seldom (Irish 0.04-0.10); None for a tune of one phrase."""
    ends = [p["end_rest"] > 0 for p in phrase_layout(melody, phrase_bars)[:-1]]
    return float(np.mean(ends)) if ends else None


def tonic_pitch_class(melody: Melody) -> int:
    """The key's tonic: the melody's named tonic if any, else its key signature and mode
    (minor = the relative minor), else the signature's major key."""
    if melody.tonic:
        try:
            return name_to_midi(melody.tonic) % 12
        except LstmfuseError:  # an unreadable tonic name: fall back to the signature
            pass
    return tonic_pc(melody.sharps, "minor" if melody.mode == "minor" else "major")


def ending(melody: Melody) -> dict[str, float]:
    """Whether the last note is the tonic, and its length (with any final rest) in bars."""
    notes = melody.notes
    if not notes:
        return {"ends_on_tonic": float("nan"), "final_note_bars": float("nan")}
    last = notes[-1]
    tail = melody.end - last.onset
    return {
        "ends_on_tonic": float(last.pitch % 12 == tonic_pitch_class(melody)),
        "final_note_bars": float(tail / meter_bar_length(melody.meter)),
    }


def closing_run(melody: Melody) -> int:
    """How many notes at the tune's end strike its last note's pitch (the last note included;
    rests between them do not break the run): 4 or more is a close on one hammered note, which
    real reels, jigs and songs seldom make (docs/form.md, "A run of the final")."""
    notes = melody.notes
    k = 1 if notes else 0
    while k < len(notes) and notes[-1 - k].pitch == notes[-1].pitch:
        k += 1
    return k


def upbeat(melody: Melody) -> Fraction:
    """The tune's upbeat (pickup) in quarters, in the meter it begins in; 0 when it starts on a
    downbeat. (Measured in the meter it ends in, a 5/4 tune's upbeat of three eighths that went
    on in 6/8 came out as -1/2.)"""
    if not melody.events or not melody.events[0].bar_pos:
        return Fraction(0)
    return meter_bar_length(meter_at(melody, melody.events[0].onset)) - melody.events[0].bar_pos


def pickup_bars(melody: Melody) -> float:
    """The tune's upbeat (pickup) as a fraction of a bar; 0 when it starts on a downbeat."""
    return float(upbeat(melody) / meter_bar_length(melody.meter))


def upbeat_restated(melody: Melody, phrase_bars: int = PHRASE_BARS) -> float:
    """In a tune that starts with an upbeat, the share of phrase-final bars (every
    ``phrase_bars``-th full bar but the last) holding a note that starts where the upbeat did:
    the next phrase's own upbeat (real tunes: folk 0.85, Irish 0.91, Scottish 0.86, Bach 0.96).
    nan for a tune without an upbeat or too short for a phrase end."""
    if not melody.events or not melody.events[0].bar_pos:
        return float("nan")
    hits = upbeat_hits(melody, phrase_bars)
    return float(np.mean(hits)) if hits else float("nan")


def upbeat_hits(melody: Melody, phrase_bars: int = PHRASE_BARS, from_bar: int = 0) -> list[bool]:
    """For each phrase-final bar from full bar ``from_bar`` on (the last bar excepted): does a
    note start where the tune's upbeat did (:func:`upbeat_restated`)?"""
    grid = bar_grid(melody)
    at = melody.events[0].bar_pos  # where the upbeat starts inside a bar
    return [
        any(e.pitch is not None and e.onset == grid.bar_start(i) + at for e in melody.events)
        for i in range(phrase_bars - 1, grid.n_bars - 1, phrase_bars) if i >= from_bar
    ]


def last_bar_completes_pickup(melody: Melody) -> bool:
    """Is the tune's last bar short by its pickup (pickup + last bar = one bar), as written
    tunes with an upbeat end?"""
    starts = [e.onset for e in melody.events if e.bar_pos == 0]
    if not starts:
        return False
    bar = meter_bar_length(melody.meter)
    return (melody.end - starts[-1]) + (bar - melody.events[0].bar_pos) == bar


def ends_on_barline(melody: Melody) -> bool:
    """Does the tune end on a barline of its bar grid (its last bar whole, not cut short)?"""
    if not melody.events:
        return False
    origin = melody.events[0].onset - melody.events[0].bar_pos
    return (melody.end - origin) % meter_bar_length(melody.meter) == 0


def bar_rhythms(melody: Melody) -> list[tuple]:
    """The rhythm of every full bar (onset, end, is-rest within the bar)."""
    grid = bar_grid(melody)
    return [rhythm_of(segment(melody.events, grid.bar_start(i), grid.bar_start(i + 1))) for i in range(grid.n_bars)]


def motif_reuse(passage: Melody, continuation: Melody) -> float:
    """Share of the continuation's full bars whose rhythm is one of the passage's bar rhythms."""
    known = set(bar_rhythms(passage))
    mine = bar_rhythms(continuation)
    return float(np.mean([r in known for r in mine])) if mine else float("nan")


def interval_figures(melody: Melody, intervals: int = 3) -> list[tuple[int, ...]]:
    """Every run of ``intervals`` consecutive intervals between notes (rests skipped): the
    melodic turns a composer restates at any pitch."""
    p = [e.pitch for e in melody.notes]
    steps = [b - a for a, b in zip(p, p[1:])]
    return [tuple(steps[i : i + intervals]) for i in range(len(steps) - intervals + 1)]


def figure_reuse(passage: Melody, continuation: Melody, intervals: int = 3) -> float:
    """Share of the continuation's interval figures that the passage played (nan if none)."""
    known = set(interval_figures(passage, intervals))
    mine = interval_figures(continuation, intervals)
    return float(np.mean([f in known for f in mine])) if mine else float("nan")


def halves(melody: Melody, at: int = 8, end: int = 16) -> tuple[Melody, Melody] | None:
    """The melody's first ``at`` bars (with any upbeat) and its bars ``at``..``end`` (fewer where
    it is shorter), to ask whether a tune's second half restates its first; None below 12 bars."""
    grid = bar_grid(melody)
    if grid.n_bars < 12:
        return None
    cut, stop = grid.bar_start(at), grid.bar_start(min(end, grid.n_bars))
    first = melody.with_events([e for e in melody.events if e.onset < cut])
    return first, melody.with_events([e for e in melody.events if cut <= e.onset < stop])


def own_figure_reuse(tunes: list[Melody], intervals: int = 3) -> dict[str, float]:
    """How often bars 9-16 of a tune play its own bars 1-8's interval figures (``own``), beside
    how often they play the next tune's (``cross``: figures any tune of the style shares, scale
    runs and the like): ``gap`` = own - cross is what a tune restates of itself."""
    pairs = [h for h in map(halves, tunes) if h]
    if len(pairs) < 2:
        return {"own": float("nan"), "cross": float("nan"), "gap": float("nan")}
    own = float(np.nanmean([figure_reuse(a, b, intervals) for a, b in pairs]))
    cross = float(np.nanmean([figure_reuse(pairs[i][0], pairs[(i + 1) % len(pairs)][1], intervals) for i in range(len(pairs))]))
    return {"own": round(own, 3), "cross": round(cross, 3), "gap": round(own - cross, 3)}


def distinct_bar_rhythms(melody: Melody) -> int:
    """How many different bar rhythms the melody's full bars have (variety of figures)."""
    return len(set(bar_rhythms(melody)))


def note_length_distance(a: Melody, b: Melody) -> float:
    """Total variation distance between two melodies' note-length histograms (0: the same
    mix of lengths, 1: none in common); nan if either has no notes."""
    from .rhythm import note_length_counts

    ca, cb = note_length_counts(a).astype(float), note_length_counts(b).astype(float)
    if not ca.sum() or not cb.sum():
        return float("nan")
    return 0.5 * float(np.abs(ca / ca.sum() - cb / cb.sum()).sum())


def form_metrics(melody: Melody, passage: Melody | None = None) -> dict[str, float]:
    """Every form statistic of one melody (nan where undefined); with ``passage`` (the music
    the melody continues) also the passage's motif reuse."""
    out = dict(recurrence(melody))
    out["phrase_end_lengthening"] = phrase_end_lengthening(melody)
    # the bar ending a phrase's first half (a chorale's 4 bars are two 2-bar phrases)
    out["half_phrase_lengthening"] = phrase_end_lengthening(melody, at=PHRASE_BARS // 2 - 1)
    out["phrase_end_other"] = phrase_end_other(melody)
    out["phrase_end_rest"] = phrase_end_rest(melody)
    out.update(ending(melody))
    out["closing_run"] = closing_run(melody) if melody.notes else None
    out["pickup_bars"] = pickup_bars(melody)
    out["upbeat_restated"] = upbeat_restated(melody)
    if passage is not None:
        out["motif_reuse"] = motif_reuse(passage, melody)
    return {k: (float("nan") if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)) for k, v in out.items()}


# --- phrase layout: how a real tune's 4-bar phrases relate (what the phrase plan learns) ---

#: scale degrees (semitones above the tonic) that end a phrase on the dominant (a half cadence)
DOMINANT_DEGREES = frozenset({7, 11, 10, 2})


def cadence_kind(pitch: int | None, tonic: int) -> str:
    """'tonic', 'dominant' (5th, 7th, 2nd degree) or 'other' for a phrase's last note."""
    if pitch is None:
        return "other"
    degree = (pitch - tonic) % 12
    return "tonic" if degree == 0 else "dominant" if degree in DOMINANT_DEGREES else "other"


def _last_note_in(events: list[NoteEvent], a: Fraction, b: Fraction) -> NoteEvent | None:
    last = None
    for e in events:
        if e.pitch is not None and a <= e.onset < b:
            last = e
    return last


def _rest_after(note: NoteEvent | None, end: Fraction) -> Fraction:
    """The silence between ``note``'s end and ``end`` (a phrase's breath before the next
    phrase's upbeat); 0 where the note lasts to ``end`` or there is none."""
    return max(Fraction(0), end - (note.onset + note.duration)) if note is not None else Fraction(0)


def phrase_layout(melody: Melody, phrase_bars: int = PHRASE_BARS, offset: Fraction | None = None) -> list[dict]:
    """One entry per full phrase: how it relates to an earlier phrase ('new', 'exact',
    'transposed' by ``shift`` semitones, or 'varied': its first half repeats an earlier
    phrase's, exactly or transposed), how it ends (cadence kind of its last note) and how long
    its last bar's longest note lasts with its breath, in bars; ``register``: the phrase's mean
    pitch less the mean pitch of all the tune's full phrases, in semitones (an Irish tune's second
    strain lies about 3 semitones above its first); ``breathes``: whether that note lasts longer
    than the tune's median note (as phrase_end_lengthening counts a phrase end); ``end_last``:
    from the last note's onset to the phrase's end, in bars (the cadence note and its breath);
    ``mid_breathes``, ``mid_last`` and ``mid_bars`` (as ``end_bars``): the same at the end of the phrase's first half (a
    chorale's 4 bars are two 2-bar phrases, the first ending on a long note). ``end_rest`` and
    ``mid_rest``: the silence after that last note, in bars (a sung phrase breathes before the
    next one).

    ``offset``: phrases begin this long before their barlines; by default the tune's upbeat, as
    a tune that starts with one starts every phrase with one (85-96% of real phrase-final
    bars hold a note at the upbeat's place), so its phrase ends before the next upbeat, not at
    the barline."""
    grid = bar_grid(melody)
    if offset is None:
        offset = upbeat(melody)
    start = lambda k: grid.bar_start(k) - offset  # noqa: E731  (the shifted phrase grid)
    n_phrases = int((melody.end - start(0)) // (phrase_bars * grid.bar)) if melody.events else 0
    tonic = tonic_pitch_class(melody)
    events = melody.events
    median = _median_note(melody)
    half = max(1, phrase_bars // 2)
    phrases: list[Segment] = []
    halves: list[Segment] = []
    out: list[dict] = []
    means: list[float] = []
    counts: list[int] = []
    for i in range(n_phrases):
        a = start(i * phrase_bars)
        b = start((i + 1) * phrase_bars)
        # repeats are found from the barline on: a repeated strain's upbeat often differs
        # from the tune's first (a lead-in from the bar before)
        seg = segment(events, a + offset, b)
        head = segment(events, a + offset, start(i * phrase_bars + half))
        relation, source, shift = "new", None, 0
        for j, (earlier, earlier_head) in enumerate(zip(phrases, halves)):
            k = transposition(earlier, seg)
            if k is not None:
                relation, source, shift = ("exact" if k == 0 else "transposed"), j, k
                if k == 0:
                    break
                continue
            if relation == "new":
                k = transposition(earlier_head, head)
                if k is not None and head:
                    relation, source, shift = "varied", j, k
        last_bar = start((i + 1) * phrase_bars - 1)
        last = _last_note_in(events, last_bar, b)
        span = phrase_end_span(events, last_bar, b)
        mid = start(i * phrase_bars + half)
        mid_note = _last_note_in(events, mid - grid.bar, mid)
        mid_span = phrase_end_span(events, mid - grid.bar, mid)
        phrases.append(seg)
        halves.append(head)
        pitches = [e.pitch for e in events if a <= e.onset < b and e.pitch is not None]
        means.append(float(np.mean(pitches)) if pitches else float("nan"))
        counts.append(len(pitches))
        out.append(
            {
                "relation": relation,
                "source": source,
                "shift": shift,
                "cadence": cadence_kind(last.pitch if last else None, tonic),
                "end_bars": float(span / grid.bar) if span is not None else 0.0,
                "breathes": span is not None and median is not None and span > median,
                "end_last": float((b - last.onset) / grid.bar) if last else 0.0,
                "mid_breathes": mid_span is not None and median is not None and mid_span > median,
                "mid_last": float((mid - mid_note.onset) / grid.bar) if mid_note else 0.0,
                "mid_bars": float(mid_span / grid.bar) if mid_span is not None else 0.0,
                "end_rest": float(_rest_after(last, b) / grid.bar),
                "mid_rest": float(_rest_after(mid_note, mid) / grid.bar),
            }
        )
    total = sum(counts)
    centre = sum(m * c for m, c in zip(means, counts) if c) / total if total else 0.0
    for entry, m in zip(out, means):
        entry["register"] = round(m - centre, 1) if m == m else 0.0
    return out
