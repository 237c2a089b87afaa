"""Rendering with verovio (in a child process): real SVG and PNG out, crashes survived."""

from __future__ import annotations

import re
import shutil

import pytest

from lstmfuse.errors import LstmfuseError, ScoreReadError
from lstmfuse.io.render import NoSuchPageError, RenderError, render

from test_io_cli_errors import assert_one_line_error, run_cli

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
#: SMuFL notehead glyphs (black, half, whole) as verovio references them
NOTEHEAD = re.compile(r'xlink:href="#E0A[234]')


def _assert_real_svg(path, at_least_notes: int) -> None:
    text = path.read_text(encoding="utf-8")
    assert "<svg" in text
    notes = len(re.findall(r'class="note[ "]', text))
    assert notes >= at_least_notes, notes
    assert NOTEHEAD.search(text), "no notehead glyph in the SVG"


def test_kern_to_svg_and_png(tmp_path, examples_dir):
    result = render(examples_dir / "bach-bwv277.krn", tmp_path / "bach.svg")
    assert result.route == "kern" and result.files == [tmp_path / "bach.svg"]
    _assert_real_svg(tmp_path / "bach.svg", 200)  # the chorale has 237 notes
    result = render(examples_dir / "bach-bwv277.krn", tmp_path / "bach.png")
    data = (tmp_path / "bach.png").read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) > 10_000
    assert result.notes >= 200


def test_musicxml_to_svg_and_png_through_the_cli(tmp_path, examples_dir):
    src = examples_dir / "oneills-0001.musicxml"
    proc = run_cli("render", str(src), "-o", "tune.svg", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    _assert_real_svg(tmp_path / "tune.svg", 100)  # 121 notes
    proc = run_cli("render", str(src), "-o", "tune.png", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "tune.png").read_bytes().startswith(PNG_MAGIC)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tune.png", "tune.svg"]


def test_mxl_and_abc_render(tmp_path, corpus_dir):
    result = render(corpus_dir / "bach" / "bwv66.6.mxl", tmp_path / "c.svg")
    assert result.route == "musicxml"
    _assert_real_svg(tmp_path / "c.svg", 100)
    abc = tmp_path / "two.abc"
    abc.write_text("X:1\nT:One\nM:2/4\nL:1/8\nK:G\nGABc|d2d2|\n\nX:2\nT:Two\nM:3/4\nL:1/4\nK:D\nDEF|A3|\n")
    result = render(abc, tmp_path / "abc.svg")
    assert result.route == "abc -> kern"
    _assert_real_svg(tmp_path / "abc.svg", 6)


def test_multi_page_names_and_single_page(tmp_path, corpus_dir):
    src = corpus_dir / "beethoven" / "opus18no1" / "movement1.krn"
    result = render(src, tmp_path / "q.svg")
    n = result.page_count
    assert n > 3
    expected = ["q.svg"] + [f"q-{i}.svg" for i in range(2, n + 1)]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(expected)
    for name in ("q.svg", f"q-{n}.svg"):
        assert "<svg" in (tmp_path / name).read_text()
    one = tmp_path / "one"
    one.mkdir()
    result = render(src, one / "p2.png", page=2)
    assert [p.name for p in one.iterdir()] == ["p2.png"]
    assert (one / "p2.png").read_bytes().startswith(PNG_MAGIC)
    with pytest.raises(LstmfuseError, match=f"there is no page {n + 1} "):
        render(src, one / "x.svg", page=n + 1)
    assert [p.name for p in one.iterdir()] == ["p2.png"]
    # never clobber: the second render refuses before writing any page
    with pytest.raises(LstmfuseError, match="already exists"):
        render(src, tmp_path / "q.svg")


def test_a_verovio_crash_is_survived_and_falls_back_to_kern(tmp_path, examples_dir):
    """verovio's humlib MusicXML importer ("musicxml-hum") segfaults on music21-written
    MusicXML: the child dies, the parent reports it in one line or renders via kern."""
    from lstmfuse.io import convert_file

    xml = convert_file(examples_dir / "bach-bwv277.krn", tmp_path / "m21.musicxml")
    with pytest.raises(RenderError) as info:
        render(xml, tmp_path / "crash.svg", musicxml_importer="musicxml-hum", fallback=False)
    message = str(info.value)
    assert message.startswith(str(xml)) and "crashed (SIG" in message and "\n" not in message
    assert not (tmp_path / "crash.svg").exists()
    result = render(xml, tmp_path / "ok.svg", musicxml_importer="musicxml-hum")
    assert result.route == "musicxml -> kern (fallback)"
    assert "crashed" in result.attempts[0]
    _assert_real_svg(tmp_path / "ok.svg", 200)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_a_missing_page_of_musicxml_is_not_a_verovio_failure(tmp_path, examples_dir):
    with pytest.raises(NoSuchPageError) as info:
        render(examples_dir / "oneills-0001.musicxml", tmp_path / "p.svg", page=5)
    assert str(info.value) == f"{examples_dir / 'oneills-0001.musicxml'}: there is no page 5 (the score has 1 page)"
    assert list(tmp_path.iterdir()) == []


def test_render_non_musicxml_xml_and_no_verovio_leftovers(tmp_path):
    page = tmp_path / "page.xml"
    page.write_text('<?xml version="1.0"?>\n<html><body/></html>\n')
    with pytest.raises(ScoreReadError, match="not a MusicXML score"):
        render(page, tmp_path / "page.svg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page.xml"]


def test_render_cli_reports_a_bad_page(tmp_path, examples_dir):
    proc = run_cli("render", str(examples_dir / "essen-altdeu10-1.krn"), "-o", "x.svg", "--page", "9", cwd=tmp_path)
    assert_one_line_error(proc, "there is no page 9 (the score has 1 page)")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(shutil.which("true") is None, reason="needs a POSIX system")
def test_render_worker_timeout_is_one_line(tmp_path, examples_dir):
    with pytest.raises(RenderError, match="took longer than 0.01 s"):
        render(examples_dir / "bach-bwv277.krn", tmp_path / "t.svg", timeout=0.01)
    assert list(tmp_path.iterdir()) == []


def test_a_chord_symbols_flat_is_drawn_in_a_png(tmp_path, corpus_dir):
    """Verovio sets a chord symbol's flat in its music font, which it embeds as a web font: a
    browser draws it, cairosvg does not, so Foster's lead sheet came out of `render -o x.png`
    with "B" and an empty box for every B-flat chord. The PNG's SVG gets the Unicode flat."""
    from lstmfuse.io import _render_worker as worker

    src = corpus_dir / "leadSheet" / "fosterBrownHair.mxl"
    svg_out = tmp_path / "foster.svg"
    render(src, svg_out, page=1)
    svg = svg_out.read_text(encoding="utf-8")
    assert "\uea64" in svg  # verovio's own: the figured-bass flat in its music font (kept in the SVG)
    plain = worker.for_cairo(svg)
    assert "\uea64" not in plain and plain.count("\u266d") == svg.count("\uea64")
    assert worker.for_cairo('<tspan font-family="Leipzig" font-size="720px">\ue0a4</tspan>') == \
        '<tspan font-family="Leipzig" font-size="720px">\ue0a4</tspan>'  # a glyph no text font has stays
    png = render(src, tmp_path / "foster.png", page=1)
    assert png.files and png.files[0].stat().st_size > 10_000
