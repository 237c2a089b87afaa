"""A small, independent reader of MuseScore 3 .mscx files for the bridge/plugin tests.

It knows nothing of the bridge: it lists, per staff and voice, every chord and rest with its
tick, written value, sounding length, pitches, spellings (tpc) and forward ties, and the
measures with their start ticks, so a test can compare a saved score against the bridge's
answer and against the original.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from lxml import etree

TICKS_PER_WHOLE = 1920
_TYPES = {
    "long": Fraction(4), "breve": Fraction(2), "whole": Fraction(1), "half": Fraction(1, 2), "quarter": Fraction(1, 4),
    "eighth": Fraction(1, 8), "16th": Fraction(1, 16), "32nd": Fraction(1, 32), "64th": Fraction(1, 64),
    "128th": Fraction(1, 128), "256th": Fraction(1, 256),
}


@dataclass
class Item:
    kind: str  # "chord" or "rest"
    tick: int
    value: Fraction  # written value, whole notes
    actual: Fraction  # sounding length, whole notes
    pitches: tuple[int, ...] = ()
    tpcs: tuple[int, ...] = ()
    tie_next: bool = False
    tie_prev: bool = False
    visible: bool = True
    tuplet: tuple[int, int] | None = None  # (actual, normal)

    @property
    def pitch(self) -> int | None:
        return max(self.pitches) if self.pitches else None

    def key(self) -> tuple:
        return (self.kind, self.tick, self.value, self.actual, self.pitches, self.tpcs, self.tie_next, self.tuplet)


@dataclass
class Staff:
    measures: list[tuple[int, Fraction]] = field(default_factory=list)  # (start tick, length whole notes)
    voices: dict[int, list[Item]] = field(default_factory=dict)


def _value(el) -> Fraction:
    dtype = el.findtext("durationType")
    if dtype == "measure":
        return Fraction(el.findtext("duration"))
    base = _TYPES[dtype]
    dots = int(el.findtext("dots") or 0)
    return base * (2 - Fraction(1, 2**dots))


def read(path: str | Path) -> dict[int, Staff]:
    """Staff number (1-based as in the file) -> Staff."""
    root = etree.parse(str(path)).getroot()
    score = root.find("Score")
    staves: dict[int, Staff] = {}
    for st in score.findall("Staff"):
        sid = int(st.get("id"))
        staff = Staff()
        tick = 0
        sig = Fraction(1)
        for m in st.findall("Measure"):
            for ts in m.iter("TimeSig"):
                sig = Fraction(int(ts.findtext("sigN")), int(ts.findtext("sigD")))
            length = Fraction(m.get("len")) if m.get("len") else sig
            staff.measures.append((tick, length))
            for vi, voice in enumerate(m.findall("voice")):
                items = staff.voices.setdefault(vi, [])
                t = Fraction(tick, TICKS_PER_WHOLE)
                ratio = Fraction(1)
                tup = None
                for el in voice:
                    tag = el.tag
                    if tag == "location":
                        t += Fraction(el.findtext("fractions") or "0")
                    elif tag == "Tuplet":
                        a, n = int(el.findtext("actualNotes")), int(el.findtext("normalNotes"))
                        ratio, tup = Fraction(n, a), (a, n)
                    elif tag == "endTuplet":
                        ratio, tup = Fraction(1), None
                    elif tag in ("Chord", "Rest"):
                        v = _value(el)
                        actual = v * ratio
                        it = Item("chord" if tag == "Chord" else "rest", int(t * TICKS_PER_WHOLE), v, actual, tuplet=tup)
                        if tag == "Chord":
                            notes = el.findall("Note")
                            it.pitches = tuple(int(n.findtext("pitch")) for n in notes)
                            it.tpcs = tuple(int(n.findtext("tpc")) for n in notes)
                            for n in notes:
                                for sp in n.findall("Spanner"):
                                    if sp.get("type") == "Tie":
                                        if sp.find("next") is not None:
                                            it.tie_next = True
                                        if sp.find("prev") is not None:
                                            it.tie_prev = True
                        else:
                            it.visible = el.findtext("visible") != "0"
                        items.append(it)
                        t += actual
            tick += int(length * TICKS_PER_WHOLE)
        staves[sid] = staff
    return staves


def sounding(items: list[Item]) -> list[tuple[int, Fraction, int | None]]:
    """Tied chords merged, adjacent rests merged: (tick, length in whole notes, top pitch or None)."""
    rows = []
    tied = False
    for it in items:
        pitch = it.pitch if it.kind == "chord" else None
        rows.append((it.tick, it.actual, pitch, tied and it.kind == "chord"))
        tied = it.kind == "chord" and it.tie_next
    return merge(rows)


def merge(rows) -> list[tuple[int, Fraction, int | None]]:
    """(tick, length, pitch, continues_previous) -> merged sounding events; rests always merge."""
    out: list[list] = []
    for tick, length, pitch, cont in rows:
        if out and ((pitch is None and out[-1][2] is None) or (cont and out[-1][2] == pitch)):
            out[-1][1] += length
        else:
            out.append([tick, length, pitch])
    return [tuple(x) for x in out]


def barlines(path: str | Path, staff: int = 1) -> list[str | None]:
    """Per measure of ``staff``: the subtype of an explicit barline written in it ('double',
    'end', ...), or None for a plain one."""
    root = etree.parse(str(path)).getroot()
    st = next(s for s in root.find("Score").findall("Staff") if int(s.get("id")) == staff)
    return [next((b.findtext("subtype") for b in m.iter("BarLine")), None) for m in st.findall("Measure")]
