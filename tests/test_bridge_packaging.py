"""Packaging of the bridge: a built wheel holds lstmfuse_bridge (with its schema and the
plugin files) and no generic top-level name such as ``bridge``; every lstmfuse subpackage is
listed in pyproject's explicit package list; ``lstmfuse plugin install`` copies the plugin."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_every_subpackage_is_listed():
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = set()
    for py in (REPO / "lstmfuse").rglob("*.py"):
        rel = py.parent.relative_to(REPO)
        if "__pycache__" not in rel.parts:
            found.add(".".join(rel.parts))
    missing = found - listed
    assert not missing, f"add these packages to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"


@pytest.mark.slow
def test_wheel_contents(tmp_path):
    import importlib.util

    # Offline when the venv has the build backend (tensorflow pulls in setuptools and wheel).
    offline = all(importlib.util.find_spec(m) for m in ("setuptools", "wheel"))
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)]
    if offline:
        cmd.insert(5, "--no-build-isolation")
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    wheel = next(tmp_path.glob("lstmfuse-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith((".dist-info", ".data"))}
    assert tops == {"lstmfuse", "lstmfuse_bridge"}, tops
    for need in ("lstmfuse_bridge/server.py", "lstmfuse_bridge/protocol.schema.json", "lstmfuse_bridge/PROTOCOL.md",
                 "lstmfuse_bridge/plugin/lstmfuse.qml", "lstmfuse_bridge/plugin/lstmfuse-core.js", "lstmfuse_bridge/plugin/lstmfuse.png",
                 "lstmfuse/cli/bridge_commands.py", "lstmfuse/generation/continuation.py"):
        assert need in names, need


def test_plugin_install(tmp_path):
    from typer.testing import CliRunner

    from lstmfuse.cli import app

    r = CliRunner().invoke(app, ["plugin", "install", "--dir", str(tmp_path / "p3"), "--dir", str(tmp_path / "p4")])
    assert r.exit_code == 0, r.output
    for d in ("p3", "p4"):
        dest = tmp_path / d / "lstmfuse"
        assert sorted(p.name for p in dest.iterdir()) == ["README.md", "lstmfuse-bridge.json", "lstmfuse-core.js", "lstmfuse-instance.js",
                                                          "lstmfuse.png", "lstmfuse.qml"]
        # The Start bridge button runs THIS lstmfuse by its absolute path (MuseScore has no venv on its PATH).
        cmd = json.loads((dest / "lstmfuse-bridge.json").read_text())
        assert Path(cmd["program"]).is_absolute() and Path(cmd["program"]).exists(), cmd
        assert cmd["args"] == ["-m", "lstmfuse", "bridge", "--background"]
        assert (dest / "lstmfuse.qml").read_bytes() == (REPO / "musescore_plugin" / "lstmfuse.qml").read_bytes()
    assert "Plugin Manager" in r.output
