"""A continuation or a regenerated bar changes only its bars of a MusicXML file (io.splice).

Before 2026-12-04 the whole file went through music21's writer: an open second ending came
back closed (45b), a mid-piece <part-name-display> went (72c), an empty <words/> appeared
(bwv66.6), every <voice> and <forward> of the user's bars was rewritten. These tests read the
output with lxml and compare it bar by bar with the source."""

from __future__ import annotations

import warnings

import music21
import pytest
from conftest import LILYPOND
from lxml import etree

from lstmfuse.generation import service
from lstmfuse.generation.options import SamplingOptions
from lstmfuse.generation.regenerate_score import regenerate_score
from lstmfuse.io.musicxml import read_mxl
from lstmfuse.io.schema import validate_musicxml
from lstmfuse.io.splice import _key


def _measures(root, part: int = 0) -> list:
    return root.findall("part")[part].findall("measure")


def _root(path):
    data = path.read_bytes()
    if path.suffix == ".mxl":
        data = read_mxl(data, path)[0]
    return etree.fromstring(data)


def _sounding(path) -> list[list[tuple]]:
    """Every part's notes and rests as music21 reads them: (offset, pitch or R, length, tie)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        score = music21.converter.parse(str(path))
    return [[(float(n.getOffsetInHierarchy(p)), "R" if n.isRest else " ".join(x.nameWithOctave for x in n.pitches),
              float(n.quarterLength), n.tie.type if n.tie else None) for n in p.flatten().notesAndRests]
            for p in score.parts]


def test_a_continuation_keeps_the_open_second_ending_and_every_bar_before(tmp_path):
    src = LILYPOND / "45b-RepeatWithAlternatives.xml"
    out = tmp_path / "45b.musicxml"
    service.continue_score(src, out, bars=2, genre="irish", options=SamplingOptions(seed=1))
    before, after = _root(src), _root(out)
    old, new = _measures(before), _measures(after)
    assert len(new) == len(old) + 2
    assert [etree.tostring(m) for m in new[:3]] == [etree.tostring(m) for m in old[:3]]  # byte for byte
    assert new[2].find("barline[@location='right']/ending").get("type") == "discontinue"  # music21 wrote "stop"
    assert new[3].find("barline") is None  # the final barline moved to the new end ...
    assert _key(new[3], ("barline",)) == _key(old[3], ("barline",))  # ... and nothing else of bar 4 changed
    assert new[3].find("note/voice") is not None
    assert new[-1].findtext("barline/bar-style") == "light-heavy"
    assert validate_musicxml(out.read_bytes()) == []
    # the source counts in quarters (divisions 1): the new bars say the finer divisions they need
    assert new[4].findtext("attributes/divisions") == "2"
    assert sum(int(d.text) for d in new[4].iter("duration")) == 8  # one 4/4 bar at 2 a quarter


@pytest.mark.parametrize("name", [
    "45b-RepeatWithAlternatives.xml", "72c-TransposingInstruments-Change.xml", "03b-Rhythm-Backup.xml",
    "46e-PickupMeasure-SecondVoiceStartsLater.xml", "23c-Tuplet-Display-NonStandard.xml", "13a-KeySignatures.xml",
    "41a-MultiParts-Partorder.xml", "33a-Spanners.xml",
])
def test_the_new_bars_read_as_music21_wrote_them_and_the_old_bars_are_the_files(tmp_path, monkeypatch, name):
    """The same continuation written the old way (music21 writes the whole file) and the new
    way: the new bars read back the same, note for note in every part; the user's bars are
    the file's own (all but the last, which a continuation may complete or lose a final
    barline from)."""
    src = LILYPOND / name
    spliced, whole = tmp_path / "spliced.musicxml", tmp_path / "whole.musicxml"
    service.continue_score(src, spliced, bars=2, genre="irish", options=SamplingOptions(seed=1))
    monkeypatch.setattr(service, "_TREE_FORMATS", ())
    service.continue_score(src, whole, bars=2, genre="irish", options=SamplingOptions(seed=1))
    source_notes = _sounding(src)
    for part, (a, b, s) in enumerate(zip(_sounding(spliced), _sounding(whole), source_notes)):
        end = max((o + d for o, _, d, _ in s), default=0.0)
        assert [n for n in a if n[0] >= end] == [n for n in b if n[0] >= end], f"part {part}"
    before, after = _root(src), _root(spliced)
    for part in range(len(before.findall("part"))):
        old, new = _measures(before, part), _measures(after, part)
        assert [_key(m) for m in new[: len(old) - 1]] == [_key(m) for m in old[:-1]]
        assert len(new) > len(old)
    assert validate_musicxml(spliced.read_bytes()) == []


def test_a_mid_piece_part_name_display_stays(tmp_path):
    src = LILYPOND / "72c-TransposingInstruments-Change.xml"
    out = tmp_path / "72c.musicxml"
    service.continue_score(src, out, bars=1, genre="folk", options=SamplingOptions(seed=3))
    assert b"<display-text>Clarinet in Bb</display-text>" in out.read_bytes()
    assert b"<instrument id=" not in out.read_bytes()  # no reference to an instrument music21 made up


def test_an_mxl_continued_gains_no_empty_words_and_keeps_its_header(tmp_path, corpus_dir):
    src = corpus_dir / "bach" / "bwv66.6.mxl"
    out = tmp_path / "bwv66.6.mxl"
    service.continue_score(src, out, bars=2, genre="bach", options=SamplingOptions(seed=1))
    before, after = _root(src), _root(out)
    assert len(list(after.iter("words"))) == len(list(before.iter("words")))
    assert _key(after.find("part-list")) == _key(before.find("part-list"))
    assert _key(after.find("identification"), ("miscellaneous",)) == _key(before.find("identification"), ("miscellaneous",))
    fields = {f.get("name") for f in after.iter("miscellaneous-field")}
    assert "lstmfuse-settings" in fields  # the settings, for reproducing the result
    for part in range(4):
        assert len(_measures(after, part)) == len(_measures(before, part)) + 2


def test_regenerating_bars_mends_only_the_tie_of_the_bar_after(tmp_path, corpus_dir):
    """bwv66.6's soprano ties bar 8 into bar 9. Regenerating bars 7-8 with a last note of another
    pitch drops the tie in bar 9: only the tie, the bar keeps its <voice>s and its <forward>."""
    src = corpus_dir / "bach" / "bwv66.6.mxl"
    before = _root(src)
    mended = 0
    for seed in range(3):
        out = tmp_path / f"r{seed}.musicxml"
        regenerate_score(src, out, bars="7-8", genre="bach", options=SamplingOptions(seed=seed))
        after = _root(out)
        for part in range(4):
            for m_old, m_new in zip(_measures(before, part), _measures(after, part)):
                if part == 0 and m_old.get("number") in ("7", "8"):
                    continue
                if part == 0 and m_old.get("number") == "9":
                    assert _key(m_new, ("tie", "tied")) == _key(m_old, ("tie", "tied"))
                    mended += _key(m_new) != _key(m_old)
                    continue
                assert etree.tostring(m_new) == etree.tostring(m_old)
    assert mended  # at least one seed ended on another pitch than bar 9's F#


def test_batch_continue_keeps_the_files_own_bars(tmp_path):
    from lstmfuse import batch
    from lstmfuse.batch.ops.generate import Continue

    src = LILYPOND / "45b-RepeatWithAlternatives.xml"
    result = batch.run([str(src)], [Continue(genre="folk", bars=2, seed=1)], out_dir=tmp_path / "out")
    assert result.exit_code == 0, result.summary()
    (out,) = (tmp_path / "out").glob("*.xml")
    old, new = _measures(_root(src)), _measures(_root(out))
    assert [etree.tostring(m) for m in new[:3]] == [etree.tostring(m) for m in old[:3]]
    assert len(new) == len(old) + 2


def _slurs_pair_up(root) -> bool:
    """Every slur that starts stops, and none stops that did not start (per number, per part)."""
    for part in root.findall("part"):
        open_numbers: set[str] = set()
        for slur in part.iter("slur"):
            number = slur.get("number", "1")
            if slur.get("type") == "start":
                if number in open_numbers:
                    return False
                open_numbers.add(number)
            elif slur.get("type") == "stop":
                if number not in open_numbers:
                    return False
                open_numbers.discard(number)
        if open_numbers:
            return False
    return True


@pytest.mark.parametrize(("name", "bar"), [("33c-Spanners-Slurs.xml", "2"), ("61h-Lyrics-BeamsMelismata.xml", "3"),
                                           ("33a-Spanners.xml", "3")])
def test_a_slur_into_regenerated_bars_leaves_no_half_behind(tmp_path, name, bar):
    """A slur that touched a replaced note goes (regenerate drops it in music21); the bar
    outside the gap that held its other end must lose that end too, or the file would hold a
    slur that never stops. Only the bars music21 changed are spliced, so this is checked."""
    src = LILYPOND / name
    assert _slurs_pair_up(_root(src))
    out = tmp_path / "r.musicxml"
    regenerate_score(src, out, bars=bar, genre="folk", options=SamplingOptions(seed=1))
    assert _slurs_pair_up(_root(out))
    assert validate_musicxml(out.read_bytes()) == []


def test_a_slur_from_bars_before_the_window_keeps_its_end_in_the_completed_bar(tmp_path):
    """music21 exports the edited scores from the bar before the first change; a slur from bar 1
    to the unfinished bar 5, which a continuation completes (so bar 5 is replaced), starts
    outside that window. The replaced bar must still stop it."""
    from music21 import key, meter, note, spanner, stream

    part = stream.Part()
    part.append(meter.TimeSignature("4/4"))
    part.append(key.KeySignature(1))
    notes = [note.Note(n, quarterLength=1) for n in "G4 A4 B4 C5 D5 C5 B4 A4 G4 A4 B4 C5 D5 E5 F#5 G5 D5 B4".split()]
    for n in notes:
        part.append(n)
    part.insert(0, spanner.Slur(notes[1], notes[17]))
    src = tmp_path / "slur.musicxml"
    stream.Score([part.makeMeasures()]).write("musicxml", fp=str(src))
    root = _root(src)
    last = _measures(root)[-1]
    for rest in [n for n in last.findall("note") if n.find("rest") is not None]:
        last.remove(rest)  # bar 5 stops after two beats, as a sketch does (music21 filled it)
    src.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    out = tmp_path / "more.musicxml"
    service.continue_score(src, out, bars=2, genre="folk", options=SamplingOptions(seed=1), force=True)
    old, new = _measures(_root(src)), _measures(_root(out))
    pitched = lambda m: [n for n in m.findall("note") if n.find("pitch") is not None]
    assert len(pitched(old[4])) == 2 and len(pitched(new[4])) > 2  # bar 5's closing rest became notes
    assert [s.get("type") for s in new[4].iter("slur")] == ["stop"]
    assert _slurs_pair_up(_root(out))
    assert [etree.tostring(m) for m in new[:4]] == [etree.tostring(m) for m in old[:4]]
