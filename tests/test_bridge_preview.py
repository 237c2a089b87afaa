"""Preview, then write: ``options.preview`` engraves every variant's new bars into one PNG
(a staff per variant) with the same engraving as ``lstmfuse render``; nothing else changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from test_bridge_protocol import req

from lstmfuse_bridge.protocol import check_schema, parse_request

pytestmark = pytest.mark.slow


def test_preview_png_of_all_variants(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    from lstmfuse_bridge.service import answer

    plain = answer(parse_request(req(options__genre="folk", options__variants=2, options__seed=3), "continue"))
    shown = answer(parse_request(req(options__genre="folk", options__variants=2, options__seed=3, options__preview=True), "continue"))
    check_schema(shown, "answer")
    assert "preview" not in plain
    png = Path(shown["preview"]["png"])
    assert png.parent == tmp_path / "lstmfuse" / "previews" and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image

    w, h = Image.open(png).size
    assert w > 300 and h > 150  # two staves of music, not an empty page
    # A line of facts per variant beside the picture.
    facts = shown["preview"]["variants"]
    assert len(facts) == 2
    for f, v in zip(facts, shown["variants"]):
        assert f["notes"] == sum(1 for e in v["events"] if not e["rest"])
        pitches = [e["pitch"] for e in v["events"] if not e["rest"]]
        assert f["range"] == max(pitches) - min(pitches) and 0 <= f["in_key"] <= 1
        assert 0 < f["style"]["p"] <= 1
    # The picture changes nothing else: the same variants as without it.
    assert [v["events"] for v in shown["variants"]] == [v["events"] for v in plain["variants"]]
