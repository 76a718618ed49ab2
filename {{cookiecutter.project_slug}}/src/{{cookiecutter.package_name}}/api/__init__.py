"""The HTTP API, one module per resource."""

from fastapi import APIRouter
from fastapi.routing import APIRoute

from . import accounts, health, items{{ ", me" if cookiecutter.auth == "jwt" }}
{%- if cookiecutter.auth == "jwt" %}
from .security import guarded
{%- endif %}

# Each is included in the app itself, not in one router of routers: FastAPI matches a request level
# by level through included routers, so every level costs each request a pass over its routes.
{%- if cookiecutter.auth == "jwt" %}
# Guarded copies (api/security.py): a token on every route but /health/*, a write's scope on writes.
routers: tuple[APIRouter, ...] = tuple(guarded(resource.router) for resource in (health, items, accounts, me))
{%- else %}
routers: tuple[APIRouter, ...] = (health.router, items.router, accounts.router)
{%- endif %}


def operation_id(route: APIRoute) -> str:
    """The route function's name (`get_item`), not FastAPI's `get_item_items__item_id__get`: the
    names a client generated from the schema gives its calls. They must be unique (the tests say so)."""
    return route.name
