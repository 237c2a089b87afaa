"""How much of the phase-2 mixture should be the fusion model's? Asked of held-out music.

For each genre g, the real tunes of a split are scored by the geometric mixture that phase 2
samples from when the composer's weight is all on g: ``softmax(s * log p_fusion(.|g) +
(1 - s) * log p_g)``, for fusion shares s on a grid. The share with the fewest bits per token
on the valid split is the genre's (the test split is reported beside it, never used to
choose). ``--write`` stores the choice beside the shipped fusion model (``mixture.json``),
where generation reads it (generation/fusion_share.py).

Run: ``python -m lstmfuse.evaluation.mixture_bits --write -o docs/mixture.json`` (after
``lstmfuse corpus build``; about a minute).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from ..corpora import load_corpus
from ..io.atomic import write_bytes_atomic
from ..models.heldout import evaluate_log_probs, sequence_log_probs
from ..models.numpy_lstm import log_softmax
from ..models.pipeline import encode_all
from ..models.registry import FUSION, available, load_model
from ..generation.fusion_share import MIXTURE_FILE

GRID = tuple(k / 8 for k in range(9))


def mixture_bits(genre: str, split: str, grid: tuple[float, ...] = GRID, root: Path | None = None) -> dict:
    """Bits per token of the genre's ``split`` under the mixture at each fusion share."""
    fusion = load_model(FUSION)
    order = list(fusion.config.genres)
    encoded = [e for e in encode_all(m for _, m in load_corpus(genre, split, root)) if len(e) > 1]
    style = np.array([1.0 if g == genre else 0.0 for g in order])
    lf = sequence_log_probs(fusion, encoded, style=style)
    lg = sequence_log_probs(load_model(genre), encoded)
    bits = {}
    for s in grid:
        mixed = [log_softmax(s * a + (1 - s) * b) for a, b in zip(lf, lg)]
        bits[f"{s:g}"] = round(evaluate_log_probs(f"mixture {s:g}", encoded, mixed).bits_per_token, 4)
    return {"pieces": len(encoded), "tokens": int(sum(len(e) - 1 for e in encoded)), "bits_per_token": bits}


def run(genres: list[str] | None = None, grid: tuple[float, ...] = GRID, root: Path | None = None) -> dict:
    genres = genres or list(load_model(FUSION).config.genres)
    report: dict = {"grid": [f"{s:g}" for s in grid], "valid": {}, "test": {}, "share": {}}
    for g in genres:
        started = time.perf_counter()
        for split in ("valid", "test"):
            report[split][g] = mixture_bits(g, split, grid, root)
        valid = report["valid"][g]["bits_per_token"]
        best = min(valid, key=valid.get)
        report["share"][g] = float(best)
        test = report["test"][g]["bits_per_token"]
        print(f"{g}: share {best} (valid {valid[best]:.4f} bits/token; at 0.5 {valid['0.5']:.4f}); "
              f"test {test[best]:.4f} (at 0.5 {test['0.5']:.4f})  [{time.perf_counter() - started:.0f} s]", flush=True)
    return report


def markdown(report: dict) -> str:
    grid = report["grid"]
    lines = ["| genre | split | pieces | " + " | ".join(f"s = {s}" for s in grid) + " | chosen |",
             "| --- | --- | ---: |" + " ---: |" * len(grid) + " ---: |"]
    for g, share in report["share"].items():
        for split in ("valid", "test"):
            e = report[split][g]
            cells = [f"**{e['bits_per_token'][s]:.4f}**" if float(s) == share else f"{e['bits_per_token'][s]:.4f}" for s in grid]
            lines.append(f"| {g} | {split} | {e['pieces']} | " + " | ".join(cells) + f" | {share:g} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", type=Path, help="also write the full report (JSON) here")
    ap.add_argument("--write", action="store_true", help=f"store the chosen shares beside the installed fusion model ({MIXTURE_FILE})")
    ap.add_argument("--cache-dir", type=Path, help="where the corpora were built")
    args = ap.parse_args(argv)
    report = run(root=args.cache_dir)
    print(markdown(report))
    if args.out:
        write_bytes_atomic(args.out, json.dumps(report, indent=1).encode(), force=True)
    if args.write:
        folder = available()[FUSION]
        data = {"share": report["share"], "chosen_on": "valid split, fewest bits per token",
                "command": "python -m lstmfuse.evaluation.mixture_bits --write",
                "valid_bits_per_token": {g: report["valid"][g]["bits_per_token"] for g in report["share"]}}
        write_bytes_atomic(folder / MIXTURE_FILE, json.dumps(data, indent=1).encode(), force=True)
        print(f"wrote {folder / MIXTURE_FILE}")


if __name__ == "__main__":
    main()
