"""Convert scores between formats: one file, or many files in parallel.

The library behind ``lstmfuse convert``::

    from lstmfuse.convert import plan_batch, convert_many
    jobs = plan_batch(["corpus/palestrina"], to="musicxml", out_dir="out")
    result = convert_many(jobs, workers=2)
    for f in result.failed: print(f.source, f.reason)

Every conversion reads with :func:`lstmfuse.io.load_all` and writes with
:func:`lstmfuse.io.save` (atomic, no clobbering without ``force``). Before writing, the
measures' padding is made explicit (:func:`mark_partial_measures`): converter21's kern
reader leaves pickup and short measures unmarked, and music21's MusicXML writer then fills
them with rests, shifting every later note.
"""

from __future__ import annotations

import contextlib
import glob
import io as _io
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from .errors import LstmfuseError, ScoreWriteError, UsageError
from .io.formats import EXTENSIONS, WRITABLE, normalise_format
from .io.writer import fill_pedal_types  # noqa: F401  (kept importable from here)

#: suffixes that batch conversion picks up when it walks a folder
SCORE_SUFFIXES = frozenset(ext for exts in EXTENSIONS.values() for ext in exts)


# --------------------------------------------------------------------------- helpers


@contextlib.contextmanager
def quiet() -> Iterator[_io.StringIO]:
    """Swallow what music21/converter21 print to stdout/stderr (warnings such as
    'we are out of midi channels' or 'DECORATION IS INVALID') so a command's output stays
    its own: results on stdout, one line per error on stderr. Yields the captured text."""
    buf = _io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        yield buf


def mark_partial_measures(score) -> int:
    """Record the padding of incomplete measures, as music21's MusicXML reader does.

    A first measure shorter than its time signature is a pickup (``paddingLeft``); a short
    measure after a full one gets ``paddingRight``; a short measure right after a short one
    completes it (``paddingLeft``). Without this, writing MusicXML fills those measures with
    rests and moves every later note (a kern pickup of one beat became a full bar).
    Measures that already carry padding are left alone. Returns how many were marked.
    """
    from music21 import meter, stream

    marked = 0
    for part in score.parts:
        last_was_short = False
        current = None  # the time signature in force
        for i, m in enumerate(part.getElementsByClass(stream.Measure)):
            if m.timeSignature is not None:
                current = m.timeSignature
            elif i == 0:
                # (not m.barDuration: without a time signature music21 guesses one, which
                # costs seconds per measure on odd lengths)
                current = m.getContextByClass(meter.TimeSignature)
            if m.paddingLeft or m.paddingRight:
                last_was_short = bool(m.paddingRight)
                continue
            if current is None:  # no meter (free rhythm): nothing to compare with
                last_was_short = False
                continue
            bar = current.barDuration.quarterLength
            filled = m.highestTime
            if filled == 0 or filled >= bar:
                last_was_short = False
                continue
            if i == 0 or last_was_short:
                m.paddingLeft = bar - filled
                last_was_short = False
            else:
                m.paddingRight = bar - filled
                last_was_short = True
            marked += 1
    return marked


def _wrap_os_error(exc: OSError, path: Path) -> ScoreWriteError:
    reason = exc.strerror or type(exc).__name__
    return ScoreWriteError(f"cannot write: {reason}", path)


def kern_write_problems(score) -> str | None:
    """A reason why converter21's Humdrum writer would fail on ``score``, found up front
    (its own error for these is a bare ``KeyError: None``); None when nothing is known."""
    from music21 import key

    for ks in score.recurse().getElementsByClass(key.KeySignature):
        if ks.sharps is None:
            where = ks.measureNumber
            at = f" in measure {where}" if where is not None else ""
            return f"**kern cannot hold the non-traditional key signature{at} (only 0-7 sharps or flats)"
    return None


def save_converted(score, target: str | Path, fmt: str | None = None, force: bool = False) -> Path:
    """Write a loaded score as a conversion does: padding made explicit, known writer
    limits reported clearly, atomic, OS errors as one-line ScoreWriteErrors."""
    from . import io

    target = Path(target)
    kind = io.writer.output_format(target, fmt)
    if kind == "kern":
        problem = kern_write_problems(score)
        if problem:
            raise ScoreWriteError(problem, target)
    mark_partial_measures(score)
    try:
        with quiet():
            return io.save(score, target, fmt=kind, force=force)
    except OSError as exc:  # e.g. a read-only file system that os.access does not see
        raise _wrap_os_error(exc, target) from None


def convert_file(source: str | Path, target: str | Path, fmt: str | None = None, force: bool = False) -> Path:
    """Convert the first score in ``source`` to ``target`` (format from ``fmt`` or the suffix).

    Raises LstmfuseError (one line, naming the file) on any failure; leaves no partial file.
    """
    from . import io

    target = Path(target)
    kind = io.writer.output_format(target, fmt)
    try:
        io.atomic.check_writable(target, force)
    except OSError as exc:
        raise _wrap_os_error(exc, target) from None
    with quiet():
        score = io.load(source)
    return save_converted(score, target, fmt=kind, force=force)


def tune_count_hint(source: str | Path) -> int:
    """How many scores a file holds (ABC collections hold many); 1 for most files."""
    from .io.formats import detect_format

    if detect_format(source) != "abc":
        return 1
    text = Path(source).read_bytes()
    return max(1, sum(1 for line in text.splitlines() if line.startswith(b"X:")))


# --------------------------------------------------------------------------- batch


@dataclass(frozen=True)
class Job:
    """One planned conversion: ``source`` -> ``target`` (``label`` is the path users see)."""

    source: Path
    target: Path
    label: str
    fmt: str
    force: bool = False


@dataclass
class Outcome:
    job: Job
    ok: bool
    reason: str = ""
    written: list[Path] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class BatchResult:
    outcomes: list[Outcome]
    seconds: float
    workers: int

    @property
    def converted(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.ok]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def files_per_second(self) -> float:
        return len(self.outcomes) / self.seconds if self.seconds > 0 else 0.0


def _walk(folder: Path, skip: Path | None) -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d for d in dirnames
            if not d.startswith(".") and (skip is None or (here / d).resolve() != skip)
        )
        for name in sorted(filenames):
            if not name.startswith(".") and Path(name).suffix.lower() in SCORE_SUFFIXES:
                found.append(here / name)
    return found


def _glob_root(pattern: str) -> Path:
    """The folder a glob pattern starts in: its longest leading part without wildcards."""
    parts = Path(pattern).parts
    fixed = []
    for part in parts:
        if glob.has_magic(part):
            break
        fixed.append(part)
    return Path(*fixed) if fixed else Path(".")


def collect_sources(inputs: Sequence[str | Path], out_dir: str | Path | None = None) -> list[tuple[Path, Path]]:
    """Expand files, folders (recursed for score files) and glob patterns.

    Returns ``(file, relative_name)`` pairs in a stable order; the relative name keeps
    sub-folders below a given folder (or below a glob's fixed prefix). Files inside
    ``out_dir`` are skipped when walking folders, so re-running never converts outputs.
    Raises UsageError for an input that names nothing.
    """
    skip = Path(out_dir).resolve() if out_dir is not None else None
    seen: set[Path] = set()
    pairs: list[tuple[Path, Path]] = []

    def add(path: Path, rel: Path) -> None:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            pairs.append((path, rel))

    for raw in inputs:
        text = str(raw)
        p = Path(text)
        if p.is_dir():
            files = _walk(p, skip)
            if not files:
                raise UsageError(f"{text}: the folder holds no score files ({', '.join(sorted(SCORE_SUFFIXES))})")
            for f in files:
                add(f, f.relative_to(p))
        elif p.exists():
            add(p, Path(p.name))
        elif glob.has_magic(text):
            root = _glob_root(text)
            matches = sorted(glob.glob(text, recursive=True))
            files: list[tuple[Path, Path]] = []
            for m in map(Path, matches):
                if m.is_dir():
                    files.extend((f, f.relative_to(root)) for f in _walk(m, skip))
                elif m.is_file():
                    try:
                        rel = m.relative_to(root)
                    except ValueError:
                        rel = Path(m.name)
                    files.append((m, rel))
            if not files:
                raise UsageError(f"{text}: the pattern matches no files")
            for f, rel in files:
                add(f, rel)
        else:
            raise UsageError(f"{text}: no such file or folder")
    return pairs


def plan_batch(
    inputs: Sequence[str | Path], to: str, out_dir: str | Path, force: bool = False
) -> list[Job]:
    """The conversions to run: every score file under ``inputs`` -> ``out_dir``/rel/stem.ext."""
    fmt = normalise_format(to)
    if fmt not in WRITABLE:
        raise UsageError(f"cannot write {fmt} (choose from {', '.join(WRITABLE)})")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: --out-dir is a file, not a folder")
    suffix = EXTENSIONS[fmt][0]
    jobs = []
    for src, rel in collect_sources(inputs, out):
        target = out / rel.parent / (rel.stem + suffix)
        jobs.append(Job(src, target, str(src), fmt, force))
    return jobs


def _convert_job(job: Job) -> Outcome:
    """Run one job (in a worker process). Never raises: failures become an Outcome."""
    from . import io

    start = time.perf_counter()
    try:
        if job.target.exists() and not job.force:
            raise ScoreWriteError("already exists (use --force to overwrite)", job.target)
        job.target.parent.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        with quiet():
            scores = list(io.load_all(job.source))
            if len(scores) == 1:
                targets = [job.target]
            else:  # an ABC collection: one file per tune, numbered from 1
                targets = [job.target.with_name(f"{job.target.stem}-{i}{job.target.suffix}") for i in range(1, len(scores) + 1)]
            for score, target in zip(scores, targets):
                if not score.recurse().notesAndRests:
                    raise LstmfuseError("the score holds no notes or rests", job.source)
                save_converted(score, target, fmt=job.fmt, force=job.force)
                written.append(target)
        return Outcome(job, True, written=written, seconds=time.perf_counter() - start)
    except LstmfuseError as err:
        return Outcome(job, False, _reason(err, job), seconds=time.perf_counter() - start)
    except OSError as exc:
        return Outcome(job, False, str(_wrap_os_error(exc, job.target)), seconds=time.perf_counter() - start)
    except Exception as exc:  # a bug in a reader/writer must not stop the other files
        detail = " ".join(str(exc).split())[:200]
        return Outcome(job, False, f"internal error {type(exc).__name__}: {detail}", seconds=time.perf_counter() - start)


def _reason(err: LstmfuseError, job: Job) -> str:
    """The error without the source path (the table shows it), but with the line."""
    if err.path == str(job.source):
        return err.message if err.line is None else f"line {err.line}: {err.message}"
    return str(err)


def _pool_context():
    """forkserver: workers start from a clean server (never fork a process that runs a
    progress-bar thread) that has music21 and converter21 imported once already."""
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["lstmfuse.convert", "lstmfuse.io", "music21", "converter21"])
        return ctx
    return multiprocessing.get_context("spawn")


def convert_many(
    jobs: Iterable[Job],
    workers: int = 1,
    on_done: Callable[[Outcome], None] | None = None,
) -> BatchResult:
    """Run the jobs in ``workers`` processes (``1`` runs them in this process).

    ``on_done`` is called in this process after each job (for a progress bar). Failed
    files never stop the batch; two jobs that would write the same file are refused.
    """
    jobs = list(jobs)
    if workers < 1:
        raise UsageError(f"-j must be at least 1 (got {workers})")
    start = time.perf_counter()
    outcomes: dict[int, Outcome] = {}

    def finish(i: int, outcome: Outcome) -> None:
        outcomes[i] = outcome
        if on_done is not None:
            on_done(outcome)

    todo: list[int] = []
    claimed: dict[Path, Job] = {}
    for i, job in enumerate(jobs):
        key = job.target.resolve()
        if key in claimed:
            finish(i, Outcome(job, False, f"its output {job.target} would overwrite the output of {claimed[key].label}"))
        elif key == job.source.resolve():
            finish(i, Outcome(job, False, "the output would overwrite the input"))
        else:
            claimed[key] = job
            todo.append(i)

    if workers == 1 or len(todo) <= 1:
        for i in todo:
            finish(i, _convert_job(jobs[i]))
    else:
        _run_pool(jobs, todo, workers, finish)
    ordered = [outcomes[i] for i in range(len(jobs))]
    return BatchResult(ordered, time.perf_counter() - start, workers)


def _run_pool(jobs: list[Job], todo: list[int], workers: int, finish: Callable[[int, Outcome], None]) -> None:
    pending = list(todo)
    with ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=_pool_context()) as pool:
        # Keep a bounded number of jobs in flight so a progress bar moves evenly.
        inflight: dict[Future, int] = {}
        limit = workers * 4
        try:
            while pending or inflight:
                while pending and len(inflight) < limit:
                    fut = pool.submit(_convert_job, jobs[pending[0]])
                    inflight[fut] = pending.pop(0)
                done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                for fut in done:
                    i = inflight.pop(fut)
                    try:
                        outcome = fut.result()
                    except BrokenProcessPool:
                        outcome = Outcome(jobs[i], False, "the worker process died (out of memory or a crash)")
                    finish(i, outcome)
        except BrokenProcessPool:  # pragma: no cover - submit on a dead pool
            pass
        for fut, i in inflight.items():  # pragma: no cover
            finish(i, Outcome(jobs[i], False, "the worker process died (out of memory or a crash)"))
        for i in pending:  # pragma: no cover
            finish(i, Outcome(jobs[i], False, "not converted: the worker pool stopped"))


__all__ = [
    "BatchResult",
    "Job",
    "Outcome",
    "collect_sources",
    "convert_file",
    "convert_many",
    "fill_pedal_types",
    "kern_write_problems",
    "mark_partial_measures",
    "plan_batch",
    "save_converted",
    "quiet",
    "tune_count_hint",
]
