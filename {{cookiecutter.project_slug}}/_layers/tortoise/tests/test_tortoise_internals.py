"""The private names of Tortoise this package uses, all fenced in tortoise_internals: still there on the
installed Tortoise, reached from nowhere else, and overridden only where declared.

A Tortoise release may drop or rename any of them without notice; these tests name each one gone,
where the fault tests would only fail without saying why."""

import ast
import inspect
from collections.abc import Callable, Iterator
from importlib.metadata import version
from pathlib import Path

import pytest
import tortoise.context
from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import PoolConnectionWrapper, TransactionContext
from tortoise.contrib.fastapi import RegisterTortoise

from {{ cookiecutter.package_name }}.db import tortoise_internals
from {{ cookiecutter.package_name }}.db.client import BoundedClient, PoolConnection
from {{ cookiecutter.package_name }}.db.tortoise_internals import CLIENT_OVERRIDES, FENCED
from {{ cookiecutter.package_name }}.db.transaction import PooledTransaction

PROJECT = Path(__file__).resolve().parents[1]
FENCE = Path(inspect.getfile(tortoise_internals))
FENCED_NAMES = {name for names in FENCED.values() for name in names}


def test_every_fenced_name_is_still_there() -> None:
    client = AsyncpgDBClient(connection_name="canary")  # built only: it connects on first use
    transaction = TransactionWrapper(client)
    # How each owner in FENCED has its names: attributes set in __init__ exist only on an instance.
    has: dict[str, Callable[[str], bool]] = {
        "tortoise.context": lambda name: hasattr(tortoise.context, name),
        "tortoise.contrib.fastapi.RegisterTortoise": lambda name: (
            name in inspect.signature(RegisterTortoise).parameters
        ),
        "tortoise.backends.asyncpg.client.AsyncpgDBClient": lambda name: hasattr(client, name),
        "tortoise.backends.asyncpg.client.TransactionWrapper": lambda name: hasattr(transaction, name),
    }
    assert set(has) == set(FENCED), "say here how to look up the names of a new owner in FENCED"

    gone = [
        f"{owner}.{name} is gone: tortoise-orm {version('tortoise-orm')} no longer has it; "
        "tortoise_internals.py says what it was for"
        for owner, names in FENCED.items()
        for name in names
        if not has[owner](name)
    ]
    assert not gone, "\n".join(gone)


def private_names(path: Path) -> Iterator[tuple[int, str, ast.AST]]:
    """Every private name `path` reaches: attributes, imported names and keyword arguments."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute):
            name: str | None = node.attr
        elif isinstance(node, ast.alias):
            name = node.name
        elif isinstance(node, ast.keyword):
            name = node.arg
        else:
            continue
        if name and name.startswith("_") and not name.startswith("__"):
            yield getattr(node, "lineno", 0), name, node


def is_super_call(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id == "super"
    )


def test_the_fence_lists_every_private_name_it_reaches() -> None:
    unlisted = [f"line {line}: {name}" for line, name, _ in private_names(FENCE) if name not in FENCED_NAMES]

    assert not unlisted, f"tortoise_internals.py reaches names FENCED does not list: {unlisted}"


def test_no_other_module_reaches_a_fenced_name() -> None:
    """Outside the fence a fenced name may only be an override calling Tortoise's own (`super()`)."""
    modules = [path for folder in ("src", "tests") for path in sorted((PROJECT / folder).rglob("*.py"))]
    reached = [
        f"{path.relative_to(PROJECT)}:{line}: {name}"
        for path in modules
        if path != FENCE
        for line, name, node in private_names(path)
        if name in FENCED_NAMES and not (name in CLIENT_OVERRIDES and is_super_call(node))
    ]

    assert not reached, "reach these through tortoise_internals:\n" + "\n".join(reached)


@pytest.mark.parametrize(
    ("ours", "tortoises", "declared"),
    [
        pytest.param(BoundedClient, AsyncpgDBClient, CLIENT_OVERRIDES, id="BoundedClient"),
        pytest.param(PooledTransaction, TransactionContext, (), id="PooledTransaction"),
        pytest.param(PoolConnection, PoolConnectionWrapper, (), id="PoolConnection"),
    ],
)
def test_our_subclasses_override_only_the_declared_private_names(
    ours: type, tortoises: type, declared: tuple[str, ...]
) -> None:
    """A private name of ours that Tortoise's class also has overrides it, declared or not; a
    declared one Tortoise no longer has overrides nothing."""
    own = {name for name in vars(ours) if name.startswith("_") and not name.startswith("__")}
    own.discard("_abc_impl")  # abc's own, on every subclass of an abstract class

    assert own & set(dir(tortoises)) == set(declared), f"{ours.__name__} vs {tortoises.__name__}"
