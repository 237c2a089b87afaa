"""Shared fixtures: real files from music21's bundled corpus, temporary folders."""

from __future__ import annotations

import os
from pathlib import Path

import music21
import pytest

CORPUS = Path(music21.__file__).parent / "corpus"
LILYPOND = Path(music21.__file__).parent / "musicxml" / "lilypondTestSuite"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def examples_dir() -> Path:
    return EXAMPLES


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """Never touch the real user's state/config folders from a test."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))  # user models never shadow shipped ones
    monkeypatch.delenv("LSTMFUSE_MODELS", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", os.environ.get("LSTMFUSE_TEST_CACHE", str(home / "cache")))
