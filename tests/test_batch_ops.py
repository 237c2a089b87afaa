"""The non-transposition ops: each changes what it is about and nothing else."""

from __future__ import annotations

import pytest
from batch_support import accidental_report, canon, m21_parse, mxl_members, signature, xml_root
from conftest import CORPUS, LILYPOND
from lxml import etree

from lstmfuse import batch
from lstmfuse.io.document import Document
from lstmfuse.batch.ops import REGISTRY, Op, get_op, load_ops, op_from_spec
from lstmfuse.batch.ops.transpose import _opening_keys
from lstmfuse.errors import LstmfuseError, UsageError
from lstmfuse.theory import parse_key

LILY_FILES = sorted(LILYPOND.glob("*.xml")) + sorted(LILYPOND.glob("*.mxl"))
# a spread of corpus files: chorales, string quartets, songs, lead sheets, madrigals
CORPUS_FILES = ["bach/bwv66.6.mxl", "beethoven/opus18no1/movement3.mxl", "schumann_robert/opus48no2.mxl",
                "leadSheet/fosterBrownHair.mxl", "monteverdi/madrigal.3.2.mxl", "demos/multiple-verses.xml"]
ALL = LILY_FILES + [CORPUS / f for f in CORPUS_FILES]
IDS = [p.stem[:14] for p in ALL]


def _out_root(path, ops):
    data, changes = batch.apply(path, ops)
    return xml_root(data), changes


HEADER_TAGS = {"work", "movement-number", "movement-title", "identification"}


@pytest.mark.parametrize("path", ALL, ids=IDS)
def test_set_meta_touches_only_the_header(path):
    before = Document.read(path).root
    after, _ = _out_root(path, [batch.SetMeta(title="New Title", composer="Someone Else", movement_number="7")])

    def skip(el):
        if el.tag in HEADER_TAGS and el.getparent() is not None and el.getparent().tag == "score-partwise":
            return True
        if el.tag == "credit-words":  # typed credits follow the title/composer
            credit = el.getparent()
            return any((t.text or "").strip() in ("title", "composer") for t in credit.iterchildren("credit-type"))
        return False

    assert canon(before, skip) == canon(after, skip)
    titles = [after.findtext("work/work-title"), after.findtext("movement-title")]
    assert "New Title" in titles
    assert after.findtext("identification/creator[@type='composer']") == "Someone Else"
    assert after.findtext("movement-number") == "7"
    score = m21_parse(etree.tostring(after))
    assert score.metadata.composer == "Someone Else"


def test_set_meta_empty_value_removes_and_typed_credits_follow():
    path = LILYPOND / "51b-Header-Quotes.xml"
    after, changes = _out_root(path, [batch.SetMeta(composer="", title="T")])
    assert after.find("identification/creator[@type='composer']") is None
    assert "fields" in changes["set-meta"]


def test_set_meta_removal_takes_the_printed_credit_too():
    """`--title '' --composer ''` removed the header fields, but the page still printed
    "Sonata da Chiesa" and "Arcangelo Corelli" (typed credits followed a new value, not a removal)."""
    def typed(root):
        return sorted((t.text or "").strip() for c in root.iterchildren("credit") for t in c.iterchildren("credit-type"))

    path = CORPUS / "corelli" / "opus3no1" / "1grave.xml"
    before = Document.read(path).root
    assert {"title", "composer", "arranger"} <= set(typed(before))
    after, changes = _out_root(path, [batch.SetMeta(title="", composer="")])
    assert "title" not in typed(after) and "composer" not in typed(after)
    assert sorted(set(typed(before)) - {"title", "composer"}) == sorted(set(typed(after)))
    assert changes["set-meta"]["credits"] == 2


def test_set_meta_title_follows_into_a_copied_movement_title(tmp_path, examples_dir):
    """music21 (so every file lstmfuse writes) copies the title into <movement-title>, which
    renderers print: set-meta changed <work-title> only and the page kept the old title. From
    kern the copy came back as a stale !!!OMD beside the new !!!OTL."""
    from lstmfuse.io import save
    from lstmfuse.io import load as load_score

    written = tmp_path / "plain.musicxml"
    save(load_score(examples_dir / "bach-bwv277.krn"), written)
    before = Document.read(written).root
    assert before.findtext("work/work-title") == before.findtext("movement-title") == "25. Christ lag in Todesbanden"
    after, _ = _out_root(written, [batch.SetMeta(title="Neuer Titel")])
    assert after.findtext("work/work-title") == after.findtext("movement-title") == "Neuer Titel"
    own = tmp_path / "own.musicxml"  # a movement title of its own stays
    own.write_bytes(written.read_bytes().replace(b"<movement-title>25. Christ lag in Todesbanden<", b"<movement-title>Satz 2<"))
    again, _ = _out_root(own, [batch.SetMeta(title="X")])
    assert again.findtext("work/work-title") == "X" and again.findtext("movement-title") == "Satz 2"
    data, _ = batch.apply(examples_dir / "bach-bwv277.krn", [batch.SetMeta(title="Neuer Titel")])
    records = [line for line in data.decode().splitlines() if line.startswith(("!!!OTL", "!!!OMD"))]
    assert records == ["!!!OTL: Neuer Titel"]


def test_kern_parts_are_listed_and_named_as_info_names_them(examples_dir):
    """A kern score's parts reach the tree with ids music21 makes up anew on every read: the
    listing offered 'P4ea71a15b476eef55f8c15002b0ecccc' and no name; it lists the names
    `lstmfuse info` prints, and "Part 2" picks the second part."""
    src = examples_dir / "bach-bwv277.krn"
    with pytest.raises(LstmfuseError) as err:
        batch.apply(src, [batch.ExtractParts(parts=("Tenor",))])
    assert "(parts: 1 'Part 1', 2 'Part 2', 3 'Part 3', 4 'Part 4')" in str(err.value)
    by_name, _ = batch.apply(src, [batch.ExtractParts(parts=("Part 2",))])
    by_number, _ = batch.apply(src, [batch.ExtractParts(parts=("2",))])
    assert by_name == by_number


def _tempo_skip(el):
    if el.tag == "direction" and (el.find("direction-type/metronome") is not None or el.find("sound[@tempo]") is not None):
        return True
    return el.tag == "sound" and el.get("tempo") is not None and el.getparent().tag == "measure"


@pytest.mark.parametrize("path", ALL, ids=IDS)
def test_set_tempo_touches_only_tempo_marks(path):
    before = Document.read(path).root
    after, changes = _out_root(path, [batch.SetTempo(bpm=132)])
    assert canon(before, _tempo_skip) == canon(after, _tempo_skip)
    sounds = [float(s.get("tempo")) for s in after.iter("sound") if s.get("tempo")]
    assert 132.0 in sounds
    assert changes["set-tempo"]["tempo"] == "quarter=132"


def test_set_tempo_dotted_beat_and_scale_all():
    path = LILYPOND / "31c-MetronomeMarks.xml"
    after, _ = _out_root(path, [batch.SetTempo(bpm=60, beat="quarter.", scale_all=True)])
    first = after.find(".//direction/sound")
    assert float(first.get("tempo")) == 90.0
    with pytest.raises(UsageError, match="beat unit"):
        batch.SetTempo(bpm=60, beat="crotchety")
    with pytest.raises(UsageError, match="tempo"):
        batch.SetTempo(bpm=-3)


_ONLY_HEARD = """<?xml version="1.0" encoding="UTF-8"?>
<score-partwise version="4.0">
  <part-list><score-part id="P1"><part-name>Flute</part-name></score-part></part-list>
  <part id="P1">
    <measure number="1">
      <attributes><divisions>1</divisions><time><beats>4</beats><beat-type>4</beat-type></time><clef><sign>G</sign><line>2</line></clef></attributes>
      OPENING
      <note><pitch><step>C</step><octave>5</octave></pitch><duration>4</duration><type>whole</type></note>
    </measure>
  </part>
</score-partwise>
"""


@pytest.mark.parametrize("opening", ['<sound tempo="120"/>',
                                     '<direction><direction-type><words>Allegro</words></direction-type><sound tempo="120"/></direction>'],
                         ids=["bare-sound", "words"])
def test_set_tempo_shows_the_tempo_where_the_score_only_played_it(tmp_path, opening):
    """A score whose opening tempo is only a playback <sound tempo> (or words with one) got
    the new playback tempo and no visible mark: the page still said nothing, or "Allegro".
    Now a metronome mark shows it (beside the words), and there is one playback tempo."""
    from lstmfuse.io.schema import validate_musicxml

    path = tmp_path / "heard.musicxml"
    path.write_text(_ONLY_HEARD.replace("OPENING", opening))
    data, _ = batch.apply(path, [batch.SetTempo(bpm=96)])
    root = xml_root(data)
    (metro,) = root.iter("metronome")
    assert (metro.findtext("beat-unit"), metro.findtext("per-minute")) == ("quarter", "96")
    assert [s.get("tempo") for s in root.iter("sound")] == ["96"]
    assert [w.text for w in root.iter("words")] == (["Allegro"] if "words" in opening else [])
    assert validate_musicxml(data) == []
    tempo = m21_parse(data).recurse().getElementsByClass("MetronomeMark").first()
    assert tempo.number == 96


def _part_subtrees(root):
    return {p.get("id"): canon(p) for p in root.iterchildren("part")}


def _score_parts(root):
    return {sp.get("id"): canon(sp) for sp in root.find("part-list").iterchildren("score-part")}


def _outside_parts(el):
    return el.tag in ("part", "part-list")


PART_FILES = [LILYPOND / f for f in ("41a-MultiParts-Partorder.xml", "41b-MultiParts-MoreThan10.xml",
                                      "41c-StaffGroups.xml", "41d-StaffGroups-Nested.xml",
                                      "72b-TransposingInstruments-Full.xml")] + [CORPUS / "bach/bwv66.6.mxl",
                                                                                    CORPUS / "beethoven/opus18no1/movement3.mxl"]


ONE_PART_FILES = [LILYPOND / f for f in ("41e-StaffGroups-InstrumentNames-Linebroken.xml", "43a-PianoStaff.xml")]


@pytest.mark.parametrize("path", [p for p in PART_FILES if p not in ONE_PART_FILES], ids=lambda p: p.stem[:14])
def test_part_ops_move_whole_parts_and_nothing_else(path):
    root = Document.read(path).root
    ids = [sp.get("id") for sp in root.find("part-list").iterchildren("score-part")]
    parts_before, sps_before = _part_subtrees(root), _score_parts(root)
    assert len(ids) >= 2
    # extract the last and the first (asked in that order: kept in score order)
    out, _ = _out_root(path, [batch.ExtractParts((ids[-1], "1"))])
    assert [p.get("id") for p in out.iterchildren("part")] == [ids[0], ids[-1]]
    assert [sp.get("id") for sp in out.find("part-list").iterchildren("score-part")] == [ids[0], ids[-1]]
    for pid, tree in _part_subtrees(out).items():
        assert tree == parts_before[pid]
    for pid, tree in _score_parts(out).items():
        assert tree == sps_before[pid]
    assert canon(root, _outside_parts) == canon(out, _outside_parts)
    # remove the first
    out, _ = _out_root(path, [batch.RemoveParts(("1",))])
    assert [p.get("id") for p in out.iterchildren("part")] == ids[1:]
    assert canon(root, _outside_parts) == canon(out, _outside_parts)
    # reverse the order
    out, changes = _out_root(path, [batch.ReorderParts(tuple(reversed(ids)))])
    assert [p.get("id") for p in out.iterchildren("part")] == list(reversed(ids))
    assert [sp.get("id") for sp in out.find("part-list").iterchildren("score-part")] == list(reversed(ids))
    for pid, tree in _part_subtrees(out).items():
        assert tree == parts_before[pid]
    assert canon(root, _outside_parts) == canon(out, _outside_parts)
    # every part-group still starts before it stops and encloses at least one part
    for el in (out.find("part-list"),):
        open_groups = {}
        for c in el:
            if c.tag == "part-group" and c.get("type") == "start":
                open_groups[c.get("number", "1")] = 0
            elif c.tag == "part-group" and c.get("type") == "stop":
                assert open_groups.pop(c.get("number", "1")) > 0
            elif c.tag == "score-part":
                for k in open_groups:
                    open_groups[k] += 1
    # music21 still reads it, with the parts in the new order
    score = m21_parse(etree.tostring(out))
    assert len(score.parts) == len(m21_parse(path).parts)  # staves of piano parts count one each


@pytest.mark.parametrize("path", ONE_PART_FILES, ids=lambda p: p.stem[:14])
def test_part_ops_on_a_one_part_score_keep_it_or_refuse_in_words(path):
    """A score of one part (a piano's two staves are one part): extracting or reordering it
    changes nothing, and removing it is refused in words, naming the file, not written empty."""
    raw = Document.read(path).root
    (pid,) = [sp.get("id") for sp in raw.find("part-list").iterchildren("score-part")]
    for op in (batch.ExtractParts(("1",)), batch.ReorderParts((pid,))):
        out, changes = _out_root(path, [op])
        assert canon(out) == canon(raw) and not changes, op
    with pytest.raises(LstmfuseError, match="no part") as err:
        batch.apply(path, [batch.RemoveParts(("1",))])
    assert path.name in str(err.value) and "\n" not in str(err.value)


def test_extract_by_name_and_unknown_part_message():
    path = CORPUS / "bach/bwv66.6.mxl"
    out, _ = _out_root(path, [batch.ExtractParts(("soprano",))])
    assert len(list(out.iterchildren("part"))) == 1
    with pytest.raises(LstmfuseError) as exc:
        batch.apply(path, [batch.ExtractParts(("Viola",))])
    msg = str(exc.value)
    assert "no part 'Viola'" in msg and "Soprano" in msg and "\n" not in msg
    with pytest.raises(LstmfuseError, match="no part"):
        batch.apply(path, [batch.RemoveParts(("1", "2", "3", "4"))])  # would leave nothing


def test_part_group_dropped_when_reorder_splits_it():
    path = LILYPOND / "41c-StaffGroups.xml"
    root = Document.read(path).root
    ids = [sp.get("id") for sp in root.find("part-list").iterchildren("score-part")]
    doc = Document.read(path)
    batch.ReorderParts((ids[1], ids[-1])).apply(doc)
    assert any("part-group" in n for n in doc.notes) or len(list(doc.root.iter("part-group"))) <= len(list(root.iter("part-group")))


@pytest.mark.parametrize("path", [p for p in LILY_FILES if p.name[:2] in ("01", "13", "21", "43")] +
                         [CORPUS / "bach/bwv66.6.mxl", CORPUS / "schoenberg/opus19/movement2.mxl"],
                         ids=lambda p: p.stem[:14])
def test_set_key_keeps_every_pitch(path):
    ref = signature(m21_parse(path))
    for key in ("Eb", "f#", "C"):
        data, changes = batch.apply(path, [batch.SetKey(key)])
        got = signature(m21_parse(data, suffix=path.suffix))
        assert got[0] == ref[0], f"{path.name} {key}: pitches moved"
        missing, wrong = accidental_report(xml_root(data))
        assert wrong == 0
        # every opening key is the new one
        root = xml_root(data)
        first_keys = [k for p in root.iterchildren("part") for k in _opening_keys(p)]
        assert first_keys and all(k.findtext("fifths") == str(parse_key(key).fifths) for k in first_keys)


def test_set_key_adds_needed_accidentals():
    path = CORPUS / "bach/bwv66.6.mxl"  # f# minor
    before = Document.read(path).root
    missing0, _ = accidental_report(before)
    data, changes = batch.apply(path, [batch.SetKey("C")])
    missing, _ = accidental_report(xml_root(data))
    assert missing <= missing0
    assert changes["set-key"]["accidentals"] > 0


def test_convert_musicxml_mxl_roundtrip_keeps_xml_bytes(tmp_path):
    path = LILYPOND / "61a-Lyrics.xml"
    mxl, _ = batch.apply(path, [batch.Convert("mxl")])
    members = mxl_members(mxl)
    assert "META-INF/container.xml" in members and members["mimetype"] == b"application/vnd.recordare.musicxml"
    assert members["61a-Lyrics.musicxml"] == path.read_bytes()
    (tmp_path / "x.mxl").write_bytes(mxl)
    back, _ = batch.apply(tmp_path / "x.mxl", [batch.Convert("musicxml")])
    assert back == path.read_bytes()


def test_convert_to_midi_and_kern_via_music21():
    path = CORPUS / "bach/bwv66.6.mxl"
    midi, _ = batch.apply(path, [batch.Convert("midi")])
    assert midi[:4] == b"MThd"
    kern, _ = batch.apply(path, [batch.Transpose("+M2"), batch.Convert("kern")])
    assert b"**kern" in kern


def test_unchanged_file_is_byte_identical():
    path = LILYPOND / "21a-Chord-Basic.xml"
    data, _ = batch.apply(path, [batch.Transpose("P1")])
    assert data == path.read_bytes()


def test_registry_and_specs():
    ops = load_ops()
    assert {"transpose", "set-key", "extract-parts", "remove-parts", "reorder-parts", "set-meta", "set-tempo",
            "convert"} <= set(ops)
    # continue is the real generation op (lstmfuse.generation.service), tested in test_batch_continue.py
    assert ops["continue"].__module__ == "lstmfuse.batch.ops.generate"
    op = op_from_spec({"op": "transpose", "interval": "+M2"})
    assert op == batch.Transpose("+M2") and op.to_spec() == {"op": "transpose", "interval": "+M2"}
    assert op_from_spec({"op": "extract_parts", "parts": ["1", "2"]}) == batch.ExtractParts(("1", "2"))
    with pytest.raises(UsageError, match="unknown op 'frobnicate'"):
        get_op("frobnicate")
    with pytest.raises(UsageError, match="has no parameter"):
        op_from_spec({"op": "transpose", "intervall": "+M2"})


def test_a_new_op_is_one_small_class():
    from dataclasses import dataclass, field
    from typing import ClassVar

    from lstmfuse.batch.ops import option, register

    @register
    @dataclass(frozen=True)
    class Shout(Op):
        name: ClassVar[str] = "test-shout"
        help: ClassVar[str] = "Upper-case the movement title."
        suffix: str = field(default="!", metadata=option("--suffix"))

        def apply_xml(self, root, doc):
            el = root.find("movement-title")
            if el is None:
                return {}
            el.text = el.text.upper() + self.suffix
            doc.touch()
            return {"title": el.text}

    try:
        data, changes = batch.apply(LILYPOND / "01a-Pitches-Pitches.xml", [{"op": "test-shout", "suffix": "?"}])
        assert changes["test-shout"]["title"].endswith("?")
    finally:
        REGISTRY.pop("test-shout", None)
