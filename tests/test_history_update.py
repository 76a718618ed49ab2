"""A service of the previous release, with a team's first resource, updated to the release being made
(this working tree), for each db_driver, with cruft and with Copier: the update conflicts only in files
the team edited, as inline markers; resolved as the README says, ruff, mypy and the suite are green."""

import importlib.util
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from .day_one import add_field_and_resource
from .repos import clone_template, commit_all, copier, cruft, git, run
from .servers import postgres_server, scratch_database
from .template import DRIVERS
from .test_variants import shown, uv

pytestmark = pytest.mark.variant
# main on 2026-12-01, the base of the updates the template's first release was checked against; the
# previous release once the template has one at least one release back.
BEFORE_RELEASES = "ab7a291470dbcb9f2ca74c08273c44e221f5fe65"
TOOLS = ["cruft", "copier"]
# The CHANGELOG's manual steps between a base and HEAD that reach the team's day-one code, made as a
# team makes them after the update: (file, old, new).
# Tortoise's writes of several statements open their transaction on the session they are given.
TORTOISE_TRANSACTION = (
    "src/orders_service/repository.py",
    "in_transaction(CONNECTION)",
    "transaction(session)",
)
MANUAL_STEPS = {
    BEFORE_RELEASES: [
        ("src/orders_service/schemas.py", "class Tag(Orm):", "class Tag(ReadFromModel):"),
        ("src/orders_service/schemas.py", "class TagCreate(BaseModel):", "class TagCreate(RequestBody):"),
        TORTOISE_TRANSACTION,
    ],
    "2026.12.0": [TORTOISE_TRANSACTION],
}
# Files the template moved between a base and HEAD: the team's edit of one meets the update at its
# new path, where a conflict is still in a file the team edited.
MOVED = {
    BEFORE_RELEASES: {"tests/postgres.py": "tests/support/postgres.py"},
}
CHECKS = (["ruff", "check"], ["ruff", "format", "--check"], ["mypy"])
SUITE = ("pytest", "-q", "--tb=short", "-p", "no:cacheprovider", "-n", "2")
# Where the update and the team's change meet, for the drivers whose whole suite this test leaves to
# the others (the update path is the same for each; only the layer files differ): the team's own
# tests, the migration drift check and the schema's checks.
MEETING_POINTS = (
    "tests/test_tags.py",
    "tests/test_items.py",
    "tests/test_migrations.py",
    "tests/test_openapi.py",
)


def previous_release(template: Path) -> str:
    """The newest release tag behind HEAD (a tag on HEAD is the release being made), else the commit
    of 2026-12-01."""
    at_head = set(git("tag", "--points-at", "HEAD", cwd=template).split())
    merged = git("tag", "--merged", "HEAD", "--sort=-version:refname", cwd=template).split()
    behind = [tag for tag in merged if tag not in at_head]
    return behind[0] if behind else BEFORE_RELEASES


def has_copier_config(template: Path, ref: str) -> bool:
    return run("git", "cat-file", "-e", f"{ref}:copier.yml", cwd=template).returncode == 0


def day_one_at(template: Path, ref: str, folder: Path) -> ModuleType:
    """The team's first change as the baked README of that release lists it: its tests/day_one.py."""
    source = folder / "day_one_then.py"
    source.write_text(git("show", f"{ref}:tests/day_one.py", cwd=template))
    spec = importlib.util.spec_from_file_location("day_one_then", source)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bake(tool: str, template: Path, ref: str, driver: str, output: Path) -> Path:
    output.mkdir()
    if tool == "cruft":
        made = cruft(
            *("create", "--no-input", "--output-dir", str(output), "--checkout", ref),
            *("--extra-context", json.dumps({"db_driver": driver}), str(template)),
            cwd=output,
        )
    else:
        made = copier(
            *("copy", "--trust", "--defaults", "--vcs-ref", ref, "--data", f"db_driver={driver}"),
            *(str(template), str(output / "orders-service")),
            cwd=output,
        )
    assert made.returncode == 0, shown(made)
    service = output / "orders-service"
    git("init", "-q", cwd=service)
    commit_all(service, f"Baked with {tool}")
    return service


def update(tool: str, service: Path, commit: str) -> None:
    """To the template's HEAD, the release being made."""
    if tool == "cruft":
        updated = cruft("update", "-y", "--checkout", commit, cwd=service)
    else:
        updated = copier("update", "--trust", "--defaults", "--vcs-ref", commit, cwd=service)
    assert updated.returncode == 0, shown(updated)


def conflicted(service: Path) -> set[str]:
    """Files holding conflict markers, as `git diff --check` (which the README names) lists them."""
    found = run("git", "diff", "--check", cwd=service).stdout
    return {line.split(":", 1)[0] for line in found.splitlines() if "leftover conflict marker" in line}


def resolve(service: Path, files: set[str], theirs: Path) -> None:
    """As the README says for a file of your own change: take the template's new version of it, then
    make your change in it again (here, the team's change made again on a fresh copy of the new
    version, of which only the conflicted files are taken)."""
    for relative in files:
        shutil.copy2(theirs / relative, service / relative)
    git("add", "-A", cwd=service)


@dataclass
class History:
    tool: str
    driver: str
    service: Path
    package: str
    touched: set[str]
    conflicts: set[str]
    unmerged: set[str]
    rejects: list[Path]


# Copier, the tool the README recommends, on every driver; cruft on the default one (the same three-way
# merge of the same files: the drivers differ only in their layers).
CASES = [(tool, driver) for tool in TOOLS for driver in (DRIVERS if tool == "copier" else DRIVERS[:1])]


@pytest.fixture(scope="module", params=CASES, ids="-".join)
def history(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> History:
    tool, driver = request.param
    work = tmp_path_factory.mktemp(f"history-{tool}-{driver}")
    template = work / "template"
    head = clone_template(template)
    previous = previous_release(template)
    if tool == "copier" and not has_copier_config(template, previous):
        pytest.skip(
            f"the previous release ({previous[:12]}) has no copier.yml: Copier updates from 2026.12.0 on"
        )
    service = bake(tool, template, previous, driver, work / "services")
    package = "orders_service"

    # The team's first resource, as the baked README says, its migration written by the driver's tool.
    then = day_one_at(template, previous, work)
    made = then.add_field_and_resource(service, package, driver)
    touched = {path.relative_to(service).as_posix() for path in made}
    synced = uv(service, "sync")
    assert synced.returncode == 0, shown(synced)
    with postgres_server() as server, scratch_database(server, f"history_{driver}") as database:
        for step in (["migrate"], then.GENERATE[driver]):
            done = uv(service, "run", *step, DATABASE_URL=database)
            assert done.returncode == 0, shown(done)
    touched |= set(git("ls-files", "--others", "--exclude-standard", cwd=service).splitlines())
    moved = MOVED.get(previous, {})
    touched |= {moved[path] for path in touched if path in moved}
    commit_all(service, "Items get a sku; tags")

    update(tool, service, head)

    # What the README's resolution gives: the new version of each conflicted file, the change redone.
    theirs = bake(tool, template, head, driver, work / "theirs")
    add_field_and_resource(theirs, package, driver)
    conflicts = conflicted(service)
    unmerged = set(git("diff", "--name-only", "--diff-filter=U", cwd=service).splitlines())
    rejects = sorted(service.rglob("*.rej"))
    resolve(service, conflicts, theirs)
    for relative, old, new in MANUAL_STEPS.get(previous, []):
        path = service / relative
        path.write_text(path.read_text().replace(old, new))
    follow_the_teams_migration(service, touched)
    return History(tool, driver, service, package, touched, conflicts, unmerged, rejects)


def follow_the_teams_migration(service: Path, touched: set[str]) -> None:
    """The README's step for a service with a migration of its own: the template's new migrations
    that follow the template's last one of the base (the one the team's follows) follow the team's
    instead."""
    [ours] = [service / path for path in touched if path.startswith("migrations/") and path.endswith(".py")]
    text = ours.read_text()
    revision = re.search(r"^revision: str = [\"'](\w+)[\"']", text, re.MULTILINE)
    if revision:  # Alembic
        base = re.search(r"^down_revision: str \| None = [\"'](\w+)[\"']", text, re.MULTILINE)
        assert base, text
        parent = f'down_revision: str | None = "{base[1]}"'
        new_parent = f'down_revision: str | None = "{revision[1]}"'
        folder = service / "migrations" / "versions"
    else:  # Tortoise names a migration by its module
        base = re.search(r'\("models", "(\w+)"\)', text)
        assert base, text
        parent, new_parent = f'("models", "{base[1]}")', f'("models", "{ours.stem}")'
        folder = service / "migrations"
    for path in folder.glob("*.py"):
        if path != ours and parent in path.read_text():
            path.write_text(path.read_text().replace(parent, new_parent))


def test_conflicts_are_only_in_files_the_team_edited_and_inline(history: History) -> None:
    assert history.rejects == []
    assert history.conflicts <= history.touched
    assert history.conflicts == history.unmerged  # `git status` shows each as unmerged (UU)


def test_after_resolving_the_service_is_green(history: History) -> None:
    service = history.service
    assert conflicted(service) == set()
    synced = uv(service, "sync")
    assert synced.returncode == 0, shown(synced)
    for check in CHECKS:
        checked = uv(service, "run", *check)
        assert checked.returncode == 0, f"{' '.join(check)}: {shown(checked)}"
    with postgres_server() as server, scratch_database(server, f"history_{history.driver}") as database:
        tests = () if history.driver == DRIVERS[0] else MEETING_POINTS
        suite = uv(service, "run", *SUITE, *tests, TEST_DATABASE_URL=database)
    assert suite.returncode == 0, shown(suite)
    assert "test_tags.py" in run("git", "ls-files", cwd=service).stdout
