"""Corpus build and training end to end on a small real corpus (Bach chorales)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from lstmfuse.corpora import build, load_corpus
from lstmfuse.errors import LstmfuseError
from lstmfuse.models.numpy_lstm import MelodyLSTM

pytest.importorskip("tensorflow", reason="training needs the 'train' or 'test' extra (TensorFlow)")


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("cache")
    reports = build(["bach"], jobs=1, root=root, limit_files=40)
    return root, reports[0]


def test_build_reports_and_caches(small_corpus):
    root, report = small_corpus
    assert report.files == 40 and report.found == 40
    assert report.kept_share >= 0.97
    assert sum(report.splits.values()) == report.kept
    t = time.perf_counter()
    again = build(["bach"], jobs=1, root=root, limit_files=40)[0]
    assert again.cached_files == 40 and time.perf_counter() - t < 10
    assert again.kept == report.kept
    ids = {pid for pid, _ in load_corpus("bach", "test", root)}
    assert ids.isdisjoint({pid for pid, _ in load_corpus("bach", "train", root)})


def _train(root: Path, out: Path, run: Path, *extra: str, units: int = 16) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "lstmfuse", "train", "bach", "--cache-dir", str(root), "--out", str(out),
           "--run-dir", str(run), "--units", str(units), "--batch-size", "8", *extra]
    return subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})


def test_train_resume_seed_and_card(small_corpus, tmp_path):
    root, _ = small_corpus
    out, run = tmp_path / "model", tmp_path / "run"
    first = _train(root, out, run, "--epochs", "1", "--seed", "3")
    assert first.returncode == 0, first.stderr[-2000:]
    log = [json.loads(x) for x in (run / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in log] == [1]
    second = _train(root, out, run, "--epochs", "2", "--seed", "3")  # resumes at epoch 2
    assert second.returncode == 0, second.stderr[-2000:]
    card = json.loads((out / "card.json").read_text())
    assert card["training"]["resumed_from_epoch"] == 1
    assert card["training"]["epochs_run"] == 2
    assert [json.loads(x)["epoch"] for x in (run / "log.jsonl").read_text().splitlines()] == [1, 2]
    h = card["heldout"]["bach"]
    assert h["lstm"]["bits_per_token"] > 0 and h["ngram"]["bits_per_token"] > 0
    assert (out / "MODEL_CARD.md").read_text().startswith("# Model card: bach")
    # same seed, fresh run: the same first epoch
    out2, run2 = tmp_path / "model2", tmp_path / "run2"
    assert _train(root, out2, run2, "--epochs", "1", "--seed", "3").returncode == 0
    a = json.loads((run / "log.jsonl").read_text().splitlines()[0])
    b = json.loads((run2 / "log.jsonl").read_text().splitlines()[0])
    assert abs(a["val_loss"] - b["val_loss"]) < 1e-3


def test_a_structure_model_grows_from_a_plain_one(small_corpus, tmp_path):
    """--init-from: the structure inputs start at zero, so the fine-tune begins exactly at the
    plain model's validation loss (logged as epoch 0) and can only ship something as good."""
    root, _ = small_corpus
    plain, run = tmp_path / "plain", tmp_path / "run"
    first = _train(root, plain, run, "--epochs", "2", "--seed", "3", "--no-structure")
    assert first.returncode == 0, first.stderr[-2000:]
    plain_card = json.loads((plain / "card.json").read_text())
    assert plain_card["config"]["structure"] is False
    grown, run2 = tmp_path / "grown", tmp_path / "run2"
    second = _train(root, grown, run2, "--epochs", "1", "--seed", "3", "--init-from", str(plain), "--learning-rate", "0.001")
    assert second.returncode == 0, second.stderr[-2000:]
    log = [json.loads(x) for x in (run2 / "log.jsonl").read_text().splitlines()]
    assert log[0]["epoch"] == 0 and log[0]["start"]
    assert abs(log[0]["val_loss"] - plain_card["training"]["best_val_loss_nats"]) < 1e-3
    card = json.loads((grown / "card.json").read_text())
    assert card["config"]["structure"] is True
    assert card["settings"]["init_from"] == str(plain)
    assert card["training"]["best_val_loss_nats"] <= log[0]["val_loss"] + 1e-6
    # a model of another shape is refused in one line
    bad = _train(root, tmp_path / "bad", tmp_path / "run3", "--epochs", "1", "--init-from", str(plain), units=24)
    assert bad.returncode != 0 and "does not match" in bad.stderr and "Traceback" not in bad.stderr


def test_killed_training_resumes(small_corpus, tmp_path):
    root, _ = small_corpus
    out, run = tmp_path / "model", tmp_path / "run"
    cmd = [sys.executable, "-m", "lstmfuse", "train", "bach", "--cache-dir", str(root), "--out", str(out),
           "--run-dir", str(run), "--units", "16", "--batch-size", "8", "--epochs", "30", "--patience", "30"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    deadline = time.time() + 240
    while time.time() < deadline and not (run / "state.json").exists():
        time.sleep(0.5)
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = json.loads((run / "state.json").read_text())["epoch"]
    assert done >= 1
    resumed = _train(root, out, run, "--epochs", str(done + 1), "--patience", "30")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    card = json.loads((out / "card.json").read_text())
    assert card["training"]["resumed_from_epoch"] == done
    assert card["training"]["epochs_run"] == done + 1


def test_corrupt_or_mismatched_weights_give_clear_errors(tmp_path):
    from lstmfuse.models.registry import available

    good = available()["folk"] / "weights.npz"
    bad = tmp_path / "folk" / "weights.npz"
    bad.parent.mkdir()
    bad.write_bytes(good.read_bytes()[:5000])
    with pytest.raises(LstmfuseError, match="corrupt"):
        MelodyLSTM.load(bad)
    arrays = dict(np.load(good, allow_pickle=False))
    arrays["logits_bias"] = arrays["logits_bias"][:10]
    np.savez(bad, **arrays)
    with pytest.raises(LstmfuseError, match="logits_bias"):
        MelodyLSTM.load(bad)


def test_models_command_lists_shipped_models():
    proc = subprocess.run([sys.executable, "-m", "lstmfuse", "models", "--json"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert "folk" in {r["name"] for r in rows}
