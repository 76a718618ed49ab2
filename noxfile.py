"""Sessions for the template's own checks; `uv run nox` runs what CI runs."""

import os

import nox

nox.options.sessions = ["lint", "all_tests"]
nox.options.default_venv_backend = "none"  # uv.lock is the environment; sessions run through `uv run`

UV = os.environ.get("UV", "uv")


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff on the hooks, tests and this file (baked code is linted by the bake tests)."""
    session.run(UV, "run", "ruff", "check", *(session.posargs or ["."]), external=True)
    session.run(UV, "run", "ruff", "format", "--check", *(session.posargs or ["."]), external=True)


@nox.session
def tests(session: nox.Session) -> None:
    """Hook refusals and bakes of every option value: fast, no database."""
    session.run(UV, "run", "pytest", "-m", "not variant", *session.posargs, external=True)


@nox.session
def variants(session: nox.Session) -> None:
    """Bake each driver, install it, and run its own suite on a named server and on the embedded one."""
    session.run(UV, "run", "pytest", "-m", "variant", "-v", *session.posargs, external=True)


@nox.session
def all_tests(session: nox.Session) -> None:
    """`tests` and `variants` in one pytest run, as CI runs them: the clones, bakes and updates both
    sessions' tests share are made once."""
    session.run(UV, "run", "pytest", "-v", *session.posargs, external=True)


@nox.session
def bench(session: nox.Session) -> None:
    """Load benchmark of every db_driver beside reference apps (about half an hour; not run by CI).

    `uv run nox -s bench` writes bench/results/; `uv run nox -s bench -- --quick` is a smoke run.
    """
    session.run(UV, "run", "python", "-m", "bench", *session.posargs, external=True)


@nox.session
def image(session: nox.Session) -> None:
    """Bake each db_driver, build its image with podman, run it against PostgreSQL (minutes; not run by CI).

    As root: installs podman, runc and debootstrap from Debian's packages if missing.
    `uv run nox -s image -- --only asyncpg` checks one driver.
    """
    session.run(UV, "run", "python", "-m", "image_check", *session.posargs, external=True)
