"""Key signatures after ``batch transpose``: every element of every <key> (fifths, cancel, mode,
the key-step/key-alter/key-accidental of a non-traditional key, attributes) against values
worked out by hand.

How the values were derived: a traditional signature is moved by transposing its *major*
tonic (F major for -1 fifths, E-flat major for C minor's -3) and counting the new tonic's
fifths (up a major second = +2 fifths, down a minor third = +3, down a major second = -2);
``<cancel>`` names the previous signature, so it moves the same way; the mode never changes.
A non-traditional key lists altered steps: transpose every step of its scale (listed steps
first, in their order, then the unlisted naturals C D E F G A B) and list the results that
are altered. The score also holds one note per bar; its pitch is worked out the same way.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from lstmfuse import batch
from lstmfuse.errors import LstmfuseError, UsageError

REPO = Path(__file__).resolve().parent.parent

KEYS = [  # one <key> per bar, and the note in that bar (step, alter, octave)
    '<key><fifths>-1</fifths><mode>major</mode></key>',  # F major
    '<key><cancel>-1</cancel><fifths>2</fifths><mode>major</mode></key>',  # D major (F's flat cancelled)
    '<key print-object="yes"><cancel location="left">2</cancel><fifths>-3</fifths><mode>minor</mode></key>',  # C minor
    ('<key><key-step>B</key-step><key-alter>-1</key-alter><key-accidental>flat</key-accidental>'
     '<key-step>F</key-step><key-alter>1</key-alter><key-accidental>sharp</key-accidental></key>'),  # B-flat and F-sharp
    '<key><fifths>0</fifths><mode>dorian</mode></key>',  # D dorian
    '<key><fifths>7</fifths></key>',  # C-sharp major
    '<key number="1"><key-step>E</key-step><key-alter>-1</key-alter></key>',  # E-flat only, no accidental elements
]
NOTES = [("F", 0, 4), ("D", 0, 5), ("C", 0, 5), ("B", -1, 4), ("D", 0, 4), ("C", 1, 5), ("E", -1, 4)]


def _score() -> bytes:
    measures = []
    for i, (key, (step, alter, octave)) in enumerate(zip(KEYS, NOTES, strict=True), start=1):
        divisions = "<divisions>1</divisions>" if i == 1 else ""
        time = "<time><beats>4</beats><beat-type>4</beat-type></time>" if i == 1 else ""
        alter_el = f"<alter>{alter}</alter>" if alter else ""
        measures.append(
            f'<measure number="{i}"><attributes>{divisions}{key}{time}</attributes>'
            f"<note><pitch><step>{step}</step>{alter_el}<octave>{octave}</octave></pitch>"
            f"<duration>4</duration><type>whole</type></note></measure>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<score-partwise version="4.0"><part-list>'
            '<score-part id="P1"><part-name>Melody</part-name></score-part></part-list>'
            f'<part id="P1">{"".join(measures)}</part></score-partwise>\n').encode()


def _keys(data: bytes) -> list[tuple]:
    root = etree.fromstring(data)
    return [(dict(k.attrib), [(c.tag, dict(c.attrib), (c.text or "").strip()) for c in k]) for k in root.iter("key")]


def _notes(data: bytes) -> list[tuple]:
    root = etree.fromstring(data)
    return [(p.findtext("step"), int(p.findtext("alter") or 0), int(p.findtext("octave"))) for p in root.iter("pitch")]


def _trad(fifths: int, mode: str | None = None, cancel: int | None = None, cancel_attr: dict | None = None) -> list[tuple]:
    out = []
    if cancel is not None:
        out.append(("cancel", cancel_attr or {}, str(cancel)))
    out.append(("fifths", {}, str(fifths)))
    if mode is not None:
        out.append(("mode", {}, mode))
    return out


def _nontrad(*steps: tuple[str, int, str | None]) -> list[tuple]:
    out = []
    for step, alter, acc in steps:
        out += [("key-step", {}, step), ("key-alter", {}, str(alter))]
        if acc:
            out.append(("key-accidental", {}, acc))
    return out


EXPECTED = {
    "+M2": {
        "keys": [
            ({}, _trad(1, "major")),  # F -> G
            ({}, _trad(4, "major", cancel=1)),  # D -> E; cancelled F -> G
            ({"print-object": "yes"}, _trad(-1, "minor", cancel=4, cancel_attr={"location": "left"})),  # E-flat -> F major tonic: D minor
            ({}, _nontrad(("G", 1, "sharp"), ("F", 1, "sharp"))),  # C D E F# G A Bb -> D E F# G# A B C
            ({}, _trad(2, "dorian")),  # D dorian -> E dorian
            ({}, _trad(9)),  # C# -> D# major: 9 fifths, as music21 counts them
            ({"number": "1"}, _nontrad(("C", 1, None))),  # C D Eb F G A B -> D E F G A B C#
        ],
        "notes": [("G", 0, 4), ("E", 0, 5), ("D", 0, 5), ("C", 0, 5), ("E", 0, 4), ("D", 1, 5), ("F", 0, 4)],
    },
    "-m3": {
        "keys": [
            ({}, _trad(2, "major")),  # F -> D
            ({}, _trad(5, "major", cancel=2)),  # D -> B; cancelled F -> D
            ({"print-object": "yes"}, _trad(0, "minor", cancel=5, cancel_attr={"location": "left"})),  # C minor -> A minor
            ({}, _nontrad(("D", 1, "sharp"), ("C", 1, "sharp"), ("F", 1, "sharp"))),  # -> A B C# D# E F# G
            ({}, _trad(3, "dorian")),  # D dorian -> B dorian
            ({}, _trad(10)),  # C# -> A# major
            ({"number": "1"}, _nontrad(("F", 1, None), ("G", 1, None))),  # C D Eb F G A B -> A B C D E F# G#
        ],
        "notes": [("D", 0, 4), ("B", 0, 4), ("A", 0, 4), ("G", 0, 4), ("B", 0, 3), ("A", 1, 4), ("C", 0, 4)],
    },
}

@pytest.fixture()
def score(tmp_path):
    p = tmp_path / "keys.musicxml"
    p.write_bytes(_score())
    return p


@pytest.mark.parametrize("interval", list(EXPECTED))
def test_every_key_element_transposed_as_derived_by_hand(score, interval):
    out, changes = batch.apply(score, [batch.Transpose(interval)])
    assert _keys(out) == EXPECTED[interval]["keys"]
    assert _notes(out) == EXPECTED[interval]["notes"]
    assert changes["transpose"]["keys"] == len(KEYS)
    assert changes["transpose"]["interval"] == interval


def test_to_key_resolves_the_interval_from_the_first_key(score):
    """--to-key Eb on a score opening in F major: down a major second (nearest), -2 fifths."""
    out, changes = batch.apply(score, [batch.Transpose(to_key="Eb")])
    assert changes["transpose"]["interval"] == "-M2"
    assert _keys(out) == [
        ({}, _trad(-3, "major")),  # F -> E-flat
        ({}, _trad(0, "major", cancel=-3)),  # D -> C; cancelled F -> E-flat
        ({"print-object": "yes"}, _trad(-5, "minor", cancel=0, cancel_attr={"location": "left"})),  # C minor -> B-flat minor
        ({}, _nontrad(("A", -1, "flat"), ("B", -1, "flat"))),  # C D E F# G A Bb -> Bb C D E F G Ab
        ({}, _trad(-2, "dorian")),  # D dorian -> C dorian
        ({}, _trad(5)),  # C# -> B
        ({"number": "1"}, _nontrad(("D", -1, None), ("B", -1, None), ("E", -1, None))),  # -> Bb C Db Eb F G A
    ]
    assert _notes(out) == [("E", -1, 4), ("C", 0, 5), ("B", -1, 4), ("A", -1, 4), ("C", 0, 4), ("B", 0, 4), ("D", -1, 4)]
    up, changes = batch.apply(score, [batch.Transpose(to_key="Eb", direction="up")])
    assert changes["transpose"]["interval"] == "+m7"
    assert [k for k in _keys(up)][:3] == _keys(out)[:3]  # same signatures an octave apart
    assert _notes(up)[0] == ("E", -1, 5)


def test_to_key_refuses_a_mode_change(score):
    with pytest.raises(LstmfuseError, match="F major but --to-key names a minor key"):
        batch.apply(score, [batch.Transpose(to_key="d")])


def test_unchanged_by_an_octave(score):
    """-P8 moves every note an octave down and leaves every key element exactly as it was."""
    out, changes = batch.apply(score, [batch.Transpose("-P8")])
    assert _keys(out) == _keys(_score())
    assert _notes(out) == [(s, a, o - 1) for s, a, o in NOTES]
    assert "keys" not in changes["transpose"]


# --------------------------------------------------------------------- --to-key, by hand
def _doc(tmp_path, parts: list[list[str]], name: str = "s.musicxml"):
    """A score whose part i has one measure per entry of parts[i]: the entry is the measure's
    content after its number (attributes and notes as MusicXML text)."""
    plist = "".join(f'<score-part id="P{i}"><part-name>p{i}</part-name></score-part>' for i in range(1, len(parts) + 1))
    body = "".join(
        f'<part id="P{i}">' + "".join(f'<measure number="{j}">{m}</measure>' for j, m in enumerate(ms, start=1)) + "</part>"
        for i, ms in enumerate(parts, start=1))
    p = tmp_path / name
    p.write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n<score-partwise version="4.0"><part-list>{plist}</part-list>{body}</score-partwise>\n')
    return p


def _note(step: str, octave: int, alter: int = 0) -> str:
    a = f"<alter>{alter}</alter>" if alter else ""
    return f"<note><pitch><step>{step}</step>{a}<octave>{octave}</octave></pitch><duration>4</duration><type>whole</type></note>"


def _attrs(key: str = "", divisions: bool = True, time: bool = True) -> str:
    d = "<divisions>1</divisions>" if divisions else ""
    t = "<time><beats>4</beats><beat-type>4</beat-type></time>" if time else ""
    return f"<attributes>{d}{key}{t}</attributes>"


@pytest.mark.parametrize("key, to_key, interval, first_note", [
    ("<key><fifths>-1</fifths></key>", "Eb", "-M2", ("E", -1, 4)),  # no mode: read as the target's (major): F -> Eb
    ("<key><fifths>-1</fifths></key>", "e", "+M2", ("G", 0, 4)),  # no mode, minor target: D minor -> E minor
    ("<key><fifths>-1</fifths><mode>none</mode></key>", "e", "+M2", ("G", 0, 4)),
    ("<key><fifths>0</fifths><mode>dorian</mode></key>", "E", "+M2", ("G", 0, 4)),  # D dorian -> E (mode kept)
    ("<key><fifths>0</fifths><mode>dorian</mode></key>", "E dorian", "+M2", ("G", 0, 4)),
    ("<key><fifths>0</fifths><mode>ionian</mode></key>", "Eb", "+m3", ("A", -1, 4)),  # C ionian = C major -> Eb
    ("<key><fifths>0</fifths><mode>aeolian</mode></key>", "c", "+m3", ("A", -1, 4)),  # A aeolian = A minor -> C minor
    ("<key><fifths>0</fifths><mode>minor</mode></key>", "c aeolian", "+m3", ("A", -1, 4)),
    ("<key><fifths>-1</fifths><mode>major</mode></key>", "G", "+M2", ("G", 0, 4)),  # F -> G: up a tone, not down a seventh
])
def test_to_key_reads_the_mode_of_the_first_key(tmp_path, key, to_key, interval, first_note):
    src = _doc(tmp_path, [[_attrs(key) + _note("F", 4)]])
    out, changes = batch.apply(src, [batch.Transpose(to_key=to_key)])
    assert changes["transpose"]["interval"] == interval
    assert _notes(out) == [first_note]


def test_to_key_direction(tmp_path):
    src = _doc(tmp_path, [[_attrs("<key><fifths>-1</fifths><mode>major</mode></key>") + _note("F", 4)]])
    out, ch = batch.apply(src, [batch.Transpose(to_key="G", direction="down")])
    assert ch["transpose"]["interval"] == "-m7" and _notes(out) == [("G", 0, 3)]
    out, ch = batch.apply(src, [batch.Transpose(to_key="G", direction="up")])
    assert ch["transpose"]["interval"] == "+M2" and _notes(out) == [("G", 0, 4)]
    with pytest.raises(UsageError, match="bad direction 'sideways'"):
        batch.Transpose(to_key="G", direction="sideways")


@pytest.mark.parametrize("fifths, mode, to_key, message", [
    (-2, "major", "g", "is in Bb major but --to-key names a minor key (give a major key: --to-key G (upper case is major))"),
    (6, "major", "d#", "is in F# major but --to-key names a minor key (give a major key: --to-key D#"),
    (-7, "major", "ab", "is in Cb major but --to-key names a minor key (give a major key: --to-key Ab"),
    (3, "minor", "A", "is in F# minor but --to-key names a major key (give a minor key: --to-key a (lower case is minor))"),
    (0, "dorian", "E phrygian", "is in D dorian but --to-key names a phrygian key (give a dorian key: --to-key 'E dorian')"),
    (0, "major", "D dorian", "is in C major but --to-key names a dorian key"),
    (14, "major", "c", "is in C## major but --to-key names a minor key"),  # 7 fifths sharpen the tonic once more
    (-14, "major", "c", "is in Cbb major but --to-key names a minor key"),
])
def test_to_key_refuses_another_mode_naming_the_key(tmp_path, fifths, mode, to_key, message):
    src = _doc(tmp_path, [[_attrs(f"<key><fifths>{fifths}</fifths><mode>{mode}</mode></key>") + _note("C", 5)]])
    with pytest.raises(LstmfuseError, match=re.escape(message)):
        batch.apply(src, [batch.Transpose(to_key=to_key)])


def test_to_key_takes_the_first_traditional_key_of_the_first_part(tmp_path):
    nontrad = "<key><key-step>B</key-step><key-alter>-1</key-alter></key>"
    src = _doc(tmp_path, [[_attrs(nontrad) + _note("F", 4), _attrs("<key><fifths>2</fifths><mode>major</mode></key>", False, False) + _note("D", 5)],
                          [_attrs("<key><fifths>-3</fifths><mode>major</mode></key>") + _note("E", 4, -1)]])
    out, ch = batch.apply(src, [batch.Transpose(to_key="E")])
    assert ch["transpose"]["interval"] == "+M2"  # from D (part 1's first <fifths>), not Eb (part 2)
    only_part_2 = _doc(tmp_path, [[_attrs() + _note("F", 4)], [_attrs("<key><fifths>-3</fifths></key>") + _note("E", 4, -1)]], "p2.musicxml")
    with pytest.raises(LstmfuseError, match="has no key signature to transpose from"):
        batch.apply(only_part_2, [batch.Transpose(to_key="E")])
    broken = _doc(tmp_path, [[_attrs("<key><fifths>x</fifths></key>") + _note("F", 4)]], "broken.musicxml")
    with pytest.raises(LstmfuseError, match="has no key signature to transpose from"):
        batch.apply(broken, [batch.Transpose(to_key="E")])
    out, ch = batch.apply(broken, [batch.Transpose("+M2")])  # an unreadable <fifths> is left alone
    assert _keys(out) == [({}, [("fifths", {}, "x")])] and _notes(out) == [("G", 0, 4)]


def test_transpose_needs_exactly_one_of_interval_and_key():
    with pytest.raises(UsageError, match="exactly one of"):
        batch.Transpose()
    with pytest.raises(UsageError, match="exactly one of"):
        batch.Transpose("+M2", to_key="Eb")
    with pytest.raises(UsageError):
        batch.Transpose("+X9")
    with pytest.raises(UsageError):
        batch.Transpose(to_key="H")


def test_nontraditional_key_keeps_its_layout(tmp_path):
    """Whitespace between the elements and a trailing <key-octave> stay where they were;
    a lower-case step and an unreadable alteration (read as natural) are understood. A
    <key-octave number="k"> belongs to the k-th listed step, so with octaves every listed step
    keeps its place, a natural included (Bb up a tone is C: it was dropped, and the octave
    meant for the B-flat went to the F-sharp)."""
    key = ("<key>\n  <key-step>b</key-step>\n\t<key-alter>-1</key-alter>\n  <key-step>E</key-step>\n  <key-alter>x</key-alter>\n"
           '  <key-octave number="1">4</key-octave>\n</key>')
    src = _doc(tmp_path, [[_attrs(key) + _note("B", 4, -1)]])
    out, _ = batch.apply(src, [batch.Transpose("+M2")])
    k = etree.fromstring(out).find(".//key")
    # scale C D E F G A Bb (E read as natural) up a tone: D E F# G A B C: the B-flat's place is C's
    assert [(c.tag, c.text) for c in k] == [("key-step", "C"), ("key-alter", "0"), ("key-step", "F"), ("key-alter", "1"),
                                            ("key-octave", "4")]
    assert [c.tail for c in k] == ["\n\t"] * 4 + ["\n"]  # the first old element's whitespace, then the octave's
    assert _notes(out) == [("C", 0, 5)]
    # up a major third: listed steps first (Bb -> D, E -> G#), then C -> E, D -> F#, F -> A, G -> B, A -> C#
    out, _ = batch.apply(src, [batch.Transpose("+M3")])
    k = etree.fromstring(out).find(".//key")
    assert [(c.tag, c.text) for c in k] == [("key-step", "D"), ("key-alter", "0"), ("key-step", "G"), ("key-alter", "1"),
                                            ("key-step", "F"), ("key-alter", "1"), ("key-step", "C"), ("key-alter", "1"),
                                            ("key-octave", "4")]


def test_nontraditional_key_without_octaves_writes_only_altered_steps_and_explicit_naturals(tmp_path):
    """13c's F natural is written on purpose: it stays written (moved with the key) and the
    altered steps follow; without octaves a step the move makes natural is dropped."""
    key = ("<key><key-step>F</key-step><key-alter>0</key-alter><key-step>B</key-step><key-alter>-1</key-alter></key>")
    src = _doc(tmp_path, [[_attrs(key) + _note("F", 4)]])
    out, _ = batch.apply(src, [batch.Transpose("+M2")])
    k = etree.fromstring(out).find(".//key")
    # F (natural, written) -> G natural; Bb -> C (natural: dropped); E -> F#
    assert [(c.tag, c.text) for c in k] == [("key-step", "G"), ("key-alter", "0"), ("key-step", "F"), ("key-alter", "1")]


def test_an_unreadable_fifths_leaves_the_cancel_transposed(tmp_path):
    src = _doc(tmp_path, [[_attrs("<key><cancel>2</cancel><fifths>x</fifths></key>") + _note("F", 4)]])
    out, _ = batch.apply(src, [batch.Transpose("+M2")])
    assert _keys(out) == [({}, [("cancel", {}, "4"), ("fifths", {}, "x")])]


def test_a_key_with_neither_fifths_nor_steps_is_left_alone(tmp_path):
    """Not valid MusicXML, but a transposition must not invent a signature for it."""
    src = _doc(tmp_path, [[_attrs('<key print-object="no"/>') + _note("F", 4)]])
    out, changes = batch.apply(src, [batch.Transpose("+M2")])
    assert _keys(out) == [({"print-object": "no"}, [])] and "keys" not in changes["transpose"]


def test_ops_are_frozen():
    import dataclasses

    for op in (batch.Transpose("+M2"), batch.SetKey(key="Eb")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            op.direction = "up"


KERN_TWO_KEYS = """**kern
*M4/4
*k[f#]
*G:
=1
4g
4a
4b
4cc
=2
*k[b-]
*F:
4f
4g
4a
4b-
==
*-
"""


def test_kern_to_key_starts_from_the_first_key(tmp_path):
    """G major, then F major from bar 2: --to-key A moves from G (up a tone), so the second
    key becomes G major and B-flat becomes C."""
    from lstmfuse.io import load

    src = tmp_path / "two.krn"
    src.write_text(KERN_TWO_KEYS)
    out, changes = batch.apply(src, [batch.Transpose(to_key="A")])
    assert changes["transpose"]["interval"] == "+M2"
    f = tmp_path / "out.krn"
    f.write_bytes(out)
    score = load(f)
    assert [k.sharps for k in score.recurse().getElementsByClass("KeySignature")] == [3, 1]
    assert [p.nameWithOctave for p in score.pitches] == ["A4", "B4", "C#5", "D5", "G4", "A4", "B4", "C5"]


# --------------------------------------------------------------------- kern: through music21
def test_kern_transposes_key_and_notes_through_music21(tmp_path):
    """Essen's "Das Hildebrandslied" (G major, *k[f#]): g b- b- cc cc dd dd ..."""
    from lstmfuse.io import load

    src = REPO / "examples" / "essen-altdeu10-1.krn"
    for op, sharps, first in [(batch.Transpose("+M2"), 3, ["A4", "C5", "C5", "D5", "D5", "E5"]),
                              (batch.Transpose(to_key="Bb"), -2, ["B-4", "D-5", "D-5", "E-5", "E-5", "F5"])]:
        out, changes = batch.apply(src, [op])
        f = tmp_path / "out.krn"
        f.write_bytes(out)
        score = load(f)
        keys = list(score.recurse().getElementsByClass("KeySignature"))
        assert keys and keys[0].sharps == sharps
        assert [p.nameWithOctave for p in score.pitches[:6]] == first
        assert changes["transpose"]["pitches"] == len(load(src).pitches)


# --------------------------------------------------------------------- set-key, by hand
def test_set_key_replaces_opening_keys_and_inserts_missing_ones(tmp_path):
    """Part 1 opens in F major and changes to D in bar 2; part 2 has no key (attributes
    without one); part 3 has no attributes at all; part 4 opens with a non-traditional key;
    part 5 has a key only after its first note (not an opening key)."""
    mid = "<key><fifths>2</fifths><mode>major</mode></key>"
    src = _doc(tmp_path, [
        [_attrs("<key><fifths>-1</fifths><mode>major</mode></key>") + _note("B", 4, -1), _attrs(mid, False, False) + _note("F", 4, 1)],
        [_attrs() + _note("C", 5)],
        [_note("D", 5)],
        [_attrs("<key><key-step>B</key-step><key-alter>-1</key-alter><key-accidental>flat</key-accidental><key-octave number=\"1\">4</key-octave></key>")
         + _note("B", 4, -1)],
        [_attrs() + _note("E", 4) + _attrs("<key><fifths>1</fifths></key>", False, False) + _note("F", 4, 1)],
    ])
    out, changes = batch.apply(src, [batch.SetKey(key="Eb")])
    eb = ({}, _trad(-3, "major"))
    eb_octave = ({}, _trad(-3, "major") + [("key-octave", {"number": "1"}, "4")])  # the octave stays, after the mode
    assert _keys(out) == [eb, ({}, _trad(2, "major")), eb, eb, eb_octave, eb, ({}, _trad(1))]
    root = etree.fromstring(out)
    p2 = root.find("part[@id='P2']/measure/attributes")
    assert [c.tag for c in p2] == ["divisions", "key", "time"]  # the key goes before <time>
    p3 = root.find("part[@id='P3']/measure")
    assert [c.tag for c in p3] == ["attributes", "note"]
    p5 = root.findall("part[@id='P5']/measure/attributes")
    assert [[c.tag for c in a] for a in p5] == [["divisions", "key", "time"], ["key"]]
    assert _notes(out) == _notes(src.read_bytes())  # no pitch moves
    assert changes["set-key"]["keys"] == 5
    everything, changes = batch.apply(src, [batch.SetKey(key="Eb", all=True)])
    assert _keys(everything) == [eb] * 4 + [eb_octave] + [eb] * 2
    again, changes = batch.apply(tmp_path / "s.musicxml", [batch.SetKey(key="F")])
    assert _keys(again)[0] == ({}, _trad(-1, "major"))  # already F major: left as it was
    assert changes["set-key"]["keys"] == 4
    with pytest.raises(UsageError, match="set-key needs a key"):
        batch.SetKey()
    with pytest.raises(UsageError):
        batch.SetKey(key="H")


def test_set_key_writes_accidentals_the_new_key_needs(tmp_path):
    """B-flat in F major needs no sign; in C major (set-key C) it needs a flat."""
    src = _doc(tmp_path, [[_attrs("<key><fifths>-1</fifths><mode>major</mode></key>") + _note("B", 4, -1)]])
    out, _ = batch.apply(src, [batch.SetKey(key="C")])
    note = etree.fromstring(out).find(".//note")
    assert note.findtext("accidental") == "flat" and _notes(out) == [("B", -1, 4)]
    assert _keys(out) == [({}, _trad(0, "major"))]


def test_set_key_on_a_part_without_measures_is_an_error(tmp_path):
    p = tmp_path / "empty.musicxml"
    p.write_text('<?xml version="1.0"?>\n<score-partwise version="4.0"><part-list><score-part id="P1"><part-name>x</part-name>'
                 '</score-part></part-list><part id="P1"></part></score-partwise>\n')
    with pytest.raises(LstmfuseError, match="part P1 has no measures"):
        batch.apply(p, [batch.SetKey(key="Eb")])
