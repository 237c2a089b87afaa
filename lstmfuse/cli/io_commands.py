"""Score I/O commands: convert, validate, info, render."""

from __future__ import annotations

from pathlib import Path

import typer

from .. import io
from ..io import atomic, writer  # noqa: F401  (submodules used below)
from .app import app, console


@app.command()
def convert(
    source: Path = typer.Argument(..., help="Score to read (.krn, .musicxml, .xml, .mxl, .abc, .mid)."),
    target: Path = typer.Argument(..., help="File to write; the format comes from its suffix (.krn, .musicxml, .mxl, .mid)."),
    force: bool = typer.Option(False, "--force", "-f", help="Overwrite TARGET if it exists."),
) -> None:
    """Convert one score between formats, e.g. [bold]lstmfuse convert chorale.krn chorale.musicxml[/]."""
    io.writer.output_format(target)
    io.atomic.check_writable(target, force)
    score = io.load(source)
    io.save(score, target, force=force)
    console.print(f"wrote {target}")
