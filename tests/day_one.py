"""A team's first change to a baked project, as the baked README's "Adding a field, adding a resource"
lists it: `sku` on items and a small `tags` resource, written per driver where the layers differ."""

import re
from pathlib import Path

# The same in every layer: bodies, routes, tests.
SCHEMAS = {
    "class ItemCreate(RequestBody):\n    name: Name\n": "    sku: Sku | None = None\n",
    "    price_cents: Cents | None = None\n": "    sku: Sku | None = None\n",
    "    price_cents: int\n    created_at: datetime\n": "    sku: str | None\n",
    "Id = Annotated[int, Field(ge=1, le=MAX_ID)]\n": (
        "Sku = Annotated[str, Field(min_length=1, max_length=40, pattern=WITHOUT_NUL)]\n"
    ),
}
TAG_SCHEMAS = """

class TagCreate(RequestBody):
    label: Annotated[str, Field(min_length=1, max_length=50, pattern=WITHOUT_NUL)]


class Tag(ReadFromModel):
    id: int
    label: str
"""
TAG_ROUTES = '''"""Tags: create one, read one."""

from fastapi import APIRouter, status

from .. import repository, schemas
from ..db import SessionDep
from .params import TagId
from .responses import Kind, responses

router = APIRouter(prefix="/tags", tags=["tags"])


@router.post("", status_code=status.HTTP_201_CREATED, responses=responses(Kind.CREATE))
async def create_tag(body: schemas.TagCreate, session: SessionDep) -> schemas.Tag:
    return schemas.Tag.model_validate(await repository.create_tag(session, body))


@router.get("/{tag_id}", responses=responses(Kind.READ))
async def get_tag(tag_id: TagId, session: SessionDep) -> schemas.Tag:
    return schemas.Tag.model_validate(await repository.get_tag(session, tag_id))
'''
ITEM_TEST = """

async def test_sku_is_stored_and_read_back(
    client: AsyncClient, path_to: PathTo, create_item: CreateItem
) -> None:
    created = await create_item("sku-lamp", sku="LMP-1")

    read = await client.get(path_to("get_item", item_id=created["id"]))

    assert read.json()["sku"] == "LMP-1"
    too_long = await client.post(path_to("create_item"), json={"name": "long", "sku": "x" * 41})
    assert too_long.status_code == 422
"""
TAG_TESTS = '''"""Tags: created, read, unique labels, unknown ids."""

from httpx import AsyncClient


async def test_create_then_read(client: AsyncClient) -> None:
    created = await client.post("/tags", json={"label": "red"})
    assert created.status_code == 201, created.text

    read = await client.get(f"/tags/{created.json()['id']}")

    assert read.status_code == 200
    assert read.json() == created.json() == {"id": created.json()["id"], "label": "red"}


async def test_a_taken_label_is_409(client: AsyncClient) -> None:
    assert (await client.post("/tags", json={"label": "blue"})).status_code == 201

    again = await client.post("/tags", json={"label": "blue"})

    assert again.status_code == 409
    assert again.json()["code"] == "conflict"


async def test_an_unknown_tag_is_404(client: AsyncClient) -> None:
    response = await client.get("/tags/999999")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Tag not found."}
'''

SQLALCHEMY_MODELS = {
    "    price_cents: Mapped[int] = mapped_column(BigInteger)\n": (
        "    sku: Mapped[str | None] = mapped_column(String(40))\n"
    ),
}
SQLALCHEMY_TAG = """

class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(50), unique=True)
"""
ASYNC_REPOSITORY = """

async def create_tag(session: AsyncSession, data: schemas.TagCreate) -> Tag:
    tag = Tag(**data.model_dump())
    try:
        async with session.begin():
            session.add(tag)
    except IntegrityError as error:
        if sqlstate(error) == UNIQUE_VIOLATION:
            raise Conflict("A tag with that label already exists.") from None
        raise
    return tag


async def get_tag(session: AsyncSession, tag_id: int) -> Tag:
    tag = await session.get(Tag, tag_id)
    if tag is None:
        raise NotFound("Tag not found.")
    return tag
"""
SYNC_REPOSITORY = """

def create_tag(session: Session, data: schemas.TagCreate) -> Tag:
    tag = Tag(**data.model_dump())
    try:
        with session.begin():
            session.add(tag)
    except IntegrityError as error:
        if sqlstate(error) == UNIQUE_VIOLATION:
            raise Conflict("A tag with that label already exists.") from None
        raise
    return tag


def get_tag(session: Session, tag_id: int) -> Tag:
    with session.begin():
        tag = session.get(Tag, tag_id)
        if tag is None:
            raise NotFound("Tag not found.")
        return tag
"""
TORTOISE_MODELS = {
    "    price_cents = fields.BigIntField()\n": "    sku = fields.CharField(max_length=40, null=True)\n"
}
TORTOISE_TAG = """

class Tag(Model):
    id = fields.IntField(primary_key=True)
    label = fields.CharField(max_length=50, unique=True)

    class Meta:
        table = "tags"
"""
TORTOISE_REPOSITORY = """

async def create_tag(session: BaseDBAsyncClient, data: schemas.TagCreate) -> Tag:
    try:
        async with one_statement(session) as connection:
            return await Tag.create(**data.model_dump(), using_db=connection)
    except IntegrityError as error:
        if sqlstate(error) == UNIQUE_VIOLATION:
            raise Conflict("A tag with that label already exists.") from None
        raise


async def get_tag(session: BaseDBAsyncClient, tag_id: int) -> Tag:
    tag = await Tag.get_or_none(id=tag_id, using_db=session)
    if tag is None:
        raise NotFound("Tag not found.")
    return tag
"""
MODELS_IMPORT = (
    "from .models import Account, AuditEvent, Item, Transfer",
    "from .models import Account, AuditEvent, Item, Tag, Transfer",
)

# The migration command of the baked README, per driver, with this change's name.
GENERATE = {
    "asyncpg": ["alembic", "revision", "--autogenerate", "-m", "add items.sku and tags"],
    "tortoise": ["makemigrations", "--name", "add_items_sku_and_tags"],
    "sync-threadpool": ["alembic", "revision", "--autogenerate", "-m", "add items.sku and tags"],
}


def insert_after(path: Path, anchors: dict[str, str]) -> None:
    """Each anchor followed by its text; an anchor the template no longer has fails loudly."""
    text = path.read_text()
    for anchor, addition in anchors.items():
        assert text.count(anchor) == 1, f"{path.name}: expected {anchor!r} once"
        text = text.replace(anchor, anchor + addition)
    path.write_text(text)


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{path.name}: expected {old!r} once"
    path.write_text(text.replace(old, new))


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def add_field_and_resource(project: Path, package: str, driver: str) -> list[Path]:
    """Make the change by hand, as the README says; returns the files touched, in order."""
    src = project / "src" / package
    touched = [src / "models.py", src / "schemas.py"]
    if driver == "tortoise":
        insert_after(src / "models.py", TORTOISE_MODELS)
        append(src / "models.py", TORTOISE_TAG)
    else:
        insert_after(src / "models.py", SQLALCHEMY_MODELS)
        append(src / "models.py", SQLALCHEMY_TAG)
    insert_after(src / "schemas.py", SCHEMAS)
    append(src / "schemas.py", TAG_SCHEMAS)
    if driver == "sync-threadpool":
        touched += [src / "sync_repository.py", src / "repository.py"]
        replace(src / "sync_repository.py", *MODELS_IMPORT)
        append(src / "sync_repository.py", SYNC_REPOSITORY)
        append(
            src / "repository.py",
            "create_tag = in_threadpool(sync_repository.create_tag)\n"
            "get_tag = in_threadpool(sync_repository.get_tag)\n",
        )
    else:
        touched.append(src / "repository.py")
        replace(src / "repository.py", *MODELS_IMPORT)
        append(src / "repository.py", TORTOISE_REPOSITORY if driver == "tortoise" else ASYNC_REPOSITORY)
    api = src / "api"
    touched += [api / "params.py", api / "tags.py", api / "__init__.py"]
    append(api / "params.py", "TagId = Annotated[int, Path(ge=1, le=MAX_ID)]\n")
    (api / "tags.py").write_text(TAG_ROUTES)
    replace(
        api / "__init__.py",
        "from . import accounts, health, items",
        "from . import accounts, health, items, tags",
    )
    replace(
        api / "__init__.py",
        "(health.router, items.router, accounts.router",
        "(health.router, items.router, accounts.router, tags.router",
    )
    tests = project / "tests"
    touched += [tests / "test_items.py", tests / "test_tags.py", tests / "conftest.py"]
    append(tests / "test_items.py", ITEM_TEST)
    (tests / "test_tags.py").write_text(TAG_TESTS)
    replace(tests / "conftest.py", '"idempotency_keys")', '"idempotency_keys", "tags")')
    return touched


# The example, as the baked README's "Removing the example" names it.
EXAMPLE_MODULES = {
    "asyncpg": ["repository.py", "queries.py"],
    "tortoise": ["repository.py"],
    "sync-threadpool": ["repository.py", "sync_repository.py", "queries.py"],
}
EXAMPLE_TESTS = ["test_items.py", "test_accounts.py", "test_concurrency.py", "test_transfer_retries.py"]
EXAMPLE_MODELS = ("Item", "Account", "Transfer", "AuditEvent")
EXAMPLE_SCHEMAS = (
    *("ItemCreate", "ItemUpdate", "Item", "ItemPage"),
    *("AccountCreate", "Account", "AccountRef"),
    *("TransferCreate", "Transfer", "TransferDetail"),
)
REMOVE = {
    "asyncpg": ["alembic", "revision", "--autogenerate", "-m", "remove the example"],
    "tortoise": ["makemigrations", "--name", "remove_the_example"],
    "sync-threadpool": ["alembic", "revision", "--autogenerate", "-m", "remove the example"],
}


def without_classes(path: Path, names: tuple[str, ...]) -> None:
    """The module without the top-level classes named: each from its `class` line to the next
    top-level statement. A name the module no longer has fails loudly."""
    lines = path.read_text().splitlines(keepends=True)
    kept: list[str] = []
    skipping = False
    found = set()
    for line in lines:
        starts = re.match(r"class (\w+)\b", line)
        if starts:
            skipping = starts[1] in names
            found.add(starts[1])
        elif skipping and line.strip() and not line[0].isspace():
            skipping = False
        if not skipping:
            kept.append(line)
    assert set(names) <= found, f"{path.name}: no class {sorted(set(names) - found)}"
    path.write_text(re.sub(r"\n{3,}", "\n\n\n", "".join(kept)))


def remove_example(project: Path, package: str, driver: str) -> list[Path]:
    """Take the example out by hand, as the README says; returns the files deleted or edited."""
    src = project / "src" / package
    deleted = [src / "api" / "items.py", src / "api" / "accounts.py"]
    deleted += [src / module for module in EXAMPLE_MODULES[driver]]
    deleted += [project / "tests" / test for test in EXAMPLE_TESTS]
    if (project / "tests" / "jobs").is_dir():
        deleted.append(project / "tests" / "jobs" / "test_transfer_completed.py")
    for path in deleted:
        path.unlink()
    api = src / "api" / "__init__.py"
    # `items` and `accounts` out of its import and `routers` (auth=jwt adds `me` to both).
    example = r", (?:items|accounts)\b(?:\.router)?|\b(?:items|accounts)(?:\.router)?, "
    kept = re.sub(example, "", api.read_text()).replace("(health.router)", "(health.router,)")
    assert re.search(r"\b(items|accounts)\b", kept) is None, kept
    api.write_text(kept)
    without_classes(src / "models.py", EXAMPLE_MODELS)
    without_classes(src / "schemas.py", EXAMPLE_SCHEMAS)
    conftest = project / "tests" / "conftest.py"
    tables = re.search(r"    return \(.*\"items\".*\)\n", conftest.read_text())
    assert tables, "conftest.py: no service_tables with items"
    replace(conftest, tables[0], '    return ("idempotency_keys",)\n')
    edited = [api, src / "models.py", src / "schemas.py", conftest]
    if (src / "jobs").is_dir():  # jobs=postgres: the example's kind of job
        (src / "jobs" / "transfers.py").unlink()
        deleted.append(src / "jobs" / "transfers.py")
        kinds = src / "jobs" / "kinds.py"
        replace(kinds, re.findall(r"KINDS = Kinds\(\[.+\]\)", kinds.read_text())[0], "KINDS = Kinds([])")
        settings = src / "core" / "settings.py"
        text = settings.read_text()
        for block in (
            r"    # Where a transfer\.completed job [^\n]*\n    transfer_webhook_url: [^\n]*\n",
            r"    @field_validator\(\"transfer_webhook_url\".*?\n\n",
        ):
            [found] = re.findall(block, text, re.S)
            text = text.replace(found, "")
        settings.write_text(text)
        edited += [kinds, settings]
    scopes = src / "auth" / "scopes.py"
    if scopes.exists():  # auth=jwt
        entries = re.search(r"(?<=WRITE_SCOPES: dict\[str, str\] = \{)\n.*?(?=\})", scopes.read_text(), re.S)
        assert entries, "auth/scopes.py: no WRITE_SCOPES with entries"
        replace(scopes, entries[0], "")
        edited.append(scopes)
    return [*deleted, *edited]


def statements(lines: list[str]) -> list[list[str]]:
    """Lines grouped by statement: each group begins at a line indented as the first one is, but
    for the closing bracket of a statement that began there."""
    indent = len(lines[0]) - len(lines[0].lstrip())
    grouped: list[list[str]] = []
    for line in lines:
        starts = line.strip() and not line.strip().startswith((")", "]"))  # not a closing bracket
        if not grouped or (starts and len(line) - len(line.lstrip()) == indent):
            grouped.append([line])
        else:
            grouped[-1].append(line)
    return grouped


def transfers_first(migration: Path) -> None:
    """What the README asks of the written migration: both tools write the tables' drops (and
    Alembic their creations) in name order, so by hand `transfers`, which refers to `accounts`, is
    dropped first, and created last."""
    text = migration.read_text()
    is_transfers = re.compile(r"\"transfers\"|\"Transfer\"")
    bodies = (
        (r"(?<=def upgrade\(\) -> None:\n)(.*?\n)(?=\n)", False),
        (r"(?<=def downgrade\(\) -> None:\n)(.*)\Z", True),
        (r"(?<=operations = \[\n)(.*?\n)(?=    \])", False),
    )
    for block, last in bodies:
        found = re.search(block, text, re.S)
        if not found:
            continue
        grouped = statements(found[1].splitlines(keepends=True))
        ordered = sorted(grouped, key=lambda lines: bool(is_transfers.search("".join(lines))) == last)
        text = text[: found.start(1)] + "".join("".join(lines) for lines in ordered) + text[found.end(1) :]
    migration.write_text(text)


# The example's check constraints, which Tortoise's 0001_initial.py adds on their own.
TORTOISE_CHECKS = {
    "Account": "ck_accounts_balance_not_negative",
    "Item": "ck_items_price_not_negative",
    "Transfer": "ck_transfers_amount_positive",
}


def tortoise_checks_removed_first(migration: Path) -> None:
    """What the README asks of Tortoise's written migration: each check constraint removed before its
    table, so that rolling back re-creates it (Tortoise's table creation leaves it out)."""
    removals = "".join(
        f'        ops.RemoveConstraint(model_name="{model}", name="{name}"),\n'
        for model, name in TORTOISE_CHECKS.items()
    )
    replace(migration, "    operations = [\n", "    operations = [\n" + removals)
