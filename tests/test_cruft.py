"""`cruft create` bakes what `cookiecutter` bakes, from a local clone and from a git URL: the same
files, the same refusals; .cruft.json records where the service came from. Only cookiecutter prints
the next steps: cruft bakes each update twice the way it bakes on create."""

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cookiecutter.exceptions import FailedHookException
from cruft import create

from .repos import cruft, git, run
from .template import context_id
from .test_bake import CONTEXTS
from .test_hooks import REFUSALS, UNKNOWN_CHOICES, refused_in_one_line

SECRET = re.compile(rb"^SECRET_KEY=.*$", re.MULTILINE)
# Where each tool records the template and the answers: compared apart from the files.
ANSWERS_FILES = {".cruft.json", ".copier-answers.yml"}


def with_cookiecutter(
    template: str, context: dict[str, str], output: Path, config: Path
) -> subprocess.CompletedProcess[str]:
    answers = [f"{key}={value}" for key, value in context.items()]
    return run(
        *(sys.executable, "-m", "cookiecutter", "--no-input", "--config-file", str(config)),
        *("-o", str(output), template, *answers),
        cwd=config.parent,
    )


def with_cruft(
    template: str, context: dict[str, str], output: Path, config: Path
) -> subprocess.CompletedProcess[str]:
    return cruft(
        *("create", "--no-input", "--config-file", str(config), "--output-dir", str(output)),
        *("--extra-context", json.dumps(context), template),
        cwd=config.parent,
    )


def tree(project: Path) -> dict[str, bytes]:
    """Every file by its path in the project but the answers files; the SECRET_KEY is a new one each
    bake by design."""
    files = {}
    for path in sorted(project.rglob("*")):
        if path.is_file() and path.name not in ANSWERS_FILES:
            content = path.read_bytes()
            if path.name == ".env":
                content = SECRET.sub(b"SECRET_KEY=<secret>", content)
            files[path.relative_to(project).as_posix()] = content
    return files


def bake_both(
    template: str, context: dict[str, str], tmp_path: Path, config: Path
) -> tuple[Path, Path, subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    baked = with_cookiecutter(template, context, tmp_path / "cookiecutter", config)
    assert baked.returncode == 0, baked.stderr
    crufted = with_cruft(template, context, tmp_path / "cruft", config)
    assert crufted.returncode == 0, crufted.stderr
    [project] = (tmp_path / "cookiecutter").iterdir()
    [service] = (tmp_path / "cruft").iterdir()
    return project, service, baked, crufted


def answers(service: Path) -> dict[str, Any]:
    return dict(json.loads((service / ".cruft.json").read_text())["context"]["cookiecutter"])


@pytest.mark.parametrize("context", CONTEXTS, ids=context_id)
def test_cruft_bakes_what_cookiecutter_bakes(
    context: dict[str, str], template: Path, config: Path, tmp_path: Path
) -> None:
    project, service, baked, crufted = bake_both(str(template), context, tmp_path, config)

    assert service.name == project.name
    assert tree(service) == tree(project)
    assert f"Baked {project.name} ({answers(service)['db_driver']}). Next:" in baked.stdout
    assert crufted.stdout == ""
    assert answers(service).items() >= context.items()


def test_cruft_bakes_from_a_git_url_and_can_check_it_later(
    template: Path, config: Path, tmp_path: Path
) -> None:
    """A bare repository has no working tree to read: the template can only come through git."""
    bare = tmp_path / "template.git"
    git("clone", "-q", "--bare", str(template), str(bare), cwd=tmp_path)
    context = {"db_driver": "sync-threadpool", "ci": "gitlab"}

    project, service, _, _ = bake_both(bare.as_uri(), context, tmp_path, config)

    assert tree(service) == tree(project)
    assert answers(service)["_commit"] == git("rev-parse", "HEAD", cwd=bare).strip()
    check = cruft("check", cwd=service)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "up to date" in check.stdout


@pytest.mark.parametrize(("answers", "message"), REFUSALS.values(), ids=REFUSALS.keys())
def test_cruft_refuses_what_cookiecutter_refuses(
    answers: dict[str, str], message: str, template: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(FailedHookException):
        create(str(template), output_dir=tmp_path, extra_context=answers, no_input=True)

    refused_in_one_line(capfd, message, tmp_path)


@pytest.mark.parametrize(("option", "value"), UNKNOWN_CHOICES.items(), ids=UNKNOWN_CHOICES.keys())
def test_cruft_refuses_an_unknown_option_value(
    option: str, value: str, template: Path, tmp_path: Path
) -> None:
    """Cookiecutter's own check, which cruft runs on every answer before the hooks: why the hook needs
    no cookiecutter.json under cruft."""
    with pytest.raises(ValueError, match=f"{value} provided for choice variable {option}"):
        create(str(template), output_dir=tmp_path, extra_context={option: value}, no_input=True)

    assert list(tmp_path.iterdir()) == []


def test_cruft_command_line_refuses_with_the_hook_line_and_a_failing_exit(
    template: Path, config: Path, tmp_path: Path
) -> None:
    output = tmp_path / "out"

    refused = with_cruft(str(template), {"package_name": "json"}, output, config)

    assert refused.returncode != 0
    assert "error: package_name 'json' is a standard-library module name\n" in refused.stderr
    assert not output.exists() or list(output.iterdir()) == []
