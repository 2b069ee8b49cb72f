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
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import replace
from typing import Any, TypeVar

from tencentcloud.common.common_client import CommonClient
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from cmqinfra.cloud import calls, normalize, wire
from cmqinfra.cloud.api import TaggedKind
from cmqinfra.cloud.errors import CloudError
from cmqinfra.cloud.limiter import RateLimiter, Slot
from cmqinfra.cloud.paging import PagedListing
from cmqinfra.cloud.pool import BACKGROUND, NORMAL, URGENT, PriorityPool
from cmqinfra.cloud.redact import Redactor
from cmqinfra.cloud.retry import RetryPolicy, is_retryable, is_throttle
from cmqinfra.gcpause import collector_paused
from cmqinfra.live import LiveQueue, LiveState, LiveSubscription, LiveTopic, MessageCounts, name_key
from cmqinfra.model import STACK_TAG, Protocol, Queue, Stack, Subscription, Tags, Topic

log = logging.getLogger("cmqinfra.api")

PAGE = 50
TAG_BATCH = 10  # ModifyResourceTags takes at most 10 ReplaceTags / DeleteTags per call
READ_BACK_SECONDS = 15.0  # how long a created-but-invisible resource is waited for

T = TypeVar("T")
# Starts the count of the account's untagged queues and topics (or joins one already asked for,
# see TdmqApi.count_untagged); returns a function that waits for the answer.
UntaggedCount = Callable[[], Callable[[], "int | None"]]

_NAME_LISTINGS: dict[str, tuple[str, str, str]] = {
    "queue": ("DescribeCmqQueues", "QueueList", "QueueName"),
    "topic": ("DescribeCmqTopics", "TopicList", "TopicName"),
}


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
        sts: CommonClient | None = None,
    ) -> None:
        self._tdmq = tdmq
        self._tag = tag
        self._sts = sts
        self.region = region
        self.parallelism = max(1, parallelism)
        self._limiter = limiter or RateLimiter()
        self._policy = policy or RetryPolicy()
        self._redact = redactor or Redactor()
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._throttled: Counter[str] = Counter()
        self._counts_lock = threading.Lock()
        self._pool = PriorityPool(self.parallelism, "cmqinfra-api")
        # Each client whose transport stamps a call's rate-limit slot as it leaves (cloud/wire.py).
        self._on_socket = {id(c): wire.install(c) for c in (tdmq, tag, sts) if c is not None}
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

    def throttled_counts(self) -> Mapping[str, int]:
        """Calls the service refused with RequestLimitExceeded, per action."""
        with self._counts_lock:
            return dict(self._throttled)

    @property
    def pacing_slack(self) -> float:
        """Seconds beyond a full window the rate budget waits before reusing a place, as learned
        from the refusals so far (cloud/limiter.py); shared with every API on the same budget."""
        return self._limiter.slack

    # ------------------------------------------------------------ the one way to call the API

    def _call(
        self, action: str, params: dict[str, Any], resource: str | None = None, slot: Slot | None = None
    ) -> dict[str, Any]:
        """One API call with retries. ``slot``: the first attempt's rate-limit place, reserved by
        the caller (see ``_submit``); later attempts take their own."""
        calls.require(action)  # the CAM policy (cmqinfra cam-policy) grants only the listed calls
        client = self._tag if action in _TAG_ACTIONS else self._tdmq
        if action in _STS_ACTIONS and self._sts is not None:
            client = self._sts
        attempt = 0  # every request sent
        failures = 0  # those that count against max_attempts (all but throttling)
        throttle_waited = 0.0
        throttles = 0
        while True:
            attempt += 1
            place = slot or self._limiter.reserve(action)
            slot = None
            with self._counts_lock:
                self._counts[action] += 1
            started = time.monotonic()
            try:
                with wire.sending(place, self._on_socket.get(id(client), False)):
                    response = client.call_json(action, params)
            except TencentCloudSDKException as exc:
                code = exc.get_code() or "ClientError"
                error = CloudError(
                    action, code, self._redact.text(exc.get_message()), exc.get_request_id(), resource
                )
                self._log_call(action, params, code, started, attempt)
                if is_throttle(code):
                    # The service counts a window we track too: wait just until it has room
                    # again, not for a back-off that grows to seconds.
                    with self._counts_lock:
                        self._throttled[action] += 1
                    # A first refusal keeps the call's place, a moment later (RateLimiter.retry_slot).
                    slack = self._limiter.slack
                    retry = self._limiter.retry_slot(place) if throttles == 0 else None
                    if self._limiter.slack != slack:
                        log.debug("%s refused as over the limit: the pacing slack is now %.0f ms",
                                  action, self._limiter.slack * 1000)
                    throttles += 1
                    if retry is not None:
                        slot = retry
                        throttle_waited += max(0.0, retry.not_before - time.monotonic())
                        continue
                    wait = self._limiter.throttled(action)
                    if throttle_waited + wait <= self._policy.throttle_budget_seconds:
                        throttle_waited += wait
                        self._sleep(wait)
                        continue
                    raise Attempted(error, attempt) from None
                failures += 1
                if is_retryable(code) and failures < self._policy.max_attempts:
                    self._sleep(self._backoff(failures))
                    continue
                raise Attempted(error, attempt) from None
            except Exception as exc:  # the SDK wraps most things; anything else is a transport fault
                error = CloudError(action, "ClientError", self._redact.text(exc), None, resource)
                failures += 1
                if failures < self._policy.max_attempts:
                    self._sleep(self._backoff(failures))
                    continue
                raise Attempted(error, attempt) from None
            self._log_call(action, params, "ok", started, attempt)
            return dict(response.get("Response", response))

    def _log_call(
        self, action: str, params: dict[str, Any], outcome: str, started: float, attempt: int
    ) -> None:
        # Redacting and serialising the parameters costs CPU on every call: only when logged.
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s %s -> %s after %.0f ms (attempt %d)",
                action,
                self._redact.text(json.dumps(self._redact.params(params), default=str)),
                outcome,
                (time.monotonic() - started) * 1000,
                attempt,
            )

    def _backoff(self, failures: int) -> float:
        with self._rng_lock:
            return self._policy.backoff(failures, self._rng)

    def _submit(
        self, action: str, params: dict[str, Any], priority: int = NORMAL
    ) -> Future[dict[str, Any]]:
        """Reserve the rate-limit slot here, in the submitting thread, then hand the call to the
        pool, which stamps the slot when the call really goes out: pool threads only ever hold
        calls in flight (a first attempt waits at most the limiter's short lead for its place),
        and never submit work themselves (so no pool can deadlock on itself, whatever the
        parallelism)."""
        slot = self._limiter.reserve(action)
        try:
            future = self._pool.submit(priority, self._call, action, params, None, slot)
        except BaseException:
            slot.release()
            raise
        # A call cancelled before it went out gives its place in the window back.
        future.add_done_callback(lambda done: slot.release() if done.cancelled() else None)
        return future

    def _listing(
        self, action: str, key: str, on_page: Any = None, priority: int = NORMAL
    ) -> PagedListing[Any]:
        return PagedListing(lambda query: self._submit(action, query, priority), key, PAGE, on_page)

    def _list_many(self, action: str, queries: list[dict[str, Any]], key: str) -> list[list[dict[str, Any]]]:
        """Every item of several paged Describe* queries, each page paced and run concurrently."""
        listing: PagedListing[int] = self._listing(action, key)
        for index, query in enumerate(queries):
            listing.add(index, query)
        listing.close()
        results = listing.run()
        return [results[index] for index in range(len(queries))]

    def _by_names(self, action: str, list_param: str, names: Iterable[str], key: str) -> list[dict[str, Any]]:
        chunks = _chunks(sorted(set(names)), PAGE)
        futures = [self._submit(action, {list_param: chunk, "Limit": PAGE}) for chunk in chunks]
        return [item for future in futures for item in future.result().get(key) or []]

    def untagged_total(self) -> int | None:
        """How many queues and topics of the account carry no ``cmqinfra-stack`` tag: each
        listing's TotalCount (one-item pages), all minus the tagged. None when the service does
        not answer the count (the plan then just says nothing about untagged resources)."""
        return self.count_untagged()()

    def count_untagged(self) -> AccountCounts:
        """Send the four one-item listings of :meth:`untagged_total` now; the returned counts
        wait for their answers when asked. A whole read starts them with its own first pages, so
        they cost no time of their own."""
        any_owner = {"IsTagFilter": True, "Filters": [{"Name": f"tag:{STACK_TAG}"}]}
        return AccountCounts(
            {
                action: (
                    self._submit(action, {"Limit": 1}, BACKGROUND),
                    self._submit(action, {"Limit": 1, **any_owner}, BACKGROUND),
                )
                for action in ("DescribeCmqQueues", "DescribeCmqTopics")
            }
        )

    def owners(self) -> list[tuple[str, str, str]]:
        """(type, name, owning stack) of every queue and topic some stack owns: two tag-filtered
        listings, paged, never a call per resource. Asked only when the counts say a stack the
        run did not read owns something (cmqinfra/project/orphans.py)."""
        any_owner = {"IsTagFilter": True, "Filters": [{"Name": f"tag:{STACK_TAG}"}]}
        [queues] = self._list_many("DescribeCmqQueues", [any_owner], "QueueList")
        [topics] = self._list_many("DescribeCmqTopics", [any_owner], "TopicList")
        out = [("queue", q.queue.name, q.owner) for q in map(normalize.queue_from_api, queues)]
        out += [("topic", t.topic.name, t.owner) for t in map(normalize.topic_from_api, topics)]
        return [(kind, name, owner) for kind, name, owner in out if owner]

    # ------------------------------------------------------------ read

    def read(self, stack: Stack, untagged: UntaggedCount | None = None) -> LiveState:
        """Live state of everything the plan for ``stack`` needs (see :class:`PendingRead`)."""
        return self.start_read(stack.name, untagged).finish(stack)

    def start_read(self, stack_name: str, untagged: UntaggedCount | None = None) -> PendingRead:
        """Start reading what ``stack_name`` owns now; ``finish`` it with the loaded stack. The
        owned resources are most of the read, and need only the stack's name: they are read
        while the manifest is still being parsed. ``untagged``: starts or joins the account's
        untagged count when it is asked once for several reads of one account and region (a
        project's stacks); without it the read asks for its own."""
        return PendingRead(self, stack_name, untagged)

    def read_named(
        self,
        stack: Stack,
        queues: Iterable[str],
        topics: Iterable[str],
        listed_topics: Iterable[str] = (),
        subscriptions: Iterable[tuple[str, str]] = (),
    ) -> LiveState:
        """Live state of exactly these resources, for a partial plan: one name-list call per 50
        queues and per 50 topics, every subscription of ``listed_topics``, and each of
        ``subscriptions`` (topic, name) by a Detail call filtered to its name. Lanes run at once."""
        queue_names = sorted(set(queues), key=str.casefold)
        topic_names = sorted(set(topics), key=str.casefold)
        queries = [(t, {"TopicName": t}) for t in sorted(set(listed_topics), key=str.casefold)]
        listed = {name_key(t) for t, _ in queries}
        queries += [
            (t, {"TopicName": t, "SubscriptionName": n})
            for t, n in sorted(set(subscriptions))
            if name_key(t) not in listed
        ]
        wanted = {(name_key(t), n) for t, n in subscriptions}

        def queue_lane() -> dict[str, LiveQueue]:
            items = self._by_names("DescribeCmqQueues", "QueueNameList", queue_names, "QueueList")
            found = map(normalize.queue_from_api, items)
            return {name_key(q.queue.name): q for q in found if name_key(q.queue.name) in _keys(queue_names)}

        def topic_lane() -> dict[str, LiveTopic]:
            items = self._by_names("DescribeCmqTopics", "TopicNameList", topic_names, "TopicList")
            found = map(normalize.topic_from_api, items)
            return {name_key(t.topic.name): t for t in found if name_key(t.topic.name) in _keys(topic_names)}

        def subscription_lane() -> dict[tuple[str, str], LiveSubscription]:
            out: dict[tuple[str, str], LiveSubscription] = {}
            for topic, query in queries:
                try:
                    items = self._list_many("DescribeCmqSubscriptionDetail", [query], "SubscriptionSet")[0]
                except CloudError as error:
                    if error.code.startswith("ResourceNotFound"):
                        continue  # the topic does not exist (yet): it has no subscriptions
                    raise
                for item in items:
                    sub = normalize.subscription_from_api(topic, item)
                    key = (name_key(topic), sub.subscription.name)
                    # The name filter matches part of a name: keep exactly what was asked for.
                    if name_key(sub.subscription.topic) == name_key(topic) and (
                        name_key(topic) in listed or key in wanted
                    ):
                        out[key] = sub
            return out

        with ThreadPoolExecutor(max_workers=3, thread_name_prefix="cmqinfra-read") as lanes:
            queues_future = lanes.submit(queue_lane)
            topics_future = lanes.submit(topic_lane)
            subscriptions_future = lanes.submit(subscription_lane)
            live_queues = queues_future.result()
            live_topics = topics_future.result()
            live_subscriptions = subscriptions_future.result()
        desired = {name_key(q.name): q for q in stack.queues}
        live_queues = {k: _project_queue(v, desired.get(k)) for k, v in live_queues.items()}
        return LiveState(queues=live_queues, topics=live_topics, subscriptions=live_subscriptions)

    def name_page(self, kind: TaggedKind, offset: int, limit: int = PAGE) -> tuple[int, list[str]]:
        """One page of every queue (or topic) name in the region, owned or not, and the total:
        what ``export --all`` walks. Paced and retried like every other call."""
        action, key, field = _NAME_LISTINGS[kind]
        response = self._call(action, {"Offset": offset, "Limit": min(limit, PAGE)})
        items = response.get(key) or []
        return int(response.get("TotalCount") or 0), [str(item[field]) for item in items]

    def endpoint_users(self, queue_names: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
        names = list(queue_names)
        queries = [{"QueryType": "queue", "QueueName": n} for n in names]
        pages = self._list_many("DescribeCmqSubscriptionDetail", queries, "SubscriptionSet")
        users: dict[str, tuple[str, ...]] = {}
        for name, items in zip(names, pages, strict=True):
            found = {
                f"subscription/{item.get('TopicName')}/{item.get('SubscriptionName')}"
                for item in items
                if name_key(str(item.get("Endpoint") or "")) == name_key(name)
            }
            users[name_key(name)] = tuple(sorted(found))
        return users

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

    def queue_messages(self, name: str) -> MessageCounts | None:
        items = self._by_names("DescribeCmqQueues", "QueueNameList", [name], "QueueList")
        found = [normalize.queue_from_api(i) for i in items]
        return next((q.messages for q in found if name_key(q.queue.name) == name_key(name)), None)

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
                try:
                    items = self._list_many(
                        "DescribeCmqSubscriptionDetail",
                        [{"TopicName": subscription.topic, "SubscriptionName": subscription.name}],
                        "SubscriptionSet",
                    )[0]
                except CloudError as missing:
                    # The topic was created a moment ago and is not visible yet (eventual
                    # consistency): nothing is visible yet, wait like for the subscription itself.
                    if missing.code.startswith("ResourceNotFound"):
                        return []
                    raise
                return [item for item in items if item.get("SubscriptionName") == subscription.name]

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

    def caller_account(self) -> str | None:
        """The account (root uin) the credentials belong to: STS GetCallerIdentity."""
        if self._sts is None:
            return None
        account = self._call("GetCallerIdentity", {}).get("AccountId")
        return str(account) if account not in (None, "") else None

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


class AccountCounts:
    """The account's totals of queues and topics (one-item listings, sent at once), answered on
    demand: everything, and everything owned by some stack."""

    def __init__(self, listings: dict[str, tuple[Future[dict[str, Any]], Future[dict[str, Any]]]]) -> None:
        self._listings = listings

    def __call__(self) -> int | None:
        """Queues and topics no stack owns; None when the service did not answer the count (the
        plan then just says nothing about untagged resources)."""
        count = 0
        try:
            for everything, tagged in self._listings.values():
                count += int(everything.result().get("TotalCount") or 0)
                count -= int(tagged.result().get("TotalCount") or 0)
        except CloudError as error:
            log.debug("untagged count not available: %s", error.describe())
            return None
        return max(0, count)

    def everything(self, action: str) -> int | None:
        """How many resources ``action`` lists in the whole account (None: not answered)."""
        try:
            return int(self._listings[action][0].result().get("TotalCount") or 0)
        except CloudError:
            return None

    def cancel(self) -> None:
        """Nobody will ask: the listings not sent yet are dropped, those in flight waited for, so
        nothing of the run's still reaches the service once it has given up."""
        futures = [future for pair in self._listings.values() for future in pair]
        wait([future for future in futures if not future.cancel()])

    def tagged(self) -> int | None:
        """How many queues and topics some stack owns (any ``cmqinfra-stack`` tag; None: not
        answered): a project that read every stack of an account knows whether any is missing."""
        try:
            return sum(int(tagged.result().get("TotalCount") or 0) for _, tagged in self._listings.values())
        except CloudError:
            return None


class ReadCancelled(Exception):
    """The read was abandoned (the manifest did not load): nothing was planned."""


class PendingRead:
    """A read in three lanes, run at once: queues (owned by tag, then the named ones not yet
    seen); topics (likewise); and the subscriptions of every topic of interest, each listing sent
    as soon as the page naming its topic arrives. Each action has its own limit, so the read costs
    the longest lane (at scale, the one subscription listing per topic), not the sum.

    The owned listings start at once, from the stack's name alone; the lanes wait for the desired
    stack (``finish``) only to look up the resources the manifest names that the stack does not own."""

    def __init__(self, api: TdmqApi, stack_name: str, untagged: UntaggedCount | None = None) -> None:
        self._api = api
        self.stack_name = stack_name
        self._desired: Future[Stack] = Future()
        self._found: dict[str, list[LiveSubscription]] = {}
        self._listings: list[PagedListing[Any]] = []
        self._subscriptions: PagedListing[str] = self._track(
            api._listing(
                "DescribeCmqSubscriptionDetail", "SubscriptionSet", self._subscription_page, URGENT
            )
        )
        # The subscription listings are the longest lane and wait for the first topic page: the
        # topic pages go out alone, and the queue lane (with far more time than it needs) follows
        # them, so the first window of listings goes out at once on free connections.
        self._first_topics = threading.Event()
        self._topics_listed = threading.Event()
        self._untagged: Callable[[], int | None] = lambda: None
        self._counts_sent = threading.Event()
        self._count_untagged = untagged or api.count_untagged
        self._lanes = ThreadPoolExecutor(max_workers=3, thread_name_prefix="cmqinfra-read")
        self._topics = self._lanes.submit(self._topic_lane)
        self._queues = self._lanes.submit(self._queue_lane)
        self._subscriptions_done = self._lanes.submit(self._subscriptions.run)

    def wait_started(self, timeout: float) -> None:
        """Until the subscription listings have started (or ``timeout``): what runs meanwhile in
        this process, such as the manifest load, then does not hold up the read's first calls."""
        self._first_topics.wait(timeout)

    def finish(self, stack: Stack) -> LiveState:
        if stack.name != self.stack_name:  # read for another name: start over for this one
            self.cancel()
            return self._api.read(stack, self._count_untagged)
        self._desired.set_result(stack)
        try:
            # A collection of the cyclic garbage collector walks the loaded stack's million objects
            # and the growing live state (a third of a second at 10,000 queues): every call due
            # meanwhile goes out late, and a paced call sent late stays late for the rest of the
            # read. The pages are acyclic; reference counting frees them.
            with collector_paused():
                queues = self._queues.result()
                topics = self._topics.result()
                self._subscriptions_done.result()
        except BaseException:
            self.cancel()  # one lane failed: the others stop too
            raise
        self._lanes.shutdown(wait=True)
        # In the order of the topics, whatever order the listings arrived in.
        found = self._found
        by_key = {(key, s.subscription.name): s for key in topics for s in found.get(key, ())}
        desired = {name_key(q.name): q for q in stack.queues}
        queues = {k: _project_queue(v, desired.get(k)) for k, v in queues.items()}
        return LiveState(queues=queues, topics=topics, subscriptions=by_key, untagged_total=self._untagged())

    def cancel(self) -> None:
        """Stop: nothing new is sent; the calls in flight finish."""
        if not self._desired.done():
            self._desired.set_exception(ReadCancelled())
        for listing in list(self._listings):
            listing.close(ReadCancelled())
        self._lanes.shutdown(wait=True)

    def _not_in_account(self, action: str, missing: list[str], found: Mapping[str, Any]) -> list[str]:
        """The names still to look up: none when the account holds nothing but what was found
        (an apply from empty would otherwise spend a page of the listing budget per 50 names
        on learning that none of them exists)."""
        if not missing:
            return missing
        self._counts_sent.wait()
        counts = self._untagged
        if isinstance(counts, AccountCounts) and counts.everything(action) == len(found):
            return []
        return missing

    def _track(self, listing: PagedListing[Any]) -> PagedListing[Any]:
        self._listings.append(listing)
        return listing

    def _owned(
        self, action: str, owner: str, key: str, on_page: Any = None, priority: int = NORMAL
    ) -> list[dict[str, Any]]:
        """Every resource tagged as ``owner``'s, each page handed to ``on_page`` as it arrives."""
        tag_filter = {"IsTagFilter": True, "Filters": [{"Name": f"tag:{STACK_TAG}", "Values": [owner]}]}
        listing: PagedListing[int] = self._track(self._api._listing(action, key, on_page, priority))
        listing.add(0, tag_filter)
        listing.close()
        return listing.run()[0]

    def _subscription_page(self, topic: str, _offset: int, items: list[dict[str, Any]]) -> None:
        for item in items:
            sub = normalize.subscription_from_api(topic, item)
            # The topic filter is exact; be strict anyway: never take another topic's subscription.
            if name_key(sub.subscription.topic) == name_key(topic):
                self._found.setdefault(name_key(topic), []).append(sub)

    def _list_subscriptions_of(self, topic: LiveTopic) -> None:
        # Every topic the plan may touch: the stack's own (all owned pages) and the named ones.
        self._subscriptions.add(topic.topic.name, {"TopicName": topic.topic.name})

    def _queue_lane(self) -> dict[str, LiveQueue]:
        self._topics_listed.wait()
        # The plan's count of untagged resources: four one-item listings, sent with the read.
        try:
            self._untagged = self._count_untagged()
        finally:
            self._counts_sent.set()
        owned = self._owned("DescribeCmqQueues", self.stack_name, "QueueList", priority=BACKGROUND)
        stack = self._desired.result()
        if stack.renamed_from:  # and what it owned under its previous name
            owned += self._owned("DescribeCmqQueues", stack.renamed_from, "QueueList", priority=BACKGROUND)
        queues = {name_key(q.queue.name): q for q in map(normalize.queue_from_api, owned)}
        wanted = {q.name for q in stack.queues}
        wanted |= {q.dead_letter.queue for q in stack.queues if q.dead_letter is not None}
        wanted |= {s.endpoint for s in stack.subscriptions if s.protocol is Protocol.QUEUE}
        missing = [n for n in wanted if name_key(n) not in queues]
        missing = self._not_in_account("DescribeCmqQueues", missing, queues)
        for item in self._api._by_names("DescribeCmqQueues", "QueueNameList", missing, "QueueList"):
            live_queue = normalize.queue_from_api(item)
            queues.setdefault(name_key(live_queue.queue.name), live_queue)
        return queues

    def _topic_lane(self) -> dict[str, LiveTopic]:
        pages: dict[int, list[LiveTopic]] = {}

        def owned_page(_name: int, offset: int, items: list[dict[str, Any]]) -> None:
            pages[offset] = [normalize.topic_from_api(item) for item in items]
            for live_topic in pages[offset]:
                self._list_subscriptions_of(live_topic)
            self._first_topics.set()

        try:
            try:
                self._owned("DescribeCmqTopics", self.stack_name, "TopicList", owned_page)
            finally:
                self._topics_listed.set()
            owned = [t for _, page in sorted(pages.items()) for t in page]
            stack = self._desired.result()
            if stack.renamed_from:  # and what it owned under its previous name
                pages.clear()
                self._owned("DescribeCmqTopics", stack.renamed_from, "TopicList", owned_page)
                owned += [t for _, page in sorted(pages.items()) for t in page]
            topics = {name_key(t.topic.name): t for t in owned}
            wanted = {t.name for t in stack.topics} | {s.topic for s in stack.subscriptions}
            missing = [n for n in wanted if name_key(n) not in topics]
            missing = self._not_in_account("DescribeCmqTopics", missing, topics)
            for item in self._api._by_names("DescribeCmqTopics", "TopicNameList", missing, "TopicList"):
                live_topic = normalize.topic_from_api(item)
                if topics.setdefault(name_key(live_topic.topic.name), live_topic) is live_topic:
                    self._list_subscriptions_of(live_topic)
        except BaseException as error:
            self._subscriptions.close(error)
            raise
        finally:
            self._first_topics.set()
            self._topics_listed.set()
        self._subscriptions.close()
        return topics


_TAG_ACTIONS = frozenset(
    {"ModifyResourceTags", "TagResources", "UnTagResources", "DescribeResourceTagsByResourceIds"}
)


_STS_ACTIONS = frozenset({"GetCallerIdentity"})


def _keys(names: Iterable[str]) -> set[str]:
    return {name_key(n) for n in names}


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


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


__all__ = ["Attempted", "LiveTopic", "PendingRead", "ReadCancelled", "TdmqApi", "UntaggedCount"]
