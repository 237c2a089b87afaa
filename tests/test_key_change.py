"""A passage that changes key is heard bar by bar in the key each bar is written in
(encoding.tokens.in_key_of_span): the models continue in the new key without taking up the old
one's notes, and the score's own bars are never changed."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from lstmfuse.encoding.events import Melody, NoteEvent
from lstmfuse.encoding.tokens import in_key_of_span
from lstmfuse.generation.continuation import continue_melody
from lstmfuse.generation.options import SamplingOptions
from lstmfuse.generation.regenerate import regenerate_span
from lstmfuse.models.registry import genre_names
from lstmfuse.theory import name_to_midi, scale_pitch_classes

F_MAJOR = "F4 G4 A4 B-4 C5 B-4 A4 G4 F4 A4 C5 F5 E5 D5 C5 B-4".split()
D_MAJOR = "D4 E4 F#4 G4 A4 B4 C#5 D5 C#5 B4 A4 F#4 E4 F#4 G4 A4".split()


def _modulating() -> Melody:
    """12 bars of F major under one flat, then 4 of D major under two sharps (quarter notes):
    what a MuseScore 4 user selected when the continuation came in D with F naturals, A sharps
    and C naturals."""
    names = F_MAJOR * 3 + D_MAJOR
    events = [NoteEvent(name_to_midi(n), Fraction(i), Fraction(1), Fraction(i % 4), n) for i, n in enumerate(names)]
    return Melody(events, meter="4/4", sharps=2, key_span=(Fraction(48), None), signatures=[(Fraction(0), -1), (Fraction(48), 2)])


def _genre(name: str) -> str:
    return name if name in genre_names() else genre_names()[0]


def test_bars_under_an_earlier_signature_are_moved_into_the_key_in_force():
    m = _modulating()
    heard = in_key_of_span(m)
    before = [e.pitch for e in m.events[:48]]
    assert [e.pitch for e in heard.events[:48]] == [p - 3 for p in before]  # F major -> D major: down a minor third
    assert all(e.spelling is None for e in heard.events[:48])  # the score's names are F major's
    assert heard.events[48:] == m.events[48:]  # the bars under the signature in force, as written
    assert m.events[0].pitch == name_to_midi("F4")  # the passage itself is left alone
    assert in_key_of_span(heard) is heard  # once is enough
    plain = Melody(m.events, meter="4/4", sharps=2)
    assert in_key_of_span(plain) is plain  # one key throughout: nothing to move


def test_a_gap_in_the_earlier_key_hears_the_later_bars_in_its_own():
    """For regenerate the key span is the gap's: the bars after a change are moved into it."""
    m = _modulating()
    m = Melody(m.events, meter="4/4", sharps=-1, key_span=(Fraction(0), Fraction(48)), signatures=m.signatures)
    heard = in_key_of_span(m)
    assert heard.events[:48] == m.events[:48]
    assert [e.pitch for e in heard.events[48:]] == [e.pitch + 3 for e in m.events[48:]]


def test_a_continuation_after_a_key_change_does_not_take_up_the_old_keys_notes():
    """Before, the 48 F-major notes were moved by D major's shift and reached the folk model as
    E-flat major: over 10 seeds 0.125 of the new notes lay outside D major (4 continuations above
    0.1); heard bar by bar, 0.015 (none above 0.1)."""
    m = _modulating()
    scale = scale_pitch_classes(2, "major", leading_note=True)
    shares = []
    for seed in range(10):
        r = continue_melody(m, bars=4, genre=_genre("folk"), options=SamplingOptions(seed=seed))
        new = [e.pitch for e in r.melodies[0].notes if e.onset >= m.end]
        assert new
        shares.append(sum(p % 12 not in scale for p in new) / len(new))
    assert sum(shares) / len(shares) <= 0.05, shares
    assert sum(s > 0.1 for s in shares) <= 1, shares


@pytest.mark.parametrize("weights", [None, "folk=.5,irish=.5"])
def test_regenerate_across_a_key_change_keeps_the_scores_own_bars(weights):
    """The models hear the bars before the change moved into the gap's key; what comes back
    around the gap is the score's own notes, with their spelling."""
    m = _modulating()
    known = genre_names()
    if weights and not all(g in known for g in ("folk", "irish")):
        weights = None
    kw = {"weights": weights} if weights else {"genre": _genre("folk")}
    r = regenerate_span(m, Fraction(52), Fraction(56), options=SamplingOptions(seed=2), candidates=8, **kw)
    out = r.melodies[0].events
    assert [e for e in out if e.onset < 52] == [e for e in m.events if e.onset < 52]
    assert [e for e in out if e.onset >= 56] == [e for e in m.events if e.onset >= 56]
    assert any(e.onset >= 52 and e.end <= 56 for e in out)


def test_bars_to_regenerate_across_a_key_change_are_refused_naming_the_bar():
    """Bars 12-13 of 12 bars in F and 4 in D: the gap took the key at its start, and bar 13, under
    two sharps, came back with F naturals and C naturals. Refused as a meter change is."""
    from lstmfuse.errors import UsageError

    m = _modulating()
    m = Melody(m.events, meter="4/4", sharps=-1, key_span=(Fraction(0), Fraction(48)), signatures=m.signatures)
    with pytest.raises(UsageError) as err:
        regenerate_span(m, Fraction(44), Fraction(52), genre=_genre("folk"), options=SamplingOptions(seed=1), candidates=8)
    assert "key signature changes inside the bars to regenerate (in bar 13)" in err.value.message
    assert err.value.about == "gap"
    regenerate_span(m, Fraction(40), Fraction(48), genre=_genre("folk"), options=SamplingOptions(seed=1), candidates=8)  # up to it


def test_the_result_says_where_the_key_changed_and_which_key_goes_on():
    r = continue_melody(_modulating(), bars=2, genre=_genre("folk"), options=SamplingOptions(seed=1))
    change = r.settings["key_change"]
    assert (change["bar"], change["sharps"], change["name"]) == (13, 2, "D major")
    assert change["said"].startswith("key: the passage changes key in bar 13; continued in D major")
    plain = Melody(_modulating().events[48:], meter="4/4", sharps=2)
    assert "key_change" not in continue_melody(plain, bars=2, genre=_genre("folk"), options=SamplingOptions(seed=1)).settings


def test_continue_says_it_in_one_line(tmp_path):
    from test_io_cli_errors import run_cli

    src = Path(__file__).resolve().parent / "data" / "realworld" / "modulating-medley.musicxml"
    proc = run_cli("continue", str(src), "-g", _genre("irish"), "--bars", "2", "--seed", "1", "-o", str(tmp_path / "out.musicxml"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    said = " ".join((proc.stdout + proc.stderr).split())
    assert "key: the passage changes key in bar 9; continued in D major" in said, said


def test_a_batch_continue_reports_the_key_it_went_on_in():
    from lstmfuse import batch
    from lstmfuse.batch.ops.generate import Continue

    src = Path(__file__).resolve().parent / "data" / "realworld" / "modulating-medley.musicxml"
    _, changes = batch.apply(src, [Continue(genre=_genre("irish"), bars=2, seed=1)])
    assert changes["continue"]["key from bar"] == "9: D major"


def test_continue_on_a_transposing_part_stays_in_its_written_key(tmp_path):
    """A B-flat clarinet's part in a MusicXML file (written D major, sounding C, with its
    <transpose>): music21 reads it at written pitch, so the CLI continues in written D major.
    The new notes are in D, the part keeps its transposition and signature, and its own bars
    are as they were."""
    import sys

    from lstmfuse.io import load

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bridge_support import write_clarinet_in_c
    from test_io_cli_errors import run_cli

    src, out = tmp_path / "clarinet.musicxml", tmp_path / "out.musicxml"
    write_clarinet_in_c(src)
    proc = run_cli("continue", str(src), "-g", _genre("folk"), "--bars", "4", "--seed", "3", "-o", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "key of the notes" not in proc.stdout + proc.stderr  # the signature writes the notes' key
    before, after = (load(p).parts[0] for p in (src, out))
    old = [n.nameWithOctave for n in before.recurse().notes]
    new = [n.nameWithOctave for n in after.recurse().notes]
    assert new[:len(old)] == old and old[0] == "D4"  # written pitch: concert C4 on a B-flat clarinet
    added = [n.pitch for n in after.recurse().notes][len(old):]
    assert len(added) >= 4
    d_major = set(scale_pitch_classes(2, "major"))
    assert sum(p.pitchClass not in d_major for p in added) <= len(added) // 10, [p.nameWithOctave for p in added]
    assert str(after.getInstrument().transposition) == str(before.getInstrument().transposition)
    assert [k.sharps for k in after.recurse().getElementsByClass("KeySignature")] == [2]
