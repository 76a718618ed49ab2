"""Each driver, baked with the defaults on the default Python: installed with uv, type-checked, its
own suite green (in parallel, in random order) on a named PostgreSQL server and on the embedded
default, served by `serve` until SIGTERM stops it, and a client generated from its OpenAPI schema
built, type-checked and talking to it. The default driver on every other Python the prompt offers
that this machine has. Each driver baked with auth=jwt and jobs=none too: type-checked, its suite
green on the named server. Every command is bounded: a hang fails, it never stalls CI."""

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cookiecutter.main import cookiecutter

from . import pythons
from .servers import free_port, postgres_server, scratch_database
from .template import DRIVERS, TEMPLATE, UV

pytestmark = pytest.mark.variant
SUITE = ("pytest", "-q", "--tb=short", "-p", "no:cacheprovider", "-n", "2")
COMMAND_SECONDS = 600  # a baked suite takes well under a minute; uv sync on a cold cache a few


def clean_env(**extra: str) -> dict[str, str]:
    """The baked project's own environment: not the template's venv, no inherited database."""
    env = {
        k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "TEST_DATABASE_URL", "DATABASE_URL"}
    }
    return {**env, "UV_PYTHON_DOWNLOADS": "never", **extra}


def uv(
    project: Path, *args: str, timeout: float = COMMAND_SECONDS, **env: str
) -> subprocess.CompletedProcess[str]:
    """`uv ARGS` in the project, its whole process group killed if it outlives `timeout`."""
    with subprocess.Popen(
        [UV, *args],
        cwd=project,
        env=clean_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own group: pytest and the servers it starts go with it
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
            pytest.fail(
                f"`uv {' '.join(args)}` did not finish within {timeout} s\n{(stdout + stderr)[-4000:]}"
            )
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def in_random_order(*args: str) -> tuple[str, ...]:
    """`uv run` ARGS with pytest-randomly on a fresh seed, which a failure's output names."""
    return (
        "run",
        "--with",
        "pytest-randomly>=3.15",
        *args,
        f"--randomly-seed={secrets.randbelow(10**6)}",
    )


def shown(result: subprocess.CompletedProcess[str]) -> str:
    """The failures' own lines first (E ...), then the output's end: enough to see why, not all of it."""
    output = result.stdout + result.stderr
    reasons = [line for line in output.splitlines() if line.startswith("E ")][:40]
    seed = next((arg for arg in result.args if str(arg).startswith("--randomly-seed")), "")
    return f"{seed}\n" + "\n".join(reasons) + "\n...\n" + output[-4000:]


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def workspace() -> Iterator[Path]:
    """Where the projects are baked. Not pytest's tmp_path: a baked suite under pytest-xdist makes
    /tmp/pytest-of-root private to root again, and its embedded PostgreSQL, which runs as a user of
    its own when the tests run as root, could then no longer reach its binaries in the project."""
    folder = Path(tempfile.mkdtemp(prefix="tpl-variants-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def baked(output: Path, python: str | None, **context: str) -> Path:
    """A fresh bake, `uv sync`ed on `python` (an interpreter's path; None: this machine has none of the
    chosen version, and the bake is pinned, as its README says, to the Python these tests run on). With
    its libraries' bytecode compiled at install, as the baked README advises where PYTHONDONTWRITEBYTECODE
    is set."""
    output.mkdir()
    path = Path(cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(output), extra_context=context))
    if python is None:  # `uv run` would look for the pinned one, and may not download it here
        pinned = uv(path, "python", "pin", f"{sys.version_info.major}.{sys.version_info.minor}")
        assert pinned.returncode == 0, shown(pinned)
    synced = uv(path, "sync", "--compile-bytecode", *(["--python", python] if python else []))
    assert synced.returncode == 0, shown(synced)
    return path


@pytest.fixture(scope="module", params=DRIVERS)
def project(request: pytest.FixtureRequest, workspace: Path) -> Path:
    return baked(workspace / request.param, pythons.find(pythons.DEFAULT), db_driver=request.param)


# With auth=jwt the suite adds its own identity provider and the token checks; the rest of the
# variant's behaviour is covered above, so one run on the named server is enough. Without jobs too
# (the other answer of each): the day-one removal test runs auth=jwt with jobs on asyncpg.
@pytest.fixture(scope="module", params=DRIVERS)
def jwt_project(request: pytest.FixtureRequest, workspace: Path) -> Path:
    python = pythons.find(pythons.DEFAULT)
    return baked(workspace / f"{request.param}-jwt", python, db_driver=request.param, auth="jwt", jobs="none")


def package_of(project: Path) -> str:
    [package] = [path.name for path in (project / "src").iterdir() if path.is_dir()]
    return package


def types_check(project: Path) -> None:
    result = uv(project, "run", "mypy")
    assert result.returncode == 0, shown(result)


def suite_on_a_named_server(project: Path, server: str) -> None:
    with scratch_database(server, project.parent.name) as database:
        result = uv(project, *in_random_order(*SUITE), TEST_DATABASE_URL=database)
    print(result.stdout[-400:])
    assert result.returncode == 0, shown(result)


def test_types_check(project: Path) -> None:
    types_check(project)


def test_suite_on_a_named_server(project: Path, server: str) -> None:
    suite_on_a_named_server(project, server)


def test_jwt_types_check(jwt_project: Path) -> None:
    types_check(jwt_project)


def test_jwt_suite_on_a_named_server(jwt_project: Path, server: str) -> None:
    suite_on_a_named_server(jwt_project, server)


def test_suite_on_the_embedded_default(project: Path) -> None:
    result = uv(project, *in_random_order(*SUITE))
    print(result.stdout[-400:])
    assert result.returncode == 0, shown(result)


# Every driver on the newest offered Python (the default's are the tests above); the default driver
# on each other one, the oldest included (mypy reads every bake as the oldest would).
OTHER_PYTHONS = [
    pytest.param(version, driver, id=f"{version}-{driver}")
    for version in pythons.OFFERED
    if version != pythons.DEFAULT
    for driver in (DRIVERS if version in pythons.EVERY_DRIVER else DRIVERS[:1])
]


@pytest.mark.parametrize(("version", "driver"), OTHER_PYTHONS)
def test_another_offered_python(version: str, driver: str, server: str, workspace: Path) -> None:
    interpreter = pythons.find(version)
    if interpreter is None:
        pytest.skip(f"no Python {version} on this machine: not tested here")
    project = baked(
        workspace / f"py{version.replace('.', '')}-{driver}",
        interpreter,
        python_version=version,
        db_driver=driver,
    )
    types_check(project)
    suite_on_a_named_server(project, server)


HANGING_TEST = """
import asyncio

import pytest


async def wait_for_a_reply_that_never_comes() -> None:
    await asyncio.Event().wait()


@pytest.mark.timeout(3, func_only=True)  # the test itself: the run's database may take longer to start
async def test_that_hangs() -> None:
    await wait_for_a_reply_that_never_comes()
"""


def test_a_hanging_test_fails_and_says_where_it_waited(project: Path) -> None:
    hanging = project / "tests" / "test_hang_probe.py"
    hanging.write_text(HANGING_TEST)
    try:
        result = uv(project, "run", "pytest", "-q", "-p", "no:cacheprovider", str(hanging), timeout=300)
    finally:
        hanging.unlink()
    output = result.stdout + result.stderr
    assert result.returncode == 1, shown(result)
    assert "FAILED tests/test_hang_probe.py::test_that_hangs - Failed: Timeout" in output
    assert "in wait_for_a_reply_that_never_comes" in output


# The machinery's own tests (tests/machinery/), by the drivers they need: each instrumentation's
# declared range is checked once.
MACHINERY = Path(__file__).parent / "machinery"
MACHINERY_TESTS = {
    "asyncpg": ("sqlalchemy_tracing_canary.py",),
    "tortoise": ("asyncpg_tracing_canary.py",),
}
# The blocking-call guard's probes, by driver: its rules differ by driver only in what they allow
# (asyncpg's and Tortoise's startup reads) and in what else counts as blocking (psycopg's waits).
BLOCKING_PROBES = {
    "asyncpg": ("blocking_probe.py",),
    "tortoise": ("blocking_probe.py",),
    "sync-threadpool": ("blocking_probe.py", "psycopg_probe.py"),
}
BLOCKED = {"blocking_probe.py": "time.sleep", "psycopg_probe.py": "psycopg.waiting.wait_conn"}


def run_in_the_bake(
    project: Path, server: str, names: tuple[str, ...], prefix: str
) -> subprocess.CompletedProcess[str]:
    """The bake's pytest on copies of `names` (tests/machinery/), each laid in its tests/ as
    `<prefix><name>` with PACKAGE named, on a scratch database; the copies go after."""
    copies = [project / "tests" / f"{prefix}{name}" for name in names]
    for name, copy in zip(names, copies, strict=True):
        copy.write_text((MACHINERY / name).read_text().replace("PACKAGE", package_of(project)))
    try:
        with scratch_database(server, f"{project.parent.name}-{prefix.strip('_')}") as database:
            return uv(
                project,
                "run",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                *map(str, copies),
                TEST_DATABASE_URL=database,
            )
    finally:
        for copy in copies:
            copy.unlink()


def test_the_blocking_guard_fails_what_blocks_the_loop_and_only_that(project: Path, server: str) -> None:
    names = BLOCKING_PROBES[project.parent.name]
    result = run_in_the_bake(project, server, names, "test_")
    output = result.stdout + result.stderr
    # The guard fails a test as its fixture ends: an error at teardown, after the test itself passed.
    failed = sorted(
        line.split(" - ")[0]
        for line in output.splitlines()
        if line.startswith(("FAILED tests/", "ERROR tests/"))
    )
    assert failed == sorted(
        f"ERROR tests/test_{name}::{test}"
        for name, test in [
            ("blocking_probe.py", "test_a_route_that_sleeps_on_the_loop"),
            ("psycopg_probe.py", "test_a_route_that_queries_with_psycopg_on_the_loop"),
        ]
        if name in names
    ), shown(result)
    for name in names:
        assert f"the service blocked the event loop: Blocking call to {BLOCKED[name]}" in output, shown(
            result
        )
    errors = "1 error" if len(names) == 1 else f"{len(names)} errors"
    assert f"{len(names) + 2} passed, {errors}" in output, shown(result)


def test_the_machinery_does_what_it_says(project: Path, server: str) -> None:
    names = MACHINERY_TESTS.get(project.parent.name, ())
    if not names:
        pytest.skip("the machinery's tests run on another driver's bake")
    result = run_in_the_bake(project, server, names, "test_machinery_")
    print(result.stdout[-400:])
    assert result.returncode == 0, shown(result)


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


# The schema as the app serves it at /openapi.json; building it connects to nothing.
SCHEMA = """
import json, sys
from {package}.main import create_app
from {package}.core.settings import Settings
app = create_app(Settings(_env_file=None, environment="test", database_url="postgresql://127.0.0.1:9/none"))
sys.stdout.write(json.dumps(app.openapi()))
"""
# The generated client against the app in-process, its database unreachable: the client must read
# the service's error bodies, and it raises on any status the schema does not declare.
CLIENT_TALKS = """
import asyncio
from asgi_lifespan import LifespanManager
from httpx import ASGITransport
from {package}.main import create_app
from {package}.core.settings import Settings
from {client}.client import Client
from {client}.api.health import live
from {client}.api.items import get_item
from {client}.models import ErrorBody, Liveness

async def main() -> None:
    settings = Settings(_env_file=None, environment="test", database_url="postgresql://127.0.0.1:9/none")
    app = create_app(settings.model_copy(update={{"db_connect_timeout": 1}}))
    async with LifespanManager(app):
        transport = ASGITransport(app=app)
        client = Client("http://test", httpx_args={{"transport": transport}}, raise_on_unexpected_status=True)
        alive = await live.asyncio(client=client)
        invalid = await get_item.asyncio(client=client, item_id=0)
        down = await get_item.asyncio_detailed(client=client, item_id=1)
    assert isinstance(alive, Liveness) and alive.status == "ok", alive
    assert isinstance(invalid, ErrorBody) and invalid.code == "invalid_request", invalid
    assert not isinstance(invalid.detail, str) and invalid.detail[0].loc == ["path", "item_id"], invalid
    assert down.status_code == 503 and down.headers["retry-after"], down
    assert isinstance(down.parsed, ErrorBody) and down.parsed.code == "database_unavailable", down

asyncio.run(main())
"""


def test_a_client_generated_from_the_schema_builds_type_checks_and_talks(
    project: Path, tmp_path: Path
) -> None:
    package = package_of(project)
    dumped = uv(project, "run", "python", "-c", SCHEMA.format(package=package))
    assert dumped.returncode == 0, shown(dumped)
    schema = tmp_path / "openapi.json"
    schema.write_text(dumped.stdout)
    generator = Path(sys.executable).with_name("openapi-python-client")  # a dev dependency of the template
    output = tmp_path / "client"
    generated = subprocess.run(
        [generator, "generate", "--path", schema, "--output-path", output, "--meta", "uv"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert generated.returncode == 0, shown(generated)
    assert "warning" not in (generated.stdout + generated.stderr).lower(), shown(generated)
    built = uv(output, "build", "--wheel", "--out-dir", str(tmp_path / "dist"))
    assert built.returncode == 0, shown(built)
    [wheel] = (tmp_path / "dist").glob("*.whl")
    [client] = [path.name for path in output.iterdir() if (path / "py.typed").exists()]

    # Installed from its wheel, as its users would install it, and checked as they would check it.
    checked = uv(
        tmp_path,
        "run",
        "--isolated",
        "--no-project",
        "--with",
        str(wheel),
        "--with",
        "mypy",
        "mypy",
        "--strict",
        "-p",
        client,
    )
    assert checked.returncode == 0, shown(checked)
    talked = uv(
        project,
        "run",
        "--with",
        str(wheel),
        "python",
        "-c",
        CLIENT_TALKS.format(package=package, client=client),
    )
    assert talked.returncode == 0, shown(talked)
