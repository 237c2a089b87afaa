"""Start-up cost: ``import lstmfuse``, ``import lstmfuse.cli``, ``lstmfuse --help``, and the
bridge from import to its first /continue answer (import, model preload, a 2-bar folk
continuation of a 4-event passage). CPU time (user+sys) of fresh processes, median of N.

    .venv/bin/python bench/bench_startup.py [--runs 11] [--tree DIR ...]

``--tree`` compares source trees run by turns (the same load hits each alike), e.g. a commit
against the working copy::

    mkdir -p /tmp/e2fba4e && git archive e2fba4e lstmfuse bridge | tar -x -C /tmp/e2fba4e
    mv /tmp/e2fba4e/bridge /tmp/e2fba4e/lstmfuse_bridge && .venv/bin/python -m compileall -q /tmp/e2fba4e
    .venv/bin/python bench/bench_startup.py --tree /tmp/e2fba4e --tree .

(a tree is put first on PYTHONPATH; ``.`` is this checkout as installed). Precompile a tree's
bytecode as above: with PYTHONDONTWRITEBYTECODE set, an uncompiled tree measures the compiler.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile

FIRST_ANSWER = """
from lstmfuse_bridge import server, service
from lstmfuse_bridge.protocol import parse_request
service.preload()
request = {"protocol": 1, "client": {"name": "bench"}, "options": {"genre": "folk", "bars": 2, "seed": 1},
           "selection": {"start_tick": 0, "bar_pos": "0", "meter": "4/4", "key": {"fifths": -1, "mode": "major"},
                         "events": [{"rest": False, "pitch": 65, "tpc": 13, "duration": "1/4"},
                                    {"rest": False, "pitch": 70, "tpc": 12, "duration": "1/4"},
                                    {"rest": True, "duration": "1/4"},
                                    {"rest": False, "pitch": 69, "tpc": 17, "duration": "1/4"}]}}
assert service.answer(parse_request(request, "continue"))["ok"]
"""

CASES = {
    "import lstmfuse": ["-c", "import lstmfuse"],
    "import lstmfuse.cli": ["-c", "import lstmfuse.cli"],
    "lstmfuse --help": ["-m", "lstmfuse", "--help"],
    "bridge start to first answer": ["-c", FIRST_ANSWER],
}


def cpu_ms(args: list[str], tree: str | None) -> float:
    env = dict(os.environ, COLUMNS="120")
    if tree and tree != ".":
        env["PYTHONPATH"] = os.path.abspath(tree)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    # run outside the checkout: with ``-c`` the working folder comes first on sys.path and
    # would shadow the tree under test
    subprocess.run([sys.executable, *args], env=env, cwd=tempfile.gettempdir(), stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return 1000 * (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--tree", action="append", help="a source tree to time (repeat to compare; default: this checkout)")
    args = ap.parse_args()
    trees = args.tree or ["."]
    for name, cmd in CASES.items():
        times: dict[str, list[float]] = {t: [] for t in trees}
        for _ in range(args.runs):
            for t in trees:
                times[t].append(cpu_ms(cmd, t))
        row = "   ".join(f"{t}: {statistics.median(v):7.1f} ms" for t, v in times.items())
        print(f"{name:30s} {row}   (CPU, median of {args.runs})")


if __name__ == "__main__":
    main()
