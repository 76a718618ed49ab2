"""Reads need a valid token, writes their resource's scope (auth/scopes.py); probes and metrics
stay open; the OpenAPI schema says all of it."""

from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient

from {{ cookiecutter.package_name }}.auth.errors import MissingScope, NotAuthenticated
from {{ cookiecutter.package_name }}.auth.scopes import WRITE_SCOPES

from ..support.auth_provider import SUITE, bearer
from ..support.live import PathTo
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
    response = await client.get(path_to("list_items"), params={"limit": 1}, headers=bearer(SUITE.token([])))

    assert response.status_code == 200


async def test_a_write_without_its_scope_is_403(client: AsyncClient, path_to: PathTo) -> None:
    token = SUITE.token(["accounts:write"])

    response = await client.post(path_to("create_item"), json={"name": "no scope"}, headers=bearer(token))

    assert response.status_code == 403
    assert response.json() == {"code": MissingScope.code, "detail": "This needs the scope items:write."}
    assert response.headers["WWW-Authenticate"] == 'Bearer error="insufficient_scope", scope="items:write"'


async def test_a_write_with_its_scope_is_served(client: AsyncClient, path_to: PathTo) -> None:
    token = SUITE.token([WRITE_SCOPES["items"]])

    response = await client.post(path_to("create_item"), json={"name": "scoped"}, headers=bearer(token))

    assert response.status_code == 201


async def test_each_resource_has_its_own_write_scope(client: AsyncClient, path_to: PathTo) -> None:
    items_only = bearer(SUITE.token(["items:write"]))

    account = await client.post(
        path_to("create_account"), json={"owner": "o", "balance_cents": 1}, headers=items_only
    )
    transfer = await client.post(
        path_to("create_transfer"),
        json={"from_account_id": 1, "to_account_id": 2, "amount_cents": 1},
        headers=items_only,
    )

    assert account.status_code == transfer.status_code == 403


async def test_scopes_are_read_as_each_provider_puts_them(client: AsyncClient, path_to: PathTo) -> None:
    styles: dict[str, dict[str, Any]] = {
        "scope": {"scope": "openid items:write"},  # OAuth 2, Keycloak, Cognito
        "scp": {"scope": None, "scp": ["items:write"]},  # Okta; Entra ID puts a string here
        "permissions": {"scope": None, "permissions": ["items:write"]},  # Auth0 RBAC
    }
    for style, claims in styles.items():
        token = SUITE.token(**claims)
        # A name per style: each write is served (201), not refused for a name taken by the one before.
        response = await client.post(
            path_to("create_item"), json={"name": f"styled-{style}"}, headers=bearer(token)
        )
        assert response.status_code == 201, claims


async def test_me_says_who_the_token_names(client: AsyncClient, path_to: PathTo) -> None:
    token = SUITE.token(["items:write"], sub="user-42", realm_access={"roles": ["admin"]}, roles=["auditor"])

    response = await client.get(path_to("me"), headers=bearer(token))

    assert response.status_code == 200
    assert response.json() == {"subject": "user-42", "scopes": ["items:write"], "roles": ["admin", "auditor"]}


async def test_probes_and_metrics_need_no_token(client: AsyncClient, path_to: PathTo) -> None:
    anonymous = {"Authorization": ""}

    for route in OPEN_ROUTES:
        assert (await client.get(path_to(route), headers=anonymous)).status_code == 200, route


async def test_a_refused_request_never_reaches_the_database(
    client: AsyncClient, path_to: PathTo, count_queries: CountQueries
) -> None:
    with count_queries() as queries:
        refused = await client.post(
            path_to("create_item"), json={"name": "x"}, headers=bearer(SUITE.token([]))
        )
        unauthenticated = await client.get(path_to("get_item", item_id=1), headers={"Authorization": ""})

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
    assert operation(app, "create_item")["security"] == [{name: ["items:write"]}]
    assert operation(app, "delete_item")["security"] == [{name: ["items:write"]}]
    assert operation(app, "create_transfer")["security"] == [{name: ["transfers:write"]}]
    assert operation(app, "list_items")["security"] == [{name: []}]
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
