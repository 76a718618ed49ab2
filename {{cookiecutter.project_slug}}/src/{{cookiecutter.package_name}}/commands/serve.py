"""`serve`: the production server. uvicorn with the host, port, workers and shutdown timeout from
settings, logging left to the app, and exit status 0 after a graceful stop on SIGTERM."""

import argparse
import signal
from types import FrameType

import uvicorn

from ..core.settings import settings_or_exit
from .database_check import usable_or_exit
from .listening import free_or_exit

APP_FACTORY = "{{ cookiecutter.package_name }}.main:create_app"


def stopped(signum: int, frame: FrameType | None) -> None:
    """SIGTERM outside uvicorn's watch. uvicorn handles it while serving, and once it has shut down
    gracefully it raises the signal again for the handler it found: under the default one the
    process would die of it (status 143) after stopping cleanly. This one exits 0."""
    raise SystemExit(0)


def parser() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(
        prog="serve",
        description="Serve the app in production. Configured by environment variables (and .env):"
        " DATABASE_URL, HOST, PORT, WEB_CONCURRENCY, SHUTDOWN_TIMEOUT... (see the README).",
    )


def main() -> None:
    parser().parse_args()
    settings = settings_or_exit(url_required=True)
    # A database it cannot use or a port taken is said in one line before uvicorn starts; the app
    # itself starts without the database and answers 503 while it is away.
    usable_or_exit(settings)
    free_or_exit(settings.host, settings.port, "set PORT to another")
    signal.signal(signal.SIGTERM, stopped)
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.web_concurrency,
        log_config=None,  # the app configures logging (JSON or console) when it is created
        access_log=False,  # the app writes its own request line, with the request id
        timeout_graceful_shutdown=settings.shutdown_timeout,
    )


if __name__ == "__main__":
    main()
