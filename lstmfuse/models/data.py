"""Corpus melodies -> fixed-length training windows (a target at every step)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ..encoding import vocab as V
from ..encoding.events import Melody
from ..encoding.structure import piece_features
from ..encoding.tokens import Encoded, encode

PAD_TOKEN = V.PAD


@dataclass
class Windows:
    tokens: np.ndarray  # (N, L) inputs
    positions: np.ndarray
    meters: np.ndarray
    targets: np.ndarray  # (N, L) next tokens, PAD where there is none
    style: np.ndarray | None = None  # (N, G) genre one-hot per window (fusion model)
    structure: np.ndarray | None = None  # (N, L, 3) inputs of encoding.structure (structure models)

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def target_tokens(self) -> int:
        return int((self.targets != V.PAD).sum())


def encode_all(melodies: Iterable[Melody]) -> list[Encoded]:
    return [encode(m) for m in melodies]


def make_windows(
    encoded: list[Encoded], length: int = 128, style_index: list[int] | None = None, n_styles: int = 0, structure: bool = False
) -> Windows:
    """Pack pieces (each BOS..EOS) end to end and cut windows of ``length`` inputs.

    Packing wastes no step on padding; a piece's BOS tells the model a new piece starts,
    and the EOS->BOS step is not a target (it would teach nothing about melodies).
    With ``style_index`` (fusion model), pieces are packed per style so a window never
    mixes genres. With ``structure``, each piece's lookback and phrase inputs are computed
    on the piece alone (encoding.structure) and travel with its tokens.
    """
    groups: dict[int, list[Encoded]] = {}
    for k, e in enumerate(encoded):
        groups.setdefault(style_index[k] if style_index is not None else -1, []).append(e)
    rows: list[tuple[np.ndarray, ...]] = []
    struct_rows: list[np.ndarray] = []
    styles: list[int] = []
    for style, members in groups.items():
        toks = np.concatenate([e.tokens for e in members])
        poss = np.concatenate([e.positions for e in members])
        mets = np.concatenate([e.meters for e in members])
        if structure:
            struct = np.concatenate([piece_features(e.tokens, e.meters, e.positions) for e in members])
        targets = np.append(toks[1:], PAD_TOKEN)
        targets[toks == V.EOS] = PAD_TOKEN  # no target across a piece boundary
        n = len(toks)
        for start in range(0, n, length):
            stop = min(start + length, n)
            pad = length - (stop - start)
            rows.append(tuple(np.pad(a[start:stop], (0, pad)) for a in (toks, poss, mets, targets)))
            if structure:
                struct_rows.append(np.pad(struct[start:stop], ((0, pad), (0, 0))))
            styles.append(style)
    if not rows:
        empty = np.zeros((0, length), np.int32)
        return Windows(empty, empty, empty, empty)
    t, p, m, y = (np.stack([r[i] for r in rows]).astype(np.int32) for i in range(4))
    style = None
    if style_index is not None:
        style = np.zeros((len(rows), n_styles), np.float32)
        style[np.arange(len(rows)), styles] = 1.0
    return Windows(t, p, m, y, style, np.stack(struct_rows).astype(np.int32) if structure else None)
