"""Git clones of the template and baked services under git, and the cruft and git commands on them."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .template import TEMPLATE

# Commits need a name; the caller's own git config (signing, hooks, templates) must not change a run.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Template Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "Template Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def run(*command: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, **GIT_ENV, "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def git(*args: str, cwd: Path) -> str:
    result = run("git", *args, cwd=cwd)
    assert result.returncode == 0, f"git {' '.join(args)}: {result.stderr}"
    return result.stdout


def cruft(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The cruft command line a team runs, from this environment."""
    return run(sys.executable, "-m", "cruft", *args, cwd=cwd)


def copier(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The Copier command line a team runs, from this environment (cookiecutter beside it)."""
    return run(sys.executable, "-m", "copier", *args, cwd=cwd)


def commit_all(repo: Path, message: str) -> str:
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", message, cwd=repo)
    return git("rev-parse", "HEAD", cwd=repo).strip()


def clone_template(destination: Path) -> str:
    """A git clone of the template whose last commit is the working tree as it is now, uncommitted
    changes included (those are what a test run is about); returns that commit."""
    git("clone", "-q", str(TEMPLATE), str(destination), cwd=TEMPLATE.parent)
    for path in destination.iterdir():
        if path.is_dir() and path.name != ".git":
            shutil.rmtree(path)
        elif path.is_file():
            path.unlink()
    listed = git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=TEMPLATE)
    for relative in filter(None, listed.split("\0")):
        source = TEMPLATE / relative
        if source.is_file():  # a tracked file deleted in the working tree is gone from the clone too
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    if git("status", "--porcelain", cwd=destination):
        return commit_all(destination, "The template's working tree")
    return git("rev-parse", "HEAD", cwd=destination).strip()
