"""The template's test machinery, loaded by tests/conftest.py; README.md here says what each module gives."""

# Plugins: the checks every test runs under, the run's apps, the driver's database fixtures.
pytest_plugins = [
    "tests.support.guards",
    "tests.support.hangs",
    "tests.support.declared",
    "tests.support.live",
    "tests.support.database",
{%- if cookiecutter.auth == "jwt" %}
    # The suite's identity provider: a real HTTP server, its keys made for this run.
    "tests.support.auth_plugin",
{%- endif %}
    # `pgbouncer_url`: a real PgBouncer in front of the test database.
    "tests.support.pgbouncer",
{%- if cookiecutter.jobs == "postgres" %}
    # `start_worker`: the project's worker in a process of its own.
    "tests.support.workers",
{%- endif %}
]
