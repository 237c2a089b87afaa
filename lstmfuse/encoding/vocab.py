"""The token vocabulary shared by every model (genre models and fusion alike).

One vocabulary for all genres means next-token distributions can be combined by weight.
Layout: specials, REST, pitches in the normalised key (MIDI 33..96), durations.
"""

from __future__ import annotations

from fractions import Fraction as F

PAD, BOS, EOS, TIE, REST = 0, 1, 2, 3, 4
SPECIAL_NAMES = ("<pad>", "<bos>", "<eos>", "<tie>", "rest")

PITCH_LOW, PITCH_HIGH = 33, 96  # A1..C7 after key normalisation
PITCH_BASE = 5
N_PITCHES = PITCH_HIGH - PITCH_LOW + 1

#: Durations (quarter lengths) that get their own token. Longer or odd values are written
#: as a sum joined by <tie> tokens (e.g. 5 = 4 <tie> 1), so tied notes stay one event.
DURATIONS: tuple[F, ...] = (
    F(1, 12), F(1, 8), F(1, 6), F(1, 5), F(1, 4), F(1, 3), F(3, 8), F(2, 5), F(1, 2),
    F(2, 3), F(3, 4), F(1), F(4, 3), F(3, 2), F(7, 4), F(2), F(3), F(4), F(6), F(8),
    F(12), F(16),
)
#: integer time: one tick = 1/120 quarter, the least common multiple of the durations
#: denominators (12, 8, 5), so every duration and every sum of them is a whole number of ticks
TICKS_PER_QUARTER = 120
DURATION_TICKS: tuple[int, ...] = tuple(int(d * TICKS_PER_QUARTER) for d in DURATIONS)
assert all(d * TICKS_PER_QUARTER == t for d, t in zip(DURATIONS, DURATION_TICKS)), "a duration is off the tick grid"
DURATION_BASE = PITCH_BASE + N_PITCHES
VOCAB_SIZE = DURATION_BASE + len(DURATIONS)

_DUR_INDEX = {d: i for i, d in enumerate(DURATIONS)}

#: Meters the models know by name; anything else maps to METER_OTHER.
METERS = ("4/4", "3/4", "2/4", "6/8", "9/8", "12/8", "3/2", "2/2", "3/8", "4/2", "6/4", "5/4", "2/1")
METER_OTHER = len(METERS)
N_METERS = len(METERS) + 1

#: metrical position feature: current time within the bar on a 1/12-quarter grid
POS_STEPS_PER_QUARTER = 12
N_POSITIONS = 96 + 1  # last bin = "beyond 8 quarters into the bar"


def pitch_token(midi: int) -> int:
    """Token of a MIDI pitch in the normalised key; out-of-range pitches fold by octaves."""
    while midi < PITCH_LOW:
        midi += 12
    while midi > PITCH_HIGH:
        midi -= 12
    return PITCH_BASE + midi - PITCH_LOW


def token_pitch(token: int) -> int:
    return PITCH_LOW + token - PITCH_BASE


def duration_token(d: F) -> int | None:
    i = _DUR_INDEX.get(d)
    return None if i is None else DURATION_BASE + i


def token_duration(token: int) -> F:
    return DURATIONS[token - DURATION_BASE]


def is_pitch(token: int) -> bool:
    return token == REST or PITCH_BASE <= token < DURATION_BASE


def is_duration(token: int) -> bool:
    return DURATION_BASE <= token < VOCAB_SIZE


def meter_id(meter: str) -> int:
    try:
        return METERS.index(meter)
    except ValueError:
        return METER_OTHER


def position_id(pos_in_bar: F) -> int:
    steps = round(pos_in_bar * POS_STEPS_PER_QUARTER)
    return min(max(steps, 0), N_POSITIONS - 1)


def token_name(token: int) -> str:
    if token < len(SPECIAL_NAMES):
        return SPECIAL_NAMES[token]
    if is_pitch(token):
        return f"p{token_pitch(token)}"
    if is_duration(token):
        return f"d{token_duration(token)}"
    return f"<{token}?>"
