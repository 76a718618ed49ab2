"""One uvicorn process serving an app: uvloop, httptools, one worker, no access log; started,
waited for, and stopped."""

import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import BenchError

UVICORN_FLAGS = (
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    "--workers",
    "1",
    "--no-access-log",
    "--log-level",
    "warning",
    "--host",
    "127.0.0.1",
)


def uvicorn_command(
    python: Path, app: str, port: int, factory: bool, app_dir: Path | None = None
) -> list[str]:
    command = [str(python), "-m", "uvicorn", app, *UVICORN_FLAGS, "--port", str(port)]
    if factory:
        command.append("--factory")
    if app_dir is not None:
        command += ["--app-dir", str(app_dir)]
    return command


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (our own loopback server)
            return bool(response.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def responds(url: str, timeout: float) -> bool:
    """Whether any answer, an error status too, comes within `timeout` seconds."""
    try:
        with urllib.request.urlopen(url, timeout=timeout):  # noqa: S310 (our own loopback server)
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, urllib.error.URLError):
        return False


@contextmanager
def serving(
    command: list[str], cwd: Path, env: dict[str, str], ready_url: str, log: Path, wait_s: float = 60
) -> Iterator[int]:
    """Run `command` until the block ends; yields its pid once `ready_url` answers 200."""
    with (
        log.open("w") as output,  # a file, not a pipe: a full pipe would stall the server
        subprocess.Popen(command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT) as app,
    ):
        try:
            deadline = time.monotonic() + wait_s
            while not answers(ready_url):
                if app.poll() is not None:
                    tail = (log.read_text().strip().splitlines() or ["no output"])[-1]
                    raise BenchError(f"the server exited with {app.returncode} before answering: {tail}")
                if time.monotonic() > deadline:
                    raise BenchError(f"the server did not answer {ready_url} within {wait_s:.0f} s")
                time.sleep(0.2)
            yield app.pid
        finally:
            app.send_signal(signal.SIGINT)
            try:
                app.wait(timeout=20)
            except subprocess.TimeoutExpired:
                app.kill()
                app.wait()
            except KeyboardInterrupt:  # Ctrl-C or SIGTERM while it drains: stop it now, then go on
                app.kill()
                app.wait()
                raise
