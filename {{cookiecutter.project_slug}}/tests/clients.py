"""How the tests reach an app: in-process, through its ASGI interface."""

from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
{%- if cookiecutter.auth == "jwt" %}

from .auth.provider import caller_headers
{%- endif %}


def app_client(app: FastAPI) -> AsyncClient:
    return AsyncClient(
        transport=ASGITransport(app=app),
        base_url="http://test",
{%- if cookiecutter.auth == "jwt" %}
        headers=caller_headers(),  # a token with every scope from the suite's identity provider
{%- endif %}
    )
