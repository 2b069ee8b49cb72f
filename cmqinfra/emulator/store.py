"""The emulator's state: one SQLite file in WAL mode, every change one transaction.

A single connection serialised by a lock keeps the concurrency story simple and correct (SQLite
work per request is well under a millisecond). Every query a request makes is served by an index,
so paging through 10,000 queues stays cheap.

Durability is chosen for what an emulator must survive, a killed process, not a power cut: WAL
with synchronous=OFF. A COMMIT hands its WAL frames to the OS with write() before the reply goes
out, so a SIGKILLed emulator loses nothing it answered and never corrupts the file (the kernel
holds the pages); only a crash of the machine may lose the last commits. synchronous=NORMAL
fsyncs at every checkpoint, with the store's lock held: on a shared disk those stalls stopped
every request for milliseconds at a time (docs/performance.md, data plane).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA_VERSION = 2

# Columns the message data plane added to ``messages`` (schema 2); older files gain them on open.
_MESSAGE_COLUMNS = {
    "visible_ms": "INTEGER",  # next time the message can be received
    "expires_ms": "INTEGER",  # production time + the queue's retention at send time
    "dequeue_count": "INTEGER NOT NULL DEFAULT 0",
    "first_dequeue_ms": "INTEGER",
    "receipt": "TEXT",  # the one receipt handle that can delete it (the latest receive's)
    "deleted_ms": "INTEGER",  # set when deleted on a queue with rewind on: kept for RewindQueue
    # What the admin peek shows and redrive needs (null on rows written before them):
    "msg_tags": "TEXT",  # JSON list of the publish's msgTag values, for copies a topic fanned out
    "routing_key": "TEXT",  # the publish's routing key, for copies a routing-key topic fanned out
    "dead_from": "TEXT",  # name_lc of the queue a dead letter came from: where redrive returns it
}
_MESSAGE_INDEXES = """
DROP INDEX IF EXISTS messages_queue;
CREATE INDEX IF NOT EXISTS messages_ready ON messages (queue_lc, visible_ms) WHERE deleted_ms IS NULL;
CREATE INDEX IF NOT EXISTS messages_sent ON messages (queue_lc, sent_ms);
"""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS queues (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_lc TEXT NOT NULL UNIQUE,
    max_msg_heap_num INTEGER NOT NULL,
    polling_wait_seconds INTEGER NOT NULL,
    visibility_timeout INTEGER NOT NULL,
    max_msg_size INTEGER NOT NULL,
    msg_retention_seconds INTEGER NOT NULL,
    rewind_seconds INTEGER NOT NULL,
    retention_size_mb INTEGER NOT NULL,
    transaction_flag INTEGER,
    first_query_interval INTEGER,
    max_query_count INTEGER,
    dlq_name TEXT,
    dlq_name_lc TEXT,
    dlq_policy INTEGER,
    max_receive_count INTEGER,
    max_time_to_live INTEGER,
    trace INTEGER,
    rewind_start_ms INTEGER,
    create_ms INTEGER NOT NULL,
    modify_ms INTEGER NOT NULL,
    visible_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS queues_dlq ON queues (dlq_name_lc);
CREATE INDEX IF NOT EXISTS queues_visible ON queues (visible_at);
CREATE TABLE IF NOT EXISTS topics (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_lc TEXT NOT NULL UNIQUE,
    max_msg_size INTEGER NOT NULL,
    msg_retention_seconds INTEGER NOT NULL,
    filter_type INTEGER NOT NULL,
    trace INTEGER,
    msg_count INTEGER NOT NULL DEFAULT 0,
    create_ms INTEGER NOT NULL,
    modify_ms INTEGER NOT NULL,
    visible_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS topics_visible ON topics (visible_at);
CREATE TABLE IF NOT EXISTS subscriptions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    topic_name TEXT NOT NULL,
    topic_lc TEXT NOT NULL,
    name TEXT NOT NULL,
    name_lc TEXT NOT NULL,
    protocol TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    endpoint_lc TEXT NOT NULL,
    notify_strategy TEXT NOT NULL,
    notify_content_format TEXT NOT NULL,
    filter_tags TEXT NOT NULL,
    binding_key TEXT,
    msg_count INTEGER NOT NULL DEFAULT 0,
    create_ms INTEGER NOT NULL,
    modify_ms INTEGER NOT NULL,
    visible_at REAL NOT NULL,
    UNIQUE (topic_lc, name_lc)
);
CREATE INDEX IF NOT EXISTS subscriptions_endpoint ON subscriptions (endpoint_lc, protocol);
CREATE INDEX IF NOT EXISTS subscriptions_visible ON subscriptions (visible_at);
CREATE TABLE IF NOT EXISTS tags (
    kind TEXT NOT NULL,
    name_lc TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (kind, name_lc, key)
);
CREATE INDEX IF NOT EXISTS tags_lookup ON tags (kind, key, value);
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    queue_lc TEXT NOT NULL,
    msg_id TEXT NOT NULL,
    body TEXT NOT NULL,
    sent_ms INTEGER NOT NULL,
    due_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS pushes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    sub_id TEXT NOT NULL,
    msg_id TEXT NOT NULL,
    body TEXT NOT NULL,
    tags TEXT NOT NULL,
    publish_ms INTEGER NOT NULL,
    next_ms INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS pushes_due ON pushes (next_ms);
CREATE INDEX IF NOT EXISTS pushes_sub ON pushes (sub_id);
"""


class Store:
    """The SQLite file plus the lock that serialises access to its one connection."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=OFF")
            self._conn.execute("PRAGMA foreign_keys=OFF")
            self._conn.executescript(_SCHEMA)
            self._migrate_messages()
            self._conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
        self._invisible_until = self._max_visible_at()

    def _migrate_messages(self) -> None:
        present = {row[1] for row in self._conn.execute("PRAGMA table_info(messages)")}
        for column, kind in _MESSAGE_COLUMNS.items():
            if column not in present:
                self._conn.execute(f"ALTER TABLE messages ADD COLUMN {column} {kind}")
        # Messages written by schema 1 never expired and were never received.
        self._conn.execute("UPDATE messages SET visible_ms = due_ms WHERE visible_ms IS NULL")
        self._conn.execute("UPDATE messages SET expires_ms = 9223372036854775807 WHERE expires_ms IS NULL")
        self._conn.executescript(_MESSAGE_INDEXES)
        self._conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))

    def _max_visible_at(self) -> float:
        row = self._conn.execute(
            "SELECT MAX(v) FROM (SELECT MAX(visible_at) AS v FROM queues UNION ALL "
            "SELECT MAX(visible_at) FROM topics UNION ALL SELECT MAX(visible_at) FROM subscriptions)"
        ).fetchone()
        return float(row[0] or 0.0)

    def note_visible_at(self, visible_at: float) -> None:
        """Remember the latest time a resource becomes visible, so Describe* can skip the filter."""
        self._invisible_until = max(self._invisible_until, visible_at)

    def hides_resources(self, now: float) -> bool:
        return now < self._invisible_until

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One exclusive transaction: committed when the block ends, rolled back if it raises."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            try:
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                pass
            self._conn.close()
