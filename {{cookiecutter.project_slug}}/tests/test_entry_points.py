"""A missing or invalid setting stops every entry point in one line on stderr, with a non-zero exit
status and no traceback: the commands, the migration tool itself, `uvicorn --factory` and the test run."""

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.database_url import ACCEPTED
from {{ cookiecutter.package_name }}.db import MIGRATE_COMMAND

PROJECT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # this environment's console scripts

ENTRY_POINTS: dict[str, list[Path | str]] = {
    "serve": [BIN / "serve"],
    "dev": [BIN / "dev"],
    "migrate": [BIN / "migrate"],
    MIGRATE_COMMAND[0]: [BIN / MIGRATE_COMMAND[0], *MIGRATE_COMMAND[1:]],
    "uvicorn --factory": [BIN / "uvicorn", "{{ cookiecutter.package_name }}.main:create_app", "--factory"],
}
BAD_SETTINGS = {
    "a URL of another database": (
        {"DATABASE_URL": "mysql://app:secret@db/orders"},
        f"error: invalid setting DATABASE_URL: not a PostgreSQL URL; accepted forms: {ACCEPTED}",
    ),
    "no URL in production": (
        {"ENVIRONMENT": "production", "SECRET_KEY": "a-real-secret-for-this-test"},
        "error: DATABASE_URL is required in production",
    ),
    "a pool of none": (
        {"DATABASE_URL": "postgresql://app:secret@db/orders", "DB_POOL_SIZE": "0"},
        "error: invalid setting DB_POOL_SIZE: Input should be greater than or equal to 1",
    ),
}


def run(command: list[Path | str], **env: str) -> subprocess.CompletedProcess[str]:
    """`command` from the project root (where .env, alembic.ini and pyproject.toml are read), with
    `env` instead of any database URL of the caller's. An empty DATABASE_URL is unset, and as a real
    variable it hides one that .env may set."""
    inherited = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    return subprocess.run(  # noqa: S603 (the project's own commands)
        [str(part) for part in command],
        cwd=PROJECT,
        env={**inherited, "DATABASE_URL": "", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def refusals() -> dict[tuple[str, str], subprocess.CompletedProcess[str]]:
    """Every entry point with every bad setting, a few processes at a time: each only starts and
    stops, and one after another they took most of the suite's time."""
    pairs = [(entry_point, case) for entry_point in ENTRY_POINTS for case in BAD_SETTINGS]
    with ThreadPoolExecutor(max_workers=2 * (os.cpu_count() or 1)) as pool:
        started = {
            pair: pool.submit(run, ENTRY_POINTS[pair[0]], **BAD_SETTINGS[pair[1]][0]) for pair in pairs
        }
    return {pair: future.result() for pair, future in started.items()}


@pytest.mark.parametrize("case", BAD_SETTINGS)
@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_a_bad_setting_stops_the_command_in_one_line(
    entry_point: str, case: str, refusals: dict[tuple[str, str], subprocess.CompletedProcess[str]]
) -> None:
    _, expected = BAD_SETTINGS[case]

    result = refusals[entry_point, case]

    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [expected], result.stderr
    assert "secret" not in result.stdout + result.stderr


@pytest.mark.parametrize("entry_point", ["serve", "uvicorn --factory"])
def test_the_servers_need_a_url_outside_production_too(entry_point: str) -> None:
    """Only dev and the migration tools fall back to the local database; a server says what to do."""
    result = run(ENTRY_POINTS[entry_point], ENVIRONMENT="development")

    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "error: DATABASE_URL is not set (`uv run dev` starts a local database)"
    ], result.stderr


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"TEST_DATABASE_URL": "mysql://app:secret@db/orders"},
            f"error: invalid setting TEST_DATABASE_URL: not a PostgreSQL URL; accepted forms: {ACCEPTED}",
        ),
        (
            {"DB_POOL_SIZE": "0"},
            "error: invalid setting DB_POOL_SIZE: Input should be greater than or equal to 1",
        ),
    ],
    ids=["TEST_DATABASE_URL of another database", "a pool of none"],
)
def test_a_bad_setting_stops_the_test_run_before_any_test(env: dict[str, str], expected: str) -> None:
    result = run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_health.py"], **env
    )

    assert result.returncode == 4  # pytest's status for a run stopped by its configuration
    assert result.stderr.strip().splitlines() == [f"Exit: {expected}"], result.stderr
    assert "passed" not in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert "secret" not in result.stdout + result.stderr
