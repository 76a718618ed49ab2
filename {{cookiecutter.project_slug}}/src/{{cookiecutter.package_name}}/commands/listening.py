"""Whether a server could listen on an address, asked before uvicorn tries: in one line, not its log."""

import errno
import os
import socket


def free_or_exit(host: str, port: int, choose: str) -> None:
    """End the command in one line unless (host, port) can be bound. SO_REUSEADDR, as uvicorn binds:
    only a socket still listening there stands in the way, not one that recently closed."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as error:
        # socket.create_server adds its own words to the error: what the system said is enough.
        if error.errno == errno.EADDRINUSE:
            reason = f"the address is in use: another process serves there; {choose}"
        else:
            reason = os.strerror(error.errno) if error.errno and error.errno > 0 else str(error)
        raise SystemExit(f"error: cannot listen on {host}:{port}: {reason}") from None
