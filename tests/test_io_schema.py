"""MusicXML 4.0 validation (offline, vendored XSD): library and ``lstmfuse validate``."""

from __future__ import annotations

import io
import zipfile

import pytest
from conftest import LILYPOND
from test_io_cli_errors import run_cli

from lstmfuse.errors import ScoreReadError
from lstmfuse.io.schema import SchemaError, musicxml_schema, validate_musicxml

#: the LilyPond suite files that are not valid MusicXML 4.0 (with the line of the 1st error)
INVALID = {
    "01e-Pitches-EditorialCautionaryAccidentals.xml": 142,
    "41g-PartNoId.xml": 16,
    "74a-FiguredBass.xml": 90,
    "99d-AccordionInvalid.xml": 44,
}


def test_lilypond_suite_validity_matches_the_known_list():
    files = sorted(LILYPOND.glob("*.xml")) + sorted(LILYPOND.glob("*.mxl"))
    assert len(files) == 143
    invalid = {}
    for f in files:
        errors = validate_musicxml(f)
        if errors:
            invalid[f.name] = errors[0].line
            assert all(isinstance(e, SchemaError) and e.path == str(f) for e in errors)
    assert invalid == INVALID
    print(f"\nLilyPond suite: {len(files) - len(invalid)}/143 valid MusicXML 4.0")


def test_schema_is_built_once_per_process():
    assert musicxml_schema() is musicxml_schema()


def test_error_format_is_file_line_message(tmp_path):
    src = LILYPOND / "41g-PartNoId.xml"
    errors = validate_musicxml(src)
    assert [str(e) for e in errors] == [f"{src}:16: Element 'part': The attribute 'id' is required but missing."]


def test_validate_bytes_and_mxl_member(tmp_path):
    data = (LILYPOND / "41g-PartNoId.xml").read_bytes()
    errors = validate_musicxml(data)
    assert errors and str(errors[0]).startswith("<bytes>:16: ")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(
            "META-INF/container.xml",
            '<?xml version="1.0"?><container><rootfiles><rootfile full-path="music/score.xml"/></rootfiles></container>',
        )
        zf.writestr("music/score.xml", data)
    mxl = tmp_path / "bad.mxl"
    mxl.write_bytes(buf.getvalue())
    errors = validate_musicxml(mxl)
    assert str(errors[0]) == f"{mxl}(music/score.xml):16: Element 'part': The attribute 'id' is required but missing."
    assert validate_musicxml(LILYPOND / "90a-Compressed-MusicXML.mxl") == []


def test_unreadable_inputs_raise_one_line(tmp_path):
    (tmp_path / "cut.musicxml").write_bytes((LILYPOND / "01a-Pitches-Pitches.xml").read_bytes()[:500])
    with pytest.raises(ScoreReadError) as info:
        validate_musicxml(tmp_path / "cut.musicxml")
    assert info.value.line is not None and "malformed XML" in str(info.value)
    (tmp_path / "junk.mxl").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ScoreReadError, match="not a valid .mxl"):
        validate_musicxml(tmp_path / "junk.mxl")


def test_validate_cli_exit_codes(tmp_path):
    good = LILYPOND / "01a-Pitches-Pitches.xml"
    bad = LILYPOND / "41g-PartNoId.xml"
    proc = run_cli("validate", str(good), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"{good}: valid MusicXML 4.0"
    proc = run_cli("validate", str(bad), str(good), cwd=tmp_path)
    assert proc.returncode == 1
    assert f"{bad}:16: Element 'part': The attribute 'id' is required but missing." in proc.stdout.splitlines()
    proc = run_cli("validate", str(good), "missing.musicxml", str(bad), cwd=tmp_path)
    assert proc.returncode == 2  # unreadable beats invalid
    assert "error: missing.musicxml: no such file" in proc.stderr
    assert f"{bad}:16:" in proc.stdout


def test_validate_needs_no_network_and_no_catalog_from_the_user(tmp_path):
    """The schema loads in a fresh process whose XML_CATALOG_FILES points nowhere useful."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, XML_CATALOG_FILES=str(tmp_path / "none.xml"), no_proxy="*", http_proxy="http://127.0.0.1:9")
    code = (
        "from lstmfuse.io.schema import validate_musicxml;"
        f"print(len(validate_musicxml({str(LILYPOND / '74a-FiguredBass.xml')!r})))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "1"


def test_plain_save_writes_valid_pedals_after_a_kern_round_trip(tmp_path):
    """converter21 reads Humdrum pedals without a type; every MusicXML write (not only
    `lstmfuse convert`) must still produce the schema's start/stop, not 'sustain'."""
    from lstmfuse.io import load, save

    save(load(LILYPOND / "33a-Spanners.xml"), tmp_path / "s.krn")
    out = save(load(tmp_path / "s.krn"), tmp_path / "s.musicxml")
    text = out.read_text()
    assert "<pedal" in text and 'type="sustain"' not in text
    assert validate_musicxml(out) == []
