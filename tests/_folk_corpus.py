"""Real folk melodies for the metrics and baseline tests, parsed once per test process."""

from __future__ import annotations

import functools
from pathlib import Path

import music21

CORPUS = Path(music21.__file__).parent / "corpus"


@functools.cache
def kinder_melodies() -> tuple:
    """The 213 tunes of Essen's kinder0.abc as Melody objects (about 8 s, once)."""
    from lstmfuse.encoding.extract import melody_from_part
    from lstmfuse.io import load_all

    path = CORPUS / "essenFolksong" / "kinder0.abc"
    return tuple(melody_from_part(s.parts[0], source=f"kinder0.abc#{i}") for i, s in enumerate(load_all(path)))
