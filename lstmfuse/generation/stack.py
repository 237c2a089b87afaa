"""Step several LSTMs of the same shape at once (one batched matmul per layer).

Fusion runs the fusion model and every weighted genre model in lockstep; stacking them
turns M small matrix products per step into one, which is what keeps a 3-genre fusion
inside a few tens of milliseconds.
"""

from __future__ import annotations

import numpy as np

from ..models.numpy_lstm import MelodyLSTM, _sigmoid


class LSTMStack:
    """M models with equal units/layers, each with its own batch of B rows."""

    def __init__(self, models: list[MelodyLSTM], styles: list[np.ndarray | None]):
        shapes = {(m.config.units, m.config.layers, m.config.vocab_size) for m in models}
        if len(shapes) != 1:
            raise ValueError("stacked models must share units, layers and vocabulary")
        self.models = models
        self.units, self.layers, self.vocab = shapes.pop()
        # Per-model constant input term from its style vector (zero for genre models).
        self.style_bias = np.stack(
            [
                (np.asarray(s, dtype=np.float64) @ m.style_proj) if m.style_proj is not None else np.zeros(4 * self.units)
                for m, s in zip(models, styles)
            ]
        )[:, None, :]
        self.token_proj = np.stack([m.token_proj for m in models])
        self.position_proj = np.stack([m.position_proj for m in models])
        self.meter_proj = np.stack([m.meter_proj for m in models])
        self.bias = [np.stack([m.bias[i] for m in models])[:, None, :] for i in range(self.layers)]
        self.recurrent = [np.stack([m.recurrent[i] for m in models]) for i in range(self.layers)]
        self.kernels = [None] + [np.stack([m.kernels[i] for m in models]) for i in range(1, self.layers)]
        self.out_w = np.stack([m.out_w for m in models])
        self.out_b = np.stack([m.out_b for m in models])[:, None, :]
        self._mi = np.arange(len(models))[:, None]

    def initial_state(self, batch: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
        z = lambda: np.zeros((len(self.models), batch, self.units))  # noqa: E731
        return [z() for _ in range(self.layers)], [z() for _ in range(self.layers)]

    def step(self, tokens: np.ndarray, positions: np.ndarray, meters: np.ndarray, state):
        """tokens/positions/meters: (M, B) ints -> logits (M, B, V), new state."""
        mi = self._mi
        x = self.token_proj[mi, tokens] + self.position_proj[mi, positions] + self.meter_proj[mi, meters] + self.style_bias
        hs, cs = state
        u = self.units
        new_h, new_c = [], []
        for i in range(self.layers):
            z = (x if i == 0 else np.matmul(x, self.kernels[i])) + np.matmul(hs[i], self.recurrent[i]) + self.bias[i]
            ig = _sigmoid(z[..., :u])
            fg = _sigmoid(z[..., u : 2 * u])
            cell = fg * cs[i] + ig * np.tanh(z[..., 2 * u : 3 * u])
            h = _sigmoid(z[..., 3 * u :]) * np.tanh(cell)
            new_h.append(h)
            new_c.append(cell)
            x = h
        return np.matmul(x, self.out_w) + self.out_b, (new_h, new_c)

    def run_sequence(self, tokens: np.ndarray, positions: np.ndarray, meters: np.ndarray):
        """Feed one known sequence (a passage) to every model: logits (M, 1, V) after the last
        token and the state (batch 1). Input projections for all steps are computed at once
        and each layer runs over the whole sequence before the next, so only the recurrence
        itself is stepped."""
        tokens, positions, meters = (np.asarray(a, dtype=np.int64) for a in (tokens, positions, meters))
        x = self.token_proj[:, tokens] + self.position_proj[:, positions] + self.meter_proj[:, meters] + self.style_bias
        u = self.units
        m = len(self.models)
        hs, cs = [], []
        for i in range(self.layers):
            if i:
                x = np.matmul(x, self.kernels[i])
            x = x + self.bias[i]
            h = np.zeros((m, 1, u))
            c = np.zeros((m, 1, u))
            outs = np.empty((m, x.shape[1], u))
            rec = self.recurrent[i]
            for t in range(x.shape[1]):
                z = x[:, t : t + 1] + np.matmul(h, rec)
                ig = _sigmoid(z[..., :u])
                fg = _sigmoid(z[..., u : 2 * u])
                c = fg * c + ig * np.tanh(z[..., 2 * u : 3 * u])
                h = _sigmoid(z[..., 3 * u :]) * np.tanh(c)
                outs[:, t] = h[:, 0]
            hs.append(h)
            cs.append(c)
            x = outs
        logits = np.matmul(x[:, -1:], self.out_w) + self.out_b
        return logits, (hs, cs)
