"""Every way a token can be wrong is a 401 in the service's JSON shape, with WWW-Authenticate."""

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from httpx import AsyncClient, Response

from {{ cookiecutter.package_name }}.auth.errors import InvalidToken, NotAuthenticated, Reason

from ..support.auth_provider import SUITE, Provider, SigningKey, bearer
from ..support.live import PathTo
from ..support.probe import PROBE_SCOPE

ReadWith = Callable[[dict[str, str]], Awaitable[Response]]


@pytest.fixture
def read_with(client: AsyncClient, path_to: PathTo) -> ReadWith:
    """`await read_with(bearer(token))`: a page of the probe's rows with those headers, a read that
    needs a valid token and no scope."""

    async def read(headers: dict[str, str]) -> Response:
        return await client.get(path_to("list_probe_rows"), params={"limit": 1}, headers=headers)

    return read


def refused(response_json: dict[str, str], reason: Reason) -> bool:
    return response_json == {"code": InvalidToken.code, "detail": reason.value}


def unsigned(claims: dict[str, Any], header: dict[str, Any]) -> str:
    """A token with no signature at all (`alg: none`): two base64url parts and an empty third."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}."


async def test_a_valid_token_reads(read_with: ReadWith) -> None:
    response = await read_with(bearer(SUITE.token()))

    assert response.status_code == 200


async def test_no_token_is_401_with_the_bearer_challenge(read_with: ReadWith) -> None:
    response = await read_with({"Authorization": ""})

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json() == {"code": NotAuthenticated.code, "detail": NotAuthenticated.DETAIL}


async def test_another_scheme_is_401(read_with: ReadWith) -> None:
    response = await read_with({"Authorization": "Basic dXNlcjpwYXNz"})

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        ("not-a-jwt", Reason.MALFORMED),
        ("a.b.c", Reason.MALFORMED),
        (SUITE.keys[0].sign({"sub": "x"}).rsplit(".", 1)[0] + ".c2lnbmF0dXJl", Reason.SIGNATURE),
    ],
    ids=["garbage", "three-garbage-parts", "forged-signature"],
)
async def test_malformed_tokens_are_401(read_with: ReadWith, token: str, reason: Reason) -> None:
    response = await read_with(bearer(token))

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    assert refused(response.json(), reason)


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"exp": int(time.time()) - 3600}, Reason.EXPIRED),
        ({"nbf": int(time.time()) + 3600}, Reason.NOT_YET_VALID),
        ({"iss": "https://elsewhere.example/realms/tests"}, Reason.ISSUER),
        ({"aud": "another-service"}, Reason.AUDIENCE),
        ({"exp": None}, Reason.MISSING_CLAIM),
        ({"sub": None}, Reason.MISSING_CLAIM),
        ({"aud": None}, Reason.MISSING_CLAIM),
    ],
    ids=["expired", "not-yet-valid", "wrong-issuer", "wrong-audience", "no-exp", "no-sub", "no-aud"],
)
async def test_claims_that_do_not_hold_are_401(
    read_with: ReadWith, changes: dict[str, Any], reason: Reason
) -> None:
    response = await read_with(bearer(SUITE.token(**changes)))

    assert response.status_code == 401
    assert refused(response.json(), reason)


async def test_clock_skew_within_the_leeway_is_accepted(read_with: ReadWith) -> None:
    just_expired = int(time.time()) - 5  # the default leeway is 30 s

    response = await read_with(bearer(SUITE.token(exp=just_expired)))

    assert response.status_code == 200


async def test_a_token_signed_by_another_key_under_the_same_kid_is_401(read_with: ReadWith) -> None:
    impostor = SigningKey(SUITE.keys[0].kid)

    response = await read_with(bearer(SUITE.token(key=impostor)))

    assert response.status_code == 401
    assert refused(response.json(), Reason.SIGNATURE)


async def test_a_token_from_a_second_issuer_is_401(read_with: ReadWith, provider: Provider) -> None:
    # A real provider with keys of its own: both its issuer and its key are foreign here.
    response = await read_with(bearer(provider.token()))

    assert response.status_code == 401
    assert response.json()["code"] == InvalidToken.code


async def test_a_second_issuers_token_naming_a_known_kid_is_401(
    read_with: ReadWith, provider: Provider
) -> None:
    token = provider.token(key=SigningKey(SUITE.keys[0].kid), iss=provider.issuer)

    response = await read_with(bearer(token))

    assert response.status_code == 401
    assert refused(response.json(), Reason.SIGNATURE)


async def test_alg_none_is_401(client: AsyncClient, path_to: PathTo) -> None:
    token = unsigned(SUITE.claims([PROBE_SCOPE]), {"alg": "none", "typ": "JWT", "kid": SUITE.keys[0].kid})

    response = await client.post(
        path_to("create_probe_row"), json={"name": "unsigned"}, headers=bearer(token)
    )

    assert response.status_code == 401
    assert refused(response.json(), Reason.ALGORITHM)


async def test_hs256_signed_with_the_public_key_is_401(client: AsyncClient, path_to: PathTo) -> None:
    """Algorithm confusion: the public key (anyone can fetch it) used as an HMAC secret."""
    public_pem = (
        SUITE.keys[0]
        .private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    forged_header = {"alg": "HS256", "typ": "JWT", "kid": SUITE.keys[0].kid}
    token = forged(SUITE.claims([PROBE_SCOPE]), forged_header, public_pem)

    response = await client.post(
        path_to("create_probe_row"), json={"name": "confused"}, headers=bearer(token)
    )

    assert response.status_code == 401
    assert refused(response.json(), Reason.ALGORITHM)


def forged(claims: dict[str, Any], header: dict[str, Any], secret: bytes) -> str:
    """HS256 by hand: PyJWT itself refuses to use a PEM public key as an HMAC secret."""
    signing_input = unsigned(claims, header)[:-1]
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()


async def test_the_token_never_comes_back_in_the_error(read_with: ReadWith) -> None:
    token = SUITE.token(aud="another-service", sub="marker-subject-1234")

    response = await read_with(bearer(token))

    assert response.status_code == 401
    assert token not in response.text
    assert "marker-subject-1234" not in response.text + str(response.headers)


def test_pyjwt_refuses_the_public_key_as_an_hmac_secret_too() -> None:
    """The second line of defence, below the service's own algorithm check."""
    public_pem = (
        SUITE.keys[0]
        .private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(jwt.InvalidKeyError):
        jwt.encode({"sub": "x"}, public_pem, algorithm="HS256")
