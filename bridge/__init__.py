"""lstmfuse_bridge: the local HTTP+JSON server that the MuseScore plugin talks to.

Installed as ``lstmfuse_bridge`` (source folder ``bridge/``); started with ``lstmfuse bridge``.
The wire format is described in PROTOCOL.md and protocol.schema.json beside this file.
"""

from __future__ import annotations

#: Version of the wire protocol. A request with another version is refused with a clear
#: "update the plugin" (older) or "update lstmfuse" (newer) message.
PROTOCOL_VERSION = 1

#: Default TCP port on 127.0.0.1 (the running port is written to the state folder).
DEFAULT_PORT = 47291

__all__ = ["PROTOCOL_VERSION", "DEFAULT_PORT"]
