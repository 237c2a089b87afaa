"""One score file as the batch ops see it: a MusicXML tree (lxml) or a music21 score.

MusicXML and .mxl files stay an lxml tree from reading to writing, so everything an op does
not touch (layout, credits, lyrics, encoding, other zip members) comes out as it went in.
Only formats lxml cannot edit (**kern, ABC, MIDI) or cannot write (kern, MIDI) go through
music21; the switch happens lazily, at the first op that needs it.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

from lxml import etree

from ..errors import LstmfuseError, ScoreReadError, ScoreWriteError, UsageError
from ..io import musicxml
from ..io.quiet import quiet
from ..io.formats import EXTENSIONS, WRITABLE, abc_tune_count, detect_format, normalise_format


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
        from ..io.reader import load_all

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
        score = self.music21()
        from music21.musicxml import m21ToXml

        from ..io.writer import repair_before_writing

        repair_before_writing(score, "musicxml")  # as lstmfuse.io.save does: valid pedal types, clefs

        with warnings.catch_warnings(), quiet():  # music21 prints "we are out of midi channels! help!"
            warnings.simplefilter("ignore")
            try:
                data = m21ToXml.GeneralObjectExporter(score).parse()
            except Exception as exc:  # music21's exporter raises many types
                raise ScoreWriteError(f"music21 cannot export this score to MusicXML: {_one_line(exc)}", self.path) from None
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
        from ..io.reader import load_all, load_musicxml_bytes

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
        from ..io.conversion import save_converted

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


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


__all__ = ["Document"]
