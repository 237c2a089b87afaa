"""The sampling options as op fields, from their one declaration (generation.options), so
``batch continue`` and ``batch regenerate`` take every control ``lstmfuse continue`` takes
(on the command line and in recipes), with the same flags, defaults and help."""

from __future__ import annotations

from dataclasses import field
from typing import Any, Optional

from ...generation.options import SamplingOptions, edge_options
from . import Op, option

#: a batch seeds every file alike, 0 unless given (the command line's default is a random seed)
BATCH_SEED_DEFAULT = 0
BATCH_SEED_HELP = "Random seed (the same for every file)."


def with_sampling_fields(*, seed_default: int | None = BATCH_SEED_DEFAULT):
    """Class decorator, applied before ``@dataclass``: add one field per sampling control,
    after the op's own fields (so ``--bars`` and ``--genre`` come first in its help)."""

    def add(cls: type[Op]) -> type[Op]:
        annotations = dict(cls.__dict__.get("__annotations__", {}))
        for opt in edge_options():
            default, help_text = opt.default, opt.help
            if opt.name == "seed":
                default, help_text = seed_default, BATCH_SEED_HELP
            annotations[opt.name] = opt.type if default is not None else Optional[opt.type]
            setattr(cls, opt.name, field(default=default, metadata=option(*opt.flags, help=help_text)))
        cls.__annotations__ = annotations
        return cls

    return add


def sampling_of(op: Any) -> SamplingOptions:
    """The op's sampling options (validated: a bad value is a one-line error naming it)."""
    return SamplingOptions.from_edge({opt.name: getattr(op, opt.name) for opt in edge_options()})


def weights_of(op: Any):
    """The op's ``weights`` parsed at the edge into GenreWeights (syntax and numbers; the
    installed genres are checked when generating), or None."""
    from ...generation.weights import GenreWeights

    return GenreWeights.parse(op.weights) if op.weights else None
