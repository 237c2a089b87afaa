"""Options given twice: click keeps the last value of an option that takes one, without a word,
so ``--bars 2 --bars 6``, ``--key D --key Eb`` or ``-o a.musicxml -o b.musicxml`` ran with the
second and the user never knew the first was dropped. Found here before the command runs, and
refused in one line. Options meant to be given more than once (``--weights``, multiple) and
on/off flags are not counted."""

from __future__ import annotations

from collections.abc import Sequence

import typer

from .app import app


def _command_for(root, argv: Sequence[str]):
    """The click command ``argv`` names (walking the groups from ``root``) and the arguments
    after its name."""
    command, path, rest = root, ["lstmfuse"], list(argv)
    while hasattr(command, "commands"):
        names = [i for i, token in enumerate(rest) if not token.startswith("-")]
        if not names or rest[names[0]] not in command.commands:
            return None, path, rest
        i = names[0]
        path.append(rest[i])
        command, rest = command.commands[rest[i]], rest[i + 1:]
    return command, path, rest


def repeated_option(argv: Sequence[str], root=None) -> str | None:
    """A one-line message naming an option that takes one value and is given more than once
    in ``argv`` (the command line after the program name), else None. ``root``: the app's
    click command where it is built already (building it costs about 70 ms)."""
    command, path, rest = _command_for(root if root is not None else typer.main.get_command(app), argv)
    if command is None:
        return None
    single: dict[str, object] = {}
    for param in command.params:
        if getattr(param, "param_type_name", "") != "option" or param.multiple or param.is_flag or getattr(param, "count", False):
            continue
        for name in (*param.opts, *param.secondary_opts):
            single[name] = param
    seen: dict[object, list[str]] = {}
    i = 0
    while i < len(rest):
        token = rest[i]
        if token == "--":
            break
        name, value = (token.split("=", 1) + [None])[:2] if token.startswith("--") else (token, None)
        if name in single:
            if value is None and i + 1 < len(rest):
                value, i = rest[i + 1], i + 1  # the option's value, even one that starts with '-'
            seen.setdefault(single[name], []).append(f"{name} {value}")
        elif not token.startswith("--") and token[:2] in single and len(token) > 2:
            seen.setdefault(single[token[:2]], []).append(f"{token[:2]} {token[2:]}")  # -b8
        i += 1
    for param, given in seen.items():
        if len(given) > 1:
            command_path = " ".join(path)
            return (f"{command_path}: {param.opts[0]} given {len(given)} times ({', '.join(given)}): "
                    f"it takes one value; give it once (see '{command_path} --help')")
    return None
