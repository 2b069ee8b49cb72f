"""Request parameters: the api.json member table of every emulated action, and its type check.

A request is checked against this table before any rule runs, so handlers only ever see
parameters of the documented type: unknown names -> UnknownParameter, missing required ones ->
MissingParameter, wrong JSON types -> InvalidParameter, negative unsigned numbers ->
InvalidParameterValue. GET requests (flattened ``Tags.0.TagKey=k`` query strings with every value
a string) are unflattened and coerced first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cmqinfra.emulator.errors import ApiError

STR, UINT, INT, BOOL = "str", "uint", "int", "bool"
MAX_LIST_ITEMS = 10_000  # keeps every IN (...) well under SQLite's bound-variable limit
LIST_STR, TAGS, FILTERS, TAG_KEYS = "list[str]", "list[Tag]", "list[Filter]", "list[TagKeyObject]"

# nested object types: field -> (type, required)
OBJECTS: dict[str, dict[str, tuple[str, bool]]] = {
    TAGS: {"TagKey": (STR, True), "TagValue": (STR, True)},
    FILTERS: {"Name": (STR, True), "Values": (LIST_STR, False)},
    TAG_KEYS: {"TagKey": (STR, True)},
}

_QUEUE_ATTRS = {
    "MaxMsgHeapNum": UINT,
    "PollingWaitSeconds": UINT,
    "VisibilityTimeout": UINT,
    "MaxMsgSize": UINT,
    "MsgRetentionSeconds": UINT,
    "RewindSeconds": UINT,
    "Transaction": UINT,
    "FirstQueryInterval": UINT,
    "MaxQueryCount": UINT,
    "DeadLetterQueueName": STR,
    "Policy": UINT,
    "MaxReceiveCount": UINT,
    "MaxTimeToLive": UINT,
    "Trace": BOOL,
    "RetentionSizeInMB": UINT,
}
_LISTING = {"Offset": UINT, "Limit": UINT, "IsTagFilter": BOOL, "Filters": FILTERS}


@dataclass(frozen=True)
class ActionSpec:
    service: str
    members: dict[str, str]
    required: frozenset[str]


def _spec(service: str, members: dict[str, str], *required: str) -> ActionSpec:
    return ActionSpec(service, members, frozenset(required))


ACTIONS: dict[str, ActionSpec] = {
    "CreateCmqQueue": _spec("tdmq", {"QueueName": STR, **_QUEUE_ATTRS, "Tags": TAGS}, "QueueName"),
    "DescribeCmqQueues": _spec("tdmq", {**_LISTING, "QueueName": STR, "QueueNameList": LIST_STR}),
    "DescribeCmqQueueDetail": _spec("tdmq", {"QueueName": STR}, "QueueName"),
    "ModifyCmqQueueAttribute": _spec("tdmq", {"QueueName": STR, **_QUEUE_ATTRS}, "QueueName"),
    "DeleteCmqQueue": _spec("tdmq", {"QueueName": STR}, "QueueName"),
    "ClearCmqQueue": _spec("tdmq", {"QueueName": STR}, "QueueName"),
    "RewindCmqQueue": _spec(
        "tdmq", {"QueueName": STR, "StartConsumeTime": UINT}, "QueueName", "StartConsumeTime"
    ),
    "UnbindCmqDeadLetter": _spec("tdmq", {"SourceQueueName": STR}, "SourceQueueName"),
    "SendCmqMsg": _spec(
        "tdmq",
        {"QueueName": STR, "MsgContent": STR, "DelaySeconds": INT},
        "QueueName",
        "MsgContent",
        "DelaySeconds",
    ),
    "CreateCmqTopic": _spec(
        "tdmq",
        {
            "TopicName": STR,
            "MaxMsgSize": UINT,
            "FilterType": UINT,
            "MsgRetentionSeconds": UINT,
            "Trace": BOOL,
            "Tags": TAGS,
        },
        "TopicName",
    ),
    "DescribeCmqTopics": _spec("tdmq", {**_LISTING, "TopicName": STR, "TopicNameList": LIST_STR}),
    "DescribeCmqTopicDetail": _spec("tdmq", {"TopicName": STR}),
    "ModifyCmqTopicAttribute": _spec(
        "tdmq",
        {"TopicName": STR, "MaxMsgSize": UINT, "MsgRetentionSeconds": UINT, "Trace": BOOL},
        "TopicName",
    ),
    "DeleteCmqTopic": _spec("tdmq", {"TopicName": STR}, "TopicName"),
    "PublishCmqMsg": _spec(
        "tdmq", {"TopicName": STR, "MsgContent": STR, "MsgTag": LIST_STR}, "TopicName", "MsgContent"
    ),
    "CreateCmqSubscribe": _spec(
        "tdmq",
        {
            "TopicName": STR,
            "SubscriptionName": STR,
            "Protocol": STR,
            "Endpoint": STR,
            "NotifyStrategy": STR,
            "FilterTag": LIST_STR,
            "BindingKey": LIST_STR,
            "NotifyContentFormat": STR,
        },
        "TopicName",
        "SubscriptionName",
        "Protocol",
        "Endpoint",
    ),
    "DescribeCmqSubscriptionDetail": _spec(
        "tdmq",
        {
            "TopicName": STR,
            "Offset": UINT,
            "Limit": UINT,
            "SubscriptionName": STR,
            "QueueName": STR,
            "QueryType": STR,
        },
    ),
    "ModifyCmqSubscriptionAttribute": _spec(
        "tdmq",
        {
            "TopicName": STR,
            "SubscriptionName": STR,
            "NotifyStrategy": STR,
            "NotifyContentFormat": STR,
            "FilterTags": LIST_STR,
            "BindingKey": LIST_STR,
        },
        "TopicName",
        "SubscriptionName",
    ),
    "DeleteCmqSubscribe": _spec(
        "tdmq", {"TopicName": STR, "SubscriptionName": STR}, "TopicName", "SubscriptionName"
    ),
    "ClearCmqSubscriptionFilterTags": _spec(
        "tdmq", {"TopicName": STR, "SubscriptionName": STR}, "TopicName", "SubscriptionName"
    ),
    "ModifyResourceTags": _spec(
        "tag", {"Resource": STR, "ReplaceTags": TAGS, "DeleteTags": TAG_KEYS}, "Resource"
    ),
    "TagResources": _spec("tag", {"ResourceList": LIST_STR, "Tags": TAGS}, "ResourceList", "Tags"),
    "UnTagResources": _spec(
        "tag", {"ResourceList": LIST_STR, "TagKeys": LIST_STR}, "ResourceList", "TagKeys"
    ),
    "GetCallerIdentity": _spec("sts", {}),
    "DescribeResourceTagsByResourceIds": _spec(
        "tag",
        {
            "ServiceType": STR,
            "ResourcePrefix": STR,
            "ResourceIds": LIST_STR,
            "ResourceRegion": STR,
            "Offset": UINT,
            "Limit": UINT,
            "Category": STR,
        },
        "ServiceType",
        "ResourcePrefix",
        "ResourceIds",
        "ResourceRegion",
    ),
}


def _type_error(path: str, expected: str) -> ApiError:
    return ApiError("InvalidParameter", f"The parameter `{path}` must be of type {expected}.")


def _check(path: str, kind: str, value: Any, from_query: bool) -> Any:
    if kind == STR:
        if not isinstance(value, str):
            raise _type_error(path, "string")
        return value
    if kind in (UINT, INT):
        if from_query and isinstance(value, str):
            try:
                value = int(value)
            except ValueError:
                raise _type_error(path, "integer") from None
        if isinstance(value, bool) or not isinstance(value, int):
            raise _type_error(path, "integer")
        if not -(2**63) <= value < 2**63:
            raise ApiError(
                "InvalidParameterValue", f"The value of parameter `{path}` is out of the 64-bit range."
            )
        if kind == UINT and value < 0:
            raise ApiError("InvalidParameterValue", f"The value of parameter `{path}` must not be negative.")
        return value
    if kind == BOOL:
        if from_query and isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            raise _type_error(path, "boolean")
        return value
    if not isinstance(value, list):
        raise _type_error(path, "array")
    if len(value) > MAX_LIST_ITEMS:
        raise ApiError(
            "InvalidParameterValue", f"The parameter `{path}` holds more than {MAX_LIST_ITEMS} items."
        )
    if kind == LIST_STR:
        return [_check(f"{path}.{index}", STR, item, from_query) for index, item in enumerate(value)]
    fields = OBJECTS[kind]
    checked: list[dict[str, Any]] = []
    for index, item in enumerate(value):
        item_path = f"{path}.{index}"
        if not isinstance(item, dict):
            raise _type_error(item_path, "object")
        for name in item:
            if name not in fields:
                raise ApiError("UnknownParameter", f"The parameter `{item_path}.{name}` is not recognized.")
        entry: dict[str, Any] = {}
        for name, (field_kind, required) in fields.items():
            if name not in item or item[name] is None:
                if required:
                    raise ApiError(
                        "MissingParameter",
                        f"The request is missing a required parameter `{item_path}.{name}`.",
                    )
                continue
            entry[name] = _check(f"{item_path}.{name}", field_kind, item[name], from_query)
        checked.append(entry)
    return checked


def validate(action: str, raw: Mapping[str, Any], from_query: bool = False) -> dict[str, Any]:
    """Return the request's parameters type-checked against the action's member table."""
    spec = ACTIONS[action]
    for name in raw:
        if name not in spec.members:
            raise ApiError("UnknownParameter", f"The parameter `{name}` is not recognized.")
    params: dict[str, Any] = {}
    for name, kind in spec.members.items():
        value = raw.get(name)
        if value is None:
            if name in spec.required:
                raise ApiError("MissingParameter", f"The request is missing a required parameter `{name}`.")
            continue
        params[name] = _check(name, kind, value, from_query)
    return params


def unflatten(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """``Tags.0.TagKey=k`` style query parameters -> nested dicts and lists (reference §1.2)."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = key.split(".")
        node: Any = root
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            container_next: Any = value if last else ({} if not parts[depth + 1].isdigit() else [])
            if isinstance(node, list):
                if not part.isdigit():
                    raise ApiError("InvalidParameter", f"The parameter `{key}` is malformed.")
                index = int(part)
                while len(node) <= index:
                    node.append(None)
                if node[index] is None or last:
                    node[index] = container_next
                node = node[index]
            elif isinstance(node, dict):
                if part not in node or last:
                    node[part] = container_next
                node = node[part]
            else:
                raise ApiError("InvalidParameter", f"The parameter `{key}` is malformed.")
    return root
