"""Pitch ops: ``transpose`` (by an interval or to a key) and ``set-key``.

On MusicXML both edit the tree: ``<pitch>`` step/alter/octave, ``<key>`` fifths (mode
kept; ``<cancel>`` and non-traditional keys too), chord-symbol roots and basses, and the
``<accidental>`` elements (see :func:`lstmfuse.batch.xmltree.rewrite_pitches`).
Spellings and key signatures are exactly music21's ``score.transpose(interval)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from lxml import etree

from ...errors import LstmfuseError, UsageError
from ...theory import (
    KEY_GRAMMAR_HELP,
    STEPS,
    Interval,
    Key,
    interval_between,
    parse_interval,
    parse_key,
    tonic_of,
    tonic_text,
    transpose_fifths,
    transpose_pitch,
)
from ..pitch import accidental_name, fmt_alter
from ..xmltree import build, children, insert_child, parts, remove_child, rewrite_pitches, text_of
from . import Op, option, register


def _first_key_xml(root: etree._Element) -> tuple[int, str | None] | None:
    for part in parts(root):
        for key_el in part.iter("key"):
            f = key_el.find("fifths")
            if f is not None:
                try:
                    return int(text_of(f, "0")), (text_of(key_el.find("mode")) or None)
                except ValueError:
                    return None
        break
    return None


def _to_key_interval(first: tuple[int, str | None] | None, target: Key, direction: str, path) -> Interval:
    if first is None:
        raise LstmfuseError("has no key signature to transpose from (use an interval instead of --to-key)", path)
    fifths, mode = first
    if mode in (None, "", "none"):
        mode = target.mode
    elif target.explicit_mode or mode in ("major", "minor"):
        if mode != target.mode and not (mode in ("major", "ionian") and target.mode in ("major", "ionian")) \
                and not (mode in ("minor", "aeolian") and target.mode in ("minor", "aeolian")):
            src = tonic_of(fifths, mode)
            tonic = tonic_text(target.tonic_step, target.tonic_alter)
            example = {"major": f"--to-key {tonic} (upper case is major)",
                       "ionian": f"--to-key {tonic} (upper case is major)",
                       "minor": f"--to-key {tonic.lower()} (lower case is minor)",
                       "aeolian": f"--to-key {tonic.lower()} (lower case is minor)"}.get(mode, f"--to-key '{tonic} {mode}'")
            raise LstmfuseError(
                f"is in {tonic_text(*src)} {mode} but --to-key names a {target.mode} key "
                f"(give a {mode} key: {example})", path)
    src = tonic_of(fifths, mode)
    return interval_between(src, (target.tonic_step, target.tonic_alter), direction)


def transpose_key_element(key_el: etree._Element, iv: Interval) -> bool:
    """Transpose one <key> in place; True if anything changed."""
    changed = False
    for tag in ("fifths", "cancel"):
        el = key_el.find(tag)
        if el is None:
            continue
        try:
            old = int(text_of(el, "0"))
        except ValueError:
            continue
        new = transpose_fifths(old, iv)
        if new != old:
            el.text = str(new)
            changed = True
    if key_el.find("fifths") is None and key_el.find("key-step") is not None:
        changed = _transpose_nontraditional(key_el, iv) or changed
    return changed


def _transpose_nontraditional(key_el: etree._Element, iv: Interval) -> bool:
    """<key-step>/<key-alter>(/<key-accidental>) triples: map every step's alteration."""
    listed: list[tuple[str, float]] = []
    old_els = []
    step = None
    with_acc = False
    for c in key_el:
        if c.tag == "key-step":
            step = text_of(c).upper()
            old_els.append(c)
        elif c.tag == "key-alter":
            old_els.append(c)
            try:
                listed.append((step, float(text_of(c, "0"))))
            except ValueError:
                listed.append((step, 0.0))
        elif c.tag == "key-accidental":
            old_els.append(c)
            with_acc = True
    alters = {s: 0.0 for s in STEPS}
    for s, a in listed:
        if s in alters:
            alters[s] = a
    # the listed steps keep their places (a <key-octave number="k"> belongs to the k-th) and an
    # explicit natural stays written; a step the move alters that was not listed comes after
    keep_all = key_el.find("key-octave") is not None
    mapped = {}
    order = []
    written: set[str] = set()
    for s in [s for s, _ in listed if s in alters] + [s for s in STEPS if s not in dict(listed)]:
        ns, na, _ = transpose_pitch(s, alters[s], 4, iv)
        if ns not in mapped:
            mapped[ns] = na
            order.append(ns)
            if s in dict(listed) and (keep_all or alters[s] == 0):
                written.add(ns)
    new_triples = [(s, mapped[s]) for s in order if mapped[s] != 0 or s in written]
    if new_triples == [(s, a) for s, a in listed if a != 0 or s in written]:
        return False
    tail = old_els[0].tail if old_els else None
    anchor_index = list(key_el).index(old_els[0]) if old_els else 0
    for el in old_els:
        key_el.remove(el)
    new_els = []
    for s, a in new_triples:
        new_els.append(build("key-step", s))
        new_els.append(build("key-alter", fmt_alter(a)))
        name = accidental_name(a)
        if with_acc and name is not None:
            new_els.append(build("key-accidental", name))
    last_tail = old_els[-1].tail if old_els else None
    for i, el in enumerate(new_els):
        el.tail = tail
        key_el.insert(anchor_index + i, el)
    if new_els and new_els[-1].getnext() is None:
        new_els[-1].tail = last_tail  # the indentation before </key>
    return True


@register
@dataclass(frozen=True)
class Transpose(Op):
    """Move every pitch by an interval, or so the first key becomes another key."""

    name: ClassVar[str] = "transpose"
    help: ClassVar[str] = (
        "Transpose by an interval (+M2, -m3, P5, -P8) or semitones (+2, -3), or to a key "
        "(--to-key Eb, --to-key f#): pitches, spellings, key signatures, accidentals and chord "
        "symbols, exactly as music21's score.transpose(interval) spells them."
    )
    examples: ClassVar[tuple[str, ...]] = (
        "lstmfuse batch transpose 'scores/*.musicxml' --interval +M2 --out-dir up-a-tone",
        "lstmfuse batch transpose 'scores/**/*.mxl' --interval=-m3 --in-place",
        "lstmfuse batch transpose chorales/ --to-key Eb --out-dir in-e-flat -j 2",
    )

    interval: str | int | None = field(default=None, metadata=option(
        "--interval", "-i", help="Interval like +M2, -m3, P5, A4, -P8, or semitones like +2, -3 (write --interval=-m3 for downward ones).",
        metavar="INTERVAL"))
    to_key: str | None = field(default=None, metadata=option(
        "--to-key", "-k", help=f"Target key ({KEY_GRAMMAR_HELP}); the first key signature moves there.",
        metavar="KEY"))
    direction: str | None = field(default=None, metadata=option(
        "--direction", help="With --to-key: nearest (default; ties go up), up or down."))

    def __post_init__(self) -> None:
        if (self.interval is None) == (self.to_key is None):
            raise UsageError("transpose needs exactly one of an interval (--interval +M2) or a key (--to-key Eb)")
        if self.interval is not None:
            parse_interval(self.interval)
        if self.to_key is not None:
            parse_key(self.to_key)
        if self.direction is not None and self.interval is not None:
            raise UsageError("--direction goes with --to-key; an interval carries its own "
                             "(--interval P5 goes up, --interval=-P5 down)")
        if self.direction not in (None, "nearest", "up", "down"):
            raise UsageError(f"bad direction '{self.direction}' (choose nearest, up or down)")

    def resolve(self, first_key: tuple[int, str | None] | None, path=None) -> Interval:
        if self.interval is not None:
            return parse_interval(self.interval)
        return _to_key_interval(first_key, parse_key(self.to_key), self.direction or "nearest", path)

    def apply_xml(self, root, doc) -> dict[str, Any]:
        iv = self.resolve(_first_key_xml(root) if self.to_key else None, doc.path)
        counts: dict[str, Any] = {}
        rewrite_pitches(root, lambda s, a, o: transpose_pitch(s, a, o, iv),
                        lambda k: transpose_key_element(k, iv), counts)
        if counts:
            doc.touch()
        return {"interval": str(iv), **counts}

    def apply_score(self, score, doc) -> dict[str, Any]:
        first = None
        if self.to_key:
            from music21 import key as m21key

            for ks in score.recurse().getElementsByClass(m21key.KeySignature):
                first = (int(ks.sharps), getattr(ks, "mode", None))
                break
        iv = self.resolve(first, doc.path)
        n = len(score.pitches)
        score.transpose(iv.music21_spec, inPlace=True)
        doc.touch()
        return {"interval": str(iv), "pitches": n}


@register
@dataclass(frozen=True)
class SetKey(Op):
    """Change the key signature without moving any pitch (accidentals are redrawn)."""

    name: ClassVar[str] = "set-key"
    help: ClassVar[str] = (
        "Set the key signature (Eb, f#, 'D dorian') without changing any pitch: the opening key of "
        "every part (or every key with --all); accidentals are added or dropped so every note "
        "still sounds the same."
    )
    examples: ClassVar[tuple[str, ...]] = (
        "lstmfuse batch set-key 'midi-imports/*.musicxml' --key Eb --in-place",
        "lstmfuse batch set-key song.mxl --key 'D dorian' --all --out-dir fixed",
    )

    key: str | None = field(default=None, metadata=option(
        "--key", "-k", help=f"The key (required; {KEY_GRAMMAR_HELP}).",
        metavar="KEY"))
    all: bool = field(default=False, metadata=option(
        "--all", help="Replace every key signature, not only the opening one of each part."))

    def __post_init__(self) -> None:
        if not self.key:
            raise UsageError("set-key needs a key (--key Eb)")
        parse_key(self.key)

    def apply_xml(self, root, doc) -> dict[str, Any]:
        spec = parse_key(self.key)
        targets: set[int] = set()
        alive: list[etree._Element] = []  # lxml proxies keep their id() only while referenced
        for part in parts(root):
            found = list(part.iter("key")) if self.all else _opening_keys(part)
            if not _opening_keys(part):  # (with --all too: notes before a part's first key get one)
                found.insert(0, _insert_opening_key(part))
            alive.extend(found)
            targets.update(id(k) for k in found)
        counts: dict[str, Any] = {}

        def set_key(k: etree._Element) -> bool:
            if id(k) not in targets:
                return False
            return _write_key(k, spec)

        rewrite_pitches(root, None, set_key, counts)
        if counts:
            doc.touch()
        return {"key": str(spec), **counts}


def _opening_keys(part: etree._Element) -> list[etree._Element]:
    """The <key> elements before the part's first note."""
    out = []
    for measure in children(part, "measure"):
        for el in measure:
            if el.tag == "note":
                return out
            if el.tag == "attributes":
                out.extend(children(el, "key"))
    return out


_KEY_BEFORE = ("time", "staves", "part-symbol", "instruments", "clef", "staff-details", "transpose",
               "for-part", "directive", "measure-style")


def _insert_opening_key(part: etree._Element) -> etree._Element:
    measure = part.find("measure")
    if measure is None:
        raise LstmfuseError(f"part {part.get('id')} has no measures")
    attrs = measure.find("attributes")
    if attrs is None:
        attrs = build("attributes")
        insert_child(measure, attrs, before_tags=("note", "backup", "forward", "direction", "harmony",
                                                  "figured-bass", "sound", "listening", "barline",
                                                  "grouping", "link", "bookmark"))
    key_el = build("key")
    key_el.append(build("fifths", "0"))
    insert_child(attrs, key_el, before_tags=_KEY_BEFORE)
    return key_el


def _write_key(key_el: etree._Element, spec: Key) -> bool:
    fifths = key_el.find("fifths")
    mode = key_el.find("mode")
    if fifths is not None and text_of(fifths) == str(spec.fifths) and mode is not None and text_of(mode) == spec.mode:
        return False
    for c in list(key_el):
        if c.tag in ("key-step", "key-alter", "key-accidental", "cancel") and fifths is None:
            remove_child(c)
    if fifths is None:
        fifths = build("fifths")
        insert_child(key_el, fifths, before_tags=("mode", "key-octave"))
    fifths.text = str(spec.fifths)
    if mode is None:
        mode = build("mode")
        insert_child(key_el, mode, before_tags=("key-octave",), after_tags=("fifths",))
    mode.text = spec.mode
    return True
