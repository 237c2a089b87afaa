"""Which notation format a file holds, from its content first and its name second.

Extensions lie (a ``.xml`` that is kern, a download without a suffix), so the first
bytes decide; the extension only breaks ties and names output formats.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import ScoreReadError, UsageError

#: format name -> extensions (first one is the canonical suffix for output)
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "kern": (".krn", ".kern", ".hmd"),
    "musicxml": (".musicxml", ".xml"),
    "mxl": (".mxl",),
    "abc": (".abc",),
    "midi": (".mid", ".midi"),
}
READABLE = tuple(EXTENSIONS)
WRITABLE = ("kern", "musicxml", "mxl", "midi")

_ALIASES = {"humdrum": "kern", "krn": "kern", "xml": "musicxml", "mid": "midi"}

_ABC_HEADER = re.compile(rb"^(X|T|M|K|L):", re.MULTILINE)


def normalise_format(name: str) -> str:
    """Map a user's format name (``krn``, ``xml``, ``mid``...) to the canonical one."""
    key = name.lower().lstrip(".")
    key = _ALIASES.get(key, key)
    if key not in EXTENSIONS:
        raise UsageError(f"unknown format '{name}' (choose from {', '.join(EXTENSIONS)})")
    return key


def format_from_suffix(path: str | Path) -> str | None:
    suffix = Path(path).suffix.lower()
    for fmt, exts in EXTENSIONS.items():
        if suffix in exts:
            return fmt
    return None


def sniff(head: bytes) -> str | None:
    """Guess a format from the first few KB of a file; None when nothing matches."""
    if head.startswith(b"PK\x03\x04"):
        return "mxl"
    if head.startswith(b"MThd"):
        return "midi"
    from .musicxml import text_head

    xml = text_head(head)  # XML in any encoding, UTF-16 included
    if xml.startswith(b"<"):
        lowered = xml.lower()
        if b"<score-partwise" in lowered or b"<score-timewise" in lowered or b"<!doctype score-" in lowered:
            return "musicxml"
        if b"<?xml" in lowered[:10]:
            return "musicxml"  # an XML file of another kind fails later with a clear message
        return None
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    for line in text.splitlines()[:200]:
        if line.startswith(b"**"):
            return "kern"
        if line.startswith(b"!!") or line.startswith(b"!"):
            continue
        break
    if _ABC_HEADER.search(text[:8192]) and re.search(rb"^K:", text[:16384], re.MULTILINE):
        return "abc"
    return None


def detect_format(path: str | Path) -> str:
    """The format of an existing file, or a ScoreReadError naming the file."""
    p = Path(path)
    if not p.exists():
        raise ScoreReadError("no such file", p)
    if p.is_dir():
        raise ScoreReadError("is a directory, not a score file", p)
    try:
        with open(p, "rb") as fh:
            head = fh.read(16384)
    except OSError as exc:
        raise ScoreReadError(f"cannot read: {exc.strerror}", p) from None
    if not head.strip():
        raise ScoreReadError("file is empty", p)
    found = sniff(head)
    if found is not None:
        return found
    raise ScoreReadError(
        "not a recognised score format (expected **kern, MusicXML, .mxl, ABC or MIDI)", p
    )


def tune_count_hint(path: str | Path) -> int:
    """How many scores a file holds (ABC collections hold many); 1 for most files."""
    if detect_format(path) != "abc":
        return 1
    return abc_tune_count(Path(path).read_bytes())


def first_tune_note(path: str | Path, doing: str) -> str | None:
    """A note for a command that reads one score where ``path`` holds several (an ABC
    collection): which it took, so the others are not thought lost; None for one score."""
    tunes = tune_count_hint(path)
    return (f"note: {path} holds {tunes} tunes; {doing} the first (--tune N takes another; 'lstmfuse convert' writes each "
            "to a file of its own)") if tunes > 1 else None


def abc_tune_count(data: bytes) -> int:
    """How many tunes (``X:`` headers) an ABC text holds; at least 1."""
    return max(1, sum(1 for line in data.splitlines() if line.startswith(b"X:")))
