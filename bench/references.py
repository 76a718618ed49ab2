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
    "sqlalchemy[asyncio]",
    "tortoise-orm",
)


@dataclass(frozen=True)
class Reference:
    name: str
    module: str
    label: str
    connections: int  # the most its pool opens: what serving it beside others costs the server
    plain_of: str | None = None  # the db_driver whose plain counterpart it is: the code a team would
    # write on the same library without the template


CEILING = Reference(
    "ceiling",
    "ceiling:app",
    "Starlette + raw asyncpg (the practical ceiling)",
    connections=15,  # queries.POOL_MAX
)
FASTAPI_ASYNCPG = Reference(
    "fastapi-asyncpg",
    "fastapi_asyncpg:app",
    "FastAPI + raw asyncpg, no ORM",
    connections=15,  # queries.POOL_MAX
)
ANTIPATTERN = Reference(
    "antipattern", "antipattern:app", "async def endpoints calling psycopg (sync) on the loop", connections=1
)
PLAIN_SQLALCHEMY = Reference(
    "plain-sqlalchemy",
    "plain_sqlalchemy:app",
    "FastAPI's SQLAlchemy async recipe: pool_size=20, a yield session, ORM queries",
    connections=30,  # pool_size 20 plus the default max_overflow 10
    plain_of="asyncpg",
)
PLAIN_TORTOISE = Reference(
    "plain-tortoise",
    "plain_tortoise:app",
    "RegisterTortoise with its defaults, models, ORM queries",
    connections=5,  # Tortoise's default asyncpg pool: 1 to 5
    plain_of="tortoise",
)
PLAIN_SYNC = Reference(
    "plain-sync",
    "plain_sync:app",
    "full-stack FastAPI style: def routes, a yield sync Session, create_engine's default pool",
    connections=15,  # the default QueuePool: 5 plus 10 overflow
    plain_of="sync-threadpool",
)
ALL = (CEILING, FASTAPI_ASYNCPG, ANTIPATTERN, PLAIN_SQLALCHEMY, PLAIN_TORTOISE, PLAIN_SYNC)
# plain-sync is the one plain reference the smoke run keeps: it stalls at c=64, so every quick run
# goes through the harness's stuck-app path (probe, kill, restart) and the report's rows that
# answered nothing; the other two take the same path through the harness as the raw references.
QUICK = (CEILING, ANTIPATTERN, PLAIN_SYNC)


def pinned_versions(variants: list[dict[str, str]]) -> dict[str, str]:
    """Each package at the version the first variant that has it installed (the variants are resolved
    together, so they agree): SQLAlchemy as in asyncpg, Tortoise as in tortoise, psycopg as in
    sync-threadpool."""
    found: dict[str, str] = {}
    for versions in variants:
        for name, version in versions.items():
            found.setdefault(name, version)
    return found


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
