"""The planner and executor with the real adapter, the real SDK over HTTP, and the emulator
(stacks built directly, so these run without the manifest loader)."""

from __future__ import annotations

from tencentcloud.tdmq.v20200217 import models

from cmqinfra.model import DeadLetter, FilterType, Protocol, Queue, Stack, Subscription, Topic, Transaction
from cmqinfra.plan.values import Action
from cmqinfra.run.executor import execute
from cmqinfra.run.session import compute

FULL = Stack(
    name="e2e",
    queues=(
        Queue("dead", visibility_timeout=30),
        Queue(
            "orders",
            visibility_timeout=60,
            polling_wait_seconds=10,
            msg_retention_seconds=3600,
            rewind_seconds=43200,
            retention_size_in_mb=10240,
            trace=False,
            dead_letter=DeadLetter("dead", max_receive_count=3),
            tags=(("team", "payments"),),
        ),
        Queue("tx", transaction=Transaction(10, 5)),
    ),
    topics=(
        Topic("routed", filter_type=FilterType.ROUTING_KEY, max_msg_size=65536, tags=(("team", "p"),)),
        Topic("tagged"),
    ),
    subscriptions=(
        Subscription(
            "routed", "billing", Protocol.QUEUE, "orders", binding_keys=("order.#", "order.*.created")
        ),
        Subscription(
            "tagged", "hook", Protocol.HTTP, "https://hooks.example.com/cmq", filter_tags=("a", "b")
        ),
    ),
)


def converge(api, stack: Stack, **kw: object):  # type: ignore[no-untyped-def]
    plan = compute(stack, api, None, **kw)  # type: ignore[arg-type]
    assert plan.ok, [e.render() for e in plan.errors]
    report = execute(plan, api)
    assert report.ok, report
    return plan


def test_full_stack_applies_and_reads_back_equal(api) -> None:  # type: ignore[no-untyped-def]
    first = converge(api, FULL)
    assert first.summary.add == 7
    again = compute(FULL, api, None)
    assert not again.has_changes, [(c.address, c.attribute_changes) for c in again.changes if c.is_change]


def test_actions_against_the_emulator(api, tdmq_client) -> None:  # type: ignore[no-untyped-def]
    converge(api, FULL)
    req = models.CreateCmqQueueRequest()
    req.QueueName, req.VisibilityTimeout = "stray", 99
    tdmq_client.CreateCmqQueue(req)
    changed = Stack(
        name="e2e",
        queues=(
            FULL.queues[0],
            Queue("orders", visibility_timeout=90, dead_letter=None, tags=()),
            Queue("stray", visibility_timeout=30),
        ),
        topics=(Topic("routed", filter_type=FilterType.TAG), FULL.topics[1]),
        subscriptions=(
            Subscription("routed", "billing", Protocol.QUEUE, "orders", filter_tags=("x",)),
            Subscription("tagged", "hook", Protocol.HTTP, "https://hooks.example.com/cmq"),
        ),
    )
    plan = converge(api, changed)
    actions = {c.address: c.action for c in plan.changes}
    assert actions == {
        "queue/dead": Action.NO_OP,
        "queue/orders": Action.UPDATE,
        "queue/stray": Action.ADOPT,
        "queue/tx": Action.DELETE,
        "topic/routed": Action.REPLACE,
        "topic/tagged": Action.NO_OP,
        "subscription/routed/billing": Action.REPLACE,
        "subscription/tagged/hook": Action.UPDATE,
    }
    after = compute(changed, api, None)
    assert not after.has_changes, [(c.address, c.attribute_changes) for c in after.changes if c.is_change]


def test_destroy_leaves_others_alone(api, tdmq_client) -> None:  # type: ignore[no-untyped-def]
    req = models.CreateCmqQueueRequest()
    req.QueueName = "bystander"
    tdmq_client.CreateCmqQueue(req)
    converge(api, FULL)
    converge(api, FULL, destroy=True)
    listing = models.DescribeCmqQueuesRequest()
    listing.Limit = 50
    assert [q.QueueName for q in tdmq_client.DescribeCmqQueues(listing).QueueList] == ["bystander"]


SMALL = Stack(
    name="e2e",
    queues=(Queue("keep", visibility_timeout=30), Queue("spare", visibility_timeout=30)),
    topics=(Topic("events"),),
    subscriptions=(Subscription("events", "to-keep", Protocol.QUEUE, "keep"),),
)
WITHOUT_SPARE = Stack(
    name="e2e", queues=SMALL.queues[:1], topics=SMALL.topics, subscriptions=SMALL.subscriptions
)


def test_protect_tag_blocks_delete_after_manifest_entry_is_gone(api) -> None:  # type: ignore[no-untyped-def]
    protected = Stack(
        name="e2e",
        queues=(SMALL.queues[0], Queue("spare", visibility_timeout=30, protect=True)),
        topics=SMALL.topics,
        subscriptions=SMALL.subscriptions,
    )
    converge(api, protected)
    plan = compute(WITHOUT_SPARE, api, None)
    assert [e.message for e in plan.errors] == ["queue/spare is protected; this plan would delete it"]
    converge(api, SMALL)  # protect: false first
    converge(api, WITHOUT_SPARE)


def test_messages_block_delete(api, tdmq_client) -> None:  # type: ignore[no-untyped-def]
    converge(api, SMALL)
    send = models.SendCmqMsgRequest()
    send.QueueName, send.MsgContent, send.DelaySeconds = "spare", "later", 60
    tdmq_client.SendCmqMsg(send)
    plan = compute(WITHOUT_SPARE, api, None)
    assert not plan.ok and "delayed 1" in plan.errors[0].message
    converge(api, WITHOUT_SPARE, allow_data_loss=True)


def test_endpoint_and_dead_letter_users_outside_the_plan(api, tdmq_client) -> None:  # type: ignore[no-untyped-def]
    converge(api, SMALL)
    topic = models.CreateCmqTopicRequest()
    topic.TopicName = "foreign"
    tdmq_client.CreateCmqTopic(topic)
    sub = models.CreateCmqSubscribeRequest()
    sub.TopicName, sub.SubscriptionName, sub.Protocol, sub.Endpoint = (
        "foreign",
        "uses-spare",
        "queue",
        "spare",
    )
    sub.NotifyContentFormat = "SIMPLIFIED"
    tdmq_client.CreateCmqSubscribe(sub)
    plan = compute(WITHOUT_SPARE, api, None)
    assert not plan.ok and "subscription/foreign/uses-spare" in plan.errors[0].message
    delete = models.DeleteCmqSubscribeRequest()
    delete.TopicName, delete.SubscriptionName = "foreign", "uses-spare"
    tdmq_client.DeleteCmqSubscribe(delete)
    src = models.CreateCmqQueueRequest()
    src.QueueName, src.DeadLetterQueueName, src.Policy, src.MaxReceiveCount = "outsider", "spare", 0, 2
    tdmq_client.CreateCmqQueue(src)
    plan = compute(WITHOUT_SPARE, api, None)
    assert not plan.ok and "queue/outsider" in plan.errors[0].message


def test_drift_is_detected_and_fixed(api, tdmq_client) -> None:  # type: ignore[no-untyped-def]
    converge(api, SMALL)
    modify = models.ModifyCmqQueueAttributeRequest()
    modify.QueueName, modify.VisibilityTimeout = "keep", 5
    tdmq_client.ModifyCmqQueueAttribute(modify)
    delete = models.DeleteCmqQueueRequest()
    delete.QueueName = "spare"
    tdmq_client.DeleteCmqQueue(delete)
    sub = models.CreateCmqSubscribeRequest()
    sub.TopicName, sub.SubscriptionName, sub.Protocol, sub.Endpoint = "events", "intruder", "queue", "keep"
    sub.NotifyContentFormat = "SIMPLIFIED"
    tdmq_client.CreateCmqSubscribe(sub)
    plan = converge(api, SMALL)
    actions = {c.address: c.action for c in plan.changes if c.is_change}
    assert actions == {
        "queue/keep": Action.UPDATE,
        "queue/spare": Action.CREATE,
        "subscription/events/intruder": Action.DELETE,
    }
    assert not compute(SMALL, api, None).has_changes


def test_failed_run_then_rerun_converges(api, emulator) -> None:  # type: ignore[no-untyped-def]
    from cmqinfra.emulator import Faults

    emulator.faults = Faults(internal_error_rate=1.0, actions=frozenset({"CreateCmqSubscribe"}))
    plan = compute(SMALL, api, None)
    report = execute(plan, api)
    assert not report.ok
    assert [r.address for r in report.failed] == ["subscription/events/to-keep"]
    assert {r.address for r in report.done} == {"queue/keep", "queue/spare", "topic/events"}
    emulator.faults = Faults()
    rerun = converge(api, SMALL)
    assert [c.address for c in rerun.changes if c.is_change] == ["subscription/events/to-keep"]
    assert not compute(SMALL, api, None).has_changes
