"""What a continuation and a regenerated bar change in the LilyPond MusicXML suite (io.splice).

For every file of the suite inside music21: continue the first part by 2 bars (irish, seed 1)
and regenerate the first part's middle bar (folk, seed 2; files with 4 or more bars). Counts:

- continue: files whose user's bars other than the last differ from the file's (``touched``);
  whose new bars music21 reads otherwise than from music21's whole-file writer (``new bars
  differ``); that validated against MusicXML 4.0 before and not after (``invalid``);
- regenerate: files with a changed bar outside the gap and its two neighbours, by name.

    python -m lstmfuse.evaluation.splice_suite     # about 2 minutes
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

from lxml import etree

from ..errors import LstmfuseError
from ..generation import service
from ..generation.options import SamplingOptions
from ..generation.regenerate_score import regenerate_score
from ..io.schema import validate_musicxml
from ..io.splice import _key


def suite() -> list[Path]:
    import music21

    return sorted((Path(music21.__file__).parent / "musicxml" / "lilypondTestSuite").glob("*.xml"))


def _read_notes(path: Path) -> list[list[tuple]]:
    import music21

    score = music21.converter.parse(str(path))
    return [[(float(n.getOffsetInHierarchy(p)), "R" if n.isRest else " ".join(x.nameWithOctave for x in n.pitches),
              float(n.quarterLength), n.tie.type if n.tie else None) for n in p.flatten().notesAndRests]
            for p in score.parts]


def check_continue(source: Path, tmp: Path) -> list[str]:
    """What went wrong continuing ``source`` (empty: nothing); raises LstmfuseError if refused."""
    spliced, whole = tmp / "spliced.musicxml", tmp / "whole.musicxml"
    options = SamplingOptions(seed=1)
    service.continue_score(source, spliced, bars=2, genre="irish", options=options, force=True)
    saved, service._TREE_FORMATS = service._TREE_FORMATS, ()
    try:
        service.continue_score(source, whole, bars=2, genre="irish", options=options, force=True)
    finally:
        service._TREE_FORMATS = saved
    found = []
    end = max((o + d for part in _read_notes(source) for o, _, d, _ in part), default=0.0)  # the user's last note ends
    new_bars = lambda notes: [n for n in notes if n[0] > end or (n[0] == end and n[2] > 0)]  # noqa: E731 - a grace note at the end is the user's
    for a, b in zip(_read_notes(spliced), _read_notes(whole)):
        if new_bars(a) != new_bars(b):
            found.append("new bars differ")
            break
    before, after = etree.parse(str(source)).getroot(), etree.parse(str(spliced)).getroot()
    for old_part, new_part in zip(before.findall("part"), after.findall("part")):
        old, new = old_part.findall("measure"), new_part.findall("measure")
        if [_key(m) for m in new[: len(old) - 1]] != [_key(m) for m in old[:-1]]:
            found.append("touched")
            break
    if not validate_musicxml(source.read_bytes()) and validate_musicxml(spliced.read_bytes()):
        found.append("invalid")
    return found


def check_regenerate(source: Path, tmp: Path) -> list[str] | None:
    """The bars outside the gap and its neighbours that changed (None: too short or refused)."""
    before = etree.parse(str(source)).getroot()
    measures = before.find("part").findall("measure")
    if len(measures) < 4:
        return None
    middle = len(measures) // 2
    out = tmp / "regenerated.musicxml"
    try:
        regenerate_score(source, out, bars=measures[middle].get("number"), genre="folk",
                         options=SamplingOptions(seed=2), force=True)
    except LstmfuseError:
        return None
    after = etree.parse(str(out)).getroot()
    changed = []
    for i, (old_part, new_part) in enumerate(zip(before.findall("part"), after.findall("part"))):
        for j, (a, b) in enumerate(zip(old_part.findall("measure"), new_part.findall("measure"))):
            if _key(a) != _key(b) and not (i == 0 and abs(j - middle) <= 1):
                changed.append(f"part {i + 1} bar {a.get('number')}")
    return changed


def main() -> None:
    warnings.simplefilter("ignore")
    counts = {"continued": 0, "refused": 0, "touched": 0, "new bars differ": 0, "invalid": 0}
    regenerated, outside = 0, {}
    with tempfile.TemporaryDirectory(prefix="lstmfuse-splice-") as name:
        tmp = Path(name)
        for source in suite():
            try:
                problems = check_continue(source, tmp)
                counts["continued"] += 1
                for p in problems:
                    counts[p] += 1
                    print(f"{source.name}: continue: {p}")
            except LstmfuseError:
                counts["refused"] += 1
            changed = check_regenerate(source, tmp)
            if changed is not None:
                regenerated += 1
                if changed:
                    outside[source.name] = changed
    print("continue:", ", ".join(f"{k} {v}" for k, v in counts.items()))
    print(f"regenerate: {regenerated} files, changed outside the gap: "
          + ("; ".join(f"{k} ({', '.join(v[:4])})" for k, v in outside.items()) or "none"))


if __name__ == "__main__":
    main()
