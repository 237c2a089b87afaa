"""Reading a part as a melody: the encoder's one-pass tie merge (``extract.merge_ties``, since
2026-12-04) against music21's ``stripTies`` (the way before), side by side in one run.

Cases: music21's corpus, a chorale soprano (bwv66.6), a quartet's first violin (op. 59/1 ii,
476 bars) and op. 133's first violin (742 bars). Each part is parsed once; then
``melody_from_part(part)`` (merge_ties) and ``melody_from_part(part.stripTies())`` (the copy
music21 merges, which the encoder read before) are timed in turn, median of ``--runs``, and
checked to give the same notes.

    .venv/bin/python bench/bench_read_melody.py [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from pathlib import Path

import lstmfuse  # noqa: F401  - first: it pins BLAS to one thread before NumPy loads
import music21

from lstmfuse.encoding.extract import melody_from_part

CORPUS = Path(music21.__file__).parent / "corpus"
CASES = {"bwv66.6 soprano (10 bars)": (CORPUS / "bach" / "bwv66.6.mxl", 0),
         "op. 59/1 ii violin I (476 bars)": (CORPUS / "beethoven" / "opus59no1" / "movement2.mxl", 0),
         "op. 133 violin I (742 bars)": (CORPUS / "beethoven" / "opus133.mxl", 0)}


def _timed(read) -> tuple[float, object]:
    t0 = time.perf_counter()
    melody = read()
    return time.perf_counter() - t0, melody


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    print("| part | music21 stripTies, then read (s) | one-pass merge (s) | ratio |")
    print("| --- | ---: | ---: | ---: |")
    for name, (path, index) in CASES.items():
        part = music21.converter.parse(path).parts[index]
        old, new = [], []
        for _ in range(args.runs):
            t_old, m_old = _timed(lambda: melody_from_part(part.stripTies()))
            t_new, m_new = _timed(lambda: melody_from_part(part))
            assert m_old.events == m_new.events, f"{name}: the two readings differ"
            old.append(t_old)
            new.append(t_new)
        a, b = statistics.median(old), statistics.median(new)
        print(f"| {name} | {a:.2f} ({', '.join(f'{x:.2f}' for x in old)}) | {b:.2f} ({', '.join(f'{x:.2f}' for x in new)}) | "
              f"{a / b:.1f}x |", flush=True)


if __name__ == "__main__":
    main()
