"""Sampling controls, all optional with defaults that sound musical."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..errors import UsageError

#: written ranges (MIDI) of common instruments, for ``--instrument``
INSTRUMENT_RANGES: dict[str, tuple[int, int]] = {
    "violin": (55, 100),
    "flute": (60, 96),
    "oboe": (58, 91),
    "clarinet": (50, 91),
    "recorder": (72, 98),
    "tin-whistle": (74, 98),
    "voice": (55, 79),
    "soprano": (60, 81),
    "alto": (53, 74),
    "tenor": (48, 69),
    "bass": (40, 64),
    "cello": (36, 76),
    "guitar": (40, 83),
    "piano": (21, 108),
}


@dataclass(frozen=True)
class SamplingOptions:
    """How to sample. ``temperature`` < 1 is safer, > 1 more surprising; ``top_p`` keeps the
    smallest set of tokens holding that much probability; ``seed`` makes a result repeatable."""

    temperature: float = 0.9
    top_k: int = 0
    top_p: float = 0.95
    seed: int | None = None
    stay_in_key: bool = False
    lowest: int | None = None  # MIDI, in the user's key
    highest: int | None = None
    max_leap: int | None = 12  # semitones between consecutive notes
    rest_density: float = 1.0  # multiplies the odds of a rest
    end_on_stable: bool = True  # last note on the tonic (with a phrase plan) or its triad (free)
    #: phrase plan: 'auto' (a layout real tunes of the genre use), 'free' (no plan), or an
    #: explicit layout such as 'AABB' or "AA'BA'" (see generation/form.py)
    form: str = "auto"

    def __post_init__(self) -> None:
        from .form import parse_form

        object.__setattr__(self, "form", parse_form(self.form))
        if not 0.05 <= self.temperature <= 5:
            raise UsageError(f"temperature must be between 0.05 and 5 (got {self.temperature})")
        if self.top_k < 0:
            raise UsageError(f"top-k must be 0 (off) or positive (got {self.top_k})")
        if not 0 < self.top_p <= 1:
            raise UsageError(f"top-p must be in (0, 1] (got {self.top_p})")
        if self.rest_density < 0:
            raise UsageError(f"rest density must be >= 0 (got {self.rest_density})")
        if self.max_leap is not None and self.max_leap < 1:
            raise UsageError(f"longest leap must be at least 1 semitone (got {self.max_leap})")
        for name in ("lowest", "highest"):
            v = getattr(self, name)
            if v is not None and not 0 <= v <= 127:
                raise UsageError(f"{name} pitch must be a MIDI number 0-127 (got {v})")
        if self.lowest is not None and self.highest is not None and self.highest - self.lowest < 5:
            raise UsageError(f"pitch range {self.lowest}-{self.highest} is too narrow (need at least 5 semitones)")

    def to_dict(self) -> dict:
        return asdict(self)


def instrument_range(name: str) -> tuple[int, int]:
    try:
        return INSTRUMENT_RANGES[name.lower()]
    except KeyError:
        raise UsageError(f"unknown instrument '{name}' (choose from {', '.join(INSTRUMENT_RANGES)})") from None


def parse_pitch(text: str | int | None) -> int | None:
    """A MIDI number or a pitch name like C4, F#5, Bb3."""
    if text is None or isinstance(text, int):
        return text
    s = str(text).strip()
    if s.lstrip("-").isdigit():
        return int(s)
    from music21 import pitch

    try:
        return int(pitch.Pitch(s.replace("b", "-") if len(s) > 1 and s[1] == "b" else s).midi)
    except Exception:
        raise UsageError(f"not a pitch: '{text}' (use a name like C4, F#5, Bb3 or a MIDI number)") from None
