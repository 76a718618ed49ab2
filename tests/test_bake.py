"""Every option value bakes into a clean project: no template leftovers, nothing of an unselected
option, valid YAML/TOML, ruff-clean code, a compose file and Dockerfile that validate."""

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from .template import DRIVER_MARKERS, DRIVERS, OPTIONS, TEMPLATE, context_id

# Each driver with the defaults, plus the other values of every other option at least once.
CONTEXTS = (
    [{"db_driver": driver} for driver in DRIVERS]
    + [{"db_driver": driver, "auth": "jwt"} for driver in DRIVERS]
    + [{"db_driver": driver, "jobs": "none"} for driver in DRIVERS]
    + [
        {"ci": "gitlab", "use_docker": "no", "python_version": "3.13"},
        {"ci": "none", "python_version": "3.11", "deploy": "kubernetes", "auth": "jwt"},
    ]
)
LEFTOVER = re.compile(r"\{\{|\{%|cookiecutter")


@pytest.fixture(scope="module", params=CONTEXTS, ids=context_id)
def baked(request: pytest.FixtureRequest, cookies_session: Any) -> tuple[Path, dict[str, Any]]:
    result = cookies_session.bake(extra_context=request.param)
    assert result.exit_code == 0, result.exception
    return result.project_path, result.context


def files(project: Path) -> list[Path]:
    return [path for path in project.rglob("*") if path.is_file()]


def test_no_template_syntax_left(baked: tuple[Path, dict[str, Any]]) -> None:
    project, _ = baked
    leftovers = [str(path) for path in files(project) if LEFTOVER.search(path.read_text())]
    assert leftovers == []
    assert not any(LEFTOVER.search(str(path)) for path in files(project))


# The template files every driver shares, which read the driver's facts from its folder.
SHARED_FACT_READERS = ("pyproject.toml", "README.md", "AGENTS.md")


def test_a_drivers_facts_live_in_its_own_folder() -> None:
    """One table per driver, `_layers/<driver>/driver.json`: no shared file, nor cookiecutter.json,
    holds a table keyed by driver, so a fourth driver is one new folder (and its choice)."""
    project = TEMPLATE / "{{cookiecutter.project_slug}}"
    for driver in DRIVERS:
        assert (project / "_layers" / driver / "driver.json").is_file(), driver
    assert "_layers" not in OPTIONS
    for name in SHARED_FACT_READERS:
        text = (project / name).read_text()
        keyed = [driver for driver in DRIVERS if f'"{driver}":' in text or f'== "{driver}"' in text]
        assert keyed == [], f"{name} keys facts by driver: {keyed}"


def test_only_the_chosen_layers_are_laid(baked: tuple[Path, dict[str, Any]]) -> None:
    project, context = baked
    assert not (project / "_layers").exists()
    package = project / "src" / context["package_name"]
    for module in ("db/__init__.py", "models.py", "repository.py"):
        assert (package / module).is_file()
    others = "|".join(marker for driver, marker in DRIVER_MARKERS.items() if driver != context["db_driver"])
    mentions = [
        str(path)
        for path in files(project)
        if path.suffix in {".py", ".toml", ".ini", ".md", ".yml", ".yaml"}
        and re.search(others, path.read_text())
    ]
    assert mentions == []


def test_files_follow_the_options(baked: tuple[Path, dict[str, Any]]) -> None:
    project, context = baked
    docker = context["use_docker"] == "yes"
    assert (project / "Dockerfile").exists() == docker
    assert (project / "compose.yaml").exists() == docker
    assert (project / ".dockerignore").exists() == docker
    assert (project / ".github").exists() == (context["ci"] == "github")
    assert (project / ".gitlab-ci.yml").exists() == (context["ci"] == "gitlab")
    assert (project / "deploy").exists() == (context["deploy"] == "kubernetes")


def test_auth_is_laid_only_when_chosen(baked: tuple[Path, dict[str, Any]]) -> None:
    project, context = baked
    jwt = context["auth"] == "jwt"
    package = project / "src" / context["package_name"]
    assert (package / "auth").is_dir() == jwt
    assert (package / "api" / "me.py").exists() == jwt
    assert (project / "tests" / "auth").is_dir() == jwt
    # With auth=none nothing of it is left: no setting, dependency, import or README section.
    mentions = [
        str(path)
        for path in files(project)
        if path.suffix in {".py", ".toml", ".md", ".yml", ".yaml", ".example"}
        and re.search(r"AUTH_|pyjwt|\bjwt\b|\.auth\b", path.read_text())
    ]
    assert (mentions != []) == jwt, mentions


def test_jobs_are_laid_only_when_chosen(baked: tuple[Path, dict[str, Any]]) -> None:
    project, context = baked
    jobs = context["jobs"] == "postgres"
    package = project / "src" / context["package_name"]
    assert (package / "jobs").is_dir() == jobs
    assert (package / "commands" / "worker.py").exists() == jobs
    assert (project / "tests" / "jobs").is_dir() == jobs
    mentions = [
        str(path)
        for path in files(project)
        if path.suffix in {".py", ".toml"} and re.search(r"pgqueuer|JOBS_|\.jobs\b", path.read_text())
    ]
    assert (mentions != []) == jobs, mentions


def test_yaml_and_toml_parse(baked: tuple[Path, dict[str, Any]]) -> None:
    project, context = baked
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["name"] == context["project_slug"]
    for path in files(project):
        if path.suffix in {".yml", ".yaml"}:
            assert all(yaml.safe_load_all(path.read_text())), path


def test_the_pythons_agree(baked: tuple[Path, dict[str, Any]]) -> None:
    """requires-python admits every offered Python and its classifiers name them (the ones the
    variant tests run the suite on); Docker and CI use the chosen one."""
    project, context = baked
    offered = sorted(OPTIONS["python_version"], key=lambda version: tuple(map(int, version.split("."))))
    metadata = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert metadata["requires-python"] == f">={offered[0]}"
    assert [c.rpartition(" :: ")[2] for c in metadata["classifiers"] if "Python :: 3." in c] == offered
    chosen = context["python_version"]
    assert (project / ".python-version").read_text() == f"{chosen}\n"  # what `uv run` runs on
    if context["use_docker"] == "yes":
        assert f"ARG PYTHON_VERSION={chosen}\n" in (project / "Dockerfile").read_text()
    ci = {"github": f'python-version: "{chosen}"', "gitlab": f"image: python:{chosen}-slim"}
    if context["ci"] in ci:
        path = ".github/workflows/ci.yml" if context["ci"] == "github" else ".gitlab-ci.yml"
        assert ci[context["ci"]] in (project / path).read_text()


def test_secret_is_written_but_never_committed(baked: tuple[Path, dict[str, Any]]) -> None:
    project, context = baked
    assert ".env" in (project / ".gitignore").read_text().splitlines()
    if context["auth"] != "jwt":
        # Nothing reads a SECRET_KEY without auth: no setting, no .env line, no manifest, no word of it.
        mentions = [str(path) for path in files(project) if "SECRET_KEY" in path.read_text()]
        assert mentions == []
        return
    secret = re.search(r"^SECRET_KEY=(.+)$", (project / ".env").read_text(), re.MULTILINE)
    assert secret
    assert len(secret.group(1)) >= 32
    assert "SECRET_KEY=change-me" in (project / ".env.example").read_text()


def test_each_bake_gets_its_own_secret(cookies: Any) -> None:
    first, second = cookies.bake(extra_context={"auth": "jwt"}), cookies.bake(extra_context={"auth": "jwt"})
    assert (first.project_path / ".env").read_text() != (second.project_path / ".env").read_text()


def test_agents_md_names_only_commands_the_project_has(baked: tuple[Path, dict[str, Any]]) -> None:
    """Each `uv run X` in AGENTS.md is one of the project's scripts or a tool it depends on."""
    project, _ = baked
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    requirements = pyproject["project"]["dependencies"] + pyproject["dependency-groups"]["dev"]
    depended = {re.split(r"[\[<>=~! ]", requirement, maxsplit=1)[0] for requirement in requirements}
    named = set(re.findall(r"uv run ([\w-]+)", (project / "AGENTS.md").read_text()))
    assert named >= {"dev", "pytest", "ruff", "mypy", "migrate"}
    assert named - set(pyproject["project"]["scripts"]) - depended == set()


def run(*command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def test_ruff_passes(baked: tuple[Path, dict[str, Any]]) -> None:
    project, _ = baked
    check = run("ruff", "check", "--no-cache", ".", cwd=project)
    assert check.returncode == 0, check.stdout + check.stderr
    formatting = run("ruff", "format", "--no-cache", "--check", ".", cwd=project)
    assert formatting.returncode == 0, formatting.stdout + formatting.stderr


def test_data_access_uses_the_session_it_is_given(baked: tuple[Path, dict[str, Any]]) -> None:
    """A data-access function that leaves `session` unused reaches a connection by some other way
    (Tortoise's by-name lookup, say), which a caller holding a transaction would not expect."""
    project, context = baked
    package = project / "src" / context["package_name"]
    names = ("repository.py", "sync_repository.py", "idempotency_store.py")
    modules = [str(package / name) for name in names if (package / name).exists()]
    check = run("ruff", "check", "--no-cache", "--select", "ARG001", *modules, cwd=project)
    assert check.returncode == 0, check.stdout + check.stderr


def test_dockerfile_lints(baked: tuple[Path, dict[str, Any]]) -> None:
    project, context = baked
    if context["use_docker"] != "yes":
        pytest.skip("use_docker=no bakes no Dockerfile")
    lint = run("hadolint", "Dockerfile", cwd=project)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    final_user = re.findall(r"^USER (\S+)", (project / "Dockerfile").read_text(), re.MULTILINE)[-1]
    assert final_user.split(":")[0] not in {"0", "root"}


def test_compose_file_validates(baked: tuple[Path, dict[str, Any]]) -> None:
    project, context = baked
    if context["use_docker"] != "yes":
        pytest.skip("use_docker=no bakes no compose.yaml")
    config = run("docker-compose", "config", "--quiet", cwd=project)
    assert config.returncode == 0, config.stdout + config.stderr
    services = yaml.safe_load((project / "compose.yaml").read_text())["services"]
    assert services["app"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    # Healthy only once PostgreSQL answers over TCP, the way migrate connects: the image's init
    # server answers on its unix socket alone, and migrate would start too early and fail.
    probe = services["db"]["healthcheck"]["test"]
    assert probe[probe.index("-h") + 1] == "127.0.0.1"
    # One image, built once: migrate builds it and app runs it.
    assert services["app"]["image"] == services["migrate"]["image"]
    assert "build" in services["migrate"]
    assert "build" not in services["app"]
    if context["jobs"] == "postgres":  # the worker: the app's image and environment, after migrate
        worker = services["worker"]
        assert (worker["image"], worker["command"]) == (services["app"]["image"], ["worker"])
        assert worker["environment"] == services["app"]["environment"]
        assert worker["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    else:
        assert "worker" not in services


def test_docker_context_holds_only_what_the_build_reads(baked: tuple[Path, dict[str, Any]]) -> None:
    project, context = baked
    if context["use_docker"] != "yes":
        pytest.skip("use_docker=no bakes no .dockerignore")
    patterns = [
        line for line in (project / ".dockerignore").read_text().splitlines() if line and line[0] != "#"
    ]
    assert patterns[0] == "*"
    kept = {pattern[1:].rstrip("/") for pattern in patterns if pattern.startswith("!")}
    assert kept == {"pyproject.toml", "uv.lock", "README.md", "src", "migrations", "*.ini"}


@pytest.mark.parametrize("use_docker", ["yes", "no"])
def test_next_steps_say_docker_needs_uv_lock(use_docker: str, tmp_path: Path) -> None:
    bake = run(
        sys.executable, "-m", "cookiecutter", "--no-input", "-o", str(tmp_path), str(TEMPLATE),
        f"use_docker={use_docker}", cwd=tmp_path,
    )  # fmt: skip
    assert bake.returncode == 0, bake.stderr
    docker = [line for line in bake.stdout.splitlines() if "docker compose up" in line]
    assert len(docker) == (use_docker == "yes")
    assert all("uv.lock" in line for line in docker)


def test_ci_file_validates(baked: tuple[Path, dict[str, Any]]) -> None:
    project, context = baked
    schemas = {
        "github": ("vendor.github-workflows", ".github/workflows/ci.yml"),
        "gitlab": ("vendor.gitlab-ci", ".gitlab-ci.yml"),
    }
    if context["ci"] not in schemas:
        pytest.skip("ci=none bakes no CI file")
    schema, path = schemas[context["ci"]]
    check = run("check-jsonschema", "--builtin-schema", schema, path, cwd=project)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "TEST_DATABASE_URL" in (project / path).read_text()


def ci_commands(project: Path, ci: str) -> list[str]:
    """The shell commands the CI job runs, in order."""
    if ci == "github":
        job = yaml.safe_load((project / ".github/workflows/ci.yml").read_text())["jobs"]["test"]
        return [step["run"] for step in job["steps"] if "run" in step]
    job = yaml.safe_load((project / ".gitlab-ci.yml").read_text())["test"]
    return [*job["before_script"], *job["script"]]


def test_ci_installs_pgbouncer_before_the_suite(baked: tuple[Path, dict[str, Any]]) -> None:
    """The baked PgBouncer fixture (tests/support/pgbouncer.py) looks for `pgbouncer` on PATH or at
    /usr/sbin/pgbouncer (where Debian's package puts it), runs it as another user when it is root (a
    GitLab job's container; GitHub's runner is not root), and fails instead of skipping when CI=true:
    so the job must install it first."""
    project, context = baked
    if context["ci"] == "none":
        pytest.skip("ci=none bakes no CI file")
    commands = ci_commands(project, context["ci"])
    installs = [n for n, line in enumerate(commands) if re.search(r"apt-get install .*\bpgbouncer\b", line)]
    [suite] = [n for n, line in enumerate(commands) if line.strip().startswith("uv run pytest")]
    assert installs, commands
    assert installs[0] < suite
    test = (project / "tests" / "support" / "pgbouncer.py").read_text()
    assert '"/usr/sbin/pgbouncer"' in test
    assert 'os.environ.get("CI") == "true"' in test


def manifests(project: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """Every Kubernetes object the project defines, by (kind, name)."""
    objects = {}
    for path in sorted((project / "deploy" / "kubernetes").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            objects[document["kind"], document["metadata"]["name"]] = document
    return objects


def test_kubernetes_manifests_validate(baked: tuple[Path, dict[str, Any]]) -> None:
    project, context = baked
    if context["deploy"] != "kubernetes":
        pytest.skip("deploy=none bakes no manifests")
    paths = sorted(str(path) for path in (project / "deploy" / "kubernetes").glob("*.yaml"))
    check = run("kubernetes-validate", "--strict", "--quiet", *paths, cwd=project)
    assert check.returncode == 0, check.stdout + check.stderr
    kinds = {kind for kind, _ in manifests(project)}
    assert kinds == {
        "ConfigMap",
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Job",
    }


def test_kubernetes_settings_hold_together(baked: tuple[Path, dict[str, Any]]) -> None:
    """Probes on the health routes, PgBouncer in transaction mode in front, a connection budget that
    the autoscaler's maximum fits, and a grace period longer than the drain and the shutdown timeout."""
    project, context = baked
    if context["deploy"] != "kubernetes":
        pytest.skip("deploy=none bakes no manifests")
    name = context["__k8s_name"]
    objects = manifests(project)
    config = objects["ConfigMap", name]["data"]
    pod = objects["Deployment", name]["spec"]["template"]["spec"]
    [app] = pod["containers"]
    assert app["livenessProbe"]["httpGet"]["path"] == "/health/live"
    assert app["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert app["resources"]["requests"]
    assert app["resources"]["limits"]
    assert {ref["configMapRef"]["name"] for ref in app["envFrom"]} == {name}
    secrets = {env["name"]: env["valueFrom"]["secretKeyRef"]["name"] for env in app["env"]}
    assert secrets == {"DATABASE_URL": name}  # SECRET_KEY seeds development tokens only
    shutdown = int(config["SHUTDOWN_DRAIN"]) + int(config["SHUTDOWN_TIMEOUT"])
    assert pod["terminationGracePeriodSeconds"] > shutdown

    autoscaler = objects["HorizontalPodAutoscaler", name]["spec"]
    assert autoscaler["scaleTargetRef"]["name"] == name
    surge = objects["Deployment", name]["spec"]["strategy"]["rollingUpdate"]["maxSurge"]
    most_pods = autoscaler["maxReplicas"] + surge
    assert int(config["REPLICAS"]) == most_pods
    per_pod = int(config["WEB_CONCURRENCY"]) * (int(config["DB_POOL_SIZE"]) + int(config["DB_MAX_OVERFLOW"]))
    assert most_pods * per_pod <= int(config["DB_CONNECTION_BUDGET"])

    assert config["DB_PGBOUNCER"] == "true"
    bouncer = dict(
        line.split(" = ", 1)
        for line in objects["ConfigMap", f"{name}-pgbouncer"]["data"]["pgbouncer.ini"].splitlines()
        if " = " in line and not line.startswith(";")
    )
    assert bouncer["pool_mode"] == "transaction"
    clients = int(config["DB_CONNECTION_BUDGET"])
    if context["jobs"] == "postgres":  # workers: the app's image, settings and secret; a pool of their own
        workers = objects["Deployment", f"{name}-worker"]["spec"]
        [worker] = workers["template"]["spec"]["containers"]
        assert (worker["image"], worker["command"]) == (app["image"], ["worker"])
        assert worker["envFrom"] == app["envFrom"]
        own = {env["name"]: env.get("value") for env in worker["env"]}
        assert own.keys() == {"DATABASE_URL", "DB_POOL_SIZE", "DB_MAX_OVERFLOW"}
        most_workers = workers["replicas"] + workers["strategy"]["rollingUpdate"]["maxSurge"]
        clients += most_workers * (int(own["DB_POOL_SIZE"]) + int(own["DB_MAX_OVERFLOW"]) + 1)  # + its queue
        disruption = objects["PodDisruptionBudget", f"{name}-worker"]["spec"]
        assert disruption["selector"] == workers["selector"]
    else:
        assert ("Deployment", f"{name}-worker") not in objects
    assert clients <= int(bouncer["max_client_conn"])

    job = objects["Job", f"{name}-migrate"]["spec"]["template"]["spec"]
    [migrate] = job["containers"]
    assert migrate["command"] == ["migrate"]
    assert migrate["image"] == app["image"]
    disruption = objects["PodDisruptionBudget", name]["spec"]
    assert disruption["selector"] == objects["Deployment", name]["spec"]["selector"]


def test_the_top_of_tests_holds_the_services_tests_only(baked: tuple[Path, dict[str, Any]]) -> None:
    """The template's machinery is behind one door, tests/support/, with a README saying what it gives."""
    project, _ = baked
    tests = project / "tests"
    strays = [
        path.name
        for path in tests.iterdir()
        if not (path.name in {"__init__.py", "conftest.py"} or re.fullmatch(r"test_\w+\.py", path.name))
        and not (path.is_dir() and (path.name == "support" or (path / "__init__.py").exists()))
    ]
    assert strays == [], strays
    assert (tests / "support" / "README.md").is_file()
    for folder in [tests, *(path for path in tests.iterdir() if path.is_dir() and path.name != "support")]:
        helpers = [path.name for path in folder.glob("*.py") if path.name != "conftest.py"]
        assert all(name == "__init__.py" or name.startswith("test_") for name in helpers), helpers


# Which of the service's packages each may not import: imports point down, api -> auth -> core.
FORBIDDEN_IMPORTS = {"core": {"api", "auth", "db", "commands"}, "auth": {"api"}, "db": {"api", "auth"}}
LAZY_IMPORTS_ALLOWED = {"commands"}  # a command loads what only one of its modes needs, for a quick refusal


def imported_packages(module: Path, package: Path, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The service's top-level packages (api, core, ...) an import statement reaches."""
    here = module.relative_to(package).parts[:-1]
    names: list[tuple[str, ...]] = []
    if isinstance(node, ast.ImportFrom) and node.level:
        base = here[: len(here) - (node.level - 1)] if node.level > 1 else here
        target = (*base, *(node.module.split(".") if node.module else ()))
        names = [(*target, alias.name) for alias in node.names] if not node.module else [target]
    else:
        dotted = [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
        dotted += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        names = [tuple(name.split(".")[1:]) for name in dotted if name.split(".")[0] == package.name]
    return {name[0] for name in names if name}


def test_imports_point_down(baked: tuple[Path, dict[str, Any]]) -> None:
    """core imports nothing above it, auth nothing of api; no import inside a function dodges a circle
    (one under `if TYPE_CHECKING:` is for types alone); api/__init__.py changes no router as it is
    imported."""
    project, context = baked
    package = project / "src" / context["package_name"]
    wrong = []
    for module in package.rglob("*.py"):
        tree = ast.parse(module.read_text())
        layer = module.relative_to(package).parts[0]
        # Imports for type checking alone run at no time, so they count as the module's own.
        at_top = set(tree.body) | {
            statement
            for node in tree.body
            if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
            for statement in node.body
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            reached = imported_packages(module, package, node) - {layer}
            where = f"{module.relative_to(project)}:{node.lineno}"
            if reached & FORBIDDEN_IMPORTS.get(layer, set()):
                wrong.append(f"{where} imports {sorted(reached)}")
            own = imported_packages(module, package, node) or (
                isinstance(node, ast.ImportFrom) and node.level
            )
            if node not in at_top and own and layer not in LAZY_IMPORTS_ALLOWED:
                wrong.append(f"{where} imports the service's own module inside a function")
    api = ast.parse((package / "api" / "__init__.py").read_text())
    wrong += [
        f"api/__init__.py:{node.lineno} runs code at import"
        for node in api.body
        if isinstance(node, ast.For | ast.Expr) and not isinstance(getattr(node, "value", None), ast.Constant)
    ]
    assert wrong == [], "\n".join(wrong)
