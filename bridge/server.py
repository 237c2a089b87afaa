"""The HTTP+JSON server (stdlib ThreadingHTTPServer) on 127.0.0.1 only.

Every request passes, in order: the Host check (127.0.0.1:PORT or localhost:PORT only, against
DNS rebinding), the Origin check (no browser page may call us), the method check (no CORS
preflight: OPTIONS is refused), the token check (header ``X-Lstmfuse-Token``, compared in
constant time), a body cap (``MAX_BODY`` bytes, Content-Length required), a socket timeout,
JSON parsing, schema validation and the semantic checks. Any failure answers JSON naming the
field; an unexpected exception is logged with its traceback and answered 500; the server
thread never dies from a request.
"""

from __future__ import annotations

import hmac
import io
import json
import logging
import os
import socket
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from . import PROTOCOL_VERSION
from .protocol import ProtocolError, parse_request

log = logging.getLogger("lstmfuse.bridge")

MAX_BODY = 1 << 20  # 1 MiB
READ_TIMEOUT = 10.0  # seconds for a client to send its request
GENERATION_TIMEOUT = 60.0  # seconds a generation may take before it is refused
MAX_CONCURRENT = 4  # generations at once; more wait up to QUEUE_WAIT seconds
QUEUE_WAIT = 30.0
TOKEN_HEADER = "X-Lstmfuse-Token"


def _version() -> str:
    try:
        from lstmfuse import __version__

        return __version__
    except Exception:  # pragma: no cover
        return "unknown"


class BridgeServer(ThreadingHTTPServer):
    daemon_threads = True
    # SO_REUSEADDR: a bridge restarted right after ``lstmfuse bridge --stop`` can bind its port
    # at once instead of failing with "Address already in use" while the old socket sits in
    # TIME_WAIT. (On Linux this does not let two live servers share a port.)
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, port: int, token: str, *, generation_timeout: float = GENERATION_TIMEOUT):
        self.token = token
        self.started = time.time()
        self.generation_timeout = generation_timeout
        self.slots = threading.BoundedSemaphore(MAX_CONCURRENT)
        self.counts = {"requests": 0, "refused": 0, "errors": 0}
        self._lock = threading.Lock()
        super().__init__(("127.0.0.1", port), Handler)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def count(self, key: str) -> None:
        with self._lock:
            self.counts[key] += 1

    def handle_error(self, request, client_address) -> None:  # never print to stderr, never die
        log.error("unhandled error from %s:\n%s", client_address, traceback.format_exc())


#: every C0 control character and DEL as a \xNN escape (as http.server escapes them)
_CONTROL_ESCAPES = {c: rf"\x{c:02x}" for c in (*range(0x20), 0x7F)}

class _RequestDeadline(io.RawIOBase):
    """The connection read with READ_TIMEOUT for a whole request (its line, headers and body),
    not for each read: a client sending a byte every 2 s was never cut off (40 such kept 40
    threads for as long as they liked). Every receive gets what is left of the request's time;
    the clock starts at its first byte wait and stops when its answer is sent (``done``)."""

    def __init__(self, connection, seconds: float):
        super().__init__()
        self._connection, self._seconds = connection, seconds
        self._deadline: float | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        now = time.monotonic()
        if self._deadline is None:
            self._deadline = now + self._seconds
        left = self._deadline - now
        if left <= 0:
            raise socket.timeout("the request took longer than READ_TIMEOUT")
        self._connection.settimeout(left)
        return self._connection.recv_into(buffer)

    def done(self) -> None:
        self._deadline = None
        self._connection.settimeout(self._seconds)


class Handler(BaseHTTPRequestHandler):
    server: BridgeServer
    protocol_version = "HTTP/1.1"
    timeout = READ_TIMEOUT
    server_version = "lstmfuse-bridge"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        self._reading = _RequestDeadline(self.connection, self.timeout)
        self.rfile = io.BufferedReader(self._reading)

    # --- plumbing -------------------------------------------------------------------------
    def log_message(self, fmt: str, *args: Any) -> None:
        # control characters escaped (as the standard library's own log_message does): a request
        # line may hold anything, and an escape sequence must not reach a terminal or the log
        log.info("%s %s", self.client_address[0], (fmt % args).translate(_CONTROL_ESCAPES))

    def _send(self, status: int, body: dict, *, close: bool = False) -> None:
        data = json.dumps(body, separators=(",", ":")).encode()
        self._reading.done()  # the request is read: the answer is written under the plain timeout
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            if close:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError, socket.timeout, OSError):
            self.close_connection = True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors found by the stdlib parser (bad request line, huge headers) as JSON too."""
        self.close_connection = True
        text = message or self.responses.get(code, ("error",))[0]
        self.server.count("refused")
        self._send(code, ProtocolError(text, "(request)", code="bad_request", status=code).to_json(), close=True)

    def _error(self, err: ProtocolError, *, close: bool = False) -> None:
        self.server.count("refused")
        log.info("refused %s %s: %s (%s)", self.command, self.path, err.message, err.field)
        self._send(err.status, err.to_json(), close=close)

    def _guard(self) -> bool:
        """Host, Origin and token checks; True when the request may go on."""
        host = self.headers.get("Host")
        port = self.server.port
        if host not in (f"127.0.0.1:{port}", f"localhost:{port}"):
            self._error(ProtocolError(f"Host header must be 127.0.0.1:{port} or localhost:{port}", "Host", code="bad_host", status=421), close=True)
            return False
        origin = self.headers.get("Origin")
        if origin is not None:
            self._error(ProtocolError("requests from web pages are not allowed", "Origin", code="forbidden_origin", status=403), close=True)
            return False
        if self.headers.get("Sec-Fetch-Site") or self.headers.get("Sec-Fetch-Mode"):
            self._error(ProtocolError("requests from browsers are not allowed", "Sec-Fetch-Site", code="forbidden_origin", status=403), close=True)
            return False
        got = self.headers.get(TOKEN_HEADER)
        if got is None:
            self._error(ProtocolError(f"missing {TOKEN_HEADER} header (the plugin reads the token from the bridge's state folder)", TOKEN_HEADER, code="unauthorized", status=401), close=True)
            return False
        if not hmac.compare_digest(got.encode("utf-8", "replace"), self.server.token.encode()):
            self._error(ProtocolError("wrong token: restart the plugin so it reads the current token", TOKEN_HEADER, code="unauthorized", status=401), close=True)
            return False
        return True

    def _read_json(self) -> Any:
        if self.headers.get("Transfer-Encoding"):
            raise ProtocolError("chunked bodies are not accepted: send Content-Length", "Transfer-Encoding", code="length_required", status=411)
        given = self.headers.get_all("Content-Length") or []
        if not given:
            raise ProtocolError("Content-Length is required", "Content-Length", code="length_required", status=411)
        if len(given) > 1:  # which one frames the body? (request smuggling's classic)
            raise ProtocolError("Content-Length is given more than once", "Content-Length", code="bad_request")
        raw = given[0].strip()
        if not raw.isascii() or not raw.isdigit():  # int() would take '+5', '1_0', and '-5' is no length
            raise ProtocolError("Content-Length is not a whole number of bytes", "Content-Length", code="bad_request")
        length = int(raw)
        if length > MAX_BODY:
            raise ProtocolError(f"body of {length} bytes is over the {MAX_BODY}-byte limit", "Content-Length", code="too_large", status=413)
        data = self.rfile.read(length)
        self._body_read = True
        if len(data) != length:
            raise ProtocolError("body shorter than Content-Length", "Content-Length", code="bad_request")
        ctype = (self.headers.get("Content-Type") or "application/json").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise ProtocolError("Content-Type must be application/json", "Content-Type", code="bad_request", status=415)
        try:
            return json.loads(data.decode("utf-8"), parse_constant=_no_constant)
        except (UnicodeDecodeError, ValueError, RecursionError) as err:
            raise ProtocolError(f"malformed JSON: {err}", "(body)", code="malformed_json") from None

    # --- methods --------------------------------------------------------------------------
    def do_OPTIONS(self) -> None:  # CORS preflight: never
        self.server.count("requests")
        self._error(ProtocolError("CORS preflight is refused: this server is for the MuseScore plugin only", "method", code="forbidden_method", status=403), close=True)

    def _unsupported(self) -> None:
        self.server.count("requests")
        self._error(ProtocolError(f"method {self.command} is not allowed", "method", code="method_not_allowed", status=405), close=True)

    do_PUT = do_DELETE = do_PATCH = do_HEAD = do_TRACE = do_CONNECT = _unsupported

    def do_GET(self) -> None:
        self.server.count("requests")
        self._safely(self._get)

    def do_POST(self) -> None:
        self.server.count("requests")
        self._body_read = False
        self._safely(self._post)

    def _safely(self, fn) -> None:
        try:
            fn()
        except ProtocolError as err:
            # a POST refused before its body was read (an unknown endpoint, a bad token): the
            # body is still on the connection and would be read as the next request line
            unread = self.command == "POST" and not getattr(self, "_body_read", False)
            self._error(err, close=unread or err.status in (411, 413) or err.code in ("bad_request", "malformed_json"))
        except Exception:
            self.server.count("errors")
            log.error("internal error on %s %s:\n%s", self.command, self.path, traceback.format_exc())
            self._send(500, ProtocolError("internal error in the bridge (see its log)", None, code="internal", status=500).to_json(), close=True)

    def _get(self) -> None:
        if not self._guard():
            return
        path = self.path.split("?", 1)[0]
        if path == "/health":
            self._send(200, {
                "protocol": PROTOCOL_VERSION, "ok": True, "service": "lstmfuse-bridge", "version": _version(),
                "pid": os.getpid(), "port": self.server.port, "uptime": round(time.time() - self.server.started, 1),
                "counts": dict(self.server.counts),
            })
        elif path == "/models":
            from .service import models_summary

            self._send(200, models_summary())
        else:
            raise ProtocolError(f"no such endpoint: GET {path} (try /health or /models)", "path", code="not_found", status=404)

    def _post(self) -> None:
        if not self._guard():
            return
        path = self.path.split("?", 1)[0]
        if path not in ("/continue", "/fuse", "/regenerate"):
            raise ProtocolError(f"no such endpoint: POST {path} (try /continue, /fuse or /regenerate)", "path", code="not_found", status=404)
        doc = self._read_json()
        req = parse_request(doc, path[1:])
        if not self.server.slots.acquire(timeout=QUEUE_WAIT):
            raise ProtocolError("the bridge is busy; try again in a moment", None, code="busy", status=503)
        try:
            from .service import answer

            deadline = time.monotonic() + self.server.generation_timeout
            body = answer(req, deadline=deadline)
        finally:
            self.server.slots.release()
        what = f"ticks {req.gap[0]}-{req.gap[1]}" if req.gap else f"{req.options['bars']} bars"
        log.info("%s: %d variant(s), %s, %.3f s", path, len(body["variants"]), what, body["seconds"])
        self._send(200, body)


def _no_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")
