"""Score input/output: the only place files become scores and scores become files."""

from .atomic import atomic_output, write_bytes_atomic
from .formats import READABLE, WRITABLE, detect_format, normalise_format
from .reader import load, load_all
from .writer import save

__all__ = [
    "READABLE",
    "WRITABLE",
    "atomic_output",
    "detect_format",
    "load",
    "load_all",
    "normalise_format",
    "save",
    "write_bytes_atomic",
]
