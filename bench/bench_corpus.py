"""Corpus build: first build and cached re-build, with -j 1 and -j 2.

The first build parses every source file (music21's ABC parser costs ~46 ms a tune, so
this is minutes); the re-build with nothing changed reads only the per-file caches.
``--limit N`` builds the first N files of each genre (a quick, representative sample).

    .venv/bin/python bench/bench_corpus.py [--limit 6] [--genres folk,irish,scottish,bach,palestrina]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from lstmfuse.corpora import build


def timed(genres: list[str], jobs: int, root: Path, limit: int | None) -> tuple[float, int]:
    t = time.perf_counter()
    reports = build(genres, jobs=jobs, root=root, limit_files=limit)
    return time.perf_counter() - t, sum(r.found for r in reports)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=None, help="files per genre (default: all)")
    ap.add_argument("--genres", default="folk,irish,scottish,bach,palestrina")
    ap.add_argument("--cached", type=Path, default=None, help="only time re-builds of an existing cache folder")
    args = ap.parse_args()
    genres = args.genres.split(",")
    if args.cached:
        for jobs in (1, 2):
            secs, pieces = timed(genres, jobs, args.cached, args.limit)
            print(f"-j {jobs}: cached re-build of {pieces} pieces in {secs:6.2f} s")
        return
    print(f"genres: {', '.join(genres)}; files per genre: {args.limit or 'all'}")
    for jobs in (1, 2):
        with tempfile.TemporaryDirectory() as tmp:
            first, pieces = timed(genres, jobs, Path(tmp), args.limit)
            again, _ = timed(genres, jobs, Path(tmp), args.limit)
        print(f"-j {jobs}: first build {first:8.1f} s ({pieces / first:6.1f} pieces/s), cached re-build {again:6.2f} s ({first / again:5.0f}x faster), {pieces} pieces")


if __name__ == "__main__":
    main()
