"""Plain help screens: no ``<bool>`` after every flag, ``FILE`` rather than ``{file}``.

typer 0.2x prints the Python type of every option (``--force <bool>``, ``--help <bool>``)
and writes required arguments as ``{file}`` in usage lines; both read as noise to someone
who just wants to know what to type (issue 15). This keeps the types of options that take
a value (``--bars <int>``) and writes usage the way man pages do: ``FILE``, ``[FILE]``,
``FILE...``. Each patch is skipped when typer's internals differ from what it expects.
"""

from __future__ import annotations


def apply() -> None:
    """Patch typer's help rendering once (idempotent)."""
    try:
        from typer.core import TyperArgument, TyperOption
    except ImportError:  # pragma: no cover - another typer layout: keep its own help
        return
    if getattr(TyperOption, "_lstmfuse_plain_help", False):
        return
    if hasattr(TyperOption, "display_type_rich"):
        original = TyperOption.display_type_rich

        def display_type_rich(self, ctx):
            if getattr(self, "is_flag", False) or getattr(self, "count", False):
                return None  # a flag takes no value: its type says nothing
            return original(self, ctx)

        TyperOption.display_type_rich = display_type_rich
    if hasattr(TyperArgument, "_usage_display_name") and hasattr(TyperArgument, "display_name_raw"):

        def usage_display_name(self) -> str:
            name = self.display_name_raw
            if self.metavar is None:
                name = name.upper()
            if self.nargs != 1 and not name.endswith("..."):
                name += "..."
            return name if self.required or name.startswith("[") else f"[{name}]"

        TyperArgument._usage_display_name = usage_display_name
    TyperOption._lstmfuse_plain_help = True


__all__ = ["apply"]
