"""The app's sessions as the server lists them (pg_stat_activity): a request's query running, every
connection back at rest, the sessions a test may kill, and which sessions are open."""

from datetime import datetime

from .protocols import Sql

APPLICATION_NAME = "{{ cookiecutter.project_slug }}"  # every driver sends it, so tests find the app's sessions
# Other runs may share the server (each with a database of its own): look at this run's sessions only.
THIS_DATABASE = "datname = current_database()"


async def app_sessions(live_sql: Sql, since: datetime | None = None) -> dict[str, int]:
    """The app's server sessions by state ('active', 'idle', 'idle in transaction', ...); with
    `since`, only those begun since then (a test's own app, not the run's shared one)."""
    begun = "" if since is None else f" AND backend_start >= '{since.isoformat()}'"
    rows = await live_sql(
        "SELECT state, count(*) FROM pg_stat_activity"
        f" WHERE application_name = '{APPLICATION_NAME}' AND {THIS_DATABASE}{begun} GROUP BY state"
    )
    return {str(state): int(count) for state, count in rows}


async def terminate_app_sessions(live_sql: Sql, since: datetime, *, wait_ms: int | None = None) -> bool:
    """Kill the app's sessions begun since `since` (a test's own app, not the run's shared one, which
    would log their loss). With `wait_ms` the server waits until each has ended, its goodbye sent."""
    wait = "" if wait_ms is None else f", {wait_ms}"
    killed = await live_sql(
        f"SELECT pg_terminate_backend(pid{wait}) FROM pg_stat_activity"
        f" WHERE application_name = '{APPLICATION_NAME}' AND {THIS_DATABASE}"
        f" AND backend_start >= '{since.isoformat()}'"
    )
    return bool(killed)


async def has_active_session(live_sql: Sql) -> bool:
    """Some session of the app is running a query (a request waiting on a lock, say)."""
    return bool((await app_sessions(live_sql)).get("active"))


async def all_idle(live_sql: Sql) -> bool:
    """No session of the app runs a query or sits in an open transaction."""
    return set(await app_sessions(live_sql)) <= {"idle"}


async def app_session_ids(live_sql: Sql) -> set[tuple[int, datetime]]:
    """The app's server sessions open now, each named by its process and start: a session that ends
    never comes back, and a new one never takes an old one's name."""
    rows = await live_sql(
        "SELECT pid, backend_start FROM pg_stat_activity"
        f" WHERE application_name = '{APPLICATION_NAME}' AND {THIS_DATABASE}"
    )
    return {(int(pid), start) for pid, start in rows}
