"""The seeds' pipeline, rebuilt faithfully as the baseline our benchmarks must beat.

(Velardo-style, seeds 001/002): 16th-note time steps, '_' = hold, 'r' = rest, songs in
C major / A minor, songs with other durations dropped, windows of 64 steps with ONE target
per window, LSTM(256) + Dropout(0.2) + Dense(softmax), sparse categorical cross-entropy;
generation calls ``model.predict`` on the whole window for every new step.
Not part of the library: it exists only to be measured against.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from lstmfuse.encoding.events import Melody
from lstmfuse.encoding.tokens import normalising_shift

SEQUENCE_LENGTH = 64
STEP = Fraction(1, 4)


def to_time_series(m: Melody) -> list[str] | None:
    """16th-note steps; None when a duration is not a whole number of 16ths (the seeds drop it)."""
    shift = normalising_shift(m.sharps)
    out: list[str] = []
    for e in m.events:
        steps = e.duration / STEP
        if steps.denominator != 1:
            return None
        out.append("r" if e.pitch is None else str(e.pitch + shift))
        out += ["_"] * (int(steps) - 1)
    return out


def build_dataset(melodies: list[Melody]) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """(windows, one target each, vocabulary); songs joined with '/' * 64 as in the seeds."""
    series: list[str] = []
    for m in melodies:
        s = to_time_series(m)
        if s is not None:
            series += s + ["/"] * SEQUENCE_LENGTH
    vocab = {sym: i for i, sym in enumerate(sorted(set(series)))}
    ints = np.array([vocab[s] for s in series], dtype=np.int32)
    n = len(ints) - SEQUENCE_LENGTH
    idx = np.arange(SEQUENCE_LENGTH)[None, :] + np.arange(n)[:, None]
    return ints[idx], ints[SEQUENCE_LENGTH:], vocab


def build_model(vocab_size: int, units: int = 256):
    import keras
    from keras import layers

    inp = keras.Input(shape=(None, vocab_size))
    x = layers.LSTM(units)(inp)
    x = layers.Dropout(0.2)(x)
    out = layers.Dense(vocab_size, activation="softmax")(x)
    model = keras.Model(inp, out)
    model.compile(loss="sparse_categorical_crossentropy", optimizer=keras.optimizers.Adam(0.001))
    return model


def one_hot_batches(windows: np.ndarray, targets: np.ndarray, vocab_size: int, batch: int = 64):
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((windows, targets)).batch(batch)
    return ds.map(lambda x, y: (tf.one_hot(x, vocab_size), y))


def generate(model, seed: list[int], steps: int, vocab_size: int, temperature: float = 1.0, rng=None) -> list[int]:
    """The seeds' generator: predict on the last 64 steps for every new step."""
    rng = rng or np.random.default_rng(0)
    melody = list(seed)
    for _ in range(steps):
        window = melody[-SEQUENCE_LENGTH:]
        onehot = np.eye(vocab_size, dtype=np.float32)[window][None]
        probs = model.predict(onehot, verbose=0)[0]
        logp = np.log(np.maximum(probs, 1e-12)) / temperature
        p = np.exp(logp - logp.max())
        p /= p.sum()
        melody.append(int(rng.choice(len(p), p=p)))
    return melody[len(seed) :]
