"""Inference in NumPy: step the trained LSTM with carried state, no TensorFlow needed.

The seeds called ``model.predict`` on a 64-step window for every generated note (70-150 ms
a step). Here each step is one small matrix product per layer on precomputed embedding
projections (tens of microseconds), so TensorFlow is only needed to train.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import LstmfuseError
from ..encoding.structure import N_CONTEXT, UNKNOWN
from .config import ModelConfig


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


@dataclass
class LSTMState:
    h: list[np.ndarray]
    c: list[np.ndarray]

    def copy(self) -> "LSTMState":
        return LSTMState([a.copy() for a in self.h], [a.copy() for a in self.c])

    def take(self, rows: np.ndarray) -> "LSTMState":
        return LSTMState([a[rows] for a in self.h], [a[rows] for a in self.c])


class MelodyLSTM:
    """A trained melody model ready to step: ``logits, state = m.step(tok, pos, met, state)``."""

    def __init__(self, config: ModelConfig, arrays: dict[str, np.ndarray], card: dict | None = None, name: str = ""):
        self.config = config
        self.card = card or {}
        self.name = name
        self._check(arrays)
        c = config
        k0 = arrays["lstm_0_kernel"].astype(np.float64)
        t, p, m = c.token_dim, c.position_dim, c.meter_dim
        # Fold the embeddings into the first layer's input projection (exact, just regrouped).
        self.token_proj = arrays["token_embedding"].astype(np.float64) @ k0[:t]
        self.position_proj = arrays["position_embedding"].astype(np.float64) @ k0[t : t + p]
        self.meter_proj = arrays["meter_embedding"].astype(np.float64) @ k0[t + p : t + p + m]
        base = c.base_input_dim
        self.style_proj = k0[t + p + m : base] if c.genres else None
        # Structure inputs (encoding.structure): lookback tokens one and two bars back, and the
        # phrase context. A model without them gets zero tables, so every model steps alike.
        units4 = k0.shape[1]
        if c.structure:
            lb, lbd = arrays["lookback_embedding"].astype(np.float64), c.lookback_dim
            self.lookback1_proj = lb @ k0[base : base + lbd]
            self.lookback2_proj = lb @ k0[base + lbd : base + 2 * lbd]
            self.context_proj = arrays["context_embedding"].astype(np.float64) @ k0[base + 2 * lbd :]
        else:
            self.lookback1_proj = np.zeros((c.vocab_size, units4))
            self.lookback2_proj = np.zeros((c.vocab_size, units4))
            self.context_proj = np.zeros((N_CONTEXT, units4))
        self.bias = [arrays[f"lstm_{i}_bias"].astype(np.float64) for i in range(c.layers)]
        self.recurrent = [arrays[f"lstm_{i}_recurrent"].astype(np.float64) for i in range(c.layers)]
        self.kernels = [None] + [arrays[f"lstm_{i}_kernel"].astype(np.float64) for i in range(1, c.layers)]
        self.out_w = arrays["logits_kernel"].astype(np.float64)
        self.out_b = arrays["logits_bias"].astype(np.float64)

    def _check(self, arrays: dict[str, np.ndarray]) -> None:
        c = self.config
        expect = {
            "token_embedding": (c.vocab_size, c.token_dim),
            "position_embedding": (c.n_positions, c.position_dim),
            "meter_embedding": (c.n_meters, c.meter_dim),
            "lstm_0_kernel": (c.input_dim, 4 * c.units),
            **(
                {"lookback_embedding": (c.vocab_size, c.lookback_dim), "context_embedding": (N_CONTEXT, c.context_dim)}
                if c.structure
                else {}
            ),
            "logits_kernel": (c.units, c.vocab_size),
            "logits_bias": (c.vocab_size,),
        }
        for i in range(c.layers):
            expect[f"lstm_{i}_recurrent"] = (c.units, 4 * c.units)
            expect[f"lstm_{i}_bias"] = (4 * c.units,)
            if i:
                expect[f"lstm_{i}_kernel"] = (c.units, 4 * c.units)
        for key, shape in expect.items():
            if key not in arrays:
                raise LstmfuseError(f"model '{self.name}' weights lack '{key}': the file is corrupt or from another version")
            if tuple(arrays[key].shape) != shape:
                raise LstmfuseError(
                    f"model '{self.name}' weights '{key}' have shape {tuple(arrays[key].shape)}, its config expects {shape}"
                )
            if not np.all(np.isfinite(arrays[key])):
                raise LstmfuseError(f"model '{self.name}' weights '{key}' hold NaN/inf values")

    # ---- loading -------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path, name: str | None = None) -> "MelodyLSTM":
        p = Path(path)
        label = name or p.parent.name
        try:
            with np.load(p, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
        except FileNotFoundError:
            raise LstmfuseError(f"model '{label}' has no weight file", p) from None
        except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
            raise LstmfuseError(f"model '{label}' weight file is corrupt ({type(exc).__name__})", p) from None
        try:
            config = ModelConfig.from_dict(json.loads(bytes(arrays.pop("__config__")).decode()))
        except (KeyError, ValueError, TypeError):
            raise LstmfuseError(f"model '{label}' weight file has no readable config", p) from None
        card_path = p.with_name("card.json")
        card = json.loads(card_path.read_text()) if card_path.exists() else {}
        return cls(config, arrays, card, label)

    # ---- stepping ------------------------------------------------------------------------
    def initial_state(self, batch: int = 1) -> LSTMState:
        u = self.config.units
        zeros = lambda: np.zeros((batch, u))  # noqa: E731
        return LSTMState([zeros() for _ in range(self.config.layers)], [zeros() for _ in range(self.config.layers)])

    def step(self, tokens, positions, meters, state: LSTMState, style: np.ndarray | None = None, structure=None):
        """One step for a batch: int arrays of shape (B,) in, logits (B, V) and new state out.
        ``structure``: (B, 3) inputs of encoding.structure (None: unknown)."""
        tokens = np.asarray(tokens)
        x = self.token_proj[tokens] + self.position_proj[positions] + self.meter_proj[meters]
        s = np.broadcast_to(UNKNOWN, (len(tokens), 3)) if structure is None else np.asarray(structure)
        x = x + self.lookback1_proj[s[:, 0]] + self.lookback2_proj[s[:, 1]] + self.context_proj[s[:, 2]]
        if self.style_proj is not None:
            if style is None:
                raise LstmfuseError(f"model '{self.name}' needs genre weights")
            x = x + np.asarray(style, dtype=np.float64) @ self.style_proj
        u = self.config.units
        new_h, new_c = [], []
        for i in range(self.config.layers):
            z = (x if i == 0 else x @ self.kernels[i]) + state.h[i] @ self.recurrent[i] + self.bias[i]
            ig = _sigmoid(z[:, :u])
            fg = _sigmoid(z[:, u : 2 * u])
            cell = fg * state.c[i] + ig * np.tanh(z[:, 2 * u : 3 * u])
            h = _sigmoid(z[:, 3 * u :]) * np.tanh(cell)
            new_h.append(h)
            new_c.append(cell)
            x = h
        logits = x @ self.out_w + self.out_b
        return logits, LSTMState(new_h, new_c)

    def sequence_logits(self, tokens, positions, meters, style=None, structure=None) -> np.ndarray:
        """Logits for every step of padded sequences (B, T): used by evaluation.
        ``structure``: (B, T, 3) inputs of encoding.structure (None: unknown)."""
        tokens, positions, meters = (np.atleast_2d(np.asarray(a)) for a in (tokens, positions, meters))
        b, t = tokens.shape
        state = self.initial_state(b)
        out = np.empty((b, t, self.config.vocab_size))
        for j in range(t):
            st = None if style is None else np.asarray(style)[:, j] if np.ndim(style) == 3 else style
            sj = None if structure is None else np.asarray(structure)[:, j]
            out[:, j], state = self.step(tokens[:, j], positions[:, j], meters[:, j], state, st, sj)
        return out


def save_weights(path: str | Path, config: ModelConfig, arrays: dict[str, np.ndarray], force: bool = True) -> Path:
    """Write the one weight file (.npz: named arrays + the config) atomically."""
    import io as _io

    from ..io.atomic import write_bytes_atomic

    buf = _io.BytesIO()
    payload = dict(arrays)
    payload["__config__"] = np.frombuffer(json.dumps(config.to_dict()).encode(), dtype=np.uint8)
    np.savez_compressed(buf, **payload)
    return write_bytes_atomic(path, buf.getvalue(), force=force)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    m = logits.max(axis=-1, keepdims=True)
    z = logits - m
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
