"""Building the model from checked entries: explicit values, then schema defaults.

Only called when there are no diagnostics, so values have the types the schema promised.
Defaults come from the schema's ``default`` keywords; the one conditional default
(notifyContentFormat: SIMPLIFIED for queue subscriptions, JSON for http) lives here.
"""

from __future__ import annotations

from typing import Any

from cmqinfra.manifest.entries import Entry, as_int
from cmqinfra.manifest.schema import schema_default
from cmqinfra.model import (
    DeadLetter,
    FilterType,
    NotifyContentFormat,
    NotifyStrategy,
    Protocol,
    Queue,
    Subscription,
    Topic,
    Transaction,
    tags_of,
)


def _value(entry: Entry, key: str) -> Any:
    if key in entry.settings:
        return entry.settings[key]
    return schema_default(entry.kind, key)


def _int(entry: Entry, key: str) -> int | None:
    return as_int(_value(entry, key))


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


def build_queue(entry: Entry) -> Queue:
    rewind = _int(entry, "rewindSeconds")
    # Rewind off means no rewind storage; rewind on without a size leaves the size alone.
    retention_size = 0 if not rewind else _int(entry, "retentionSizeInMB")
    return Queue(
        name=entry.name,
        visibility_timeout=_int(entry, "visibilityTimeout"),
        polling_wait_seconds=_int(entry, "pollingWaitSeconds"),
        msg_retention_seconds=_int(entry, "msgRetentionSeconds"),
        max_msg_heap_num=_int(entry, "maxMsgHeapNum"),
        max_msg_size=_int(entry, "maxMsgSize"),
        rewind_seconds=rewind,
        retention_size_in_mb=retention_size,
        trace=bool(_value(entry, "trace")),
        transaction=_transaction(entry.settings.get("transaction")),
        dead_letter=_dead_letter(entry.settings.get("deadLetter")),
        tags=tags_of(entry.settings.get("tags")),
        protect=bool(_value(entry, "protect")),
        source=entry.location,
    )


def build_topic(entry: Entry) -> Topic:
    return Topic(
        name=entry.name,
        filter_type=FilterType(_value(entry, "filterType")),
        max_msg_size=_int(entry, "maxMsgSize"),
        msg_retention_seconds=_int(entry, "msgRetentionSeconds"),
        trace=bool(_value(entry, "trace")),
        tags=tags_of(entry.settings.get("tags")),
        protect=bool(_value(entry, "protect")),
        source=entry.location,
    )


def build_subscription(entry: Entry) -> Subscription:
    assert entry.topic is not None
    protocol = Protocol(entry.settings["protocol"])
    fmt = entry.settings.get("notifyContentFormat")
    if fmt is None:
        fmt = "SIMPLIFIED" if protocol is Protocol.QUEUE else "JSON"
    return Subscription(
        topic=entry.topic,
        name=entry.name,
        protocol=protocol,
        endpoint=str(entry.settings["endpoint"]),
        notify_strategy=NotifyStrategy(_value(entry, "notifyStrategy")),
        notify_content_format=NotifyContentFormat(fmt),
        filter_tags=tuple(entry.settings.get("filterTags") or ()),
        binding_keys=tuple(entry.settings.get("bindingKeys") or ()),
        source=entry.location,
    )
