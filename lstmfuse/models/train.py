"""Training: Keras 3 on TensorFlow, tf.data input, early stopping, resumable checkpoints.

A run keeps everything in its run folder: ``last.keras`` (model + optimizer, written every
epoch, so a killed run resumes where it stopped), ``best.weights.h5``, ``state.json``
(epoch, best validation loss, patience used) and ``log.jsonl`` (one JSON line per epoch).
When it ends, the best weights are exported to the one shipped weight file (``weights.npz``).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..errors import LstmfuseError
from .config import ModelConfig
from .data import Windows


@dataclass
class TrainSettings:
    epochs: int = 40
    batch_size: int = 64
    window: int = 128
    learning_rate: float = 3e-3
    patience: int = 4
    seed: int = 0
    max_minutes: float | None = None  # stop after this much wall time (still keeps the best)
    min_steps: int = 1000  # small corpora get more epochs (and smaller batches) to reach this
    max_epochs: int = 100
    #: a trained model's weight file to start from (fine-tuning; see set_weights_from_dict)
    init_from: str | None = None

    def scaled_for(self, n_windows: int) -> "TrainSettings":
        """Settings for a corpus of ``n_windows``: a corpus too small for ``min_steps`` optimizer
        steps in ``epochs`` epochs trains with batches of 16 and more epochs (early stopping
        still decides when to stop). Large corpora keep the settings as they are."""
        from dataclasses import replace
        from math import ceil

        batch = self.batch_size if n_windows >= 40 * self.batch_size else min(16, self.batch_size)
        steps = max(1, ceil(n_windows / batch))
        epochs = min(self.max_epochs, max(self.epochs, ceil(self.min_steps / steps)))
        return replace(self, batch_size=batch, epochs=epochs)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class TrainResult:
    run_dir: Path
    epochs_run: int
    best_val_loss: float
    seconds: float
    tokens_per_second: float
    history: list[dict[str, Any]] = field(default_factory=list)
    resumed_from: int = 0


def _dataset(w: Windows, batch: int, shuffle: bool, seed: int):
    import tensorflow as tf

    feats: dict[str, Any] = {"tokens": w.tokens, "positions": w.positions, "meters": w.meters}
    if w.style is not None:
        feats["style"] = w.style
    if w.structure is not None:
        feats["structure"] = w.structure
    ds = tf.data.Dataset.from_tensor_slices((feats, w.targets))
    if shuffle:
        ds = ds.shuffle(len(w), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch)
    if w.style is not None:
        length = w.tokens.shape[1]

        def widen(f, y):
            f = dict(f)
            f["style"] = tf.repeat(f["style"][:, None, :], length, axis=1)
            return f, y

        ds = ds.map(widen)
    return ds.prefetch(2)


def train_model(
    config: ModelConfig,
    train: Windows,
    valid: Windows,
    run_dir: Path,
    settings: TrainSettings,
    resume: bool = True,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
    init_arrays: dict[str, np.ndarray] | None = None,
) -> tuple[TrainResult, dict[str, np.ndarray]]:
    """Train (or resume) and return the result plus the best weights as NumPy arrays.

    With ``init_arrays`` (a trained model's weights) a fresh run starts from them, and their
    validation loss is the one to beat: a fine-tune that does not improve ships them unchanged."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    from .keras_model import build_model, set_weights_from_dict, weights_dict

    run_dir.mkdir(parents=True, exist_ok=True)
    state_path = run_dir / "state.json"
    last_path = run_dir / "last.keras"
    best_path = run_dir / "best.weights.h5"
    log_path = run_dir / "log.jsonl"
    state = {"epoch": 0, "best_val_loss": float("inf"), "wait": 0, "config": config.to_dict(), "settings": settings.to_dict()}
    keras.utils.set_random_seed(settings.seed)
    resumed_from = 0
    if resume and state_path.exists() and last_path.exists():
        saved = json.loads(state_path.read_text())
        if saved.get("config") != config.to_dict():
            raise LstmfuseError("the run folder holds a run with other hyperparameters: use a new --run-dir or --fresh", run_dir)
        state = saved
        model = keras.saving.load_model(last_path)
        resumed_from = state["epoch"]
    else:
        for p in (state_path, last_path, best_path, log_path):
            p.unlink(missing_ok=True)
        model = build_model(config)
        model.compile(
            optimizer=keras.optimizers.Adam(settings.learning_rate, clipnorm=1.0),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0),
        )
        if init_arrays is not None:
            set_weights_from_dict(model, config, init_arrays)
    train_ds = _dataset(train, settings.batch_size, True, settings.seed)
    valid_ds = _dataset(valid, settings.batch_size, False, settings.seed)
    started = time.perf_counter()
    history: list[dict[str, Any]] = []
    verbose = 1 if os.isatty(1) else 2
    total_tokens = 0
    train_seconds = 0.0
    epoch = state["epoch"]
    if init_arrays is not None and epoch == 0 and not best_path.exists():
        start_loss = float(model.evaluate(valid_ds, verbose=0))
        state["best_val_loss"] = start_loss
        model.save_weights(best_path)
        history.append({"epoch": 0, "val_loss": start_loss, "val_bits_per_token": start_loss / np.log(2), "start": True})
        with open(log_path, "a") as fh:
            fh.write(json.dumps(history[-1]) + "\n")
    while epoch < settings.epochs and state["wait"] < settings.patience:
        if settings.max_minutes and (time.perf_counter() - started) / 60 > settings.max_minutes:
            break
        t0 = time.perf_counter()
        fit = model.fit(train_ds, validation_data=valid_ds, epochs=epoch + 1, initial_epoch=epoch, verbose=verbose)
        seconds = time.perf_counter() - t0
        epoch += 1
        loss = float(fit.history["loss"][-1])
        val_loss = float(fit.history["val_loss"][-1])
        improved = val_loss < state["best_val_loss"] - 1e-4
        if improved:
            state["best_val_loss"] = val_loss
            state["wait"] = 0
            tmp_best = run_dir / "best.tmp.weights.h5"
            model.save_weights(tmp_best)
            tmp_best.replace(best_path)
        else:
            state["wait"] += 1
        state["epoch"] = epoch
        tmp_last = run_dir / "last.tmp.keras"
        model.save(tmp_last)
        tmp_last.replace(last_path)  # a kill mid-save must not leave a truncated checkpoint
        tmp = state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        tmp.replace(state_path)  # state after checkpoint: a kill in between replays one epoch at most
        total_tokens += train.target_tokens
        train_seconds += seconds
        row = {
            "epoch": epoch,
            "loss": loss,
            "val_loss": val_loss,
            "val_bits_per_token": val_loss / np.log(2),
            "seconds": round(seconds, 2),
            "tokens_per_second": round(train.target_tokens / seconds, 1),
            "improved": improved,
        }
        history.append(row)
        with open(log_path, "a") as fh:
            fh.write(json.dumps(row) + "\n")
        if on_epoch:
            on_epoch(row)
    if best_path.exists():
        model.load_weights(best_path)
    result = TrainResult(
        run_dir=run_dir,
        epochs_run=epoch,
        best_val_loss=state["best_val_loss"],
        seconds=time.perf_counter() - started,
        tokens_per_second=total_tokens / train_seconds if train_seconds else 0.0,
        history=history,
        resumed_from=resumed_from,
    )
    return result, weights_dict(model, config)
