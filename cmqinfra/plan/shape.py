"""Model values as manifest-shaped plain data (camelCase keys), and back.

The diff, the JSON renderer and saved plans all speak this shape, so an attribute path in a
plan (``deadLetter.maxReceiveCount``) is exactly what the user wrote in the manifest.
"""

from __future__ import annotations

from dataclasses import fields
from enum import Enum
from functools import cache
from typing import Any

from cmqinfra.model import (
    DeadLetter,
    FilterType,
    Import,
    Moved,
    NotifyContentFormat,
    NotifyStrategy,
    Protocol,
    Queue,
    Removed,
    Resource,
    SourceLocation,
    Stack,
    Subscription,
    Topic,
    Transaction,
    manifest_key,
)

# Attributes whose None means "none" (so it is compared), not "not managed".
NONE_MEANS_NONE = {"dead_letter", "transaction"}


def manifest_value(value: Any) -> Any:
    """Model value -> the YAML scalar, list or mapping a user writes for it."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (DeadLetter, Transaction)):
        return {
            manifest_key(f.name, f.metadata): manifest_value(getattr(value, f.name))
            for f in fields(value)
            if getattr(value, f.name) is not None
        }
    if isinstance(value, tuple):
        return [manifest_value(v) for v in value]
    return value


@cache
def _compared_keys(resource_type: type) -> tuple[tuple[str, str], ...]:
    """(field name, manifest key) of every compared field: computed once per resource type."""
    return tuple((f.name, manifest_key(f.name, f.metadata)) for f in fields(resource_type) if f.compare)


def to_data(resource: Resource, managed_only: bool = False, sort_lists: bool = True) -> dict[str, Any]:
    """Manifest-shaped dict of a resource. ``tags`` becomes a mapping. With ``managed_only``
    the scalar attributes left unmanaged (None) are dropped, so they never show as a diff."""
    out: dict[str, Any] = {}
    for name, key in _compared_keys(type(resource)):
        value = getattr(resource, name)
        if value is None and managed_only and name not in NONE_MEANS_NONE:
            continue
        if name == "tags":
            out[key] = dict(value)
        elif name in ("filter_tags", "binding_keys"):
            # order is not significant to the service
            out[key] = sorted(value) if sort_lists else list(value)
        else:
            out[key] = manifest_value(value)
    return out


def _dead_letter(data: dict[str, Any] | None) -> DeadLetter | None:
    if not data:
        return None
    return DeadLetter(
        queue=data["queue"],
        max_receive_count=data.get("maxReceiveCount"),
        max_time_to_live=data.get("maxTimeToLive"),
    )


def _transaction(data: dict[str, Any] | None) -> Transaction | None:
    if data is None:
        return None
    return Transaction(
        first_query_interval=data.get("firstQueryInterval"), max_query_count=data.get("maxQueryCount")
    )


def _location(data: Any) -> SourceLocation | None:
    if not data:
        return None
    return SourceLocation(str(data["file"]), int(data["line"]), int(data["column"]))


def _loc_data(loc: SourceLocation | None) -> dict[str, Any] | None:
    return None if loc is None else {"file": loc.file, "line": loc.line, "column": loc.column}


def queue_from_data(data: dict[str, Any]) -> Queue:
    return Queue(
        name=data["name"],
        visibility_timeout=data.get("visibilityTimeout"),
        polling_wait_seconds=data.get("pollingWaitSeconds"),
        msg_retention_seconds=data.get("msgRetentionSeconds"),
        max_msg_heap_num=data.get("maxMsgHeapNum"),
        max_msg_size=data.get("maxMsgSize"),
        rewind_seconds=data.get("rewindSeconds"),
        retention_size_in_mb=data.get("retentionSizeInMB"),
        trace=data.get("trace"),
        transaction=_transaction(data.get("transaction")),
        dead_letter=_dead_letter(data.get("deadLetter")),
        tags=tuple(sorted((data.get("tags") or {}).items())),
        protect=bool(data.get("protect", False)),
        source=_location(data.get("source")),
    )


def topic_from_data(data: dict[str, Any]) -> Topic:
    return Topic(
        name=data["name"],
        filter_type=FilterType(data.get("filterType", FilterType.TAG.value)),
        max_msg_size=data.get("maxMsgSize"),
        msg_retention_seconds=data.get("msgRetentionSeconds"),
        trace=data.get("trace"),
        tags=tuple(sorted((data.get("tags") or {}).items())),
        protect=bool(data.get("protect", False)),
        source=_location(data.get("source")),
    )


def subscription_from_data(data: dict[str, Any]) -> Subscription:
    strategy = data.get("notifyStrategy")
    content = data.get("notifyContentFormat")
    return Subscription(
        topic=data["topic"],
        name=data["name"],
        protocol=Protocol(data["protocol"]),
        endpoint=data["endpoint"],
        notify_strategy=NotifyStrategy(strategy) if strategy else None,
        notify_content_format=NotifyContentFormat(content) if content else None,
        filter_tags=tuple(data.get("filterTags") or ()),
        binding_keys=tuple(data.get("bindingKeys") or ()),
        source=_location(data.get("source")),
    )


def _with_source(resource: Resource) -> dict[str, Any]:
    data = to_data(resource, sort_lists=False)
    data["source"] = _loc_data(resource.source)
    return data


def stack_to_data(stack: Stack) -> dict[str, Any]:
    """The desired stack, complete (source locations included), for saved plans."""
    return {
        "name": stack.name,
        "region": stack.region,
        "source": _loc_data(stack.source),
        "queues": [_with_source(q) for q in stack.queues],
        "topics": [_with_source(t) for t in stack.topics],
        "subscriptions": [_with_source(s) for s in stack.subscriptions],
        "renamedFrom": stack.renamed_from,
        "moved": [
            {
                "address": m.address,
                "fromStack": m.from_stack,
                "toStack": m.to_stack,
                "source": _loc_data(m.source),
            }
            for m in stack.moved
        ],
        "removed": [{"address": r.address, "source": _loc_data(r.source)} for r in stack.removed],
        "import": [{"address": i.address, "id": i.id, "source": _loc_data(i.source)} for i in stack.imports],
    }


def stack_from_data(data: dict[str, Any]) -> Stack:
    return Stack(
        name=data["name"],
        region=data.get("region"),
        queues=tuple(queue_from_data(q) for q in data.get("queues", [])),
        topics=tuple(topic_from_data(t) for t in data.get("topics", [])),
        subscriptions=tuple(subscription_from_data(s) for s in data.get("subscriptions", [])),
        source=_location(data.get("source")),
        renamed_from=data.get("renamedFrom"),
        moved=tuple(
            Moved(m["address"], m.get("fromStack"), m.get("toStack"), _location(m.get("source")))
            for m in data.get("moved") or ()
        ),
        removed=tuple(Removed(r["address"], _location(r.get("source"))) for r in data.get("removed") or ()),
        imports=tuple(
            Import(i["address"], i.get("id"), _location(i.get("source"))) for i in data.get("import") or ()
        ),
    )
