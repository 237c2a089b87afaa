"""Sampling controls, all optional with defaults that sound musical: declared ONCE here.

Each field of :class:`SamplingOptions` carries, in its metadata, what every edge needs: the
command-line flags and help (``lstmfuse continue/fuse/regenerate`` and the ``batch continue``
and ``batch regenerate`` ops build their options from them: :func:`edge_options`) and the
JSON schema of the bridge's field (``lstmfuse_bridge.protocol`` derives its schema from
:func:`json_schema`). A new control is one field here.
"""

from __future__ import annotations

import functools
import numbers
import re
import typing
from collections.abc import Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any, NamedTuple

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

_MISSING = object()


def _control(default: Any, *flags: str, help: str, schema: dict, edge_type: Any = None, edge_default: Any = _MISSING):
    """A sampling field with what the edges derive from it: CLI ``flags`` and ``help``, the
    bridge's JSON ``schema``, and, where the command line takes another form than the value
    (a pitch name for a MIDI number, 0 for "no limit"), ``edge_type``/``edge_default``."""
    meta = {"flags": flags, "help": help, "schema": schema}
    if edge_type is not None:
        meta["edge_type"] = edge_type
    if edge_default is not _MISSING:
        meta["edge_default"] = edge_default
    return field(default=default, metadata=meta)


_MIDI_OR_NULL = {"type": ["integer", "null"], "minimum": 0, "maximum": 127}


@dataclass(frozen=True)
class SamplingOptions:
    """How to sample. ``temperature`` < 1 is safer, > 1 more surprising; ``top_p`` keeps the
    smallest set of tokens holding that much probability; both govern the note lengths, and
    ``pitch_temperature``/``pitch_top_p`` the pitches and rests; ``seed`` makes a result
    repeatable."""

    temperature: float = _control(
        0.9, "--temperature", "-t", help="Note lengths: below 1 safer, more typical (rhythms return); above 1 more surprising.",
        schema={"type": "number", "minimum": 0.05, "maximum": 5})
    top_k: int = _control(
        0, "--top-k", help="Sample among the k likeliest tokens only (0: off).",
        schema={"type": "integer", "minimum": 0, "maximum": 1000})
    top_p: float = _control(
        0.95, "--top-p", help="Note lengths: sample among the likeliest holding this much probability.",
        schema={"type": "number", "exclusiveMinimum": 0, "maximum": 1})
    #: pitches (and rests) are drawn at the models' own odds by default: tempered like the note
    #: lengths they lost real tunes' leaps and repeated notes more (docs/fusion.md, "Pitches at
    #: the model's own odds")
    pitch_temperature: float = _control(
        1.0, "--pitch-temperature", help="Pitches and rests: 1 the models' own odds (real tunes' leaps); below 1 safer, more stepwise.",
        schema={"type": "number", "minimum": 0.05, "maximum": 5})
    pitch_top_p: float = _control(
        1.0, "--pitch-top-p", help="Pitches and rests: sample among the likeliest holding this much probability (1: all).",
        schema={"type": "number", "exclusiveMinimum": 0, "maximum": 1})
    seed: int | None = _control(
        None, "--seed", help="Random seed: the same seed gives the same result.",
        schema={"type": ["integer", "null"], "minimum": 0, "maximum": 4294967295})
    stay_in_key: bool = _control(
        False, "--stay-in-key", help="Only notes of the key's scale (the key the passage's notes are in, where its signature says another).", schema={"type": "boolean"})
    lowest: int | None = _control(  # MIDI, in the user's key
        None, "--lowest", help="Lowest pitch (name like G3 or MIDI number).", schema=_MIDI_OR_NULL, edge_type=str)
    highest: int | None = _control(
        None, "--highest", help="Highest pitch (name like E6 or MIDI number).", schema=_MIDI_OR_NULL, edge_type=str)
    max_leap: int | None = _control(  # semitones between consecutive notes
        12, "--max-leap", help="Longest leap between notes in semitones (0: no limit).",
        schema={"type": ["integer", "null"], "minimum": 1, "maximum": 48}, edge_type=int)
    rest_density: float = _control(  # multiplies the odds of a rest
        1.0, "--rest-density", help="Multiply the odds of rests (0: no rests, 2: twice as likely).",
        schema={"type": "number", "minimum": 0, "maximum": 10})
    end_on_stable: bool = _control(  # last note on a degree of the tonic triad the genres' tunes end on (a plan) or the tonic triad (free)
        True, "--end-on-stable/--free-ending",
        help="End as the genres' real tunes end, as often as they do: mostly on the tonic, now and then on its 3rd or 5th (folk songs on the 3rd in 13%, Palestrina's parts on the 5th or 3rd in half), the last note as long as theirs; never off the tonic triad; with a layout such as --form AABB always on the tonic, with --form free on the tonic triad. --free-ending: anywhere.", schema={"type": "boolean"})
    #: phrase plan: 'auto' (a layout real tunes of the genre use), 'free' (no plan), or an
    #: explicit layout such as 'AABB' or "AA'BA'" (see generation/form.py)
    form: str = _control(
        "auto", "--form",
        help="Phrase plan: auto (a layout real tunes of the genre use: repeats, half cadences, a closing phrase), "
        "free (no plan), or one letter per 4-bar phrase of the whole tune, the passage's last four phrases first: "
        "AABB, ABAC, AA'BA' (' = same start, new ending).",
        schema={"type": "string", "pattern": "^(auto|free|([A-Z]'*){1,16})$"})
    #: an additive meter's beat groups: 'auto' (the passage's own, generation/beat_groups.py) or
    #: one such as '2+2+3' (eighths of 7/8)
    beats: str = _control(
        "auto", "--beats",
        help="Beat groups: auto (a composite time signature's own, such as 3+2/8; in a 5, 7, 11 or 13 beat meter the "
        "ones the passage's notes fit, else the ones real songs in the meter use most: 5 as 2+3, 7 as 3+2+2), or e.g. "
        "2+2+3 for 7/8, 3+3+2 for 8/8. No note runs over a group's end but onto a later group's start.",
        schema={"type": "string", "pattern": "^(auto|[1-9](\\+[1-9]){1,12})$"})

    def __post_init__(self) -> None:
        from .form import parse_form

        for name, kind in (("temperature", "number"), ("top_p", "number"), ("pitch_temperature", "number"),
                           ("pitch_top_p", "number"), ("rest_density", "number"), ("top_k", "whole"), ("seed", "whole"),
                           ("lowest", "whole"), ("highest", "whole"), ("max_leap", "whole")):
            value = getattr(self, name)
            if value is None and name in ("seed", "lowest", "highest", "max_leap"):
                continue
            whole = isinstance(value, numbers.Integral) and not isinstance(value, bool)
            if not (whole or (kind == "number" and isinstance(value, numbers.Real) and not isinstance(value, bool))):
                raise UsageError(f"{name.replace('_', ' ')} must be a {'whole ' if kind == 'whole' else ''}number (got {value!r})")
            object.__setattr__(self, name, int(value) if whole and kind == "whole" else value)
        if self.seed is not None and not 0 <= self.seed < 2**32:
            raise UsageError(f"seed must be a whole number from 0 to 4294967295 (got {self.seed})")
        for name in ("stay_in_key", "end_on_stable"):
            if type(getattr(self, name)).__name__ not in ("bool", "bool_"):  # numpy's too
                raise UsageError(f"{name.replace('_', ' ')} must be true or false (got {getattr(self, name)!r})")
        if not isinstance(self.form, str):
            raise UsageError(f"form must be text such as auto, free or AABB (got {self.form!r})", about="form")
        object.__setattr__(self, "form", parse_form(self.form))
        if not isinstance(self.beats, str) or not (self.beats == "auto" or re.fullmatch(r"[1-9](\+[1-9]){1,12}", self.beats.strip())):
            raise UsageError(f"beats must be auto or a grouping such as 2+2+3 (got {self.beats!r})", about="beats")
        object.__setattr__(self, "beats", self.beats.strip())
        for name, flag in (("temperature", "temperature"), ("pitch_temperature", "pitch temperature")):
            if not 0.05 <= getattr(self, name) <= 5:
                raise UsageError(f"{flag} must be between 0.05 and 5 (got {getattr(self, name)})")
        if self.top_k < 0:
            raise UsageError(f"top-k must be 0 (off) or positive (got {self.top_k})")
        for name, flag in (("top_p", "top-p"), ("pitch_top_p", "pitch top-p")):
            if not 0 < getattr(self, name) <= 1:
                raise UsageError(f"{flag} must be in (0, 1] (got {getattr(self, name)})")
        if self.rest_density < 0:
            raise UsageError(f"rest density must be >= 0 (got {self.rest_density})")
        if self.max_leap is not None and self.max_leap < 1:
            raise UsageError(f"longest leap must be at least 1 semitone (got {self.max_leap})")
        for name in ("lowest", "highest"):
            v = getattr(self, name)
            if v is not None and not 0 <= v <= 127:
                raise UsageError(f"{name} pitch must be a MIDI number 0-127 (got {v})")
        if self.lowest is not None and self.highest is not None and self.lowest > self.highest:
            raise UsageError(f"the lowest pitch ({self.lowest}) is above the highest ({self.highest}): swap --lowest and --highest", about="range")
        if self.lowest is not None and self.highest is not None and self.highest - self.lowest < 5:
            raise UsageError(f"pitch range {self.lowest}-{self.highest} is too narrow (need at least 5 semitones)", about="range")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_edge(cls, values: Mapping[str, Any]) -> "SamplingOptions":
        """Options from what a command line or recipe gives (:func:`edge_options` names):
        pitch names for ``lowest``/``highest``, an ``instrument`` range filling whichever of
        them is not given, ``max_leap`` 0 for no limit. Missing names keep their defaults."""
        kw = {k: v for k, v in values.items() if k != "instrument" and v is not None}
        for name in ("lowest", "highest"):
            if name in kw:
                kw[name] = parse_pitch(kw[name])
        instrument = values.get("instrument")
        if instrument:
            low, high = instrument_range(instrument)
            kw.setdefault("lowest", low)
            kw.setdefault("highest", high)
        if "max_leap" in kw:
            kw["max_leap"] = kw["max_leap"] or None
        unknown = sorted(set(kw) - {f.name for f in fields(cls)})
        if unknown:
            raise UsageError(f"unknown sampling option(s): {', '.join(unknown)}")
        return cls(**kw)


class EdgeOption(NamedTuple):
    """One sampling control as a command line or a recipe takes it."""

    name: str
    type: Any  # the edge's value type (str for a pitch name), without None
    default: Any
    flags: tuple[str, ...]
    help: str


#: the one control that is not a field: it fills lowest/highest (see SamplingOptions.from_edge)
_INSTRUMENT = EdgeOption("instrument", str, None, ("--instrument",), "Keep to an instrument's range (violin, flute, voice, ...).")


@functools.cache
def edge_options() -> tuple[EdgeOption, ...]:
    """The sampling controls in help order, for the CLI commands and the batch ops."""
    hints = typing.get_type_hints(SamplingOptions)
    out = []
    for f in fields(SamplingOptions):
        meta = f.metadata
        hint = meta.get("edge_type") or hints[f.name]
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        default = meta.get("edge_default", f.default if f.default is not MISSING else None)
        out.append(EdgeOption(f.name, args[0] if args else hint, default, tuple(meta["flags"]), meta["help"]))
        if f.name == "highest":
            out.append(_INSTRUMENT)
    return tuple(out)


def json_schema() -> dict[str, dict]:
    """Field name -> JSON schema of every sampling control (the bridge's option fields)."""
    return {f.name: dict(f.metadata["schema"]) for f in fields(SamplingOptions)}


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
    from ..theory import name_to_midi

    try:
        return name_to_midi(s)
    except UsageError:
        raise UsageError(f"not a pitch: '{text}' (use a name like C4, F#5, Bb3 or a MIDI number)") from None
