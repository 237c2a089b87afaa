"""The token is required on every route and for every method: a table, request by request.

Every (method, path) pair is sent with no token, an empty one, a wrong one of the right
length and near misses of the real one (a prefix, one character more, another case), and
must be refused with the status the table names; no such request may ever get a 2xx. Then
the same pairs with the real token get what the protocol promises. The routes in the table
are the ones bridge/PROTOCOL.md documents (a new documented route needs a row here).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import bridge_support as B

METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE"]
ROUTES = {("GET", "/health"), ("GET", "/models"), ("POST", "/continue"), ("POST", "/fuse"), ("POST", "/regenerate")}
PATHS = ["/health", "/models", "/continue", "/fuse", "/regenerate", "/", "/nope", "/health?x=1", "/continue?", "/health/", "//health", "/HEALTH"]

#: the answer to every request without the right token, by method: GET and POST are
#: refused for the token (401) before the path is even looked at; OPTIONS (CORS preflight)
#: and the methods the bridge has no use for are refused for the method.
WITHOUT_TOKEN = {"GET": 401, "POST": 401, "PUT": 405, "DELETE": 405, "PATCH": 405, "OPTIONS": 403, "HEAD": 405, "TRACE": 405}


def _with_token(method: str, path: str) -> int:
    """The answer with the right token (and, for POST, a valid request)."""
    if method not in ("GET", "POST"):
        return WITHOUT_TOKEN[method]
    route = "/" + path.split("?", 1)[0].lstrip("/")  # the stdlib parser folds a leading "//" into "/"
    return 200 if (method, route) in ROUTES else 404


def _body(path: str, genre: str) -> dict:
    options = {"weights": {genre: 1.0}} if path.startswith("/fuse") else {"genre": genre}
    if path.startswith("/regenerate"):  # bar 2 of 3, between two bars of context
        events = [{"rest": False, "pitch": p, "duration": "1/4"} for p in (60, 62, 64, 65, 67, 65, 64, 62, 60, 64, 67, 72)]
        return {"protocol": 1,
                "selection": {"start_tick": 0, "bar_pos": "0", "meter": "4/4", "key": {"fifths": 0}, "events": events},
                "gap": {"start_tick": 1920, "end_tick": 3840}, "options": {**options, "seed": 1}}
    return {"protocol": 1,
            "selection": {"start_tick": 0, "bar_pos": "0", "meter": "4/4", "key": {"fifths": 0},
                          "events": [{"rest": False, "pitch": 60, "duration": "1/4"}, {"rest": False, "pitch": 64, "duration": "1/4"}]},
            "options": {**options, "bars": 1, "seed": 1}}


def _genre() -> str:
    from lstmfuse.models.registry import genre_names

    names = genre_names()
    assert names, "no installed genre model"
    return names[0]


@pytest.fixture(scope="module")
def srv():
    s = B.InProcessBridge()
    yield s
    s.stop()


def _bad_tokens(token: str) -> dict[str, str | None]:
    return {"none": None, "empty": "", "wrong": "x" * len(token), "prefix": token[:-1], "longer": token + "A",
            "other case": token.swapcase() if token.swapcase() != token else token[:-1] + "!",
            "two tokens": f"{token}, {token}"}  # (" " + token is the token itself: HTTP strips that space)


def test_routes_are_the_documented_ones():
    doc = (Path(B.REPO) / "bridge" / "PROTOCOL.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `(GET|POST|PUT|DELETE|PATCH) (/[a-z_/-]*)` \|", doc, flags=re.M))
    assert documented == ROUTES


def test_no_request_without_the_token_is_served(srv):
    genre = _genre()
    table = []
    for method in METHODS:
        for path in PATHS:
            for name, token in _bad_tokens(srv.token).items():
                body = _body(path, genre) if method == "POST" else None
                status, doc, _ = B.call(srv.port, method, path, body, token=token)
                table.append((method, path, name, status))
                assert not 200 <= status < 300, (method, path, name, status, doc)
                assert status == WITHOUT_TOKEN[method], (method, path, name, status, doc)
                if method == "HEAD":
                    continue
                assert doc["ok"] is False and doc["protocol"] == 1
                if status == 401:
                    assert doc["error"]["code"] == "unauthorized" and doc["error"]["field"] == "X-Lstmfuse-Token"
    assert len(table) == len(METHODS) * len(PATHS) * 7
    assert srv.server.counts["errors"] == 0


def test_the_right_token_gets_what_the_protocol_promises(srv):
    genre = _genre()
    for method in METHODS:
        for path in PATHS:
            body = _body(path, genre) if method == "POST" else None
            status, doc, _ = B.call(srv.port, method, path, body, token=srv.token)
            assert status == _with_token(method, path), (method, path, status, doc)
            if method == "HEAD":
                continue
            assert doc["ok"] is (status == 200), (method, path, doc)
            if status == 200 and method == "POST":
                assert len(doc["variants"]) == 1
    assert srv.server.counts["errors"] == 0
