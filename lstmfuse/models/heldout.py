"""Held-out figures for a melody model beside the n-gram baseline, on the same events.

Bits per token: mean -log2 p over every predicted token (each piece's tokens after <bos>,
<eos> included). Bits per note: the same total divided by the number of note/rest events
(a note costs its pitch token plus its duration token(s)). Accuracy is reported per kind of
target (pitch tokens, duration tokens) because one kind dominating would flatter the mean.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..encoding import vocab as V
from ..encoding.structure import piece_features
from ..encoding.tokens import Encoded


@dataclass
class HeldOut:
    model: str
    pieces: int
    tokens: int
    events: int
    bits_per_token: float
    bits_per_note: float
    pitch_accuracy: float
    duration_accuracy: float
    pitch_bits: float
    duration_bits: float

    def to_dict(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def _summarise(name: str, encoded: list[Encoded], bits: list[np.ndarray], hits: list[np.ndarray]) -> HeldOut:
    targets = np.concatenate([e.tokens[1:] for e in encoded])
    b = np.concatenate(bits)
    h = np.concatenate(hits)
    is_pitch = (targets == V.REST) | ((targets >= V.PITCH_BASE) & (targets < V.DURATION_BASE))
    is_dur = targets >= V.DURATION_BASE
    events = int(is_pitch.sum())
    return HeldOut(
        model=name,
        pieces=len(encoded),
        tokens=int(len(targets)),
        events=events,
        bits_per_token=float(b.mean()),
        bits_per_note=float(b.sum() / max(events, 1)),
        pitch_accuracy=float(h[is_pitch].mean()),
        duration_accuracy=float(h[is_dur].mean()),
        pitch_bits=float(b[is_pitch].mean()),
        duration_bits=float(b[is_dur].mean()),
    )


def sequence_log_probs(model, encoded: list[Encoded], batch: int = 64, style: np.ndarray | None = None) -> list[np.ndarray]:
    """Each piece's next-token log-probabilities (natural log, one row per predicted token),
    from <bos> with a fresh state; pieces of similar length share a batch."""
    from .numpy_lstm import log_softmax

    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))  # similar lengths per batch
    results: dict[int, np.ndarray] = {}
    for start in range(0, len(order), batch):
        idx = order[start : start + batch]
        n = max(len(encoded[i]) for i in idx) - 1
        pad = lambda a: np.pad(a[:-1], (0, n - len(a) + 1))  # noqa: E731
        toks = np.stack([pad(encoded[i].tokens) for i in idx])
        poss = np.stack([pad(encoded[i].positions) for i in idx])
        mets = np.stack([pad(encoded[i].meters) for i in idx])
        st = None if style is None else np.repeat(style[None, :], len(idx), axis=0)
        struct = None
        if model.config.structure:
            padded = lambda a: np.pad(a[:-1], ((0, n - len(a) + 1), (0, 0)))  # noqa: E731
            struct = np.stack([padded(piece_features(encoded[i].tokens, encoded[i].meters, encoded[i].positions)) for i in idx])
        logp = log_softmax(model.sequence_logits(toks, poss, mets, st, struct))
        for row, i in enumerate(idx):
            results[i] = logp[row, : len(encoded[i]) - 1]
    return [results[i] for i in range(len(encoded))]


def evaluate_log_probs(name: str, encoded: list[Encoded], logps: list[np.ndarray]) -> HeldOut:
    """The held-out figures of per-piece log-probabilities (``sequence_log_probs`` or a mixture of them)."""
    bits: list[np.ndarray] = []
    hits: list[np.ndarray] = []
    for e, lp in zip(encoded, logps):
        y = e.tokens[1:]
        bits.append(-lp[np.arange(len(y)), y] / np.log(2))
        hits.append(lp.argmax(axis=-1) == y)
    return _summarise(name, encoded, bits, hits)


def evaluate_lstm(model, encoded: list[Encoded], batch: int = 64, style: np.ndarray | None = None) -> HeldOut:
    """Score a MelodyLSTM on pieces (each starting at <bos> with a fresh state)."""
    return evaluate_log_probs(model.name or "lstm", encoded, sequence_log_probs(model, encoded, batch, style))


def evaluate_ngram(ngram, encoded: list[Encoded], name: str = "n-gram") -> HeldOut:
    """Score the n-gram baseline on exactly the same target tokens (context from <bos>)."""
    bits: list[np.ndarray] = []
    hits: list[np.ndarray] = []
    for e in encoded:
        seq = e.tokens.tolist()
        bits.append(np.asarray(ngram.log2_probs(seq))[1:])
        guesses = ngram.distributions(seq).argmax(axis=1)[1:]
        hits.append(guesses == e.tokens[1:])
    return _summarise(name, encoded, bits, hits)
