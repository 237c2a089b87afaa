"""Batch edits on real-world MusicXML (issue 15): drum staves keep no key signature under
transpose, and set-meta replaces an element's whole text even when it holds an entity."""

from __future__ import annotations

from pathlib import Path

from lxml import etree
from typer.testing import CliRunner

from lstmfuse.cli import app

DATA = Path(__file__).resolve().parent / "data" / "realworld"


def _run(*args: str):
    r = CliRunner().invoke(app, list(args))
    assert r.exit_code == 0, r.output
    return r


def _parse(path: Path):
    return etree.parse(str(path), etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True))


def test_transpose_leaves_drum_staff_without_key(tmp_path):
    _run("batch", "transpose", str(DATA / "drumset-first.musicxml"), "--interval", "+M2", "--out-dir", str(tmp_path))
    root = _parse(tmp_path / "drumset-first.musicxml").getroot()
    fifths = {p.get("id"): [f.text for f in p.iter("fifths")] for p in root.iter("part")}
    assert fifths == {"P1": ["0"], "P2": ["2"]}
    pitches = [(p.findtext("step"), p.findtext("octave")) for p in root.iter("pitch")]
    assert pitches == [("A", "4"), ("B", "4")]  # G4 A4 up a tone
    unpitched = [u.findtext("display-step") for u in root.iter("unpitched")]
    assert unpitched == ["F", "C", "F", "C"]  # drum positions untouched


def test_set_meta_replaces_text_holding_an_entity(tmp_path):
    _run("batch", "set-meta", str(DATA / "entity-ref.musicxml"), "--composer", "J. Doe", "--title", "New",
         "--out-dir", str(tmp_path))
    text = (tmp_path / "entity-ref.musicxml").read_text()
    assert '<creator type="composer">J. Doe</creator>' in text
    assert "<work-title>New</work-title>" in text
    assert "&comp;</creator>" not in text and "New&xxe;" not in text


def test_is_percussion_part():
    from lstmfuse.batch.xmltree import is_percussion_part

    root = _parse(DATA / "drumset-first.musicxml").getroot()
    assert [is_percussion_part(p) for p in root.iter("part")] == [True, False]
