"""``lstmfuse batch OP FILES...``: one sub-command per registered op, plus ``recipe`` and ``ops``.

The op sub-commands are generated from the ops' dataclass fields, so an op added in
``lstmfuse/batch/ops/`` (or by a plug-in) gets its command with no change here.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from pathlib import Path
from typing import Any, List, Optional

import typer

from ..errors import UsageError
from .app import app, console, console_err, say_stopping

BATCH_HELP = (
    "Edit many scores at once: transpose, set-key, extract/remove/reorder parts, set-meta, set-tempo, "
    "convert, or a recipe chaining them.\n\n"
    "MusicXML and .mxl files are edited on their XML tree, so layout, lyrics, credits and everything "
    "else an op is not about stay as they were. Writes are atomic; [bold]--in-place[/] keeps FILE.bak; "
    "a file that fails is left untouched and reported; exit 1 if any failed.\n\n"
    "Examples:\n\n"
    "  [bold]lstmfuse batch transpose 'scores/*.musicxml' --interval +M2 --out-dir up[/]\n\n"
    "  [bold]lstmfuse batch transpose chorales/ --to-key Eb --in-place -j 2[/]\n\n"
    "  [bold]lstmfuse batch recipe examples/batch-recipe.toml --dry-run[/]\n\n"
    "  [bold]lstmfuse batch set-meta '**/*.mxl' --composer 'J. S. Bach' --out-dir out --report report.json[/]"
)

batch_app = typer.Typer(name="batch", help=BATCH_HELP, no_args_is_help=True, rich_markup_mode="rich",
                        pretty_exceptions_enable=False, add_completion=False)
app.add_typer(batch_app, name="batch")

_COMMON: list[tuple[str, Any, Any]] = [
    ("out_dir", Optional[Path], typer.Option(None, "--out-dir", "-o", help="Write results under this folder (the inputs' folder tree is mirrored).", rich_help_panel="Where results go")),
    ("in_place", bool, typer.Option(False, "--in-place", help="Rewrite each file where it is (FILE.bak keeps the original).", rich_help_panel="Where results go")),
    ("no_backup", bool, typer.Option(False, "--no-backup", help="With --in-place: keep no FILE.bak.", rich_help_panel="Where results go")),
    ("force", bool, typer.Option(False, "--force", "-f", help="Overwrite existing files in --out-dir.", rich_help_panel="Where results go")),
    ("dry_run", bool, typer.Option(False, "--dry-run", "-n", help="Write nothing; show what would change in each file.", rich_help_panel="Run")),
    ("report", Optional[Path], typer.Option(None, "--report", help="Write a JSON report of every file and its result.", rich_help_panel="Run")),
    ("resume", bool, typer.Option(False, "--resume", help="Skip files an earlier (interrupted) run of the same batch finished (journal in the out dir); existing files it did not write still need --force.", rich_help_panel="Run")),
    ("journal", Optional[Path], typer.Option(None, "--journal", help="Journal file (default: .lstmfuse-batch-journal.jsonl in the out dir, or the inputs' common folder with --in-place).", rich_help_panel="Run")),
    ("jobs", int, typer.Option(1, "--jobs", "-j", min=1, help="Worker processes (local engine) or local Dask workers.", rich_help_panel="Run")),
    ("engine", str, typer.Option("local", "--engine", help="local (process pool) or dask.", rich_help_panel="Run")),
    ("address", Optional[str], typer.Option(None, "--address", help="Dask scheduler, e.g. tcp://10.0.0.5:8786 (with --engine dask; without it a local Dask cluster of -j workers runs).", rich_help_panel="Run")),
    ("quiet", bool, typer.Option(False, "--quiet", "-q", help="No progress bar; only the summary.", rich_help_panel="Run")),
]


def _cli_type(hint: Any) -> tuple[Any, bool]:
    """(typer annotation, is_multiple) for an op field's type."""
    origin = typing.get_origin(hint)
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if origin in (typing.Union, types.UnionType):
        if any(typing.get_origin(a) is tuple for a in args):
            return Optional[List[str]], True
        if bool in args:
            return bool, False
        if float in args:
            return Optional[float], False
        if int in args and str not in args:
            return Optional[int], False
        return Optional[str], False
    if origin is tuple or hint is tuple:
        return Optional[List[str]], True
    if hint in (bool, int, float, str):
        return hint, False
    return Optional[str], False


def _run_batch(files: list[str], steps: list, o: dict[str, Any]) -> None:
    from .. import batch
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    if o["no_backup"] and not o["in_place"]:
        raise UsageError("--no-backup only goes with --in-place")
    show = not o["quiet"]
    progress = Progress(TextColumn("[bold]batch[/]"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[status]}"),
                        TimeElapsedColumn(), TimeRemainingColumn(), console=console_err, disable=not show,
                        transient=False)
    task_id = None
    tally: dict[str, int] = {}

    def on_start(total: int) -> None:
        nonlocal task_id
        task_id = progress.add_task("batch", total=total, status="")

    def on_result(r) -> None:
        tally[r.status] = tally.get(r.status, 0) + 1
        if task_id is not None:
            progress.update(task_id, advance=1, status=" ".join(f"{k} {v}" for k, v in sorted(tally.items())))

    with progress:
        result = batch.run(files, steps, out_dir=o["out_dir"], in_place=o["in_place"], backup=not o["no_backup"],
                           dry_run=o["dry_run"], report=o["report"], resume=o["resume"], jobs=o["jobs"],
                           engine=o["engine"], address=o["address"], force=o["force"], journal=o["journal"],
                           on_start=on_start, on_result=on_result, on_stop=say_stopping)
    if o["dry_run"]:
        for r in result.files:
            _print_dry(r)
    for r in result.failed:
        console_err.print(f"[bold red]failed:[/] {r.error}", highlight=False, soft_wrap=True)
    summary = ", ".join(f"{v} {k}" for k, v in sorted(result.summary().items()))
    where = f"; report: {o['report']}" if o["report"] else ""
    console.print(f"{len(result.files)} file(s): {summary} in {result.finished - result.started:.1f} s{where}",
                  highlight=False, soft_wrap=True)
    if result.interrupted:
        console_err.print("[bold red]interrupted[/]: finished files are complete, the others untouched; "
                          "run again with --resume to finish")
    raise typer.Exit(code=result.exit_code)


def _print_dry(r) -> None:
    if r.status == "failed":
        return
    parts = []
    for op_name, ch in r.changes.items():
        inner = ", ".join(f"{k} {v}" for k, v in ch.items())
        parts.append(f"{op_name}: {inner}")
    what = "; ".join(parts) or "no change"
    dest = f" -> {r.output}" if r.output and r.output != r.source else ""
    console.print(f"{r.source}{dest}: {what}", highlight=False, soft_wrap=True)
    for note in r.notes:
        console.print(f"  note: {note}", highlight=False, soft_wrap=True)


def _make_op_command(cls) -> None:
    fields = [f for f in dataclasses.fields(cls) if f.init]
    hints = typing.get_type_hints(cls)
    params: list[inspect.Parameter] = [
        inspect.Parameter("files", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=List[str],
                          default=typer.Argument(..., metavar="FILES_OR_GLOBS...", show_default=False,
                                                 help="Score files, folders or quoted globs ('scores/**/*.mxl')."))
    ]
    annotations: dict[str, Any] = {"files": List[str]}
    multiple: set[str] = set()
    joined: dict[str, str] = {}
    for f in fields:
        meta = f.metadata or {}
        ann, is_multi = _cli_type(hints.get(f.name, str))
        if meta.get("joined"):
            ann, is_multi = Optional[List[str]], True
            joined[f.name] = meta["joined"]
        if is_multi:
            multiple.add(f.name)
        flags = meta.get("flags") or (f"--{f.name.replace('_', '-')}",)
        default = f.default if f.default is not dataclasses.MISSING else None
        if is_multi:
            default = None
        opt = typer.Option(default, *flags, help=meta.get("help", ""), metavar=meta.get("metavar"),
                           show_default=default not in (None, False, ""), rich_help_panel="Op options")
        pname = f"op_{f.name}"
        params.append(inspect.Parameter(pname, inspect.Parameter.KEYWORD_ONLY, annotation=ann, default=opt))
        annotations[pname] = ann
    for name, ann, opt in _COMMON:
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=ann, default=opt))
        annotations[name] = ann

    def command(**kwargs: Any) -> None:
        op_params = {}
        for f in fields:
            v = kwargs.pop(f"op_{f.name}")
            if v is None or (f.name in multiple and not v):
                continue
            if f.name in joined:
                op_params[f.name] = joined[f.name].join(v)
            else:
                op_params[f.name] = tuple(v) if f.name in multiple else v
        op = cls.from_params(op_params)
        _run_batch(kwargs.pop("files"), [op], kwargs)

    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__annotations__ = annotations
    command.__name__ = cls.name.replace("-", "_")
    examples = "".join(f"\n\n  [bold]{e}[/]" for e in cls.examples)
    doc = cls.help + ("\n\nExamples:" + examples if examples else "")
    batch_app.command(name=cls.name, help=doc, no_args_is_help=True)(command)


def _register_all() -> None:
    from ..batch.ops import load_ops

    for name, cls in sorted(load_ops().items()):
        _make_op_command(cls)


@batch_app.command("recipe", no_args_is_help=True, help=(
    "Run a recipe: a TOML file with \\[\\[steps]] (op = \"transpose\", interval = \"+M2\", ...), and optionally "
    "the files and out_dir. Files and --out-dir given here win.\n\nExamples:\n\n"
    "  [bold]lstmfuse batch recipe examples/batch-recipe.toml --dry-run[/]\n\n"
    "  [bold]lstmfuse batch recipe fix.toml 'scores/*.mxl' --out-dir fixed -j 2 --report report.json[/]"))
def recipe_command(
    recipe: Path = typer.Argument(..., help="Recipe file (.toml)."),
    files: Optional[List[str]] = typer.Argument(None, metavar="[FILES_OR_GLOBS]...", help="Inputs (default: the recipe's files)."),
    out_dir: Optional[Path] = _COMMON[0][2],
    in_place: bool = _COMMON[1][2],
    no_backup: bool = _COMMON[2][2],
    force: bool = _COMMON[3][2],
    dry_run: bool = _COMMON[4][2],
    report: Optional[Path] = _COMMON[5][2],
    resume: bool = _COMMON[6][2],
    journal: Optional[Path] = _COMMON[7][2],
    jobs: int = _COMMON[8][2],
    engine: str = _COMMON[9][2],
    address: Optional[str] = _COMMON[10][2],
    quiet: bool = _COMMON[11][2],
) -> None:
    from ..batch import load_recipe

    r = load_recipe(recipe)
    inputs = list(files or r.files)
    if not inputs:
        raise UsageError(f"{recipe}: no files given here or in the recipe")
    if out_dir is None and not in_place and r.out_dir is not None:
        out_dir = Path(r.out_dir)
    opts = dict(out_dir=out_dir, in_place=in_place, no_backup=no_backup, force=force, dry_run=dry_run, report=report,
                resume=resume, journal=journal, jobs=jobs, engine=engine, address=address, quiet=quiet)
    _run_batch(inputs, r.steps, opts)


@batch_app.command("ops", help="List the available ops.")
def ops_command() -> None:
    from ..batch.ops import load_ops

    for name, cls in sorted(load_ops().items()):
        console.print(f"[bold]{name}[/]  {cls.help}", highlight=False, soft_wrap=True)


_register_all()
