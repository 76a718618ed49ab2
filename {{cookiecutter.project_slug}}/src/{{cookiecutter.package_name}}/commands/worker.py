"""`worker`: run the jobs the app enqueued, until SIGTERM; then stop claiming, finish the jobs in
hand and exit 0. Configured like `serve` (DATABASE_URL, JOBS_*, WORKER_PORT; see the README)."""

import argparse
import asyncio
import signal

from ..core import logs
from ..core.settings import Settings, settings_or_exit
from ..jobs.worker import work
from .database_check import usable_or_exit
from .listening import free_or_exit


def parser() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(
        prog="worker",
        description="Run the jobs enqueued in DATABASE_URL's queue, at least once each, until SIGTERM"
        " or Ctrl-C. Configured by environment variables (and .env): DATABASE_URL, JOBS_CONCURRENCY,"
        " JOBS_MAX_ATTEMPTS, JOBS_LEASE, WORKER_PORT... (see the README). WORKER_PORT serves"
        " /health/live, /health/ready and /metrics.",
    )


async def run_until_stopped(settings: Settings) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    await work(settings, stopping)


def main() -> None:
    parser().parse_args()
    settings = settings_or_exit(url_required=True)
    # A database it cannot use is said in one line before the worker starts.
    usable_or_exit(settings)
    free_or_exit(settings.host, settings.worker_port, "set WORKER_PORT to another")
    logs.configure(settings)
    asyncio.run(run_until_stopped(settings))


if __name__ == "__main__":
    main()
