"""The pre-generation hook refuses bad answers: one line, a non-zero exit, nothing written."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.generate import generate_context
from cookiecutter.main import cookiecutter
from cookiecutter.prompt import prompt_for_config

from .template import TEMPLATE

REFUSALS = {
    "empty-project-name": ({"project_name": "   "}, "project_name is empty"),
    "name-without-letters": ({"project_name": "!!!"}, "leaves no letters or digits"),
    "package-leading-digit": ({"package_name": "2fast"}, "is not a Python identifier"),
    "package-with-dash": ({"package_name": "my-service"}, "is not a Python identifier"),
    "package-non-ascii": ({"package_name": "café"}, "is not a Python identifier"),
    "package-keyword": ({"package_name": "class"}, "is a Python keyword"),
    "package-soft-keyword": ({"package_name": "match"}, "is a Python keyword"),
    "package-stdlib": ({"package_name": "json"}, "is a standard-library module name"),
    "package-dependency": ({"package_name": "fastapi"}, "one of the project's own dependencies"),
    "package-tests-folder": ({"package_name": "tests"}, "one of the project's own dependencies or folders"),
    "package-too-long": ({"package_name": "a" * 61}, "is longer than 60 characters"),
    "bad-email": ({"author_email": "not an email"}, "does not look like an email address"),
    "bad-slug": ({"project_slug": "my slug"}, "is not a folder name"),
    "kubernetes-without-docker": (
        {"deploy": "kubernetes", "use_docker": "no"},
        "deploy 'kubernetes' needs use_docker 'yes'",
    ),
    "kubernetes-name-leading-digit": (
        {"deploy": "kubernetes", "project_slug": "9lives", "package_name": "nine_lives"},
        "'9lives', not a Kubernetes name",
    ),
    "name-with-leading-digits": (
        {"project_name": "2fast Service"},
        "'2fast_service' is not a Python identifier",
    ),
}
UNKNOWN_CHOICES = {
    "db_driver": "mysql",
    "ci": "jenkins",
    "use_docker": "maybe",
    "python_version": "2.7",
    "deploy": "helm",
}


def refused_in_one_line(capfd: pytest.CaptureFixture[str], message: str, output: Path) -> None:
    """The hook said one `error:` line naming the problem, and nothing was written."""
    lines = capfd.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    assert message in lines[0]
    assert list(output.iterdir()) == []


@pytest.mark.parametrize(("answers", "message"), REFUSALS.values(), ids=REFUSALS.keys())
def test_bad_answer_is_refused_in_one_line(
    answers: dict[str, str], message: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(FailedHookException):
        cookiecutter(str(TEMPLATE), no_input=True, extra_context=answers, output_dir=str(tmp_path))

    refused_in_one_line(capfd, message, tmp_path)


@pytest.mark.parametrize(("option", "value"), UNKNOWN_CHOICES.items(), ids=UNKNOWN_CHOICES.keys())
def test_unknown_option_value_is_refused(option: str, value: str, tmp_path: Path) -> None:
    """Cookiecutter itself refuses an unknown choice given on the command line."""
    with pytest.raises(ValueError, match=f"{value} provided for choice variable {option}"):
        cookiecutter(str(TEMPLATE), no_input=True, extra_context={option: value}, output_dir=str(tmp_path))

    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("option", "value"), UNKNOWN_CHOICES.items(), ids=UNKNOWN_CHOICES.keys())
def test_unknown_option_value_in_a_replay_is_refused_by_the_hook(
    option: str, value: str, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A replay file skips cookiecutter's own check of choices; the hook still refuses."""
    answers = prompt_for_config(generate_context(str(TEMPLATE / "cookiecutter.json")), no_input=True)
    replay = tmp_path / "replay.json"
    replay.write_text(json.dumps({"cookiecutter": {**answers, option: value}}))
    output = tmp_path / "out"

    with pytest.raises(FailedHookException):
        cookiecutter(str(TEMPLATE), replay=str(replay), output_dir=str(output))

    [line] = capfd.readouterr().err.strip().splitlines()
    assert line.startswith(f"error: {option} {value!r} is not one of")
    assert not output.exists() or list(output.iterdir()) == []


@pytest.mark.parametrize(
    ("project_name", "slug", "package"),
    [
        ("Orders Service", "orders-service", "orders_service"),
        ("Café Ørders", "cafe-orders", "cafe_orders"),
        ("  Spaced   Out  ", "spaced-out", "spaced_out"),
        ("日本 サービス", "ri-ben-sahisu", "ri_ben_sahisu"),
        ("Orders " * 40, "orders-" * 6 + "orders", "orders_" * 6 + "orders"),
    ],
)
def test_unicode_and_spaced_names_get_a_clean_slug(
    project_name: str, slug: str, package: str, tmp_path: Path
) -> None:
    project = Path(
        cookiecutter(
            str(TEMPLATE),
            no_input=True,
            extra_context={"project_name": project_name},
            output_dir=str(tmp_path),
        )
    )

    assert project.name == slug
    assert (project / "src" / package / "main.py").is_file()


def test_bakes_from_a_relative_template_path(tmp_path: Path) -> None:
    """`cookiecutter .` from the template's folder, as a shell runs it (the hooks run elsewhere)."""
    baked = subprocess.run(
        [sys.executable, "-m", "cookiecutter", "--no-input", "-o", str(tmp_path), "."],
        cwd=TEMPLATE,
        env={**os.environ, "PWD": str(TEMPLATE)},
        capture_output=True,
        text=True,
        check=False,
    )

    assert baked.returncode == 0, baked.stderr
    assert (tmp_path / "orders-service" / "pyproject.toml").is_file()


def test_a_replay_bakes_its_answers_again(tmp_path: Path) -> None:
    """The hook reads cookiecutter.json to check a replay's choices; a good replay bakes."""
    answers = prompt_for_config(generate_context(str(TEMPLATE / "cookiecutter.json")), no_input=True)
    replay = tmp_path / "replay.json"
    replay.write_text(json.dumps({"cookiecutter": {**answers, "db_driver": "tortoise", "ci": "gitlab"}}))

    project = Path(cookiecutter(str(TEMPLATE), replay=str(replay), output_dir=str(tmp_path / "out")))

    assert "tortoise-orm" in (project / "pyproject.toml").read_text()
    assert (project / ".gitlab-ci.yml").is_file()
