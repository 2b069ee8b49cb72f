"""An in-memory CmqApi for executor tests: records calls, can fail chosen ones."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import replace

from cmqinfra.cloud.api import TaggedKind
from cmqinfra.cloud.errors import CloudError
from cmqinfra.live import LiveQueue, LiveState, LiveSubscription, LiveTopic, name_key
from cmqinfra.model import PROTECT_TAG, STACK_TAG, Queue, Stack, Subscription, Tags, Topic, tags_of


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

    def read(self, stack: Stack) -> LiveState:
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

    def create_queue(self, queue: Queue, tags: Tags) -> str:
        self._call("CreateCmqQueue", queue.name)
        self.queues[name_key(queue.name)] = (replace(queue, tags=(), protect=False), dict(tags))
        return f"q-{queue.name}"

    def modify_queue(self, before: Queue, after: Queue) -> None:
        self._call("ModifyCmqQueueAttribute", after.name)
        _, tags = self.queues[name_key(after.name)]
        self.queues[name_key(after.name)] = (replace(after, tags=(), protect=False), tags)

    def delete_queue(self, name: str) -> None:
        self._call("DeleteCmqQueue", name)
        if name_key(name) not in self.queues:
            raise CloudError("DeleteCmqQueue", "ResourceNotFound", "no such queue")
        del self.queues[name_key(name)]

    def create_topic(self, topic: Topic, tags: Tags) -> str:
        self._call("CreateCmqTopic", topic.name)
        self.topics[name_key(topic.name)] = (replace(topic, tags=(), protect=False), dict(tags))
        return f"t-{topic.name}"

    def modify_topic(self, before: Topic, after: Topic) -> None:
        self._call("ModifyCmqTopicAttribute", after.name)
        _, tags = self.topics[name_key(after.name)]
        self.topics[name_key(after.name)] = (replace(after, tags=(), protect=False), tags)

    def delete_topic(self, name: str) -> None:
        self._call("DeleteCmqTopic", name)
        self.topics.pop(name_key(name), None)

    def create_subscription(self, subscription: Subscription) -> str:
        self._call("CreateCmqSubscribe", subscription.name)
        self.subs[(name_key(subscription.topic), subscription.name)] = subscription
        return f"s-{subscription.name}"

    def modify_subscription(self, before: Subscription, after: Subscription) -> None:
        self._call("ModifyCmqSubscriptionAttribute", after.name)
        self.subs[(name_key(after.topic), after.name)] = after

    def delete_subscription(self, topic: str, name: str) -> None:
        self._call("DeleteCmqSubscribe", name)
        self.subs.pop((name_key(topic), name), None)

    def modify_tags(self, kind: TaggedKind, name: str, replace: Tags, delete: tuple[str, ...]) -> None:
        self._call("ModifyResourceTags", name)
        store = self.queues if kind == "queue" else self.topics
        resource, tags = store[name_key(name)]
        tags = {k: v for k, v in tags.items() if k not in delete}
        tags.update(dict(replace))
        store[name_key(name)] = (resource, tags)

    def caller_account(self) -> str | None:
        return "fake-account"

    def call_counts(self) -> Mapping[str, int]:
        return dict(self.counts)
