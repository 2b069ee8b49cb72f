"""The JSON plan in the Terraform provider's vocabulary, for OPA / conftest policies written for it.

``plan --format json --resource-types terraform``: every entry of ``resource_changes`` gets the
provider's resource type (``tencentcloud_tcmq_queue``, ``_topic``, ``_subscribe``), Terraform's
``mode`` and ``provider_name``, and ``change.before`` / ``change.after`` in the provider's
argument names (``queue_name``, ``dead_letter_queue_name``, ``max_receive_count``, ...), as
``terraform show -json`` would have them; cmqinfra's own keys (address, attribute_changes,
adopt, ...) stay, so a policy can use either. The mapping follows the provider's schemas
(``cmqinfra.migrate.provider``), the same ones import-terraform reads.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from cmqinfra.migrate.provider import QUEUE, SUBSCRIBE, TOPIC

PROVIDER_NAME = "registry.terraform.io/tencentcloudstack/tencentcloud"
TYPES = {"queue": QUEUE, "topic": TOPIC, "subscription": SUBSCRIBE}

_QUEUE_KEYS = {
    "name": "queue_name",
    "visibilityTimeout": "visibility_timeout",
    "pollingWaitSeconds": "polling_wait_seconds",
    "msgRetentionSeconds": "msg_retention_seconds",
    "maxMsgHeapNum": "max_msg_heap_num",
    "maxMsgSize": "max_msg_size",
    "rewindSeconds": "rewind_seconds",
    "retentionSizeInMB": "retention_size_in_mb",
    "trace": "trace",
}
_TOPIC_KEYS = {
    "name": "topic_name",
    "maxMsgSize": "max_msg_size",
    "msgRetentionSeconds": "msg_retention_seconds",
    "trace": "trace",
}
_SUBSCRIPTION_KEYS = {
    "topic": "topic_name",
    "name": "subscription_name",
    "protocol": "protocol",
    "endpoint": "endpoint",
    "notifyStrategy": "notify_strategy",
    "notifyContentFormat": "notify_content_format",
    "filterTags": "filter_tags",
    "bindingKeys": "binding_key",
}


def _queue(data: dict[str, Any]) -> dict[str, Any]:
    out = {key: data[ours] for ours, key in _QUEUE_KEYS.items() if ours in data}
    transaction = data.get("transaction")
    out["transaction"] = 1 if transaction else 0
    if isinstance(transaction, dict):
        out["first_query_interval"] = transaction.get("firstQueryInterval")
        out["max_query_count"] = transaction.get("maxQueryCount")
    dead_letter = data.get("deadLetter")
    if isinstance(dead_letter, dict):
        out["dead_letter_queue_name"] = dead_letter.get("queue")
        # the provider's policy: 0 by maxReceiveCount, 1 by maxTimeToLive
        out["policy"] = 0 if dead_letter.get("maxReceiveCount") is not None else 1
        out["max_receive_count"] = dead_letter.get("maxReceiveCount")
        out["max_time_to_live"] = dead_letter.get("maxTimeToLive")
    else:
        out["dead_letter_queue_name"] = None
    return out


def _topic(data: dict[str, Any]) -> dict[str, Any]:
    out = {key: data[ours] for ours, key in _TOPIC_KEYS.items() if ours in data}
    if "filterType" in data:
        out["filter_type"] = 2 if data["filterType"] == "routingKey" else 1
    return out


def _subscription(data: dict[str, Any]) -> dict[str, Any]:
    return {key: data[ours] for ours, key in _SUBSCRIPTION_KEYS.items() if ours in data}


_CONVERT = {"queue": _queue, "topic": _topic, "subscription": _subscription}


def _values(kind: str, data: dict[str, Any] | None, name: str, topic: str | None) -> dict[str, Any] | None:
    if data is None:
        return None
    full = {"name": name, **data}
    if kind == "subscription" and topic is not None:
        full.setdefault("topic", topic)
    values = _CONVERT[kind](full)
    tags = data.get("tags")
    if isinstance(tags, dict) and kind != "subscription":
        values["tags"] = tags
    return values


def terraform_plan_json(doc: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``plan_to_json``'s document with the provider's types and argument names."""
    out = deepcopy(doc)
    for change in out.get("resource_changes", []):
        kind = change["type"]
        if kind not in TYPES:
            continue
        name = change["name"]
        topic = change["address"].split("/")[1] if kind == "subscription" else None
        if kind == "subscription":
            name = change["address"].split("/", 2)[2]
        change["cmqinfra_type"] = kind
        change["type"] = TYPES[kind]
        change["mode"] = "managed"
        change["provider_name"] = PROVIDER_NAME
        body = change["change"]
        body["before"] = _values(kind, body.get("before"), name, topic)
        body["after"] = _values(kind, body.get("after"), name, topic)
    out["resource_types"] = "terraform"
    return out


def terraform_project_json(doc: dict[str, Any]) -> dict[str, Any]:
    out = deepcopy(doc)
    for unit in out.get("units", []):
        if isinstance(unit.get("plan"), dict):
            unit["plan"] = terraform_plan_json(unit["plan"])
    return out
