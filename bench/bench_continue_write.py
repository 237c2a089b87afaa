"""Writing a continuation into a MusicXML file: only the changed bars (io.splice) against
music21 writing the whole file (the way before commit ddbf138), side by side in one run.

Cases: music21's corpus, bwv66.6.mxl (a 4-part chorale, 10 bars) and Beethoven op. 59/1 ii
(a string quartet movement, 476 bars): ``lstmfuse.generation.service.continue_score`` by 2
bars with the bach model, seed 1, written as .mxl; the whole command's time (read, generate,
write), median of ``--runs``, each way in turn.

    .venv/bin/python bench/bench_continue_write.py [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import lstmfuse  # noqa: F401  - first: it pins BLAS to one thread before NumPy loads
import music21

from lstmfuse.generation import service
from lstmfuse.generation.options import SamplingOptions

CORPUS = Path(music21.__file__).parent / "corpus"
CASES = {"bwv66.6 (10 bars, 4 parts)": CORPUS / "bach" / "bwv66.6.mxl",
         "op. 59/1 ii (476 bars, 4 parts)": CORPUS / "beethoven" / "opus59no1" / "movement2.mxl"}


def timed(source: Path, out: Path, whole: bool) -> float:
    saved = service._TREE_FORMATS
    if whole:
        service._TREE_FORMATS = ()  # what continue did before: music21 writes every bar
    try:
        t = time.perf_counter()
        service.continue_score(source, out, bars=2, genre="bach", options=SamplingOptions(seed=1), force=True)
        return time.perf_counter() - t
    finally:
        service._TREE_FORMATS = saved


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    print("| score | music21 writes the whole file (s) | only the changed bars (s) | ratio |")
    print("| --- | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as tmp:
        for name, source in CASES.items():
            timed(source, Path(tmp) / "warm.mxl", whole=False)  # model load, imports
            whole, spliced = [], []
            for _ in range(args.runs):
                whole.append(timed(source, Path(tmp) / "whole.mxl", whole=True))
                spliced.append(timed(source, Path(tmp) / "spliced.mxl", whole=False))
            a, b = statistics.median(whole), statistics.median(spliced)
            print(f"| {name} | {a:.2f} ({', '.join(f'{x:.2f}' for x in whole)}) "
                  f"| {b:.2f} ({', '.join(f'{x:.2f}' for x in spliced)}) | {a / b:.2f} |")


if __name__ == "__main__":
    main()
