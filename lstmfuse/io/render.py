"""Engrave a score to SVG or PNG with verovio, safely.

Verovio runs in a child process (:mod:`lstmfuse.io._render_worker`): it segfaults or
aborts on some inputs, and the parent must survive that and say so in one line.

Routes, by input format:

* **kern** is fed to verovio as it is (after the spine check, which names the bad line);
* **MusicXML** (.musicxml/.xml, or the score inside an .mxl) is fed as it is, using
  verovio's own MusicXML importer; if verovio fails, crashes, or engraves none of the
  notes, the score is converted to kern with :func:`lstmfuse.io.save` in a temporary
  folder and that is rendered instead;
* **ABC and MIDI** are converted to kern first (MusicXML if the kern writer refuses).

Pages: with ``page=N`` only page N is written, to ``output``. Otherwise every page is:
``out.svg`` alone when the score fits on one page, else ``out.svg`` (page 1),
``out-2.svg``, ``out-3.svg``... All files are written atomically and never overwrite an
existing file without ``force``; on failure nothing is left behind.
"""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import LstmfuseError, ScoreReadError, ScoreWriteError, UsageError
from . import musicxml
from .atomic import check_writable, write_bytes_atomic
from .conversion import convert_file
from .formats import detect_format
from .humdrum_check import check_humdrum_text
from .reader import read_text
from .tidy import unescape_humdrum_source

WORKER = Path(__file__).resolve().with_name("_render_worker.py")

#: verovio options for every render: pages as tall as their music, no "Engraved by" footer
VEROVIO_OPTIONS = {"adjustPageHeight": True, "footer": "none", "breaks": "auto"}

DEFAULT_TIMEOUT_S = 300.0

#: ``page=LAST_PAGE`` engraves only the last page: where continued bars are on a long score
LAST_PAGE = -1


class RenderError(LstmfuseError):
    """Verovio failed, crashed or timed out on a score."""


class NoSuchPageError(UsageError):
    """--page asks for a page the engraved score does not have (not a verovio failure)."""


@dataclass
class RenderResult:
    files: list[Path]
    page_count: int
    route: str  # e.g. "kern", "musicxml", "musicxml -> kern (fallback)", "abc -> kern"
    notes: int = 0
    notes_expected: int | None = None
    attempts: list[str] = field(default_factory=list)


def page_targets(output: Path, pages: list[int], single_page_request: bool) -> list[Path]:
    """Where each rendered page goes: ``out.svg``, then ``out-2.svg``, ``out-3.svg``..."""
    if single_page_request or len(pages) == 1:
        return [output]
    return [output if p == 1 else output.with_name(f"{output.stem}-{p}{output.suffix}") for p in pages]


def _die_with_parent() -> None:
    """In the worker, before verovio starts: ask Linux to kill it when the parent dies, so
    a killed ``lstmfuse render`` (an outer ``timeout``, a closed terminal) leaves no verovio
    running or defunct behind. Elsewhere, a no-op."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


@contextlib.contextmanager
def _stop_on_sigterm() -> Iterator[None]:
    """While verovio runs, turn SIGTERM (``timeout``, ``kill``) into SystemExit, so that
    subprocess.run kills *and reaps* the worker on the way out: in a container whose init
    does not reap orphans, a worker left behind stayed ``<defunct>`` (issue 15)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _signal_name(rc: int) -> str:
    try:
        return signal.Signals(-rc).name
    except ValueError:
        return f"signal {-rc}"


def _run_worker(
    input_path: Path, input_from: str, pages: list[int] | None, png: bool, out_dir: Path, timeout: float, label: Path
) -> dict:
    """Render in a child process; returns the reply or raises RenderError (one line)."""
    request = {
        "input": str(input_path),
        "input_from": input_from,
        "pages": pages,
        "png": png,
        "out_dir": str(out_dir),
        "options": VEROVIO_OPTIONS,
    }
    try:
        with _stop_on_sigterm():
            proc = subprocess.run(
                [sys.executable, str(WORKER)],
                input=json.dumps(request),
                capture_output=True,
                text=True,
                timeout=timeout,
                errors="replace",
                preexec_fn=_die_with_parent,
            )
    except subprocess.TimeoutExpired:
        raise RenderError(f"verovio took longer than {timeout:g} s ({input_from} input) and was stopped") from None
    if proc.returncode < 0:
        raise RenderError(f"verovio crashed ({_signal_name(proc.returncode)}) on the {input_from} input")
    try:
        reply = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.stdout.strip() else {}
    except json.JSONDecodeError:
        reply = {}
    if reply.get("kind") == "page":
        raise NoSuchPageError(reply["error"], label)
    if proc.returncode != 0 or "error" in reply or "written" not in reply:
        reason = reply.get("error")
        if not reason:
            tail = [line for line in proc.stderr.splitlines() if line.strip()]
            reason = tail[-1].strip() if tail else f"the render process exited with status {proc.returncode}"
        raise RenderError(" ".join(str(reason).split())[:300])
    return reply


def _score_to_temp(source: Path, folder: Path, fmt: str, tune: int = 1) -> Path:
    """Read any score (its ``tune``-th, from 1) with lstmfuse.io and write it as ``fmt``
    (kern/musicxml) into folder."""
    return convert_file(source, folder / f"score.{'krn' if fmt == 'kern' else 'musicxml'}", fmt=fmt, tune=tune)


def render(
    source: str | Path,
    output: str | Path,
    page: int | None = None,
    force: bool = False,
    *,
    musicxml_importer: str = "musicxml",
    fallback: bool = True,
    timeout: float = DEFAULT_TIMEOUT_S,
    tune: int = 1,
) -> RenderResult:
    """Render ``source`` (kern, MusicXML, .mxl, ABC, MIDI) to ``output`` (.svg or .png).

    ``page=LAST_PAGE`` (-1) writes only the last page to ``output`` (a continuation's new
    bars are there, not on page 1). ``musicxml_importer`` picks verovio's MusicXML reader ("musicxml", or "musicxml-hum",
    the humlib route that crashes on many files and exists here to exercise the crash
    handling); ``fallback=False`` turns the MusicXML -> kern fallback off. ``tune``: which
    tune of an ABC collection (from 1; any other file holds one). Raises
    LstmfuseError with one line naming the file on any failure.
    """
    src = Path(source)
    out = Path(output)
    kind = out.suffix.lower()
    if kind not in (".svg", ".png"):
        raise UsageError(f"{out}: the output must end in .svg or .png")
    if page is not None and page < 1 and page != LAST_PAGE:
        raise UsageError(f"--page must be 1 or more (got {page})")
    fmt = detect_format(src)  # missing, folder, empty, unknown -> ScoreReadError
    if tune < 1:
        raise UsageError(f"--tune must be 1 or more (got {tune})")
    if tune > 1 and fmt != "abc":
        raise ScoreReadError(f"the file has no tune number {tune} (a {fmt} file holds one score)", src)
    check_writable(out, force)
    png = kind == ".png"
    pages = [page] if page is not None else None
    attempts: list[str] = []

    with tempfile.TemporaryDirectory(prefix="lstmfuse-render-") as tmp_name:
        tmp = Path(tmp_name)
        reply = None
        route = ""
        expected: int | None = None
        try:
            if fmt == "kern":
                text = read_text(src)
                if "\x00" in text:
                    raise ScoreReadError("binary data in a Humdrum file", src)
                check_humdrum_text(text, src)
                plain = tmp / "score.krn"
                plain.write_text(unescape_humdrum_source(text), encoding="utf-8")  # f\u3r -> für
                reply, route = _run_worker(plain, "humdrum", pages, png, tmp, timeout, src), "kern"
            elif fmt in ("musicxml", "mxl"):
                data, label, member = musicxml.read_score_bytes(src)
                musicxml.parse_score(data, label, member)  # malformed -> one line with the line
                expected = musicxml.note_count(data)
                plain = tmp / "score.musicxml"
                plain.write_bytes(musicxml.as_utf8(data))  # verovio reads UTF-8 only
                try:
                    reply = _run_worker(plain, musicxml_importer, pages, png, tmp, timeout, src)
                    notes = sum(int(n) for _, _, n in reply["written"])
                    if notes == 0 and expected > 0 and page is None:
                        raise RenderError(f"verovio engraved none of the {expected} notes")
                    route = "musicxml"
                except RenderError as first:
                    attempts.append(f"musicxml: {first.message}")
                    if not fallback:
                        raise
                    for leftover in tmp.glob("page-*"):
                        leftover.unlink()
                    try:
                        kern = _score_to_temp(src, tmp, "kern")
                        reply = _run_worker(kern, "humdrum", pages, png, tmp, timeout, src)
                        route = "musicxml -> kern (fallback)"
                    except LstmfuseError as second:
                        raise RenderError(
                            f"cannot render: {first.message}; the kern fallback failed too: {second.message}"
                        ) from None
            else:  # abc, midi
                try:
                    kern = _score_to_temp(src, tmp, "kern", tune)
                    reply, route = _run_worker(kern, "humdrum", pages, png, tmp, timeout, src), f"{fmt} -> kern"
                except RenderError:
                    raise
                except LstmfuseError as first:
                    if isinstance(first, ScoreReadError) and first.path == str(src):
                        raise
                    attempts.append(f"kern: {first.message}")
                    xml = _score_to_temp(src, tmp, "musicxml", tune)
                    reply, route = _run_worker(xml, "musicxml", pages, png, tmp, timeout, src), f"{fmt} -> musicxml"
        except RenderError as err:
            raise RenderError(err.message, src) from None
        except OSError as exc:
            raise RenderError(f"cannot render: {exc.strerror or exc}", src) from None

        rendered = [(int(p), Path(f)) for p, f, _ in reply["written"]]
        notes = sum(int(n) for _, _, n in reply["written"])
        targets = page_targets(out, [p for p, _ in rendered], page is not None)
        for t in targets:
            check_writable(t, force)
        done: list[Path] = []
        try:
            for (_, produced), target in zip(rendered, targets):
                write_bytes_atomic(target, produced.read_bytes(), force=force)
                done.append(target)
        except BaseException as exc:
            for target in done:  # all pages or none
                target.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise ScoreWriteError(f"cannot write: {exc.strerror or exc}", targets[len(done)]) from None
            raise
        return RenderResult(done, int(reply["page_count"]), route, notes, expected, attempts)


__all__ = ["LAST_PAGE", "NoSuchPageError", "RenderError", "RenderResult", "VEROVIO_OPTIONS", "page_targets", "render"]
