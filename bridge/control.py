"""Start, find, check and stop the bridge; its files in the state folder.

State folder (``lstmfuse.paths.state_dir()``, i.e. $XDG_STATE_HOME/lstmfuse or
~/.local/state/lstmfuse), made user-only (0700):

* ``bridge-token``  the shared secret, created at first start, mode 0600, kept across restarts;
* ``bridge.json``   {"port", "pid", "protocol", "started"} of the running bridge (0600), what
  the plugin reads to find the port;
* ``bridge.pid``    the pid (for ``lstmfuse bridge --stop``);
* ``bridge.log``    the log (rotated at 1 MB, 3 kept).
"""

from __future__ import annotations

import errno
import json
import logging
import logging.handlers
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from lstmfuse.errors import LstmfuseError
from lstmfuse.paths import state_dir

from . import DEFAULT_PORT, PROTOCOL_VERSION

TOKEN_FILE = "bridge-token"
INFO_FILE = "bridge.json"
PID_FILE = "bridge.pid"
LOG_FILE = "bridge.log"


def bridge_dir() -> Path:
    d = state_dir()
    d.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(d, 0o700)
    except OSError:
        pass
    return d


def _write_private(path: Path, text: str) -> None:
    """Write a user-only file atomically (0600 from the first byte)."""
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def token_path() -> Path:
    return bridge_dir() / TOKEN_FILE


def load_or_create_token(path: Path | None = None) -> str:
    """The token (created at first start: 256 random bits, file mode 0600)."""
    path = path or token_path()
    if path.exists():
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            os.chmod(path, 0o600)  # someone loosened it: tighten again
        tok = path.read_text().strip()
        if len(tok) >= 32:
            return tok
    tok = secrets.token_urlsafe(32)
    _write_private(path, tok + "\n")
    return tok


def read_info() -> dict | None:
    p = bridge_dir() / INFO_FILE
    try:
        return json.loads(p.read_text())
    except (OSError, ValueError):
        return None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def health(port: int, token: str, timeout: float = 2.0) -> dict | None:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/health", headers={"X-Lstmfuse-Token": token})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def setup_logging(path: Path | None = None, level: int = logging.INFO) -> Path:
    path = path or bridge_dir() / LOG_FILE
    logger = logging.getLogger("lstmfuse.bridge")
    logger.setLevel(level)
    for h in list(logger.handlers):
        logger.removeHandler(h)
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=1 << 20, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.propagate = False
    try:
        os.chmod(path, 0o600)
    except OSError:
        pass
    return path


def running() -> dict | None:
    """The running bridge's info if it answers /health, else None."""
    info = read_info()
    if not info or not _pid_alive(int(info.get("pid", -1))):
        return None
    tok = load_or_create_token()
    h = health(int(info["port"]), tok)
    if h is None or h.get("pid") != info.get("pid"):
        return None
    return {**info, "health": h}


def run_foreground(port: int = DEFAULT_PORT, *, preload: bool = True, on_ready=None, fallback: bool = False) -> None:
    """Serve until SIGTERM/SIGINT; writes bridge.json/bridge.pid, removes them at exit.

    ``fallback``: when ``port`` is taken by another program, listen on a free port instead
    (the plugin reads the port from bridge.json, so it still finds the bridge)."""
    from .server import BridgeServer

    log_path = setup_logging()
    log = logging.getLogger("lstmfuse.bridge")
    other = running()
    if other is not None:
        raise LstmfuseError(f"a bridge is already running (pid {other['pid']}, port {other['port']}); stop it with: lstmfuse bridge --stop")
    token = load_or_create_token()
    try:
        try:
            srv = BridgeServer(port, token)
        except OSError as err:
            if not (fallback and err.errno == errno.EADDRINUSE):
                raise
            log.info("port %d is taken: listening on a free port instead", port)
            srv = BridgeServer(0, token)
    except OSError as err:
        raise LstmfuseError(f"cannot listen on 127.0.0.1:{port}: {err.strerror or err}; choose another with --port") from None
    names: list[str] = []
    if preload:
        from .service import preload as load_all

        t0 = time.perf_counter()
        names = load_all()
        _warm_up()
        log.info("loaded %d model(s) in %.2f s: %s", len(names), time.perf_counter() - t0, ", ".join(names) or "none")
    d = bridge_dir()
    info = {"port": srv.port, "pid": os.getpid(), "protocol": PROTOCOL_VERSION, "started": time.time(), "log": str(log_path)}
    _write_private(d / INFO_FILE, json.dumps(info))
    _write_private(d / PID_FILE, f"{os.getpid()}\n")
    log.info("listening on 127.0.0.1:%d (pid %d)", srv.port, os.getpid())

    def stop(signum, frame):
        log.info("signal %d: stopping", signum)
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if on_ready is not None:
        on_ready(info, names)
    try:
        srv.serve_forever(poll_interval=0.25)
    finally:
        srv.server_close()
        for name in (INFO_FILE, PID_FILE):
            p = d / name
            try:
                if name == PID_FILE and p.read_text().strip() != str(os.getpid()):
                    continue
                if name == INFO_FILE and (read_info() or {}).get("pid") != os.getpid():
                    continue
                p.unlink()
            except OSError:
                pass
        log.info("stopped")


def _warm_up() -> None:
    """Import music21's pitch spelling once so the first request is not slow."""
    try:
        from lstmfuse.generation.spelling import spell

        spell(60, 0, 0)
    except Exception:  # pragma: no cover - warm-up is best effort
        pass


def start_background(port: int = DEFAULT_PORT, wait: float = 60.0, fallback: bool = False) -> dict:
    """Start ``lstmfuse bridge --port P`` detached (own session, output to the log) and
    wait until it answers /health. Used by the plugin's "Start bridge" button.
    ``fallback``: a free port when ``port`` is taken by another program."""
    already = running()
    if already is not None:
        return already
    d = bridge_dir()
    log = open(d / LOG_FILE, "ab")
    cmd = [sys.executable, "-m", "lstmfuse_bridge", "--port", str(port)] + (["--any-port"] if fallback else [])
    # cwd: the state folder, not wherever MuseScore was started (``-m`` puts the cwd first on sys.path).
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, close_fds=True, cwd=str(d))
    log.close()
    t_end = time.monotonic() + wait
    while time.monotonic() < t_end:
        if proc.poll() is not None:
            raise LstmfuseError(f"the bridge exited at start (code {proc.returncode}); see {d / LOG_FILE}")
        info = running()
        if info is not None and info.get("pid") == proc.pid:
            return info
        time.sleep(0.2)
    raise LstmfuseError(f"the bridge did not answer within {wait:.0f} s; see {d / LOG_FILE}")


def stop(timeout: float = 10.0) -> int | None:
    """Stop the bridge named by the pid file; returns its pid or None if none ran."""
    d = bridge_dir()
    pid_path = d / PID_FILE
    try:
        pid = int(pid_path.read_text().strip())
    except (OSError, ValueError):
        return None
    if not _pid_alive(pid) or not _is_bridge(pid):
        for name in (PID_FILE, INFO_FILE):
            try:
                (d / name).unlink()
            except OSError:
                pass
        return None
    os.kill(pid, signal.SIGTERM)
    t_end = time.monotonic() + timeout
    while time.monotonic() < t_end and _pid_alive(pid):
        time.sleep(0.1)
        try:  # reap if it is our child (tests)
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
    if _pid_alive(pid):
        raise LstmfuseError(f"the bridge (pid {pid}) did not stop within {timeout:.0f} s")
    return pid


def _is_bridge(pid: int) -> bool:
    """Guard against a stale pid file naming an unrelated process."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return True  # no /proc (macOS): trust the pid file, the info file's pid matched
    return b"bridge" in cmdline
