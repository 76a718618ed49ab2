"""Shape the baked project from the answers: keep the chosen layers, drop the rest, write secrets.

cookiecutter (and cruft) render the answers into this file and run it in the new project; Copier's
task runs it unrendered there, with the same answers as its argument (copier.yml).
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

PROJECT = Path.cwd()
ANSWERS_FILE = ".copier-answers.yml"


def owned_paths(answers: dict[str, Any]) -> dict[tuple[str, str], list[str]]:
    """(option, answer) -> paths that belong to that answer only; paths of answers not given go."""
    package = f"src/{answers['package_name']}"
    return {
        ("use_docker", "yes"): ["Dockerfile", "compose.yaml", ".dockerignore"],
        ("ci", "github"): [".github"],
        ("ci", "gitlab"): [".gitlab-ci.yml"],
        ("deploy", "kubernetes"): ["deploy"],
        ("auth", "jwt"): [
            f"{package}/auth",
            f"{package}/api/me.py",
            f"{package}/api/security.py",
            f"{package}/core/auth_settings.py",
            "tests/auth",
            "tests/support/auth_plugin.py",
            "tests/support/auth_provider.py",
        ],
        ("jobs", "postgres"): [
            f"{package}/jobs",
            f"{package}/commands/worker.py",
            "migrations/versions/2026_12_01_0002_jobs.py",
            "migrations/0002_jobs.py",
            "tests/jobs",
            "tests/support/workers.py",
            "tests/support/webhooks.py",
            "tests/support/probe_kind.py",
            "deploy/kubernetes/worker.yaml",
        ],
    }


def lay_layers(answers: dict[str, Any]) -> None:
    """Each database layer is a folder under _layers/ laid over the project root; a driver is a stack
    of them, listed in its own folder's driver.json (its facts, which the README reads too)."""
    layers = PROJECT / "_layers"
    facts = json.loads((layers / answers["db_driver"] / "driver.json").read_text())
    for layer in facts["layers"]:
        # README.part.md files are sections the README includes while rendering, driver.json the
        # facts pyproject.toml and the README import: neither is a file to keep.
        shutil.copytree(
            layers / layer,
            PROJECT,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns("*.part.md", "driver.json"),
        )
    shutil.rmtree(layers)


def remove_unselected(answers: dict[str, Any]) -> None:
    for (option, answer), paths in owned_paths(answers).items():
        if answers[option] == answer:
            continue
        for relative in paths:
            path = PROJECT / relative
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)


def write_env() -> None:
    # Only auth=jwt has a SECRET_KEY (its development tokens' key); elsewhere .env is the example.
    # A `copier update` lays the new template over the checkout itself: its .env stays its own.
    if (PROJECT / ".env").exists():
        return
    example = (PROJECT / ".env.example").read_text()
    secret = secrets.token_urlsafe(32)
    (PROJECT / ".env").write_text(example.replace("SECRET_KEY=change-me", f"SECRET_KEY={secret}"))


def template_commit(answers: dict[str, Any]) -> str:
    """cruft names the commit it bakes; cookiecutter names the folder, a clone for a git URL."""
    if "_commit" in answers:
        return str(answers["_commit"])
    described = subprocess.run(
        ["git", "describe", "--tags", "--always"],
        cwd=template_folder(answers),
        capture_output=True,
        text=True,
        check=False,
    )
    return described.stdout.strip() if described.returncode == 0 else ""


def template_folder(answers: dict[str, Any]) -> Path:
    # `cookiecutter .` names it relative to the caller's directory; the hook runs in the new project.
    return Path(os.environ.get("PWD", ".")) / answers["_repo_dir"]


def template_source(answers: dict[str, Any]) -> str:
    """Where the template came from as an update tool can reach it again: a URL as given, a folder
    given by a relative path made absolute."""
    template = str(answers["_template"])
    if "_repo_dir" in answers and Path(template).expanduser().exists():
        return str(template_folder(answers).resolve())
    return template


def write_answers(answers: dict[str, Any]) -> None:
    """The answers and the template commit in Copier's answers file, so `copier update` can take the
    service on from the commit it was baked from. Copier writes its own; cookiecutter and cruft
    name their template in `_template` and leave this file as the template has it."""
    recorded = {"_commit": template_commit(answers), "_src_path": template_source(answers)}
    recorded |= {key: value for key, value in answers.items() if not key.startswith("_")}
    lines = [f"{key}: {json.dumps(value, ensure_ascii=False)}\n" for key, value in recorded.items()]
    (PROJECT / ANSWERS_FILE).write_text(
        "# Changes here will be overwritten by Copier; NEVER EDIT MANUALLY\n" + "".join(lines)
    )


def next_steps(answers: dict[str, Any]) -> str:
    steps = [
        f"cd {PROJECT.name}",
        "uv run pytest    # tests on an embedded PostgreSQL, nothing to install; writes uv.lock: commit it",
        "uv run dev       # dev server with reload on http://127.0.0.1:8000/docs",
    ]
    if answers["use_docker"] == "yes":
        # The image installs exactly what uv.lock pins, and a fresh bake has none yet.
        steps.append(
            "docker compose up --build   # needs uv.lock: the first `uv run` (or `uv lock`) writes it"
        )
    return "".join(f"  {step}\n" for step in steps)


def is_new_service(answers: dict[str, Any]) -> bool:
    """Whether this bake is a service being made, which gets the next steps, or a scratch copy an
    update compares. cruft bakes each update twice with what it bakes on create, naming `_commit`
    either way, so no cruft bake prints them; Copier says which operation runs its tasks."""
    return "_commit" not in answers and os.environ.get("COPIER_OPERATION", "copy") == "copy"


def main(answers: dict[str, Any]) -> None:
    lay_layers(answers)
    remove_unselected(answers)
    write_env()
    if "_template" in answers:
        write_answers(answers)
    if is_new_service(answers):
        print(f"\nBaked {answers['project_slug']} ({answers['db_driver']}). Next:\n{next_steps(answers)}")


if __name__ == "__main__":
    main(json.loads(sys.argv[1] if len(sys.argv) > 1 else r"""{{ cookiecutter | tojson }}"""))
