"""``python -m lstmfuse_bridge --port P``: run the bridge in the foreground (what
``lstmfuse bridge --background`` starts detached)."""

from __future__ import annotations

import argparse
import sys

from lstmfuse.errors import LstmfuseError

from . import DEFAULT_PORT
from .control import run_foreground


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="lstmfuse_bridge")
    ap.add_argument("--port", type=int, default=DEFAULT_PORT)
    ap.add_argument("--no-preload", action="store_true")
    ap.add_argument("--any-port", action="store_true", help="if the port is taken, listen on a free one (the plugin finds it in bridge.json)")
    args = ap.parse_args(argv)
    try:
        run_foreground(args.port, preload=not args.no_preload, fallback=args.any_port)
    except LstmfuseError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
