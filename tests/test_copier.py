"""`copier copy` bakes what `cookiecutter` bakes from the same tree: copier.yml asks the questions of
cookiecutter.json, every tested option set gives the same files and next steps, a bad answer is one
line with nothing written. A plain cookiecutter bake records the commit it came from as Copier does."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from .repos import copier, git
from .template import OPTIONS, TEMPLATE, context_id
from .test_bake import CONTEXTS
from .test_cruft import tree, with_cookiecutter
from .test_hooks import REFUSALS

QUESTIONS: dict[str, Any] = yaml.safe_load((TEMPLATE / "copier.yml").read_text())
ASKED = [key for key in OPTIONS if not key.startswith("_")]


def with_copier(
    template: Path, context: dict[str, str], destination: Path
) -> subprocess.CompletedProcess[str]:
    answers = [option for key, value in context.items() for option in ("--data", f"{key}={value}")]
    # HEAD, the working tree under test: left to itself Copier bakes the newest release tag.
    return copier(
        *("copy", "--trust", "--defaults", "--vcs-ref", "HEAD", *answers),
        str(template),
        str(destination),
        cwd=template,
    )


def recorded(service: Path) -> dict[str, Any]:
    return dict(yaml.safe_load((service / ".copier-answers.yml").read_text()))


def prompt(key: str) -> str:
    text = OPTIONS["__prompts__"][key]
    return text if isinstance(text, str) else text["__prompt__"]


@pytest.mark.parametrize("key", ASKED)
def test_copier_asks_what_cookiecutter_asks(key: str) -> None:
    question = QUESTIONS[key]
    assert question["help"] == prompt(key)
    if isinstance(OPTIONS[key], list):
        choices = question["choices"]
        values = list(choices.values()) if isinstance(choices, dict) else choices
        assert values == OPTIONS[key]
        assert question["default"] == OPTIONS[key][0]
        if isinstance(choices, dict):  # each choice described as cookiecutter describes it
            assert list(choices) == [f"{value}: {OPTIONS['__prompts__'][key][value]}" for value in values]
    else:
        assert question["default"] == OPTIONS[key].replace("cookiecutter.", "")
    asked_by_copier = [name for name, value in QUESTIONS.items() if not name.startswith("_")]
    assert [name for name in asked_by_copier if QUESTIONS[name].get("when") is not False] == ASKED


@pytest.mark.parametrize("context", CONTEXTS, ids=context_id)
def test_copier_bakes_what_cookiecutter_bakes(
    context: dict[str, str], template: Path, config: Path, tmp_path: Path
) -> None:
    baked = with_cookiecutter(str(template), context, tmp_path / "cookiecutter", config)
    assert baked.returncode == 0, baked.stderr
    [project] = (tmp_path / "cookiecutter").iterdir()

    copied = with_copier(template, context, tmp_path / "copier" / project.name)

    assert copied.returncode == 0, copied.stderr
    service = tmp_path / "copier" / project.name
    assert tree(service) == tree(project)
    assert copied.stdout.strip() == baked.stdout.strip()  # Copier pads its own output with blank lines
    answers = recorded(service)
    assert answers.pop("_commit") == git("describe", "--tags", "--always", cwd=template).strip()
    assert answers.pop("_src_path") == str(template)
    assert answers == {key: value for key, value in recorded(project).items() if not key.startswith("_")}
    assert answers.items() >= context.items()


# The hook is cookiecutter's own (every refusal is tested there): one refusal of each kind of check.
COPIER_REFUSALS = {
    name: REFUSALS[name]
    for name in ("name-without-letters", "package-stdlib", "bad-email", "kubernetes-without-docker")
}


@pytest.mark.parametrize(("answers", "message"), COPIER_REFUSALS.values(), ids=COPIER_REFUSALS.keys())
def test_copier_refuses_what_cookiecutter_refuses(
    answers: dict[str, str], message: str, template: Path, tmp_path: Path
) -> None:
    refused = with_copier(template, answers, tmp_path / "service")

    assert refused.returncode != 0
    [line] = [line for line in refused.stderr.splitlines() if line.startswith("error: ")]
    assert message in line
    assert not (tmp_path / "service").exists()


def test_copier_refuses_an_unknown_choice(template: Path, tmp_path: Path) -> None:
    refused = with_copier(template, {"db_driver": "mysql"}, tmp_path / "service")

    assert refused.returncode != 0
    assert "Invalid choice for 'db_driver': 'mysql'" in refused.stderr
    assert not (tmp_path / "service").exists()


def test_a_cookiecutter_bake_records_its_template_commit(
    template: Path, config: Path, tmp_path: Path
) -> None:
    """What `copier update` needs to take the service on from where it was baked: the commit, the
    template's location (a relative path made absolute) and every answer."""
    command = ("-m", "cookiecutter", "--no-input", "--config-file", str(config), "-o", str(tmp_path))
    baked = subprocess.run(
        [sys.executable, *command, ".", "ci=gitlab"],
        cwd=template,
        env={**os.environ, "PWD": str(template)},  # `cookiecutter .` as a shell runs it
        capture_output=True,
        text=True,
        check=False,
    )
    assert baked.returncode == 0, baked.stderr

    answers = recorded(tmp_path / "orders-service")
    assert answers["_commit"] == git("describe", "--tags", "--always", cwd=template).strip()
    assert answers["_src_path"] == str(template)
    assert answers["ci"] == "gitlab"
    assert answers["package_name"] == "orders_service"
    assert json.dumps(answers)  # plain values only: Copier reads it back as YAML
