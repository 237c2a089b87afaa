"""Priming context: held-out bits/token with the whole prefix against the last K tokens.

Why generation primes on the last 64 tokens of a passage only (see
lstmfuse/evaluation/context.py): each genre model, its test split, targets 128..191 of every
piece long enough. Writes docs/context.json; the table is in docs/fusion.md.

    LSTMFUSE_CACHE=<built corpora> .venv/bin/python bench/context_length.py [--genres folk,irish]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from lstmfuse.corpora.build import load_corpus
from lstmfuse.encoding.tokens import Unrepresentable, encode
from lstmfuse.evaluation.context import context_curve
from lstmfuse.models.registry import load_model

DOC = Path(__file__).resolve().parent.parent / "docs" / "context.json"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--genres", default="folk,irish,scottish,bach,palestrina")
    ap.add_argument("--write-doc", action="store_true", help=f"write {DOC.name}")
    args = ap.parse_args()
    rows = []
    for genre in args.genres.split(","):
        encoded = []
        for _, melody in load_corpus(genre, "test"):
            try:
                encoded.append(encode(melody))
            except Unrepresentable:
                continue
        c = context_curve(load_model(genre), encoded)
        rows.append(c)
        ks = " ".join(f"{k}: {v:.3f}" for k, v in c.bits_by_context.items())
        print(f"{genre:11s} pieces {c.pieces:4d} targets {c.targets:6d}  full {c.bits_full:.3f}  {ks}", flush=True)
    if args.write_doc:
        DOC.write_text(json.dumps([r.__dict__ for r in rows], indent=1) + "\n")


if __name__ == "__main__":
    main()
