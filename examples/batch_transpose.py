"""Transpose Bach chorales from music21's corpus to E-flat (major or minor) with the batch API.

    python examples/batch_transpose.py [OUT_DIR] [N_FILES]

Writes the transposed chorales (and report.json) under OUT_DIR (default out/batch-example)
and prints one line per file. Every chorale's first key moves to E-flat: major chorales to
Eb major, minor ones to eb minor, by the nearest interval.
"""

from __future__ import annotations

import sys
from pathlib import Path

import music21

from lstmfuse import batch
from lstmfuse.batch import Document


def main(out_dir: Path, n: int) -> int:
    chorales = sorted((Path(music21.__file__).parent / "corpus" / "bach").glob("bwv*.mxl"))[:n]
    major = [p for p in chorales if _mode(p) != "minor"]
    minor = [p for p in chorales if _mode(p) == "minor"]
    results = []
    for files, key in ((major, "Eb"), (minor, "eb")):
        if files:
            res = batch.run(files, [batch.Transpose(to_key=key), batch.SetMeta(composer="J. S. Bach")],
                            out_dir=out_dir / key, force=True, report=out_dir / f"report-{key}.json")
            results.append(res)
            for f in res.files:
                what = f.changes.get("transpose", {}).get("interval", "") if f.status == "ok" else f.error
                print(f"{f.status:9} {Path(f.source).name:16} {key:3} {what}")
    failed = sum(len(r.failed) for r in results)
    print(f"{sum(len(r.files) for r in results)} chorales, {failed} failed -> {out_dir}")
    return 1 if failed else 0


def _mode(path: Path) -> str | None:
    root = Document.read(path).root
    mode = root.find("part/measure/attributes/key/mode")
    return mode.text.strip() if mode is not None and mode.text else None


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out/batch-example")
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 12
    sys.exit(main(out, count))
