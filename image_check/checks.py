"""What a user relies on when running the image against PostgreSQL: `migrate`, then `serve` with a
read-only root filesystem as a non-root user who cannot write the app's files, ready and serving
writes and reads, HEALTHCHECK passing, and SIGTERM answered by draining and exiting 0 in time."""

import json
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from .errors import ImageCheckError, last_line
from .podman import Podman

# SHUTDOWN_DRAIN and SHUTDOWN_TIMEOUT: production's defaults, set explicitly so the limit is known.
DRAIN, TIMEOUT = 5, 20
READY_WITHIN = 60.0
# Run in the image as its user: which of the app's own folders it could write into.
WRITABLE_SCRIPT = """
import json, os, sysconfig
written = []
for folder in ["/app", "/app/.venv", "/app/migrations", sysconfig.get_paths()["purelib"]]:
    try:
        open(os.path.join(folder, ".image-check"), "x").close()
        written.append(folder)
    except PermissionError:
        pass
print(json.dumps({"uid": os.getuid(), "written": written, "app": sorted(os.listdir("/app"))}))
"""
# What /app may hold: the venv and what `migrate` reads; never the source tree, tests or CI files.
APP_FILES = {".venv", "migrations", "pyproject.toml", "alembic.ini"}


@dataclass(frozen=True)
class Served:
    container: str
    url: str


def run_flags(database_url: str, port: int) -> list[str]:
    """Host networking, to reach the host's PostgreSQL and be reached on loopback only; a read-only
    root with no writable /tmp either (`docker run --read-only` gives none)."""
    settings = {
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(32),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "SHUTDOWN_DRAIN": str(DRAIN),
        "SHUTDOWN_TIMEOUT": str(TIMEOUT),
    }
    flags = ["--network", "host", "--read-only", "--read-only-tmpfs=false"]
    return flags + [f"--env={key}={value}" for key, value in settings.items()]


def new_name(podman: Podman, label: str) -> str:
    name = f"image-check-{label}-{secrets.token_hex(4)}"
    podman.containers.append(name)  # removed at the end even if the command below never returns
    return name


def migrate(podman: Podman, image: str, flags: list[str]) -> None:
    name = new_name(podman, "migrate")
    done = podman.call("run", "--name", name, "--no-healthcheck", *flags, image, "migrate", what="migrate")
    if done.returncode != 0:
        raise ImageCheckError(f"migrate exited {done.returncode}: {last_line(done.stdout + done.stderr)}")


def app_files(podman: Podman, image: str) -> list[str]:
    """What /app holds, after checking the image's user is not root and can write none of it."""
    name = new_name(podman, "files")
    output = podman.run(
        "run", "--name", name, "--no-healthcheck", image, "python", "-c", WRITABLE_SCRIPT, what="files"
    )
    found = json.loads(output.splitlines()[-1])
    if found["uid"] == 0 or found["written"]:
        raise ImageCheckError(f"the image's user is uid {found['uid']} and can write {found['written']}")
    if extra := set(found["app"]) - APP_FILES:
        raise ImageCheckError(f"/app holds more than the app needs: {', '.join(sorted(extra))}")
    return list(found["app"])


def serve(podman: Podman, image: str, flags: list[str], port: int) -> Served:
    name = new_name(podman, "serve")
    podman.run("run", "--detach", "--name", name, *flags, image, what="starting serve")
    return Served(name, f"http://127.0.0.1:{port}")


def request(method: str, url: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    sent = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310 (http://127.0.0.1)
    try:
        with urllib.request.urlopen(sent, timeout=5) as response:  # noqa: S310 (http://127.0.0.1)
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def status_of(url: str) -> int | None:
    """The status a GET answers, or None while nothing listens."""
    try:
        return request("GET", url)[0]
    except OSError:
        return None


def wait_ready(podman: Podman, served: Served, command: str = "serve") -> None:
    """Until the container's /health/ready answers 200; `command` names it in the error."""
    deadline = time.monotonic() + READY_WITHIN
    while time.monotonic() < deadline:
        if status_of(f"{served.url}/health/ready") == 200:
            return
        state = podman.run("inspect", "--format", "{{.State.Status}}", served.container, what="inspect")
        if state != "running":
            logs = podman.call("logs", served.container, what="logs")
            raise ImageCheckError(f"{command} stopped ({state}): {last_line(logs.stdout + logs.stderr)}")
        time.sleep(0.25)
    raise ImageCheckError(f"{command}'s /health/ready did not answer 200 within {READY_WITHIN:.0f} s")


def write_and_read(served: Served) -> None:
    name = f"image-check-{secrets.token_hex(4)}"
    status, created = request("POST", f"{served.url}/items", {"name": name, "price_cents": 1234})
    if status != 201:
        raise ImageCheckError(f"POST /items answered {status}: {created}")
    status, read = request("GET", f"{served.url}/items/{created['id']}")
    if status != 200 or read["name"] != name:
        raise ImageCheckError(f"GET /items/{created['id']} answered {status}: {read}")


def server_uid(podman: Podman, served: Served) -> int:
    """The real uid of the container's main process (serve), read from the host's /proc."""
    pid = podman.run("inspect", "--format", "{{.State.Pid}}", served.container, what="inspect")
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith("Uid:"))
    return int(line.split()[1])


def healthy(podman: Podman, served: Served) -> None:
    done = podman.call("healthcheck", "run", served.container, what="healthcheck")
    if done.returncode != 0:
        raise ImageCheckError(f"HEALTHCHECK failed: {last_line(done.stdout + done.stderr)}")


def sigterm(podman: Podman, served: Served) -> float:
    """Seconds from SIGTERM to exit 0; readiness must turn 503 while liveness stays 200."""
    started = time.monotonic()
    podman.run("kill", "--signal", "TERM", served.container, what="sending SIGTERM")
    while status_of(f"{served.url}/health/ready") != 503:
        if time.monotonic() - started > DRAIN:
            raise ImageCheckError(f"/health/ready still not 503 {DRAIN} s after SIGTERM")
        time.sleep(0.1)
    live = status_of(f"{served.url}/health/live")
    if live != 200:
        raise ImageCheckError(f"/health/live answered {live} while draining")
    code = podman.run("wait", served.container, what="waiting for the exit", timeout=DRAIN + TIMEOUT + 30)
    elapsed = time.monotonic() - started
    if code != "0":
        raise ImageCheckError(f"serve exited {code} on SIGTERM")
    if elapsed > DRAIN + TIMEOUT:
        raise ImageCheckError(
            f"serve took {elapsed:.1f} s to exit, over drain + timeout ({DRAIN + TIMEOUT} s)"
        )
    return elapsed
