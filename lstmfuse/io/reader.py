"""The one score loader: every command, the bridge and batch read files through here."""

from __future__ import annotations

import functools
import re
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import ScoreReadError
from . import musicxml
from .formats import detect_format, tune_count_hint
from .humdrum_check import check_humdrum_text
from .repairs import mark_partial_measures


@functools.cache
def music21_ready() -> None:
    """Register converter21 once per process: it replaces music21's Humdrum reader (which
    mishandles spine splits) and adds the Humdrum writer music21 lacks."""
    import converter21

    converter21.register()
    _read_drum_chords()


def _read_drum_chords() -> None:
    """converter21 reads a kern chord of unpitched notes (``4Rf 4Rgg``: bass drum and
    hi-hat) into a pitched Chord, which music21 refuses ("Use a PercussionChord"), so the
    whole file failed. Give such chords a PercussionChord instead (once per process)."""
    from converter21.humdrum.humdrumfile import HumdrumFile
    from music21 import percussion

    original = HumdrumFile.__dict__["_createChord"].__func__

    def create_chord(infoHash=None):
        chord = original(infoHash)
        heads = [t for t in (getattr(infoHash, "subtokens", None) or []) if t and "r" not in t]
        if heads and all("R" in t for t in heads):
            drums = percussion.PercussionChord()
            for spanner in chord.getSpannerSites():
                spanner.replaceSpannedElement(chord, drums)
            return drums
        return chord

    HumdrumFile._createChord = staticmethod(create_chord)


def read_text(path: Path) -> str:
    """A text score's content (kern, ABC): UTF-8 (with or without a BOM), else Latin-1."""
    data = path.read_bytes()
    for enc in ("utf-8-sig", "latin-1"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise ScoreReadError("cannot decode text", path)  # pragma: no cover - latin-1 decodes all


def _precheck(path: Path, fmt: str) -> str | None:
    """Fast structural checks that give a line number; returns the text for text formats."""
    if fmt == "kern":
        text = read_text(path)
        if "\x00" in text:
            raise ScoreReadError("binary data in a Humdrum file", path)
        check_humdrum_text(text, path)
        return text
    if fmt == "musicxml":
        musicxml.parse(path.read_bytes(), path)  # malformed -> one line with its line number
        return None
    if fmt == "mxl":
        try:
            with zipfile.ZipFile(path) as zf:
                bad = zf.testzip()
                if bad is not None:
                    raise ScoreReadError(f"corrupt member '{bad}' in the .mxl archive", path)
        except zipfile.BadZipFile as exc:
            raise ScoreReadError(f"not a valid .mxl (zip) archive: {exc}", path) from None
        xml, member = musicxml.read_mxl(path.read_bytes(), path)  # the rootfile exists
        musicxml.parse(xml, path, member)
        return None
    if fmt == "abc":
        text = read_text(path)
        if "\x00" in text:
            raise ScoreReadError("binary data in an ABC file", path)
        if problem := abc_length_problem(text):
            raise ScoreReadError(problem, path)
        return text
    return None


#: an ABC meter or unit note length written as a fraction (a header line or inline ``[M:...]``)
_ABC_FRACTION_FIELD = re.compile(r"(?:^|\[)([ML]):[ \t]*(\d+)[ \t]*/[ \t]*(\d+)", re.MULTILINE)


def abc_length_problem(text: str) -> str | None:
    """What is wrong with an ABC meter or unit note length that has a zero in its fraction
    (``M:9/0``), naming the line; music21 stopped on it with "float division by zero"."""
    for match in _ABC_FRACTION_FIELD.finditer(text):
        field, top, bottom = match.group(1), int(match.group(2)), int(match.group(3))
        if top == 0 or bottom == 0:
            line = text.count("\n", 0, match.start()) + 1
            what = "meter" if field == "M" else "unit note length"
            return f"line {line}: {field}:{top}/{bottom} is not a {what} (a zero in the fraction)"
    return None


def _parse(path: Path, fmt: str, text: str | None, number: int | None = None):
    """The file parsed by music21 (converter21 for kern); ``number``: only the ABC tune with
    that X: number."""
    import music21

    music21_ready()
    m21fmt = {"kern": "humdrum", "musicxml": "musicxml", "mxl": "musicxml", "abc": "abc", "midi": "midi"}[fmt]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if text is not None and fmt == "kern":
                return music21.converter.parseData(text, format=m21fmt)
            if number is not None:
                return music21.converter.parse(str(path), format=m21fmt, forceSource=True, number=number)
            return music21.converter.parse(str(path), format=m21fmt, forceSource=True)
    except ScoreReadError:
        raise
    except Exception as exc:  # music21/converter21 raise many types; all mean "unreadable"
        detail = " ".join(str(exc).split())[:200] or type(exc).__name__
        if fmt == "kern" and text is not None and "duplicated staff numbers" in detail:
            return _parse_without_staff_numbers(path, text, detail)
        if fmt == "kern" and text is not None and not _SPINE_CHANGES.search(text):
            return _parse_with_music21_humdrum(path, text, detail)
        raise ScoreReadError(f"cannot parse as {fmt}: {detail}", path) from None


#: a Humdrum spine split, join, add or exchange: where music21's own parser goes wrong
_SPINE_CHANGES = re.compile(r"(?:^|\t)\*(?:\^|v|\+|x)(?=\t|$)", re.MULTILINE)


def _parse_with_music21_humdrum(path: Path, text: str, first_error: str):
    """Read a kern file converter21 cannot read with music21's own Humdrum parser, where its
    spines never split or join (which that parser mishandles, and converter21 was registered
    for). converter21 stopped on LilyPond 23d's nested tuplets written as kern ("cannot convert
    quarterLength 0.625 exactly to type"); music21 reads them. On kern without spine changes
    the two agree note for note (53 of music21's corpus files, every 25th of those without,
    2026-12-04, a script; ``tests/test_io_roundtrip.py`` checks a sample)."""
    from music21.humdrum import spineParser

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            collection = spineParser.HumdrumDataCollection(text)
            collection.parse()
            score = collection.stream
    except Exception:
        raise ScoreReadError(f"cannot parse as kern: {first_error}", path) from None
    if not score.recurse().notesAndRests:  # read, but to nothing: the first reader's word stands
        raise ScoreReadError(f"cannot parse as kern: {first_error}", path)
    return score


_STAFF_TOKEN = re.compile(r"^\*staff\d+(?:/\d+)*$")


def _parse_without_staff_numbers(path: Path, text: str, first_error: str):
    """Read a kern file whose ``*staffN`` labels repeat (valid Humdrum that verovio engraves;
    Sapp's Chopin preludes) by dropping the labels: converter21 then numbers the staves in
    spine order itself. ``*partN`` labels stay, so a piano's two staves stay one part; the
    staff labels only lay out staves, so no note, rest or text is lost."""
    import music21

    lines = []
    for line in text.splitlines():
        if line.startswith("*") and not line.startswith("**") and "*staff" in line:
            line = "\t".join("*" if _STAFF_TOKEN.match(tok) else tok for tok in line.split("\t"))
        lines.append(line)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return music21.converter.parseData("\n".join(lines) + "\n", format="humdrum")
    except Exception:
        raise ScoreReadError(f"cannot parse as kern: {first_error}", path) from None


def _abc_numbers(text: str) -> list[str]:
    """The X: numbers of an ABC text's tunes, in order."""
    return [line[2:].strip() for line in text.splitlines() if line.startswith("X:")]


def load_all(path: str | Path, only: int | None = None) -> Iterator["music21.stream.Score"]:  # noqa: F821
    """Every score in a file: one for most formats, one per tune for ABC collections.
    ``only``: of an ABC collection, parse the ``only``-th tune (from 0) alone, where its X:
    number is a whole number no other tune has (a 313-tune file: 0.05 s, not 9 s)."""
    import music21

    p = Path(path)
    fmt = detect_format(p)
    text = _precheck(p, fmt)
    number = None
    if fmt == "abc" and only is not None and text is not None:
        numbers = _abc_numbers(text)
        if len(numbers) > 1 and only < len(numbers) and numbers[only].isdigit() and numbers.count(numbers[only]) == 1:
            number = int(numbers[only])
    parsed = _parse(p, fmt, text, number)
    from .tidy import tidy

    if isinstance(parsed, music21.stream.Opus):
        scores = list(parsed.scores)
        if not scores:
            raise ScoreReadError("the file holds no tunes", p)
        for score in scores:
            tidy(score, p, fmt, text)
            yield score
        return
    if not isinstance(parsed, music21.stream.Score):
        score = music21.stream.Score()
        score.insert(0, parsed)
        parsed = score
    if fmt == "kern":
        mark_partial_measures(parsed)  # converter21 leaves pickups unpadded: every reader needs this
    tidy(parsed, p, fmt, text)  # sounding ottavas, no file-name titles, decoded Humdrum text
    yield parsed


def load_musicxml_bytes(data: bytes, label: str | Path):
    """A MusicXML document held in memory (a batch's edited tree), read as :func:`load`
    reads a file: any encoding, the same tidying; ScoreReadError naming ``label``."""
    import music21

    music21_ready()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            score = music21.converter.parseData(musicxml.as_utf8(data), format="musicxml")
    except Exception as exc:  # music21 raises many types; all mean "unreadable"
        detail = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise ScoreReadError(f"cannot parse as musicxml: {detail}", label) from None
    if not isinstance(score, music21.stream.Score):
        wrapped = music21.stream.Score()
        wrapped.insert(0, score)
        score = wrapped
    from .tidy import tidy

    tidy(score, label, "musicxml")
    return score


def load(path: str | Path, index: int = 0):
    """Read one score (the ``index``-th tune of an ABC collection) from any supported file.

    The format comes from the content, not the extension. Raises ScoreReadError with a
    one-line message naming the file (and the line, where known).
    """
    p = Path(path)
    tunes = tune_count_hint(p)
    if index >= tunes:  # not there: no need to parse a whole collection to say so
        raise ScoreReadError(f"the file has no tune number {index + 1}", p)
    scores = list(load_all(p, only=index))
    alone = len(scores) == 1 and tunes > 1  # a collection's tune, parsed by itself
    if not alone and index >= len(scores):
        raise ScoreReadError(f"the file has no tune number {index + 1}", p)
    score = scores[0] if alone else scores[index]
    if not score.recurse().notesAndRests:
        raise ScoreReadError("the score holds no notes or rests", p)
    return score
