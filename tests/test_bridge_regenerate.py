"""POST /regenerate: the request (the staff around the gap + the gap's ticks) is validated
field by field, and the answer holds variants of exactly the gap's bars, in the same notation
as /continue (write ops from the gap's start), so the plugin's writer replaces them in place."""

from __future__ import annotations

import copy
from fractions import Fraction as F

import pytest

import bridge_support as B
from lstmfuse_bridge.protocol import ProtocolError, check_schema, parse_request

PITCHES = [60, 62, 64, 65, 67, 65, 64, 62, 60, 64, 67, 72, 71, 69, 67, 65, 64, 62, 60, 62, 64, 62, 60, 60]
BASE = {
    "protocol": 1,
    "client": {"name": "test", "tuplets": False},
    "selection": {"staff": 0, "voice": 0, "start_tick": 0, "bar_pos": "0", "end_bar_pos": "0", "meter": "4/4",
                  "key": {"fifths": 0, "mode": None},
                  "events": [{"rest": False, "pitch": p, "duration": "1/4"} for p in PITCHES]},
    "gap": {"start_tick": 2 * 1920, "end_tick": 4 * 1920},  # bars 3-4 of 6
    "options": {"genre": "folk", "variants": 2, "seed": 5},
}


def doc(**changes) -> dict:
    d = copy.deepcopy(BASE)
    for path, value in changes.items():
        node = d
        keys = path.split("__")
        for k in keys[:-1]:
            node = node[k]
        if value is ...:
            del node[keys[-1]]
        else:
            node[keys[-1]] = value
    return d


@pytest.mark.parametrize("changes,field", [
    ({"gap": ...}, "(body)"),
    ({"gap__end_tick": ...}, "gap"),
    ({"gap__start_tick": -1}, "gap.start_tick"),
    ({"gap__end_tick": 3840}, "gap.end_tick"),  # empty
    ({"gap__end_tick": 7 * 1920}, "gap"),  # past the selection
    ({"gap__extra": 1}, "gap"),
    ({"options__bars": 2}, "options.bars"),
    ({"options__form": "AABB"}, "options.form"),
    ({"options__candidates": 4}, "options.candidates"),
    ({"options__other": 1}, "options"),
    ({"options__genre": ...}, "options.genre"),
    ({"selection__events": [{"rest": True, "duration": "6"}]}, "selection.events"),
])
def test_bad_requests_name_the_field(changes, field):
    with pytest.raises(ProtocolError) as e:
        parse_request(doc(**changes), "regenerate")
    assert e.value.field == field, (e.value.field, e.value.message)
    assert e.value.status == 400 and "\n" not in e.value.message


def test_continue_bodies_are_not_regenerate_bodies():
    with pytest.raises(ProtocolError) as e:
        parse_request(doc(), "continue")  # a gap (and no bars) in /continue
    assert e.value.field in ("(body)", "options") and e.value.status == 400


def test_answer_replaces_exactly_the_gap():
    from lstmfuse_bridge.service import answer

    a = answer(parse_request(doc(), "regenerate"))
    check_schema(a, "answer")
    assert a["kind"] == "regenerate" and a["settings"]["gap"] == {"start_tick": 3840, "end_tick": 7680}
    assert len(a["variants"]) == 2
    for v in a["variants"]:
        assert v["start_tick"] == 3840 and v["end_tick"] == 7680 and v["measures"] == 2
        assert v["write"][0]["tick"] == 3840
        last = v["write"][-1]
        assert last["tick"] + F(last["value"]) * 1920 == 7680  # the ops fill the gap exactly
        assert sum(F(p["actual"]) for p in v["pieces"]) == 2
        assert all(3840 <= e["tick"] < 7680 for e in v["events"])
    # variant 0 with the user's seed is the engine's own answer (the same as lstmfuse regenerate)
    from lstmfuse.generation.options import SamplingOptions
    from lstmfuse.generation.regenerate import regenerate_span

    r = parse_request(doc(), "regenerate")
    lib = regenerate_span(r.passage, F(8), F(16), genre="folk", options=SamplingOptions(seed=5), variants=2)
    if a["variants"][0]["resampled"] == 0:
        assert [(e.pitch, e.duration / 4) for e in lib.gaps[0]] == [(e.get("pitch"), F(e["duration"])) for e in a["variants"][0]["events"]]


def test_route_over_http_with_preview():
    srv = B.InProcessBridge()
    try:
        status, body, _ = B.call(srv.port, "POST", "/regenerate", doc(options__preview=True, options__variants=1), token=srv.token)
        assert status == 200, body
        assert body["kind"] == "regenerate" and body["preview"].get("png"), body.get("preview")
        status, body, _ = B.call(srv.port, "POST", "/regenerate", doc(options__bars=2), token=srv.token)
        assert status == 400 and body["error"]["field"] == "options.bars"
        status, body, _ = B.call(srv.port, "POST", "/regenerate", doc(), token="")
        assert status == 401
        assert srv.server.counts["errors"] == 0
    finally:
        srv.stop()


@pytest.mark.parametrize("gap", [(0, 3840), (7680, 11520), (0, 11520)], ids=["first bars", "last bars", "everything"])
def test_gap_at_the_edges(gap):
    """No bars before, no bars after, or neither: still an answer that fills the gap exactly."""
    from lstmfuse_bridge.service import answer

    a = answer(parse_request(doc(gap={"start_tick": gap[0], "end_tick": gap[1]}), "regenerate"))
    check_schema(a, "answer")
    for v in a["variants"]:
        last = v["write"][-1]
        assert v["write"][0]["tick"] == gap[0] and last["tick"] + F(last["value"]) * 1920 == gap[1]


def test_a_gap_across_a_key_change_is_refused_at_the_gap():
    """Bars 3-4 with a new signature from bar 4: the gap would be written in bar 3's key under
    bar 4's signature. Refused, pointing at the gap and naming the bar."""
    from lstmfuse_bridge.service import answer

    body = doc(selection__key={"fifths": 2, "mode": None, "changes": [{"tick": 0, "fifths": 0}, {"tick": 3 * 1920, "fifths": 2}]})
    with pytest.raises(ProtocolError) as e:
        answer(parse_request(body, "regenerate"))
    assert e.value.field == "gap" and "in bar 4" in e.value.message, (e.value.field, e.value.message)
