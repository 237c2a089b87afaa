"""A structural check of Humdrum files before they reach the parser.

converter21 parses kern faithfully but a file whose records do not match the number of
open spines can make it fail deep inside with an unhelpful message, or silently drop
data. Counting spines through ``*^ *v *+ *-`` gives the user the exact line at fault.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ScoreReadError


def _apply_manipulators(tokens: list[str]) -> int:
    """Spine count after an interpretation record made of these tokens."""
    count = 0
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok == "*^":
            count += 2
        elif tok == "*-":
            pass
        elif tok == "*+":
            count += 2
        elif tok == "*v":
            j = i
            while j < len(tokens) and tokens[j] == "*v":
                j += 1
            count += 1  # a run of *v joins into one spine
            i = j
            continue
        else:
            count += 1
        i += 1
    return count


def check_humdrum_text(text: str, path: str | Path) -> None:
    """Raise ScoreReadError (with line number) unless every record fits the open spines."""
    open_spines = 0
    seen_exclusive = False
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r")
        if not line.strip() or line.startswith("!!"):
            continue
        tokens = line.split("\t")
        if open_spines == 0:
            if not all(t.startswith("**") for t in tokens):
                what = "data" if seen_exclusive else "a record before any **-interpretation"
                raise ScoreReadError(f"{what} found where no spine is open", path, lineno)
            open_spines = len(tokens)
            seen_exclusive = True
            continue
        if len(tokens) != open_spines:
            raise ScoreReadError(
                f"record has {len(tokens)} spine(s) but {open_spines} are open", path, lineno
            )
        if all(t.startswith("*") for t in tokens) and not all(t.startswith("**") for t in tokens):
            if any(t in ("*^", "*v", "*+", "*-") for t in tokens):
                _check_merges(tokens, path, lineno)
                open_spines = _apply_manipulators(tokens)
    if not seen_exclusive:
        raise ScoreReadError("no **kern (exclusive interpretation) line found", path)


def _check_merges(tokens: list[str], path: str | Path, lineno: int) -> None:
    for i, tok in enumerate(tokens):
        if tok == "*v":
            left = i > 0 and tokens[i - 1] == "*v"
            right = i + 1 < len(tokens) and tokens[i + 1] == "*v"
            if not (left or right):
                raise ScoreReadError("a lone *v merges nothing (needs a neighbouring *v)", path, lineno)
