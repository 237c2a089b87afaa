"""How much of a passage the models need to see: held-out loss against priming context.

Generation primes the models on the passage before the new material. The models were
trained on 128-token windows that start anywhere in a piece from a zero state, so a
context longer than that is outside what they learned, and every priming token costs a
sequential LSTM step. This measures what a shorter context costs in prediction: for
held-out tokens deep in a piece, bits per token given the whole prefix (from <bos>)
against only the last K tokens (from a zero state, as in training).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..encoding.structure import piece_features
from ..encoding.tokens import Encoded


@dataclass
class ContextCurve:
    model: str
    pieces: int
    targets: int
    first_target: int  # token index in the piece of the first scored target
    bits_full: float  # prefix from <bos>
    bits_by_context: dict[int, float]  # K -> bits/token with only the last K tokens


def context_curve(
    model, encoded: list[Encoded], contexts: tuple[int, ...] = (16, 32, 48, 64, 96, 128), first: int = 128, span: int = 64
) -> ContextCurve:
    """Score targets ``first`` .. ``first + span`` of every piece long enough, with each context."""
    from ..models.numpy_lstm import log_softmax

    full_bits: list[float] = []
    by_k: dict[int, list[float]] = {k: [] for k in contexts}
    pieces = 0
    for e in encoded:
        n = len(e.tokens)
        if n <= first + 1:
            continue
        pieces += 1
        targets = np.arange(first, min(n, first + span))
        y = e.tokens[targets]
        # structure inputs (if the model reads them) come from the whole piece in both cases:
        # the curve measures what the recurrent state remembers, not what lookback supplies
        struct = piece_features(e.tokens, e.meters, e.positions) if model.config.structure else None
        full = None if struct is None else struct[None, :-1]
        logp = log_softmax(model.sequence_logits(e.tokens[None, :-1], e.positions[None, :-1], e.meters[None, :-1], None, full))[0]
        full_bits.extend((-logp[targets - 1, y] / np.log(2)).tolist())
        for k in contexts:
            # one window of the k tokens before each target, all windows as one batch
            idx = targets[:, None] - k + np.arange(k)[None, :]
            windowed = None if struct is None else struct[idx]
            lp = log_softmax(model.sequence_logits(e.tokens[idx], e.positions[idx], e.meters[idx], None, windowed))[:, -1]
            by_k[k].extend((-lp[np.arange(len(y)), y] / np.log(2)).tolist())
    return ContextCurve(
        model=model.name,
        pieces=pieces,
        targets=len(full_bits),
        first_target=first,
        bits_full=float(np.mean(full_bits)) if full_bits else float("nan"),
        bits_by_context={k: float(np.mean(v)) if v else float("nan") for k, v in by_k.items()},
    )
