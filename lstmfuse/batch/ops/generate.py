"""Generation ops: ``continue`` (a genre model or a weighted fusion appends N bars).

Calls the same score-level function as ``lstmfuse continue`` (generation.service), so a
batch continuation is exactly what the single-file command would write; it takes the same
sampling options (declared once in generation.options).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from ...errors import UsageError
from . import Op, option, register
from ._sampling import sampling_of, weights_of, with_sampling_fields


@register
@dataclass(frozen=True)
@with_sampling_fields()
class Continue(Op):
    """Append bars written by a genre model or a weighted fusion of genres."""

    name: ClassVar[str] = "continue"
    help: ClassVar[str] = (
        "Continue a part by N bars with a genre model (--genre) or a fusion (--weights folk=0.7,irish=0.3), "
        "in the score's own key and meter, with the sampling options of 'lstmfuse continue'; the settings "
        "are stored in each file's metadata."
    )
    examples: ClassVar[tuple[str, ...]] = (
        "lstmfuse batch continue 'tunes/*.musicxml' --genre irish --bars 8 --seed 1 --out-dir extended",
        "lstmfuse batch continue 'tunes/*.krn' --weights folk=0.5,scottish=0.5 --bars 4 --top-k 8 --out-dir fused -j 2",
    )

    bars: int = field(default=4, metadata=option("--bars", "-b", help="Whole bars to add."))
    genre: str = field(default="", metadata=option("--genre", "-g", help="One genre model."))
    weights: str = field(default="", metadata=option("--weights", "-w", metavar="GENRE=W", joined=",",
                                                   help="Or a fusion: genre=weight,... or -w once per genre."))
    part: str = field(default="", metadata=option("--part", "-p", help="Part number (from 1, as `lstmfuse info` lists the parts) or name; default: the first part with pitched notes."))
    key: str = field(default="", metadata=option("--key", help="The key every file's music is in where neither its signature nor its notes say it (songs in F written under no signature): F, Bb, e = E minor; each score keeps its signature; default: the signature's, or the key the notes are in."))

    def __post_init__(self) -> None:
        if bool(self.genre) == bool(self.weights):
            raise UsageError("continue needs either --genre or --weights")
        if not 1 <= self.bars <= 256:
            raise UsageError(f"bars must be between 1 and 256 (got {self.bars})")
        weights_of(self)
        sampling_of(self)
        if self.key:
            from ...theory import major_or_minor_key

            major_or_minor_key(self.key)  # a bad key fails before any file is read

    def apply_score(self, score, doc) -> dict[str, Any]:
        from ...generation.service import continue_in_score

        settings = continue_in_score(
            score,
            bars=self.bars,
            genre=self.genre or None,
            weights=weights_of(self),
            part=self.part or None,
            options=sampling_of(self),
            source=str(getattr(doc, "path", "")),
            key=self.key or None,
        )
        doc.touch()
        said = {"bars added": settings["bars_added"], "by": self.genre or self.weights}
        if "key_of_notes" in settings:  # the signature writes another key than the notes: say which was used
            said["key (--key)" if settings["key_of_notes"].get("named") else "key of the notes"] = settings["key_of_notes"]["name"]
        if "key_change" in settings:  # continued in the key the passage changed to
            said["key from bar"] = f"{settings['key_change']['bar']}: {settings['key_change']['name']}"
        return said
