"""A team's first hour on a fresh bake of each driver, with nothing configured: `uv run dev` says which
database and address it serves; a field and a resource added as the baked README lists the steps; the
drift test fails until the driver's own tool writes the migration on the same local database; then
ruff, format, mypy and the whole suite are green with no edit by hand."""

import contextlib
import re
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from . import pythons
from .day_one import (
    GENERATE,
    REMOVE,
    add_field_and_resource,
    remove_example,
    tortoise_checks_removed_first,
    transfers_first,
)
from .servers import free_port
from .template import DRIVERS
from .test_variants import baked, clean_env, request, shown, uv

pytestmark = pytest.mark.variant
# Who says which database it works on: `migrate` hands over to the migration tool, which says it.
MIGRATE_TOOL = {"asyncpg": "alembic", "tortoise": "tortoise", "sync-threadpool": "alembic"}
LOCAL_DATABASE = re.compile(
    r"^(\w+): DATABASE_URL is unset, using the local database (postgresql://\S+)$", re.M
)


@contextlib.contextmanager
def fresh_bake(**answers: str) -> Iterator[Path]:
    # Not under pytest's tmp_path: any pytest that starts meanwhile makes /tmp/pytest-of-<user>
    # private again, and as root the embedded PostgreSQL's own user, which runs the binaries in the
    # project's .venv, could then not stop its servers.
    with tempfile.TemporaryDirectory(prefix="day-one-") as folder:
        yield baked(Path(folder) / "bake", pythons.find(pythons.DEFAULT), **answers)


@pytest.fixture(params=DRIVERS)
def fresh(request: pytest.FixtureRequest) -> Iterator[tuple[Path, str]]:
    with fresh_bake(db_driver=request.param) as project:
        yield project, request.param


def local_database(output: str, command: str) -> str:
    """The URL of the local database the command said it used, in its one line."""
    said = [url for name, url in LOCAL_DATABASE.findall(output) if name == command]
    assert len(said) == 1, output[-3000:]
    return said[0]


def run_dev(project: Path) -> str:
    """`uv run dev` until it answers, then SIGTERM; returns what it printed."""
    port = free_port()
    log = project.parent / "dev.log"  # a file, not a pipe: a full pipe would stall the server
    with (
        log.open("w") as output,
        subprocess.Popen(
            [str(project / ".venv" / "bin" / "dev")],
            cwd=project,
            env=clean_env(PORT=str(port)),
            stdout=output,
            stderr=subprocess.STDOUT,
        ) as dev,
    ):
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    assert request("GET", f"http://127.0.0.1:{port}/health/ready")[0] == 200
                    break
                except OSError:
                    assert dev.poll() is None, log.read_text()[-3000:]
                    assert time.monotonic() < deadline, "dev did not answer within 90 s"
                    time.sleep(0.5)
        finally:
            dev.send_signal(signal.SIGTERM)
            dev.wait(timeout=30)
    printed = log.read_text()
    assert f"dev: serving http://127.0.0.1:{port}" in printed, printed[-3000:]
    return printed


def readme_steps(project: Path, section: str = "Adding a field, adding a resource") -> str:
    readme = (project / "README.md").read_text()
    return readme.split(f"## {section}", 1)[1].split("\n## ", 1)[0]


def migrations(project: Path) -> set[Path]:
    return {path for path in (project / "migrations").rglob("*.py") if "__pycache__" not in path.parts}


def test_first_field_and_resource_as_the_readme_says(fresh: tuple[Path, str]) -> None:
    project, driver = fresh
    package = project.name.replace("-", "_")
    steps = readme_steps(project)

    dev_database = local_database(run_dev(project), "dev")

    touched = add_field_and_resource(project, package, driver)
    # Each file the change touched is named in the README's steps (`repository.py`, `api/tags.py`).
    assert [path.name for path in touched if not re.search(rf"[`/]{re.escape(path.name)}`", steps)] == []
    drift = uv(project, "run", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_migrations.py")
    assert drift.returncode != 0, shown(drift)
    assert "FAILED tests/test_migrations.py::test_models_match_migrations" in drift.stdout, shown(drift)
    assert "sku" in drift.stdout, shown(drift)
    # The failure names the command that writes the missing migration, as the README's steps do.
    assert f"write the migration with `uv run {' '.join(GENERATE[driver][:2])}" in drift.stdout, shown(drift)

    migrated = uv(project, "run", "migrate")
    assert migrated.returncode == 0, shown(migrated)
    assert local_database(migrated.stderr, MIGRATE_TOOL[driver]) == dev_database
    before = migrations(project)
    assert f"`uv run {' '.join(GENERATE[driver][:2])}" in steps
    generated = uv(project, "run", *GENERATE[driver])
    assert generated.returncode == 0, shown(generated)
    assert local_database(generated.stderr, MIGRATE_TOOL[driver]) == dev_database
    [written] = migrations(project) - before
    assert "sku" in written.read_text()
    assert "tags" in written.read_text()

    for check in (["ruff", "check"], ["ruff", "format", "--check"], ["mypy"]):
        checked = uv(project, "run", *check)
        assert checked.returncode == 0, f"{' '.join(check)}: {shown(checked)}"
    # `uv run pytest` as the README says, for the default driver; the others under -n 2, the
    # variants' own way (the serial run adds a minute each and proves nothing more).
    parallel = () if driver == DRIVERS[0] else ("-n", "2")
    suite = uv(project, "run", "pytest", "-q", "--tb=short", "-p", "no:cacheprovider", *parallel)
    assert suite.returncode == 0, shown(suite)
    assert re.search(r"\b[0-9]+ passed", suite.stdout)


# Every driver on the default answers, and tokens with their scopes on one.
REMOVALS = [*({"db_driver": driver} for driver in DRIVERS), {"db_driver": "asyncpg", "auth": "jwt"}]


@pytest.fixture(params=REMOVALS, ids=lambda answers: "-".join(answers.values()))
def fresh_answers(request: pytest.FixtureRequest) -> Iterator[tuple[Path, str]]:
    with fresh_bake(**request.param) as project:
        yield project, request.param["db_driver"]


def test_the_example_removed_as_the_readme_says(fresh_answers: tuple[Path, str]) -> None:
    """What a team does first: the example out, as the README's steps say; the migration its
    driver's tool writes, mended as they say; then the checks and the whole suite green."""
    project, driver = fresh_answers
    package = project.name.replace("-", "_")
    steps = readme_steps(project, "Removing the example")

    touched = remove_example(project, package, driver)
    assert [path.name for path in touched if not re.search(rf"[`/]{re.escape(path.name)}`", steps)] == []
    fixed = uv(project, "run", "ruff", "check", "--fix", "--quiet")
    assert fixed.returncode == 0, shown(fixed)
    migrated = uv(project, "run", "migrate")
    assert migrated.returncode == 0, shown(migrated)
    before = migrations(project)
    assert f"uv run {' '.join(REMOVE[driver][:2])}" in steps
    generated = uv(project, "run", *REMOVE[driver])
    assert generated.returncode == 0, shown(generated)
    [written] = migrations(project) - before
    transfers_first(written)
    if driver == "tortoise":
        tortoise_checks_removed_first(written)

    for check in (["ruff", "check"], ["ruff", "format", "--check"], ["mypy"]):
        checked = uv(project, "run", *check)
        assert checked.returncode == 0, f"{' '.join(check)}: {shown(checked)}"
    suite = uv(project, "run", "pytest", "-q", "--tb=short", "-p", "no:cacheprovider", "-n", "2")
    assert suite.returncode == 0, shown(suite)
    assert re.search(r"\b[0-9]+ passed", suite.stdout)
