"""Validate MusicXML against the official MusicXML 4.0 XSD, offline.

The XSD (W3C Community Final Specification Agreement) is vendored in
``lstmfuse/data/musicxml-4.0/``. It imports ``xml.xsd`` and ``xlink.xsd`` by their
``http://www.musicxml.org/...`` addresses; the vendored OASIS catalog maps those to the
local copies. libxml2 reads ``XML_CATALOG_FILES`` when it first needs a catalog, so the
variable is set here before the schema is loaded, and parsing never touches the network
(``no_network=True``): a broken catalog makes loading fail loudly instead of downloading.

The compiled :class:`lxml.etree.XMLSchema` is built once per process and reused.

>>> errors = validate_musicxml("song.musicxml")      # doctest: +SKIP
>>> for e in errors: print(e)                        # doctest: +SKIP
song.musicxml:42: Element 'part': The attribute 'id' is required but missing.
"""

from __future__ import annotations

import functools
import io as _io
import os
import posixpath
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import ScoreReadError

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "data" / "musicxml-4.0"
CATALOG = SCHEMA_DIR / "catalog.xml"
XSD = SCHEMA_DIR / "musicxml.xsd"

_SCORE_MEDIA_TYPES = ("application/vnd.recordare.musicxml+xml", "application/vnd.recordare.musicxml")


@dataclass(frozen=True)
class SchemaError:
    """One XSD violation: where it is (file, archive member, line) and what is wrong."""

    path: str
    line: int | None
    message: str
    member: str | None = None  # the score file inside an .mxl archive

    @property
    def where(self) -> str:
        """``file`` or ``archive.mxl(member.xml)`` (the ar(1)/make convention for members)."""
        return self.path if self.member is None else f"{self.path}({self.member})"

    def __str__(self) -> str:
        line = "" if self.line is None else f":{self.line}"
        return f"{self.where}{line}: {self.message}"


def _use_vendored_catalog() -> None:
    """Put the vendored catalog first in XML_CATALOG_FILES (keeping any the user set)."""
    ours = CATALOG.as_uri()
    current = os.environ.get("XML_CATALOG_FILES", "")
    if ours not in current.split():
        os.environ["XML_CATALOG_FILES"] = f"{ours} {current}".strip()


@functools.cache
def musicxml_schema():
    """The compiled MusicXML 4.0 schema (built once per process; about 10 ms)."""
    _use_vendored_catalog()
    from lxml import etree

    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    try:
        return etree.XMLSchema(etree.parse(str(XSD), parser))
    except (OSError, etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:  # pragma: no cover
        raise ScoreReadError(f"cannot load the vendored MusicXML 4.0 schema: {exc}", XSD) from None


def _xml_parser():
    from lxml import etree

    # No DTD loading (the DOCTYPE's partwise.dtd is not vendored and not needed for XSD
    # validation), no entity expansion, no network, and no size limit for big scores.
    return etree.XMLParser(load_dtd=False, no_network=True, resolve_entities=False, huge_tree=True)


def _parse_xml(data: bytes, label: str, member: str | None = None):
    """Parse XML bytes or raise ScoreReadError naming the file (and member) and line."""
    from lxml import etree

    where = label if member is None else f"{label}({member})"
    if not data.strip():
        raise ScoreReadError("file is empty", where)
    try:
        return etree.parse(_io.BytesIO(data), _xml_parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if getattr(exc, "lineno", None) else None
        msg = (exc.msg or "malformed XML").split(", line ")[0]
        raise ScoreReadError(f"malformed XML: {msg}", where, line) from None


def parse_musicxml_score(data: bytes, label: str, member: str | None = None):
    """Parse MusicXML bytes; raise ScoreReadError unless the root is a MusicXML score."""
    doc = _parse_xml(data, label, member)
    root = doc.getroot()
    if root.tag not in ("score-partwise", "score-timewise"):
        where = label if member is None else f"{label}({member})"
        raise ScoreReadError(
            f"not a MusicXML score: the root element is <{root.tag}>, expected <score-partwise> or <score-timewise>",
            where,
        )
    return doc


def mxl_score_member(zf: zipfile.ZipFile, label: str) -> str:
    """The name of the score file inside an .mxl archive (from META-INF/container.xml)."""
    from lxml import etree

    names = zf.namelist()
    if "META-INF/container.xml" in names:
        try:
            container = etree.fromstring(zf.read("META-INF/container.xml"), _xml_parser())
        except etree.XMLSyntaxError as exc:
            raise ScoreReadError(f"malformed META-INF/container.xml: {exc.msg}", label) from None
        rootfiles = [el for el in container.iter() if isinstance(el.tag, str) and el.tag.endswith("rootfile")]
        # The first rootfile that is a MusicXML score (media-type absent means MusicXML).
        for el in rootfiles:
            media = el.get("media-type")
            path = el.get("full-path")
            if path and (media is None or media in _SCORE_MEDIA_TYPES):
                if path not in names:
                    raise ScoreReadError(f"container.xml names '{path}', which is not in the archive", label)
                return path
    candidates = [
        n for n in names
        if not n.startswith("META-INF/") and posixpath.splitext(n)[1].lower() in (".xml", ".musicxml")
    ]
    if not candidates:
        raise ScoreReadError("the .mxl archive holds no MusicXML score", label)
    return candidates[0]


def read_musicxml_bytes(source: str | os.PathLike[str] | bytes, label: str | None = None) -> tuple[bytes, str, str | None]:
    """The MusicXML score bytes of a .musicxml/.xml file, an .mxl archive, or raw bytes.

    Returns ``(xml_bytes, label, member)`` where member names the score inside an .mxl.
    Raises ScoreReadError (one line, naming the file) for anything unreadable.
    """
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
        label = label or "<bytes>"
    else:
        p = Path(source)
        label = label or str(p)
        if not p.exists():
            raise ScoreReadError("no such file", label)
        if p.is_dir():
            raise ScoreReadError("is a directory, not a score file", label)
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise ScoreReadError(f"cannot read: {exc.strerror}", label) from None
    if not data.strip():
        raise ScoreReadError("file is empty", label)
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(_io.BytesIO(data)) as zf:
                member = mxl_score_member(zf, label)
                return zf.read(member), label, member
        except zipfile.BadZipFile as exc:
            raise ScoreReadError(f"not a valid .mxl (zip) archive: {exc}", label) from None
        except (KeyError, zipfile.LargeZipFile, NotImplementedError, OSError) as exc:
            raise ScoreReadError(f"cannot read the .mxl archive: {exc}", label) from None
    head = data[:4096].lstrip(b"\xef\xbb\xbf").lstrip()
    if not head.startswith(b"<"):
        from .formats import sniff

        found = sniff(data[:16384])
        what = f"looks like {found}" if found else "does not start with '<'"
        raise ScoreReadError(f"not a MusicXML file ({what})", label)
    return data, label, None


def validate_musicxml(source: str | os.PathLike[str] | bytes, label: str | None = None) -> list[SchemaError]:
    """Check a MusicXML file (or the score inside an .mxl, or raw bytes) against the 4.0 XSD.

    Returns the schema errors in document order (empty when valid). Raises ScoreReadError
    when the input cannot be read as XML at all (missing, empty, not XML, malformed).
    """
    from lxml import etree

    data, label, member = read_musicxml_bytes(source, label)
    doc = parse_musicxml_score(data, label, member)
    entities = unexpanded_entities(doc, label, member)
    if entities:  # libxml2's validator stops with "Internal error" on these
        return entities
    schema = musicxml_schema()
    try:
        if schema.validate(doc):
            return []
    except etree.XMLSchemaValidateError as exc:
        return [SchemaError(label, None, f"the schema validator stopped: {' '.join(str(exc).split())}", member)]
    return [SchemaError(label, e.line or None, " ".join(e.message.split()), member) for e in schema.error_log]


def unexpanded_entities(doc, label: str, member: str | None = None) -> list[SchemaError]:
    """One error per entity reference left in the document (first use of each name).

    Entities are never expanded here (no external file or network is read, and no entity
    bomb can grow), so a reference such as ``&xxe;`` stays in the tree, where the XSD
    validator cannot go on; MusicXML itself needs no entities.
    """
    from lxml import etree

    found: dict[str, int | None] = {}
    for node in doc.iter(etree.Entity):
        found.setdefault(node.name, node.sourceline)
    return [
        SchemaError(label, line, f"entity reference &{name}; is not expanded (entities are never loaded); write its text instead", member)
        for name, line in found.items()
    ]


__all__ = ["SchemaError", "musicxml_schema", "mxl_score_member", "parse_musicxml_score", "read_musicxml_bytes", "validate_musicxml"]
