"""Which models are installed and where: user-trained ones override the shipped ones."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

from ..errors import LstmfuseError
from ..paths import package_data
from .numpy_lstm import MelodyLSTM

WEIGHTS = "weights.npz"
FUSION = "fusion"


def user_models_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME")
    return (Path(base) if base else Path.home() / ".local" / "share") / "lstmfuse" / "models"


def shipped_models_dir() -> Path:
    return package_data() / "models"


def model_dirs() -> list[Path]:
    extra = os.environ.get("LSTMFUSE_MODELS")
    dirs = [Path(extra)] if extra else []
    return dirs + [user_models_dir(), shipped_models_dir()]


def available() -> dict[str, Path]:
    """Model name -> its folder (first match in model_dirs order wins)."""
    return dict(_scan(tuple(model_dirs())))


@functools.lru_cache(maxsize=8)
def _scan(dirs: tuple[Path, ...]) -> tuple[tuple[str, Path], ...]:
    """Folders are scanned once per process (per set of folders): generation asks often."""
    found: dict[str, Path] = {}
    for base in dirs:
        if not base.is_dir():
            continue
        for d in sorted(base.iterdir()):
            if (d / WEIGHTS).exists() and d.name not in found:
                found[d.name] = d
    return tuple(found.items())


def genre_names() -> list[str]:
    return [n for n in available() if n != FUSION]


@functools.cache
def _load(path: str, name: str) -> MelodyLSTM:
    return MelodyLSTM.load(Path(path), name=name)


def load_model(name: str) -> MelodyLSTM:
    """A model by name, loaded once per process."""
    models = available()
    key = name.lower()
    if key not in models:
        names = ", ".join(n for n in models) or "none installed"
        raise LstmfuseError(f"unknown model '{name}' (installed: {names})")
    return _load(str(models[key] / WEIGHTS), key)


def read_card(name: str) -> dict:
    path = available()[name] / "card.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
