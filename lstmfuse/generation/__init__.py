"""Continuation and weighted fusion: the one implementation behind the CLI, the bridge and
batch edits (:func:`continuation.continue_melody`, :mod:`service` for score files).

Names load on first use, so importing a light submodule (``generation.options`` for the
command line's option declarations) does not pull in the models and NumPy.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "Result": ".continuation",
    "continue_melody": ".continuation",
    "SamplingOptions": ".options",
    "GenreWeights": ".weights",
    "TunePosition": ".form",
}

__all__ = ["GenreWeights", "Result", "SamplingOptions", "TunePosition", "continue_melody"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
