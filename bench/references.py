"""The reference apps in reference/ (plain files, not baked) and the environment they run in."""

from dataclasses import dataclass
from pathlib import Path

from .bake import UV, run

FOLDER = Path(__file__).resolve().parent / "reference"
PACKAGES = (
    "fastapi",
    "starlette",
    "pydantic",
    "uvicorn[standard]",
    "uvloop",
    "httptools",
    "asyncpg",
    "psycopg[binary]",
)


@dataclass(frozen=True)
class Reference:
    name: str
    module: str
    label: str


CEILING = Reference("ceiling", "ceiling:app", "Starlette + raw asyncpg (the practical ceiling)")
FASTAPI_ASYNCPG = Reference("fastapi-asyncpg", "fastapi_asyncpg:app", "FastAPI + raw asyncpg, no ORM")
ANTIPATTERN = Reference(
    "antipattern", "antipattern:app", "async def endpoints calling psycopg (sync) on the loop"
)
ALL = (CEILING, FASTAPI_ASYNCPG, ANTIPATTERN)
QUICK = (CEILING, ANTIPATTERN)


def environment(into: Path, pins: dict[str, str]) -> Path:
    """A virtual environment for the references; the packages a baked variant also has are pinned to
    its versions, so the comparison is between code, not between releases. Returns its python."""
    venv = into / "reference-venv"
    run([UV, "venv", "--quiet", str(venv)], into, "creating the reference apps' environment")
    wanted = []
    for package in PACKAGES:
        name = package.split("[")[0]
        wanted.append(f"{package}=={pins[name]}" if name in pins else package)
    python = venv / "bin" / "python"
    run(
        [UV, "pip", "install", "--quiet", "--python", str(python), *wanted],
        into,
        "installing the reference apps",
    )
    return python
