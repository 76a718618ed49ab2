"""A missing or invalid setting stops every entry point in one line on stderr, with a non-zero exit
status and no traceback: the commands, the migration tool itself, `uvicorn --factory` and the test run.

Every entry point meets every bad setting here in this process, through the function its executable
calls (the console script's entry in the package metadata), so the whole table costs milliseconds.
One real process per entry point then shows what only a process can: its exit status, the one line
on stderr, no traceback."""

import asyncio
import logging
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import entry_points
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit, urlunsplit

import pytest
import uvicorn

from {{ cookiecutter.package_name }}.commands import dev
from {{ cookiecutter.package_name }}.commands.database_check import address
from {{ cookiecutter.package_name }}.commands.migration_tool import MIGRATE_COMMAND
from {{ cookiecutter.package_name }}.core.database_url import ACCEPTED
from {{ cookiecutter.package_name }}.core.settings import get_settings

from .support.live import pytest_sessionstart
from .support.postgres import BAD_SETTING, database_name, with_database
from .support.processes import BIN
from .support.protocols import Migrator

PROJECT = Path(__file__).resolve().parents[1]

ENTRY_POINTS: dict[str, list[str]] = {
    "serve": ["serve"],
    "dev": ["dev"],
    "migrate": ["migrate"],
    MIGRATE_COMMAND[0]: list(MIGRATE_COMMAND),
    "uvicorn --factory": ["uvicorn", "{{ cookiecutter.package_name }}.main:create_app", "--factory"],
}
A_URL_OF_ANOTHER_DATABASE = "a URL of another database"
BAD_SETTINGS = {
    A_URL_OF_ANOTHER_DATABASE: (
        {"DATABASE_URL": "mysql://app:secret@db/orders"},
        f"error: invalid setting DATABASE_URL: not a PostgreSQL URL; accepted forms: {ACCEPTED}",
    ),
    "no URL in production": (
        {"ENVIRONMENT": "production"},
        "error: DATABASE_URL is required in production",
    ),
    "a pool of none": (
        {"DATABASE_URL": "postgresql://app:secret@db/orders", "DB_POOL_SIZE": "0"},
        "error: invalid setting DB_POOL_SIZE: Input should be greater than or equal to 1",
    ),
    "more connections than the budget": (
        {"DATABASE_URL": "postgresql://app:secret@db/orders", "REPLICAS": "50"},
        "error: REPLICAS 50 x WEB_CONCURRENCY 1 x (DB_POOL_SIZE 10 + DB_MAX_OVERFLOW 5) = 750 connections,"
        " over DB_CONNECTION_BUDGET 97",
    ),
}
NO_URL_FOR_A_SERVER = "error: DATABASE_URL is not set (`uv run dev` starts a local database)"

InThisProcess = Callable[..., tuple[object, str]]


def went_on(*args: object, **kwargs: object) -> NoReturn:
    raise AssertionError("the entry point went on past a refusal")


@pytest.fixture
def in_this_process(monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> InThisProcess:
    """Runs an entry point as its executable would, from the project root (where .env, alembic.ini and
    pyproject.toml are read) with `env` instead of any database URL of the caller's (an empty
    DATABASE_URL is unset, and hides one that .env may set). Returns the SystemExit's code and what
    reached stderr. Whatever would go on past a refusal (exec, serving) fails the test instead."""

    def run(command: list[str], **env: str) -> tuple[object, str]:
        monkeypatch.chdir(PROJECT)
        monkeypatch.delenv("TEST_DATABASE_URL", raising=False)
        for name, value in {"DATABASE_URL": "", **env}.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(sys, "argv", [str(BIN / command[0]), *command[1:]])
        monkeypatch.setattr(os, "execvp", went_on)
        monkeypatch.setattr(dev, "migrate_command", went_on)  # dev's migrations, before they run
        monkeypatch.setattr(uvicorn.Server, "startup", went_on)
        # uvicorn's command line configures logging for the whole process; the suite's logs are its own.
        monkeypatch.setattr(uvicorn.Config, "configure_logging", lambda config: None)
        (script,) = entry_points(group="console_scripts", name=command[0])
        get_settings.cache_clear()
        try:
            with pytest.raises(SystemExit) as stopped:
                script.load()()
        finally:
            get_settings.cache_clear()
            logging.disable(logging.NOTSET)
        return stopped.value.code, capfd.readouterr().err

    return run


@pytest.mark.parametrize("case", BAD_SETTINGS)
@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_a_bad_setting_stops_the_entry_point_in_one_line(
    entry_point: str, case: str, in_this_process: InThisProcess
) -> None:
    env, expected = BAD_SETTINGS[case]

    code, stderr = in_this_process(ENTRY_POINTS[entry_point], **env)

    assert code == expected  # Python prints a str exit code as the one line on stderr, status 1
    assert stderr == ""


@pytest.mark.parametrize("entry_point", ["serve", "uvicorn --factory"])
def test_the_servers_need_a_url_outside_production_too(
    entry_point: str, in_this_process: InThisProcess
) -> None:
    """Only dev and the migration tools fall back to the local database; a server says what to do."""
    code, stderr = in_this_process(ENTRY_POINTS[entry_point], ENVIRONMENT="development")

    assert code == NO_URL_FOR_A_SERVER
    assert stderr == ""


# The run's environment as collection leaves it: the processes below start while other tests run,
# and must not see what those tests set for themselves.
INHERITED = {name: value for name, value in os.environ.items() if name != "TEST_DATABASE_URL"}


def run(command: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    """`command` (a console script of this environment, or a path) as a process of its own, with the
    environment `in_this_process` gives."""
    return subprocess.run(  # noqa: S603 (the project's own commands)
        [str(BIN / command[0]), *command[1:]],
        cwd=PROJECT,
        env={**INHERITED, "DATABASE_URL": "", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


BAD_TEST_DATABASE_URL = (
    {"TEST_DATABASE_URL": "mysql://app:secret@db/orders"},
    f"error: invalid setting TEST_DATABASE_URL: not a PostgreSQL URL; accepted forms: {ACCEPTED}",
)
TEST_RUN = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_health.py"]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        BAD_TEST_DATABASE_URL,
        ({"DB_POOL_SIZE": "0"}, BAD_SETTINGS["a pool of none"][1]),
    ],
    ids=["TEST_DATABASE_URL of another database", "a pool of none"],
)
def test_a_bad_setting_stops_the_test_run_before_any_test(
    env: dict[str, str], expected: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(pytest.exit.Exception) as stopped:
        pytest_sessionstart(request.session)

    assert stopped.value.msg == expected
    assert stopped.value.returncode == BAD_SETTING


# Each entry point once as a real process, all at once, and a test run: each only starts and stops.
# One test reads all the entry points' processes and one the test run's: under pytest-xdist each
# set then runs on one worker, not on every worker that has a test of the module.
def refuse_in_every_entry_point() -> dict[str, subprocess.CompletedProcess[str]]:
    env, _ = BAD_SETTINGS[A_URL_OF_ANOTHER_DATABASE]
    with ThreadPoolExecutor(max_workers=len(ENTRY_POINTS)) as pool:
        started = {name: pool.submit(run, command, **env) for name, command in ENTRY_POINTS.items()}
    return {name: future.result() for name, future in started.items()}


def refuse_a_test_run() -> subprocess.CompletedProcess[str]:
    env, _ = BAD_TEST_DATABASE_URL
    return run(TEST_RUN, **env)


@pytest.fixture
def refusing_processes() -> dict[str, subprocess.CompletedProcess[str]]:
    return refuse_in_every_entry_point()


@pytest.fixture
def refused_test_run() -> subprocess.CompletedProcess[str]:
    return refuse_a_test_run()


def test_every_refusing_process_prints_one_line_and_no_traceback(
    refusing_processes: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    _, expected = BAD_SETTINGS[A_URL_OF_ANOTHER_DATABASE]

    # Per entry point: exit status, the lines on stderr, whether the password showed anywhere.
    seen = {
        name: (
            result.returncode,
            result.stderr.strip().splitlines(),
            "secret" in result.stdout + result.stderr,
        )
        for name, result in refusing_processes.items()
    }

    assert seen == {name: (1, [expected], False) for name in ENTRY_POINTS}


def test_a_refused_test_run_says_why_and_runs_no_test(
    refused_test_run: subprocess.CompletedProcess[str],
) -> None:
    _, expected = BAD_TEST_DATABASE_URL

    result = refused_test_run

    assert result.returncode == BAD_SETTING  # pytest's status for a run stopped by its configuration
    assert result.stderr.strip().splitlines() == [f"Exit: {expected}"], result.stderr
    assert "passed" not in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert "secret" not in result.stdout + result.stderr


# The commands' own command lines.
COMMANDS = ["migrate", "dev", "serve", "forget-keys"]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_only_prints_the_usage(command: str, in_this_process: InThisProcess) -> None:
    """Nothing goes on past the usage: in_this_process fails the test at an exec, a child process or
    a server starting, before any of them could touch the database in DATABASE_URL."""
    code, _ = in_this_process([command, "--help"], DATABASE_URL="postgresql://app:secret@127.0.0.1:9/app")

    assert code == 0


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unknown_option_is_a_usage_error(command: str, in_this_process: InThisProcess) -> None:
    code, stderr = in_this_process([command, "--prot", "8001"])

    assert code == 2  # argparse's status for a usage error
    assert stderr.splitlines()[-1] == f"{command}: error: unrecognized arguments: --prot 8001"


async def test_migrate_help_leaves_an_empty_database_empty(migrator: Migrator) -> None:
    result = await asyncio.to_thread(run, ["migrate", "--help"], DATABASE_URL=migrator.url)

    assert (result.returncode, result.stdout.startswith("usage: migrate")) == (0, True), result.stderr
    assert await migrator.tables() == set()


async def test_migrate_check_says_whether_the_database_is_behind(
    migrator: Migrator, in_this_process: InThisProcess
) -> None:
    # On a thread: the command runs an event loop of its own, as it does in its own process.
    behind, _ = await asyncio.to_thread(in_this_process, ["migrate", "--check"], DATABASE_URL=migrator.url)
    tables_meanwhile = await migrator.tables()
    await migrator.upgrade()
    at_head, _ = await asyncio.to_thread(in_this_process, ["migrate", "--check"], DATABASE_URL=migrator.url)

    assert isinstance(behind, str)  # one line on stderr, status 1
    assert behind.startswith("migrate: the database is at no migration, the latest is "), behind
    assert behind.endswith(" to apply")
    assert tables_meanwhile == set()
    assert at_head is None  # status 0


PASSWORD = "secret-of-the-commands"  # noqa: S105 (a marker to look for in the output, not a credential)


def with_login(url: str, user: str) -> str:
    """The same server and database as `user`, with PASSWORD (the test server trusts it anyway)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{user}:{PASSWORD}@{parts.netloc.rpartition('@')[2]}"))


def unusable_databases(server_url: str) -> dict[str, tuple[str, str]]:
    """By case, a DATABASE_URL the commands cannot use and the one line they answer it with."""
    user = urlsplit(server_url).username or "postgres"
    missing = with_database(with_login(server_url, user), "no_such_database")
    unknown_role = with_login(server_url, "nobody")
    here = address(server_url)
    return {
        "refused port": (
            f"postgresql://app:{PASSWORD}@127.0.0.1:9/app",
            "error: DATABASE_URL names 127.0.0.1:9, which does not answer: [Errno 111] Connection refused",
        ),
        "unknown host": (
            f"postgresql://app:{PASSWORD}@no-such-host.invalid/app",
            "error: DATABASE_URL names no-such-host.invalid:5432, which does not answer:"
            " [Errno -2] Name or service not known",
        ),
        "unknown role": (
            unknown_role,
            f"error: DATABASE_URL names {here}, which refused user nobody on database"
            f' {database_name(server_url)}: role "nobody" does not exist',
        ),
        "missing database": (
            missing,
            f"error: DATABASE_URL names {here}, which refused user {user} on database no_such_database:"
            ' database "no_such_database" does not exist',
        ),
    }


@pytest.mark.parametrize("case", ["refused port", "unknown host", "unknown role", "missing database"])
@pytest.mark.parametrize("command", COMMANDS)
def test_a_database_the_command_cannot_use_stops_it_in_one_line(
    command: str, case: str, server_url: str, in_this_process: InThisProcess
) -> None:
    url, expected = unusable_databases(server_url)[case]

    code, stderr = in_this_process([command], DATABASE_URL=url)

    assert code == expected
    assert stderr == ""
    assert PASSWORD not in str(code)


@pytest.fixture
def port_in_use() -> Iterator[int]:
    with socket.create_server(("127.0.0.1", 0)) as listening:
        yield listening.getsockname()[1]


@pytest.mark.parametrize(
    ("command", "env", "choose"),
    [
        (["dev", "--port", "{port}"], {}, "pick another with --port"),
        (["serve"], {"PORT": "{port}"}, "set PORT to another"),
{%- if cookiecutter.jobs == "postgres" %}
        (["worker"], {"WORKER_PORT": "{port}"}, "set WORKER_PORT to another"),
{%- endif %}
    ],
    ids=["dev", "serve"{{ ', "worker"' if cookiecutter.jobs == "postgres" }}],
)
def test_a_port_in_use_stops_the_server_in_one_line(
    command: list[str],
    env: dict[str, str],
    choose: str,
    port_in_use: int,
    database_url: str,
    in_this_process: InThisProcess,
) -> None:
    """dev's --port is the port it would listen on: the one in use, not PORT's or the default."""
    filled = {name: value.format(port=port_in_use) for name, value in env.items()}

    code, stderr = in_this_process(
        [part.format(port=port_in_use) for part in command], DATABASE_URL=database_url, **filled
    )

    assert code == (
        f"error: cannot listen on 127.0.0.1:{port_in_use}: the address is in use:"
        f" another process serves there; {choose}"
    )
    assert stderr == ""


# The same refusal from each command as a real process: the status, the one line, no traceback.
def refuse_an_unusable_database() -> dict[str, subprocess.CompletedProcess[str]]:
    url = f"postgresql://app:{PASSWORD}@127.0.0.1:9/app"
    with ThreadPoolExecutor(max_workers=len(COMMANDS)) as pool:
        started = {name: pool.submit(run, [name], DATABASE_URL=url) for name in COMMANDS}
    return {name: future.result() for name, future in started.items()}


@pytest.fixture
def unusable_database_processes() -> dict[str, subprocess.CompletedProcess[str]]:
    return refuse_an_unusable_database()


def test_every_command_refuses_an_unusable_database_in_one_line(
    unusable_database_processes: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    expected = "error: DATABASE_URL names 127.0.0.1:9, which does not answer: [Errno 111] Connection refused"

    seen = {
        name: (
            result.returncode,
            result.stderr.strip().splitlines(),
            PASSWORD in result.stdout + result.stderr,
        )
        for name, result in unusable_database_processes.items()
    }

    assert seen == {name: (1, [expected], False) for name in COMMANDS}
