"""Batch ``continue`` writes exactly what ``lstmfuse continue`` writes for each file."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from lstmfuse import batch
from lstmfuse.encoding.extract import melody_from_part
from lstmfuse.generation.options import SamplingOptions
from lstmfuse.generation.service import continue_score
from lstmfuse.io import load


def _events(path):
    return [(e.pitch, e.onset, e.duration) for e in melody_from_part(load(path).parts[0]).events]


def test_batch_continue_matches_single_file_command(tmp_path, examples_dir):
    src = tmp_path / "in"
    src.mkdir()
    for name in ("oneills-0001.musicxml", "essen-altdeu10-1.krn"):
        shutil.copy(examples_dir / name, src / name)
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "lstmfuse", "batch", "continue", str(src / "*"), "--genre", "folk", "--bars", "2",
         "--seed", "4", "--out-dir", str(out)],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr
    for name in ("oneills-0001.musicxml", "essen-altdeu10-1.krn"):
        single = tmp_path / f"single-{name}"
        continue_score(src / name, single, bars=2, genre="folk", options=SamplingOptions(seed=4))
        assert _events(out / name) == _events(single)
        assert len(_events(out / name)) > len(_events(src / name))


def test_batch_continue_joins_one_weights_option_per_genre(tmp_path, examples_dir):
    """``-w folk=0.5 -w irish=0.5`` reaches the op as the blend of both, as the comma form does."""
    shutil.copy(examples_dir / "oneills-0001.musicxml", tmp_path / "t.musicxml")
    runs = {"repeated": ["-w", "folk=0.5", "-w", "irish=0.5"], "comma": ["-w", "folk=0.5,irish=0.5"], "irish": ["-w", "irish=1"]}
    for name, weights in runs.items():
        proc = subprocess.run([sys.executable, "-m", "lstmfuse", "batch", "continue", str(tmp_path / "t.musicxml"), *weights,
                               "--bars", "2", "--seed", "3", "--out-dir", str(tmp_path / name)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    settings = load(tmp_path / "repeated" / "t.musicxml").metadata.getCustom("lstmfuse-settings")[0]
    assert '"weights": {"folk": 0.5, "irish": 0.5}' in str(settings)
    assert _events(tmp_path / "repeated" / "t.musicxml") == _events(tmp_path / "comma" / "t.musicxml")
    assert _events(tmp_path / "repeated" / "t.musicxml") != _events(tmp_path / "irish" / "t.musicxml")


def test_batch_continue_python_api_and_bad_options(tmp_path, examples_dir):
    import pytest

    from lstmfuse.errors import UsageError

    with pytest.raises(UsageError, match="either --genre or --weights"):
        batch.get_op("continue")(bars=2)
    shutil.copy(examples_dir / "oneills-0001.musicxml", tmp_path / "t.musicxml")
    result = batch.run([tmp_path / "t.musicxml"], [batch.get_op("continue")(bars=1, genre="irish", seed=2)], out_dir=tmp_path / "o")
    assert not result.failed and result.count("ok") == 1, result.files
    assert len(_events(tmp_path / "o" / "t.musicxml")) > len(_events(tmp_path / "t.musicxml"))


def test_batch_continue_reports_the_key_of_the_notes(tmp_path, examples_dir):
    """Essen's Hildebrandslied (G minor under one sharp) is continued in G minor, and the batch
    report says so for that file only; O'Neill's tune, whose signature fits, says nothing."""
    for name in ("oneills-0001.musicxml", "essen-altdeu10-1.krn"):
        shutil.copy(examples_dir / name, tmp_path / name)
    result = batch.run([tmp_path / "essen-altdeu10-1.krn", tmp_path / "oneills-0001.musicxml"],
                       [batch.get_op("continue")(bars=1, genre="folk", seed=2)], out_dir=tmp_path / "o")
    assert not result.failed, result.files
    changes = {Path(f.source).name: str(f.changes) for f in result.files}
    assert "G minor" in changes["essen-altdeu10-1.krn"], changes
    assert "key of the notes" not in changes["oneills-0001.musicxml"], changes


def test_batch_continue_and_regenerate_take_the_key_the_user_names(tmp_path):
    """``--key F`` reaches the batch ops as it reaches ``lstmfuse continue`` and ``regenerate``:
    Foster's F-major song under no signature, continued and regenerated in a batch, is exactly
    what the single-file commands write with ``--key F`` (not what they write without it), and
    the report says the key came from --key; a key that is none is refused before any file."""
    import music21
    import pytest

    from lstmfuse.errors import UsageError
    from lstmfuse.generation.regenerate_score import regenerate_score

    src = tmp_path / "foster.mxl"
    shutil.copy(Path(music21.__file__).parent / "corpus" / "leadSheet" / "fosterBrownHair.mxl", src)
    ops = [batch.get_op("continue")(bars=2, genre="folk", seed=3, key="F"),
           batch.get_op("regenerate")(bars="9-10", genre="folk", seed=3, key="F")]
    for op in ops:
        result = batch.run([src], [op], out_dir=tmp_path / op.name)
        assert not result.failed, result.files
        if op.name == "continue":
            assert "'key (--key)': 'F major'" in str(result.files[0].changes), result.files[0].changes
    for key, name in (("F", "f"), (None, "c")):
        continue_score(src, tmp_path / f"c-{name}.musicxml", bars=2, genre="folk", options=SamplingOptions(seed=3), key=key)
        regenerate_score(src, tmp_path / f"r-{name}.musicxml", bars="9-10", genre="folk", options=SamplingOptions(seed=3), key=key)
    assert _events(tmp_path / "continue" / "foster.mxl") == _events(tmp_path / "c-f.musicxml") != _events(tmp_path / "c-c.musicxml")
    assert _events(tmp_path / "regenerate" / "foster.mxl") == _events(tmp_path / "r-f.musicxml") != _events(tmp_path / "r-c.musicxml")
    for op in ("continue", "regenerate"):
        with pytest.raises(UsageError, match="bad key 'H'"):
            batch.get_op(op)(genre="folk", key="H")
