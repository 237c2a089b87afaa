"""Score-level generation: file in -> passage -> continuation/fusion -> file out.

The CLI and batch edits call these; the bridge calls :mod:`continuation` directly with the
events MuseScore sends. Nothing is written unless generation succeeded, and writes are atomic.
"""

from __future__ import annotations

from pathlib import Path

from ..encoding.extract import melody_from_part, pick_part
from ..errors import UsageError
from ..io import load, save
from ..io.atomic import check_writable
from ..io.writer import output_format
from .continuation import Result, continue_melody
from .options import SamplingOptions
from .score_write import append_to_part, melody_to_score, record_settings


def variant_paths(out: Path, variants: int) -> list[Path]:
    if variants == 1:
        return [out]
    return [out.with_name(f"{out.stem}-{i}{out.suffix}") for i in range(1, variants + 1)]


def parse_key(text: str) -> tuple[int, str]:
    """'C', 'G', 'Bb', 'F#', 'Am', 'f#m', 'e minor' -> (sharps, mode)."""
    from music21 import key

    s = text.strip().replace("minor", "m").replace("major", "").replace(" ", "")
    minor = s.endswith("m") and len(s) > 1
    tonic = s[:-1] if minor else s
    if not tonic or tonic[0].upper() not in "ABCDEFG" or any(c not in "#b-" for c in tonic[1:]):
        raise UsageError(f"not a key: '{text}' (use e.g. C, G, Bb, F#, Am, f#m)")
    name = tonic[0] + tonic[1:].replace("b", "-")
    k = key.Key(name.lower() if minor else name.upper())
    return k.sharps, k.mode


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
    written = [path]
    if png:
        from ..io.render import LAST_PAGE, render

        png_path = path.with_suffix(".png")
        render(path, png_path, page=LAST_PAGE, force=force)  # the new bars end the score
        written.append(png_path)
    return written


def continue_in_score(
    score,
    *,
    bars: int,
    genre: str | None = None,
    weights: str | dict | None = None,
    part: str | int = 0,
    options: SamplingOptions | None = None,
    source: str = "",
) -> dict:
    """Continue a part of an in-memory music21 score (edited in place); returns the settings."""
    part_obj = pick_part(score, part)
    index = list(score.parts).index(part_obj) if score.parts else 0
    passage = melody_from_part(part_obj, source=source)
    result = continue_melody(passage, bars=bars, genre=genre, weights=weights, options=options)
    added = append_to_part(score, index, result.melodies[0].events, passage.meter, passage.sharps)
    settings = {**result.settings, "source": source, "part": index, "form": result.plans[0]}
    record_settings(score, settings)
    return {**settings, "bars_added": added}


def continue_score(
    source: str | Path,
    out: str | Path,
    *,
    bars: int,
    genre: str | None = None,
    weights: str | dict | None = None,
    part: str | int = 0,
    options: SamplingOptions | None = None,
    variants: int = 1,
    force: bool = False,
    png: bool = False,
) -> list[Path]:
    """Continue a part of a score file; writes one score per variant (plus PNGs if asked)."""
    src, target = Path(source), Path(out)
    paths = _prepare_outputs(target, variants, force, png)
    score = load(src)
    part_obj = pick_part(score, part)
    index = list(score.parts).index(part_obj) if score.parts else 0
    passage = melody_from_part(part_obj, source=str(src))
    result = continue_melody(passage, bars=bars, genre=genre, weights=weights, options=options, variants=variants)
    written: list[Path] = []
    for melody, plan, path in zip(result.melodies, result.plans, paths):
        copy = load(src) if len(paths) > 1 else score
        append_to_part(copy, index, melody.events, passage.meter, passage.sharps)
        record_settings(copy, {**result.settings, "source": src.name, "part": index, "form": plan})
        written += _finish(copy, path, force, png)
    return written


def fuse_new(
    out: str | Path,
    *,
    weights: str | dict,
    bars: int,
    meter: str | None = None,
    key: str | None = None,
    options: SamplingOptions | None = None,
    variants: int = 1,
    force: bool = False,
    png: bool = False,
) -> tuple[list[Path], dict]:
    """A new melody fused from the weighted genres (no seed passage). Without ``meter`` or
    ``key``, the heaviest genre's most common meter and key signature (irish: 6/8 and G major,
    not 4/4 and C for every genre). Returns the files written and the meter and key used."""
    from ..models.registry import genre_names
    from .form import typical_meter_and_key
    from .weights import parse_weights

    target = Path(out)
    paths = _prepare_outputs(target, variants, force, png)
    w = parse_weights(weights, genre_names())
    heaviest = max(w, key=w.get)
    typical_meter, typical_sharps, typical_mode = typical_meter_and_key(heaviest)
    sharps, mode = parse_key(key) if key else (typical_sharps, typical_mode)
    meter_given, meter = meter, meter or typical_meter
    result: Result = continue_melody(None, bars=bars, weights=w, options=options, variants=variants, meter=meter, sharps=sharps, mode=mode)
    written: list[Path] = []
    for melody, plan, path in zip(result.melodies, result.plans, paths):
        label = ", ".join(f"{g} {x:.2f}" for g, x in result.settings["weights"].items())
        score = melody_to_score(melody, title=f"lstmfuse fusion ({label})")
        record_settings(score, {**result.settings, "form": plan})
        written += _finish(score, path, force, png)
    defaulted = [name for name, given in (("meter", meter_given), ("key", key)) if not given]
    return written, {"meter": meter, "sharps": sharps, "mode": mode, "from_genre": heaviest if defaulted else None, "defaulted": defaulted}
