"""Writers killed in the middle of a write: the destination holds the old file or the new one,
never a part, and no temporary file outlives the next run.

Each writer runs in a child process and is stopped inside its write by one of:

- a file-size limit (``RLIMIT_FSIZE``) with ``SIGXFSZ`` at its default action: the kernel
  kills the writer at the write that crosses the limit, after exactly that many bytes
  reached the file it was writing (whatever the writer's code, so a writer that writes
  straight to the destination leaves a part there);
- the same limit with ``SIGXFSZ`` ignored (Python's default): the write fails with EFBIG,
  as on a full disk, and the writer's error path runs;
- a writer blocked half-way (half the bytes flushed), then SIGKILL or SIGINT;
- SIGKILL injected between the write and the rename.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lstmfuse import batch
from lstmfuse.batch import safety
from lstmfuse.io import load, save
from lstmfuse.io.atomic import is_temp_name

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file-size limits and signals are POSIX")

REPO = Path(__file__).resolve().parent.parent


def _child(code: str, *args, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(_package_root()), os.environ.get("PYTHONPATH")]))}
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, **kw)


def _package_root() -> Path:
    """The folder holding the lstmfuse this test imported (a mutation copy, or the repo)."""
    import lstmfuse

    return Path(lstmfuse.__file__).resolve().parent.parent


def _run(code: str, *args, timeout: float = 120) -> subprocess.CompletedProcess:
    proc = _child(code, *args)
    out, err = proc.communicate(timeout=timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture(scope="module")
def scores(tmp_path_factory) -> dict[str, bytes]:
    """The old file (a real tune) and the new one (another real tune), both as MusicXML."""
    d = tmp_path_factory.mktemp("scores")
    examples = REPO / "examples"
    old, new = d / "old.musicxml", d / "new.musicxml"
    save(load(examples / "essen-altdeu10-1.krn"), old)
    save(load(examples / "oneills-0001.musicxml"), new)
    return {"old": old.read_bytes(), "new": new.read_bytes(), "new_path": new}


# ------------------------------------------------------------------------- io.atomic_output
SIZE_LIMITED_SAVE = r"""
import resource, signal, sys
from lstmfuse.io import load, save
score = load(sys.argv[1])
signal.signal(signal.SIGXFSZ, signal.SIG_DFL if sys.argv[4] == "kill" else signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[3]), resource.RLIM_INFINITY))
save(score, sys.argv[2], force=True)
"""


def test_io_save_killed_inside_the_write_leaves_the_old_file(tmp_path, scores):
    """The real writer (music21 through io.save) killed by the kernel after 4,000 bytes of
    the new file: the destination is the old file, byte for byte; the killed writer's temp
    file (it could not clean up) is removed by the next write, which succeeds."""
    dest = tmp_path / "tune.musicxml"
    dest.write_bytes(scores["old"])
    limit = 4000
    assert len(scores["new"]) > 2 * limit
    r = _run(SIZE_LIMITED_SAVE, scores["new_path"], dest, limit, "kill")
    assert r.returncode == -signal.SIGXFSZ, r.stderr[-2000:]
    assert dest.read_bytes() == scores["old"]
    temps = [p for p in tmp_path.iterdir() if p != dest]
    assert [p.stat().st_size for p in temps] == [limit], _listing(tmp_path)  # the kill landed in the write
    assert all(p.name.startswith(".tune.musicxml.") for p in temps)
    save(load(scores["new_path"]), dest, force=True)
    assert dest.read_bytes() == scores["new"]
    assert _listing(tmp_path) == ["tune.musicxml"]


def test_io_save_on_a_full_disk_fails_cleanly(tmp_path, scores):
    """EFBIG in the middle of the write (a full disk): one clear error, the old file, no temp."""
    dest = tmp_path / "tune.musicxml"
    dest.write_bytes(scores["old"])
    r = _run(SIZE_LIMITED_SAVE, scores["new_path"], dest, 4000, "fail")
    assert r.returncode == 1 and "ScoreWriteError" in r.stderr and "File too large" in r.stderr, r.stderr[-2000:]
    assert dest.read_bytes() == scores["old"]
    assert _listing(tmp_path) == ["tune.musicxml"]


def test_cli_convert_on_a_full_disk_is_one_line_and_keeps_the_old_file(tmp_path, scores):
    dest = tmp_path / "tune.musicxml"
    dest.write_bytes(scores["old"])

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4000, resource.RLIM_INFINITY))

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(_package_root()), os.environ.get("PYTHONPATH")])),
           "PYTHONDONTWRITEBYTECODE": "1"}
    r = subprocess.run([sys.executable, "-m", "lstmfuse", "convert", str(scores["new_path"]), str(dest), "--force"],
                       capture_output=True, text=True, env=env, preexec_fn=limit, timeout=180)
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 2 and len(lines) == 1 and str(dest) in lines[0] and "Traceback" not in r.stderr, r.stderr
    assert dest.read_bytes() == scores["old"]
    assert _listing(tmp_path) == ["tune.musicxml"]


BLOCKED_WRITER = r"""
import os, signal, sys, time
from pathlib import Path
from lstmfuse.io.atomic import atomic_output
signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C as in a terminal, even if started in the background
dest, new = Path(sys.argv[1]), Path(sys.argv[2]).read_bytes()
with atomic_output(dest, force=True) as tmp:
    with open(tmp, "wb") as fh:
        fh.write(new[: len(new) // 2])
        fh.flush()
        os.fsync(fh.fileno())
        print("half", flush=True)
        time.sleep(120)
        fh.write(new[len(new) // 2:])
"""


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_io_writer_killed_half_way(tmp_path, scores, sig):
    """Half the new bytes written and synced, then the writer is killed (SIGKILL: no cleanup
    possible) or interrupted (Ctrl-C: it cleans up): the destination is still the old file."""
    dest = tmp_path / "tune.musicxml"
    dest.write_bytes(scores["old"])
    proc = _child(BLOCKED_WRITER, dest, scores["new_path"])
    assert proc.stdout.readline().strip() == "half", proc.stderr.read()
    os.kill(proc.pid, sig)
    proc.communicate(timeout=60)
    assert proc.returncode == -sig
    assert dest.read_bytes() == scores["old"]
    if sig == signal.SIGINT:
        assert _listing(tmp_path) == ["tune.musicxml"]
    else:
        assert len(_listing(tmp_path)) == 2
    save(load(scores["new_path"]), dest, force=True)  # the next write sweeps a dead writer's temp
    assert dest.read_bytes() == scores["new"]
    assert _listing(tmp_path) == ["tune.musicxml"]


KILLED_BEFORE_RENAME = r"""
import os, signal, sys
from pathlib import Path
from lstmfuse.io.atomic import write_bytes_atomic
dest, new = Path(sys.argv[1]), Path(sys.argv[2]).read_bytes()
def die(*a, **k):
    os.kill(os.getpid(), signal.SIGKILL)
os.replace = os.link = os.rename = die
write_bytes_atomic(dest, new, force=sys.argv[3] == "force")
"""


@pytest.mark.parametrize("force", ["force", "new"])
def test_io_killed_between_write_and_rename(tmp_path, scores, force):
    dest = tmp_path / "tune.musicxml"
    if force == "force":
        dest.write_bytes(scores["old"])
    r = _run(KILLED_BEFORE_RENAME, dest, scores["new_path"], force)
    assert r.returncode == -signal.SIGKILL, r.stderr[-2000:]
    if force == "force":
        assert dest.read_bytes() == scores["old"]
    else:
        assert not dest.exists()
    assert len(_listing(tmp_path)) == 1 + (force == "force")  # the complete temp, nothing else


def test_a_live_writers_temp_file_is_never_swept(tmp_path, scores):
    """Two writers of one file: the second must not remove the first's temp file."""
    dest = tmp_path / "tune.musicxml"
    proc = _child(BLOCKED_WRITER, dest, scores["new_path"])
    try:
        assert proc.stdout.readline().strip() == "half", proc.stderr.read()
        save(load(scores["new_path"]), dest, force=True)
        assert len(_listing(tmp_path)) == 2  # the blocked writer's temp is still there
    finally:
        proc.kill()
        proc.communicate(timeout=60)


# ------------------------------------------------------------------------- the batch's writes (io.atomic, mode kept)
SIZE_LIMITED_BATCH_WRITE = r"""
import resource, signal, sys
from pathlib import Path
from lstmfuse.io.atomic import write_bytes_atomic
dest, new = Path(sys.argv[1]), Path(sys.argv[2]).read_bytes()
signal.signal(signal.SIGXFSZ, signal.SIG_DFL if sys.argv[3] == "kill" else signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (len(new) // 2, resource.RLIM_INFINITY))
write_bytes_atomic(dest, new, force=True, mode=0o640)
"""


def test_batch_atomic_write_killed_inside_the_write(tmp_path, scores):
    dest = tmp_path / "tune.musicxml"
    dest.write_bytes(scores["old"])
    r = _run(SIZE_LIMITED_BATCH_WRITE, dest, scores["new_path"], "kill")
    assert r.returncode == -signal.SIGXFSZ, r.stderr[-2000:]
    assert dest.read_bytes() == scores["old"]
    temps = [p for p in tmp_path.iterdir() if is_temp_name(p.name)]
    assert [p.stat().st_size for p in temps] == [len(scores["new"]) // 2]  # the kill landed in the write
    atomic.write_bytes_atomic(dest, scores["new"], force=True)  # what every write does first: sweep dead writers' temps
    assert _listing(tmp_path) == ["tune.musicxml"]


def test_a_killed_writer_not_yet_reaped_or_a_reused_pid_does_not_keep_its_temp(tmp_path):
    """A batch worker killed with its process group stays a zombie until its new parent reaps
    it, and a resume started at once kept its temp (CI, 2026-12-02: test_batch_kill left
    '.op133-03.mxl.30758....part.mxl'). A temp whose pid is a zombie, or a process that started
    after the temp was last changed (the pid reused), is a dead writer's; a live writer's stays."""
    if not Path("/proc/self/stat").exists():
        pytest.skip("no /proc: zombies and start times are not visible here")
    dest = tmp_path / "tune.musicxml"
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 30
    while atomic._process_state(zombie.pid)[0] != "Z" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert atomic._process_state(zombie.pid)[0] == "Z"  # exited, not reaped: os.kill(pid, 0) still succeeds
    reused = tmp_path / f".tune.musicxml.{os.getpid()}.abcd1234.part.musicxml"  # this process started after it
    reused.write_bytes(b"old")
    os.utime(reused, (1_000_000_000, 1_000_000_000))
    live = tmp_path / f".tune.musicxml.{os.getpid()}.efgh5678.part.musicxml"  # this process, writing now
    live.write_bytes(b"mine")
    dead = tmp_path / f".tune.musicxml.{zombie.pid}.ijkl9012.part.musicxml"
    dead.write_bytes(b"half")
    try:
        atomic.write_bytes_atomic(dest, b"<score/>", force=True)
    finally:
        zombie.wait(timeout=30)
    assert sorted(_listing(tmp_path)) == sorted([live.name, "tune.musicxml"])


def test_batch_atomic_write_on_a_full_disk(tmp_path, scores):
    dest = tmp_path / "tune.musicxml"
    dest.write_bytes(scores["old"])
    r = _run(SIZE_LIMITED_BATCH_WRITE, dest, scores["new_path"], "fail")
    assert r.returncode == 1 and "File too large" in r.stderr, r.stderr[-2000:]
    assert dest.read_bytes() == scores["old"]
    assert _listing(tmp_path) == ["tune.musicxml"]


def test_batch_atomic_write_keeps_mode_and_refuses_to_clobber_when_exclusive(tmp_path):
    dest = tmp_path / "a.txt"
    atomic.write_bytes_atomic(dest, b"one", mode=0o640)
    assert dest.read_bytes() == b"one" and dest.stat().st_mode & 0o777 == 0o640
    with pytest.raises(ScoreWriteError, match="already exists"):
        atomic.write_bytes_atomic(dest, b"two")
    assert dest.read_bytes() == b"one"
    atomic.write_bytes_atomic(dest, b"three", force=True)
    assert dest.read_bytes() == b"three"
    assert _listing(tmp_path) == ["a.txt"]


BATCH_KILLED_IN_THE_WRITE = r"""
import os, resource, signal, sys
from pathlib import Path
from lstmfuse.batch import runner
target, how = Path(sys.argv[1]).resolve(), sys.argv[2]
real_write, real_replace = runner.write_bytes_atomic, os.replace
def write(dest, data, *a, **kw):
    if Path(dest).resolve() == target and how == "inside":
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
        resource.setrlimit(resource.RLIMIT_FSIZE, (len(data) // 2, resource.RLIM_INFINITY))
    return real_write(dest, data, *a, **kw)
def replace(src, dst, *a, **k):
    if Path(dst).resolve() == target and how == "rename":
        os.kill(os.getpid(), signal.SIGKILL)
    return real_replace(src, dst, *a, **k)
runner.write_bytes_atomic, os.replace = write, replace
from lstmfuse.cli import main
sys.argv = ["lstmfuse", *sys.argv[3:]]
main()
"""


@pytest.fixture(scope="module")
def transposed(scores) -> bytes:
    new, _ = batch.apply(scores["new_path"], [batch.Transpose("+M2")])
    return new


def _batch_args(files, *extra) -> list[str]:
    return ["batch", "transpose", *map(str, files), "--interval", "+M2", "-j", "1", "--quiet", *extra]


@pytest.mark.parametrize("how", ["inside", "rename"])
def test_batch_in_place_killed_while_writing_a_file_then_resume(tmp_path, scores, transposed, how):
    """The real batch (in place, one process) is killed while it writes the second of three
    files: inside the write (after half its bytes) or between the write and the rename. That
    file is still the old one (and its backup too), the first is new; --resume finishes the
    job, edits every file exactly once and leaves no temp, pending or journal litter."""
    lib = tmp_path / "lib"
    lib.mkdir()
    files = [lib / f"t{i}.musicxml" for i in range(3)]
    for f in files:
        f.write_bytes(scores["new"])
    r = _run(BATCH_KILLED_IN_THE_WRITE, files[1], how, *_batch_args(files, "--in-place"), timeout=300)
    assert r.returncode == (-signal.SIGXFSZ if how == "inside" else -signal.SIGKILL), r.stderr[-2000:]
    assert files[0].read_bytes() == transposed
    assert files[1].read_bytes() == scores["new"]
    assert files[2].read_bytes() == scores["new"]
    assert (lib / "t1.musicxml.bak").read_bytes() == scores["new"]
    assert safety.pending_path(files[1]).exists()  # the marker that makes --resume safe
    temps = [p for p in lib.iterdir() if is_temp_name(p.name)]
    assert len(temps) == 1 and temps[0].name.startswith(".t1.musicxml.")
    done = subprocess.run([sys.executable, "-m", "lstmfuse", *_batch_args(files, "--in-place", "--resume")],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(_package_root())})
    assert done.returncode == 0, done.stderr
    assert [f.read_bytes() == transposed for f in files] == [True] * 3  # once each, never twice
    assert all((lib / f"t{i}.musicxml.bak").read_bytes() == scores["new"] for i in range(3))
    assert sorted(_listing(lib)) == sorted([f.name for f in files] + [f.name + ".bak" for f in files] + [safety.JOURNAL_NAME])


def test_batch_out_dir_killed_inside_the_write_then_resume(tmp_path, scores, transposed):
    src = tmp_path / "src"
    src.mkdir()
    files = [src / f"t{i}.musicxml" for i in range(2)]
    for f in files:
        f.write_bytes(scores["new"])
    out = tmp_path / "out"
    out.mkdir()
    (out / "t1.musicxml").write_bytes(scores["old"])  # an older result, replaced with --force
    r = _run(BATCH_KILLED_IN_THE_WRITE, out / "t1.musicxml", "inside", *_batch_args(files, "--out-dir", out, "--force"), timeout=300)
    assert r.returncode == -signal.SIGXFSZ, r.stderr[-2000:]
    assert (out / "t0.musicxml").read_bytes() == transposed
    assert (out / "t1.musicxml").read_bytes() == scores["old"]
    done = subprocess.run([sys.executable, "-m", "lstmfuse", *_batch_args(files, "--out-dir", str(out), "--force", "--resume")],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(_package_root())})
    assert done.returncode == 0, done.stderr
    assert (out / "t0.musicxml").read_bytes() == transposed and (out / "t1.musicxml").read_bytes() == transposed
    assert sorted(_listing(out)) == sorted(["t0.musicxml", "t1.musicxml", safety.JOURNAL_NAME])
    assert [f.read_bytes() for f in files] == [scores["new"]] * 2


# ------------------------------------------------------------------------- the writers' rules
from lstmfuse.errors import ScoreWriteError, UsageError  # noqa: E402
from lstmfuse.io import atomic  # noqa: E402


def test_check_writable_names_each_refusal(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "f").write_text("x")
    with pytest.raises(ScoreWriteError, match="is a directory"):
        atomic.check_writable(tmp_path / "d")
    with pytest.raises(ScoreWriteError, match="is a directory"):
        atomic.check_writable(tmp_path / "d", force=True)
    with pytest.raises(ScoreWriteError, match="already exists"):
        atomic.check_writable(tmp_path / "f")
    assert atomic.check_writable(tmp_path / "f", force=True) == tmp_path / "f"
    with pytest.raises(ScoreWriteError, match="its folder does not exist"):
        atomic.check_writable(tmp_path / "nowhere" / "x.musicxml")
    assert atomic.check_writable(tmp_path / "new.musicxml") == tmp_path / "new.musicxml"


def test_check_writable_relative_path_uses_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert atomic.check_writable("x.musicxml") == Path("x.musicxml")
    atomic.write_bytes_atomic("x.musicxml", b"data")
    assert (tmp_path / "x.musicxml").read_bytes() == b"data" and _listing(tmp_path) == ["x.musicxml"]


def test_a_writer_that_writes_nothing_leaves_nothing(tmp_path):
    dest = tmp_path / "out.musicxml"
    with pytest.raises(ScoreWriteError, match="produced no output"):
        with atomic.atomic_output(dest):
            pass  # the temp file exists but is empty
    with pytest.raises(ScoreWriteError, match="produced no output"):
        with atomic.atomic_output(dest) as tmp:
            tmp.unlink()
    assert _listing(tmp_path) == []
    with pytest.raises(RuntimeError):
        with atomic.atomic_output(dest) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("the writer failed")
    assert _listing(tmp_path) == []


def test_temp_file_sits_beside_the_destination_with_the_writers_pid(tmp_path):
    dest = tmp_path / "out.musicxml"
    with atomic.atomic_output(dest) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(f".out.musicxml.{os.getpid()}.")
        assert tmp.name.endswith(".part.musicxml") and tmp.exists()
        tmp.write_bytes(b"<x/>")
    assert dest.read_bytes() == b"<x/>" and _listing(tmp_path) == ["out.musicxml"]


@pytest.mark.parametrize("umask, mode", [(0o027, 0o640), (0o002, 0o664)])
def test_new_file_gets_the_umask_mode_not_the_temp_files_0600(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        atomic.write_bytes_atomic(tmp_path / "a", b"1")
        atomic.write_bytes_atomic(tmp_path / "b", b"1", mode=None, force=True)
        assert os.umask(umask) == umask  # reading the umask left it as it was
    finally:
        os.umask(old)
    assert (tmp_path / "a").stat().st_mode & 0o777 == mode
    assert (tmp_path / "b").stat().st_mode & 0o777 == mode


def test_write_bytes_atomic_refuses_to_clobber_unless_forced(tmp_path):
    dest = tmp_path / "a"
    assert atomic.write_bytes_atomic(dest, b"1") == dest
    with pytest.raises(ScoreWriteError, match="already exists"):
        atomic.write_bytes_atomic(dest, b"2")
    atomic.write_bytes_atomic(dest, b"3", force=True)
    assert dest.read_bytes() == b"3" and _listing(tmp_path) == ["a"]


def test_a_file_that_appears_meanwhile_is_never_clobbered(tmp_path):
    dest = tmp_path / "out.musicxml"
    with pytest.raises(ScoreWriteError, match="already exists"):
        with atomic.atomic_output(dest) as tmp:
            tmp.write_bytes(b"ours")
            dest.write_bytes(b"theirs")  # another program wrote it after the check
    assert dest.read_bytes() == b"theirs" and _listing(tmp_path) == ["out.musicxml"]
    with atomic.atomic_output(dest, force=True) as tmp:
        tmp.write_bytes(b"ours")
    assert dest.read_bytes() == b"ours" and _listing(tmp_path) == ["out.musicxml"]


def test_without_hard_links_it_still_refuses_to_clobber(tmp_path, monkeypatch):
    """A file system without hard links (FAT, some network shares): rename, but only if the
    destination is still absent."""
    def no_links(*a, **k):
        raise PermissionError("operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    dest = tmp_path / "out.musicxml"
    atomic.write_bytes_atomic(dest, b"first")
    assert dest.read_bytes() == b"first" and _listing(tmp_path) == ["out.musicxml"]
    dest.unlink()
    with pytest.raises(ScoreWriteError, match="already exists"):
        with atomic.atomic_output(dest) as tmp:
            tmp.write_bytes(b"second")
            dest.write_bytes(b"theirs")  # appeared after the check
    assert dest.read_bytes() == b"theirs" and _listing(tmp_path) == ["out.musicxml"]


def test_only_dead_writers_temp_files_are_swept(tmp_path):
    try:  # pids above the kernel's pid_max can never run (a finished child's pid may be reused at once)
        dead = int(Path("/proc/sys/kernel/pid_max").read_text()) + 1
    except (OSError, ValueError):
        dead = 2**22 + 1
    names = {
        **{f".out.musicxml.{dead + k}.abc12{k}.part.musicxml": False for k in range(5)},  # their writers are gone: removed
        f".out.musicxml.{os.getpid()}.abc123.part.musicxml": True,  # a live writer: kept
        ".out.musicxml.abc123.part.musicxml": True,  # no pid (an older lstmfuse): kept
        f".out.musicxml.{10**30}.x.part.musicxml": True,  # not a pid: kept
        f".other.musicxml.{dead}.abc123.part.musicxml": True,  # another destination: kept
        f".out.musicxml.{dead}.abc123.part.krn": True,  # another suffix: kept
        f"out.musicxml.{dead}.abc123.part.musicxml": True,  # not hidden: not ours
    }
    for n in names:
        (tmp_path / n).write_text("x")
    atomic.write_bytes_atomic(tmp_path / "out.musicxml", b"new")
    assert _listing(tmp_path) == sorted([n for n, kept in names.items() if kept] + ["out.musicxml"])


def test_batch_atomic_write_exclusive_creates_and_leaves_no_temp(tmp_path):
    dest = tmp_path / "a.txt"
    assert atomic.write_bytes_atomic(dest, b"one") == dest
    assert dest.read_bytes() == b"one" and _listing(tmp_path) == ["a.txt"]


def test_temp_names_are_recognised_so_batches_never_take_them_as_inputs(tmp_path):
    ours = [".a.musicxml.123.x1ab_9zz.part.musicxml", ".a.krn.4.abcdefgh.part.krn", ".j.jsonl.77.k2.part.jsonl"]
    theirs = [".a.musicxml.x1.tmp", "a.musicxml.123.x1.part.musicxml", "a.musicxml", ".a.musicxml.lstmfuse-pending"]
    assert [is_temp_name(n) for n in ours] == [True] * 3
    assert [is_temp_name(n) for n in theirs] == [False] * 4
    for n in ours + theirs:
        (tmp_path / n).write_text("x")
    assert [p.name for p in batch.expand_inputs([tmp_path / n for n in ours + theirs])] == theirs[:3]


def test_pending_marker_round_trip(tmp_path):
    src = tmp_path / "song.musicxml"
    assert safety.pending_path(src) == tmp_path / ".song.musicxml.lstmfuse-pending"
    assert safety.read_pending(src) is None
    dead = int(Path("/proc/sys/kernel/pid_max").read_text()) + 1 if Path("/proc/sys/kernel/pid_max").exists() else 2**22 + 1
    stale = tmp_path / f".{safety.pending_path(src).name}.{dead}.x1.part.lstmfuse-pending"
    stale.write_text("left by a killed run")
    safety.write_pending(src, "aa", "bb")
    assert not stale.exists()
    assert safety.read_pending(src) == {"old": "aa", "new": "bb"}
    safety.pending_path(src).write_text("{not json")
    assert safety.read_pending(src) is None
    safety.clear_pending(src)
    safety.clear_pending(src)  # twice: no error
    assert _listing(tmp_path) == []


def test_hashes(tmp_path):
    import hashlib

    (tmp_path / "f").write_bytes(b"abc")
    assert safety.sha256(b"abc") == hashlib.sha256(b"abc").hexdigest()
    assert safety.file_sha(tmp_path / "f") == safety.sha256(b"abc")
    assert safety.file_sha(tmp_path / "missing") is None


def test_journal_records_and_loads_only_its_own_recipe(tmp_path):
    recipe, options = [{"op": "transpose", "interval": "+M2"}], {"mode": "out"}
    path = tmp_path / "j" / "k" / safety.JOURNAL_NAME
    j = safety.Journal(path, recipe, options)
    assert j.load() == {}
    j.record({"source": "ignored"})  # not open yet: nothing written
    j.open(append=False)
    j.record({"source": "a.musicxml", "status": "ok"})
    assert "a.musicxml" in path.read_text()  # on disk at once, not when the journal closes
    j.record({"source": "b-é.musicxml", "status": "failed"})
    j.close()
    j.close()
    j.record({"source": "after close"})  # closed: nothing written
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3 and json.loads(lines[0]) == {"journal": "lstmfuse batch", "version": 1, "recipe": recipe, "options": options}
    assert "b-é.musicxml" in lines[2]  # readable as written, not escaped
    with open(path, "a", encoding="utf-8") as fh:
        fh.write('["a list"]\n{"status": "no source"}\n{"source": "c.musi')  # odd lines, then a line cut by a kill
    again = safety.Journal(path, recipe, options)
    assert set(again.load()) == {"a.musicxml", "b-é.musicxml"}
    assert again.load()["b-é.musicxml"]["status"] == "failed"
    again.open(append=True)
    again.record({"source": "d.musicxml", "status": "ok"})
    again.close()
    assert path.read_text(encoding="utf-8").splitlines()[:3] == lines and "d.musicxml" in path.read_text().splitlines()[-1]
    assert set(again.load()) == {"a.musicxml", "b-é.musicxml", "d.musicxml"}  # the cut line is skipped, not the end
    assert "" not in path.read_text(encoding="utf-8").splitlines()  # the cut line was ended once, no blank line
    again.open(append=True)  # the file ends with a newline now: nothing added
    again.close()
    assert "" not in path.read_text(encoding="utf-8").splitlines()
    fresh = safety.Journal(path, recipe, options)
    fresh.open(append=False)  # not resuming: a new journal
    fresh.close()
    assert path.read_text().splitlines() == lines[:1]
    with pytest.raises(UsageError, match="different batch"):
        safety.Journal(path, [{"op": "transpose", "interval": "-m3"}], options).load()
    with pytest.raises(UsageError, match="different batch"):
        safety.Journal(path, recipe, {"mode": "inplace"}).load()
    path.write_text("not a journal\n")
    with pytest.raises(UsageError, match="not a batch journal"):
        j.load()
    path.write_text("")
    assert j.load() == {}
    j.open(append=True)  # empty: starts a new one with its header
    j.close()
    assert path.read_text().splitlines() == lines[:1]


def test_a_journal_line_cut_by_a_kill_never_makes_resume_edit_twice(tmp_path, scores, transposed):
    """Killed while writing the journal line of the last file (its pending marker still on
    disk): the first --resume counts that file done from the marker and journals it; its
    line must not be glued to the cut one, or a second --resume would transpose it again."""
    lib = tmp_path / "lib"
    lib.mkdir()
    files = [lib / f"t{i}.musicxml" for i in range(2)]
    for f in files:
        f.write_bytes(scores["new"])
    env = {**os.environ, "PYTHONPATH": str(_package_root())}
    run = lambda *extra: subprocess.run([sys.executable, "-m", "lstmfuse", *_batch_args(files, "--in-place", *extra)],  # noqa: E731
                                        capture_output=True, text=True, timeout=300, env=env)
    assert run().returncode == 0
    journal = lib / safety.JOURNAL_NAME
    lines = journal.read_text().splitlines()
    journal.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][: len(lines[-1]) // 2])
    safety.write_pending(files[1], safety.sha256(scores["new"]), safety.sha256(transposed))
    for _ in range(2):
        r = run("--resume")
        assert r.returncode == 0, r.stderr
        assert [f.read_bytes() == transposed for f in files] == [True, True]


# ------------------------------------------------------------------------- durability, by spying
needs_proc = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc/self/fd (Linux)")


@pytest.fixture()
def syscalls(monkeypatch) -> list[tuple]:
    """Record fsync (which file, its size on disk then), replace and link, in order."""
    events: list[tuple] = []
    real = {name: getattr(os, name) for name in ("fsync", "replace", "link")}

    def fsync(fd):
        events.append(("fsync", Path(os.readlink(f"/proc/self/fd/{fd}")).name, os.fstat(fd).st_size))
        return real["fsync"](fd)

    def replace(src, dst, *a, **k):
        events.append(("replace", Path(dst).name))
        return real["replace"](src, dst, *a, **k)

    def link(src, dst, *a, **k):
        events.append(("link", Path(dst).name))
        return real["link"](src, dst, *a, **k)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "link", link)
    return events


@needs_proc
def test_io_data_is_on_disk_before_the_rename(tmp_path, syscalls):
    atomic.write_bytes_atomic(tmp_path / "a.musicxml", b"12345")
    atomic.write_bytes_atomic(tmp_path / "a.musicxml", b"123", force=True)
    assert [e[0] for e in syscalls] == ["fsync", "link", "fsync", "fsync", "replace", "fsync"]
    assert syscalls[0][1].startswith(".a.musicxml.") and syscalls[0][2] == 5 and syscalls[3][2] == 3
    assert syscalls[1][1] == syscalls[4][1] == "a.musicxml"
    assert syscalls[2][1] == syscalls[5][1] == tmp_path.name  # the folder, after each rename


@needs_proc
def test_batch_data_and_folder_are_synced_around_the_rename(tmp_path, syscalls):
    atomic.write_bytes_atomic(tmp_path / "a.musicxml", b"12345", force=True, mode=0o644)
    assert [e[0] for e in syscalls] == ["fsync", "replace", "fsync"]
    assert is_temp_name(syscalls[0][1]) and syscalls[0][2] == 5  # flushed before the sync
    assert syscalls[1][1] == "a.musicxml" and syscalls[2][1] == tmp_path.name  # then the folder
    syscalls.clear()
    j = safety.Journal(tmp_path / "j.jsonl", [], {})
    j.open(append=False)
    syscalls.clear()
    j.record({"source": "x"})
    assert syscalls == [("fsync", "j.jsonl", len((tmp_path / "j.jsonl").read_bytes()))]
    j.close()


@needs_proc
def test_writes_leak_no_file_descriptors(tmp_path):
    def open_fds() -> int:
        return len(os.listdir("/proc/self/fd"))

    atomic.write_bytes_atomic(tmp_path / "warm", b"x")
    atomic.write_bytes_atomic(tmp_path / "warm2", b"x", force=True, mode=0o600)
    before = open_fds()
    for i in range(10):
        atomic.write_bytes_atomic(tmp_path / f"a{i}", b"x")
        atomic.write_bytes_atomic(tmp_path / f"b{i}", b"x", force=True, mode=0o600)
    assert open_fds() == before
