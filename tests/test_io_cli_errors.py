"""Bad input through the real command line (``python -m lstmfuse`` in a subprocess).

Every failure must exit 2 with exactly one line on stderr that names the file (and the
line where the format has lines), print no traceback, and leave no output file behind.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["COLUMNS"] = "200"  # rich wraps at the terminal width; keep one line one line
    return subprocess.run(
        [sys.executable, "-m", "lstmfuse", *args], cwd=cwd, capture_output=True, text=True, timeout=300, env=env
    )


def make_bad_inputs(folder: Path, examples: Path) -> dict[str, tuple[str, str]]:
    """name -> (file, text every error about it must contain)."""
    (folder / "empty.krn").write_bytes(b"")
    xml = (examples / "oneills-0001.musicxml").read_bytes()
    (folder / "truncated.musicxml").write_bytes(xml[:700])
    (folder / "garbage.mid").write_bytes(bytes(range(256)) * 8)
    (folder / "spines.krn").write_text("**kern\t**kern\n*M4/4\t*M4/4\n4c\t4e\n4d\n*-\t*-\n")
    (folder / "adir").mkdir()
    (folder / "zero-meter.abc").write_text("X:1\nT:Tune\nM:9/0\nL:1/8\nK:G\nGAB c2d|\n")  # music21: "float division by zero"
    return {
        "empty": ("empty.krn", "empty.krn: file is empty"),
        "truncated": ("truncated.musicxml", "truncated.musicxml:"),  # with a line number
        "garbage": ("garbage.mid", "garbage.mid: "),
        "spines": ("spines.krn", "spines.krn:4: record has 1 spine(s) but 2 are open"),
        "directory": ("adir", "adir: is a directory"),
        "missing": ("missing.krn", "missing.krn: no such file"),
        "zero_meter": ("zero-meter.abc", "zero-meter.abc: line 3: M:9/0 is not a meter"),
    }


def assert_one_line_error(proc: subprocess.CompletedProcess, must_contain: str) -> None:
    err_lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert len(err_lines) == 1, proc.stderr
    assert err_lines[0].startswith("error: "), proc.stderr
    assert must_contain in err_lines[0], (must_contain, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout


@pytest.fixture(scope="module")
def bad(tmp_path_factory, examples_dir):
    folder = tmp_path_factory.mktemp("bad")
    return folder, make_bad_inputs(folder, examples_dir)


def _listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


CASES = ["empty", "truncated", "garbage", "spines", "directory", "missing", "zero_meter"]


@pytest.mark.parametrize("case", CASES)
def test_convert_bad_input(bad, case):
    folder, inputs = bad
    before = _listing(folder)
    src, expect = inputs[case]
    proc = run_cli("convert", src, "out.musicxml", cwd=folder)
    assert_one_line_error(proc, expect)
    assert _listing(folder) == before  # no output, no temporary leftovers


@pytest.mark.parametrize("case", CASES)
def test_info_bad_input(bad, case):
    folder, inputs = bad
    src, expect = inputs[case]
    proc = run_cli("info", src, cwd=folder)
    assert_one_line_error(proc, expect)
    assert proc.stdout == ""


@pytest.mark.parametrize("case", CASES)
def test_render_bad_input(bad, case):
    folder, inputs = bad
    before = _listing(folder)
    src, expect = inputs[case]
    proc = run_cli("render", src, "-o", "out.svg", cwd=folder)
    assert_one_line_error(proc, expect)
    assert _listing(folder) == before


@pytest.mark.parametrize("case", CASES)
def test_validate_bad_input(bad, case):
    folder, inputs = bad
    src, expect = inputs[case]
    if case in ("garbage", "spines", "zero_meter"):
        expect = f"{src}: not a MusicXML file"  # validate only reads MusicXML
    proc = run_cli("validate", src, cwd=folder)
    assert_one_line_error(proc, expect)


def test_truncated_xml_names_the_line(bad):
    folder, _ = bad
    proc = run_cli("info", "truncated.musicxml", cwd=folder)
    line = proc.stderr.strip().split("truncated.musicxml:", 1)[1].split(":", 1)[0]
    assert line.isdigit() and int(line) > 1, proc.stderr


def test_unwritable_output_paths(tmp_path, examples_dir):
    src = examples_dir / "essen-altdeu10-1.krn"
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    targets = [str(blocker / "out.musicxml")]  # a "folder" that is a regular file
    if Path("/sys").is_dir():
        targets.append("/sys/lstmfuse-test-out.musicxml")  # read-only even for root
    if os.geteuid() != 0:  # permissions do not stop root
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        targets.append(str(locked / "out.musicxml"))
    before = _listing(tmp_path)
    for target in targets:
        proc = run_cli("convert", str(src), target, cwd=tmp_path)
        assert_one_line_error(proc, target)
        proc = run_cli("render", str(src), "-o", target.replace(".musicxml", ".svg"), cwd=tmp_path)
        assert_one_line_error(proc, target.replace(".musicxml", ".svg"))
    assert _listing(tmp_path) == before
    assert not Path("/sys/lstmfuse-test-out.musicxml").exists()


def test_existing_output_is_not_clobbered(tmp_path, examples_dir):
    target = tmp_path / "song.musicxml"
    target.write_text("precious")
    proc = run_cli("convert", str(examples_dir / "essen-altdeu10-1.krn"), str(target), cwd=tmp_path)
    assert_one_line_error(proc, "already exists (use --force to overwrite)")
    assert target.read_text() == "precious"
    proc = run_cli("convert", str(examples_dir / "essen-altdeu10-1.krn"), str(target), "--force", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "score-partwise" in target.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["song.musicxml"]


def test_unknown_output_format_is_one_line(tmp_path, examples_dir):
    proc = run_cli("convert", str(examples_dir / "essen-altdeu10-1.krn"), "out.pdf", cwd=tmp_path)
    assert_one_line_error(proc, "cannot tell the output format from 'out.pdf'")
    proc = run_cli("render", str(examples_dir / "essen-altdeu10-1.krn"), "-o", "out.pdf", cwd=tmp_path)
    assert_one_line_error(proc, "must end in .svg or .png")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args, message",
    [
        (["continue"], "lstmfuse continue: Missing argument 'source'. (see 'lstmfuse continue --help')"),
        (["fuse", "--bogus"], "lstmfuse fuse: No such option: --bogus"),
        (["continue", "x.musicxml", "--bars", "abc", "-o", "out.musicxml"], "Invalid value for '--bars'"),
        (["batch", "transpose", "--semitones", "2"], "lstmfuse batch transpose: "),
        # meters and keys no score can write: refused before any music is made (0/4 was a
        # ZeroDivisionError; 99/4 failed when the file was written; G# wrote 8 sharps)
        (["fuse", "-w", "folk=1", "--meter", "0/4", "-o", "out.musicxml"], "not a time signature: '0/4'"),
        (["fuse", "-w", "folk=1", "--meter", "99/4", "-o", "out.musicxml"], "meter 99/4: a bar of 99 quarters is longer"),
        (["fuse", "-w", "folk=1", "--meter", "4/3", "-o", "out.musicxml"], "meter 4/3: the beat must be"),
        (["fuse", "-w", "folk=1", "--key", "G#", "-o", "out.musicxml"], "G# major needs 8 sharps (a signature has at most 7): write it as Ab"),
        (["fuse", "-w", "folk=1", "--seed-file", "x.krn", "--meter", "3/4", "-o", "out.musicxml"],
         "--meter applies without --seed-file: a continuation keeps the passage's own meter and key"),
        # an option that takes one value, given twice: click kept the last without a word
        (["fuse", "-w", "folk=1", "--bars", "2", "-b6", "-o", "out.musicxml"], "lstmfuse fuse: --bars given 2 times (--bars 2, -b 6)"),
        (["fuse", "-w", "folk=1", "-o", "a.musicxml", "-o", "b.musicxml"], "--out given 2 times (-o a.musicxml, -o b.musicxml)"),
        (["batch", "transpose", "x.krn", "--interval", "+M2", "--interval=-m3", "--out-dir", "o"],
         "lstmfuse batch transpose: --interval given 2 times (--interval +M2, --interval -m3): it takes one value"),
    ],
)
def test_command_line_usage_errors_are_one_line(tmp_path, args, message):
    """Click's usage errors come out like every other user error: one line, exit 2, no box."""
    r = run_cli(*args, cwd=tmp_path)
    assert r.returncode == 2, r
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], r.stderr
    assert "╭" not in r.stderr and "Traceback" not in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_help_still_exits_zero_and_bare_command_shows_help(tmp_path):
    assert run_cli("continue", "--help", cwd=tmp_path).returncode == 0
    bare = run_cli(cwd=tmp_path)
    assert bare.returncode == 2 and "Usage: lstmfuse" in bare.stdout + bare.stderr


def test_options_meant_to_repeat_and_values_that_look_like_options_are_not_counted():
    from lstmfuse.cli.repeated import repeated_option

    assert repeated_option(["fuse", "-w", "folk=0.5", "-w", "irish=0.5", "-o", "x.musicxml"]) is None
    assert repeated_option(["batch", "transpose", "lib", "--interval", "-m3", "--out-dir", "o"]) is None
    assert repeated_option(["fuse", "--png", "--png", "-w", "folk=1", "-o", "x.musicxml"]) is None  # a flag
    assert repeated_option(["continue", "a.krn", "-g", "folk", "-o", "x.krn", "--", "-g"]) is None  # after --
    assert "--genre given 2 times" in repeated_option(["continue", "a.krn", "-g", "folk", "--genre=irish", "-o", "x.krn"])


def test_ranges_and_report_paths_are_named_in_one_line(tmp_path):
    """An inverted range says so (it said "too narrow"); a report under a file is refused
    before any output is written (it was refused after all of them). (A composite meter such
    as 3+2/8, refused here in one line until 2026-12-04, is now continued:
    tests/test_beat_groups.py.)"""
    proc = run_cli("fuse", "-w", "folk=1", "--lowest", "C6", "--highest", "C4", "-o", "out.musicxml", cwd=tmp_path)
    assert_one_line_error(proc, "the lowest pitch (84) is above the highest (60)")
    (tmp_path / "afile").write_text("")
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.krn").write_text("**kern\n*M2/4\n4c\n4d\n*-\n")
    proc = run_cli("batch", "transpose", str(src), "-i", "+M2", "--out-dir", "out", "--report", "afile/r.json", cwd=tmp_path)
    assert_one_line_error(proc, "--report afile/r.json: afile is a file, not a folder")
    assert not (tmp_path / "out").exists()
