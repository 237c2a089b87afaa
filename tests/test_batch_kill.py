"""Kill a real batch subprocess mid-run (SIGKILL, SIGINT): every file is fully old or fully new,
and --resume finishes the job without applying anything twice."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CORPUS

from lstmfuse import batch
from lstmfuse.batch import safety
from lstmfuse.io.atomic import is_temp_name

SOURCE = CORPUS / "beethoven" / "opus133.mxl"  # ~9,700 notes: each file takes a noticeable moment
COPIES = 8


@pytest.fixture(scope="module")
def expected() -> tuple[bytes, bytes]:
    new, _ = batch.apply(SOURCE, [batch.Transpose("-m3"), batch.SetMeta(composer="Killed?")])
    return SOURCE.read_bytes(), new


def _library(root: Path) -> list[Path]:
    root.mkdir(parents=True)
    files = []
    for i in range(COPIES):
        p = root / f"op133-{i:02d}.mxl"
        shutil.copy(SOURCE, p)
        files.append(p)
    return files


def _start(args, journal: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "lstmfuse", "batch", "recipe", "--quiet", *map(str, args)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def _recipe(tmp: Path) -> Path:
    r = tmp / "recipe.toml"
    r.write_text('[[steps]]\nop = "transpose"\ninterval = "-m3"\n\n[[steps]]\nop = "set-meta"\ncomposer = "Killed?"\n')
    return r


def _finished(journal: Path) -> int:
    """Files the journal records as done (not the 'claimed' lines written before any work)."""
    if not journal.exists():
        return 0
    return sum('"status": "claimed"' not in line for line in journal.read_text().splitlines()[1:])


def _wait_for_entries(journal: Path, n: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    t0 = time.time()
    while time.time() - t0 < timeout:
        if _finished(journal) >= n:
            return
        if proc.poll() is not None:
            raise AssertionError(f"batch ended before it could be killed: {proc.stderr.read().decode()}")
        time.sleep(0.02)
    raise AssertionError("no progress in the journal")


def _no_temps(folder: Path) -> None:
    assert not [p for p in folder.rglob("*") if is_temp_name(p.name)]


def test_sigkill_out_dir_then_resume(tmp_path, expected):
    old, new = expected
    files = _library(tmp_path / "lib")
    out = tmp_path / "out"
    journal = out / safety.JOURNAL_NAME
    args = [_recipe(tmp_path), *files, "--out-dir", out, "-j", "2"]
    proc = _start(args, journal)
    _wait_for_entries(journal, 3, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    written = 0
    for f in files:
        dst = out / f.name
        if dst.exists():
            assert dst.read_bytes() == new, f"{dst.name} is neither absent nor complete"
            written += 1
        assert f.read_bytes() == old
    assert 3 <= written < COPIES, written
    done = subprocess.run([sys.executable, "-m", "lstmfuse", "batch", "recipe", "--quiet", *map(str, args),
                           "--resume", "--report", tmp_path / "r.json"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["summary"].get("skipped", 0) >= 3
    assert all((out / f.name).read_bytes() == new for f in files)
    _no_temps(out)


def test_sigkill_in_place_then_resume_never_twice(tmp_path, expected):
    old, new = expected
    files = _library(tmp_path / "lib")
    journal = tmp_path / "lib" / safety.JOURNAL_NAME
    args = [_recipe(tmp_path), *files, "--in-place", "-j", "2"]
    proc = _start(args, journal)
    _wait_for_entries(journal, 2, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    states = []
    for f in files:
        data = f.read_bytes()
        assert data in (old, new), f"{f.name} is half written"
        states.append(data == new)
        bak = f.with_name(f.name + ".bak")
        if bak.exists():
            assert bak.read_bytes() == old
    assert 2 <= sum(states) < COPIES
    done = subprocess.run([sys.executable, "-m", "lstmfuse", "batch", "recipe", "--quiet", *map(str, args), "--resume"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    for f in files:
        assert f.read_bytes() == new, f"{f.name}: edited twice or not at all"
        assert f.with_name(f.name + ".bak").read_bytes() == old
        assert not safety.pending_path(f).exists()
    _no_temps(tmp_path / "lib")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_sigint_stops_cleanly_with_report(tmp_path, expected, jobs):
    """Ctrl-C: files being written finish, nothing new starts, the report is written and
    tells exactly which files are new; exit 130."""
    old, new = expected
    files = _library(tmp_path / "lib")
    journal = tmp_path / "lib" / safety.JOURNAL_NAME
    report = tmp_path / "report.json"
    args = [_recipe(tmp_path), *files, "--in-place", "--report", report, "-j", jobs]
    proc = _start(args, journal)
    _wait_for_entries(journal, 2, proc)
    os.kill(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert b"interrupted" in err
    data = json.loads(report.read_text())
    assert data["interrupted"] is True
    statuses = [f["status"] for f in data["files"]]
    assert "interrupted" in statuses and statuses.count("ok") >= 2
    for f, st in zip(files, statuses, strict=True):
        assert f.read_bytes() == (new if st == "ok" else old)
    done = subprocess.run([sys.executable, "-m", "lstmfuse", "batch", "recipe", "--quiet", *map(str, args), "--resume"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert all(f.read_bytes() == new for f in files)


def test_ctrl_c_stops_a_many_file_convert_and_says_so(tmp_path):
    """``lstmfuse convert DIR --to krn --out-dir OUT``, Ctrl-C after the first file: the file
    being written is finished, the others are not started, and the command says so and exits
    130 (it used to print "converted 1 of 8" and exit 0, as if it had finished)."""
    files = _library(tmp_path / "lib")
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "lstmfuse", "convert", str(tmp_path / "lib"), "--to", "musicxml",
                             "--out-dir", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    t0 = time.time()
    while not (out.exists() and any(p.suffix == ".musicxml" and not is_temp_name(p.name) for p in out.iterdir())):
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.time() - t0 < 120, "no file converted"
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert b"interrupted" in err and b"not converted" in err
    assert b"stopping" in err  # said at the Ctrl-C, not only at the end
    written = [p for p in out.iterdir() if p.suffix == ".musicxml"]
    assert 1 <= len(written) < len(files)
    _no_temps(out)
