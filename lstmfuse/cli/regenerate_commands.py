"""``lstmfuse regenerate``: new bars in the middle of a piece that fit before and after."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ..generation.options import SamplingOptions
from ..theory import MAJOR_MINOR_KEY_HELP
from .app import app, console
from .sampling import WEIGHTS_HELP, genre_weights, with_sampling_options


@app.command()
@with_sampling_options
def regenerate(
    source: Path = typer.Argument(..., help="Score to edit (.krn, .musicxml, .mxl, .abc, .mid)."),
    bars: str = typer.Option(..., "--bars", "-b", help="Bars to replace, numbered as the score shows them: 9-12, 9, or last:2."),
    genre: str = typer.Option(None, "--genre", "-g", help="Regenerate with one genre model (see 'lstmfuse models')."),
    weights: Optional[List[str]] = typer.Option(None, "--weights", "-w", metavar="GENRE=W", help="Or fuse genres by weight: " + WEIGHTS_HELP),
    out: Path = typer.Option(..., "--out", "-o", help="Score to write (.musicxml, .mxl, .krn, .mid)."),
    part: str = typer.Option(None, "--part", "-p", show_default="the first part with pitched notes", help="Part to edit: its number (from 1, as `lstmfuse info` lists the parts) or its name."),
    tune: int = typer.Option(None, "--tune", min=1, show_default="the first", help="Which tune of an ABC collection (from 1, as `lstmfuse info --tune` counts them)."),
    key: str = typer.Option(None, "--key", show_default="the signature's, or the key the notes are in where it writes another", help=f"The key the music is in, where neither its signature nor its notes say it (a song in F written under no signature, with its B flats as accidentals); {MAJOR_MINOR_KEY_HELP}. The score keeps its signature."),
    variants: int = typer.Option(1, "--variants", "-n", help="Write N variants (OUT gets -1, -2, ... before its suffix)."),
    force: bool = typer.Option(False, "--force", "-f", help="Overwrite existing outputs."),
    options: SamplingOptions = None,
) -> None:
    """Replace bars of a part with new ones that continue the music before them and lead into the music after them; everything outside those bars stays as it was.

    64 candidates are sampled from the music before and drawn by how likely the two bars after them are (docs/regenerate.md). --end-on-stable applies only when the bars end the piece; --form free turns off favouring the piece's own rhythms and intervals.

    Examples:
      [bold]lstmfuse regenerate tune.musicxml --bars 9-12 --genre irish -o tune-new.musicxml[/]
      [bold]lstmfuse regenerate examples/bach-bwv277.krn --bars 3-4 --part 1 --weights bach=0.7,folk=0.3 --variants 3 -o alt.krn[/]
      [bold]lstmfuse regenerate song.musicxml --bars 9-12 --key F --genre folk -o new.musicxml[/]  (a song in F under no signature)
    """
    from ..generation.regenerate_score import regenerate_score

    written = regenerate_score(source, out, bars=bars, genre=genre, weights=genre_weights(weights), part=part, options=options,
                               variants=variants, force=force, tell=console.print, tune=tune, key=key)
    for path in written:
        console.print(f"wrote {path}")
