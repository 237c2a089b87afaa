"""The package's layering, read from its source with the standard library's ``ast``.

Every ``import`` and ``from ... import`` counts: at module level and inside functions
(a local import still makes the layers depend on each other; it only hides a circle
until run time), absolute and relative. ``import_graph()`` maps each ``lstmfuse`` module
to the ``lstmfuse`` modules it imports; ``import_cycles()`` lists its circles. A new
rule is one more test function over the same graph.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import lstmfuse

PACKAGE_DIR = Path(lstmfuse.__file__).resolve().parent
PACKAGE = "lstmfuse"

#: what the I/O layer (the ground floor for files) may import from lstmfuse
IO_MAY_IMPORT = ("lstmfuse.io", "lstmfuse.errors", "lstmfuse.paths", "lstmfuse.theory")


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE_DIR.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    """Every module of the package (``lstmfuse.io.reader``; a package by its ``__init__``)."""
    return {_module_name(p): p for p in sorted(PACKAGE_DIR.rglob("*.py")) if "__pycache__" not in p.parts}


def _resolve(name: str, importer: str, level: int, is_package: bool) -> str:
    """The absolute name of a (possibly relative) import seen in ``importer``."""
    if level == 0:
        return name
    base = importer.split(".")
    if not is_package:
        base = base[:-1]  # a module's relative imports start from its package
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def _known(name: str) -> str | None:
    """The lstmfuse module an import names (the longest existing prefix), else None."""
    mods = modules()
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in mods:
            return candidate
        parts.pop()
    return None


def imports_of(module: str) -> set[str]:
    """The lstmfuse modules ``module`` imports, anywhere in its source."""
    path = modules()[module]
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node.module or "", module, node.level, is_package)
            # ``from pkg import sub`` imports the submodule when there is one
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules() else base for alias in node.names]
        else:
            continue
        for target in targets:
            if target == PACKAGE or target.startswith(PACKAGE + "."):
                known = _known(target)
                if known is not None and known != module:
                    found.add(known)
    return found


@cache
def import_graph() -> dict[str, frozenset[str]]:
    return {m: frozenset(imports_of(m)) for m in modules()}


def import_cycles(graph: dict[str, frozenset[str]] | None = None) -> list[list[str]]:
    """The circles of the graph: each strongly connected component of two or more
    modules (Tarjan's algorithm), sorted."""
    graph = import_graph() if graph is None else graph
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def _path(graph: dict[str, frozenset[str]], start: str, goal: str) -> list[str] | None:
    """One import path from ``start`` to ``goal`` (breadth first), for the failure message."""
    seen = {start: [start]}
    todo = [start]
    while todo:
        v = todo.pop(0)
        for w in sorted(graph.get(v, ())):
            if w not in seen:
                seen[w] = seen[v] + [w]
                if w == goal:
                    return seen[w]
                todo.append(w)
    return None


# --------------------------------------------------------------------------- the walker itself


def test_the_walker_sees_local_and_relative_imports(tmp_path):
    assert _resolve("reader", "lstmfuse.io.render", 1, False) == "lstmfuse.io.reader"
    assert _resolve("errors", "lstmfuse.io.render", 2, False) == "lstmfuse.errors"
    assert _resolve("", "lstmfuse.io", 1, True) == "lstmfuse.io"
    assert _resolve("ops", "lstmfuse.batch", 1, True) == "lstmfuse.batch.ops"
    graph = import_graph()
    assert "lstmfuse.io.atomic" in graph["lstmfuse.io.writer"]  # module level, relative
    assert "lstmfuse.io.reader" in graph["lstmfuse.io.document"]  # inside a function
    assert import_cycles({"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"}), "d": frozenset({"a"})}) == [["a", "b", "c"]]


# --------------------------------------------------------------------------- the rules


def test_io_imports_nothing_above_it():
    graph = import_graph()
    bad = {
        m: sorted(t for t in targets if not any(t == ok or t.startswith(ok + ".") for ok in IO_MAY_IMPORT))
        for m, targets in graph.items()
        if m == "lstmfuse.io" or m.startswith("lstmfuse.io.")
    }
    assert {m: t for m, t in bad.items() if t} == {}


def test_no_module_outside_io_reads_musicxml_bytes_itself():
    """One home for MusicXML/.mxl: nobody else builds an lxml parser or opens an .mxl zip."""
    offenders = []
    for module, path in modules().items():
        if module == "lstmfuse.io.musicxml":
            continue
        text = path.read_text(encoding="utf-8")
        if "XMLParser(" in text or "etree.iterparse(" in text or "container.xml" in text:
            offenders.append(module)
    assert offenders == []


def test_batch_runner_and_dask_engine_form_no_circle():
    graph = import_graph()
    runner, dask = "lstmfuse.batch.runner", "lstmfuse.batch.dask_engine"
    assert dask in graph[runner]  # the runner uses the engine...
    assert _path(graph, dask, runner) is None  # ...and no chain of imports leads back
    assert not [c for c in import_cycles() if runner in c or dask in c]


def test_convert_module_is_gone():
    assert "lstmfuse.convert" not in modules()
    assert not [m for m, targets in import_graph().items() if "lstmfuse.convert" in targets]


def private_imports(prefixes: tuple[str, ...]) -> dict[str, list[str]]:
    """``module: [package.module._name, ...]`` for each ``from X import _name`` of another
    lstmfuse module, in the modules under ``prefixes``."""
    found: dict[str, list[str]] = {}
    for module, path in modules().items():
        if not module.startswith(prefixes):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                base = _resolve(node.module or "", module, node.level, path.name == "__init__.py")
                if base.startswith(PACKAGE) and base != module:
                    found.setdefault(module, []).extend(
                        f"{base}.{a.name}" for a in node.names if a.name.startswith("_") and not a.name.startswith("__"))
    return {m: names for m, names in found.items() if names}


def test_io_and_batch_use_only_public_names_of_other_modules():
    assert private_imports(("lstmfuse.io", "lstmfuse.batch")) == {}


def test_no_import_circles_anywhere():
    """No chain of imports (module level or local) leads from a module back to itself."""
    assert import_cycles() == []
