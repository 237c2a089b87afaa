"""The same batch on a Dask cluster (a LocalCluster of 2 worker processes on loopback)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from conftest import CORPUS, LILYPOND

from lstmfuse import batch
from lstmfuse.batch import safety

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    c = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                 dashboard_address=None)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def library(tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    for p in sorted((CORPUS / "bach").glob("bwv1*.mxl"))[:10]:
        shutil.copy(p, lib / p.name)
    shutil.copy(LILYPOND / "43a-PianoStaff.xml", lib / "piano.xml")
    (lib / "broken.xml").write_text("<score-partwise><oops")
    return lib


def _files(folder):
    return {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.name != safety.JOURNAL_NAME}


def test_dask_engine_matches_local(cluster, library, tmp_path):
    ops = [batch.Transpose("+M2"), batch.SetMeta(title="On Dask")]
    local = batch.run([library], ops, out_dir=tmp_path / "local")
    res = batch.run([library], ops, out_dir=tmp_path / "dask", engine="dask", address=cluster.scheduler_address,
                    report=tmp_path / "r.json")
    assert res.summary() == local.summary() == {"ok": 11, "failed": 1}
    assert res.exit_code == 1
    assert _files(tmp_path / "dask") == _files(tmp_path / "local")
    # resume on Dask skips everything already done
    again = batch.run([library], ops, out_dir=tmp_path / "dask", engine="dask", address=cluster.scheduler_address,
                      resume=True)
    assert again.summary() == {"skipped": 11, "failed": 1}


def test_dask_from_the_cli(cluster, library, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "lstmfuse", "batch", "transpose", str(library), "--interval=-m3",
                           "--engine", "dask", "--address", cluster.scheduler_address,
                           "--out-dir", str(tmp_path / "o"), "-q"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr  # the broken file fails, the rest is done
    assert "1 failed, 11 ok" in proc.stdout
    assert len(list((tmp_path / "o").glob("*.mxl"))) == 10


def test_unreachable_scheduler_is_a_one_line_error(library, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "lstmfuse", "batch", "transpose", str(library), "-i", "+M2",
                           "--engine", "dask", "--address", "tcp://127.0.0.1:1", "--out-dir", str(tmp_path / "o"), "-q"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "cannot reach the Dask scheduler" in proc.stderr
