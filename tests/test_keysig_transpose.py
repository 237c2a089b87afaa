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

import pytest
from lxml import etree

from lstmfuse import batch
from lstmfuse.errors import LstmfuseError

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
