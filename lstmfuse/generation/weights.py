"""Composer's genre weights: parse, validate, normalise (one place for CLI, bridge, batch)."""

from __future__ import annotations

import math
from collections.abc import Mapping

from ..errors import UsageError


def parse_weights(text: str | Mapping[str, float], known: list[str]) -> dict[str, float]:
    """'folk=0.7,irish=0.3' (or a mapping) -> normalised weights over known genres.

    Unknown genres, negative or non-numeric values and an all-zero set are clear errors;
    zero-weight genres are dropped.
    """
    if isinstance(text, Mapping):
        items = list(text.items())
    else:
        items = []
        for part in str(text).split(","):
            part = part.strip()
            if not part:
                continue
            if "=" not in part:
                raise UsageError(f"weight '{part}' must look like genre=number (e.g. folk=0.7,irish=0.3)")
            name, value = part.split("=", 1)
            items.append((name.strip(), value.strip()))
    weights: dict[str, float] = {}
    for name, value in items:
        key = str(name).lower()
        if key not in known:
            raise UsageError(f"unknown genre '{name}' in weights (choose from {', '.join(known)})")
        try:
            w = float(value)
        except (TypeError, ValueError):
            raise UsageError(f"weight of '{name}' is not a number: '{value}'") from None
        if not math.isfinite(w) or w < 0:
            raise UsageError(f"weight of '{name}' must be a finite number >= 0 (got {value})")
        weights[key] = weights.get(key, 0.0) + w
    total = sum(weights.values())
    if total <= 0:
        raise UsageError("all genre weights are zero: give at least one genre a positive weight")
    return {k: v / total for k, v in weights.items() if v > 0}
