"""The executor's promises kept against the emulator through the real adapter over HTTP: the
service itself refuses a step out of order (a subscription before its queue, a dead letter
deleted before its source), so converging at all proves the order."""

from __future__ import annotations

from typing import Any

from cmqinfra.cloud.retry import RetryPolicy
from cmqinfra.emulator import Emulator, Faults
from cmqinfra.model import DeadLetter, FilterType, Protocol, Queue, Stack, Subscription, Topic
from cmqinfra.plan.values import Action
from cmqinfra.run.executor import execute
from cmqinfra.run.session import compute
from tests import stacks
from tests.emulator.emulator_helpers import call

STACK = Stack(
    name="s",
    queues=(
        Queue("src", visibility_timeout=30, dead_letter=DeadLetter("dlq", max_receive_count=3)),
        Queue("dlq", visibility_timeout=30),
    ),
    topics=(Topic("events"),),
    subscriptions=(Subscription("events", "to-src", Protocol.QUEUE, "src"),),
)


def converge(api: Any, stack: Stack, **kw: Any) -> Any:
    plan = compute(stack, api, None, **kw)
    assert plan.ok, [e.render() for e in plan.errors]
    report = execute(plan, api)
    assert report.ok, report
    assert not compute(stack, api, None).has_changes
    return plan


def names(client: Any, action: str, key: str, field: str) -> list[str]:
    return sorted(item[field] for item in call(client, action, {"Limit": 50})[key])


def test_apply_replace_and_destroy_run_in_an_order_the_service_accepts(api: Any, tdmq_client: Any) -> None:
    converge(api, STACK)
    routed = Stack(
        name="s",
        queues=STACK.queues,
        topics=(Topic("events", filter_type=FilterType.ROUTING_KEY),),
        subscriptions=(Subscription("events", "to-src", Protocol.QUEUE, "src", binding_keys=("a.#",)),),
    )
    plan = converge(api, routed)
    assert {c.address: c.action for c in plan.changes if c.is_change} == {
        "topic/events": Action.REPLACE,
        "subscription/events/to-src": Action.REPLACE,
    }
    (topic,) = call(tdmq_client, "DescribeCmqTopics", {"TopicName": "events"})["TopicList"]
    assert topic["FilterType"] == 2
    destroy = compute(routed, api, None, destroy=True)
    assert execute(destroy, api).ok
    assert names(tdmq_client, "DescribeCmqQueues", "QueueList", "QueueName") == []
    assert names(tdmq_client, "DescribeCmqTopics", "TopicList", "TopicName") == []


def test_after_a_failure_no_independent_step_starts(api: Any, emulator: Emulator, tdmq_client: Any) -> None:
    many = Stack(name="s", queues=tuple(Queue(f"q{i}", visibility_timeout=30) for i in range(5)))
    api._policy = RetryPolicy(max_attempts=1)
    emulator.faults = Faults(internal_error_rate=1.0, actions=frozenset({"CreateCmqQueue"}))
    report = execute(compute(many, api, None), api, parallelism=1)
    assert api.call_counts()["CreateCmqQueue"] == 1
    assert len(report.failed) == 1 and len(report.not_started) == 4 and not report.ok
    emulator.faults = Faults()
    converge(api, many)
    assert names(tdmq_client, "DescribeCmqQueues", "QueueList", "QueueName") == [f"q{i}" for i in range(5)]


def test_names_whose_case_differs_from_the_live_ones_converge_without_a_change(api: Any) -> None:
    converge(api, STACK)
    # References (the dead letter, the endpoint) keep the live spelling: only the names differ.
    shouting = Stack(
        name="s",
        queues=(
            Queue("SRC", visibility_timeout=30, dead_letter=DeadLetter("dlq", max_receive_count=3)),
            Queue("Dlq", visibility_timeout=30),
        ),
        topics=(Topic("Events"),),
        subscriptions=(Subscription("EVENTS", "to-src", Protocol.QUEUE, "src"),),
    )
    plan = compute(shouting, api, None)
    assert plan.ok and not plan.has_changes, [(c.address, c.action) for c in plan.changes]


def test_another_stacks_subscriptions_survive_apply_and_destroy(api: Any, tdmq_client: Any) -> None:
    theirs = Subscription("shared", "theirs", Protocol.HTTP, "http://them")
    stacks.build(api, Stack(name="other", topics=(Topic("shared"),), subscriptions=(theirs,)))
    call(tdmq_client, "CreateCmqTopic", {"TopicName": "untagged"})
    call(
        tdmq_client,
        "CreateCmqSubscribe",
        {"TopicName": "untagged", "SubscriptionName": "theirs", "Protocol": "http", "Endpoint": "http://t"},
    )
    mine = Stack(
        name="s",
        subscriptions=(
            Subscription("shared", "mine", Protocol.HTTP, "http://me"),
            Subscription("untagged", "mine", Protocol.HTTP, "http://me"),
        ),
    )
    converge(api, mine)
    assert execute(compute(mine, api, None, destroy=True), api).ok
    for topic in ("shared", "untagged"):
        listed = call(tdmq_client, "DescribeCmqSubscriptionDetail", {"TopicName": topic})["SubscriptionSet"]
        assert sorted(s["SubscriptionName"] for s in listed) == ["mine", "theirs"], topic
