"""The batch runner: files in, one result per file out, on 1..N local processes or Dask.

The coordinator (this process) expands the inputs, plans every output path, skips what a
journal says is done (``--resume``), hands each file to :func:`process_task` (here, in a
process pool, or on Dask workers), journals each result as it arrives and writes the
report at the end. Workers never write the journal: only the target file, its backup and,
in place, a pending marker, all with the one atomic writer (:mod:`lstmfuse.io.atomic`;
resuming: :mod:`lstmfuse.batch.safety`).

``lstmfuse convert --out-dir`` and ``lstmfuse batch ...`` both run here, so which files a
folder or glob yields, where each result goes and when a file is refused are one set of
rules (:func:`expand_inputs`, :func:`output_path`, :func:`run`).
"""

from __future__ import annotations

import functools
import glob
import json
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import LstmfuseError, ScoreWriteError, UsageError
from ..io.atomic import is_temp_name, write_bytes_atomic
from ..io.formats import EXTENSIONS, READABLE, detect_format, normalise_format
from . import safety
from .dask_engine import run_on_dask
from .ops import Op, op_from_spec

ENGINES = ("local", "dask")
_SCORE_SUFFIXES = {ext for exts in EXTENSIONS.values() for ext in exts}
_GLOB_CHARS = set("*?[")


@dataclass
class FileResult:
    """What happened to one file. ``status`` is one of ok, unchanged, failed, skipped,
    dry-run, interrupted."""

    source: str
    status: str
    output: str | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    source_sha: str | None = None
    output_sha: str | None = None
    written: list[str] = field(default_factory=list)  # every file written (an ABC collection: one per tune)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class BatchResult:
    files: list[FileResult]
    recipe: list[dict[str, Any]]
    options: dict[str, Any]
    started: float
    finished: float
    interrupted: bool = False

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def failed(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.interrupted

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        return 1 if self.failed else 0

    def summary(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.files:
            out[f.status] = out.get(f.status, 0) + 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "lstmfuse_batch_report": 1,
            "recipe": self.recipe,
            "options": self.options,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(self.started)),
            "seconds": round(self.finished - self.started, 3),
            "interrupted": self.interrupted,
            "summary": self.summary(),
            "files": [f.to_dict() for f in self.files],
        }


# --------------------------------------------------------------------------- planning


def expand_inputs(inputs: Iterable[str | os.PathLike[str]], skip: str | os.PathLike[str] | None = None) -> list[Path]:
    """Files, folders (every score file under them) and globs (``**`` recurses; a folder a
    glob matches is searched too), in order, without duplicates.

    Never picked up: hidden files and folders, backups (``*.bak``), this tool's temporary
    files, pending markers and journal, and anything under ``skip`` (the output folder, so
    a re-run never takes its own results as inputs). A named file that does not exist
    fails alone and the batch goes on; when nothing named exists, or a folder or glob
    yields nothing, it is a UsageError.
    """
    out: list[Path] = []
    seen: set[str] = set()
    skip_abs = os.path.abspath(skip) if skip is not None else None

    def add(p: Path) -> None:
        key = os.path.abspath(p)
        if key not in seen and not _ignored(p):
            seen.add(key)
            out.append(p)

    for raw in inputs:
        text = os.fspath(raw)
        if any(c in text for c in _GLOB_CHARS) and not Path(text).exists():
            hits = [Path(h) for h in sorted(glob.glob(text, recursive=True))]
            files = [f for h in hits for f in ([h] if h.is_file() else _walk(h, skip_abs) if h.is_dir() else [])]
            if not files:
                raise UsageError(f"no file matches '{text}'")
            for f in files:
                add(f)
        elif Path(text).is_dir():
            found = _walk(Path(text), skip_abs)
            if not found:
                raise UsageError(f"no score files in the folder '{text}' ({', '.join(sorted(_SCORE_SUFFIXES))})")
            for f in found:
                add(f)
        else:
            add(Path(text))  # missing files fail one by one, the batch goes on
    if out and not any(p.exists() for p in out):  # a typo, not a batch with one bad file
        raise UsageError(f"{out[0]}: no such file or folder")
    if not out:
        raise UsageError("no input files")
    return out


def _walk(folder: Path, skip_abs: str | None) -> list[Path]:
    """The score files under ``folder`` (sorted), leaving out hidden ones and ``skip_abs``."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")
                             and (skip_abs is None or os.path.abspath(here / d) != skip_abs))
        found.extend(here / n for n in sorted(filenames)
                     if not n.startswith(".") and Path(n).suffix.lower() in _SCORE_SUFFIXES)
    return sorted(found)


def _ignored(p: Path) -> bool:
    name = p.name
    return (name.endswith(".bak") or is_temp_name(name) or name.endswith(safety.PENDING_SUFFIX)
            or name == safety.JOURNAL_NAME)


def _common_base(paths: Sequence[Path]) -> Path:
    parents = [os.path.abspath(p.parent) for p in paths]
    return Path(os.path.commonpath(parents)) if parents else Path.cwd()


def target_format(src: Path, ops: Sequence[Op]) -> str | None:
    """The format a file will be written in: the last ``convert`` step's, else its own."""
    for op in reversed(ops):
        if op.name == "convert":
            return normalise_format(op.to)  # type: ignore[attr-defined]
    try:
        return detect_format(src)
    except LstmfuseError:
        return None


def output_path(src: Path, base: Path | None, out_dir: Path | None, fmt: str | None) -> Path:
    """Where ``src`` goes: mirrored under ``out_dir`` (or beside itself in place), with the
    suffix of ``fmt`` when the format changes."""
    if out_dir is not None and base is not None:
        rel = Path(os.path.abspath(src)).relative_to(base)
        dst = Path(out_dir) / rel
    else:
        dst = src
    if fmt is not None:
        own = [f for f, exts in EXTENSIONS.items() if src.suffix.lower() in exts]
        if not own or own[0] != fmt and not (own[0] == "musicxml" and fmt == "musicxml"):
            dst = dst.with_suffix(EXTENSIONS[fmt][0])
    return dst


# --------------------------------------------------------------------------- the worker side


@functools.lru_cache(maxsize=32)
def _ops_from_json(specs_json: str) -> tuple[Op, ...]:
    return tuple(op_from_spec(s) for s in json.loads(specs_json))


def process_task(task: dict[str, Any]) -> dict[str, Any]:
    """Run the recipe on one file and write the result; never raises for a bad file.

    ``task``: source, output, ops (JSON list of specs), mode ('out', 'inplace' or 'dry'),
    backup, force, pending (write an in-place pending marker). An ABC file holding several
    tunes gives one result per tune: ``OUT-1.ext``, ``OUT-2.ext``...
    """
    from ..io.document import Document

    t0 = time.perf_counter()
    src = Path(task["source"])
    dst = Path(task["output"]) if task.get("output") else None
    res = FileResult(source=str(src), status="failed", output=str(dst) if dst else None)
    try:
        ops = _ops_from_json(task["ops"])
        docs = Document.read_all(src)
        res.source_sha = safety.sha256(docs[0].source_bytes)
        for n, doc in enumerate(docs):
            changes: dict[str, Any] = {}
            for i, op in enumerate(ops):
                got = op.apply(doc)
                key = op.name if op.name not in changes else f"{op.name}#{i + 1}"
                changes[key] = got
            if n == 0:  # the report shows the first tune's changes, every tune's notes
                res.changes = {k: v for k, v in changes.items() if v}
            res.notes.extend(note for note in doc.notes if note not in res.notes)
        if task["mode"] == "dry":
            res.status = "dry-run"
            return _done(res, t0)
        assert dst is not None
        if len(docs) > 1:
            targets = [dst.with_name(f"{dst.stem}-{k}{dst.suffix}") for k in range(1, len(docs) + 1)]
            for doc, target in zip(docs, targets):
                data = doc.output_bytes()
                _write_result(src, target, data, bool(task.get("force")))
                res.written.append(str(target))
            res.output_sha = safety.sha256(data)
            res.status = "ok"
            return _done(res, t0)
        doc = docs[0]
        data = doc.output_bytes()
        res.output_sha = safety.sha256(data)
        same_file = os.path.abspath(dst) == os.path.abspath(src)
        if task["mode"] == "inplace" and same_file:
            if data == doc.source_bytes:
                res.status = "unchanged"
                return _done(res, t0)
            mode = src.stat().st_mode & 0o7777
            if task.get("backup", True):
                bak = src.with_name(src.name + ".bak")
                if not bak.exists():  # never overwrite the oldest original
                    write_bytes_atomic(bak, doc.source_bytes, mode=mode)
            if task.get("pending"):
                safety.write_pending(src, res.source_sha, res.output_sha)
            if safety.file_sha(src) != res.source_sha:
                raise LstmfuseError("changed while the batch was editing it; left as it is", src)
            write_bytes_atomic(src, data, force=True, mode=mode)
        else:
            _write_result(src, dst, data, bool(task.get("force")))
        res.written = [str(dst)]
        res.status = "ok" if doc.modified or data != doc.source_bytes else "unchanged"
    except LstmfuseError as exc:
        res.status = "failed"
        res.error = str(exc) if exc.path else f"{src}: {exc}"
    except KeyboardInterrupt:
        raise
    except OSError as exc:  # the disk, not the score: one line naming the file
        res.status = "failed"
        res.error = f"{exc.filename or dst or src}: cannot write: {exc.strerror or type(exc).__name__}"
    except Exception as exc:  # a bug, or a library failing on odd input: report, go on
        res.status = "failed"
        detail = " ".join(str(exc).split())[:300]
        res.error = f"{src}: internal error {type(exc).__name__}: {detail}"
        res.notes.append("".join(traceback.format_exception_only(type(exc), exc)).strip()[:500])
    return _done(res, t0)


def _write_result(src: Path, dst: Path, data: bytes, force: bool) -> None:
    """Write a result beside the inputs' tree (never over its own source)."""
    if os.path.abspath(dst) == os.path.abspath(src):
        raise UsageError("the output would overwrite the input (use --in-place)")
    dst.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(dst, data, force=force)


def _done(res: FileResult, t0: float) -> dict[str, Any]:
    res.seconds = round(time.perf_counter() - t0, 4)
    return res.to_dict()


# --------------------------------------------------------------------------- the coordinator


def run(
    files: Iterable[str | os.PathLike[str]],
    ops: Sequence[Op | dict[str, Any]],
    *,
    out_dir: str | os.PathLike[str] | None = None,
    in_place: bool = False,
    backup: bool = True,
    dry_run: bool = False,
    report: str | os.PathLike[str] | None = None,
    resume: bool = False,
    jobs: int = 1,
    engine: str = "local",
    address: str | None = None,
    force: bool = False,
    journal: str | os.PathLike[str] | None | bool = None,
    on_start: Callable[[int], None] | None = None,
    on_result: Callable[[FileResult], None] | None = None,
    on_stop: Callable[[], None] | None = None,
) -> BatchResult:
    """Apply ``ops`` (in order) to every file; see docs/batch.md.

    ``out_dir`` mirrors the inputs' folders under a new folder; ``in_place`` rewrites each
    file (keeping ``FILE.bak`` unless ``backup=False``). A file that fails is left as it was
    and reported; the batch goes on. Two files whose results would land on one path: the
    second is refused. ``journal=False`` keeps no journal (no ``--resume``; ``lstmfuse
    convert``). ``on_stop`` is called at the first Ctrl-C. Returns a :class:`BatchResult`
    (``exit_code`` 1 if any file failed).
    """
    op_list = [op_from_spec(o) for o in ops]
    if not op_list:
        raise UsageError("no ops to run")
    if in_place and out_dir is not None:
        raise UsageError("give either --out-dir or --in-place, not both")
    if not dry_run and not in_place and out_dir is None:
        raise UsageError("say where results go: --out-dir FOLDER or --in-place (or --dry-run to preview)")
    if engine not in ENGINES:
        raise UsageError(f"unknown engine '{engine}' (choose from {', '.join(ENGINES)})")
    if jobs < 1:
        raise UsageError("-j must be 1 or more")
    if address and engine != "dask":
        raise UsageError("--address needs --engine dask")
    out_path = Path(out_dir) if out_dir is not None else None
    if out_path is not None and out_path.exists() and not out_path.is_dir():
        raise UsageError(f"--out-dir {out_path} is a file, not a folder")
    if report is not None:  # before any file is written, not after all of them
        where = next((q for q in Path(report).parents if q.exists()), None)
        if where is not None and not where.is_dir():
            raise UsageError(f"--report {report}: {where} is a file, not a folder")
        if Path(report).is_dir():
            raise UsageError(f"--report {report} is a folder: give the report's file name")
    sources = expand_inputs(files, skip=out_path)
    if out_path is not None:
        out_abs = os.path.abspath(out_path)
        sources = [s for s in sources if not os.path.abspath(s).startswith(out_abs + os.sep)]
        if not sources:
            raise UsageError("every input is inside the output folder")
    base = _common_base(sources)
    if out_path is not None and os.path.abspath(out_path) == str(base):
        raise UsageError("the output folder is the input folder: use --in-place, or another --out-dir")

    recipe = [o.to_spec() for o in op_list]
    ops_json = json.dumps(recipe, sort_keys=True)
    mode = "dry" if dry_run else ("inplace" if in_place else "out")
    options = {"mode": mode, "backup": bool(backup) if in_place else None}
    started = time.time()

    plan: list[dict[str, Any]] = []
    for src in sources:
        fmt = target_format(src, op_list) if src.exists() else None
        dst = output_path(src, base, out_path, fmt) if (out_path is not None or in_place) else None
        plan.append({"source": str(src), "output": str(dst) if dst else None, "ops": ops_json, "mode": mode,
                     "backup": bool(backup), "force": bool(force), "pending": mode == "inplace"})

    results: dict[str, FileResult] = _refuse_collisions(plan)
    if out_path is not None and mode != "dry":
        try:
            out_path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ScoreWriteError(f"cannot create the output folder: {exc.strerror or exc}", out_path) from None
    jr: safety.Journal | None = None
    if mode != "dry" and journal is not False:
        jpath = Path(journal) if journal else (out_path if out_path is not None else base) / safety.JOURNAL_NAME
        jr = safety.Journal(jpath, recipe, options)
        # an earlier run of this very batch: its record is kept (a rerun that fails on every
        # file no longer leaves only a header behind, and --resume still knows what was done)
        same_batch = resume or jr.same_batch()
        if resume:
            done = jr.load()
            for task in plan:
                if task["source"] in results:  # refused above
                    continue
                entry = done.get(task["source"])
                skipped = _resume_check(task, jr.finished.get(task["source"]), mode)
                if skipped is not None:
                    results[task["source"]] = skipped
                elif (entry is not None and entry.get("status") == "claimed" and not entry.get("existed")
                      and entry.get("output") == task["output"]):
                    # claimed by this batch when no file was there, and killed before its result
                    # was recorded: a file there now is this batch's own and may be written
                    # again. Any other existing file (the user's, or an output edited since) is
                    # left alone without --force.
                    task["force"] = True
        jr.open(append=same_batch)
        for task in plan:  # an in-place file finished just before a kill is journaled now
            r = results.get(task["source"])
            if r is not None and r.status == "ok" and r.notes == ["finished before the interruption"]:
                jr.record(_journal_entry(r))
                safety.clear_pending(task["source"])
            elif r is not None and r.status == "skipped" and mode == "inplace":
                # journaled, then killed before its marker was removed: the marker is stale
                safety.clear_pending(task["source"])

    todo = [t for t in plan if t["source"] not in results]
    if jr is not None and mode == "out":
        for task in todo:  # claimed before any is written, so --resume knows its own outputs
            jr.record({"source": task["source"], "output": task["output"], "status": "claimed",
                       "existed": bool(task["output"]) and os.path.exists(task["output"])})
    if on_start is not None:
        on_start(len(plan))
    for r in results.values():
        if on_result is not None:
            on_result(r)

    def handle(raw: dict[str, Any]) -> None:
        r = FileResult(**raw)
        results[r.source] = r
        if jr is not None and r.status in ("ok", "unchanged", "failed"):
            jr.record(_journal_entry(r))
        if mode == "inplace":
            safety.clear_pending(r.source)
        if on_result is not None:
            on_result(r)

    # Ctrl-C: the first one stops handing out files and lets those being written finish
    # (so the journal and the report tell the truth); a second one aborts at once.
    stop = threading.Event()
    old_handler = None
    if threading.current_thread() is threading.main_thread():
        def _on_sigint(signum, frame):  # noqa: ARG001
            if stop.is_set():
                raise KeyboardInterrupt
            stop.set()
            if on_stop is not None:  # say so: a long file may keep the batch a while yet
                on_stop()

        old_handler = signal.signal(signal.SIGINT, _on_sigint)
    interrupted = False
    try:
        if engine == "dask":
            run_on_dask(todo, process_task, handle, address=address, jobs=jobs, stop=stop)
        elif jobs == 1 or len(todo) <= 1:
            for task in todo:
                if stop.is_set():
                    break
                handle(process_task(task))
        else:
            _run_pool(todo, handle, jobs, stop)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if old_handler is not None:
            signal.signal(signal.SIGINT, old_handler)
        if jr is not None:
            jr.close()
    interrupted = interrupted or stop.is_set()

    ordered = []
    for task in plan:
        r = results.get(task["source"])
        if r is None:
            r = FileResult(source=task["source"], status="interrupted", output=task["output"])
        ordered.append(r)
    result = BatchResult(files=ordered, recipe=recipe, options={**options, "jobs": jobs, "engine": engine},
                         started=started, finished=time.time(), interrupted=interrupted)
    if report is not None:
        write_report(result, report)
    return result


def _refuse_collisions(plan: list[dict[str, Any]]) -> dict[str, FileResult]:
    """A 'failed' result for each file whose output another file of the batch already
    claims (``a.krn`` and ``a.musicxml`` both to MusicXML), so neither is overwritten."""
    claimed: dict[str, str] = {}
    refused: dict[str, FileResult] = {}
    for task in plan:
        if not task["output"]:
            continue
        key = os.path.abspath(task["output"])
        if key in claimed:
            refused[task["source"]] = FileResult(
                source=task["source"], status="failed", output=task["output"],
                error=f"{task['source']}: its output {task['output']} would overwrite the output of {claimed[key]}")
        else:
            claimed[key] = task["source"]
    return refused


def _journal_entry(r: FileResult) -> dict[str, Any]:
    return {"source": r.source, "output": r.output, "status": r.status,
            "source_sha": r.source_sha, "output_sha": r.output_sha}


def _resume_check(task: dict[str, Any], entry: dict[str, Any] | None, mode: str) -> FileResult | None:
    """A 'skipped' result when an earlier run already did this file, else None."""
    src = task["source"]
    current = safety.file_sha(src)
    if mode == "inplace":
        pend = safety.read_pending(src)
        if entry is None and pend is not None and current == pend.get("new"):
            return FileResult(source=src, status="ok", output=task["output"], source_sha=pend.get("old"),
                              output_sha=pend.get("new"), notes=["finished before the interruption"])
        if entry is None:
            return None
        if entry.get("status") == "ok" and current == entry.get("output_sha"):
            return _skipped(task, entry)
        if entry.get("status") == "unchanged" and current == entry.get("source_sha"):
            return _skipped(task, entry)
        return None
    if entry is None or entry.get("status") not in ("ok", "unchanged"):
        return None
    out = entry.get("output")
    if out != task["output"] or current != entry.get("source_sha"):
        return None
    if out and safety.file_sha(out) == entry.get("output_sha"):
        return _skipped(task, entry)
    return None


def _skipped(task: dict[str, Any], entry: dict[str, Any]) -> FileResult:
    return FileResult(source=task["source"], status="skipped", output=task["output"],
                      source_sha=entry.get("source_sha"), output_sha=entry.get("output_sha"),
                      notes=["done in an earlier run (--resume)"])


def _worker_init() -> None:
    """Pool workers ignore Ctrl-C: the coordinator decides when to stop, and a file being
    written is always finished."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_pool(tasks: list[dict[str, Any]], handle: Callable[[dict[str, Any]], None], jobs: int,
              stop: threading.Event) -> None:
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    ctx = mp.get_context("forkserver")
    preload = ["lstmfuse.batch.runner", "lstmfuse.batch.ops.transpose"]
    if any(_needs_music21(t) for t in tasks):  # import music21 once in the server, not in each worker
        preload += ["lstmfuse.io", "music21", "converter21"]
    ctx.set_forkserver_preload(preload)
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_worker_init)
    pending: set = set()

    def drain(block_all: bool) -> None:
        nonlocal pending
        while pending:
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            for f in done:
                if not f.cancelled():
                    handle(f.result())
            if stop.is_set():
                for f in pending:
                    f.cancel()  # not started yet: never starts
            if not block_all and len(pending) < jobs * 2:
                return

    try:
        for task in tasks:
            if stop.is_set():
                break
            pending.add(pool.submit(process_task, task))
            if len(pending) >= jobs * 2:  # a short queue, so a stop is quick
                drain(block_all=False)
        drain(block_all=True)
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _needs_music21(task: dict[str, Any]) -> bool:
    """Whether a task goes through music21 (anything but MusicXML/.mxl in and out)."""
    xml = (".musicxml", ".xml", ".mxl")
    out = task.get("output") or task["source"]
    return not (task["source"].lower().endswith(xml) and out.lower().endswith(xml))


def write_report(result: BatchResult, path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    if p.parent and not p.parent.exists():
        p.parent.mkdir(parents=True, exist_ok=True)
    return write_bytes_atomic(p, (json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n").encode(), force=True)


__all__ = ["BatchResult", "FileResult", "READABLE", "expand_inputs", "output_path", "process_task", "run",
           "write_report"]
