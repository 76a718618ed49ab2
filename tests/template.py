"""Facts about the template that the tests share: where it is, its options, how to bake it."""

import json
import os
import shutil
from pathlib import Path
from typing import Any

TEMPLATE = Path(__file__).resolve().parents[1]
OPTIONS: dict[str, Any] = json.loads((TEMPLATE / "cookiecutter.json").read_text())
DRIVERS: list[str] = OPTIONS["db_driver"]
# Inside `uv run`, uv names itself here; elsewhere it is on PATH (.ci/run makes sure of that).
UV = os.environ.get("UV") or shutil.which("uv") or "uv"

# What each driver's baked code must never mention when another driver was chosen.
DRIVER_MARKERS = {
    "asyncpg": r"sqlalchemy\.ext\.asyncio|create_async_engine",
    "tortoise": r"tortoise",
    # Not the URL schemes every layer accepts (postgresql+psycopg://): naming one is not using it.
    "sync-threadpool": r"(?<!\+)psycopg",
}


def context_id(context: dict[str, str]) -> str:
    return "-".join(f"{key}:{value}" for key, value in context.items()) or "defaults"
