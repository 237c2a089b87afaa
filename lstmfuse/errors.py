"""The one exception type users see.

Every failure that is the user's to fix (a bad file, a wrong option, an unknown genre)
is raised as :class:`LstmfuseError`; the CLI prints ``str(err)`` as one line and exits 2.
Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from os import PathLike


class LstmfuseError(Exception):
    """A one-line, user-facing error that names the file (and line) at fault.

    ``about`` names what the user should change, for a caller that points at it (the MuseScore
    bridge marks the request field): ``"meter"``, ``"passage"`` (the notes given), ``"form"``,
    ``"range"`` (lowest/highest), ``"gap"`` (the bars to regenerate); None: the genre or
    weights, or a file."""

    exit_code = 2

    def __init__(self, message: str, path: str | PathLike[str] | None = None, line: int | None = None, *, about: str | None = None):
        self.message = " ".join(str(message).split())  # always one line
        self.path = None if path is None else str(path)
        self.line = line
        self.about = about
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path if self.line is None else f"{self.path}:{self.line}"
            where += ": "
        return f"{where}{self.message}"


class ScoreReadError(LstmfuseError):
    """A file that cannot be read as a score."""


class ScoreWriteError(LstmfuseError):
    """A score that cannot be written where asked."""


class UsageError(LstmfuseError):
    """Options that do not make sense together or name unknown things."""
