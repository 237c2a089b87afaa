"""Batch conversion: library (lstmfuse.convert) and ``lstmfuse convert ... --out-dir``."""

from __future__ import annotations

import shutil

import pytest
from test_io_cli_errors import run_cli

from lstmfuse.convert import collect_sources, convert_many, plan_batch
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
    jobs = plan_batch([tree], "musicxml", tmp_path / "out")
    rel = sorted(str(j.target.relative_to(tmp_path / "out")) for j in jobs)
    assert rel == [
        "chorales/bach-bwv277.musicxml",
        "chorales/bwv66.6.musicxml",
        "folk/broken.musicxml",
        "folk/deep/essen-altdeu10-1.musicxml",
        "folk/oneills-0001.musicxml",
        "folk/two.musicxml",
    ]


def test_globs_and_bad_inputs(tree, tmp_path):
    pairs = collect_sources([str(tree / "**" / "*.krn")])
    assert sorted(str(rel) for _, rel in pairs) == [
        "chorales/bach-bwv277.krn",
        "folk/broken.krn",
        "folk/deep/essen-altdeu10-1.krn",
    ]
    with pytest.raises(UsageError, match="no such file or folder"):
        collect_sources([str(tmp_path / "nope")])
    with pytest.raises(UsageError, match="matches no files"):
        collect_sources([str(tmp_path / "*.nothing")])
    with pytest.raises(UsageError, match="unknown format"):
        plan_batch([tree], "pdf", tmp_path / "out")
    with pytest.raises(UsageError, match="cannot write abc"):
        plan_batch([tree], "abc", tmp_path / "out")


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
    b = tmp_path / "b"
    a.mkdir()
    b.mkdir()
    shutil.copy(examples_dir / "essen-altdeu10-1.krn", a / "song.krn")
    shutil.copy(examples_dir / "bach-bwv277.krn", b / "song.krn")
    jobs = plan_batch([a / "song.krn", b / "song.krn"], "musicxml", tmp_path / "out")
    result = convert_many(jobs, workers=1)
    assert [o.ok for o in result.outcomes] == [True, False]
    assert "would overwrite the output of" in result.outcomes[1].reason
    assert len(load(tmp_path / "out" / "song.musicxml").parts) == 1  # the first one's


def test_outputs_inside_the_input_folder_are_not_reconverted(tmp_path, examples_dir):
    shutil.copy(examples_dir / "essen-altdeu10-1.krn", tmp_path / "song.krn")
    jobs = plan_batch([tmp_path], "krn", tmp_path / "out")
    assert [j.source.name for j in jobs] == ["song.krn"]
    assert convert_many(jobs, workers=1).outcomes[0].ok
    again = plan_batch([tmp_path], "krn", tmp_path / "out")
    assert [j.source.name for j in again] == ["song.krn"]  # out/song.krn is not an input


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
