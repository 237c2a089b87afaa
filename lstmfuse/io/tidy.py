"""What every reader's score gets before anyone sees it: the same facts whatever the format.

music21 and converter21 each leave a few things that make one score look different
depending on the file it came from, and that silently change data further on:

* converter21 keeps notes under a kern ``*8va`` at their *written* pitch (a transposing
  ottava), music21's MusicXML reader at their sounding pitch; the range ``info`` printed for
  a kern file was an octave low there. :func:`sound_ottavas` makes every ottava sounding
  (the writers turn it back into written pitch plus an ottava line).
* music21 puts the file name into the movement title of a title-less MusicXML file, which
  the kern writer then wrote as ``!!!OMD: song.musicxml``. :func:`drop_file_name_titles`.
* MusicXML stores triplets in integer divisions (85/256 of a quarter for 1/3):
  :func:`exact_tuplets` gives them the length their notation says.
* Humdrum lyrics and reference records spell umlauts the old ``**silbe`` way (``f\\u3r``,
  ``fr\\o3h-lich`` in the Bach chorales). converter21 decodes them in lyrics but not in
  titles (``L\\u3fte``), verovio nowhere: :func:`unescape_humdrum_text` gives ``für``
  in the score, :func:`unescape_humdrum_source` in the kern text verovio engraves.
* music21's MusicXML reader (and so converter21's ABC reader, which goes through it) pads a
  short bar as the completion of the last short bar before it however many full bars lie
  between, so the notes of a tune's short last bar sat late in their bar and a continuation
  was barred against them. :func:`lstmfuse.io.repairs.mark_partial_measures` pads them anew.
"""

from __future__ import annotations

import re
import unicodedata
from fractions import Fraction
from pathlib import Path

from .repairs import mark_partial_measures

#: ``\\u3`` = u with umlaut (diaeresis) in the **silbe texts of the Bach chorale editions
_SILBE_UMLAUT = re.compile(r"\\([A-Za-z])3")

#: metadata fields that hold free text a Humdrum file may escape
_TEXT_FIELDS = ("title", "movementName", "composer", "lyricist", "alternativeTitle", "popularTitle")


def unescape_silbe(text: str) -> str:
    """``f\\u3r`` -> ``für``; other text unchanged."""
    if "\\" not in text:
        return text
    return unicodedata.normalize("NFC", _SILBE_UMLAUT.sub(lambda m: m.group(1) + "\u0308", text))


def unescape_humdrum_source(text: str) -> str:
    """The same decoding on kern text itself, for verovio (which prints ``f\\u3r``):
    reference records (``!!!OTL: ... L\\u3fte``) and text tokens; **kern tokens (which start
    with a duration, ``.``, ``*``, ``=`` or ``!``) are left alone, so a stem ``\\`` is safe."""
    if "\\" not in text:
        return text
    out = []
    for line in text.split("\n"):
        if line.startswith("!!"):
            line = unescape_silbe(line)
        elif line and not line.startswith(("*", "=", "!")):
            line = "\t".join(
                tok if not tok or tok[0].isdigit() or tok[0] in ".*=!" else unescape_silbe(tok)
                for tok in line.split("\t")
            )
        out.append(line)
    return "\n".join(out)


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


#: time points (quarters) that are exact already: multiples of these
EXACT_GRIDS = (Fraction(1, 16), Fraction(1, 12), Fraction(1, 10))
#: where an inexact time point may move: the triplet/duplet grid and the quintuplet grid
SNAP_GRIDS = (Fraction(1, 24), Fraction(1, 10))
#: how far a point may move (1/96 quarter: well inside any written value)
SNAP_TOLERANCE = Fraction(1, 96)


def snap_time(t: Fraction) -> Fraction:
    """``t`` moved onto the tuplet grid when it misses it by a hair, else ``t`` itself."""
    if any((t / g).denominator == 1 for g in EXACT_GRIDS):
        return t
    best = min((round(t / g) * g for g in SNAP_GRIDS), key=lambda c: abs(c - t))
    return best if abs(best - t) <= SNAP_TOLERANCE else t


def notated_length(d) -> Fraction:
    """The length a tuplet note's notation says (its type and dots, times each tuplet's
    ratio), in quarters: what a fresh music21 Duration of that notation would give, without
    building one per note (2 s of every read of op. 133)."""
    from music21 import duration

    length = Fraction(duration.typeToDuration[d.type]) * (2 - Fraction(1, 2 ** d.dots))
    for t in d.tuplets:
        length *= Fraction(t.tupletMultiplier())
    return length


def exact_tuplets(score) -> int:
    """Give tuplet notes the length their notation says, where the file stored it inexactly.

    MusicXML stores lengths in integer divisions, so a triplet eighth written at 256
    divisions per quarter lasts 85 or 86 (``schubert/Lindenbaum.xml``). music21 keeps that
    and the notated ``eighth`` + 3:2 side by side; the kern writer then wrote ``1024%43``,
    which no reader takes back. A tuplet note within :data:`SNAP_TOLERANCE` of its notated
    length gets it, and the offsets after it in its measure or voice move onto the grid.
    Returns how many notes changed.
    """
    from music21 import duration, stream

    changed = 0
    touched: dict[int, object] = {}  # the measures and voices whose offsets must snap
    for el in score.recurse().notesAndRests:  # one walk: a walk per measure cost 2 s on op. 133
        d = el.duration
        if not d.tuplets or d.isGrace or d.type in (None, "complex", "inexpressible", "zero"):
            continue
        container = el.activeSite
        if not isinstance(container, (stream.Measure, stream.Voice)):
            continue
        want, have = notated_length(d), Fraction(d.quarterLength).limit_denominator(1 << 16)
        if want != have and abs(want - have) <= SNAP_TOLERANCE:
            exact = duration.Duration(type=d.type, dots=d.dots)
            exact.tuplets = tuple(t for t in d.tuplets)
            el.duration = exact
            touched[id(container)] = container
            changed += 1
    for container in touched.values():
        for el in list(container.elements):
            off = Fraction(el.offset).limit_denominator(1 << 16)
            snapped = snap_time(off)
            if snapped != off:
                container.coreSetElementOffset(el, snapped)
        container.coreElementsChanged()
    return changed


def tidy(score, path: str | Path, fmt: str, text: str | None = None) -> None:
    """Everything above, for a score just read from ``path`` (format ``fmt``, and the
    file's text for text formats)."""
    sound_ottavas(score)
    drop_file_name_titles(score, path)
    if fmt in ("musicxml", "mxl", "abc"):  # converter21 reads ABC through music21's MusicXML reader
        mark_partial_measures(score, again=True)
    if fmt in ("musicxml", "mxl"):
        exact_tuplets(score)
    if fmt == "kern":
        unescape_humdrum_text(score)
        if text:
            mark_kern_tempos(score, text)


__all__ = ["SNAP_TOLERANCE", "drop_file_name_titles", "exact_tuplets", "snap_time", "unescape_humdrum_source", "mark_kern_tempos", "sound_ottavas", "tidy", "unescape_humdrum_text", "unescape_silbe"]
