"""The message domain: what happens to a message from send to delete, independent of any wire.

Both front doors (API 3.0 JSON and the CMQ form API) call these functions inside one store
transaction; they raise ``ApiError`` with the API 3.0 code and a ``cmq`` (code, module) pair that
the CMQ door renders. Times are milliseconds since the epoch from the backend's clock.

A message row is in one of these states (reference §4):
  delayed   deleted_ms NULL, visible_ms > now, dequeue_count = 0
  active    deleted_ms NULL, visible_ms <= now
  inactive  deleted_ms NULL, visible_ms > now, dequeue_count > 0 (received, hidden)
  kept      deleted_ms set: deleted on a queue with rewind on, receivable again after a rewind
Expired rows (expires_ms <= now) are never handed out and are purged as they are met.
"""

from __future__ import annotations

import json
import random
import secrets
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cmqinfra.emulator.delivery import Imperfection
from cmqinfra.emulator.errors import ApiError
from cmqinfra.routing import binding_keys_match, filter_tags_match

TAG_FILTER, ROUTING_FILTER = 1, 2
BATCH_LIMIT = 16
PUSH_QUEUE = "\x00push"  # the name woken when an http push is queued (no queue has this name)
TOPIC_MESSAGE_RETENTION_SECONDS = 86400


@dataclass(frozen=True)
class Message:
    """One received message, as both doors report it (times in milliseconds)."""

    msg_id: str
    body: str
    receipt_handle: str
    enqueue_ms: int
    first_dequeue_ms: int
    next_visible_ms: int
    dequeue_count: int


@dataclass(frozen=True)
class QueueCounts:
    active: int
    inactive: int
    delayed: int
    rewindable: int
    min_msg_ms: int | None  # production time of the oldest message not yet deleted


@dataclass(frozen=True)
class Delivery:
    """What a publish fanned out to: queues that got a copy and http subscriptions queued for push."""

    msg_id: str
    queues: tuple[str, ...]
    pushes: tuple[str, ...]


def queue_error(what: str) -> ApiError:
    return ApiError("ResourceNotFound", f"Queue `{what}` does not exist.", cmq=(4440, 10100))


def topic_error(what: str) -> ApiError:
    return ApiError("ResourceNotFound.Topic", f"Topic `{what}` does not exist.", cmq=(4440, 10600))


def require_queue(conn: sqlite3.Connection, name: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM queues WHERE name_lc = ?", (name.lower(),)).fetchone()
    if row is None:
        raise queue_error(name)
    return row


def require_topic(conn: sqlite3.Connection, name: str) -> sqlite3.Row:
    row = conn.execute("SELECT * FROM topics WHERE name_lc = ?", (name.lower(),)).fetchone()
    if row is None:
        raise topic_error(name)
    return row


# Message ids only need to be unique: drawn from a generator the OS seeds once, not from the OS
# on every message (uuid4 reads os.urandom each time, a system call per message of a batch).
_ids = random.Random()


def new_msg_id() -> str:
    return f"{_ids.getrandbits(128):032X}"


# ---------------------------------------------------------------------------------------------- send


def check_body(field: str, body: str, max_size: int, owner: str) -> None:
    size = len(body.encode("utf-8"))
    if size > max_size:
        raise ApiError(
            "InvalidParameterValue",
            f"The value of parameter `{field}` is invalid: {size} bytes is over the {owner}'s "
            f"MaxMsgSize {max_size}.",
            cmq=(4400, 10230),
        )


def heap_full(conn: sqlite3.Connection, queue: sqlite3.Row, adding: int) -> bool:
    limit = queue["max_msg_heap_num"]
    # Every message row lies between the table's lowest and highest seq (two b-tree lookups):
    # while that span leaves room, no queue can be full, and the count below, a walk over all of
    # the queue's rows (20 ms per send at a backlog of 100,000), is not needed.
    low, high = conn.execute(
        "SELECT (SELECT MIN(seq) FROM messages), (SELECT MAX(seq) FROM messages)"
    ).fetchone()
    if low is None or high - low + 1 + adding <= limit:
        return adding > limit
    held = conn.execute(
        "SELECT COUNT(*) FROM (SELECT 1 FROM messages WHERE queue_lc = ? AND deleted_ms IS NULL LIMIT ?)",
        (queue["name_lc"], limit),
    ).fetchone()[0]
    return held + adding > limit


def enqueue(
    conn: sqlite3.Connection,
    queue: sqlite3.Row,
    bodies: Sequence[str],
    now_ms: int,
    delay_seconds: int,
    *,
    tags: Sequence[str] = (),
    routing_key: str = "",
) -> list[str]:
    """Insert messages into ``queue`` (after the size and backlog checks); return their ids.
    ``tags`` and ``routing_key`` are a publish's, kept on the copy so that a peek shows them."""
    for body in bodies:
        check_body("msgBody", body, queue["max_msg_size"], "queue")
    if heap_full(conn, queue, len(bodies)):
        raise ApiError(
            "FailedOperation",
            f"Queue `{queue['name']}` holds its MaxMsgHeapNum of {queue['max_msg_heap_num']} messages.",
            cmq=(4410, 10240),
        )
    due = now_ms + delay_seconds * 1000
    expires = now_ms + queue["msg_retention_seconds"] * 1000
    ids = [new_msg_id() for _ in bodies]
    msg_tags = json.dumps(list(tags)) if tags else None
    conn.executemany(
        "INSERT INTO messages (queue_lc, msg_id, body, sent_ms, due_ms, visible_ms, expires_ms, msg_tags,"
        " routing_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (queue["name_lc"], msg_id, body, now_ms, due, due, expires, msg_tags, routing_key or None)
            for msg_id, body in zip(ids, bodies, strict=True)
        ],
    )
    return ids


# ------------------------------------------------------------------------------------------- receive


def _dead_letter_queue(conn: sqlite3.Connection, queue: sqlite3.Row) -> sqlite3.Row | None:
    if queue["dlq_name_lc"] is None:
        return None
    return conn.execute("SELECT * FROM queues WHERE name_lc = ?", (queue["dlq_name_lc"],)).fetchone()


def _is_dead(queue: sqlite3.Row, dequeue_count: int, sent_ms: int, now_ms: int) -> bool:
    if queue["dlq_name_lc"] is None:
        return False
    if queue["dlq_policy"] == 1:
        return queue["max_time_to_live"] is not None and sent_ms + queue["max_time_to_live"] * 1000 <= now_ms
    return queue["max_receive_count"] is not None and dequeue_count >= queue["max_receive_count"]


def _move_to_dead_letter(
    conn: sqlite3.Connection,
    seq: int,
    source: sqlite3.Row,
    dlq: sqlite3.Row | None,
    now_ms: int,
    woken: set[str],
) -> None:
    # The copy is a new message of the DLQ (new id, counters reset, the DLQ's retention); it
    # keeps the publish's tags and remembers its source queue, where a redrive returns it.
    if dlq is not None:
        conn.execute(
            "INSERT INTO messages (queue_lc, msg_id, body, sent_ms, due_ms, visible_ms, expires_ms, msg_tags,"
            " routing_key, dead_from) SELECT ?, ?, body, ?, ?, ?, ?, msg_tags, routing_key, ? FROM messages"
            " WHERE seq = ?",
            (
                dlq["name_lc"],
                new_msg_id(),
                now_ms,
                now_ms,
                now_ms,
                now_ms + dlq["msg_retention_seconds"] * 1000,
                source["name_lc"],
                seq,
            ),
        )
        woken.add(dlq["name_lc"])
    conn.execute("DELETE FROM messages WHERE seq = ?", (seq,))


def receive(
    conn: sqlite3.Connection,
    queue: sqlite3.Row,
    count: int,
    now_ms: int,
    woken: set[str],
    imperfect: Imperfection | None = None,
) -> list[Message]:
    """Hand out up to ``count`` active messages, each hidden for the queue's visibility timeout
    under a new receipt handle. Expired messages are dropped and dead ones moved as they are met.
    ``imperfect`` (realistic delivery) reorders among the oldest and sometimes leaves a copy."""
    _sweep_sources_of(conn, queue, now_ms, woken)
    dlq = _dead_letter_queue(conn, queue) if queue["dlq_name_lc"] else None
    visible_until = now_ms + queue["visibility_timeout"] * 1000
    taken: list[Message] = []
    handed: set[int] = set()
    # One draw from the OS for every receipt this call can hand out, 16 hex digits each.
    secret = secrets.token_hex(8 * count)
    while len(taken) < count:
        updates: list[tuple[int, str, int, int, int]] = []  # one executemany per pass, not a call per row
        wanted = count - len(taken)
        extra = imperfect.window if imperfect is not None else 0
        rows = conn.execute(
            "SELECT seq, msg_id, body, sent_ms, dequeue_count, first_dequeue_ms, expires_ms FROM messages"
            " WHERE queue_lc = ? AND deleted_ms IS NULL AND visible_ms <= ? ORDER BY visible_ms, seq LIMIT ?",
            (queue["name_lc"], now_ms, wanted + extra),
        ).fetchall()
        rows = [row for row in rows if row["seq"] not in handed]
        if not rows:
            break
        if imperfect is not None:
            rows = imperfect.pick(rows, wanted)
            imperfect.received(row["seq"] for row in rows)
        for row in rows:
            if row["expires_ms"] <= now_ms:
                conn.execute("DELETE FROM messages WHERE seq = ?", (row["seq"],))
                continue
            if _is_dead(queue, row["dequeue_count"], row["sent_ms"], now_ms):
                _move_to_dead_letter(conn, row["seq"], queue, dlq, now_ms, woken)
                continue
            at = 16 * len(taken)
            handle = f"{row['seq']}:{secret[at:at + 16]}"
            first = row["first_dequeue_ms"] or now_ms
            dequeues = row["dequeue_count"] + 1
            updates.append((visible_until, handle, dequeues, first, row["seq"]))
            taken.append(
                Message(row["msg_id"], row["body"], handle, row["sent_ms"], first, visible_until, dequeues)
            )
            handed.add(row["seq"])
            if imperfect is not None and imperfect.duplicate():
                copy = _redeliverable_copy(conn, row, queue, now_ms, dequeues, first)
                imperfect.link(row["seq"], copy)
                handed.add(copy)
        conn.executemany(
            "UPDATE messages SET visible_ms = ?, receipt = ?, dequeue_count = ?, first_dequeue_ms = ?"
            " WHERE seq = ?",
            updates,
        )
    return taken


def _redeliverable_copy(
    conn: sqlite3.Connection, row: sqlite3.Row, queue: sqlite3.Row, now_ms: int, dequeues: int, first: int
) -> int:
    """A second delivery of a just-received message (same msgId, counters, expiry), receivable
    now under its own receipt handle: at-least-once delivery made visible."""
    cursor = conn.execute(
        "INSERT INTO messages (queue_lc, msg_id, body, sent_ms, due_ms, visible_ms, expires_ms,"
        " dequeue_count, first_dequeue_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        # Due since it was sent: it sorts among the oldest, where the next receive looks first.
        (queue["name_lc"], row["msg_id"], row["body"], row["sent_ms"], row["sent_ms"], row["sent_ms"],
         row["expires_ms"], dequeues, first),
    )
    return int(cursor.lastrowid or 0)


def next_due_ms(conn: sqlite3.Connection, queue_lc: str) -> int | None:
    """When the earliest hidden (delayed or inactive) message of the queue becomes active, or a
    message of one of its source queues falls dead and moves here, whichever comes first: a long
    poll on a dead-letter queue wakes for the move, not at its deadline."""
    row = conn.execute(
        "SELECT MIN(visible_ms) FROM messages WHERE queue_lc = ? AND deleted_ms IS NULL", (queue_lc,)
    ).fetchone()
    times = [row[0]]
    for source in conn.execute(
        "SELECT name_lc, dlq_policy, max_receive_count, max_time_to_live FROM queues WHERE dlq_name_lc = ?",
        (queue_lc,),
    ).fetchall():
        if source["dlq_policy"] == 1 and source["max_time_to_live"] is not None:
            found = conn.execute(
                "SELECT MIN(MAX(visible_ms, sent_ms + ?)) FROM messages"
                " WHERE queue_lc = ? AND deleted_ms IS NULL",
                (source["max_time_to_live"] * 1000, source["name_lc"]),
            ).fetchone()
        elif source["dlq_policy"] != 1 and source["max_receive_count"] is not None:
            found = conn.execute(
                "SELECT MIN(visible_ms) FROM messages WHERE queue_lc = ? AND deleted_ms IS NULL"
                " AND dequeue_count >= ?",
                (source["name_lc"], source["max_receive_count"]),
            ).fetchone()
        else:
            continue
        times.append(found[0])
    due = [value for value in times if value is not None]
    return min(due) if due else None


def _sweep(conn: sqlite3.Connection, queue: sqlite3.Row, now_ms: int, woken: set[str]) -> None:
    """Apply expiry, the rewind window and the dead-letter policy to every row of ``queue``."""
    name_lc = queue["name_lc"]
    conn.execute("DELETE FROM messages WHERE queue_lc = ? AND expires_ms <= ?", (name_lc, now_ms))
    conn.execute(
        "DELETE FROM messages WHERE queue_lc = ? AND deleted_ms IS NOT NULL AND sent_ms < ?",
        (name_lc, now_ms - queue["rewind_seconds"] * 1000),
    )
    if queue["dlq_name_lc"] is None:
        return
    if queue["dlq_policy"] == 1:
        if queue["max_time_to_live"] is None:
            return
        dead = conn.execute(
            "SELECT seq, body FROM messages WHERE queue_lc = ? AND deleted_ms IS NULL AND visible_ms <= ?"
            " AND sent_ms <= ? ORDER BY seq",
            (name_lc, now_ms, now_ms - queue["max_time_to_live"] * 1000),
        ).fetchall()
    else:
        if queue["max_receive_count"] is None:
            return
        dead = conn.execute(
            "SELECT seq, body FROM messages WHERE queue_lc = ? AND deleted_ms IS NULL AND visible_ms <= ?"
            " AND dequeue_count >= ? ORDER BY seq",
            (name_lc, now_ms, queue["max_receive_count"]),
        ).fetchall()
    dlq = _dead_letter_queue(conn, queue)
    for row in dead:
        _move_to_dead_letter(conn, row["seq"], queue, dlq, now_ms, woken)


def _sweep_sources_of(conn: sqlite3.Connection, dlq: sqlite3.Row, now_ms: int, woken: set[str]) -> None:
    for source in conn.execute("SELECT * FROM queues WHERE dlq_name_lc = ?", (dlq["name_lc"],)).fetchall():
        _sweep(conn, source, now_ms, woken)


def settle(conn: sqlite3.Connection, queue: sqlite3.Row, now_ms: int, woken: set[str]) -> None:
    """Bring the queue up to the clock before it is looked at: its expiry, rewind window and
    dead-letter moves, and the dead letters its sources owe it."""
    _sweep(conn, queue, now_ms, woken)
    _sweep_sources_of(conn, queue, now_ms, woken)


def counts(conn: sqlite3.Connection, queue: sqlite3.Row, now_ms: int) -> QueueCounts:
    return counts_many(conn, [queue], now_ms)[queue["name_lc"]]


def counts_many(
    conn: sqlite3.Connection, queues: Sequence[sqlite3.Row], now_ms: int
) -> dict[str, QueueCounts]:
    """Message counts of several queues (a Describe page) in a handful of queries: expiry for all
    at once, the rewind window and dead-letter moves only where a queue has them."""
    if not queues:
        return {}
    names = [queue["name_lc"] for queue in queues]
    marks = ",".join("?" * len(names))
    woken: set[str] = set()
    for queue in queues:
        if queue["rewind_seconds"] or queue["dlq_name_lc"]:
            _sweep(conn, queue, now_ms, woken)
    for source in conn.execute(f"SELECT * FROM queues WHERE dlq_name_lc IN ({marks})", names).fetchall():
        _sweep(conn, source, now_ms, woken)
    result = {name: QueueCounts(0, 0, 0, 0, None) for name in names}
    # Expired rows are left for the next receive to purge: counting only skips them.
    live = "deleted_ms IS NULL AND expires_ms > :now"
    named = ",".join(f":q{i}" for i in range(len(names)))
    for row in conn.execute(
        f"SELECT queue_lc, SUM({live} AND visible_ms <= :now),"
        f" SUM({live} AND visible_ms > :now AND dequeue_count > 0),"
        f" SUM({live} AND visible_ms > :now AND dequeue_count = 0),"
        " SUM(deleted_ms IS NOT NULL AND expires_ms > :now),"
        f" MIN(CASE WHEN {live} THEN sent_ms END)"
        f" FROM messages WHERE queue_lc IN ({named}) GROUP BY queue_lc",
        {"now": now_ms, **{f"q{i}": name for i, name in enumerate(names)}},
    ):
        result[row[0]] = QueueCounts(row[1] or 0, row[2] or 0, row[3] or 0, row[4] or 0, row[5])
    return result


# -------------------------------------------------------------------------------------------- delete


def handle_error(handle: str) -> ApiError:
    return ApiError(
        "InvalidParameterValue",
        f"The receipt handle `{handle[:80]}` is invalid or expired.",
        cmq=(4430, 10260),
    )


def delete(conn: sqlite3.Connection, queue: sqlite3.Row, handle: str, now_ms: int) -> int:
    """Delete by the latest receipt handle, before the message becomes visible again; the row's
    seq."""
    seq_text, _, _ = handle.partition(":")
    if not seq_text.isdigit() or len(seq_text) > 18:
        raise handle_error(handle)
    row = conn.execute(
        "SELECT seq, receipt, visible_ms FROM messages WHERE seq = ? AND queue_lc = ? AND deleted_ms IS NULL",
        (int(seq_text), queue["name_lc"]),
    ).fetchone()
    if row is None or row["receipt"] != handle or row["visible_ms"] <= now_ms:
        raise handle_error(handle)
    if queue["rewind_seconds"] > 0:
        conn.execute("UPDATE messages SET deleted_ms = ?, receipt = NULL WHERE seq = ?", (now_ms, row["seq"]))
    else:
        conn.execute("DELETE FROM messages WHERE seq = ?", (row["seq"],))
    return int(row["seq"])


def delete_many(
    conn: sqlite3.Connection, queue: sqlite3.Row, handles: Sequence[str], now_ms: int
) -> tuple[list[int], list[tuple[str, ApiError]]]:
    """``delete`` of each handle in order, in one read and one write: the rows' seqs, and the
    (handle, error) pairs of the handles that failed (a handle given twice fails the second time)."""
    parsed: list[int | None] = []
    for handle in handles:
        seq_text = handle.partition(":")[0]
        parsed.append(int(seq_text) if seq_text.isdigit() and len(seq_text) <= 18 else None)
    wanted = sorted({seq for seq in parsed if seq is not None})
    rows: dict[int, sqlite3.Row] = {}
    for start in range(0, len(wanted), 500):  # under SQLite's bound on parameters per statement
        part = wanted[start:start + 500]
        # By primary key only: with the queue's name in the WHERE clause SQLite may pick the
        # queue's index and walk its whole backlog (12 ms a batch at 100,000 messages).
        rows.update(
            (row[0], row)
            for row in conn.execute(
                "SELECT seq, queue_lc, deleted_ms, receipt, visible_ms FROM messages"
                f" WHERE seq IN ({','.join('?' * len(part))})",
                part,
            )
            if row[1] == queue["name_lc"] and row[2] is None
        )
    done: list[int] = []
    failed: list[tuple[str, ApiError]] = []
    for handle, seq in zip(handles, parsed, strict=True):
        row = rows.pop(seq, None) if seq is not None else None
        if row is None or row["receipt"] != handle or row["visible_ms"] <= now_ms:
            failed.append((handle, handle_error(handle)))
        else:
            done.append(seq)  # type: ignore[arg-type]  # row found: seq is an int
    if queue["rewind_seconds"] > 0:
        kept = [(now_ms, seq) for seq in done]
        conn.executemany("UPDATE messages SET deleted_ms = ?, receipt = NULL WHERE seq = ?", kept)
    else:
        conn.executemany("DELETE FROM messages WHERE seq = ?", [(seq,) for seq in done])
    return done, failed


def drop_copies(conn: sqlite3.Connection, queue: sqlite3.Row, seqs: Sequence[int]) -> None:
    """Remove redelivered copies of a message just deleted (realistic delivery)."""
    conn.executemany(
        "DELETE FROM messages WHERE seq = ? AND queue_lc = ?", [(seq, queue["name_lc"]) for seq in seqs]
    )


# ---------------------------------------------------------------------------------- rewind and clear


def rewind(conn: sqlite3.Connection, queue: sqlite3.Row, start_ms: int, now_ms: int) -> int:
    """Make every message produced at or after ``start_ms`` receivable again, deleted ones included."""
    if queue["rewind_seconds"] == 0:
        raise ApiError(
            "FailedOperation",
            f"Message rewind is not enabled on queue `{queue['name']}` (rewindSeconds is 0).",
            cmq=(6050, 10670),
        )
    earliest = now_ms - queue["rewind_seconds"] * 1000
    if not earliest <= start_ms <= now_ms:
        raise ApiError(
            "InvalidParameterValue",
            f"The value of parameter `StartConsumeTime` is invalid: {start_ms // 1000} is outside the rewind "
            f"window of the last {queue['rewind_seconds']} seconds.",
            cmq=(4000, 10680),
        )
    # Kept (deleted) messages come back; active ones line up with them in production order. A
    # delayed message stays delayed and a received one keeps its receipt handle until its
    # nextVisibleTime: a rewind re-reads what was consumed, it does not hurry or revoke anything.
    restored = conn.execute(
        "UPDATE messages SET deleted_ms = NULL, receipt = NULL, visible_ms = MAX(due_ms, ?)"
        " WHERE queue_lc = ? AND deleted_ms IS NOT NULL AND sent_ms >= ? AND expires_ms > ?",
        (now_ms, queue["name_lc"], start_ms, now_ms),
    ).rowcount
    lined_up = conn.execute(
        "UPDATE messages SET visible_ms = ? WHERE queue_lc = ? AND deleted_ms IS NULL AND visible_ms <= ?"
        " AND sent_ms >= ? AND expires_ms > ?",
        (now_ms, queue["name_lc"], now_ms, start_ms, now_ms),
    ).rowcount
    conn.execute("UPDATE queues SET rewind_start_ms = ? WHERE seq = ?", (start_ms, queue["seq"]))
    return restored + lined_up


def clear(conn: sqlite3.Connection, queue: sqlite3.Row) -> None:
    conn.execute("DELETE FROM messages WHERE queue_lc = ?", (queue["name_lc"],))


def drop_rewind_copies(conn: sqlite3.Connection, queue_lc: str) -> None:
    """Rewind turned off: the kept deleted messages go."""
    conn.execute("DELETE FROM messages WHERE queue_lc = ? AND deleted_ms IS NOT NULL", (queue_lc,))


# ------------------------------------------------------------------------------------------- publish


def subscription_matches(topic: sqlite3.Row, sub: sqlite3.Row, tags: Sequence[str], routing_key: str) -> bool:
    """The ``cmqinfra route`` matcher: a topic honours only the filter kind of its FilterType."""
    if topic["filter_type"] == ROUTING_FILTER:
        binding = json.loads(sub["binding_key"]) if sub["binding_key"] else []
        return binding_keys_match(binding, routing_key)
    return filter_tags_match(json.loads(sub["filter_tags"]), tags)


def fan_out(
    conn: sqlite3.Connection,
    topic: sqlite3.Row,
    bodies: Sequence[str],
    tags: Sequence[str],
    routing_key: str,
    now_ms: int,
    woken: set[str],
) -> list[Delivery]:
    """Publish ``bodies`` to ``topic``: a copy for every matching queue subscription (the target
    queue's limits apply; a full or missing queue skips its copy) and a push for every matching
    http subscription."""
    for body in bodies:
        check_body("msgBody", body, topic["max_msg_size"], "topic")
    subs = conn.execute(
        "SELECT * FROM subscriptions WHERE topic_lc = ? ORDER BY seq", (topic["name_lc"],)
    ).fetchall()
    matched = [sub for sub in subs if subscription_matches(topic, sub, tags, routing_key)]
    deliveries: list[Delivery] = []
    for body in bodies:
        msg_id = new_msg_id()
        queues: list[str] = []
        pushes: list[str] = []
        for sub in matched:
            if sub["protocol"] == "queue":
                target = conn.execute(
                    "SELECT * FROM queues WHERE name_lc = ?", (sub["endpoint_lc"],)
                ).fetchone()
                if target is None:
                    continue
                try:
                    enqueue(conn, target, [body], now_ms, 0, tags=tags, routing_key=routing_key)
                except ApiError:
                    continue
                queues.append(target["name"])
                woken.add(target["name_lc"])
            else:
                conn.execute(
                    "INSERT INTO pushes (sub_id, msg_id, body, tags, publish_ms, next_ms)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (sub["id"], msg_id, body, json.dumps(list(tags)), now_ms, now_ms),
                )
                conn.execute(
                    "UPDATE subscriptions SET msg_count = msg_count + 1 WHERE seq = ?", (sub["seq"],)
                )
                pushes.append(sub["name"])
                woken.add(PUSH_QUEUE)
        deliveries.append(Delivery(msg_id, tuple(queues), tuple(pushes)))
    return deliveries


def topic_backlog(conn: sqlite3.Connection, topic_lc: str) -> int:
    """A topic's MsgCount, "the message backlog": its messages still waiting for a push to some
    http subscription (queue copies are made at publish time). It falls as pushes are delivered
    or given up, so it is not a count of everything ever published."""
    row = conn.execute(
        "SELECT COUNT(DISTINCT p.msg_id) FROM pushes p JOIN subscriptions s ON s.id = p.sub_id"
        " WHERE s.topic_lc = ?",
        (topic_lc,),
    ).fetchone()
    return int(row[0])


def unmatched(deliveries: Iterable[Delivery]) -> bool:
    return all(not d.queues and not d.pushes for d in deliveries)
