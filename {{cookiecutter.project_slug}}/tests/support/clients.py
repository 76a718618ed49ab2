"""How the tests reach an app: in-process, through its ASGI interface."""

from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
{%- if cookiecutter.auth == "jwt" %}

from .auth_provider import caller_headers
{%- endif %}


def app_client(app: FastAPI, *, raise_app_exceptions: bool = True) -> AsyncClient:
    """`raise_app_exceptions=False`: the client gets the 500 response, not the exception behind it."""
    return AsyncClient(
        transport=ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions),
        base_url="http://test",
{%- if cookiecutter.auth == "jwt" %}
        headers=caller_headers(),  # a token with every scope from the suite's identity provider
{%- endif %}
    )
