"""Keep a command's output its own while music21 and converter21 work."""

from __future__ import annotations

import contextlib
import io as _io
from collections.abc import Iterator


@contextlib.contextmanager
def quiet() -> Iterator[_io.StringIO]:
    """Swallow what music21/converter21 print to stdout/stderr (warnings such as
    'we are out of midi channels' or 'DECORATION IS INVALID') so a command's output stays
    its own: results on stdout, one line per error on stderr. Yields the captured text."""
    buf = _io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        yield buf


__all__ = ["quiet"]
