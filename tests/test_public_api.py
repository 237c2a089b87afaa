"""Issue 14's single declarations: the sampling options (SamplingOptions is the one place the
CLI commands, the batch ops and the bridge schema come from), the genre weights (parsed once,
at the edge, into GenreWeights) and the small public API in ``lstmfuse``."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from lstmfuse.cli import app
from lstmfuse.errors import UsageError
from lstmfuse.generation.options import SamplingOptions, edge_options, json_schema
from lstmfuse.generation.weights import GenreWeights

REPO = Path(__file__).resolve().parent.parent
FIELDS = [f.name for f in dataclasses.fields(SamplingOptions)]


def _click_params(*path: str) -> dict:
    command = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]
    return {p.name: p for p in command.params}


@pytest.mark.parametrize("path", [("continue",), ("fuse",), ("regenerate",), ("batch", "continue"), ("batch", "regenerate")])
def test_every_command_that_samples_takes_every_sampling_option(path):
    params = _click_params(*path)
    prefix = "op_" if path[0] == "batch" else ""
    for opt in edge_options():
        p = params[prefix + opt.name]
        flags = [f for f in opt.flags[0].split("/")] + list(opt.flags[1:])
        assert set(flags) <= set(p.opts) | set(p.secondary_opts), (path, opt.name)
        assert p.help == opt.help or (path[0] == "batch" and opt.name == "seed")
        if not (path[0] == "batch" and opt.name == "seed"):  # a batch seeds every file alike
            assert p.default == opt.default, (path, opt.name)


def test_the_bridge_schema_is_derived_from_sampling_options():
    from lstmfuse_bridge import service
    from lstmfuse_bridge.protocol import schema

    props = schema()["$defs"]["optionFields"]["properties"]
    assert {name: props[name] for name in FIELDS} == json_schema()
    assert set(service._OPTION_FIELDS) == set(FIELDS) - {"seed"}
    published = json.loads((REPO / "bridge" / "protocol.schema.json").read_text(encoding="utf-8"))
    assert published == schema(), "bridge/protocol.schema.json is stale: lstmfuse_bridge.protocol.write_schema() rewrites it"


def test_schema_bounds_agree_with_the_dataclass_checks():
    """A value the schema allows at its bounds is one SamplingOptions accepts."""
    lows = {n: s.get("minimum", s.get("exclusiveMinimum")) for n, s in json_schema().items() if "maximum" in s}
    for name, low in lows.items():
        for value in (low if "exclusiveMinimum" not in json_schema()[name] else None, json_schema()[name]["maximum"]):
            if value is not None and name not in ("lowest", "highest"):
                SamplingOptions(**{name: value})


def test_options_from_the_edge():
    o = SamplingOptions.from_edge({"lowest": "G3", "instrument": "violin", "max_leap": 0, "temperature": None})
    assert (o.lowest, o.highest, o.max_leap, o.temperature) == (55, 100, None, 0.9)
    assert SamplingOptions.from_edge({"highest": "Bb5", "lowest": 60}).highest == 82
    with pytest.raises(UsageError, match="unknown instrument"):
        SamplingOptions.from_edge({"instrument": "kazoo"})
    with pytest.raises(UsageError, match="not a pitch"):
        SamplingOptions.from_edge({"lowest": "Q9"})


def test_batch_continue_takes_the_same_options_as_continue(tmp_path):
    from lstmfuse import batch
    from lstmfuse.batch.ops._sampling import sampling_of

    op = batch.op_from_spec({"op": "continue", "genre": "folk", "top_k": 8, "lowest": "C4", "instrument": "flute",
                             "max_leap": 0, "end_on_stable": False, "form": "free"})
    assert sampling_of(op) == SamplingOptions(top_k=8, lowest=60, highest=96, max_leap=None, end_on_stable=False, form="free", seed=0)
    with pytest.raises(UsageError, match="top-p"):
        batch.op_from_spec({"op": "continue", "genre": "folk", "top_p": 2})
    with pytest.raises(UsageError, match="not a number"):
        batch.op_from_spec({"op": "continue", "weights": "folk=lots"})


# --------------------------------------------------------------------------- genre weights


def test_genre_weights_are_one_typed_value():
    w = GenreWeights.parse("Folk=3, irish=1")
    assert w == {"folk": 0.75, "irish": 0.25} and w.heaviest == "folk" and str(w) == "folk=0.75,irish=0.25"
    assert GenreWeights.parse(w) == w and GenreWeights.parse({"irish": 2}) == {"irish": 1.0}
    assert hash(w) == hash(GenreWeights.parse({"folk": 6, "irish": 2}))
    assert json.dumps(dict(w)) == '{"folk": 0.75, "irish": 0.25}'
    for bad, message in [("jazz=1", "unknown genre 'jazz'"), ("folk", "genre=number"), ("folk=x", "not a number"),
                         ("folk=-1", ">= 0"), ("folk=0", "all genre weights are zero"), ("folk=nan", "finite")]:
        with pytest.raises(UsageError, match=message) as e:
            GenreWeights.parse(bad, ["folk", "irish"])
        assert "\n" not in str(e.value)


def test_bridge_parses_weights_at_its_edge():
    from lstmfuse_bridge.protocol import ProtocolError, parse_request
    from test_bridge_protocol import req

    r = parse_request(req(options__genre=..., options__weights={"folk": 3, "irish": 1}), "fuse")
    assert isinstance(r.weights, GenreWeights) and r.weights == {"folk": 0.75, "irish": 0.25}
    with pytest.raises(ProtocolError) as e:
        parse_request(req(options__genre=..., options__weights={"folk": 0}), "fuse")
    assert e.value.field == "options.weights" and "zero" in e.value.message


# --------------------------------------------------------------------------- the public API


def test_import_lstmfuse_stays_light():
    code = "import sys, lstmfuse; print(sorted(m for m in ('numpy', 'music21', 'typer', 'lstmfuse.generation.continuation') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    code = "import sys, lstmfuse.cli; print('numpy' in sys.modules, 'music21' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split() == ["False", "False"]


def test_public_api_continues_and_fuses(tmp_path, examples_dir):
    import lstmfuse

    assert {"load_score", "save_score", "continue_passage", "fuse", "SamplingOptions", "GenreWeights", "__version__"} <= set(lstmfuse.__all__)
    score = lstmfuse.load_score(examples_dir / "oneills-0001.musicxml")
    opts = lstmfuse.SamplingOptions(seed=1)
    a = lstmfuse.continue_passage(score, bars=2, weights={"irish": 0.7, "scottish": 0.3}, options=opts)
    b = lstmfuse.continue_passage(examples_dir / "oneills-0001.musicxml", bars=2, weights="irish=7,scottish=3", options=opts)
    assert [e.spelling for e in a.melodies[0].events] == [e.spelling for e in b.melodies[0].events]
    assert a.settings["weights"] == {"irish": 0.7, "scottish": 0.3}
    fused = lstmfuse.fuse({"folk": 1}, bars=2, meter="3/4", key="e", options=opts)
    m = fused.melodies[0]
    assert (m.sharps, m.mode, m.meter) == (1, "minor", "3/4")
    path = lstmfuse.save_score(lstmfuse.to_score(m), tmp_path / "fused.musicxml")
    assert lstmfuse.passage_of(path).sharps == 1
    with pytest.raises(UsageError, match="unknown genre"):
        lstmfuse.fuse({"jazz": 1}, bars=2)


def test_the_readme_python_example_runs(tmp_path, monkeypatch):
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = text.split("```python\n", 1)[1].split("```", 1)[0]
    assert "import lstmfuse" in block and "lstmfuse.io" not in block  # the public API, not internals
    monkeypatch.chdir(tmp_path)
    (tmp_path / "examples").symlink_to(REPO / "examples")
    exec(compile(block, "README.md", "exec"), {})
    assert (tmp_path / "fused.musicxml").stat().st_size > 0


def test_batch_op_plugins_are_found_without_importlib_metadata_at_start(tmp_path):
    """load_ops reads entry_points.txt files first (importing importlib.metadata cost every
    start of the command line 15-40 ms); a declared plug-in op is still loaded."""
    (tmp_path / "hello_op-0.1.dist-info").mkdir()
    (tmp_path / "hello_op-0.1.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: hello-op\nVersion: 0.1\n")
    (tmp_path / "hello_op-0.1.dist-info" / "entry_points.txt").write_text("[lstmfuse.batch_ops]\nhello = hello_op\n")
    (tmp_path / "hello_op.py").write_text(
        "from dataclasses import dataclass\nfrom typing import ClassVar\nfrom lstmfuse.batch.ops import Op, register\n"
        "@register\n@dataclass(frozen=True)\nclass Hello(Op):\n    name: ClassVar[str] = 'hello'\n")
    code = "import sys; from lstmfuse.batch.ops import load_ops; print('hello' in load_ops(), 'importlib.metadata' in sys.modules)"
    env = {**__import__("os").environ, "PYTHONPATH": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout.split()
    assert out == ["True", "True"]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]  # no plug-in installed: importlib.metadata is never imported


def test_batch_continue_on_the_command_line_with_every_kind_of_option(tmp_path, examples_dir):
    """``batch continue`` with options it did not take before (issue 14) writes what
    ``lstmfuse continue`` writes with the same options."""
    import shutil

    from lstmfuse import load_score, passage_of

    shutil.copy(examples_dir / "oneills-0001.musicxml", tmp_path / "t.musicxml")
    sampling = ["--seed", "5", "--top-k", "6", "--top-p", "0.9", "--instrument", "flute", "--max-leap", "7",
                "--rest-density", "0.5", "--free-ending", "--form", "free", "--stay-in-key"]
    batch_out, single = tmp_path / "o", tmp_path / "single.musicxml"
    for args in (["batch", "continue", str(tmp_path / "t.musicxml"), "--weights", "irish=1,scottish=1", "--bars", "2",
                  "--out-dir", str(batch_out), "-q", *sampling],
                 ["continue", str(tmp_path / "t.musicxml"), "--weights", "irish=1,scottish=1", "--bars", "2", "-o", str(single), *sampling]):
        proc = subprocess.run([sys.executable, "-m", "lstmfuse", *args], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
    written = load_score(batch_out / "t.musicxml")
    settings = json.loads(str(written.metadata.getCustom("lstmfuse-settings")[0]))
    assert settings["sampling"] == {**SamplingOptions().to_dict(), "seed": 5, "top_k": 6, "top_p": 0.9, "lowest": 60, "highest": 96,
                                    "max_leap": 7, "rest_density": 0.5, "end_on_stable": False, "form": "free", "stay_in_key": True}
    assert [(e.pitch, e.duration) for e in passage_of(written).events] == [(e.pitch, e.duration) for e in passage_of(single).events]


def test_a_tune_from_nothing_without_a_seed_draws_one_and_records_it():
    """``lstmfuse fuse -w folk=1`` without --seed raised a TypeError (a tune's level was drawn
    from a stream seeded with None); now a seed is drawn, stored in the settings, and gives
    the same notes again."""
    import lstmfuse

    first = lstmfuse.fuse("folk=1", bars=2)
    seed = first.settings["sampling"]["seed"]
    assert isinstance(seed, int) and 0 <= seed < 2**32
    again = lstmfuse.fuse("folk=1", bars=2, options=SamplingOptions(seed=seed))
    assert [(e.pitch, e.duration) for e in again.melodies[0].events] == [(e.pitch, e.duration) for e in first.melodies[0].events]


def test_wrong_types_and_unwritable_registers_are_usage_errors():
    """What the API was given wrongly is named in one UsageError, not a TypeError or
    AttributeError from deep inside; a passage far above or below what the models write is
    refused (the sampler found no note and raised a RuntimeError)."""
    from fractions import Fraction

    import lstmfuse
    from lstmfuse.encoding.events import Melody, NoteEvent

    high = Melody([NoteEvent(108 + k % 3, Fraction(k, 2), Fraction(1, 2), Fraction(k % 8, 2)) for k in range(8)], meter="4/4")
    cases = [
        (lambda: lstmfuse.continue_passage(high, bars=1, genre="folk"), "outside what the models write"),
        (lambda: lstmfuse.continue_passage(None, bars="8", genre="folk"), "bars must be a whole number"),
        (lambda: lstmfuse.continue_passage(None, bars=2, genre=5), "genre must be"),
        (lambda: lstmfuse.continue_passage(None, bars=2, genre="folk", sharps=99), "sharps must be"),
        (lambda: lstmfuse.continue_passage(None, bars=2, genre="folk", mode="dorian"), "mode must be"),
        (lambda: lstmfuse.continue_passage(42, bars=2, genre="folk"), "a passage is a Melody"),
        (lambda: lstmfuse.continue_passage(None, bars=2, genre="folk", position=(4, 0)), "position must be a TunePosition"),
        (lambda: lstmfuse.fuse("folk=1", bars=2, key=5), "key must be text"),
        (lambda: SamplingOptions(temperature="hot"), "temperature must be a number"),
        (lambda: SamplingOptions(seed=-1), "seed must be a whole number from 0"),
        (lambda: lstmfuse.save_score(None, "x.musicxml"), "save_score takes a music21 score"),
        (lambda: lstmfuse.to_score(None), "to_score takes a Melody"),
    ]
    for call, message in cases:
        with pytest.raises(UsageError, match=message):
            call()
