"""Helpers shared by the batch tests: music21 signatures and a structural XML diff."""

from __future__ import annotations

import io
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from lstmfuse.io.document import Document
from lstmfuse.batch.pitch import ACCIDENTAL_ALTERS, key_alters
from lstmfuse.batch.xmltree import _key_map

PARSER = dict(resolve_entities=False, no_network=True, huge_tree=True, remove_blank_text=False)


def m21_parse(path_or_bytes, suffix: str = ".musicxml"):
    import music21

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if isinstance(path_or_bytes, (bytes, bytearray)):
            with tempfile.NamedTemporaryFile(suffix=suffix) as tf:
                tf.write(path_or_bytes)
                tf.flush()
                return music21.converter.parse(tf.name, forceSource=True)
        return music21.converter.parse(str(path_or_bytes), forceSource=True)


def signature(score) -> tuple[list, list, list]:
    """(notes, keys, chord symbols): every pitch as (part, offset, step, octave, ps) -- the
    spelling and the exact pitch -- key signatures as (offset, sharps, mode), chord symbols
    as (offset, root, bass)."""
    from music21 import harmony

    notes, symbols = [], []
    for pi, part in enumerate(score.parts):
        for n in part.flatten().notes:
            off = float(n.offset)
            if isinstance(n, harmony.ChordSymbol):
                symbols.append((pi, off, n.root().name if n.root() else None, n.bass().name if n.bass() else None))
                continue
            for p in n.pitches:
                notes.append((pi, off, p.step, p.octave, round(p.ps, 3)))
    keys = [(float(k.getOffsetInHierarchy(score)), k.sharps, getattr(k, "mode", None))
            for k in score.recurse().getElementsByClass("KeySignature")]
    return notes, keys, symbols


def xml_root(data: bytes) -> etree._Element:
    if data[:4] == b"PK\x03\x04":
        doc = Document(Path("x.mxl"), data, "mxl")
        return doc.root
    return etree.fromstring(data, etree.XMLParser(**PARSER))


def canon(root: etree._Element, skip: Callable[[etree._Element], bool] = lambda e: False) -> list[tuple]:
    """Every node in document order as (tag, attributes, text, tail), skipping whole
    subtrees for which ``skip`` is true; whitespace-only text counts as empty."""
    out: list[tuple] = []

    def walk(el: etree._Element) -> None:
        if not isinstance(el.tag, str):
            out.append(("#" + str(type(el).__name__), (el.text or "").strip(), (el.tail or "").strip()))
            return
        if skip(el):
            return
        out.append((el.tag, tuple(sorted(el.attrib.items())), (el.text or "").strip(), (el.tail or "").strip()))
        for c in el:
            walk(c)

    walk(root)
    return out


PITCH_TAGS = {"step", "alter", "octave"}
KEY_TAGS = {"fifths", "cancel", "key-step", "key-alter", "key-accidental", "mode"}
HARMONY_TAGS = {"root-step", "root-alter", "bass-step", "bass-alter"}


def pitch_mask(el: etree._Element) -> bool:
    parent = el.getparent()
    ptag = parent.tag if parent is not None else None
    if el.tag in PITCH_TAGS and ptag == "pitch":
        return True
    if el.tag in KEY_TAGS and ptag == "key":
        return True
    if el.tag == "accidental" and ptag == "note":
        return True
    return el.tag in HARMONY_TAGS


def accidental_report(root: etree._Element) -> tuple[int, int]:
    """(notes whose pitch differs from what key and measure imply but show no accidental,
    accidental elements whose sign contradicts the note's alteration)."""
    missing = wrong = 0
    for part in root.iterchildren("part"):
        keys = {None: key_alters(0)}
        for measure in part.iterchildren("measure"):
            state: dict = {}
            for el in measure:
                if el.tag == "attributes":
                    for k in el.iterchildren("key"):
                        km = _key_map(k)
                        if k.get("number") is None:
                            keys = {None: km}
                        else:
                            keys[k.get("number")] = km
                elif el.tag == "note":
                    p = el.find("pitch")
                    if p is None:
                        continue
                    step, octave = p.findtext("step"), int(p.findtext("octave"))
                    alter = float(p.findtext("alter") or 0)
                    acc = el.find("accidental")
                    if p.find("alter") is None and acc is not None and ACCIDENTAL_ALTERS.get((acc.text or "").strip()):
                        alter = ACCIDENTAL_ALTERS[acc.text.strip()]
                    staff = (el.findtext("staff") or "1").strip()
                    km = keys.get(staff) or keys.get(None)
                    implied = state.get((staff, step, octave), km.get(step, 0.0))
                    tie_stop = any(t.get("type") == "stop" for t in el.iterchildren("tie"))
                    if acc is None and alter != implied and not tie_stop:
                        missing += 1
                    if acc is not None and ACCIDENTAL_ALTERS.get((acc.text or "").strip(), alter) != alter:
                        wrong += 1
                    if not (tie_stop and acc is None):
                        state[(staff, step, octave)] = alter
    return missing, wrong


def mxl_members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}
