"""Recipe files: a chain of ops (and optionally the files and options) in TOML.

```toml
description = "Up a tone, with a new composer line"
files = ["scores/*.musicxml"]     # optional; relative to this file
out_dir = "out/up-a-tone"         # optional; relative to this file

[[steps]]
op = "transpose"
interval = "+M2"

[[steps]]
op = "set-meta"
composer = "J. S. Bach"
```
Each step is an op name plus that op's parameters (the same names as in Python, with
``-`` or ``_``). ``files`` and ``out_dir`` given on the command line win over the recipe's.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UsageError
from .ops import Op, op_from_spec

_TOP_KEYS = {"description", "files", "out_dir", "out-dir", "steps"}


@dataclass
class Recipe:
    steps: list[Op]
    files: list[str] = field(default_factory=list)
    out_dir: str | None = None
    description: str = ""
    path: Path | None = None


def load_recipe(path: str | Path) -> Recipe:
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{p}: no such recipe file") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{p}: not valid TOML: {exc}") from None
    return recipe_from_dict(data, p)


def recipe_from_dict(data: dict[str, Any], path: Path | None = None) -> Recipe:
    where = f"{path}: " if path else ""
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise UsageError(f"{where}unknown recipe key(s) {', '.join(sorted(unknown))} (allowed: description, files, out_dir, steps)")
    steps_raw = data.get("steps")
    if not isinstance(steps_raw, list) or not steps_raw:
        raise UsageError(f"{where}a recipe needs at least one [[steps]] table with an op")
    steps = []
    for i, raw in enumerate(steps_raw, 1):
        try:
            steps.append(op_from_spec(raw))
        except UsageError as exc:
            raise UsageError(f"{where}step {i}: {exc}") from None
    base = path.parent if path else Path(".")
    files = data.get("files", [])
    if isinstance(files, str):
        files = [files]
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise UsageError(f"{where}'files' must be a list of paths or globs")
    files = [f if Path(f).is_absolute() else str(base / f) for f in files]
    out_dir = data.get("out_dir", data.get("out-dir"))
    if out_dir is not None:
        out_dir = out_dir if Path(out_dir).is_absolute() else str(base / out_dir)
    return Recipe(steps=steps, files=files, out_dir=out_dir, description=str(data.get("description", "")), path=path)
