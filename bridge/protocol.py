"""Requests in, answers out: validation against protocol.schema.json plus the checks a schema
cannot express, and the conversions between MuseScore's view (ticks, whole-note fractions,
tonal pitch classes) and lstmfuse's (quarter lengths, music21 spellings).

Every problem is a :class:`ProtocolError` that names the offending field.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from fractions import Fraction
from importlib import resources
from typing import Any

from lstmfuse import GenreWeights
from lstmfuse.encoding.events import Melody, NoteEvent, meter_bar_length
from lstmfuse.errors import LstmfuseError
from lstmfuse.generation.form import TunePosition
from lstmfuse.generation.options import json_schema as sampling_schema
from lstmfuse.theory import name_to_midi, name_to_tpc, tpc_to_name

from . import PROTOCOL_VERSION
from .notation import DIVISION, frac_str

__all__ = ["ProtocolError", "Request", "check_schema", "name_to_midi", "name_to_tpc", "parse_request", "schema", "tpc_to_name"]
MAX_SELECTION_WHOLE = Fraction(512)  # longest selection we accept (512 whole notes)
MAX_EVENT_WHOLE = Fraction(64)


class ProtocolError(Exception):
    """A request the bridge refuses; becomes a JSON error naming ``field``."""

    def __init__(self, message: str, field: str | None = None, code: str = "invalid_field", status: int = 400):
        self.message = " ".join(str(message).split())
        self.field = field
        self.code = code
        self.status = status
        super().__init__(self.message)

    def to_json(self) -> dict:
        return {"protocol": PROTOCOL_VERSION, "ok": False, "error": {"code": self.code, "field": self.field, "message": self.message}}


@functools.cache
def schema() -> dict:
    """protocol.schema.json with the sampling options' fields derived from their one
    declaration (``SamplingOptions``); tests/test_bridge_protocol.py keeps the published file
    equal to this (:func:`write_schema` rewrites it after a new control)."""
    text = resources.files("lstmfuse_bridge").joinpath("protocol.schema.json").read_text(encoding="utf-8")
    full = json.loads(text)
    full["$defs"]["optionFields"]["properties"].update(sampling_schema())
    return full


def write_schema(path) -> None:
    """Write the derived schema (for bridge/protocol.schema.json after a new sampling control)."""
    from pathlib import Path

    text = json.dumps(schema(), indent=2, ensure_ascii=False)
    Path(path).write_text(text + "\n", encoding="utf-8")


@functools.cache
def _validator(ref: str):
    """The schema's validator, with "integer" meaning a JSON number written without a fraction
    part: JSON Schema lets 2.0 pass as an integer, and ``"bars": 2.0`` then failed deep in
    generation (an HTTP 500) where a 400 naming the field belongs."""
    from jsonschema import Draft202012Validator, validators

    def whole(checker, instance) -> bool:  # noqa: ARG001
        return isinstance(instance, int) and not isinstance(instance, bool)

    strict = validators.extend(Draft202012Validator, type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", whole))
    full = schema()
    sub = {"$schema": full["$schema"], "$defs": full["$defs"], "$ref": f"#/$defs/{ref}"}
    return strict(sub)


def _path(parts) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(body)"


def check_schema(doc: Any, ref: str = "request") -> None:
    """Raise ProtocolError for the first (deepest-path) schema violation."""
    errors = sorted(_validator(ref).iter_errors(doc), key=lambda e: (-len(e.absolute_path), str(e.absolute_path)))
    if errors:
        err = errors[0]
        msg = err.message
        if len(msg) > 300:
            msg = msg[:300] + "..."
        raise ProtocolError(msg, _path(err.absolute_path))


def check_version(doc: Any) -> None:
    if not isinstance(doc, dict):
        raise ProtocolError("the request must be a JSON object", None)
    v = doc.get("protocol")
    if v is None:
        raise ProtocolError(f"missing protocol version (this bridge speaks version {PROTOCOL_VERSION})", "protocol")
    if not isinstance(v, int) or isinstance(v, bool):
        raise ProtocolError("protocol must be an integer", "protocol")
    if v < PROTOCOL_VERSION:
        raise ProtocolError(
            f"the plugin speaks bridge protocol {v} but lstmfuse speaks {PROTOCOL_VERSION}: update the plugin "
            "(lstmfuse plugin install) and restart MuseScore",
            "protocol", code="protocol_too_old", status=409,
        )
    if v > PROTOCOL_VERSION:
        raise ProtocolError(
            f"the plugin speaks bridge protocol {v} but this lstmfuse speaks {PROTOCOL_VERSION}: update lstmfuse "
            "(pip install -U lstmfuse), then restart the bridge",
            "protocol", code="protocol_too_new", status=409,
        )


def parse_fraction(text: str, field: str, *, positive: bool = False) -> Fraction:
    try:
        f = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise ProtocolError(f"not a fraction: '{text}'", field) from None
    if positive and f <= 0:
        raise ProtocolError("must be greater than 0", field)
    return f


@dataclass
class Request:
    kind: str  # "continue" or "fuse"
    passage: Melody | None
    meter: str
    sharps: int
    mode: str | None
    start_tick: int
    bar_pos: Fraction  # whole notes
    end_bar_pos: Fraction | None  # whole notes, where the selection ends in its bar (if the client says)
    position: TunePosition | None  # where the selection stands in the score's phrase grid (if the client says)
    length: Fraction  # selection length, whole notes
    options: dict
    genre: str | None
    weights: GenreWeights | None
    tuplets: bool
    client: dict
    gap: tuple[int, int] | None = None  # /regenerate: the replaced bars, [start_tick, end_tick)

    def gap_quarters(self) -> tuple[Fraction, Fraction]:
        """The gap in quarters from the selection start (the passage's time axis)."""
        assert self.gap is not None
        a, b = self.gap
        return Fraction(a - self.start_tick, DIVISION), Fraction(b - self.start_tick, DIVISION)


def _position(sel: dict, bar_w: Fraction) -> TunePosition | None:
    """The selection's place in the score's phrase grid, from its optional ``bars_before`` and
    ``upbeat`` (None when the client sends neither: the selection begins a phrase)."""
    if "bars_before" not in sel and "upbeat" not in sel:
        return None
    upbeat = parse_fraction(sel.get("upbeat", "0"), "selection.upbeat")
    if upbeat >= bar_w:
        raise ProtocolError(f"an upbeat of {sel['upbeat']} whole notes is not shorter than a bar of {sel['meter']}", "selection.upbeat")
    _ticks(upbeat, "selection.upbeat")
    return TunePosition(int(sel.get("bars_before", 0)), upbeat * 4)


def _barlines(sel: dict, bar_pos: Fraction, bar_w: Fraction) -> list[tuple[int, Fraction]]:
    """(tick, bar position in quarters) from the selection's start and its ``barlines``, in order."""
    marks = [(int(sel["start_tick"]), bar_pos * 4)]
    for i, b in enumerate(sel["barlines"]):
        where = f"selection.barlines[{i}]"
        pos = parse_fraction(b["bar_pos"], f"{where}.bar_pos")
        if pos >= bar_w:
            raise ProtocolError(f"{b['bar_pos']} is not inside a bar of {sel['meter']}", f"{where}.bar_pos")
        if b["tick"] <= marks[-1][0]:
            raise ProtocolError("barlines must lie after the selection's start, in order", f"{where}.tick")
        marks.append((int(b["tick"]), pos * 4))
    return marks


def _bar_pos_at(marks: list[tuple[int, Fraction]], tick: int) -> Fraction:
    """The bar position (quarters) of ``tick``: its distance from the last barline at or before
    it, as a file's reader counts it (music21's offset in its measure). In a bar longer than the
    meter's (an overfull bar, a bar of another meter) it runs past the meter's bar: the engine reads
    the bar's rhythm as the file's bar, so that MuseScore and ``lstmfuse continue`` continue
    the same score alike (taken modulo the meter, O'Neill's 5 parted from the file's at its
    second new note)."""
    start, pos = marks[0]
    for mark_tick, mark_pos in marks:
        if mark_tick > tick:
            break
        start, pos = mark_tick, mark_pos
    return pos + Fraction(tick - start, DIVISION)


def parse_request(doc: Any, kind: str) -> Request:
    """Validate a /continue, /fuse or /regenerate body (already JSON-decoded)."""
    check_version(doc)
    check_schema(doc, "regenerateRequest" if kind == "regenerate" else "request")
    sel = doc["selection"]
    opts = doc["options"]
    meter = sel["meter"]
    bar_w = meter_bar_length(meter) / 4
    bar_pos = parse_fraction(sel["bar_pos"], "selection.bar_pos")
    if bar_pos >= bar_w:
        raise ProtocolError(f"{sel['bar_pos']} is not inside a bar of {meter}", "selection.bar_pos")
    _ticks(bar_pos, "selection.bar_pos")
    end_bar_pos = None
    if "end_bar_pos" in sel:
        end_bar_pos = parse_fraction(sel["end_bar_pos"], "selection.end_bar_pos")
        if end_bar_pos >= bar_w:
            raise ProtocolError(f"{sel['end_bar_pos']} is not inside a bar of {meter}", "selection.end_bar_pos")
        _ticks(end_bar_pos, "selection.end_bar_pos")
    position = _position(sel, bar_w)
    events: list[NoteEvent] = []
    t = Fraction(0)
    bar_q = meter_bar_length(meter)
    pending_tie = False
    for i, ev in enumerate(sel["events"]):
        where = f"selection.events[{i}]"
        d = parse_fraction(ev["duration"], f"{where}.duration", positive=True)
        if d > MAX_EVENT_WHOLE:
            raise ProtocolError(f"an event of {ev['duration']} whole notes is too long (at most {MAX_EVENT_WHOLE})", f"{where}.duration")
        _ticks(d, f"{where}.duration")
        rest = ev["rest"]
        pitch = None if rest else ev["pitch"]
        spelling = None
        if not rest:
            if "tpc" in ev:
                spelling = tpc_to_name(ev["tpc"], pitch)
            elif "name" in ev:
                spelling = ev["name"].replace("b", "-") if len(ev["name"]) > 1 else ev["name"]
        onset_q, dur_q = t * 4, d * 4
        if pending_tie and events and not rest and events[-1].pitch == pitch:
            last = events[-1]
            events[-1] = NoteEvent(last.pitch, last.onset, last.duration + dur_q, last.bar_pos, last.spelling)
        else:
            events.append(NoteEvent(pitch, onset_q, dur_q, (bar_pos * 4 + onset_q) % bar_q, spelling))
        pending_tie = bool(ev.get("tie_next")) and not rest
        t += d
        if t > MAX_SELECTION_WHOLE:
            raise ProtocolError(f"the selection is longer than {MAX_SELECTION_WHOLE} whole notes", "selection.events")
    if not events and (end_bar_pos if end_bar_pos is not None else bar_pos) != 0:
        raise ProtocolError("an empty selection must start at a barline", "selection.bar_pos")
    if end_bar_pos is not None and events:
        # Place the bars from the end: irregular bars inside the selection do not shift the continuation.
        total_q = t * 4
        events = [NoteEvent(e.pitch, e.onset, e.duration, (end_bar_pos * 4 - (total_q - e.onset)) % bar_q, e.spelling) for e in events]
    if sel.get("barlines") and events:
        # Before the last barline, each note from the barline before it, as the score bars it: a
        # strain's short last bar or an overfull bar inside the selection leaves the notes on
        # their beats (placed from the end alone, every note before such a bar was off its beat:
        # O'Neill's 5 in MuseScore, 52 of 54 notes). The last bar stays placed from the end, where
        # the continuation is written.
        marks = _barlines(sel, bar_pos, bar_w)
        last = marks[-1][0] if end_bar_pos is not None else None
        events = [e if last is not None and sel["start_tick"] + int(e.onset * DIVISION) >= last else
                  NoteEvent(e.pitch, e.onset, e.duration, _bar_pos_at(marks, sel["start_tick"] + int(e.onset * DIVISION)), e.spelling)
                  for e in events]
    at_tick = doc["gap"]["start_tick"] if kind == "regenerate" else None
    sharps, mode, key_span = _key_in_force(sel, t, at_tick)
    signatures = [(Fraction(c["tick"] - sel["start_tick"], DIVISION), c["fifths"]) for c in sel["key"].get("changes") or []]
    passage = Melody(events, meter=meter, sharps=sharps, mode=mode, source="musescore", key_span=key_span,
                     signatures=signatures if key_span != (0, None) else [], first_bar=sel.get("first_bar")) if events else None
    genre = opts.get("genre")
    weights = _weights(opts.get("weights"))
    if kind == "fuse":
        if weights is None:
            raise ProtocolError("/fuse needs options.weights (genre name -> weight)", "options.weights")
        if genre is not None:
            raise ProtocolError("/fuse takes options.weights, not options.genre", "options.genre")
    elif (genre is None) == (weights is None):
        raise ProtocolError("give exactly one of options.genre or options.weights", "options.genre")
    client = doc.get("client", {})
    start_tick = sel["start_tick"]
    if start_tick + _ticks(t, "selection.events") > 2**31 - 1:
        raise ProtocolError("the selection ends past the last tick MuseScore can address", "selection.start_tick")
    req = Request(
        kind=kind, passage=passage, meter=meter, sharps=sharps, mode=mode, start_tick=start_tick, bar_pos=bar_pos, end_bar_pos=end_bar_pos,
        position=position,
        length=t, options=opts, genre=genre, weights=weights, tuplets=bool(client.get("tuplets", False)), client=client,
    )
    if kind == "regenerate":
        req.gap = _check_gap(doc["gap"], req)
    return req


def _key_in_force(sel: dict, length: Fraction, at_tick: int | None) -> tuple[int, str | None, tuple[Fraction, Fraction | None]]:
    """The signature the new notes go in, its mode, and the quarters of the selection it holds
    for (``Melody.key_span``): the one in force at the selection's end for /continue and /fuse,
    at the gap's start (``at_tick``) for /regenerate. Without ``key.changes``, ``key.fifths``
    holds for the whole selection. A selection across a key change was checked for the key of
    its notes with all of them, so bars in the old key could move the new ones into a third."""
    key = sel["key"]
    changes = key.get("changes")
    if not changes:
        return key["fifths"], key.get("mode"), (Fraction(0), None)
    start, end = sel["start_tick"], sel["start_tick"] + _ticks(length, "selection.events")
    if changes[0]["tick"] != start:
        raise ProtocolError(f"the first key change must be at the selection's start (tick {start}), not {changes[0]['tick']}", "selection.key.changes[0].tick")
    for i, (a, b) in enumerate(zip(changes, changes[1:]), start=1):
        if b["tick"] <= a["tick"] or b["tick"] >= max(end, start + 1):
            raise ProtocolError(f"key change at tick {b['tick']} is not after the one before it and inside the selection (ticks {start}-{end})", f"selection.key.changes[{i}].tick")
    if changes[-1]["fifths"] != key["fifths"]:
        raise ProtocolError(f"the last key change says {changes[-1]['fifths']} fifths, key.fifths {key['fifths']}", "selection.key.changes")
    where = end if at_tick is None else min(max(at_tick, start), end)
    k = max(i for i, c in enumerate(changes) if c["tick"] <= where) if at_tick is not None else len(changes) - 1
    since = Fraction(changes[k]["tick"] - start, DIVISION)
    until = Fraction(changes[k + 1]["tick"] - start, DIVISION) if k + 1 < len(changes) else None
    mode = key.get("mode") if k == len(changes) - 1 else None  # the mode is the end key's
    return changes[k]["fifths"], mode, (since, until)


def _weights(raw: dict | None) -> GenreWeights | None:
    """options.weights parsed at the edge (installed genres are checked where they are known)."""
    if raw is None:
        return None
    try:
        return GenreWeights.parse(raw)
    except LstmfuseError as err:
        raise ProtocolError(err.message, "options.weights") from None


def _check_gap(gap: dict, req: Request) -> tuple[int, int]:
    """/regenerate: the gap lies inside the selection, is not empty, starts after its first
    note and takes no bar count or phrase layout (it keeps the piece's own form)."""
    a, b = gap["start_tick"], gap["end_tick"]
    sel_end = req.start_tick + _ticks(req.length, "selection.events")
    if b <= a:
        raise ProtocolError(f"the gap ends (tick {b}) before it starts (tick {a})", "gap.end_tick")
    if a < req.start_tick or b > sel_end:
        raise ProtocolError(f"the gap (ticks {a}-{b}) is not inside the selection (ticks {req.start_tick}-{sel_end})", "gap")
    if req.passage is None or not any(e.pitch is not None for e in req.passage.events):
        raise ProtocolError("the selection holds no notes: there is nothing to regenerate from", "selection.events")
    if "bars" in req.options:
        raise ProtocolError("/regenerate replaces the gap's own bars: leave out options.bars", "options.bars")
    form = req.options.get("form", "auto")
    if form not in ("auto", "free"):
        raise ProtocolError(f"form '{form}' is for continuing: regenerated bars follow the piece's own form (use auto or free)", "options.form")
    return a, b


def _ticks(whole: Fraction, field: str) -> int:
    t = whole * 4 * DIVISION
    if t.denominator != 1:
        raise ProtocolError(f"{frac_str(whole)} whole notes is not a whole number of MuseScore ticks ({DIVISION} a quarter)", field)
    return int(t)


def event_json(e: NoteEvent, origin_q: Fraction, start_tick: int) -> dict:
    """A sounding event of the answer; ``origin_q`` = quarter offset of the selection start."""
    onset_w = (e.onset - origin_q) / 4
    row: dict[str, Any] = {
        "rest": e.pitch is None,
        "duration": frac_str(e.duration / 4),
        "onset": frac_str(onset_w),
        "tick": start_tick + int(onset_w * 4 * DIVISION),
    }
    if e.pitch is not None:
        row["pitch"] = e.pitch
        if e.spelling:
            row["name"] = e.spelling
            row["tpc"] = name_to_tpc(e.spelling)
    return row
