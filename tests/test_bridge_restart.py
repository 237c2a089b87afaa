"""What a composer hits around the bridge: restarting it at once on its port, falling back to a
free port when another program holds it, and Continue's default genre "auto" (the genre the
style judge finds closest to the selected passage)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import bridge_support as B
from test_bridge_protocol import req

from lstmfuse_bridge.protocol import check_schema, parse_request


def test_port_can_be_reused_at_once_after_a_stop():
    """It used to fail with "Address already in use" for about a minute after a stop."""
    from lstmfuse_bridge.server import BridgeServer

    first = B.InProcessBridge()
    port = first.port
    status, doc, _ = B.call(port, "GET", "/health", token=first.token)
    assert status == 200 and doc["ok"]
    first.stop()  # the server closed a connection: its side sits in TIME_WAIT
    again = BridgeServer(port, "t" * 43)  # the same port, at once
    try:
        assert again.port == port
    finally:
        again.server_close()


def test_falls_back_to_a_free_port_when_the_port_is_taken(tmp_path):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    taken = holder.getsockname()[1]
    env = B.isolated_env(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "lstmfuse_bridge", "--port", str(taken), "--any-port", "--no-preload"],
                            env=env, cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    info_path = B.state_folder(tmp_path) / "bridge.json"
    try:
        end = time.monotonic() + 60
        while not info_path.exists() and time.monotonic() < end:
            assert proc.poll() is None, proc.stdout.read().decode(errors="replace")
            time.sleep(0.1)
        info = json.loads(info_path.read_text())
        assert info["port"] != taken  # the plugin finds the bridge through bridge.json
        token = (B.state_folder(tmp_path) / "bridge-token").read_text().strip()
        status, doc, _ = B.call(info["port"], "GET", "/health", token=token)
        assert status == 200 and doc["pid"] == proc.pid
        # Without --any-port a taken port is a one-line error (an explicit --port is kept).
        other = tmp_path / "other"
        other.mkdir()
        out = subprocess.run([sys.executable, "-m", "lstmfuse_bridge", "--port", str(taken), "--no-preload"], env=B.isolated_env(other),
                             cwd=str(other), capture_output=True, text=True, timeout=60)
        assert out.returncode == 2 and "cannot listen on 127.0.0.1" in out.stderr, out.stderr
    finally:
        proc.terminate()
        proc.wait(15)
        holder.close()


def test_auto_genre_is_the_closest_style():
    from lstmfuse.metrics.judge import SequenceJudge
    from lstmfuse.models.registry import genre_names
    from lstmfuse_bridge.service import answer

    r = parse_request(req(options__genre="auto"), "continue")
    clf = SequenceJudge.load()  # the sequence style judge, as `lstmfuse metrics` and the proofs
    post = clf.posterior(r.passage)
    scores = {g: float(p) for g, p in zip(clf.genres, post) if g in genre_names()}
    a = answer(r)
    check_schema(a, "answer")
    auto = a["settings"]["auto"]
    assert auto["genre"] == a["settings"]["genre"] == max(scores, key=scores.get)
    assert set(auto["posterior"]) == set(scores)


def test_auto_without_notes_takes_the_meters_genre_or_is_refused_in_words():
    """Rests have no style to judge. Until 2026-12-04 'auto' refused them; since, it takes the
    genre with the largest share of the real tunes in the selection's meter and key signature,
    and the answer says so (schema-valid); where no installed genre has tunes in that meter it
    is refused in words, naming the field."""
    from lstmfuse_bridge.protocol import ProtocolError
    from lstmfuse_bridge.service import answer

    doc = req(options__genre="auto")
    doc["selection"]["events"] = [{"rest": True, "duration": "1"}]
    a = answer(parse_request(doc, "continue"))
    check_schema(a, "answer")
    assert a["settings"]["auto"]["by"] == "meter and key" and a["settings"]["genre"] == a["settings"]["auto"]["genre"]
    doc["selection"]["meter"] = "5/8"
    doc["selection"]["events"] = [{"rest": True, "duration": "5/8"}]
    try:
        answer(parse_request(doc, "continue"))
    except ProtocolError as err:
        assert err.field == "options.genre" and "choose a genre" in err.message and "5/8" in err.message
    else:
        raise AssertionError("'auto' on rests in a meter no genre's tunes are in was not refused")
