"""What `migrate --check` compares: the revisions the database records and Alembic's on disk."""

from alembic.config import Config
from alembic.script import ScriptDirectory

APPLIED = "SELECT version_num FROM alembic_version"  # the revisions the database is at


def pending(applied: list[str]) -> tuple[list[str], list[str]]:
    """The head revisions on disk, and the revisions `applied` lacks, oldest first."""
    script = ScriptDirectory.from_config(Config("alembic.ini"))
    missing = script.iterate_revisions("heads", tuple(applied) or "base")
    return list(script.get_heads()), [revision.revision for revision in reversed(list(missing))]
