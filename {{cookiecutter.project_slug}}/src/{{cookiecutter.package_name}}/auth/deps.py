"""The request dependencies: the verified caller, and the scopes a route requires of it."""

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes

from ..core.settings import Settings
from .errors import MissingScope, NotAuthenticated
from .keys import KeyStore
from .tokens import Caller, verify

# Declares the scheme in the OpenAPI schema (Swagger's Authorize button); missing or non-bearer
# credentials come back as None, so the refusal is this service's own JSON error.
bearer = HTTPBearer(
    auto_error=False,
    bearerFormat="JWT",
    description="An access token from the identity provider (AUTH_ISSUER) for this service (AUTH_AUDIENCE).",
)


async def authenticate(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Caller:
    cached: Caller | None = getattr(request.state, "caller", None)
    if cached is not None:  # the route's guard and the endpoint both ask: verify once
        return cached
    if credentials is None or not credentials.credentials:
        raise NotAuthenticated()
    keys: KeyStore = request.app.state.auth_keys
    settings: Settings = request.app.state.settings
    caller = await verify(credentials.credentials, keys, settings)
    request.state.caller = caller
    return caller


CallerDep = Annotated[Caller, Depends(authenticate)]


async def authorize(required: SecurityScopes, caller: CallerDep) -> Caller:
    """The caller, if its token grants every scope the route lists (none: any valid token)."""
    missing = [scope for scope in required.scopes if scope not in caller.scopes]
    if missing:
        raise MissingScope(missing)
    return caller
