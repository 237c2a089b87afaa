"""Small helpers to edit a MusicXML (partwise) tree in place with lxml.

The rules: change only the elements an op is about, insert new elements where the MusicXML
schema's sequence wants them, and copy the neighbours' whitespace so a pretty-printed file
stays pretty. The pitch walker (:func:`rewrite_pitches`) is shared by transposition and
key changes: it moves pitches and keys, then fixes ``<accidental>`` elements so what is
displayed still matches the pitch under the (new) key signature and measure context.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from lxml import etree

from .pitch import (
    ACCIDENTAL_ALTERS,
    STEPS,
    accidental_name,
    fmt_alter,
    key_alters,
)

PitchFn = Callable[[str, float, int], tuple[str, float, int]]

#: children of <note> that come after <accidental> in the schema's sequence
_AFTER_ACCIDENTAL = ("time-modification", "stem", "notehead", "notehead-text", "staff", "beam",
                     "notations", "lyric", "play", "listen")
_COURTESY_ATTRS = ("cautionary", "editorial", "parentheses", "bracket")
_STEP_SET = frozenset(STEPS)


def children(el: etree._Element, tag: str) -> list[etree._Element]:
    return [c for c in el if c.tag == tag]


def text_of(el: etree._Element | None, default: str = "") -> str:
    if el is None or el.text is None:
        return default
    return el.text.strip()


def insert_child(parent: etree._Element, new: etree._Element, before_tags: Iterable[str] = (),
                 after_tags: Iterable[str] = ()) -> etree._Element:
    """Insert ``new`` before the first child whose tag is in ``before_tags``, else after the
    last child whose tag is in ``after_tags``, else at the end; whitespace copied from siblings."""
    kids = list(parent)
    before = set(before_tags)
    after = set(after_tags)
    index = None
    for i, c in enumerate(kids):
        if c.tag in before:
            index = i
            break
    if index is None and after:
        for i in range(len(kids) - 1, -1, -1):
            if kids[i].tag in after:
                index = i + 1
                break
    if index is None:
        index = len(kids)
    if index < len(kids):
        prev_tail = kids[index - 1].tail if index > 0 else parent.text
        new.tail = prev_tail
        parent.insert(index, new)
    elif kids:
        last = kids[-1]
        new.tail = last.tail
        last.tail = kids[-2].tail if len(kids) > 1 else parent.text
        parent.append(new)
    else:
        parent.append(new)
    _indent_new(parent, new)
    return new


def _indent_new(parent: etree._Element, new: etree._Element) -> None:
    """Give a freshly built subtree the indentation style of its parent."""
    if len(new) == 0:
        return
    inner = _child_indent(parent)
    if inner is None:
        return
    step = _indent_step(parent) or "  "
    _pretty(new, inner, step)


def _child_indent(parent: etree._Element) -> str | None:
    text = parent.text
    if text is None or text.strip():
        return None
    return text.split("\n")[-1] if "\n" in text else None


def _indent_step(parent: etree._Element) -> str | None:
    mine = _child_indent(parent)
    outer = parent.tail
    if mine is None or outer is None or "\n" not in outer:
        return None
    outer_indent = outer.split("\n")[-1]
    if mine.startswith(outer_indent) and len(mine) > len(outer_indent):
        return mine[len(outer_indent):]
    return None


def _pretty(el: etree._Element, indent: str, step: str) -> None:
    kids = list(el)
    if not kids:
        return
    if el.text is None or not el.text.strip():
        el.text = "\n" + indent + step
    for i, c in enumerate(kids):
        if c.tail is None or not c.tail.strip():
            c.tail = "\n" + indent + (step if i < len(kids) - 1 else "")
        _pretty(c, indent + step, step)


def remove_child(el: etree._Element) -> None:
    """Remove ``el`` keeping the surrounding whitespace tidy."""
    parent = el.getparent()
    prev = el.getprevious()
    if prev is not None:
        prev.tail = el.tail if el.tail is not None and not el.tail.strip() else prev.tail
    elif el.tail is not None and not el.tail.strip():
        parent.text = el.tail
    parent.remove(el)


def set_text(el: etree._Element, value: str) -> bool:
    """Make ``value`` the whole text of a text-only element; True if anything changed.

    Entity references (``&comp;``: entities are never expanded when batch reads a file) and
    comments inside the element go too: setting only ``.text`` left them after the new
    value, so ``--composer X`` wrote ``X&comp;``.
    """
    extra = [c for c in el if not isinstance(c.tag, str) or isinstance(c, etree._Entity)]
    if not extra and (el.text or "") == value:
        return False
    for c in extra:
        el.remove(c)
    el.text = value
    return True


def sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, tag, **attrs)
    if text is not None:
        el.text = text
    return el


def build(tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.Element(tag, **attrs)
    if text is not None:
        el.text = text
    return el


def parts(root: etree._Element) -> list[etree._Element]:
    return children(root, "part")


# --------------------------------------------------------------------------- pitches


def _set_alter(parent: etree._Element, tag: str, alter: float, after: etree._Element) -> None:
    el = parent.find(tag)
    if alter == 0:
        if el is not None:
            remove_child(el)
        return
    if el is None:
        el = build(tag)
        el.tail = after.tail
        after.addnext(el)
    el.text = fmt_alter(alter)


def _key_map(key_el: etree._Element) -> dict[str, float]:
    """Step -> alteration that a <key> element implies (traditional or not)."""
    fifths = key_el.find("fifths")
    if fifths is not None:
        try:
            return key_alters(int(text_of(fifths, "0")))
        except ValueError:
            return key_alters(0)
    out = {s: 0.0 for s in STEPS}
    step = None
    for c in key_el:
        if c.tag == "key-step":
            step = text_of(c).upper()
        elif c.tag == "key-alter" and step in out:
            try:
                out[step] = float(text_of(c, "0"))
            except ValueError:
                pass
    return out


KeyFn = Callable[[etree._Element], bool]


def is_percussion_part(part: etree._Element) -> bool:
    """A part written on percussion clefs only, or holding unpitched notes and no pitched ones."""
    signs = {text_of(c.find("sign")).lower() for c in part.iter("clef")}
    if signs:
        return signs == {"percussion"}
    return part.find(".//unpitched") is not None and part.find(".//pitch") is None


def rewrite_pitches(root: etree._Element, pitch_fn: PitchFn | None, key_fn: KeyFn | None,
                    counts: dict[str, int], harmony: bool = True) -> None:
    """Walk every part in document order: ``key_fn`` may rewrite a <key> element (returns
    True when it did), ``pitch_fn`` maps each pitch; <accidental> elements are then fixed so
    that each note shows what it needs under the new key and the measure's earlier notes.

    An accidental is added only where the old notation needed none but the new one does,
    and removed only where the old one needed it, the new one does not, and it was not a
    cautionary/editorial one; otherwise it is kept with its sign updated.
    """
    for part in parts(root):
        drums = is_percussion_part(part)  # a key signature never belongs on a drum staff
        keys_old: dict[str | None, dict[str, float]] = {None: key_alters(0)}
        keys_new: dict[str | None, dict[str, float]] = {None: key_alters(0)}
        for measure in children(part, "measure"):
            state_old: dict[tuple[str, str, int], float] = {}
            state_new: dict[tuple[str, str, int], float] = {}
            for el in measure:
                tag = el.tag
                if tag == "note":
                    _rewrite_note(el, pitch_fn, keys_old, keys_new, state_old, state_new, counts)
                elif tag == "attributes":
                    for key_el in children(el, "key"):
                        before = _key_map(key_el)
                        if key_fn is not None and not drums and key_fn(key_el):
                            counts["keys"] = counts.get("keys", 0) + 1
                        after = _key_map(key_el)
                        number = key_el.get("number")
                        if number is None:
                            keys_old.clear()
                            keys_new.clear()
                        keys_old[number] = before
                        keys_new[number] = after
                elif tag == "harmony" and harmony and pitch_fn is not None:
                    _rewrite_harmony(el, pitch_fn, counts)


def _implied(keys: dict[str | None, dict[str, float]], state: dict, staff: str, step: str, octave: int) -> float:
    got = state.get((staff, step, octave))
    if got is not None:
        return got
    km = keys.get(staff) or keys.get(None) or {}
    return km.get(step, 0.0)


def _rewrite_note(note, pitch_fn, keys_old, keys_new, state_old, state_new, counts) -> None:
    # one pass over the note's children (lxml's find() is slow in a hot loop)
    pitch_el = acc = None
    staff = "1"
    tie_stop = False
    for c in note:
        tag = c.tag
        if tag == "pitch":
            pitch_el = c
        elif tag == "accidental":
            acc = c
        elif tag == "staff":
            staff = (c.text or "1").strip()
        elif tag == "tie":
            if c.get("type") == "stop":
                tie_stop = True
        elif tag == "rest" or tag == "unpitched":
            return
    if pitch_el is None:
        return
    step_el = alter_el = octave_el = None
    for c in pitch_el:
        tag = c.tag
        if tag == "step":
            step_el = c
        elif tag == "alter":
            alter_el = c
        elif tag == "octave":
            octave_el = c
    if step_el is None or octave_el is None:
        return
    step = (step_el.text or "").strip().upper()
    try:
        octave = int(octave_el.text)
    except (TypeError, ValueError):
        return
    if step not in _STEP_SET:
        return
    alter = 0.0
    if alter_el is not None and alter_el.text:
        try:
            alter = float(alter_el.text)
        except ValueError:
            alter = 0.0
    acc_text = (acc.text or "").strip() if acc is not None else ""
    if alter_el is None and acc_text:
        # no <alter> but a plain accidental sign: music21 (and most renderers) take the
        # alteration from the sign; do the same so results match music21's
        shown = ACCIDENTAL_ALTERS.get(acc_text)
        if shown:
            alter = shown
    old = (step, alter, octave)
    new = pitch_fn(step, alter, octave) if pitch_fn is not None else old
    nstep, nalter, noctave = new
    if new != old:
        if nstep != step:
            step_el.text = nstep
        if noctave != octave:
            octave_el.text = str(noctave)
        if nalter != alter:
            _set_alter(pitch_el, "alter", nalter, after=step_el)
        counts["pitches"] = counts.get("pitches", 0) + 1
    needed_old = alter != _implied(keys_old, state_old, staff, step, octave)
    needed_new = nalter != _implied(keys_new, state_new, staff, nstep, noctave)
    if acc_text:
        if needed_old and not needed_new and not any(acc.get(a) == "yes" for a in _COURTESY_ATTRS):
            remove_child(acc)
            counts["accidentals"] = counts.get("accidentals", 0) + 1
        elif nalter != alter or ACCIDENTAL_ALTERS.get(acc_text) not in (None, nalter):
            name = accidental_name(nalter) or "other"  # no MusicXML sign for this alteration
            if acc_text != name:
                acc.text = name
                counts["accidentals"] = counts.get("accidentals", 0) + 1
    elif acc is None and needed_new and not needed_old and not tie_stop:
        name = accidental_name(nalter)
        if name is not None:
            insert_child(note, build("accidental", name), before_tags=_AFTER_ACCIDENTAL)
            counts["accidentals"] = counts.get("accidentals", 0) + 1
    if not (tie_stop and acc is None):
        state_old[(staff, step, octave)] = alter
        state_new[(staff, nstep, noctave)] = nalter


def _rewrite_harmony(harmony: etree._Element, pitch_fn: PitchFn, counts: dict[str, int]) -> None:
    for holder, step_tag, alter_tag in (("root", "root-step", "root-alter"), ("bass", "bass-step", "bass-alter")):
        h = harmony.find(holder)
        if h is None:
            continue
        step_el = h.find(step_tag)
        if step_el is None:
            continue
        step = text_of(step_el).upper()
        if step not in STEPS:
            continue
        alter_txt = text_of(h.find(alter_tag))
        try:
            alter = float(alter_txt) if alter_txt else 0.0
        except ValueError:
            alter = 0.0
        nstep, nalter, _ = pitch_fn(step, alter, 4)
        if (nstep, nalter) == (step, alter):
            continue
        step_el.text = nstep
        _set_alter(h, alter_tag, nalter, after=step_el)
        counts["chord symbols"] = counts.get("chord symbols", 0) + 1
