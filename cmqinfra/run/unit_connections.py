"""The run's connections: opened once per run, the callers' accounts (to bind a saved plan to) and
what the project's ownership tags give to stacks no unit is any more."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cmqinfra.project.resolve import ResolvedUnit
from cmqinfra.run import session


@contextmanager
def open_connections(options: session.TargetOptions, root: str, single: bool = False,
                     check: Callable[[Any], None] | None = None,
                     holder: list[Any] | None = None) -> Iterator[Any]:
    """The run's connections (``root``: where --local keeps its state); with --debug, the calls
    each action made, of all the units. ``holder`` (a PATH's run): the connections are handed to
    ``session.user_errors``, which reports the calls after any error line and closes them."""
    from cmqinfra.run.connections import Connections

    def connect(_unit: Any, target: Any) -> Any:  # a PATH's one unit: where its flags point
        api = session.connect(options, target.region)
        if check is not None:  # before any read (a saved plan's account)
            check(api)
        return api

    connections = Connections(options, Path(root), opener=connect if single else None)
    if holder is not None:
        holder.append(connections)
        yield connections
        return
    try:
        yield connections
    finally:
        if options.debug:
            from cmqinfra.run.session import print_call_counts

            print_call_counts([connections], "API calls per action (all stacks)")
        connections.close()


def caller_accounts(items: Sequence[Any], apis: dict[str, Any]) -> dict[str, str | None]:
    """The account each unit's credentials belong to (STS), to bind a saved plan to."""
    from cmqinfra.run.runner import concurrently

    keys = [i.unit.key for i in items]
    return dict(zip(keys, concurrently(lambda key: apis[key].caller_account(), keys), strict=True))


def orphans(items: Sequence[Any], apis: dict[str, Any], connections: Any,
             others: Sequence[ResolvedUnit]) -> list[str]:
    """What the project's ownership tags give to stacks no unit is any more (project/orphans.py),
    on each account and region the run read whole: a listing only where the counts say so."""
    from cmqinfra.cloud.errors import CloudError
    from cmqinfra.project.orphans import find, notes

    if any(i.plan is None or i.owned is None or i.target is None for i in items):
        return []  # a unit not read whole: its resources are not all known
    groups: dict[tuple[object, ...], list[Any]] = {}
    for item in items:
        groups.setdefault(connections.count_key(item.unit, item.target), []).append(item)
    known = {n for r in others if r.stack is not None for n in (r.stack.name, r.stack.renamed_from) if n}
    known |= {n for i in items for n in (i.plan.stack.name, i.plan.stack.renamed_from) if n}
    found = []
    for key, group in groups.items():
        counts = connections.counts(key)
        tagged = getattr(counts, "tagged", lambda: None)()
        if tagged is None or tagged <= sum(i.owned for i in group):
            continue  # every owned resource there belongs to a unit that was read
        first = group[0]
        try:
            listed = apis[first.unit.key].owners()
        except CloudError:
            continue
        found += find(listed, known, f"{first.target.describe()}, region {first.region}")
    return notes(found)
