"""Additive meters (5/8, 7/8, 5/4, 7/4) keep their beat groups: generation/beat_groups.py.

The genres never wrote these meters; their models wrote 4/4 rhythms into a 7/8 bar, notes
ringing over the barline and out of their group (docs/form.md, "Additive meters keep their
beat groups"). Passages are real Essen songs from music21's corpus, read by lstmfuse's loader.
"""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import music21
import pytest

from lstmfuse.api import passage_of
from lstmfuse.encoding.events import Melody, NoteEvent
from lstmfuse.errors import UsageError
from lstmfuse.generation import beat_groups
from lstmfuse.generation.continuation import continue_melody
from lstmfuse.generation.options import SamplingOptions
from lstmfuse.io import load
from lstmfuse.metrics.rhythm import across_barline, across_groups

ESSEN = Path(music21.__file__).parent / "corpus" / "essenFolksong"
#: the Essen songs in an additive meter whose bars are all as long as it says (none in 7): two
#: in 5/4, two in 5/8 (evaluation/additive_meters.real_songs)
SONGS = [("ballad20.abc", 93, "5/4"), ("ballad40.abc", 202, "5/4"), ("ballad50.abc", 139, "5/8"), ("ballad30.abc", 57, "5/8")]


def _melody(meter: str, cells: list[tuple[int, int]], unit: Fraction) -> Melody:
    """Whole bars of notes: (pitch, units) cells, barred by ``meter``."""
    bar = Fraction(int(meter.split("/")[0])) * unit
    events, t = [], Fraction(0)
    for pitch, units in cells:
        d = units * unit
        events.append(NoteEvent(pitch, t, d, t % bar))
        t += d
    return Melody(events, meter=meter)


def test_the_groups_are_the_ones_the_passages_notes_fit():
    eighth = Fraction(1, 2)
    # 2+2+3: quarter, quarter, dotted quarter; then quarter, quarter, quarter, eighth
    two_two_three = _melody("7/8", [(69, 2), (71, 2), (72, 3), (69, 2), (67, 2), (64, 2), (65, 1)] * 2, eighth)
    # 3+2+2: dotted quarter, quarter, quarter
    three_two_two = _melody("7/8", [(69, 3), (71, 2), (72, 2), (69, 1), (67, 2), (64, 2), (65, 2)] * 2, eighth)
    assert beat_groups.choose("7/8", two_two_three.events) == (2, 2, 3)
    assert beat_groups.choose("7/8", three_two_two.events) == (3, 2, 2)
    # without a passage, the grouping the corpus's Essen songs in the meter fit most
    assert beat_groups.choose("7/8") == (3, 2, 2)
    assert beat_groups.choose("5/4") == (2, 3)
    for meter in ("4/4", "6/8", "3/4", "2/2", "9/8"):
        assert beat_groups.choose(meter, two_two_three.events) is None
    assert beat_groups.start_ticks("7/8", (2, 2, 3)) == (0, 120, 240)


def test_a_named_grouping_must_fit_its_meter():
    assert beat_groups.for_passage("7/8", None, "2+2+3") == (2, 2, 3)
    with pytest.raises(UsageError, match="does not add up to the 7 beats of 7/8"):
        beat_groups.for_passage("7/8", None, "2+2+2")
    with pytest.raises(UsageError, match="does not add up to the 4 beats of 4/4"):
        beat_groups.for_passage("4/4", None, "2+3")
    assert beat_groups.for_passage("8/8", None, "3+3+2") == (3, 3, 2)  # any meter, named
    assert beat_groups.for_passage("8/8", None) is None  # 8 is not additive: no groups unless named
    with pytest.raises(UsageError, match="beats must be auto or a grouping"):
        SamplingOptions(beats="two and three")


def _new_notes(passage: Melody, genre: str, seed: int) -> list[NoteEvent]:
    r = continue_melody(passage, bars=8, genre=genre, options=SamplingOptions(seed=seed))
    assert r.settings["beat_groups"] == beat_groups.label(beat_groups.for_passage(passage.meter, passage))
    return [e for e in r.melodies[0].events if e.onset >= passage.end][:-1]  # the last may ring over whole bars


@pytest.mark.parametrize("genre", ["bach", "palestrina"])
def test_continuations_of_real_songs_in_additive_meters_keep_their_groups(genre):
    """The two genres that crossed most: before the groups, a Palestrina continuation of these
    songs rang over the barline in 0.2 of its notes (the songs: none)."""
    notes = bar_n = group_n = 0.0
    for name, index, meter in SONGS:
        passage = passage_of(load(ESSEN / name, index))
        assert passage.meter == meter
        groups = beat_groups.choose(meter, passage.events)
        starts = beat_groups.starts(groups, passage.bar_length / sum(groups))
        assert across_barline(passage.events, passage.bar_length) == 0
        for seed in range(6):
            new = _new_notes(passage, genre, seed)
            n = sum(1 for e in new if e.pitch is not None)
            notes += n
            bar_n += across_barline(new, passage.bar_length) * n
            group_n += across_groups(new, passage.bar_length, starts) * n
    assert bar_n / notes <= 0.01, (genre, bar_n, notes)
    assert group_n / notes <= 0.03, (genre, group_n, notes)


@pytest.mark.parametrize("genre", ["folk", "bach", "palestrina"])
def test_a_tune_from_nothing_in_7_8_keeps_3_2_2(genre):
    starts = beat_groups.starts((3, 2, 2), Fraction(1, 2))
    bar_n = group_n = notes = 0.0
    for seed in range(6):
        r = continue_melody(None, bars=8, genre=genre, meter="7/8", options=SamplingOptions(seed=seed))
        assert r.settings["beat_groups"] == "3+2+2"
        events = r.melodies[0].events[:-1]
        n = sum(1 for e in events if e.pitch is not None)
        notes += n
        bar_n += across_barline(events, Fraction(7, 2)) * n
        group_n += across_groups(events, Fraction(7, 2), starts) * n
    assert bar_n / notes <= 0.01, (genre, bar_n, notes)
    assert group_n / notes <= 0.03, (genre, group_n, notes)


def test_the_cli_takes_beats_and_refuses_a_grouping_that_does_not_fit(tmp_path):
    out = tmp_path / "seven.musicxml"
    cmd = [sys.executable, "-m", "lstmfuse", "fuse", "-w", "folk=1", "--meter", "7/8", "--bars", "4", "--seed", "1", "-o", str(out)]
    bad = subprocess.run(cmd + ["--beats", "2+2+2"], capture_output=True, text=True)
    assert bad.returncode != 0 and not out.exists()
    assert "does not add up to the 7 beats of 7/8" in bad.stderr and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1, bad.stderr
    ok = subprocess.run(cmd + ["--beats", "2+2+3"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert '"beat_groups": "2+2+3"' in out.read_text() or json.dumps("2+2+3") in out.read_text()


def test_a_long_note_is_tied_by_the_groups_where_one_head_cannot_show_it():
    """Five eighths from a 7/8 (3+2+2) downbeat: a dotted quarter tied to a quarter, as an
    engraver writes it; music21 alone writes a half tied to an eighth, hiding the group."""
    from music21 import stream

    from lstmfuse.generation.score_write import melody_to_score

    eighth = Fraction(1, 2)
    m = _melody("7/8", [(69, 5), (71, 2), (72, 3), (71, 2), (69, 2)], eighth)
    measures = list(melody_to_score(m, groups=(3, 2, 2)).parts[0].getElementsByClass(stream.Measure))
    first = [(n.quarterLength, n.tie.type if n.tie else None) for n in measures[0].notes]
    assert first == [(1.5, "start"), (1.0, "stop"), (1.0, None)], first
    # by default the groups are those the melody's notes fit: the same here
    measures = list(melody_to_score(m).parts[0].getElementsByClass(stream.Measure))
    assert [(n.quarterLength, n.tie.type if n.tie else None) for n in measures[0].notes] == first


def test_a_new_score_beams_eighths_by_the_groups():
    from music21 import stream

    from lstmfuse.generation.score_write import melody_to_score

    m = _melody("7/8", [(69, 1)] * 7 * 2, Fraction(1, 2))
    score = melody_to_score(m, groups=(3, 2, 2))
    first = list(score.parts[0].getElementsByClass(stream.Measure))[0]
    first.makeBeams(inPlace=True)  # what the MusicXML export does with a score not yet beamed
    assert [n.beams.getTypes() for n in first.notes] == [["start"], ["continue"], ["stop"], ["start"], ["stop"], ["start"], ["stop"]]


def test_regenerated_bars_of_a_real_5_8_song_keep_its_groups():
    from lstmfuse.generation.regenerate import regenerate

    song = passage_of(load(ESSEN / "ballad30.abc", 57))  # "Wiedersehen an der Bahre", 5/8
    groups = beat_groups.choose(song.meter, song.events)
    starts = beat_groups.starts(groups, song.bar_length / sum(groups))
    r = regenerate(song, 3, 6, genre="palestrina", options=SamplingOptions(seed=1), variants=4)
    gaps = [e for gap in r.gaps for e in gap]
    assert across_barline(gaps, song.bar_length) == 0
    assert across_groups(gaps, song.bar_length, starts) <= 0.03


def test_palestrina_continues_a_3_4_folk_song_without_ties_over_its_barlines():
    """Palestrina never wrote 3/4 (form.keeps_barlines): continuing real Essen songs in 3/4 it
    tied 30% of its notes over the barline (the songs: a few). In 4/4, whose barline is the
    middle of its own 4/2 bar, its suspensions over it stay (its 4/2 parts: 7.1%)."""
    from lstmfuse.generation.form import keeps_barlines

    assert keeps_barlines("palestrina", "3/4") and not keeps_barlines("palestrina", "4/4")
    assert not keeps_barlines("folk", "3/4") and keeps_barlines("bach", "4/2")
    notes = over = real_notes = real_over = 0.0
    for index in (5, 26, 27):  # altdeu10.abc: songs in 3/4, regularly barred
        song = passage_of(load(ESSEN / "altdeu10.abc", index))
        assert song.meter == "3/4"
        real_n = sum(1 for e in song.events[:-1] if e.pitch is not None)
        real_notes += real_n
        real_over += across_barline(song.events[:-1], song.bar_length) * real_n
        first = next(e.onset for e in song.events if e.bar_pos == 0)
        passage = song.with_events([e for e in song.events if e.onset < first + 8 * song.bar_length])
        for seed in range(4):
            r = continue_melody(passage, bars=8, genre="palestrina", options=SamplingOptions(seed=seed))
            new = [e for e in r.melodies[0].events if e.onset >= passage.end][:-1]
            n = sum(1 for e in new if e.pitch is not None)
            notes += n
            over += across_barline(new, passage.bar_length) * n
    assert over / notes <= max(0.01, real_over / real_notes), (over, notes, real_over, real_notes)
    held = [continue_melody(None, bars=16, genre="palestrina", meter="4/4", options=SamplingOptions(seed=s)).melodies[0] for s in range(6)]
    ties = sum(across_barline(m.events[:-1], Fraction(4)) * sum(1 for e in m.events[:-1] if e.pitch is not None) for m in held)
    assert ties >= 5, ties


LILYPOND = Path(music21.__file__).parent / "musicxml" / "lilypondTestSuite"


def test_a_composite_time_signature_is_continued_in_its_own_groups(tmp_path):
    """3/8+2/8+3/4 (LilyPond 11e) and 3+2/8 then 5/4+3/4+1/4 (11c): refused as "an additive or
    irregular meter lstmfuse cannot bar" until 2026-12-04; now read as their sum (11/8, 9/4)
    with the groups they write, continued in them, from the command line and in a batch."""
    from lstmfuse.encoding.extract import melody_from_part

    e = melody_from_part(load(LILYPOND / "11e-TimeSignatures-CompoundMixed.xml").parts[0])
    assert (e.meter, e.beat_groups) == ("11/8", (3, 2, 6))
    c = melody_from_part(load(LILYPOND / "11c-TimeSignatures-CompoundSimple.xml").parts[0])
    assert (c.meter, c.beat_groups, [m for _, m in c.meters]) == ("9/4", (5, 3, 1), ["5/8", "9/4"])
    starts = beat_groups.starts((3, 2, 6), Fraction(1, 2))
    for seed in range(4):
        new = _new_notes(e, "bach", seed)
        assert across_barline(new, e.bar_length) == 0 and across_groups(new, e.bar_length, starts) == 0
    out = tmp_path / "11e.musicxml"
    cmd = [sys.executable, "-m", "lstmfuse", "continue", str(LILYPOND / "11e-TimeSignatures-CompoundMixed.xml"), "-g", "folk",
           "--bars", "2", "--seed", "1", "-o", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    written, source = out.read_text(), (LILYPOND / "11e-TimeSignatures-CompoundMixed.xml").read_text()
    assert '"beat_groups": "3+2+6"' in written
    time_of = lambda text: text[text.index("<time"):text.index("</time>")]  # noqa: E731
    assert "".join(time_of(written).split()) == "".join(time_of(source).split())  # the signature as the file wrote it
    batch = subprocess.run([sys.executable, "-m", "lstmfuse", "batch", "continue", str(LILYPOND / "11c-TimeSignatures-CompoundSimple.xml"),
                            "-g", "folk", "--bars", "2", "--seed", "1", "--out-dir", str(tmp_path / "bc")], capture_output=True, text=True)
    assert batch.returncode == 0, batch.stderr


def test_a_result_carries_its_groups_to_the_score_it_makes():
    """lstmfuse.to_score(result.melodies[0]) ties and beams by the groups the result kept, not
    by those its notes happen to fit (8/8 named 3+3+2)."""
    import lstmfuse

    r = lstmfuse.fuse({"folk": 1.0}, bars=4, meter="8/8", options=SamplingOptions(seed=2, beats="3+3+2"))
    assert r.settings["beat_groups"] == "3+3+2" and r.melodies[0].beat_groups == (3, 3, 2)
    score = lstmfuse.to_score(r.melodies[0])
    ts = score.parts[0].recurse().getElementsByClass("TimeSignature").first()
    assert [str(part) for part in ts.beamSequence] == ["3/8", "3/8", "2/8"]


def test_a_tune_that_changes_meter_after_an_upbeat_is_continued():
    """O'Neill's 264 ("I Leave You To Guess") begins on an upbeat of three eighths in 5/4 and
    goes on in 6/8: its upbeat was measured against the 6/8 bar (-1/2 quarter) and the
    continuation refused ("the tune's upbeat must be shorter than a bar")."""
    from lstmfuse.metrics.form import upbeat

    tune = passage_of(load(Path(music21.__file__).parent / "corpus" / "oneills1850" / "0201-0300.abc", 63))
    assert [m for _, m in tune.meters] == ["5/4", "6/8"] and upbeat(tune) == Fraction(3, 2)
    r = continue_melody(tune, bars=4, genre="irish", options=SamplingOptions(seed=1))
    new = r.melodies[0].events
    assert new[0].onset == tune.end and sum(e.duration for e in new) >= 4 * Fraction(3)  # four bars of 6/8 and more


def test_new_bars_in_a_users_7_8_score_are_beamed_by_its_groups(tmp_path):
    """The bars a continuation adds to a 7/8 MusicXML score in 3+2+2 beam their eighths 3+2+2;
    the user's own bars and time signature are written as the file had them."""
    from music21 import converter, stream

    from lstmfuse.generation.service import continue_score
    from lstmfuse.io import save

    m = _melody("7/8", [(69, 1), (71, 1), (72, 1), (74, 2), (72, 2)] * 4, Fraction(1, 2))
    src, out = tmp_path / "seven.musicxml", tmp_path / "out.musicxml"
    save(melody_to_score_of(m), src, force=True)
    continue_score(src, out, bars=4, genre="irish", options=SamplingOptions(seed=3, beats="3+2+2"))
    written = converter.parse(out)
    measures = list(written.parts[0].getElementsByClass(stream.Measure))
    assert len(measures) == 8
    for bar in measures[4:]:
        run, starts = [], (0.0, 1.5, 2.5)
        for n in bar.notes:
            if n.beams and n.beams.getTypes() and n.beams.getTypes()[0] == "start":
                run = [n.offset]
            elif n.beams and n.beams.getTypes() and n.beams.getTypes()[0] in ("continue", "stop"):
                run.append(n.offset)
                if n.beams.getTypes()[0] == "stop":
                    group = max(s for s in starts if s <= run[0])
                    assert all(max(s for s in starts if s <= x) == group for x in run), (bar.number, run)
    src_text, out_text = src.read_text(), out.read_text()
    assert out_text.count("<time") == src_text.count("<time") == 1


def melody_to_score_of(m):
    from lstmfuse.generation.score_write import melody_to_score

    return melody_to_score(m, groups=(3, 2, 2))
