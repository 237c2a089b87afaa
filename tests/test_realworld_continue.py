"""Reading a passage out of real scores for `continue` (issue 15).

Drum-set and tablature parts are refused in one line (or skipped when no part is named),
parts are found by the name `lstmfuse info` prints, inexact triplets are snapped to exact
ones, and a passage below the models' range warns.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from fractions import Fraction
from pathlib import Path

import pytest

from lstmfuse.encoding.extract import PassageWarning, melody_from_part, pick_part, snap_inexact_tuplets
from lstmfuse.encoding.events import NoteEvent
from lstmfuse.encoding.tokens import encode
from lstmfuse.generation.options import SamplingOptions
from lstmfuse.errors import UsageError
from lstmfuse.io import load

DATA = Path(__file__).resolve().parent / "data" / "realworld"


def test_drum_part_first_is_skipped_by_default_and_refused_by_index():
    score = load(DATA / "drumset-first.musicxml")
    assert pick_part(score).partName == "Flute"
    with pytest.raises(UsageError, match=r"part 1 'Drumset' is a drum-set .* --part: 2 'Flute'$"):
        pick_part(score, "1")
    with pytest.raises(UsageError, match=r"part 1 'Drumset' is a drum-set"):
        pick_part(score, 0)  # a Python index counts from 0, as score.parts[0]


def test_drum_notes_do_not_crash_the_extractor():
    score = load(DATA / "drumset-first.musicxml")
    melody = melody_from_part(score.parts[0])  # was AttributeError: 'Unpitched' has no 'pitch'
    assert melody.events and all(e.pitch is None for e in melody.events)


def test_tab_part_refused_in_one_line():
    score = load(DATA / "tab-first.musicxml")
    assert pick_part(score).partName == "Voice"
    with pytest.raises(UsageError, match="tablature") as err:
        pick_part(score, "Guitar")
    assert "\n" not in str(err.value) and "2 'Voice'" in str(err.value)


def test_part_by_the_name_info_prints(corpus_dir):
    from lstmfuse.io.summary import summarise_score

    score = load(corpus_dir / "bach" / "bwv277.krn")
    names = summarise_score(score).parts
    assert names[3] == "Part 4"
    assert pick_part(score, "Part 4") is score.parts[3]
    assert pick_part(score, "part 4") is score.parts[3]


def test_part_numbers_count_from_1_as_info_lists_them(corpus_dir):
    """`info` lists "Part 1 .. Part 4" and `batch extract-parts --part 2` takes the alto; a
    typed number means the same part everywhere (it meant the next part down until 2026-12-03)."""
    score = load(corpus_dir / "bach" / "bwv277.krn")
    assert pick_part(score, "1") is score.parts[0]
    assert pick_part(score, "2") is pick_part(score, "Part 2") is score.parts[1]
    assert pick_part(score, 1) is score.parts[1]  # code's int index: from 0
    with pytest.raises(UsageError) as err:
        pick_part(score, "0")
    assert str(err.value) == ("part 0 does not exist (the score has 4 part(s), numbered from 1: "
                              "1 'Part 1', 2 'Part 2', 3 'Part 3', 4 'Part 4')")
    with pytest.raises(UsageError, match="part 5 does not exist"):
        pick_part(score, "5")
    with pytest.raises(UsageError, match="part index 4 does not exist"):
        pick_part(score, 4)


def test_cli_part_number_picks_the_part_info_names(corpus_dir, tmp_path):
    from typer.testing import CliRunner

    from lstmfuse.cli import app

    src = corpus_dir / "bach" / "bwv277.krn"
    out = tmp_path / "alto.musicxml"
    r = CliRunner().invoke(app, ["continue", str(src), "--part", "2", "--bars", "1", "--genre", "bach",
                                 "--seed", "1", "-o", str(out)])
    assert r.exit_code == 0, r.output
    score, written = load(src), load(out)
    lengths = [len(p.recurse().notes) for p in written.parts]
    before = [len(p.recurse().notes) for p in score.parts]
    assert lengths[1] > before[1] and [lengths[i] for i in (0, 2, 3)] == [before[i] for i in (0, 2, 3)]


def test_unknown_part_lists_names_not_object_ids(corpus_dir):
    score = load(corpus_dir / "bach" / "bwv277.krn")
    with pytest.raises(UsageError) as err:
        pick_part(score, "Tenor")
    assert str(err.value) == "no part named 'Tenor' (parts: 1 'Part 1', 2 'Part 2', 3 'Part 3', 4 'Part 4')"


def test_low_passage_warns(corpus_dir):
    score = load(corpus_dir / "bach" / "bwv277.krn")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        melody_from_part(pick_part(score, "Part 4"))
        melody_from_part(pick_part(score, "Part 1"))
    mine = [w for w in caught if issubclass(w.category, PassageWarning)]
    assert len(mine) == 1 and "lies low" in str(mine[0].message)


def test_inexact_triplets_snap_and_encode(corpus_dir):
    score = load(corpus_dir / "schubert" / "Lindenbaum.xml")
    melody = melody_from_part(pick_part(score))
    assert len(encode(melody).tokens) > 400  # was: "duration 85/256 quarter(s) ... cannot be encoded"
    thirds = [e for e in melody.events if e.duration == Fraction(1, 3)]
    assert len(thirds) >= 6


def test_snap_moves_only_near_misses():
    near = [NoteEvent(60, Fraction(2), Fraction(85, 256)), NoteEvent(62, Fraction(597, 256), Fraction(85, 256)),
            NoteEvent(64, Fraction(682, 256), Fraction(86, 256))]
    assert [e.duration for e in snap_inexact_tuplets(near)] == [Fraction(1, 3)] * 3
    exact = [NoteEvent(60, Fraction(1, 16), Fraction(1, 16)), NoteEvent(60, Fraction(1, 5), Fraction(1, 5))]
    assert snap_inexact_tuplets(exact) == exact
    far = [NoteEvent(60, Fraction(0), Fraction(1, 7))]
    assert snap_inexact_tuplets(far) == far


def test_cli_drum_first_refusal_is_one_line(tmp_path):
    from typer.testing import CliRunner

    from lstmfuse.cli import app

    r = CliRunner().invoke(app, ["continue", str(DATA / "drumset-first.musicxml"), "--part", "1", "--bars", "1",
                                 "--genre", "folk", "-o", str(tmp_path / "o.musicxml")])
    assert r.exit_code != 0
    assert isinstance(r.exception, (UsageError, SystemExit)), r.exception
    assert not (tmp_path / "o.musicxml").exists()


def test_png_of_a_continuation_is_its_last_page(tmp_path, monkeypatch):
    """`continue --png` engraved page 1, so on long scores the new bars were not in it."""
    from lstmfuse.generation import service
    from lstmfuse.io import render as render_module

    asked = {}

    def fake_render(src, out, page=None, force=False, **kw):
        asked["page"] = page
        Path(out).write_bytes(b"png")

    monkeypatch.setattr(render_module, "render", fake_render)
    score = load(DATA / "no-clef.musicxml")
    written = service._finish(score, tmp_path / "c.musicxml", force=False, png=True)
    assert asked["page"] == render_module.LAST_PAGE
    assert [p.name for p in written] == ["c.musicxml", "c.png"]


def test_unnamed_staff_of_a_piano_takes_its_name(corpus_dir, tmp_path):
    """Kern names a piano on one staff only: the upper staff read back was 'Part 2'."""
    from lstmfuse.io import convert_file

    target = tmp_path / "l.krn"
    convert_file(corpus_dir / "schubert" / "Lindenbaum.xml", target)
    score = load(target)
    assert pick_part(score, "Piano") is score.parts[1]  # the upper staff, first of the two


@pytest.mark.parametrize("genre,seed", [("folk", 1), ("folk", 2), ("palestrina", 2)])
def test_a_triplet_arpeggio_is_not_answered_by_notes_held_for_bars(tmp_path, genre, seed):
    """The Moonlight Sonata's opening (4 bars of 2/2 triplet arpeggios): folk used to answer
    with one note of 12 quarters, palestrina with a tie over 7 quarters. Inside a phrase no
    note (ties included) may now outlast a bar; only a phrase's closing note may ring on."""
    from lstmfuse import load_score, passage_of

    src = Path(__file__).parent / "data" / "realworld" / "moonlight-opening.musicxml"
    out = tmp_path / "moon.musicxml"
    proc = subprocess.run(
        [sys.executable, "-m", "lstmfuse", "continue", str(src), "--genre", genre, "--bars", "4", "--seed", str(seed), "-o", str(out)],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr
    before = passage_of(load_score(src))
    after = passage_of(load_score(out))
    bar = after.bar_length
    new = [e for e in after.events if e.onset >= before.end and e.pitch is not None]
    assert len(new) >= 4
    assert all(e.duration <= bar for e in new[:-1]), [(float(e.onset), float(e.duration)) for e in new]


def _tuplets_across_a_beat(events, beat: Fraction) -> list[tuple[float, float]]:
    """Events that start or end off the 32nd-note grid (a tuplet's) and sound past the end of
    the beat they began in."""
    def plain(x: Fraction) -> bool:
        return (x * 8).denominator == 1

    return [(float(e.bar_pos), float(e.duration)) for e in events
            if not (plain(e.bar_pos) and plain(e.bar_pos + e.duration)) and e.bar_pos + e.duration > (e.bar_pos // beat + 1) * beat]


def test_a_triplet_passage_is_continued_with_its_tuplets_inside_the_beat(tmp_path):
    """The Moonlight opening continued by folk (a genre with almost no triplets) wrote quarter
    notes a triplet eighth after the beat, engraved as tuplets of 24 and 12: of the new notes and
    rests of seeds 0-4, folk put 20 of 93 off the 32nd grid across a beat and Palestrina 20 of 76. Real tunes
    keep a tuplet inside its beat; so do the continuations now, and music21 writes them as
    plain triplets."""
    from lstmfuse import load_score, passage_of
    from lstmfuse.generation.continuation import continue_melody
    from lstmfuse.generation.service import continue_score

    src = DATA / "moonlight-opening.musicxml"
    passage = passage_of(load_score(src))
    crossing = {}
    for genre in ("folk", "palestrina"):
        for seed in range(5):
            new = continue_melody(passage, bars=4, genre=genre, options=SamplingOptions(seed=seed)).melodies[0].events
            if bad := _tuplets_across_a_beat(new, Fraction(1)):
                crossing[(genre, seed)] = bad
    assert crossing == {}
    out = tmp_path / "moon.musicxml"
    continue_score(src, out, bars=4, genre="folk", options=SamplingOptions(seed=1))
    text = out.read_text()
    assert "<actual-notes>3</actual-notes>" in text  # the passage's triplets, and any new ones
    assert all(f"<actual-notes>{n}</actual-notes>" not in text for n in (6, 12, 24))


def _page_pitches_disagree(part, first_bar: int, last_bar: int = 10**6) -> list[str]:
    """Notes of bars ``first_bar``-``last_bar`` whose sounding pitch is not what the page shows: the step,
    altered by a printed accidental, else by an earlier one in the bar, else by the signature
    in force (as a player reads it)."""
    from music21 import key

    wrong, signature = [], {}
    for measure in part.getElementsByClass("Measure"):
        for ks in measure.getElementsByClass(key.KeySignature):
            signature = {p.step: p.accidental.alter for p in ks.alteredPitches}
        if not first_bar <= measure.number <= last_bar:
            continue
        in_bar: dict[tuple[str, int], float] = {}
        for n in measure.recurse().notes:
            for p in n.pitches:
                shown = p.accidental is not None and p.accidental.displayStatus is not False and (
                    p.accidental.displayStatus or p.accidental.displayType != "never")
                printed = p.accidental.alter if shown else in_bar.get((p.step, p.octave), signature.get(p.step, 0))
                if shown:
                    in_bar[(p.step, p.octave)] = p.accidental.alter
                actual = p.accidental.alter if p.accidental is not None else 0
                if printed != actual:
                    wrong.append(f"bar {measure.number}: {p.nameWithOctave} reads as {p.step}{printed:+g}")
    return wrong


def test_a_continuation_after_a_key_change_is_in_the_new_key(tmp_path):
    """Two O'Neill tunes, 8 bars under 2 flats then 8 under 2 sharps: the new bars came in
    2 flats (A-flats under the 2-sharp signature, F naturals printed without their sign)."""
    import json

    from lstmfuse.generation.passage_key import passage_key
    from lstmfuse.generation.service import continue_score

    src = DATA / "modulating-medley.musicxml"
    score = load(src)
    home = melody_from_part(pick_part(score))
    assert home.sharps == -2 and home.key_span == (0, None)  # the piece's home key, as a corpus reads it
    passage = melody_from_part(pick_part(score), key_at="end")
    assert passage.sharps == 2 and passage.key_span == (8 * passage.bar_length, None)
    assert passage.signatures == [(0, -2), (8 * passage.bar_length, 2)] and home.signatures == []
    assert not passage_key(passage, 2, passage.mode).from_notes  # judged on the 8 bars in D, not all 16
    (out,) = continue_score(src, tmp_path / "more.musicxml", bars=4, genre="irish",
                            options=SamplingOptions(seed=1), force=True)
    written = load(out)
    settings = json.loads(str(written.metadata.getCustom("lstmfuse-settings")[0]))
    assert settings["key_signature_sharps"] == 2 and "key_of_notes" not in settings
    new = [n for n in melody_from_part(written.parts[0]).notes if n.onset >= passage.end]
    assert len(new) >= 8
    flats = [n for n in new if n.spelling and "-" in n.spelling]
    assert not flats, flats  # D major has no flats; the first tune's B-flat major had two
    assert _page_pitches_disagree(written.parts[0], 17) == []


def test_regenerated_bars_take_the_key_in_force_at_them(corpus_dir, tmp_path):
    """Lindenbaum bars 25-36 are in E minor under one sharp after an E-major start (4 sharps):
    bars 29-30 came back with G-sharps, printed without their sign under the one-sharp signature."""
    import json

    from lstmfuse.generation.regenerate_score import regenerate_score

    src = corpus_dir / "schubert" / "Lindenbaum.xml"
    out = regenerate_score(src, tmp_path / "linden.musicxml", bars="29-30", genre="folk", part="Voice",
                           options=SamplingOptions(seed=1), force=True)[0]
    written = load(out)
    settings = json.loads(str(written.metadata.getCustom("lstmfuse-settings")[0]))
    assert settings["key_signature_sharps"] == 1
    assert _page_pitches_disagree(written.parts[0], 29, 30) == []
