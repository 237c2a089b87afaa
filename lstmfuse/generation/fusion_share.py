"""How much of the phase-2 mixture is the fusion model's, per genre.

Phase 2 mixes the fusion model with the genre models by a weighted geometric mean
(docs/fusion.md). Its share was one constant, 0.5; on held-out music of the valid split the
mixture that predicts a genre best gives the fusion model 0.25 of it for folk, Irish and
Palestrina, 0.5 for Bach and 0.625 for Scottish (``python -m lstmfuse.evaluation.mixture_bits
--write``, which stores the choice beside the fusion model as ``mixture.json``). A fusion
takes the weighted mean of its genres' shares; a half-phrase led by one genre takes that
genre's.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path

from ..models.registry import FUSION, available

#: the share where a genre has no measured one (a user-trained model, a missing file)
DEFAULT_SHARE = 0.5
MIXTURE_FILE = "mixture.json"


@functools.cache
def _shares(folder: str) -> dict[str, float]:
    try:
        data = json.loads((Path(folder) / MIXTURE_FILE).read_text())
        return {str(g): min(1.0, max(0.0, float(v))) for g, v in data["share"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def genre_shares() -> dict[str, float]:
    """Each genre's measured fusion share, for the installed fusion model ({} if none)."""
    folder = available().get(FUSION)
    return _shares(str(folder)) if folder is not None else {}


def fusion_share(weights: Mapping[str, float]) -> float:
    """The fusion model's share of the mixture for these genre weights: the weighted mean of
    the genres' own shares."""
    shares = genre_shares()
    total = sum(weights.values())
    if total <= 0:
        return DEFAULT_SHARE
    return sum(w * shares.get(g, DEFAULT_SHARE) for g, w in weights.items()) / total
