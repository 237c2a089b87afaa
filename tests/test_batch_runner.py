"""The batch runner and CLI: outputs, in-place with backups, failures, reports, resume, -j, recipes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORPUS, EXAMPLES, LILYPOND

from lstmfuse import batch
from lstmfuse.batch import safety
from lstmfuse.errors import UsageError

LSTMFUSE = [sys.executable, "-m", "lstmfuse"]


def _cli(*args, cwd=None, check_rc=None):
    proc = subprocess.run([*LSTMFUSE, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300)
    if check_rc is not None:
        assert proc.returncode == check_rc, proc.stdout + proc.stderr
    return proc


@pytest.fixture
def scores(tmp_path) -> Path:
    """A small library: chorales in two folders, a LilyPond file, one broken file."""
    lib = tmp_path / "lib"
    (lib / "a").mkdir(parents=True)
    (lib / "b" / "deep").mkdir(parents=True)
    for name in ("bwv66.6.mxl", "bwv7.7.mxl"):
        shutil.copy(CORPUS / "bach" / name, lib / "a" / name)
    shutil.copy(CORPUS / "bach" / "bwv10.7.mxl", lib / "b" / "deep" / "bwv10.7.mxl")
    shutil.copy(LILYPOND / "01a-Pitches-Pitches.xml", lib / "b" / "pitches.xml")
    (lib / "b" / "broken.musicxml").write_text("<?xml version='1.0'?><score-partwise><part-list>")
    return lib


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_out_dir_mirrors_tree_and_failure_is_isolated(scores, tmp_path):
    before = _snapshot(scores)
    out = tmp_path / "out"
    res = batch.run([scores], [batch.Transpose("+M2")], out_dir=out, report=tmp_path / "r.json")
    assert res.exit_code == 1
    assert res.summary() == {"ok": 4, "failed": 1}
    assert (out / "a" / "bwv66.6.mxl").exists() and (out / "b" / "deep" / "bwv10.7.mxl").exists()
    assert (out / "b" / "pitches.xml").exists() and not (out / "b" / "broken.musicxml").exists()
    assert _snapshot(scores) == before  # inputs untouched
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["summary"] == {"ok": 4, "failed": 1}
    assert len(report["files"]) == 5
    bad = [f for f in report["files"] if f["status"] == "failed"][0]
    assert "broken.musicxml" in bad["error"] and "malformed XML" in bad["error"] and "\n" not in bad["error"]
    # the same again refuses to overwrite without --force, file by file
    res2 = batch.run([scores / "a"], [batch.Transpose("+M2")], out_dir=out / "a")
    assert res2.summary() == {"failed": 2}
    assert "already exists" in res2.files[0].error
    res3 = batch.run([scores / "a"], [batch.Transpose("+M2")], out_dir=out / "a", force=True)
    assert res3.summary() == {"ok": 2}


def test_in_place_keeps_backup_and_failing_file_untouched(scores):
    before = _snapshot(scores)
    res = batch.run([scores / "a", scores / "b" / "broken.musicxml"], [batch.SetMeta(composer="JSB")], in_place=True)
    assert res.exit_code == 1
    for name in ("bwv66.6.mxl", "bwv7.7.mxl"):
        assert (scores / "a" / (name + ".bak")).read_bytes() == before[f"a/{name}"]
        assert (scores / "a" / name).read_bytes() != before[f"a/{name}"]
    assert (scores / "b" / "broken.musicxml").read_bytes() == before["b/broken.musicxml"]
    assert not (scores / "b" / "broken.musicxml.bak").exists()
    # a second in-place batch keeps the oldest original in .bak
    batch.run([scores / "a"], [batch.Transpose("+M2")], in_place=True)
    assert (scores / "a" / "bwv66.6.mxl.bak").read_bytes() == before["a/bwv66.6.mxl"]
    # no backup when asked
    batch.run([scores / "b" / "pitches.xml"], [batch.Transpose("+M2")], in_place=True, backup=False)
    assert not (scores / "b" / "pitches.xml.bak").exists()
    # backups are never picked up as inputs
    assert all(not f.endswith(".bak") for f in map(str, batch.expand_inputs([scores])))


def test_in_place_keeps_file_mode(scores):
    f = scores / "a" / "bwv66.6.mxl"
    os.chmod(f, 0o640)
    batch.run([f], [batch.Transpose("+M2")], in_place=True)
    assert (f.stat().st_mode & 0o777) == 0o640


def test_unchanged_in_place_file_is_not_rewritten(scores):
    f = scores / "b" / "pitches.xml"
    mtime = f.stat().st_mtime_ns
    res = batch.run([f], [batch.Transpose("P1")], in_place=True)
    assert res.files[0].status == "unchanged" and f.stat().st_mtime_ns == mtime
    assert not (scores / "b" / "pitches.xml.bak").exists()


def test_dry_run_writes_nothing_and_reports_changes(scores, tmp_path):
    before = _snapshot(scores)
    res = batch.run([scores], [batch.Transpose("-m3"), batch.ExtractParts(("1",))], dry_run=True, out_dir=tmp_path / "o")
    assert _snapshot(scores) == before and not (tmp_path / "o").exists()
    ok = [f for f in res.files if f.status == "dry-run"]
    assert len(ok) == 4
    chorale = next(f for f in ok if f.source.endswith("bwv66.6.mxl"))
    assert chorale.changes["transpose"]["interval"] == "-m3" and chorale.changes["transpose"]["pitches"] > 50
    assert chorale.changes["extract-parts"]["parts"] == 1


def test_resume_skips_done_files_and_refuses_other_recipe(scores, tmp_path):
    out = tmp_path / "out"
    files = [scores / "a", scores / "b" / "deep"]
    res = batch.run(files, [batch.Transpose("+M2")], out_dir=out)
    assert res.summary() == {"ok": 3}
    journal = out / safety.JOURNAL_NAME
    assert journal.exists()
    # lose one output: resume redoes exactly that one
    (out / "a" / "bwv7.7.mxl").unlink()
    res = batch.run(files, [batch.Transpose("+M2")], out_dir=out, resume=True)
    assert res.summary() == {"skipped": 2, "ok": 1}
    with pytest.raises(UsageError, match="different batch"):
        batch.run(files, [batch.Transpose("+M3")], out_dir=out, resume=True)


def test_resume_never_overwrites_a_file_the_batch_did_not_write(scores, tmp_path):
    """--resume used to mean --force for every output: a file the user kept in the output
    folder, or an output edited after the batch wrote it, was overwritten without a word."""
    out = tmp_path / "out"
    files = [scores / "a"]
    out.mkdir()
    mine = out / "bwv7.7.mxl"
    mine.write_text("hand-edited")
    res = batch.run(files, [batch.Transpose("+M2")], out_dir=out, resume=True)
    assert res.summary() == {"ok": 1, "failed": 1}
    assert mine.read_text() == "hand-edited"
    assert "already exists" in next(r.error for r in res.files if r.status == "failed")
    # and again: the failed file's claim is settled, so a second --resume leaves it too
    res = batch.run(files, [batch.Transpose("+M2")], out_dir=out, resume=True)
    assert res.summary() == {"skipped": 1, "failed": 1} and mine.read_text() == "hand-edited"
    # an output the batch wrote and the user then edited is theirs now
    done = out / "bwv66.6.mxl"
    done.write_text("edited after the batch")
    res = batch.run(files, [batch.Transpose("+M2")], out_dir=out, resume=True)
    assert res.summary() == {"failed": 2} and done.read_text() == "edited after the batch"
    res = batch.run(files, [batch.Transpose("+M2")], out_dir=out, resume=True, force=True)
    assert res.summary() == {"ok": 2} and mine.read_bytes() != b"hand-edited"


def test_a_claimed_output_left_by_a_kill_is_written_again_on_resume(scores, tmp_path):
    """A file written just before a kill, its result not yet journaled: the journal's claim
    (made when no file was there) lets --resume write it again without --force."""
    out = tmp_path / "out"
    files = [scores / "a"]
    res = batch.run(files, [batch.Transpose("+M2")], out_dir=out)
    assert res.summary() == {"ok": 2}
    journal = out / safety.JOURNAL_NAME
    lines = journal.read_text().splitlines()
    assert sum('"claimed"' in line for line in lines) == 2
    # the kill came after bwv66.6's file was renamed into place and before its result line
    journal.write_text("\n".join(line for line in lines if not ("bwv66.6" in line and '"claimed"' not in line)) + "\n")
    (out / "bwv66.6.mxl").write_bytes(b"half a run ago")
    res = batch.run(files, [batch.Transpose("+M2")], out_dir=out, resume=True)
    assert sorted(r.status for r in res.files) == ["ok", "skipped"]
    assert (out / "bwv66.6.mxl").read_bytes() != b"half a run ago"


def test_a_rerun_that_fails_keeps_the_journal_of_the_same_batch(scores, tmp_path):
    """Run again without --resume, every file fails (its output exists): the journal kept only
    its header, and a later --resume redid, and overwrote, every file."""
    out = tmp_path / "out"
    files = [scores / "a"]
    assert batch.run(files, [batch.Transpose("+M2")], out_dir=out).summary() == {"ok": 2}
    assert batch.run(files, [batch.Transpose("+M2")], out_dir=out).summary() == {"failed": 2}
    res = batch.run(files, [batch.Transpose("+M2")], out_dir=out, resume=True)
    assert res.summary() == {"skipped": 2}
    # another batch into the same folder starts a journal of its own
    assert batch.run(files, [batch.Transpose("+M3")], out_dir=out).summary() == {"failed": 2}
    with pytest.raises(UsageError, match="different batch"):
        batch.run(files, [batch.Transpose("+M2")], out_dir=out, resume=True)


def test_resume_in_place_never_applies_twice(scores):
    files = [scores / "a"]
    res = batch.run(files, [batch.Transpose("+M2")], in_place=True)
    once = _snapshot(scores / "a")
    res = batch.run(files, [batch.Transpose("+M2")], in_place=True, resume=True)
    assert res.summary() == {"skipped": 2}
    assert _snapshot(scores / "a") == once
    # a file replaced just before a kill (pending marker, no journal line) counts as done
    f = scores / "a" / "bwv66.6.mxl"
    j = scores / "a" / safety.JOURNAL_NAME
    lines = j.read_text().splitlines()
    j.write_text("\n".join(line for line in lines if "bwv66.6" not in line) + "\n")
    src_sha = safety.sha256((scores / "a" / "bwv66.6.mxl.bak").read_bytes())
    safety.write_pending(f, src_sha, safety.file_sha(f))
    res = batch.run(files, [batch.Transpose("+M2")], in_place=True, resume=True)
    assert sorted(r.status for r in res.files) == ["ok", "skipped"]
    assert (scores / "a" / "bwv66.6.mxl").read_bytes() == once["bwv66.6.mxl"]
    assert not safety.pending_path(f).exists()


def test_jobs_2_gives_the_same_bytes_as_jobs_1(scores, tmp_path):
    ops = [batch.Transpose("-m3"), batch.SetTempo(bpm=80)]
    r1 = batch.run([scores], ops, out_dir=tmp_path / "j1")
    r2 = batch.run([scores], ops, out_dir=tmp_path / "j2", jobs=2)
    assert r1.summary() == r2.summary() == {"ok": 4, "failed": 1}
    assert _snapshot(tmp_path / "j1") .keys() - {safety.JOURNAL_NAME} == _snapshot(tmp_path / "j2").keys() - {safety.JOURNAL_NAME}
    for k, v in _snapshot(tmp_path / "j1").items():
        if k != safety.JOURNAL_NAME:
            assert _snapshot(tmp_path / "j2")[k] == v


def test_usage_errors():
    with pytest.raises(UsageError, match="--out-dir FOLDER or --in-place"):
        batch.run([LILYPOND / "01a-Pitches-Pitches.xml"], [batch.Transpose("+M2")])
    with pytest.raises(UsageError, match="not both"):
        batch.run([LILYPOND / "01a-Pitches-Pitches.xml"], [batch.Transpose("+M2")], out_dir="x", in_place=True)
    with pytest.raises(UsageError, match="no file matches"):
        batch.run(["/nonexistent/*.xml"], [batch.Transpose("+M2")], dry_run=True)
    with pytest.raises(UsageError, match="unknown engine"):
        batch.run([LILYPOND / "01a-Pitches-Pitches.xml"], [batch.Transpose("+M2")], dry_run=True, engine="spark")


def test_missing_file_fails_alone(tmp_path):
    res = batch.run([tmp_path / "nope.xml", LILYPOND / "01a-Pitches-Pitches.xml"], [batch.Transpose("+M2")],
                    out_dir=tmp_path / "o")
    assert [f.status for f in res.files] == ["failed", "ok"]
    assert "no such file" in res.files[0].error


def test_recipe_loading_errors(tmp_path):
    r = tmp_path / "r.toml"
    r.write_text('[[steps]]\nop = "transpose"\ninterval = "+Q2"\n')
    with pytest.raises(UsageError, match="step 1: bad interval"):
        batch.load_recipe(r)
    r.write_text('[[steps]]\nop = "twist"\n')
    with pytest.raises(UsageError, match="unknown op 'twist'"):
        batch.load_recipe(r)
    r.write_text("steps = 3\n")
    with pytest.raises(UsageError, match="at least one"):
        batch.load_recipe(r)
    r.write_text("[[steps]\n")
    with pytest.raises(UsageError, match="not valid TOML"):
        batch.load_recipe(r)


def test_example_recipe_runs(tmp_path):
    recipe = EXAMPLES / "batch-recipe.toml"
    out = tmp_path / "out"
    proc = _cli("batch", "recipe", recipe, "--out-dir", out, "--report", tmp_path / "r.json", "-q", check_rc=0)
    assert "1 ok" in proc.stdout
    mxl = out / "oneills-0001.mxl"
    data, _ = batch.apply(mxl, [batch.Convert("musicxml")])
    assert b"Traditional" in data and b'tempo="112"' in data
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["files"][0]["changes"]["transpose"]["interval"] == "+M2"


def test_example_script_runs(tmp_path):
    proc = subprocess.run([sys.executable, str(EXAMPLES / "batch_transpose.py"), str(tmp_path / "o"), "6"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "6 chorales, 0 failed" in proc.stdout
    assert len(list((tmp_path / "o").rglob("*.mxl"))) == 6


def test_cli_end_to_end(scores, tmp_path):
    out = tmp_path / "out"
    proc = _cli("batch", "transpose", scores / "a", "--interval", "-m3", "--out-dir", out, "-j", "2",
                "--report", tmp_path / "r.json", check_rc=0)
    assert "2 ok" in proc.stdout
    proc = _cli("batch", "extract-parts", f"{scores}/**/*.mxl", "-p", "Soprano", "--dry-run", check_rc=0)
    assert "extract-parts: parts 1" in proc.stdout
    proc = _cli("batch", "transpose", scores / "b", "--interval", "+M2", "--in-place")
    assert proc.returncode == 1 and "failed:" in proc.stderr and "broken.musicxml" in proc.stderr
    proc = _cli("batch", "transpose", scores / "a", "--interval", "Q9", "-n")
    assert proc.returncode == 2 and proc.stderr.strip().startswith("error: bad interval 'Q9'")
    assert len(proc.stderr.strip().splitlines()) == 1
    proc = _cli("batch", "frobnicate", scores)
    assert proc.returncode == 2
    proc = _cli("batch", "remove-parts", scores / "a", "-p", "Viola", "-n")
    assert proc.returncode == 1 and "no part 'Viola'" in proc.stderr
    proc = _cli("batch", "set-key", scores / "a", "-n")
    assert proc.returncode == 2 and "set-key needs a key" in proc.stderr
    proc = _cli("batch", "ops", check_rc=0)
    assert "transpose" in proc.stdout and "reorder-parts" in proc.stdout
    proc = _cli("batch", "transpose", "--help", check_rc=0)
    assert "Examples" in proc.stdout and "--to-key" in proc.stdout


def test_every_op_command_has_help_with_examples():
    from typer.testing import CliRunner

    from lstmfuse.batch.ops import load_ops
    from lstmfuse.cli import app

    runner = CliRunner()
    for name in load_ops():
        result = runner.invoke(app, ["batch", name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        assert "Examples" in result.output and "--out-dir" in result.output and "--dry-run" in result.output
