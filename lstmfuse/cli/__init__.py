"""The ``lstmfuse`` command: a thin typer layer over the library.

Each concern registers its commands from its own module (io_commands, model_commands,
...); this file only builds the app and turns user errors into one-line messages.
"""

from __future__ import annotations

import sys

from ..errors import LstmfuseError
from .app import app, console_err

# Importing registers the commands on ``app``.
from . import corpus_commands, generate_commands, io_commands, metrics_commands, model_commands  # noqa: E402,F401
from . import batch_commands  # noqa: E402,F401
from . import bridge_commands  # noqa: E402,F401


def main() -> None:
    """Entry point: run the app; a user error prints one line and exits 2, no traceback."""
    try:
        app(standalone_mode=True)
    except LstmfuseError as err:
        console_err.print(f"[bold red]error:[/] {err}", highlight=False, soft_wrap=True)
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        console_err.print("[bold red]interrupted[/]")
        sys.exit(130)


__all__ = ["app", "main"]
