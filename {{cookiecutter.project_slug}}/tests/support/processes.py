"""What the tests that start programs of their own need: this environment's commands, as `uv run`
finds them, and a free local port for a server among them."""

import socket
import sys
from pathlib import Path

BIN = Path(sys.executable).parent  # this environment's console scripts
SERVE = BIN / "serve"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
