"""``lstmfuse info``: figures checked against the files themselves."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import LILYPOND
from test_io_cli_errors import run_cli

from lstmfuse.io.summary import summarise


def test_bach_chorale_kern(examples_dir):
    s = summarise(examples_dir / "bach-bwv277.krn")
    assert s.format == "kern"
    assert s.title == "25. Christ lag in Todesbanden"
    assert s.composer == "Bach, Johann Sebastian"
    assert len(s.parts) == 4
    assert s.meters == ["4/4"]
    assert s.measures == 14  # pickup bar 0 and bars 1-13 ("=13" is the last barline)
    assert (s.lowest, s.highest) == ("D2", "E5")
    assert s.duration_quarters == 49.0  # 1 pickup beat + 12 bars of 4/4
    assert s.duration_seconds is None  # the file states no tempo
    text = (examples_dir / "bach-bwv277.krn").read_text()
    # every kern note token that does not continue or end a tie ('_' or ']') starts a note
    tokens = [
        t
        for line in text.splitlines()
        if line and not line.startswith(("!", "*", "="))
        for i, t in enumerate(line.split("\t"))
        if i in (0, 2, 4, 6)  # the **kern spines (the others are lyrics)
        for t in t.split(" ")
    ]
    starts = [t for t in tokens if any(c.isalpha() and c.lower() in "abcdefg" for c in t) and "_" not in t and "]" not in t and "r" not in t]
    assert s.notes == len(starts)


def test_folk_song_musicxml_and_json_cli(tmp_path, examples_dir):
    proc = run_cli("info", str(examples_dir / "oneills-0001.musicxml"), "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["title"] == "The Enchanted Valley"
    assert data["parts"] == ["Part 1"] or len(data["parts"]) == 1
    assert data["key"] == "G minor"
    assert data["meters"] == ["2/4"]
    assert (data["lowest"], data["highest"]) == ("D4", "Bb5")
    xml = (examples_dir / "oneills-0001.musicxml").read_text()
    assert data["measures"] == xml.count("<measure ")
    pitched = xml.count("<note") - xml.count("<rest") - xml.count("<grace") - xml.count('<tie type="stop"')
    assert data["notes"] == pitched


def test_tempo_gives_seconds(tmp_path):
    s = summarise(LILYPOND / "31a-Directions.xml")
    assert s.tempos == [60.0]
    assert s.duration_quarters == 56.0
    assert s.duration_seconds == 56.0  # quarter = 60 assumed from the start, and said so
    assert "assumed from the start" in s.tempo_note
    proc = run_cli("info", str(LILYPOND / "31a-Directions.xml"), cwd=tmp_path)
    assert proc.returncode == 0
    assert "0:56.0" in proc.stdout


def test_abc_collection_tune_choice(tmp_path):
    abc = tmp_path / "two.abc"
    abc.write_text("X:1\nT:One\nM:2/4\nL:1/8\nK:G\nGABc|d2d2|\n\nX:2\nT:Two\nM:3/4\nL:1/4\nK:D\nDEF|A3|\n")
    first = summarise(abc)
    second = summarise(abc, tune=2)
    assert (first.title, first.notes, first.meters, first.tunes_in_file) == ("One", 6, ["2/4"], 2)
    assert (second.title, second.notes, second.meters, second.key) == ("Two", 4, ["3/4"], "D major")
    proc = run_cli("info", str(abc), "--tune", "3", cwd=tmp_path)
    assert proc.returncode == 2 and "has no tune number 3" in proc.stderr


def test_commands_that_read_one_tune_say_which_of_a_collection_they_took(tmp_path):
    """continue, regenerate, render and metrics read the first tune of an ABC collection; they
    now say so, so the other tunes are not thought lost."""
    abc = tmp_path / "two.abc"
    abc.write_text("X:1\nT:One\nM:2/4\nL:1/8\nK:G\nGABc|d2d2|GABc|d2d2|\n\nX:2\nT:Two\nM:3/4\nL:1/4\nK:D\nDEF|A3|\n")
    proc = run_cli("metrics", str(abc), cwd=tmp_path)
    assert proc.returncode == 0 and "holds 2 tunes; measured the first" in proc.stderr, proc.stderr
    assert "'lstmfuse convert' writes each to a file of its own" in " ".join(proc.stderr.split())  # how to reach the others
    proc = run_cli("continue", str(abc), "-g", "folk", "--bars", "1", "-o", str(tmp_path / "c.musicxml"), cwd=tmp_path)
    assert proc.returncode == 0 and "holds 2 tunes; continuing the first" in " ".join(proc.stdout.split()), proc.stdout


def test_a_non_traditional_key_signature_is_named_by_its_accidentals(tmp_path):
    """A signature of <key-step>/<key-alter> pairs has no count of sharps: ``info`` stopped
    with a TypeError traceback on 13c and 13d."""
    s = summarise(LILYPOND / "13c-KeySignatures-NonTraditional.xml")
    assert s.key == "non-traditional (F sharp, A flat, B flat)"
    assert s.keys[1] == "non-traditional (C double-flat, G double-sharp, D flat, B sharp, F natural)"
    proc = run_cli("info", str(LILYPOND / "13d-KeySignatures-Microtones.xml"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "B half-flat" in proc.stdout and "Traceback" not in proc.stderr


def test_continue_takes_the_tune_of_a_collection_it_is_told(tmp_path):
    """`continue --tune N`, as `info --tune N` counts: the second tune, its meter and key, in
    every variant; a tune the file does not hold is one line and no file."""
    abc = tmp_path / "two.abc"
    abc.write_text("X:1\nT:One\nM:2/4\nL:1/8\nK:G\nGABc|d2d2|GABc|d2d2|\n\nX:2\nT:Two\nM:3/4\nL:1/4\nK:D\nDEF|A3|DEF|A3|\n")
    proc = run_cli("continue", str(abc), "--tune", "2", "-g", "folk", "--bars", "2", "--seed", "1", "-n", "2",
                   "-o", str(tmp_path / "c.musicxml"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "holds 2 tunes" not in proc.stdout + proc.stderr
    for k in (1, 2):
        text = (tmp_path / f"c-{k}.musicxml").read_text()
        assert "<beats>3</beats>" in text and "<fifths>2</fifths>" in text and "Two" in text, k
    proc = run_cli("continue", str(abc), "--tune", "3", "-g", "folk", "-o", str(tmp_path / "d.musicxml"), cwd=tmp_path)
    assert proc.returncode != 0 and "has no tune number 3" in proc.stderr and not (tmp_path / "d.musicxml").exists()
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    # regenerate and fuse --seed-file take it too
    proc = run_cli("regenerate", str(abc), "--tune", "2", "--bars", "2", "-g", "folk", "--seed", "1", "-o", str(tmp_path / "r.musicxml"), cwd=tmp_path)
    assert proc.returncode == 0 and "holds 2 tunes" not in proc.stdout + proc.stderr, proc.stderr
    assert "<beats>3</beats>" in (tmp_path / "r.musicxml").read_text()
    proc = run_cli("fuse", "-w", "folk=1", "--seed-file", str(abc), "--tune", "2", "--bars", "1", "--seed", "1", "-o", str(tmp_path / "f.musicxml"), cwd=tmp_path)
    assert proc.returncode == 0 and "<beats>3</beats>" in (tmp_path / "f.musicxml").read_text(), proc.stderr
    proc = run_cli("fuse", "-w", "folk=1", "--tune", "2", "-o", str(tmp_path / "g.musicxml"), cwd=tmp_path)
    assert proc.returncode == 2 and "give --seed-file" in proc.stderr and not (tmp_path / "g.musicxml").exists()


def test_render_metrics_and_convert_take_the_tune_of_a_collection_they_are_told(tmp_path):
    """`render --tune N` engraves the N-th tune, `metrics --tune N` measures it and `convert
    --tune N IN OUT` writes it, with no note that the first was taken; a kern file asked for
    its second tune is one line, no file."""
    abc = tmp_path / "two.abc"
    abc.write_text("X:1\nT:One\nM:2/4\nL:1/8\nK:G\nGABc|d2d2|GABc|d2d2|\n\nX:2\nT:Two\nM:3/4\nL:1/4\nK:D\nDEF|A3|DEF|A3|\n")
    proc = run_cli("render", str(abc), "--tune", "2", "-o", str(tmp_path / "two.svg"), cwd=tmp_path)
    assert proc.returncode == 0 and "holds 2 tunes" not in proc.stdout + proc.stderr, proc.stderr
    svg = (tmp_path / "two.svg").read_text()
    assert ">Two<" in svg and ">One<" not in svg
    proc = run_cli("metrics", str(abc), "--tune", "2", "--json", cwd=tmp_path)
    assert proc.returncode == 0 and "holds 2 tunes" not in proc.stderr, proc.stderr
    assert json.loads(proc.stdout)[0]["n_notes"] == 8  # tune 1 has 12
    proc = run_cli("render", str(abc), "--tune", "3", "-o", str(tmp_path / "three.svg"), cwd=tmp_path)
    assert proc.returncode != 0 and "has no tune number 3" in proc.stderr and not (tmp_path / "three.svg").exists()
    proc = run_cli("convert", str(abc), "--tune", "2", str(tmp_path / "two.musicxml"), cwd=tmp_path)
    assert proc.returncode == 0 and "holds 2 tunes" not in proc.stderr, proc.stderr
    text = (tmp_path / "two.musicxml").read_text()
    assert "<beats>3</beats>" in text and "Two" in text and "One" not in text
    proc = run_cli("convert", str(abc), "--tune", "2", "--to", "krn", "--out-dir", str(tmp_path / "all"), cwd=tmp_path)
    assert proc.returncode == 2 and "--tune picks one tune" in proc.stderr and not (tmp_path / "all").exists()
    krn = Path(__file__).resolve().parents[1] / "examples" / "bach-bwv277.krn"
    proc = run_cli("render", str(krn), "--tune", "2", "-o", str(tmp_path / "k.svg"), cwd=tmp_path)
    assert proc.returncode != 0 and "has no tune number 2" in proc.stderr and not (tmp_path / "k.svg").exists()
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
