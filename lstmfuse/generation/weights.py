"""Composer's genre weights: parsed once, at the edge, into a :class:`GenreWeights`.

The CLI (``--weights folk=0.7,irish=0.3``), the bridge (``options.weights``, a JSON object),
batch ops and recipes all call :meth:`GenreWeights.parse`; below the edge the weights travel
as that typed, validated, normalised value.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence

import numpy as np

from ..errors import UsageError


class GenreWeights(Mapping):
    """Normalised weights (summing to 1) over genres, lower-case names, zero weights dropped.

    An immutable, hashable, read-only mapping (``w["folk"]``, ``dict(w)``, ``w == {...}``);
    ``str(w)`` gives ``folk=0.7,irish=0.3``. Build it with :meth:`parse`."""

    __slots__ = ("pairs",)
    pairs: tuple[tuple[str, float], ...]

    def __init__(self, pairs: tuple[tuple[str, float], ...]):
        object.__setattr__(self, "pairs", tuple(pairs))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("GenreWeights is immutable")

    def __repr__(self) -> str:
        return f"GenreWeights({dict(self.pairs)!r})"

    @classmethod
    def parse(cls, value: "str | Mapping[str, float] | GenreWeights", known: Sequence[str] | None = None) -> "GenreWeights":
        """'folk=0.7,irish=0.3' or a mapping -> normalised weights (over ``known`` genres if given).

        Unknown genres, negative or non-numeric values and an all-zero set are one-line
        errors; a genre named twice adds up; zero-weight genres are dropped."""
        if isinstance(value, GenreWeights):
            items: list[tuple[object, object]] = list(value.pairs)
        elif isinstance(value, Mapping):
            items = list(value.items())
        else:
            items = []
            for part in str(value).split(","):
                part = part.strip()
                if not part:
                    continue
                if "=" not in part:
                    raise UsageError(f"weight '{part}' must look like genre=number (e.g. folk=0.7,irish=0.3)")
                name, number = part.split("=", 1)
                items.append((name.strip(), number.strip()))
        weights: dict[str, float] = {}
        for name, number in items:
            key = str(name).lower()
            if known is not None and key not in known:
                raise UsageError(f"unknown genre '{name}' in weights (choose from {', '.join(known)})")
            try:
                w = float(number)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise UsageError(f"weight of '{name}' is not a number: '{number}'") from None
            if not math.isfinite(w) or w < 0:
                raise UsageError(f"weight of '{name}' must be a finite number >= 0 (got {number})")
            weights[key] = weights.get(key, 0.0) + w
        total = sum(weights.values())
        if total <= 0:
            raise UsageError("all genre weights are zero: give at least one genre a positive weight")
        return cls(tuple((k, v / total) for k, v in weights.items() if v > 0))

    @property
    def heaviest(self) -> str:
        """The genre with the largest weight (the first named among equals)."""
        return max(self.pairs, key=lambda kv: kv[1])[0]

    @property
    def heaviest_all(self) -> list[str]:
        """Every genre with the largest weight (more than one at 50/50), by name."""
        top = max(v for _, v in self.pairs)
        return sorted(k for k, v in self.pairs if math.isclose(v, top, rel_tol=1e-9))

    def heaviest_drawn(self, seed: int | None) -> str:
        """The genre with the largest weight; among equals one drawn with ``seed``, so that the
        order the weights were typed in does not decide a 50/50 tune's meter and key."""
        tied = self.heaviest_all
        return tied[0] if len(tied) == 1 else tied[int(np.random.default_rng(seed).integers(len(tied)))]

    def __getitem__(self, genre: str) -> float:
        for k, v in self.pairs:
            if k == genre:
                return v
        raise KeyError(genre)

    def __iter__(self) -> Iterator[str]:
        return (k for k, _ in self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)

    def __hash__(self) -> int:
        return hash(self.pairs)

    def __str__(self) -> str:
        return ",".join(f"{k}={v:g}" for k, v in self.pairs)


def parse_weights(text: "str | Mapping[str, float]", known: Sequence[str]) -> dict[str, float]:
    """'folk=0.7,irish=0.3', a mapping or a :class:`GenreWeights` -> normalised weights over
    the ``known`` genres, as a plain dict (what the generation settings record)."""
    return dict(GenreWeights.parse(text, known))
