"""Attribute defaults, read from the manifest schema's ``default`` keywords.

The schema is the single source of truth for structure, so export never repeats a default: an
attribute is omitted exactly when the loader would fill the same value back in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

JsonObject = Mapping[str, Any]


@dataclass(frozen=True)
class Defaults:
    """Manifest key -> default value, per resource kind (only keys the schema gives a default)."""

    queue: Mapping[str, object] = field(default_factory=dict)
    topic: Mapping[str, object] = field(default_factory=dict)
    subscription: Mapping[str, object] = field(default_factory=dict)


def _resolve(schema: JsonObject, node: JsonObject) -> JsonObject:
    """Follow local ``$ref`` pointers (``#/$defs/queue``) until a concrete subschema."""
    seen = 0
    while "$ref" in node and seen < 32:
        ref = str(node["$ref"])
        if not ref.startswith("#/"):
            break
        target: Any = schema
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
        seen += 1
    return node


def _member_schema(schema: JsonObject, container: JsonObject | None) -> JsonObject:
    """The schema of the values of a name -> resource mapping (``queues``, ``subscriptions``)."""
    if container is None:
        return {}
    container = _resolve(schema, container)
    member = container.get("additionalProperties")
    if not isinstance(member, Mapping):
        patterns = container.get("patternProperties") or {}
        member = next(iter(patterns.values()), {}) if isinstance(patterns, Mapping) else {}
    return _resolve(schema, member) if isinstance(member, Mapping) else {}


def _property_defaults(schema: JsonObject, resource: JsonObject) -> dict[str, object]:
    defaults: dict[str, object] = {}
    properties = resource.get("properties") or {}
    for key, prop in properties.items():
        prop = _resolve(schema, prop)
        if "default" in prop:
            defaults[key] = prop["default"]
    return defaults


def schema_defaults(schema: JsonObject) -> Defaults:
    properties = schema.get("properties") or {}
    queue = _member_schema(schema, properties.get("queues"))
    topic = _member_schema(schema, properties.get("topics"))
    subscription = _member_schema(schema, (topic.get("properties") or {}).get("subscriptions"))
    return Defaults(
        queue=_property_defaults(schema, queue),
        topic=_property_defaults(schema, topic),
        subscription=_property_defaults(schema, subscription),
    )
