"""``lstmfuse continue`` and ``lstmfuse fuse``: the composer's commands."""

from __future__ import annotations

from pathlib import Path

import typer

from .app import app, console


def sampling_options(
    temperature: float, top_k: int, top_p: float, seed: int | None, stay_in_key: bool, lowest: str | None,
    highest: str | None, instrument: str | None, max_leap: int, rest_density: float, end_on_stable: bool,
    form: str = "auto",
):
    from ..generation.options import SamplingOptions, instrument_range, parse_pitch

    low, high = parse_pitch(lowest), parse_pitch(highest)
    if instrument:
        ilow, ihigh = instrument_range(instrument)
        low = ilow if low is None else low
        high = ihigh if high is None else high
    return SamplingOptions(
        temperature=temperature, top_k=top_k, top_p=top_p, seed=seed, stay_in_key=stay_in_key, lowest=low,
        highest=high, max_leap=max_leap or None, rest_density=rest_density, end_on_stable=end_on_stable, form=form,
    )


_T = typer.Option(0.9, "--temperature", "-t", help="Below 1: safer, more typical; above 1: more surprising.")
_TOPK = typer.Option(0, "--top-k", help="Sample among the k likeliest tokens only (0: off).")
_TOPP = typer.Option(0.95, "--top-p", help="Sample among the likeliest tokens holding this much probability.")
_SEED = typer.Option(None, "--seed", help="Random seed: the same seed gives the same result.")
_KEY = typer.Option(False, "--stay-in-key", help="Only notes of the key signature's scale.")
_LOW = typer.Option(None, "--lowest", help="Lowest pitch (name like G3 or MIDI number).")
_HIGH = typer.Option(None, "--highest", help="Highest pitch (name like E6 or MIDI number).")
_INST = typer.Option(None, "--instrument", help="Keep to an instrument's range (violin, flute, voice, ...).")
_LEAP = typer.Option(12, "--max-leap", help="Longest leap between notes in semitones (0: no limit).")
_REST = typer.Option(1.0, "--rest-density", help="Multiply the odds of rests (0: no rests, 2: twice as likely).")
_STABLE = typer.Option(True, "--end-on-stable/--free-ending", help="End on the tonic, with a long last note (on the tonic triad with --form free).")
_FORM = typer.Option(
    "auto", "--form",
    help="Phrase plan: auto (a layout real tunes of the genre use: repeats, half cadences, a closing phrase), "
    "free (no plan), or one letter per 4-bar phrase of the whole tune, the passage's last four phrases first: "
    "AABB, ABAC, AA'BA' (' = same start, new ending).",
)


@app.command("continue")
def continue_cmd(
    source: Path = typer.Argument(..., help="Score with the passage to continue (.krn, .musicxml, .mxl, .abc, .mid)."),
    bars: int = typer.Option(4, "--bars", "-b", help="Whole bars to add (after completing the last bar)."),
    genre: str = typer.Option(None, "--genre", "-g", help="Continue with one genre model (see 'lstmfuse models')."),
    weights: str = typer.Option(None, "--weights", "-w", help="Or fuse genres: e.g. folk=0.7,irish=0.3."),
    out: Path = typer.Option(..., "--out", "-o", help="Score to write (.musicxml, .mxl, .krn, .mid)."),
    part: str = typer.Option("0", "--part", "-p", help="Part to continue: index from 0 or its name."),
    variants: int = typer.Option(1, "--variants", "-n", help="Write N variants (OUT gets -1, -2, ... before its suffix)."),
    png: bool = typer.Option(False, "--png", help="Also engrave a PNG beside each score (its last page, where the new bars are)."),
    force: bool = typer.Option(False, "--force", "-f", help="Overwrite existing outputs."),
    temperature: float = _T, top_k: int = _TOPK, top_p: float = _TOPP, seed: int = _SEED, stay_in_key: bool = _KEY,
    lowest: str = _LOW, highest: str = _HIGH, instrument: str = _INST, max_leap: int = _LEAP,
    rest_density: float = _REST, end_on_stable: bool = _STABLE, form: str = _FORM,
) -> None:
    """Continue the passage in a score, in its own key and meter, and write the result.

    Examples:
      [bold]lstmfuse continue examples/essen-altdeu10-1.krn --bars 4 --genre folk -o out.musicxml[/]
      [bold]lstmfuse continue tune.musicxml --weights folk=0.6,irish=0.4 --bars 8 --seed 7 -o fused.musicxml[/]
    """
    from ..generation.service import continue_score

    opts = sampling_options(temperature, top_k, top_p, seed, stay_in_key, lowest, highest, instrument, max_leap, rest_density, end_on_stable, form)
    written = continue_score(source, out, bars=bars, genre=genre, weights=weights, part=part, options=opts, variants=variants, force=force, png=png)
    for path in written:
        console.print(f"wrote {path}")


@app.command()
def fuse(
    weights: str = typer.Option(..., "--weights", "-w", help="Genre weights, e.g. folk=0.7,irish=0.3 (normalised)."),
    bars: int = typer.Option(8, "--bars", "-b", help="Bars to write."),
    seed_file: Path = typer.Option(None, "--seed-file", help="Start from (continue) the passage in this score."),
    out: Path = typer.Option(..., "--out", "-o", help="Score to write (.musicxml, .mxl, .krn, .mid)."),
    meter: str = typer.Option(None, "--meter", help="Meter when there is no seed file (default: the heaviest genre's most common, e.g. irish 6/8)."),
    key: str = typer.Option(None, "--key", help="Key when there is no seed file: C, G, Bb, f#m, Am ... (default: the heaviest genre's most common)."),
    variants: int = typer.Option(1, "--variants", "-n", help="Write N variants."),
    png: bool = typer.Option(False, "--png", help="Also engrave a PNG beside each score (its last page, where the new bars are)."),
    force: bool = typer.Option(False, "--force", "-f", help="Overwrite existing outputs."),
    temperature: float = _T, top_k: int = _TOPK, top_p: float = _TOPP, seed: int = _SEED, stay_in_key: bool = _KEY,
    lowest: str = _LOW, highest: str = _HIGH, instrument: str = _INST, max_leap: int = _LEAP,
    rest_density: float = _REST, end_on_stable: bool = _STABLE, form: str = _FORM,
) -> None:
    """Fuse genres into one melody, steered by your weights (two phases, after Lee 2023).

    Example: [bold]lstmfuse fuse --weights folk=0.7,irish=0.3 --bars 16 --seed 1 -o fused.musicxml[/]
    The weights and every setting are stored in the file's metadata.
    """
    from ..generation.service import continue_score, fuse_new

    opts = sampling_options(temperature, top_k, top_p, seed, stay_in_key, lowest, highest, instrument, max_leap, rest_density, end_on_stable, form)
    if seed_file is not None:
        written = continue_score(seed_file, out, bars=bars, weights=weights, part="0", options=opts, variants=variants, force=force, png=png)
    else:
        written, used = fuse_new(out, weights=weights, bars=bars, meter=meter, key=key, options=opts, variants=variants, force=force, png=png)
        if used["defaulted"]:
            from music21 import key as m21key

            tonic = m21key.KeySignature(used["sharps"]).asKey(used["mode"]).tonic.name.replace("-", "b")
            chosen = {"meter": used["meter"], "key": f"{tonic} {used['mode']}"}
            said = ", ".join(f"{name} {chosen[name]}" for name in used["defaulted"])
            console.print(f"{said}: the most common in {used['from_genre']}, the heaviest genre (set --meter/--key to choose)")
    for path in written:
        console.print(f"wrote {path}")


