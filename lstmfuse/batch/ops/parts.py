"""Part ops: ``extract-parts``, ``remove-parts``, ``reorder-parts``.

A part is named by its id (``P2``), its 1-based position (``2``) or its name or
abbreviation (``Alto``, case-insensitive). The ``<part-list>`` entries (with their
instruments) and the ``<part>`` elements move together; ``<part-group>`` brackets are kept
around the parts they still enclose and dropped when they enclose nothing (or, after a
reorder, when their parts are no longer next to each other).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

from lxml import etree

from ...errors import LstmfuseError, UsageError
from ..xmltree import children, text_of
from . import Op, option, register


def part_table(root: etree._Element) -> list[tuple[str, str, str]]:
    """``[(id, name, abbreviation)]`` in part-list order."""
    plist = root.find("part-list")
    if plist is None:
        return []
    return [(sp.get("id", ""), text_of(sp.find("part-name")), text_of(sp.find("part-abbreviation")))
            for sp in children(plist, "score-part")]


#: the id music21 makes up for a part that had none (a kern spine, an ABC tune): new on every
#: read, so no use to name a part by
_MADE_UP_ID = re.compile(r"P[0-9a-f]{32}")


def _describe(table) -> str:
    """Parts as a user can name them: number, id (unless made up), name (``Part N`` when
    unnamed, as ``lstmfuse info`` lists them)."""
    return ", ".join(f"{i}" + ("" if _MADE_UP_ID.fullmatch(pid) else f" {pid}") + f" '{name or f'Part {i}'}'"
                     for i, (pid, name, _) in enumerate(table, 1))


def resolve_parts(root: etree._Element, selectors: tuple[str, ...], path=None) -> list[str]:
    """Part ids for the selectors, in the order given; a LstmfuseError names an unknown one."""
    table = part_table(root)
    ids = [t[0] for t in table]
    out: list[str] = []
    for sel in selectors:
        s = str(sel).strip()
        hit: list[str] = []
        if s in ids:
            hit = [s]
        elif s.isdigit() and 1 <= int(s) <= len(ids):
            hit = [ids[int(s) - 1]]
        elif (numbered := re.fullmatch(r"part\s*(\d+)", s.casefold())) and 1 <= int(numbered.group(1)) <= len(ids) \
                and not any(name.casefold() == s.casefold() for _, name, _ in table):
            hit = [ids[int(numbered.group(1)) - 1]]  # "Part 2", as info names an unnamed part
        else:
            low = s.casefold()
            hit = [pid for pid, name, abbr in table if low and (name.casefold() == low or abbr.casefold() == low)]
        if not hit:
            raise LstmfuseError(f"no part '{s}' (parts: {_describe(table)})", path)
        if len(hit) > 1:
            raise LstmfuseError(f"part name '{s}' is ambiguous (parts: {_describe(table)}); use an id or a number", path)
        if hit[0] in out:
            raise LstmfuseError(f"part '{s}' is named twice", path)
        out.append(hit[0])
    return out


def _groups(plist: etree._Element) -> list[dict]:
    """The part-groups of a part-list: number, start/stop elements and member part ids."""
    open_groups: dict[str, dict] = {}
    done: list[dict] = []
    for c in plist:
        if c.tag == "part-group":
            num = c.get("number", "1")
            if c.get("type") == "start":
                open_groups[num] = {"start": c, "stop": None, "members": []}
            elif c.get("type") == "stop" and num in open_groups:
                g = open_groups.pop(num)
                g["stop"] = c
                done.append(g)
        elif c.tag == "score-part":
            for g in open_groups.values():
                g["members"].append(c.get("id"))
    done.extend(open_groups.values())  # never stopped: keep as they are
    return done


def rewrite_parts(root: etree._Element, keep: list[str], doc) -> dict[str, Any]:
    """Keep exactly the parts ``keep``, in that order; fix part-groups."""
    plist = root.find("part-list")
    score_parts = {sp.get("id"): sp for sp in children(plist, "score-part")}
    part_els = {p.get("id"): p for p in children(root, "part")}
    old_order = list(score_parts)
    if not keep:
        raise LstmfuseError("the edit would leave no part", doc.path)
    if keep == old_order:
        return {}
    groups = _groups(plist)
    removed = [pid for pid in old_order if pid not in keep]
    notes = []
    # --- part-list: rebuild the sequence
    pos = {pid: i for i, pid in enumerate(keep)}
    kept_groups = []
    for g in groups:
        members = [m for m in g["members"] if m in pos]
        if not members:
            continue
        idx = sorted(pos[m] for m in members)
        if idx != list(range(idx[0], idx[-1] + 1)) or g["stop"] is None:
            if g["stop"] is not None:
                notes.append(f"dropped part-group {g['start'].get('number', '1')} (its parts are no longer adjacent)")
                continue
        kept_groups.append((idx[0], idx[-1], g))
    old_kids = list(plist)
    tails = [c.tail for c in old_kids]
    head_text = plist.text
    for c in old_kids:
        plist.remove(c)
    seq: list[etree._Element] = []
    # leading elements that are neither groups nor parts stay first
    seq.extend(c for c in old_kids if c.tag not in ("part-group", "score-part"))
    for i, pid in enumerate(keep):
        starts = sorted((g for g in kept_groups if g[0] == i), key=lambda g: -(g[1] - g[0]))
        seq.extend(g[2]["start"] for g in starts)
        seq.append(score_parts[pid])
        stops = sorted((g for g in kept_groups if g[1] == i), key=lambda g: g[1] - g[0])
        seq.extend(g[2]["stop"] for g in stops if g[2]["stop"] is not None)
    _place(plist, seq, tails, head_text)
    # --- the <part> elements, in the slots the old ones took
    slots = [i for i, c in enumerate(root) if c.tag == "part"]
    all_kids = list(root)
    part_tails = [all_kids[i].tail for i in slots]
    for pid in old_order:
        if pid in part_els:
            root.remove(part_els[pid])
    new_parts = [part_els[pid] for pid in keep if pid in part_els]
    first = slots[0] if slots else len(root)
    for j, p in enumerate(new_parts):
        p.tail = part_tails[j] if j < len(new_parts) - 1 else part_tails[-1]
        root.insert(first + j, p)
    doc.touch()
    doc.notes.extend(notes)
    out: dict[str, Any] = {"parts": len(keep)}
    if removed:
        out["removed"] = ",".join(removed)
    elif keep != old_order:
        out["order"] = ",".join(keep)
    return out


def _place(parent: etree._Element, seq: list[etree._Element], tails: list, head_text) -> None:
    parent.text = head_text
    n = len(seq)
    last_tail = tails[-1] if tails else None
    inner_tail = next((t for t in tails[:-1] if t is not None), last_tail)
    for i, el in enumerate(seq):
        el.tail = last_tail if i == n - 1 else inner_tail
        parent.append(el)


def _check_unique_ids(root, path) -> None:
    ids = [t[0] for t in part_table(root)]
    if len(set(ids)) != len(ids) or "" in ids:
        raise LstmfuseError("parts without unique ids cannot be selected", path)


@dataclass(frozen=True)
class _PartsOp(Op):
    parts: tuple[str, ...] = field(default=(), metadata=option(
        "--part", "-p", help="A part: id (P2), number (2) or name (Alto); repeat the option for more.",
        metavar="PART"))

    def __post_init__(self) -> None:
        if isinstance(self.parts, str):
            object.__setattr__(self, "parts", (self.parts,))
        else:
            object.__setattr__(self, "parts", tuple(str(p) for p in self.parts))
        if not self.parts:
            raise UsageError(f"{self.name} needs at least one part (--part NAME)")


@register
@dataclass(frozen=True)
class ExtractParts(_PartsOp):
    """Keep only the named parts (in score order)."""

    name: ClassVar[str] = "extract-parts"
    help: ClassVar[str] = "Keep only the named parts (in score order); everything else in them is untouched."
    examples: ClassVar[tuple[str, ...]] = (
        "lstmfuse batch extract-parts 'chorales/*.mxl' --part Soprano --out-dir melodies",
        "lstmfuse batch extract-parts quartet.musicxml -p 1 -p 4 --out-dir outer-voices",
    )

    def apply_xml(self, root, doc) -> dict[str, Any]:
        _check_unique_ids(root, doc.path)
        wanted = set(resolve_parts(root, self.parts, doc.path))
        keep = [pid for pid, _, _ in part_table(root) if pid in wanted]
        return rewrite_parts(root, keep, doc)


@register
@dataclass(frozen=True)
class RemoveParts(_PartsOp):
    """Drop the named parts."""

    name: ClassVar[str] = "remove-parts"
    help: ClassVar[str] = "Remove the named parts; the others are untouched."
    examples: ClassVar[tuple[str, ...]] = (
        "lstmfuse batch remove-parts 'scores/*.musicxml' --part Piano --in-place",
    )

    def apply_xml(self, root, doc) -> dict[str, Any]:
        _check_unique_ids(root, doc.path)
        gone = set(resolve_parts(root, self.parts, doc.path))
        keep = [pid for pid, _, _ in part_table(root) if pid not in gone]
        return rewrite_parts(root, keep, doc)


@register
@dataclass(frozen=True)
class ReorderParts(_PartsOp):
    """Put the named parts first, in the order given; the rest follow in score order."""

    name: ClassVar[str] = "reorder-parts"
    help: ClassVar[str] = (
        "Reorder parts: the named ones first, in the order given, the others after them in score order."
    )
    examples: ClassVar[tuple[str, ...]] = (
        "lstmfuse batch reorder-parts 'chorales/*.mxl' -p Bass -p Tenor -p Alto -p Soprano --out-dir upside-down",
    )

    def apply_xml(self, root, doc) -> dict[str, Any]:
        _check_unique_ids(root, doc.path)
        first = resolve_parts(root, self.parts, doc.path)
        keep = first + [pid for pid, _, _ in part_table(root) if pid not in first]
        return rewrite_parts(root, keep, doc)

