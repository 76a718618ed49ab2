"""pgqueuer's tables, trigger and notify function, as statements a migration runs one at a time (a
driver that prepares each statement refuses several in one string)."""

from pgqueuer.adapters.persistence import schema_ddl
from pgqueuer.domain.schema.declaration import target
from pgqueuer.domain.settings import db_settings


def install_statements() -> list[str]:
    """What `pgq install` would run, in the same order, from the pgqueuer version installed."""
    settings = db_settings()
    schema = target(settings)
    return [
        *(schema_ddl.render_enum(entry, settings) for entry in schema.enums),
        *(schema_ddl.render_table(entry, settings) for entry in schema.tables),
        *(schema_ddl.render_index(entry, settings) for entry in schema.indexes),
        *(schema_ddl.render_function(entry, settings) for entry in schema.functions),
        *(schema_ddl.render_trigger(entry, settings) for entry in schema.triggers),
    ]


def uninstall_statements() -> list[str]:
    return schema_ddl.render_uninstall(db_settings()).splitlines()


def is_queue_table(name: str | None) -> bool:
    """pgqueuer's own objects, which no model declares: left out of the models-vs-migrations compare."""
    return name is not None and name.startswith("pgqueuer")
