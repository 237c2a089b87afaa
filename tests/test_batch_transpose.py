"""Transposition on the XML tree == music21's score.transpose, and nothing else changes."""

from __future__ import annotations

import random

import music21
import pytest
from batch_support import accidental_report, canon, m21_parse, pitch_mask, signature, xml_root
from conftest import CORPUS, LILYPOND
from hypothesis import given, settings
from hypothesis import strategies as st
from music21 import interval as m21interval
from music21 import key as m21key
from music21 import pitch as m21pitch

from lstmfuse import batch
from lstmfuse.io.document import Document
from lstmfuse.errors import LstmfuseError, UsageError
from lstmfuse.theory import parse_interval, parse_key, transpose_fifths, transpose_pitch

LILY_FILES = sorted(LILYPOND.glob("*.xml")) + sorted(LILYPOND.glob("*.mxl"))
#: music21 turns a non-traditional key (key-step/key-alter) into a traditional one when it
#: transposes it; we transpose every altered step instead (notes are compared all the same)
NONTRADITIONAL_KEYS = {"13c-KeySignatures-NonTraditional.xml", "13d-KeySignatures-Microtones.xml"}
CORPUS_FILES = [
    "bach/bwv66.6.mxl", "bach/bwv7.7.mxl", "schoenberg/opus19/movement2.mxl", "schoenberg/opus19/movement6.mxl",
    "johnson_j_r/lift_every_voice.mxl", "demos/ComprehensiveChordSymbolsTestFile.mxl",
    "schumann_robert/opus41no1/movement3.mxl", "schumann_clara/polonaise_op1n1.mxl",
    "beethoven/opus18no1/movement3.mxl", "monteverdi/madrigal.3.2.mxl", "ciconia/quod_jactatur.xml",
    "demos/drum_sample.xml", "leadSheet/fosterBrownHair.mxl", "corelli/opus3no1/1grave.xml",
    "mozart/k80/movement1.mxl", "haydn/opus74no1/movement3.mxl",
    "trecento/PMFC_12_1-Kyrie Rondello.xml",  # UTF-16
]
INTERVALS = ["+M2", "-m3", "A4", "-d5", "+7", "-1", "-P8", "M6"]

assert len(LILY_FILES) == 143, len(LILY_FILES)


def _transposed(path, spec) -> bytes:
    data, _ = batch.apply(path, [batch.Transpose(spec)])
    return data


def _check_parity(path, intervals, structure: bool = False) -> int:
    """Transpose by each interval; compare pitches, spellings, keys and chord symbols with
    music21's own transposition; with ``structure`` also check that nothing but pitches,
    keys and accidentals changed and that accidentals stay consistent."""
    ref = m21_parse(path)
    compared = 0
    if structure:
        before = Document.read(path).xml_bytes()
        src_root = xml_root(before)
        missing0, wrong0 = accidental_report(src_root)
        src_canon = canon(src_root, pitch_mask)
    for spec in intervals:
        iv = parse_interval(spec)
        out = _transposed(path, spec)
        if structure:
            cut = before.find(b"<score-partwise")
            if path.suffix == ".xml" and cut > 0:  # (not in UTF-16 files)
                assert out[:cut] == before[:cut], "prolog (declaration, doctype, comments) changed"
            out_root = xml_root(out)
            assert canon(out_root, pitch_mask) == src_canon, f"{path.name} {spec}: structure changed"
            missing, wrong = accidental_report(out_root)
            assert wrong <= wrong0, f"{path.name} {spec}: {wrong} accidentals contradict their notes"
            assert missing <= missing0, f"{path.name} {spec}: {missing} notes lack a needed accidental"
        try:
            expected = signature(_without_drum_keys(ref.transpose(iv.music21_spec)))
        except m21pitch.AccidentalException:
            continue  # music21 cannot transpose (e.g. an alteration of 2.5): nothing to compare
        got = signature(_without_drum_keys(m21_parse(out, suffix=path.suffix)))
        assert got[0] == expected[0], f"{path.name} {spec}: pitches differ"
        assert got[2] == expected[2], f"{path.name} {spec}: chord symbols differ"
        if path.name not in NONTRADITIONAL_KEYS:
            assert got[1] == expected[1], f"{path.name} {spec}: key signatures differ"
        compared += 1
    return compared


def _without_drum_keys(score):
    """Drop the key signatures of percussion-clef parts: music21 transposes them, batch
    leaves a drum staff's key alone (a key signature on drums is a bug, issue 15)."""
    from music21 import clef

    for part in score.parts:
        clefs = list(part.recurse().getElementsByClass(clef.Clef))
        if clefs and all(isinstance(c, clef.PercussionClef) for c in clefs):
            for ks in list(part.recurse().getElementsByClass(m21key.KeySignature)):
                ks.activeSite.remove(ks)
    return score


@pytest.mark.parametrize("path", LILY_FILES, ids=lambda p: p.stem[:12])
def test_lilypond_suite_transposes_like_music21_and_changes_nothing_else(path):
    """Same pitches, spellings, keys and chord symbols as music21; a structural diff shows
    no change besides pitches, keys and accidentals (layout, lyrics, credits... untouched);
    accidentals stay consistent with key and measure."""
    try:
        m21_parse(path)
    except Exception:
        pytest.skip("music21 cannot read this file")
    rng = random.Random(path.name)
    intervals = INTERVALS[:2] + rng.sample(INTERVALS[2:], 2)  # every interval is used on ~70 files
    assert _check_parity(path, intervals, structure=True) >= len(intervals) - 1


@pytest.mark.parametrize("rel", CORPUS_FILES)
def test_corpus_transposes_like_music21_and_changes_nothing_else(rel):
    path = CORPUS / rel
    rng = random.Random(rel)
    assert _check_parity(path, ["+M2", rng.choice(INTERVALS[1:])], structure=True) == 2


def test_diatonic_transposition_keeps_accidental_elements_in_keyed_music():
    path = CORPUS / "schumann_clara/polonaise_op1n1.mxl"
    src = Document.read(path).root
    out = xml_root(_transposed(path, "-m3"))
    assert len(list(src.iter("accidental"))) == len(list(out.iter("accidental")))


def test_mxl_container_members_kept(tmp_path):
    path = LILYPOND / "90a-Compressed-MusicXML.mxl"
    from batch_support import mxl_members

    before = mxl_members(path.read_bytes())
    after = mxl_members(_transposed(path, "+M2"))
    assert list(before) == list(after)
    rootfile = Document.read(path)._mxl_rootfile
    for name in before:
        if name != rootfile:
            assert before[name] == after[name], name
    assert before[rootfile] != after[rootfile]


def test_to_key_moves_first_key_there():
    path = CORPUS / "bach/bwv66.6.mxl"  # f# minor, 3 sharps
    data, changes = batch.apply(path, [batch.Transpose(to_key="g")])
    score = m21_parse(data, suffix=".mxl")
    assert signature(score)[1][0][1] == -2
    assert changes["transpose"]["interval"] == "+m2"
    data, changes = batch.apply(path, [batch.Transpose(to_key="e", direction="up")])
    assert changes["transpose"]["interval"] == "+m7"
    with pytest.raises(LstmfuseError, match="minor"):
        batch.apply(path, [batch.Transpose(to_key="Eb")])


def test_to_key_without_key_signature_is_a_clear_error():
    with pytest.raises(LstmfuseError, match="no key signature"):
        batch.apply(LILYPOND / "12b-Clefs-NoKeyOrClef.xml", [batch.Transpose(to_key="D")])


@pytest.mark.parametrize("bad", ["X3", "P3", "M5", "m4", "+", "d1", "2.5"])
def test_bad_interval_is_one_line_usage_error(bad):
    with pytest.raises(UsageError) as exc:
        batch.Transpose(bad)
    assert "\n" not in str(exc.value) and "interval" in str(exc.value)


def test_bad_key_and_missing_args():
    with pytest.raises(UsageError, match="bad key"):
        batch.Transpose(to_key="H#")
    with pytest.raises(UsageError, match="exactly one"):
        batch.Transpose()
    with pytest.raises(UsageError, match="exactly one"):
        batch.Transpose("+M2", to_key="D")


def test_direction_with_an_interval_is_refused_not_ignored(tmp_path):
    """`--interval P5 --direction down` went up a fifth without a word."""
    import subprocess
    import sys

    with pytest.raises(UsageError, match="--direction goes with --to-key"):
        batch.Transpose("P5", direction="down")
    r = subprocess.run([sys.executable, "-m", "lstmfuse", "batch", "transpose", str(CORPUS / "bach/bwv66.6.mxl"),
                        "--interval", "P5", "--direction", "down", "--out-dir", str(tmp_path / "out")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.strip().startswith("error: --direction goes with --to-key"), r.stderr
    assert not (tmp_path / "out").exists()
    assert batch.Transpose("P5").resolve(None).semitones == 7


QUALITIES = ["P1", "A1", "m2", "M2", "A2", "d3", "m3", "M3", "d4", "P4", "A4", "d5", "P5", "A5", "m6", "M6",
             "d7", "m7", "M7", "P8", "M9", "m10", "P11", "P12", "M13"]


@settings(max_examples=300, deadline=None)
@given(step=st.sampled_from("CDEFGAB"), alter=st.sampled_from([-2, -1, 0, 1, 2]), octave=st.integers(0, 8),
       name=st.sampled_from(QUALITIES), down=st.booleans(), semis=st.integers(-24, 24), chromatic=st.booleans())
def test_pitch_arithmetic_matches_music21(step, alter, octave, name, down, semis, chromatic):
    spec = str(semis) if chromatic else ("-" if down else "+") + name
    iv = parse_interval(spec)
    m21 = m21interval.Interval(iv.music21_spec)
    p = m21pitch.Pitch(step=step, octave=octave)
    if alter:
        p.accidental = m21pitch.Accidental(alter)
    q = m21.transposePitch(p)
    assert transpose_pitch(step, float(alter), octave, iv) == (q.step, float(q.alter), q.octave)


@settings(max_examples=200, deadline=None)
@given(fifths=st.integers(-7, 7), mode=st.sampled_from([None, "major", "minor", "dorian"]),
       name=st.sampled_from(QUALITIES), down=st.booleans(), semis=st.integers(-12, 12), chromatic=st.booleans())
def test_key_arithmetic_matches_music21(fifths, mode, name, down, semis, chromatic):
    spec = str(semis) if chromatic else ("-" if down else "+") + name
    iv = parse_interval(spec)
    ks = m21key.KeySignature(fifths)
    if mode:
        ks = ks.asKey(mode)
    assert ks.transpose(m21interval.Interval(iv.music21_spec)).sharps == transpose_fifths(fifths, iv)


def test_parse_key_forms():
    assert parse_key("Eb").fifths == -3
    assert parse_key("f#").fifths == 3 and parse_key("f#").mode == "minor"
    assert parse_key("Bb minor").fifths == -5
    assert parse_key("D dorian").fifths == 0
    assert parse_key("c#m").fifths == 4


def test_music21_path_for_kern(tmp_path):
    """kern has no XML tree: transpose goes through music21 (converter21) and writes kern."""
    src = CORPUS / "bach/bwv66.6.mxl"
    krn = tmp_path / "chorale.krn"
    res = batch.run([src], [batch.Convert("kern")], out_dir=tmp_path / "k")
    assert res.exit_code == 0
    (tmp_path / "k" / "bwv66.6.krn").rename(krn)
    res = batch.run([krn], [batch.Transpose("+M2")], out_dir=tmp_path / "out")
    assert res.exit_code == 0, res.files[0].error
    out = tmp_path / "out" / "chorale.krn"
    assert "**kern" in out.read_text()
    before = [p.nameWithOctave for p in music21.converter.parse(krn).pitches]
    after = [p.nameWithOctave for p in music21.converter.parse(out).pitches]
    expected = [m21interval.Interval("M2").transposePitch(m21pitch.Pitch(n)).nameWithOctave for n in before]
    assert after == expected
