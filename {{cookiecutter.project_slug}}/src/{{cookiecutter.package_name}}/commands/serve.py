"""`serve`: the production server. uvicorn with the host, port, workers and shutdown timeout from
settings, logging left to the app, and exit status 0 after a graceful stop on SIGTERM."""

import signal
from types import FrameType

import uvicorn

from ..core.settings import settings_or_exit

APP_FACTORY = "{{ cookiecutter.package_name }}.main:create_app"


def stopped(signum: int, frame: FrameType | None) -> None:
    """SIGTERM outside uvicorn's watch. uvicorn handles it while serving, and once it has shut down
    gracefully it raises the signal again for the handler it found: under the default one the
    process would die of it (status 143) after stopping cleanly. This one exits 0."""
    raise SystemExit(0)


def main() -> None:
    settings = settings_or_exit(url_required=True)
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
