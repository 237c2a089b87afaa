"""The score loader and writer on real files: formats, atomic writes, one-line errors."""

from __future__ import annotations

import pytest

from lstmfuse.errors import ScoreReadError, ScoreWriteError
from lstmfuse.io import detect_format, load, load_all, save


def _notes(score):
    merged = score.parts[0].stripTies()  # MIDI has no ties: compare sounding notes
    return [(n.pitch.midi, float(n.offset), float(n.quarterLength)) for n in merged.flatten().notes if n.isNote]


def test_detects_format_from_content_not_extension(tmp_path, examples_dir):
    lying = tmp_path / "chorale.xml"
    lying.write_bytes((examples_dir / "bach-bwv277.krn").read_bytes())
    assert detect_format(lying) == "kern"
    assert len(load(lying).parts) == 4


@pytest.mark.parametrize("suffix", [".krn", ".musicxml", ".mxl", ".mid"])
def test_save_and_reload_each_format(tmp_path, examples_dir, suffix):
    score = load(examples_dir / "essen-altdeu10-1.krn")
    out = save(score, tmp_path / f"song{suffix}")
    again = load(out)
    pitches = [p for p, _, _ in _notes(again)]
    assert pitches == [p for p, _, _ in _notes(score)]


def test_abc_collection_yields_every_tune(corpus_dir):
    tunes = list(load_all(corpus_dir / "essenFolksong" / "altdeu10.abc"))
    assert len(tunes) > 10
    assert all(t.recurse().notes for t in tunes)


def test_one_tune_of_an_abc_collection_is_read_alone_and_is_the_same_tune(corpus_dir, tmp_path):
    """load(path, index) parses only that tune (music21's ``number``, by its X: number): a
    313-tune file took 9 s to give its first tune. Each tune read alone is the collection's
    own; X: numbers out of order are followed by position, and a file that repeats an X:
    number is read whole."""
    import time

    path = corpus_dir / "essenFolksong" / "erk5.abc"
    whole = list(load_all(path))
    for i in (0, 5, len(whole) - 1):
        alone = load(path, i)
        assert _notes(alone) == _notes(whole[i]) and alone.metadata.title == whole[i].metadata.title
    with pytest.raises(ScoreReadError, match=f"no tune number {len(whole) + 1}"):
        load(path, len(whole))
    started = time.perf_counter()
    load(corpus_dir / "essenFolksong" / "altdeu10.abc", 200)
    assert time.perf_counter() - started < 3.0  # the whole file: about 9 s
    text = path.read_text(encoding="latin-1")
    blocks = text.split("\nX:")
    shuffled = tmp_path / "shuffled.abc"  # the second tune first, as X:2 then X:1
    shuffled.write_text(blocks[0] + "\nX:" + blocks[2] + "\nX:" + blocks[1] + "\n", encoding="latin-1")
    assert _notes(load(shuffled, 0)) == _notes(whole[1]) and _notes(load(shuffled, 1)) == _notes(whole[0])
    twice = tmp_path / "twice.abc"
    twice.write_text(blocks[0] + "\nX:" + blocks[1] + "\nX:" + blocks[1] + "\n", encoding="latin-1")
    assert _notes(load(twice, 1)) == _notes(whole[0])


def test_save_refuses_to_clobber_and_leaves_no_partial_file(tmp_path, examples_dir):
    score = load(examples_dir / "essen-altdeu10-1.krn")
    target = tmp_path / "out.musicxml"
    target.write_text("precious")
    with pytest.raises(ScoreWriteError, match="already exists"):
        save(score, target)
    assert target.read_text() == "precious"
    save(score, target, force=True)
    assert "score-partwise" in target.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["out.musicxml"]


def test_mismatched_spines_name_the_line(tmp_path):
    bad = tmp_path / "bad.krn"
    bad.write_text("**kern\t**kern\n4c\t4d\n4e\n*-\t*-\n")
    with pytest.raises(ScoreReadError) as info:
        load(bad)
    assert str(info.value) == f"{bad}:3: record has 1 spine(s) but 2 are open"


def test_unwritable_folder_is_a_one_line_error_from_the_library(tmp_path, examples_dir):
    score = load(examples_dir / "essen-altdeu10-1.krn")
    with pytest.raises(ScoreWriteError, match="cannot create a file in its folder|not writable"):
        save(score, "/sys/lstmfuse-test.musicxml")
