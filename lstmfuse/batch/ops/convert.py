"""Format op: ``convert``.

MusicXML <-> .mxl is a container change only (the MusicXML inside is byte-for-byte the
same, other zip members are kept). Anything involving **kern, ABC or MIDI goes through
music21 (with converter21 for kern), like ``lstmfuse convert``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from ...errors import UsageError
from ...io.formats import WRITABLE, normalise_format
from . import Op, option, register


@register
@dataclass(frozen=True)
class Convert(Op):
    """Write the result in another format."""

    name: ClassVar[str] = "convert"
    help: ClassVar[str] = (
        "Write the output in another format: musicxml, mxl, kern, midi. MusicXML <-> mxl keeps the "
        "MusicXML as it is; kern and MIDI go through music21."
    )
    examples: ClassVar[tuple[str, ...]] = (
        "lstmfuse batch convert 'scores/*.musicxml' --to mxl --out-dir compressed",
        "lstmfuse batch convert 'palestrina/*.krn' --to musicxml --out-dir xml -j 2",
    )

    to: str = field(default="musicxml", metadata=option("--to", "-t", help="Output format: musicxml, mxl, kern, midi."))

    def __post_init__(self) -> None:
        try:
            fmt = normalise_format(self.to)
        except UsageError:  # its list would offer abc, which is read but not written
            raise UsageError(f"unknown format '{self.to}' (writable: {', '.join(WRITABLE)})") from None
        if fmt not in WRITABLE:
            raise UsageError(f"cannot write {fmt} (writable: {', '.join(WRITABLE)})")

    def apply(self, doc) -> dict[str, Any]:
        fmt = normalise_format(self.to)
        old = doc.target_format
        doc.target_format = fmt
        return {} if old == fmt else {"format": f"{old} -> {fmt}"}
