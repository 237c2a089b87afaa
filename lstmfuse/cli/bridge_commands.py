"""``lstmfuse bridge`` (the local server the MuseScore plugin calls) and ``lstmfuse plugin install``."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
from pathlib import Path

import typer

from ..errors import UsageError
from .app import app, console

plugin_app = typer.Typer(help="The MuseScore plugin: install it into MuseScore's plugin folders.", no_args_is_help=True)
app.add_typer(plugin_app, name="plugin")

PLUGIN_FOLDER = "lstmfuse"
PLUGIN_FILES = ("lstmfuse.qml", "lstmfuse-core.js", "lstmfuse-instance.js", "lstmfuse.png", "README.md")
#: Written beside the plugin: how its Start bridge button runs THIS lstmfuse (absolute paths),
#: since MuseScore started from a desktop has no virtualenv on its PATH.
BRIDGE_COMMAND_FILE = "lstmfuse-bridge.json"


def bridge_command() -> dict:
    """The command that starts this installation's bridge, as program + arguments."""
    program = str(Path(sys.executable).absolute())
    args = ["-m", "lstmfuse", "bridge", "--background"]
    return {"program": program, "args": args, "command": " ".join(shlex.quote(a) for a in [program, *args])}


@app.command()
def bridge(
    port: int = typer.Option(None, "--port", min=1024, max=65535, help="TCP port on 127.0.0.1 (default 47291, or a free one when another program holds it)."),
    status: bool = typer.Option(False, "--status", help="Say whether a bridge runs, where, and since when."),
    stop: bool = typer.Option(False, "--stop", help="Stop the running bridge (its pid file is in the state folder)."),
    background: bool = typer.Option(False, "--background", help="Start detached, wait until it answers, print its port, return."),
) -> None:
    """Run the local bridge the MuseScore plugin talks to (127.0.0.1 only, token-protected).

    Loads every installed model once and answers from memory. Its token, pid, port and log
    live in the state folder (~/.local/state/lstmfuse). Examples:
      [bold]lstmfuse bridge[/]                 run in this terminal (Ctrl+C stops)
      [bold]lstmfuse bridge --background[/]    start detached (what the plugin's Start button runs)
      [bold]lstmfuse bridge --status[/] / [bold]--stop[/]
    """
    from lstmfuse_bridge import DEFAULT_PORT
    from lstmfuse_bridge import control

    if sum((status, stop, background)) > 1:
        raise UsageError("give at most one of --status, --stop, --background")
    if status:
        info = control.running()
        if info is None:
            console.print("bridge: not running (start it with: lstmfuse bridge --background)")
            raise typer.Exit(1)
        h = info["health"]
        console.print(f"bridge: running, pid {info['pid']}, http://127.0.0.1:{info['port']}, up {h['uptime']:.0f} s, "
                      f"{h['counts']['requests']} requests; log {info.get('log', '')}", highlight=False)
        return
    if stop:
        pid = control.stop()
        console.print("bridge: not running" if pid is None else f"bridge: stopped (pid {pid})")
        return
    if background:
        info = control.start_background(port or DEFAULT_PORT, fallback=port is None)
        console.print(f"bridge: running, pid {info['pid']}, port {info['port']}", highlight=False)
        return

    def ready(info, names):
        console.print(f"bridge: listening on http://127.0.0.1:{info['port']} (pid {info['pid']}); models: "
                      f"{', '.join(names) or 'none installed'}; log {info['log']}; Ctrl+C stops", highlight=False)

    control.run_foreground(port or DEFAULT_PORT, on_ready=ready, fallback=port is None)


def plugin_source() -> Path:
    """Folder holding the plugin files: the installed package data, else the checkout."""
    try:
        import lstmfuse_bridge.plugin as pkg  # installed wheel: lstmfuse_bridge/plugin/

        for base in getattr(pkg, "__path__", []):
            if (Path(base) / "lstmfuse.qml").exists():
                return Path(base)
    except ImportError:
        pass
    import lstmfuse_bridge

    checkout = Path(lstmfuse_bridge.__file__).resolve().parent.parent / "musescore_plugin"
    if (checkout / "lstmfuse.qml").exists():
        return checkout
    raise UsageError("the MuseScore plugin files are not installed with this lstmfuse (looked for lstmfuse.qml)")


def default_plugin_dirs() -> list[Path]:
    """MuseScore 3 and 4 user plugin folders (Documents/MuseScore3|4/Plugins)."""
    home = Path.home()
    docs = home / "Documents"
    xdg = os.environ.get("XDG_DOCUMENTS_DIR")
    if xdg:
        docs = Path(xdg)
    return [docs / "MuseScore3" / "Plugins", docs / "MuseScore4" / "Plugins"]


@plugin_app.command("install")
def plugin_install(
    dirs: list[Path] = typer.Option(None, "--dir", help="Plugin folder to install into (repeatable; default: the MuseScore 3 and 4 user plugin folders)."),
) -> None:
    """Copy the lstmfuse plugin into MuseScore's plugin folder(s), as a subfolder 'lstmfuse'."""
    src = plugin_source()
    targets = list(dirs) if dirs else default_plugin_dirs()
    for base in targets:
        dest = base / PLUGIN_FOLDER
        dest.mkdir(parents=True, exist_ok=True)
        for name in PLUGIN_FILES:
            f = src / name
            if f.exists():
                shutil.copyfile(f, dest / name)
        tmp = dest / (BRIDGE_COMMAND_FILE + ".tmp")
        tmp.write_text(json.dumps({**bridge_command(), "written_by": "lstmfuse plugin install"}, indent=1) + "\n")
        os.replace(tmp, dest / BRIDGE_COMMAND_FILE)
        console.print(f"installed the plugin in {dest}", highlight=False)
    console.print(
        "Enable it: MuseScore 3: Plugins > Plugin Manager, tick 'lstmfuse', OK; it appears under Plugins > lstmfuse.\n"
        "MuseScore 4: Home > Plugins, click lstmfuse, Enable; it appears under the Plugins menu.\n"
        "Then start the bridge (or let the plugin start it): lstmfuse bridge --background",
        highlight=False,
    )
