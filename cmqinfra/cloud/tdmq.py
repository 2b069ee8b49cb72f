"""TdmqApi: the CmqApi contract carried out with the tencentcloud SDK.

Reads are batched (name lists and the ownership tag, 50 a page, pages fetched concurrently)
and never one Detail call per resource. Every call goes through the client-side limiter and
the retry policy; creates are idempotent (a ResourceInUse is read back and accepted when it is
what we asked for), deletes of something already gone count as done.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any, TypeVar

from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from cmqinfra.cloud import normalize
from cmqinfra.cloud.api import TaggedKind
from cmqinfra.cloud.errors import CloudError
from cmqinfra.cloud.limiter import RateLimiter
from cmqinfra.cloud.redact import Redactor
from cmqinfra.cloud.retry import RetryPolicy, is_retryable
from cmqinfra.live import LiveQueue, LiveState, LiveSubscription, LiveTopic, name_key
from cmqinfra.model import STACK_TAG, Protocol, Queue, Stack, Subscription, Tags, Topic

log = logging.getLogger("cmqinfra.api")

PAGE = 50
TAG_BATCH = 10  # ModifyResourceTags takes at most 10 ReplaceTags / DeleteTags per call
READ_BACK_SECONDS = 15.0  # how long a created-but-invisible resource is waited for

T = TypeVar("T")


class Attempted(CloudError):
    """A CloudError that also says how many attempts were made."""

    def __init__(self, error: CloudError, attempts: int) -> None:
        super().__init__(error.action, error.code, error.message, error.request_id, error.resource)
        self.attempts = attempts


class TdmqApi:
    def __init__(
        self,
        tdmq: CommonClient,
        tag: CommonClient,
        region: str,
        *,
        parallelism: int = 10,
        limiter: RateLimiter | None = None,
        policy: RetryPolicy | None = None,
        redactor: Redactor | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self._tdmq = tdmq
        self._tag = tag
        self.region = region
        self.parallelism = max(1, parallelism)
        self._limiter = limiter or RateLimiter()
        self._policy = policy or RetryPolicy()
        self._redact = redactor or Redactor()
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._counts_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=self.parallelism, thread_name_prefix="cmqinfra-api")
        self._on_close = on_close

    # ------------------------------------------------------------ lifecycle

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        if self._on_close is not None:
            self._on_close()
            self._on_close = None

    def __enter__(self) -> TdmqApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call_counts(self) -> Mapping[str, int]:
        with self._counts_lock:
            return dict(self._counts)

    # ------------------------------------------------------------ the one way to call the API

    def _call(self, action: str, params: dict[str, Any], resource: str | None = None) -> dict[str, Any]:
        client = self._tag if action in _TAG_ACTIONS else self._tdmq
        attempt = 0
        while True:
            attempt += 1
            self._limiter.acquire(action)
            with self._counts_lock:
                self._counts[action] += 1
            started = time.monotonic()
            try:
                response = client.call_json(action, params)
            except TencentCloudSDKException as exc:
                code = exc.get_code() or "ClientError"
                error = CloudError(
                    action, code, self._redact.text(exc.get_message()), exc.get_request_id(), resource
                )
                log.debug(
                    "%s %s -> %s after %.0f ms (attempt %d)",
                    action,
                    self._redact.text(json.dumps(self._redact.params(params), default=str)),
                    code,
                    (time.monotonic() - started) * 1000,
                    attempt,
                )
                if is_retryable(code) and attempt < self._policy.max_attempts:
                    with self._rng_lock:
                        wait = self._policy.backoff(attempt, self._rng)
                    self._sleep(wait)
                    continue
                raise Attempted(error, attempt) from None
            except Exception as exc:  # the SDK wraps most things; anything else is a transport fault
                error = CloudError(action, "ClientError", self._redact.text(exc), None, resource)
                if attempt < self._policy.max_attempts:
                    with self._rng_lock:
                        wait = self._policy.backoff(attempt, self._rng)
                    self._sleep(wait)
                    continue
                raise Attempted(error, attempt) from None
            log.debug(
                "%s %s -> ok in %.0f ms (attempt %d)",
                action,
                self._redact.text(json.dumps(self._redact.params(params), default=str)),
                (time.monotonic() - started) * 1000,
                attempt,
            )
            return dict(response.get("Response", response))

    def _map(self, fn: Callable[[Any], T], items: Iterable[Any]) -> list[T]:
        items = list(items)
        if len(items) <= 1:
            return [fn(item) for item in items]
        return list(self._pool.map(fn, items))

    # ------------------------------------------------------------ paged listings

    def _list(self, action: str, params: dict[str, Any], key: str) -> list[dict[str, Any]]:
        """Every item of a paged Describe*, the remaining pages fetched concurrently."""
        first = self._call(action, {**params, "Offset": 0, "Limit": PAGE})
        items = list(first.get(key) or [])
        total = int(first.get("TotalCount") or 0)
        offsets = range(PAGE, total, PAGE)
        for page in self._map(
            lambda off: self._call(action, {**params, "Offset": off, "Limit": PAGE}), offsets
        ):
            items.extend(page.get(key) or [])
        return items

    def _by_names(self, action: str, list_param: str, names: Iterable[str], key: str) -> list[dict[str, Any]]:
        chunks = _chunks(sorted(set(names)), PAGE)
        pages = self._map(lambda chunk: self._call(action, {list_param: chunk, "Limit": PAGE}), chunks)
        return [item for page in pages for item in page.get(key) or []]

    def _owned(self, action: str, stack: str, key: str) -> list[dict[str, Any]]:
        tag_filter = {"IsTagFilter": True, "Filters": [{"Name": f"tag:{STACK_TAG}", "Values": [stack]}]}
        return self._list(action, tag_filter, key)

    def _subscriptions(self, topic: str) -> list[LiveSubscription]:
        items = self._list("DescribeCmqSubscriptionDetail", {"TopicName": topic}, "SubscriptionSet")
        subs = [normalize.subscription_from_api(topic, item) for item in items]
        # The service's topic filter is exact but be strict anyway: never adopt another topic's subscription.
        return [s for s in subs if name_key(s.subscription.topic) == name_key(topic)]

    # ------------------------------------------------------------ read

    def read(self, stack: Stack) -> LiveState:
        owned_queues, owned_topics = self._map(
            lambda job: self._owned(*job),
            [("DescribeCmqQueues", stack.name, "QueueList"), ("DescribeCmqTopics", stack.name, "TopicList")],
        )
        queues = {name_key(q.queue.name): q for q in map(normalize.queue_from_api, owned_queues)}
        topics = {name_key(t.topic.name): t for t in map(normalize.topic_from_api, owned_topics)}

        wanted_queues = {q.name for q in stack.queues}
        wanted_queues |= {q.dead_letter.queue for q in stack.queues if q.dead_letter is not None}
        wanted_queues |= {s.endpoint for s in stack.subscriptions if s.protocol is Protocol.QUEUE}
        wanted_topics = {t.name for t in stack.topics} | {s.topic for s in stack.subscriptions}
        missing_queues = [n for n in wanted_queues if name_key(n) not in queues]
        missing_topics = [n for n in wanted_topics if name_key(n) not in topics]
        named_queues, named_topics = self._map(
            lambda job: self._by_names(*job),
            [
                ("DescribeCmqQueues", "QueueNameList", missing_queues, "QueueList"),
                ("DescribeCmqTopics", "TopicNameList", missing_topics, "TopicList"),
            ],
        )
        for item in named_queues:
            live_queue = normalize.queue_from_api(item)
            queues.setdefault(name_key(live_queue.queue.name), live_queue)
        for item in named_topics:
            live_topic = normalize.topic_from_api(item)
            topics.setdefault(name_key(live_topic.topic.name), live_topic)

        # Subscriptions of every topic the plan may touch: the stack's own, and the ones it names.
        interesting = [
            t.topic.name for key, t in topics.items() if t.owner == stack.name or key in _keys(wanted_topics)
        ]
        subscriptions: dict[tuple[str, str], LiveSubscription] = {}
        for subs in self._map(self._subscriptions, interesting):
            for sub in subs:
                subscriptions[(name_key(sub.subscription.topic), sub.subscription.name)] = sub

        desired = {name_key(q.name): q for q in stack.queues}
        queues = {k: _project_queue(v, desired.get(k)) for k, v in queues.items()}
        return LiveState(queues=queues, topics=topics, subscriptions=subscriptions)

    def endpoint_users(self, queue_names: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
        def users(name: str) -> tuple[str, tuple[str, ...]]:
            items = self._list(
                "DescribeCmqSubscriptionDetail", {"QueryType": "queue", "QueueName": name}, "SubscriptionSet"
            )
            found = []
            for item in items:
                if name_key(str(item.get("Endpoint") or "")) != name_key(name):
                    continue
                found.append(f"subscription/{item.get('TopicName')}/{item.get('SubscriptionName')}")
            return name_key(name), tuple(sorted(found))

        return dict(self._map(users, queue_names))

    # ------------------------------------------------------------ queues

    def create_queue(self, queue: Queue, tags: Tags) -> str:
        params = normalize.create_queue_params(queue, tags)
        try:
            return str(self._call("CreateCmqQueue", params, queue.address).get("QueueId") or "")
        except CloudError as error:
            if not error.code.startswith("ResourceInUse"):
                raise
            live = self._read_back(
                lambda: self._by_names("DescribeCmqQueues", "QueueNameList", [queue.name], "QueueList"),
                normalize.queue_from_api,
            )
            if live is None or not _owned_match(queue, live.queue, live.owner, tags):
                raise _exists_differently(error, queue.address, live.owner if live else None) from None
            return live.queue_id

    def modify_queue(self, before: Queue, after: Queue) -> None:
        if before.dead_letter is not None and after.dead_letter is None:
            self._unbind_dead_letter(after)
        params = normalize.modify_queue_params(before, after)
        if params:
            self._call("ModifyCmqQueueAttribute", {"QueueName": after.name, **params}, after.address)

    def _unbind_dead_letter(self, queue: Queue) -> None:
        try:
            self._call("UnbindCmqDeadLetter", {"SourceQueueName": queue.name}, queue.address)
        except Attempted as error:
            # A retried unbind whose first attempt went through: fine if the policy is gone.
            if error.attempts <= 1:
                raise
            items = self._by_names("DescribeCmqQueues", "QueueNameList", [queue.name], "QueueList")
            if any(normalize.queue_from_api(item).queue.dead_letter is not None for item in items):
                raise

    def delete_queue(self, name: str) -> None:
        self._delete("DeleteCmqQueue", {"QueueName": name}, f"queue/{name}")

    # ------------------------------------------------------------ topics

    def create_topic(self, topic: Topic, tags: Tags) -> str:
        params = normalize.create_topic_params(topic, tags)
        try:
            return str(self._call("CreateCmqTopic", params, topic.address).get("TopicId") or "")
        except CloudError as error:
            if not error.code.startswith("ResourceInUse"):
                raise
            live = self._read_back(
                lambda: self._by_names("DescribeCmqTopics", "TopicNameList", [topic.name], "TopicList"),
                normalize.topic_from_api,
            )
            if live is None or not _owned_match(topic, live.topic, live.owner, tags):
                raise _exists_differently(error, topic.address, live.owner if live else None) from None
            return live.topic_id

    def modify_topic(self, before: Topic, after: Topic) -> None:
        params = normalize.modify_topic_params(before, after)
        if params:
            self._call("ModifyCmqTopicAttribute", {"TopicName": after.name, **params}, after.address)

    def delete_topic(self, name: str) -> None:
        self._delete("DeleteCmqTopic", {"TopicName": name}, f"topic/{name}")

    # ------------------------------------------------------------ subscriptions

    def create_subscription(self, subscription: Subscription) -> str:
        params = normalize.create_subscription_params(subscription)
        try:
            return str(
                self._call("CreateCmqSubscribe", params, subscription.address).get("SubscriptionId") or ""
            )
        except CloudError as error:
            if not error.code.startswith("ResourceInUse"):
                raise

            def lookup() -> list[dict[str, Any]]:
                return [
                    item
                    for item in self._list(
                        "DescribeCmqSubscriptionDetail",
                        {"TopicName": subscription.topic, "SubscriptionName": subscription.name},
                        "SubscriptionSet",
                    )
                    if item.get("SubscriptionName") == subscription.name
                ]

            live = self._read_back(
                lookup, lambda item: normalize.subscription_from_api(subscription.topic, item)
            )
            if live is None or not normalize.matches(subscription, live.subscription):
                raise _exists_differently(error, subscription.address, None) from None
            return live.subscription_id

    def modify_subscription(self, before: Subscription, after: Subscription) -> None:
        ids = {"TopicName": after.topic, "SubscriptionName": after.name}
        if before.filter_tags and not after.filter_tags:
            self._call("ClearCmqSubscriptionFilterTags", ids, after.address)
        params = normalize.modify_subscription_params(before, after)
        if params:
            self._call("ModifyCmqSubscriptionAttribute", {**ids, **params}, after.address)

    def delete_subscription(self, topic: str, name: str) -> None:
        self._delete(
            "DeleteCmqSubscribe",
            {"TopicName": topic, "SubscriptionName": name},
            f"subscription/{topic}/{name}",
        )

    # ------------------------------------------------------------ tags

    def modify_tags(self, kind: TaggedKind, name: str, replace: Tags, delete: tuple[str, ...]) -> None:
        resource = f"qcs::tdmq:{self.region}:uin/:{kind}/{name}"
        replace_items = [{"TagKey": k, "TagValue": v} for k, v in replace]
        delete_items = [{"TagKey": k} for k in delete]
        # At most 10 of each per call; deletes first so a replaced key never collides.
        for chunk in _chunks(delete_items, TAG_BATCH):
            self._call("ModifyResourceTags", {"Resource": resource, "DeleteTags": chunk}, f"{kind}/{name}")
        for chunk in _chunks(replace_items, TAG_BATCH):
            self._call("ModifyResourceTags", {"Resource": resource, "ReplaceTags": chunk}, f"{kind}/{name}")

    # ------------------------------------------------------------ helpers

    def _delete(self, action: str, params: dict[str, Any], resource: str) -> None:
        try:
            self._call(action, params, resource)
        except CloudError as error:
            # Already gone (a retried delete whose first attempt committed, or drift): done.
            if not error.code.startswith("ResourceNotFound"):
                raise

    def _read_back(
        self, lookup: Callable[[], list[dict[str, Any]]], convert: Callable[[dict[str, Any]], T]
    ) -> T | None:
        """The resource a create collided with; waits while it is not yet visible."""
        deadline = time.monotonic() + READ_BACK_SECONDS
        delay = 0.1
        while True:
            items = lookup()
            if items:
                return convert(items[0])
            if time.monotonic() >= deadline:
                return None
            self._sleep(delay)
            delay = min(delay * 2, 1.0)


_TAG_ACTIONS = frozenset(
    {"ModifyResourceTags", "TagResources", "UnTagResources", "DescribeResourceTagsByResourceIds"}
)


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _keys(names: Iterable[str]) -> set[str]:
    return {name_key(n) for n in names}


def _owned_match(desired: Queue | Topic, live: Queue | Topic, owner: str | None, tags: Tags) -> bool:
    wanted_owner = dict(tags).get(STACK_TAG)
    return owner == wanted_owner and normalize.matches(desired, live)


def _exists_differently(error: CloudError, address: str, owner: str | None) -> CloudError:
    whose = f"owned by stack {owner!r}" if owner else "not owned by this stack"
    return CloudError(
        error.action,
        error.code,
        f"{address} already exists with other attributes or {whose}",
        error.request_id,
        address,
    )


def _project_queue(live: LiveQueue, desired: Queue | None) -> LiveQueue:
    """Drop the transaction back-check values the manifest leaves unmanaged, so that
    ``transaction: true`` compares equal to a transaction queue with service defaults."""
    have = live.queue.transaction
    if desired is None or desired.transaction is None or have is None:
        return live
    projected = replace(
        have,
        first_query_interval=have.first_query_interval
        if desired.transaction.first_query_interval is not None
        else None,
        max_query_count=have.max_query_count if desired.transaction.max_query_count is not None else None,
    )
    return replace(live, queue=replace(live.queue, transaction=projected))


__all__ = ["Attempted", "LiveTopic", "TdmqApi"]
