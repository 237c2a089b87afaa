"""Bridge protocol and notation, without a server: validation names the field, versions are
checked, MuseScore's conversions (tpc, ticks) are right, notation matches what MuseScore does,
and answers from the installed models follow the schema."""

from __future__ import annotations

import copy
from fractions import Fraction as F

import pytest

from lstmfuse_bridge import PROTOCOL_VERSION
from lstmfuse_bridge.notation import Unwritable, greedy, is_value, notate, split_like_musescore
from lstmfuse_bridge.protocol import ProtocolError, check_schema, name_to_midi, name_to_tpc, parse_request, tpc_to_name

BASE = {
    "protocol": 1,
    "client": {"name": "test", "tuplets": False},
    "selection": {
        "staff": 0, "voice": 0, "start_tick": 0, "bar_pos": "0", "meter": "4/4", "key": {"fifths": -1, "mode": "major"},
        "events": [
            {"rest": False, "pitch": 65, "tpc": 13, "duration": "1/4"},
            {"rest": False, "pitch": 70, "tpc": 12, "duration": "1/8", "tie_next": True},
            {"rest": False, "pitch": 70, "tpc": 12, "duration": "1/8"},
            {"rest": True, "duration": "1/4"},
            {"rest": False, "pitch": 69, "tpc": 17, "duration": "1/4"},
        ],
    },
    "options": {"genre": "folk", "bars": 2, "seed": 1},
}


def req(**changes):
    doc = copy.deepcopy(BASE)
    for path, value in changes.items():
        node = doc
        keys = path.split("__")
        for k in keys[:-1]:
            node = node[int(k)] if k.isdigit() else node[k]
        last = keys[-1]
        if value is ...:
            del node[last]
        else:
            node[int(last) if last.isdigit() else last] = value
    return doc


def test_valid_request_parses_ties_merged():
    r = parse_request(copy.deepcopy(BASE), "continue")
    ev = r.passage.events
    assert [(e.pitch, e.duration) for e in ev] == [(65, 1), (70, 1), (None, 1), (69, 1)]  # the tied B-flats are one note
    assert ev[1].spelling == "B-4" and ev[0].spelling == "F4"
    assert r.length == 1 and r.sharps == -1 and r.meter == "4/4" and r.genre == "folk"


@pytest.mark.parametrize("changes,field", [
    ({"selection__events__0__duration": "0"}, "selection.events[0].duration"),
    ({"selection__events__0__duration": "1/7"}, "selection.events[0].duration"),  # not whole ticks
    ({"selection__events__1__pitch": 200}, "selection.events[1].pitch"),
    ({"selection__events__1__pitch": ...}, "selection.events[1]"),
    ({"selection__events__2__duration": "abc"}, "selection.events[2].duration"),
    ({"selection__meter": "4/5"}, "selection.meter"),
    ({"selection__bar_pos": "1"}, "selection.bar_pos"),
    ({"selection__key__fifths": 9}, "selection.key.fifths"),
    ({"options__bars": 0}, "options.bars"),
    ({"options__bars": 65}, "options.bars"),
    ({"options__temperature": 9}, "options.temperature"),
    ({"options__variants": 9}, "options.variants"),
    ({"options__seed": -1}, "options.seed"),
    ({"options__genre": "Folk Music!"}, "options.genre"),
    ({"options__extra": 1}, "options"),
    ({"options__genre": ...}, "options.genre"),
    ({"selection": ...}, "(body)"),
    ({"client__tuplets": "yes"}, "client.tuplets"),
    ({"options__form": "aabb"}, "options.form"),
    ({"options__form": 4}, "options.form"),
    # JSON Schema's "integer" lets 2.0 through, and generation then failed with an HTTP 500
    ({"options__bars": 2.0}, "options.bars"),
    ({"options__variants": 2.0}, "options.variants"),
    ({"options__seed": 7.0}, "options.seed"),
    ({"selection__start_tick": 0.0}, "selection.start_tick"),
    ({"selection__events__1__pitch": 64.0}, "selection.events[1].pitch"),
    ({"selection__key__fifths": 1.0}, "selection.key.fifths"),
])
def test_invalid_fields_are_named(changes, field):
    with pytest.raises(ProtocolError) as e:
        parse_request(req(**changes), "continue")
    assert e.value.field == field, (e.value.field, e.value.message)
    assert e.value.status == 400


def test_fuse_needs_weights():
    with pytest.raises(ProtocolError) as e:
        parse_request(copy.deepcopy(BASE), "fuse")
    assert e.value.field == "options.weights"
    r = parse_request(req(options__genre=..., options__weights={"folk": 0.7, "irish": 0.3}), "fuse")
    assert r.weights == {"folk": 0.7, "irish": 0.3}


def test_old_and_new_protocol_versions():
    with pytest.raises(ProtocolError) as e:
        parse_request(req(protocol=0), "continue")
    assert e.value.code == "protocol_too_old" and "update the plugin" in e.value.message and e.value.status == 409
    with pytest.raises(ProtocolError) as e:
        parse_request(req(protocol=PROTOCOL_VERSION + 1), "continue")
    assert e.value.code == "protocol_too_new" and "update lstmfuse" in e.value.message
    with pytest.raises(ProtocolError) as e:
        parse_request(req(protocol=...), "continue")
    assert e.value.field == "protocol"


def test_tpc_conversions():
    cases = [(14, 60, "C4"), (13, 65, "F4"), (20, 66, "F#4"), (12, 70, "B-4"), (26, 60, "B#3"), (7, 59, "C-4"), (-1, 63, "F--4"), (33, 73, "B##4")]
    for tpc, pitch, name in cases:
        assert tpc_to_name(tpc, pitch) == name
        assert name_to_tpc(name) == tpc
        assert name_to_midi(name) == pitch


def test_values_and_musescore_split():
    assert is_value(F(3, 8)) and is_value(F(7, 16)) and is_value(F(1, 4)) and not is_value(F(5, 16)) and not is_value(F(15, 32))
    assert greedy(F(15, 32)) == [F(15, 32)]  # MuseScore's split keeps up to four dots (measured on 3.2.3)
    assert greedy(F(5, 16)) == [F(1, 4), F(1, 16)]
    # a dotted half written on beat 4 of 4/4: quarter | half, tied
    assert split_like_musescore(F(3, 4), F(3, 4), F(1)) == [(F(3, 4), F(1, 4)), (F(1), F(1, 2))]


def test_notate_plain_rests_ties_and_refusals():
    bar = F(3, 4)  # 3/4
    n = notate([(F(0), F(1, 4), 60), (F(1, 4), F(3, 4), 62), (F(1), F(5, 16), None), (F(21, 16), F(3, 16), 64)], F(0), bar, False)
    assert [(o.start, o.value, o.pitch) for o in n.ops] == [
        (F(0), F(1, 4), 60), (F(1, 4), F(3, 4), 62), (F(1), F(1, 4), None), (F(5, 4), F(1, 16), None), (F(21, 16), F(3, 16), 64)]
    assert [(p.measure, p.pos, p.value, p.tie_next) for p in n.pieces][:3] == [(0, F(0), F(1, 4), False), (0, F(1, 4), F(1, 2), True), (1, F(0), F(1, 4), False)]
    with pytest.raises(Unwritable, match="not one note value"):
        notate([(F(0), F(5, 16), 60), (F(5, 16), F(7, 16), 62)], F(0), bar, False)
    trip = [(F(0), F(1, 12), 60), (F(1, 12), F(1, 12), 62), (F(1, 6), F(1, 12), 64), (F(1, 4), F(1, 2), 65)]
    with pytest.raises(Unwritable, match="tuplet"):
        notate(trip, F(0), bar, False)


def test_notate_cuts_rests_where_they_would_hide_a_beat_as_the_musicxml_writer_does():
    """In 6/8 a rest from the bar's third eighth to its end is written in MuseScore as an eighth
    rest and a quarter rest (it was one dotted-quarter rest hiding the second beat), and in 4/4
    a half rest from the second beat as two quarter rests, as the MusicXML writer writes them
    (score_write.rest_marks, rest_beat_cuts); a dotted-quarter rest on a 6/8 beat, a half rest
    on a 4/4 bar's first or third beat, stay one rest. The service passes each meter's marks."""
    from lstmfuse_bridge.service import rest_marks_w

    bar, marks = F(3, 4), rest_marks_w("6/8")
    assert marks == [F(0), F(3, 8)]
    breath = [(F(0), F(1, 4), 62), (F(1, 4), F(3, 8), None), (F(5, 8), F(1, 8), 69),
              (F(3, 4), F(3, 8), 67), (F(9, 8), F(3, 8), None)]
    rests = lambda n: [(o.start, o.value) for o in n.ops if o.pitch is None]  # noqa: E731
    assert rests(notate(breath, F(0), bar, False, marks)) == [(F(1, 4), F(1, 8)), (F(3, 8), F(1, 4)), (F(9, 8), F(3, 8))]
    assert rests(notate(breath, F(0), bar, False)) == [(F(1, 4), F(3, 8)), (F(9, 8), F(3, 8))]
    n = notate(breath, F(0), bar, False, marks)
    assert [(p.measure, p.pos, p.value) for p in n.pieces if p.pitch is None] == [(0, F(1, 4), F(1, 8)), (0, F(3, 8), F(1, 4)), (1, F(3, 8), F(3, 8))]
    # written from the middle of a bar (the selection ends there), across a barline
    assert rests(notate([(F(0), F(3, 4), None), (F(3, 4), F(1, 4), 60)], F(1, 8), bar, False, marks)) == [
        (F(1, 8), F(1, 4)), (F(3, 8), F(3, 8)), (F(3, 4), F(1, 8))]
    common = [(F(0), F(1, 4), 60), (F(1, 4), F(1, 2), None), (F(3, 4), F(1, 4), 62), (F(1), F(1, 2), None), (F(3, 2), F(1, 2), 64)]
    assert rests(notate(common, F(0), F(1), False, rest_marks_w("4/4"))) == [(F(1, 4), F(1, 4)), (F(1, 2), F(1, 4)), (F(1), F(1, 2))]
    assert rest_marks_w("3/4") == [F(0), F(1, 4), F(1, 2)] and rest_marks_w("2/2") == [F(0), F(1, 2)]
    # 7/8 as the continuation grouped it: a rest from the second eighth to the fifth is cut at
    # the second group's start (as score_write cuts it with the same groups)
    seven = rest_marks_w("7/8", {"beat_groups": "2+2+3"})
    assert seven == [F(0), F(1, 4), F(1, 2)]
    assert rests(notate([(F(0), F(1, 8), 60), (F(1, 8), F(3, 8), None), (F(1, 2), F(3, 8), 62)], F(0), F(7, 8), False, seven)) == [
        (F(1, 8), F(1, 8)), (F(1, 4), F(1, 4))]


def test_notate_tuplets_for_35_and_later():
    bar = F(1)
    trip = [(F(0), F(1, 12), 60), (F(1, 12), F(1, 12), None), (F(1, 6), F(1, 12), 64), (F(1, 4), F(3, 4), 65)]
    n = notate(trip, F(0), bar, True)
    assert n.ops[0].tuplet == {"actual": 3, "normal": 2, "total": F(1, 4)}
    assert [o.value for o in n.ops] == [F(1, 8)] * 3 + [F(3, 4)]
    quint = [(F(0), F(2, 20), 60), (F(2, 20), F(1, 20), 62), (F(3, 20), F(2, 20), 64), (F(1, 4), F(3, 4), 65)]
    n = notate(quint, F(0), bar, True)
    assert n.ops[0].tuplet["actual"] == 5 and n.ops[0].tuplet["normal"] == 4
    assert [o.value for o in n.ops[:3]] == [F(1, 8), F(1, 16), F(1, 8)]
    with pytest.raises(Unwritable, match="barline"):
        notate([(F(0), F(3, 4), 60), (F(3, 4), F(1, 6), 62), (F(11, 12), F(1, 6), 64), (F(13, 12), F(1, 6), 65), (F(5, 4), F(3, 4), 60)], F(0), bar, True)
    # two triplet eighths and a triplet half over a half note: a 3:2 triplet, as an engraver
    # writes it (it was 6:4, a "6" over three notes; seen in MuseScore 4)
    mixed = [(F(0), F(1, 12), 60), (F(1, 12), F(1, 12), 62), (F(1, 6), F(1, 3), 64), (F(1, 2), F(1, 2), 65)]
    n = notate(mixed, F(0), bar, True)
    assert n.ops[0].tuplet == {"actual": 3, "normal": 2, "total": F(1, 2)}
    assert [o.value for o in n.ops[:3]] == [F(1, 8), F(1, 8), F(1, 2)]


@pytest.mark.slow
def test_answer_from_installed_model_follows_schema():
    from lstmfuse.models.registry import genre_names
    from lstmfuse_bridge.service import answer

    genres = genre_names()
    assert genres, "no installed genre model"
    r = parse_request(req(options__genre=genres[0], options__variants=2), "continue")
    a = answer(r)
    check_schema(a, "answer")
    assert len(a["variants"]) == 2
    for v in a["variants"]:
        total = sum(F(e["duration"]) for e in v["events"])
        assert total == F(2)  # 1 bar selected (4/4, ends on a barline) + 2 bars
        assert v["start_tick"] == 1920 and v["end_tick"] == 1920 * 3
        assert sum(F(p["actual"]) for p in v["pieces"]) == total
    # variant 0 uses the user's seed exactly: the same as the library with that seed
    from lstmfuse.generation.continuation import continue_melody
    from lstmfuse.generation.options import SamplingOptions

    if a["variants"][0]["resampled"] == 0:
        lib = continue_melody(r.passage, bars=2, genre=genres[0], options=SamplingOptions(seed=1), meter="4/4", sharps=-1, mode="major")
        assert [(e.pitch, e.duration / 4) for e in lib.melodies[0].events] == [(e.get("pitch"), F(e["duration"])) for e in a["variants"][0]["events"]]


def test_form_option_reaches_the_plan():
    """options.form is the phrase plan of lstmfuse continue --form: accepted, used, and recorded."""
    from lstmfuse_bridge.service import answer

    for form in ("auto", "free", "AABB"):
        a = answer(parse_request(req(options__form=form, options__bars=8), "continue"))
        check_schema(a, "answer")
        assert a["settings"]["sampling"]["form"] == form


def test_the_selections_place_in_the_score_reaches_the_plan(monkeypatch):
    """selection.bars_before and selection.upbeat (the score's phrase grid, sent by the plugin)
    become the TunePosition the continuation plans its phrases on; bad values name their field."""
    from lstmfuse import TunePosition
    from lstmfuse_bridge import service

    assert parse_request(copy.deepcopy(BASE), "continue").position is None  # an older plugin sends neither
    r = parse_request(req(selection__bars_before=5, selection__upbeat="1/8"), "continue")
    assert r.position == TunePosition(5, F(1, 2))
    assert parse_request(req(selection__upbeat="1/4"), "continue").position == TunePosition(0, F(1))
    for changes, field in (({"selection__upbeat": "1"}, "selection.upbeat"), ({"selection__upbeat": "1/7"}, "selection.upbeat"),
                           ({"selection__bars_before": -1}, "selection.bars_before")):
        with pytest.raises(ProtocolError) as e:
            parse_request(req(**changes), "continue")
        assert e.value.field == field, (e.value.field, e.value.message)
    seen = []
    real = service.continue_passage
    monkeypatch.setattr(service, "continue_passage", lambda *a, **k: seen.append(k["position"]) or real(*a, **k))
    a = service.answer(parse_request(req(selection__bars_before=3, selection__upbeat="1/4", options__bars=8), "continue"))
    check_schema(a, "answer")
    assert seen == [TunePosition(3, F(1))]


def test_a_refused_generation_names_the_field_it_is_about():
    """Every refusal was blamed on options.genre, a meter of 1/64 or a passage out of the
    models' range included."""
    from types import SimpleNamespace

    from lstmfuse.errors import UsageError
    from lstmfuse_bridge.service import _field_of

    from fractions import Fraction as F

    from lstmfuse.encoding.events import Melody, NoteEvent, meter_bar_length, writable_meter
    from lstmfuse.generation.continuation import pitch_range
    from lstmfuse.generation.form import parse_form
    from lstmfuse.generation.options import SamplingOptions
    from lstmfuse.generation.regenerate import split_span

    def refusal(call) -> UsageError:
        with pytest.raises(UsageError) as err:
            call()
        return err.value

    genre, weights = SimpleNamespace(weights=None), SimpleNamespace(weights={"folk": 1.0})
    assert _field_of(refusal(lambda: writable_meter("4/5")), genre) == "selection.meter"
    assert _field_of(refusal(lambda: meter_bar_length("4")), genre) == "selection.meter"
    assert _field_of(refusal(lambda: pitch_range([120, 124], 0, SamplingOptions())), genre) == "selection.events"
    assert _field_of(refusal(lambda: SamplingOptions(lowest=84, highest=60)), genre) == "options.lowest"
    assert _field_of(refusal(lambda: parse_form("aabb")), genre) == "options.form"
    line = Melody([NoteEvent(60, F(k), F(1), F(k % 4)) for k in range(8)], meter="4/4", meters=[(F(0), "4/4"), (F(5), "3/4")])
    assert _field_of(refusal(lambda: split_span(line, F(4), F(7))), genre) == "gap"  # the meter changes inside it
    assert _field_of(UsageError("unknown genre 'jazz'"), genre) == "options.genre"
    assert _field_of(UsageError("unknown genre 'jazz' in weights"), weights) == "options.weights"
    # read from the message, a genre named like a field was pointed at that field
    assert _field_of(UsageError("unknown genre 'uniform' (installed: folk)"), genre) == "options.genre"


def _modulating(kind: str = "continue", **key):
    """16 bars: 12 of F major under one flat, then 4 of D major (ending on A) under two sharps."""
    names = ("F4 G4 A4 B-4 C5 B-4 A4 G4 F4 A4 C5 F5 E5 D5 C5 B-4".split() * 3
             + "D4 E4 F#4 G4 A4 B4 C#5 D5 C#5 B4 A4 F#4 E4 F#4 G4 A4".split())
    doc = req(selection__events=[{"rest": False, "pitch": name_to_midi(n), "name": n.replace("-", "b"), "duration": "1/4"} for n in names],
              selection__key={"fifths": 2, "mode": None, **key})
    if kind == "regenerate":
        doc["gap"] = {"start_tick": 4 * 1920, "end_tick": 6 * 1920}
        del doc["options"]["bars"]
    return doc


def test_key_changes_give_the_key_and_the_notes_it_holds():
    changes = [{"tick": 0, "fifths": -1}, {"tick": 12 * 1920, "fifths": 2}]
    r = parse_request(_modulating(changes=changes), "continue")
    assert r.sharps == 2 and r.passage.key_span == (48, None)  # quarters: the last 4 bars
    assert r.passage.signatures == [(0, -1), (48, 2)]  # the bars before are heard in their own key
    g = parse_request(_modulating("regenerate", changes=changes), "regenerate")
    assert g.sharps == -1 and g.passage.key_span == (0, 48) and g.mode is None  # the gap, bars 5-6, is in F
    plain = parse_request(_modulating(), "continue")
    assert plain.sharps == 2 and plain.passage.key_span == (0, None) and plain.passage.signatures == []


def test_the_key_of_a_modulating_selection_comes_from_the_notes_under_the_last_signature():
    """Weighed with all 64 notes, the 48 in F major outvoted the 16 under two sharps: the
    continuation came in F major (key_of_notes), under the score's two sharps."""
    from lstmfuse.models.registry import genre_names
    from lstmfuse_bridge.service import answer

    genre = "folk" if "folk" in genre_names() else genre_names()[0]
    changes = [{"tick": 0, "fifths": -1}, {"tick": 12 * 1920, "fifths": 2}]
    with_changes = answer(parse_request(req_with(_modulating(changes=changes), options__genre=genre), "continue"))
    assert "key_of_notes" not in with_changes["settings"] and with_changes["settings"]["key_signature_sharps"] == 2
    without = answer(parse_request(req_with(_modulating(), options__genre=genre), "continue"))
    assert without["settings"]["key_of_notes"]["name"] == "F major"  # what the plugin's requests got before


def req_with(doc, **changes):
    for path, value in changes.items():
        node = doc
        keys = path.split("__")
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value
    return doc


@pytest.mark.parametrize("changes,field", [
    ([{"tick": 1920, "fifths": -1}, {"tick": 12 * 1920, "fifths": 2}], "selection.key.changes[0].tick"),
    ([{"tick": 0, "fifths": -1}, {"tick": 0, "fifths": 2}], "selection.key.changes[1].tick"),
    ([{"tick": 0, "fifths": -1}, {"tick": 99 * 1920, "fifths": 2}], "selection.key.changes[1].tick"),
    ([{"tick": 0, "fifths": -1}, {"tick": 12 * 1920, "fifths": 3}], "selection.key.changes"),
])
def test_bad_key_changes_are_named(changes, field):
    with pytest.raises(ProtocolError) as err:
        parse_request(_modulating(changes=changes), "continue")
    assert err.value.field == field


def test_an_unreadable_value_is_named_by_the_scores_bar_number():
    """A 1/10-quarter note in the selection's third bar was reported "in bar 3", counted from
    the selection: the plugin now sends the number of the bar it starts in (first_bar), and
    the message names the score's bar."""
    from lstmfuse_bridge.service import answer

    events = ([{"rest": False, "pitch": 67, "duration": "1/4"}] * 8
              + [{"rest": False, "pitch": 69, "duration": "1/40"}, {"rest": False, "pitch": 67, "duration": "9/40"}]
              + [{"rest": False, "pitch": 67, "duration": "1/4"}] * 3)
    for first_bar, named in ((None, "bar 3"), (17, "bar 19")):
        doc = req(selection__events=events, selection__key={"fifths": 0})
        if first_bar is not None:
            doc["selection"]["first_bar"] = first_bar
        with pytest.raises(ProtocolError) as err:
            answer(parse_request(doc, "continue"))
        assert err.value.field == "selection.events"
        assert f"1/10 quarter(s) in {named} cannot be encoded" in err.value.message


def test_barlines_keep_the_notes_on_their_beats_across_an_irregular_bar():
    """A 6/8 strain as a score bars it: a one-eighth pickup, a full bar, the strain's short last
    bar of five eighths, a full bar. Placed from the selection's end alone, the notes before the
    short bar were an eighth off their beats (the pickup read as a downbeat; O'Neill's 5 in
    MuseScore: 52 of 54 notes). With the barlines the plugin sends, each note is counted from
    the barline before it."""
    eighth = "1/8"
    events = [{"duration": eighth, "rest": False, "pitch": 62}]
    events += [{"duration": eighth, "rest": False, "pitch": 67 + k % 3} for k in range(6)]  # bar 1
    events += [{"duration": eighth, "rest": False, "pitch": 71 - k} for k in range(5)]      # the 5/8 bar
    events += [{"duration": eighth, "rest": False, "pitch": 67 + k % 2} for k in range(6)]  # bar 3
    sel = {**copy.deepcopy(BASE["selection"]), "meter": "6/8", "bar_pos": "5/8", "end_bar_pos": "0", "start_tick": 0,
           "events": events, "key": {"fifths": 1, "mode": None}}
    sel.pop("bars_before", None), sel.pop("upbeat", None)
    quarters = [F(5, 2)] + [F(k, 2) for k in range(6)] + [F(k, 2) for k in range(5)] + [F(k, 2) for k in range(6)]
    from_end = parse_request({**copy.deepcopy(BASE), "selection": sel}, "continue")
    assert [e.bar_pos for e in from_end.passage.events][:12] != quarters[:12]  # the old reading, kept without barlines
    barred = {**sel, "barlines": [{"tick": 240, "bar_pos": "0"}, {"tick": 1680, "bar_pos": "0"}, {"tick": 2880, "bar_pos": "0"}]}
    r = parse_request({**copy.deepcopy(BASE), "selection": barred}, "continue")
    assert [e.bar_pos for e in r.passage.events] == quarters
    with pytest.raises(ProtocolError, match="in order"):
        parse_request({**copy.deepcopy(BASE), "selection": {**sel, "barlines": [{"tick": 240, "bar_pos": "0"}, {"tick": 240, "bar_pos": "0"}]}}, "continue")
    with pytest.raises(ProtocolError, match="not inside a bar"):
        parse_request({**copy.deepcopy(BASE), "selection": {**sel, "barlines": [{"tick": 240, "bar_pos": "3/4"}]}}, "continue")


def test_an_overfull_bar_is_counted_on_from_its_barline_as_the_file_reader_counts_it():
    """A 6/8 selection whose middle bar holds twelve eighths (an overfull bar, O'Neill's 5): its
    notes lie 0 to 11/2 quarters from its barline, as music21 reads the file. Taken modulo the
    meter, its second half read as a bar of its own, the engine took that bar's rhythm up apart
    from the file's, and MuseScore's continuation parted from ``lstmfuse continue``'s."""
    eighth = "1/8"
    events = [{"duration": eighth, "rest": False, "pitch": 67 + k % 3} for k in range(6 + 12 + 6)]
    sel = {**copy.deepcopy(BASE["selection"]), "meter": "6/8", "bar_pos": "0", "end_bar_pos": "0", "start_tick": 0,
           "events": events, "key": {"fifths": 1, "mode": None},
           "barlines": [{"tick": 1440, "bar_pos": "0"}, {"tick": 4320, "bar_pos": "0"}]}
    sel.pop("bars_before", None), sel.pop("upbeat", None)
    r = parse_request({**copy.deepcopy(BASE), "selection": sel}, "continue")
    halves = [F(k, 2) for k in range(6)]
    assert [e.bar_pos for e in r.passage.events] == halves + [F(k, 2) for k in range(12)] + halves


def test_a_selection_of_empty_bars_is_followed_by_a_new_tune_from_their_end():
    """A blank score's empty bars, selected: the plugin sends them as rests. The answer is a
    tune from nothing written from the barline after them (tick 3840 after two bars of 4/4),
    without an upbeat, in the selection's key; the settings say it follows rests."""
    from lstmfuse_bridge.service import answer

    sel = {**copy.deepcopy(BASE["selection"]), "key": {"fifths": 0, "mode": None},
           "events": [{"rest": True, "duration": "1"}, {"rest": True, "duration": "1"}], "end_bar_pos": "0"}
    body = answer(parse_request({**copy.deepcopy(BASE), "selection": sel, "options": {"genre": "folk", "bars": 4, "seed": 1}}, "continue"))
    assert body["settings"]["after_rests"] == "8" and "pickup_quarters" not in body["settings"]
    v = body["variants"][0]
    notes = [e for e in v["events"] if not e["rest"]]
    assert v["events"][0]["tick"] == 3840 and not v["events"][0]["rest"], v["events"][:2]
    assert len(notes) >= 8 and all(e["tick"] >= 3840 for e in v["events"])
    assert sum(F(e["duration"]) for e in v["events"]) == 4  # four bars of 4/4, no more


def test_auto_on_empty_bars_takes_the_genre_of_their_meter_and_key():
    """``auto`` judges the selected notes' style; empty bars have none. They take the genre with
    the largest share of the real tunes in their meter and key signature (4/4 in C: folk, 0.64;
    2/2 in D: Irish), and say so; a meter no installed genre's tunes are in is refused, naming it."""
    from lstmfuse_bridge.protocol import ProtocolError
    from lstmfuse_bridge.service import answer

    def ask(meter: str, fifths: int, bar: str):
        sel = {**copy.deepcopy(BASE["selection"]), "meter": meter, "key": {"fifths": fifths, "mode": None},
               "events": [{"rest": True, "duration": bar}, {"rest": True, "duration": bar}], "end_bar_pos": "0"}
        return answer(parse_request({**copy.deepcopy(BASE), "selection": sel, "options": {"genre": "auto", "bars": 2, "seed": 1}}, "continue"))

    body = ask("4/4", 0, "1")
    auto = body["settings"]["auto"]
    assert body["settings"]["genre"] == auto["genre"] == "folk" and auto["by"] == "meter and key"
    assert auto["posterior"]["folk"] > 0.5 and "palestrina" not in auto["posterior"]
    assert auto["said"] == "folk, whose tunes are 64% of the real tunes in 4/4 with this key signature (no notes to judge)"
    assert ask("2/2", 2, "1")["settings"]["genre"] == "irish"
    with pytest.raises(ProtocolError, match="no installed genre has real tunes in 5/8: choose a genre"):
        ask("5/8", 0, "5/8")


def test_fuse_on_empty_bars_writes_a_new_blend_from_their_end():
    """/fuse on a blank score's empty bars (6/8 in G): a tune from nothing blending the weighted
    genres, written from the barline after the rests, four bars of 6/8 and no more."""
    from lstmfuse_bridge.service import answer

    sel = {**copy.deepcopy(BASE["selection"]), "meter": "6/8", "key": {"fifths": 1, "mode": None},
           "events": [{"rest": True, "duration": "3/4"}, {"rest": True, "duration": "3/4"}], "end_bar_pos": "0"}
    body = answer(parse_request({**copy.deepcopy(BASE), "selection": sel,
                                 "options": {"weights": {"folk": 0.5, "irish": 0.5}, "bars": 4, "seed": 1}}, "fuse"))
    assert body["settings"]["after_rests"] == "6" and "pickup_quarters" not in body["settings"]
    assert body["settings"]["weights"] == {"folk": 0.5, "irish": 0.5}
    v = body["variants"][0]
    assert v["events"][0]["tick"] == 2880 and sum(F(e["duration"]) for e in v["events"]) == 3
    assert sum(not e["rest"] for e in v["events"]) >= 8
