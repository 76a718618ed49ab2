"""Migrations apply, roll back and apply again, and describe exactly what the models declare."""

from .support.protocols import Migrator


async def test_upgrade_downgrade_upgrade(migrator: Migrator, service_tables: tuple[str, ...]) -> None:
    await migrator.upgrade()
    assert set(service_tables) <= await migrator.tables()

    await migrator.downgrade()
    assert not set(service_tables) & await migrator.tables()

    await migrator.upgrade()
    assert set(service_tables) <= await migrator.tables()


async def test_models_match_migrations(migrator: Migrator) -> None:
    drift = await migrator.drift()
    assert drift == [], (
        "the models and the migrations disagree: with the database at head (`uv run migrate`), write"
        f" the migration with `{migrator.new_migration}` and read it\n" + "\n".join(drift)
    )
