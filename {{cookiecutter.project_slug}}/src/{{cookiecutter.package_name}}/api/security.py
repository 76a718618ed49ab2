"""Every route but the open ones requires a token, and a write its resource's scope (auth/scopes.py)."""

from fastapi import APIRouter, Security
from fastapi.routing import APIRoute

from ..auth.deps import authorize
from ..auth.scopes import OPEN_PREFIXES, scopes_for
from .responses import error_responses


def guarded(router: APIRouter) -> APIRouter:
    """A copy of the router whose routes but the open ones require a token (and a write's scope);
    the router itself is left as it is, so building it again (another app) guards nothing twice."""
    copy = APIRouter()
    for route in router.routes:
        if not isinstance(route, APIRoute) or route.path.startswith(OPEN_PREFIXES):
            copy.routes.append(route)
            continue
        scopes = scopes_for(route)
        alone = APIRouter(routes=[route])
        # What a guarded route can answer besides its own: no valid token, no scope, no keys.
        refusals = error_responses(401, 503, *([403] if scopes else []))
        copy.include_router(alone, dependencies=[Security(authorize, scopes=scopes)], responses=refusals)
    return copy
