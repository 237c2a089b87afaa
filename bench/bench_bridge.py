"""Bridge round-trip latency: what the MuseScore plugin waits for.

Starts a real bridge process (``python -m lstmfuse_bridge``, installed models, its own state
folder in a temp HOME) on a free port and measures, from a client on the same machine, the
wall time of complete HTTP round trips (connect, send JSON, generate, notate, answer):

* a 4-bar continuation of a 2-bar 4/4 passage with one genre model (sequential);
* a 3-genre fusion, 4 bars (POST /fuse), when the fusion model is installed (else says so);
* the 4-bar continuation from 8 concurrent clients (each its own connection per request).

Every request uses a different seed. Prints a Markdown table (p50/p95 ms, throughput).

    .venv/bin/python bench/bench_bridge.py [--runs 40] [--concurrent 8] [--per-client 10]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PASSAGE = [(72, "1/4"), (74, "1/8"), (76, "1/8"), (77, "1/4"), (76, "1/4"), (74, "3/8"), (72, "1/8"), (71, "1/4"), (None, "1/4")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request_body(seed: int, genre: str | None = None, weights: dict | None = None) -> dict:
    events = [{"rest": True, "duration": d} if p is None else {"rest": False, "pitch": p, "duration": d} for p, d in PASSAGE]
    options = {"bars": 4, "seed": seed}
    if genre:
        options["genre"] = genre
    else:
        options["weights"] = weights
    return {"protocol": 1, "client": {"name": "bench", "tuplets": True},
            "selection": {"start_tick": 0, "bar_pos": "0", "meter": "4/4", "key": {"fifths": 0, "mode": "major"}, "events": events},
            "options": options}


def call(port: int, token: str, path: str, body: dict | None = None) -> tuple[int, dict, float]:
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    data = json.dumps(body).encode() if body is not None else None
    headers = {"X-Lstmfuse-Token": token}
    if data is not None:
        headers["Content-Type"] = "application/json"
    conn.request("POST" if body is not None else "GET", path, body=data, headers=headers)
    r = conn.getresponse()
    doc = json.loads(r.read())
    conn.close()
    return r.status, doc, time.perf_counter() - t0


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    k = max(0, min(len(xs) - 1, round(q * (len(xs) - 1))))
    return xs[k]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--concurrent", type=int, default=8)
    ap.add_argument("--per-client", type=int, default=10)
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-bridge-"))
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_STATE_HOME", "XDG_DATA_HOME", "LSTMFUSE_MODELS")}
    env["HOME"] = str(home)
    port = free_port()
    t_start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "lstmfuse_bridge", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state = home / ".local" / "state" / "lstmfuse"
    try:
        while not (state / "bridge.json").exists():
            if proc.poll() is not None:
                sys.exit("the bridge did not start")
            time.sleep(0.05)
        startup = time.perf_counter() - t_start
        token = (state / "bridge-token").read_text().strip()
        _, models, _ = call(port, token, "/models")
        genres = models["genres"]
        genre = "folk" if "folk" in genres else genres[0]
        rows = []
        notes: list[str] = []

        def sequential(label, make):
            call(port, token, *make(10_000))  # warm-up
            lat, server, redraws = [], [], 0
            for i in range(args.runs):
                status, doc, dt = call(port, token, *make(i))
                assert status == 200, doc
                lat.append(dt)
                server.append(doc["seconds"])
                redraws += sum(v["resampled"] for v in doc["variants"])
            rows.append((label, args.runs, 1, pct(lat, 0.5), pct(lat, 0.95), args.runs / sum(lat)))
            notes.append(f"{label}: server-side generation p50 {pct(server, 0.5) * 1000:.1f} ms, p95 {pct(server, 0.95) * 1000:.1f} ms; "
                         f"{redraws} redraw(s) in {args.runs} requests (unwritable draws, see PROTOCOL.md).")

        sequential(f"continue 4 bars ({genre})", lambda i: ("/continue", request_body(i, genre=genre)))
        fusion_note = ""
        if models["fusion"] and len(genres) >= 3:
            w = {g: 1.0 for g in genres[:3]}
            sequential(f"fuse 4 bars ({', '.join(w)})", lambda i: ("/fuse", request_body(i, weights=w)))
        else:
            fusion_note = f"3-genre fusion: not measured, the fusion model is not installed (installed: {', '.join(genres)})."

        lat: list[float] = []
        lock = threading.Lock()

        def client(c):
            for j in range(args.per_client):
                status, doc, dt = call(port, token, "/continue", request_body(1000 * c + j, genre=genre))
                assert status == 200, doc
                with lock:
                    lat.append(dt)

        threads = [threading.Thread(target=client, args=(c,)) for c in range(args.concurrent)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
        n = args.concurrent * args.per_client
        rows.append((f"continue 4 bars ({genre}), {args.concurrent} concurrent clients", n, args.concurrent, pct(lat, 0.5), pct(lat, 0.95), n / wall))
    finally:
        proc.terminate()
        proc.wait(15)
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"load average at the end {os.getloadavg()[0]:.1f}; bridge start to listening (models loaded): {startup:.2f} s\n")
    print("| request | requests | clients | p50 ms | p95 ms | requests/s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label, n, c, p50, p95, rps in rows:
        print(f"| {label} | {n} | {c} | {p50 * 1000:.1f} | {p95 * 1000:.1f} | {rps:.1f} |")
    print()
    for n in notes:
        print(f"- {n}")
    if fusion_note:
        print(f"- {fusion_note}")


if __name__ == "__main__":
    main()
