"""API payloads <-> model values.

Reading normalises what the service returns (nulls, 0/1 flags, DeadLetterPolicy,
TransactionPolicy, FilterType numbers, ownership tags) into the model, so that a resource
created from a desired value reads back equal to it. Writing turns model values into request
parameters, sending only managed (non-None) attributes on create and only changes on modify.
"""

from __future__ import annotations

from typing import Any

from cmqinfra.live import LiveQueue, LiveSubscription, LiveTopic, MessageCounts
from cmqinfra.model import (
    PROTECT_TAG,
    RESERVED_TAG_PREFIX,
    STACK_TAG,
    DeadLetter,
    FilterType,
    NotifyContentFormat,
    NotifyStrategy,
    Protocol,
    Queue,
    Subscription,
    Tags,
    Topic,
    Transaction,
    tags_of,
)

Params = dict[str, Any]


# ---------------------------------------------------------------- reading


def _tags(raw: list[dict[str, Any]] | None) -> dict[str, str]:
    return {str(t.get("TagKey")): str(t.get("TagValue") or "") for t in raw or () if t.get("TagKey")}


def split_tags(raw: list[dict[str, Any]] | None) -> tuple[Tags, str | None, bool]:
    """(user tags, owning stack, protected) from the API's Tags list."""
    tags = _tags(raw)
    user = tags_of({k: v for k, v in tags.items() if not k.startswith(RESERVED_TAG_PREFIX)})
    return user, tags.get(STACK_TAG), tags.get(PROTECT_TAG) == "true"


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def dead_letter_from_api(policy: dict[str, Any] | None) -> DeadLetter | None:
    if not policy or not policy.get("DeadLetterQueue"):
        return None
    if int(policy.get("Policy") or 0) == 1:
        return DeadLetter(queue=policy["DeadLetterQueue"], max_time_to_live=_int(policy.get("MaxTimeToLive")))
    return DeadLetter(queue=policy["DeadLetterQueue"], max_receive_count=_int(policy.get("MaxReceiveCount")))


def transaction_from_api(flag: Any, policy: dict[str, Any] | None) -> Transaction | None:
    if not flag:
        return None
    policy = policy or {}
    return Transaction(
        first_query_interval=_int(policy.get("FirstQueryInterval")),
        max_query_count=_int(policy.get("MaxQueryCount")),
    )


def queue_from_api(data: dict[str, Any]) -> LiveQueue:
    user_tags, owner, protected = split_tags(data.get("Tags"))
    queue = Queue(
        name=data["QueueName"],
        visibility_timeout=_int(data.get("VisibilityTimeout")),
        polling_wait_seconds=_int(data.get("PollingWaitSeconds")),
        msg_retention_seconds=_int(data.get("MsgRetentionSeconds")),
        max_msg_heap_num=_int(data.get("MaxMsgHeapNum")),
        max_msg_size=_int(data.get("MaxMsgSize")),
        rewind_seconds=_int(data.get("RewindSeconds")) or 0,
        retention_size_in_mb=_int(data.get("RetentionSizeInMB")) or 0,
        trace=bool(data.get("Trace")),
        transaction=transaction_from_api(data.get("Transaction"), data.get("TransactionPolicy")),
        dead_letter=dead_letter_from_api(data.get("DeadLetterPolicy")),
        tags=user_tags,
        protect=protected,
    )
    return LiveQueue(
        queue=queue,
        queue_id=str(data.get("QueueId") or ""),
        owner=owner,
        protected=protected,
        messages=MessageCounts(
            active=int(data.get("ActiveMsgNum") or 0),
            inactive=int(data.get("InactiveMsgNum") or 0),
            delayed=int(data.get("DelayMsgNum") or 0),
        ),
        dead_letter_sources=tuple(
            str(s["QueueName"]) for s in data.get("DeadLetterSource") or () if s.get("QueueName")
        ),
    )


def topic_from_api(data: dict[str, Any]) -> LiveTopic:
    user_tags, owner, protected = split_tags(data.get("Tags"))
    topic = Topic(
        name=data["TopicName"],
        filter_type=FilterType.from_api(_int(data.get("FilterType"))),
        max_msg_size=_int(data.get("MaxMsgSize")),
        msg_retention_seconds=_int(data.get("MsgRetentionSeconds")),
        trace=bool(data.get("Trace")),
        tags=user_tags,
        protect=protected,
    )
    return LiveTopic(topic=topic, topic_id=str(data.get("TopicId") or ""), owner=owner, protected=protected)


def subscription_from_api(topic: str, data: dict[str, Any]) -> LiveSubscription:
    strategy = data.get("NotifyStrategy")
    content = data.get("NotifyContentFormat")
    subscription = Subscription(
        topic=str(data.get("TopicName") or topic),
        name=data["SubscriptionName"],
        protocol=Protocol(str(data.get("Protocol") or "queue").lower()),
        endpoint=str(data.get("Endpoint") or ""),
        notify_strategy=NotifyStrategy(strategy) if strategy else None,
        notify_content_format=NotifyContentFormat(content) if content else None,
        filter_tags=tuple(data.get("FilterTags") or data.get("FilterTag") or ()),
        binding_keys=tuple(data.get("BindingKey") or ()),
    )
    return LiveSubscription(subscription=subscription, subscription_id=str(data.get("SubscriptionId") or ""))


# ---------------------------------------------------------------- writing


def api_tags(tags: Tags) -> list[dict[str, str]]:
    return [{"TagKey": k, "TagValue": v} for k, v in tags]


def _dead_letter_params(dead_letter: DeadLetter) -> Params:
    params: Params = {"DeadLetterQueueName": dead_letter.queue, "Policy": dead_letter.api_policy}
    if dead_letter.max_time_to_live is not None:
        params["MaxTimeToLive"] = dead_letter.max_time_to_live
    else:
        params["MaxReceiveCount"] = dead_letter.max_receive_count
    return params


def _transaction_params(transaction: Transaction | None) -> Params:
    if transaction is None:
        return {"Transaction": 0}
    params: Params = {"Transaction": 1}
    if transaction.first_query_interval is not None:
        params["FirstQueryInterval"] = transaction.first_query_interval
    if transaction.max_query_count is not None:
        params["MaxQueryCount"] = transaction.max_query_count
    return params


_QUEUE_SCALARS = {
    "visibility_timeout": "VisibilityTimeout",
    "polling_wait_seconds": "PollingWaitSeconds",
    "msg_retention_seconds": "MsgRetentionSeconds",
    "max_msg_heap_num": "MaxMsgHeapNum",
    "max_msg_size": "MaxMsgSize",
    "rewind_seconds": "RewindSeconds",
    "retention_size_in_mb": "RetentionSizeInMB",
    "trace": "Trace",
}
_TOPIC_SCALARS = {
    "max_msg_size": "MaxMsgSize",
    "msg_retention_seconds": "MsgRetentionSeconds",
    "trace": "Trace",
}


def create_queue_params(queue: Queue, tags: Tags) -> Params:
    params: Params = {"QueueName": queue.name}
    for attr, api_name in _QUEUE_SCALARS.items():
        value = getattr(queue, attr)
        if value is not None:
            params[api_name] = value
    if not queue.rewind_seconds:
        # With rewind off the service wants no storage size at all (0 means "off").
        params.pop("RetentionSizeInMB", None)
    if queue.transaction is not None:
        params.update(_transaction_params(queue.transaction))
    if queue.dead_letter is not None:
        params.update(_dead_letter_params(queue.dead_letter))
    if tags:
        params["Tags"] = api_tags(tags)
    return params


def modify_queue_params(before: Queue, after: Queue) -> Params:
    """Only the changed attributes; an empty dict means nothing to send. Dead-letter removal is
    not expressible here (it is UnbindCmqDeadLetter)."""
    params: Params = {}
    for attr, api_name in _QUEUE_SCALARS.items():
        value = getattr(after, attr)
        if value is not None and value != getattr(before, attr):
            params[api_name] = value
    if "RewindSeconds" in params or "RetentionSizeInMB" in params:
        # The service checks the pair together; send both so the new combination is judged.
        params["RewindSeconds"] = (
            after.rewind_seconds if after.rewind_seconds is not None else before.rewind_seconds
        )
        if params["RewindSeconds"] and after.retention_size_in_mb:
            params["RetentionSizeInMB"] = after.retention_size_in_mb
        elif not params["RewindSeconds"]:
            params.pop("RetentionSizeInMB", None)
    if after.transaction != before.transaction:
        params.update(_transaction_params(after.transaction))
    if after.dead_letter is not None and after.dead_letter != before.dead_letter:
        params.update(_dead_letter_params(after.dead_letter))
    return params


def create_topic_params(topic: Topic, tags: Tags) -> Params:
    params: Params = {"TopicName": topic.name, "FilterType": topic.filter_type.api_value}
    for attr, api_name in _TOPIC_SCALARS.items():
        value = getattr(topic, attr)
        if value is not None:
            params[api_name] = value
    if tags:
        params["Tags"] = api_tags(tags)
    return params


def modify_topic_params(before: Topic, after: Topic) -> Params:
    params: Params = {}
    for attr, api_name in _TOPIC_SCALARS.items():
        value = getattr(after, attr)
        if value is not None and value != getattr(before, attr):
            params[api_name] = value
    return params


def create_subscription_params(sub: Subscription) -> Params:
    params: Params = {
        "TopicName": sub.topic,
        "SubscriptionName": sub.name,
        "Protocol": sub.protocol.value,
        "Endpoint": sub.endpoint,
    }
    if sub.notify_strategy is not None:
        params["NotifyStrategy"] = sub.notify_strategy.value
    if sub.notify_content_format is not None:
        params["NotifyContentFormat"] = sub.notify_content_format.value
    if sub.filter_tags:
        params["FilterTag"] = list(sub.filter_tags)
    if sub.binding_keys:
        params["BindingKey"] = list(sub.binding_keys)
    return params


def modify_subscription_params(before: Subscription, after: Subscription) -> Params:
    """Changed attributes only. Emptied filter tags are ClearCmqSubscriptionFilterTags instead."""
    params: Params = {}
    if after.notify_strategy is not None and after.notify_strategy != before.notify_strategy:
        params["NotifyStrategy"] = after.notify_strategy.value
    if (
        after.notify_content_format is not None
        and after.notify_content_format != before.notify_content_format
    ):
        params["NotifyContentFormat"] = after.notify_content_format.value
    if after.filter_tags and sorted(after.filter_tags) != sorted(before.filter_tags):
        params["FilterTags"] = list(after.filter_tags)
    if sorted(after.binding_keys) != sorted(before.binding_keys):
        params["BindingKey"] = list(after.binding_keys)
    return params


def matches(desired: Queue | Topic | Subscription, live: Queue | Topic | Subscription) -> bool:
    """Whether a live resource already is what a create asked for (managed attributes only)."""
    from dataclasses import fields

    for f in fields(desired):
        if not f.compare or f.name == "protect":
            continue
        wanted = getattr(desired, f.name)
        if wanted is None and f.name not in ("dead_letter", "transaction"):
            continue
        have = getattr(live, f.name)
        if f.name in ("filter_tags", "binding_keys"):
            wanted, have = sorted(wanted), sorted(have)
        if f.name == "name":
            wanted, have = str(wanted).casefold(), str(have).casefold()
        if f.name == "transaction" and wanted is not None and have is not None:
            wanted = Transaction(
                first_query_interval=wanted.first_query_interval,
                max_query_count=wanted.max_query_count,
            )
            have = Transaction(
                first_query_interval=have.first_query_interval
                if wanted.first_query_interval is not None
                else None,
                max_query_count=have.max_query_count if wanted.max_query_count is not None else None,
            )
        if wanted != have:
            return False
    return True
