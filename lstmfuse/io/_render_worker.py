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

#: SMuFL characters verovio sets in text (a chord symbol's accidentals are the figured-bass
#: ones, U+EA63-EA67) with the Unicode character a system font has for each
_FLAT, _NATURAL, _SHARP, _DOUBLE_SHARP, _DOUBLE_FLAT = "\u266d", "\u266e", "\u266f", "\U0001d12a", "\U0001d12b"
_SMUFL_IN_TEXT = {
    "\ue260": _FLAT, "\ue261": _NATURAL, "\ue262": _SHARP, "\ue263": _DOUBLE_SHARP, "\ue264": _DOUBLE_FLAT,  # accidentals
    "\uea63": _DOUBLE_FLAT, "\uea64": _FLAT, "\uea65": _NATURAL, "\uea66": _SHARP, "\uea67": _DOUBLE_SHARP,  # figured bass
    "\ued60": _FLAT, "\ued61": _NATURAL, "\ued62": _SHARP, "\ued63": _DOUBLE_SHARP, "\ued64": _DOUBLE_FLAT,  # chord symbols
    "\ue870": "\u00b0", "\ue871": "\u00f8", "\ue872": "+", "\ue873": "\u2206",
}
_SMUFL_TSPAN = re.compile(r'<tspan font-family="(?:Leipzig|Bravura|Leland|Petaluma|Gootville)" font-size="(\d+(?:\.\d+)?)px">([^<]*)</tspan>')
#: a music-font glyph in text is set this much larger than the text around it
_SMUFL_TEXT_SCALE = 720 / 405


def for_cairo(svg: str) -> str:
    """The SVG with the music font's characters in text (a chord symbol's flat) given as the
    Unicode ones a system font has: verovio embeds its music font as a web font, which a
    browser reads and cairosvg does not, so "Bb" came out of a PNG as "B" and a box."""
    def plain(match: re.Match) -> str:
        if not match.group(2) or any(ch not in _SMUFL_IN_TEXT for ch in match.group(2)):
            return match.group(0)  # a glyph no text font has: as it was
        text = "".join(_SMUFL_IN_TEXT[ch] for ch in match.group(2))
        size = float(match.group(1)) / _SMUFL_TEXT_SCALE
        return f'<tspan font-family="DejaVu Sans, FreeSerif, serif" font-size="{size:.0f}px">{text}</tspan>'

    return _SMUFL_TSPAN.sub(plain, svg)


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
            cairosvg.svg2png(bytestring=for_cairo(svg).encode("utf-8"), write_to=out, background_color="white")
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
