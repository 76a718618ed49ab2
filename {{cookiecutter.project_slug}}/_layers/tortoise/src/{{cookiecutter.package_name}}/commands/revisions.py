"""What `migrate --check` compares: the migrations the database records and the ones on disk."""

from ..db.tortoise_config import APP
from .migration_tool import MIGRATIONS

# The migrations the database has applied, in the table Tortoise's recorder keeps.
APPLIED = f"SELECT name FROM tortoise_migrations WHERE app = '{APP}'"  # noqa: S608 (a constant)


def pending(applied: list[str]) -> tuple[list[str], list[str]]:
    """The latest migration on disk, and the migrations `applied` lacks, oldest first: Tortoise numbers
    their names, so their order is the names' order."""
    on_disk = sorted(path.stem for path in MIGRATIONS.glob("[0-9]*.py"))
    return on_disk[-1:], [name for name in on_disk if name not in set(applied)]
