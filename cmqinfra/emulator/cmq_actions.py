"""The CMQ API's actions: legacy parameter names and ranges, mapped onto the shared backend.

Each action reads camelCase parameters (``queueName``, ``msgBody.N``...), checks them against the
legacy API's documented ranges (docs/emulator.md), calls the backend or the domain handler the
API 3.0 door also uses, and returns the reply's fields (times in seconds).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from cmqinfra.emulator import catalog, messages, queues, topics
from cmqinfra.emulator.backend import TOPIC_OWNER, Backend
from cmqinfra.emulator.context import Context
from cmqinfra.emulator.messages import Message
from cmqinfra.emulator.rules import like_pattern

BATCH_LIMIT = 16
# BatchSend/BatchPublish: "total <= 64 KB" per the actions' docs; the error table's 4470 says
# 1 MB. The stricter bound is kept (docs/emulator.md, choice 28): what passes here passes there.
MAX_BATCH_BYTES = 64 * 1024
MAX_WAIT_SECONDS = 30
MAX_DELAY_SECONDS = 3600
MAX_MSG_TAGS, MAX_MSG_TAG_LEN = 5, 16
MAX_ROUTING_KEY_BYTES, MAX_ROUTING_KEY_DOTS = 64, 15
LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX = 20, 50
_INTEGER = re.compile(r"-?[0-9]{1,18}")
SUBSCRIPTION_LIMIT_MAX = 100

LEGACY_QUEUE_RANGES: dict[str, tuple[int, int]] = {
    "MaxMsgHeapNum": (1_000_000, 1_000_000_000),
    "PollingWaitSeconds": (0, 30),
    "VisibilityTimeout": (1, 43200),
    "MaxMsgSize": (1024, 65536),
    "MsgRetentionSeconds": (60, 1296000),
    "RewindSeconds": (0, 1296000),  # and at most msgRetentionSeconds (checked below)
    "MaxReceiveCount": (1, 1000),
    "MaxTimeToLive": (300, 43200),
}
LEGACY_QUEUE_DEFAULTS: dict[str, int] = {
    "MaxMsgHeapNum": 10_000_000,
    "PollingWaitSeconds": 0,
    "VisibilityTimeout": 30,
    "MaxMsgSize": 65536,
    "MsgRetentionSeconds": 345600,
    "RewindSeconds": 0,
    "RetentionSizeInMB": 0,
}
_QUEUE_FIELDS = {
    "maxMsgHeapNum": "MaxMsgHeapNum",
    "pollingWaitSeconds": "PollingWaitSeconds",
    "visibilityTimeout": "VisibilityTimeout",
    "maxMsgSize": "MaxMsgSize",
    "msgRetentionSeconds": "MsgRetentionSeconds",
    "rewindSeconds": "RewindSeconds",
}


class FormError(Exception):
    """A CMQ error answer: code, module, text."""

    def __init__(self, code: int, module: int, text: str) -> None:
        super().__init__(f"{code}/{module}: {text}")
        self.code = code
        self.module = module
        self.text = text


class Params:
    """The request's parameters with typed, range-checked accessors raising CMQ errors."""

    def __init__(self, raw: dict[str, str]) -> None:
        self.raw = raw

    def has(self, name: str) -> bool:
        return name in self.raw

    def text(self, name: str, required: bool = True) -> str | None:
        value = self.raw.get(name)
        if value is None and required:
            raise FormError(4000, 10010, f"missing parameter {name}")
        return value

    def name(self, name: str) -> str:
        value = self.text(name)
        assert value is not None
        if not value:
            raise FormError(4000, 10010, f"missing parameter {name}")
        return value

    def number(self, name: str, low: int | None = None, high: int | None = None) -> int | None:
        value = self.raw.get(name)
        if value is None or value == "":
            return None
        # int() also takes " 5", "5_0" and non-ASCII digits ("٥"); the service takes ASCII digits.
        if _INTEGER.fullmatch(value) is None:
            raise FormError(4000, 10360, f"parameter {name} must be an integer")
        number = int(value)
        if (low is not None and number < low) or (high is not None and number > high):
            raise FormError(4000, 10350, f"parameter {name} ({number}) is outside {low}..{high}")
        return number

    def items(self, prefix: str, limit: int = BATCH_LIMIT, over: int = 10370) -> list[str]:
        """``prefix.N`` values in N order; N starts at 0 or 1 and runs without gaps."""
        found: dict[int, str] = {}
        for key, value in self.raw.items():
            head, dot, index = key.partition(".")
            if head == prefix and dot:
                if not index.isdigit() or len(index) > 6:
                    raise FormError(4000, 10380, f"parameter `{key[:64]}` is not {prefix}.N")
                found[int(index)] = value
        if len(found) > limit:
            raise FormError(4000, over, f"at most {limit} {prefix}.N values")
        if found:
            first = min(found)
            if first not in (0, 1) or sorted(found) != list(range(first, first + len(found))):
                raise FormError(4000, 10380, f"{prefix}.N must count from 0 or 1 without gaps")
        return [found[index] for index in sorted(found)]


Action = Callable[[Backend, Params], dict[str, Any]]


def _run(backend: Backend, fn: Callable[[Context], dict[str, Any]]) -> dict[str, Any]:
    with backend.transaction() as ctx:
        return fn(ctx)


# -------------------------------------------------------------------------------------------- queues


def _dead_letter(params: Params) -> dict[str, Any]:
    text = params.text("deadLetterPolicy", required=False)
    if not text:
        return {}
    try:
        policy = json.loads(text)
    except ValueError:
        raise FormError(4000, 10710, "deadLetterPolicy is not JSON") from None
    if not isinstance(policy, dict):
        raise FormError(4000, 10720, "deadLetterPolicy must be a JSON object")
    if not isinstance(policy.get("deadLetterQueue"), str) or not policy["deadLetterQueue"]:
        raise FormError(4000, 10760, "deadLetterPolicy needs deadLetterQueue")
    kind = policy.get("policy", 0)
    if kind not in (0, 1):
        raise FormError(4000, 10770, "deadLetterPolicy policy must be 0 or 1")
    result: dict[str, Any] = {"DeadLetterQueueName": policy["deadLetterQueue"], "Policy": kind}
    for key, field in (("maxReceiveCount", "MaxReceiveCount"), ("maxTimeToLive", "MaxTimeToLive")):
        value = policy.get(key)
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int):
                raise FormError(4000, 10720, f"deadLetterPolicy {key} must be an integer")
            result[field] = value
    return result


def _queue_attributes(params: Params) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    for legacy, field in _QUEUE_FIELDS.items():
        value = params.number(legacy)
        if value is not None:
            attrs[field] = value
    attrs.update(_dead_letter(params))
    return attrs


def _check_rewind(attrs: dict[str, Any], retention: int) -> None:
    rewind = attrs.get("RewindSeconds", 0)
    if rewind > retention:
        raise FormError(4000, 10700, f"rewindSeconds ({rewind}) is over msgRetentionSeconds ({retention})")


def create_queue(backend: Backend, params: Params) -> dict[str, Any]:
    name = params.name("queueName")
    attrs = _queue_attributes(params)
    _check_rewind(attrs, attrs.get("MsgRetentionSeconds", LEGACY_QUEUE_DEFAULTS["MsgRetentionSeconds"]))
    result = _run(
        backend,
        lambda ctx: queues.create_queue(
            ctx, {"QueueName": name, **attrs}, LEGACY_QUEUE_RANGES, LEGACY_QUEUE_DEFAULTS
        ),
    )
    return {"queueId": result["QueueId"]}


def set_queue_attributes(backend: Backend, params: Params) -> dict[str, Any]:
    name = params.name("queueName")
    attrs = _queue_attributes(params)

    def run(ctx: Context) -> dict[str, Any]:
        row = messages.require_queue(ctx.conn, name)
        _check_rewind(attrs, attrs.get("MsgRetentionSeconds", row["msg_retention_seconds"]))
        queues.modify_queue(
            ctx, {"QueueName": name, **attrs}, LEGACY_QUEUE_RANGES, max_msg_size_settable=True
        )
        return _queue_view(ctx, messages.require_queue(ctx.conn, name))

    return _run(backend, run)


def _queue_view(ctx: Context, row: Any) -> dict[str, Any]:
    counts = messages.counts(ctx.conn, row, ctx.now_ms)
    view: dict[str, Any] = {
        "queueId": row["id"],
        "queueName": row["name"],
        "maxMsgHeapNum": row["max_msg_heap_num"],
        "pollingWaitSeconds": row["polling_wait_seconds"],
        "visibilityTimeout": row["visibility_timeout"],
        "maxMsgSize": row["max_msg_size"],
        "msgRetentionSeconds": row["msg_retention_seconds"],
        "createTime": row["create_ms"] // 1000,
        "lastModifyTime": row["modify_ms"] // 1000,
        "activeMsgNum": counts.active,
        "inactiveMsgNum": counts.inactive,
        "delayMsgNum": counts.delayed,
        "rewindSeconds": row["rewind_seconds"],
        "rewindmsgNum": counts.rewindable,
        "rewindMsgNum": counts.rewindable,
        "minMsgTime": 0 if counts.min_msg_ms is None else counts.min_msg_ms // 1000,
    }
    if row["dlq_name_lc"]:
        view["deadLetterPolicy"] = {
            "deadLetterQueue": catalog.queue_id(ctx.conn, row["dlq_name_lc"]) or "",
            "deadLetterQueueName": row["dlq_name"],
            "policy": row["dlq_policy"],
            "maxReceiveCount": row["max_receive_count"] or 0,
            "maxTimeToLive": row["max_time_to_live"] or 0,
        }
    return view


def get_queue_attributes(backend: Backend, params: Params) -> dict[str, Any]:
    name = params.name("queueName")
    return _run(backend, lambda ctx: _queue_view(ctx, messages.require_queue(ctx.conn, name)))


def delete_queue(backend: Backend, params: Params) -> dict[str, Any]:
    name = params.name("queueName")
    _run(backend, lambda ctx: queues.delete_queue(ctx, {"QueueName": name}))
    return {}


def _page(params: Params, limit_max: int) -> tuple[int, int]:
    offset = params.number("offset", 0) or 0
    limit = params.number("limit", 0, limit_max)
    return offset, limit or LIST_LIMIT_DEFAULT


def _like(params: Params) -> str:
    return like_pattern(params.text("searchWord", required=False) or "")


def _listing(backend: Backend, params: Params, lister: Any, kind: str) -> dict[str, Any]:
    """ListQueue / ListTopic: one page of names matching searchWord, in the legacy field names
    (``queueList`` of ``queueId``/``queueName``, ``topicList`` of ``topicId``/``topicName``)."""
    offset, limit = _page(params, LIST_LIMIT_MAX)
    pattern = _like(params)

    def run(ctx: Context) -> dict[str, Any]:
        total, rows = lister(ctx.conn, pattern, offset, limit)
        return {
            "totalCount": total,
            f"{kind}List": [{f"{kind}Id": r["id"], f"{kind}Name": r["name"]} for r in rows],
        }

    return _run(backend, run)


def list_queue(backend: Backend, params: Params) -> dict[str, Any]:
    return _listing(backend, params, catalog.list_queues, "queue")


def unbind_dead_letter_queue(backend: Backend, params: Params) -> dict[str, Any]:
    name = params.name("queueName")
    _run(backend, lambda ctx: queues.unbind_dead_letter(ctx, {"SourceQueueName": name}))
    return {}


def list_dead_letter_source_queues(backend: Backend, params: Params) -> dict[str, Any]:
    dead = params.name("deadLetterQueueName")
    offset, limit = _page(params, LIST_LIMIT_MAX)
    pattern = _like(params)

    def run(ctx: Context) -> dict[str, Any]:
        row = messages.require_queue(ctx.conn, dead)
        total, rows = catalog.list_queues(ctx.conn, pattern, offset, limit, dead_letter_of=row["name_lc"])
        return {
            "totalCount": total,
            "queueList": [{"queueId": r["id"], "queueName": r["name"]} for r in rows],
        }

    return _run(backend, run)


def rewind_queue(backend: Backend, params: Params) -> dict[str, Any]:
    name = params.name("queueName")
    start = params.number("startConsumeTime", 0)
    if start is None:
        raise FormError(4000, 10010, "missing parameter startConsumeTime")
    backend.rewind(name, start)
    return {}


# ------------------------------------------------------------------------------------------ messages


def _message_view(message: Message) -> dict[str, Any]:
    return {
        "msgBody": message.body,
        "msgId": message.msg_id,
        "receiptHandle": message.receipt_handle,
        "enqueueTime": message.enqueue_ms // 1000,
        "firstDequeueTime": message.first_dequeue_ms // 1000,
        "nextVisibleTime": message.next_visible_ms // 1000,
        "dequeueCount": message.dequeue_count,
    }


def _bodies(params: Params) -> list[str]:
    bodies = params.items("msgBody")
    if not bodies:
        raise FormError(4000, 10010, "missing parameter msgBody.N")
    if any(not body for body in bodies):
        raise FormError(4000, 10120, "a message body is empty")
    if sum(len(body.encode("utf-8")) for body in bodies) > MAX_BATCH_BYTES:
        raise FormError(4470, 10300, "the batch's bodies are larger than 64 KB together")
    return bodies


def _body(params: Params) -> str:
    body = params.text("msgBody")
    if not body:
        raise FormError(4000, 10120, "the message body is empty")
    return body


def send_message(backend: Backend, params: Params) -> dict[str, Any]:
    name = params.name("queueName")
    body = _body(params)
    delay = params.number("delaySeconds", 0, MAX_DELAY_SECONDS) or 0
    return {"msgId": backend.send(name, body, delay)}


def batch_send_message(backend: Backend, params: Params) -> dict[str, Any]:
    name = params.name("queueName")
    bodies = _bodies(params)
    delay = params.number("delaySeconds", 0, MAX_DELAY_SECONDS) or 0
    return {"msgList": [{"msgId": msg_id} for msg_id in backend.send_batch(name, bodies, delay)]}


def _wait(params: Params) -> float | None:
    # The documented range is 0-30: a longer wait is refused, not shortened (choice 26).
    wait = params.number("pollingWaitSeconds", 0, MAX_WAIT_SECONDS)
    return None if wait is None else float(wait)


def _no_message() -> FormError:
    return FormError(7000, 10200, "no message")


def receive_message(backend: Backend, params: Params) -> dict[str, Any]:
    got = backend.receive(params.name("queueName"), 1, _wait(params))
    if not got:
        raise _no_message()
    return _message_view(got[0])


def batch_receive_message(backend: Backend, params: Params) -> dict[str, Any]:
    name = params.name("queueName")
    count = params.number("numOfMsg", 1, BATCH_LIMIT)
    if count is None:
        raise FormError(4000, 10010, "missing parameter numOfMsg")
    got = backend.receive(name, count, _wait(params))
    if not got:
        raise _no_message()
    return {"msgInfoList": [_message_view(message) for message in got]}


def delete_message(backend: Backend, params: Params) -> dict[str, Any]:
    backend.delete(params.name("queueName"), params.name("receiptHandle"))
    return {}


def batch_delete_message(backend: Backend, params: Params) -> dict[str, Any]:
    name = params.name("queueName")
    handles = params.items("receiptHandle")
    if not handles:
        raise FormError(4000, 10010, "missing parameter receiptHandle.N")
    failed = backend.delete_batch(name, handles)
    if not failed:
        return {}
    error_list = []
    for handle, error in failed:
        code, module = error.cmq or (4430, 10260)
        error_list.append({"code": code, "message": f"({module}){error.message}", "receiptHandle": handle})
    if len(failed) == len(handles):
        raise BatchDeleteFailed(6020, 10290, "every receipt handle failed", error_list)
    raise BatchDeleteFailed(6010, 10150, "some receipt handles failed", error_list)


class BatchDeleteFailed(FormError):
    def __init__(self, code: int, module: int, text: str, error_list: list[dict[str, Any]]) -> None:
        super().__init__(code, module, text)
        self.error_list = error_list


# -------------------------------------------------------------------------------------------- topics


def create_topic(backend: Backend, params: Params) -> dict[str, Any]:
    name = params.name("topicName")
    request: dict[str, Any] = {"TopicName": name}
    size = params.number("maxMsgSize", 1024, 65536)
    if size is not None:
        request["MaxMsgSize"] = size
    kind = params.number("filterType", 1, 2)
    if kind is not None:
        request["FilterType"] = kind
    result = _run(backend, lambda ctx: topics.create_topic(ctx, request))
    return {"topicId": result["TopicId"]}


def set_topic_attributes(backend: Backend, params: Params) -> dict[str, Any]:
    name = params.name("topicName")
    request: dict[str, Any] = {"TopicName": name}
    size = params.number("maxMsgSize", 1024, 65536)
    if size is not None:
        request["MaxMsgSize"] = size
    _run(backend, lambda ctx: topics.modify_topic(ctx, request))
    return {}


def get_topic_attributes(backend: Backend, params: Params) -> dict[str, Any]:
    name = params.name("topicName")

    def run(ctx: Context) -> dict[str, Any]:
        row = messages.require_topic(ctx.conn, name)
        return {
            "topicId": row["id"],
            "topicName": row["name"],
            "msgCount": messages.topic_backlog(ctx.conn, row["name_lc"]),
            "maxMsgSize": row["max_msg_size"],
            "msgRetentionSeconds": messages.TOPIC_MESSAGE_RETENTION_SECONDS,
            "createTime": row["create_ms"] // 1000,
            "lastModifyTime": row["modify_ms"] // 1000,
            "filterType": row["filter_type"],
            "createUin": TOPIC_OWNER,
            "qps": 5000,
            "tags": [],
        }

    return _run(backend, run)


def delete_topic(backend: Backend, params: Params) -> dict[str, Any]:
    name = params.name("topicName")

    def run(ctx: Context) -> dict[str, Any]:
        row = messages.require_topic(ctx.conn, name)
        if catalog.subscription_count(ctx.conn, row["name_lc"]):
            raise FormError(4000, 10540, f"topic `{row['name']}` still has subscriptions")
        return topics.delete_topic(ctx, {"TopicName": name})

    _run(backend, run)
    return {}


def list_topic(backend: Backend, params: Params) -> dict[str, Any]:
    return _listing(backend, params, catalog.list_topics, "topic")


def _publish_filters(params: Params) -> tuple[list[str], str]:
    tags = params.items("msgTag", limit=MAX_MSG_TAGS, over=10720)
    for tag in tags:
        if not tag or len(tag) > MAX_MSG_TAG_LEN:
            raise FormError(4000, 10720, f"message tags have 1..{MAX_MSG_TAG_LEN} characters")
    key = params.text("routingKey", required=False) or ""
    if len(key.encode("utf-8")) > MAX_ROUTING_KEY_BYTES:
        raise FormError(4000, 10700, f"routingKey is longer than {MAX_ROUTING_KEY_BYTES} bytes")
    if key.count(".") > MAX_ROUTING_KEY_DOTS:
        raise FormError(4000, 10691, f"routingKey has more than {MAX_ROUTING_KEY_DOTS} dots")
    if "*" in key or "#" in key:
        raise FormError(4000, 10700, "routingKey cannot hold the wildcards * or #")
    return tags, key


def publish_message(backend: Backend, params: Params) -> dict[str, Any]:
    name = params.name("topicName")
    body = _body(params)
    tags, key = _publish_filters(params)
    delivery = backend.publish(name, body, tags, key)
    _refuse_unmatched(backend, name, [delivery])
    return {"msgId": delivery.msg_id}


def batch_publish_message(backend: Backend, params: Params) -> dict[str, Any]:
    name = params.name("topicName")
    bodies = _bodies(params)
    tags, key = _publish_filters(params)
    deliveries = backend.publish_batch(name, bodies, tags, key)
    _refuse_unmatched(backend, name, deliveries)
    return {"msgList": [{"msgId": d.msg_id} for d in deliveries]}


def _refuse_unmatched(backend: Backend, topic: str, deliveries: list[messages.Delivery]) -> None:
    """The legacy docs' 6030 for a publish nothing receives, when the backend is set to answer it
    (the message is dropped either way: nothing was delivered)."""
    if not backend.unmatched_publish_error or not messages.unmatched(deliveries):
        return
    with backend.transaction() as ctx:
        row = messages.require_topic(ctx.conn, topic)
        has_subscription = catalog.subscription_count(ctx.conn, row["name_lc"]) > 0
    if not has_subscription:
        raise FormError(6030, 10650, f"topic `{row['name']}` has no subscription")
    raise FormError(6030, 10730, "no subscription's filter tags or binding keys match the message")


# ------------------------------------------------------------------------------------- subscriptions


def _filters(params: Params, request: dict[str, Any], tags_field: str) -> None:
    # The documented modules for too many of each (Subscribe's error table).
    tags = params.items("filterTag", limit=5, over=10490)
    if tags:
        request[tags_field] = tags
    keys = params.items("bindingKey", limit=5, over=10680)
    if keys:
        request["BindingKey"] = keys


def subscribe(backend: Backend, params: Params) -> dict[str, Any]:
    request: dict[str, Any] = {
        "TopicName": params.name("topicName"),
        "SubscriptionName": params.name("subscriptionName"),
        "Protocol": params.name("protocol"),
        "Endpoint": params.name("endpoint"),
    }
    if any(ch.isspace() for ch in request["Endpoint"]):
        raise FormError(4510, 10570, "the endpoint holds whitespace")
    for legacy, field in (
        ("notifyStrategy", "NotifyStrategy"),
        ("notifyContentFormat", "NotifyContentFormat"),
    ):
        value = params.text(legacy, required=False)
        if value:
            request[field] = value
    _filters(params, request, "FilterTag")

    def run(ctx: Context) -> dict[str, Any]:
        if catalog.subscription_count(ctx.conn, request["TopicName"].lower()) >= 100:
            raise FormError(4500, 10480, "the topic has 100 subscriptions")
        return topics.create_subscription(ctx, request)

    return {"subscriptionId": _run(backend, run)["SubscriptionId"]}


def unsubscribe(backend: Backend, params: Params) -> dict[str, Any]:
    request = {"TopicName": params.name("topicName"), "SubscriptionName": params.name("subscriptionName")}
    _run(backend, lambda ctx: topics.delete_subscription(ctx, request))
    return {}


def _require_subscription(ctx: Context, topic: str, name: str) -> Any:
    row = catalog.find_subscription(ctx.conn, topic, name)
    if row is None:
        raise FormError(4000, 10560, f"subscription `{name}` of topic `{topic}` does not exist")
    return row


def get_subscription_attributes(backend: Backend, params: Params) -> dict[str, Any]:
    topic, name = params.name("topicName"), params.name("subscriptionName")

    def run(ctx: Context) -> dict[str, Any]:
        messages.require_topic(ctx.conn, topic)
        row = _require_subscription(ctx, topic, name)
        tags = json.loads(row["filter_tags"])
        return {
            "topicOwner": str(TOPIC_OWNER),
            "msgCount": row["msg_count"],
            "protocol": row["protocol"],
            "protocal": row["protocol"],  # the Python SDK reads this spelling
            "endpoint": row["endpoint"],
            "notifyStrategy": row["notify_strategy"],
            "notifyContentFormat": row["notify_content_format"],
            "createTime": row["create_ms"] // 1000,
            "lastModifyTime": row["modify_ms"] // 1000,
            "filterTag": tags,
            "filterTags": tags,
            "bindingKey": json.loads(row["binding_key"]) if row["binding_key"] else [],
        }

    return _run(backend, run)


def set_subscription_attributes(backend: Backend, params: Params) -> dict[str, Any]:
    request: dict[str, Any] = {
        "TopicName": params.name("topicName"),
        "SubscriptionName": params.name("subscriptionName"),
    }
    for legacy, field in (
        ("notifyStrategy", "NotifyStrategy"),
        ("notifyContentFormat", "NotifyContentFormat"),
    ):
        value = params.text(legacy, required=False)
        if value:
            request[field] = value
    _filters(params, request, "FilterTags")

    def run(ctx: Context) -> dict[str, Any]:
        messages.require_topic(ctx.conn, request["TopicName"])
        _require_subscription(ctx, request["TopicName"], request["SubscriptionName"])
        return topics.modify_subscription(ctx, request)

    _run(backend, run)
    return {}


def clear_subscription_filter_tags(backend: Backend, params: Params) -> dict[str, Any]:
    request = {"TopicName": params.name("topicName"), "SubscriptionName": params.name("subscriptionName")}

    def run(ctx: Context) -> dict[str, Any]:
        messages.require_topic(ctx.conn, request["TopicName"])
        _require_subscription(ctx, request["TopicName"], request["SubscriptionName"])
        return topics.clear_filter_tags(ctx, request)

    _run(backend, run)
    return {}


def list_subscription_by_topic(backend: Backend, params: Params) -> dict[str, Any]:
    topic = params.name("topicName")
    offset, limit = _page(params, SUBSCRIPTION_LIMIT_MAX)
    pattern = _like(params)

    def run(ctx: Context) -> dict[str, Any]:
        row = messages.require_topic(ctx.conn, topic)
        total, rows = catalog.list_subscriptions(ctx.conn, row["name_lc"], pattern, offset, limit)
        return {
            "totalCount": total,
            "subscriptionList": [
                {
                    "subscriptionId": r["id"],
                    "subscriptionName": r["name"],
                    "protocol": r["protocol"],
                    "endpoint": r["endpoint"],
                }
                for r in rows
            ],
        }

    return _run(backend, run)


ACTIONS: dict[str, Action] = {
    name.lower(): action
    for name, action in {
        "CreateQueue": create_queue,
        "DeleteQueue": delete_queue,
        "ListQueue": list_queue,
        "GetQueueAttributes": get_queue_attributes,
        "SetQueueAttributes": set_queue_attributes,
        "RewindQueue": rewind_queue,
        "UnbindDeadLetterQueue": unbind_dead_letter_queue,
        "ListDeadLetterSourceQueues": list_dead_letter_source_queues,
        "SendMessage": send_message,
        "BatchSendMessage": batch_send_message,
        "ReceiveMessage": receive_message,
        "BatchReceiveMessage": batch_receive_message,
        "DeleteMessage": delete_message,
        "BatchDeleteMessage": batch_delete_message,
        "CreateTopic": create_topic,
        "DeleteTopic": delete_topic,
        "ListTopic": list_topic,
        "GetTopicAttributes": get_topic_attributes,
        "SetTopicAttributes": set_topic_attributes,
        "PublishMessage": publish_message,
        "BatchPublishMessage": batch_publish_message,
        "Subscribe": subscribe,
        "Unsubscribe": unsubscribe,
        "ListSubscriptionByTopic": list_subscription_by_topic,
        "GetSubscriptionAttributes": get_subscription_attributes,
        "SetSubscriptionAttributes": set_subscription_attributes,
        "ClearSubscriptionFilterTags": clear_subscription_filter_tags,
    }.items()
}
