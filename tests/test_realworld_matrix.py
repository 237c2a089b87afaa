"""Every real-world file x every operation: succeeds with the facts kept, or one line.

Operations: ``info``; convert to kern and read back; convert to MusicXML, validate it and
read back; engrave page 1; read the passage ``continue`` would continue (part choice,
melody, encoding). "Facts" are what a user checks: notes, rests, measures, length, range,
tempo, title, part names. Run as a script for the table in docs/io.md::

    .venv/bin/python tests/test_realworld_matrix.py            # the whole set
    .venv/bin/python tests/test_realworld_matrix.py --quick    # what the test runs
    .venv/bin/python tests/test_realworld_matrix.py --dir /work/realworld-cache

``--dir`` runs every score file of a folder (the 45 real-world files of issue 15, fetched
outside the repository) through more operations: ``validate`` of the source (MusicXML),
a real ``continue`` (2 bars, folk, seed 1, the CLI's default part 0; "ok" when the new
bars hold notes and none lasts longer than two bars) and ``batch transpose +M2`` (the
facts kept, the range a whole tone up).
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "realworld"
EXAMPLES = HERE.parent / "examples"

#: music21's bundled corpus files of the kinds issue 15 met (Sapp's kern editions of Bach,
#: Beethoven and Chopin; MusicXML piano and song scores)
CORPUS = [
    "bach/bwv277.krn", "bach/bwv281.krn", "bach/bwv366.krn", "chopin/mazurka06-2.krn",
    "beethoven/opus18no1/movement2.krn", "beethoven/opus18no1/movement3.krn",
    "joplin/maple_leaf_rag.mxl", "schubert/Lindenbaum.xml", "schumann_clara/polonaise_op1n1.mxl",
    "schumann_clara/polonaise_op1n4.mxl", "bach/bwv66.6.mxl", "demos/drum_sample.xml",
    "leadSheet/fosterBrownHair.mxl",
]
QUICK_CORPUS = ["bach/bwv277.krn", "schubert/Lindenbaum.xml"]


def _facts(s) -> tuple:
    return (s.notes, s.rests, s.measures, s.duration_quarters, s.lowest, s.highest, tuple(s.tempos), s.title, tuple(s.parts))


FACT_NAMES = ("notes", "rests", "measures", "length", "lowest", "highest", "tempos", "title", "parts")


@dataclass
class Row:
    name: str
    results: dict[str, str] = field(default_factory=dict)  # op -> "ok" / "one line: ..." / "DIFF ..." / "CRASH ..."

    @property
    def bad(self) -> list[str]:
        return [f"{op}: {r}" for op, r in self.results.items() if r.startswith(("DIFF", "CRASH"))]


def _diff(a: tuple, b: tuple) -> str:
    return ", ".join(f"{n} {x!r}->{y!r}" for n, x, y in zip(FACT_NAMES, a, b) if x != y)


def run_file(path: Path, render: bool = True, full: bool = False) -> Row:
    """Every operation on one file; never raises. ``full`` adds validate, continue and
    batch transpose."""
    import warnings

    from lstmfuse.io import convert_file, quiet
    from lstmfuse.encoding.extract import melody_from_part, pick_part
    from lstmfuse.encoding.tokens import encode
    from lstmfuse.errors import LstmfuseError
    from lstmfuse.io import load
    from lstmfuse.io.render import render as render_score
    from lstmfuse.io.schema import validate_musicxml
    from lstmfuse.io.summary import summarise

    row = Row(path.name)

    def attempt(op, fn):
        try:
            with quiet():
                row.results[op] = fn() or "ok"
        except LstmfuseError as err:
            text = str(err)
            row.results[op] = ("one line: " + text) if "\n" not in text else "CRASH multi-line error"
        except Exception as exc:  # noqa: BLE001 - a traceback is what this looks for
            row.results[op] = f"CRASH {type(exc).__name__}: {exc}"

    base = {}

    def info():
        base["facts"] = _facts(summarise(path))

    attempt("info", info)
    if full:
        def validate_source():
            if path.suffix.lower() not in (".musicxml", ".xml", ".mxl"):
                return "n/a (kern)"
            errors = validate_musicxml(path)
            return f"reports {len(errors)} schema error(s) of the source, first: {errors[0].message}" if errors else None

        attempt("validate", validate_source)
    with tempfile.TemporaryDirectory() as tmp:
        for suffix in (".krn", ".musicxml"):
            def round_trip(suffix=suffix):
                target = Path(tmp) / f"out{suffix}"
                convert_file(path, target)
                if suffix == ".musicxml" and path.suffix.lower() in (".musicxml", ".xml"):
                    if target.read_bytes() != path.read_bytes():  # already MusicXML: copied as it is
                        return "DIFF a MusicXML source was not copied as it is"
                elif suffix == ".musicxml" and path.suffix.lower() != ".mxl":  # an .mxl's score is taken out as it is
                    errors = validate_musicxml(target)
                    if errors:
                        return f"DIFF invalid MusicXML: {errors[0]}"
                if "facts" not in base:
                    return None
                got = _facts(summarise(target))
                return None if got == base["facts"] else f"DIFF {_diff(base['facts'], got)}"

            attempt(f"-> {suffix[1:]}", round_trip)
        if render:
            attempt("render", lambda: render_score(path, Path(tmp) / "p.svg", page=1) and None)

    def passage():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            melody = melody_from_part(pick_part(load(path)), source=str(path))
            encode(melody)
        notes = [w for w in caught if w.category.__module__.startswith("lstmfuse")]
        return f"ok, warns: {notes[0].message}" if notes else None

    attempt("continue (read)", passage)
    if full:
        with tempfile.TemporaryDirectory() as tmp:
            attempt("continue", lambda: _continue(path, Path(tmp)))
            attempt("batch transpose", lambda: _transpose(path, Path(tmp), base.get("facts")))
    return row


def _continue(path: Path, tmp: Path) -> str:
    """``lstmfuse continue FILE --bars 2 --genre folk --seed 1`` (no --part: the first pitched part, as the CLI), then
    read the new bars back: "ok, N new notes" or DIFF when they hold no note or a note longer
    than two bars."""
    from lstmfuse.encoding.extract import melody_from_part, pick_part
    from lstmfuse.generation.options import SamplingOptions
    from lstmfuse.generation.service import continue_score
    from lstmfuse.io import load

    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        passage = melody_from_part(pick_part(load(path)))
        (out,) = continue_score(path, tmp / "cont.musicxml", bars=2, genre="folk", part=None,
                                options=SamplingOptions(seed=1), force=True)
        whole = melody_from_part(pick_part(load(out)))
    new = [e for e in whole.notes if e.onset >= passage.end]
    longest = max((e.duration for e in new), default=0)
    if not new:
        return "DIFF no note in the new bars"
    if longest > 2 * whole.bar_length:
        return f"DIFF a note of {float(longest):g} quarters in the new bars"
    return f"ok, {len(new)} new notes"


def _transpose(path: Path, tmp: Path, facts) -> str | None:
    """``lstmfuse batch transpose FILE --interval +M2``: facts kept, range a whole tone up."""
    from music21 import pitch

    from lstmfuse import batch
    from lstmfuse.io.summary import summarise

    data, _changes = batch.apply(path, [batch.Transpose("+M2")])
    out = tmp / f"up{path.suffix}"
    out.write_bytes(data)
    if facts is None:
        return None
    got = _facts(summarise(out))

    def up(name):
        return None if name is None else pitch.Pitch(name.replace("b", "-") if len(name) > 1 and name[1] == "b" else name).transpose("M2").nameWithOctave.replace("-", "b")

    want = facts[:4] + (up(facts[4]), up(facts[5])) + facts[6:]
    return None if got == want else f"DIFF {_diff(want, got)}"


def all_files(quick: bool) -> list[Path]:
    import music21

    corpus = Path(music21.__file__).parent / "corpus"
    mine = sorted(p for p in DATA.iterdir() if p.suffix in (".krn", ".musicxml", ".mxl", ".xml"))
    examples = [] if quick else sorted(p for p in EXAMPLES.iterdir() if p.suffix in (".krn", ".musicxml", ".mxl", ".abc"))
    return mine + [corpus / rel for rel in (QUICK_CORPUS if quick else CORPUS)] + examples


@pytest.mark.slow
def test_every_file_every_operation_succeeds_or_is_one_line():
    rows = [run_file(p, render=False) for p in all_files(quick=True)]
    bad = [f"{r.name}: {b}" for r in rows for b in r.bad]
    assert not bad, "\n".join(bad)
    by_name = {r.name: r.results for r in rows}
    assert by_name["drumset-first.musicxml"]["continue (read)"] == "ok"  # the Flute, not the drums
    assert by_name["bwv277.krn"]["-> krn"] == "ok"


SUFFIXES = (".krn", ".musicxml", ".mxl", ".xml", ".abc")


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    if "--dir" in argv:
        folder = Path(argv[argv.index("--dir") + 1])
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES)
        rows = []
        for p in files:
            rows.append(run_file(p, full=True))
            print(f"{p.name}: " + "; ".join(f"{op} {r}" for op, r in rows[-1].results.items()), file=sys.stderr, flush=True)
    else:
        rows = [run_file(p) for p in all_files(quick)]
    ops = list(rows[0].results)
    print("| file | " + " | ".join(ops) + " |")
    print("| --- | " + " | ".join("---" for _ in ops) + " |")
    for r in rows:
        print(f"| {r.name} | " + " | ".join(r.results.get(op, "") for op in ops) + " |")
    bad = sum(bool(r.bad) for r in rows)
    print(f"\n{len(rows)} files, {len(ops)} operations each; files with a difference or a crash: {bad}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
