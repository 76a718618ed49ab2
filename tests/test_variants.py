"""Each driver, baked with the defaults: installed with uv, type-checked, its own suite green on a
named PostgreSQL server and on the embedded default, and served by `serve` until SIGTERM stops it."""

import json
import os
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cookiecutter.main import cookiecutter

from .servers import free_port, postgres_server, scratch_database
from .template import DRIVERS, TEMPLATE, UV

pytestmark = pytest.mark.variant
SUITE = ("pytest", "-q", "--tb=short", "-p", "no:cacheprovider")


def clean_env(**extra: str) -> dict[str, str]:
    """The baked project's own environment: not the template's venv, no inherited database."""
    env = {
        k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "TEST_DATABASE_URL", "DATABASE_URL"}
    }
    return {**env, "UV_PYTHON_DOWNLOADS": "never", **extra}


def uv(project: Path, *args: str, timeout: float = 600, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [UV, *args],
        cwd=project,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def shown(result: subprocess.CompletedProcess[str]) -> str:
    """The failures' own lines first (E ...), then the output's end: enough to see why, not all of it."""
    output = result.stdout + result.stderr
    reasons = [line for line in output.splitlines() if line.startswith("E ")][:40]
    return "\n".join(reasons) + "\n...\n" + output[-4000:]


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="module", params=DRIVERS)
def project(request: pytest.FixtureRequest) -> Iterator[Path]:
    # Not under pytest's tmp_path: any pytest that starts meanwhile makes /tmp/pytest-of-<user>
    # private again, and as root the embedded PostgreSQL's own user, which runs the binaries in the
    # project's .venv, could then not stop the suite's server (PermissionError on pg_ctl).
    with tempfile.TemporaryDirectory(prefix=f"variant-{request.param}-") as output:
        path = Path(
            cookiecutter(
                str(TEMPLATE), no_input=True, output_dir=output, extra_context={"db_driver": request.param}
            )
        )
        synced = uv(path, "sync")
        assert synced.returncode == 0, shown(synced)
        yield path


def test_types_check(project: Path) -> None:
    result = uv(project, "run", "mypy")
    assert result.returncode == 0, shown(result)


def test_suite_on_a_named_server(project: Path, server: str) -> None:
    with scratch_database(server, project.parent.name) as database:
        result = uv(project, "run", *SUITE, TEST_DATABASE_URL=database)
    print(result.stdout[-400:])
    assert result.returncode == 0, shown(result)


def test_suite_on_the_embedded_default(project: Path) -> None:
    result = uv(project, "run", *SUITE)
    print(result.stdout[-400:])
    assert result.returncode == 0, shown(result)


def test_a_named_server_that_does_not_answer_stops_the_run_at_once(project: Path) -> None:
    started = time.monotonic()
    result = uv(
        project,
        "run",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        timeout=60,
        TEST_DATABASE_URL=f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere",
    )
    assert result.returncode != 0
    assert "does not answer" in result.stdout + result.stderr
    assert time.monotonic() - started < 30


def request(method: str, url: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    call = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(call, timeout=5) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def wait_until_answering(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            request("GET", url)
            return
        except OSError:
            assert server.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "uvicorn did not answer within 30 s"
            time.sleep(0.2)


def test_migrate_then_serve_it_and_stop_it(project: Path, server: str) -> None:
    with scratch_database(server, f"{project.parent.name}_serve") as database:
        migrated = uv(project, "run", "migrate", DATABASE_URL=database)
        assert migrated.returncode == 0, shown(migrated)
        port = free_port()
        log = project.parent / "serve.log"  # a file, not a pipe: a full pipe would stall the server
        # The installed entry point itself (not `uv run`, which would stand between it and SIGTERM).
        command = [str(project / ".venv" / "bin" / "serve")]
        with (
            log.open("w") as output,
            subprocess.Popen(
                command,
                cwd=project,
                env=clean_env(DATABASE_URL=database, PORT=str(port)),
                stdout=output,
                stderr=subprocess.STDOUT,
            ) as app,
        ):
            try:
                base = f"http://127.0.0.1:{port}"
                wait_until_answering(f"{base}/health/live", app, log)
                assert request("GET", f"{base}/health/ready")[0] == 200
                created_status, item = request("POST", f"{base}/items", {"name": "served"})
                assert created_status == 201
                assert request("GET", f"{base}/items/{item['id']}") == (200, item)
            finally:
                app.terminate()
                stopped = app.wait(timeout=15)
            assert stopped == 0, log.read_text()[-3000:]
