"""Real folk melodies for the metrics and baseline tests, parsed once per machine.

Parsing Essen's kinder0.abc costs ~8 s of CPU; the test workers (pytest -n 2) would each pay
it on every run. So the extracted melodies are cached as JSON (never pickle) under
``$LSTMFUSE_TEST_CACHE`` or a per-user temp folder, keyed by the ABC file and the source of
the extraction code, so a change to the extractor re-parses. A file lock makes the second
worker wait for the first instead of parsing too.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import json
import os
import tempfile
from pathlib import Path

import music21

CORPUS = Path(music21.__file__).parent / "corpus"
KINDER = CORPUS / "essenFolksong" / "kinder0.abc"


def _cache_dir() -> Path:
    base = os.environ.get("LSTMFUSE_TEST_CACHE")
    d = Path(base) / "folk" if base else Path(tempfile.gettempdir()) / f"lstmfuse-test-folk-{os.getuid()}"
    d.mkdir(parents=True, exist_ok=True, mode=0o700)
    return d


def _key(path: Path) -> str:
    import lstmfuse.encoding.events as events
    import lstmfuse.encoding.extract as extract
    import lstmfuse.encoding.store as store

    h = hashlib.sha1(path.read_bytes())
    for mod in (events, extract, store):
        h.update(Path(mod.__file__).read_bytes())
    h.update(music21.__version__.encode())
    return h.hexdigest()[:16]


def _parse(path: Path) -> list:
    from lstmfuse.encoding.extract import melody_from_part
    from lstmfuse.io import load_all

    return [melody_from_part(s.parts[0], source=f"{path.name}#{i}") for i, s in enumerate(load_all(path))]


@contextlib.contextmanager
def _locked(lock_path: Path):
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock, at worst both parse
        yield
        return
    with open(lock_path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@functools.cache
def kinder_melodies() -> tuple:
    """The 213 tunes of Essen's kinder0.abc as Melody objects."""
    from lstmfuse.encoding.store import melody_from_dict, melody_to_dict

    d = _cache_dir()
    target = d / f"kinder0-{_key(KINDER)}.json.gz"
    with _locked(d / "lock"):
        if target.exists():
            try:
                with gzip.open(target, "rt", encoding="utf-8") as fh:
                    return tuple(melody_from_dict(x) for x in json.load(fh))
            except (OSError, ValueError, KeyError):
                pass  # damaged: parse again
        melodies = _parse(KINDER)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        with gzip.open(tmp, "wt", encoding="utf-8") as fh:
            json.dump([melody_to_dict(m, spelling=True) for m in melodies], fh)
        os.replace(tmp, target)
        return tuple(melodies)
