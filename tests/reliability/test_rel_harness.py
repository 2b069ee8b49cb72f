"""The harness's judge must catch what it exists to catch: otherwise every other test is hollow."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import yaml

from cmqinfra.model import STACK_TAG, Stack

from .account import Account, LiveQueueRecord, LiveSubscriptionRecord, LiveTopicRecord
from .check import changed_outside, outside, problems
from .manifests import mixed_stack, render, resource_count


def _perfect(stack: Stack) -> Account:
    """The account a correct apply of ``stack`` would leave behind."""
    queues = []
    for i, q in enumerate(stack.queues):
        attrs = {
            "VisibilityTimeout": q.visibility_timeout or 30,
            "PollingWaitSeconds": q.polling_wait_seconds,
            "MsgRetentionSeconds": q.msg_retention_seconds,
            "MaxMsgHeapNum": q.max_msg_heap_num,
            "MaxMsgSize": q.max_msg_size or 1048576,
            "RewindSeconds": q.rewind_seconds,
            "RetentionSizeInMB": q.retention_size_in_mb,
            "Trace": q.trace,
        }
        dl = q.dead_letter
        queues.append(
            LiveQueueRecord(
                name=q.name,
                queue_id=f"cmqq-{i}",
                attributes=tuple(attrs.items()),
                dead_letter=(dl.queue, dl.api_policy, dl.max_receive_count, dl.max_time_to_live)
                if dl
                else None,
                transaction=(q.transaction.first_query_interval, q.transaction.max_query_count)
                if q.transaction
                else None,
                tags=tuple(sorted(q.tags + ((STACK_TAG, stack.name),))),
                last_modify=1,
            )
        )
    topics = [
        LiveTopicRecord(
            name=t.name,
            topic_id=f"cmqt-{i}",
            filter_type=t.filter_type.api_value,
            attributes=(("MaxMsgSize", t.max_msg_size), ("MsgRetentionSeconds", None), ("Trace", None)),
            tags=tuple(sorted(t.tags + ((STACK_TAG, stack.name),))),
            last_modify=1,
        )
        for i, t in enumerate(stack.topics)
    ]
    subs = [
        LiveSubscriptionRecord(
            topic=s.topic,
            name=s.name,
            subscription_id=f"subsc-{i}",
            protocol=s.protocol.value,
            endpoint=s.endpoint,
            notify_strategy=(s.notify_strategy.value if s.notify_strategy else "EXPONENTIAL_DECAY_RETRY"),
            notify_content_format=(
                s.notify_content_format.value if s.notify_content_format else "SIMPLIFIED"
            ),
            filter_tags=tuple(sorted(s.filter_tags)),
            binding_keys=tuple(sorted(s.binding_keys)),
            last_modify=1,
        )
        for i, s in enumerate(stack.subscriptions)
    ]
    return Account(queues=tuple(queues), topics=tuple(topics), subscriptions=tuple(subs))


def test_generated_versions_cover_every_change_kind_and_stay_small() -> None:
    v = mixed_stack("st", seed=1)
    assert 12 <= resource_count(v.v1) <= 20 and 12 <= resource_count(v.v2) <= 20
    q1 = {q.name: q for q in v.v1.queues}
    q2 = {q.name: q for q in v.v2.queues}
    assert set(q1) - set(q2) and set(q2) - set(q1)  # deletes and creates
    assert any(q1[n].max_msg_size != q2[n].max_msg_size for n in set(q1) & set(q2))  # replace
    assert any(q1[n].dead_letter and not q2[n].dead_letter for n in set(q1) & set(q2))  # unbind
    t1 = {t.name: t for t in v.v1.topics}
    assert any(t1[t.name].filter_type != t.filter_type for t in v.v2.topics if t.name in t1)
    assert mixed_stack("st", seed=1) == v and mixed_stack("st", seed=2) != v  # seeded


def test_render_writes_the_documented_manifest_shape() -> None:
    v = mixed_stack("st", seed=3).v1
    doc = yaml.safe_load(render(v))
    assert doc["stack"] == "st"
    orders = doc["queues"]["st-orders"]
    assert orders["deadLetter"]["queue"] == "st-dead" and "maxReceiveCount" in orders["deadLetter"]
    assert doc["topics"]["st-events"]["filterType"] == "routingKey"
    assert doc["topics"]["st-events"]["subscriptions"]["to-a"]["bindingKeys"] == [
        "order.*.created",
        "order.#",
    ]
    assert doc["topics"]["st-alerts"]["subscriptions"]["hook"]["notifyContentFormat"] == "JSON"


def test_judge_accepts_a_perfect_account_and_names_every_kind_of_defect() -> None:
    stack = mixed_stack("st", seed=4).v1
    good = _perfect(stack)
    assert problems(stack, good) == []

    q0 = good.queues[0]
    missing = replace(good, queues=good.queues[1:])
    assert any("missing" in p for p in problems(stack, missing))
    twice = replace(good, queues=good.queues + (replace(q0, name=q0.name.upper(), queue_id="cmqq-x"),))
    assert any("exists 2 times" in p for p in problems(stack, twice))
    stray = replace(q0, name="st-stray", queue_id="cmqq-y")
    assert any(
        "not in the manifest" in p for p in problems(stack, replace(good, queues=good.queues + (stray,)))
    )
    orders = next(q for q in good.queues if q.name == "st-orders")
    wrong = replace(
        orders, attributes=tuple((k, 999 if k == "VisibilityTimeout" else v) for k, v in orders.attributes)
    )
    assert any(
        "VisibilityTimeout" in p
        for p in problems(
            stack, replace(good, queues=tuple(wrong if q is orders else q for q in good.queues))
        )
    )
    undead = replace(orders, dead_letter=None)
    assert any(
        "dead letter" in p
        for p in problems(
            stack, replace(good, queues=tuple(undead if q is orders else q for q in good.queues))
        )
    )
    s0 = good.subscriptions[0]
    rekeyed = replace(s0, binding_keys=("zzz",))
    assert any(
        "BindingKey" in p
        for p in problems(stack, replace(good, subscriptions=(rekeyed,) + good.subscriptions[1:]))
    )
    extra_sub = replace(s0, name="surplus", subscription_id="subsc-z")
    assert any(
        "not in the manifest" in p
        for p in problems(stack, replace(good, subscriptions=good.subscriptions + (extra_sub,)))
    )
    disowned = replace(q0, tags=())
    assert any("owner tag" in p for p in problems(stack, replace(good, queues=(disowned,) + good.queues[1:])))
    t0 = good.topics[0]
    flipped = replace(t0, filter_type=3 - (t0.filter_type or 1))
    assert any("FilterType" in p for p in problems(stack, replace(good, topics=(flipped,) + good.topics[1:])))


def test_outside_snapshot_sees_any_change_to_a_foreign_resource() -> None:
    stack = mixed_stack("st", seed=5).v1
    good = _perfect(stack)
    foreign = LiveQueueRecord(
        name="sentinel",
        queue_id="cmqq-s",
        attributes=(("VisibilityTimeout", 30),),
        dead_letter=None,
        transaction=None,
        tags=(("team", "x"),),
        last_modify=5,
    )
    before = outside(replace(good, queues=good.queues + (foreign,)), stack)
    assert len(before.queues) == 1 and not before.topics
    same = outside(replace(good, queues=(foreign,) + good.queues), stack)
    assert changed_outside(before, same) == []
    touched = outside(replace(good, queues=good.queues + (replace(foreign, last_modify=6),)), stack)
    assert len(changed_outside(before, touched)) == 2
    gone = outside(good, stack)
    assert changed_outside(before, gone)


def test_judge_reads_the_real_emulator_shapes(tmp_path: Path) -> None:
    """A stack made with direct SDK calls satisfies the judge; one real change is caught."""
    from tencentcloud.tdmq.v20200217 import models

    from .account import client, read_account
    from .cli import SECRET_ID, SECRET_KEY
    from .conftest import start_emulator
    from .sdk_apply import create_stack

    emulator = start_emulator(tmp_path / "e.sqlite3")
    try:
        api = client(emulator.endpoint, SECRET_ID, SECRET_KEY)
        for stack in (mixed_stack("a", 1).v1, mixed_stack("b", 2).v2):
            create_stack(api, stack)
            assert problems(stack, read_account(api)) == []
        stack = mixed_stack("a", 1).v1
        req = models.ModifyCmqQueueAttributeRequest()
        req.QueueName, req.VisibilityTimeout = "a-orders", 999
        api.ModifyCmqQueueAttribute(req)
        unbind = models.UnbindCmqDeadLetterRequest()
        unbind.SourceQueueName = "a-billing"
        api.UnbindCmqDeadLetter(unbind)
        found = problems(stack, read_account(api))
        assert len(found) == 2 and "VisibilityTimeout" in found[0] + found[1], found
    finally:
        emulator.stop()
