"""Score input/output: the only place files become scores and scores become files."""

from .atomic import atomic_output, write_bytes_atomic
from .conversion import convert_file, save_converted
from .formats import READABLE, WRITABLE, detect_format, normalise_format
from .quiet import quiet
from .reader import load, load_all
from .writer import save

__all__ = [
    "READABLE",
    "WRITABLE",
    "atomic_output",
    "convert_file",
    "detect_format",
    "load",
    "load_all",
    "normalise_format",
    "quiet",
    "save",
    "save_converted",
    "write_bytes_atomic",
]
