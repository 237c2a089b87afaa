"""Generation ops: ``continue`` (a genre model or a weighted fusion appends N bars).

Calls the same score-level function as ``lstmfuse continue`` (generation.service), so a
batch continuation is exactly what the single-file command would write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from ...errors import UsageError
from . import Op, option, register


@register
@dataclass(frozen=True)
class Continue(Op):
    """Append bars written by a genre model or a weighted fusion of genres."""

    name: ClassVar[str] = "continue"
    help: ClassVar[str] = (
        "Continue a part by N bars with a genre model (--genre) or a fusion (--weights folk=0.7,irish=0.3), "
        "in the score's own key and meter; the settings are stored in each file's metadata."
    )
    examples: ClassVar[tuple[str, ...]] = (
        "lstmfuse batch continue 'tunes/*.musicxml' --genre irish --bars 8 --seed 1 --out-dir extended",
        "lstmfuse batch continue 'tunes/*.krn' --weights folk=0.5,scottish=0.5 --bars 4 --out-dir fused -j 2",
    )

    bars: int = field(default=4, metadata=option("--bars", "-b", help="Whole bars to add."))
    genre: str = field(default="", metadata=option("--genre", "-g", help="One genre model."))
    weights: str = field(default="", metadata=option("--weights", "-w", help="Or a fusion: genre=weight,..."))
    part: str = field(default="0", metadata=option("--part", "-p", help="Part index (from 0) or name."))
    temperature: float = field(default=0.9, metadata=option("--temperature", "-t", help="Sampling temperature."))
    seed: int = field(default=0, metadata=option("--seed", help="Random seed (the same for every file)."))
    form: str = field(default="auto", metadata=option("--form", help="Phrase plan: auto, free, or a layout like AABB."))

    def __post_init__(self) -> None:
        if bool(self.genre) == bool(self.weights):
            raise UsageError("continue needs either --genre or --weights")
        if not 1 <= self.bars <= 256:
            raise UsageError(f"bars must be between 1 and 256 (got {self.bars})")
        from ...generation.form import parse_form

        parse_form(self.form)

    def apply_score(self, score, doc) -> dict[str, Any]:
        from ...generation.options import SamplingOptions
        from ...generation.service import continue_in_score

        settings = continue_in_score(
            score,
            bars=self.bars,
            genre=self.genre or None,
            weights=self.weights or None,
            part=self.part,
            options=SamplingOptions(temperature=self.temperature, seed=self.seed, form=self.form),
            source=str(getattr(doc, "path", "")),
        )
        doc.touch()
        return {"bars added": settings["bars_added"], "by": self.genre or self.weights}
