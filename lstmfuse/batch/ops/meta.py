"""Metadata op: ``set-meta`` (title, composer, work, movement, lyricist, arranger, rights).

Edits the score header (``<work>``, ``<movement-number>``, ``<movement-title>``,
``<identification>/<creator>``, ``<rights>``) and the page text of credits that say what
they are (``<credit-type>title</credit-type>`` and so on, MusicXML 3.0+). An empty value
removes the field. Nothing else in the file changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from lxml import etree

from ...errors import UsageError
from ..xmltree import build, children, insert_child, remove_child, set_text
from . import Op, option, register

_HEADER_ORDER = ("work", "movement-number", "movement-title", "identification", "defaults", "credit", "part-list")
_WORK_ORDER = ("work-number", "work-title", "opus")
_IDENT_ORDER = ("creator", "rights", "encoding", "source", "relation", "miscellaneous")


def _after(order: tuple[str, ...], tag: str) -> tuple[str, ...]:
    return order[order.index(tag) + 1:]


def _set_simple(parent: etree._Element, tag: str, value: str, order: tuple[str, ...]) -> bool:
    """Set the text of ``parent/tag`` (created in schema order); '' removes it."""
    found = children(parent, tag)
    if value == "":
        for el in found:
            remove_child(el)
        return bool(found)
    if found:
        changed = set_text(found[0], value) or len(found) > 1
        for extra in found[1:]:
            remove_child(extra)
        return changed
    insert_child(parent, build(tag, value), before_tags=_after(order, tag))
    return True


def _ensure(parent: etree._Element, tag: str, order: tuple[str, ...]) -> etree._Element:
    el = parent.find(tag)
    if el is None:
        el = build(tag)
        insert_child(parent, el, before_tags=_after(order, tag))
    return el


def _set_creator(root: etree._Element, kind: str, value: str) -> bool:
    ident = root.find("identification")
    if ident is None and value == "":
        return False
    ident = ident if ident is not None else _ensure(root, "identification", _HEADER_ORDER)
    found = [c for c in children(ident, "creator") if c.get("type") == kind]
    if value == "":
        for el in found:
            remove_child(el)
        return bool(found)
    if found:
        changed = set_text(found[0], value) or len(found) > 1
        for extra in found[1:]:
            remove_child(extra)
        return changed
    insert_child(ident, build("creator", value, type=kind), before_tags=_after(_IDENT_ORDER, "creator"))
    return True


def _set_credits(root: etree._Element, kind: str, value: str) -> int:
    """Update the first credit-words of credits typed ``kind`` (remove, for ``value`` "", the
    credits typed ``kind`` alone: the page text of a removed field); returns how many changed."""
    n = 0
    for credit in children(root, "credit"):
        types = [(c.text or "").strip() for c in children(credit, "credit-type")]
        if kind not in types:
            continue
        if value == "":
            if set(types) == {kind}:
                remove_child(credit)
                n += 1
            continue
        words = credit.find("credit-words")
        if words is not None and set_text(words, value):
            n += 1
    return n


@register
@dataclass(frozen=True)
class SetMeta(Op):
    """Set title, composer and other header fields."""

    name: ClassVar[str] = "set-meta"
    help: ClassVar[str] = (
        "Set metadata: title, composer, work title/number, movement title/number, lyricist, arranger, "
        "rights. An empty value ('') removes the field. Typed credits (page text) follow."
    )
    examples: ClassVar[tuple[str, ...]] = (
        "lstmfuse batch set-meta 'bach/*.mxl' --composer 'J. S. Bach' --in-place",
        "lstmfuse batch set-meta song.musicxml --title 'Ode' --movement-number 2 --out-dir out",
    )

    title: str | None = field(default=None, metadata=option(
        "--title", help="The title: sets the work title, or the movement title where the file has only that or a copy of the work title."))
    composer: str | None = field(default=None, metadata=option("--composer", help="Composer (creator type composer)."))
    work: str | None = field(default=None, metadata=option("--work", help="Work title (<work-title>)."))
    work_number: str | None = field(default=None, metadata=option("--work-number", help="Work number, e.g. 'Op. 133'."))
    movement: str | None = field(default=None, metadata=option("--movement", help="Movement title (<movement-title>)."))
    movement_number: str | None = field(default=None, metadata=option("--movement-number", help="Movement number."))
    lyricist: str | None = field(default=None, metadata=option("--lyricist", help="Lyricist (creator type lyricist)."))
    arranger: str | None = field(default=None, metadata=option("--arranger", help="Arranger (creator type arranger)."))
    rights: str | None = field(default=None, metadata=option("--rights", help="Copyright line (<rights>)."))

    def __post_init__(self) -> None:
        values = [getattr(self, f) for f in ("title", "composer", "work", "work_number", "movement",
                                             "movement_number", "lyricist", "arranger", "rights")]
        if all(v is None for v in values):
            raise UsageError("set-meta needs at least one field (--title, --composer, --work, --movement, ...)")
        for v in values:
            if v is not None and not isinstance(v, str):
                raise UsageError(f"set-meta values are text, got {v!r}")
            if v is not None and ("\n" in v or "\r" in v):
                raise UsageError("set-meta values must be one line")

    def apply_xml(self, root, doc) -> dict[str, Any]:
        changed: list[str] = []
        credits = 0
        if self.title is not None:
            work = root.find("work")
            has_work_title = work is not None and work.find("work-title") is not None
            has_movement = root.find("movement-title") is not None
            # music21 (and so every file lstmfuse writes) copies the title into <movement-title>,
            # which is what renderers print: a copy follows the title, a movement's own name stays
            copied = has_work_title and has_movement and (
                (work.findtext("work-title") or "").strip() == (root.findtext("movement-title") or "").strip())
            if has_work_title or not has_movement:
                w = _ensure(root, "work", _HEADER_ORDER) if self.title != "" or work is not None else None
                if w is not None and _set_simple(w, "work-title", self.title, _WORK_ORDER):
                    changed.append("title")
            if copied and getattr(doc, "source_format", "musicxml") not in ("musicxml", "mxl"):
                # a kern or ABC file reaches this tree through music21, which made the copy: it
                # would come back as a stale movement (kern !!!OMD) beside the new title
                remove_child(root.find("movement-title"))
            elif has_movement and (not has_work_title or copied):
                if _set_simple(root, "movement-title", self.title, _HEADER_ORDER) and "title" not in changed:
                    changed.append("title")
            credits += _set_credits(root, "title", self.title)
        if self.work is not None or self.work_number is not None:
            w = _ensure(root, "work", _HEADER_ORDER)
            if self.work is not None and _set_simple(w, "work-title", self.work, _WORK_ORDER):
                changed.append("work")
            if self.work_number is not None and _set_simple(w, "work-number", self.work_number, _WORK_ORDER):
                changed.append("work number")
            if len(w) == 0 and not (w.text or "").strip():
                remove_child(w)
        if self.movement is not None and _set_simple(root, "movement-title", self.movement, _HEADER_ORDER):
            changed.append("movement")
        if self.movement_number is not None and _set_simple(root, "movement-number", self.movement_number, _HEADER_ORDER):
            changed.append("movement number")
        for kind in ("composer", "lyricist", "arranger"):
            value = getattr(self, kind)
            if value is not None:
                if _set_creator(root, kind, value):
                    changed.append(kind)
                credits += _set_credits(root, kind, value)
        if self.rights is not None:
            ident = root.find("identification")
            if ident is not None or self.rights != "":
                ident = ident if ident is not None else _ensure(root, "identification", _HEADER_ORDER)
                if _set_simple(ident, "rights", self.rights, _IDENT_ORDER):
                    changed.append("rights")
            credits += _set_credits(root, "rights", self.rights)
        if changed or credits:
            doc.touch()
        out: dict[str, Any] = {}
        if changed:
            out["fields"] = ",".join(dict.fromkeys(changed))
        if credits:
            out["credits"] = credits
        return out
