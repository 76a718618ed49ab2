"""Alembic's runner: applies migrations over an asyncpg connection to the database in DATABASE_URL."""

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from {{ cookiecutter.package_name }}.commands.local_database import command_settings
from {{ cookiecutter.package_name }}.db import engine_url
{%- if cookiecutter.jobs == "postgres" %}
from {{ cookiecutter.package_name }}.jobs.schema import is_queue_table
{%- endif %}
from {{ cookiecutter.package_name }}.models import Base

config = context.config
# Callers such as the tests pass a URL in attributes; otherwise the app's own settings decide (a bad
# one ends the command in one line, before logging is configured; none, outside production, means the
# local database).
url = config.attributes.get("url") or engine_url(command_settings("alembic"))
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

{%- if cookiecutter.jobs == "postgres" %}


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    # The job queue's tables are pgqueuer's, created by their own migration; no model declares them.
    return not (type_ == "table" and is_queue_table(name))
{%- endif %}


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        compare_server_default=True,
{%- if cookiecutter.jobs == "postgres" %}
        include_name=include_name,
{%- endif %}
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(run_migrations)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(run_online())
