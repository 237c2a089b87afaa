"""``lstmfuse metrics``, ``lstmfuse sweep`` and ``lstmfuse reference build``."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from ..errors import UsageError
from .app import app, console, console_err

reference_app = typer.Typer(help="Reference data for the metrics: genre profiles, originality indices, style classifier.", no_args_is_help=True)
app.add_typer(reference_app, name="reference")


@reference_app.command("build")
def reference_build(
    genres: str = typer.Option("folk,irish,scottish,bach,palestrina", "--genres", help="Comma-separated genres."),
    cache_dir: Path = typer.Option(None, "--cache-dir", help="Where the corpora were built."),
    out: Path = typer.Option(None, "--out", help="Output folder (default: the package's shipped reference data)."),
    seed: int = typer.Option(0, "--seed"),
    only: str = typer.Option(None, "--only", help="Rebuild just one kind: 'form' (the phrase layouts that phrase plans draw from) or 'judge' (the sequence style judge, taught single-genre excerpts and real collages of two genres; trains with TensorFlow, about 17 minutes on 2 cores)."),
) -> None:
    """Build genre profiles, originality indices, phrase layouts and the style classifier from
    the corpora's training splits.

    Example: [bold]lstmfuse reference build --only form[/] (after [bold]lstmfuse corpus build[/])
    """
    from ..corpora import get_genre
    from ..metrics.reference import build_reference, write_form_reference

    names = [get_genre(g.strip()).name for g in genres.split(",") if g.strip()]
    if only is not None:
        if only not in ("form", "judge"):
            raise UsageError(f"--only takes 'form' or 'judge' (got '{only}')")
        if only == "judge":
            from ..models.judge_train import write_judge

            with console.status("training the style judge on the training splits..."):
                held = write_judge(names, cache_dir, out, seed)["heldout"]
            console.print(f"style judge held-out accuracy: {held['accuracy']:.3f} (" + ", ".join(f"{g} {a:.3f}" for g, a in held["per_genre"].items()) + ")")
            console.print(f"confusion (rows = true genre): {held['confusion']}")
            return
        with console.status("reading the phrase layouts of the training splits..."):
            counts = write_form_reference(names, cache_dir, out, seed)
        console.print("phrase layouts: " + ", ".join(f"{g} {n}" for g, n in counts.items()))
        return
    with console.status("building reference data (profiles, originality indices, classifier)..."):
        summary = build_reference(names, cache_dir, out, seed)
    c = summary["classifier"]
    console.print(f"style classifier held-out accuracy: {c['heldout_accuracy']:.3f} over {', '.join(c['genres'])}")
    console.print(f"confusion (rows = true genre): {c['confusion']}")
    j = summary["judge"]
    console.print(f"style judge held-out accuracy: {j['accuracy']:.3f}, confusion {j['confusion']}")


@app.command()
def metrics(
    files: list[Path] = typer.Argument(..., help="Scores to measure."),
    against: str = typer.Option(None, "--against", help="Compare with this genre's corpus (histogram distances, originality)."),
    part: str = typer.Option(None, "--part", "-p", show_default="the first part with pitched notes", help="Part to measure: its number (from 1, as `lstmfuse info` lists the parts) or its name."),
    from_bar: int = typer.Option(None, "--from-bar", help="Measure only from this bar on (e.g. the generated bars): the measure number printed in the score, as MuseScore shows it (a pickup numbered 0 is bar 0)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    tune: int = typer.Option(None, "--tune", min=1, show_default="the first", help="Which tune of an ABC collection (from 1, as `lstmfuse info --tune` counts them); of each file given."),
) -> None:
    """Objective metrics of melodies: pitch-class entropy, scale consistency, in-key ratio, range,
    groove; form (2-bar segments that recur exactly / transposed / in rhythm, lengthened phrase
    ends, ending on the tonic, final-note length in bars, strikes of the last pitch at the end; with --from-bar, how many new bars reuse
    a bar rhythm of the music before); with --against, distances to a genre's corpus, copying from its training set, and the
    style judge's posterior over genres.

    Examples: [bold]lstmfuse metrics fused.musicxml --against irish --from-bar 9[/]
              [bold]lstmfuse metrics oneills.abc --tune 264[/]  (one tune of an ABC collection)
    """
    from ..encoding.extract import melody_from_part, pick_part, with_readable_meters
    from ..io import load
    from ..io.formats import first_tune_note
    from ..metrics import melody_metrics
    from ..metrics.reference import judge, known_genres, originality_index, profile

    if against is not None and against.lower() not in known_genres():
        raise UsageError(f"no reference data for genre '{against}' (have: {', '.join(known_genres()) or 'none'})")
    rows = []
    for f in files:
        part_obj = pick_part(load(f, (tune or 1) - 1), part)
        if tune is None and (note := first_tune_note(f, "measured")):
            console_err.print(escape(note), highlight=False, soft_wrap=True)
        melody = with_readable_meters(melody_from_part(part_obj, source=str(f)))
        passage = None
        if from_bar is not None:
            whole = melody
            melody = _from_bar(whole, part_obj, from_bar)
            passage = whole.with_events([e for e in whole.events if e.onset < (melody.events[0].onset if melody.events else whole.end)])
        row = {"file": str(f)}
        row.update(melody_metrics(
            melody,
            passage=passage,
            against=profile(against.lower()) if against else None,
            originality=originality_index(against.lower()) if against else None,
        ))
        try:
            clf = judge()
            post = clf.posterior(melody)
            row.update({f"style_{g}": round(float(p), 4) for g, p in zip(clf.genres, post)})
        except Exception as exc:  # no judge installed: metrics still useful
            row["style_error"] = str(exc)
        rows.append(row)
    if as_json:
        console.print_json(json.dumps(rows))
        return
    for row in rows:
        table = Table(title=row["file"])
        table.add_column("metric")
        table.add_column("value", justify="right")
        for k, v in row.items():
            if k != "file":
                table.add_row(k, "-" if v is None else (f"{v:.4f}" if isinstance(v, float) else str(v)))
        console.print(table)


def _from_bar(melody, part, bar_number: int):
    """Events from the measure printed as ``bar_number`` on (see :func:`bar_start`)."""
    from ..encoding.extract import bar_start

    try:
        t0 = bar_start(part, bar_number)
    except UsageError as err:
        raise UsageError(f"--from-bar {bar_number}: {err}") from None
    return melody.with_events([e for e in melody.events if e.onset >= t0])


@app.command()
def sweep(
    out: Path = typer.Option(Path("sweep.png"), "--out", "-o", help="PNG to write (a JSON of the numbers goes beside it)."),
    genre: str = typer.Option("folk", "--genre", help="Genre for the temperature sweep."),
    pair: str = typer.Option("folk,irish", "--pair", help="Two genres A,B for the weight sweep."),
    temperatures: str = typer.Option("0.5,0.7,0.9,1.1,1.3,1.6", "--temperatures"),
    weights: str = typer.Option("0,0.25,0.5,0.75,1", "--weights"),
    n: int = typer.Option(10, "--n", help="Generations per point."),
    bars: int = typer.Option(16, "--bars"),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Plot the balance: temperature against novelty and coherence, and weight against style posterior.

    Example: [bold]lstmfuse sweep -o docs/sweep.png --n 20[/]
    """
    from ..evaluation.sweep import SweepResult, plot, temperature_sweep, weight_sweep
    from ..io.atomic import write_bytes_atomic

    try:
        temps = [float(t) for t in temperatures.split(",")]
        ws = [float(w) for w in weights.split(",")]
    except ValueError:
        raise UsageError("--temperatures and --weights take comma-separated numbers") from None
    names = [p.strip().lower() for p in pair.split(",")]
    if len(names) != 2:
        raise UsageError("--pair takes two genres, e.g. folk,irish")
    with console.status("temperature sweep..."):
        nov, ink, ov = temperature_sweep(genre.lower(), temps, n, bars, seed)
    with console.status("weight sweep..."):
        post, sd = weight_sweep(names[0], names[1], ws, n, bars, seed)
    result = SweepResult(genre.lower(), temps, nov, ink, ov, (names[0], names[1]), ws, post, sd)
    plot(result, out)
    write_bytes_atomic(out.with_suffix(".json"), json.dumps(result.to_dict(), indent=2).encode(), force=True)
    console.print(f"wrote {out} and {out.with_suffix('.json')}")
