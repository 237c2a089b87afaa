"""Score I/O commands: convert, validate, info, render."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from .. import io
from ..errors import UsageError
from ..io import atomic, formats, writer  # noqa: F401  (submodules used below)
from .app import app, console, console_err, say_stopping


def _warn_if_large(path: Path) -> None:
    from ..io.limits import large_score_note

    note = large_score_note(path)
    if note:
        console_err.print(f"[bold yellow]note:[/] {escape(note)}", highlight=False, soft_wrap=True)


@contextlib.contextmanager
def _stoppable(what: str):
    """Ctrl-C during a long read, conversion or engraving: one line and exit status 130.
    (typer turns a KeyboardInterrupt into a silent exit 130, so the user saw nothing.)"""
    try:
        yield
    except KeyboardInterrupt:
        console_err.print(f"[bold red]interrupted[/] {escape(what)}; nothing was written", highlight=False, soft_wrap=True)
        raise typer.Exit(130) from None


def _live_console() -> Console:
    """A console bound to the real stderr *now*: progress bars and spinners keep drawing
    there even while the library silences music21's chatter by swapping sys.stderr."""
    return Console(file=sys.stderr)


# --------------------------------------------------------------------------- convert


@app.command(
    epilog=(
        "Examples:\n\n"
        "  lstmfuse convert chorale.krn chorale.musicxml\n\n"
        "  lstmfuse convert corpus/palestrina --to musicxml --out-dir out/ -j 2\n\n"
        "  lstmfuse convert 'songs/**/*.abc' scores/*.mxl --to krn --out-dir kern/ --force"
    )
)
def convert(
    sources: list[str] = typer.Argument(
        ...,
        metavar="IN OUT | SOURCE...",
        help="Either one score and the file to write (IN OUT), or, with --out-dir, any number of files, folders (searched recursively for score files) and glob patterns.",
    ),
    to: str = typer.Option(None, "--to", "-t", help="Batch mode: the format to write (krn, musicxml, mxl, midi)."),
    out_dir: Path = typer.Option(None, "--out-dir", "-o", help="Batch mode: the folder to write into; sub-folders of each input folder are kept."),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Batch mode: convert in this many processes."),
    force: bool = typer.Option(False, "--force", "-f", help="Overwrite outputs that already exist."),
    tune: int = typer.Option(None, "--tune", min=1, show_default="the first", help="One file: which tune of an ABC collection (from 1, as `lstmfuse info --tune` counts them)."),
) -> None:
    """Convert scores between **kern, MusicXML (.musicxml/.xml/.mxl), ABC and MIDI.

    One file: [bold]lstmfuse convert chorale.krn chorale.musicxml[/] or [bold]-o chorale.musicxml[/] (the output format comes from the suffix); [bold]lstmfuse convert oneills.abc --tune 264 264.musicxml[/] one tune of a collection.

    Many files: [bold]lstmfuse convert DIR_OR_GLOB... --to musicxml --out-dir out/ -j 2[/] writes out/<sub-folders>/<name>.musicxml for every score file found, in parallel, with a progress bar, then lists the files that failed and why (exit status 1 if any did). An ABC file holding several tunes becomes <name>-1, <name>-2, ... Nothing is overwritten without --force.
    """
    from ..io.formats import format_from_suffix, tune_count_hint

    if len(sources) == 1 and to is None and out_dir is not None and format_from_suffix(out_dir) and not out_dir.is_dir():
        # `convert IN -o OUT.krn` reads as `continue IN -o OUT` does: one file, not a folder named OUT.krn
        sources, out_dir = [sources[0], str(out_dir)], None
    batch = out_dir is not None or to is not None
    if batch and tune is not None:
        raise UsageError("--tune picks one tune to convert into one file (IN OUT); --to/--out-dir convert every tune")
    if not batch:
        if len(sources) != 2:
            raise UsageError(
                "give IN OUT to convert one file, or SOURCE... --to FORMAT --out-dir FOLDER for many"
            )
        source, target = Path(sources[0]), Path(sources[1])
        io.writer.output_format(target)
        io.atomic.check_writable(target, force)
        _warn_if_large(source)
        with _stoppable(f"converting {source}"), _live_console().status(f"converting {escape(str(source))}", spinner="dots"):
            io.convert_file(source, target, force=force, tune=tune or 1)
        tunes = tune_count_hint(source)
        if tunes > 1 and tune is None:
            console_err.print(
                f"note: {escape(str(source))} holds {tunes} tunes; converted the first "
                "(--tune N takes another; --to/--out-dir convert them all)",
                highlight=False,
            )
        console.print(f"wrote {escape(str(target))}", highlight=False)
        return
    if to is None or out_dir is None:
        raise UsageError("batch conversion needs both --to FORMAT and --out-dir FOLDER")
    _convert_batch(sources, to, out_dir, jobs, force)


def _convert_batch(sources: list[str], to: str, out_dir: Path, jobs: int, force: bool) -> None:
    """Many files: the batch engine (``lstmfuse batch convert``'s rules) with no journal."""
    from ..batch import Convert, run

    op = Convert(to)  # an unknown or unwritable format is a usage error before anything runs
    live = _live_console()
    progress = Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=live,
        transient=not live.is_terminal,  # a log file gets the summary, not a frozen bar
    )
    with progress:
        task = progress.add_task(f"converting to {to}", total=None, failed=0)
        failures = 0

        def on_start(total: int) -> None:
            progress.update(task, total=total)

        def on_result(r) -> None:
            nonlocal failures
            failures += r.status == "failed"
            progress.update(task, advance=1, failed=failures)

        result = run(sources, [op], out_dir=out_dir, jobs=jobs, force=force, journal=False,
                     on_start=on_start, on_result=on_result, on_stop=say_stopping)

    done = [r for r in result.files if r.status in ("ok", "unchanged")]
    written = sum(len(r.written) for r in done)
    if result.failed:
        table = Table(title=f"{len(result.failed)} file(s) failed", title_justify="left", show_lines=False)
        table.add_column("file", overflow="fold")
        table.add_column("reason", overflow="fold")
        for r in result.failed:
            table.add_row(escape(r.source), escape(_reason(r.error or "", r.source)))
        console.print(table)
    seconds = result.finished - result.started
    rate = len(result.files) / seconds if seconds > 0 else 0.0
    console.print(
        f"converted {len(done)} of {len(result.files)} file(s) "
        f"({written} written to {escape(str(out_dir))}) in {seconds:.1f} s "
        f"with {jobs} process(es): {rate:.2f} files/s",
        highlight=False,
    )
    if result.interrupted:  # Ctrl-C: the files being written were finished, the rest not started
        left = sum(r.status == "interrupted" for r in result.files)
        console_err.print(f"[bold red]interrupted[/]: {left} file(s) not converted; the converted ones are complete. "
                          "Run again into another folder, or with --force, to convert them", highlight=False, soft_wrap=True)
        raise typer.Exit(130)
    if result.failed:
        raise typer.Exit(1)


def _reason(error: str, source: str) -> str:
    """A file's error without its path (the table's first column shows it), its line kept:
    ``song.krn:3: bad spine`` -> ``line 3: bad spine``."""
    if not error.startswith(f"{source}:"):
        return error
    rest = error[len(source) + 1:]
    line, sep, message = rest.partition(": ")
    return f"line {line}: {message}" if sep and line.isdigit() else rest.lstrip()


# --------------------------------------------------------------------------- validate


@app.command(
    epilog=(
        "Examples:\n\n"
        "  lstmfuse validate song.musicxml\n\n"
        "  lstmfuse validate out/*.musicxml scores/piece.mxl"
    )
)
def validate(
    files: list[Path] = typer.Argument(..., help="MusicXML files (.musicxml, .xml) or compressed .mxl archives."),
) -> None:
    """Check MusicXML files against the official MusicXML 4.0 schema (offline).

    Each problem is printed as [bold]FILE:LINE: message[/] (for an .mxl, [bold]FILE(member.xml):LINE: message[/]). Exit status: 0 all valid, 1 some invalid, 2 some could not be read as XML at all (missing, empty, malformed; one line each on stderr).
    """
    from ..errors import LstmfuseError
    from ..io.schema import validate_musicxml

    invalid = unreadable = 0
    for f in files:
        try:
            errors = validate_musicxml(f)
        except LstmfuseError as err:
            unreadable += 1
            console_err.print(f"[bold red]error:[/] {escape(str(err))}", highlight=False, soft_wrap=True)
            continue
        if errors:
            invalid += 1
            for e in errors:
                console.print(escape(str(e)), highlight=False, soft_wrap=True)
        else:
            console.print(f"{escape(str(f))}: valid MusicXML 4.0", highlight=False, soft_wrap=True)
    if len(files) > 1:
        console_err.print(
            f"{len(files)} files: {len(files) - invalid - unreadable} valid, {invalid} invalid, {unreadable} unreadable",
            highlight=False,
        )
    if unreadable:
        raise typer.Exit(2)
    if invalid:
        raise typer.Exit(1)


# --------------------------------------------------------------------------- info


@app.command(
    epilog=(
        "Examples:\n\n"
        "  lstmfuse info examples/bach-bwv277.krn\n\n"
        "  lstmfuse info song.musicxml --json | jq .notes\n\n"
        "  lstmfuse info altdeu10.abc --tune 3"
    )
)
def info(
    file: Path = typer.Argument(..., help="A score in any format lstmfuse reads."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table."),
    tune: int = typer.Option(1, "--tune", min=1, help="Which tune of an ABC collection (from 1)."),
) -> None:
    """Show what a score holds: title, composer, parts, key, meter(s), measures, notes, pitch range and length (in quarter notes, and in seconds when the file states a tempo).

    A note is a sounding note: each pitch of a chord counts, a tied note counts once, grace notes do not count.
    A MusicXML file of more than 10 MB is read in one streaming pass (seconds, not minutes) with a progress line; Ctrl-C stops any read (exit 130).
    """
    from ..io.summary import summarise

    from ..io.formats import detect_format
    from ..io.limits import LARGE_SCORE_BYTES, score_bytes

    streamed = detect_format(file) in ("musicxml", "mxl") and score_bytes(file) > LARGE_SCORE_BYTES
    if not streamed:
        _warn_if_large(file)
    with _stoppable(f"reading {file}"), _live_console().status(f"reading {escape(str(file))}", spinner="dots") as status:
        def progress(measures: int, notes: int) -> None:
            status.update(f"reading {escape(str(file))}: {measures:,} measures, {notes:,} notes so far (Ctrl-C stops)")

        s = summarise(file, tune=tune, streamed=streamed, progress=progress)
    if s.streamed:
        console_err.print(f"note: {escape(str(file))} is large: read in one streaming pass, without music21",
                          highlight=False, soft_wrap=True)
    if as_json:
        sys.stdout.write(json.dumps(s.to_dict(), ensure_ascii=False) + "\n")
        return
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")

    def row(label: str, value) -> None:
        table.add_row(label, escape("—" if value in (None, "", []) else str(value)))

    row("file", f"{s.path} ({s.format})" + (f", tune {tune} of {s.tunes_in_file}" if s.tunes_in_file > 1 else ""))
    row("title", s.title)
    row("composer", s.composer)
    row("parts", f"{len(s.parts)}: " + ", ".join(s.parts))
    row("key", s.key if len(s.keys) <= 1 else f"{s.key} (also {', '.join(s.keys[1:])})")
    row("meter", ", ".join(s.meters))
    row("measures", s.measures)
    row("notes", f"{s.notes} (and {s.rests} rests)")
    row("range", f"{s.lowest} – {s.highest}" if s.lowest else None)
    length = f"{s.duration_quarters:g} quarter notes"
    if s.duration_seconds is not None:
        mins, secs = divmod(s.duration_seconds, 60)
        length += f", {int(mins)}:{secs:04.1f} at ♩ = {', '.join(f'{t:g}' for t in s.tempos)}"
        if s.tempo_note:
            length += f" ({s.tempo_note})"
    else:
        length += " (no tempo in the file, so no time in seconds)"
    row("length", length)
    console.print(table)


# --------------------------------------------------------------------------- render


@app.command(
    epilog=(
        "Examples:\n\n"
        "  lstmfuse render examples/bach-bwv277.krn -o bach.svg\n\n"
        "  lstmfuse render song.musicxml -o song.png --page 2\n\n"
        "  lstmfuse render quartet.krn -o quartet.svg   (writes quartet.svg, quartet-2.svg, ...)\n\n"
        "  lstmfuse render oneills.abc --tune 264 -o 264.png   (one tune of an ABC collection)"
    )
)
def render(
    file: Path = typer.Argument(..., help="A score: **kern, MusicXML (.musicxml/.xml/.mxl), ABC or MIDI."),
    output: Path = typer.Option(..., "--output", "-o", help="The image to write: .svg or .png."),
    page: int = typer.Option(None, "--page", "-p", min=1, help="Write only this page (from 1), to OUTPUT itself."),
    force: bool = typer.Option(False, "--force", "-f", help="Overwrite images that already exist."),
    tune: int = typer.Option(None, "--tune", min=1, show_default="the first", help="Which tune of an ABC collection (from 1, as `lstmfuse info --tune` counts them)."),
) -> None:
    """Engrave a score to SVG or PNG with verovio.

    Without --page every page is written: OUTPUT for page 1, then OUT-2.svg, OUT-3.svg... next to it (a one-page score gives just OUTPUT). Verovio runs in a separate process, so a crash on a strange file is reported in one line; MusicXML that verovio cannot engrave is converted to **kern and rendered from that.
    """
    from ..io.render import render as render_score

    _warn_if_large(file)
    with _stoppable(f"rendering {file}"), _live_console().status(f"rendering {escape(str(file))}", spinner="dots"):
        result = render_score(file, output, page=page, force=force, tune=tune or 1)
    if result.attempts:
        console_err.print(
            f"note: {escape('; '.join(result.attempts))}; rendered through {result.route}", highlight=False, soft_wrap=True
        )
    if tune is None and (note := io.formats.first_tune_note(file, "rendered")):
        console_err.print(escape(note), highlight=False, soft_wrap=True)
    shown = ", ".join(escape(str(f)) for f in result.files)
    what = f"page {page} of {result.page_count}" if page else f"{len(result.files)} page(s)"
    console.print(f"wrote {shown} ({what})", highlight=False, soft_wrap=True)
