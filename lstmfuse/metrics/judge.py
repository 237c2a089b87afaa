"""The style judge: small 1-D CNNs over the project's own tokens, run in NumPy.

The histogram classifier (``style.py``) sees pitch-class and note-length counts but not their
order, so it confuses Scottish with Irish tunes and cannot tell a blend from a bland tune.
This judge reads the token sequence (pitch and duration tokens with the bar position and
meter of each step, as the encoder writes them): embeddings -> dilated 1-D convolutions ->
global max and mean pooling -> dense -> logits, a few such CNNs from different seeds, their
log-posteriors averaged and the histogram regression's added with a weight chosen on the
valid split (0 for the shipped judge: the CNNs alone). Trained with Keras on random 8-16-bar
excerpts of the training splits and, for 30% of the examples, real collages of two genres with
soft labels, so music made of two genres' material is heard as both and not as a third
(``lstmfuse.models.judge_train``, ``metrics/collage.py``); shipped as
``data/reference/judge.npz`` with ``JUDGE_CARD.md``; here it runs in NumPy so metrics never
import TensorFlow.
"""

from __future__ import annotations

import functools
import json
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..encoding.events import Melody
from ..encoding.tokens import Unrepresentable, encode
from ..errors import LstmfuseError

#: Longest token run the judge reads (about 16 bars of the densest genre); longer melodies
#: are judged on windows of this length and their posteriors averaged.
MAX_TOKENS = 384

GRID = Fraction(1, 12)


def judge_inputs(m: Melody) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tokens, bar-position ids and meter ids of a melody (no <bos>/<eos>: an excerpt has
    neither). Durations the vocabulary cannot write are snapped to the 1/12-quarter grid."""
    try:
        enc = encode(m, bos=False, eos=False)
    except Unrepresentable:
        snapped = [
            type(e)(e.pitch, e.onset, max(GRID, Fraction(round(e.duration / GRID)) * GRID), e.bar_pos, e.spelling)
            for e in m.events
        ]
        enc = encode(m.with_events(snapped), bos=False, eos=False)
    return enc.tokens, enc.positions, enc.meters


def _conv_same(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, dilation: int) -> np.ndarray:
    """Keras ``Conv1D(padding='same', dilation_rate=d)`` on one unpadded sequence (T, C)."""
    k = kernel.shape[0]
    pad = dilation * (k - 1)
    left = pad // 2
    xp = np.pad(x, ((left, pad - left), (0, 0)))
    t = x.shape[0]
    out = np.broadcast_to(bias, (t, kernel.shape[2])).copy()
    for j in range(k):
        out += xp[j * dilation : j * dilation + t] @ kernel[j]
    return out


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


class SequenceJudge:
    """``SequenceJudge.load().posterior(melody)`` -> P(genre | melody), genres in ``.genres``.

    A product of experts: the mean log-posterior of ``members`` CNNs (trained from different
    seeds) plus ``hist_weight`` times the log-posterior of the histogram regression
    (``style.features``), renormalised; the weight is chosen on the valid split. The CNNs
    read order (motifs, rhythms in place); the histograms add whole-excerpt counts."""

    def __init__(self, arrays: dict[str, np.ndarray], meta: dict):
        self.meta = meta
        self.genres: list[str] = list(meta["genres"])
        self.dilations: list[int] = [int(d) for d in meta["dilations"]]
        self.hist_weight = float(meta.get("hist_weight", 0.0))
        f64 = lambda k: arrays[k].astype(np.float64)  # noqa: E731
        try:
            self.members = []
            for i in range(int(meta.get("members", 1))):
                q = f"m{i}_"
                self.members.append({
                    "emb": (f64(q + "token_embedding"), f64(q + "position_embedding"), f64(q + "meter_embedding")),
                    "convs": [(f64(f"{q}conv_{j}_kernel"), f64(f"{q}conv_{j}_bias")) for j in range(len(self.dilations))],
                    "hidden": (f64(q + "hidden_kernel"), f64(q + "hidden_bias")),
                    "out": (f64(q + "logits_kernel"), f64(q + "logits_bias")),
                })
            self.hist = (f64("hist_mean"), f64("hist_std"), f64("hist_weights"), f64("hist_bias")) if self.hist_weight else None
        except KeyError as exc:
            raise LstmfuseError(f"style judge weights lack {exc}: the file is corrupt or from another version") from None
        if any(mb["out"][0].shape[1] != len(self.genres) for mb in self.members):
            raise LstmfuseError(f"style judge has outputs for another number of genres than {len(self.genres)}")

    @property
    def heldout_accuracy(self) -> float | None:
        return self.meta.get("heldout", {}).get("accuracy")

    def logits_of(self, tokens: np.ndarray, positions: np.ndarray, meters: np.ndarray, member: int = 0) -> np.ndarray:
        """One CNN member's logits (G,) for one unpadded token sequence."""
        mb = self.members[member]
        te, pe, me = mb["emb"]
        x = np.concatenate([te[tokens], pe[positions], me[meters]], axis=1)
        for (kernel, bias), d in zip(mb["convs"], self.dilations):
            x = np.maximum(_conv_same(x, kernel, bias, d), 0.0)
        pooled = np.concatenate([x.max(axis=0), x.mean(axis=0)])
        h = np.maximum(pooled @ mb["hidden"][0] + mb["hidden"][1], 0.0)
        return h @ mb["out"][0] + mb["out"][1]

    def _cnn_logp(self, m: Melody, member: int) -> np.ndarray:
        t, p, me = judge_inputs(m)
        starts = range(0, max(len(t) - MAX_TOKENS, 0) + 1, MAX_TOKENS // 2) if len(t) > MAX_TOKENS else [0]
        probs = [_softmax(self.logits_of(t[s : s + MAX_TOKENS], p[s : s + MAX_TOKENS], me[s : s + MAX_TOKENS], member)) for s in starts]
        return np.log(np.mean(probs, axis=0) + 1e-12)

    def _one(self, m: Melody) -> np.ndarray:
        if not m.events:
            return np.full(len(self.genres), 1.0 / len(self.genres))
        z = np.mean([self._cnn_logp(m, i) for i in range(len(self.members))], axis=0)
        if self.hist is not None:
            from .style import features

            mean, std, w, b = self.hist
            z = z + self.hist_weight * np.log(_softmax(((features(m) - mean) / std) @ w + b) + 1e-12)
        return _softmax(z)

    def posteriors(self, melodies: list[Melody]) -> np.ndarray:
        """P(genre | melody) for each melody: (N, G)."""
        return np.stack([self._one(m) for m in melodies]) if melodies else np.zeros((0, len(self.genres)))

    def posterior(self, melodies: Melody | list[Melody]) -> np.ndarray:
        """P(genre | melody) for one melody (G,) or many (N, G), like the histogram classifier."""
        if isinstance(melodies, Melody):
            return self._one(melodies)
        return self.posteriors(list(melodies))

    def save(self, path: Path, arrays: dict[str, np.ndarray]) -> None:
        from ..io.atomic import write_bytes_atomic
        import io

        buf = io.BytesIO()
        np.savez_compressed(buf, meta=np.array(json.dumps(self.meta)), **arrays)
        write_bytes_atomic(path, buf.getvalue(), force=True)

    @classmethod
    def load(cls, path: str | Path | None = None) -> "SequenceJudge":
        return _load(str(path) if path else str(default_path()))


def default_path() -> Path:
    from ..paths import package_data

    return package_data() / "reference" / "judge.npz"


@functools.cache
def _load(path: str) -> SequenceJudge:
    p = Path(path)
    try:
        with np.load(p, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files if k != "meta"}
            meta = json.loads(str(z["meta"]))
    except FileNotFoundError:
        raise LstmfuseError("no style judge installed: run 'lstmfuse reference build --only judge'", p) from None
    except (ValueError, KeyError, OSError) as exc:
        raise LstmfuseError(f"style judge file is corrupt ({type(exc).__name__})", p) from None
    return SequenceJudge(arrays, meta)
