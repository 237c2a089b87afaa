"""Training throughput: lstmfuse (a target at every step) vs the seeds (one target per window).

Both are LSTM(256) on the same folk melodies, in the same process; we count target tokens
per second, i.e. how many next-symbol predictions each pipeline learns from per second.

    .venv/bin/python bench/bench_train.py [--pieces 600] [--batches 30]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

import seeds_baseline as seeds  # noqa: E402
from lstmfuse.corpora import load_corpus  # noqa: E402
from lstmfuse.models.config import ModelConfig  # noqa: E402
from lstmfuse.models.data import encode_all, make_windows  # noqa: E402
from lstmfuse.models.keras_model import build_model  # noqa: E402


def timed_fit(model, data, batches: int) -> float:
    model.fit(data.take(2), epochs=1, verbose=0)  # compile/trace outside the clock
    t = time.perf_counter()
    model.fit(data.take(batches), epochs=1, verbose=0)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pieces", type=int, default=600)
    ap.add_argument("--batches", type=int, default=30)
    ap.add_argument("--genre", default="folk")
    args = ap.parse_args()
    import keras
    import tensorflow as tf

    melodies = [m for _, m in load_corpus(args.genre, "train")][: args.pieces]
    # seeds: one target per 64-step window
    windows, targets, vocab = seeds.build_dataset(melodies)
    seed_model = seeds.build_model(len(vocab))
    seed_data = seeds.one_hot_batches(windows, targets, len(vocab)).repeat()
    seed_s = timed_fit(seed_model, seed_data, args.batches)
    seed_tps = args.batches * 64 / seed_s
    # lstmfuse: targets at every step, same LSTM size
    w = make_windows(encode_all(melodies), 128)
    ours = build_model(ModelConfig(units=256))
    ours.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0))
    feats = {"tokens": w.tokens, "positions": w.positions, "meters": w.meters}
    data = tf.data.Dataset.from_tensor_slices((feats, w.targets)).batch(64).repeat()
    ours_s = timed_fit(ours, data, args.batches)
    per_batch_targets = w.target_tokens / len(w) * 64
    ours_tps = args.batches * per_batch_targets / ours_s
    print(f"pieces: {len(melodies)} ({args.genre}, train split); batches timed: {args.batches} of 64 windows")
    print(f"seeds (64-step windows, 1 target each, LSTM 256): {seed_tps:10.0f} target tokens/s")
    print(f"lstmfuse (128-step windows, target every step, LSTM 256): {ours_tps:10.0f} target tokens/s")
    print(f"ratio: {ours_tps / seed_tps:.1f}x")


if __name__ == "__main__":
    main()
