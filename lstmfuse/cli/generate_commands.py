"""``lstmfuse continue`` and ``lstmfuse fuse``: the composer's commands."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ..errors import UsageError
from ..generation.options import SamplingOptions
from ..theory import MAJOR_MINOR_KEY_HELP
from .app import app, console
from .sampling import WEIGHTS_HELP, genre_weights, with_sampling_options


@app.command("continue")
@with_sampling_options
def continue_cmd(
    source: Path = typer.Argument(..., help="Score with the passage to continue (.krn, .musicxml, .mxl, .abc, .mid)."),
    bars: int = typer.Option(4, "--bars", "-b", help="Whole bars to add (after completing the last bar)."),
    genre: str = typer.Option(None, "--genre", "-g", help="Continue with one genre model (see 'lstmfuse models')."),
    weights: Optional[List[str]] = typer.Option(None, "--weights", "-w", metavar="GENRE=W", help="Or fuse genres by weight: " + WEIGHTS_HELP),
    out: Path = typer.Option(..., "--out", "-o", help="Score to write (.musicxml, .mxl, .krn, .mid)."),
    part: str = typer.Option(None, "--part", "-p", show_default="the first part with pitched notes", help="Part to continue: its number (from 1, as `lstmfuse info` lists the parts) or its name."),
    tune: int = typer.Option(None, "--tune", min=1, show_default="the first", help="Which tune of an ABC collection (from 1, as `lstmfuse info --tune` counts them)."),
    key: str = typer.Option(None, "--key", show_default="the signature's, or the key the notes are in where it writes another", help=f"The key the passage is in, where neither its signature nor its notes say it (a song in F written under no signature, with its B flats as accidentals); {MAJOR_MINOR_KEY_HELP}. The score keeps its signature."),
    variants: int = typer.Option(1, "--variants", "-n", help="Write N variants (OUT gets -1, -2, ... before its suffix)."),
    png: bool = typer.Option(False, "--png", help="Also engrave a PNG beside each score (its last page, where the new bars are)."),
    force: bool = typer.Option(False, "--force", "-f", help="Overwrite existing outputs."),
    options: SamplingOptions = None,
) -> None:
    """Continue the passage in a score, in its own key and meter, and write the result.

    Examples:
      [bold]lstmfuse continue examples/essen-altdeu10-1.krn --bars 4 --genre folk -o out.musicxml[/]
      [bold]lstmfuse continue tune.musicxml --weights folk=0.6,irish=0.4 --bars 8 --seed 7 -o fused.musicxml[/]
      [bold]lstmfuse continue oneills.abc --tune 264 --genre irish --bars 8 -o 264.musicxml[/]  (one tune of a collection)
      [bold]lstmfuse continue song.musicxml --key F --genre folk -o more.musicxml[/]  (a song in F under no signature)
    """
    from ..generation.service import continue_score

    written = continue_score(source, out, bars=bars, genre=genre, weights=genre_weights(weights), part=part, options=options,
                             variants=variants, force=force, png=png, tell=console.print, tune=tune, key=key)
    for path in written:
        console.print(f"wrote {path}")


@app.command()
@with_sampling_options
def fuse(
    weights: List[str] = typer.Option(..., "--weights", "-w", metavar="GENRE=W", help="Genre weights: " + WEIGHTS_HELP),
    bars: int = typer.Option(8, "--bars", "-b", help="Bars to write. Without a seed file the tune may start on an upbeat before them, as often as the real tunes of a genre drawn by weight do (--form free: never)."),
    seed_file: Path = typer.Option(None, "--seed-file", help="Start from (continue) the passage in this score."),
    tune: int = typer.Option(None, "--tune", min=1, show_default="the first", help="With --seed-file: which tune of an ABC collection (from 1)."),
    out: Path = typer.Option(..., "--out", "-o", help="Score to write (.musicxml, .mxl, .krn, .mid)."),
    meter: str = typer.Option(None, "--meter", help="Meter when there is no seed file (default: the heaviest genre's most common, e.g. irish 6/8; among equal weights one drawn with --seed)."),
    key: str = typer.Option(None, "--key", help=f"Key when there is no seed file ({MAJOR_MINOR_KEY_HELP}; default: the heaviest genre's most common)."),
    variants: int = typer.Option(1, "--variants", "-n", help="Write N variants."),
    png: bool = typer.Option(False, "--png", help="Also engrave a PNG beside each score (its last page, where the new bars are)."),
    force: bool = typer.Option(False, "--force", "-f", help="Overwrite existing outputs."),
    options: SamplingOptions = None,
) -> None:
    """Fuse genres into one melody, steered by your weights (two phases, after Lee 2023).

    Example: [bold]lstmfuse fuse --weights folk=0.7,irish=0.3 --bars 16 --seed 1 -o fused.musicxml[/]
    The weights and every setting are stored in the file's metadata.
    """
    from ..generation.service import continue_score, fuse_new, major_or_minor_key

    w = genre_weights(weights)
    if seed_file is not None and (meter or key):  # they were ignored without a word
        raise UsageError(f"{'--meter' if meter else '--key'} applies without --seed-file: a continuation keeps the passage's own meter and key")
    if tune is not None and seed_file is None:
        raise UsageError("--tune picks a tune of the --seed-file's ABC collection; give --seed-file")
    chosen_key = major_or_minor_key(key) if key else None  # a bad key fails before any work
    if seed_file is not None:
        written = continue_score(seed_file, out, bars=bars, weights=w, part=None, options=options, variants=variants, force=force, png=png,
                                 tell=console.print, tune=tune)
    else:
        written, used = fuse_new(out, weights=w, bars=bars, meter=meter, key=chosen_key, options=options, variants=variants, force=force, png=png)
        if used["defaulted"]:
            chosen = {"meter": used["meter"], "key": str(used["key"])}
            said = ", ".join(f"{name} {chosen[name]}" for name in used["defaulted"])
            which = "drawn with the seed among the equally heaviest genres" if used.get("from_tie") else "the heaviest genre"
            console.print(f"{said}: the most common in {used['from_genre']}, {which} (set --meter/--key to choose)")
        if used.get("pickup_quarters"):
            console.print(f"starts on an upbeat of {_note_value(used['pickup_quarters'])}, drawn from real {used['pickup_genre']} tunes in {used['meter']} (--form free: none)")
    for path in written:
        console.print(f"wrote {path}")


_NOTE_VALUES = {"1/4": "a sixteenth", "1/2": "an eighth", "3/4": "a dotted eighth", "1": "a quarter", "3/2": "a dotted quarter", "2": "a half"}


def _note_value(quarters: str) -> str:
    """'1/2' -> 'an eighth': an upbeat as a musician names it."""
    return _NOTE_VALUES.get(quarters, f"{quarters} quarters")
