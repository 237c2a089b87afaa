"""Bars shorter or longer than their time signature: where their notes lie, and that a
conversion keeps them.

music21 10.5's MusicXML reader (and converter21's ABC reader, which goes through it) pads a
short bar as the completion of the last short bar before it, however many full bars lie
between. A tune with a stray short bar early on (O'Neill's 9, whose first strain has a bar
an eighth short) then had its section's end bar read as a pickup, the next strain's pickup
as a downbeat, and its short last bar with its notes late in the bar; a continuation was
barred against those notes and tied over the file's barlines. ``io.repairs.mark_partial_measures``
pads them anew on every read.

A bar longer than its signature (the same tune's bar 3, seven eighths in 2/4) lost its long
note's end to the next bar when music21 wrote it (``io.writer._overfull_bars_kept``).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import music21

from lstmfuse.api import passage_of
from lstmfuse.generation.options import SamplingOptions
from lstmfuse.generation.service import continue_score
from lstmfuse.io import load, save

ONEILLS = Path(music21.__file__).parent / "corpus" / "oneills1850"


def _check_oneills_9(events) -> None:
    """O'Neill's 9 ("I Could But I Wont", 2/4): bar 9 (A>G G) ends the first strain a quarter
    short and starts on the downbeat, bar 10 is the second strain's pickup (B, the bar's last
    eighth), bar 18 the short last bar (A>G G again, from the downbeat)."""
    at = {e.onset: e for e in events}
    assert [(at[t].spelling, at[t].bar_pos) for t in (Fraction(31, 2), Fraction(65, 4), Fraction(33, 2))] == [
        ("A4", 0), ("G4", Fraction(3, 4)), ("G4", 1)]
    assert (at[Fraction(17)].spelling, at[Fraction(17)].bar_pos) == ("B4", Fraction(3, 2))
    assert [(e.spelling, e.bar_pos) for e in events[-3:]] == [("A4", 0), ("G4", Fraction(3, 4)), ("G4", 1)]


def test_a_strains_short_end_bar_pickup_and_last_bar_are_read_where_they_lie():
    _check_oneills_9(passage_of(load(ONEILLS / "0001-0050.abc", 8)).events)


def test_a_short_last_bar_in_musicxml_starts_on_the_downbeat(tmp_path):
    """The same tune written as MusicXML and read back: music21 reads MusicXML the same way."""
    xml = tmp_path / "oneills-9.musicxml"
    save(load(ONEILLS / "0001-0050.abc", 8), xml, force=True)
    _check_oneills_9(passage_of(load(xml)).events)


def test_a_bar_longer_than_its_signature_is_written_as_it_is(tmp_path):
    """Converting O'Neill's 9 to MusicXML, .mxl and back keeps every note where it was: its
    bar 3 holds seven eighths in 2/4, and music21 tied its long B over into bar 4, whose
    notes came out an eighth late (the tune half a beat longer)."""
    from music21 import stream

    read = load(ONEILLS / "0001-0050.abc", 8)
    before = [(e.onset, e.pitch, e.duration) for e in passage_of(read).events]
    bar3 = read.parts[0].measure(3)
    assert bar3.highestTime == 3.5 and bar3.getContextByClass("TimeSignature").ratioString == "2/4"
    for name in ("o9.musicxml", "o9.mxl"):
        save(load(ONEILLS / "0001-0050.abc", 8), tmp_path / name, force=True)
        back = load(tmp_path / name)
        assert [(e.onset, e.pitch, e.duration) for e in passage_of(back).events] == before, name
        assert len(list(back.parts[0].getElementsByClass(stream.Measure))) == 18
        assert not [n for n in back.recurse().notes if n.tie is not None]  # the tune has no ties


def test_a_tune_ending_on_a_short_bar_is_continued_on_the_files_barlines(tmp_path):
    """O'Neill's 264 ends on a bar of five eighths in 6/8, long after the short bar that ends
    its 5/4 strain: read as the completion of that bar, its notes lay an eighth late, and the
    continuation tied notes over the barlines of the file it was written into (2 of its new
    notes at seed 1)."""
    out = tmp_path / "264.musicxml"
    tied = []
    for seed in (1, 2, 3):
        continue_score(ONEILLS / "0201-0300.abc", out, bars=4, genre="irish", options=SamplingOptions(seed=seed),
                       force=True, tune=63)
        written = music21.converter.parse(out)
        measures = list(written.parts[0].getElementsByClass("Measure"))
        assert len(measures) >= 19
        new_notes = [n for m in measures[15:] for n in m.notes]
        tied += [(seed, n.nameWithOctave) for n in new_notes if n.tie is not None and n.tie.type in ("start", "continue")]
    assert tied == []
