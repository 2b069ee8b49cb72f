"""A fresh in-process emulator backend loaded with one stack, on a virtual clock: what a test's
steps act on and its expectations look at.

The stack is created through the same API 3.0 actions (and the same parameters) that ``apply``
sends, so a queue here has exactly the attributes it would have after ``cmqinfra apply``.
HTTP pushes go to a recorder that answers each endpoint as the test file says (200 by default).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from cmqinfra.cloud.api import ownership_tags
from cmqinfra.cloud.normalize import create_queue_params, create_subscription_params, create_topic_params
from cmqinfra.emulator import Backend, DeliveryMode, PushRequest, VirtualClock
from cmqinfra.live import name_key
from cmqinfra.model import Queue, Stack

DEFAULT_VISIBILITY_TIMEOUT = 30


@dataclass(frozen=True)
class PushTry:
    endpoint: str
    msg_id: str
    status: int | None
    delivered: bool
    body: bytes = b""


@dataclass(frozen=True)
class Copy:
    """One copy of a message held by a queue, as a test sees it."""

    queue_lc: str
    state: str  # visible, inFlight or delayed
    dequeue_count: int


class _Endpoints:
    """The http endpoints of the stack's subscriptions, answering from their scripted statuses."""

    def __init__(self, scripts: Sequence[tuple[str, tuple[int, ...]]]) -> None:
        self._scripts = dict(scripts)
        self._calls: dict[str, int] = defaultdict(int)

    def __call__(self, request: PushRequest) -> int:
        statuses = self._scripts.get(request.url, (200,))
        index = min(self._calls[request.url], len(statuses) - 1)
        self._calls[request.url] += 1
        return statuses[index]


class World:
    def __init__(
        self,
        stack: Stack,
        http_endpoints: Sequence[tuple[str, tuple[int, ...]]] = (),
        delivery: DeliveryMode | None = None,
    ) -> None:
        self.stack = stack
        self.clock = VirtualClock()
        self.backend = Backend.open(
            ":memory:",
            clock=self.clock,
            pusher=_Endpoints(http_endpoints),
            push_loop=False,
            delivery=delivery or DeliveryMode(),
        )
        self._queues = {name_key(q.name): q for q in stack.queues}
        self.msg_ids: dict[str, list[str]] = defaultdict(list)  # body -> msgIds, in send order
        self.handles: dict[tuple[str, str], str] = {}  # (queue, body) -> latest receipt handle
        self.started = self.clock.now()
        try:
            self._load()
        except BaseException:
            self.backend.close()
            raise

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> World:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _load(self) -> None:
        created: set[str] = set()
        pending = list(self.stack.queues)
        while pending:  # dead-letter queues before the queues that name them
            ready = [
                q
                for q in pending
                if q.dead_letter is None
                or name_key(q.dead_letter.queue) in created
                or name_key(q.dead_letter.queue) not in self._queues
            ]
            if not ready:
                ready = pending[:1]
            for queue in ready:
                self.backend.call(
                    "CreateCmqQueue", create_queue_params(queue, ownership_tags(queue, self.stack.name))
                )
                created.add(name_key(queue.name))
                pending.remove(queue)
        for topic in self.stack.topics:
            self.backend.call(
                "CreateCmqTopic", create_topic_params(topic, ownership_tags(topic, self.stack.name))
            )
        for sub in self.stack.subscriptions:
            self.backend.call("CreateCmqSubscribe", create_subscription_params(sub))

    # ------------------------------------------------------------------------------------ steps

    def queue(self, name: str) -> Queue | None:
        return self._queues.get(name_key(name))

    def send(self, queue: str, body: str, delay_seconds: int) -> None:
        self.msg_ids[body].append(self.backend.send(queue, body, delay_seconds=delay_seconds))

    def publish(self, topic: str, body: str, routing_key: str, tags: Sequence[str]) -> None:
        delivery = self.backend.publish(topic, body, tags=list(tags), routing_key=routing_key)
        self.msg_ids[body].append(delivery.msg_id)
        self.backend.deliver_due()

    def receive(self, queue: str, times: int, delete: bool, keep: bool = False) -> list[str]:
        """Receive every visible message ``times`` times; with delete, delete each; with keep,
        leave them in flight; otherwise let the queue's (current) visibility timeout pass after
        each receive. Returns the bodies handed out, in order."""
        handed: list[str] = []
        for _ in range(times):
            got = self.backend.receive(queue, count=16, wait_seconds=0)
            handed.extend(message.body for message in got)
            for message in got:
                self.handles[(name_key(queue), message.body)] = message.receipt_handle
            if delete:
                for message in got:
                    self.backend.delete(queue, message.receipt_handle)
            elif not keep:
                self.wait(self._visibility_timeout(queue))
        return handed

    def _visibility_timeout(self, queue: str) -> float:
        with self.backend.transaction() as ctx:
            row = ctx.conn.execute(
                "SELECT visibility_timeout FROM queues WHERE name_lc = ?", (name_key(queue),)
            ).fetchone()
        return float(row[0]) if row is not None else float(DEFAULT_VISIBILITY_TIMEOUT)

    def delete(self, queue: str, body: str) -> None:
        handle = self.handles.get((name_key(queue), body), "0:never-received")
        self.backend.delete(queue, handle)

    def rewind(self, queue: str, seconds_ago: float | None) -> None:
        start = self.started if seconds_ago is None else self.clock.now() - seconds_ago
        self.backend.rewind(queue, start)

    def set_queue(self, queue: str, attributes: Sequence[tuple[str, int]]) -> None:
        self.backend.call("ModifyCmqQueueAttribute", {"QueueName": queue, **dict(attributes)})

    def wait(self, seconds: float) -> None:
        """Advance the clock by ``seconds``, stopping at every push that falls due on the way, so
        retry schedules play out as they would in real time."""
        end = self.clock.now() + seconds
        self.backend.deliver_due()
        while True:
            due = self._next_push_at()
            if due is None or due > end:
                break
            self.clock.set(max(due, self.clock.now()))
            self.backend.deliver_due()
        self.clock.set(end)
        self.backend.deliver_due()

    def _next_push_at(self) -> float | None:
        with self.backend.store.transaction() as conn:
            value = conn.execute("SELECT MIN(next_ms) FROM pushes").fetchone()[0]
        return None if value is None else value / 1000

    # ----------------------------------------------------------------------------- observations

    def holders(self, body: str) -> set[str]:
        """The queues (lower-cased names) holding a message with this body: visible, in flight or
        delayed. Time's effects (retention, dead-letter moves) are applied first."""
        for queue in self.stack.queues:
            self.backend.counts(queue.name)
        with self.backend.store.transaction() as conn:
            rows = conn.execute(
                "SELECT DISTINCT queue_lc FROM messages WHERE body = ? AND deleted_ms IS NULL", (body,)
            ).fetchall()
        return {row[0] for row in rows}

    def copies(self, body: str) -> list[Copy]:
        """Every copy of the message held now, with its state and dequeue count."""
        for queue in self.stack.queues:
            self.backend.counts(queue.name)
        now_ms = int(self.clock.now() * 1000)
        with self.backend.store.transaction() as conn:
            rows = conn.execute(
                "SELECT queue_lc, visible_ms, dequeue_count FROM messages"
                " WHERE body = ? AND deleted_ms IS NULL AND expires_ms > ? ORDER BY seq",
                (body, now_ms),
            ).fetchall()
        return [
            Copy(
                row[0],
                "visible" if row[1] <= now_ms else ("inFlight" if row[2] > 0 else "delayed"),
                row[2],
            )
            for row in rows
        ]

    def pushes(self, body: str) -> list[PushTry]:
        ids = set(self.msg_ids.get(body, ()))
        return [
            PushTry(a.endpoint, a.msg_id, a.status, a.delivered, a.body)
            for a in self.backend.push_log
            if a.msg_id in ids
        ]
