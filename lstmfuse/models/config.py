"""Model hyperparameters: one dataclass, stored inside every weight file."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..encoding import vocab as V


@dataclass(frozen=True)
class ModelConfig:
    """Shape of a melody LSTM. ``genres`` is empty for a genre model and lists the style
    dimensions for the fusion model (whose every step also sees a genre-weight vector).
    ``structure`` models also read the lookback and phrase inputs of encoding.structure."""

    vocab_size: int = V.VOCAB_SIZE
    n_positions: int = V.N_POSITIONS
    n_meters: int = V.N_METERS
    token_dim: int = 64
    position_dim: int = 16
    meter_dim: int = 4
    units: int = 256
    layers: int = 1
    dropout: float = 0.2
    genres: tuple[str, ...] = field(default_factory=tuple)
    structure: bool = False
    lookback_dim: int = 16
    context_dim: int = 12

    def to_dict(self) -> dict:
        d = asdict(self)
        d["genres"] = list(self.genres)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        known["genres"] = tuple(known.get("genres", ()))
        return cls(**known)

    @property
    def input_dim(self) -> int:
        return self.base_input_dim + (self.structure_dim if self.structure else 0)

    @property
    def base_input_dim(self) -> int:
        """Token, position, meter and style inputs: the part every model has."""
        return self.token_dim + self.position_dim + self.meter_dim + len(self.genres)

    @property
    def structure_dim(self) -> int:
        return 2 * self.lookback_dim + self.context_dim
