"""Benchmarks for ``lstmfuse batch``.

    .venv/bin/python bench/bench_batch.py [--repeat 5] [--m21-repeat 1] [--files 0] [--json out.json]

1. Beethoven op. 133 (music21 corpus beethoven/opus133.mxl, ~9,700 notes) transposed up a
   major second and written as .mxl, in the same process run:
   - direct: lstmfuse's lxml path (read the zip, edit the tree, write the zip),
   - music21: converter.parse (no cache) + score.transpose('M2', inPlace=True) + write('mxl').
   Both outputs are checked to hold the same pitches.
2. A batch over every MusicXML/.mxl file in music21's corpus (the LilyPond test suite left
   out; 500+ files), transposed +M2 into a fresh folder: files/s with -j 1, -j 2 and on a
   2-worker Dask LocalCluster (loopback), cluster start-up timed apart.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import music21

from lstmfuse import batch
from lstmfuse.io.atomic import write_bytes_atomic

CORPUS = Path(music21.__file__).parent / "corpus"
OP133 = CORPUS / "beethoven" / "opus133.mxl"


def bench_op133(repeat: int, m21_repeat: int, tmp: Path) -> dict:
    direct = []
    for i in range(repeat):
        t0 = time.perf_counter()
        data, changes = batch.apply(OP133, [batch.Transpose("+M2")])
        write_bytes_atomic(tmp / f"direct-{i}.mxl", data, force=True)
        direct.append(time.perf_counter() - t0)
    m21 = []
    parse_s, transpose_s, write_s = [], [], []
    for i in range(m21_repeat):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            score = music21.converter.parse(str(OP133), forceSource=True)
            t1 = time.perf_counter()
            score.transpose("M2", inPlace=True)
            t2 = time.perf_counter()
            score.write("mxl", fp=str(tmp / f"m21-{i}.mxl"))
            t3 = time.perf_counter()
        m21.append(t3 - t0)
        parse_s.append(t1 - t0)
        transpose_s.append(t2 - t1)
        write_s.append(t3 - t2)
    # same pitches? (parse both results once)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = [p.nameWithOctave for p in music21.converter.parse(str(tmp / "direct-0.mxl"), forceSource=True).pitches]
        ref = [p.nameWithOctave for p in score.pitches]
    notes = changes["transpose"]["pitches"]
    return {
        "notes_transposed": notes,
        "direct_s": direct,
        "direct_median_s": statistics.median(direct),
        "music21_s": m21,
        "music21_parse_s": parse_s,
        "music21_transpose_s": transpose_s,
        "music21_write_s": write_s,
        "music21_median_s": statistics.median(m21),
        "speedup": statistics.median(m21) / statistics.median(direct),
        "same_pitches": ours == ref,
    }


def corpus_files(limit: int) -> list[Path]:
    files = sorted(p for p in CORPUS.rglob("*") if p.suffix.lower() in (".mxl", ".xml", ".musicxml")
                   and "lilypondTestSuite" not in p.parts)
    return files[:limit] if limit else files


def bench_batch(files: list[Path], tmp: Path, jobs: int, engine: str = "local", address: str | None = None) -> dict:
    out = tmp / f"batch-{engine}-{jobs}"
    t0 = time.perf_counter()
    res = batch.run(files, [batch.Transpose("+M2")], out_dir=out, jobs=jobs, engine=engine, address=address)
    dt = time.perf_counter() - t0
    return {"engine": engine, "jobs": jobs, "files": len(files), "seconds": dt, "files_per_s": len(files) / dt,
            "summary": res.summary()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5, help="runs of the direct path (median reported)")
    ap.add_argument("--m21-repeat", type=int, default=1, help="runs of the music21 path (median reported)")
    ap.add_argument("--files", type=int, default=0, help="limit the corpus batch to N files (0 = all)")
    ap.add_argument("--skip-dask", action="store_true")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()

    results: dict = {"python": sys.version.split()[0], "machine": platform.machine(),
                     "command": " ".join(sys.argv)}
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as d:
        tmp = Path(d)
        r = bench_op133(args.repeat, args.m21_repeat, tmp)
        results["op133"] = r
        print(f"op. 133 +M2 ({r['notes_transposed']} pitches moved): direct {r['direct_median_s']:.3f} s "
              f"(runs {', '.join(f'{x:.3f}' for x in r['direct_s'])}); music21 {r['music21_median_s']:.2f} s "
              f"(parse {statistics.median(r['music21_parse_s']):.2f} + transpose "
              f"{statistics.median(r['music21_transpose_s']):.2f} + write {statistics.median(r['music21_write_s']):.2f}); "
              f"speed-up {r['speedup']:.0f}x; same pitches: {r['same_pitches']}", flush=True)

        files = corpus_files(args.files)
        size = sum(p.stat().st_size for p in files)
        results["corpus"] = {"files": len(files), "bytes": size}
        print(f"corpus batch: {len(files)} files, {size / 1e6:.1f} MB", flush=True)
        runs = []
        for jobs in (1, 2):
            b = bench_batch(files, tmp, jobs)
            runs.append(b)
            print(f"  local -j {jobs}: {b['seconds']:.1f} s, {b['files_per_s']:.1f} files/s {b['summary']}", flush=True)
        if not args.skip_dask:
            import distributed

            t0 = time.perf_counter()
            cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                               dashboard_address=None)
            start = time.perf_counter() - t0
            try:
                b = bench_batch(files, tmp, 2, engine="dask", address=cluster.scheduler_address)
            finally:
                cluster.close()
            b["cluster_start_s"] = start
            runs.append(b)
            print(f"  dask 2 workers: {b['seconds']:.1f} s, {b['files_per_s']:.1f} files/s {b['summary']} "
                  f"(cluster start {start:.1f} s, not counted)", flush=True)
        results["batch"] = runs
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
