"""db.trace_statements overrides the instrumentation's dependency check (skip_dep_check=True):
opentelemetry-instrumentation-sqlalchemy declares it traces "sqlalchemy >= 1.0.0, < 2.1.0", SQLAlchemy
2.1 is installed, and the engine events it listens to did not change in 2.1 (test_tracing.py shows
the spans). These say when the override can go, and when it no longer gets past the check."""

from importlib.metadata import version

from fastapi import FastAPI
from opentelemetry.instrumentation.dependencies import get_dependency_conflicts
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from PACKAGE import db

INSTRUMENTATION = "opentelemetry-instrumentation-sqlalchemy"
OVERRIDDEN = "sqlalchemy >= 1.0.0, < 2.1.0"  # the range it declares, which the installed one is outside


def test_the_instrumentation_still_declares_a_range_without_the_installed_sqlalchemy() -> None:
    conflict = get_dependency_conflicts(SQLAlchemyInstrumentor().instrumentation_dependencies())

    assert conflict is not None, (
        f"{INSTRUMENTATION} {version(INSTRUMENTATION)} now declares it traces SQLAlchemy "
        f"{version('sqlalchemy')}: drop skip_dep_check=True from db.trace_statements, and this file"
    )
    assert conflict.required == OVERRIDDEN, (
        f"{INSTRUMENTATION} {version(INSTRUMENTATION)} now declares {conflict.required!r}, not "
        f"{OVERRIDDEN!r}: check that test_tracing.py still passes, then update OVERRIDDEN"
    )


async def test_trace_statements_still_gets_past_the_check(app: FastAPI) -> None:
    instrumentor = SQLAlchemyInstrumentor()  # one per process: the one trace_statements uses
    assert not instrumentor.is_instrumented_by_opentelemetry  # else this would prove nothing

    undo = db.trace_statements(app.state.database, TracerProvider())
    try:
        assert instrumentor.is_instrumented_by_opentelemetry, (
            "db.trace_statements instrumented nothing: instrument() no longer takes skip_dep_check=True "
            f"past the declared {OVERRIDDEN!r}, so statements go untraced"
        )
    finally:
        undo()
