"""Shape the baked project from the answers: keep the chosen layers, drop the rest, write secrets."""

import json
import secrets
import shutil
from pathlib import Path

ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")
PROJECT = Path.cwd()
PACKAGE = f"src/{ANSWERS['package_name']}"

# Each database layer is a folder under _layers/ laid over the project root; a driver is a stack of them.
# The table is `_layers` in cookiecutter.json, where the baked README reads it too.
LAYERS: dict[str, list[str]] = ANSWERS["_layers"]

# (option, answer) -> paths that belong to that answer only; paths of answers not given are removed.
OWNED_PATHS = {
    ("use_docker", "yes"): ["Dockerfile", "compose.yaml", ".dockerignore"],
    ("ci", "github"): [".github"],
    ("ci", "gitlab"): [".gitlab-ci.yml"],
    ("deploy", "kubernetes"): ["deploy"],
    ("auth", "jwt"): [
        f"{PACKAGE}/auth",
        f"{PACKAGE}/api/me.py",
        f"{PACKAGE}/api/security.py",
        f"{PACKAGE}/core/auth_settings.py",
        "tests/auth",
        "tests/support/auth_plugin.py",
        "tests/support/auth_provider.py",
    ],
    ("jobs", "postgres"): [
        f"{PACKAGE}/jobs",
        f"{PACKAGE}/commands/worker.py",
        "migrations/versions/2026_12_01_0002_jobs.py",
        "migrations/0002_jobs.py",
        "tests/jobs",
    ],
}


def lay_layers(driver: str) -> None:
    layers = PROJECT / "_layers"
    for layer in LAYERS[driver]:
        # README.part.md files are sections the README includes while rendering, not files to keep.
        shutil.copytree(
            layers / layer, PROJECT, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.part.md")
        )
    shutil.rmtree(layers)


def remove_unselected() -> None:
    for (option, answer), paths in OWNED_PATHS.items():
        if ANSWERS[option] == answer:
            continue
        for relative in paths:
            path = PROJECT / relative
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)


def write_env() -> None:
    # Only auth=jwt has a SECRET_KEY (its development tokens' key); elsewhere .env is the example.
    example = (PROJECT / ".env.example").read_text()
    secret = secrets.token_urlsafe(32)
    (PROJECT / ".env").write_text(example.replace("SECRET_KEY=change-me", f"SECRET_KEY={secret}"))


def next_steps() -> str:
    steps = [
        f"cd {ANSWERS['project_slug']}",
        "uv run pytest    # tests on an embedded PostgreSQL, nothing to install; writes uv.lock: commit it",
        "uv run dev       # dev server with reload on http://127.0.0.1:8000/docs",
    ]
    if ANSWERS["use_docker"] == "yes":
        # The image installs exactly what uv.lock pins, and a fresh bake has none yet.
        steps.append(
            "docker compose up --build   # needs uv.lock: the first `uv run` (or `uv lock`) writes it"
        )
    return "".join(f"  {step}\n" for step in steps)


def main() -> None:
    lay_layers(ANSWERS["db_driver"])
    remove_unselected()
    write_env()
    print(f"\nBaked {ANSWERS['project_slug']} ({ANSWERS['db_driver']}). Next:\n{next_steps()}")


if __name__ == "__main__":
    main()
