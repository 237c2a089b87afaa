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
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import ScoreReadError
from .musicxml import parse_score, parser, read_score_bytes

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "data" / "musicxml-4.0"
CATALOG = SCHEMA_DIR / "catalog.xml"
XSD = SCHEMA_DIR / "musicxml.xsd"


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

    try:
        return etree.XMLSchema(etree.parse(str(XSD), parser()))
    except (OSError, etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:  # pragma: no cover
        raise ScoreReadError(f"cannot load the vendored MusicXML 4.0 schema: {exc}", XSD) from None


def validate_musicxml(source: str | os.PathLike[str] | bytes, label: str | None = None) -> list[SchemaError]:
    """Check a MusicXML file (or the score inside an .mxl, or raw bytes) against the 4.0 XSD.

    Returns the schema errors in document order (empty when valid). Raises ScoreReadError
    when the input cannot be read as XML at all (missing, empty, not XML, malformed).
    """
    from lxml import etree

    data, label, member = read_score_bytes(source, label)
    doc = parse_score(data, label, member)
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


__all__ = ["SchemaError", "musicxml_schema", "unexpanded_entities", "validate_musicxml"]
