"""What makes a batch resumable: content hashes, the journal, pending markers.

A batch can be killed at any instant (Ctrl-C, SIGKILL, power loss) and every file must
then be fully old or fully new: every file a batch writes (results, backups, markers, the
journal's first line, the report) goes through the one atomic writer,
:func:`lstmfuse.io.atomic.write_bytes_atomic` (temporary file, fsync, rename, folder sync).

For ``--in-place`` edits a small *pending marker* (``.NAME.lstmfuse-pending``) records the
hashes of the old and the new content just before the rename, so ``--resume`` can tell a
file that was already rewritten (but not yet journaled) from one that was not, and never
applies an edit twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from ..io.atomic import write_bytes_atomic

JOURNAL_NAME = ".lstmfuse-batch-journal.jsonl"
PENDING_SUFFIX = ".lstmfuse-pending"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha(path: str | Path) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return None


def pending_path(src: str | Path) -> Path:
    src = Path(src)
    return src.with_name(f".{src.name}{PENDING_SUFFIX}")


def write_pending(src: str | Path, old_sha: str, new_sha: str) -> None:
    write_bytes_atomic(pending_path(src), json.dumps({"old": old_sha, "new": new_sha}).encode(), force=True)


def read_pending(src: str | Path) -> dict[str, str] | None:
    try:
        return json.loads(pending_path(src).read_text())
    except (OSError, ValueError):
        return None


def clear_pending(src: str | Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        pending_path(src).unlink()


class Journal:
    """Append-only JSON-lines record of finished files, written by the coordinator only.

    The first line names the recipe (its ops) so ``--resume`` never mixes two recipes.
    Each later line is one file's result, flushed and synced before the next is written.
    """

    def __init__(self, path: str | Path, recipe: list[dict[str, Any]], options: dict[str, Any]):
        self.path = Path(path)
        self.header = {"journal": "lstmfuse batch", "version": 1, "recipe": recipe, "options": options}
        self._fh = None
        self.finished = {}

    def load(self) -> dict[str, dict[str, Any]]:
        """The last entry of an earlier run of the same recipe for each source path (may be
        empty; ``claimed`` before its work, then ``ok``, ``unchanged`` or ``failed``). The
        last finished one (``ok`` or ``unchanged``) is kept in :attr:`finished`: a later run
        that failed on the file does not undo it."""
        self.finished: dict[str, dict[str, Any]] = {}
        from ..errors import UsageError

        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise UsageError(f"cannot read the journal {self.path}: {exc.strerror}") from None
        if not lines:
            return {}
        try:
            header = json.loads(lines[0])
        except ValueError:
            raise UsageError(f"{self.path} is not a batch journal; remove it or drop --resume") from None
        if header.get("recipe") != self.header["recipe"] or header.get("options") != self.header["options"]:
            raise UsageError(
                f"the journal {self.path} was written by a different batch (other ops or options); "
                "remove it or drop --resume")
        done: dict[str, dict[str, Any]] = {}
        for line in lines[1:]:
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line cut by a kill: that file is simply not done
            if isinstance(entry, dict) and "source" in entry:
                done[entry["source"]] = entry
                if entry.get("status") in ("ok", "unchanged"):
                    self.finished[entry["source"]] = entry
        return done

    def same_batch(self) -> bool:
        """Whether the journal on disk was written by this batch (the same ops and options)."""
        try:
            with open(self.path, encoding="utf-8") as fh:
                header = json.loads(fh.readline())
        except (OSError, ValueError):
            return False
        return isinstance(header, dict) and header.get("recipe") == self.header["recipe"] and header.get("options") == self.header["options"]

    def open(self, append: bool) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if append and self.path.exists() and self.path.stat().st_size > 0:
            with open(self.path, "rb") as fh:
                fh.seek(-1, os.SEEK_END)
                cut = fh.read(1) != b"\n"
            self._fh = open(self.path, "a", encoding="utf-8")
            if cut:  # a line cut by a kill: end it, or the next entry would be lost inside it
                self._fh.write("\n")
                self._fh.flush()
            return
        write_bytes_atomic(self.path, (json.dumps(self.header) + "\n").encode(), force=True)
        self._fh = open(self.path, "a", encoding="utf-8")

    def record(self, entry: dict[str, Any]) -> None:
        if self._fh is None:
            return
        self._fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
