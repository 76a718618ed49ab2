"""Verifying one token: its algorithm, key, signature, issuer, audience and times; then who is calling."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt

from ..core.settings import Settings
from . import dev
from .errors import InvalidToken, Reason
from .keys import KeyStore

REQUIRED_CLAIMS = ["exp", "iss", "aud", "sub"]
# PyJWT's errors by what they tell the caller; the first match wins (subclasses before their bases).
REASONS: list[tuple[type[jwt.PyJWTError], Reason]] = [
    (jwt.ExpiredSignatureError, Reason.EXPIRED),
    (jwt.ImmatureSignatureError, Reason.NOT_YET_VALID),
    (jwt.InvalidIssuerError, Reason.ISSUER),
    (jwt.InvalidAudienceError, Reason.AUDIENCE),
    (jwt.MissingRequiredClaimError, Reason.MISSING_CLAIM),
    (jwt.InvalidSignatureError, Reason.SIGNATURE),
]


@dataclass(frozen=True)
class Caller:
    """Who sent the request, as the provider vouches. Only the scopes show in a repr: the subject
    and the claims may identify a person and must not reach a log line by accident."""

    subject: str = field(repr=False)
    scopes: frozenset[str]
    roles: frozenset[str] = field(repr=False)
    claims: Mapping[str, Any] = field(repr=False)

    @classmethod
    def from_claims(cls, claims: Mapping[str, Any]) -> "Caller":
        realm = claims.get("realm_access")
        return cls(
            subject=str(claims["sub"]),
            # OAuth 2's `scope` (space-separated), `scp` (Entra ID, Okta: a string or a list), and
            # `permissions` (Auth0's RBAC).
            scopes=frozenset(
                words(claims.get("scope")) | words(claims.get("scp")) | words(claims.get("permissions"))
            ),
            # Entra ID's app roles and Keycloak's realm roles.
            roles=frozenset(
                words(claims.get("roles")) | words(realm.get("roles") if isinstance(realm, dict) else None)
            ),
            claims=claims,
        )


def words(value: object) -> set[str]:
    if isinstance(value, str):
        return set(value.split())
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        return {item for item in value if isinstance(item, str)}
    return set()


async def verify(token: str, keys: KeyStore, settings: Settings) -> Caller:
    """The caller a valid token names; InvalidToken (or IdentityUnavailable) otherwise."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise InvalidToken(Reason.MALFORMED) from None
    algorithm, kid = header.get("alg"), header.get("kid")
    # Checked before any key is looked up: `none`, HS256 and the like never get further.
    if algorithm not in settings.auth_algorithms:
        raise InvalidToken(Reason.ALGORITHM)
    if kid is not None and not isinstance(kid, str):
        raise InvalidToken(Reason.MALFORMED)
    key = await keys.key(kid)
    if algorithm not in key.algorithms:
        raise InvalidToken(Reason.ALGORITHM)
    try:
        claims = jwt.decode(
            token,
            key.public_key,
            algorithms=[algorithm],
            issuer=settings.auth_issuer or dev.DEV_ISSUER,
            audience=settings.auth_audience or dev.DEV_AUDIENCE,
            leeway=settings.auth_leeway,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.PyJWTError as error:
        reason = next((reason for kind, reason in REASONS if isinstance(error, kind)), Reason.MALFORMED)
        raise InvalidToken(reason) from None
    return Caller.from_claims(claims)
