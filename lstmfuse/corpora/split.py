"""Deterministic train/validation/test split by piece (80/10/10).

A hash of the piece id decides, so the split never depends on build order, worker count
or which other pieces exist; the test split is never trained or tuned on.
"""

from __future__ import annotations

import hashlib

SPLITS = ("train", "valid", "test")


def split_of(piece_id: str) -> str:
    bucket = int.from_bytes(hashlib.sha1(piece_id.encode("utf-8")).digest()[:4], "big") % 100
    if bucket < 80:
        return "train"
    return "valid" if bucket < 90 else "test"
