"""Scripted batch edits over many scores.

    from lstmfuse import batch
    result = batch.run(["scores/*.musicxml"], [batch.Transpose("+M2"), batch.SetMeta(composer="Anon.")],
                       out_dir="out")
    print(result.summary(), result.exit_code)

MusicXML and .mxl files are edited on their XML tree (lxml): what an op is not about stays
exactly as it was. Ops: transpose, set-key, extract-parts, remove-parts, reorder-parts,
set-meta, set-tempo, convert; new ones register from one module (see ``batch.ops``).
"""

from __future__ import annotations

from ..io.document import Document
from .ops import Op, get_op, load_ops, op_from_spec, option, register
from .ops.convert import Convert
from .ops.meta import SetMeta
from .ops.parts import ExtractParts, RemoveParts, ReorderParts
from .ops.tempo import SetTempo
from .ops.transpose import SetKey, Transpose
from .recipe import Recipe, load_recipe
from .runner import BatchResult, FileResult, expand_inputs, run, write_report


def apply(path, ops, fmt: str | None = None) -> tuple[bytes, dict]:
    """Apply ``ops`` to one file in memory: ``(output bytes, changes)``; nothing is written."""
    doc = Document.read(path)
    changes = {}
    for op in ops:
        op = op_from_spec(op)
        got = op.apply(doc)
        if got:
            changes[op.name] = got
    return doc.output_bytes(fmt), changes


__all__ = [
    "BatchResult", "Convert", "Document", "ExtractParts", "FileResult", "Op", "Recipe", "RemoveParts",
    "ReorderParts", "SetKey", "SetMeta", "SetTempo", "Transpose", "apply", "expand_inputs", "get_op",
    "load_ops", "load_recipe", "op_from_spec", "option", "register", "run", "write_report",
]
