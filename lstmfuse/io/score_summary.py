"""The facts ``lstmfuse info`` prints about a score (defined in :mod:`lstmfuse.io.summary`),
as one record: filled by music21 (:mod:`lstmfuse.io.summary`) or by the streaming pass for
very large MusicXML (:mod:`lstmfuse.io.streamed_summary`), which both import it from here."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class ScoreSummary:
    path: str
    format: str
    title: str | None
    composer: str | None
    parts: list[str]
    key: str | None
    keys: list[str]
    meters: list[str]
    measures: int
    notes: int
    rests: int
    lowest: str | None
    highest: str | None
    duration_quarters: float
    duration_seconds: float | None
    tempos: list[float] = field(default_factory=list)
    tempo_note: str | None = None
    tunes_in_file: int = 1
    unpitched: int = 0
    streamed: bool = False  # read in one streaming pass (a very large MusicXML file), not by music21

    def to_dict(self) -> dict:
        return asdict(self)


__all__ = ["ScoreSummary"]
