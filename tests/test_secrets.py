"""Nothing secret is committed: no .env, no keys, no real-looking credentials in the template."""

import re
import subprocess

from .template import TEMPLATE

SECRET_LOOKING = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----"  # keys
    r"|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}"  # cloud and forge tokens
    r"|SECRET_KEY=[A-Za-z0-9_-]{16,}"  # a generated secret pasted into a file
)


def tracked_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files"], cwd=TEMPLATE, capture_output=True, text=True, check=True)
    return listed.stdout.splitlines()


def test_no_env_file_is_committed() -> None:
    assert not [path for path in tracked_files() if path.rsplit("/", 1)[-1] == ".env"]


def test_no_secret_looking_text_is_committed() -> None:
    hits = []
    for path in tracked_files():
        file = TEMPLATE / path
        if file.is_file() and file.suffix not in {".png", ".lock"}:
            text = file.read_text(errors="ignore")
            hits += [f"{path}: {match.group(0)[:30]}" for match in SECRET_LOOKING.finditer(text)]
    assert hits == []
