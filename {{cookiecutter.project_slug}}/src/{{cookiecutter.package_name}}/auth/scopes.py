"""Which scope each route needs, in one table (api/security.py puts it on the routes)."""

from fastapi.routing import APIRoute

# The scope a write (POST, PUT, PATCH, DELETE) needs, by the first segment of the route's path.
# Reads need a valid token and no scope. Name scopes here as the provider issues them.
WRITE_SCOPES: dict[str, str] = {
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
