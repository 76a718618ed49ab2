"""A service baked with cruft takes a later template change with `cruft update`, for each db_driver:
the change arrives, the team's own edit stays, `cruft check` says up to date and the suite is green."""

import json
import re
from dataclasses import dataclass
from pathlib import Path
from subprocess import CompletedProcess

import pytest
import yaml

from .repos import clone_template, commit_all, cruft, git, run
from .servers import postgres_server, scratch_database
from .template import DRIVERS, UV
from .test_variants import SUITE, shown, uv

SLUG = "{{cookiecutter.project_slug}}"
PACKAGE = "{{cookiecutter.package_name}}"
SETTINGS = "src/{package}/core/settings.py"
# The team's edit: a setting default of its own.
TEAM_OLD = "ready_timeout: float = Field(2.0,"
TEAM_NEW = "ready_timeout: float = Field(3.0,"
# Template commit B: a new setting in a shared file, and a line in the driver's own layer.
ANCHOR = "    cors_origins: list[str] = Field(default_factory=list)\n"
NEW_SETTING = '    docs_enabled: bool = Field(True, description="serve /docs and /openapi.json")\n'
LAYER_FILE = "src/{package}/db/__init__.py"
LAYER_LINE = "# Template commit B: a line in this driver's own layer, for the update test.\n"


@dataclass
class Updated:
    driver: str
    service: Path
    package: str
    secret: str
    check_before: CompletedProcess[str]
    update: CompletedProcess[str]
    check_after: CompletedProcess[str]


def insert(path: Path, before: str, text: str) -> None:
    content = path.read_text()
    assert content.count(before) == 1, f"{path}: {before!r} is not there once"
    path.write_text(content.replace(before, text + before))


def replace(path: Path, old: str, new: str) -> None:
    content = path.read_text()
    assert content.count(old) == 1, f"{path}: {old!r} is not there once"
    path.write_text(content.replace(old, new))


def bake_service(template: Path, driver: str, output: Path, *, under_git: bool = True) -> Path:
    """`cruft create`, then the service's first commit, as a team starts."""
    created = cruft(
        *("create", "--no-input", "--output-dir", str(output)),
        *("--extra-context", json.dumps({"db_driver": driver}), str(template)),
        cwd=output.parent,
    )
    assert created.returncode == 0, created.stderr
    [service] = output.iterdir()
    if under_git:
        git("init", "-q", cwd=service)
        commit_all(service, "Baked with cruft")
    return service


def change_template(template: Path, driver: str) -> str:
    """Commit B: a shared file and a file of this driver's layer."""
    project = template / SLUG
    insert(project / SETTINGS.format(package=PACKAGE), ANCHOR, NEW_SETTING)
    layer_file = project / "_layers" / driver / LAYER_FILE.format(package=PACKAGE)
    content = layer_file.read_text()
    first_function = re.search(r"^(async )?def ", content, re.MULTILINE)
    assert first_function, f"{layer_file} defines no function"
    at = first_function.start()
    layer_file.write_text(content[:at] + LAYER_LINE + content[at:])
    return commit_all(template, "B: a new setting and a line in the driver's layer")


@pytest.fixture(scope="module", params=DRIVERS)
def updated(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Updated:
    driver = request.param
    work = tmp_path_factory.mktemp(f"update-{driver}")
    template = work / "template"
    clone_template(template)
    service = bake_service(template, driver, work / "services")
    package = json.loads((service / ".cruft.json").read_text())["context"]["cookiecutter"]["package_name"]

    replace(service / SETTINGS.format(package=package), TEAM_OLD, TEAM_NEW)
    commit_all(service, "Our own readiness timeout")
    change_template(template, driver)
    secret = (service / ".env").read_text()

    check_before = cruft("check", cwd=service)
    update = cruft("update", "-y", cwd=service)
    return Updated(driver, service, package, secret, check_before, update, cruft("check", cwd=service))


def test_the_service_is_behind_before_the_update(updated: Updated) -> None:
    assert updated.check_before.returncode == 1
    assert "out of date" in updated.check_before.stdout


def test_the_template_change_arrives(updated: Updated) -> None:
    assert updated.update.returncode == 0, updated.update.stdout + updated.update.stderr
    assert "Next:" not in updated.update.stdout  # neither of the update's two bakes is a new service
    assert NEW_SETTING in (updated.service / SETTINGS.format(package=updated.package)).read_text()
    assert LAYER_LINE in (updated.service / LAYER_FILE.format(package=updated.package)).read_text()


def test_the_team_edit_survives(updated: Updated) -> None:
    assert TEAM_NEW in (updated.service / SETTINGS.format(package=updated.package)).read_text()


def test_the_update_applies_without_conflicts_and_keeps_the_secret(updated: Updated) -> None:
    files = [path for path in updated.service.rglob("*") if path.is_file() and ".git" not in path.parts]
    assert [path for path in files if path.suffix == ".rej"] == []
    assert [path for path in files if "<<<<<<<" in path.read_text(errors="ignore")] == []
    assert (updated.service / ".env").read_text() == updated.secret
    changed = git("status", "--porcelain", cwd=updated.service).splitlines()
    assert sorted(line[3:] for line in changed) == sorted(
        [
            ".cruft.json",
            ".copier-answers.yml",  # the same new commit, for Copier
            SETTINGS.format(package=updated.package),
            LAYER_FILE.format(package=updated.package),
        ]
    )


def test_check_says_up_to_date_after_the_update(updated: Updated) -> None:
    assert updated.check_after.returncode == 0, updated.check_after.stdout + updated.check_after.stderr
    assert "up to date" in updated.check_after.stdout


def test_the_updated_service_lints(updated: Updated) -> None:
    check = run("ruff", "check", "--no-cache", ".", cwd=updated.service)
    assert check.returncode == 0, check.stdout + check.stderr
    formatting = run("ruff", "format", "--no-cache", "--check", ".", cwd=updated.service)
    assert formatting.returncode == 0, formatting.stdout + formatting.stderr


@pytest.mark.variant
def test_the_updated_suite_is_green(updated: Updated) -> None:
    """The whole suite for the default driver, as for Copier's update: the update path is the same
    for each, and every driver is type-checked after it."""
    synced = uv(updated.service, "sync")
    assert synced.returncode == 0, shown(synced)
    typed = uv(updated.service, "run", "mypy")
    assert typed.returncode == 0, shown(typed)
    if updated.driver != DRIVERS[0]:
        return
    with postgres_server() as server, scratch_database(server, f"update_{updated.package}") as database:
        result = uv(updated.service, "run", *SUITE, TEST_DATABASE_URL=database)
    assert result.returncode == 0, shown(result)


def test_a_conflicting_edit_is_left_for_the_team_to_resolve(tmp_path: Path) -> None:
    """The team and commit B write the same lines: the update leaves git's conflict markers in the
    file (three-way merge) and records B as applied, so `cruft check` already says up to date."""
    template = tmp_path / "template"
    clone_template(template)
    service = bake_service(template, "asyncpg", tmp_path / "services")
    settings = service / SETTINGS.format(package="orders_service")
    insert(settings, ANCHOR, "    docs_enabled: bool = False\n")
    commit_all(service, "Our own docs switch")
    change_template(template, "asyncpg")

    update = cruft("update", "-y", cwd=service)

    assert update.returncode == 0, update.stdout + update.stderr
    merged = settings.read_text()
    assert "<<<<<<<" in merged
    assert NEW_SETTING in merged
    assert "    docs_enabled: bool = False\n" in merged
    assert f"UU {SETTINGS.format(package='orders_service')}" in git("status", "--porcelain", cwd=service)
    assert cruft("check", cwd=service).returncode == 0
    leftovers = run("git", "diff", "--check", cwd=service)  # what the README says finds them
    assert leftovers.returncode != 0
    assert "leftover conflict marker" in leftovers.stdout


def test_without_git_a_conflicting_hunk_comes_back_as_a_rej_file(tmp_path: Path) -> None:
    """Outside a git repository there is no three-way merge: what applies is applied, the rest is
    left beside its file as `<file>.rej`."""
    template = tmp_path / "template"
    clone_template(template)
    service = bake_service(template, "tortoise", tmp_path / "services", under_git=False)
    settings = service / SETTINGS.format(package="orders_service")
    insert(settings, ANCHOR, "    docs_enabled: bool = False\n")
    change_template(template, "tortoise")

    update = cruft("update", "-y", cwd=service)

    assert update.returncode == 0, update.stdout + update.stderr
    assert "*.rej files" in update.stdout + update.stderr
    assert NEW_SETTING in (settings.parent / "settings.py.rej").read_text()
    assert NEW_SETTING not in settings.read_text()
    assert LAYER_LINE in (service / LAYER_FILE.format(package="orders_service")).read_text()


def ci_step(service: Path) -> str:
    workflow = yaml.safe_load((service / ".github" / "workflows" / "ci.yml").read_text())
    job = workflow["jobs"]["template"]
    assert job["if"] == "vars.CRUFT_CHECK == 'true'"  # off until the team sets the variable
    [step] = [step for step in job["steps"] if step.get("name") == "cruft check"]
    # As setup-uv does, the uv on PATH first: a version manager's shim in its place would look for
    # the Python the service's .python-version names, and this machine may not have it.
    return f'PATH="{Path(UV).parent}:$PATH"\n{step["run"]}'


def test_the_ci_job_warns_when_the_service_is_behind_and_never_fails(tmp_path: Path) -> None:
    template = tmp_path / "template"
    clone_template(template)
    service = bake_service(template, "asyncpg", tmp_path / "services")
    script = ci_step(service)

    current = run("bash", "-e", "-c", script, cwd=service)
    change_template(template, "asyncpg")
    behind = run("bash", "-e", "-c", script, cwd=service)

    assert current.returncode == 0, current.stdout + current.stderr
    assert "::warning" not in current.stdout
    assert behind.returncode == 0, behind.stdout + behind.stderr
    assert "::warning title=Template::behind its template" in behind.stdout


def test_the_gitlab_job_is_off_by_default_and_only_warns(tmp_path: Path) -> None:
    template = tmp_path / "template"
    clone_template(template)
    created = cruft(
        *("create", "--no-input", "--output-dir", str(tmp_path / "services")),
        *("--extra-context", json.dumps({"ci": "gitlab"}), str(template)),
        cwd=tmp_path,
    )
    assert created.returncode == 0, created.stderr

    pipeline = tmp_path / "services" / "orders-service" / ".gitlab-ci.yml"
    job = yaml.safe_load(pipeline.read_text())["template"]
    assert job["rules"] == [{"if": '$CRUFT_CHECK == "true"'}]
    assert job["allow_failure"] is True
    assert job["script"][-1] == "cruft check"
