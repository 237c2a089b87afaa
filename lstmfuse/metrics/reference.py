"""Reference data the metrics judge against, built from the corpora and shipped.

Per genre: a :class:`Profile` (histograms and scalar distributions of the training split)
and an :class:`OriginalityIndex` (its interval strings); for all genres: the style classifier.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from ..errors import LstmfuseError
from ..io.atomic import write_bytes_atomic
from ..paths import package_data
from .distances import Profile, reference_profile
from .originality import OriginalityIndex
from .style import StyleClassifier, train_classifier


def reference_dir() -> Path:
    return package_data() / "reference"


def build_reference(genres: list[str], root: Path | None = None, out: Path | None = None, seed: int = 0) -> dict:
    """Profiles, originality indices (training split) and the style classifier."""
    from ..corpora import load_corpus

    base = out or reference_dir()
    summary: dict = {}
    for g in genres:
        train = [m for _, m in load_corpus(g, "train", root)]
        folder = base / g
        folder.mkdir(parents=True, exist_ok=True)
        profile = reference_profile(train, name=g, seed=seed)
        write_bytes_atomic(folder / "profile.json", json.dumps(profile.to_dict()).encode(), force=True)
        OriginalityIndex.build(train).save(folder / "originality.npz", force=True)
        summary[g] = {"train_pieces": len(train)}
    clf = train_classifier(genres, root, seed=seed)
    write_bytes_atomic(base / "style.json", json.dumps(clf.to_dict()).encode(), force=True)
    summary["classifier"] = {"heldout_accuracy": clf.heldout_accuracy, "confusion": clf.heldout_confusion, "genres": clf.genres}
    return summary


@functools.cache
def profile(genre: str) -> Profile:
    p = reference_dir() / genre / "profile.json"
    if not p.exists():
        raise LstmfuseError(f"no reference profile for genre '{genre}' (run 'lstmfuse reference build')", p)
    return Profile.from_dict(json.loads(p.read_text()))


@functools.cache
def originality_index(genre: str) -> OriginalityIndex:
    p = reference_dir() / genre / "originality.npz"
    if not p.exists():
        raise LstmfuseError(f"no originality index for genre '{genre}' (run 'lstmfuse reference build')", p)
    return OriginalityIndex.load(p)


@functools.cache
def classifier() -> StyleClassifier:
    return StyleClassifier.load()


def known_genres() -> list[str]:
    base = reference_dir()
    return sorted(d.name for d in base.iterdir() if (d / "profile.json").exists()) if base.is_dir() else []
