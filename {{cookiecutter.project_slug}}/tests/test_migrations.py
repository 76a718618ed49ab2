"""Migrations apply, roll back and apply again, and describe exactly what the models declare."""

from .postgres import CONTRACT_TABLES
from .protocols import Migrator


async def test_upgrade_downgrade_upgrade(migrator: Migrator) -> None:
    await migrator.upgrade()
    assert set(CONTRACT_TABLES) <= await migrator.tables()

    await migrator.downgrade()
    assert not set(CONTRACT_TABLES) & await migrator.tables()

    await migrator.upgrade()
    assert set(CONTRACT_TABLES) <= await migrator.tables()


async def test_models_match_migrations(migrator: Migrator) -> None:
    drift = await migrator.drift()
    assert drift == [], (
        "the models and the migrations disagree: with the database at head (`uv run migrate`), write"
        f" the migration with `{migrator.new_migration}` and read it\n" + "\n".join(drift)
    )
