"""The op registry: every batch operation is a small frozen dataclass registered by name.

Adding an op is one module: put ``lstmfuse/batch/ops/<family>.py`` next to these (it is
discovered automatically), or, from another package, expose the module under the entry
point group ``lstmfuse.batch_ops``. The module defines::

    @register
    @dataclass(frozen=True)
    class Continue(Op):
        name: ClassVar[str] = "continue"
        help: ClassVar[str] = "Continue the melody with a genre model."
        bars: int = field(default=4, metadata=option("--bars", help="bars to add"))

        def apply_score(self, score, doc):      # or apply_xml(self, root, doc)
            ...                                  # edit in place
            doc.touch()
            return {"bars added": self.bars}

The dataclass fields are the op's parameters everywhere: Python (``Continue(bars=8)``),
recipes (``[[steps]] op = "continue"  bars = 8``) and the command line
(``lstmfuse batch continue FILES --bars 8``), which is generated from the fields.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import pkgutil
import sys
import typing
from dataclasses import dataclass
from typing import Any, ClassVar

from ...errors import UsageError

ENTRY_POINT_GROUP = "lstmfuse.batch_ops"

REGISTRY: dict[str, type["Op"]] = {}
_loaded = False


def option(*flags: str, help: str = "", argument: bool = False, metavar: str | None = None,
           joined: str | None = None) -> dict:
    """Field metadata for the generated CLI: ``field(default=..., metadata=option("--to-key", "-k"))``.

    ``joined``: the option may be given more than once and its values reach the (text) field
    joined by this separator, so that ``-w folk=.5 -w irish=.5`` is not silently the last one."""
    return {"flags": flags, "help": help, "argument": argument, "metavar": metavar, "joined": joined}


@dataclass(frozen=True)
class Op:
    """Base class of every batch operation."""

    name: ClassVar[str] = ""
    help: ClassVar[str] = ""
    examples: ClassVar[tuple[str, ...]] = ()

    # -- what subclasses implement (one or both)

    def apply_xml(self, root, doc) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def apply_score(self, score, doc) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- machinery

    def apply(self, doc) -> dict[str, Any]:
        """Run on a Document: on its MusicXML tree when the op can, else on a music21 score."""
        cls = type(self)
        has_xml = cls.apply_xml is not Op.apply_xml
        has_score = cls.apply_score is not Op.apply_score
        if has_score and doc.state != "xml":
            return self.apply_score(doc.music21(), doc) or {}
        if has_score and not has_xml:  # a MusicXML file keeps every bar the op did not change
            return doc.edit_music21(lambda score: self.apply_score(score, doc)) or {}
        return self.apply_xml(doc.xml(), doc) or {}

    def params(self) -> dict[str, Any]:
        """The parameters that differ from their defaults (JSON/TOML friendly)."""
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            default = f.default if f.default is not dataclasses.MISSING else (
                f.default_factory() if f.default_factory is not dataclasses.MISSING else dataclasses.MISSING)
            if value != default:
                out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    def to_spec(self) -> dict[str, Any]:
        return {"op": self.name, **self.params()}

    def describe(self) -> str:
        args = " ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"{self.name} {args}".strip()

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> "Op":
        known = {f.name: f for f in dataclasses.fields(cls)}
        norm = {}
        for key, value in params.items():
            k = key.replace("-", "_")
            if k not in known:
                raise UsageError(f"op '{cls.name}' has no parameter '{key}' (it has: {', '.join(known) or 'none'})")
            if isinstance(value, list):
                value = tuple(value)
            norm[k] = value
        try:
            return cls(**norm)
        except TypeError as exc:
            raise UsageError(f"op '{cls.name}': {exc}") from None


def register(cls: type[Op]) -> type[Op]:
    """Class decorator: make an op available under ``cls.name``."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no name")
    REGISTRY[cls.name] = cls
    return cls


def load_ops() -> dict[str, type[Op]]:
    """Import every op module of this package and of the ``lstmfuse.batch_ops`` entry points."""
    global _loaded
    if _loaded:
        return REGISTRY
    for mod in pkgutil.iter_modules(__path__):
        if not mod.name.startswith("_"):
            importlib.import_module(f"{__name__}.{mod.name}")
    if _plugins_declared():
        try:
            from importlib.metadata import entry_points

            for ep in entry_points(group=ENTRY_POINT_GROUP):
                ep.load()
        except Exception:  # pragma: no cover - a broken third-party plug-in must not break the CLI
            pass
    _loaded = True
    return REGISTRY


def _plugins_declared() -> bool:
    """Whether an installed distribution names the ``lstmfuse.batch_ops`` group, read straight
    from the entry_points.txt files (~2 ms): importing importlib.metadata and parsing every
    distribution's metadata cost ~15-40 ms at every start of the command line, which builds
    the batch sub-commands, and almost no installation has a plug-in."""
    marker = f"[{ENTRY_POINT_GROUP}]"
    for base in sys.path:
        try:
            entries = os.scandir(base or ".")
        except OSError:
            continue
        with entries:
            for entry in entries:
                if not entry.name.endswith((".dist-info", ".egg-info")):
                    continue
                try:
                    with open(os.path.join(entry.path, "entry_points.txt"), encoding="utf-8") as f:
                        if marker in f.read():
                            return True
                except OSError:
                    continue
    return False


def get_op(name: str) -> type[Op]:
    ops = load_ops()
    key = name.strip().lower().replace("_", "-")
    if key not in ops:
        raise UsageError(f"unknown op '{name}' (choose from {', '.join(sorted(ops))})")
    return ops[key]


def op_from_spec(spec: dict[str, Any] | Op) -> Op:
    """``{"op": "transpose", "interval": "+M2"}`` -> ``Transpose("+M2")``."""
    if isinstance(spec, Op):
        return spec
    if not isinstance(spec, dict) or "op" not in spec:
        raise UsageError(f"a step needs an 'op' name: {spec!r}")
    params = {k: v for k, v in spec.items() if k != "op"}
    return get_op(str(spec["op"])).from_params(params)


def field_type(cls: type[Op], f: dataclasses.Field) -> Any:
    """The resolved annotation of a field (dataclasses keep strings under __future__)."""
    hints = typing.get_type_hints(cls)
    return hints.get(f.name, str)


__all__ = ["ENTRY_POINT_GROUP", "Op", "REGISTRY", "field_type", "get_op", "load_ops", "op_from_spec", "option", "register"]
