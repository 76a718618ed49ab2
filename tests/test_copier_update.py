"""A service baked with Copier takes the template's next release with a plain `copier update`, for each
db_driver: a shared file and a layer file change arrive, the team's edit stays, .env is untouched.
An update that changes an answer (auth=jwt) lays what the answer owns beside the team's edits."""

from dataclasses import dataclass
from pathlib import Path
from subprocess import CompletedProcess

import pytest
import yaml

from .repos import clone_template, commit_all, copier, git, run
from .servers import postgres_server, scratch_database
from .template import DRIVERS
from .test_cruft_update import (
    LAYER_FILE,
    LAYER_LINE,
    NEW_SETTING,
    SETTINGS,
    TEAM_NEW,
    TEAM_OLD,
    bake_service,
    change_template,
    replace,
)
from .test_variants import SUITE, shown, uv

PACKAGE = "orders_service"


def next_release(template: Path) -> str:
    """A release name newer than every tag the template has (the first one when it has none)."""
    tags = git("tag", "--sort=-version:refname", cwd=template).split()
    if not tags:
        return "2026.12.0"
    year, month, micro = tags[0].split(".")
    return f"{year}.{month}.{int(micro) + 1}"


def bake(template: Path, output: Path, **answers: str) -> Path:
    data = [option for key, value in answers.items() for option in ("--data", f"{key}={value}")]
    service = output / "orders-service"
    # HEAD, the working tree under test: left to itself Copier bakes the newest release tag.
    made = copier(
        "copy", "--trust", "--defaults", "--vcs-ref", "HEAD", *data, str(template), str(service), cwd=template
    )
    assert made.returncode == 0, shown(made)
    git("init", "-q", cwd=service)
    commit_all(service, "Baked with Copier")
    return service


def recorded(service: Path) -> dict[str, str]:
    return dict(yaml.safe_load((service / ".copier-answers.yml").read_text()))


def lints(service: Path) -> None:
    check = run("ruff", "check", "--no-cache", ".", cwd=service)
    assert check.returncode == 0, check.stdout + check.stderr
    formatting = run("ruff", "format", "--no-cache", "--check", ".", cwd=service)
    assert formatting.returncode == 0, formatting.stdout + formatting.stderr


def suite_is_green(service: Path, label: str, *, whole: bool = True) -> None:
    synced = uv(service, "sync")
    assert synced.returncode == 0, shown(synced)
    typed = uv(service, "run", "mypy")
    assert typed.returncode == 0, shown(typed)
    if not whole:
        return
    with postgres_server() as server, scratch_database(server, label) as database:
        result = uv(service, "run", *SUITE, TEST_DATABASE_URL=database)
    assert result.returncode == 0, shown(result)


@dataclass
class Updated:
    service: Path
    release: str
    secret: str
    update: CompletedProcess[str]


@pytest.fixture(scope="module", params=DRIVERS)
def updated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Updated:
    driver = request.param
    work = tmp_path_factory.mktemp(f"copier-update-{driver}")
    template = work / "template"
    clone_template(template)
    # auth=jwt: its .env holds a secret of this checkout's own, which the update must keep.
    service = bake(template, work / "services", db_driver=driver, auth="jwt")
    replace(service / SETTINGS.format(package=PACKAGE), TEAM_OLD, TEAM_NEW)
    commit_all(service, "Our own readiness timeout")
    change_template(template, driver)
    release = next_release(template)
    git("tag", release, cwd=template)  # in this throwaway clone only
    secret = (service / ".env").read_text()

    update = copier("update", "--trust", "--defaults", cwd=service)  # to the newest release
    return Updated(service, release, secret, update)


def test_the_release_arrives_and_the_team_edit_stays(updated: Updated) -> None:
    assert updated.update.returncode == 0, shown(updated.update)
    settings = (updated.service / SETTINGS.format(package=PACKAGE)).read_text()
    assert NEW_SETTING in settings
    assert TEAM_NEW in settings
    assert LAYER_LINE in (updated.service / LAYER_FILE.format(package=PACKAGE)).read_text()
    assert recorded(updated.service)["_commit"] == updated.release


def test_only_the_changed_files_change_and_env_is_kept(updated: Updated) -> None:
    changed = git("status", "--porcelain", cwd=updated.service).splitlines()
    assert sorted(line[3:] for line in changed) == sorted(
        [".copier-answers.yml", SETTINGS.format(package=PACKAGE), LAYER_FILE.format(package=PACKAGE)]
    )
    assert (updated.service / ".env").read_text() == updated.secret
    assert "Next:" not in updated.update.stdout  # an update is no new bake
    lints(updated.service)


@pytest.mark.variant
def test_the_updated_service_type_checks_and_its_suite_is_green(updated: Updated) -> None:
    """The whole suite for the default driver: cruft's update test runs each driver's, and the
    update path is the same; every driver is type-checked."""
    driver = recorded(updated.service)["db_driver"]
    suite_is_green(updated.service, "copier_update", whole=driver == DRIVERS[0])


@pytest.fixture(scope="module")
def with_jwt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("copier-answer")
    template = work / "template"
    clone_template(template)
    service = bake(template, work / "services")
    replace(service / SETTINGS.format(package=PACKAGE), TEAM_OLD, TEAM_NEW)
    commit_all(service, "Our own readiness timeout")

    changed = copier(
        *("update", "--trust", "--defaults", "--vcs-ref", "HEAD", "--data", "auth=jwt"), cwd=service
    )
    assert changed.returncode == 0, shown(changed)
    return service


def test_a_changed_answer_lays_what_it_owns_beside_the_team_edit(with_jwt: Path) -> None:
    package = with_jwt / "src" / PACKAGE
    assert (package / "auth").is_dir()
    assert (package / "api" / "me.py").is_file()
    assert (with_jwt / "tests" / "auth").is_dir()
    assert "pyjwt" in (with_jwt / "pyproject.toml").read_text().lower()
    assert TEAM_NEW in (package / "core" / "settings.py").read_text()
    assert recorded(with_jwt)["auth"] == "jwt"
    assert not [path for path in with_jwt.rglob("*.rej")]
    assert run("git", "diff", "--check", cwd=with_jwt).returncode == 0  # no conflict markers
    lints(with_jwt)


@pytest.mark.variant
def test_a_changed_answer_leaves_a_green_suite(with_jwt: Path) -> None:
    suite_is_green(with_jwt, "copier_jwt")


def test_a_cruft_service_moves_to_copier_without_a_new_bake(tmp_path: Path) -> None:
    """As the README says: the cruft bake's .copier-answers.yml names its commit; drop .cruft.json and
    `copier update` takes the next release from there, the team's edit kept."""
    template = tmp_path / "template"
    clone_template(template)
    service = bake_service(template, "tortoise", tmp_path / "services")
    replace(service / SETTINGS.format(package=PACKAGE), TEAM_OLD, TEAM_NEW)
    git("rm", "-q", ".cruft.json", cwd=service)
    commit_all(service, "On Copier from now on")
    change_template(template, "tortoise")
    release = next_release(template)
    git("tag", release, cwd=template)

    moved = copier("update", "--trust", "--defaults", cwd=service)

    assert moved.returncode == 0, shown(moved)
    settings = (service / SETTINGS.format(package=PACKAGE)).read_text()
    assert NEW_SETTING in settings
    assert TEAM_NEW in settings
    assert LAYER_LINE in (service / LAYER_FILE.format(package=PACKAGE)).read_text()
    assert recorded(service)["_commit"] == release
    assert run("git", "diff", "--check", cwd=service).returncode == 0
