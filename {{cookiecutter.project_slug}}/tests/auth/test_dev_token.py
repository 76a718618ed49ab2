"""`uv run token`: development tokens the service accepts while AUTH_ISSUER is unset, and only then."""

import asyncio
import subprocess

import pytest
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.auth.errors import InvalidToken
from {{ cookiecutter.package_name }}.core.settings import Settings, one_line

from ..support.auth_plugin import without_auth_environment
from ..support.auth_provider import bearer
from ..support.live import PathTo, StartApp
from ..support.processes import BIN

TOKEN = BIN / "token"
SCOPE = "notes:write"  # any scope: `token` mints what it is asked for
SECRET = "a-development-secret-for-this-test"  # noqa: S105 (a test value)
WEAK_KEY_REFUSAL = (
    "invalid setting SECRET_KEY: must be a random value of at least 32 characters,"
    " e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
)


def token_command(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `token`; async tests do it on a thread, as waiting for a process would block the loop."""
    return subprocess.run(  # noqa: S603 (the project's own entry point)
        [str(TOKEN), *args],
        env=without_auth_environment() | {"ENVIRONMENT": "development", "SECRET_KEY": SECRET} | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_a_development_token_is_accepted_without_a_provider(
    start_app: StartApp, path_to: PathTo
) -> None:
    minted = await asyncio.to_thread(token_command, "--scope", SCOPE, "--subject", "dev-7")
    assert minted.returncode == 0, minted.stderr
    token = minted.stdout.strip()

    async with start_app(
        environment="development", auth_issuer=None, auth_audience=None, secret_key=SECRET
    ) as client:
        me = await client.get(path_to("me"), headers=bearer(token))

    assert me.status_code == 200
    assert me.json() == {"subject": "dev-7", "scopes": [SCOPE], "roles": []}


async def test_a_development_token_is_refused_once_a_provider_is_set(
    start_app: StartApp, path_to: PathTo
) -> None:
    token = (await asyncio.to_thread(token_command, "--scope", SCOPE)).stdout.strip()

    async with start_app(secret_key=SECRET) as client:  # AUTH_ISSUER: the suite's provider
        response = await client.get(path_to("me"), headers=bearer(token))

    assert response.status_code == 401
    assert response.json()["code"] == InvalidToken.code


async def test_another_secret_key_makes_other_tokens(start_app: StartApp, path_to: PathTo) -> None:
    token = (await asyncio.to_thread(token_command, "--scope", SCOPE)).stdout.strip()

    async with start_app(
        environment="development",
        auth_issuer=None,
        auth_audience=None,
        secret_key="another-development-secret-for-this-test",  # noqa: S106 (a test value)
    ) as client:
        response = await client.get(path_to("me"), headers=bearer(token))

    assert response.status_code == 401


def test_token_is_refused_in_production_in_one_line() -> None:
    result = token_command(
        "--scope",
        SCOPE,
        ENVIRONMENT="production",
        DATABASE_URL="postgresql://db/app",
        AUTH_ISSUER="https://login.example.com/realms/main",
        AUTH_AUDIENCE="orders",
    )

    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "error: `token` mints development tokens; in production tokens come from the provider"
    ]


def test_token_is_refused_when_a_provider_is_configured() -> None:
    result = token_command(AUTH_ISSUER="https://login.example.com/realms/main")

    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "error: AUTH_ISSUER is set (https://login.example.com/realms/main): the service accepts only that"
        " provider's tokens; unset it to use development tokens"
    ]


@pytest.mark.parametrize("weak", ["", "change-me", "x" * 31], ids=["empty", "the-example", "31-characters"])
def test_a_weak_secret_key_is_refused_in_one_line(weak: str) -> None:
    with pytest.raises(ValidationError) as error:
        Settings(_env_file=None, secret_key=weak)

    assert one_line(error.value) == WEAK_KEY_REFUSAL


def test_token_refuses_the_example_secret_key_in_one_line() -> None:
    result = token_command("--scope", SCOPE, SECRET_KEY="change-me")  # noqa: S106 (the example)

    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [f"error: {WEAK_KEY_REFUSAL}"]


def test_production_needs_no_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    # AUTH_ISSUER and AUTH_AUDIENCE: the suite's provider, as production requires one.
    monkeypatch.delenv("SECRET_KEY", raising=False)
    settings = Settings(_env_file=None, environment="production", database_url="postgresql://db/app")

    assert settings.secret_key is None
