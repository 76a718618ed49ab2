"""The variants to measure: the db_driver choices, read from cookiecutter.json, never listed here."""

import json
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[1]


def drivers() -> list[str]:
    options = json.loads((TEMPLATE / "cookiecutter.json").read_text())
    choices = options["db_driver"]
    return [choices] if isinstance(choices, str) else list(choices)
