"""Generation op: ``regenerate`` (replace bars of a part, e.g. the last two of every tune).

Calls the same score-level functions as ``lstmfuse regenerate`` (generation.regenerate_score),
so a batch regeneration is exactly what the single-file command would write; it takes the
same sampling options (declared once in generation.options).
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
class Regenerate(Op):
    """Replace bars of a part with new ones that fit the music before and after them."""

    name: ClassVar[str] = "regenerate"
    help: ClassVar[str] = (
        "Regenerate bars of a part (9-12, 9, or last:2) with a genre model (--genre) or a fusion "
        "(--weights folk=0.7,irish=0.3): 64 candidates from the music before, drawn by how likely the "
        "bars after them are; everything else stays. The settings are stored in each file's metadata."
    )
    examples: ClassVar[tuple[str, ...]] = (
        "lstmfuse batch regenerate 'tunes/*.musicxml' --bars last:2 --genre irish --seed 1 --out-dir new-endings",
        "lstmfuse batch regenerate 'tunes/*.krn' --bars 5-6 --weights folk=0.5,scottish=0.5 --out-dir alt -j 2",
    )

    bars: str = field(default="last:2", metadata=option("--bars", "-b", help="Bars to replace: 9-12, 9, or last:N."))
    genre: str = field(default="", metadata=option("--genre", "-g", help="One genre model."))
    weights: str = field(default="", metadata=option("--weights", "-w", metavar="GENRE=W", joined=",",
                                                   help="Or a fusion: genre=weight,... or -w once per genre."))
    part: str = field(default="", metadata=option("--part", "-p", help="Part number (from 1, as `lstmfuse info` lists the parts) or name; default: the first part with pitched notes."))
    key: str = field(default="", metadata=option("--key", help="The key every file's music is in where neither its signature nor its notes say it (songs in F written under no signature): F, Bb, e = E minor; each score keeps its signature; default: the signature's, or the key the notes are in."))
    candidates: int = field(default=64, metadata=option("--candidates", help="Candidates sampled per file."))

    def __post_init__(self) -> None:
        if bool(self.genre) == bool(self.weights):
            raise UsageError("regenerate needs either --genre or --weights")
        from ...generation.regenerate import parse_bars

        parse_bars(self.bars)
        if not 1 <= self.candidates <= 1024:
            raise UsageError(f"candidates must be between 1 and 1024 (got {self.candidates})")
        weights_of(self)
        sampling_of(self)
        if self.key:
            from ...theory import major_or_minor_key

            major_or_minor_key(self.key)  # a bad key fails before any file is read

    def apply_score(self, score, doc) -> dict[str, Any]:
        from ...generation.regenerate_score import apply_variant, regenerate_in_score

        source = str(getattr(doc, "path", ""))
        result, index, numbers = regenerate_in_score(
            score, bars=self.bars, genre=self.genre or None, weights=weights_of(self), part=self.part or None,
            options=sampling_of(self), candidates=self.candidates, source=source,
            key=self.key or None,
        )
        dropped = apply_variant(score, index, self.bars, result, 0, source=source.rsplit("/", 1)[-1])
        doc.touch()
        row = {"bars": f"{numbers[0]}-{numbers[-1]}", "by": self.genre or self.weights}
        return {**row, "lyrics_dropped": dropped} if dropped else row
