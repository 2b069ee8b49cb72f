"""Topic and subscription actions, and publishing with the CMQ fan-out rules."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from cmqinfra.emulator import messages
from cmqinfra.emulator.context import (
    Context,
    listed_rows,
    set_tags,
    tags_for,
    visibility_clause,
)
from cmqinfra.emulator.errors import ApiError, invalid_value, not_found
from cmqinfra.emulator.queues import TENANT_ID, find_queue
from cmqinfra.emulator.rules import (
    check_enum,
    check_name,
    check_range,
    check_tags,
    like_pattern,
    new_id,
    page,
)

TAG_FILTER, ROUTING_FILTER = 1, 2
NOTIFY_STRATEGIES = ("BACKOFF_RETRY", "EXPONENTIAL_DECAY_RETRY")
CONTENT_FORMATS = ("JSON", "SIMPLIFIED")
MAX_FILTER_TAGS, MAX_FILTER_TAG_LEN = 5, 16
MAX_BINDING_KEYS, MAX_BINDING_KEY_BYTES, MAX_BINDING_KEY_DOTS = 5, 64, 15
MAX_MSG_TAG_LEN = 64


def find_topic(conn: sqlite3.Connection, name: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM topics WHERE name_lc = ?", (name.lower(),)).fetchone()


def _require_topic(conn: sqlite3.Connection, name: str) -> sqlite3.Row:
    row = find_topic(conn, name)
    if row is None:
        raise not_found("ResourceNotFound.Topic", f"Topic `{name}`")
    return row


def _check_topic_ranges(params: dict[str, Any]) -> None:
    check_range(params, "MaxMsgSize", 1024, 65536)
    check_range(params, "MsgRetentionSeconds", 60, 86400)


def create_topic(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    name = params["TopicName"]
    check_name("TopicName", name)
    _check_topic_ranges(params)
    check_enum(params, "FilterType", (TAG_FILTER, ROUTING_FILTER))
    tags = check_tags("Tags", params.get("Tags", []))
    if find_topic(ctx.conn, name) is not None:
        raise ApiError("ResourceInUse.Topic", f"Topic `{name}` already exists (names are case-insensitive).")
    topic_id = new_id("cmqt-")
    ctx.conn.execute(
        "INSERT INTO topics (id, name, name_lc, max_msg_size, msg_retention_seconds, filter_type, trace,"
        " create_ms, modify_ms, visible_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            topic_id,
            name,
            name.lower(),
            params.get("MaxMsgSize", 65536),
            params.get("MsgRetentionSeconds", 86400),
            params.get("FilterType", TAG_FILTER),
            None if "Trace" not in params else int(params["Trace"]),
            ctx.now_ms,
            ctx.now_ms,
            ctx.visible_at,
        ),
    )
    set_tags(ctx.conn, "topic", name.lower(), tags)
    return {"TopicId": topic_id}


def modify_topic(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    row = _require_topic(ctx.conn, params["TopicName"])
    _check_topic_ranges(params)
    ctx.conn.execute(
        "UPDATE topics SET max_msg_size = ?, msg_retention_seconds = ?, trace = ?, modify_ms = ?"
        " WHERE seq = ?",
        (
            params.get("MaxMsgSize", row["max_msg_size"]),
            params.get("MsgRetentionSeconds", row["msg_retention_seconds"]),
            int(params["Trace"]) if "Trace" in params else row["trace"],
            ctx.now_ms,
            row["seq"],
        ),
    )
    return {}


def delete_topic(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    row = _require_topic(ctx.conn, params["TopicName"])
    # A topic takes its subscriptions with it (as CMQ does): nothing can dangle.
    ctx.conn.execute("DELETE FROM subscriptions WHERE topic_lc = ?", (row["name_lc"],))
    ctx.conn.execute("DELETE FROM topics WHERE seq = ?", (row["seq"],))
    ctx.conn.execute("DELETE FROM tags WHERE kind = 'topic' AND name_lc = ?", (row["name_lc"],))
    return {}


def _render_topics(ctx: Context, rows: list[sqlite3.Row]) -> list[dict[str, Any]]:
    names = [row["name_lc"] for row in rows]
    if not names:
        return []
    marks = ",".join("?" * len(names))
    counts = dict(
        ctx.conn.execute(
            f"SELECT topic_lc, COUNT(*) FROM subscriptions WHERE topic_lc IN ({marks}) GROUP BY topic_lc",
            names,
        ).fetchall()
    )
    tags = tags_for(ctx.conn, "topic", names)
    return [
        {
            "TopicId": row["id"],
            "TopicName": row["name"],
            "MaxMsgSize": row["max_msg_size"],
            "FilterType": row["filter_type"],
            "MsgRetentionSeconds": row["msg_retention_seconds"],
            "Qps": 5000,
            "CreateTime": row["create_ms"],
            "LastModifyTime": row["modify_ms"],
            "MsgCount": messages.topic_backlog(ctx.conn, row["name_lc"]),
            "CreateUin": None,
            "Trace": None if row["trace"] is None else bool(row["trace"]),
            "Tags": tags.get(row["name_lc"]),
            "TenantId": TENANT_ID,
            "NamespaceName": f"CMQ_TOPIC-{row['name']}",
            "Status": 1,
            "BrokerType": 0,
            "SubscriptionCount": counts.get(row["name_lc"], 0),
        }
        for row in rows
    ]


def describe_topics(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    total, rows = listed_rows(ctx, params, "topics", "topic", "TopicName", "TopicNameList")
    return {"TopicList": _render_topics(ctx, rows), "TotalCount": total}


def describe_topic_detail(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    name = params.get("TopicName")
    if not name:
        raise ApiError(
            "MissingParameter",
            "The request is missing a required parameter `TopicName` "
            "(the emulator needs the exact topic name).",
        )
    row = find_topic(ctx.conn, name)
    if row is None or (ctx.hide_invisible and row["visible_at"] > ctx.now):
        raise not_found("ResourceNotFound.Topic", f"Topic `{name}`")
    return {"TopicDescribe": _render_topics(ctx, [row])[0]}


# ------------------------------------------------------------------------------------ subscriptions


def _check_filter_tags(field: str, tags: list[str]) -> None:
    if len(tags) > MAX_FILTER_TAGS:
        raise invalid_value(field, f"at most {MAX_FILTER_TAGS} filter tags")
    for index, tag in enumerate(tags):
        if not tag or len(tag) > MAX_FILTER_TAG_LEN:
            raise invalid_value(
                f"{field}.{index}", f"filter tags must have 1..{MAX_FILTER_TAG_LEN} characters"
            )


def _check_binding_keys(field: str, keys: list[str]) -> None:
    if len(keys) > MAX_BINDING_KEYS:
        raise invalid_value(field, f"at most {MAX_BINDING_KEYS} binding keys")
    for index, key in enumerate(keys):
        if not key or len(key.encode("utf-8")) > MAX_BINDING_KEY_BYTES:
            raise invalid_value(
                f"{field}.{index}", f"binding keys must have 1..{MAX_BINDING_KEY_BYTES} bytes"
            )
        if key.count(".") > MAX_BINDING_KEY_DOTS:
            raise invalid_value(f"{field}.{index}", f"binding keys have at most {MAX_BINDING_KEY_DOTS} dots")


def _check_filters_fit_topic(
    topic: sqlite3.Row, tags_field: str, filter_tags: list[str] | None, binding_keys: list[str] | None
) -> None:
    if filter_tags:
        _check_filter_tags(tags_field, filter_tags)
        if topic["filter_type"] != TAG_FILTER:
            raise invalid_value(tags_field, f"topic `{topic['name']}` routes by BindingKey (FilterType 2)")
    if binding_keys:
        _check_binding_keys("BindingKey", binding_keys)
        if topic["filter_type"] != ROUTING_FILTER:
            raise invalid_value("BindingKey", f"topic `{topic['name']}` filters by tag (FilterType 1)")


def _require_subscription(conn: sqlite3.Connection, topic: sqlite3.Row, name: str) -> sqlite3.Row:
    row = conn.execute(
        "SELECT * FROM subscriptions WHERE topic_lc = ? AND name_lc = ?", (topic["name_lc"], name.lower())
    ).fetchone()
    if row is None:
        raise not_found("ResourceNotFound", f"Subscription `{name}` of topic `{topic['name']}`")
    return row


def create_subscription(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    conn = ctx.conn
    name, protocol, endpoint = params["SubscriptionName"], params["Protocol"], params["Endpoint"]
    check_name("SubscriptionName", name)
    check_enum(params, "Protocol", ("http", "queue"))
    check_enum(params, "NotifyStrategy", NOTIFY_STRATEGIES)
    check_enum(params, "NotifyContentFormat", CONTENT_FORMATS)
    topic = _require_topic(conn, params["TopicName"])
    _check_filters_fit_topic(topic, "FilterTag", params.get("FilterTag"), params.get("BindingKey"))
    if protocol == "queue":
        content_format = params.get("NotifyContentFormat", "SIMPLIFIED")
        if content_format != "SIMPLIFIED":
            raise invalid_value("NotifyContentFormat", "must be SIMPLIFIED when Protocol is queue")
        queue = find_queue(conn, endpoint)
        if queue is None:
            raise ApiError("ResourceNotFound", f"Queue `{endpoint}` (Endpoint) does not exist.")
        endpoint = queue["name"]
    else:
        content_format = params.get("NotifyContentFormat", "JSON")
        lowered = endpoint.lower()
        if not (lowered.startswith("http://") or lowered.startswith("https://")) or "://" == lowered[-3:]:
            raise invalid_value(
                "Endpoint", f"`{endpoint}` must start with http:// or https:// and name a host"
            )
    exists = conn.execute(
        "SELECT 1 FROM subscriptions WHERE topic_lc = ? AND name_lc = ?", (topic["name_lc"], name.lower())
    ).fetchone()
    if exists is not None:
        raise ApiError(
            "ResourceInUse.Subscription", f"Subscription `{name}` already exists on topic `{topic['name']}`."
        )
    subscription_id = new_id("subsc-")
    conn.execute(
        "INSERT INTO subscriptions (id, topic_name, topic_lc, name, name_lc, protocol, endpoint, endpoint_lc,"
        " notify_strategy, notify_content_format, filter_tags, binding_key, create_ms, modify_ms, visible_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            subscription_id,
            topic["name"],
            topic["name_lc"],
            name,
            name.lower(),
            protocol,
            endpoint,
            endpoint.lower(),
            params.get("NotifyStrategy", "EXPONENTIAL_DECAY_RETRY"),
            content_format,
            json.dumps(params.get("FilterTag", [])),
            json.dumps(params["BindingKey"]) if params.get("BindingKey") else None,
            ctx.now_ms,
            ctx.now_ms,
            ctx.visible_at,
        ),
    )
    return {"SubscriptionId": subscription_id}


def modify_subscription(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    conn = ctx.conn
    topic = _require_topic(conn, params["TopicName"])
    row = _require_subscription(conn, topic, params["SubscriptionName"])
    check_enum(params, "NotifyStrategy", NOTIFY_STRATEGIES)
    check_enum(params, "NotifyContentFormat", CONTENT_FORMATS)
    if row["protocol"] == "queue" and params.get("NotifyContentFormat", "SIMPLIFIED") != "SIMPLIFIED":
        raise invalid_value("NotifyContentFormat", "must be SIMPLIFIED when Protocol is queue")
    _check_filters_fit_topic(topic, "FilterTags", params.get("FilterTags"), params.get("BindingKey"))
    binding = row["binding_key"]
    if "BindingKey" in params:
        binding = json.dumps(params["BindingKey"]) if params["BindingKey"] else None
    conn.execute(
        "UPDATE subscriptions SET notify_strategy = ?, notify_content_format = ?, filter_tags = ?,"
        " binding_key = ?, modify_ms = ? WHERE seq = ?",
        (
            params.get("NotifyStrategy", row["notify_strategy"]),
            params.get("NotifyContentFormat", row["notify_content_format"]),
            json.dumps(params["FilterTags"]) if "FilterTags" in params else row["filter_tags"],
            binding,
            ctx.now_ms,
            row["seq"],
        ),
    )
    return {}


def delete_subscription(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    topic = _require_topic(ctx.conn, params["TopicName"])
    row = _require_subscription(ctx.conn, topic, params["SubscriptionName"])
    ctx.conn.execute("DELETE FROM subscriptions WHERE seq = ?", (row["seq"],))
    return {}


def clear_filter_tags(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    topic = _require_topic(ctx.conn, params["TopicName"])
    row = _require_subscription(ctx.conn, topic, params["SubscriptionName"])
    ctx.conn.execute(
        "UPDATE subscriptions SET filter_tags = '[]', modify_ms = ? WHERE seq = ?", (ctx.now_ms, row["seq"])
    )
    return {}


def _render_subscription(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "SubscriptionName": row["name"],
        "SubscriptionId": row["id"],
        "TopicOwner": 0,
        "MsgCount": row["msg_count"],
        "LastModifyTime": row["modify_ms"],
        "CreateTime": row["create_ms"],
        "BindingKey": json.loads(row["binding_key"]) if row["binding_key"] else None,
        "Endpoint": row["endpoint"],
        "FilterTags": json.loads(row["filter_tags"]),
        "Protocol": row["protocol"],
        "NotifyStrategy": row["notify_strategy"],
        "NotifyContentFormat": row["notify_content_format"],
        "TopicName": row["topic_name"],
    }


def describe_subscriptions(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    paging = page(params)
    check_enum(params, "QueryType", ("topic", "queue"))
    where, args = "1 = 1", []
    if params.get("QueryType", "topic") == "queue":
        if not params.get("QueueName"):
            raise ApiError(
                "MissingParameter",
                "The request is missing a required parameter `QueueName` (QueryType queue).",
            )
        where += " AND endpoint_lc = ? AND protocol = 'queue'"
        args.append(params["QueueName"].lower())
        if params.get("TopicName"):
            where += " AND topic_lc = ?"
            args.append(params["TopicName"].lower())
    else:
        if not params.get("TopicName"):
            raise ApiError(
                "MissingParameter",
                "The request is missing a required parameter `TopicName` (QueryType topic).",
            )
        topic = find_topic(ctx.conn, params["TopicName"])
        if topic is None or (ctx.hide_invisible and topic["visible_at"] > ctx.now):
            raise not_found("ResourceNotFound.Topic", f"Topic `{params['TopicName']}`")
        where += " AND topic_lc = ?"
        args.append(topic["name_lc"])
    if params.get("SubscriptionName"):
        where += " AND name_lc LIKE ? ESCAPE '\\'"
        args.append(like_pattern(params["SubscriptionName"]))
    visible, visible_args = visibility_clause(ctx, "subscriptions")
    where += visible
    args += visible_args
    total = ctx.conn.execute(f"SELECT COUNT(*) FROM subscriptions WHERE {where}", args).fetchone()[0]
    rows = ctx.conn.execute(
        f"SELECT * FROM subscriptions WHERE {where} ORDER BY seq LIMIT ? OFFSET ?",
        [*args, paging.limit, paging.offset],
    ).fetchall()
    return {"TotalCount": total, "SubscriptionSet": [_render_subscription(row) for row in rows]}


# ------------------------------------------------------------------------------------------ publish


def publish_message(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    conn = ctx.conn
    topic = _require_topic(conn, params["TopicName"])
    body = params["MsgContent"]
    if not body:
        raise invalid_value("MsgContent", "a message body is at least 1 byte")
    size = len(body.encode("utf-8"))
    if size > topic["max_msg_size"]:
        raise invalid_value(
            "MsgContent", f"{size} bytes is over the topic's MaxMsgSize {topic['max_msg_size']}"
        )
    msg_tags = params.get("MsgTag", [])
    for index, tag in enumerate(msg_tags):
        if len(tag) > MAX_MSG_TAG_LEN:
            raise invalid_value(
                f"MsgTag.{index}", f"tags and routing keys have at most {MAX_MSG_TAG_LEN} characters"
            )
    routing = topic["filter_type"] == ROUTING_FILTER
    if routing and len(msg_tags) > 1:
        raise invalid_value("MsgTag", "a routing-key topic takes a single routing key")
    routing_key = msg_tags[0] if routing and msg_tags else ""
    if "*" in routing_key or "#" in routing_key:
        # Wildcards belong to binding keys; the message API refuses them in a routing key too.
        raise invalid_value("MsgTag.0", "a routing key cannot hold the wildcards * or #")
    [delivery] = messages.fan_out(
        conn, topic, [body], [] if routing else msg_tags, routing_key, ctx.now_ms, ctx.woken
    )
    return {"Result": True, "MsgId": delivery.msg_id}
