"""Fixtures the generator tests share: a git clone of the template as it is, a cookiecutter config."""

from pathlib import Path

import pytest
import yaml

from .repos import clone_template


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template as cruft and Copier read it: a git repository, the working tree committed."""
    path = tmp_path_factory.mktemp("template") / "template"
    clone_template(path)
    return path


@pytest.fixture(scope="session")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cookiecutter config of the run's own, so neither tool keeps replays or clones in ~."""
    folder = tmp_path_factory.mktemp("cookiecutter-config")
    path = folder / "config.yaml"
    settings = {"cookiecutters_dir": str(folder / "templates"), "replay_dir": str(folder / "replay")}
    path.write_text(yaml.safe_dump(settings))
    return path
