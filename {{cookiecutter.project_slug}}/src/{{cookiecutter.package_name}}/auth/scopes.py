"""Which scope each route needs, in one table, and the guard that puts it on every route."""

from fastapi import APIRouter, Security
from fastapi.routing import APIRoute

from .deps import authorize

# The scope a write (POST, PUT, PATCH, DELETE) needs, by the first segment of the route's path.
# Reads need a valid token and no scope. Name scopes here as the provider issues them.
WRITE_SCOPES = {
    "items": "items:write",
    "accounts": "accounts:write",
    "transfers": "transfers:write",
}
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Probes come from load balancers and kubelets, which carry no token. (/metrics and the docs are
# served by the app itself, outside these routes.)
OPEN_PREFIXES = ("/health/",)


class UnguardedRoute(Exception):
    """A write route whose resource has no entry in WRITE_SCOPES."""


def scopes_for(route: APIRoute) -> list[str]:
    methods = route.methods or set()
    if methods <= READ_METHODS:
        return []
    resource = route.path.strip("/").split("/", 1)[0]
    if resource not in WRITE_SCOPES:
        # Failing at import beats serving a write that any token may make.
        raise UnguardedRoute(f"{sorted(methods)} {route.path}: add {resource!r} to WRITE_SCOPES")
    return [WRITE_SCOPES[resource]]


def guard(router: APIRouter) -> None:
    """Require a token (and a write's scope) on each of the router's routes but the open ones.

    Call it on a resource's router before the router is included anywhere: the app's routes, and
    their OpenAPI entries, take the dependencies its routes have when it is included.
    """
    # Here, not at the top: the api package imports this module while it is being imported itself.
    from ..api.responses import error_responses

    for route in router.routes:
        if isinstance(route, APIRoute) and not route.path.startswith(OPEN_PREFIXES):
            scopes = scopes_for(route)
            route.dependencies.append(Security(authorize, scopes=scopes))
            # What a guarded route can answer besides its own: no valid token, no scope, no keys.
            refusals = error_responses(401, 503, *([403] if scopes else []))
            route.responses = {**refusals, **route.responses}
