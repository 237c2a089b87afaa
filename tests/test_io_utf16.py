"""UTF-16 MusicXML is read by every command (issue 14).

The XML standard lets a document be UTF-16, with a byte order mark or declared without
one; Finale and several files of music21's trecento corpus write it. ``lstmfuse batch``
read such files while ``info`` refused them: there was no single MusicXML reader. The
files here are a real corpus score (Stephen Foster's *Jeanie with the Light Brown Hair*,
music21's leadSheet/fosterBrownHair.mxl) re-encoded, run through each command.
"""

from __future__ import annotations

import json
import re

import pytest
from test_io_cli_errors import run_cli

from lstmfuse import batch, io
from lstmfuse.io import musicxml
from lstmfuse.io.formats import detect_format
from lstmfuse.io.summary import note_content


@pytest.fixture(scope="module")
def scores(tmp_path_factory, corpus_dir):
    """utf8.musicxml (the original), bom.musicxml (UTF-16 LE with a BOM) and
    declared.xml (UTF-16 BE, no BOM, the declaration says UTF-16)."""
    folder = tmp_path_factory.mktemp("utf16")
    xml, _ = musicxml.read_mxl((corpus_dir / "leadSheet" / "fosterBrownHair.mxl").read_bytes(), "foster")
    text = xml.decode("utf-8")
    utf16 = re.sub(r"""encoding=["'][^"']*["']""", 'encoding="UTF-16"', text, count=1)
    assert 'encoding="UTF-16"' in utf16
    (folder / "utf8.musicxml").write_bytes(xml)
    (folder / "bom.musicxml").write_bytes(utf16.encode("utf-16"))  # BOM + native (little-endian) order
    (folder / "declared.xml").write_bytes(utf16.encode("utf-16-be"))
    return folder


def test_the_files_really_are_utf16(scores):
    assert (scores / "bom.musicxml").read_bytes()[:2] == b"\xff\xfe"
    assert (scores / "declared.xml").read_bytes()[:4] == b"\x00<\x00?"
    assert musicxml.encoding_of((scores / "bom.musicxml").read_bytes()) == "utf-16-le"
    assert musicxml.encoding_of((scores / "declared.xml").read_bytes()) == "utf-16-be"
    assert musicxml.as_utf8((scores / "declared.xml").read_bytes()).startswith(b'<?xml version="1.0" encoding="UTF-8"')


@pytest.mark.parametrize("name", ["bom.musicxml", "declared.xml"])
def test_the_library_reads_them_as_the_utf8_original(scores, name):
    assert detect_format(scores / name) == "musicxml"
    assert note_content(io.load(scores / name)) == note_content(io.load(scores / "utf8.musicxml"))
    data, _ = batch.apply(scores / name, [batch.Transpose("+P8")])
    assert musicxml.parse_score(data, name).getroot().tag == "score-partwise"


def test_every_command_reads_utf16(scores, tmp_path):
    original = json.loads(run_cli("info", str(scores / "utf8.musicxml"), "--json", cwd=tmp_path).stdout)
    for name in ("bom.musicxml", "declared.xml"):
        src = str(scores / name)
        proc = run_cli("info", src, "--json", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        got = json.loads(proc.stdout)
        assert {k: got[k] for k in ("notes", "rests", "measures", "lowest", "highest", "title")} == {
            k: original[k] for k in ("notes", "rests", "measures", "lowest", "highest", "title")}
        assert original["notes"] > 50

        proc = run_cli("validate", src, cwd=tmp_path)
        assert proc.returncode == 0 and "valid MusicXML 4.0" in proc.stdout, proc.stdout + proc.stderr

        krn = tmp_path / f"{name}.krn"
        proc = run_cli("convert", src, str(krn), cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert note_content(io.load(krn)) == note_content(io.load(scores / "utf8.musicxml"))

        svg = tmp_path / f"{name}.svg"
        proc = run_cli("render", src, "-o", str(svg), cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert "fallback" not in proc.stderr  # verovio read the MusicXML itself (handed over as UTF-8)
        assert svg.read_text(encoding="utf-8").count('class="note') > 50

        cont = tmp_path / f"{name}-cont.musicxml"
        proc = run_cli("continue", src, "--bars", "1", "--genre", "folk", "--seed", "1", "-o", str(cont), cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert len(io.load(cont).recurse().notes) > len(io.load(scores / name).parts[0].recurse().notes)

    out = tmp_path / "up"
    proc = run_cli("batch", "transpose", str(scores), "--interval", "+M2", "--out-dir", str(out), "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 ok" in proc.stdout
    assert (out / "bom.musicxml").read_bytes()[:2] == b"\xff\xfe"  # still UTF-16: only the pitches changed
    highest = {p.ps for p in io.load(out / "declared.xml").pitches}
    assert max(highest) == max(p.ps for p in io.load(scores / "utf8.musicxml").pitches) + 2

    kern = tmp_path / "kern"
    proc = run_cli("convert", str(scores), "--to", "krn", "--out-dir", str(kern), "-j", "2", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "converted 3 of 3 file(s)" in proc.stdout
    assert note_content(io.load(kern / "declared.krn")) == note_content(io.load(scores / "utf8.musicxml"))
