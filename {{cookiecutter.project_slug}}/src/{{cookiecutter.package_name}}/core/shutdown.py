"""Graceful shutdown. On SIGTERM readiness turns 503 at once while requests are still served for
SHUTDOWN_DRAIN seconds (a load balancer needs that long to stop sending new ones); then the server
stops listening, lets the requests in flight finish, and the lifespan closes the pool."""

import asyncio
import contextvars
import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType

from .settings import Settings

logger = logging.getLogger(__name__)


@dataclass
class ShutdownState:
    draining: bool = False


@contextmanager
def drain_on_sigterm(shutdown: ShutdownState, settings: Settings) -> Iterator[None]:
    """While the app runs, put a drain in front of the server's own SIGTERM handler.

    Only where a server installed one (uvicorn does, in the main thread): an app started by a test or
    a script leaves the process's signals alone.
    """
    server_handler = signal.getsignal(signal.SIGTERM)
    if threading.current_thread() is not threading.main_thread() or not callable(server_handler):
        yield
        return
    loop = asyncio.get_running_loop()

    def drain(signum: int, frame: FrameType | None) -> None:
        shutdown.draining = True
        logger.info("SIGTERM: draining", extra={"drain_seconds": settings.shutdown_drain})
        loop.call_later(settings.shutdown_drain, server_handler, signum, frame)

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        if shutdown.draining:  # a second SIGTERM: no more waiting
            server_handler(signum, frame)
            return
        # The handler interrupts whatever runs, a request's code included: hand the work to the loop,
        # thread-safely, in a context of its own (not that request's, with its request id).
        loop.call_soon_threadsafe(drain, signum, frame, context=contextvars.Context())

    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, server_handler)
