"""The command line every proof module shares: ``--n``, ``--seed``, ``-o``, and how a report is
printed (its markdown tables) and written (JSON, atomically)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..io.atomic import write_bytes_atomic


def proof_arguments(doc: str, n: int, n_help: str) -> argparse.ArgumentParser:
    """A parser named by the module docstring's first line, with the shared options."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--n", type=int, default=n, help=n_help)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("-o", "--out", type=Path, default=None, help="write the report as JSON here (replaced atomically)")
    return ap


def genres_main(argv: list[str] | None, doc: str, run, markdown, n: int, n_help: str) -> None:
    """The command line of a proof run per genre: ``--n --seed -o`` and ``--genres a,b`` (every
    genre by default); ``run(genres, n, seed)`` makes the report, ``markdown(report)`` its tables."""
    from ..corpora.genres import GENRES

    ap = proof_arguments(doc, n, n_help)
    ap.add_argument("--genres", default=",".join(GENRES))
    args = ap.parse_args(argv)
    report = run([g.strip() for g in args.genres.split(",") if g.strip()], args.n, args.seed)
    publish(report, markdown(report), args.out)


def publish(report: dict, tables: str, out: Path | None) -> None:
    """Print the report's tables; write it as JSON where ``out`` is given."""
    print(tables)
    if out:
        write_bytes_atomic(out, json.dumps(report, indent=2).encode(), force=True)


def arms_table(report: dict, columns: tuple[tuple[str, str], ...], arms: tuple[tuple[str, str], ...], arm_header: str) -> str:
    """A markdown table with one row per genre and arm (``arms``: report key, name shown) and a
    last row for the genre's real tunes (``real``, ``real_n``): ``columns`` are (key, title)
    pairs; the real row's interval overlap, with itself, reads 1."""
    lines = [f"| genre | {arm_header} | " + " | ".join(t for _, t in columns) + " |", "| --- | --- |" + " ---: |" * len(columns)]
    for g, e in report["genres"].items():
        for label, name in (*arms, ("real", f"real (test split, {e['real_n']})")):
            row = e[label]
            cells = [f"{row[k]:.3f}" if isinstance(row.get(k), float) else ("1" if k == "interval_overlap" and label == "real" else "") for k, _ in columns]
            lines.append(f"| {g} | {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
