"""Continuation and weighted fusion: the one implementation behind the CLI, the bridge and
batch edits (:func:`continuation.continue_melody`, :mod:`service` for score files)."""

from .continuation import Result, continue_melody
from .options import SamplingOptions

__all__ = ["Result", "SamplingOptions", "continue_melody"]
