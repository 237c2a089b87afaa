"""Structure inputs: what the melody did one and two bars ago, and where the phrase stands.

An LSTM that sees only the last token, the metrical position and the meter forgets what
happened bars ago, so its tunes never return (Eck & Schmidhuber's "lacks global coherence").
Magenta's Lookback RNN answers with inputs that make repetition and phrasing easy to learn;
these are the same idea on this project's tokens. For every step (an input token) the model
also reads:

- ``lookback1`` / ``lookback2``: the token that came next at the same moment of the bar one
  (two) bars ago, in the same slot (a pitch slot after a duration, a duration slot after a
  pitch, rest or tie); ``PAD`` where the melody had nothing starting there;
- ``context``: one id for (does the bar so far repeat the bar one / two bars back, the bar's
  place in its 4-bar phrase, how many bars are left to the end of the piece).

One tracker computes them token by token, for training windows, for held-out scoring and
inside the generation loop alike, so the model sees at generation time exactly what it was
trained on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from . import vocab as V
from .events import meter_bar_length

TICKS_PER_QUARTER = V.TICKS_PER_QUARTER
_DUR_TICKS = V.DURATION_TICKS
PHRASE_BARS = 4

#: repeat states: 0 no bar to compare with, 1 bar so far = one bar back, 2 = two back, 3 neither
N_MATCH = 4
#: phrase place: bar 0..3 of a 4-bar phrase, 4 a pickup bar, 5 unknown
N_PHRASE = 6
PICKUP, PHRASE_UNKNOWN = 4, 5
#: bars left to the end (the current bar excluded): 0, 1, 2, 3, 4-7, 8+, 6 unknown
N_LEFT = 7
LEFT_UNKNOWN = 6
N_CONTEXT = N_MATCH * N_PHRASE * N_LEFT
#: the context id a model reads where nothing is known (no bars, no phrase, no end)
UNKNOWN_CONTEXT = (0 * N_PHRASE + PHRASE_UNKNOWN) * N_LEFT + LEFT_UNKNOWN
UNKNOWN = (V.PAD, V.PAD, UNKNOWN_CONTEXT)


def context_id(match: int, phrase: int, left: int) -> int:
    return (match * N_PHRASE + phrase) * N_LEFT + left


def _left_bucket(bars_left: int | None) -> int:
    if bars_left is None:
        return LEFT_UNKNOWN
    if bars_left < 4:
        return max(bars_left, 0)
    return 4 if bars_left < 8 else 5


def bar_ticks_of(meter: str | None) -> int | None:
    """Bar length in ticks, or None for a meter the models do not know by name."""
    if meter is None or meter not in V.METERS:
        return None
    return int(meter_bar_length(meter) * TICKS_PER_QUARTER)


@dataclass
class StructureTracker:
    """Follows a token stream and gives each step's structure inputs (see module doc).

    ``start`` is the bar position (ticks) of the first event: a start inside the bar is a
    pickup. ``end`` (ticks from the first event) is where the piece ends, if known.
    """

    bar: int | None
    start: int = 0
    end: int | None = None
    time: int | None = None  # ticks from the first bar's downbeat (None: at ``start``)
    slot: int = 0  # 0: next token starts an event (pitch/rest/tie/eos), 1: next is a duration
    #: (bar index, ticks into the bar, slot) -> the token that came next there
    table: dict[tuple[int, int, int], int] = field(default_factory=dict)
    _pending: tuple[int, int, int] | None = None
    _expected: tuple[int, int] = (V.PAD, V.PAD)  # lookbacks of the previous step
    _run: list[bool] = field(default_factory=lambda: [True, True])
    _bar_index: int = 0

    def __post_init__(self) -> None:
        if self.time is None:
            self.time = self.start

    def copy(self) -> "StructureTracker":
        return StructureTracker(
            self.bar, self.start, self.end, self.time, self.slot, dict(self.table), self._pending,
            self._expected, list(self._run), self._bar_index,
        )

    def push(self, token: int) -> tuple[int, int, int]:
        """Read one input token; return (lookback1, lookback2, context) for this step."""
        token = int(token)
        if self._pending is not None:
            self.table[self._pending] = token
        for k in (0, 1):
            self._run[k] = self._run[k] and self._expected[k] == token
        if token >= V.DURATION_BASE:
            self.time += _DUR_TICKS[token - V.DURATION_BASE]
            self.slot = 0
        elif token in (V.BOS, V.EOS, V.PAD):
            self.slot = 0
        else:  # a pitch, a rest or a tie: its duration comes next
            self.slot = 1
        if self.bar is None:
            self._pending = None
            self._expected = (V.PAD, V.PAD)
            return UNKNOWN
        index, pos = divmod(self.time, self.bar)
        if index != self._bar_index:
            self._bar_index = index
            self._run = [True, True]
        key = (index, pos, self.slot)
        self._pending = key
        lb1 = self.table.get((index - 1, pos, self.slot), V.PAD)
        lb2 = self.table.get((index - 2, pos, self.slot), V.PAD)
        self._expected = (lb1, lb2)
        if index < 1:
            match = 0
        elif self._run[0]:
            match = 1
        elif index >= 2 and self._run[1]:
            match = 2
        else:
            match = 3
        pickup = 1 if self.start % self.bar else 0
        phrase = PICKUP if index < pickup else (index - pickup) % PHRASE_BARS
        left = None
        if self.end is not None:
            last_bar = max(self.start + self.end - 1, 0) // self.bar
            left = last_bar - index
        return lb1, lb2, context_id(match, phrase, _left_bucket(left))


def tracker_for(meter: str | None, bar_pos: Fraction, length: Fraction | None) -> StructureTracker:
    """A tracker for a melody in ``meter`` whose first event starts ``bar_pos`` quarters into
    its bar and which lasts ``length`` quarters (None: unknown)."""
    bar = bar_ticks_of(meter)
    start = int(round(bar_pos * TICKS_PER_QUARTER)) % bar if bar else 0
    end = None if length is None else int(round(length * TICKS_PER_QUARTER))
    return StructureTracker(bar, start, end)


def features(tokens: np.ndarray, tracker: StructureTracker) -> np.ndarray:
    """(T, 3) int32 structure inputs for a token sequence read by ``tracker`` (advanced)."""
    out = np.empty((len(tokens), 3), dtype=np.int32)
    for i, tok in enumerate(np.asarray(tokens).tolist()):
        out[i] = tracker.push(tok)
    return out


def piece_features(tokens: np.ndarray, meters: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Structure inputs of one encoded piece (BOS..EOS), from the encoder's own arrays:
    the meter of its first step, the bar position of its first event (the BOS step's
    position) and its length (the sum of its duration tokens)."""
    tokens = np.asarray(tokens)
    if len(tokens) == 0:
        return np.zeros((0, 3), dtype=np.int32)
    meter_index = int(meters[0])
    meter = V.METERS[meter_index] if meter_index < len(V.METERS) else None
    bar_pos = Fraction(int(positions[0]), V.POS_STEPS_PER_QUARTER)
    durs = tokens[tokens >= V.DURATION_BASE] - V.DURATION_BASE
    length = Fraction(int(np.asarray(_DUR_TICKS)[durs].sum()), TICKS_PER_QUARTER)
    return features(tokens, tracker_for(meter, bar_pos, length))
