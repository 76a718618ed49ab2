"""The provider's keys, against a provider of the test's own: fetched once for many requests,
refetched for a new key (not for every unknown one), kept while the provider is down."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import pytest
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.auth.errors import IdentityUnavailable, Reason

from ..support.auth_provider import CONFIGURATION_PATH, Provider, SigningKey, bearer
from ..support.live import PathTo, StartApp
from ..support.polling import eventually

QUICK_REFRESH = 0.2  # seconds between key fetches, so a test sees a refetch without a long wait
TokenStatus = Callable[[AsyncClient, str], Awaitable[int]]


@pytest.fixture
def me_path(path_to: PathTo) -> str:
    """The path of `me`: it needs a valid token and nothing else, no database in the way."""
    return path_to("me")


@pytest.fixture
def token_status(me_path: str) -> TokenStatus:
    """`await token_status(client, token)`: the status `me` answers a request carrying the token."""

    async def status(client: AsyncClient, token: str) -> int:
        return (await client.get(me_path, headers=bearer(token))).status_code

    return status


def app_for(
    start_app: StartApp, provider: Provider, **changes: Any
) -> AbstractAsyncContextManager[AsyncClient]:
    return start_app(auth_issuer=provider.issuer, **changes)


async def is_status(status: Awaitable[int], expected: int) -> bool:
    return await status == expected


async def test_many_requests_at_once_fetch_the_keys_once(
    start_app: StartApp, provider: Provider, me_path: str
) -> None:
    async with app_for(start_app, provider) as client:
        token = provider.token()
        responses = await asyncio.gather(*(client.get(me_path, headers=bearer(token)) for _ in range(200)))

    assert {response.status_code for response in responses} == {200}
    assert provider.fetches() == 1
    assert provider.served[CONFIGURATION_PATH] == 1


async def test_a_jwks_url_set_skips_discovery(
    start_app: StartApp, provider: Provider, token_status: TokenStatus
) -> None:
    async with app_for(start_app, provider, auth_jwks_url=provider.jwks_url) as client:
        assert await token_status(client, provider.token()) == 200

    assert provider.served[CONFIGURATION_PATH] == 0


async def test_a_rotated_key_is_fetched_and_the_old_one_works_until_it_is_withdrawn(
    start_app: StartApp, provider: Provider, token_status: TokenStatus
) -> None:
    old, new = provider.keys[0], SigningKey("key-2", algorithm="ES256")
    async with app_for(start_app, provider, auth_jwks_min_refresh=QUICK_REFRESH) as client:
        assert await token_status(client, provider.token(key=old)) == 200

        provider.keys = [new, old]  # the provider publishes the next key beside the current one
        assert await eventually(lambda: is_status(token_status(client, provider.token(key=new)), 200))
        assert await token_status(client, provider.token(key=old)) == 200

        provider.keys = [new]  # the old key leaves the JWKS: its tokens stop working at the next fetch
        unknown = provider.token(key=SigningKey("key-3"))
        await asyncio.sleep(QUICK_REFRESH)
        assert await token_status(client, unknown) == 401  # an unknown kid makes the app fetch again
        assert await eventually(lambda: is_status(token_status(client, provider.token(key=old)), 401))


async def test_a_flood_of_unknown_keys_fetches_at_most_once_per_interval(
    start_app: StartApp, provider: Provider, me_path: str, token_status: TokenStatus
) -> None:
    async with app_for(start_app, provider) as client:  # the default interval: 10 s
        assert await token_status(client, provider.token()) == 200
        before = provider.fetches()
        for _ in range(50):
            made_up = SigningKey(f"made-up-{uuid.uuid4().hex}")
            response = await client.get(me_path, headers=bearer(provider.token(key=made_up)))
            assert response.status_code == 401
            assert response.json()["detail"] == Reason.UNKNOWN_KEY.value

    assert provider.fetches() - before <= 1


async def test_cached_keys_keep_working_while_the_provider_is_down(
    start_app: StartApp, provider: Provider, token_status: TokenStatus
) -> None:
    changes = {"auth_jwks_lifetime": QUICK_REFRESH, "auth_jwks_min_refresh": QUICK_REFRESH}
    async with app_for(start_app, provider, **changes) as client:
        assert await token_status(client, provider.token()) == 200
        await asyncio.to_thread(provider.stop)

        await asyncio.sleep(QUICK_REFRESH * 2)  # the keys are past their lifetime: a refetch fails
        assert await token_status(client, provider.token()) == 200
        await asyncio.sleep(QUICK_REFRESH * 2)
        assert await token_status(client, provider.token()) == 200


async def test_no_keys_at_all_is_503_with_retry_after_until_the_provider_is_back(
    start_app: StartApp, provider: Provider, me_path: str, token_status: TokenStatus
) -> None:
    await asyncio.to_thread(provider.stop)
    async with app_for(start_app, provider, auth_jwks_min_refresh=QUICK_REFRESH) as client:
        response = await client.get(me_path, headers=bearer(provider.token()))

        assert response.status_code == 503
        assert int(response.headers["Retry-After"]) >= 1
        assert response.json() == {"code": IdentityUnavailable.code, "detail": IdentityUnavailable.DETAIL}

        await asyncio.to_thread(provider.start)
        assert await eventually(lambda: is_status(token_status(client, provider.token()), 200))


async def test_a_configuration_naming_another_issuer_is_not_trusted(
    start_app: StartApp, provider: Provider, me_path: str
) -> None:
    # OpenID discovery: the configuration must name the issuer it was fetched for. This one is
    # fetched for ".../tests/" (the same URL once the slash is dropped) but names ".../tests".
    impostor_issuer = provider.issuer + "/"
    async with start_app(auth_issuer=impostor_issuer) as client:
        response = await client.get(me_path, headers=bearer(provider.token(iss=impostor_issuer)))

    assert response.status_code == 503
    assert provider.fetches() == 0


async def test_a_jwks_without_a_usable_key_is_503_not_500(
    start_app: StartApp, provider: Provider, me_path: str
) -> None:
    token = provider.token()
    provider.keys = []
    async with app_for(start_app, provider) as client:
        response = await client.get(me_path, headers=bearer(token))

    assert response.status_code == 503
    assert provider.fetches() == 1
