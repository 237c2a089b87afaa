"""Step several LSTMs of the same shape at once (one batched matmul per layer).

Fusion runs the fusion model and every weighted genre model in lockstep; stacking them
turns M small matrix products per step into one, which is what keeps a 3-genre fusion
inside a few tens of milliseconds.
"""

from __future__ import annotations

import functools

import numpy as np

from ..encoding.structure import UNKNOWN
from ..models.numpy_lstm import MelodyLSTM


class LSTMStack:
    """M models with equal units/layers, each with its own batch of B rows."""

    def __init__(self, models: list[MelodyLSTM], styles: list[np.ndarray | None]):
        shapes = {(m.config.units, m.config.layers, m.config.vocab_size) for m in models}
        if len(shapes) != 1:
            raise ValueError("stacked models must share units, layers and vocabulary")
        self.models = models
        self.units, self.layers, self.vocab = shapes.pop()
        arrays = _stacked(tuple(models))
        self.token_proj = arrays["token_proj"]
        self.position_proj = arrays["position_proj"]
        self.meter_proj = arrays["meter_proj"]
        self.lookback1_proj = arrays["lookback1_proj"]
        self.lookback2_proj = arrays["lookback2_proj"]
        self.context_proj = arrays["context_proj"]
        #: do any of the models read structure inputs (encoding.structure)? else skip them
        self.structured = any(m.config.structure for m in models)
        self.bias = arrays["bias"]
        self.recurrent = arrays["recurrent"]
        self.kernels = arrays["kernels"]
        self.out_w = arrays["out_w"]
        self.out_b = arrays["out_b"]
        # Per call: each model's constant input term from its style vector (zero for genre models).
        self.style_bias = np.stack(
            [
                _regroup(np.asarray(s, dtype=np.float64) @ m.style_proj) if m.style_proj is not None else np.zeros(4 * self.units)
                for m, s in zip(models, styles)
            ]
        ).astype(np.float32)[:, None, :]
        self._mi = np.arange(len(models))[:, None]

    def style_term(self, index: int, style: np.ndarray) -> np.ndarray:
        """Model ``index``'s constant input term for another style vector (4U, float32)."""
        proj = self.models[index].style_proj
        return _regroup(np.asarray(style, dtype=np.float64) @ proj).astype(np.float32)

    def initial_state(self, batch: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
        z = lambda: np.zeros((len(self.models), batch, self.units), dtype=np.float32)  # noqa: E731
        return [z() for _ in range(self.layers)], [z() for _ in range(self.layers)]

    def input_bias(self, meters: np.ndarray) -> np.ndarray:
        """The input terms that stay fixed while generating (meter and style), added once
        per step: (M, B) meter ids -> (M, B, 4U)."""
        return self.meter_proj[self._mi, meters] + self.style_bias

    def structure_term(self, structure: np.ndarray) -> np.ndarray:
        """Input term of structure inputs (..., 3) laid out (M, B, 3) -> (M, B, 4U)."""
        mi = self._mi
        s = np.asarray(structure)
        return self.lookback1_proj[mi, s[..., 0]] + self.lookback2_proj[mi, s[..., 1]] + self.context_proj[mi, s[..., 2]]

    def step(self, tokens: np.ndarray, positions: np.ndarray, bias: np.ndarray, state, structure: np.ndarray | None = None):
        """tokens/positions: (M, B) ints, ``bias`` from :meth:`input_bias` -> logits (M, B, V), new state.
        ``structure``: (M, B, 3) inputs of encoding.structure (None: unknown)."""
        mi = self._mi
        x = self.token_proj[mi, tokens] + self.position_proj[mi, positions] + bias
        if self.structured:
            s = np.broadcast_to(UNKNOWN, (*np.shape(tokens), 3)) if structure is None else structure
            x += self.structure_term(s)
        hs, cs = state
        new_h, new_c = [], []
        for i in range(self.layers):
            z = (x if i == 0 else np.matmul(x, self.kernels[i]) + self.bias[i]) + np.matmul(hs[i], self.recurrent[i])
            h, cell = self._cell(z, cs[i])
            new_h.append(h)
            new_c.append(cell)
            x = h
        return np.matmul(x, self.out_w) + self.out_b, (new_h, new_c)

    def _cell(self, z: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One LSTM cell update; ``z`` (a fresh pre-activation array) is overwritten.

        The i, f, o columns of every weight were halved when stacked, so one tanh over all
        four gates gives sigmoid(x) = (tanh(x / 2) + 1) / 2 with two in-place operations."""
        u = self.units
        t = np.tanh(z, out=z)
        gates = t[..., : 3 * u]
        gates += 1.0
        gates *= 0.5  # i, f, o
        cell = gates[..., u : 2 * u] * c + gates[..., :u] * t[..., 3 * u :]
        return gates[..., 2 * u :] * np.tanh(cell), cell

    def run_sequence(self, tokens: np.ndarray, positions: np.ndarray, meters: np.ndarray, structure: np.ndarray | None = None):
        """Feed one known sequence (a passage) to every model: logits (M, 1, V) after the last
        token and the state (batch 1). Input projections for all steps are computed at once
        and each layer runs over the whole sequence before the next, so only the recurrence
        itself is stepped. ``structure``: (T, 3) inputs of encoding.structure (None: unknown)."""
        tokens, positions, meters = (np.asarray(a, dtype=np.int64) for a in (tokens, positions, meters))
        x = self.token_proj[:, tokens] + self.position_proj[:, positions] + self.meter_proj[:, meters] + self.style_bias
        if self.structured:
            s = np.broadcast_to(UNKNOWN, (len(tokens), 3)) if structure is None else np.asarray(structure, dtype=np.int64)
            x = x + self.lookback1_proj[:, s[:, 0]] + self.lookback2_proj[:, s[:, 1]] + self.context_proj[:, s[:, 2]]
        u = self.units
        m = len(self.models)
        hs, cs = [], []
        for i in range(self.layers):
            if i:
                x = np.matmul(x, self.kernels[i]) + self.bias[i]
            h = np.zeros((m, 1, u), dtype=np.float32)
            c = np.zeros((m, 1, u), dtype=np.float32)
            outs = np.empty((m, x.shape[1], u), dtype=np.float32)
            rec = self.recurrent[i]
            for t in range(x.shape[1]):
                h, c = self._cell(x[:, t : t + 1] + np.matmul(h, rec), c)
                outs[:, t] = h[:, 0]
            hs.append(h)
            cs.append(c)
            x = outs
        logits = np.matmul(x[:, -1:], self.out_w) + self.out_b
        return logits, (hs, cs)


def _gate_order(u: int) -> np.ndarray:
    """Keras orders the gates i, f, c, o; regroup to i, f, o, c so one slice covers the sigmoids."""
    return np.r_[0 : 2 * u, 3 * u : 4 * u, 2 * u : 3 * u]


def _regroup(a: np.ndarray) -> np.ndarray:
    """Float32 copy of a gate-shaped array (last axis 4U, Keras order) in i, f, o, c order
    with the sigmoid gates halved (see LSTMStack._cell; halving is exact in floating point)."""
    u = a.shape[-1] // 4
    out = np.ascontiguousarray(np.asarray(a)[..., _gate_order(u)], dtype=np.float32)
    out[..., : 3 * u] *= 0.5
    return out


@functools.lru_cache(maxsize=32)
def _stacked(models: tuple[MelodyLSTM, ...]) -> dict:
    """Float32, gate-regrouped, stacked weights of a set of models (built once per set)."""
    layers = models[0].config.layers
    stack = lambda get: np.stack([get(m) for m in models])  # noqa: E731
    return {
        # the first layer's bias is folded into the token table (added at every step anyway)
        "token_proj": _regroup(stack(lambda m: m.token_proj + m.bias[0])),
        "position_proj": _regroup(stack(lambda m: m.position_proj)),
        "meter_proj": _regroup(stack(lambda m: m.meter_proj)),
        "lookback1_proj": _regroup(stack(lambda m: m.lookback1_proj)),
        "lookback2_proj": _regroup(stack(lambda m: m.lookback2_proj)),
        "context_proj": _regroup(stack(lambda m: m.context_proj)),
        "bias": [None] + [_regroup(stack(lambda m, i=i: m.bias[i]))[:, None, :] for i in range(1, layers)],
        "recurrent": [_regroup(stack(lambda m, i=i: m.recurrent[i])) for i in range(layers)],
        "kernels": [None] + [_regroup(stack(lambda m, i=i: m.kernels[i])) for i in range(1, layers)],
        "out_w": stack(lambda m: m.out_w).astype(np.float32),
        "out_b": stack(lambda m: m.out_b)[:, None, :].astype(np.float32),
    }
