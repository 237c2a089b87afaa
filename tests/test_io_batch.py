"""Batch conversion: ``lstmfuse convert ... --out-dir`` and the batch engine it runs on
(``lstmfuse.batch.run`` with a ``Convert`` op: the same rules as ``lstmfuse batch convert``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_io_cli_errors import run_cli

from lstmfuse import batch
from lstmfuse.errors import UsageError
from lstmfuse.io import load
from lstmfuse.io.schema import validate_musicxml
from lstmfuse.io.summary import note_content


@pytest.fixture
def tree(tmp_path, examples_dir, corpus_dir):
    """src/ with sub-folders, good and bad files, and a non-score file."""
    src = tmp_path / "src"
    (src / "chorales").mkdir(parents=True)
    (src / "folk" / "deep").mkdir(parents=True)
    shutil.copy(examples_dir / "bach-bwv277.krn", src / "chorales")
    shutil.copy(corpus_dir / "bach" / "bwv66.6.mxl", src / "chorales")
    shutil.copy(examples_dir / "essen-altdeu10-1.krn", src / "folk" / "deep")
    shutil.copy(examples_dir / "oneills-0001.musicxml", src / "folk")
    (src / "folk" / "two.abc").write_text(
        "X:1\nT:One\nM:2/4\nL:1/8\nK:G\nGABc|d2d2|\n\nX:2\nT:Two\nM:3/4\nL:1/4\nK:D\nDEF|A3|\n"
    )
    (src / "folk" / "broken.krn").write_text("**kern\t**kern\n4c\t4e\n4d\n*-\t*-\n")
    (src / "notes.txt").write_text("not a score")
    return src


def test_plan_keeps_sub_folders_and_skips_non_scores(tree, tmp_path):
    plan = batch.run([tree], [batch.Convert("musicxml")], out_dir=tmp_path / "out", dry_run=True)
    rel = sorted(str(Path(f.output).relative_to(tmp_path / "out")) for f in plan.files)
    assert rel == [
        "chorales/bach-bwv277.musicxml",
        "chorales/bwv66.6.musicxml",
        "folk/broken.musicxml",
        "folk/deep/essen-altdeu10-1.musicxml",
        "folk/oneills-0001.musicxml",
        "folk/two.musicxml",
    ]


def test_globs_and_bad_inputs(tree, tmp_path):
    files = batch.expand_inputs([str(tree / "**" / "*.krn")])
    assert sorted(str(f.relative_to(tree)) for f in files) == [
        "chorales/bach-bwv277.krn",
        "folk/broken.krn",
        "folk/deep/essen-altdeu10-1.krn",
    ]
    # a glob that matches folders takes the score files under them
    assert len(batch.expand_inputs([str(tree / "fol*")])) == 4
    with pytest.raises(UsageError, match="no such file or folder"):
        batch.expand_inputs([str(tmp_path / "nope")])
    with pytest.raises(UsageError, match="no file matches"):
        batch.expand_inputs([str(tmp_path / "*.nothing")])
    with pytest.raises(UsageError, match=r"unknown format 'pdf' \(writable: kern, musicxml, mxl, midi\)"):
        batch.Convert("pdf")  # the formats it can write, not abc, which it only reads
    with pytest.raises(UsageError, match="cannot write abc"):
        batch.Convert("abc")


def test_batch_cli_two_processes_reports_failures(tree, tmp_path):
    out = tmp_path / "out"
    proc = run_cli("convert", str(tree), "--to", "musicxml", "--out-dir", str(out), "-j", "2", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr  # one file is broken
    assert "broken.krn" in proc.stdout and "line 3: record has 1 spine(s) but 2 are open" in proc.stdout
    assert "converted 5 of 6 file(s) (6 written" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert written == [
        "chorales/bach-bwv277.musicxml",
        "chorales/bwv66.6.musicxml",
        "folk/deep/essen-altdeu10-1.musicxml",
        "folk/oneills-0001.musicxml",
        "folk/two-1.musicxml",
        "folk/two-2.musicxml",
    ]
    for f in out.rglob("*.musicxml"):
        assert validate_musicxml(f) == [], f
    # the notes survive (including bwv277's pickup bar)
    assert note_content(load(out / "chorales" / "bach-bwv277.musicxml")) == note_content(
        load(tree / "chorales" / "bach-bwv277.krn")
    )
    # a second run refuses to clobber every output, and leaves them as they were
    stamp = {p: p.stat().st_mtime_ns for p in out.rglob("*.musicxml")}
    proc = run_cli("convert", str(tree), "--to", "musicxml", "--out-dir", str(out), "-j", "2", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.count("already exists") >= 4
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.musicxml")} == stamp
    # --force overwrites (chorales/ is the root now, so its files land in out/ itself)
    (out / "bach-bwv277.musicxml").write_text("old")
    proc = run_cli("convert", str(tree / "chorales"), "--to", "musicxml", "--out-dir", str(out), "--force", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert validate_musicxml(out / "bach-bwv277.musicxml") == []
    assert "converted 2 of 2 file(s)" in proc.stdout


def test_same_output_name_twice_is_refused_not_overwritten(tmp_path, examples_dir):
    a = tmp_path / "a"
    a.mkdir()
    shutil.copy(examples_dir / "essen-altdeu10-1.krn", a / "song.krn")
    shutil.copy(examples_dir / "oneills-0001.musicxml", a / "song.musicxml")
    shutil.copy(examples_dir / "bach-bwv277.krn", a / "other.krn")
    result = batch.run([a / "song.krn", a / "song.musicxml", a / "other.krn"], [batch.Convert("musicxml")],
                       out_dir=tmp_path / "out", journal=False)
    assert [f.status for f in result.files] == ["ok", "failed", "ok"]
    assert "would overwrite the output of" in result.files[1].error
    assert note_content(load(tmp_path / "out" / "song.musicxml")) == note_content(load(a / "song.krn"))  # the first one's
    # in place, a.krn -> a.musicxml would replace the a.musicxml being edited: refused too
    result = batch.run([a / "song.musicxml", a / "song.krn"], [batch.Convert("musicxml")], in_place=True)
    assert [f.status for f in result.files] == ["unchanged", "failed"]
    assert (a / "song.musicxml").read_bytes() == (examples_dir / "oneills-0001.musicxml").read_bytes()


def test_outputs_inside_the_input_folder_are_not_reconverted(tmp_path, examples_dir):
    shutil.copy(examples_dir / "essen-altdeu10-1.krn", tmp_path / "song.krn")
    first = batch.run([tmp_path], [batch.Convert("krn")], out_dir=tmp_path / "out", journal=False)
    assert [Path(f.source).name for f in first.files] == ["song.krn"]
    assert first.files[0].status in ("ok", "unchanged") and (tmp_path / "out" / "song.krn").exists()
    assert [f.name for f in batch.expand_inputs([tmp_path], skip=tmp_path / "out")] == ["song.krn"]  # out/song.krn is not an input
    again = batch.run([tmp_path], [batch.Convert("krn")], out_dir=tmp_path / "out", dry_run=True)
    assert [Path(f.source).name for f in again.files] == ["song.krn"]


def test_convert_one_file_with_o_as_continue_takes_it(tmp_path, examples_dir):
    """`convert IN -o OUT.musicxml` (as `continue IN -o OUT` reads) said "batch conversion needs
    both --to FORMAT and --out-dir FOLDER"; it converts the one file."""
    out = tmp_path / "song.musicxml"
    proc = run_cli("convert", str(examples_dir / "essen-altdeu10-1.krn"), "-o", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert out.is_file() and validate_musicxml(out) == []
    assert note_content(load(out)) == note_content(load(examples_dir / "essen-altdeu10-1.krn"))
    folder = tmp_path / "kern.krn"  # an existing folder stays a folder: batch mode, which needs --to
    folder.mkdir()
    proc = run_cli("convert", str(examples_dir / "essen-altdeu10-1.krn"), "-o", str(folder), cwd=tmp_path)
    assert proc.returncode == 2 and "needs both --to FORMAT and --out-dir FOLDER" in proc.stderr


def test_one_file_convert_keeps_musicxml_as_batch_convert_does(tmp_path, corpus_dir):
    """`convert IN OUT` rewrote MusicXML through music21 (lyric extenders, credit types and MIDI
    instruments lost) where `batch convert` changes only the container, as docs/io.md says; and
    the .mxl it wrote named its score after the hidden temporary file."""
    import zipfile

    from lstmfuse.io.musicxml import read_mxl

    src = corpus_dir / "leadSheet" / "fosterBrownHair.mxl"
    inner, _ = read_mxl(src.read_bytes(), src)
    assert b"<extend" in inner or b"<credit" in inner or b"<midi-instrument" in inner
    same = tmp_path / "copy.mxl"
    assert run_cli("convert", str(src), str(same), cwd=tmp_path).returncode == 0
    assert same.read_bytes() == src.read_bytes()
    plain = tmp_path / "brown.musicxml"
    assert run_cli("convert", str(src), str(plain), cwd=tmp_path).returncode == 0
    assert plain.read_bytes() == inner
    again = tmp_path / "again.mxl"
    assert run_cli("convert", str(plain), str(again), cwd=tmp_path).returncode == 0
    with zipfile.ZipFile(again) as zf:
        assert zf.namelist() == ["mimetype", "META-INF/container.xml", "again.musicxml"]
        assert zf.read("again.musicxml") == inner
    kern = tmp_path / "brown.mxl"  # through music21 (from kern): the score inside is named after the file
    assert run_cli("convert", str(corpus_dir / "bach" / "bwv277.krn"), str(kern), cwd=tmp_path).returncode == 0
    with zipfile.ZipFile(kern) as zf:
        assert zf.namelist() == ["mimetype", "META-INF/container.xml", "brown.musicxml"]
        assert b'full-path="brown.musicxml"' in zf.read("META-INF/container.xml")
    assert validate_musicxml(kern) == []
    bad = tmp_path / "bad.musicxml"
    bad.write_text("<score-partwise><part")
    proc = run_cli("convert", str(bad), str(tmp_path / "bad-out.mxl"), cwd=tmp_path)
    assert proc.returncode != 0 and not (tmp_path / "bad-out.mxl").exists()


def test_batch_conversion_from_kern_prints_no_music21_chatter(tmp_path):
    """music21's MusicXML exporter printed "we are out of midi channels! help!" 15 times when a
    batch converted a 20-part kern score to MusicXML; the one-file convert was already quiet."""
    from conftest import LILYPOND

    from lstmfuse.io import save

    kern = tmp_path / "in" / "staffgroups.krn"
    kern.parent.mkdir()
    save(load(LILYPOND / "41c-StaffGroups.xml"), kern)
    proc = run_cli("batch", "convert", str(kern), "--to", "musicxml", "--out-dir", str(tmp_path / "out"), "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "midi channels" not in proc.stdout + proc.stderr
    assert (tmp_path / "out" / "staffgroups.musicxml").is_file()


def test_batch_cli_usage_errors(tmp_path, examples_dir):
    proc = run_cli("convert", str(examples_dir), "--to", "musicxml", cwd=tmp_path)
    assert proc.returncode == 2 and "needs both --to FORMAT and --out-dir FOLDER" in proc.stderr
    proc = run_cli("convert", str(tmp_path / "nothing-here"), "--to", "krn", "--out-dir", "o", cwd=tmp_path)
    assert proc.returncode == 2 and "no such file or folder" in proc.stderr
    proc = run_cli("convert", "a.krn", "b.krn", "c.krn", cwd=tmp_path)
    assert proc.returncode == 2 and "give IN OUT" in proc.stderr
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    proc = run_cli("convert", str(examples_dir), "--to", "krn", "--out-dir", str(blocker / "out"), cwd=tmp_path)
    assert proc.returncode == 2 and "cannot create the output folder" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_convert_out_dir_and_batch_convert_are_one_engine(tree, tmp_path):
    """``lstmfuse convert --out-dir`` and ``lstmfuse batch convert`` take the same files,
    write the same outputs and fail the same files (the journal aside)."""
    proc = run_cli("convert", str(tree), "--to", "musicxml", "--out-dir", str(tmp_path / "a"), cwd=tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stdout + proc.stderr
    proc = run_cli("batch", "convert", str(tree), "--to", "musicxml", "--out-dir", str(tmp_path / "b"), "-q", cwd=tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stdout + proc.stderr
    a = sorted(str(p.relative_to(tmp_path / "a")) for p in (tmp_path / "a").rglob("*") if p.is_file())
    b = sorted(str(p.relative_to(tmp_path / "b")) for p in (tmp_path / "b").rglob("*")
               if p.is_file() and p.name != ".lstmfuse-batch-journal.jsonl")
    assert a == b and len(a) == 6  # five good files, the ABC collection as two
    for rel in a:
        assert note_content(load(tmp_path / "a" / rel)) == note_content(load(tmp_path / "b" / rel)), rel
    assert "broken.krn:3: record has 1 spine(s) but 2 are open" in proc.stderr


def test_a_batch_conversion_to_musicxml_writes_what_the_schema_allows(tmp_path):
    """Humdrum's pedal marks have no pedal type; music21 then writes <pedal type="sustain">,
    which MusicXML 4.0 does not allow. ``lstmfuse convert IN OUT`` repaired that, but the
    batch engine (``convert DIR --to musicxml --out-dir``) exported the tree itself and did
    not: the LilyPond suite's 33a, through kern, came out invalid."""
    from conftest import LILYPOND

    from lstmfuse.io import save

    src = tmp_path / "in"
    src.mkdir()
    save(load(LILYPOND / "33a-Spanners.xml"), src / "33a.krn")
    assert "*ped" in (src / "33a.krn").read_text()
    result = batch.run([src], [batch.Convert("musicxml")], out_dir=tmp_path / "out")
    assert result.summary() == {"ok": 1}, result.files
    out = tmp_path / "out" / "33a.musicxml"
    assert "<pedal" in out.read_text() and validate_musicxml(out) == []
