"""What every reader's score gets before anyone sees it: the same facts whatever the format.

music21 and converter21 each leave a few things that make one score look different
depending on the file it came from, and that silently change data further on:

* converter21 keeps notes under a kern ``*8va`` at their *written* pitch (a transposing
  ottava), music21's MusicXML reader at their sounding pitch; the range ``info`` printed for
  a kern file was an octave low there. :func:`sound_ottavas` makes every ottava sounding
  (the writers turn it back into written pitch plus an ottava line).
* music21 puts the file name into the movement title of a title-less MusicXML file, which
  the kern writer then wrote as ``!!!OMD: song.musicxml``. :func:`drop_file_name_titles`.
* Humdrum lyrics and reference records spell umlauts the old ``**silbe`` way (``f\\u3r``,
  ``fr\\o3h-lich`` in the Bach chorales): :func:`unescape_humdrum_text` gives ``für``.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

#: ``\\u3`` = u with umlaut (diaeresis) in the **silbe texts of the Bach chorale editions
_SILBE_UMLAUT = re.compile(r"\\([A-Za-z])3")

#: metadata fields that hold free text a Humdrum file may escape
_TEXT_FIELDS = ("title", "movementName", "composer", "lyricist", "alternativeTitle", "popularTitle")


def unescape_silbe(text: str) -> str:
    """``f\\u3r`` -> ``für``; other text unchanged."""
    if "\\" not in text:
        return text
    return unicodedata.normalize("NFC", _SILBE_UMLAUT.sub(lambda m: m.group(1) + "\u0308", text))


def unescape_humdrum_text(score) -> int:
    """Decode ``**silbe`` umlaut escapes in lyrics and titles; returns how many changed."""
    changed = 0
    for n in score.recurse().notes:
        for lyric in n.lyrics:
            if lyric.text and "\\" in lyric.text:
                fixed = unescape_silbe(lyric.text)
                if fixed != lyric.text:
                    lyric.text = fixed
                    changed += 1
    md = score.metadata
    if md is not None:
        for name in _TEXT_FIELDS:
            values = md[name] if name in ("title", "composer", "lyricist") else [getattr(md, name, None)]
            values = [v for v in values if v is not None]
            if not any("\\" in str(v) for v in values):
                continue
            from music21 import metadata

            new = []
            for v in values:
                text = unescape_silbe(str(v))
                if isinstance(v, metadata.Text):
                    new.append(metadata.Text(text, language=v.language, isTranslated=v.isTranslated))
                else:
                    new.append(text)
            md[name] = new
            changed += 1
    return changed


def sound_ottavas(score) -> int:
    """Turn every transposing ottava into a sounding one (notes at the pitch they sound)."""
    from music21 import spanner

    done = 0
    for sp in score.recurse().getElementsByClass(spanner.Ottava):
        if sp.transposing:
            sp.performTransposition()
            done += 1
    return done


def drop_file_name_titles(score, path: str | Path) -> None:
    """Forget a title or movement title that is only the file's name (music21's fallback)."""
    md = score.metadata
    if md is None:
        return
    name = Path(path).name
    if md.movementName is not None and str(md.movementName) == name:
        md.movementName = None
    if md.title is not None and str(md.title) == name:
        md.title = None


_KERN_MM = re.compile(r"(?:^|\t)\*MM(\d+(?:\.\d+)?)(?=\t|$)", re.MULTILINE)


def mark_kern_tempos(score, text: str) -> int:
    """Mark the tempos a kern file states with ``*MM`` as stated.

    converter21 flags every kern tempo ``numberImplicit`` (a ``*MM`` is not engraved), the
    same flag music21 gives a number it guessed from a word ("Andante" -> 72), so with a
    tempo word beside it a real ``*MM72`` looked like a guess. The stated number is put in
    ``numberSounding`` too (the same value: playback and engraving do not change).
    """
    from music21 import tempo

    stated = {float(x) for x in _KERN_MM.findall(text)}
    marked = 0
    for mark in score.recurse().getElementsByClass(tempo.MetronomeMark):
        if mark.numberSounding is None and mark.number is not None and float(mark.number) in stated:
            mark.numberSounding = mark.number
            marked += 1
    return marked


def tidy(score, path: str | Path, fmt: str, text: str | None = None) -> None:
    """Everything above, for a score just read from ``path`` (format ``fmt``, and the
    file's text for text formats)."""
    sound_ottavas(score)
    drop_file_name_titles(score, path)
    if fmt == "kern":
        unescape_humdrum_text(score)
        if text:
            mark_kern_tempos(score, text)


__all__ = ["drop_file_name_titles", "mark_kern_tempos", "sound_ottavas", "tidy", "unescape_humdrum_text", "unescape_silbe"]
