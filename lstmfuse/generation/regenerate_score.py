"""Regenerate bars of one part of a score file: file in -> new bars in place -> file out.

Only the notes and rests of the chosen bars of the chosen part (its first voice) are
replaced; every other part, every other bar, dynamics, directions and chord symbols (also
those in the chosen bars: the harmony a lead sheet's new melody should fit) stay as they
were. The lyric syllables of the replaced notes go with them (the user is told how many). At the joints: a note tied *into* the gap from before loses its tie (its tail was in
the replaced bars); a note tied *out of* the gap into the next bar keeps the tie when the new
last note has its pitch, else the next bar's note starts fresh. Used by ``lstmfuse
regenerate`` and the batch ``regenerate`` op.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

from ..encoding.events import NoteEvent, frac
from ..encoding.extract import melody_from_part, with_readable_meters
from ..errors import UsageError
from ..io import load
from ..theory import Key, major_or_minor_key
from .options import SamplingOptions
from .regenerate import RegenerateResult, parse_bars, regenerate_span
from .score_write import _beam, _make, _split, record_settings, show_accidentals
from ..io.formats import first_tune_note
from .service import _prepare_outputs, picked_part, write_edited
from .weights import GenreWeights


def _measures(part) -> list:
    from music21 import stream

    return list(part.getElementsByClass(stream.Measure))


def select_measures(part, bars: str) -> list:
    """The part's measures named by ``bars`` ('9-12', '9', 'last:2'), by the numbers the score shows."""
    measures = _measures(part)
    if not measures:
        raise UsageError("the part has no bars (measures) to regenerate")
    kind, a, b = parse_bars(bars)
    if kind == "last":
        if a > len(measures):
            raise UsageError(f"bars last:{a}: the part has only {len(measures)} bars")
        return measures[-a:]
    numbers = [m.number for m in measures]
    if a not in numbers or b not in numbers:
        raise UsageError(f"bars {a}-{b} are not in the part (its bars are numbered {numbers[0]}-{numbers[-1]})")
    first = numbers.index(a)
    last = len(numbers) - 1 - numbers[::-1].index(b)
    if last < first:
        raise UsageError(f"bar {b} comes before bar {a} in the score")
    return measures[first : last + 1]


def _holder(measure):
    return measure.voices[0] if measure.voices else measure


def _drop_spanners_of(element) -> None:
    """A slur or hairpin that touches a removed note would dangle: remove it."""
    for sp in element.getSpannerSites():
        for site in list(sp.sites.get()):
            if site is not None and hasattr(site, "remove"):
                try:
                    site.remove(sp)
                except Exception:  # not held there after all
                    pass


def _line_notes(part) -> list:
    """The notes of the line being regenerated: each bar's first voice (other voices keep theirs)."""
    return [n for m in _measures(part) for n in _holder(m).notes]


def _fix_entry_tie(part, start: Fraction) -> None:
    from music21 import tie

    for n in _line_notes(part):
        if not getattr(n, "tie", None) or n.tie.type not in ("start", "continue"):
            continue
        if frac(n.getOffsetInHierarchy(part)) + frac(n.quarterLength) == start:
            n.tie = tie.Tie("stop") if n.tie.type == "continue" else None


def _fix_exit_tie(part, end: Fraction, written: list) -> None:
    """The note after the gap that was tied from inside it: keep the tie if the new last note
    has its pitch, else it starts fresh."""
    from music21 import tie

    after = [n for n in _line_notes(part) if frac(n.getOffsetInHierarchy(part)) == end and getattr(n, "tie", None)]
    for n in after:
        if n.tie.type not in ("stop", "continue"):
            continue
        last = written[-1] if written else None
        same = last is not None and getattr(last, "isNote", False) and getattr(n, "isNote", False) and last.pitch.midi == n.pitch.midi
        if same:
            last.tie = tie.Tie("continue" if last.tie is not None and last.tie.type in ("stop", "continue") else "start")
        else:
            n.tie = tie.Tie("start") if n.tie.type == "continue" else None


def replace_bars(part, measures: list, events: list[NoteEvent], sharps: int) -> int:
    """Put ``events`` (absolute onsets in the part) into ``measures`` in place of their notes;
    chord symbols stay (music21 counts them among notes). Returns how many lyric syllables
    went with the replaced notes."""
    from music21 import harmony

    dropped_lyrics = 0
    starts = [frac(m.getOffsetInHierarchy(part)) for m in measures]
    start = starts[0]
    end = starts[-1] + frac(measures[-1].duration.quarterLength)
    _fix_entry_tie(part, start)
    for m in measures:
        holder = _holder(m)
        for n in list(holder.notesAndRests):
            if isinstance(n, harmony.Harmony):
                continue
            dropped_lyrics += sum(1 for lyric in n.lyrics if (lyric.text or "").strip())
            _drop_spanners_of(n)
            holder.remove(n)
    by_measure: dict[int, list] = {}
    written = []
    for onset, length, e, tie in _split(events, starts[1:]):
        k = max(i for i, s in enumerate(starts) if s <= onset)
        n = _make(e, length, tie)
        holder = _holder(measures[k])
        local = onset - starts[k] - (frac(holder.offset) if holder is not measures[k] else 0)
        holder.insert(local, n)
        by_measure.setdefault(k, []).append(n)
        written.append(n)
    for notes in by_measure.values():
        show_accidentals(notes, sharps)
    for m in measures:
        _beam(m)
    _fix_exit_tie(part, end, written)
    return dropped_lyrics


def _gap_of(part, measures: list) -> tuple[Fraction, Fraction]:
    start = frac(measures[0].getOffsetInHierarchy(part))
    return start, frac(measures[-1].getOffsetInHierarchy(part)) + frac(measures[-1].duration.quarterLength)


def regenerate_in_score(
    score,
    *,
    bars: str,
    genre: str | None = None,
    weights: GenreWeights | None = None,
    part: str | int = 0,
    options: SamplingOptions | None = None,
    variants: int = 1,
    candidates: int | None = None,
    source: str = "",
    key: str | Key | None = None,
) -> tuple[RegenerateResult, int, list]:
    """Generate ``variants`` versions of the bars (nothing written): the result, the part's
    index and the selected measures' numbers. ``key``: the key the music is in where neither
    its signature nor its notes say it."""
    part_obj, index = picked_part(score, part)
    measures = select_measures(part_obj, bars)
    start, end = _gap_of(part_obj, measures)
    melody = with_readable_meters(melody_from_part(part_obj, source=source, key_at=start))
    extra = {} if candidates is None else {"candidates": candidates}
    result = regenerate_span(melody, start, end, genre=genre, weights=weights, options=options, variants=variants, key=key, **extra)
    return result, index, [m.number for m in measures]


def apply_variant(score, index: int, numbers_or_bars: str, result: RegenerateResult, variant: int, source: str = "") -> int:
    """Write one variant of ``result`` into ``score`` (a fresh copy per variant); returns how
    many lyric syllables the replaced notes carried."""
    part = list(score.parts)[index] if score.parts else score
    measures = select_measures(part, numbers_or_bars)
    dropped = replace_bars(part, measures, result.gaps[variant], result.melodies[variant].sharps)
    settings = {**result.settings, "source": source, "part": index + 1, "bars": numbers_or_bars}
    record_settings(score, settings)
    return dropped


def regenerate_score(
    source: str | Path,
    out: str | Path,
    *,
    bars: str,
    genre: str | None = None,
    weights: GenreWeights | None = None,
    part: str | int = 0,
    options: SamplingOptions | None = None,
    variants: int = 1,
    force: bool = False,
    tell: Callable[[str], None] | None = None,
    tune: int | None = None,
    key: str | Key | None = None,
) -> list[Path]:
    """Regenerate bars of one part of a score file; one output per variant (OUT-1, OUT-2, ...).
    ``tell`` hears the key the notes are in, where the signature writes another. ``tune``: which
    tune of an ABC collection (from 1; None: the first, and ``tell`` hears that there are others).
    ``key``: the key the music is in where neither its signature nor its notes say it (``--key F``)."""
    src, target = Path(source), Path(out)
    if tune is not None and tune < 1:
        raise UsageError(f"--tune must be 1 or more (got {tune})", about="tune")
    if key is not None:
        key = major_or_minor_key(key)  # a bad key fails before any work
    paths = _prepare_outputs(target, variants, force, False)
    score = load(src, (tune or 1) - 1)
    if tell is not None and tune is None and (note := first_tune_note(src, "regenerating bars of")):
        tell(note)
    result, index, _ = regenerate_in_score(score, bars=bars, genre=genre, weights=weights, part=part, options=options, variants=variants,
                                         source=str(src), key=key)
    if tell is not None and "key_of_notes" in result.settings:
        tell(result.settings["key_of_notes"]["said"])
    written: list[Path] = []
    for v, path in enumerate(paths):
        dropped, files = write_edited(src, score if v == 0 else None, path,
                                      lambda copy, v=v: apply_variant(copy, index, bars, result, v, source=src.name),
                                      force=force, png=False, tune=tune or 1)
        if dropped and v == 0 and tell is not None:
            tell(f"note: the replaced notes of bars {bars} carried {dropped} lyric syllable(s); the new notes have none")
        written += files
    return written


__all__ = ["apply_variant", "regenerate_in_score", "regenerate_score", "replace_bars", "select_measures"]
