"""The template's probe: a table of its own outside the service's schema, and routes on it through
the driver's session, added to every app the tests start. The tests of how the service behaves (its
faults, pool, logs, metrics, tracing, bad input, Idempotency-Keys, tokens and scopes) read, write and
hold requests with it, not with the example, so they stay when the example goes."""

from typing import Annotated

from fastapi import APIRouter, FastAPI, Path, status
from pydantic import BaseModel, ConfigDict, Field

from {{ cookiecutter.package_name }}.api.idempotency import document, idempotent
from {{ cookiecutter.package_name }}.api.params import Limit, Offset
from {{ cookiecutter.package_name }}.api.responses import Kind, responses
{%- if cookiecutter.auth == "jwt" %}
from {{ cookiecutter.package_name }}.api.security import guarded
from {{ cookiecutter.package_name }}.auth.scopes import WRITE_SCOPES
{%- endif %}
from {{ cookiecutter.package_name }}.core.errors import NotFound
from {{ cookiecutter.package_name }}.db import SessionDep

from .probe_rows import read, write

TABLE = "test_probe.rows"
# Run once per run on the test database, after its migrations (the driver's `database_url`).
CREATE_TABLE = (
    "CREATE SCHEMA IF NOT EXISTS test_probe",
    f"CREATE TABLE IF NOT EXISTS {TABLE} (id serial PRIMARY KEY, name text NOT NULL UNIQUE,"
    " n integer NOT NULL DEFAULT 0)",
)
COLUMNS = "id, name, n"
{%- if cookiecutter.auth == "jwt" %}
# Its writes need a scope of their own, named in the service's table as a resource's is.
PROBE_SCOPE = WRITE_SCOPES["test-probe"] = "test-probe:write"
{%- endif %}

RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Number = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00]*$")]  # text holds no NUL


class NewProbeRow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    n: Number = 0


class ProbeChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    n: Number | None = None


class ProbeRow(BaseModel):
    id: int
    name: str
    n: int


router = APIRouter(prefix="/test-probe/rows", tags=["test-probe"])


@router.get("", responses=responses(Kind.LIST))
async def list_probe_rows(session: SessionDep, limit: Limit = 10, offset: Offset = 0) -> list[ProbeRow]:
    statement = f"SELECT {COLUMNS} FROM {TABLE} ORDER BY id LIMIT :limit OFFSET :offset"
    found = await read(session, statement, limit=limit, offset=offset)
    return [ProbeRow.model_validate(row) for row in found]


@router.get("/{row_id}", responses=responses(Kind.READ))
async def get_probe_row(row_id: RowId, session: SessionDep) -> ProbeRow:
    return one(await read(session, f"SELECT {COLUMNS} FROM {TABLE} WHERE id = :id", id=row_id))


@router.post("", status_code=status.HTTP_201_CREATED, responses=responses(Kind.CREATE))
@idempotent
async def create_probe_row(body: NewProbeRow, session: SessionDep) -> ProbeRow:
    statement = f"INSERT INTO {TABLE} (name, n) VALUES (:name, :n) RETURNING {COLUMNS}"
    return one(await write(session, statement, name=body.name, n=body.n))


@router.patch("/{row_id}", responses=responses(Kind.CHANGE))
@idempotent
async def update_probe_row(row_id: RowId, body: ProbeChange, session: SessionDep) -> ProbeRow:
    changed = "name = coalesce(:name, name), n = coalesce(:n, n)"
    statement = f"UPDATE {TABLE} SET {changed} WHERE id = :id RETURNING {COLUMNS}"
    return one(await write(session, statement, id=row_id, name=body.name, n=body.n))


@router.delete("/{row_id}", status_code=status.HTTP_204_NO_CONTENT, responses=responses(Kind.DELETE))
async def delete_probe_row(row_id: RowId, session: SessionDep) -> None:
    one(await write(session, f"DELETE FROM {TABLE} WHERE id = :id RETURNING {COLUMNS}", id=row_id))


# The schema's word on the replay header and a reused key, for the idempotent routes above.
document(router)


def one(found: list[dict[str, object]]) -> ProbeRow:
    if not found:
        raise NotFound("Probe row not found.")
    return ProbeRow.model_validate(found[0])


def with_probe(app: FastAPI) -> FastAPI:
{%- if cookiecutter.auth == "jwt" %}
    app.include_router(guarded(router))  # a token for every route, the scope for its writes
{%- else %}
    app.include_router(router)
{%- endif %}
    return app
