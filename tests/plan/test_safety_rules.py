"""Nothing is lost, case by case: which queues a plan reports as losing messages, which users
keep a queue alive, and the order a replacement runs in next to what still uses it."""

from __future__ import annotations

from dataclasses import replace

from cmqinfra.live import MessageCounts
from cmqinfra.model import (
    DeadLetter,
    NotifyStrategy,
    Protocol,
    Queue,
    Stack,
    Subscription,
    Topic,
)
from cmqinfra.plan.compute import make_plan
from cmqinfra.plan.diff import attribute_changes
from cmqinfra.plan.order import levels, steps_of
from cmqinfra.plan.values import Action, DataLoss
from tests.plan.builders import live


def q(name: str, **kw: object) -> Queue:
    kw.setdefault("visibility_timeout", 30)
    return Queue(name=name, **kw)  # type: ignore[arg-type]


def messages(plan) -> list[str]:  # type: ignore[no-untyped-def]
    return [d.message for d in plan.errors]


def test_data_loss_lists_exactly_the_queues_deleted_or_replaced_while_holding_messages() -> None:
    state = live(
        queues=[
            (q("kept"), "s"),  # holds messages, not touched
            (q("empty", max_msg_size=1024), "s"),  # replaced, but empty
            (q("big", max_msg_size=1024), "s"),
            (q("full"), "s"),
        ],
        topics=[(Topic("t"), "s")],
    )
    state.queues["kept"] = replace(state.queues["kept"], messages=MessageCounts(active=5))
    state.queues["big"] = replace(state.queues["big"], messages=MessageCounts(active=4))
    state.queues["full"] = replace(state.queues["full"], messages=MessageCounts(1, 2, 3))
    stack = Stack(name="s", queues=(q("kept"), q("empty", max_msg_size=2048), q("big", max_msg_size=2048)))
    refused = make_plan(stack, state)
    assert refused.data_loss == (
        DataLoss("queue/big", Action.REPLACE, 4, 0, 0, False),
        DataLoss("queue/full", Action.DELETE, 1, 2, 3, False),
    )
    assert [m.split(";")[0] for m in messages(refused)] == [
        "queue/big holds 4 message(s) (active 4, in flight 0, delayed 0)",
        "queue/full holds 6 message(s) (active 1, in flight 2, delayed 3)",
    ]
    allowed = make_plan(stack, state, allow_data_loss=True)
    assert allowed.ok
    assert [(d.address, d.approved) for d in allowed.data_loss] == [("queue/big", True), ("queue/full", True)]


def test_a_deleted_dead_letter_stays_while_a_declared_source_still_points_at_it() -> None:
    state = live(
        queues=[(q("dlq"), "s"), (q("src", dead_letter=DeadLetter("dlq", max_receive_count=1)), "s")]
    )
    # src is updated in the same plan but keeps its dead letter: dlq may not go
    kept = Stack(name="s", queues=(q("src", visibility_timeout=60, dead_letter=DeadLetter("dlq", 1)),))
    assert messages(make_plan(kept, state)) == [
        "queue/dlq is still used by queue/src (as dead letter or subscription endpoint); "
        "it will not be deleted"
    ]
    # src points elsewhere in the same plan: dlq is released
    moved = Stack(name="s", queues=(q("src", dead_letter=DeadLetter("other", 1)), q("other")))
    plan = make_plan(moved, state)
    assert plan.ok, messages(plan)
    assert plan.change_for("queue/dlq").action is Action.DELETE  # type: ignore[union-attr]


def test_a_replaced_dead_letter_is_refused_for_every_source_still_bound_after_a_deleted_one() -> None:
    dl = DeadLetter("dlq", max_receive_count=1)
    state = live(
        queues=[
            (q("dlq", max_msg_size=1024), "s"),
            (q("a-gone", dead_letter=dl), "s"),
            (q("b-kept", dead_letter=dl), "s"),
        ]
    )
    assert state.queues["dlq"].dead_letter_sources == ("a-gone", "b-kept")
    stack = Stack(name="s", queues=(q("dlq", max_msg_size=4096), q("b-kept", dead_letter=dl)))
    assert messages(make_plan(stack, state)) == [
        "queue/dlq must be replaced but is the dead letter of queue/b-kept; "
        "the service does not delete a bound dead-letter queue"
    ]


def test_a_replaced_endpoint_queue_is_deleted_and_created_before_its_subscription_changes() -> None:
    state = live(
        queues=[(q("work", max_msg_size=1024), "s")],
        topics=[(Topic("t"), "s")],
        subs=[Subscription("t", "s1", Protocol.QUEUE, "work")],
    )
    stack = Stack(
        name="s",
        queues=(q("work", max_msg_size=2048),),
        topics=(Topic("t"),),
        subscriptions=(
            Subscription(
                "t", "s1", Protocol.QUEUE, "work", notify_strategy=NotifyStrategy.EXPONENTIAL_DECAY_RETRY
            ),
        ),
    )
    plan = make_plan(stack, state)
    assert plan.ok, messages(plan)
    order = [[(s.change.address, s.phase) for s in level] for level in levels(steps_of(list(plan.changes)))]
    assert order == [
        [("queue/work", "delete")],
        [("queue/work", "apply")],
        [("subscription/t/s1", "apply")],
    ]


def test_a_subscription_whose_filter_tags_and_binding_keys_both_changed_shows_both() -> None:
    live_sub = Subscription("t", "s", Protocol.HTTP, "http://h", filter_tags=("a",), binding_keys=("x",))
    wanted = replace(live_sub, filter_tags=("b",), binding_keys=("y",))
    assert [(c.path, c.before, c.after) for c in attribute_changes(wanted, live_sub)] == [
        ("bindingKeys", ["x"], ["y"]),
        ("filterTags", ["a"], ["b"]),
    ]


def test_every_changed_attribute_is_shown_however_many_list_items_changed() -> None:
    before = Subscription(
        "t",
        "s",
        Protocol.HTTP,
        "http://a",
        filter_tags=tuple(f"old{i}" for i in range(8)),
        binding_keys=tuple(f"o{i}" for i in range(8)),
    )
    after = Subscription(
        "t",
        "s",
        Protocol.QUEUE,
        "work",
        notify_strategy=NotifyStrategy.EXPONENTIAL_DECAY_RETRY,
        filter_tags=tuple(f"new{i}" for i in range(8)),
        binding_keys=tuple(f"n{i}" for i in range(8)),
    )
    paths = [c.path for c in attribute_changes(after, before)]
    assert paths == ["bindingKeys", "endpoint", "filterTags", "notifyStrategy", "protocol"]
