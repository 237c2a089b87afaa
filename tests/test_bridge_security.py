"""The bridge refuses everything it should, cleanly, and keeps answering.

Wrong or missing token, a foreign Host (DNS rebinding), CORS preflight, a web Origin, a 10 MB
body, missing/chunked lengths, malformed JSON, schema-invalid events, a client that sends
nothing, and 1,000 fuzzed requests (hypothesis, derandomized, loopback only): each gets a JSON
error (never a 500, never a crash), and /health still answers afterwards. Also the token
file's permissions and the CLI's --background/--status/--stop.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bridge_support as B

OK_STATUSES = {200, 400, 401, 403, 404, 405, 409, 411, 413, 415, 421, 422}


@pytest.fixture(scope="module")
def srv():
    s = B.InProcessBridge()
    yield s
    s.stop()


def _valid(genre: str = "folk") -> dict:
    return {
        "protocol": 1,
        "selection": {"start_tick": 0, "bar_pos": "0", "meter": "4/4", "key": {"fifths": 0},
                      "events": [{"rest": False, "pitch": 60, "duration": "1/4"}, {"rest": False, "pitch": 64, "duration": "1/4"},
                                 {"rest": False, "pitch": 67, "duration": "1/2"}]},
        "options": {"genre": genre, "bars": 1, "seed": 1},
    }


def _genre() -> str:
    from lstmfuse.models.registry import genre_names

    names = genre_names()
    assert names, "no installed genre model"
    return names[0]


def _raw(port: int, data: bytes, read_timeout: float = 10.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=read_timeout) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        chunks = []
        try:
            while True:
                c = s.recv(65536)
                if not c:
                    break
                chunks.append(c)
        except (ConnectionResetError, socket.timeout):
            pass
    return b"".join(chunks)


def _status_json(raw: bytes) -> tuple[int, dict]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body)


def _healthy(srv) -> None:
    status, doc, _ = B.call(srv.port, "GET", "/health", token=srv.token)
    assert status == 200 and doc["ok"] is True


def test_binds_loopback_only(srv):
    assert srv.server.server_address[0] == "127.0.0.1"


def test_token_required(srv):
    status, doc, _ = B.call(srv.port, "GET", "/health")
    assert status == 401 and doc["error"]["field"] == "X-Lstmfuse-Token" and doc["ok"] is False
    status, doc, _ = B.call(srv.port, "GET", "/health", token="wrong" * 9)
    assert status == 401 and doc["error"]["code"] == "unauthorized"
    status, doc, _ = B.call(srv.port, "POST", "/continue", _valid(), token="")
    assert status == 401
    _healthy(srv)


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1", "127.0.0.1:1", "localhost", "127.0.0.1.nip.io:{port}", "[::1]:{port}", "0.0.0.0:{port}"])
def test_foreign_host_refused(srv, host):
    status, doc, _ = B.call(srv.port, "GET", "/health", token=srv.token, headers={"Host": host.format(port=srv.port)})
    assert status == 421 and doc["error"]["field"] == "Host"


def test_missing_host_refused(srv):
    status, doc = _status_json(_raw(srv.port, f"GET /health HTTP/1.0\r\nX-Lstmfuse-Token: {srv.token}\r\n\r\n".encode()))
    assert status == 421


def test_localhost_host_accepted(srv):
    status, _, _ = B.call(srv.port, "GET", "/health", token=srv.token, headers={"Host": f"localhost:{srv.port}"})
    assert status == 200


def test_cors_preflight_and_web_origins_refused(srv):
    status, doc, raw = B.call(srv.port, "OPTIONS", "/continue", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-lstmfuse-token"})
    assert status == 403 and doc["error"]["code"] == "forbidden_method"
    conn_raw = _raw(srv.port, f"OPTIONS /continue HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nOrigin: https://evil.example\r\n\r\n".encode())
    assert b"access-control-allow" not in conn_raw.lower()
    for origin in ("https://evil.example", "null", f"http://127.0.0.1:{srv.port}"):
        status, doc, _ = B.call(srv.port, "POST", "/continue", _valid(), token=srv.token, headers={"Origin": origin})
        assert status == 403 and doc["error"]["field"] == "Origin"
    status, doc, _ = B.call(srv.port, "GET", "/health", token=srv.token, headers={"Sec-Fetch-Site": "cross-site"})
    assert status == 403
    _healthy(srv)


def test_huge_body_refused_without_reading_it(srv):
    big = 10 * 1024 * 1024
    head = (f"POST /continue HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nX-Lstmfuse-Token: {srv.token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {big}\r\n\r\n").encode()
    t0 = time.monotonic()
    raw = _raw(srv.port, head + b"[" * big)
    status, doc = _status_json(raw)
    assert status == 413 and doc["error"]["code"] == "too_large"
    assert time.monotonic() - t0 < 10
    _healthy(srv)


def test_length_rules(srv):
    h = f"Host: 127.0.0.1:{srv.port}\r\nX-Lstmfuse-Token: {srv.token}\r\nContent-Type: application/json\r\n"
    status, doc = _status_json(_raw(srv.port, f"POST /continue HTTP/1.1\r\n{h}Connection: close\r\n\r\n".encode()))
    assert status == 411
    status, doc = _status_json(_raw(srv.port, f"POST /continue HTTP/1.1\r\n{h}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n".encode()))
    assert status == 411
    status, doc = _status_json(_raw(srv.port, f"POST /continue HTTP/1.1\r\n{h}Content-Length: -5\r\n\r\n".encode()))
    assert status == 400
    # int() would read these as lengths: '+2', '1_0'; and two lengths frame the body two ways
    for lengths in (["+2"], ["1_0"], ["2", "5"]):
        head = "".join(f"Content-Length: {n}\r\n" for n in lengths)
        status, doc = _status_json(_raw(srv.port, f"POST /continue HTTP/1.1\r\n{h}{head}\r\n{{}}".encode()))
        assert status == 400 and doc["error"]["field"] == "Content-Length", (lengths, doc)
    _healthy(srv)


@pytest.mark.parametrize("body", [b"{", b"not json", b"\xff\xfe\x00", b'{"protocol": NaN}', b"[" * 100000 + b"]" * 100000, b""])
def test_malformed_json(srv, body):
    status, doc, _ = B.call(srv.port, "POST", "/continue", body, token=srv.token)
    assert status == 400 and doc["error"]["code"] in ("malformed_json", "invalid_field")
    _healthy(srv)


def test_schema_invalid_events_named(srv):
    doc = _valid()
    doc["selection"]["events"][1] = {"rest": False, "duration": "1/4"}
    status, body, _ = B.call(srv.port, "POST", "/continue", doc, token=srv.token)
    assert status == 400 and body["error"]["field"] == "selection.events[1]" and "pitch" in body["error"]["message"]
    doc = _valid()
    doc["selection"]["events"][2]["duration"] = "1/0"
    status, body, _ = B.call(srv.port, "POST", "/continue", doc, token=srv.token)
    assert status == 400 and body["error"]["field"] == "selection.events[2].duration"
    doc = _valid()
    doc["selection"]["events"] = [{"rest": False, "pitch": 60, "duration": "1/4"}] * 2001
    status, body, _ = B.call(srv.port, "POST", "/continue", doc, token=srv.token)
    assert status == 400 and body["error"]["field"] == "selection.events"
    status, body, _ = B.call(srv.port, "POST", "/continue", {**_valid(), "protocol": 0}, token=srv.token)
    assert status == 409 and "update the plugin" in body["error"]["message"]
    status, body, _ = B.call(srv.port, "POST", "/continue", _valid("no-such-genre"), token=srv.token)
    assert status == 400 and body["error"]["field"] == "options.genre"


def test_valid_request_answers(srv):
    status, body, _ = B.call(srv.port, "POST", "/continue", _valid(_genre()), token=srv.token)
    assert status == 200 and body["ok"] and len(body["variants"]) == 1
    status, body, _ = B.call(srv.port, "GET", "/models", token=srv.token)
    assert status == 200 and _genre() in body["genres"]


def test_concurrent_requests_are_safe(srv):
    """8 clients at once: every answer equals the sequential answer for its seed (no state
    shared between requests), and different seeds differ."""
    import threading

    genre = _genre()
    bodies = [{**_valid(genre), "options": {"genre": genre, "bars": 2, "seed": s}} for s in (1, 2) * 4]
    expected = {}
    for b in bodies[:2]:
        status, doc, _ = B.call(srv.port, "POST", "/continue", b, token=srv.token)
        assert status == 200
        expected[b["options"]["seed"]] = doc["variants"]
    results = [None] * len(bodies)

    def go(i):
        results[i] = B.call(srv.port, "POST", "/continue", bodies[i], token=srv.token)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(bodies))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for b, (status, doc, _) in zip(bodies, results):
        assert status == 200 and doc["variants"] == expected[b["options"]["seed"]]
    assert expected[1] != expected[2]


def test_silent_client_times_out_and_others_are_served(srv, monkeypatch):
    from lstmfuse_bridge import server

    monkeypatch.setattr(server.Handler, "timeout", 1.0)
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.sendall(b"POST /continue HTTP/1.1\r\n")  # and then nothing
    _healthy(srv)  # served while the silent client waits
    s.settimeout(5)
    assert s.recv(100) == b""  # the server hung up on it
    s.close()


def test_a_slow_client_is_cut_off_at_the_requests_deadline(srv, monkeypatch):
    """The timeout is for the whole request, not for each read: a client sending a byte every
    0.3 s was never cut off (docs/bridge.md promised it would be)."""
    import time

    from lstmfuse_bridge import server

    monkeypatch.setattr(server.Handler, "timeout", 1.0)
    s = socket.create_connection(("127.0.0.1", srv.port))
    s.settimeout(0.05)
    started, closed_after = time.monotonic(), None
    for byte in b"POST /continue HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * 40:
        try:
            s.sendall(bytes([byte]))
            if s.recv(100) == b"":
                closed_after = time.monotonic() - started
                break
        except socket.timeout:
            pass
        except (BrokenPipeError, ConnectionResetError):
            closed_after = time.monotonic() - started
            break
        time.sleep(0.25)
    s.close()
    assert closed_after is not None and closed_after < 3.0, closed_after
    _healthy(srv)


# ------------------------------------------------------------------ fuzzing (1,000 requests)
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.floats(allow_nan=False), st.text(max_size=20))
json_value = st.recursive(json_leaf, lambda c: st.one_of(st.lists(c, max_size=5), st.dictionaries(st.text(max_size=10), c, max_size=5)), max_leaves=25)
FUZZ = settings(max_examples=250, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), database=None)


SERVED: list[int] = []  # 2xx answers seen by the fuzzers (the 2xx check must have had chances)


def _fuzz_ok(srv, status, doc, authorised: bool = True):
    """A clean answer; a 2xx only for a request that carried the server's own token."""
    assert authorised or not 200 <= status < 300, ("served without the token", status, doc)
    if 200 <= status < 300:
        SERVED.append(status)
    assert status in OK_STATUSES, (status, doc)
    assert isinstance(doc, dict) and doc.get("protocol") == 1
    if status != 200:
        assert doc["ok"] is False and doc["error"]["message"]


@FUZZ
@given(body=st.binary(max_size=2000), path=st.sampled_from(["/continue", "/fuse", "/regenerate", "/health", "/x"]))
def fuzz_raw_bodies(srv, body, path):
    status, doc, _ = B.call(srv.port, "POST", path, body, token=srv.token)
    _fuzz_ok(srv, status, doc)


@FUZZ
@given(doc=json_value)
def fuzz_json_documents(srv, doc):
    status, body, _ = B.call(srv.port, "POST", "/continue", json.dumps(doc).encode(), token=srv.token)
    _fuzz_ok(srv, status, body)


def _paths(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, prefix + (i,))


_TEMPLATE = _valid()
_ALL_PATHS = [p for p in _paths(_TEMPLATE) if p]


@FUZZ
@given(where=st.sampled_from(_ALL_PATHS), value=json_value, drop=st.booleans(), kind=st.sampled_from(["/continue", "/fuse"]))
def fuzz_mutated_requests(srv, where, value, drop, kind):
    doc = json.loads(json.dumps(_TEMPLATE))
    doc["options"]["genre"] = _genre()
    node = doc
    for k in where[:-1]:
        node = node[k]
    if drop and isinstance(node, dict):
        node.pop(where[-1], None)
    else:
        node[where[-1]] = value
    status, body, _ = B.call(srv.port, "POST", kind, doc, token=srv.token)
    _fuzz_ok(srv, status, body)


RIGHT_TOKEN = "<the server's own token>"  # drawn now and then, so that a 2xx can happen at all


@FUZZ
@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]),
       path=st.one_of(st.sampled_from(["health", "models", "continue", "fuse", "health?x=1"]),
                      st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=40)),
       token=st.one_of(st.none(), st.just(RIGHT_TOKEN), st.text(max_size=60).filter(lambda s: "\n" not in s and "\r" not in s)),
       host=st.sampled_from(["ok", "evil.example", "localhost", ""]))
def fuzz_methods_paths_headers(srv, method, path, token, host):
    headers = {}
    if host == "ok":
        pass
    elif host:
        headers["Host"] = host
    try:
        tok = token.encode("latin-1").decode("latin-1") if token is not None else None
    except UnicodeEncodeError:
        tok = None
    if token == RIGHT_TOKEN:
        tok = srv.token
    authorised = tok is not None and tok.strip(" \t") == srv.token and host == "ok"
    conn_path = "/" + path.lstrip("/")
    status, doc, raw = B.call(srv.port, method, conn_path, token=tok, headers=headers)
    if method == "HEAD":
        assert status in OK_STATUSES and not 200 <= status < 300
        return
    _fuzz_ok(srv, status, doc, authorised)


TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~!"


@FUZZ
@given(edit=st.sampled_from(["replace", "delete", "insert", "truncate", "append", "case"]), where=st.integers(0, 10**6),
       char=st.sampled_from(TOKEN_CHARS), route=st.sampled_from([("GET", "/health"), ("GET", "/models"), ("POST", "/continue"), ("POST", "/fuse"), ("POST", "/regenerate")]))
def fuzz_near_miss_tokens(srv, edit, where, char, route):
    """The real token with one edit is refused (401) on every route; never a 2xx."""
    t = srv.token
    i = where % len(t)
    near = {"replace": t[:i] + (char if char != t[i] else "~") + t[i + 1:], "delete": t[:i] + t[i + 1:],
            "insert": t[:i] + char + t[i:], "truncate": t[:i], "append": t + char,
            "case": t[:i] + t[i].swapcase() + t[i + 1:] if t[i].swapcase() != t[i] else t + char}[edit]
    assert near != t
    method, path = route
    body = json.dumps(_valid(_genre())).encode() if method == "POST" else None
    status, doc, _ = B.call(srv.port, method, path, body, token=near)
    _fuzz_ok(srv, status, doc, authorised=False)
    assert status == 401 and doc["error"]["code"] == "unauthorized", (near, status, doc)


def test_fuzz_1000_requests_then_still_healthy():
    """5 x 250 fuzzed requests against one server (its own, so the count is exact); every
    answer is a clean JSON refusal or a real answer (a 2xx only with the server's own token),
    no internal error, /health still answers."""
    s = B.InProcessBridge()
    try:
        before = s.server.counts["requests"]
        for prop in (fuzz_raw_bodies, fuzz_json_documents, fuzz_mutated_requests, fuzz_methods_paths_headers, fuzz_near_miss_tokens):
            prop(s)
        status, doc, _ = B.call(s.port, "GET", "/health", token=s.token)
        assert status == 200
        assert doc["counts"]["errors"] == 0
        assert len(SERVED) >= 5  # real answers happened among the fuzzed requests (7 with these settings)
        assert doc["counts"]["requests"] - before >= 1000
    finally:
        s.stop()


# ------------------------------------------------------------------ files and the CLI
def test_token_file_is_private_and_stable(tmp_path, monkeypatch):
    from lstmfuse_bridge import control

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    t1 = control.load_or_create_token()
    p = control.token_path()
    assert stat.S_IMODE(p.stat().st_mode) == 0o600
    assert stat.S_IMODE(p.parent.stat().st_mode) == 0o700
    assert len(t1) >= 40 and control.load_or_create_token() == t1
    os.chmod(p, 0o644)
    assert control.load_or_create_token() == t1 and stat.S_IMODE(p.stat().st_mode) == 0o600


def test_cli_background_status_stop(tmp_path):
    env = B.isolated_env(tmp_path)
    port = B.free_port()
    lf = [sys.executable, "-m", "lstmfuse", "bridge"]
    run = lambda *a: subprocess.run(lf + list(a), env=env, capture_output=True, text=True, timeout=180)  # noqa: E731
    out = run("--status")
    assert out.returncode == 1 and "not running" in out.stdout
    out = run("--background", "--port", str(port))
    assert out.returncode == 0, out.stderr
    assert f"port {port}" in out.stdout
    folder = B.state_folder(tmp_path)
    assert stat.S_IMODE((folder / "bridge-token").stat().st_mode) == 0o600
    info = json.loads((folder / "bridge.json").read_text())
    assert info["port"] == port and (folder / "bridge.pid").read_text().strip() == str(info["pid"])
    out = run("--status")
    assert out.returncode == 0 and f"127.0.0.1:{port}" in out.stdout
    out2 = run("--background", "--port", str(port))  # already running: says so, starts no second one
    assert out2.returncode == 0 and str(info["pid"]) in out2.stdout
    out = run("--stop")
    assert out.returncode == 0 and f"stopped (pid {info['pid']})" in out.stdout
    assert not (folder / "bridge.json").exists() and not (folder / "bridge.pid").exists()
    assert "listening on 127.0.0.1" in (folder / "bridge.log").read_text()
    out = run("--stop")
    assert "not running" in out.stdout


def test_a_refused_post_closes_its_connection_so_its_body_is_not_read_as_a_request(srv):
    """POST /nope with a body was answered 404 without reading the body, on a kept-alive
    connection: the body was then parsed as the next request line (a 400 for a request the
    client never sent), and what the client sent next went astray."""
    h = f"Host: 127.0.0.1:{srv.port}\r\nX-Lstmfuse-Token: {srv.token}\r\nContent-Type: application/json\r\n"
    body = json.dumps(_valid()).encode()
    request = f"POST /nope HTTP/1.1\r\n{h}Content-Length: {len(body)}\r\n\r\n".encode() + body
    raw = _raw(srv.port, request + f"GET /health HTTP/1.1\r\n{h}\r\n".encode())
    assert raw.count(b"HTTP/1.1 ") == 1 and raw.startswith(b"HTTP/1.1 404") and b"Connection: close" in raw, raw[:300]
    _healthy(srv)


def test_control_characters_in_a_request_line_are_escaped_in_the_log(srv, caplog):
    """A request line may hold anything: an escape sequence written to bridge.log as it came
    would recolour or clear the terminal of whoever reads the log."""
    import logging

    with caplog.at_level(logging.INFO):
        _raw(srv.port, f"GET /\x1b[2J\x1b[31mFAKE\rERROR HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\n\r\n".encode())
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "FAKE" in logged and "\\x1b[2J" in logged and "\x1b" not in logged and "\r" not in logged
    _healthy(srv)
