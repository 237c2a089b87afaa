"""Score-level generation: file in -> passage -> continuation/fusion -> file out.

The CLI, batch edits and the public API (``lstmfuse.fuse``) call these; the bridge calls
``lstmfuse.continue_passage`` with the events MuseScore sends. Weights arrive parsed
(:class:`~.weights.GenreWeights`, at the edge), keys in :mod:`lstmfuse.theory`'s grammar.
Nothing is written unless generation succeeded, and writes are atomic.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ..encoding.events import writable_meter
from ..encoding.extract import melody_from_part, pick_part, with_readable_meters
from ..errors import UsageError
from ..io import load, save
from ..io.atomic import check_writable, write_bytes_atomic
from ..io.formats import detect_format, first_tune_note
from ..io.writer import output_format
from ..theory import Key, major_or_minor_key
from .beat_groups import of_settings
from .continuation import Result, continue_melody
from .options import SamplingOptions
from .score_write import append_to_part, melody_to_score, record_settings
from .weights import GenreWeights

T = TypeVar("T")


def picked_part(score, part: str | int | None):
    """The part a command works on (see encoding.extract.pick_part) and its index in the score."""
    part_obj = pick_part(score, part)
    return part_obj, list(score.parts).index(part_obj) if score.parts else 0


def variant_paths(out: Path, variants: int) -> list[Path]:
    if variants == 1:
        return [out]
    return [out.with_name(f"{out.stem}-{i}{out.suffix}") for i in range(1, variants + 1)]


def _prepare_outputs(out: Path, variants: int, force: bool, png: bool) -> list[Path]:
    output_format(out)
    paths = variant_paths(out, variants)
    for p in paths:
        check_writable(p, force)
        if png:
            check_writable(p.with_suffix(".png"), force)
    return paths


def _finish(score, path: Path, force: bool, png: bool) -> list[Path]:
    save(score, path, force=force)
    return _with_png(path, force, png)


def _with_png(path: Path, force: bool, png: bool) -> list[Path]:
    if not png:
        return [path]
    from ..io.render import LAST_PAGE, render

    png_path = path.with_suffix(".png")
    render(path, png_path, page=LAST_PAGE, force=force)  # the new bars end the score
    return [path, png_path]


_TREE_FORMATS = ("musicxml", "mxl")


def write_edited(source: Path, score, path: Path, edit: Callable[[object], T], *, force: bool, png: bool, tune: int = 1) -> tuple[T, list[Path]]:
    """``edit`` (a change to a music21 score) written to ``path``. A MusicXML source written as
    MusicXML keeps every bar the edit did not change as the file has it (an open ending, a
    part's display name, the layout; :meth:`lstmfuse.io.document.Document.edit_music21`);
    otherwise ``score`` (``source`` as read, or None to read it: its ``tune``-th tune, from 1,
    where it is an ABC collection) is edited and written whole. Returns what ``edit`` returned
    and the files written."""
    doc = None
    if detect_format(source) in _TREE_FORMATS and output_format(path) in _TREE_FORMATS:
        from ..errors import ScoreReadError
        from ..io.document import Document

        try:
            doc = Document.read(source)
        except ScoreReadError:  # a tree lxml edits no bar of (timewise, namespaced): music21 writes it
            doc = None
    if doc is not None:
        said = doc.edit_music21(edit, score=score)
        doc.touch()
        write_bytes_atomic(path, doc.output_bytes(output_format(path)), force)
        return said, _with_png(path, force, png)
    score = load(source, tune - 1) if score is None else score
    said = edit(score)
    return said, _finish(score, path, force, png)


def continue_in_score(
    score,
    *,
    bars: int,
    genre: str | None = None,
    weights: GenreWeights | None = None,
    part: str | int = 0,
    options: SamplingOptions | None = None,
    source: str = "",
    key: str | Key | None = None,
) -> dict:
    """Continue a part of an in-memory music21 score (edited in place); returns the settings.
    ``key``: the key the passage is in where neither its signature nor its notes say it."""
    part_obj, index = picked_part(score, part)
    passage = with_readable_meters(melody_from_part(part_obj, source=source, key_at="end"))
    result = continue_melody(passage, bars=bars, genre=genre, weights=weights, options=options, key=key)
    added = append_to_part(score, index, result.melodies[0].events, passage.meter, passage.sharps, of_settings(result.settings))
    settings = {**result.settings, "source": source, "part": index + 1, "form": result.plans[0]}
    record_settings(score, settings)
    return {**settings, "bars_added": added}


def continue_score(
    source: str | Path,
    out: str | Path,
    *,
    bars: int,
    genre: str | None = None,
    weights: GenreWeights | None = None,
    part: str | int = 0,
    options: SamplingOptions | None = None,
    variants: int = 1,
    force: bool = False,
    png: bool = False,
    tell: Callable[[str], None] | None = None,
    tune: int | None = None,
    key: str | Key | None = None,
) -> list[Path]:
    """Continue a part of a score file; writes one score per variant (plus PNGs if asked).
    ``tell`` hears what was decided for the user that they did not ask for (the key the
    passage's notes are in, where its signature says another). ``tune``: which tune of an ABC
    collection (from 1; None: the first, and ``tell`` hears that there are others). ``key``:
    the key the passage is in where neither its signature nor its notes say it (``--key F``)."""
    src, target = Path(source), Path(out)
    if tune is not None and tune < 1:
        raise UsageError(f"--tune must be 1 or more (got {tune})", about="tune")
    if key is not None:
        key = major_or_minor_key(key)  # a bad key fails before any work
    paths = _prepare_outputs(target, variants, force, png)
    score = load(src, (tune or 1) - 1)
    if tell is not None and tune is None and (note := first_tune_note(src, "continuing")):
        tell(note)
    part_obj, index = picked_part(score, part)
    passage = with_readable_meters(melody_from_part(part_obj, source=str(src), key_at="end"))
    result = continue_melody(passage, bars=bars, genre=genre, weights=weights, options=options, variants=variants, key=key)
    for said in ("key_of_notes", "key_change"):
        if tell is not None and said in result.settings:
            tell(result.settings[said]["said"])
    if tell is not None and "after_rests" in result.settings:
        tell("the part holds only rests: the new bars are a tune from nothing after them, in its meter and key")
    written: list[Path] = []
    for v, (melody, plan, path) in enumerate(zip(result.melodies, result.plans, paths)):
        def edit(copy, melody=melody, plan=plan) -> None:
            append_to_part(copy, index, melody.events, passage.meter, passage.sharps, of_settings(result.settings))
            record_settings(copy, {**result.settings, "source": src.name, "part": index + 1, "form": plan})

        written += write_edited(src, score if v == 0 else None, path, edit, force=force, png=png, tune=tune or 1)[1]
    return written


def fuse_melody(
    weights: GenreWeights,
    *,
    bars: int,
    meter: str | None = None,
    key: str | Key | None = None,
    options: SamplingOptions | None = None,
    variants: int = 1,
) -> tuple[Result, dict]:
    """A new melody fused from the weighted genres (no seed passage), in memory. Without
    ``meter`` or ``key``, the heaviest genre's most common meter and key signature (irish:
    6/8 and G major, not 4/4 and C for every genre; among equal weights one drawn with the
    seed). Returns the result and what was used:
    meter, sharps, mode, the :class:`~lstmfuse.theory.Key`, which were defaulted from which
    genre, and the upbeat drawn (quarters as a string, None without one)."""
    from ..models.registry import genre_names
    from .form import typical_meter_and_key

    w = GenreWeights.parse(weights, genre_names())
    if meter is not None:
        writable_meter(meter)
    heaviest = w.heaviest_drawn(options.seed if options is not None else None)
    typical_meter, typical_sharps, typical_mode = typical_meter_and_key(heaviest)
    chosen = major_or_minor_key(key) if key else Key.from_signature(typical_sharps, typical_mode)
    meter_given, meter = meter, meter or typical_meter
    result = continue_melody(None, bars=bars, weights=w, options=options, variants=variants, meter=meter,
                             sharps=chosen.fifths, mode=chosen.mode)
    defaulted = [name for name, given in (("meter", meter_given), ("key", key)) if not given]
    used = {"meter": meter, "sharps": chosen.fifths, "mode": chosen.mode, "key": chosen,
            "from_genre": heaviest if defaulted else None, "defaulted": defaulted,
            "from_tie": bool(defaulted) and len(w.heaviest_all) > 1,
            "pickup_quarters": result.settings.get("pickup_quarters"), "pickup_genre": result.settings.get("pickup_genre")}
    return result, used


def fuse_new(
    out: str | Path,
    *,
    weights: GenreWeights,
    bars: int,
    meter: str | None = None,
    key: str | Key | None = None,
    options: SamplingOptions | None = None,
    variants: int = 1,
    force: bool = False,
    png: bool = False,
) -> tuple[list[Path], dict]:
    """:func:`fuse_melody` written to ``out`` (one file per variant, plus PNGs if asked).
    Returns the files written and what :func:`fuse_melody` used."""
    paths = _prepare_outputs(Path(out), variants, force, png)
    result, used = fuse_melody(weights, bars=bars, meter=meter, key=key, options=options, variants=variants)
    written: list[Path] = []
    for melody, plan, path in zip(result.melodies, result.plans, paths):
        label = ", ".join(f"{g} {x:.2f}" for g, x in result.settings["weights"].items())
        score = melody_to_score(melody, title=f"lstmfuse fusion ({label})", groups=of_settings(result.settings))
        record_settings(score, {**result.settings, "form": plan})
        written += _finish(score, path, force, png)
    return written, used
