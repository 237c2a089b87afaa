"""Tempo op: ``set-tempo``.

The opening tempo is the tempo direction(s) (``<metronome>`` and/or ``<sound tempo>``) at
the very start of the first measure, in any part. ``set-tempo`` rewrites it (beat unit,
per-minute, and ``<sound tempo>``, which MusicXML counts in quarter notes per minute), or
adds a metronome mark above the first part when there is none. ``--scale-all`` also scales
every later tempo mark by the same factor, so accelerandi and slower sections keep their
proportions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from lxml import etree

from ...errors import LstmfuseError, UsageError
from ..xmltree import build, children, insert_child, parts, remove_child, sub, text_of
from . import Op, option, register

BEAT_QUARTERS = {"whole": 4.0, "half": 2.0, "quarter": 1.0, "eighth": 0.5, "16th": 0.25, "32nd": 0.125,
                 "breve": 8.0}


def parse_beat(beat: str) -> tuple[str, int, float]:
    """``quarter``, ``quarter.`` (dotted), ``half..`` -> (unit, dots, quarter notes per beat)."""
    b = beat.strip().lower()
    dots = len(b) - len(b.rstrip("."))
    unit = b.rstrip(".")
    unit = {"crotchet": "quarter", "minim": "half", "quaver": "eighth", "semiquaver": "16th",
            "sixteenth": "16th", "semibreve": "whole"}.get(unit, unit)
    if unit not in BEAT_QUARTERS:
        raise UsageError(f"bad beat unit '{beat}' (use whole, half, quarter, eighth, 16th; add '.' for dotted)")
    q = BEAT_QUARTERS[unit]
    return unit, dots, q * (2 - 0.5 ** dots)


def _num(x: float) -> str:
    return str(int(x)) if abs(x - round(x)) < 1e-9 else f"{x:.2f}".rstrip("0").rstrip(".")


def _tempo_marks(root: etree._Element) -> list[tuple[etree._Element, bool]]:
    """Every element that carries a tempo (<direction> with metronome or sound tempo, or a
    bare <sound tempo>), with a flag telling whether it sits at the start of measure one."""
    out = []
    for part in parts(root):
        for mi, measure in enumerate(children(part, "measure")):
            at_start = mi == 0
            for el in measure:
                if el.tag in ("note", "forward") and el.find("grace") is None:
                    at_start = False
                if el.tag == "direction":
                    has = el.find("direction-type/metronome") is not None or (
                        el.find("sound") is not None and el.find("sound").get("tempo"))
                    if has:
                        out.append((el, at_start))
                elif el.tag == "sound" and el.get("tempo"):
                    out.append((el, at_start))
    return out


def _quarter_bpm(mark: etree._Element) -> float | None:
    sound = mark if mark.tag == "sound" else mark.find("sound")
    if sound is not None and sound.get("tempo"):
        try:
            return float(sound.get("tempo"))
        except ValueError:
            pass
    metro = mark.find("direction-type/metronome") if mark.tag == "direction" else None
    if metro is not None:
        units = children(metro, "beat-unit")
        pm = metro.find("per-minute")
        if len(units) == 1 and pm is not None:
            try:
                _, _, q = parse_beat(text_of(units[0]) + "." * len(children(metro, "beat-unit-dot")))
                return float(text_of(pm).split()[-1]) * q
            except (UsageError, ValueError, IndexError):
                return None
    return None


def _write_mark(mark: etree._Element, unit: str, dots: int, bpm: float, quarter_bpm: float) -> None:
    sound = mark if mark.tag == "sound" else mark.find("sound")
    if mark.tag == "direction":
        metro = mark.find("direction-type/metronome")
        if metro is not None:
            for c in list(metro):
                if c.tag in ("beat-unit", "beat-unit-dot", "beat-unit-tied", "per-minute", "metronome-arrows",
                             "metronome-note", "metronome-relation"):
                    remove_child(c)
            head = metro.text
            for el in [build("beat-unit", unit)] + [build("beat-unit-dot") for _ in range(dots)] + \
                      [build("per-minute", _num(bpm))]:
                insert_child(metro, el)
            if head is not None:
                metro.text = head
        if sound is None:
            sound = build("sound")
            insert_child(mark, sound, before_tags=("listening",))
    sound.set("tempo", _num(quarter_bpm))


def _new_direction(unit: str, dots: int, bpm: float, quarter_bpm: float) -> etree._Element:
    d = build("direction", placement="above")
    dt = sub(d, "direction-type")
    metro = sub(dt, "metronome", parentheses="no")
    sub(metro, "beat-unit", unit)
    for _ in range(dots):
        sub(metro, "beat-unit-dot")
    sub(metro, "per-minute", _num(bpm))
    sub(d, "sound", tempo=_num(quarter_bpm))
    return d


def _show_metronome(root: etree._Element, opening: list[etree._Element], unit: str, dots: int, bpm: float) -> None:
    """A score whose opening tempo was only heard (a bare <sound tempo>) or only named in words
    ("Allegro" with a playback tempo) shows the tempo set: the metronome mark joins the first
    opening direction ("Allegro (quarter = 96)"), or a new one goes above the first part,
    without a second <sound> (the one there already says the new tempo)."""
    metro = _new_direction(unit, dots, bpm, 0).find("direction-type")
    direction = next((m for m in opening if m.tag == "direction"), None)
    if direction is not None:
        last_type = children(direction, "direction-type")[-1]
        last_type.addnext(metro)
        metro.tail = last_type.tail
        return
    new = build("direction", placement="above")
    new.append(metro)
    insert_child(parts(root)[0].find("measure"), new,
                 before_tags=("note", "backup", "forward", "direction", "harmony", "figured-bass", "sound", "barline"))


@register
@dataclass(frozen=True)
class SetTempo(Op):
    """Set the opening tempo (metronome mark and playback tempo)."""

    name: ClassVar[str] = "set-tempo"
    help: ClassVar[str] = (
        "Set the opening tempo: rewrite the metronome mark and playback tempo at the start, or add one "
        "above the first part; --scale-all scales later tempo marks in proportion."
    )
    examples: ClassVar[tuple[str, ...]] = (
        "lstmfuse batch set-tempo 'reels/*.musicxml' --bpm 112 --in-place",
        "lstmfuse batch set-tempo 'jigs/*.mxl' --bpm 96 --beat quarter. --scale-all --out-dir slower",
    )

    bpm: float | None = field(default=None, metadata=option("--bpm", help="Beats per minute (required).", metavar="BPM"))
    beat: str = field(default="quarter", metadata=option(
        "--beat", help="Beat unit: whole, half, quarter (default), eighth, 16th; add '.' for dotted (quarter.)."))
    scale_all: bool = field(default=False, metadata=option(
        "--scale-all", help="Scale every later tempo mark by the same factor as the opening one."))

    def __post_init__(self) -> None:
        if self.bpm is None:
            raise UsageError("set-tempo needs a tempo (--bpm 96)")
        try:
            bpm = float(self.bpm)
        except (TypeError, ValueError):
            raise UsageError(f"bad tempo {self.bpm!r} (give beats per minute, e.g. --bpm 96)") from None
        if not (0 < bpm <= 1000):
            raise UsageError(f"bad tempo {self.bpm!r}: give beats per minute between 1 and 1000 (--bpm 96)")
        parse_beat(self.beat)

    def apply_xml(self, root, doc) -> dict[str, Any]:
        unit, dots, q = parse_beat(self.beat)
        bpm = float(self.bpm)
        quarter_bpm = bpm * q
        marks = _tempo_marks(root)
        opening = [m for m, start in marks if start]
        later = [m for m, start in marks if not start]
        old = next((v for v in (_quarter_bpm(m) for m in opening) if v), None)
        changed = 0
        if opening:
            for m in opening:
                if _quarter_bpm(m) != quarter_bpm or m.tag == "direction" and self._metro_differs(m, unit, dots, bpm):
                    _write_mark(m, unit, dots, bpm, quarter_bpm)
                    changed += 1
            if not any(m.tag == "direction" and m.find("direction-type/metronome") is not None for m in opening):
                _show_metronome(root, opening, unit, dots, bpm)  # only a playback tempo or words were there
                changed += 1
        else:
            first_parts = parts(root)
            if not first_parts or first_parts[0].find("measure") is None:
                raise LstmfuseError("the score has no measures", doc.path)
            measure = first_parts[0].find("measure")
            insert_child(measure, _new_direction(unit, dots, bpm, quarter_bpm),
                         before_tags=("note", "backup", "forward", "direction", "harmony", "figured-bass",
                                      "sound", "barline"))
            changed += 1
        scaled = 0
        if self.scale_all and later:
            if not old:
                doc.notes.append("no opening tempo to scale from: later tempo marks left as they are")
            else:
                ratio = quarter_bpm / old
                for m in later:
                    scaled += _scale(m, ratio)
        if changed or scaled:
            doc.touch()
        out: dict[str, Any] = {"tempo": f"{unit}{'.' * dots}={_num(bpm)}"}
        if changed:
            out["tempo marks"] = changed
        if scaled:
            out["scaled"] = scaled
        return out

    @staticmethod
    def _metro_differs(mark, unit, dots, bpm) -> bool:
        metro = mark.find("direction-type/metronome")
        if metro is None:
            return False
        units = [text_of(u) for u in children(metro, "beat-unit")]
        return units != [unit] or len(children(metro, "beat-unit-dot")) != dots or \
            text_of(metro.find("per-minute")) != _num(bpm)


def _scale(mark: etree._Element, ratio: float) -> int:
    n = 0
    sound = mark if mark.tag == "sound" else mark.find("sound")
    if sound is not None and sound.get("tempo"):
        try:
            sound.set("tempo", _num(float(sound.get("tempo")) * ratio))
            n = 1
        except ValueError:
            pass
    metro = mark.find("direction-type/metronome") if mark.tag == "direction" else None
    if metro is not None:
        pm = metro.find("per-minute")
        if pm is not None:
            try:
                pm.text = _num(float(text_of(pm)) * ratio)
                n = 1
            except ValueError:
                pass
    return n
