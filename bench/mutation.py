"""Mutation check of the core modules: do the tests notice small deliberate bugs?

Slow (minutes per module), so it is not part of the test suite. For each module, every
mutant - one small change: an arithmetic or comparison operator swapped, a boolean operator
swapped, a constant changed, a condition negated, a ``not`` or unary minus dropped,
``break``/``continue`` swapped, a call statement dropped - is written into a temporary copy
of the repository (``git archive HEAD``; ``--worktree`` copies the working tree instead) and
the module's own narrow test selection runs against that copy in a fresh interpreter with
``pytest -x``. A mutant is *killed* when the tests fail, error or time out, and *survives*
when they pass. The unmutated module (written back from its syntax tree, as every mutant
is) must pass first.

    .venv/bin/python bench/mutation.py                      # every module, report on stdout
    .venv/bin/python bench/mutation.py --module sampler --list
    .venv/bin/python bench/mutation.py --only tokens:17 tokens:40 --json /tmp/m.json

docs/TESTING.md holds the last report and explains the surviving (equivalent) mutants.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

#: module short name -> (path, pytest arguments: the narrow selection that should catch it)
MODULES: dict[str, tuple[str, list[str]]] = {
    "atomic": ("lstmfuse/io/atomic.py", [
        "tests/test_crash_safety.py", "-k", "not batch and not journal and not pending and not clean_stale and not hashes",
    ]),
    "safety": ("lstmfuse/batch/safety.py", [
        "tests/test_crash_safety.py", "tests/test_batch_runner.py",
        "-k", "crash_safety and (batch or journal or pending or clean_stale or hashes or umask or leak) or batch_runner",
    ]),
    "tokens": ("lstmfuse/encoding/tokens.py", [
        "tests/test_encoder_handderived.py", "tests/test_encoding.py", "tests/test_engine_parts.py",
        "-k", "not real_pieces or palestrina",
    ]),
    "sampler": ("lstmfuse/generation/sampler.py", [
        "tests/test_sampler_exact.py", "tests/test_engine_parts.py", "-k", "sampler or same_generator",
    ]),
    "transpose": ("lstmfuse/batch/ops/transpose.py", [
        "tests/test_keysig_transpose.py", "tests/test_batch_transpose.py", "tests/test_batch_ops.py",
        "-k", "keysig_transpose or to_key or bad_ or kern or diatonic or mxl_container or set_key",
    ]),
}

_BINOP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.FloorDiv: ast.Div,
          ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult, ast.BitOr: ast.BitAnd, ast.BitAnd: ast.BitOr,
          ast.LShift: ast.RShift, ast.RShift: ast.LShift}
_CMP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
        ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn, ast.NotIn: ast.In}


@dataclass
class Mutant:
    id: str  # "<module>:<n>"
    line: int
    kind: str
    before: str
    after: str
    status: str = ""  # killed / survived / timeout / error
    seconds: float = 0.0


def _skipped_nodes(tree: ast.AST) -> set[int]:
    """Nodes never mutated: annotations, f-strings, docstrings, ``from __future__``."""
    skip: set[int] = set()

    def mark(node: ast.AST | None) -> None:
        if node is not None:
            skip.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            mark(node.returns)
            for a in node.args.args + node.args.kwonlyargs + node.args.posonlyargs + [node.args.vararg, node.args.kwarg]:
                if a is not None:
                    mark(a.annotation)
        elif isinstance(node, ast.AnnAssign):
            mark(node.annotation)
        elif isinstance(node, ast.JoinedStr):
            mark(node)
        elif isinstance(node, ast.ImportFrom) and node.module == "__future__":
            mark(node)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                mark(first)
    return skip


def _sites(tree: ast.AST) -> list[tuple[int, str, int]]:
    """Every mutation point as (index in ast.walk order, kind, sub-index)."""
    skip = _skipped_nodes(tree)
    out = []
    for i, node in enumerate(ast.walk(tree)):
        if id(node) in skip:
            continue
        if isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in _BINOP:
            out.append((i, "operator", 0))
        elif isinstance(node, ast.Compare):
            out += [(i, "comparison", k) for k, op in enumerate(node.ops) if type(op) in _CMP]
        elif isinstance(node, ast.BoolOp):
            out.append((i, "and/or", 0))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub)):
            out.append((i, "drop unary", 0))
        elif isinstance(node, ast.Constant) and isinstance(node.value, (bool, int, float)):
            out.append((i, "constant", 0))
        elif isinstance(node, (ast.If, ast.While, ast.IfExp)):
            out.append((i, "negate condition", 0))
        elif isinstance(node, (ast.Break, ast.Continue)):
            out.append((i, "break/continue", 0))
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            out.append((i, "drop call", 0))
    return out


def _apply(source: str, site: tuple[int, str, int]) -> tuple[str, int, str, str]:
    """The mutated module's source, the line, and the changed code before/after."""
    tree = ast.parse(source)
    nodes = list(ast.walk(tree))
    parents = {id(c): p for p in nodes for c in ast.iter_child_nodes(p)}
    index, kind, sub = site
    node = nodes[index]
    line = getattr(node, "lineno", 0)
    shown = node.test if isinstance(node, (ast.If, ast.While, ast.IfExp)) else node
    before = ast.unparse(shown)

    def replace(old: ast.AST, new: ast.AST) -> None:
        parent = parents[id(old)]
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
                return
            if isinstance(value, list) and any(v is old for v in value):
                value[[k for k, v in enumerate(value) if v is old][0]] = new
                return
        raise AssertionError("node not found in its parent")

    if kind == "operator":
        node.op = _BINOP[type(node.op)]()
    elif kind == "comparison":
        node.ops[sub] = _CMP[type(node.ops[sub])]()
    elif kind == "and/or":
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif kind == "drop unary":
        replace(node, node.operand)
        shown = node.operand
    elif kind == "constant":
        v = node.value
        node.value = (not v) if isinstance(v, bool) else v + 1
    elif kind == "negate condition":
        node.test = ast.UnaryOp(ast.Not(), node.test)
        shown = node.test
    elif kind == "break/continue":
        new = ast.Continue() if isinstance(node, ast.Break) else ast.Break()
        replace(node, new)
        shown = new
    elif kind == "drop call":
        new = ast.Pass()
        replace(node, new)
        shown = new
    ast.fix_missing_locations(tree)
    return ast.unparse(tree) + "\n", line, before, ast.unparse(shown)


def mutants_of(name: str) -> tuple[str, list[tuple[Mutant, str]]]:
    path, _ = MODULES[name]
    source = (REPO / path).read_text(encoding="utf-8")
    plain = ast.unparse(ast.parse(source)) + "\n"
    out = []
    for n, site in enumerate(_sites(ast.parse(source)), start=1):
        code, line, before, after = _apply(source, site)
        out.append((Mutant(f"{name}:{n}", line, site[1], before, after), code))
    return plain, out


def _copy_repo(dest: Path, worktree: bool) -> None:
    if worktree:
        files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                               capture_output=True, check=True).stdout.split(b"\0")
        for f in filter(None, files):
            src = REPO / f.decode()
            if src.is_file():
                (dest / f.decode()).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dest / f.decode())
        return
    archive = subprocess.run(["git", "archive", "--format=tar", "HEAD"], cwd=REPO, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=__import__("io").BytesIO(archive)) as tf:
        tf.extractall(dest, filter="data")


LAST_OUTPUT = [""]


def _run_tests(copy_root: Path, args: list[str], timeout: float) -> tuple[str, float]:
    env = {**os.environ, "PYTHONPATH": str(copy_root), "PYTHONDONTWRITEBYTECODE": "1"}
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-o", "addopts=", *args]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=copy_root, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", time.perf_counter() - t0
    seconds = time.perf_counter() - t0
    LAST_OUTPUT[0] = proc.stdout[-4000:] + proc.stderr[-2000:]
    if proc.returncode == 0:
        return "survived", seconds
    if proc.returncode == 1:
        return "killed", seconds
    if proc.returncode == 5:
        raise SystemExit(f"no tests selected by {args}")
    return "error", seconds  # the mutant broke collection or import: the tests noticed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--module", nargs="*", choices=list(MODULES), help="modules to mutate (default: all)")
    ap.add_argument("--only", nargs="*", help="mutant ids to run (e.g. tokens:17), as --list shows them")
    ap.add_argument("--list", action="store_true", help="list the mutants and stop")
    ap.add_argument("--worktree", action="store_true", help="copy the working tree instead of HEAD")
    ap.add_argument("--json", type=Path, help="write the full result here")
    a = ap.parse_args(argv)
    names = a.module or list(MODULES)
    if a.only:
        names = [n for n in names if any(o.split(":")[0] == n for o in a.only)]
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="lstmfuse-mutation-") as tmp:
        root = Path(tmp)
        if not a.list:
            _copy_repo(root, a.worktree)
        for name in names:
            path, args = MODULES[name]
            plain, mutants = mutants_of(name)
            if a.only:
                mutants = [(m, c) for m, c in mutants if m.id in a.only]
            if a.list:
                for m, _ in mutants:
                    print(f"{m.id:14} line {m.line:4} {m.kind:17} {m.before!r} -> {m.after!r}")
                continue
            target = root / path
            target.write_text(plain, encoding="utf-8")
            status, base = _run_tests(root, args, timeout=1800)
            if status != "survived":
                raise SystemExit(f"{name}: the tests fail on the unmutated module ({status}); fix that first\n{LAST_OUTPUT[0]}")
            print(f"{name}: {len(mutants)} mutants, tests take {base:.1f} s unmutated", flush=True)
            for m, code in mutants:
                target.write_text(code, encoding="utf-8")
                m.status, m.seconds = _run_tests(root, args, timeout=max(60.0, 4 * base))
                m.seconds = round(m.seconds, 1)
                print(f"  {m.id:14} {m.status:8} line {m.line:4} {m.kind:17} {m.before!r} -> {m.after!r}", flush=True)
            target.write_text(plain, encoding="utf-8")
            killed = sum(m.status != "survived" for m, _ in mutants)
            results[name] = {"path": path, "tests": args, "baseline_seconds": round(base, 1), "mutants": len(mutants),
                             "killed": killed, "survived": len(mutants) - killed,
                             "detail": [asdict(m) for m, _ in mutants]}
    if a.list:
        return 0
    total = sum(r["mutants"] for r in results.values())
    killed = sum(r["killed"] for r in results.values())
    print("\n| module | mutants | killed | survived | kill rate |\n| --- | ---: | ---: | ---: | ---: |")
    for name, r in results.items():
        print(f"| {r['path']} | {r['mutants']} | {r['killed']} | {r['survived']} | {r['killed'] / max(r['mutants'], 1):.1%} |")
    print(f"| all | {total} | {killed} | {total - killed} | {killed / max(total, 1):.1%} |")
    for name, r in results.items():
        for m in r["detail"]:
            if m["status"] == "survived":
                print(f"survived {m['id']:14} line {m['line']:4} {m['kind']:17} {m['before']!r} -> {m['after']!r}")
    if a.json:
        a.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
