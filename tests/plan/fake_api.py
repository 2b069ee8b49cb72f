"""An in-memory CmqApi for executor tests: records calls, can fail chosen ones.

It refuses what the emulator refuses, so a test that passes here does not lean on leniency:
creating what exists, touching or deleting what is missing, deleting a queue that is still a
dead letter, a subscription to a missing topic or queue. A modify changes only what the
adapter would send (the attributes set in ``after`` that differ from ``before``; a removed
dead letter is unbound), never the whole resource. Deleting a topic takes its subscriptions
with it, as the emulator (and CMQ) do.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import fields, replace

from cmqinfra.cloud.api import TaggedKind
from cmqinfra.cloud.errors import CloudError
from cmqinfra.live import LiveQueue, LiveState, LiveSubscription, LiveTopic, MessageCounts, name_key
from cmqinfra.model import PROTECT_TAG, STACK_TAG, Queue, Resource, Stack, Subscription, Tags, Topic, tags_of


class FakeApi:
    def __init__(self, delay: float = 0.0, fail: set[str] | None = None) -> None:
        self.queues: dict[str, tuple[Queue, dict[str, str]]] = {}
        self.topics: dict[str, tuple[Topic, dict[str, str]]] = {}
        self.subs: dict[tuple[str, str], Subscription] = {}
        self.calls: list[str] = []
        self.counts: Counter[str] = Counter()
        self.delay = delay
        self.fail = fail or set()
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()
        self.on_call: Callable[[str], None] | None = None

    def _call(self, action: str, target: str) -> None:
        with self._lock:
            self.counts[action] += 1
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            if self.on_call is not None:
                self.on_call(f"{action}:{target}")
            if self.delay:
                time.sleep(self.delay)
            if f"{action}:{target}" in self.fail:
                raise CloudError(action, "InternalError", "injected", "req-1", target)
            with self._lock:
                self.calls.append(f"{action}:{target}")
        finally:
            with self._lock:
                self.active -= 1

    def count_untagged(self):  # type: ignore[no-untyped-def]
        return lambda: None  # untagged resources are not counted here

    def read(self, stack: Stack, untagged: object = None) -> LiveState:
        def split(resource: Queue | Topic, tags: dict[str, str]):  # type: ignore[no-untyped-def]
            user = tags_of({k: v for k, v in tags.items() if not k.startswith("cmqinfra-")})
            protected = tags.get(PROTECT_TAG) == "true"
            return replace(resource, tags=user, protect=protected), tags.get(STACK_TAG), protected

        queues = {}
        sources: dict[str, list[str]] = {}
        for q, _ in self.queues.values():
            if q.dead_letter is not None:
                sources.setdefault(name_key(q.dead_letter.queue), []).append(q.name)
        for key, (q, tags) in self.queues.items():
            res, owner, prot = split(q, tags)
            queues[key] = LiveQueue(
                res, f"q-{key}", owner, prot, dead_letter_sources=tuple(sources.get(key, ()))
            )
        topics = {}
        for key, (t, tags) in self.topics.items():
            res, owner, prot = split(t, tags)
            topics[key] = LiveTopic(res, f"t-{key}", owner, prot)
        subs = {k: LiveSubscription(s, f"s-{k[1]}") for k, s in self.subs.items()}
        return LiveState(queues=queues, topics=topics, subscriptions=subs)

    def endpoint_users(self, queue_names: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
        out: dict[str, tuple[str, ...]] = {}
        for name in queue_names:
            out[name_key(name)] = tuple(
                s.address
                for s in self.subs.values()
                if s.protocol.value == "queue" and name_key(s.endpoint) == name_key(name)
            )
        return out

    @staticmethod
    def _missing(action: str, kind: str, name: str) -> CloudError:
        return CloudError(action, "ResourceNotFound", f"{kind} {name} does not exist")

    @staticmethod
    def _sent(before: Resource, after: Resource) -> dict[str, object]:
        """The attributes a modify call carries: set in ``after`` and different from ``before``
        (dead letter and transaction compared whole, since None means none)."""
        out: dict[str, object] = {}
        for f in fields(after):
            if not f.compare or f.name in ("name", "topic", "tags", "protect"):
                continue
            value = getattr(after, f.name)
            if (value is not None or f.name in ("dead_letter", "transaction")) and value != getattr(
                before, f.name
            ):
                out[f.name] = value
        return out

    def create_queue(self, queue: Queue, tags: Tags) -> str:
        self._call("CreateCmqQueue", queue.name)
        if name_key(queue.name) in self.queues:
            raise CloudError("CreateCmqQueue", "ResourceInUse.Queue", f"queue {queue.name} exists")
        if queue.dead_letter is not None and name_key(queue.dead_letter.queue) not in self.queues:
            raise self._missing("CreateCmqQueue", "dead letter queue", queue.dead_letter.queue)
        self.queues[name_key(queue.name)] = (replace(queue, tags=(), protect=False), dict(tags))
        return f"q-{queue.name}"

    def modify_queue(self, before: Queue, after: Queue) -> None:
        self._call("ModifyCmqQueueAttribute", after.name)
        if name_key(after.name) not in self.queues:
            raise self._missing("ModifyCmqQueueAttribute", "queue", after.name)
        live, tags = self.queues[name_key(after.name)]
        self.queues[name_key(after.name)] = (replace(live, **self._sent(before, after)), tags)  # type: ignore[arg-type]

    def delete_queue(self, name: str) -> None:
        self._call("DeleteCmqQueue", name)
        if name_key(name) not in self.queues:
            raise self._missing("DeleteCmqQueue", "queue", name)
        for q, _ in self.queues.values():
            if q.dead_letter is not None and name_key(q.dead_letter.queue) == name_key(name):
                raise CloudError("DeleteCmqQueue", "ResourceInUse", f"{name} is the dead letter of {q.name}")
        del self.queues[name_key(name)]

    def create_topic(self, topic: Topic, tags: Tags) -> str:
        self._call("CreateCmqTopic", topic.name)
        if name_key(topic.name) in self.topics:
            raise CloudError("CreateCmqTopic", "ResourceInUse.Topic", f"topic {topic.name} exists")
        self.topics[name_key(topic.name)] = (replace(topic, tags=(), protect=False), dict(tags))
        return f"t-{topic.name}"

    def modify_topic(self, before: Topic, after: Topic) -> None:
        self._call("ModifyCmqTopicAttribute", after.name)
        if name_key(after.name) not in self.topics:
            raise self._missing("ModifyCmqTopicAttribute", "topic", after.name)
        live, tags = self.topics[name_key(after.name)]
        self.topics[name_key(after.name)] = (replace(live, **self._sent(before, after)), tags)  # type: ignore[arg-type]

    def delete_topic(self, name: str) -> None:
        self._call("DeleteCmqTopic", name)
        if self.topics.pop(name_key(name), None) is None:
            raise self._missing("DeleteCmqTopic", "topic", name)
        for key in [k for k in self.subs if k[0] == name_key(name)]:
            del self.subs[key]

    def create_subscription(self, subscription: Subscription) -> str:
        self._call("CreateCmqSubscribe", subscription.name)
        key = (name_key(subscription.topic), subscription.name)
        if key[0] not in self.topics:
            raise self._missing("CreateCmqSubscribe", "topic", subscription.topic)
        if subscription.protocol.value == "queue" and name_key(subscription.endpoint) not in self.queues:
            raise self._missing("CreateCmqSubscribe", "queue", subscription.endpoint)
        if key in self.subs:
            raise CloudError("CreateCmqSubscribe", "ResourceInUse", f"{subscription.address} exists")
        self.subs[key] = subscription
        return f"s-{subscription.name}"

    def modify_subscription(self, before: Subscription, after: Subscription) -> None:
        self._call("ModifyCmqSubscriptionAttribute", after.name)
        key = (name_key(after.topic), after.name)
        if key not in self.subs:
            raise self._missing("ModifyCmqSubscriptionAttribute", "subscription", after.address)
        self.subs[key] = replace(self.subs[key], **self._sent(before, after))  # type: ignore[arg-type]

    def delete_subscription(self, topic: str, name: str) -> None:
        self._call("DeleteCmqSubscribe", name)
        if self.subs.pop((name_key(topic), name), None) is None:
            raise self._missing("DeleteCmqSubscribe", "subscription", f"{topic}/{name}")

    def modify_tags(self, kind: TaggedKind, name: str, replace: Tags, delete: tuple[str, ...]) -> None:
        self._call("ModifyResourceTags", name)
        store = self.queues if kind == "queue" else self.topics
        if name_key(name) not in store:
            raise self._missing("ModifyResourceTags", kind, name)
        resource, tags = store[name_key(name)]
        tags = {k: v for k, v in tags.items() if k not in delete}
        tags.update(dict(replace))
        store[name_key(name)] = (resource, tags)

    def queue_messages(self, name: str) -> MessageCounts | None:
        self._call("DescribeCmqQueues", name)
        return MessageCounts() if name_key(name) in self.queues else None

    def caller_account(self) -> str | None:
        return "fake-account"

    def call_counts(self) -> Mapping[str, int]:
        return dict(self.counts)
