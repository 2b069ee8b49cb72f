"""Partial plans (--target) on hand-built live states: which addresses a target brings along,
what is read and fingerprinted, and that only a target is ever deleted. The emulator run with a
thousand queues (and its call counts) is test_target.py."""

from __future__ import annotations

import pytest

from cmqinfra.model import (
    DeadLetter,
    FilterType,
    Import,
    Moved,
    Protocol,
    Removed,
    SourceLocation,
    Stack,
    Subscription,
    Topic,
)
from cmqinfra.plan.compute import make_plan
from cmqinfra.plan.targets import parse_target, restrict_live, restrict_stack, target_closure
from cmqinfra.plan.values import Action
from tests.plan.builders import live, q


def dl(name: str) -> DeadLetter:
    return DeadLetter(name, max_receive_count=3)


STACK = Stack(
    name="s",
    queues=(
        q("Orders", dead_letter=dl("retry")),
        q("retry", dead_letter=dl("last")),
        q("last"),
        q("work"),
        q("other", visibility_timeout=99),
    ),
    topics=(Topic("events"), Topic("audit")),
    subscriptions=(
        Subscription("events", "billing", Protocol.QUEUE, "Work"),
        Subscription("events", "push", Protocol.HTTP, "http://h"),
        Subscription("audit", "copy", Protocol.QUEUE, "other"),
    ),
)


@pytest.mark.parametrize(
    "text", ["queue/Orders", "topic/events", "subscription/events/billing", "queue/a-b_9"]
)
def test_an_address_is_taken_as_written(text: str) -> None:
    assert parse_target(text) == text


@pytest.mark.parametrize(
    "text", ["queue", "queue/", "queue/9x", "topic/a/b", "subscription/events", "bucket/x", " queue/a"]
)
def test_anything_else_is_refused_with_the_forms_accepted(text: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_target(text)
    assert str(info.value) == (
        f"--target {text!r} is not an address: use queue/NAME, topic/NAME or subscription/TOPIC/NAME"
    )


def test_a_queue_brings_its_dead_letter_chain_and_a_subscription_its_topic_and_endpoint() -> None:
    closure = target_closure(STACK, ["queue/ORDERS", "subscription/events/billing"])
    assert closure.targets == frozenset({"queue/orders", "subscription/events/billing"})
    # names as the manifest writes them; the endpoint as the subscription spells it when undeclared
    assert closure.queues == {
        "queue/orders": "Orders",
        "queue/retry": "retry",
        "queue/last": "last",
        "queue/work": "work",
    }
    assert closure.topics == {"topic/events": "events"}
    assert closure.subscriptions == {"subscription/events/billing": ("events", "billing")}
    assert "Queue/Last" in closure and "topic/EVENTS" in closure and "subscription/events/billing" in closure
    assert "queue/other" not in closure and "topic/audit" not in closure
    assert "subscription/events/push" not in closure
    # the topic is only needed, not targeted: the subscription is read on its own
    assert closure.listed_topics == ()
    assert closure.single_subscriptions == (("events", "billing"),)


def test_a_targeted_topic_is_listed_whole_and_its_subscriptions_are_not_read_one_by_one() -> None:
    closure = target_closure(
        STACK, ["topic/events", "subscription/events/billing", "subscription/audit/copy"]
    )
    assert closure.listed_topics == ("events",)
    assert closure.subscriptions == {
        "subscription/events/billing": ("events", "billing"),
        "subscription/audit/copy": ("audit", "copy"),
    }
    assert closure.single_subscriptions == (("audit", "copy"),)
    assert closure.queues == {"queue/work": "work", "queue/other": "other"}


def test_an_undeclared_target_and_a_dead_letter_loop_are_followed_without_end() -> None:
    looped = Stack(name="s", queues=(q("a", dead_letter=dl("b")), q("b", dead_letter=dl("a"))))
    assert target_closure(looped, ["queue/a"]).queues == {"queue/a": "a", "queue/b": "b"}
    closure = target_closure(looped, ["queue/Ghost", "subscription/t/x"])
    assert closure.queues == {"queue/ghost": "Ghost"}
    assert closure.topics == {"topic/t": "t"}


def test_the_stack_and_the_live_state_are_cut_down_to_the_closure() -> None:
    stack = Stack(
        name="s",
        queues=STACK.queues,
        topics=STACK.topics,
        subscriptions=STACK.subscriptions,
        moved=(Moved("queue/work", from_stack="x"), Moved("queue/zzz", from_stack="x")),
        removed=(Removed("queue/last"), Removed("queue/zzz")),
        imports=(Import("topic/events"), Import("topic/audit")),
    )
    closure = target_closure(stack, ["topic/events", "subscription/events/billing"])
    cut = restrict_stack(stack, closure)
    assert [x.name for x in cut.queues] == ["work"]
    assert [x.name for x in cut.topics] == ["events"]
    assert [x.address for x in cut.subscriptions] == ["subscription/events/billing"]
    assert [m.address for m in cut.moved] == ["queue/work"]
    assert cut.removed == ()
    assert [i.address for i in cut.imports] == ["topic/events"]
    state = live(
        queues=[(q("work"), "s"), (q("other"), "s")],
        topics=[(Topic("events"), "s"), (Topic("audit"), "s")],
        subs=[
            Subscription("events", "billing", Protocol.QUEUE, "work"),
            Subscription("events", "stray", Protocol.HTTP, "http://h"),
            Subscription("audit", "copy", Protocol.QUEUE, "other"),
        ],
    )
    seen = restrict_live(state, closure)
    assert sorted(seen.queues) == ["work"]
    assert sorted(seen.topics) == ["events"]
    # the listed topic's every subscription, the other topic's none
    assert sorted(seen.subscriptions) == [("events", "billing"), ("events", "stray")]
    single = restrict_live(state, target_closure(stack, ["subscription/audit/copy"]))
    assert sorted(single.subscriptions) == [("audit", "copy")]
    assert sorted(single.topics) == ["audit"] and sorted(single.queues) == ["other"]


def test_a_partial_plan_plans_the_target_and_what_it_needs_and_deletes_only_targets() -> None:
    state = live(
        queues=[
            (q("Orders"), "s"),
            (q("retry"), "s"),
            (q("other"), "s"),
            (q("gone"), "s"),
            (q("gone2"), "s"),
        ],
    )
    plan = make_plan(STACK, state, targets=["queue/orders"])
    assert plan.targets == ("queue/orders",) and plan.partial
    assert {c.address: c.action for c in plan.changes} == {
        "queue/Orders": Action.UPDATE,  # its dead letter now has one of its own
        "queue/retry": Action.UPDATE,
        "queue/last": Action.CREATE,
    }
    deleting = make_plan(STACK, state, targets=["queue/gone"])
    assert {c.address: c.action for c in deleting.changes} == {"queue/gone": Action.DELETE}
    # what the partial plan did not read does not make it stale
    changed = live(
        queues=[
            (q("Orders"), "s"),
            (q("retry"), "s"),
            (q("other", visibility_timeout=5), "s"),
            (q("gone"), "s"),
        ],
    )
    assert make_plan(STACK, changed, targets=["queue/orders"]).fingerprint == plan.fingerprint
    assert make_plan(STACK, changed).fingerprint != make_plan(STACK, state).fingerprint


def test_a_dependency_is_made_ready_but_never_taken_away() -> None:
    stack = Stack(
        name="s",
        queues=(q("work", max_msg_size=2048),),
        topics=(Topic("events"),),
        subscriptions=(Subscription("events", "billing", Protocol.QUEUE, "work"),),
    )
    state = live(queues=[(q("work", max_msg_size=1024), "s")], topics=[(Topic("events"), "s")])
    plan = make_plan(stack, state, targets=["subscription/events/billing"], allow_data_loss=True)
    assert {c.address: c.action for c in plan.changes} == {
        "queue/work": Action.REPLACE,
        "topic/events": Action.NO_OP,
        "subscription/events/billing": Action.CREATE,
    }
    # a dependency the manifest dropped is not deleted by a partial plan
    bare = Stack(name="s", topics=(Topic("events"),), subscriptions=stack.subscriptions)
    taken = make_plan(
        bare,
        live(queues=[(q("work"), "s")], topics=[(Topic("events"), "s")]),
        targets=["subscription/events/billing"],
    )
    assert {c.address: c.action for c in taken.changes} == {
        "topic/events": Action.NO_OP,
        "subscription/events/billing": Action.CREATE,
    }


def test_a_targeted_topic_takes_along_the_subscriptions_its_replacement_or_deletion_takes() -> None:
    state = live(
        topics=[(Topic("events"), "s"), (Topic("audit"), "s")],
        subs=[
            Subscription("events", "push", Protocol.HTTP, "http://h"),
            Subscription("audit", "push", Protocol.HTTP, "http://h"),
        ],
    )
    routed = Stack(
        name="s",
        topics=(Topic("events", filter_type=FilterType.ROUTING_KEY), Topic("audit")),
        subscriptions=(Subscription("audit", "push", Protocol.HTTP, "http://h"),),
    )
    plan = make_plan(routed, state, targets=["topic/events"])
    assert {c.address: c.action for c in plan.changes} == {
        "topic/events": Action.REPLACE,
        "subscription/events/push": Action.DELETE,
    }
    # a targeted subscription whose topic is not targeted goes alone
    alone = make_plan(
        Stack(name="s", topics=(Topic("events"), Topic("audit"))), state, targets=["subscription/audit/push"]
    )
    assert {c.address: c.action for c in alone.changes} == {
        "topic/audit": Action.NO_OP,
        "subscription/audit/push": Action.DELETE,
    }
    # the topic itself deleted: its subscriptions go with it
    dropped = make_plan(Stack(name="s", topics=(Topic("audit"),)), state, targets=["topic/events"])
    assert {c.address: c.action for c in dropped.changes} == {
        "topic/events": Action.DELETE,
        "subscription/events/push": Action.DELETE,
    }


def test_a_topic_replacement_that_would_not_re_create_a_declared_subscription_is_refused() -> None:
    stack = Stack(
        name="s",
        queues=(q("work"),),
        topics=(Topic("events", filter_type=FilterType.ROUTING_KEY, source=SourceLocation("m.yaml", 4, 3)),),
        subscriptions=(
            Subscription("events", "billing", Protocol.QUEUE, "work", binding_keys=("a",)),
            Subscription("events", "push", Protocol.HTTP, "http://h"),
            Subscription("events", "push2", Protocol.HTTP, "http://h"),
        ),
    )
    state = live(
        queues=[(q("work"), "s")],
        topics=[(Topic("events"), "s")],
        subs=[
            Subscription("events", "billing", Protocol.QUEUE, "work"),
            Subscription("events", "push", Protocol.HTTP, "http://h"),
            Subscription("events", "push2", Protocol.HTTP, "http://h"),
        ],
    )
    refusal = (
        "topic/events must be replaced, which deletes every subscription of it; this partial plan "
        "would not re-create subscription/events/push, subscription/events/push2",
        "m.yaml:4:3",
        "target those subscriptions too, or run a full plan",
    )
    # the topic only needed by the target, or targeted itself: push would be lost either way
    for targets in (["subscription/events/billing"], ["topic/events", "subscription/events/billing"]):
        plan = make_plan(stack, state, targets=targets)
        assert [(d.message, str(d.location), d.hint) for d in plan.errors] == [refusal]
    every = ["subscription/events/billing", "subscription/events/push", "subscription/events/push2"]
    whole = make_plan(stack, state, targets=every)
    assert whole.ok
    assert {c.address: c.action for c in whole.changes} == {
        "queue/work": Action.NO_OP,
        "topic/events": Action.REPLACE,
        "subscription/events/billing": Action.REPLACE,
        "subscription/events/push": Action.REPLACE,
        "subscription/events/push2": Action.REPLACE,
    }


def test_a_subscription_targeted_on_a_topic_that_stays_leaves_its_siblings_alone() -> None:
    stack = Stack(
        name="s",
        queues=(q("work", max_msg_size=2048),),
        topics=(Topic("events"),),
        subscriptions=(
            Subscription("events", "billing", Protocol.QUEUE, "work", filter_tags=("a",)),
            Subscription("events", "push", Protocol.HTTP, "http://h"),
        ),
    )
    state = live(
        queues=[(q("work", max_msg_size=1024), "s")],
        topics=[(Topic("events"), "s")],
        subs=[Subscription("events", "billing", Protocol.QUEUE, "work")],
    )
    plan = make_plan(stack, state, targets=["subscription/events/billing"])
    assert plan.ok, [d.message for d in plan.errors]
    assert {c.address: c.action for c in plan.changes} == {
        "queue/work": Action.REPLACE,
        "topic/events": Action.NO_OP,
        "subscription/events/billing": Action.UPDATE,
    }


def test_a_target_that_names_nothing_declared_or_owned_refuses_the_plan_and_suggests_one() -> None:
    state = live(queues=[(q("Orders"), "s"), (q("theirs"), "another-stack")])
    slip = make_plan(STACK, state, targets=["queue/order"])
    assert [e.message for e in slip.errors] == [
        "--target queue/order names nothing in the manifest of stack s or in what it owns"
    ]
    assert slip.errors[0].hint == "did you mean queue/Orders?"
    # another stack's queue is not this stack's to plan, and a far-off name gets the forms
    others = make_plan(STACK, state, targets=["queue/theirs", "topic/zzzzzzzz"])
    assert len(others.errors) == 2 and "addresses are queue/NAME" in (others.errors[1].hint or "")
    # declared (in another case), owned but undeclared, or declared and unchanged: all fine
    for target in ("queue/orders", "queue/work", "subscription/events/push"):
        assert make_plan(STACK, state, targets=[target]).errors == (), target
    owned_only = live(queues=[(q("gone"), "s")])
    assert make_plan(STACK, owned_only, targets=["queue/gone"]).errors == ()
