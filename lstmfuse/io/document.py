"""One score file as edits see it: a MusicXML tree (lxml) or a music21 score.

MusicXML and .mxl files stay an lxml tree from reading to writing, so everything an op does
not touch (layout, credits, lyrics, encoding, other zip members) comes out as it went in.
Only formats lxml cannot edit (**kern, ABC, MIDI) or cannot write (kern, MIDI) go through
music21; the switch happens lazily, at the first op that needs it.
"""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from lxml import etree

from ..errors import LstmfuseError, ScoreReadError, UsageError
from . import musicxml
from .quiet import quiet
from .formats import EXTENSIONS, WRITABLE, abc_tune_count, detect_format, normalise_format
from .writer import export_musicxml

T = TypeVar("T")


class Document:
    """A loaded score. ``state`` is ``"xml"`` (``root`` holds the tree) or ``"score"``
    (``score`` holds a music21 Score). ``modified`` tells whether any op changed it."""

    def __init__(self, path: str | Path, data: bytes, fmt: str):
        self.path = Path(path)
        self.source_bytes = data
        self.source_format = fmt
        self.target_format = fmt
        self.modified = False
        self.notes: list[str] = []  # warnings an op wants in the report
        self.root: etree._Element | None = None
        self.score = None
        self.state = "none"
        self._prolog = b""
        self._epilogue = b""
        self._encoding = "UTF-8"
        self._mxl_rootfile: str | None = None
        self._xml_bytes: bytes | None = None  # original MusicXML bytes (inside .mxl too)
        if fmt == "musicxml":
            self._load_xml(data)
        elif fmt == "mxl":
            self._load_mxl(data)

    # ------------------------------------------------------------------ loading

    @classmethod
    def read(cls, path: str | Path) -> "Document":
        p = Path(path)
        fmt = detect_format(p)
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise ScoreReadError(f"cannot read: {exc.strerror}", p) from None
        return cls(p, data, fmt)

    @classmethod
    def read_all(cls, path: str | Path) -> list["Document"]:
        """One document per score in the file: one per tune of an ABC collection (each is
        edited and written on its own), else just :meth:`read`'s."""
        doc = cls.read(path)
        if doc.source_format != "abc" or abc_tune_count(doc.source_bytes) < 2:
            return [doc]
        from .reader import load_all

        with quiet(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scores = list(load_all(doc.path))
        docs = []
        for score in scores:
            tune = cls(doc.path, doc.source_bytes, "abc")
            tune.score, tune.state = score, "score"
            docs.append(tune)
        return docs

    def _load_xml(self, data: bytes) -> None:
        self._xml_bytes = data
        tree = musicxml.parse(data, self.path)
        root = tree.getroot()
        tag = etree.QName(root).localname if isinstance(root.tag, str) else ""
        if tag == "score-timewise":
            raise ScoreReadError("score-timewise MusicXML is not supported by batch edits (convert it to partwise first)", self.path)
        if tag != "score-partwise":
            raise ScoreReadError(f"not a MusicXML score (root element <{tag}>)", self.path)
        if root.nsmap.get(None):
            raise ScoreReadError("MusicXML in an XML namespace is not supported", self.path)
        self.root = root
        self.state = "xml"
        self._encoding = tree.docinfo.encoding or "UTF-8"
        self._split_prolog(data, tag)

    def _split_prolog(self, data: bytes, tag: str) -> None:
        """Keep the bytes around the root element (declaration, doctype, comments) verbatim."""
        enc = self._encoding.lower().replace("_", "-")
        if enc not in ("utf-8", "us-ascii", "ascii", "iso-8859-1", "latin-1"):
            self._prolog = None  # serialise with lxml's own declaration instead
            return
        start = data.find(f"<{tag}".encode())
        end_tag = f"</{tag}>".encode()
        end = data.rfind(end_tag)
        if start < 0 or end < 0:
            self._prolog = None
            return
        self._prolog = data[:start]
        self._epilogue = data[end + len(end_tag):]

    def _load_mxl(self, data: bytes) -> None:
        xml, self._mxl_rootfile = musicxml.read_mxl(data, self.path)
        self._load_xml(xml)

    # ------------------------------------------------------------------ views

    def xml(self) -> etree._Element:
        """The MusicXML root; converts from music21 (through its MusicXML writer) if needed."""
        if self.state == "xml":
            return self.root
        data = export_musicxml(self.music21(), self.path)
        self._prolog = None
        self._xml_bytes = None
        tree = musicxml.parse(data, self.path)
        self.root = tree.getroot()
        self._encoding = tree.docinfo.encoding or "UTF-8"
        self._split_prolog(data, "score-partwise")
        self.score = None
        self.state = "xml"
        return self.root

    def music21(self):
        """The score as a music21 Score (parsing the current tree or the source file)."""
        if self.state == "score":
            return self.score
        from .reader import load_all, load_musicxml_bytes

        if self.state == "xml":
            with quiet():
                score = load_musicxml_bytes(self.xml_bytes(), self.path)
        else:
            with quiet():
                scores = list(load_all(self.path))
            if len(scores) != 1:
                raise ScoreReadError(f"the file holds {len(scores)} tunes; batch edits need one score per file", self.path)
            score = scores[0]
        self.score = score
        self.root = None
        self.state = "score"
        return score

    def edit_music21(self, edit: Callable[[Any], T], score=None) -> T:
        """Run ``edit`` on the score as music21 reads it. A MusicXML document stays its own
        tree: only the bars the edit changed are spliced into it (:mod:`lstmfuse.io.splice`),
        so a continuation leaves an open ending, a part's display name and the layout as they
        were. Where music21's bars do not line up with the file's, music21 writes it whole.
        ``score``: this file as already read into music21 and not yet edited (saves a read)."""
        if self.state != "xml":
            return edit(self.music21())
        from .reader import load_musicxml_bytes
        from .repairs import add_missing_clefs
        from .splice import splice_edit

        root = self.root
        with quiet():
            unedited = load_musicxml_bytes(self.xml_bytes(), self.path)
        if score is not None:  # read already from this file (by lstmfuse.io.load), not edited yet
            self.score, self.root, self.state = score, None, "score"
        score = self.music21()
        for read in (unedited, score):  # the clef a part without one gets fits the user's notes
            add_missing_clefs(read)
        result = edit(score)
        _same_notation_status(unedited, score)
        first = _first_changed_measure(unedited, score)
        if first is not None and first > 0:
            first -= 1  # a bar before: the excerpt's clef, key and time go into a bar kept as it is
        before, after = (export_musicxml(_excerpt(s, first), self.path) for s in (unedited, score))
        if splice_edit(root, before, after, first or 0):
            self.root, self.score, self.state = root, None, "xml"
        return result

    def touch(self) -> None:
        self.modified = True

    # ------------------------------------------------------------------ output

    def xml_bytes(self) -> bytes:
        """The current tree as MusicXML bytes (the original bytes when nothing changed)."""
        if self.state != "xml":
            self.xml()
        if not self.modified and self._xml_bytes is not None:
            return self._xml_bytes
        if self._prolog is None:
            return etree.tostring(self.root.getroottree(), xml_declaration=True, encoding=self._encoding)
        body = etree.tostring(self.root, encoding=self._encoding, xml_declaration=False)
        return self._prolog + body + self._epilogue

    def output_bytes(self, fmt: str | None = None) -> bytes:
        """The document in ``fmt`` (default: its target format) as bytes."""
        fmt = normalise_format(fmt or self.target_format)
        if fmt not in WRITABLE:
            raise UsageError(f"cannot write {fmt}; add a convert step (e.g. convert --to musicxml)")
        if not self.modified and fmt == self.source_format:
            return self.source_bytes
        if fmt == "musicxml":
            return self.xml_bytes()
        if fmt == "mxl":
            return self._mxl_bytes()
        return self._music21_bytes(fmt)

    def _mxl_bytes(self) -> bytes:
        xml = self.xml_bytes()
        if self._mxl_rootfile is not None and self.source_format == "mxl":
            return musicxml.replace_mxl_member(self.source_bytes, self._mxl_rootfile, xml)
        return musicxml.write_mxl(xml, self.path.stem + ".musicxml")

    def _music21_bytes(self, fmt: str) -> bytes:
        """Written by music21 as every conversion is (:func:`lstmfuse.io.save_converted`)."""
        from .conversion import save_converted

        score = self.music21()
        if not score.recurse().notesAndRests:
            raise ScoreReadError("the score holds no notes or rests", self.path)
        suffix = EXTENSIONS[fmt][0]
        with tempfile.TemporaryDirectory(prefix="lstmfuse-batch-") as tmp:
            target = Path(tmp) / f"out{suffix}"
            try:
                save_converted(score, target, fmt=fmt, force=True)
            except LstmfuseError as exc:  # it named the scratch file: name the score instead
                raise type(exc)(exc.message, self.path) from None
            return target.read_bytes()


def _measure_prints(score) -> list[list[tuple]]:
    """Every measure of every part as what it holds (elements, offsets, lengths, ties,
    accidentals shown, beams, spanners), to find the bars an edit changed without exporting."""
    from collections import Counter

    from music21 import note, spanner, stream

    in_spanners = Counter(id(el) for sp in score.recurse().getElementsByClass(spanner.Spanner) for el in sp.getSpannedElements())

    def held(el) -> tuple:
        if not isinstance(el, note.GeneralNote):
            return (repr(el), float(el.offset), float(el.quarterLength), in_spanners[id(el)])
        return (repr(el), float(el.offset), float(el.quarterLength), el.tie.type if el.tie is not None else None,
                tuple((p.nameWithOctave, p.accidental.displayStatus if p.accidental is not None else None) for p in el.pitches),
                repr(getattr(el, "beams", None)), in_spanners[id(el)], tuple(lyric.text for lyric in el.lyrics))

    return [[(m.number, repr(m.leftBarline), repr(m.rightBarline), tuple(held(el) for el in m.recurse()))
             for m in part.getElementsByClass(stream.Measure)] for part in score.parts]


def _first_changed_measure(unedited, edited) -> int | None:
    """The index of the first measure an edit changed or added in any part (None: none)."""
    found = None
    for before, after in zip(_measure_prints(unedited), _measure_prints(edited)):
        changed = [k for k, (a, b) in enumerate(zip(before, after)) if a != b]
        if len(after) != len(before):
            changed.append(min(len(before), len(after)))
        if changed:
            found = changed[0] if found is None else min(found, changed[0])
    return found


def _excerpt(score, first: int | None):
    """The score from measure index ``first`` to its end, with its metadata (the whole score
    where ``first`` is 0 or None)."""
    if not first:
        return score
    part = score.measures(first, None, indicesNotNumbers=True)
    part.metadata = score.metadata
    return part


def _same_notation_status(unedited, edited) -> None:
    """music21's exporter works out a part's accidentals and beams only where no note of the
    part has them yet, so new notes that come with them changed how it wrote the untouched
    bars too (a C natural lost its sign under a C-sharp signature). Both scores get them
    worked out here, in place, before either is exported, so untouched bars export alike."""
    from music21.stream import makeNotation

    for before, after in zip(unedited.parts, edited.parts):
        if not before.streamStatus.accidentals:
            for part in (before, after):
                makeNotation.makeAccidentalsInMeasureStream(part)  # notes that have theirs keep them
                part.streamStatus.accidentals = True
        if not before.streamStatus.beams:
            for part in (before, after):
                try:
                    makeNotation.makeBeams(part, inPlace=True)
                except Exception:  # beaming is cosmetic: an odd meter must not fail a write
                    pass
                part.streamStatus.beams = True


__all__ = ["Document"]
