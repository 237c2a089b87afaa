"""``lstmfuse train / evaluate / models``: the phase-1 genre models and the fusion model."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import typer
from rich.table import Table

from ..errors import UsageError
from .app import app, console


@app.command()
def train(
    name: str = typer.Argument(..., help="A genre (see 'lstmfuse corpus list') or 'fusion'."),
    out: Path = typer.Option(None, "--out", help="Where to put weights.npz + card (default: your user models folder, which overrides the shipped model)."),
    run_dir: Path = typer.Option(None, "--run-dir", help="Checkpoints and the JSON epoch log (default: runs/NAME)."),
    epochs: int = typer.Option(None, "--epochs", min=1, help="Most epochs (default 15, more for small corpora so they get 1000 optimizer steps; early stopping usually ends sooner)."),
    patience: int = typer.Option(None, "--patience", min=1, help="Epochs without validation improvement before stopping (default 3)."),
    units: int = typer.Option(None, "--units", min=8, help="LSTM units (default 192)."),
    layers: int = typer.Option(None, "--layers", min=1, max=4, help="LSTM layers (default 1)."),
    batch_size: int = typer.Option(None, "--batch-size", min=1, help="Windows per batch (default 64)."),
    seed: int = typer.Option(0, "--seed", help="Random seed: same seed and data, same initialisation and order."),
    genres: str = typer.Option("folk,irish,scottish,bach,palestrina", "--genres", help="For 'fusion': the genres it learns, comma-separated."),
    cache_dir: Path = typer.Option(None, "--cache-dir", help="Where the corpora were built (default: ~/.cache/lstmfuse)."),
    fresh: bool = typer.Option(False, "--fresh", help="Ignore an interrupted run in --run-dir and start over."),
    structure: bool = typer.Option(True, "--structure/--no-structure", help="Give the model the lookback and phrase inputs (what the bars one and two back did, place in the 4-bar phrase, bars to the end) that let it learn repetition and cadences."),
    init_from: Path = typer.Option(None, "--init-from", help="Start from a trained model (its folder or weights.npz) of the same shape, or the same without structure inputs: a fine-tune. Its validation loss is the one to beat."),
    learning_rate: float = typer.Option(None, "--learning-rate", min=1e-6, help="Adam learning rate (default 0.003; 0.001 suits a fine-tune)."),
) -> None:
    """Train a genre model (or the fusion model) on its built corpus; resumes after a kill.

    Needs the corpus first: [bold]lstmfuse corpus build folk[/], then [bold]lstmfuse train folk[/].
    Each epoch is logged as a JSON line in RUN_DIR/log.jsonl; at the end the best weights are
    exported to OUT/weights.npz with a model card (data, split, hyperparameters, held-out figures).

    Grow a structure model from a plain one:
    [bold]lstmfuse train folk --init-from lstmfuse/data/models/folk --learning-rate 0.001 --epochs 4[/]
    """
    from dataclasses import replace

    from ..corpora import get_genre
    from ..models.pipeline import DEFAULT_CONFIG, DEFAULT_SETTINGS, train_and_ship
    from ..models.registry import FUSION, user_models_dir

    key = name.lower()
    if key != FUSION:
        key = get_genre(key).name
    fusion_genres = tuple(get_genre(g.strip()).name for g in genres.split(",") if g.strip()) if key == FUSION else ()
    if key == FUSION and len(fusion_genres) < 2:
        raise UsageError("the fusion model needs at least two genres (--genres)")
    config = replace(DEFAULT_CONFIG, structure=structure)
    if units:
        config = replace(config, units=units)
    if layers:
        config = replace(config, layers=layers)
    settings = replace(
        DEFAULT_SETTINGS,
        seed=seed,
        **{k: v for k, v in {"epochs": epochs, "patience": patience, "batch_size": batch_size, "learning_rate": learning_rate}.items() if v},
    )
    if init_from is not None:
        if not init_from.exists():
            raise UsageError(f"--init-from {init_from}: no such model folder or weight file")
        settings = replace(settings, init_from=str(init_from))
    if epochs or batch_size:
        settings = replace(settings, min_steps=0)  # the user chose: no automatic scaling for small corpora
    out_dir = out or user_models_dir() / key
    run = run_dir or Path("runs") / key
    command = "lstmfuse " + " ".join(shlex.quote(a) for a in sys.argv[1:])

    def on_epoch(row: dict) -> None:
        console.print(
            f"epoch {row['epoch']}: loss {row['loss']:.4f}, val {row['val_bits_per_token']:.4f} bits/token, "
            f"{row['tokens_per_second']:.0f} tokens/s{' (best)' if row['improved'] else ''}"
        )

    card = train_and_ship(
        key, out_dir, run, config=config, settings=settings, corpus_root=cache_dir, resume=not fresh,
        command=command, on_epoch=on_epoch, fusion_genres=fusion_genres,
    )
    console.print(f"wrote {out_dir / 'weights.npz'} and its model card")
    _print_heldout(card["heldout"])


def _print_heldout(heldout: dict) -> None:
    table = Table(title="held-out test split")
    for col in ("genre", "model", "bits/token", "bits/note", "pitch acc", "duration acc"):
        table.add_column(col)
    for g, h in heldout.items():
        for key in ("lstm", "ngram"):
            r = h[key]
            table.add_row(g, "LSTM" if key == "lstm" else "n-gram KN 1-8", f"{r['bits_per_token']:.3f}", f"{r['bits_per_note']:.3f}", f"{r['pitch_accuracy']:.3f}", f"{r['duration_accuracy']:.3f}")
    console.print(table)


@app.command()
def evaluate(
    name: str = typer.Argument(..., help="An installed genre model (see 'lstmfuse models')."),
    cache_dir: Path = typer.Option(None, "--cache-dir", help="Where the corpora were built."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Cross-entropy (bits per token and per note) and accuracy on the genre's held-out test
    split, beside an interpolated Kneser-Ney n-gram (orders 1-8) trained on the same training split.

    Example: [bold]lstmfuse evaluate folk[/]
    """
    from ..corpora import get_genre
    from ..models.pipeline import heldout_table
    from ..models.registry import load_model

    genre = get_genre(name).name
    model = load_model(genre)
    table = {genre: heldout_table(model, genre, cache_dir)}
    if as_json:
        console.print_json(json.dumps(table))
    else:
        _print_heldout(table)


@app.command()
def models(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The installed models with a summary of their cards (data, size, held-out figures)."""
    from ..models.registry import available, load_model, read_card

    rows = []
    for name, folder in available().items():
        card = read_card(name)
        model = load_model(name)  # proves the weight file loads and matches its config
        cfg = model.config
        figures = {g: h["lstm"]["bits_per_token"] for g, h in card.get("heldout", {}).items()}
        rows.append({
            "name": name,
            "kind": card.get("kind", "?"),
            "folder": str(folder),
            "units": cfg.units,
            "layers": cfg.layers,
            "genres": list(cfg.genres),
            "epochs": card.get("training", {}).get("epochs_run"),
            "test_bits_per_token": figures,
        })
    if as_json:
        console.print_json(json.dumps(rows))
        return
    table = Table(title="installed models")
    for col in ("name", "kind", "LSTM", "epochs", "test bits/token", "folder"):
        table.add_column(col)
    for r in rows:
        bits = ", ".join(f"{g} {b:.3f}" for g, b in r["test_bits_per_token"].items())
        table.add_row(r["name"], r["kind"], f"{r['layers']}x{r['units']}", str(r["epochs"]), bits, r["folder"])
    console.print(table)
