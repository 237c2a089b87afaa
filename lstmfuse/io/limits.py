"""How big a score the readers handle in reasonable time, and a warning beyond that.

music21 reads MusicXML at roughly 0.6 MB of XML a second on one core (Beethoven's op. 133,
4.9 MB of XML, 9,695 notes: about 8 s), but it grows faster than linearly on very long
scores: a 50 MB file of 109,230 measures ran 20 minutes in ``info`` without a word (issue
15). Nothing is refused; the user is told before the wait starts, and Ctrl-C stops
cleanly (nothing is written before a score is fully read).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

#: score text above which a command warns before reading (MusicXML inside an .mxl counts
#: uncompressed): twice the largest score the tests read
LARGE_SCORE_BYTES = 10 * 1024 * 1024


def score_bytes(path: str | Path) -> int:
    """The size of the score text: the file, or the uncompressed members of an .mxl."""
    p = Path(path)
    try:
        if zipfile.is_zipfile(p):
            with zipfile.ZipFile(p) as zf:
                return sum(i.file_size for i in zf.infolist() if not i.filename.startswith("META-INF/"))
        return p.stat().st_size
    except (OSError, zipfile.BadZipFile):
        return 0


def large_score_note(path: str | Path) -> str | None:
    """One line to print before reading a very large score, or None."""
    size = score_bytes(path)
    if size <= LARGE_SCORE_BYTES:
        return None
    mb = size / (1024 * 1024)
    return (
        f"{path} holds {mb:.0f} MB of score text; music21 may need many minutes for it "
        f"(about 8 s for 5 MB, far longer per MB on very long scores); Ctrl-C stops it and writes nothing"
    )


__all__ = ["LARGE_SCORE_BYTES", "large_score_note", "score_bytes"]
