"""Building the model from checked entries: explicit values, then schema defaults.

Only called when there are no diagnostics, so values have the types the schema promised.
Defaults come from the schema's ``default`` keywords; the one conditional default
(notifyContentFormat: SIMPLIFIED for queue subscriptions, JSON for http) lives here.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from cmqinfra.manifest.entries import Entry, as_int
from cmqinfra.manifest.schema import manifest_schema
from cmqinfra.model import (
    DeadLetter,
    FilterType,
    NotifyContentFormat,
    NotifyStrategy,
    PolicyException,
    Protocol,
    Queue,
    Subscription,
    Topic,
    Transaction,
    assembled,
    tags_of,
)


@cache
def _schema_defaults(kind: str) -> dict[str, Any]:
    """Every property of ``kind`` that has a schema default: read once, not once per resource."""
    properties = manifest_schema()["$defs"][kind]["properties"]
    return {key: spec["default"] for key, spec in properties.items() if "default" in spec}


def _effective(entry: Entry) -> dict[str, Any]:
    """The entry's settings over the schema defaults."""
    defaults = _DEFAULTS.get(entry.kind)
    if defaults is None:
        defaults = _DEFAULTS[entry.kind] = _schema_defaults(entry.kind)
    return {**defaults, **entry.settings}


_DEFAULTS: dict[str, dict[str, Any]] = {}  # kind -> its schema defaults, without a cached call each


def _transaction(value: Any) -> Transaction | None:
    if value is True:
        return Transaction()
    if isinstance(value, dict):
        return Transaction(as_int(value.get("firstQueryInterval")), as_int(value.get("maxQueryCount")))
    return None  # absent or false: not a transaction queue


def _dead_letter(value: Any) -> DeadLetter | None:
    if not isinstance(value, dict):
        return None
    return DeadLetter(
        str(value["queue"]), as_int(value.get("maxReceiveCount")), as_int(value.get("maxTimeToLive"))
    )


def _exceptions(entry: Entry) -> tuple[PolicyException, ...]:
    written = entry.settings.get("policyExceptions")
    if not isinstance(written, list):
        return ()
    return tuple(
        PolicyException(str(item["policy"]), str(item["reason"]), entry.where("policyExceptions", index))
        for index, item in enumerate(written)
    )


def _int(value: Any) -> int | None:
    """``as_int`` for values the schema has checked: an int (the common case) as it is."""
    return value if value is None or value.__class__ is int else as_int(value)


def build_queue(entry: Entry) -> Queue:
    values = _effective(entry)
    own = entry.settings
    get = values.get
    rewind = _int(get("rewindSeconds"))
    # Rewind off means no rewind storage; rewind on without a size leaves the size alone.
    retention_size = 0 if not rewind else _int(get("retentionSizeInMB"))
    return assembled(Queue, {
        "name": entry.name,
        "visibility_timeout": _int(get("visibilityTimeout")),
        "polling_wait_seconds": _int(get("pollingWaitSeconds")),
        "msg_retention_seconds": _int(get("msgRetentionSeconds")),
        "max_msg_heap_num": _int(get("maxMsgHeapNum")),
        "max_msg_size": _int(get("maxMsgSize")),
        "rewind_seconds": rewind,
        "retention_size_in_mb": retention_size,
        "trace": bool(get("trace")),
        "transaction": _transaction(own["transaction"]) if "transaction" in own else None,
        "dead_letter": _dead_letter(own["deadLetter"]) if "deadLetter" in own else None,
        "tags": tags_of(own.get("tags")),
        "protect": bool(get("protect")),
        "source": entry.location,
        "exceptions": _exceptions(entry) if "policyExceptions" in own else (),
    })


def build_topic(entry: Entry) -> Topic:
    values = _effective(entry)
    return assembled(Topic, {
        "name": entry.name,
        "filter_type": _FILTER_TYPES[values["filterType"]],
        "max_msg_size": as_int(values.get("maxMsgSize")),
        "msg_retention_seconds": as_int(values.get("msgRetentionSeconds")),
        "trace": bool(values.get("trace")),
        "tags": tags_of(entry.settings.get("tags")),
        "protect": bool(values.get("protect")),
        "source": entry.location,
        "exceptions": _exceptions(entry) if "policyExceptions" in entry.settings else (),
    })


def build_subscription(entry: Entry) -> Subscription:
    assert entry.topic is not None
    values = _effective(entry)
    protocol = _PROTOCOLS[values["protocol"]]
    fmt = entry.settings.get("notifyContentFormat")
    if fmt is None:
        fmt = "SIMPLIFIED" if protocol is _QUEUE else "JSON"
    return assembled(Subscription, {
        "topic": entry.topic,
        "name": entry.name,
        "protocol": protocol,
        "endpoint": str(values["endpoint"]),
        "notify_strategy": _NOTIFY_STRATEGIES[values["notifyStrategy"]],
        "notify_content_format": _CONTENT_FORMATS[fmt],
        "filter_tags": tuple(values.get("filterTags") or ()),
        "binding_keys": tuple(values.get("bindingKeys") or ()),
        "source": entry.location,
        "exceptions": _exceptions(entry) if "policyExceptions" in entry.settings else (),
    })


# Enum members by value: a dict lookup, not an Enum call, per resource (and a member as a global:
# looked up on its class it costs twenty times as much).
_QUEUE = Protocol.QUEUE
_FILTER_TYPES = {m.value: m for m in FilterType}
_PROTOCOLS = {m.value: m for m in Protocol}
_NOTIFY_STRATEGIES = {m.value: m for m in NotifyStrategy}
_CONTENT_FORMATS = {m.value: m for m in NotifyContentFormat}
