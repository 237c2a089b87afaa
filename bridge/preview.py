"""Pictures of the variants before anything is written (``options.preview``).

All variants of one answer are engraved together, one staff each (named 1, 2, ...), in ONE
verovio run (``lstmfuse.io.render``, the same engraving as ``lstmfuse render``): one child
process instead of one per variant, and the variants line up bar by bar for comparison. The
PNG goes to the state folder's ``previews/`` (user-only), where the plugin reads it; older
previews are removed so the folder stays small.
"""

from __future__ import annotations

import os
import tempfile
import time
from fractions import Fraction
from pathlib import Path

from lstmfuse.encoding.events import Melody, NoteEvent
from lstmfuse.errors import LstmfuseError

KEEP = 12  # previews kept in the folder


def preview_folder() -> Path:
    from .control import bridge_dir

    d = bridge_dir() / "previews"
    d.mkdir(exist_ok=True)
    try:
        os.chmod(d, 0o700)
    except OSError:
        pass
    return d


def _as_melody(events: list[NoteEvent], meter: str, sharps: int, mode: str | None) -> Melody:
    """The variant's new events from 0, after a rest up to where they start in their bar."""
    first = events[0]
    lead = Fraction(first.bar_pos)
    out = [NoteEvent(None, Fraction(0), lead, Fraction(0), None)] if lead else []
    for e in events:
        out.append(NoteEvent(e.pitch, e.onset - first.onset + lead, e.duration, e.bar_pos, e.spelling))
    return Melody(out, meter=meter, sharps=sharps, mode=mode, source="lstmfuse-preview")


def variant_facts(variants: list[list[NoteEvent]], meter: str, sharps: int, mode: str | None) -> list[dict]:
    """What the picture does not show at a glance, per variant: notes, range in semitones, share
    of notes in the key, and the genre the style judge finds closest (with its probability)."""
    from lstmfuse.metrics.pitch import in_key_ratio, pitch_range

    try:
        from lstmfuse.metrics.reference import judge

        clf = judge()
    except LstmfuseError:
        clf = None
    out = []
    for events in variants:
        m = _as_melody(events, meter, sharps, mode) if events else None
        notes = sum(1 for e in events if e.pitch is not None)
        row: dict = {"notes": notes}
        if m is not None and notes:
            row["range"] = int(pitch_range(m))
            row["in_key"] = round(float(in_key_ratio(m)), 3)
            if clf is not None and notes >= 2:
                post = clf.posterior(m)
                best = int(post.argmax())
                row["style"] = {"genre": clf.genres[best], "p": round(float(post[best]), 3)}
        out.append(row)
    return out


def render_variants(variants: list[list[NoteEvent]], meter: str, sharps: int, mode: str | None) -> Path:
    """One PNG with every variant's new bars, a staff per variant. Raises LstmfuseError."""
    from music21 import metadata, stream

    from lstmfuse.generation.score_write import melody_to_score
    from lstmfuse.io.render import render

    score = stream.Score()
    for i, events in enumerate(variants):
        if not events:
            continue
        part = melody_to_score(_as_melody(events, meter, sharps, mode)).parts[0]
        part.partName = str(i + 1)
        part.partAbbreviation = str(i + 1)
        score.insert(0, part)
    score.metadata = metadata.Metadata(title="")
    folder = preview_folder()
    out = folder / f"preview-{time.time_ns()}.png"
    with tempfile.TemporaryDirectory(prefix="lstmfuse-preview-") as tmp:
        xml = Path(tmp) / "variants.musicxml"
        try:
            score.write("musicxml", fp=str(xml))
        except Exception as err:  # music21 refuses an odd value: no picture, the answer still stands
            raise LstmfuseError(f"cannot engrave the preview: {type(err).__name__}: {err}") from None
        render(xml, out, page=1)
    old = sorted(folder.glob("preview-*.png"), key=lambda p: p.stat().st_mtime)[:-KEEP]
    for p in old:
        try:
            p.unlink()
        except OSError:
            pass
    return out
