"""Queue actions: create, describe, modify, delete, clear, rewind, dead-letter unbinding, send."""

from __future__ import annotations

import sqlite3
from typing import Any

from cmqinfra.emulator import messages
from cmqinfra.emulator.context import (
    Context,
    listed_rows,
    set_tags,
    tags_for,
)
from cmqinfra.emulator.errors import ApiError, invalid_value, not_found
from cmqinfra.emulator.rules import (
    check_enum,
    check_queue_name,
    check_range,
    check_tags,
    new_id,
)

TENANT_ID = "cmq-1300000000"
REWIND_DEFAULT_SIZE_MB = 10240

# field -> (low, high), per the newest Create/Modify docs (docs/emulator.md)
QUEUE_RANGES: dict[str, tuple[int, int]] = {
    "MaxMsgHeapNum": (1_000_000, 1_000_000_000),
    "PollingWaitSeconds": (0, 30),
    "VisibilityTimeout": (1, 43200),
    "MaxMsgSize": (1024, 1048576),
    "MsgRetentionSeconds": (30, 43200),
    "RewindSeconds": (0, 1296000),
    "MaxReceiveCount": (1, 1000),
    "MaxTimeToLive": (300, 43200),
}
QUEUE_DEFAULTS: dict[str, int] = {
    "MaxMsgHeapNum": 10_000_000,
    "PollingWaitSeconds": 0,
    "VisibilityTimeout": 30,
    "MaxMsgSize": 1048576,
    "MsgRetentionSeconds": 3600,
    "RewindSeconds": 0,
    "RetentionSizeInMB": 0,
}
_DEAD_LETTER_FIELDS = ("Policy", "MaxReceiveCount", "MaxTimeToLive")
MAX_DEAD_LETTER_SOURCES = 6


def find_queue(conn: sqlite3.Connection, name: str) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM queues WHERE name_lc = ?", (name.lower(),)).fetchone()


def _require_queue(conn: sqlite3.Connection, name: str) -> sqlite3.Row:
    row = find_queue(conn, name)
    if row is None:
        raise not_found("ResourceNotFound", f"Queue `{name}`")
    return row


def _check_ranges(params: dict[str, Any], ranges: dict[str, tuple[int, int]]) -> None:
    for field, (low, high) in ranges.items():
        check_range(params, field, low, high)
    check_enum(params, "Transaction", (0, 1))
    check_enum(params, "Policy", (0, 1))


def _settle(
    conn: sqlite3.Connection, name: str, merged: dict[str, Any], params: dict[str, Any], had_dead_letter: bool
) -> None:
    """Cross-field rules on the merged (current + requested) attributes; fills derived defaults."""
    rewind = merged["RewindSeconds"]
    size = merged["RetentionSizeInMB"]
    if rewind == 0:
        if params.get("RetentionSizeInMB"):
            raise invalid_value("RetentionSizeInMB", "must be 0 when message rewind is off (RewindSeconds 0)")
        merged["RetentionSizeInMB"] = 0
    else:
        if size == 0:
            merged["RetentionSizeInMB"] = size = REWIND_DEFAULT_SIZE_MB
        if not 10240 <= size <= 512000:
            raise invalid_value("RetentionSizeInMB", f"{size} is outside 10240..512000 while rewind is on")

    dlq = params.get("DeadLetterQueueName")
    if dlq is None and not had_dead_letter:
        # Ignored, not refused: terraform-provider-tencentcloud sends Policy 0, MaxReceiveCount 50
        # and MaxTimeToLive 300 on every CreateCmqQueue, and its acceptance test creates a plain
        # queue that way against the cloud (docs/emulator.md, choice 7).
        for field in _DEAD_LETTER_FIELDS:
            merged[field] = None
        return
    if dlq is not None:
        if dlq.lower() == name.lower():
            raise invalid_value("DeadLetterQueueName", "a queue cannot be its own dead-letter queue")
        target = find_queue(conn, dlq)
        if target is None:
            raise ApiError(
                "ResourceNotFound",
                f"Dead-letter queue `{dlq}` (DeadLetterQueueName) does not exist.",
                cmq=(4000, 10730),
            )
        _check_dead_letter_target(conn, name, target)
        merged["DeadLetterQueueName"] = target["name"]
    if merged.get("Policy") is None:
        merged["Policy"] = 0
    if merged["Policy"] == 0:
        if merged.get("MaxReceiveCount") is None:
            raise ApiError(
                "MissingParameter",
                "The request is missing a required parameter `MaxReceiveCount` (dead-letter Policy 0).",
            )
    else:
        ttl = merged.get("MaxTimeToLive")
        if ttl is None:
            raise ApiError(
                "MissingParameter",
                "The request is missing a required parameter `MaxTimeToLive` (dead-letter Policy 1).",
            )
        if ttl >= merged["MsgRetentionSeconds"]:
            raise invalid_value(
                "MaxTimeToLive",
                f"{ttl} must be smaller than MsgRetentionSeconds ({merged['MsgRetentionSeconds']})",
            )


def _check_dead_letter_target(conn: sqlite3.Connection, name: str, target: sqlite3.Row) -> None:
    """The documented dead-letter rules (docs/emulator.md, choice 39): a dead-letter queue has no
    dead-letter queue of its own, a queue that is one cannot get one, and one serves at most
    MAX_DEAD_LETTER_SOURCES source queues."""
    if target["dlq_name_lc"] is not None:
        raise ApiError(
            "InvalidParameterValue",
            f"The value of parameter `DeadLetterQueueName` is invalid: `{target['name']}` has a "
            f"dead-letter queue itself (`{target['dlq_name']}`); dead-letter queues do not nest.",
            cmq=(4000, 10740),
        )
    source = conn.execute(
        "SELECT name FROM queues WHERE dlq_name_lc = ? LIMIT 1", (name.lower(),)
    ).fetchone()
    if source is not None:
        raise ApiError(
            "InvalidParameterValue",
            f"The value of parameter `DeadLetterQueueName` is invalid: `{name}` is the dead-letter "
            f"queue of `{source['name']}`; dead-letter queues do not nest.",
            cmq=(4000, 10740),
        )
    served = conn.execute(
        "SELECT COUNT(*) FROM queues WHERE dlq_name_lc = ? AND name_lc != ?",
        (target["name_lc"], name.lower()),
    ).fetchone()[0]
    if served >= MAX_DEAD_LETTER_SOURCES:
        raise ApiError(
            "LimitExceeded",
            f"Dead-letter queue `{target['name']}` already serves {served} source queues "
            f"(at most {MAX_DEAD_LETTER_SOURCES}).",
            cmq=(4000, 10780),
        )


def create_queue(
    ctx: Context,
    params: dict[str, Any],
    ranges: dict[str, tuple[int, int]] = QUEUE_RANGES,
    defaults: dict[str, int] = QUEUE_DEFAULTS,
) -> dict[str, Any]:
    """Create a queue; each front door passes its own documented ranges and defaults."""
    name = params["QueueName"]
    check_queue_name("QueueName", name)
    _check_ranges(params, ranges)
    tags = check_tags("Tags", params.get("Tags", []))
    conn = ctx.conn
    if find_queue(conn, name) is not None:
        raise ApiError("ResourceInUse.Queue", f"Queue `{name}` already exists (names are case-insensitive).")
    merged: dict[str, Any] = {**defaults, **params}
    _settle(conn, name, merged, params, had_dead_letter=False)
    queue_id = new_id("cmqq-")
    conn.execute(
        "INSERT INTO queues (id, name, name_lc, max_msg_heap_num, polling_wait_seconds, visibility_timeout,"
        " max_msg_size, msg_retention_seconds, rewind_seconds, retention_size_mb, transaction_flag,"
        " first_query_interval, max_query_count, dlq_name, dlq_name_lc, dlq_policy, max_receive_count,"
        " max_time_to_live, trace, create_ms, modify_ms, visible_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            queue_id,
            name,
            name.lower(),
            merged["MaxMsgHeapNum"],
            merged["PollingWaitSeconds"],
            merged["VisibilityTimeout"],
            merged["MaxMsgSize"],
            merged["MsgRetentionSeconds"],
            merged["RewindSeconds"],
            merged["RetentionSizeInMB"],
            merged.get("Transaction"),
            merged.get("FirstQueryInterval"),
            merged.get("MaxQueryCount"),
            merged.get("DeadLetterQueueName"),
            (merged.get("DeadLetterQueueName") or "").lower() or None,
            merged.get("Policy") if merged.get("DeadLetterQueueName") else None,
            merged.get("MaxReceiveCount"),
            merged.get("MaxTimeToLive"),
            None if "Trace" not in params else int(params["Trace"]),
            ctx.now_ms,
            ctx.now_ms,
            ctx.visible_at,
        ),
    )
    set_tags(conn, "queue", name.lower(), tags)
    return {"QueueId": queue_id}


def _row_to_attrs(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "MaxMsgHeapNum": row["max_msg_heap_num"],
        "PollingWaitSeconds": row["polling_wait_seconds"],
        "VisibilityTimeout": row["visibility_timeout"],
        "MaxMsgSize": row["max_msg_size"],
        "MsgRetentionSeconds": row["msg_retention_seconds"],
        "RewindSeconds": row["rewind_seconds"],
        "RetentionSizeInMB": row["retention_size_mb"],
        "Transaction": row["transaction_flag"],
        "FirstQueryInterval": row["first_query_interval"],
        "MaxQueryCount": row["max_query_count"],
        "DeadLetterQueueName": row["dlq_name"],
        "Policy": row["dlq_policy"],
        "MaxReceiveCount": row["max_receive_count"],
        "MaxTimeToLive": row["max_time_to_live"],
    }


def modify_queue(
    ctx: Context,
    params: dict[str, Any],
    ranges: dict[str, tuple[int, int]] = QUEUE_RANGES,
    max_msg_size_settable: bool = False,
) -> dict[str, Any]:
    """Change a queue's attributes; the legacy API may change maxMsgSize, API 3.0 may not."""
    conn = ctx.conn
    row = _require_queue(conn, params["QueueName"])
    _check_ranges(params, ranges)
    if not max_msg_size_settable and "MaxMsgSize" in params and params["MaxMsgSize"] != row["max_msg_size"]:
        raise invalid_value(
            "MaxMsgSize", "the maximum message size of a queue cannot be modified after creation"
        )
    current = _row_to_attrs(row)
    merged = {**current, **{k: v for k, v in params.items() if k != "QueueName"}}
    _settle(conn, row["name"], merged, params, had_dead_letter=row["dlq_name"] is not None)
    dlq = merged.get("DeadLetterQueueName")
    conn.execute(
        "UPDATE queues SET max_msg_heap_num = ?, max_msg_size = ?, polling_wait_seconds = ?,"
        " visibility_timeout = ?, msg_retention_seconds = ?, rewind_seconds = ?, retention_size_mb = ?,"
        " transaction_flag = ?,"
        " first_query_interval = ?, max_query_count = ?, dlq_name = ?, dlq_name_lc = ?, dlq_policy = ?,"
        " max_receive_count = ?, max_time_to_live = ?, trace = ?, modify_ms = ? WHERE seq = ?",
        (
            merged["MaxMsgHeapNum"],
            merged["MaxMsgSize"],
            merged["PollingWaitSeconds"],
            merged["VisibilityTimeout"],
            merged["MsgRetentionSeconds"],
            merged["RewindSeconds"],
            merged["RetentionSizeInMB"],
            merged["Transaction"],
            merged["FirstQueryInterval"],
            merged["MaxQueryCount"],
            dlq,
            dlq.lower() if dlq else None,
            merged["Policy"] if dlq else None,
            merged["MaxReceiveCount"],
            merged["MaxTimeToLive"],
            int(params["Trace"]) if "Trace" in params else row["trace"],
            ctx.now_ms,
            row["seq"],
        ),
    )
    if merged["RewindSeconds"] == 0:
        messages.drop_rewind_copies(conn, row["name_lc"])
    return {}


def delete_queue(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    conn = ctx.conn
    row = _require_queue(conn, params["QueueName"])
    source = conn.execute(
        "SELECT name FROM queues WHERE dlq_name_lc = ? AND seq != ? LIMIT 1", (row["name_lc"], row["seq"])
    ).fetchone()
    if source is not None:
        raise ApiError(
            "ResourceInUse",
            f"Queue `{row['name']}` is the dead-letter queue of `{source['name']}`; "
            "unbind it first (UnbindCmqDeadLetter or ModifyCmqQueueAttribute).",
            cmq=(4000, 10750),
        )
    conn.execute("DELETE FROM queues WHERE seq = ?", (row["seq"],))
    conn.execute("DELETE FROM tags WHERE kind = 'queue' AND name_lc = ?", (row["name_lc"],))
    conn.execute("DELETE FROM messages WHERE queue_lc = ?", (row["name_lc"],))
    return {}


def clear_queue(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    messages.clear(ctx.conn, _require_queue(ctx.conn, params["QueueName"]))
    return {}


def rewind_queue(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    row = _require_queue(ctx.conn, params["QueueName"])
    start = params["StartConsumeTime"]
    start_ms = start * 1000 if start < 100_000_000_000 else start  # seconds are accepted too
    messages.rewind(ctx.conn, row, start_ms, ctx.now_ms)
    ctx.woken.add(row["name_lc"])
    return {}


def unbind_dead_letter(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    row = _require_queue(ctx.conn, params["SourceQueueName"])
    ctx.conn.execute(
        "UPDATE queues SET dlq_name = NULL, dlq_name_lc = NULL, dlq_policy = NULL, max_receive_count = NULL,"
        " max_time_to_live = NULL, modify_ms = ? WHERE seq = ?",
        (ctx.now_ms, row["seq"]),
    )
    return {}


def send_message(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    row = _require_queue(ctx.conn, params["QueueName"])
    delay = params["DelaySeconds"]
    if not 0 <= delay <= row["msg_retention_seconds"]:
        raise invalid_value(
            "DelaySeconds",
            f"{delay} is outside 0..{row['msg_retention_seconds']} (the queue's MsgRetentionSeconds)",
        )
    if not params["MsgContent"]:
        raise invalid_value("MsgContent", "a message body is at least 1 byte")
    messages.check_body("MsgContent", params["MsgContent"], row["max_msg_size"], "queue")
    [msg_id] = messages.enqueue(ctx.conn, row, [params["MsgContent"]], ctx.now_ms, delay)
    ctx.woken.add(row["name_lc"])
    return {"Result": True, "MsgId": msg_id}


# ----------------------------------------------------------------------------------------- describe


def _render(ctx: Context, rows: list[sqlite3.Row]) -> list[dict[str, Any]]:
    conn = ctx.conn
    names = [row["name_lc"] for row in rows]
    if not names:
        return []
    marks = ",".join("?" * len(names))
    counts = messages.counts_many(conn, rows, ctx.now_ms)
    sources: dict[str, list[dict[str, Any]]] = {}
    for r in conn.execute(
        f"SELECT dlq_name_lc, id, name FROM queues WHERE dlq_name_lc IN ({marks}) ORDER BY seq", names
    ):
        sources.setdefault(r["dlq_name_lc"], []).append({"QueueId": r["id"], "QueueName": r["name"]})
    tags = tags_for(conn, "queue", names)
    result = []
    for row in rows:
        count = counts[row["name_lc"]]
        dead_letter = None
        if row["dlq_name"] is not None:
            dead_letter = {
                "DeadLetterQueue": row["dlq_name"],
                "Policy": row["dlq_policy"],
                "MaxTimeToLive": row["max_time_to_live"] or 0,
                "MaxReceiveCount": row["max_receive_count"] or 0,
            }
        transaction = None if row["transaction_flag"] is None else bool(row["transaction_flag"])
        result.append(
            {
                "QueueId": row["id"],
                "QueueName": row["name"],
                "Qps": 5000,
                "Bps": 52428800,
                "MaxDelaySeconds": 3600,
                "MaxMsgHeapNum": row["max_msg_heap_num"],
                "PollingWaitSeconds": row["polling_wait_seconds"],
                "MsgRetentionSeconds": row["msg_retention_seconds"],
                "VisibilityTimeout": row["visibility_timeout"],
                "MaxMsgSize": row["max_msg_size"],
                "RewindSeconds": row["rewind_seconds"],
                "RetentionSizeInMB": row["retention_size_mb"],
                "CreateTime": row["create_ms"],
                "LastModifyTime": row["modify_ms"],
                "ActiveMsgNum": count.active,
                "InactiveMsgNum": count.inactive,
                "DelayMsgNum": count.delayed,
                "RewindMsgNum": count.rewindable if row["rewind_seconds"] else None,
                "MinMsgTime": None if count.min_msg_ms is None else count.min_msg_ms // 1000,
                "MaxUnackedMsgNum": 100000,
                "DeadLetterPolicy": dead_letter,
                "DeadLetterSource": sources.get(row["name_lc"]),
                "Transaction": transaction,
                "TransactionPolicy": (
                    {
                        "FirstQueryInterval": row["first_query_interval"] or 0,
                        "MaxQueryCount": row["max_query_count"] or 0,
                    }
                    if transaction
                    else None
                ),
                "CreateUin": None,
                "Trace": None if row["trace"] is None else bool(row["trace"]),
                "Tags": tags.get(row["name_lc"]),
                "TenantId": TENANT_ID,
                "NamespaceName": f"CMQ_QUEUE-{row['name']}",
                "Status": 1,
                "MaxMsgBacklogSize": 10737418240,
            }
        )
    return result


def describe_queues(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    total, rows = listed_rows(ctx, params, "queues", "queue", "QueueName", "QueueNameList")
    return {"TotalCount": total, "QueueList": _render(ctx, rows)}


def describe_queue_detail(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    row = find_queue(ctx.conn, params["QueueName"])
    if row is None or (ctx.hide_invisible and row["visible_at"] > ctx.now):
        raise not_found("ResourceNotFound", f"Queue `{params['QueueName']}`")
    return {"QueueDescribe": _render(ctx, [row])[0]}
