"""Which targets are served at once. Served together they take turns cell by cell, so whatever else
the machine does weighs on all of them alike; the database server's free connections bound how many
pools can be open together."""

from collections.abc import Sequence
from typing import Protocol, TypeVar

HEADROOM = 10  # connections left for the harness itself: database copies, the stuck-app probe, psql


class Served(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def connections(self) -> int: ...
    @property
    def plain_of(self) -> str | None: ...


T = TypeVar("T", bound=Served)


def units(targets: Sequence[T]) -> list[list[T]]:
    """Each variant with its plain counterpart (the comparison issue 14 reads, so never measured
    minutes apart); every other target on its own. In the targets' order, a pair where its variant is."""
    names = {target.name for target in targets}
    paired = {target.plain_of: target for target in targets if target.plain_of in names}
    counterparts = {target.name for target in paired.values()}
    found: list[list[T]] = []
    for target in targets:
        if target.name in counterparts:
            continue
        found.append([paired[target.name], target] if target.name in paired else [target])
    return found


def cost(group: Sequence[Served]) -> int:
    return sum(target.connections for target in group)


def together(targets: Sequence[T], free: int) -> list[list[T]]:
    """All targets at once if the server has the connections for every pool; else as many units at a
    time, in order, as fit. A unit too big on its own is served one target at a time."""
    budget = free - HEADROOM
    found: list[list[T]] = []
    current: list[T] = []
    for unit in units(targets):
        if cost(current) + cost(unit) <= budget:
            current += unit
            continue
        if current:
            found.append(current)
        current = list(unit) if cost(unit) <= budget else []
        if not current:
            found += [[target] for target in unit]
    if current:
        found.append(current)
    return found
