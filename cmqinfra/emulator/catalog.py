"""Name lookups and paged name listings of queues, topics and subscriptions, for any front door."""

from __future__ import annotations

import sqlite3


def _page(
    conn: sqlite3.Connection, table: str, where: str, args: tuple[object, ...], offset: int, limit: int
) -> tuple[int, list[sqlite3.Row]]:
    total = conn.execute(f"SELECT COUNT(*) FROM {table} WHERE {where}", args).fetchone()[0]
    rows = conn.execute(
        f"SELECT * FROM {table} WHERE {where} ORDER BY seq LIMIT ? OFFSET ?", (*args, limit, offset)
    ).fetchall()
    return total, rows


def list_queues(
    conn: sqlite3.Connection, like: str, offset: int, limit: int, dead_letter_of: str | None = None
) -> tuple[int, list[sqlite3.Row]]:
    """Queues whose name matches the LIKE pattern ``like`` (and that use ``dead_letter_of``, the
    lower-case name of a dead-letter queue, when given), in creation order."""
    if dead_letter_of is None:
        return _page(conn, "queues", "name_lc LIKE ? ESCAPE '\\'", (like,), offset, limit)
    return _page(
        conn,
        "queues",
        "dlq_name_lc = ? AND name_lc LIKE ? ESCAPE '\\'",
        (dead_letter_of, like),
        offset,
        limit,
    )


def list_topics(
    conn: sqlite3.Connection, like: str, offset: int, limit: int
) -> tuple[int, list[sqlite3.Row]]:
    return _page(conn, "topics", "name_lc LIKE ? ESCAPE '\\'", (like,), offset, limit)


def list_subscriptions(
    conn: sqlite3.Connection, topic_lc: str, like: str, offset: int, limit: int
) -> tuple[int, list[sqlite3.Row]]:
    return _page(
        conn, "subscriptions", "topic_lc = ? AND name_lc LIKE ? ESCAPE '\\'", (topic_lc, like), offset, limit
    )


def subscription_count(conn: sqlite3.Connection, topic_lc: str) -> int:
    return int(
        conn.execute("SELECT COUNT(*) FROM subscriptions WHERE topic_lc = ?", (topic_lc,)).fetchone()[0]
    )


def find_subscription(conn: sqlite3.Connection, topic: str, name: str) -> sqlite3.Row | None:
    return conn.execute(
        "SELECT * FROM subscriptions WHERE topic_lc = ? AND name_lc = ?", (topic.lower(), name.lower())
    ).fetchone()


def queue_id(conn: sqlite3.Connection, name_lc: str) -> str | None:
    row = conn.execute("SELECT id FROM queues WHERE name_lc = ?", (name_lc,)).fetchone()
    return None if row is None else str(row["id"])
