"""Click-to-notes time in a real MuseScore 3 window: from the real click on the plugin's
Continue button (xdotool, under Xvfb) to the status line that follows the write (the notes are
in the score), and to the first status line ("Continuing with ...", the first visible sign of
work); and from the click on Preview variants to the status saying the picture of all
variants is shown. The Irish tune from examples/, whole score selected, 4 bars asked; each run is undone
(Ctrl+Z in the dialog) so every run continues the same passage.

    .venv/bin/python bench/bench_gui_click.py --runs 10

Needs musescore3, Xvfb, xdotool, openbox, imagemagick (as the GUI tests).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

import bridge_support as B  # noqa: E402
import gui_support as G  # noqa: E402

EMPTY_CANVAS = (1200, 850)
DIALOG_BLANK = (250, 575)
CONTINUE_BUTTON = (57, 301)
VARIANTS_FIELD = (220, 243)
PREVIEW_BUTTON = (253, 338)


def wait_new(ms: G.MuseScore, n: int, pattern: str, timeout: float = 60) -> float:
    import re

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for s in ms.statuses()[n:]:
            if re.search(pattern, s):
                return time.perf_counter()
        time.sleep(0.005)
    raise RuntimeError(f"no status /{pattern}/: {ms.statuses()[n:]}")


def run_preview(d: G.Display, ms: G.MuseScore, wid: str, variants: int, runs: int) -> dict:
    """Click on Preview variants to the status saying the picture of all variants is shown."""
    d.click(*VARIANTS_FIELD, window=wid)
    d.key("ctrl+a")
    d.type(str(variants))
    first, done = [], []
    for _ in range(runs):
        d.click(*EMPTY_CANVAS)
        d.key("ctrl+a")
        d.click(*DIALOG_BLANK, window=wid)
        d.xdotool("mousemove", "--window", wid, str(PREVIEW_BUTTON[0]), str(PREVIEW_BUTTON[1]))
        time.sleep(0.3)
        n = len(ms.statuses())
        t0 = time.perf_counter()
        d.xdotool("click", "1")
        t_first = wait_new(ms, n, r"^Engraving ")
        t_done = wait_new(ms, n, r"engraved in .* nothing written yet", timeout=120)
        first.append((t_first - t0) * 1000)
        done.append((t_done - t0) * 1000)
    return {"variants": variants, "first_ms": first, "done_ms": done}


def run_case(d: G.Display, ms: G.MuseScore, wid: str, variants: int, runs: int) -> dict:
    d.click(*VARIANTS_FIELD, window=wid)
    d.key("ctrl+a")
    d.type(str(variants))
    first, done = [], []
    for _ in range(runs):
        d.click(*EMPTY_CANVAS)
        d.key("ctrl+a")
        d.click(*DIALOG_BLANK, window=wid)
        d.xdotool("mousemove", "--window", wid, str(CONTINUE_BUTTON[0]), str(CONTINUE_BUTTON[1]))
        time.sleep(0.3)
        n = len(ms.statuses())
        t0 = time.perf_counter()
        d.xdotool("click", "1")
        t_first = wait_new(ms, n, r"^Continuing with ")
        t_done = wait_new(ms, n, r"^wrote ")
        first.append((t_first - t0) * 1000)
        done.append((t_done - t0) * 1000)
        m = len(ms.statuses())
        d.click(*DIALOG_BLANK, window=wid)
        d.key("ctrl+z")
        wait_new(ms, m, r"^Undone")
    return {"variants": variants, "first_ms": first, "done_ms": done}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    home = Path(tempfile.mkdtemp(prefix="lstmfuse-gui-bench-"))
    G.prepare_musescore3_home(home)
    score = home / "work.mscx"
    B.convert(home, REPO / "examples" / "oneills-0001.musicxml", score)
    bridge = B.BridgeProcess(home)
    d = G.Display(home)
    ms = G.MuseScore(d, home, score)
    try:
        d.wait_window(r"^MuseScore 3: work", timeout=120)
        time.sleep(3)
        d.click(*EMPTY_CANVAS)
        d.key("ctrl+a")
        d.key("alt+p", pause=0.8)
        d.key("Up", "Return")
        wid = d.wait_window(r"^lstmfuse$", timeout=30)
        ms.wait_status(r"Bridge ready", timeout=30)
        for variants, fn, what in ((1, run_case, "written"), (8, run_case, "first written"), (8, run_preview, "preview shown")):
            r = fn(d, ms, wid, variants, args.runs)
            print(f"4 bars, {variants} variant(s), {what}, {args.runs} runs: first status median {statistics.median(r['first_ms']):.0f} ms "
                  f"(min {min(r['first_ms']):.0f}, max {max(r['first_ms']):.0f}); done median "
                  f"{statistics.median(r['done_ms']):.0f} ms (min {min(r['done_ms']):.0f}, max {max(r['done_ms']):.0f})", flush=True)
    finally:
        ms.close()
        d.close()
        bridge.stop()
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
