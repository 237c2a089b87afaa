"""The shared typer app and consoles (stdout for results, stderr for messages)."""

from __future__ import annotations

import typer
from rich.console import Console

app = typer.Typer(
    name="lstmfuse",
    help=(
        "Extend and fuse melodies inside your score.\n\n"
        "Read and write **kern, MusicXML (.musicxml/.xml/.mxl), ABC and MIDI; continue a passage "
        "with a genre LSTM or a weighted fusion of genres; edit many scores at once."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="rich",
)

console = Console()
console_err = Console(stderr=True)


def say_stopping() -> None:
    """At the first Ctrl-C of a many-file run: the files being written are finished first."""
    console_err.print("[bold yellow]stopping[/]: the file(s) being written are finished first; Ctrl-C again stops at once")


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        console.print(f"lstmfuse {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
) -> None:
    """Extend and fuse melodies inside your score."""
