"""From a built corpus to a shipped model: train, export the weight file, evaluate, write the card.

``lstmfuse train GENRE`` and ``lstmfuse train fusion`` both end here, so every shipped
weight file has a card saying how it was made.
"""

from __future__ import annotations

import json
import platform
import random
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .. import __version__
from ..corpora import corpus_report, get_genre, load_corpus
from ..corpora.build import corpus_path
from ..encoding import vocab as V
from ..io.atomic import write_bytes_atomic
from .config import ModelConfig
from .data import encode_all, make_windows
from .numpy_lstm import MelodyLSTM, save_weights
from .registry import FUSION, WEIGHTS
from .train import TrainSettings, train_model

LICENCE = (
    "Weights: MIT, as the code. Training data: music21's bundled corpus, whose licence note says some "
    "encodings are for non-commercial use only; treat these weights as non-commercial unless you have "
    "checked the licence of every source collection."
)

#: the shipped defaults (what `lstmfuse train` uses unless told otherwise)
DEFAULT_CONFIG = ModelConfig(units=192, structure=True)
DEFAULT_SETTINGS = TrainSettings(epochs=15, patience=3)
FUSION_TOKENS_PER_GENRE = 150_000


def _subsample(melodies: list, max_tokens: int, seed: int) -> list:
    """A fixed random subset of pieces whose tokens add up to about ``max_tokens``."""
    rng = random.Random(seed)
    shuffled = melodies[:]
    rng.shuffle(shuffled)
    out, total = [], 0
    for m in shuffled:
        if total >= max_tokens:
            break
        out.append(m)
        total += 2 * len(m[1].events) + 2
    return out


def load_init_arrays(path: Path, config: ModelConfig) -> dict[str, np.ndarray]:
    """A trained model's arrays to fine-tune from: the same shape as ``config``, or the same
    without structure inputs (a structure model grown from a plain one)."""
    from ..errors import UsageError

    weights = path / WEIGHTS if path.is_dir() else path
    base = MelodyLSTM.load(weights, name=str(path))
    same = dict(base.config.to_dict(), structure=config.structure, lookback_dim=config.lookback_dim, context_dim=config.context_dim)
    if ModelConfig.from_dict(same) != config or (base.config.structure and not config.structure):
        raise UsageError(f"--init-from {path}: its model ({base.config.to_dict()}) does not match the one to train ({config.to_dict()})")
    with np.load(weights, allow_pickle=False) as data:
        return {k: data[k] for k in data.files if k != "__config__"}


def heldout_table(model: MelodyLSTM, genre: str, root: Path | None, style: np.ndarray | None = None) -> dict[str, Any]:
    """LSTM vs interpolated Kneser-Ney n-gram (orders 1..8) on the genre's test split."""
    from .heldout import evaluate_lstm, evaluate_ngram
    from .ngram import NGramModel

    train_enc = encode_all(m for _, m in load_corpus(genre, "train", root))
    test_enc = encode_all(m for _, m in load_corpus(genre, "test", root))
    t0 = time.perf_counter()
    ngram = NGramModel(V.VOCAB_SIZE, order=8).fit(e.tokens.tolist() for e in train_enc)
    ng = evaluate_ngram(ngram, test_enc, name="n-gram (interpolated Kneser-Ney, orders 1-8)")
    lstm = evaluate_lstm(model, test_enc, style=style)
    return {
        "genre": genre,
        "split": "test",
        "lstm": lstm.to_dict(),
        "ngram": ng.to_dict(),
        "lstm_beats_ngram": lstm.bits_per_token < ng.bits_per_token,
        "seconds": round(time.perf_counter() - t0, 1),
    }


def _machine() -> str:
    import os

    return f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.system()} {platform.release()}, Python {sys.version.split()[0]}"


def train_and_ship(
    name: str,
    out_dir: Path,
    run_dir: Path,
    *,
    config: ModelConfig | None = None,
    settings: TrainSettings | None = None,
    corpus_root: Path | None = None,
    resume: bool = True,
    command: str = "",
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
    fusion_genres: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Train one model (a genre, or ``fusion`` over ``fusion_genres``), export, evaluate, card."""
    import keras
    import tensorflow as tf

    settings = settings or DEFAULT_SETTINGS
    base_config = config or DEFAULT_CONFIG
    if name == FUSION:
        genres = tuple(get_genre(g).name for g in fusion_genres)
        config = ModelConfig(**{**base_config.to_dict(), "genres": genres})
        tr, va, styles_tr, styles_va = [], [], [], []
        for k, g in enumerate(genres):
            t = _subsample(load_corpus(g, "train", corpus_root), FUSION_TOKENS_PER_GENRE, settings.seed)
            v = _subsample(load_corpus(g, "valid", corpus_root), FUSION_TOKENS_PER_GENRE // 8, settings.seed)
            tr += [m for _, m in t]
            va += [m for _, m in v]
            styles_tr += [k] * len(t)
            styles_va += [k] * len(v)
        train_w = make_windows(encode_all(tr), settings.window, styles_tr, len(genres), structure=config.structure)
        valid_w = make_windows(encode_all(va), settings.window, styles_va, len(genres), structure=config.structure)
        data_note = {g: corpus_report(g, corpus_root) for g in genres}
    else:
        genre = get_genre(name)
        config = base_config
        train_w = make_windows(
            encode_all(m for _, m in load_corpus(genre.name, "train", corpus_root)), settings.window, structure=config.structure
        )
        valid_w = make_windows(
            encode_all(m for _, m in load_corpus(genre.name, "valid", corpus_root)), settings.window, structure=config.structure
        )
        data_note = {genre.name: corpus_report(genre.name, corpus_root)}
    settings = settings.scaled_for(len(train_w))
    init_arrays = load_init_arrays(Path(settings.init_from), config) if settings.init_from else None
    result, arrays = train_model(
        config, train_w, valid_w, run_dir, settings, resume=resume, on_epoch=on_epoch, init_arrays=init_arrays
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    weights_path = save_weights(out_dir / WEIGHTS, config, arrays)
    model = MelodyLSTM(config, arrays, name=name)
    if name == FUSION:
        heldout = {}
        for k, g in enumerate(config.genres):
            style = np.zeros(len(config.genres))
            style[k] = 1.0
            heldout[g] = heldout_table(model, g, corpus_root, style)
    else:
        heldout = {name: heldout_table(model, name, corpus_root)}
    card = {
        "name": name,
        "kind": "fusion" if name == FUSION else "genre",
        "lstmfuse_version": __version__,
        "command": command,
        "data": {
            g: {
                "corpus": get_genre(g).title,
                "files": get_genre(g).globs,
                "excluded": get_genre(g).exclude,
                "voice": get_genre(g).voice,
                "why": get_genre(g).why,
                "report": rep,
                "corpus_file_sha_note": str(corpus_path(g, corpus_root).name),
            }
            for g, rep in data_note.items()
        },
        "split": "by piece: sha1(piece id) mod 100 -> <80 train, <90 valid, else test; test never trained or tuned on",
        "train_tokens_per_epoch": train_w.target_tokens,
        "valid_tokens": valid_w.target_tokens,
        "config": config.to_dict(),
        "settings": settings.to_dict(),
        "training": {
            "epochs_run": result.epochs_run,
            "best_val_loss_nats": round(result.best_val_loss, 4),
            "best_val_bits_per_token": round(result.best_val_loss / np.log(2), 4),
            "seconds": round(result.seconds, 1),
            "tokens_per_second": round(result.tokens_per_second, 1),
            "resumed_from_epoch": result.resumed_from,
            "machine": _machine(),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
        },
        "heldout": heldout,
        "licence": LICENCE,
        "weights_file": WEIGHTS,
        "weights_sha1": __import__("hashlib").sha1(weights_path.read_bytes()).hexdigest(),
    }
    if settings.init_from:
        card["base"] = base_model_summary(Path(settings.init_from))
    log = run_dir / "log.jsonl"
    if log.exists():  # the per-epoch JSON log travels with the weights it produced
        write_bytes_atomic(out_dir / "training_log.jsonl", log.read_bytes(), force=True)
    write_bytes_atomic(out_dir / "card.json", json.dumps(card, indent=2).encode(), force=True)
    write_bytes_atomic(out_dir / "MODEL_CARD.md", render_card_md(card).encode(), force=True)
    return card


def base_model_summary(path: Path) -> dict[str, Any]:
    """What a fine-tune started from: the base model's command, weights and held-out figures,
    so the card shows before and after side by side."""
    folder = path if path.is_dir() else path.parent
    card_path = folder / "card.json"
    base = json.loads(card_path.read_text()) if card_path.exists() else {}
    return {
        "path": str(path),
        "command": base.get("command", "?"),
        "weights_sha1": base.get("weights_sha1", "?"),
        "epochs_run": base.get("training", {}).get("epochs_run"),
        "best_val_bits_per_token": base.get("training", {}).get("best_val_bits_per_token"),
        "heldout_bits_per_token": {g: h["lstm"]["bits_per_token"] for g, h in base.get("heldout", {}).items()},
    }


def render_card_md(card: dict[str, Any]) -> str:
    lines = [f"# Model card: {card['name']} ({card['kind']} model)", ""]
    lines += ["## Data", ""]
    for g, d in card["data"].items():
        r = d["report"]
        lines.append(
            f"- **{g}**: {d['corpus']}; files `{', '.join(d['files'])}`"
            + (f" excluding `{', '.join(d['excluded'])}`" if d["excluded"] else "")
            + f"; voice: {d['voice']}. Pieces found {r['pieces_found']}, kept {r['pieces_kept']} "
            f"({100 * r['kept_share']:.1f}%), dropped {r['dropped'] or 'none'}; split train/valid/test "
            f"{r['splits'].get('train', 0)}/{r['splits'].get('valid', 0)}/{r['splits'].get('test', 0)}. {d['why']}"
        )
    lines += ["", f"Split: {card['split']}.", ""]
    lines += ["## Hyperparameters", "", f"```json\n{json.dumps(card['config'])}\n{json.dumps(card['settings'])}\n```", ""]
    if card["config"].get("structure"):
        lines += [
            "Structure inputs (`lstmfuse/encoding/structure.py`): at every step the model also reads the token "
            "that came next at the same moment one and two bars back (one shared embedding of "
            f"{card['config']['lookback_dim']}), and one context id (embedding {card['config']['context_dim']}) for "
            "whether the bar so far repeats the bar one or two back, the bar's place in its 4-bar phrase "
            "and the bars left to the end.",
            "",
        ]
    t = card["training"]
    lines += [
        "## Training",
        "",
        f"Command: `{card['command']}`. {t['epochs_run']} epochs"
        + (
            f" (the run was resumed at epoch {t['resumed_from_epoch']} from its checkpoint in the run folder; "
            f"the time counts the resumed part)"
            if t.get("resumed_from_epoch")
            else ""
        )
        + f", {t['seconds']} s on {t['machine']} "
        f"(TensorFlow {t['tensorflow']}, Keras {t['keras']}), {t['tokens_per_second']} target tokens/s, "
        f"{card['train_tokens_per_epoch']} training tokens per epoch; best validation "
        f"{t['best_val_bits_per_token']} bits/token.",
        "",
        "## Held-out test split (LSTM vs n-gram baseline, same events)",
        "",
        "| genre | model | bits/token | bits/note | pitch acc. | duration acc. |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for g, h in card["heldout"].items():
        for key in ("lstm", "ngram"):
            r = h[key]
            lines.append(
                f"| {g} | {'LSTM' if key == 'lstm' else r['model']} | {r['bits_per_token']:.3f} | "
                f"{r['bits_per_note']:.3f} | {r['pitch_accuracy']:.3f} | {r['duration_accuracy']:.3f} |"
            )
    base = card.get("base")
    if base:
        before = base["heldout_bits_per_token"]
        lines += [
            "",
            "## Fine-tuned from",
            "",
            f"This model started from `{base['path']}` (weights sha1 {base['weights_sha1']}, made by "
            f"`{base['command']}`, {base['epochs_run']} epochs, best validation {base['best_val_bits_per_token']} "
            "bits/token), whose weights it kept; the new inputs started at zero, so epoch 0 of the fine-tune "
            "scores exactly what the base did.",
            "",
            "| genre | held-out bits/token before | after | change |",
            "| --- | ---: | ---: | ---: |",
        ]
        for g, h in card["heldout"].items():
            if g in before:
                after = h["lstm"]["bits_per_token"]
                lines.append(f"| {g} | {before[g]:.3f} | {after:.3f} | {after - before[g]:+.3f} |")
    lines += ["", "## Licence", "", card["licence"], ""]
    return "\n".join(lines)
