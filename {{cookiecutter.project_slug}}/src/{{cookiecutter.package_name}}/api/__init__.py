"""The HTTP API, one module per resource."""

from fastapi import APIRouter
from fastapi.routing import APIRoute

{% if cookiecutter.auth == "jwt" %}from ..auth.scopes import guard
{% endif %}from . import accounts, health, idempotency, items{{ ", me" if cookiecutter.auth == "jwt" }}

{%- if cookiecutter.auth == "jwt" %}

# A token on every route but /health/*, and each write's scope (auth/scopes.py). Before the routers
# are included: including takes each route's dependencies as they are then.
for resource in (health, items, accounts, me):
    guard(resource.router)
{%- endif %}

for resource in (items, accounts):
    idempotency.document(resource.router)

# Each is included in the app itself, not in one router of routers: FastAPI matches a request level
# by level through included routers, so every level costs each request a pass over its routes.
routers: tuple[APIRouter, ...] = (health.router, items.router, accounts.router{{ ", me.router" if cookiecutter.auth == "jwt" }})


def operation_id(route: APIRoute) -> str:
    """The route function's name (`get_item`), not FastAPI's `get_item_items__item_id__get`: the
    names a client generated from the schema gives its calls. They must be unique (the tests say so)."""
    return route.name
