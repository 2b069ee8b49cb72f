"""The TDMQ adapter through the real SDK over HTTP against the emulator."""

from __future__ import annotations

import logging
import re
from dataclasses import replace

import pytest

from cmqinfra.cloud import normalize
from cmqinfra.cloud.api import ownership_tags
from cmqinfra.cloud.errors import CloudError
from cmqinfra.cloud.retry import RetryPolicy
from cmqinfra.cloud.tdmq import TdmqApi
from cmqinfra.emulator import Emulator, Faults
from cmqinfra.live import name_key
from cmqinfra.model import (
    DeadLetter,
    FilterType,
    NotifyContentFormat,
    NotifyStrategy,
    Protocol,
    Queue,
    Stack,
    Subscription,
    Topic,
    Transaction,
    tags_of,
)
from tests import stacks

DLQ = Queue(
    name="orders-dead",
    visibility_timeout=30,
    polling_wait_seconds=0,
    msg_retention_seconds=3600,
    rewind_seconds=0,
    retention_size_in_mb=0,
    trace=False,
)
ORDERS = Queue(
    name="orders",
    visibility_timeout=60,
    polling_wait_seconds=10,
    msg_retention_seconds=7200,
    max_msg_heap_num=10_000_000,
    rewind_seconds=43200,
    retention_size_in_mb=10240,
    trace=True,
    transaction=Transaction(first_query_interval=10, max_query_count=5),
    dead_letter=DeadLetter(queue="orders-dead", max_receive_count=3),
    tags=tags_of({"team": "payments"}),
)
EVENTS = Topic(
    name="order-events", filter_type=FilterType.ROUTING_KEY, msg_retention_seconds=86400, trace=False
)

BILLING = Subscription(
    topic="order-events",
    name="billing",
    protocol=Protocol.QUEUE,
    endpoint="orders",
    notify_strategy=NotifyStrategy.EXPONENTIAL_DECAY_RETRY,
    notify_content_format=NotifyContentFormat.SIMPLIFIED,
    binding_keys=("order.*.created", "order.#"),
)
STACK = Stack(name="shop", queues=(DLQ, ORDERS), topics=(EVENTS,), subscriptions=(BILLING,))


def build(api: TdmqApi, stack: Stack = STACK) -> None:
    stacks.build(api, stack)


def test_created_resources_read_back_equal_to_the_desired_model(api: TdmqApi) -> None:
    build(api)
    live = api.read(STACK)
    assert live.queues[name_key("orders")].queue == replace(ORDERS, max_msg_size=1048576)
    assert live.queues[name_key("orders")].owner == "shop"
    assert live.queues[name_key("orders-dead")].dead_letter_sources == ("orders",)
    assert live.topics[name_key("order-events")].topic == replace(EVENTS, max_msg_size=65536)
    got = live.subscriptions[(name_key("order-events"), "billing")].subscription
    assert replace(got, binding_keys=tuple(sorted(got.binding_keys))) == replace(
        BILLING, binding_keys=tuple(sorted(BILLING.binding_keys))
    )


def test_read_finds_owned_resources_by_tag_beyond_one_page_and_ignores_other_stacks(api: TdmqApi) -> None:
    for i in range(57):
        q = Queue(name=f"q{i:03d}")
        api.create_queue(q, ownership_tags(q, "big"))
    other = Queue(name="someone-else")
    api.create_queue(other, ownership_tags(other, "other"))
    live = api.read(Stack(name="big"))
    assert len(live.queues) == 57
    assert name_key("someone-else") not in live.queues
    # two pages of 50 and the two one-item counts of untagged queues, no Detail calls
    assert api.call_counts()["DescribeCmqQueues"] == 4
    assert live.untagged_total == 0  # "someone-else" carries another stack's tag
    assert "DescribeCmqQueueDetail" not in api.call_counts()


def test_named_but_untagged_resources_are_read_without_an_owner(api: TdmqApi, tdmq_client) -> None:  # type: ignore[no-untyped-def]
    api.create_queue(Queue(name="legacy"), ())
    live = api.read(Stack(name="shop", queues=(Queue(name="legacy"),)))
    assert live.queues[name_key("legacy")].owner is None


def test_names_are_not_looked_up_when_the_account_holds_only_what_the_stack_owns(api: TdmqApi) -> None:
    for name in ("kept-a", "kept-b"):
        api.create_queue(Queue(name=name), ownership_tags(Queue(name=name), "s"))
    api.create_topic(Topic(name="kept-t"), ownership_tags(Topic(name="kept-t"), "s"))
    new_queues = tuple(Queue(name=f"new{i:03d}") for i in range(60))
    new_topics = tuple(Topic(name=f"new-t{i:03d}") for i in range(60))
    desired = Stack(
        name="s", queues=(Queue(name="kept-a"), Queue(name="kept-b"), *new_queues), topics=new_topics
    )
    live = api.read(desired)
    assert sorted(live.queues) == ["kept-a", "kept-b"] and sorted(live.topics) == ["kept-t"]
    # one owned page and the two counts each; the 60 new names (two name-list calls) are not asked for
    assert api.call_counts()["DescribeCmqQueues"] == 3
    assert api.call_counts()["DescribeCmqTopics"] == 3


def test_names_are_looked_up_when_the_account_holds_more_than_the_stack_owns(api: TdmqApi) -> None:
    api.create_queue(Queue(name="kept"), ownership_tags(Queue(name="kept"), "s"))
    api.create_queue(Queue(name="theirs"), ownership_tags(Queue(name="theirs"), "other"))
    api.create_queue(Queue(name="legacy"), ())
    live = api.read(Stack(name="s", queues=(Queue(name="kept"), Queue(name="legacy"), Queue(name="new"))))
    assert sorted(live.queues) == ["kept", "legacy"] and live.queues["legacy"].owner is None
    assert api.call_counts()["DescribeCmqQueues"] == 4  # the owned page, the two counts, one name list


def test_subscription_names_are_matched_exactly_after_the_fuzzy_search(api: TdmqApi) -> None:
    topic = Topic(name="t1")
    api.create_topic(topic, ownership_tags(topic, "s"))
    api.create_queue(Queue(name="q1"), ())
    for name in ("sub-a", "sub"):
        api.create_subscription(Subscription(topic="t1", name=name, protocol=Protocol.QUEUE, endpoint="q1"))
    live = api.read(Stack(name="s", topics=(topic,)))
    assert sorted(k[1] for k in live.subscriptions) == ["sub", "sub-a"]
    assert live.subscriptions[(name_key("t1"), "sub")].subscription.name == "sub"


def test_modify_sends_changes_and_removes_dead_letter_and_filter_tags(api: TdmqApi) -> None:
    build(api)
    changed = replace(ORDERS, visibility_timeout=90, dead_letter=None, transaction=None)
    api.modify_queue(ORDERS, changed)
    live = api.read(STACK).queues[name_key("orders")].queue
    assert live.visibility_timeout == 90
    assert live.dead_letter is None
    assert live.transaction is None
    assert api.call_counts()["UnbindCmqDeadLetter"] == 1

    tag_topic = Topic(name="alerts")
    api.create_topic(tag_topic, ownership_tags(tag_topic, "shop"))
    sub = Subscription(
        topic="alerts",
        name="hook",
        protocol=Protocol.HTTP,
        endpoint="https://h.example/x",
        filter_tags=("a", "b"),
    )
    api.create_subscription(sub)
    api.modify_subscription(sub, replace(sub, filter_tags=(), notify_strategy=NotifyStrategy.BACKOFF_RETRY))
    got = api.read(Stack(name="shop", topics=(tag_topic,))).subscriptions[(name_key("alerts"), "hook")]
    assert got.subscription.filter_tags == ()
    assert got.subscription.notify_strategy is NotifyStrategy.BACKOFF_RETRY
    assert api.call_counts()["ClearCmqSubscriptionFilterTags"] == 1


def test_modify_tags_goes_through_the_tag_service(api: TdmqApi) -> None:
    build(api)
    api.modify_tags("queue", "orders", tags_of({"team": "core", "cmqinfra-protect": "true"}), ("missing",))
    live = api.read(STACK).queues[name_key("orders")]
    assert dict(live.queue.tags) == {"team": "core"}
    assert live.protected is True


def test_a_create_whose_response_was_lost_is_read_back_and_accepted(api: TdmqApi, emulator: Emulator) -> None:
    emulator.faults = Faults(lost_response_rate=1.0, actions=frozenset({"CreateCmqQueue"}), seed=1)
    queue = Queue(name="lost", visibility_timeout=45)
    try:
        queue_id = api.create_queue(queue, ownership_tags(queue, "s"))
    finally:
        emulator.faults = Faults()
    assert queue_id.startswith("cmqq-")
    assert len(api.read(Stack(name="s")).queues) == 1


def test_a_create_colliding_with_a_different_resource_fails_clearly(api: TdmqApi) -> None:
    api.create_queue(Queue(name="taken", visibility_timeout=10), ownership_tags(Queue(name="taken"), "other"))
    with pytest.raises(CloudError) as info:
        api.create_queue(
            Queue(name="taken", visibility_timeout=10), ownership_tags(Queue(name="taken"), "mine")
        )
    assert info.value.code.startswith("ResourceInUse")
    assert "owned by stack 'other'" in str(info.value)


@pytest.mark.parametrize(
    "faults",
    [
        Faults(throttle_rate=0.5, seed=3),
        Faults(internal_error_rate=0.4, seed=4),
        Faults(http_5xx_rate=0.4, seed=5),
        Faults(drop_connection_rate=0.4, seed=6),
        Faults(lost_response_rate=0.4, seed=7),
    ],
    ids=["throttle", "internal", "5xx", "drop", "lost-response"],
)
def test_calls_survive_transient_faults(api: TdmqApi, emulator: Emulator, faults: Faults) -> None:
    api._sleep = lambda s: None  # type: ignore[attr-defined]  # keep the back-off instant in tests
    emulator.faults = faults
    try:
        build(api)
        live = api.read(STACK)
    finally:
        emulator.faults = Faults()
    assert set(live.queues) == {"orders", "orders-dead"}
    assert normalize.matches(ORDERS, live.queues["orders"].queue)


def test_deleting_what_is_already_gone_is_done(api: TdmqApi) -> None:
    api.delete_queue("never-existed")
    api.delete_topic("never-existed")
    api.delete_subscription("never-existed", "nor-this")
    # one call each: ResourceNotFound is an answer, not a fault to retry
    assert api.call_counts() == {"DeleteCmqQueue": 1, "DeleteCmqTopic": 1, "DeleteCmqSubscribe": 1}
    # any other refusal still fails the delete
    build(api)
    with pytest.raises(CloudError) as info:
        api.delete_queue("orders-dead")  # still the dead letter of orders
    assert info.value.code == "ResourceInUse"


def test_endpoint_users_lists_subscriptions_delivering_to_a_queue(api: TdmqApi) -> None:
    build(api)
    users = api.endpoint_users(("orders", "orders-dead"))
    assert users == {"orders": ("subscription/order-events/billing",), "orders-dead": ()}


def test_reads_with_parallelism_one_never_deadlock_on_multi_page_listings(emulator: Emulator) -> None:
    from cmqinfra.cloud.target import Target
    from cmqinfra.run.targets import open_target as open_api

    with open_api(Target.endpoint(emulator.url), emulator.region, parallelism=1, timeout=5) as api:
        topic = Topic(name="wide")
        api.create_topic(topic, ownership_tags(topic, "p1"))
        for i in range(55):
            queue = Queue(name=f"w{i:02d}")
            api.create_queue(queue, ownership_tags(queue, "p1"))
            api.create_subscription(
                Subscription(topic="wide", name=f"s{i:02d}", protocol=Protocol.QUEUE, endpoint=queue.name)
            )
        live = api.read(Stack(name="p1"))
        users = api.endpoint_users(("w00",))
    assert len(live.queues) == 55 and len(live.subscriptions) == 55
    assert users == {"w00": ("subscription/wide/s00",)}


def test_a_create_colliding_with_an_untagged_resource_names_it_and_the_refusal(api: TdmqApi) -> None:
    api.create_queue(Queue(name="legacy"), ())
    with pytest.raises(CloudError) as info:
        api.create_queue(Queue(name="legacy"), ownership_tags(Queue(name="legacy"), "mine"))
    error = info.value
    assert (error.action, error.resource) == ("CreateCmqQueue", "queue/legacy")
    assert error.request_id  # the refused call's, for a support ticket
    assert str(error).startswith("queue/legacy: CreateCmqQueue failed: ResourceInUse")
    assert "already exists with other attributes or not owned by this stack" in str(error)


def test_a_create_that_becomes_visible_only_later_is_waited_for(api: TdmqApi, emulator: Emulator) -> None:
    # The create commits, its answer is lost, and the new queue stays out of listings a while:
    # the retry's ResourceInUse is read back until the queue shows, then accepted.
    emulator.faults = Faults(
        lost_response_rate=1.0, invisible_seconds=0.5, actions=frozenset({"CreateCmqQueue"}), seed=1
    )
    queue = Queue(name="late", visibility_timeout=45)
    try:
        queue_id = api.create_queue(queue, ownership_tags(queue, "s"))
    finally:
        emulator.faults = Faults()
    assert queue_id.startswith("cmqq-")
    assert api.call_counts()["DescribeCmqQueues"] >= 2  # looked again after the first empty answer
    assert api.read(Stack(name="s")).queues[name_key("late")].queue.visibility_timeout == 45


def _without_dead_letter(api: TdmqApi) -> None:
    api.modify_queue(ORDERS, replace(ORDERS, dead_letter=None))


def test_a_retried_unbind_whose_first_attempt_went_through_is_done(api: TdmqApi, emulator: Emulator) -> None:
    build(api)
    api._policy = RetryPolicy(max_attempts=2)  # type: ignore[attr-defined]
    api._sleep = lambda s: None  # type: ignore[attr-defined]
    emulator.faults = Faults(lost_response_rate=1.0, actions=frozenset({"UnbindCmqDeadLetter"}))
    try:
        _without_dead_letter(api)  # both answers lost; the policy is gone, so it is done
    finally:
        emulator.faults = Faults()
    assert api.call_counts()["UnbindCmqDeadLetter"] == 2
    assert api.read(STACK).queues[name_key("orders")].queue.dead_letter is None


def test_a_retried_unbind_that_never_went_through_still_fails(api: TdmqApi, emulator: Emulator) -> None:
    build(api)
    api._policy = RetryPolicy(max_attempts=2)  # type: ignore[attr-defined]
    api._sleep = lambda s: None  # type: ignore[attr-defined]
    emulator.faults = Faults(drop_connection_rate=1.0, actions=frozenset({"UnbindCmqDeadLetter"}))
    try:
        with pytest.raises(CloudError) as info:
            _without_dead_letter(api)
    finally:
        emulator.faults = Faults()
    assert str(info.value).startswith("queue/orders: UnbindCmqDeadLetter failed")
    assert api.read(STACK).queues[name_key("orders")].queue.dead_letter == ORDERS.dead_letter


def test_an_unbind_refused_at_the_first_attempt_fails_at_once(api: TdmqApi) -> None:
    with pytest.raises(CloudError) as info:
        api.modify_queue(ORDERS, replace(ORDERS, dead_letter=None))  # no such queue
    assert str(info.value).startswith("queue/orders: UnbindCmqDeadLetter failed: ResourceNotFound")
    assert api.call_counts() == {"UnbindCmqDeadLetter": 1}  # no read-back, no modify after it


HOOK = Subscription(topic="gone", name="hook", protocol=Protocol.HTTP, endpoint="https://h.example/x")


@pytest.mark.parametrize(
    ("write", "prefix"),
    [
        (
            lambda api: api.modify_subscription(replace(HOOK, filter_tags=("a",)), HOOK),
            "subscription/gone/hook: ClearCmqSubscriptionFilterTags failed: ResourceNotFound",
        ),
        (
            lambda api: api.modify_subscription(
                HOOK, replace(HOOK, notify_strategy=NotifyStrategy.BACKOFF_RETRY)
            ),
            "subscription/gone/hook: ModifyCmqSubscriptionAttribute failed: ResourceNotFound",
        ),
        (
            lambda api: api.modify_queue(Queue(name="gone"), Queue(name="gone", visibility_timeout=9)),
            "queue/gone: ModifyCmqQueueAttribute failed: ResourceNotFound",
        ),
        (
            lambda api: api.modify_tags("queue", "gone", (), ("team",)),
            "queue/gone: ModifyResourceTags failed: ResourceNotFound",
        ),
        (
            lambda api: api.modify_tags("topic", "gone", tags_of({"team": "core"}), ()),
            "topic/gone: ModifyResourceTags failed: ResourceNotFound",
        ),
    ],
    ids=["clear-filter-tags", "modify-subscription", "modify-queue", "delete-tags", "replace-tags"],
)
def test_a_refused_write_names_the_resource_it_was_for(api: TdmqApi, write, prefix: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CloudError) as info:
        write(api)
    assert str(info.value).startswith(prefix)


def test_an_unchanged_subscription_keeps_its_filter_tags_and_sends_nothing(api: TdmqApi) -> None:
    topic = Topic(name="alerts")
    api.create_topic(topic, ownership_tags(topic, "shop"))
    sub = replace(HOOK, topic="alerts", filter_tags=("a",))
    api.create_subscription(sub)
    api.modify_subscription(sub, sub)
    api.modify_subscription(replace(sub, filter_tags=()), replace(sub, filter_tags=()))
    assert "ClearCmqSubscriptionFilterTags" not in api.call_counts()
    got = api.read(Stack(name="shop", topics=(topic,))).subscriptions[(name_key("alerts"), "hook")]
    assert got.subscription.filter_tags == ("a",)


@pytest.mark.parametrize(
    ("delete", "action", "resource"),
    [
        (lambda api: api.delete_queue("q"), "DeleteCmqQueue", "queue/q"),
        (lambda api: api.delete_topic("t"), "DeleteCmqTopic", "topic/t"),
        (lambda api: api.delete_subscription("t", "s"), "DeleteCmqSubscribe", "subscription/t/s"),
    ],
    ids=["queue", "topic", "subscription"],
)
def test_a_failed_delete_names_the_resource_it_was_for(  # type: ignore[no-untyped-def]
    api: TdmqApi, emulator: Emulator, delete, action: str, resource: str
) -> None:
    api._policy = RetryPolicy(max_attempts=1)  # type: ignore[attr-defined]
    emulator.faults = Faults(internal_error_rate=1.0, actions=frozenset({action}))
    try:
        with pytest.raises(CloudError) as info:
            delete(api)
    finally:
        emulator.faults = Faults()
    assert str(info.value).startswith(f"{resource}: {action} failed: InternalError")


def test_a_queue_that_keeps_having_no_dead_letter_is_modified_in_one_call(api: TdmqApi) -> None:
    api.create_queue(DLQ, ())
    api.modify_queue(DLQ, replace(DLQ, visibility_timeout=31))
    assert api.call_counts() == {"CreateCmqQueue": 1, "ModifyCmqQueueAttribute": 1}  # no unbind
    assert (
        api.read(Stack(name="shop", queues=(DLQ,))).queues[name_key(DLQ.name)].queue.visibility_timeout == 31
    )


def test_a_created_subscription_answers_the_id_it_is_read_back_with(api: TdmqApi) -> None:
    build(api)
    sub = Subscription(topic="order-events", name="audit", protocol=Protocol.QUEUE, endpoint="orders-dead")
    created = api.create_subscription(sub)
    assert created.startswith("subsc-")  # the documented id form
    live = api.read(replace(STACK, subscriptions=(BILLING, sub)))
    assert live.subscriptions[(name_key("order-events"), "audit")].subscription_id == created


def test_a_refused_subscription_create_names_it(api: TdmqApi) -> None:
    sub = Subscription(topic="no-topic", name="audit", protocol=Protocol.QUEUE, endpoint="q")
    with pytest.raises(CloudError) as info:
        api.create_subscription(sub)
    assert str(info.value).startswith("subscription/no-topic/audit: CreateCmqSubscribe failed: ")


def test_a_subscription_create_whose_response_was_lost_is_read_back_and_accepted(
    api: TdmqApi, emulator: Emulator
) -> None:
    build(api)
    # A longer name the fuzzy name filter also matches, listed first: not the one read back.
    longer = Subscription(topic="order-events", name="audit-old", protocol=Protocol.QUEUE, endpoint="orders")
    api.create_subscription(longer)
    sub = Subscription(topic="order-events", name="audit", protocol=Protocol.QUEUE, endpoint="orders-dead")
    emulator.faults = Faults(lost_response_rate=1.0, actions=frozenset({"CreateCmqSubscribe"}), seed=1)
    try:
        created = api.create_subscription(sub)
    finally:
        emulator.faults = Faults()
    live = api.read(replace(STACK, subscriptions=(BILLING, sub)))
    assert created == live.subscriptions[(name_key("order-events"), "audit")].subscription_id
    assert live.subscriptions[(name_key("order-events"), "audit")].subscription.endpoint == "orders-dead"


def test_a_subscription_create_colliding_with_a_different_one_fails_clearly(api: TdmqApi) -> None:
    build(api)
    with pytest.raises(CloudError) as info:
        api.create_subscription(replace(BILLING, endpoint="orders-dead"))
    assert str(info.value).startswith(
        "subscription/order-events/billing: CreateCmqSubscribe failed: ResourceInUse"
    )
    assert "already exists with other attributes or not owned by this stack" in str(info.value)


def test_every_call_is_logged_at_debug_with_its_outcome_and_attempt(
    api: TdmqApi, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    api._sleep = lambda s: None  # type: ignore[attr-defined]
    api.create_topic(Topic(name="t"), ())
    emulator.faults = Faults(internal_error_rate=1.0, actions=frozenset({"DeleteCmqTopic"}))
    caplog.set_level(logging.DEBUG, logger="cmqinfra.api")
    api._policy = RetryPolicy(max_attempts=2)  # type: ignore[attr-defined]
    try:
        with pytest.raises(CloudError):
            api.delete_topic("t")
    finally:
        emulator.faults = Faults()
    api.delete_topic("t")
    lines = [r.getMessage() for r in caplog.records if r.name == "cmqinfra.api"]
    assert [re.sub(r"after \d+ ms", "after N ms", line) for line in lines] == [
        'DeleteCmqTopic {"TopicName": "t"} -> InternalError after N ms (attempt 1)',
        'DeleteCmqTopic {"TopicName": "t"} -> InternalError after N ms (attempt 2)',
        'DeleteCmqTopic {"TopicName": "t"} -> ok after N ms (attempt 1)',
    ]


def test_a_created_topic_answers_the_id_it_is_read_back_with(api: TdmqApi) -> None:
    created = api.create_topic(EVENTS, ownership_tags(EVENTS, "shop"))
    assert created.startswith("cmqt-")  # the documented id form
    assert api.read(Stack(name="shop")).topics[name_key(EVENTS.name)].topic_id == created


@pytest.mark.parametrize(
    ("create", "action", "resource"),
    [
        (lambda api: api.create_queue(DLQ, ()), "CreateCmqQueue", "queue/orders-dead"),
        (lambda api: api.create_topic(EVENTS, ()), "CreateCmqTopic", "topic/order-events"),
    ],
    ids=["queue", "topic"],
)
def test_a_failed_create_names_the_resource_it_was_for(  # type: ignore[no-untyped-def]
    api: TdmqApi, emulator: Emulator, create, action: str, resource: str
) -> None:
    api._policy = RetryPolicy(max_attempts=1)  # type: ignore[attr-defined]
    emulator.faults = Faults(internal_error_rate=1.0, actions=frozenset({action}))
    try:
        with pytest.raises(CloudError) as info:
            create(api)
    finally:
        emulator.faults = Faults()
    assert str(info.value).startswith(f"{resource}: {action} failed: InternalError")


def test_a_full_read_keeps_the_transaction_fields_the_manifest_manages(api: TdmqApi) -> None:
    service = Transaction(first_query_interval=20, max_query_count=7)
    api.create_queue(Queue(name="tx", transaction=service), ownership_tags(Queue(name="tx"), "shop"))
    desired = Stack(name="shop", queues=(Queue(name="tx", transaction=Transaction(first_query_interval=20)),))
    assert api.read(desired).queues["tx"].queue.transaction == Transaction(first_query_interval=20)
    assert api.read(Stack(name="shop")).queues["tx"].queue.transaction == service  # unmanaged: as read
    # `transaction: true` (neither value managed) equals a transaction queue with any values
    plain = Stack(name="shop", queues=(Queue(name="tx", transaction=Transaction()),))
    assert api.read(plain).queues["tx"].queue.transaction == Transaction()


def test_a_topic_create_colliding_with_another_stacks_topic_fails_clearly(api: TdmqApi) -> None:
    api.create_topic(EVENTS, ownership_tags(EVENTS, "other"))
    with pytest.raises(CloudError) as info:
        api.create_topic(EVENTS, ownership_tags(EVENTS, "mine"))
    error = info.value
    assert (error.action, error.resource) == ("CreateCmqTopic", "topic/order-events")
    assert error.request_id and error.code.startswith("ResourceInUse")
    assert "topic/order-events already exists with other attributes or owned by stack 'other'" in str(error)
    assert api.create_topic(EVENTS, ownership_tags(EVENTS, "other"))  # the same topic again: accepted


def test_a_created_queue_answers_the_id_it_is_read_back_with(api: TdmqApi) -> None:
    created = api.create_queue(DLQ, ownership_tags(DLQ, "shop"))
    assert created.startswith("cmqq-")  # the documented id form
    assert api.read(Stack(name="shop")).queues[name_key(DLQ.name)].queue_id == created
