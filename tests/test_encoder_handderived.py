"""The encoder against token sequences worked out by hand from the music (never by calling it).

How the expected values were derived (docs/models.md, "Encoding"):

- pitches are moved so the key signature becomes none, the short way (ties go up): a key of
  ``s`` sharps has its major tonic ``7*s`` semitones above C (mod 12), so D major (2 sharps)
  moves down 2, F (1 flat) down 5, G minor (2 flats, B-flat major) up 2, E minor (1 sharp,
  G major) up 5; a pitch token is named ``p<MIDI after the shift>``;
- each note is its pitch token then its duration token (quarters); a duration without a token
  is a sum, largest part first, joined by ``<tie>`` (5 = ``d4 <tie> d1``);
- beside every token sits the position in the bar, on a 1/12-quarter grid, where the *next*
  token's material starts: for ``<bos>`` and a pitch token, the note's own onset in its bar;
  for a duration token, the onset plus the time written so far (the note's end, mod the bar);
  ``<eos>`` sits at 0;
- the meter id is the index in the vocabulary's meter list (4/4 0, 3/4 1, 2/4 2, 6/8 3).

ABC pitch names: ``C`` is middle C (MIDI 60), lower case one octave up, the key signature
applies to every note without its own accidental.
"""

from __future__ import annotations

import functools
import itertools
from fractions import Fraction as F

import pytest

from lstmfuse.encoding import vocab as V
from lstmfuse.encoding.events import Melody, NoteEvent
from lstmfuse.encoding.extract import melody_from_part
from lstmfuse.encoding.tokens import decode, decompose, encode, fill_gaps, normalising_shift
from lstmfuse.io import load, load_all

ABC = {
    # a pickup and a compound meter, in a sharp key
    "pickup_6_8_d_major": "X:1\nT:pickup\nM:6/8\nL:1/8\nK:D\nA | d2 f a2 f | e3 d3 |]\n",
    # an eighth-note triplet, in a flat key
    "triplet_2_4_f_major": "X:1\nT:triplet\nM:2/4\nL:1/8\nK:F\n(3FGA B2 | c4 |]\n",
    # a note tied across the barline (2 + 3 = 5 quarters), then a rest, in a minor key
    "tie_4_4_e_minor": "X:1\nT:tie\nM:4/4\nL:1/4\nK:Em\nE G B2- | B3 z |]\n",
}

# (pitch, onset, duration, bar_pos) of every event, read off the ABC by hand
EVENTS = {
    "pickup_6_8_d_major": [  # bar of 3 quarters; the pickup eighth sits at 5/2
        (69, F(0), F(1, 2), F(5, 2)), (74, F(1, 2), F(1), F(0)), (78, F(3, 2), F(1, 2), F(1)),
        (81, F(2), F(1), F(3, 2)), (78, F(3), F(1, 2), F(5, 2)), (76, F(7, 2), F(3, 2), F(0)),
        (74, F(5), F(3, 2), F(3, 2)),
    ],
    "triplet_2_4_f_major": [  # B is B-flat (70)
        (65, F(0), F(1, 3), F(0)), (67, F(1, 3), F(1, 3), F(1, 3)), (69, F(2, 3), F(1, 3), F(2, 3)),
        (70, F(1), F(1), F(1)), (72, F(2), F(2), F(0)),
    ],
    "tie_4_4_e_minor": [  # B4 from beat 3 of bar 1 to beat 3 of bar 2: one event of 5 quarters
        (64, F(0), F(1), F(0)), (67, F(1), F(1), F(1)), (71, F(2), F(5), F(2)), (None, F(7), F(1), F(3)),
    ],
}

# (token name, position id, meter id) per token
TOKENS = {
    "pickup_6_8_d_major": [  # shift -2: A4 69 -> 67, D5 74 -> 72, F#5 78 -> 76, A5 81 -> 79, E5 76 -> 74
        ("<bos>", 30, 3),
        ("p67", 30, 3), ("d1/2", 0, 3),     # pickup at 5/2 = 30/12, ends on the barline
        ("p72", 0, 3), ("d1", 12, 3),
        ("p76", 12, 3), ("d1/2", 18, 3),
        ("p79", 18, 3), ("d1", 30, 3),
        ("p76", 30, 3), ("d1/2", 0, 3),
        ("p74", 0, 3), ("d3/2", 18, 3),
        ("p72", 18, 3), ("d3/2", 0, 3),
        ("<eos>", 0, 3),
    ],
    "triplet_2_4_f_major": [  # shift -5: F4 65 -> 60, ..., B-flat4 70 -> 65, C5 72 -> 67
        ("<bos>", 0, 2),
        ("p60", 0, 2), ("d1/3", 4, 2),
        ("p62", 4, 2), ("d1/3", 8, 2),
        ("p64", 8, 2), ("d1/3", 12, 2),
        ("p65", 12, 2), ("d1", 0, 2),
        ("p67", 0, 2), ("d2", 0, 2),
        ("<eos>", 0, 2),
    ],
    "tie_4_4_e_minor": [  # shift +5: E4 64 -> 69, G4 67 -> 72, B4 71 -> 76
        ("<bos>", 0, 0),
        ("p69", 0, 0), ("d1", 12, 0),
        ("p72", 12, 0), ("d1", 24, 0),
        ("p76", 24, 0), ("d4", 24, 0), ("<tie>", 24, 0), ("d1", 36, 0),  # 2+4 = 6 = beat 2 of bar 2, then 7 = beat 3
        ("rest", 36, 0), ("d1", 0, 0),
        ("<eos>", 0, 0),
    ],
}

SHIFTS = {"pickup_6_8_d_major": -2, "triplet_2_4_f_major": -5, "tie_4_4_e_minor": 5}
KEYS = {"pickup_6_8_d_major": (2, "major", "6/8"), "triplet_2_4_f_major": (-1, "major", "2/4"), "tie_4_4_e_minor": (1, "minor", "4/4")}


def _melody(tmp_path, name: str) -> Melody:
    f = tmp_path / f"{name}.abc"
    f.write_text(ABC[name])
    return melody_from_part(load(f).parts[0])


def _events(events) -> list[tuple]:
    return [(e.pitch, e.onset, e.duration, e.bar_pos) for e in events]


def _by_hand(name: str) -> Melody:
    sharps, mode, meter = KEYS[name]
    return Melody([NoteEvent(*e) for e in EVENTS[name]], meter=meter, sharps=sharps, mode=mode)


@pytest.mark.parametrize("name", list(ABC))
def test_real_notation_reads_as_the_hand_written_events(tmp_path, name):
    m = _melody(tmp_path, name)
    assert (m.sharps, m.mode, m.meter) == KEYS[name]
    assert _events(m.events) == EVENTS[name]


@pytest.mark.parametrize("name", list(ABC))
@pytest.mark.parametrize("source", ["abc", "by_hand"])
def test_tokens_positions_meters_and_shift_are_the_hand_derived_ones(tmp_path, name, source):
    m = _melody(tmp_path, name) if source == "abc" else _by_hand(name)
    enc = encode(m)
    assert enc.shift == SHIFTS[name]
    got = list(zip([V.token_name(t) for t in enc.tokens], enc.positions.tolist(), enc.meters.tolist(), strict=True))
    assert got == TOKENS[name]
    assert enc.tokens.dtype == enc.positions.dtype == enc.meters.dtype == "int32"
    assert len(enc) == len(TOKENS[name])


@pytest.mark.parametrize("name", list(ABC))
def test_decoding_gives_back_the_hand_written_events(name):
    m = _by_hand(name)
    enc = encode(m)
    first = m.events[0]
    back = decode(enc.tokens, shift=enc.shift, start=first.onset, start_bar_pos=first.bar_pos, meter=m.meter)
    assert [(e.pitch, e.onset, e.duration, e.bar_pos % m.bar_length) for e in back] == EVENTS[name]


def test_raw_token_ids_by_hand():
    """Ids from the vocabulary's layout: 5 specials, MIDI 33..96 from id 5, durations from 69."""
    m = Melody([NoteEvent(60, F(0), F(1)), NoteEvent(None, F(1), F(1, 2), F(1)), NoteEvent(96, F(3, 2), F(5, 2), F(3, 2))], meter="4/4")
    enc = encode(m)
    # <bos>, C4 = 5 + 27, quarter = 69 + 11, rest, eighth = 69 + 8, C7 = 5 + 63, d2 = 69 + 15, <tie>, d1/2
    assert enc.tokens.tolist() == [1, 32, 80, 4, 77, 68, 84, 3, 77, 2]
    assert enc.positions.tolist() == [0, 0, 12, 12, 18, 18, 42, 42, 0, 0]


def test_tie_in_a_bar_of_three():
    """3/4: D4 from beat 2 for five quarters (4 <tie> 1): the tie sits where the first part
    ends (1 + 4 = 5, beat 3 of the next bar: 2 quarters = 24), the last part ends on a barline."""
    m = Melody([NoteEvent(60, F(0), F(1), F(0)), NoteEvent(62, F(1), F(5), F(1))], meter="3/4")
    enc = encode(m)
    assert [V.token_name(t) for t in enc.tokens] == ["<bos>", "p60", "d1", "p62", "d4", "<tie>", "d1", "<eos>"]
    assert enc.positions.tolist() == [0, 0, 12, 12, 24, 24, 0, 0]


def test_encode_flags_and_key_normalisation_off():
    m = _by_hand("pickup_6_8_d_major")
    enc = encode(m, normalise=False, bos=False, eos=False)
    assert enc.shift == 0
    assert [V.token_name(t) for t in enc.tokens] == ["p69", "d1/2", "p74", "d1", "p78", "d1/2", "p81", "d1", "p78", "d1/2", "p76", "d3/2", "p74", "d3/2"]
    assert enc.positions.tolist() == [p for _, p, _ in TOKENS["pickup_6_8_d_major"][1:-1]]


def test_silence_between_notes_becomes_a_rest_where_the_gap_is():
    """C4 on beat 1, E4 on beat 3 of 4/4, nothing on beat 2: a rest of one quarter at 1."""
    m = Melody([NoteEvent(60, F(0), F(1), F(0)), NoteEvent(64, F(2), F(1), F(2))], meter="4/4")
    assert _events(fill_gaps(m.events)) == [(60, F(0), F(1), F(0)), (None, F(1), F(1), F(1)), (64, F(2), F(1), F(2))]
    assert _events(fill_gaps(m.events, start=F(0))) == _events(fill_gaps(m.events))
    assert fill_gaps([]) == []
    enc = encode(m)
    assert [V.token_name(t) for t in enc.tokens] == ["<bos>", "p60", "d1", "rest", "d1", "p64", "d1", "<eos>"]
    assert enc.positions.tolist() == [0, 0, 12, 12, 24, 24, 36, 0]


def test_meter_change_switches_the_meter_id_at_its_bar():
    """Two bars: 2/4 (a half note) then 3/4 (a dotted half)."""
    m = Melody([NoteEvent(60, F(0), F(2), F(0)), NoteEvent(62, F(2), F(3), F(0))], meter="3/4", meters=[(F(0), "2/4"), (F(2), "3/4")])
    enc = encode(m)
    assert [V.token_name(t) for t in enc.tokens] == ["<bos>", "p60", "d2", "p62", "d3", "<eos>"]
    assert enc.meters.tolist() == [2, 2, 2, 1, 1, 1]
    assert enc.positions.tolist() == [0, 0, 0, 0, 0, 0]
    # no meter list: the melody's meter everywhere
    enc = encode(Melody([NoteEvent(60, F(0), F(3), F(0))], meter="6/8"))
    assert enc.meters.tolist() == [3, 3, 3, 3]
    # unknown meter: the fallback id; an empty melody is <bos> <eos>
    assert encode(Melody([NoteEvent(60, F(0), F(3, 2))], meter="7/8")).meters.tolist() == [V.METER_OTHER] * 4
    empty = encode(Melody([], meter="3/4"))
    assert empty.tokens.tolist() == [V.BOS, V.EOS] and empty.meters.tolist() == [1, 1] and empty.positions.tolist() == [0, 0]


def test_unrepresentable_duration_names_the_note_and_the_file():
    from lstmfuse.encoding.tokens import Unrepresentable

    m = Melody([NoteEvent(60, F(0), F(1)), NoteEvent(62, F(1), F(1, 7), F(1))], meter="4/4", source="tune.krn")
    with pytest.raises(Unrepresentable) as info:
        encode(m)
    assert "a note or rest of 1/7 quarter(s) in bar 1 cannot be encoded" in str(info.value)
    assert info.value.path is not None and "tune.krn" in str(info.value)


def test_an_unencodable_value_is_found_by_its_bar_even_in_a_long_passage():
    """The message said "at offset 481" (quarters from the start: no user can find that); it
    names the bar as the score numbers it, a pickup being bar 0, also where only the passage's
    tail was encoded (the continuation primes on its last 64 events)."""
    from lstmfuse.encoding.events import bar_number
    from lstmfuse.encoding.tokens import Unrepresentable
    from lstmfuse.generation import SamplingOptions
    from lstmfuse.generation.continuation import continue_melody

    events = [NoteEvent(67, F(0), F(1), F(3))]  # a one-beat pickup in 4/4, then 29 bars of quarters
    events += [NoteEvent(60 + k % 5, F(1 + k), F(1), F(k % 4)) for k in range(116)]
    odd = NoteEvent(64, F(117), F(1, 7), F(0))  # bar 30's downbeat
    events += [odd, NoteEvent(62, F(117) + F(1, 7), F(27, 7), F(1, 7))]
    m = Melody(events, meter="4/4", source="long.krn")
    assert bar_number(m, F(0)) == 0 and bar_number(m, F(1)) == 1 and bar_number(m, F(117)) == 30
    with pytest.raises(Unrepresentable, match="1/7 quarter.* in bar 30 cannot"):
        encode(m)
    with pytest.raises(Unrepresentable, match="1/7 quarter.* in bar 30 cannot"):
        continue_melody(m, bars=1, genre="folk", options=SamplingOptions(seed=1))
    # a passage whose last bars after the tuplet can be read is continued from them
    tail = [NoteEvent(60 + k % 5, F(121 + k), F(1), F(k % 4)) for k in range(12)]
    readable = Melody(events[:-1] + [NoteEvent(62, F(117) + F(1, 7), F(27, 7), F(1, 7))] + tail, meter="4/4")
    result = continue_melody(readable, bars=1, genre="folk", options=SamplingOptions(seed=1))
    assert result.melodies[0].end == readable.end + 4
    waltz = Melody([NoteEvent(60, F(0), F(3), F(0)), NoteEvent(62, F(3), F(3), F(0)), NoteEvent(64, F(6), F(2), F(0)),
                    NoteEvent(65, F(8), F(2), F(0))], meter="2/4", meters=[(F(0), "3/4"), (F(6), "2/4")])
    assert [bar_number(waltz, e.onset) for e in waltz.events] == [1, 2, 3, 4]


def test_normalising_shift_for_every_key_signature():
    """Major tonic of each signature, moved to C the short way (6 semitones: up)."""
    by_hand = {0: 0, 1: 5, 2: -2, 3: 3, 4: -4, 5: 1, 6: 6, 7: -1,  # C G D A E B F# C#
               -1: -5, -2: 2, -3: -3, -4: 4, -5: -1, -6: 6, -7: 1}  # F Bb Eb Ab Db Gb Cb
    assert {s: normalising_shift(s) for s in by_hand} == by_hand


def test_durations_decompose_largest_first():
    assert decompose(F(5)) == [F(4), F(1)]
    assert decompose(F(7)) == [F(6), F(1)]
    assert decompose(F(13, 4)) == [F(3), F(1, 4)]
    assert decompose(F(33)) == [F(16), F(16), F(1)]
    assert decompose(F(1, 12)) == [F(1, 12)]
    assert decompose(F(3, 2)) == [F(3, 2)]
    assert decompose(F(1, 24)) is None and decompose(F(1, 7)) is None


# --------------------------------------------------------------------- real tunes, by hand
ONEILL = "oneills1850/0001-0050.abc"


@functools.cache
def _oneills_first_two(path) -> tuple[Melody, Melody]:
    return tuple(melody_from_part(t.parts[0]) for t in itertools.islice(load_all(path), 2))


def _oneill(corpus_dir, n: int) -> Melody:
    return _oneills_first_two(corpus_dir / ONEILL)[n - 1]


def test_oneills_1_g_minor_flats_sixteenths(corpus_dir):
    """O'Neill's no. 1, "The Enchanted Valley" (2/4, K:Gm, L:1/16):
    ``G3-A (Bcd=e) | f4 (g2dB) |``: two flats, so shift +2; the first ten notes."""
    m = _oneill(corpus_dir, 1)
    assert (m.sharps, m.mode, m.meter) == (-2, "minor", "2/4")
    head = m.with_events(m.events[:10])
    assert _events(head.events) == [
        (67, F(0), F(3, 4), F(0)), (69, F(3, 4), F(1, 4), F(3, 4)), (70, F(1), F(1, 4), F(1)), (72, F(5, 4), F(1, 4), F(5, 4)),
        (74, F(3, 2), F(1, 4), F(3, 2)), (76, F(7, 4), F(1, 4), F(7, 4)),  # =e: E natural
        (77, F(2), F(1), F(0)), (79, F(3), F(1, 2), F(1)), (74, F(7, 2), F(1, 4), F(3, 2)), (70, F(15, 4), F(1, 4), F(7, 4)),
    ]
    enc = encode(head)
    assert enc.shift == 2
    assert [V.token_name(t) for t in enc.tokens] == [
        "<bos>", "p69", "d3/4", "p71", "d1/4", "p72", "d1/4", "p74", "d1/4", "p76", "d1/4", "p78", "d1/4",
        "p79", "d1", "p81", "d1/2", "p76", "d1/4", "p72", "d1/4", "<eos>"]
    assert enc.positions.tolist() == [0, 0, 9, 9, 12, 12, 15, 15, 18, 18, 21, 21, 0, 0, 12, 12, 18, 18, 21, 21, 0, 0]
    assert set(enc.meters.tolist()) == {2}


def test_oneills_2_d_major_pickup(corpus_dir):
    """O'Neill's no. 2, "Fare You Well" (2/4, K:D, L:1/16): ``f-g | a3-b g3-a |``: a pickup
    of two sixteenths at 3/2 and 7/4 of the bar, two sharps, so shift -2."""
    m = _oneill(corpus_dir, 2)
    assert (m.sharps, m.mode, m.meter) == (2, "major", "2/4")
    head = m.with_events(m.events[:6])
    assert _events(head.events) == [
        (78, F(0), F(1, 4), F(3, 2)), (79, F(1, 4), F(1, 4), F(7, 4)),
        (81, F(1, 2), F(3, 4), F(0)), (83, F(5, 4), F(1, 4), F(3, 4)), (79, F(3, 2), F(3, 4), F(1)), (81, F(9, 4), F(1, 4), F(7, 4)),
    ]
    enc = encode(head)
    assert enc.shift == -2
    assert [V.token_name(t) for t in enc.tokens] == [
        "<bos>", "p76", "d1/4", "p77", "d1/4", "p79", "d3/4", "p81", "d1/4", "p77", "d3/4", "p79", "d1/4", "<eos>"]
    assert enc.positions.tolist() == [18, 18, 21, 21, 0, 0, 9, 9, 12, 12, 21, 21, 0, 0]
    back = decode(enc.tokens, shift=enc.shift, start=F(0), start_bar_pos=F(3, 2), meter="2/4")
    assert _events(back) == _events(head.events)


def test_decode_grammar_by_hand():
    """Worked through token by token: <bos> is skipped; a tie joins the next duration to the
    note before it; a duration with no pitch waiting is stray and ignored; a pitch token
    cancels a pending tie; <eos> ends decoding."""
    d = lambda q: V.duration_token(F(q))  # noqa: E731
    toks = [V.BOS, V.pitch_token(60), d(1), V.TIE, d(1), d(1), V.REST, d(F(1, 2)), V.TIE, V.pitch_token(62), d(F(1, 2)),
            V.EOS, V.pitch_token(64), d(1)]
    got = decode(toks, shift=2, start=F(3), start_bar_pos=F(1), meter="3/4")
    assert _events(got) == [(58, F(3), F(2), F(1)), (None, F(5), F(1, 2), F(0)), (60, F(11, 2), F(1, 2), F(1, 2))]
    # a tie with nothing before it extends nothing; the stray duration after it is dropped
    assert _events(decode([V.TIE, d(1), V.pitch_token(60), d(1)])) == [(60, F(0), F(1), F(0))]
