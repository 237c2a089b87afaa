"""Build the genre corpora: parse once, extract melodies, check they encode, cache.

Work is per source file, in a process pool; each file's result is cached under a key of
(path, size, mtime, extractor version), so a re-run with nothing changed only reads JSON.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import time
import warnings
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..encoding.extract import PassageWarning, melody_from_part, pick_part
from ..encoding.store import melody_from_dict, melody_to_dict
from ..encoding.tokens import Unrepresentable, encode
from ..errors import LstmfuseError
from ..io.atomic import write_bytes_atomic
from ..paths import cache_dir
from .genres import Genre, corpus_root, genre_files, get_genre
from .keyfit import refit
from .split import split_of

#: bump when extraction or encoding changes what a cached file would hold (4, 2026-12-04: ties
#: merged by the encoder, not music21's stripTies: docs/models.md, "Corpora", lists the pieces that read differently;
#: 5, 2026-12-04: short bars padded anew after music21's MusicXML reader, tests/test_irregular_bars.py)
EXTRACT_VERSION = 5
MIN_NOTES = 8


@dataclass
class GenreReport:
    genre: str
    files: int = 0
    found: int = 0
    kept: int = 0
    dropped: Counter = field(default_factory=Counter)
    splits: Counter = field(default_factory=Counter)
    notes: int = 0
    seconds: float = 0.0
    cached_files: int = 0
    key_signatures_misfit: int = 0  # pieces whose notes do not fit their signature (keyfit)
    key_signatures_refitted: int = 0

    @property
    def kept_share(self) -> float:
        return self.kept / self.found if self.found else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "genre": self.genre,
            "files": self.files,
            "pieces_found": self.found,
            "pieces_kept": self.kept,
            "kept_share": round(self.kept_share, 4),
            "dropped": dict(self.dropped),
            "splits": dict(self.splits),
            "notes": self.notes,
            "seconds": round(self.seconds, 2),
            "files_from_cache": self.cached_files,
            "key_signatures_misfit": self.key_signatures_misfit,
            "key_signatures_refitted": self.key_signatures_refitted,
        }


def _choose_part(score, genre: Genre):
    if genre.voice == "first":
        return pick_part(score, 0)
    try:
        return pick_part(score, genre.voice)
    except LstmfuseError:
        return pick_part(score, 0)


def _drop_reason(exc: Exception) -> str:
    if isinstance(exc, Unrepresentable):
        return "duration not encodable"
    return "unreadable"


def extract_file(genre_name: str, path: str) -> dict[str, Any]:
    """Worker: every piece of one source file, kept (as melody dicts) or dropped (with why)."""
    from ..io import load_all

    genre = get_genre(genre_name)
    rel = Path(path).relative_to(corpus_root()).as_posix()
    kept: list[dict[str, Any]] = []
    dropped: list[list[str]] = []
    try:
        scores = list(load_all(path))
    except Exception as exc:  # a whole file that does not parse: every piece in it is lost
        return {"kept": [], "dropped": [[f"{genre_name}/{rel}", f"unreadable file: {str(exc)[:120]}"]]}
    for index, score in enumerate(scores):
        piece_id = f"{genre_name}/{rel}#{index}"
        try:
            with warnings.catch_warnings():  # advice to a composer (PassageWarning), not to a corpus build
                warnings.simplefilter("ignore", PassageWarning)
                melody = melody_from_part(_choose_part(score, genre), source=piece_id)
            if len(melody.notes) < MIN_NOTES:
                dropped.append([piece_id, f"fewer than {MIN_NOTES} notes"])
                continue
            encode(melody)  # proves the vocabulary can write it exactly
        except Exception as exc:
            dropped.append([piece_id, _drop_reason(exc)])
            continue
        title = score.metadata.title if score.metadata and score.metadata.title else ""
        kept.append({"id": piece_id, "title": title, "melody": melody_to_dict(melody)})
    return {"kept": kept, "dropped": dropped}


def _check_key_signature(piece: dict[str, Any], genre: Genre, report: GenreReport) -> None:
    """Count a kept piece whose notes do not fit its key signature and, where the genre asks,
    refit it in place (at assembly, so a change to the rule needs no re-parse); the written
    signature is kept as ``key_written``."""
    fitted, sharps = refit(melody_from_dict(piece["melody"]))
    if sharps is None:
        return
    report.key_signatures_misfit += 1
    if genre.refit_key_signatures:
        piece["key_written"] = {"sharps": piece["melody"]["sharps"], "mode": piece["melody"].get("mode")}
        piece["melody"] = melody_to_dict(fitted)
        report.key_signatures_refitted += 1


def _file_key(genre: str, path: Path) -> str:
    st = path.stat()
    raw = f"{EXTRACT_VERSION}|{genre}|{path}|{st.st_size}|{st.st_mtime_ns}"
    return hashlib.sha1(raw.encode()).hexdigest()


def corpus_path(genre: str, root: Path | None = None) -> Path:
    return (root or cache_dir()) / "corpus" / f"{genre}.json.gz"


def build(
    genres: list[str],
    jobs: int = 1,
    root: Path | None = None,
    limit_files: int | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> list[GenreReport]:
    """Build (or refresh from cache) each genre's corpus file; returns one report per genre."""
    base = root or cache_dir()
    piece_cache = base / "corpus" / "files"
    piece_cache.mkdir(parents=True, exist_ok=True)
    reports = []
    for name in genres:
        genre = get_genre(name)
        started = time.perf_counter()
        files = genre_files(genre)[:limit_files] if limit_files else genre_files(genre)
        report = GenreReport(genre=genre.name, files=len(files))
        results: dict[Path, dict[str, Any]] = {}
        todo: list[Path] = []
        for f in files:
            cached = piece_cache / f"{_file_key(genre.name, f)}.json.gz"
            if cached.exists():
                results[f] = json.loads(gzip.decompress(cached.read_bytes()))
                report.cached_files += 1
            else:
                todo.append(f)
        done = len(results)
        if on_progress:
            on_progress(genre.name, done, len(files))

        def store(f: Path, result: dict[str, Any]) -> None:
            nonlocal done
            results[f] = result
            cached = piece_cache / f"{_file_key(genre.name, f)}.json.gz"
            write_bytes_atomic(cached, gzip.compress(json.dumps(result).encode()), force=True)
            done += 1
            if on_progress:
                on_progress(genre.name, done, len(files))

        if jobs > 1 and len(todo) > 1:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                futures = {pool.submit(extract_file, genre.name, str(f)): f for f in todo}
                for fut in as_completed(futures):
                    store(futures[fut], fut.result())
        else:
            for f in todo:
                store(f, extract_file(genre.name, str(f)))

        pieces = []
        for f in files:  # file order, not completion order: deterministic output
            res = results[f]
            for piece in res["kept"]:
                _check_key_signature(piece, genre, report)
                piece["split"] = split_of(piece["id"])
                report.splits[piece["split"]] += 1
                report.notes += sum(1 for row in piece["melody"]["events"] if row[0] is not None)
                pieces.append(piece)
            for _pid, why in res["dropped"]:
                report.dropped[why.split(":")[0]] += 1
        report.kept = len(pieces)
        report.found = report.kept + sum(report.dropped.values())
        report.seconds = time.perf_counter() - started
        payload = {"genre": genre.name, "extract_version": EXTRACT_VERSION, "report": report.to_dict(), "pieces": pieces}
        write_bytes_atomic(corpus_path(genre.name, base), gzip.compress(json.dumps(payload).encode()), force=True)
        reports.append(report)
    return reports


def load_corpus(genre: str, split: str | None = None, root: Path | None = None):
    """The built corpus of a genre as (piece_id, Melody) pairs, optionally one split only."""
    path = corpus_path(genre, root)
    if not path.exists():
        raise LstmfuseError(f"the {genre} corpus is not built yet: run 'lstmfuse corpus build {genre}'", path)
    payload = json.loads(gzip.decompress(path.read_bytes()))
    return [
        (p["id"], melody_from_dict(p["melody"]))
        for p in payload["pieces"]
        if split is None or p["split"] == split
    ]


def corpus_report(genre: str, root: Path | None = None) -> dict[str, Any]:
    payload = json.loads(gzip.decompress(corpus_path(genre, root).read_bytes()))
    return payload["report"]
