"""Write a bar-level edit made in music21 back into the MusicXML it was read from.

music21 rewrites a whole file when it saves one: an open second ending comes back closed,
a part's ``<part-name-display>`` is dropped, an empty ``<words/>`` appears, page layout goes.
An edit that changes a few bars (continue, regenerate) should change only those bars. So the
edit is still made on a music21 score, both the unedited and the edited score are exported by
music21's one MusicXML writer, and only the measures whose export changed, and the new ones,
go into the source's own tree. Every other element of the source stays as it was.

A changed measure whose export differs only in its barlines or its ties gets only those
edited in the source (a continuation moves the final barline; regenerate mends the ties
into and out of the new bars); any other changed measure is replaced by music21's, keeping
the source's number and layout (``<print>``). Durations are rescaled to the divisions the
source uses at that point; where they cannot be, the spliced measure says its own divisions
and the source's are restated in the measure after it.
"""

from __future__ import annotations

import copy
import math
from fractions import Fraction

from lxml import etree

_TIMED = ("duration", "offset")  # what counts in divisions inside a measure
_TIE_TAGS = ("tie", "tied")
_SPANNER_MARKS = ("slur", "tied", "tuplet", "bracket", "dashes", "wedge", "octave-shift", "slide",
                  "glissando", "wavy-line", "pedal")


def splice_edit(source: etree._Element, before: bytes, after: bytes, first: int = 0) -> bool:
    """Put into ``source`` (a score-partwise root, edited in place) the measures in which
    ``after`` (music21's export of the edited score) differs from ``before`` (its export of
    the score as read). Both exports may start at the source's measure index ``first`` (an
    excerpt to the end of the score: exporting a quartet movement whole takes music21 half a
    minute). Returns False, with ``source`` untouched, where the three do not line up part
    for part and bar for bar (then the caller writes music21's export whole)."""
    old = etree.fromstring(before)
    new = etree.fromstring(after)
    src_parts, old_parts, new_parts = (r.findall("part") for r in (source, old, new))
    if not (len(src_parts) == len(old_parts) == len(new_parts)) or not src_parts:
        return False
    plan = []
    for s, o, n in zip(src_parts, old_parts, new_parts):
        sm, om, nm = s.findall("measure"), o.findall("measure"), n.findall("measure")
        if len(sm) - first != len(om) or len(nm) < len(om):
            return False
        plan.append((s, sm, om, nm))
    declared = {e.get("id") for e in source.iter("score-instrument")}
    for s, sm, om, nm in plan:
        _splice_part(s, sm, om, nm, declared, first)
    _copy_changed_fields(source, old, new)
    return True


def _key(el: etree._Element, without: tuple[str, ...] = ()) -> bytes:
    """What an element says, for comparing: no layout whitespace, no ``without`` elements."""
    copied = copy.deepcopy(el)
    for tag in without:
        for found in list(copied.iter(tag)):
            found.getparent().remove(found)
    if without:  # a <notations> that held only what was left out
        for empty in [n for n in copied.iter("notations") if not len(n)]:
            empty.getparent().remove(empty)
    for e in copied.iter("instrument"):  # music21 draws a new random id on every export
        e.attrib.pop("id", None)
    for e in copied.iter(*_SPANNER_MARKS):  # music21 numbers spanners across the whole score
        e.attrib.pop("number", None)
    for e in copied.iter():
        if e.text is not None and not e.text.strip():
            e.text = None
        e.tail = None
    return etree.tostring(copied, method="c14n")


def _splice_part(part, src_measures: list, old_measures: list, new_measures: list, declared: set, first: int) -> None:
    new_div = _Divisions()  # divisions music21's export is in, measure by measure
    src_div = _Divisions()  # divisions the source expects at each of its measures
    for skipped in src_measures[:first]:
        src_div.read(skipped)
    in_force: int | None = src_div.value if first else None  # divisions a reader of the result has here
    src_measures = src_measures[first:]
    for k, measure in enumerate(new_measures):
        new_div.read(measure)
        if k < len(src_measures):
            source = src_measures[k]
            src_div.read(source)
            if _key(old_measures[k]) == _key(measure):
                in_force = _restate_divisions(source, src_div.value, in_force)
                continue
            if _key(old_measures[k], ("barline",)) == _key(measure, ("barline",)):
                _copy_barlines(source, old_measures[k], measure)
                in_force = _restate_divisions(source, src_div.value, in_force)
                continue
            if _same_notes(source, old_measures[k]) and _key(old_measures[k], _TIE_TAGS) == _key(measure, _TIE_TAGS):
                _copy_ties(source, old_measures[k], measure)
                in_force = _restate_divisions(source, src_div.value, in_force)
                continue
            replacement = _from_music21(measure, new_div.value, src_div.value, in_force, declared)
            for attr in ("number", "implicit", "width"):
                if attr in source.attrib:
                    replacement.set(attr, source.get(attr))
                elif attr in replacement.attrib and attr != "number":
                    del replacement.attrib[attr]
            prints = [copy.deepcopy(p) for p in source.findall("print")]
            for p in replacement.findall("print"):
                replacement.remove(p)
            for p in reversed(prints):
                replacement.insert(0, p)
            replacement.tail = source.tail
            source.addprevious(replacement)
            part.remove(source)
        else:
            replacement = _from_music21(measure, new_div.value, src_div.value, in_force, declared)
            _append(part, replacement)
        in_force = _divisions_of(replacement, in_force)


def _remove(el) -> None:
    """Remove ``el``, its layout whitespace going to what came before it."""
    parent, prev = el.getparent(), el.getprevious()
    if prev is not None:
        prev.tail = el.tail
    else:
        parent.text = el.tail if el.tail is not None else parent.text
    parent.remove(el)


def _append(part, measure) -> None:
    """Append ``measure`` to ``part``, laid out as the measures before it."""
    last = part[-1] if len(part) else None
    if last is not None:
        measure.tail = last.tail
        between = last.getprevious().tail if last.getprevious() is not None else None
        last.tail = between if between is not None else "\n"
    part.append(measure)


class _Divisions:
    """The divisions in force while walking a part's measures."""

    def __init__(self) -> None:
        self.value = 1

    def read(self, measure) -> None:
        for d in measure.iter("divisions"):
            self.value = int(d.text)


def _divisions_of(measure, before: int | None) -> int | None:
    found = [int(d.text) for d in measure.iter("divisions")]
    return found[-1] if found else before


def _restate_divisions(source, expected: int, in_force: int | None) -> int:
    """A source measure after spliced ones: restate its divisions if the splice changed them."""
    own = _divisions_of(source, None)
    if in_force is not None and in_force != expected and own is None:
        _set_divisions(source, expected)
    return own if own is not None else expected


def _from_music21(measure, div: int, wanted: int, in_force: int | None, declared: set):
    """A copy of music21's measure timed in the divisions in force (else the source's), or
    in the least multiple of them that can time it (then the measure says so); without
    references to instruments the source does not declare (music21 makes up their ids)."""
    out = copy.deepcopy(measure)
    for ref in list(out.iter("instrument")):
        if ref.get("id") not in declared:
            _remove(ref)
    target = in_force if in_force is not None else wanted
    timed = [el for tag in _TIMED for el in out.iter(tag) if el.text and el.text.strip().lstrip("-").isdigit()]
    scaled = [Fraction(int(el.text.strip()) * target, div) for el in timed]
    finer = math.lcm(1, *(x.denominator for x in scaled))
    for el, x in zip(timed, scaled):
        el.text = str(int(x * finer))
    own = list(out.iter("divisions"))
    for d in own:
        d.text = str(target * finer)
    if not own and target * finer != in_force:
        _set_divisions(out, target * finer)
    return out


def _set_divisions(measure, value: int) -> None:
    """Say ``value`` divisions at the start of ``measure`` (first in its first attributes,
    which come before any note)."""
    head = 0
    for child in measure:
        if not isinstance(child.tag, str) or child.tag == "print":
            head += 1
            continue
        break
    first = measure[head] if head < len(measure) else None
    if first is not None and first.tag == "attributes":
        old = first.find("divisions")
        if old is not None:
            old.text = str(value)
            return
        attrs = first
    else:
        attrs = etree.Element("attributes")
        attrs.tail = measure.text  # indented as the measure's first child was
        measure.insert(head, attrs)
    div = etree.Element("divisions")
    div.text = str(value)
    index = 0  # after <footnote> and <level>, the only children a schema puts first
    while index < len(attrs) and attrs[index].tag in ("footnote", "level"):
        index += 1
    attrs.insert(index, div)


def _barline_at(measure, location: str):
    for b in measure.findall("barline"):
        if b.get("location", "right") == location:
            return b
    return None


def _copy_barlines(source, old, new) -> None:
    """Apply music21's barline change to the source: a final barline moved away is removed
    (an ending or repeat on the same barline stays), a new or changed one is put in."""
    for location in ("left", "middle", "right"):
        was, now, here = _barline_at(old, location), _barline_at(new, location), _barline_at(source, location)
        if (was is None and now is None) or (was is not None and now is not None and _key(was) == _key(now)):
            continue
        if now is None:
            if here is None:
                continue
            style = here.find("bar-style")
            if style is not None:
                _remove(style)
            if not [c for c in here if isinstance(c.tag, str)]:
                _remove(here)
            continue
        put = copy.deepcopy(now)
        if here is not None:
            kept = [copy.deepcopy(c) for c in here if isinstance(c.tag, str) and c.tag in ("ending", "repeat") and put.find(c.tag) is None]
            for c in kept:
                put.append(c)
            _order_barline(put)
            put.tail = here.tail
            here.addprevious(put)
            source.remove(here)
        elif location == "left":
            source.insert(_after_prints(source), put)
        else:
            source.append(put)


_BARLINE_ORDER = ("bar-style", "footnote", "level", "wavy-line", "segno", "coda", "fermata", "ending", "repeat")


def _order_barline(barline) -> None:
    children = sorted(barline, key=lambda c: _BARLINE_ORDER.index(c.tag) if c.tag in _BARLINE_ORDER else len(_BARLINE_ORDER))
    for c in children:
        barline.append(c)


def _after_prints(measure) -> int:
    k = 0
    while k < len(measure) and measure[k].tag == "print":
        k += 1
    return k


def _notes(measure) -> list:
    """The notes a reader sees: music21 writes a source's <forward> as a hidden rest."""
    return [n for n in measure.findall("note") if not (n.get("print-object") == "no" and n.find("rest") is not None)]


def _same_notes(source, old) -> bool:
    """Whether the source's notes and music21's export of them pair one for one (by pitch or rest)."""
    a, b = _notes(source), _notes(old)
    if len(a) != len(b):
        return False
    return all(_note_sound(x) == _note_sound(y) for x, y in zip(a, b))


def _note_sound(note) -> tuple:
    pitch = note.find("pitch")
    if pitch is None:
        return ("rest" if note.find("rest") is not None else "other",)
    return (pitch.findtext("step"), pitch.findtext("octave"), float(pitch.findtext("alter") or 0))


def _copy_ties(source, old, new) -> None:
    """Put music21's tie changes on the source's notes (paired one for one)."""
    for here, was, now in zip(_notes(source), _notes(old), _notes(new)):
        if _tie_marks(was) == _tie_marks(now):
            continue
        for tie in here.findall("tie"):
            _remove(tie)
        notations = here.find("notations")
        if notations is not None:
            for tied in notations.findall("tied"):
                _remove(tied)
        anchor = here.find("duration")
        if anchor is None:  # a grace note has no duration and no tie worth keeping
            continue
        for tie in reversed(now.findall("tie")):
            anchor.addnext(copy.deepcopy(tie))
        tieds = [copy.deepcopy(t) for n in now.findall("notations") for t in n.findall("tied")]
        if tieds:
            if notations is None:
                notations = etree.Element("notations")
                follower = next((c for c in here if c.tag in ("lyric", "play", "listen")), None)
                if follower is not None:
                    follower.addprevious(notations)
                else:
                    here.append(notations)
            for t in reversed(tieds):
                notations.insert(0, t)
        elif notations is not None and not len(notations):
            _remove(notations)


def _tie_marks(note) -> list[bytes]:
    return [_key(t) for t in note.iter("tie", "tied")]


def _copy_changed_fields(source, old, new) -> None:
    """The ``<miscellaneous-field>``s the edit added or changed (lstmfuse's settings)."""
    before = {f.get("name"): _key(f) for f in old.iter("miscellaneous-field")}
    changed = [f for f in new.iter("miscellaneous-field") if before.get(f.get("name")) != _key(f)]
    if not changed:
        return
    identification = source.find("identification")
    if identification is None:
        identification = etree.Element("identification")
        anchor = next((c for c in source if c.tag in ("defaults", "credit", "part-list")), None)
        anchor.addprevious(identification)
    misc = identification.find("miscellaneous")
    if misc is None:
        misc = etree.SubElement(identification, "miscellaneous")
    for field in changed:
        for existing in misc.findall("miscellaneous-field"):
            if existing.get("name") == field.get("name"):
                misc.remove(existing)
        misc.append(copy.deepcopy(field))


__all__ = ["splice_edit"]
