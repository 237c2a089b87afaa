"""Benchmark: batch conversion of the Palestrina **kern files to MusicXML.

Three ways, one after the other in the same process run, over the same files:

1. plain loop   converter21.register(); s = music21.converter.parse(f, forceSource=True);
                s.write('musicxml', fp=...)   (forceSource: music21 would otherwise reuse
                pickles it stored on an earlier run, which is caching)
2. lstmfuse -j 1   lstmfuse.batch.run(files, [Convert("musicxml")], jobs=1), what
                   ``lstmfuse convert --out-dir`` runs (in this process)
3. lstmfuse -j 2   the same with jobs=2 (a process pool)

lstmfuse does more per file than the plain loop: a Humdrum spine check, padding of pickup
bars (without it the MusicXML is wrong), an atomic write with fsync, and its output
silencing. Outputs go to temporary folders that are deleted afterwards; nothing is cached.

Usage:
    .venv/bin/python bench/bench_convert.py                 # all 1318 files (about 40 min)
    .venv/bin/python bench/bench_convert.py --every 10      # every 10th file (132 files)
    .venv/bin/python bench/bench_convert.py --write-doc     # also update docs/BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
import tempfile
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DOC = ROOT / "docs" / "BENCHMARKS.md"
BEGIN = "<!-- bench_convert:begin -->"
END = "<!-- bench_convert:end -->"


def palestrina_files(every: int, limit: int | None) -> list[Path]:
    import music21

    files = sorted((Path(music21.__file__).parent / "corpus" / "palestrina").glob("*.krn"))
    files = files[::every]
    return files[:limit] if limit else files


def plain_loop(files: list[Path], out: Path) -> tuple[float, int]:
    import converter21
    import music21

    from lstmfuse.io import quiet

    converter21.register()
    failed = 0
    start = time.perf_counter()
    for f in files:
        try:
            with quiet(), warnings.catch_warnings():  # same silencing as lstmfuse, for fairness
                warnings.simplefilter("ignore")
                s = music21.converter.parse(str(f), forceSource=True)
                s.write("musicxml", fp=str(out / (f.stem + ".musicxml")))
        except Exception:
            failed += 1
    return time.perf_counter() - start, failed


def lstmfuse_batch(files: list[Path], out: Path, workers: int) -> tuple[float, int]:
    from lstmfuse import batch

    result = batch.run([str(f) for f in files], [batch.Convert("musicxml")], out_dir=out, jobs=workers, journal=False)
    return result.finished - result.started, len(result.failed)


def loadavg() -> str:
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover
        return "n/a"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--every", type=int, default=1, help="take every Nth Palestrina file in name order (1 = all 1318)")
    ap.add_argument("--limit", type=int, default=None, help="at most this many files")
    ap.add_argument("--write-doc", action="store_true", help="write the results into docs/BENCHMARKS.md")
    args = ap.parse_args(argv)

    files = palestrina_files(args.every, args.limit)
    command = "python bench/bench_convert.py " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    print(f"{len(files)} Palestrina .krn files ({'all' if args.every == 1 else f'every {args.every}th'} of 1318); load average before: {loadavg()}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-convert-") as tmp:
        tmp_path = Path(tmp)
        for name, run in (
            ("plain loop (music21 + converter21)", lambda o: plain_loop(files, o)),
            ("lstmfuse convert -j 1", lambda o: lstmfuse_batch(files, o, 1)),
            ("lstmfuse convert -j 2", lambda o: lstmfuse_batch(files, o, 2)),
        ):
            out = tmp_path / f"out{len(rows)}"
            out.mkdir()
            seconds, failed = run(out)
            rows.append((name, len(files), failed, seconds, len(files) / seconds))
            print(f"  {name}: {seconds:.1f} s, {len(files) / seconds:.2f} files/s, {failed} failed (load {loadavg()})")
    base = rows[0][4]
    header = "| method | files | failed | seconds | files/s | vs plain loop |\n| --- | ---: | ---: | ---: | ---: | ---: |"
    lines = [header] + [
        f"| {name} | {n} | {failed} | {sec:.1f} | {fps:.2f} | {fps / base:.2f}x |" for name, n, failed, sec, fps in rows
    ]
    table = "\n".join(lines)
    print()
    print(table)
    after = loadavg()
    print(f"\nload average after: {after}")
    if args.write_doc:
        write_doc(table, command, len(files), args.every, after)
        print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


def write_doc(table: str, command: str, n_files: int, every: int, load_after: str) -> None:
    from importlib.metadata import version

    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    which = "all 1318" if every == 1 and n_files == 1318 else f"{n_files} of the 1318 (every {every}th in name order)"
    section = f"""{BEGIN}
## Batch conversion

Palestrina masses (**kern, 4-6 voices, from music21's corpus) to MusicXML: {which} files,
converted three ways one after the other in one process run. Measured {when} with:

```sh
.venv/bin/{command.strip()}
```

{table}

- Machine: {os.cpu_count()} CPU cores ({platform.machine()}, Python {platform.python_version()},
  music21 {version('music21')}, converter21 {version('converter21')}). **Other work was running on
  the same two cores** (other engineers' training and corpus builds; load average
  {load_after} at the end), so absolute times are inflated and noisy; compare the
  rows with each other, not with other machines.
- The plain loop is `converter21.register()`, then per file
  `music21.converter.parse(path, forceSource=True)` and `s.write('musicxml', fp=...)`
  (`forceSource` stops music21 from reusing pickles of earlier runs).
- lstmfuse does more per file: a Humdrum spine check, marking pickup/short bars (the plain
  loop's MusicXML pads every pickup bar with rests, moving all later notes), pedal types,
  an atomic write with fsync, and output silencing. `-j 2` runs a process pool
  (forkserver, music21 preloaded); with two busy cores it cannot reach 2x.
{END}"""
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n\nMeasured figures, with the command that produced each.\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOC.parent.mkdir(parents=True, exist_ok=True)
    from lstmfuse.io import write_bytes_atomic

    write_bytes_atomic(DOC, text.encode("utf-8"), force=True)


if __name__ == "__main__":
    raise SystemExit(main())
