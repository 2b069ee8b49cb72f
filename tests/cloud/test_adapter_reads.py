"""The adapter's narrower reads through the real SDK over HTTP against the emulator: the partial
plan's read of named resources, the region-wide name pages of ``export --all``, the caller's
account, and the count of untagged resources."""

from __future__ import annotations

from dataclasses import replace

from cmqinfra.cloud.api import ownership_tags
from cmqinfra.cloud.retry import RetryPolicy
from cmqinfra.cloud.tdmq import PAGE, TdmqApi
from cmqinfra.emulator import DEFAULT_ACCOUNT_ID, Emulator, Faults
from cmqinfra.model import Protocol, Queue, Stack, Subscription, Topic, Transaction
from tests import sdk_clients

SHOP = Stack(name="shop")


def owned_queue(api: TdmqApi, name: str, stack: str = "shop", **fields: object) -> Queue:
    queue = Queue(name=name, **fields)  # type: ignore[arg-type]
    api.create_queue(queue, ownership_tags(queue, stack))
    return queue


def owned_topic(api: TdmqApi, name: str, stack: str = "shop") -> Topic:
    topic = Topic(name=name)
    api.create_topic(topic, ownership_tags(topic, stack))
    return topic


def subscribe(api: TdmqApi, topic: str, name: str, endpoint: str) -> None:
    api.create_subscription(Subscription(topic=topic, name=name, protocol=Protocol.QUEUE, endpoint=endpoint))


# --------------------------------------------------------------------------- read_named


def test_read_named_returns_exactly_the_named_queues_and_topics_whoever_owns_them(api: TdmqApi) -> None:
    owned_queue(api, "orders", visibility_timeout=45)
    owned_queue(api, "orders-archive")  # a longer name the exact name list must not match
    owned_queue(api, "payments", stack="other")
    api.create_queue(Queue(name="legacy"), ())
    owned_topic(api, "events")
    owned_topic(api, "events-old")
    live = api.read_named(SHOP, queues=["Orders", "payments", "legacy", "absent"], topics=["EVENTS", "gone"])
    assert set(live.queues) == {"orders", "payments", "legacy"}
    assert live.queues["orders"].queue.name == "orders"  # the live spelling, under the case-free key
    assert live.queues["orders"].queue.visibility_timeout == 45
    assert (live.queues["orders"].owner, live.queues["payments"].owner) == ("shop", "other")
    assert live.queues["legacy"].owner is None
    assert set(live.topics) == {"events"} and live.topics["events"].topic.name == "events"
    assert live.subscriptions == {}
    assert api.call_counts()["DescribeCmqQueues"] == 1 and api.call_counts()["DescribeCmqTopics"] == 1


def test_read_named_asks_for_fifty_names_a_call(api: TdmqApi) -> None:
    for i in range(PAGE + 3):
        api.create_queue(Queue(name=f"q{i:03d}"), ())
    before = api.call_counts()["DescribeCmqQueues"] if "DescribeCmqQueues" in api.call_counts() else 0
    live = api.read_named(SHOP, queues=[f"q{i:03d}" for i in range(PAGE + 3)], topics=[])
    assert len(live.queues) == PAGE + 3
    assert api.call_counts()["DescribeCmqQueues"] - before == 2
    assert "DescribeCmqTopics" not in api.call_counts()  # no topic named: no topic call


def test_read_named_lists_whole_topics_and_picks_single_subscriptions_exactly(api: TdmqApi) -> None:
    for name in ("q1", "q2"):
        api.create_queue(Queue(name=name), ())
    owned_topic(api, "wide")
    owned_topic(api, "narrow")
    for name in ("a", "b"):
        subscribe(api, "wide", name, "q1")
    for name in ("sub", "sub-a", "other"):  # the name filter matches "sub" inside "sub-a"
        subscribe(api, "narrow", name, "q2")
    live = api.read_named(
        SHOP,
        queues=[],
        topics=[],
        listed_topics=["Wide"],
        # "wide" is listed whole already; a subscription of a topic that does not exist is absent
        subscriptions=[("narrow", "sub"), ("WIDE", "a"), ("missing-topic", "x")],
    )
    assert set(live.subscriptions) == {("wide", "a"), ("wide", "b"), ("narrow", "sub")}
    got = live.subscriptions[("narrow", "sub")].subscription
    assert (got.topic, got.name, got.endpoint) == ("narrow", "sub", "q2")
    assert live.subscriptions[("wide", "b")].subscription.endpoint == "q1"
    # one listing for the whole topic, one for each single subscription not in it
    assert api.call_counts()["DescribeCmqSubscriptionDetail"] == 3


def test_read_named_keeps_the_transaction_fields_the_manifest_manages(api: TdmqApi) -> None:
    desired = Queue(name="tx", transaction=Transaction(first_query_interval=20))
    service = Transaction(first_query_interval=20, max_query_count=7)
    api.create_queue(replace(desired, transaction=service), ())
    live = api.read_named(Stack(name="shop", queues=(desired,)), queues=["tx"], topics=[])
    # the back-check count the manifest leaves to the service is dropped, the interval kept
    assert live.queues["tx"].queue.transaction == Transaction(first_query_interval=20, max_query_count=None)
    unmanaged = api.read_named(SHOP, queues=["tx"], topics=[])  # not in the manifest: as read
    assert unmanaged.queues["tx"].queue.transaction == service


# --------------------------------------------------------------------------- name pages, account


def test_name_page_walks_every_name_in_the_region_owned_or_not(api: TdmqApi) -> None:
    for i in range(PAGE + 2):
        queue = Queue(name=f"n{i:03d}")
        api.create_queue(queue, ownership_tags(queue, "s") if i % 2 else ())
    owned_topic(api, "only-topic", stack="x")
    total, first = api.name_page("queue", 0, limit=500)  # more than a page asked: one page given
    assert total == PAGE + 2 and len(first) == PAGE
    total, rest = api.name_page("queue", PAGE)
    assert total == PAGE + 2
    assert sorted(first + rest) == [f"n{i:03d}" for i in range(PAGE + 2)]
    assert api.name_page("topic", 0, limit=5) == (1, ["only-topic"])
    assert api.name_page("topic", 1) == (1, [])


def test_caller_account_is_the_account_the_credentials_belong_to(api: TdmqApi, emulator: Emulator) -> None:
    assert api.caller_account() == DEFAULT_ACCOUNT_ID
    assert api.call_counts()["GetCallerIdentity"] == 1


def test_caller_account_is_unknown_without_an_sts_client(emulator: Emulator) -> None:
    tdmq = sdk_clients.common(emulator.endpoint, "tdmq", "2020-02-17", region=emulator.region)
    tag = sdk_clients.common(emulator.endpoint, "tag", "2018-08-13", region=emulator.region)
    with TdmqApi(tdmq, tag, emulator.region) as api:
        assert api.caller_account() is None
        assert api.call_counts() == {}


def test_untagged_total_counts_queues_and_topics_no_stack_owns(api: TdmqApi) -> None:
    assert api.untagged_total() == 0
    api.create_queue(Queue(name="legacy-1"), ())
    api.create_queue(Queue(name="legacy-2"), ())
    api.create_topic(Topic(name="legacy-t"), ())
    assert api.untagged_total() == 3  # nothing tagged yet
    owned_queue(api, "mine")
    owned_topic(api, "mine-too")
    assert api.untagged_total() == 3


def test_untagged_total_is_unknown_when_the_service_will_not_count(api: TdmqApi, emulator: Emulator) -> None:
    api.create_queue(Queue(name="legacy"), ())
    api._policy = RetryPolicy(max_attempts=1)  # type: ignore[attr-defined]
    emulator.faults = Faults(internal_error_rate=1.0, actions=frozenset({"DescribeCmqTopics"}))
    try:
        assert api.untagged_total() is None  # the plan then says nothing about untagged resources
    finally:
        emulator.faults = Faults()
    assert api.untagged_total() == 1


def test_a_renamed_stack_reads_what_it_owns_under_both_names(api: TdmqApi) -> None:
    owned_queue(api, "kept", stack="old-shop")
    owned_queue(api, "new", stack="shop")
    owned_topic(api, "kept-topic", stack="old-shop")
    owned_topic(api, "new-topic", stack="shop")
    subscribe(api, "kept-topic", "s", "kept")
    live = api.read(Stack(name="shop", renamed_from="old-shop"))
    assert set(live.queues) == {"kept", "new"}
    assert (live.queues["kept"].owner, live.queues["new"].owner) == ("old-shop", "shop")
    assert set(live.topics) == {"kept-topic", "new-topic"}
    assert set(live.subscriptions) == {("kept-topic", "s")}
    assert set(api.read(Stack(name="shop")).queues) == {"new"}  # not renamed: its own only


def test_a_full_read_looks_up_the_named_resources_the_stack_does_not_own(api: TdmqApi) -> None:
    api.create_queue(Queue(name="legacy-q"), ())
    api.create_topic(Topic(name="legacy-t"), ())
    api.create_topic(Topic(name="shared-t"), ())
    subscribe(api, "legacy-t", "old", "legacy-q")
    subscribe(api, "shared-t", "other", "legacy-q")
    desired = Stack(
        name="shop",
        topics=(Topic(name="legacy-t"),),
        # a topic named only by a subscription, delivering to a queue named only as its endpoint
        subscriptions=(
            Subscription(topic="shared-t", name="mine", protocol=Protocol.QUEUE, endpoint="legacy-q"),
        ),
    )
    live = api.read(desired)
    assert set(live.topics) == {"legacy-t", "shared-t"}
    assert live.topics["legacy-t"].owner is None
    assert set(live.queues) == {"legacy-q"}
    assert set(live.subscriptions) == {("legacy-t", "old"), ("shared-t", "other")}
