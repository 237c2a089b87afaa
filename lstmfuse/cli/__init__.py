"""The ``lstmfuse`` command: a thin typer layer over the library.

Each concern registers its commands from its own module (io_commands, model_commands,
...); this file only builds the app and turns user errors into one-line messages.
"""

from __future__ import annotations

import sys
import warnings

import typer
from rich.markup import escape

try:  # typer >= 0.2x carries its own copy of click
    from typer._click import exceptions as click_errors
except ImportError:  # older typer runs on click itself
    from click import exceptions as click_errors

from ..errors import LstmfuseError
from . import help_style
from .app import app, console_err
from .repeated import repeated_option

help_style.apply()  # no '<bool>' after flags, 'FILE' not '{file}' in usage lines

# Importing registers the commands on ``app``.
from . import corpus_commands, generate_commands, io_commands, metrics_commands, model_commands  # noqa: E402,F401
from . import batch_commands  # noqa: E402,F401
from . import bridge_commands  # noqa: E402,F401
from . import regenerate_commands  # noqa: E402,F401


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """lstmfuse's own warnings (e.g. a passage too low for the models) as one stderr line."""
    if issubclass(category, UserWarning) and category.__module__.startswith("lstmfuse"):
        console_err.print(f"[bold yellow]warning:[/] {escape(' '.join(str(message).split()))}", highlight=False, soft_wrap=True)
    else:
        _default_show_warning(message, category, filename, lineno, file, line)


_default_show_warning = warnings.showwarning


def main() -> None:
    """Entry point: run the app; a user error prints one line and exits 2, no traceback.

    Click's own usage errors (a missing argument, an unknown option, '--bars abc') get the
    same one-line form instead of its boxed usage screen, naming the command to ask --help."""
    warnings.showwarning = _show_warning
    command = typer.main.get_command(app)  # built once: the check below reads it, then it runs
    twice = repeated_option(sys.argv[1:], command)
    if twice is not None:
        console_err.print(f"[bold red]error:[/] {escape(twice)}", highlight=False, soft_wrap=True)
        sys.exit(2)
    try:
        code = command(args=sys.argv[1:], standalone_mode=False, prog_name="lstmfuse")
    except click_errors.NoArgsIsHelpError:  # bare 'lstmfuse' or 'lstmfuse batch': typer showed the help
        sys.exit(2)  # as click does: the command was incomplete
    except click_errors.UsageError as err:
        command = err.ctx.command_path if err.ctx else "lstmfuse"
        message = " ".join(err.format_message().split())
        console_err.print(f"[bold red]error:[/] {escape(command)}: {escape(message)} (see '{escape(command)} --help')", highlight=False, soft_wrap=True)
        sys.exit(2)
    except click_errors.ClickException as err:
        console_err.print(f"[bold red]error:[/] {escape(' '.join(err.format_message().split()))}", highlight=False, soft_wrap=True)
        sys.exit(err.exit_code)
    except typer.Abort:
        console_err.print("[bold red]interrupted[/]")
        sys.exit(130)
    except LstmfuseError as err:
        console_err.print(f"[bold red]error:[/] {escape(str(err))}", highlight=False, soft_wrap=True)
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        console_err.print("[bold red]interrupted[/]")
        sys.exit(130)
    if isinstance(code, int) and code:
        sys.exit(code)


__all__ = ["app", "main"]
