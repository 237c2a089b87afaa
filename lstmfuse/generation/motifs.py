"""The passage's own material, favoured when it fits: its bar rhythms and interval figures.

A composer continuing a tune reuses its rhythm cells and melodic turns; a model primed on 64
tokens forgets them within a bar or two. :class:`Motifs` gathers the passage's bar rhythms
(onset and duration of every note starting in a bar, in ticks) and which interval followed
which, and during sampling adds a bonus (in nats, on the model's logits) to the duration that
continues a passage bar rhythm the current bar has followed so far, and to the pitch that
makes an interval the passage used after the interval just played. A bonus, not a rule: the
models still decide, and phrase plans copy whole phrases where the form says so.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ..encoding import vocab as V
from ..encoding.events import NoteEvent
from .ticks import on_grid, to_ticks

#: bonus (nats) for a duration that continues one of the passage's bar rhythms. 1.0 brings 8
#: continued bars nearest the composer's own next 8 bars of 25 real tunes (form_proof's
#: continuation passages): passage bar rhythms reused 0.525 (composer 0.525; 0.582 at 2.0),
#: distinct bar rhythms 4.3 (composer 4.7; 4.0 at 2.0), note-length distance to the passage 0.23
#: (composer 0.21; 0.25 at 2.0)
RHYTHM_BONUS = 1.0
#: bonus (nats) for a pitch making the interval the passage most often played next (others: by share)
INTERVAL_BONUS = 0.8
#: bonus (nats) on top, where the last two intervals are a figure the passage played: for the
#: interval that followed it there (others: by share), so a four-note turn of the passage is
#: completed, not only its two-note steps. The composers' own next 8 bars of the 25 passages of
#: form_proof reuse 0.286 of the passage's three-interval figures (0.192 of its four-interval
#: ones); continued without this bonus 0.178 / 0.141 (seeds 0-2 / 10-12), at 1.6 0.283 / 0.273
#: (four intervals 0.178 / 0.158) with the interval mix as far from the composers' as before
#: (docs/form.md, "The passage's motifs")
FIGURE_BONUS = 1.6
#: per genre, nats for the interval that completes one of a tune from nothing's own earlier
#: three-note figures (one genre only: not in a blend). Sized so that bars 9-16 restate bars 1-8's
#: turns as often as real tunes of the genre do (python -m lstmfuse.evaluation.own_figures);
#: Bach's tunes did so already without it; Scottish is left out for now (docs/form.md, "A tune
#: takes up its own turns": with it the pitch-odds test's Scottish 4/4 comparison fails)
OWN_FIGURE_BONUS: dict[str, float] = {"folk": 2.8, "irish": 2.2, "scottish": 0.0, "bach": 0.0, "palestrina": 1.4}


@dataclass
class Motifs:
    rhythms: list[tuple[tuple[int, int], ...]] = field(default_factory=list)  # per bar: (onset, duration) ticks
    next_interval: dict[int, dict[int, float]] = field(default_factory=dict)  # previous interval -> {next: share}
    next_in_figure: dict[tuple[int, int], dict[int, float]] = field(default_factory=dict)  # last two intervals -> {next: share}

    @classmethod
    def of(cls, events: list[NoteEvent], bar_ticks: int) -> "Motifs":
        bars: dict[int, list[tuple[int, int]]] = defaultdict(list)
        downbeats: set[int] = set()
        unwritable: set[Fraction] = set()  # bars holding a value the models cannot write (a 7-tuplet)
        for e in events:
            if not all(on_grid(q) for q in (e.onset, e.bar_pos, e.duration)):
                unwritable.add(e.onset - e.bar_pos)
                continue
            onset, pos, dur = to_ticks(e.onset), to_ticks(e.bar_pos), to_ticks(e.duration)
            start = onset - pos
            if pos + dur <= bar_ticks:
                bars[start].append((pos, dur))
            else:
                bars[start].append((pos, -1))  # runs over the barline: ends the bar's pattern
            if pos == 0:
                downbeats.add(start)
        skip = {to_ticks(start) for start in unwritable if on_grid(start)}
        rhythms = sorted({tuple(b) for s, b in bars.items() if s in downbeats and s not in skip})
        shares, figures = _interval_follows([e.pitch for e in events if e.pitch is not None])
        return cls(rhythms, shares, figures)

    @classmethod
    def own_figures(cls, pitches: list[int]) -> "Motifs":
        """A tune's own three-note turns so far (no bar rhythms, no two-note steps, no figure
        of repeated notes): a tune from nothing takes them up in its later phrases
        (:meth:`own_pitch_bonus`)."""
        _, figures = _interval_follows(pitches)
        figures.pop((0, 0), None)  # favouring a third same note made runs of five
        return cls([], {}, figures)

    def duration_bonus(self, scores: np.ndarray, bar_so_far: list[tuple[int, int]], pos: int) -> None:
        """Favour durations that keep the current bar on one of the passage's bar rhythms, each
        such duration once: summed over rhythms, the duration most of them share (an eighth in a
        jig or a reel) outweighed the passage's rarer figures, and continuations ran in plain
        eighths beside a passage of sixteenths and dotted figures."""
        k = len(bar_so_far)
        favoured = set()
        for r in self.rhythms:
            if len(r) > k and r[k][0] == pos and list(r[:k]) == bar_so_far:
                tok = _DURATION_TOKEN.get(r[k][1])
                if tok is not None:
                    favoured.add(tok)
        for tok in favoured:
            scores[tok] += RHYTHM_BONUS

    def pitch_bonus(self, scores: np.ndarray, last_interval: int | None, last_pitch: int | None, interval_before: int | None = None) -> None:
        """Favour pitches that make an interval the passage played after ``last_interval``, and
        more where ``interval_before`` and ``last_interval`` are a figure it played."""
        if last_interval is None or last_pitch is None:
            return
        self._add(scores, last_pitch, self.next_interval.get(last_interval, {}), INTERVAL_BONUS)
        if interval_before is not None and FIGURE_BONUS:
            self._add(scores, last_pitch, self.next_in_figure.get((interval_before, last_interval), {}), FIGURE_BONUS)

    def own_pitch_bonus(self, scores: np.ndarray, last_interval: int | None, last_pitch: int | None, interval_before: int | None, bonus: float) -> None:
        """A tune's own figures (:meth:`own_figures`): favour the interval that completed the
        figure just played, keeping the odds of a leap of a fifth or more as the models gave
        them. The figure chooses which step or which leap; the models still choose how often
        the line leaps (without this, Scottish tunes leapt 0.068 of their moves, real 0.081)."""
        if last_interval is None or last_pitch is None or interval_before is None or not bonus:
            return
        shares = self.next_in_figure.get((interval_before, last_interval))
        wide = _WIDE_FROM.get(last_pitch)
        if not shares or wide is None:
            return
        before = _leap_log_odds(scores, wide)
        self._add(scores, last_pitch, shares, bonus)
        after = _leap_log_odds(scores, wide)
        if np.isfinite(before) and np.isfinite(after):  # nan: no leap (or nothing else) to keep
            scores[_PITCH_SLICE][wide] += before - after

    @staticmethod
    def _add(scores: np.ndarray, last_pitch: int, shares: dict[int, float], bonus: float) -> None:
        for step, share in shares.items():
            p = last_pitch + step
            if V.PITCH_LOW <= p <= V.PITCH_HIGH:
                scores[V.pitch_token(p)] += bonus * share


def _interval_follows(pitches: list[int]) -> tuple[dict[int, dict[int, float]], dict[tuple[int, int], dict[int, float]]]:
    """Which interval followed which (shares of the most common), and which followed each pair."""
    steps = np.diff(pitches).tolist() if len(pitches) > 1 else []
    follow: dict[int, Counter] = defaultdict(Counter)
    for a, b in zip(steps, steps[1:]):
        follow[int(a)][int(b)] += 1
    shares = {a: {b: n / max(c.values()) for b, n in c.items()} for a, c in follow.items()}
    figure: dict[tuple[int, int], Counter] = defaultdict(Counter)
    for a, b, c in zip(steps, steps[1:], steps[2:]):
        figure[(int(a), int(b))][int(c)] += 1
    figures = {ab: {c: n / max(cs.values()) for c, n in cs.items()} for ab, cs in figure.items()}
    return shares, figures


#: leaps of this many semitones or more keep the models' odds under the own-figure bonus
WIDE_LEAP = 7
_PITCH_SLICE = slice(V.pitch_token(V.PITCH_LOW), V.pitch_token(V.PITCH_HIGH) + 1)
_PITCHES = np.arange(V.PITCH_LOW, V.PITCH_HIGH + 1)
_WIDE_FROM = {p: np.abs(_PITCHES - p) >= WIDE_LEAP for p in range(V.PITCH_LOW, V.PITCH_HIGH + 1)}


def _leap_log_odds(scores: np.ndarray, wide: np.ndarray) -> float:
    """log(mass of the wide leaps / mass of the other pitches and the rest) under the logits
    ``scores`` (one exp over the pitches: this runs at every note that continues a figure)."""
    pitches = scores[_PITCH_SLICE]
    top = max(float(pitches.max()), float(scores[V.REST]))
    e = np.exp(pitches - top)
    inside = float(e[wide].sum())
    other = float(e.sum()) - inside + float(np.exp(scores[V.REST] - top))
    return float(np.log(inside) - np.log(other)) if inside > 0 and other > 0 else float("nan")


_DURATION_TOKEN = {to_ticks(d): V.duration_token(d) for d in V.DURATIONS}
