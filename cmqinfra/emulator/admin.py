"""What an operator or a test does to the emulator beside the API: look at a queue without
consuming it, empty it, move its dead letters back, wipe state (all of it, one stack's, or back to
a snapshot taken earlier).

These are operations of the one backend (``Backend.peek/purge/redrive/reset/snapshot/restore``
run them in one store transaction each); the admin endpoints under ``/_cmqinfra/``, the CLI, the
pytest plugin and the console are doors and clients of them, never copies.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from cmqinfra.emulator import messages
from cmqinfra.model import STACK_TAG

ACTIVE, IN_FLIGHT, DELAYED = "active", "in-flight", "delayed"

# Every table that holds state; a snapshot copies them all, a full reset empties them all.
STATE_TABLES = ("queues", "topics", "subscriptions", "tags", "messages", "pushes")


@dataclass(frozen=True)
class PeekedMessage:
    """One message as it sits in its queue (times in seconds since the epoch)."""

    msg_id: str
    body: str
    state: str  # ACTIVE (receivable now), IN_FLIGHT (received, hidden), DELAYED (not yet due)
    dequeue_count: int
    enqueue_time: float
    visible_at: float  # when it becomes (or became) receivable
    expires_at: float
    first_dequeue_time: float | None
    tags: tuple[str, ...]  # the publish's msgTag values, for a copy a topic fanned out
    routing_key: str | None  # the publish's routing key, for a copy a routing-key topic fanned out
    dead_letter_source: str | None  # the queue it was dead-lettered from (redrive's target)

    def to_json(self) -> dict[str, Any]:
        return {
            "msgId": self.msg_id,
            "body": self.body,
            "state": self.state,
            "dequeueCount": self.dequeue_count,
            "enqueueTime": self.enqueue_time,
            "visibleAt": self.visible_at,
            "expiresAt": self.expires_at,
            "firstDequeueTime": self.first_dequeue_time,
            "tags": list(self.tags),
            "routingKey": self.routing_key,
            "deadLetterSource": self.dead_letter_source,
        }


@dataclass(frozen=True)
class Redrive:
    """What a redrive of ``dead_letter_queue`` did: each message moved at most once, in one
    transaction, to the queue it was dead-lettered from."""

    dead_letter_queue: str
    moved: tuple[tuple[str, int], ...]  # (source queue as created, messages moved to it)
    in_flight: int  # received from the dead-letter queue and not settled: left to their consumer
    no_source: int  # sent to it directly, its source deleted, or several sources to choose from
    source_full: int  # the source holds its MaxMsgHeapNum

    @property
    def moved_total(self) -> int:
        return sum(count for _, count in self.moved)

    def to_json(self) -> dict[str, Any]:
        return {
            "deadLetterQueue": self.dead_letter_queue,
            "moved": {name: count for name, count in self.moved},
            "movedTotal": self.moved_total,
            "inFlight": self.in_flight,
            "noSource": self.no_source,
            "sourceFull": self.source_full,
        }


@dataclass(frozen=True)
class Reset:
    """What a reset removed (names as created)."""

    stack: str | None  # None: everything
    queues: tuple[str, ...]
    topics: tuple[str, ...]
    unbound: tuple[str, ...] = ()  # other stacks' queues whose dead-letter queue went with it

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "queues": list(self.queues),
            "topics": list(self.topics),
            "unboundDeadLetter": list(self.unbound),
        }


@dataclass(frozen=True)
class Snapshot:
    """Every state table's rows at one moment (``restore`` puts exactly these back)."""

    tables: tuple[tuple[str, tuple[str, ...], tuple[tuple[Any, ...], ...]], ...] = field(repr=False)


# ---------------------------------------------------------------------------------------------- peek


def _state(row: sqlite3.Row, now_ms: int) -> str:
    if row["visible_ms"] <= now_ms:
        return ACTIVE
    return IN_FLIGHT if row["dequeue_count"] > 0 else DELAYED


def _names(conn: sqlite3.Connection, names_lc: set[str]) -> dict[str, str]:
    if not names_lc:
        return {}
    marks = ",".join("?" * len(names_lc))
    rows = conn.execute(f"SELECT name_lc, name FROM queues WHERE name_lc IN ({marks})", sorted(names_lc))
    return {row["name_lc"]: row["name"] for row in rows}


def peek(
    conn: sqlite3.Connection, queue: sqlite3.Row, now_ms: int, woken: set[str], limit: int | None = None
) -> tuple[PeekedMessage, ...]:
    """The queue's messages in send order, without receiving them: nothing about them changes.

    The clock's effects are applied first, as a receive or a Describe would (expired messages
    go, due dead letters move), so the picture is the one a consumer would meet now."""
    messages.settle(conn, queue, now_ms, woken)
    sql = (
        "SELECT * FROM messages WHERE queue_lc = ? AND deleted_ms IS NULL AND expires_ms > ? ORDER BY seq"
        + (" LIMIT ?" if limit is not None else "")
    )
    args: list[Any] = [queue["name_lc"], now_ms] + ([limit] if limit is not None else [])
    rows = conn.execute(sql, args).fetchall()
    sources = _names(conn, {row["dead_from"] for row in rows if row["dead_from"]})
    return tuple(
        PeekedMessage(
            msg_id=row["msg_id"],
            body=row["body"],
            state=_state(row, now_ms),
            dequeue_count=row["dequeue_count"],
            enqueue_time=row["sent_ms"] / 1000,
            visible_at=row["visible_ms"] / 1000,
            expires_at=row["expires_ms"] / 1000,
            first_dequeue_time=None if row["first_dequeue_ms"] is None else row["first_dequeue_ms"] / 1000,
            tags=tuple(json.loads(row["msg_tags"])) if row["msg_tags"] else (),
            routing_key=row["routing_key"],
            dead_letter_source=(
                None if row["dead_from"] is None else sources.get(row["dead_from"], row["dead_from"])
            ),
        )
        for row in rows
    )


# --------------------------------------------------------------------------------------------- purge


def purge(conn: sqlite3.Connection, queue: sqlite3.Row, now_ms: int) -> int:
    """Empty the queue in every state (ClearCmqQueue); return how many live messages it held."""
    held = conn.execute(
        "SELECT COUNT(*) FROM messages WHERE queue_lc = ? AND deleted_ms IS NULL AND expires_ms > ?",
        (queue["name_lc"], now_ms),
    ).fetchone()[0]
    messages.clear(conn, queue)
    return int(held)


# ------------------------------------------------------------------------------------------- redrive


def redrive(conn: sqlite3.Connection, dlq: sqlite3.Row, now_ms: int, woken: set[str]) -> Redrive:
    """Move every settled message of the dead-letter queue ``dlq`` back to the queue it came from.

    A moved message keeps its id, body and tags and starts afresh in its source (sent now,
    dequeue count 0, the source's retention), so neither policy sends it straight back: its
    receive count and its age start again. Messages a consumer holds (in flight) stay; a message
    whose source is unknown goes to the queue's one source if it has exactly one, else stays."""
    messages.settle(conn, dlq, now_ms, woken)
    sources = conn.execute(
        "SELECT * FROM queues WHERE dlq_name_lc = ? AND seq != ? ORDER BY seq", (dlq["name_lc"], dlq["seq"])
    ).fetchall()
    sole = sources[0] if len(sources) == 1 else None
    rows = conn.execute(
        "SELECT seq, visible_ms, dequeue_count, dead_from FROM messages"
        " WHERE queue_lc = ? AND deleted_ms IS NULL AND expires_ms > ? ORDER BY seq",
        (dlq["name_lc"], now_ms),
    ).fetchall()
    targets: dict[str, sqlite3.Row | None] = {}
    moved: dict[str, int] = {}
    in_flight = no_source = source_full = 0
    for row in rows:
        if row["visible_ms"] > now_ms and row["dequeue_count"] > 0:
            in_flight += 1
            continue
        origin = row["dead_from"]
        if origin is None:
            target = sole
        else:
            if origin not in targets:
                targets[origin] = conn.execute("SELECT * FROM queues WHERE name_lc = ?", (origin,)).fetchone()
            target = targets[origin]
        if target is None or target["name_lc"] == dlq["name_lc"]:
            no_source += 1
            continue
        if messages.heap_full(conn, target, 1):
            source_full += 1
            continue
        conn.execute(
            "INSERT INTO messages (queue_lc, msg_id, body, sent_ms, due_ms, visible_ms, expires_ms, msg_tags,"
            " routing_key) SELECT ?, msg_id, body, ?, ?, ?, ?, msg_tags, routing_key FROM messages"
            " WHERE seq = ?",
            (
                target["name_lc"],
                now_ms,
                now_ms,
                now_ms,
                now_ms + target["msg_retention_seconds"] * 1000,
                row["seq"],
            ),
        )
        conn.execute("DELETE FROM messages WHERE seq = ?", (row["seq"],))
        moved[target["name"]] = moved.get(target["name"], 0) + 1
        woken.add(target["name_lc"])
    return Redrive(dlq["name"], tuple(moved.items()), in_flight, no_source, source_full)


# --------------------------------------------------------------------------------------------- reset


def reset_all(conn: sqlite3.Connection) -> Reset:
    queues = tuple(row[0] for row in conn.execute("SELECT name FROM queues ORDER BY seq"))
    topics = tuple(row[0] for row in conn.execute("SELECT name FROM topics ORDER BY seq"))
    for table in STATE_TABLES:
        conn.execute(f"DELETE FROM {table}")
    return Reset(None, queues, topics)


def reset_stack(conn: sqlite3.Connection, stack: str) -> Reset:
    """Delete what carries ``cmqinfra-stack: <stack>``: its queues with their messages, its topics
    with their subscriptions and pending pushes. Another stack's queue whose dead-letter queue
    was one of them loses that binding (a dangling one would break its receives)."""
    owned = conn.execute("SELECT kind, name_lc FROM tags WHERE key = ? AND value = ?", (STACK_TAG, stack))
    queues_lc: list[str] = []
    topics_lc: list[str] = []
    for row in owned:
        (queues_lc if row["kind"] == "queue" else topics_lc).append(row["name_lc"])
    q_marks, t_marks = ",".join("?" * len(queues_lc)), ",".join("?" * len(topics_lc))
    queues: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    unbound: tuple[str, ...] = ()
    if queues_lc:
        queues = tuple(
            row[0]
            for row in conn.execute(
                f"SELECT name FROM queues WHERE name_lc IN ({q_marks}) ORDER BY seq", queues_lc
            )
        )
        unbound = tuple(
            row[0]
            for row in conn.execute(
                f"SELECT name FROM queues WHERE dlq_name_lc IN ({q_marks}) AND name_lc NOT IN ({q_marks})"
                " ORDER BY seq",
                queues_lc + queues_lc,
            )
        )
        conn.execute(
            "UPDATE queues SET dlq_name = NULL, dlq_name_lc = NULL, dlq_policy = NULL,"
            f" max_receive_count = NULL, max_time_to_live = NULL WHERE dlq_name_lc IN ({q_marks})",
            queues_lc,
        )
        conn.execute(f"DELETE FROM messages WHERE queue_lc IN ({q_marks})", queues_lc)
        conn.execute(f"DELETE FROM queues WHERE name_lc IN ({q_marks})", queues_lc)
        conn.execute(f"DELETE FROM tags WHERE kind = 'queue' AND name_lc IN ({q_marks})", queues_lc)
    if topics_lc:
        topics = tuple(
            row[0]
            for row in conn.execute(
                f"SELECT name FROM topics WHERE name_lc IN ({t_marks}) ORDER BY seq", topics_lc
            )
        )
        conn.execute(
            "DELETE FROM pushes WHERE sub_id IN"
            f" (SELECT id FROM subscriptions WHERE topic_lc IN ({t_marks}))",
            topics_lc,
        )
        conn.execute(f"DELETE FROM subscriptions WHERE topic_lc IN ({t_marks})", topics_lc)
        conn.execute(f"DELETE FROM topics WHERE name_lc IN ({t_marks})", topics_lc)
        conn.execute(f"DELETE FROM tags WHERE kind = 'topic' AND name_lc IN ({t_marks})", topics_lc)
    return Reset(stack, queues, topics, unbound)


# ------------------------------------------------------------------------------------------ snapshot


def snapshot(conn: sqlite3.Connection) -> Snapshot:
    tables = []
    for table in STATE_TABLES:
        cursor = conn.execute(f"SELECT * FROM {table}")
        columns = tuple(description[0] for description in cursor.description)
        tables.append((table, columns, tuple(tuple(row) for row in cursor.fetchall())))
    return Snapshot(tuple(tables))


def restore(conn: sqlite3.Connection, taken: Snapshot) -> None:
    """Put the state back exactly as ``taken`` (rows, ids, sequence numbers)."""
    for table, columns, rows in taken.tables:
        conn.execute(f"DELETE FROM {table}")
        if rows:
            conn.executemany(
                f"INSERT INTO {table} ({','.join(columns)}) VALUES ({','.join('?' * len(columns))})", rows
            )
