"""make demo stays quiet: every folder setuptools would call an importable package is listed.

setuptools warns "Package 'lstmfuse.data.models.folk' is absent from the `packages`
configuration" for each data folder whose name is an identifier (about 470 lines of
warnings in ``make demo``, issue 15). Its rule: a folder holding package data is importable
when every part of its path is an identifier.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _importable_data_folders() -> set[str]:
    found = set()
    for f in (REPO / "lstmfuse" / "data").rglob("*"):
        if not f.is_file() or "__pycache__" in f.parts:
            continue
        parts = f.parent.relative_to(REPO).parts
        ok = []
        for part in parts:
            if not part.isidentifier():
                break
            ok.append(part)
        for i in range(2, len(ok) + 1):  # lstmfuse.data, lstmfuse.data.models, ...
            found.add(".".join(ok[:i]))
    return found


def test_data_folders_are_listed_packages():
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    missing = sorted(_importable_data_folders() - listed)
    assert not missing, f"setuptools would warn for these; add them to [tool.setuptools] packages: {missing}"
