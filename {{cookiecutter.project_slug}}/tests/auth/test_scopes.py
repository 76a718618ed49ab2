"""Reads need a valid token, writes their resource's scope (auth/scopes.py); probes and metrics
stay open; the OpenAPI schema says all of it."""

from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.auth.errors import MissingScope, NotAuthenticated

from ..support.auth_provider import EVERY_SCOPE, SUITE, bearer
from ..support.live import PathTo
from ..support.probe import PROBE_SCOPE
from ..support.protocols import CountQueries

OPEN_ROUTES = ("live", "ready", "metrics")  # no token needed: probes and scrapes come without one


def operation(app: FastAPI, operation_id: str) -> dict[str, Any]:
    """One operation of the schema, by its id (the route's name)."""
    found: dict[str, Any]
    [found] = [
        operation
        for methods in app.openapi()["paths"].values()
        for operation in methods.values()
        if operation["operationId"] == operation_id
    ]
    return found


async def test_a_read_needs_no_scope(client: AsyncClient, path_to: PathTo) -> None:
    response = await client.get(path_to("list_probe_rows"), headers=bearer(SUITE.token([])))

    assert response.status_code == 200


async def test_a_write_without_its_scope_is_403(client: AsyncClient, path_to: PathTo) -> None:
    # Every other resource's scope: each resource has its own.
    token = SUITE.token([scope for scope in EVERY_SCOPE if scope != PROBE_SCOPE] + ["other:write"])

    response = await client.post(
        path_to("create_probe_row"), json={"name": "no scope"}, headers=bearer(token)
    )

    assert response.status_code == 403
    assert response.json() == {"code": MissingScope.code, "detail": f"This needs the scope {PROBE_SCOPE}."}
    assert response.headers["WWW-Authenticate"] == f'Bearer error="insufficient_scope", scope="{PROBE_SCOPE}"'


async def test_a_write_with_its_scope_is_served(client: AsyncClient, path_to: PathTo) -> None:
    token = SUITE.token([PROBE_SCOPE])

    response = await client.post(path_to("create_probe_row"), json={"name": "scoped"}, headers=bearer(token))

    assert response.status_code == 201


async def test_scopes_are_read_as_each_provider_puts_them(client: AsyncClient, path_to: PathTo) -> None:
    styles: dict[str, dict[str, Any]] = {
        "scope": {"scope": f"openid {PROBE_SCOPE}"},  # OAuth 2, Keycloak, Cognito
        "scp": {"scope": None, "scp": [PROBE_SCOPE]},  # Okta; Entra ID puts a string here
        "permissions": {"scope": None, "permissions": [PROBE_SCOPE]},  # Auth0 RBAC
    }
    for style, claims in styles.items():
        token = SUITE.token(**claims)
        # A name per style: each write is served (201), not refused for a name taken by the one before.
        response = await client.post(
            path_to("create_probe_row"), json={"name": f"styled-{style}"}, headers=bearer(token)
        )
        assert response.status_code == 201, claims


async def test_me_says_who_the_token_names(client: AsyncClient, path_to: PathTo) -> None:
    token = SUITE.token([PROBE_SCOPE], sub="user-42", realm_access={"roles": ["admin"]}, roles=["auditor"])

    response = await client.get(path_to("me"), headers=bearer(token))

    assert response.status_code == 200
    assert response.json() == {"subject": "user-42", "scopes": [PROBE_SCOPE], "roles": ["admin", "auditor"]}


async def test_probes_and_metrics_need_no_token(client: AsyncClient, path_to: PathTo) -> None:
    anonymous = {"Authorization": ""}

    for route in OPEN_ROUTES:
        assert (await client.get(path_to(route), headers=anonymous)).status_code == 200, route


async def test_a_refused_request_never_reaches_the_database(
    client: AsyncClient, path_to: PathTo, count_queries: CountQueries
) -> None:
    with count_queries() as queries:
        refused = await client.post(
            path_to("create_probe_row"), json={"name": "x"}, headers=bearer(SUITE.token([]))
        )
        unauthenticated = await client.get(path_to("get_probe_row", row_id=1), headers={"Authorization": ""})

    assert (refused.status_code, unauthenticated.status_code) == (403, 401)
    assert (refused.json()["code"], unauthenticated.json()["code"]) == (
        MissingScope.code,
        NotAuthenticated.code,
    )
    assert queries.count == 0


def test_openapi_declares_the_bearer_scheme_and_each_routes_scopes(app: FastAPI) -> None:
    schema = app.openapi()

    [(name, scheme)] = schema["components"]["securitySchemes"].items()
    assert scheme["type"] == "http"
    assert scheme["scheme"].lower() == "bearer"
    assert operation(app, "create_probe_row")["security"] == [{name: [PROBE_SCOPE]}]
    assert operation(app, "delete_probe_row")["security"] == [{name: [PROBE_SCOPE]}]
    assert operation(app, "list_probe_rows")["security"] == [{name: []}]
    assert "security" not in operation(app, "live")
    assert "security" not in operation(app, "ready")


def test_every_route_but_the_open_ones_needs_a_token(app: FastAPI, path_to: PathTo) -> None:
    """A router added to api/ without being guarded there fails here, not in production."""
    paths = app.openapi()["paths"]
    open_paths = {path_to(route) for route in OPEN_ROUTES}

    unguarded = [
        f"{method.upper()} {path}"
        for path, operations in paths.items()
        for method, operation in operations.items()
        if path not in open_paths and not operation.get("security")
    ]
    assert unguarded == []
