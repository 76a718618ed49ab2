"""`nox -s bench`: each db_driver variant under wrk, beside its plain counterpart, a raw-asyncpg ceiling
and a blocking anti-pattern.

Run `uv run nox -s bench` (about half an hour) or `uv run nox -s bench -- --quick` (a smoke run); see
`python -m bench --help`. Results go to bench/results/ (quick runs to bench/results/quick/).
"""
