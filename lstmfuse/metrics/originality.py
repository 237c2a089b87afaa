"""How much of a melody is copied from the training corpus (transposition-invariant).

Melodies are compared as sequences of signed semitone intervals between consecutive notes,
with **rests skipped** (the interval from the note before a rest to the note after it
counts) and rhythm ignored: a generated tune that reproduces a training tune's pitch line in
another key or with a different rhythm still counts as copied, which is the conservative
reading for a plagiarism check. A run of *k* copied notes is a run of *k-1* intervals that
occurs contiguously inside one training tune.

The index is a suffix array over all training interval strings (one byte per interval,
tunes separated by a zero byte so that no match spans two tunes), built with NumPy prefix
doubling. A query computes the matching statistics of the melody - for every note, the
longest copied run starting there - with at most 2 x (number of notes) binary searches, each
comparing byte slices in C. That gives the exact longest run and the share of copied
8/12/16-note-grams at once, with no hash collisions and no cap on the run length.
"""

from __future__ import annotations

import base64
import io
import json
import math
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..encoding.events import Melody
from ..io.atomic import atomic_output
from .pitch import pitches

__all__ = ["Originality", "OriginalityIndex", "interval_bytes"]

_FORMAT = "lstmfuse-originality-index"
_VERSION = 1


def interval_bytes(melody: Melody | Sequence[int]) -> bytes:
    """A melody (or a list of MIDI pitches) as interval bytes: interval + 128 (1..255)."""
    p = pitches(melody) if isinstance(melody, Melody) else np.asarray(melody, dtype=np.int64)
    if len(p) < 2:
        return b""
    return (np.clip(np.diff(p), -127, 127) + 128).astype(np.uint8).tobytes()


def _suffix_array(s: np.ndarray) -> np.ndarray:
    """Suffix array of a byte array by prefix doubling (O(n log^2 n), all in NumPy)."""
    n = len(s)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    sa = np.argsort(s, kind="stable").astype(np.int64)
    ss = s[sa]
    rank = np.empty(n, dtype=np.int64)
    rank[sa] = np.concatenate(([0], np.cumsum(ss[1:] != ss[:-1])))
    k = 1
    while rank[sa[-1]] < n - 1:  # some suffixes still tie on their first k symbols
        second = np.zeros(n, dtype=np.int64)
        second[: n - k] = rank[k:] + 1  # 0 = past the end, sorts first
        key = rank * (n + 1) + second
        sa = np.argsort(key, kind="stable")
        sk = key[sa]
        rank = np.empty(n, dtype=np.int64)
        rank[sa] = np.concatenate(([0], np.cumsum(sk[1:] != sk[:-1])))
        k *= 2
    return sa


@dataclass(slots=True)
class Originality:
    """What :meth:`OriginalityIndex.query` finds for one melody.

    ``longest_run``: most consecutive notes whose interval line occurs in one training tune
    (1 for a melody of one note, 0 for none); ``shares[n]``: share of the melody's n-note
    windows found in the training set (nan if it has fewer than n notes); ``source``: index
    (and name, if the index has names) of a training tune holding the longest run.
    """

    longest_run: int
    n_notes: int
    shares: dict[int, float] = field(default_factory=dict)
    source: int | None = None
    source_name: str | None = None

    def as_dict(self, prefix: str = "") -> dict[str, float]:
        """Flat, JSON-friendly numbers (nan shares become None)."""
        out: dict[str, float] = {
            f"{prefix}longest_copied_run": float(self.longest_run),
            f"{prefix}longest_copied_fraction": self.longest_run / self.n_notes if self.n_notes else math.nan,
        }
        for n, v in sorted(self.shares.items()):
            out[f"{prefix}copied_{n}gram_share"] = v
        return out


class OriginalityIndex:
    """Suffix-array index of a training corpus's interval strings; see the module docstring."""

    def __init__(self, corpus: bytes, n_values: Sequence[int] = (8, 12, 16), names: Sequence[str] | None = None):
        if any(int(n) < 2 for n in n_values):
            raise ValueError("n-gram sizes must be at least 2 notes")
        self.corpus = corpus  # b"\0" + tune + b"\0" + tune + ... + b"\0"
        self.n_values = tuple(int(n) for n in n_values)
        self.names = list(names) if names is not None else None
        arr = np.frombuffer(corpus, dtype=np.uint8)
        self._starts = np.flatnonzero(arr == 0)  # separator positions: tune i lies after _starts[i]
        self._sa: np.ndarray | None = None

    # ------------------------------------------------------------------ building
    @classmethod
    def build(
        cls,
        melodies: Iterable[Melody | Sequence[int]],
        n_values: Sequence[int] = (8, 12, 16),
        keep_names: bool = False,
    ) -> "OriginalityIndex":
        """Index training melodies (Melody objects or MIDI pitch lists). ``keep_names``
        stores each Melody's ``source`` so that a query can say which tune was copied."""
        parts: list[bytes] = [b""]
        names: list[str] = []
        for m in melodies:
            parts.append(interval_bytes(m))
            names.append(m.source if isinstance(m, Melody) else "")
        parts.append(b"")
        index = cls(b"\0".join(parts), n_values, names if keep_names else None)
        index._ensure_sa()
        return index

    def _ensure_sa(self) -> np.ndarray:
        if self._sa is None:
            self._sa = _suffix_array(np.frombuffer(self.corpus, dtype=np.uint8))
        return self._sa

    @property
    def n_tunes(self) -> int:
        return max(len(self._starts) - 1, 0)

    # ------------------------------------------------------------------ queries
    def _find(self, needle: bytes) -> int:
        """Corpus position of one occurrence of ``needle`` (non-empty), or -1."""
        sa, text, L = self._ensure_sa(), self.corpus, len(needle)
        lo, hi = 0, len(sa)
        while lo < hi:  # first suffix >= needle
            mid = (lo + hi) // 2
            p = int(sa[mid])
            if text[p : p + L] < needle:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(sa):
            p = int(sa[lo])
            if text[p : p + L] == needle:
                return p
        return -1

    def matching_statistics(self, melody: Melody | Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """For every interval i of the melody: the length of the longest interval run starting
        at i that occurs in the corpus, and one corpus position where it occurs (-1 if none).

        Two pointers: if intervals i..j-1 occur then so do i+1..j-1, so the end never moves
        back and at most 2 x (number of intervals) lookups are made.
        """
        q = interval_bytes(melody)
        m = len(q)
        ms = np.zeros(m, dtype=np.int64)
        where = np.full(m, -1, dtype=np.int64)
        j, last = 0, -1  # q[i:j] is known to occur, at corpus position `last` (for i == start)
        for i in range(m):
            if j <= i:
                j, last = i, -1
            elif last >= 0:
                last += 1  # the suffix of the previous match starts one byte later
            while j < m:
                pos = self._find(q[i : j + 1])
                if pos < 0:
                    break
                j, last = j + 1, pos
            ms[i] = j - i
            where[i] = last if j > i else -1
        return ms, where

    def query(self, melody: Melody | Sequence[int]) -> Originality:
        """Longest copied run (in notes) and the share of copied n-note windows."""
        n_notes = len(pitches(melody)) if isinstance(melody, Melody) else len(melody)
        if n_notes == 0:
            return Originality(0, 0, {n: math.nan for n in self.n_values})
        ms, where = self.matching_statistics(melody)
        shares: dict[int, float] = {}
        for n in self.n_values:
            windows = n_notes - n + 1
            shares[n] = float(np.count_nonzero(ms[:windows] >= n - 1) / windows) if windows > 0 else math.nan
        if len(ms) == 0 or ms.max() == 0:
            return Originality(1, n_notes, shares)
        best = int(np.argmax(ms))
        tune = int(np.searchsorted(self._starts, where[best], side="right")) - 1
        name = self.names[tune] if self.names and tune < len(self.names) else None
        return Originality(int(ms[best]) + 1, n_notes, shares, tune, name)

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict:
        """JSON-friendly form (the corpus compressed, base64); the suffix array is rebuilt
        on first use after :meth:`from_dict` (about a second per million intervals)."""
        return {
            "format": _FORMAT,
            "version": _VERSION,
            "n_values": list(self.n_values),
            "corpus": base64.b64encode(zlib.compress(self.corpus, 9)).decode("ascii"),
            "names": self.names,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "OriginalityIndex":
        if d.get("format") != _FORMAT or int(d.get("version", 0)) > _VERSION:
            raise ValueError("not an lstmfuse originality index (or from a newer version)")
        corpus = zlib.decompress(base64.b64decode(d["corpus"]))
        return cls(corpus, d["n_values"], d.get("names"))

    def save(self, path: str | Path, force: bool = False) -> Path:
        """Write a compressed .npz holding the corpus and the suffix array (loads instantly);
        atomic, and never overwrites an existing file unless ``force``."""
        buf = io.BytesIO()
        meta = {k: v for k, v in self.to_dict().items() if k != "corpus"}
        np.savez_compressed(
            buf,
            corpus=np.frombuffer(self.corpus, dtype=np.uint8),
            sa=self._ensure_sa().astype(np.int32 if len(self.corpus) < 2**31 else np.int64),
            meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8),
        )
        with atomic_output(path, force) as tmp:
            tmp.write_bytes(buf.getvalue())
        return Path(path)

    @classmethod
    def load(cls, path: str | Path) -> "OriginalityIndex":
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(bytes(z["meta"]).decode())
            if meta.get("format") != _FORMAT or int(meta.get("version", 0)) > _VERSION:
                raise ValueError(f"{path}: not an lstmfuse originality index (or from a newer version)")
            index = cls(z["corpus"].tobytes(), meta["n_values"], meta.get("names"))
            index._sa = z["sa"].astype(np.int64)
        return index

    def __repr__(self) -> str:
        return f"OriginalityIndex(n_tunes={self.n_tunes}, intervals={len(self.corpus) - self.n_tunes - 1})"
