"""Attribute-level differences between a desired and a live resource (deepdiff on the
manifest-shaped data), and which of them the API cannot change in place."""

from __future__ import annotations

from typing import Any

from deepdiff import DeepDiff

from cmqinfra.model import Queue, Resource, Subscription, Topic
from cmqinfra.plan.shape import to_data
from cmqinfra.plan.values import AttributeChange

# Attributes the API only accepts at creation (reference §4): changing them is a replacement.
IMMUTABLE: dict[type, frozenset[str]] = {
    Queue: frozenset({"maxMsgSize"}),
    Topic: frozenset({"filterType"}),
    Subscription: frozenset({"protocol", "endpoint"}),
}

# Identity, not attributes: names are case-insensitive, so a case difference is no change.
_IDENTITY = ("name", "topic")
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


def attribute_changes(desired: Resource, live: Resource) -> tuple[AttributeChange, ...]:
    """What differs, in manifest paths. Only attributes the desired side manages count."""
    after = _comparable(desired, None)
    before = _comparable(live, set(after))
    diff = DeepDiff(before, after, ignore_order=True, view="tree")
    paths: set[tuple[Any, ...]] = set()
    for kind in (
        "values_changed",
        "type_changes",
        "dictionary_item_added",
        "dictionary_item_removed",
        "iterable_item_added",
        "iterable_item_removed",
    ):
        for level in diff.get(kind, []):
            paths.add(tuple(level.path(output_format="list")))
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
