"""Verovio, run in its own process by :mod:`lstmfuse.io.render`.

Verovio is C++; on some inputs it segfaults or aborts, which would take the whole
interpreter down. So the parent starts this file as a separate Python process
(``python _render_worker.py`` by path: it imports nothing from lstmfuse), sends one JSON
request on stdin, and reads one JSON reply on stdout:

request: {"input": path, "input_from": "humdrum"|"musicxml"|..., "pages": [1, 2] or [-1] (last) or null,
          "png": bool, "out_dir": folder, "options": {...verovio options...}}
reply:   {"page_count": N, "written": [[page, file, notes], ...]}   exit 0
         (notes: how many engraved notes the page's SVG holds)
         {"error": "one line", "kind": "render" | "page"}     exit 3

A crash shows up in the parent as a negative return code (the signal).
"""

from __future__ import annotations

import json
import os
import re
import sys

_NOTE = re.compile(r'class="note[ "]')


def _fail(message: str, kind: str = "render") -> None:
    sys.stdout.write(json.dumps({"error": " ".join(message.split()), "kind": kind}))
    sys.stdout.flush()
    sys.exit(3)


def main() -> None:
    req = json.loads(sys.stdin.read())
    import verovio

    verovio.enableLog(False)
    tk = verovio.toolkit()
    options = {"inputFrom": req["input_from"]}
    options.update(req.get("options") or {})
    tk.setOptions(options)
    with open(req["input"], encoding="utf-8", errors="replace") as fh:
        data = fh.read()
    if not tk.loadData(data):
        _fail(f"verovio could not load the {req['input_from']} input")
    count = tk.getPageCount()
    if count < 1:
        _fail("verovio laid out no pages")
    pages = req.get("pages") or list(range(1, count + 1))
    pages = [count + 1 + p if p < 0 else p for p in pages]  # -1: the last page
    for page in pages:
        if not 1 <= page <= count:
            _fail(f"there is no page {page} (the score has {count} page{'s' if count != 1 else ''})", "page")
    written = []
    for page in pages:
        svg = tk.renderToSVG(page)
        if "<svg" not in svg:
            _fail(f"verovio produced no SVG for page {page}")
        if req.get("png"):
            import cairosvg

            out = os.path.join(req["out_dir"], f"page-{page}.png")
            cairosvg.svg2png(bytestring=svg.encode("utf-8"), write_to=out, background_color="white")
        else:
            out = os.path.join(req["out_dir"], f"page-{page}.svg")
            with open(out, "w", encoding="utf-8") as fh:
                fh.write(svg)
        written.append([page, out, len(_NOTE.findall(svg))])
    sys.stdout.write(json.dumps({"page_count": count, "written": written}))
    sys.stdout.flush()


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except Exception as exc:  # a Python-level failure: report it as one line
        _fail(f"{type(exc).__name__}: {exc}")
