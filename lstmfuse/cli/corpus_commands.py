"""``lstmfuse corpus ...``: build and inspect the genre corpora."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .app import app, console

corpus_app = typer.Typer(help="Build and inspect the genre corpora (from music21's bundled corpus).", no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")


@corpus_app.command("build")
def corpus_build(
    genres: list[str] = typer.Argument(None, help="Genres to build (default: all). See 'lstmfuse corpus list'."),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Worker processes."),
    cache_dir: Path = typer.Option(None, "--cache-dir", help="Where to keep the corpora (default: ~/.cache/lstmfuse)."),
    report: Path = typer.Option(None, "--report", help="Also write the per-genre report as JSON here."),
) -> None:
    """Parse, encode and cache the genre corpora; re-runs with nothing changed take seconds.

    Example: [bold]lstmfuse corpus build folk irish -j 2[/]
    """
    from ..corpora import GENRES, build, get_genre
    from ..io.atomic import write_bytes_atomic

    names = [get_genre(g).name for g in genres] if genres else list(GENRES)
    with Progress(
        TextColumn("{task.description:>10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        tasks: dict[str, int] = {}

        def on_progress(genre: str, done: int, total: int) -> None:
            if genre not in tasks:
                tasks[genre] = progress.add_task(genre, total=total)
            progress.update(tasks[genre], completed=done, total=total)

        reports = build(names, jobs=jobs, root=cache_dir, on_progress=on_progress)
    table = Table(title="corpus build")
    for col in ("genre", "files", "found", "kept", "kept %", "dropped (why)", "train/valid/test", "notes", "keys misfit / refit", "s"):
        table.add_column(col)
    for r in reports:
        why = ", ".join(f"{k}: {v}" for k, v in r.dropped.items()) or "-"
        split = f"{r.splits['train']}/{r.splits['valid']}/{r.splits['test']}"
        table.add_row(r.genre, str(r.files), str(r.found), str(r.kept), f"{100 * r.kept_share:.1f}", why, split, str(r.notes), f"{r.key_signatures_misfit} / {r.key_signatures_refitted}", f"{r.seconds:.1f}")
    console.print(table)
    if report:
        write_bytes_atomic(report, json.dumps([r.to_dict() for r in reports], indent=2).encode(), force=True)


@corpus_app.command("list")
def corpus_list() -> None:
    """The genres, their source files in music21's corpus, and why those."""
    from ..corpora import GENRES, genre_files

    table = Table()
    for col in ("genre", "corpus", "files", "voice", "why"):
        table.add_column(col)
    for g in GENRES.values():
        table.add_row(g.name, g.title, str(len(genre_files(g))), g.voice, g.why)
    console.print(table)
