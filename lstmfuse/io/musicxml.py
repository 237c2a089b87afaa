"""MusicXML and .mxl as bytes: the one place that knows the safe XML parser, the text
encodings a MusicXML file may use, and the .mxl container.

Every reader of MusicXML (the loader's pre-check, schema validation, rendering, batch
edits) goes through here, so a file one command reads, every command reads: UTF-16
MusicXML (with a byte order mark, or declared without one; several files of music21's
trecento corpus are like that) included.

The parser never loads a DTD, never expands an entity, never touches the network
(an ``<!ENTITY xxe SYSTEM "file:///etc/passwd">`` stays an unexpanded reference), and
has no size limit (real scores reach tens of MB).
"""

from __future__ import annotations

import codecs
import io as _io
import os
import posixpath
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

from ..errors import ScoreReadError

CONTAINER = "META-INF/container.xml"
MIMETYPE = b"application/vnd.recordare.musicxml"
SCORE_MEDIA_TYPES = ("application/vnd.recordare.musicxml+xml", "application/vnd.recordare.musicxml")

#: lxml parser settings for every MusicXML (and container.xml) read in lstmfuse
PARSER_OPTIONS = dict(load_dtd=False, no_network=True, resolve_entities=False, huge_tree=True,
                      remove_blank_text=False, strip_cdata=False)

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_DECLARED = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def parser():
    """A new lxml parser with :data:`PARSER_OPTIONS` (lxml parsers are not thread-safe)."""
    from lxml import etree

    return etree.XMLParser(**PARSER_OPTIONS)


# --------------------------------------------------------------------------- encodings


def encoding_of(data: bytes) -> str:
    """The Python codec of an XML document's bytes: from a byte order mark, else from the
    pattern of ``<?`` (UTF-16 without a mark), else from the declaration, else UTF-8."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec
    if data.startswith(b"<\x00?\x00"):
        return "utf-16-le"
    if data.startswith(b"\x00<\x00?"):
        return "utf-16-be"
    found = _DECLARED.match(data.lstrip()[:200])
    if found:
        name = found.group(1).decode("ascii").lower()
        try:
            return codecs.lookup(name).name
        except LookupError:
            return "utf-8"
    return "utf-8"


def text_head(data: bytes, size: int = 4096) -> bytes:
    """The first ``size`` characters of an XML document as UTF-8 bytes, without a byte
    order mark or leading blanks: what format sniffing and "is it XML" checks look at."""
    codec = encoding_of(data)
    if codec.startswith("utf-16"):
        text = data[: 2 * size + 4].decode(codec, errors="ignore").lstrip("\ufeff")
        return text[:size].encode("utf-8").lstrip()
    return data[: size + 3].removeprefix(codecs.BOM_UTF8)[:size].lstrip()


def as_utf8(data: bytes) -> bytes:
    """The document re-encoded as UTF-8 (its declaration saying so), for readers that
    assume UTF-8 (verovio); UTF-8 input comes back as it is."""
    codec = encoding_of(data)
    if codec in ("utf-8", "ascii"):
        return data.removeprefix(codecs.BOM_UTF8)
    text = data.decode(codec, errors="replace").lstrip("\ufeff")
    text = re.sub(r"""^(\s*<\?xml[^>]*?encoding\s*=\s*)["'][^"']*["']""", r'\1"UTF-8"', text, count=1)
    return text.encode("utf-8")


# --------------------------------------------------------------------------- parsing


def parse(data: bytes, label: str | os.PathLike[str], member: str | None = None):
    """Parse XML bytes (any encoding) with the safe parser; a ScoreReadError naming the
    file (``archive.mxl(member)`` inside an .mxl) and the line when malformed."""
    from lxml import etree

    where = _where(label, member)
    if not data.strip():
        raise ScoreReadError("file is empty", where)
    try:
        return etree.parse(_io.BytesIO(data), parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if getattr(exc, "lineno", None) else None
        msg = (exc.msg or "malformed XML").split(", line ")[0]
        raise ScoreReadError(f"malformed XML: {msg}", where, line) from None


def parse_score(data: bytes, label: str | os.PathLike[str], member: str | None = None):
    """:func:`parse`, and a ScoreReadError unless the root is a MusicXML score."""
    doc = parse(data, label, member)
    root = doc.getroot()
    if root.tag not in ("score-partwise", "score-timewise"):
        raise ScoreReadError(
            f"not a MusicXML score: the root element is <{root.tag}>, expected <score-partwise> or <score-timewise>",
            _where(label, member),
        )
    return doc


def iterparse(source, events: tuple[str, ...] = ("end",)):
    """lxml's streaming parser over a binary file object, with :data:`PARSER_OPTIONS`
    (for scores too large to hold as one tree)."""
    from lxml import etree

    return etree.iterparse(source, events=events, **PARSER_OPTIONS)


def note_count(data: bytes) -> int:
    """Pitched (non-rest) ``<note>`` elements in a MusicXML document."""
    root = parse(data, "<bytes>").getroot()
    return sum(1 for n in root.iter("note") if n.find("rest") is None)


def _where(label: str | os.PathLike[str], member: str | None) -> str:
    return str(label) if member is None else f"{label}({member})"


# --------------------------------------------------------------------------- .mxl


def mxl_rootfile(names: Iterable[str], container: bytes | None, label: str | os.PathLike[str]) -> str:
    """The score file inside an .mxl: the first MusicXML ``<rootfile>`` of
    META-INF/container.xml (no media type means MusicXML), else the first .xml/.musicxml
    member outside META-INF. ScoreReadError when there is none or the container lies."""
    from lxml import etree

    names = list(names)
    if container is not None:
        try:
            root = etree.fromstring(container, parser())
        except etree.XMLSyntaxError as exc:
            raise ScoreReadError(f"malformed {CONTAINER}: {exc.msg}", label) from None
        for el in root.iter():
            if not (isinstance(el.tag, str) and el.tag.endswith("rootfile")):
                continue
            media, path = el.get("media-type"), el.get("full-path")
            if path and (media is None or media in SCORE_MEDIA_TYPES):
                if path not in names:
                    raise ScoreReadError(f"container.xml names '{path}', which is not in the archive", label)
                return path
    for name in names:
        if not name.startswith("META-INF/") and posixpath.splitext(name)[1].lower() in (".xml", ".musicxml"):
            return name
    raise ScoreReadError("the .mxl archive holds no MusicXML score", label)


def read_mxl(data: bytes, label: str | os.PathLike[str]) -> tuple[bytes, str]:
    """``(score bytes, member name)`` of an .mxl archive's bytes; ScoreReadError otherwise."""
    try:
        with zipfile.ZipFile(_io.BytesIO(data)) as zf:
            names = zf.namelist()
            container = zf.read(CONTAINER) if CONTAINER in names else None
            member = mxl_rootfile(names, container, label)
            return zf.read(member), member
    except zipfile.BadZipFile as exc:
        raise ScoreReadError(f"not a valid .mxl (zip) archive: {exc}", label) from None
    except (KeyError, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError) as exc:
        raise ScoreReadError(f"cannot read the .mxl archive: {exc}", label) from None


def write_mxl(xml: bytes, name: str) -> bytes:
    """A new .mxl archive holding ``xml`` as ``name``: the ``mimetype`` member first and
    stored, then META-INF/container.xml pointing at the score (the MusicXML 4.0 layout)."""
    container = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<container>\n  <rootfiles>\n'
        f'    <rootfile full-path="{_xml_attr(name)}" media-type="application/vnd.recordare.musicxml+xml"/>\n'
        "  </rootfiles>\n</container>\n"
    ).encode()
    out = _io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype", (1980, 1, 1, 0, 0, 0)), MIMETYPE)
        zf.writestr(_deflated(CONTAINER), container)
        zf.writestr(_deflated(name), xml)
    return out.getvalue()


def replace_mxl_member(data: bytes, member: str, xml: bytes) -> bytes:
    """The .mxl archive ``data`` with ``member`` replaced by ``xml``; every other member
    (images, other rootfiles) and every entry's metadata kept as it was."""
    out = _io.BytesIO()
    with zipfile.ZipFile(_io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as zf:
        for info in src.infolist():
            zf.writestr(_copy_info(info), xml if info.filename == member else src.read(info))
    return out.getvalue()


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


# --------------------------------------------------------------------------- files


def read_score_bytes(source: str | os.PathLike[str] | bytes, label: str | None = None) -> tuple[bytes, str, str | None]:
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
        xml, member = read_mxl(data, label)
        return xml, label, member
    if not text_head(data).startswith(b"<"):
        raise ScoreReadError("not a MusicXML file (it does not start with '<')", label)
    return data, label, None


__all__ = [
    "CONTAINER",
    "PARSER_OPTIONS",
    "as_utf8",
    "encoding_of",
    "iterparse",
    "mxl_rootfile",
    "note_count",
    "parse",
    "parse_score",
    "parser",
    "read_mxl",
    "read_score_bytes",
    "replace_mxl_member",
    "text_head",
    "write_mxl",
]
