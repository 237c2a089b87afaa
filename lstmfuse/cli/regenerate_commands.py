"""``lstmfuse regenerate``: new bars in the middle of a piece that fit before and after."""

from __future__ import annotations

from pathlib import Path

import typer

from .app import app, console
from .generate_commands import _FORM, _HIGH, _INST, _KEY, _LEAP, _LOW, _REST, _SEED, _STABLE, _T, _TOPK, _TOPP, sampling_options


@app.command()
def regenerate(
    source: Path = typer.Argument(..., help="Score to edit (.krn, .musicxml, .mxl, .abc, .mid)."),
    bars: str = typer.Option(..., "--bars", "-b", help="Bars to replace, numbered as the score shows them: 9-12, 9, or last:2."),
    genre: str = typer.Option(None, "--genre", "-g", help="Regenerate with one genre model (see 'lstmfuse models')."),
    weights: str = typer.Option(None, "--weights", "-w", help="Or fuse genres: e.g. folk=0.7,irish=0.3."),
    out: Path = typer.Option(..., "--out", "-o", help="Score to write (.musicxml, .mxl, .krn, .mid)."),
    part: str = typer.Option("0", "--part", "-p", help="Part to edit: index from 0 or its name."),
    variants: int = typer.Option(1, "--variants", "-n", help="Write N variants (OUT gets -1, -2, ... before its suffix)."),
    force: bool = typer.Option(False, "--force", "-f", help="Overwrite existing outputs."),
    temperature: float = _T, top_k: int = _TOPK, top_p: float = _TOPP, seed: int = _SEED, stay_in_key: bool = _KEY,
    lowest: str = _LOW, highest: str = _HIGH, instrument: str = _INST, max_leap: int = _LEAP,
    rest_density: float = _REST, end_on_stable: bool = _STABLE, form: str = _FORM,
) -> None:
    """Replace bars of a part with new ones that continue the music before them and lead into the music after them; everything outside those bars stays as it was.

    64 candidates are sampled from the music before and drawn by how likely the two bars after them are (docs/regenerate.md). --end-on-stable applies only when the bars end the piece; --form free turns off favouring the piece's own rhythms and intervals.

    Examples:
      [bold]lstmfuse regenerate tune.musicxml --bars 9-12 --genre irish -o tune-new.musicxml[/]
      [bold]lstmfuse regenerate examples/bach-bwv277.krn --bars 3-4 --part 0 --weights bach=0.7,folk=0.3 --variants 3 -o alt.krn[/]
    """
    from ..generation.regenerate_score import regenerate_score

    opts = sampling_options(temperature, top_k, top_p, seed, stay_in_key, lowest, highest, instrument, max_leap, rest_density, end_on_stable, form)
    written = regenerate_score(source, out, bars=bars, genre=genre, weights=weights, part=part, options=opts, variants=variants, force=force)
    for path in written:
        console.print(f"wrote {path}")
