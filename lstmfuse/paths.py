"""Where lstmfuse keeps things on the user's machine (XDG base directories)."""

from __future__ import annotations

import functools
import os
from pathlib import Path


def _xdg(var: str, default: str) -> Path:
    value = os.environ.get(var)
    return Path(value) if value else Path.home() / default


def cache_dir() -> Path:
    """Rebuildable data (parsed corpora). ``LSTMFUSE_CACHE`` overrides."""
    override = os.environ.get("LSTMFUSE_CACHE")
    return Path(override) if override else _xdg("XDG_CACHE_HOME", ".cache") / "lstmfuse"


def state_dir() -> Path:
    """Logs, the bridge token and pid (user-only)."""
    return _xdg("XDG_STATE_HOME", ".local/state") / "lstmfuse"


@functools.cache
def package_data() -> Path:
    """The installed package's data folder (resolved once: generation asks per call)."""
    return Path(__file__).resolve().parent / "data"
