"""One score file as the batch ops see it: a MusicXML tree (lxml) or a music21 score.

MusicXML and .mxl files stay an lxml tree from reading to writing, so everything an op does
not touch (layout, credits, lyrics, encoding, other zip members) comes out as it went in.
Only formats lxml cannot edit (**kern, ABC, MIDI) or cannot write (kern, MIDI) go through
music21; the switch happens lazily, at the first op that needs it.
"""

from __future__ import annotations

import io as _io
import tempfile
import warnings
import zipfile
from pathlib import Path, PurePosixPath

from lxml import etree

from ..errors import ScoreReadError, ScoreWriteError, UsageError
from ..io.formats import EXTENSIONS, WRITABLE, detect_format, normalise_format

_PARSER_OPTS = dict(resolve_entities=False, no_network=True, huge_tree=True, remove_blank_text=False,
                    strip_cdata=False)
_MXL_MIME = b"application/vnd.recordare.musicxml"
_CONTAINER = "META-INF/container.xml"


def _parser() -> etree.XMLParser:
    return etree.XMLParser(**_PARSER_OPTS)


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
        self._mxl_infos: list[zipfile.ZipInfo] = []
        self._mxl_members: dict[str, bytes] = {}
        self._xml_bytes: bytes | None = None  # original MusicXML bytes (inside .mxl too)
        if fmt == "musicxml":
            self._load_xml(data)
        elif fmt == "mxl":
            self._load_mxl(data)

    # ------------------------------------------------------------------ loading

    @classmethod
    def read(cls, path: str | Path) -> "Document":
        p = Path(path)
        fmt = sniff_format(p)
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise ScoreReadError(f"cannot read: {exc.strerror}", p) from None
        return cls(p, data, fmt)

    def _load_xml(self, data: bytes) -> None:
        self._xml_bytes = data
        try:
            tree = etree.parse(_io.BytesIO(data), _parser())
        except etree.XMLSyntaxError as exc:
            msg = (exc.msg or "malformed XML").split(", line")[0]
            raise ScoreReadError(f"malformed XML: {msg}", self.path, getattr(exc, "lineno", None)) from None
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
        try:
            zf = zipfile.ZipFile(_io.BytesIO(data))
            infos = zf.infolist()
            members = {i.filename: zf.read(i) for i in infos}
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise ScoreReadError(f"not a valid .mxl (zip) archive: {exc}", self.path) from None
        rootfile = _find_rootfile(members)
        if rootfile is None:
            raise ScoreReadError("the .mxl archive holds no MusicXML score", self.path)
        self._mxl_infos = infos
        self._mxl_members = members
        self._mxl_rootfile = rootfile
        self._load_xml(members[rootfile])

    # ------------------------------------------------------------------ views

    def xml(self) -> etree._Element:
        """The MusicXML root; converts from music21 (through its MusicXML writer) if needed."""
        if self.state == "xml":
            return self.root
        score = self.music21()
        from music21.musicxml import m21ToXml

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                data = m21ToXml.GeneralObjectExporter(score).parse()
            except Exception as exc:  # music21's exporter raises many types
                raise ScoreWriteError(f"music21 cannot export this score to MusicXML: {_one_line(exc)}", self.path) from None
        self._prolog = None
        self._xml_bytes = None
        tree = etree.parse(_io.BytesIO(data), _parser())
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
        from ..io.reader import load_all, music21_ready

        music21_ready()
        if self.state == "xml":
            import music21

            data = self.xml_bytes()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    score = music21.converter.parseData(data, format="musicxml")
                except Exception as exc:
                    raise ScoreReadError(f"music21 cannot read this MusicXML: {_one_line(exc)}", self.path) from None
        else:
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
        out = _io.BytesIO()
        if self._mxl_rootfile is not None and self.source_format == "mxl":
            with zipfile.ZipFile(out, "w") as zf:
                for info in self._mxl_infos:
                    data = xml if info.filename == self._mxl_rootfile else self._mxl_members[info.filename]
                    zf.writestr(_copy_info(info), data)
            return out.getvalue()
        name = self.path.stem + ".musicxml"
        container = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<container>\n  <rootfiles>\n'
            f'    <rootfile full-path="{_xml_attr(name)}" media-type="application/vnd.recordare.musicxml+xml"/>\n'
            "  </rootfiles>\n</container>\n"
        ).encode()
        with zipfile.ZipFile(out, "w") as zf:
            zf.writestr(zipfile.ZipInfo("mimetype", (1980, 1, 1, 0, 0, 0)), b"application/vnd.recordare.musicxml")
            zf.writestr(_deflated(_CONTAINER), container)
            zf.writestr(_deflated(name), xml)
        return out.getvalue()

    def _music21_bytes(self, fmt: str) -> bytes:
        from ..io.writer import save

        score = self.music21()
        suffix = EXTENSIONS[fmt][0]
        with tempfile.TemporaryDirectory(prefix="lstmfuse-batch-") as tmp:
            target = Path(tmp) / f"out{suffix}"
            save(score, target, fmt=fmt, force=True)
            return target.read_bytes()


def sniff_format(path: str | Path) -> str:
    """:func:`lstmfuse.io.detect_format`, plus MusicXML saved as UTF-16 (it has a BOM;
    several files of music21's trecento corpus are like that)."""
    try:
        return detect_format(path)
    except ScoreReadError as err:
        try:
            with open(path, "rb") as fh:
                head = fh.read(4096)
        except OSError:
            raise err from None
        for bom, codec in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
            if head.startswith(bom):
                text = head[2:].decode(codec, errors="ignore").lower()
                if "<score-partwise" in text or "<!doctype score-" in text or "<score-timewise" in text:
                    return "musicxml"
        raise


def _find_rootfile(members: dict[str, bytes]) -> str | None:
    container = members.get(_CONTAINER)
    if container is not None:
        try:
            root = etree.fromstring(container, _parser())
            for rf in root.iter("{*}rootfile", "rootfile"):
                path = rf.get("full-path")
                media = (rf.get("media-type") or "").encode()
                if path and path in members and (not media or media.startswith(_MXL_MIME)):
                    return path
        except etree.XMLSyntaxError:
            pass
    for name in members:  # no usable container: the first XML member at the top level
        if "/" not in name and PurePosixPath(name).suffix.lower() in (".xml", ".musicxml"):
            return name
    return None


def _copy_info(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    new = zipfile.ZipInfo(info.filename, info.date_time)
    new.compress_type = info.compress_type
    new.external_attr = info.external_attr
    new.create_system = info.create_system
    new.comment = info.comment
    new.extra = info.extra
    return new


def _deflated(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _xml_attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200] or type(exc).__name__


def format_for_output(path: str | Path) -> str | None:
    """Writable format named by a path's suffix."""
    from ..io.formats import format_from_suffix

    fmt = format_from_suffix(path)
    return fmt if fmt in WRITABLE else None


__all__ = ["Document", "format_for_output"]
