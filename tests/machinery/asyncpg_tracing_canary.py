"""db.trace_statements instruments asyncpg with the instrumentation's own dependency check, no
override: the asyncpg versions opentelemetry-instrumentation-asyncpg declares it traces ("asyncpg >=
0.12.0" in 0.66) include the installed one. Were a release to narrow them, instrument() would trace
nothing and only log an error; this test says so first."""

from importlib.metadata import version

from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.instrumentation.dependencies import get_dependency_conflicts


def test_the_installed_asyncpg_is_one_the_instrumentation_declares_it_traces() -> None:
    declared = AsyncPGInstrumentor().instrumentation_dependencies()  # type: ignore[no-untyped-call]

    conflict = get_dependency_conflicts(declared)

    assert conflict is None, (
        f"opentelemetry-instrumentation-asyncpg {version('opentelemetry-instrumentation-asyncpg')}: "
        f"{conflict} Statements go untraced: hold asyncpg back, or check that the installed one "
        "still traces and pass skip_dep_check=True in db.trace_statements"
    )
