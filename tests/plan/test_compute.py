from __future__ import annotations

from dataclasses import replace

from cmqinfra.model import (
    DeadLetter,
    FilterType,
    NotifyStrategy,
    Protocol,
    Queue,
    SourceLocation,
    Stack,
    Subscription,
    Topic,
    Transaction,
)
from cmqinfra.plan.compute import make_plan
from cmqinfra.plan.values import Action
from tests.plan.builders import live

LOC = SourceLocation("stack.yaml", 3, 5)


def q(name: str, **kw: object) -> Queue:
    kw.setdefault("visibility_timeout", 30)
    return Queue(name=name, **kw)  # type: ignore[arg-type]


def actions(plan) -> dict[str, Action]:  # type: ignore[no-untyped-def]
    return {c.address: c.action for c in plan.changes}


def test_create_everything_on_empty_live_in_dependency_order() -> None:
    stack = Stack(
        name="s",
        queues=(q("orders", dead_letter=DeadLetter("orders-dead", max_receive_count=3)), q("orders-dead")),
        topics=(Topic("events"),),
        subscriptions=(Subscription("events", "to-orders", Protocol.QUEUE, "orders"),),
    )
    plan = make_plan(stack, live())
    assert plan.ok, plan.errors
    order = [c.address for c in plan.changes]
    assert order.index("queue/orders-dead") < order.index("queue/orders")
    assert order.index("queue/orders") < order.index("subscription/events/to-orders")
    assert order.index("topic/events") < order.index("subscription/events/to-orders")
    assert plan.summary.add == 4 and plan.has_changes


def test_no_op_update_replace_delete_adopt() -> None:
    stack = Stack(
        name="s",
        queues=(q("same"), q("upd", visibility_timeout=60), q("big", max_msg_size=2048), q("mine")),
        topics=(Topic("t", filter_type=FilterType.ROUTING_KEY),),
    )
    state = live(
        queues=[
            (q("same"), "s"),
            (q("upd"), "s"),
            (q("big", max_msg_size=1024), "s"),
            (q("mine"), None),
            (q("gone"), "s"),
            (q("foreign"), None),
        ],
        topics=[(Topic("t"), "s")],
    )
    plan = make_plan(stack, state)
    assert plan.ok, plan.errors
    assert actions(plan) == {
        "queue/same": Action.NO_OP,
        "queue/upd": Action.UPDATE,
        "queue/big": Action.REPLACE,
        "queue/mine": Action.ADOPT,
        "queue/gone": Action.DELETE,
        "topic/t": Action.REPLACE,
    }
    upd = plan.change_for("queue/upd")
    assert upd is not None
    assert [(a.path, a.before, a.after) for a in upd.attribute_changes] == [("visibilityTimeout", 30, 60)]
    big = plan.change_for("queue/big")
    assert big is not None and big.replace_paths == ("maxMsgSize",)
    assert plan.change_for("topic/t").replace_paths == ("filterType",)  # type: ignore[union-attr]
    assert plan.summary.destroy == 3 and plan.summary.adopt == 1 and plan.summary.change == 1


def test_unmanaged_scalar_is_not_a_diff_but_dead_letter_removal_is() -> None:
    stack = Stack(name="s", queues=(Queue("a", visibility_timeout=None), q("dlq")))
    state = live(
        queues=[
            (q("a", visibility_timeout=99, dead_letter=DeadLetter("dlq", max_receive_count=2)), "s"),
            (q("dlq"), "s"),
        ]
    )
    plan = make_plan(stack, state)
    change = plan.change_for("queue/a")
    assert change is not None and change.action is Action.UPDATE
    assert [a.path for a in change.attribute_changes] == ["deadLetter"]


def test_other_stack_owner_is_an_error_naming_it() -> None:
    stack = Stack(name="s", queues=(Queue("a", source=LOC),))
    plan = make_plan(stack, live(queues=[(Queue("a"), "other")]))
    assert not plan.ok
    assert "'other'" in plan.errors[0].message and plan.errors[0].location == LOC


def test_subscriptions_of_deleted_topic_are_deleted_first() -> None:
    sub = Subscription("t", "s1", Protocol.HTTP, "http://x")
    plan = make_plan(Stack(name="s"), live(topics=[(Topic("t"), "s")], subs=[sub]))
    order = [c.address for c in plan.changes]
    assert order == ["subscription/t/s1", "topic/t"]


def test_protect_on_live_blocks_delete_even_without_manifest_entry() -> None:
    plan = make_plan(Stack(name="s"), live(queues=[(q("p", protect=True), "s")]))
    assert not plan.ok and "protected" in plan.errors[0].message


def test_messages_block_delete_unless_allowed() -> None:
    state = live(queues=[(q("full"), "s")], messages={"full": 3})
    assert not make_plan(Stack(name="s"), state).ok
    assert make_plan(Stack(name="s"), state, allow_data_loss=True).ok


def test_deleting_a_dead_letter_still_used_outside_the_plan() -> None:
    state = live(
        queues=[(q("dlq"), "s"), (q("src", dead_letter=DeadLetter("dlq", max_receive_count=1)), None)]
    )
    plan = make_plan(Stack(name="s"), state)
    assert not plan.ok and "queue/src" in plan.errors[0].message


def test_deleting_a_queue_used_as_endpoint() -> None:
    state = live(queues=[(q("target"), "s")], endpoint_users={"target": ("subscription/other/x",)})
    plan = make_plan(Stack(name="s"), state)
    assert not plan.ok and "subscription/other/x" in plan.errors[0].message


def test_missing_dead_letter_names_the_manifest_line() -> None:
    stack = Stack(
        name="s", queues=(q("a", dead_letter=DeadLetter("nowhere", max_receive_count=1), source=LOC),)
    )
    plan = make_plan(stack, live())
    assert not plan.ok and plan.errors[0].location == LOC and "nowhere" in plan.errors[0].message


def test_destroy_deletes_only_owned() -> None:
    stack = Stack(name="s", queues=(q("a"),))
    state = live(queues=[(q("a"), "s"), (q("b"), "s"), (q("c"), None), (q("d"), "other")])
    plan = make_plan(stack, state, destroy=True)
    assert actions(plan) == {"queue/a": Action.DELETE, "queue/b": Action.DELETE}


def test_fingerprint_changes_with_live_state() -> None:
    stack = Stack(name="s", queues=(q("a"),))
    one = make_plan(stack, live(queues=[(q("a"), "s")]))
    two = make_plan(stack, live(queues=[(q("a", visibility_timeout=5), "s")]))
    same = make_plan(stack, live(queues=[(q("a"), "s")], messages={"a": 4}))
    assert one.fingerprint != two.fingerprint and one.fingerprint == same.fingerprint


def test_replacing_a_bound_dead_letter_queue_is_refused() -> None:
    dl = DeadLetter("dlq", max_receive_count=1)
    stack = Stack(name="s", queues=(q("dlq", max_msg_size=2048), q("src", dead_letter=dl)))
    state = live(queues=[(q("dlq", max_msg_size=1024), "s"), (q("src", dead_letter=dl), "s")])
    plan = make_plan(stack, state)
    assert not plan.ok and "queue/src" in plan.errors[0].message
    unbound = Stack(name="s", queues=(q("dlq", max_msg_size=2048), q("src")))
    assert make_plan(unbound, state).ok


def test_subscription_endpoint_or_protocol_change_is_a_replacement() -> None:
    before = Subscription("t", "s1", Protocol.QUEUE, "a")
    stack = Stack(
        name="s",
        queues=(q("a"), q("b")),
        topics=(Topic("t"),),
        subscriptions=(Subscription("t", "s1", Protocol.QUEUE, "b"),),
    )
    plan = make_plan(
        stack, live(queues=[(q("a"), "s"), (q("b"), "s")], topics=[(Topic("t"), "s")], subs=[before])
    )
    change = plan.change_for("subscription/t/s1")
    assert change is not None and change.action is Action.REPLACE and change.replace_paths == ("endpoint",)
    http = Stack(
        name="s",
        queues=stack.queues,
        topics=stack.topics,
        subscriptions=(Subscription("t", "s1", Protocol.HTTP, "https://x"),),
    )
    plan = make_plan(
        http, live(queues=[(q("a"), "s"), (q("b"), "s")], topics=[(Topic("t"), "s")], subs=[before])
    )
    assert plan.change_for("subscription/t/s1").replace_paths == ("endpoint", "protocol")  # type: ignore[union-attr]


def test_adopting_a_topic_needing_replacement_is_refused() -> None:
    stack = Stack(name="s", topics=(Topic("t", filter_type=FilterType.ROUTING_KEY, source=LOC),))
    plan = make_plan(stack, live(topics=[(Topic("t"), None)]))
    assert not plan.ok and plan.errors[0].location == LOC and "filterType" in plan.errors[0].message


def test_stray_subscriptions_are_deleted_only_on_topics_the_stack_owns_or_adopts() -> None:
    # Live: one topic owned by another team, one untagged topic the manifest only names through
    # a subscription, one untagged topic the manifest declares (adopted), one the stack owns.
    theirs = Subscription("shared", "their-sub", Protocol.HTTP, "http://them")
    named = Subscription("named", "their-sub", Protocol.HTTP, "http://them")
    adopted = Subscription("adopt", "stray", Protocol.HTTP, "http://x")
    kept = Subscription("adopt", "a-kept", Protocol.HTTP, "http://x")
    owned = Subscription("mine", "stray", Protocol.HTTP, "http://x")
    state = live(
        topics=[
            (Topic("shared"), "other"),
            (Topic("named"), None),
            (Topic("adopt"), None),
            (Topic("mine"), "s"),
        ],
        subs=[kept, theirs, named, adopted, owned],
    )
    stack = Stack(
        name="s",
        topics=(Topic("adopt"), Topic("mine")),
        subscriptions=(
            Subscription("shared", "my-sub", Protocol.HTTP, "http://me"),
            Subscription("named", "my-sub", Protocol.HTTP, "http://me"),
            kept,
        ),
    )
    plan = make_plan(stack, state)
    assert plan.ok, plan.errors
    deleted = {c.address: c.reasons for c in plan.changes if c.action is Action.DELETE}
    assert deleted == {
        "subscription/adopt/stray": ("it is not in the manifest",),
        "subscription/mine/stray": ("it is not in the manifest",),
    }
    # a subscription of ours on a topic we do not own is still created there
    created = {c.address for c in plan.changes if c.action is Action.CREATE}
    assert created == {"subscription/shared/my-sub", "subscription/named/my-sub"}
    # destroy: the stack owns only topic/mine, so only its subscription goes with it
    gone = make_plan(stack, state, destroy=True)
    assert {c.address for c in gone.changes if c.action is Action.DELETE} == {
        "subscription/mine/stray",
        "topic/mine",
    }


def test_a_name_whose_case_differs_from_the_live_one_is_the_same_resource() -> None:
    stack = Stack(
        name="s",
        queues=(q("Orders"),),
        topics=(Topic("Events"),),
        subscriptions=(Subscription("Events", "billing", Protocol.QUEUE, "orders"),),
    )
    state = live(
        queues=[(q("orders"), "s")],
        topics=[(Topic("events"), "s")],
        subs=[Subscription("events", "billing", Protocol.QUEUE, "orders")],
    )
    plan = make_plan(stack, state)
    assert plan.ok, plan.errors
    assert {c.action for c in plan.changes} == {Action.NO_OP}, actions(plan)


def test_queue_references_spelled_in_another_case_are_no_change() -> None:
    """A dead letter and a queue endpoint name queues, and queue names are case-insensitive."""
    stack = Stack(
        name="s",
        queues=(q("dlq"), q("orders", dead_letter=DeadLetter("DLQ", max_receive_count=3))),
        topics=(Topic("events"),),
        subscriptions=(Subscription("events", "billing", Protocol.QUEUE, "ORDERS"),),
    )
    state = live(
        queues=[(q("dlq"), "s"), (q("orders", dead_letter=DeadLetter("dlq", max_receive_count=3)), "s")],
        topics=[(Topic("events"), "s")],
        subs=[Subscription("events", "billing", Protocol.QUEUE, "orders")],
    )
    plan = make_plan(stack, state)
    assert plan.ok, plan.errors
    assert {c.action for c in plan.changes} == {Action.NO_OP}, actions(plan)
    # a real change of the dead letter is still one
    other = Stack(
        name="s",
        queues=(q("dlq"), q("dlq2"), q("orders", dead_letter=DeadLetter("DLQ2", max_receive_count=3))),
    )
    was = q("orders", dead_letter=DeadLetter("dlq", max_receive_count=3))
    state2 = live(queues=[(q("dlq"), "s"), (q("dlq2"), "s"), (was, "s")])
    assert actions(make_plan(other, state2))["queue/orders"] is Action.UPDATE


def test_fingerprint_changes_when_only_a_subscription_changes() -> None:
    topics = [(Topic("t"), "s")]
    sub = Subscription("t", "s1", Protocol.HTTP, "http://x")
    stack = Stack(name="s", topics=(Topic("t"),), subscriptions=(sub,))
    base = make_plan(stack, live(topics=topics, subs=[sub])).fingerprint
    for changed in (
        Subscription("t", "s1", Protocol.HTTP, "http://x", filter_tags=("a",)),
        Subscription("t", "s1", Protocol.HTTP, "http://y"),
    ):
        assert make_plan(stack, live(topics=topics, subs=[changed])).fingerprint != base, changed
    assert make_plan(stack, live(topics=topics, subs=[sub])).fingerprint == base


def test_a_manifest_asking_for_protection_blocks_its_own_replacement() -> None:
    # Not protected live yet; the manifest turns protection on and forces a replacement.
    stack = Stack(name="s", queues=(q("p", max_msg_size=2048, protect=True, source=LOC),))
    plan = make_plan(stack, live(queues=[(q("p", max_msg_size=1024), "s")]))
    change = plan.change_for("queue/p")
    assert change is not None and change.action is Action.REPLACE
    assert not plan.ok and "protected" in plan.errors[0].message and plan.errors[0].location == LOC
    unprotected = Stack(name="s", queues=(q("p", max_msg_size=2048),))
    assert make_plan(unprotected, live(queues=[(q("p", max_msg_size=1024), "s")])).ok


def test_fingerprint_changes_with_every_kind_of_compared_value() -> None:
    """Nested values (a dead letter, a transaction), choices (Enum members) and lists all count."""
    stack = Stack(name="s")
    base_queue = q("a", dead_letter=DeadLetter("dlq", max_receive_count=3), transaction=Transaction(5, 6))
    base = make_plan(stack, live(queues=[(base_queue, "s")])).fingerprint
    for changed in (
        q("a", dead_letter=DeadLetter("dlq", max_receive_count=4), transaction=Transaction(5, 6)),
        q("a", dead_letter=DeadLetter("dlq", max_time_to_live=4), transaction=Transaction(5, 6)),
        q("a", dead_letter=DeadLetter("dlq", max_receive_count=3), transaction=Transaction(5, 7)),
        q("a", dead_letter=DeadLetter("dlq", max_receive_count=3)),
        q("a", dead_letter=DeadLetter("dlq", max_receive_count=3), transaction=Transaction(5, 6), trace=True),
    ):
        assert make_plan(stack, live(queues=[(changed, "s")])).fingerprint != base, changed
    assert make_plan(stack, live(queues=[(base_queue, "s")])).fingerprint == base
    topic = make_plan(stack, live(topics=[(Topic("t"), "s")])).fingerprint
    assert make_plan(stack, live(topics=[(Topic("t", FilterType.ROUTING_KEY), "s")])).fingerprint != topic
    sub = Subscription("t", "s1", Protocol.QUEUE, "q", notify_strategy=NotifyStrategy.BACKOFF_RETRY)
    other = replace(sub, notify_strategy=NotifyStrategy.EXPONENTIAL_DECAY_RETRY)
    one = make_plan(stack, live(topics=[(Topic("t"), "s")], subs=[sub])).fingerprint
    assert make_plan(stack, live(topics=[(Topic("t"), "s")], subs=[other])).fingerprint != one
