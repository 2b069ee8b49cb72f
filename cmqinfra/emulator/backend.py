"""The one backend behind every front door: store + clock + message domain + HTTP push.

    backend = Backend.open("state.sqlite3", clock=VirtualClock())
    backend.call("CreateCmqQueue", {"QueueName": "orders"})        # any API 3.0 action, in process
    backend.send("orders", "hello", delay_seconds=0)
    [msg] = backend.receive("orders", count=1, wait_seconds=0)
    backend.delete("orders", msg.receipt_handle)
    backend.clock.advance(30)                                       # VirtualClock only
    backend.deliver_due()                                           # run due HTTP pushes now

Long polls wait on a condition per queue that sends, publishes, rewinds and dead-letter moves
notify after their commit (and that a VirtualClock's ``advance`` wakes), so a waiting receive
costs nothing while it waits and returns as soon as a message is there. A change that makes
messages receivable on a queue where receives wait also receives them for those waiters, oldest
waiter first, in its own transaction: a woken receive returns what it was handed without a
transaction of its own (the wake-up's second half, docs/performance.md).
"""

from __future__ import annotations

import functools
import json
import random
import sqlite3
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cmqinfra.emulator import messages
from cmqinfra.emulator.clock import Clock, RealClock
from cmqinfra.emulator.context import Context
from cmqinfra.emulator.delivery import STRICT, DeliveryMode, imperfection
from cmqinfra.emulator.errors import ApiError
from cmqinfra.emulator.messages import Delivery, Message, QueueCounts
from cmqinfra.emulator.store import Store
from cmqinfra.emulator.stsservice import DEFAULT_ACCOUNT_ID

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

    from cmqinfra.emulator.admin import PeekedMessage, Redrive, Reset, Snapshot

Handler = Callable[[Context, dict[str, Any]], dict[str, Any]]

DEFAULT_REGION = "ap-guangzhou"
TOPIC_OWNER = 1300000000  # the emulated account's APPID
PUSH_TIMEOUT_SECONDS = 15.0
PUSH_BATCH = 64
# Pushes run side by side, so one endpoint that hangs for its 15 s holds up only its own
# subscription (at most PUSH_PER_SUBSCRIPTION tries at once), never the others.
PUSH_WORKERS = 16
PUSH_PER_SUBSCRIPTION = 4
BACKOFF_RETRIES = 3
BACKOFF_INTERVAL = (10.0, 20.0)
EXPONENTIAL_CAP_SECONDS = 512
PUSH_LIFETIME_SECONDS = 86400
PUSH_LOG_KEPT = 10_000



def _admin() -> Any:
    """The admin operations (peek, purge, redrive, reset, snapshot): loaded on first use, as a
    plan or an apply never needs them."""
    from cmqinfra.emulator import admin

    return admin

@dataclass(frozen=True)
class PushRequest:
    url: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class PushAttempt:
    """One HTTP push try, as recorded in ``Backend.push_log``."""

    topic: str
    subscription: str
    endpoint: str
    msg_id: str
    body: bytes
    headers: dict[str, str]
    attempt: int  # 1 for the first try
    status: int | None  # None: no answer (refused, timed out)
    delivered: bool
    at: float  # clock time of the try
    next_retry: float | None  # clock time of the next try, None when delivered or given up


Pusher = Callable[[PushRequest], int]


@functools.cache
def _push_opener() -> Any:
    """An opener that never follows a redirect: a push is one POST, and a 3xx answer is the
    endpoint's answer (a failed try), not a hop."""
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    return urllib.request.build_opener(NoRedirect())


def http_pusher(request: PushRequest) -> int:
    """POST with the standard library; the HTTP status, or an exception when nothing answered."""
    import urllib.error  # here: most emulators never push, and urllib.request is slow to import
    import urllib.request

    req = urllib.request.Request(request.url, data=request.body, headers=request.headers, method="POST")
    try:
        with _push_opener().open(req, timeout=PUSH_TIMEOUT_SECONDS) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def next_retry_delay(strategy: str, failures: int, rng: random.Random) -> float | None:
    """Seconds until the next try after ``failures`` failed tries, or None to give up."""
    if strategy == "BACKOFF_RETRY":
        return rng.uniform(*BACKOFF_INTERVAL) if failures <= BACKOFF_RETRIES else None
    return float(min(2 ** (failures - 1), EXPONENTIAL_CAP_SECONDS))


@dataclass(eq=False)
class _Waiter:
    """A receive waiting on a queue (long poll). A transaction that makes messages receivable
    receives up to ``count`` of them for it: ``claimed`` while that transaction commits, ``got``
    once it has; a transaction that fails unclaims it and the receive tries again itself."""

    count: int
    claimed: bool = False
    got: list[Message] | None = None


_Claim = tuple[str, _Waiter, list[Message]]  # (queue name_lc, the waiter, what it was handed)


class Backend:
    """Queues, topics, subscriptions and their messages over one SQLite store and one clock."""

    def __init__(
        self,
        store: Store,
        clock: Clock | None = None,
        *,
        region: str = DEFAULT_REGION,
        pusher: Pusher | None = None,
        push_loop: bool = True,
        seed: int | None = None,
        unmatched_publish_error: bool = False,
        account_id: str = DEFAULT_ACCOUNT_ID,
        delivery: DeliveryMode | str = STRICT,
        delivery_seed: int | None = None,
    ) -> None:
        self.store = store
        self.account_id = account_id  # the one root account (uin) the emulator answers as
        # The CMQ door answers 6030 to a publish that reaches no subscription when set.
        self.unmatched_publish_error = unmatched_publish_error
        self.clock: Any = clock or RealClock()
        self.region = region
        self.push_log: deque[PushAttempt] = deque(maxlen=PUSH_LOG_KEPT)
        self._pusher = pusher or http_pusher
        self._rng = random.Random(seed)
        # Realistic delivery (reorder, redeliver, false empty) draws from its own seeded generator.
        self.delivery = delivery if isinstance(delivery, DeliveryMode) else DeliveryMode(
            delivery, seed if delivery_seed is None else delivery_seed
        )
        self._imperfect = imperfection(self.delivery)
        self._conditions: dict[str, threading.Condition] = {}
        self._versions: dict[str, int] = {}
        self._waiters: dict[str, deque[_Waiter]] = {}  # per queue, under that queue's condition
        self._conditions_lock = threading.Lock()
        self._push_lock = threading.Lock()
        self._push_wake = threading.Condition()
        self._push_version = 0
        self._push_pool: ThreadPoolExecutor | None = None  # made at the first push: start-up stays lean
        self._pushing: dict[int, str] = {}  # push seq -> subscription id, while its try runs
        self._push_futures: dict[int, Future[int]] = {}  # push seq -> its running try
        self._closed = False
        self.clock.on_advance(self._on_advance)
        self._push_thread: threading.Thread | None = None
        if push_loop:
            self._push_thread = threading.Thread(target=self._push_forever, name="cmqinfra-push", daemon=True)
            self._push_thread.start()

    @classmethod
    def open(cls, path: Path | str, clock: Clock | None = None, **options: Any) -> Backend:
        return cls(Store(path), clock, **options)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._on_advance()
        if self._push_thread is not None:
            self._push_thread.join(timeout=5)
        if self._push_pool is not None:
            self._push_pool.shutdown(wait=False, cancel_futures=True)
        self.store.close()

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------------------- transactions

    def now_ms(self) -> int:
        return int(self.clock.now() * 1000)

    @contextmanager
    def transaction(self, invisible_seconds: float = 0.0) -> Iterator[Context]:
        """One store transaction as a handler Context; queues it touched are woken after commit."""
        now = self.clock.now()
        if invisible_seconds:
            self.store.note_visible_at(now + invisible_seconds)
        woken: set[str] = set()
        claims: list[_Claim] = []
        try:
            with self.store.transaction() as conn:
                ctx = Context(
                    conn=conn,
                    now=now,
                    region=self.region,
                    invisible_seconds=invisible_seconds,
                    hide_invisible=self.store.hides_resources(now),
                    account_id=self.account_id,
                    woken=woken,
                )
                yield ctx
                if woken and self._imperfect is None:  # realistic delivery: each receive draws its own
                    self._hand_off(ctx, claims)
        except BaseException:
            self._settle(claims, committed=False)
            raise
        self._settle(claims, committed=True)
        self._wake(woken)

    def execute(
        self, handler: Handler, params: dict[str, Any], invisible_seconds: float = 0.0
    ) -> dict[str, Any]:
        with self.transaction(invisible_seconds) as ctx:
            return handler(ctx, params)

    def call(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        """Run an API 3.0 action (``CreateCmqQueue``...) in process, its parameters type-checked."""
        from cmqinfra.emulator.api3 import HANDLERS
        from cmqinfra.emulator.params import validate

        return self.execute(HANDLERS[action], validate(action, params))

    # ------------------------------------------------------------------------------------ waking

    def _condition(self, queue_lc: str) -> threading.Condition:
        with self._conditions_lock:
            condition = self._conditions.get(queue_lc)
            if condition is None:
                condition = self._conditions[queue_lc] = threading.Condition()
            return condition

    def _wake(self, queues: set[str]) -> None:
        for queue_lc in queues:
            if queue_lc == messages.PUSH_QUEUE:
                self._wake_pushes()
                continue
            condition = self._conditions.get(queue_lc)
            if condition is None:
                continue
            with condition:
                self._versions[queue_lc] = self._versions.get(queue_lc, 0) + 1
                condition.notify_all()

    def _hand_off(self, ctx: Context, claims: list[_Claim]) -> None:
        """Receive, inside the transaction that made them receivable, for the receives waiting
        on the queues it woke, oldest first, while there is something for them."""
        for queue_lc in list(ctx.woken):
            waiters = self._waiters.get(queue_lc)
            if not waiters:
                continue
            with self._conditions[queue_lc]:
                row = None
                while waiters:
                    if row is None:
                        sql = "SELECT * FROM queues WHERE name_lc = ?"
                        row = ctx.conn.execute(sql, (queue_lc,)).fetchone()
                        if row is None:
                            break
                    got = messages.receive(ctx.conn, row, waiters[0].count, ctx.now_ms, ctx.woken)
                    if not got:
                        break
                    waiter = waiters.popleft()
                    waiter.claimed = True
                    claims.append((queue_lc, waiter, got))

    def _settle(self, claims: list[_Claim], committed: bool) -> None:
        """After the commit, give each claimed waiter its messages (the wake that follows
        notifies it); after a rollback, let it go back to receiving for itself, now."""
        for queue_lc, waiter, got in claims:
            with self._conditions[queue_lc]:
                if committed:
                    waiter.got = got
                else:
                    waiter.claimed = False
                    self._conditions[queue_lc].notify_all()

    def _on_advance(self) -> None:
        with self._conditions_lock:
            conditions = list(self._conditions.values())
        for condition in conditions:
            with condition:
                condition.notify_all()
        self._wake_pushes()

    def _wake_pushes(self) -> None:
        with self._push_wake:
            self._push_version += 1
            self._push_wake.notify_all()

    # ---------------------------------------------------------------------------------- messages

    def send(self, queue: str, body: str, delay_seconds: int = 0) -> str:
        return self.send_batch(queue, [body], delay_seconds)[0]

    def send_batch(self, queue: str, bodies: Sequence[str], delay_seconds: int = 0) -> list[str]:
        with self.transaction() as ctx:
            row = messages.require_queue(ctx.conn, queue)
            ids = messages.enqueue(ctx.conn, row, bodies, ctx.now_ms, delay_seconds)
            ctx.woken.add(row["name_lc"])
            return ids

    def receive(self, queue: str, count: int = 1, wait_seconds: float | None = None) -> list[Message]:
        """Up to ``count`` messages; waits up to ``wait_seconds`` (clock time; None: the queue's
        pollingWaitSeconds) for the first one, and never waits to fill the batch."""
        queue_lc = queue.lower()
        if wait_seconds is None:
            with self.transaction() as ctx:
                wait_seconds = float(messages.require_queue(ctx.conn, queue)["polling_wait_seconds"])
        deadline = self.clock.now() + wait_seconds
        condition = self._condition(queue_lc)
        if wait_seconds == 0 and self._imperfect is not None and self._imperfect.false_empty():
            with self.transaction() as ctx:
                messages.require_queue(ctx.conn, queue)
            return []  # "no message" although some may be there, as a wait of 0 may answer
        while True:
            version = self._versions.get(queue_lc, 0)
            if self._closed:
                return []
            with self.transaction() as ctx:
                row = messages.require_queue(ctx.conn, queue)
                got = messages.receive(ctx.conn, row, count, ctx.now_ms, ctx.woken, self._imperfect)
                next_due = None if got else messages.next_due_ms(ctx.conn, row["name_lc"])
            if got:
                return got
            now = self.clock.now()
            if now >= deadline:
                return []
            until = deadline if next_due is None else min(deadline, max(next_due / 1000, now))
            with condition:
                if self._versions.get(queue_lc, 0) != version or self._closed:
                    continue
                waiter = _Waiter(count)
                waiters = self._waiters.setdefault(queue_lc, deque())
                waiters.append(waiter)
                try:
                    self.clock.wait(condition, until)
                    while waiter.claimed and waiter.got is None:  # its transaction is committing
                        condition.wait(0.1)
                finally:
                    if not waiter.claimed and waiter in waiters:  # a failed hand-off took it out
                        waiters.remove(waiter)
                if waiter.got is not None:
                    return waiter.got

    def delete(self, queue: str, receipt_handle: str) -> None:
        with self.transaction() as ctx:
            row = messages.require_queue(ctx.conn, queue)
            self._drop_copies(ctx, row, messages.delete(ctx.conn, row, receipt_handle, ctx.now_ms))

    def _drop_copies(self, ctx: Context, queue: sqlite3.Row, seq: int) -> None:
        if self._imperfect is not None:
            messages.drop_copies(ctx.conn, queue, self._imperfect.siblings(seq))

    def delete_batch(self, queue: str, handles: Sequence[str]) -> list[tuple[str, ApiError]]:
        """Delete each handle; the (handle, error) pairs of those that failed."""
        with self.transaction() as ctx:
            row = messages.require_queue(ctx.conn, queue)
            deleted, failed = messages.delete_many(ctx.conn, row, handles, ctx.now_ms)
            for seq in deleted:
                self._drop_copies(ctx, row, seq)
        return failed

    def publish(self, topic: str, body: str, tags: Sequence[str] = (), routing_key: str = "") -> Delivery:
        return self.publish_batch(topic, [body], tags, routing_key)[0]

    def publish_batch(
        self, topic: str, bodies: Sequence[str], tags: Sequence[str] = (), routing_key: str = ""
    ) -> list[Delivery]:
        with self.transaction() as ctx:
            row = messages.require_topic(ctx.conn, topic)
            return messages.fan_out(ctx.conn, row, bodies, tags, routing_key, ctx.now_ms, ctx.woken)

    def rewind(self, queue: str, start_time: float) -> int:
        with self.transaction() as ctx:
            row = messages.require_queue(ctx.conn, queue)
            moved = messages.rewind(ctx.conn, row, int(start_time * 1000), ctx.now_ms)
            ctx.woken.add(row["name_lc"])
            return moved

    def clear(self, queue: str) -> None:
        with self.transaction() as ctx:
            messages.clear(ctx.conn, messages.require_queue(ctx.conn, queue))

    def counts(self, queue: str) -> QueueCounts:
        with self.transaction() as ctx:
            return messages.counts(ctx.conn, messages.require_queue(ctx.conn, queue), ctx.now_ms)

    # ------------------------------------------------------------------------------ admin (peek...)

    def peek(self, queue: str, limit: int | None = None) -> tuple[PeekedMessage, ...]:
        """The queue's messages (body, tags, state, dequeue count) in send order, not consumed."""
        with self.transaction() as ctx:
            row = messages.require_queue(ctx.conn, queue)
            return _admin().peek(ctx.conn, row, ctx.now_ms, ctx.woken, limit)

    def purge(self, queue: str) -> int:
        """Empty the queue in every state; the number of messages it held."""
        with self.transaction() as ctx:
            return _admin().purge(ctx.conn, messages.require_queue(ctx.conn, queue), ctx.now_ms)

    def redrive(self, dead_letter_queue: str) -> Redrive:
        """Move the dead letters of ``dead_letter_queue`` back to their sources, each exactly once."""
        with self.transaction() as ctx:
            return _admin().redrive(
                ctx.conn, messages.require_queue(ctx.conn, dead_letter_queue), ctx.now_ms, ctx.woken
            )

    def reset(self, stack: str | None = None) -> Reset:
        """Delete everything (and forget the push log), or only what ``stack`` owns."""
        with self.transaction() as ctx:
            result = _admin().reset_all(ctx.conn) if stack is None else _admin().reset_stack(ctx.conn, stack)
        if stack is None:
            self.push_log.clear()
        self._on_advance()  # long polls on a queue that went away answer now, not at their deadline
        return result

    def snapshot(self) -> Snapshot:
        with self.transaction() as ctx:
            return _admin().snapshot(ctx.conn)

    def restore(self, taken: Snapshot) -> None:
        """Put the state back exactly as ``taken`` (the pytest plugin's per-test reset)."""
        with self.transaction() as ctx:
            _admin().restore(ctx.conn, taken)
        self.push_log.clear()
        self._on_advance()

    # --------------------------------------------------------------------------------- HTTP push

    def deliver_due(self) -> int:
        """Try every push that is due now, side by side, and wait for them (and for tries the
        push loop already started); return how many were delivered (2xx)."""
        started = self._dispatch_due()
        with self._push_lock:
            running = [f for f in self._push_futures.values() if f not in started]
        for future in running:
            future.exception()  # wait: its outcome is in the store and the push log
        return sum(future.result() for future in started)

    def _dispatch_due(self) -> list[Future[int]]:
        """Start a try for each due push not already being tried (PUSH_PER_SUBSCRIPTION at most
        per subscription); return their futures without waiting."""
        with self._push_lock:
            now_ms = self.now_ms()
            with self.store.transaction() as conn:
                due = conn.execute(
                    "SELECT p.*, s.seq AS sub_seq, s.name AS sub_name, s.topic_name, s.endpoint,"
                    " s.notify_strategy, s.notify_content_format FROM pushes p"
                    " LEFT JOIN subscriptions s ON s.id = p.sub_id WHERE p.next_ms <= ? ORDER BY p.next_ms"
                    " LIMIT ?",
                    (now_ms, PUSH_BATCH + len(self._pushing)),
                ).fetchall()
                orphans = [row["seq"] for row in due if row["sub_seq"] is None]
                conn.executemany("DELETE FROM pushes WHERE seq = ?", [(seq,) for seq in orphans])
            busy = Counter(self._pushing.values())
            futures: list[Future[int]] = []
            for row in due:
                if row["sub_seq"] is None or row["seq"] in self._pushing:
                    continue
                if busy[row["sub_id"]] >= PUSH_PER_SUBSCRIPTION:
                    continue
                busy[row["sub_id"]] += 1
                self._pushing[row["seq"]] = row["sub_id"]
                future = self._pool().submit(self._push_tracked, row)
                self._push_futures[row["seq"]] = future
                futures.append(future)
            return futures

    def _pool(self) -> ThreadPoolExecutor:
        if self._push_pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._push_pool = ThreadPoolExecutor(max_workers=PUSH_WORKERS, thread_name_prefix="cmqinfra-push")
        return self._push_pool

    def _push_tracked(self, row: sqlite3.Row) -> int:
        try:
            return self._push_one(row)
        except sqlite3.ProgrammingError:  # the store closed under us
            return 0
        finally:
            with self._push_lock:
                self._pushing.pop(row["seq"], None)
                self._push_futures.pop(row["seq"], None)
            self._wake_pushes()

    def deliver_all_due(self) -> int:
        """Try pushes until none is due now (retries scheduled later stay); how many were delivered."""
        delivered = 0
        while True:
            delivered += self.deliver_due()
            next_at = self._next_push_at()
            if next_at is None or next_at > self.clock.now():
                return delivered

    def _push_one(self, row: sqlite3.Row) -> int:
        tags = json.loads(row["tags"])
        headers = {
            "Content-Type": "text/plain",
            "User-Agent": "Qcloud Notification Service Agent",
            "x-cmq-request-id": messages.new_msg_id().lower(),
            "x-cmq-message-id": row["msg_id"],
        }
        if tags:
            headers["x-cmq-message-tag"] = ", ".join(tags)
        if row["notify_content_format"] == "SIMPLIFIED":
            body = row["body"].encode("utf-8")
        else:
            body = json.dumps(
                {
                    "TopicOwner": TOPIC_OWNER,
                    "topicName": row["topic_name"],
                    "subscriptionName": row["sub_name"],
                    "msgId": row["msg_id"],
                    "msgBody": row["body"],
                    "publishTime": row["publish_ms"] // 1000,
                },
                ensure_ascii=False,
            ).encode("utf-8")
        try:
            status: int | None = self._pusher(PushRequest(row["endpoint"], headers, body))
        except Exception:  # refused, timed out, unreachable: a failed try like any non-2xx
            status = None
        delivered = status is not None and 200 <= status < 300
        attempt = row["attempts"] + 1
        now = self.clock.now()
        retry_at: float | None = None
        with self.store.transaction() as conn:
            if delivered:
                conn.execute("DELETE FROM pushes WHERE seq = ?", (row["seq"],))
            else:
                delay = next_retry_delay(row["notify_strategy"], attempt, self._rng)
                if (
                    delay is not None
                    and (now + delay) * 1000 <= row["publish_ms"] + PUSH_LIFETIME_SECONDS * 1000
                ):
                    retry_at = now + delay
                    conn.execute(
                        "UPDATE pushes SET attempts = ?, next_ms = ? WHERE seq = ?",
                        (attempt, int(retry_at * 1000), row["seq"]),
                    )
                else:
                    conn.execute("DELETE FROM pushes WHERE seq = ?", (row["seq"],))
            if retry_at is None:
                conn.execute(
                    "UPDATE subscriptions SET msg_count = MAX(msg_count - 1, 0) WHERE seq = ?",
                    (row["sub_seq"],),
                )
        self.push_log.append(
            PushAttempt(
                row["topic_name"],
                row["sub_name"],
                row["endpoint"],
                row["msg_id"],
                body,
                headers,
                attempt,
                status,
                delivered,
                now,
                retry_at,
            )
        )
        return int(delivered)

    def _next_push_at(self) -> float | None:
        """The next due time of a push not being tried now (a try in progress wakes the loop)."""
        with self._push_lock:
            running = list(self._pushing)
        marks = ",".join("?" * len(running))
        where = f" WHERE seq NOT IN ({marks})" if running else ""
        with self.store.transaction() as conn:
            value = conn.execute(f"SELECT MIN(next_ms) FROM pushes{where}", running).fetchone()[0]
        return None if value is None else value / 1000

    def _push_forever(self) -> None:
        while not self._closed:
            version = self._push_version
            try:
                self._dispatch_due()
                next_at = self._next_push_at()
            except (sqlite3.ProgrammingError, RuntimeError):  # the store or the pool closed under us
                return
            with self._push_wake:
                if self._push_version != version or self._closed:
                    continue
                now = self.clock.now()
                until = now + 3600 if next_at is None else next_at
                # A due push held back (its subscription has its share of tries running) waits
                # for a try to end, which wakes this loop.
                self.clock.wait(self._push_wake, max(until, now + 1.0))
