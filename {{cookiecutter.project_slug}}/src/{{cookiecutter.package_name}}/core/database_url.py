"""Database URLs as teams write them: every PostgreSQL form libpq and SQLAlchemy use, read as one plain
postgresql:// URL that each driver then adapts to its own scheme. Shared by DATABASE_URL and the tests'
TEST_DATABASE_URL."""

from urllib.parse import urlsplit

# A driver suffix says which driver the writer had in mind; each layer connects with its own anyway.
SCHEMES = ("postgresql", "postgres", "postgresql+asyncpg", "postgresql+psycopg", "postgresql+psycopg2")
ACCEPTED = ", ".join(f"{scheme}://" for scheme in SCHEMES)


def normalise(url: str) -> str:
    """`url` with the scheme `postgresql://` and the rest untouched (percent-encoded credentials and a
    unix socket's ?host=/path stay as written). ValueError, in one line that names the accepted forms
    and never repeats the URL (it may hold a password), for anything else."""
    scheme, separator, rest = url.strip().partition("://")
    if not separator or scheme.lower() not in SCHEMES:
        raise ValueError(f"not a PostgreSQL URL; accepted forms: {ACCEPTED}")
    plain = f"postgresql://{rest}"
    try:
        urlsplit(plain).port  # noqa: B018 (parsing the port is the check)
    except ValueError:
        raise ValueError("the port is not a number from 0 to 65535") from None
    return plain
