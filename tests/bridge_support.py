"""Helpers for the bridge tests: a real bridge process or an in-process server, HTTP calls,
and running the real MuseScore 3 headless on the plugin's own code."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PLUGIN_SRC = REPO / "musescore_plugin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def isolated_env(home: Path) -> dict:
    """Environment for a bridge/MuseScore child: everything user-level lives under ``home``."""
    env = dict(os.environ)
    for var in ("XDG_STATE_HOME", "LSTMFUSE_MODELS", "XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        env.pop(var, None)
    env["HOME"] = str(home)
    env["XDG_CONFIG_HOME"] = str(home / ".config")
    env["XDG_DATA_HOME"] = str(home / ".local" / "share")  # no user models: the shipped ones
    run = home / "run"
    run.mkdir(parents=True, exist_ok=True)
    os.chmod(run, 0o700)
    env["XDG_RUNTIME_DIR"] = str(run)
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def state_folder(home: Path) -> Path:
    return home / ".local" / "state" / "lstmfuse"


class BridgeProcess:
    """``python -m lstmfuse_bridge --port P`` with HOME in a temp folder (its own token file)."""

    def __init__(self, home: Path, port: int | None = None):
        self.home = home
        self.port = port or free_port()
        self.env = isolated_env(home)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "lstmfuse_bridge", "--port", str(self.port)],
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=str(home),
        )
        info = state_folder(home) / "bridge.json"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"bridge exited: {self.proc.stdout.read().decode(errors='replace')}")
            if info.exists():
                try:
                    if json.loads(info.read_text())["pid"] == self.proc.pid:
                        break
                except (ValueError, KeyError):
                    pass
            time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError("bridge did not start within 120 s")
        self.token = (state_folder(home) / "bridge-token").read_text().strip()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


class InProcessBridge:
    """The real BridgeServer on a thread (for the security and fuzz tests)."""

    def __init__(self, token: str = "t" * 43):
        from lstmfuse_bridge.server import BridgeServer

        self.token = token
        self.server = BridgeServer(0, token)
        self.port = self.server.port
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def call(port: int, method: str, path: str, body=None, *, token: str | None = None, headers: dict | None = None, timeout: float = 120):
    """One HTTP request; returns (status, parsed JSON or None, raw bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    h = {}
    if token is not None:
        h["X-Lstmfuse-Token"] = token
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    h.update(headers or {})
    try:
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        raw = r.read()
    finally:
        conn.close()
    try:
        doc = json.loads(raw)
    except ValueError:
        doc = None
    return r.status, doc, raw


# ------------------------------------------------------------------------- MuseScore
WRAPPER = """import QtQuick 2.0
import MuseScore 3.0
import "lstmfuse-core.js" as Core
MuseScore {
  id: plugin
  menuPath: "Plugins.lstmfuse-test"
  onRun: {
    var cfg = %s;
    var io = Core.makeFileIO(plugin);
    try { Core.runHeadless(plugin, io, cfg); }
    catch (e) { io.source = cfg.report; io.write(JSON.stringify({ok: false, exception: String(e)})); }
    Qt.quit();
  }
}
"""


DIALOG_DRIVER = """import QtQuick 2.0
import MuseScore 3.0
import "lstmfuse-core.js" as Core
MuseScore {
  id: w
  menuPath: "Plugins.lstmfuse-dialog-test"
  onRun: {
    var cfg = %s;
    var io = Core.makeFileIO(w);
    var comp = Qt.createComponent("lstmfuse.qml");
    var out = {loaded: comp.status === Component.Ready};
    if (out.loaded) {
      var d = comp.createObject(w);   // the real dialog, its buttons' functions called directly
      d.io = Core.makeFileIO(d);
      d.immediate = true;            // no event loop after onRun under -p: no deferred work
      d.loadSettings();
      d.refreshModels();
      out.genres = d.genres;
      d.barsText = String(cfg.bars); d.seedText = String(cfg.seed);
      if (cfg.variants) d.variantsText = String(cfg.variants);
      cmd("select-all");             // a real range selection, as the user makes it
      d.act(cfg.kind);               // what the Continue / Fuse button does
      out.status = d.status;
      out.answer = d.last ? d.last.answer : null;
      out.selection = d.last ? d.last.written.selection : null;
      out.ok = d.last !== null;
      writeScore(curScore, cfg.out, "mscx");
    } else { out.error = comp.errorString(); }
    io.source = cfg.report;
    io.write(JSON.stringify(out));
    Qt.quit();
  }
}
"""


def run_dialog(home: Path, plugin_dir: Path, score: Path, cfg: dict) -> dict:
    qml = plugin_dir / "dialog-driver.qml"
    qml.write_text(DIALOG_DRIVER % json.dumps(cfg))
    log = run_qml(home, qml, score, timeout=180)
    report = Path(cfg["report"])
    assert report.exists(), log[-3000:]
    return json.loads(report.read_text())


def mscore() -> str | None:
    return shutil.which("mscore3") or shutil.which("musescore3")


def install_plugin(home: Path, dest: Path | None = None) -> Path:
    """Install with the real command (``lstmfuse plugin install --dir``) into a temp folder."""
    dest = dest or home / "Documents" / "MuseScore3" / "Plugins"
    out = subprocess.run([sys.executable, "-m", "lstmfuse", "plugin", "install", "--dir", str(dest)],
                         env=isolated_env(home), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr + out.stdout
    return dest / "lstmfuse"


def convert(home: Path, src: Path, dst: Path) -> None:
    out = subprocess.run([mscore(), "-o", str(dst), str(src)], env=isolated_env(home), capture_output=True, text=True, timeout=120)
    assert dst.exists(), f"MuseScore could not convert {src}: {out.stdout}{out.stderr}"


def run_plugin(home: Path, plugin_dir: Path, score: Path, cfg: dict, name: str = "test-wrapper.qml", env: dict | None = None) -> tuple[dict, str]:
    """Run the plugin's own JS (runHeadless) in MuseScore 3 on ``score``; returns (report, log).
    ``env`` overrides variables of MuseScore's environment (e.g. a PATH without lstmfuse)."""
    wrapper = plugin_dir / name
    wrapper.write_text(WRAPPER % json.dumps(cfg))
    report = Path(cfg["report"])
    if report.exists():
        report.unlink()
    out = subprocess.run([mscore(), "-p", str(wrapper), str(score)], env={**isolated_env(home), **(env or {})},
                         capture_output=True, text=True, timeout=180)
    log = out.stdout + out.stderr
    assert report.exists(), f"the plugin wrote no report; MuseScore said:\n{log[-3000:]}"
    return json.loads(report.read_text()), log


def run_qml(home: Path, qml: Path, score: Path, timeout: float = 60) -> str:
    out = subprocess.run([mscore(), "-p", str(qml), str(score)], env=isolated_env(home), capture_output=True, text=True, timeout=timeout)
    return out.stdout + out.stderr


def write_clarinet_in_c(path: Path) -> None:
    """A B-flat clarinet playing a tune in concert C major, as MusicXML: written in D major (two
    sharps) with its <transpose>, as a MuseScore user's clarinet part is shown."""
    from music21 import instrument, key, meter, note, stream

    part = stream.Part()
    part.insert(0, instrument.Clarinet())
    part.append(meter.TimeSignature("4/4"))
    part.append(key.KeySignature(0))
    for name in "C4 D4 E4 F4 G4 A4 G4 E4 F4 D4 E4 C4 D4 B3 C4 C4".split():
        part.append(note.Note(name, quarterLength=1))
    score = stream.Score([part.makeMeasures()])
    score.parts[0].atSoundingPitch = True
    score.write("musicxml", fp=str(path))  # music21 writes it at written pitch


def write_blank_score(path: Path, bars: int = 4) -> None:
    """A blank score as MuseScore makes one: ``bars`` empty bars of 4/4 in C, as MusicXML."""
    from music21 import key, meter, note, stream

    part = stream.Part()
    part.append(meter.TimeSignature("4/4"))
    part.append(key.KeySignature(0))
    for _ in range(bars):
        part.append(note.Rest(quarterLength=4))
    stream.Score([part.makeMeasures()]).write("musicxml", fp=str(path))


def rest_bars(bars: int = 4):
    """The engine's view of those bars: a Melody of ``bars`` whole-bar rests in 4/4, C."""
    from fractions import Fraction

    from lstmfuse.encoding.events import Melody, NoteEvent

    return Melody([NoteEvent(None, Fraction(4 * k), Fraction(4), Fraction(0)) for k in range(bars)], meter="4/4", sharps=0)
