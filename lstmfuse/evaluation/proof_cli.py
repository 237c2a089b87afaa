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


def publish(report: dict, tables: str, out: Path | None) -> None:
    """Print the report's tables; write it as JSON where ``out`` is given."""
    print(tables)
    if out:
        write_bytes_atomic(out, json.dumps(report, indent=2).encode(), force=True)
