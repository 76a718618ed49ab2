"""The provider's public keys: fetched without blocking, cached, refreshed sparingly, kept when it is down.

Keys are fetched on the event loop with an async HTTP client (no synchronous JWKS client, which
would stall every request while it waits). One fetch at a time: requests that need keys while a
fetch runs wait for it instead of starting their own; keys past AUTH_JWKS_LIFETIME keep verifying
while the next set is fetched behind the request. A token naming an unknown `kid` (the
provider may have rotated) triggers a refetch, at most once per AUTH_JWKS_MIN_REFRESH, so a flood
of made-up kids cannot hammer the provider. When a fetch fails the keys already held keep working.
"""

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import jwt

from ..core.settings import Settings
from . import dev
from .errors import IdentityUnavailable, InvalidToken, Reason

logger = logging.getLogger(__name__)

FETCH_TIMEOUT = 5.0  # seconds; requests waiting for keys wait this long at most
DISCOVERY_PATH = "/.well-known/openid-configuration"
# The algorithms each kind of public key can verify; a token's `alg` must fit its key.
ALGORITHMS_BY_KEY: dict[tuple[str, str | None], set[str]] = {
    ("RSA", None): {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"},
    ("EC", "P-256"): {"ES256"},
    ("EC", "P-384"): {"ES384"},
    ("EC", "P-521"): {"ES512"},
    ("OKP", "Ed25519"): {"EdDSA"},
}


@dataclass(frozen=True)
class Key:
    kid: str | None
    algorithms: frozenset[str]  # what this key may verify: its `alg` if published, else its kind's
    public_key: Any  # a cryptography public key object

    @classmethod
    def from_jwk(cls, jwk: dict[str, Any]) -> "Key | None":
        """The key, or None for one that cannot verify signatures here (wrong use, symmetric, unknown)."""
        if not isinstance(jwk, dict) or jwk.get("use", "sig") != "sig":
            return None
        kty, crv = jwk.get("kty"), jwk.get("crv")
        fits = ALGORITHMS_BY_KEY.get((str(kty), None if kty == "RSA" else str(crv)))
        if fits is None:  # includes "oct": a shared secret is never a verification key here
            return None
        published = jwk.get("alg")
        if published is not None and published not in fits:
            return None
        try:
            parsed = jwt.PyJWK.from_dict(jwk)
        except (jwt.PyJWTError, KeyError, TypeError, ValueError):  # a member missing or garbled
            return None
        kid = jwk.get("kid")
        return cls(
            kid=kid if isinstance(kid, str) else None,
            algorithms=frozenset({published} if published else fits),
            public_key=parsed.key,
        )


def parse_jwks(document: Any) -> dict[str | None, Key]:
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list):
        raise ValueError("not a JWK Set")
    parsed = [key for key in map(Key.from_jwk, keys) if key is not None]
    return {key.kid: key for key in parsed}


class KeySource(Protocol):
    async def fetch(self) -> dict[str | None, Key]: ...


class ProviderKeys:
    """The JWKS of an OpenID provider: its URL from AUTH_JWKS_URL or the issuer's configuration."""

    def __init__(self, http: httpx.AsyncClient, issuer: str, jwks_url: str | None) -> None:
        self.http = http
        self.issuer = issuer
        self.jwks_url = jwks_url

    async def fetch(self) -> dict[str | None, Key]:
        if self.jwks_url is None:
            self.jwks_url = await self.discover()
        response = await self.http.get(self.jwks_url)
        response.raise_for_status()
        return parse_jwks(response.json())

    async def discover(self) -> str:
        response = await self.http.get(self.issuer.rstrip("/") + DISCOVERY_PATH)
        response.raise_for_status()
        configuration = response.json()
        if not isinstance(configuration, dict):
            raise ValueError("the OpenID configuration is not a JSON object")
        # OpenID Connect Discovery: the document must name the very issuer it was fetched for.
        if configuration.get("issuer") != self.issuer:
            raise ValueError("the OpenID configuration names another issuer")
        jwks_uri = configuration.get("jwks_uri")
        if not isinstance(jwks_uri, str):
            raise ValueError("the OpenID configuration has no jwks_uri")
        return jwks_uri


class DevKeys:
    """The development key (auth/dev.py), for a service with no AUTH_ISSUER outside production."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def fetch(self) -> dict[str | None, Key]:
        try:
            return parse_jwks({"keys": [dev.public_jwk(self.settings)]})
        except dev.NoDevKey as error:
            raise ValueError(str(error)) from None


class KeyStore:
    def __init__(
        self,
        source: KeySource,
        *,
        lifetime: float,
        min_refresh: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.lifetime = lifetime
        self.min_refresh = min_refresh
        self.clock = clock
        self.keys: dict[str | None, Key] = {}
        self.fetched_at: float | None = None  # the last fetch that gave keys
        self.attempted_at: float | None = None  # the last fetch, whatever came of it
        # The fetch under way, if any: every request that needs keys meanwhile waits for this one.
        self.fetching: asyncio.Task[None] | None = None

    async def key(self, kid: str | None) -> Key:
        """The key a token names. Raises IdentityUnavailable (no keys at all) or InvalidToken."""
        key = self.find(kid)
        if key is not None:
            if self.stale() and self.may_fetch():
                self.start_fetch()  # the key in hand still verifies: fetch the new set behind this request
            return key
        if self.fetching is not None or self.may_fetch():
            # Shielded: a request that gives up (its client went away) does not cancel the others' fetch.
            await asyncio.shield(self.start_fetch())
            key = self.find(kid)
        if key is not None:
            return key
        if not self.keys:
            raise IdentityUnavailable(retry_after=self.next_fetch_in())
        raise InvalidToken(Reason.UNKNOWN_KEY)

    def find(self, kid: str | None) -> Key | None:
        if kid is None and len(self.keys) == 1:  # a provider with one key may leave `kid` out
            return next(iter(self.keys.values()))
        return self.keys.get(kid)

    def stale(self) -> bool:
        return self.fetched_at is None or self.clock() - self.fetched_at >= self.lifetime

    def may_fetch(self) -> bool:
        return self.attempted_at is None or self.clock() - self.attempted_at >= self.min_refresh

    def next_fetch_in(self) -> int:
        waited = 0.0 if self.attempted_at is None else self.clock() - self.attempted_at
        return max(1, math.ceil(self.min_refresh - waited))

    def start_fetch(self) -> "asyncio.Task[None]":
        if self.fetching is None:
            self.attempted_at = self.clock()
            self.fetching = asyncio.create_task(self.fetch())
        return self.fetching

    async def fetch(self) -> None:
        try:
            keys = await self.source.fetch()
            if not keys:
                raise ValueError("no usable signing key")
        except Exception as error:  # whatever the provider sends or fails with: never a 500 here
            # The keys held so far stay in use. The reason, never a token, goes to the log.
            logger.warning(
                "identity provider keys unavailable",
                extra={
                    "error_type": type(error).__name__,
                    "reason": str(error)[:200],
                    "kept": len(self.keys),
                },
            )
        else:
            self.keys = keys
            self.fetched_at = self.clock()
        finally:
            self.fetching = None

    async def close(self) -> None:
        if self.fetching is not None:
            self.fetching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.fetching


@asynccontextmanager
async def open_keys(settings: Settings) -> AsyncIterator[KeyStore]:
    """The key store for the app's lifetime, with its HTTP client (closed at shutdown)."""
    if settings.auth_issuer is None:
        yield store(DevKeys(settings), settings)
        return
    # Building a client loads the CA bundle from disk: in a thread, not on the event loop.
    http = await asyncio.to_thread(httpx.AsyncClient, timeout=FETCH_TIMEOUT)
    async with http:
        keys = store(ProviderKeys(http, settings.auth_issuer, settings.auth_jwks_url), settings)
        try:
            yield keys
        finally:
            await keys.close()


def store(source: KeySource, settings: Settings) -> KeyStore:
    return KeyStore(source, lifetime=settings.auth_jwks_lifetime, min_refresh=settings.auth_jwks_min_refresh)
