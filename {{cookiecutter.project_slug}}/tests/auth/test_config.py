"""AUTH_* settings that cannot work stop the start with one line; tokens and claims stay out of logs."""

import logging
import subprocess

import pytest
from httpx import AsyncClient
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.core.settings import Settings, one_line

from ..support.auth_plugin import without_auth_environment
from ..support.auth_provider import SUITE, bearer
from ..support.live import PathTo, StartApp
from ..support.probe import PROBE_SCOPE
from ..support.processes import SERVE


def test_production_refuses_to_start_without_issuer_and_audience(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUTH_ISSUER")
    monkeypatch.delenv("AUTH_AUDIENCE")
    with pytest.raises(ValidationError) as error:
        Settings(
            _env_file=None,
            environment="production",
            database_url="postgresql://db/app",
        )

    assert one_line(error.value) == (
        "AUTH_ISSUER and AUTH_AUDIENCE are required in production (the identity provider)"
    )


def test_serve_refuses_production_without_a_provider_in_one_line() -> None:
    env = without_auth_environment() | {
        "ENVIRONMENT": "production",
        "DATABASE_URL": "postgresql://db/app",
        "AUTH_ISSUER": "https://login.example.com/realms/main",
        "AUTH_AUDIENCE": "",  # compose passes an unset variable through empty: still unset
    }

    result = subprocess.run(  # noqa: S603 (the project's own entry point)
        [str(SERVE)], env=env, capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "error: AUTH_AUDIENCE is required in production (the identity provider)"
    ]


@pytest.mark.parametrize("algorithms", ['["HS256"]', '["RS256", "none"]', "[]"])
def test_only_asymmetric_algorithms_are_accepted(monkeypatch: pytest.MonkeyPatch, algorithms: str) -> None:
    monkeypatch.setenv("AUTH_ALGORITHMS", algorithms)
    with pytest.raises(ValidationError) as error:
        Settings(_env_file=None)

    assert one_line(error.value).startswith("invalid setting AUTH_ALGORITHMS: must be a list of asymmetric")


def test_the_issuer_must_be_a_url() -> None:
    with pytest.raises(ValidationError) as error:
        Settings(_env_file=None, auth_issuer="login.example.com")

    assert one_line(error.value) == "invalid setting AUTH_ISSUER: must be an https:// URL"


async def test_tokens_and_their_claims_never_reach_a_log_line(
    client: AsyncClient, start_app: StartApp, path_to: PathTo, caplog: pytest.LogCaptureFixture
) -> None:
    marker = "marker-subject-5678"
    tokens = [
        SUITE.token([PROBE_SCOPE], sub=marker),
        SUITE.token(sub=marker, aud="elsewhere"),
        SUITE.token(sub=marker, exp=1),
    ]
    with caplog.at_level(logging.DEBUG):
        for token in tokens:
            await client.get(path_to("me"), headers=bearer(token))
            await client.post(
                path_to("create_probe_row"), json={"name": "logged-write"}, headers=bearer(token)
            )
        # A provider that cannot be reached is logged, without the token that was being checked.
        async with start_app(auth_issuer="http://127.0.0.1:9/realms/none", log_level="DEBUG") as down:
            assert (await down.get(path_to("me"), headers=bearer(tokens[0]))).status_code == 503

    assert "identity provider keys unavailable" in caplog.text
    for token in tokens:
        assert token not in caplog.text
        assert token.split(".")[1] not in caplog.text  # the claims, base64url-encoded
    assert marker not in caplog.text
