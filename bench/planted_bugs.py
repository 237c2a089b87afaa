"""Plant each bug of issue 16's table in a temporary copy of the repository and show which
tests catch it (each must make at least one test fail).

    .venv/bin/python bench/planted_bugs.py            # all bugs
    .venv/bin/python bench/planted_bugs.py shift cancel

The copy comes from ``git archive HEAD``; tests run there with ``PYTHONPATH`` pointing at the
copy (so its ``lstmfuse`` is the one imported, child processes included). Nothing in the
working tree is touched.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _between(src: str, start: str, end: str, new: str) -> str:
    i, j = src.index(start), src.index(end)
    return src[:i] + new + src[j:]


def _replace(src: str, old: str, new: str) -> str:
    assert src.count(old) == 1, old
    return src.replace(old, new)


#: name -> (module, change, test files)
BUGS = {
    "io-direct": ("lstmfuse/io/atomic.py", "atomic_output writes straight to the destination (no temp file, no rename)",
                  lambda s: _between(s, "    p = check_writable(dest, force)\n    _remove_dead_temps(p)", "def write_bytes_atomic",
                                     "    p = check_writable(dest, force)\n    yield p\n\n\n"),
                  ["tests/test_io_core.py", "tests/test_io_cli_errors.py", "tests/test_crash_safety.py"]),
    "batch-plain": ("lstmfuse/batch/runner.py", "a batch result is written with a plain write_bytes",
                    lambda s: _replace(s, "    write_bytes_atomic(dst, data, force=force)\n", "    dst.write_bytes(data)\n"),
                    ["tests/test_batch_kill.py", "tests/test_crash_safety.py"]),
    "position": ("lstmfuse/encoding/tokens.py", "a duration token gets the note's start as position, not the next token's",
                 lambda s: _replace(s, "push(V.duration_token(d), e.bar_pos + elapsed, meter)", "push(V.duration_token(d), e.bar_pos, meter)"),
                 ["tests/test_encoding.py", "tests/test_engine_parts.py", "tests/test_encoder_handderived.py"]),
    "shift": ("lstmfuse/encoding/tokens.py", "normalising_shift sign flipped",
              lambda s: _replace(s, "shift = (-7 * sharps) % 12", "shift = (7 * sharps) % 12"),
              ["tests/test_encoding.py", "tests/test_encoder_handderived.py"]),
    "cancel": ("lstmfuse/batch/ops/transpose.py", "<cancel> of a key signature not transposed",
               lambda s: _replace(s, 'for tag in ("fifths", "cancel"):', 'for tag in ("fifths",):'),
               ["tests/test_keysig_transpose.py"]),
    "top-p-short": ("lstmfuse/generation/sampler.py", "top-p nucleus one token short",
                    lambda s: _replace(s, "bisect.bisect_left(cum, nucleus[b] * cum[-1]) + 1", "bisect.bisect_left(cum, nucleus[b] * cum[-1])"),
                    ["tests/test_engine_parts.py", "tests/test_sampler_exact.py"]),
    "top-p-long": ("lstmfuse/generation/sampler.py", "top-p nucleus one token too many",
                   lambda s: _replace(s, "bisect.bisect_left(cum, nucleus[b] * cum[-1]) + 1", "bisect.bisect_left(cum, nucleus[b] * cum[-1]) + 2"),
                   ["tests/test_engine_parts.py", "tests/test_sampler_exact.py"]),
    "top-p-mass": ("lstmfuse/generation/sampler.py", "draws scaled by the whole mass, not the nucleus's",
                   lambda s: _replace(s, "draws[b] * cum[keep - 1]", "draws[b] * cum[-1]"),
                   ["tests/test_engine_parts.py", "tests/test_sampler_exact.py"]),
}


def main(argv: list[str]) -> int:
    names = argv or list(BUGS)
    archive = subprocess.run(["git", "archive", "--format=tar", "HEAD"], cwd=REPO, capture_output=True, check=True).stdout
    missed = []
    for name in names:
        path, what, change, tests = BUGS[name]
        with tempfile.TemporaryDirectory(prefix="lstmfuse-planted-") as tmp:
            root = Path(tmp)
            with tarfile.open(fileobj=io.BytesIO(archive)) as tf:
                tf.extractall(root, filter="data")
            target = root / path
            target.write_text(change(target.read_text(encoding="utf-8")), encoding="utf-8")
            env = {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}
            proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", "-rf", *tests],
                                  cwd=root, env=env, capture_output=True, text=True)
            failed = sorted({m.split(" - ")[0].split("::")[1].split("[")[0] for m in re.findall(r"^FAILED (\S+.*)$", proc.stdout, re.M)})
            summary = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr[-300:]
            print(f"{name}: {what} ({path})\n  {' '.join(tests)}\n  {summary}")
            for t in failed:
                print(f"    fails: {t}")
            if proc.returncode == 0:
                missed.append(name)
    print("every planted bug caught" if not missed else f"NOT caught: {', '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
