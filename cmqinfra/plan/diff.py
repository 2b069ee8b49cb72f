"""Attribute-level differences between a desired and a live resource (on the manifest-shaped
data), and which of them the API cannot change in place."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields, replace
from functools import cache
from typing import Any

from cmqinfra.live import name_key
from cmqinfra.model import Protocol, Queue, Resource, Subscription, Topic
from cmqinfra.plan.shape import NONE_MEANS_NONE, to_data
from cmqinfra.plan.values import AttributeChange

# Attributes the API only accepts at creation (reference §4): changing them is a replacement.
IMMUTABLE: dict[type, frozenset[str]] = {
    Queue: frozenset({"maxMsgSize"}),
    Topic: frozenset({"filterType"}),
    Subscription: frozenset({"protocol", "endpoint"}),
}

# Identity, not attributes: names are case-insensitive, so a case difference is no change.
_IDENTITY = ("name", "topic")
# A mapping sharing fewer than this share of its keys with the other changed as a whole.
_DEEPER = 0.33
# List-valued attributes are shown whole (before -> after), never element by element.
_ATOMIC = {"filterTags", "bindingKeys"}


def _comparable(resource: Resource, managed: set[str] | None) -> dict[str, Any]:
    data = to_data(resource, managed_only=managed is None)
    for key in _IDENTITY:
        data.pop(key, None)
    if managed is not None:
        data = {k: v for k, v in data.items() if k in managed}
    return data


def _lookup(data: Any, path: list[Any]) -> Any:
    for part in path:
        if isinstance(data, dict) and part in data:
            data = data[part]
        else:
            return None
    return data


@cache
def _compared_fields(resource_type: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(resource_type) if f.compare and f.name not in ("name", "topic"))


def _unchanged(desired: Resource, live: Resource) -> bool:
    """Field-by-field equality of what the desired side manages: exactly the comparison the
    manifest-shaped dicts below make, without building them (most resources are unchanged)."""
    if desired == live:  # every compared field equal, in one generated comparison
        return True
    for name in _compared_fields(type(desired)):
        wanted = getattr(desired, name)
        if wanted is None and name not in NONE_MEANS_NONE:
            continue
        have = getattr(live, name)
        if name in ("filter_tags", "binding_keys"):
            if sorted(wanted) != sorted(have):
                return False
        elif wanted != have:
            return False
    return True


def _in_desired_spelling(desired: Resource, live: Resource) -> Resource:
    """A live queue reference (dead letter, queue endpoint) spelled in another case names the same
    queue, since queue names are case-insensitive: it takes the manifest's spelling, so that it is
    no change (an endpoint differing only in case would otherwise force a replacement)."""
    if isinstance(desired, Queue) and isinstance(live, Queue):
        want, have = desired.dead_letter, live.dead_letter
        if want and have and want.queue != have.queue and name_key(want.queue) == name_key(have.queue):
            return replace(live, dead_letter=replace(have, queue=want.queue))
    if (
        isinstance(desired, Subscription)
        and isinstance(live, Subscription)
        and desired.protocol is Protocol.QUEUE
        and live.protocol is Protocol.QUEUE
        and desired.endpoint != live.endpoint
        and name_key(desired.endpoint) == name_key(live.endpoint)
    ):
        return replace(live, endpoint=desired.endpoint)
    return live


def _canonical(value: Any) -> Any:
    """A value as a hashable, order-free key: what "equal" means to a diff that ignores the order
    of lists but not the type of a value (1, 1.0 and true differ)."""
    if isinstance(value, dict):
        return ("map", tuple(sorted(((repr(k), _canonical(v)) for k, v in value.items()), key=repr)))
    if isinstance(value, (list, tuple)):
        return ("list", tuple(sorted((_canonical(v) for v in value), key=repr)))
    return (type(value).__name__, value)


def changed_paths(before: Any, after: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path at which two manifest-shaped values differ: a key present on one side only, a
    value or type changed, a list whose elements differ regardless of order (the list's own path),
    a mapping that shares under a third of its keys with the other (the mapping's own path: ``tags``
    replaced is shown whole, as deepdiff, which this replaced, showed it). The manifest shape is a
    few levels of small mappings, so a plain walk is all a diff needs."""
    if isinstance(before, dict) and isinstance(after, dict):
        union = before.keys() | after.keys()
        if path and len(union) > 1 and len(before.keys() & after.keys()) / len(union) < _DEEPER:
            yield path
            return
        for key in union:
            if key not in before or key not in after:
                yield path + (key,)
            else:
                yield from changed_paths(before[key], after[key], path + (key,))
    elif isinstance(before, list) and isinstance(after, list):
        if _canonical(before) != _canonical(after):
            yield path
    elif type(before) is not type(after) or before != after:
        yield path


def attribute_changes(desired: Resource, live: Resource) -> tuple[AttributeChange, ...]:
    """What differs, in manifest paths. Only attributes the desired side manages count."""
    if _unchanged(desired, live):
        return ()
    live = _in_desired_spelling(desired, live)
    if _unchanged(desired, live):
        return ()
    after = _comparable(desired, None)
    before = _comparable(live, set(after))
    if before == after:
        # The common case by far (a plan of 10,000 unchanged queues).
        return ()
    paths = set(changed_paths(before, after))
    immutable = IMMUTABLE[type(desired)]
    out: dict[str, AttributeChange] = {}
    for raw in paths:
        path = list(raw)
        if path and path[0] in _ATOMIC:
            path = path[:1]
        # keep only the string keys: list indices never appear in a manifest path
        path = [p for p in path if isinstance(p, str)]
        dotted = ".".join(path)
        if dotted in out:
            continue
        out[dotted] = AttributeChange(
            path=dotted,
            before=_lookup(before, path),
            after=_lookup(after, path),
            forces_replacement=path[0] in immutable,
        )
    return tuple(out[k] for k in sorted(out))
