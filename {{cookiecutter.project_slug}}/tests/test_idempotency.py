"""Safe retries: a write sent again with its Idempotency-Key is done once and gets its first answer,
its refusal included; the same key with another request is refused; keys expire and are forgotten.
On the template's probe (its create and update take a key, as a route of yours does with
`@idempotent`), on an app with its own pool and real commits (the keys' transactions are the point);
the rows and keys each test made are removed after it."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
from httpx import AsyncClient, Response

from {{ cookiecutter.package_name }}.commands.forget_keys import forget_expired
from {{ cookiecutter.package_name }}.core.settings import Settings

from .support import probe
{% if cookiecutter.auth == "jwt" -%}
from .support.auth_provider import EVERY_SCOPE, SUITE, bearer
{% endif -%}
from .support.live import PathTo
from .support.protocols import Sql

KEY = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
MISSING_ID = 2_147_483_000  # a row id no test creates through the probe
New = Callable[[], str]  # a new key, or row name, at each call


@pytest.fixture
async def keys(live_sql: Sql) -> AsyncIterator[New]:
    """New keys for the test; every key row the test left behind is removed after it."""
    prefix = f"test-{uuid.uuid4()}"
    made = iter(range(1_000_000))
    yield lambda: f"{prefix}-{next(made)}"
    await live_sql(f"DELETE FROM idempotency_keys WHERE key LIKE '{prefix}-%'")


@pytest.fixture
async def names(live_sql: Sql) -> AsyncIterator[New]:
    """New row names for the test; every probe row named so is removed after it."""
    prefix = f"retried-{uuid.uuid4()}"
    made = iter(range(1_000_000))
    yield lambda: f"{prefix}-{next(made)}"
    await live_sql(f"DELETE FROM {probe.TABLE} WHERE name LIKE '{prefix}-%' OR id = {MISSING_ID}")


async def create(client: AsyncClient, path_to: PathTo, name: str, key: str | None) -> Response:
    headers = {KEY: key} if key is not None else {}
    return await client.post(path_to("create_probe_row"), json={"name": name}, headers=headers)


async def rows_named(live_sql: Sql, name: str) -> int:
    [(count,)] = await live_sql(f"SELECT count(*) FROM {probe.TABLE} WHERE name = '{name}'")
    return int(count)


async def test_a_repeat_gets_the_first_answer_and_is_done_once(
    live_client: AsyncClient, keys: New, names: New, live_sql: Sql, path_to: PathTo
) -> None:
    key, name = keys(), names()

    first = await create(live_client, path_to, name, key)
    again = await create(live_client, path_to, name, key)

    # Run again, the create would be refused: the name is unique.
    assert (first.status_code, again.status_code) == (201, 201), again.text
    assert again.json() == first.json()
    assert REPLAYED not in first.headers
    assert again.headers[REPLAYED] == "true"
    assert await rows_named(live_sql, name) == 1


async def test_ten_at_once_with_one_key_are_done_once(
    live_client: AsyncClient, keys: New, names: New, live_sql: Sql, path_to: PathTo
) -> None:
    key, name = keys(), names()

    answers = await asyncio.gather(*(create(live_client, path_to, name, key) for _ in range(10)))

    assert [answer.status_code for answer in answers] == [201] * 10, [a.text for a in answers][:3]
    assert {answer.json()["id"] for answer in answers} == {answers[0].json()["id"]}
    assert sum(answer.headers.get(REPLAYED) == "true" for answer in answers) == 9
    assert await rows_named(live_sql, name) == 1


async def test_a_repeat_is_not_run_again(
    live_client: AsyncClient, keys: New, names: New, path_to: PathTo
) -> None:
    """The answer kept is the first one, not the request run again: a change made in between stays."""
    created = (await create(live_client, path_to, names(), None)).json()
    row, key = path_to("update_probe_row", row_id=created["id"]), keys()

    first = await live_client.patch(row, json={"n": 1}, headers={KEY: key})
    assert (await live_client.patch(row, json={"n": 5})).status_code == 200
    again = await live_client.patch(row, json={"n": 1}, headers={KEY: key})

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert again.headers[REPLAYED] == "true"
    assert (await live_client.get(path_to("get_probe_row", row_id=created["id"]))).json()["n"] == 5


async def test_a_refusal_is_kept_and_repeated(
    live_client: AsyncClient, keys: New, names: New, live_sql: Sql, path_to: PathTo
) -> None:
    """The app's refusal (an AppError, here a 404) is the answer kept: after the row appears, the
    repeat still says not found."""
    row, key = path_to("update_probe_row", row_id=MISSING_ID), keys()

    first = await live_client.patch(row, json={"n": 1}, headers={KEY: key})
    await live_sql(f"INSERT INTO {probe.TABLE} (id, name) VALUES ({MISSING_ID}, '{names()}')")
    again = await live_client.patch(row, json={"n": 1}, headers={KEY: key})

    assert (first.status_code, again.status_code) == (404, 404)
    assert again.json() == first.json()
    assert again.headers[REPLAYED] == "true"


async def test_the_same_key_with_another_request_is_refused(
    live_client: AsyncClient, keys: New, names: New, live_sql: Sql, path_to: PathTo
) -> None:
    key, name, other_name = keys(), names(), names()
    await create(live_client, path_to, name, key)

    other = await create(live_client, path_to, other_name, key)

    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert await rows_named(live_sql, other_name) == 0


async def test_the_same_body_spaced_otherwise_is_the_same_request(
    live_client: AsyncClient, keys: New, names: New, path_to: PathTo
) -> None:
    body = {"name": names(), "n": 3}
    compact = json.dumps(body, separators=(",", ":"))
    spaced = json.dumps(dict(reversed(body.items())), indent=2)
    headers = {KEY: keys(), "Content-Type": "application/json"}

    first = await live_client.post(path_to("create_probe_row"), content=compact, headers=headers)
    again = await live_client.post(path_to("create_probe_row"), content=spaced, headers=headers)

    assert (first.status_code, again.status_code) == (201, 201), again.text
    assert again.json() == first.json()


async def test_without_a_key_each_request_is_done(
    live_client: AsyncClient, names: New, live_sql: Sql, path_to: PathTo
) -> None:
    name = names()
    [(keys_before,)] = await live_sql("SELECT count(*) FROM idempotency_keys")

    first = await create(live_client, path_to, name, None)
    again = await create(live_client, path_to, name, None)

    assert (first.status_code, again.status_code) == (201, 409)  # run again: the name is taken
    assert REPLAYED not in again.headers
    assert await live_sql("SELECT count(*) FROM idempotency_keys") == [(keys_before,)]


@pytest.mark.parametrize("bad", ["", "has space", "k" * 256, "tab\there"])
async def test_a_malformed_key_is_refused(
    bad: str, live_client: AsyncClient, names: New, live_sql: Sql, path_to: PathTo
) -> None:
    name = names()

    response = await create(live_client, path_to, name, bad)

    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"
    assert await rows_named(live_sql, name) == 0


async def test_an_expired_key_is_new_again(
    live_client: AsyncClient, keys: New, names: New, live_sql: Sql, path_to: PathTo
) -> None:
    key, name = keys(), names()
    await create(live_client, path_to, name, key)
    await live_sql(f"UPDATE idempotency_keys SET expires_at = now() WHERE key = '{key}'")

    again = await create(live_client, path_to, name, key)

    assert again.status_code == 409  # run again, as a new request: the name is taken
    assert REPLAYED not in again.headers


async def test_forget_keys_removes_the_expired_ones(settings: Settings, keys: New, live_sql: Sql) -> None:
    expired, current = keys(), keys()
    for key, expires in ((expired, "now() - interval '1 second'"), (current, "now() + interval '1 day'")):
        await live_sql(
            "INSERT INTO idempotency_keys (scope, key, fingerprint, status_code, response_body, expires_at)"
            f" VALUES ('', '{key}', 'f', 201, 'null', {expires})"
        )

    forgotten = await asyncio.to_thread(forget_expired, settings)

    assert forgotten >= 1
    kept = await live_sql(f"SELECT key FROM idempotency_keys WHERE key IN ('{expired}', '{current}')")
    assert kept == [(current,)]
{%- if cookiecutter.auth == "jwt" %}


async def test_keys_belong_to_their_caller(
    live_client: AsyncClient, keys: New, names: New, path_to: PathTo
) -> None:
    key, name = keys(), names()
    other_caller = {KEY: key, **bearer(SUITE.token(EVERY_SCOPE, sub="caller-2"))}

    mine = await create(live_client, path_to, name, key)
    theirs = await live_client.post(path_to("create_probe_row"), json={"name": name}, headers=other_caller)

    # Not the first caller's answer replayed: run again, for the other caller, and refused.
    assert (mine.status_code, theirs.status_code) == (201, 409)
    assert REPLAYED not in theirs.headers
{%- endif %}
