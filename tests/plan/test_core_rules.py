"""The planner's rules, pinned to the word: every diagnostic (message, location, hint), every
reason, every count a user reads in a plan, and the saved plan's complete round trip."""

from __future__ import annotations

import json
from dataclasses import replace

from cmqinfra.diagnostics import Severity
from cmqinfra.live import MessageCounts
from cmqinfra.model import (
    DeadLetter,
    FilterType,
    NotifyContentFormat,
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
from cmqinfra.plan.shape import (
    queue_from_data,
    stack_from_data,
    stack_to_data,
    subscription_from_data,
    to_data,
    topic_from_data,
)
from cmqinfra.plan.values import Action
from tests.plan.builders import live, q


def at(line: int) -> SourceLocation:
    return SourceLocation("m.yaml", line, 3)


def said(plan) -> list[tuple[str, str | None, str | None]]:  # type: ignore[no-untyped-def]
    return [(d.message, str(d.location) if d.location else None, d.hint) for d in plan.errors]


def reasons(plan) -> dict[str, tuple[Action, tuple[str, ...]]]:  # type: ignore[no-untyped-def]
    return {c.address: (c.action, c.reasons) for c in plan.changes}


def test_every_refusal_is_one_located_line_with_its_hint() -> None:
    stack = Stack(
        name="s",
        queues=(
            q("foreign", source=at(1)),
            q("untagged", max_msg_size=2048, source=at(2)),
            q("src", dead_letter=DeadLetter("nowhere", max_receive_count=1), source=at(3)),
        ),
        topics=(Topic("t", source=at(4)),),
        subscriptions=(
            Subscription("t", "s1", Protocol.QUEUE, "nope", source=at(5)),
            Subscription("gone", "s2", Protocol.HTTP, "http://x", source=at(6)),
        ),
    )
    state = live(
        queues=[
            (q("foreign"), "other"),
            (q("untagged", max_msg_size=1024), None),
            (q("full"), "s"),
            (q("prot", protect=True), "s"),
            (q("dlq"), "s"),
            (q("user", dead_letter=DeadLetter("dlq", max_receive_count=1)), None),
            (q("ep"), "s"),
        ],
        messages={"full": 3},
        endpoint_users={"ep": ("subscription/x/y",)},
    )
    plan = make_plan(stack, state)
    still = "(as dead letter or subscription endpoint); it will not be deleted"
    assert said(plan) == [
        ("queue/src: dead letter queue 'nowhere' is neither in the manifest nor live", "m.yaml:3:3", None),
        ("subscription/t/s1: endpoint queue 'nope' is neither in the manifest nor live", "m.yaml:5:3", None),
        ("subscription/gone/s2: topic 'gone' is neither in the manifest nor live", "m.yaml:6:3", None),
        (
            "queue/foreign is owned by stack 'other', not 's'; it will not be touched",
            "m.yaml:1:3",
            "rename the resource, or remove it from the other stack first",
        ),
        (
            "queue/untagged exists without the cmqinfra-stack tag and differs in maxMsgSize, which cannot "
            "change in place; it will not be deleted to take it over",
            "m.yaml:2:3",
            "align the manifest with the existing resource, or delete it yourself",
        ),
        (f"queue/dlq is still used by queue/user {still}", None, "point those users elsewhere first"),
        (f"queue/ep is still used by subscription/x/y {still}", None, "point those users elsewhere first"),
        (
            "queue/full holds 3 message(s) (active 3, in flight 0, delayed 0); this plan would delete it",
            None,
            "drain the queue, or pass --allow-data-loss",
        ),
        (
            "queue/prot is protected; this plan would delete it",
            None,
            "first apply the resource with `protect: false`, then remove or change it",
        ),
    ]
    assert all(d.severity is Severity.ERROR for d in plan.errors)
    assert reasons(plan) == {
        "queue/dlq": (Action.DELETE, ("it is not in the manifest",)),
        "queue/ep": (Action.DELETE, ("it is not in the manifest",)),
        "queue/full": (Action.DELETE, ("it is not in the manifest",)),
        "queue/prot": (Action.DELETE, ("it is not in the manifest",)),
        "queue/src": (Action.CREATE, ()),
        "queue/untagged": (Action.ADOPT, ("it exists without an owner tag",)),
        "topic/t": (Action.CREATE, ()),
        "subscription/gone/s2": (Action.CREATE, ()),
        "subscription/t/s1": (Action.CREATE, ()),
        "queue/foreign": (Action.NO_OP, ()),
    }
    foreign = plan.change_for("queue/foreign")
    assert foreign is not None and foreign.before == q("foreign") and foreign.after == stack.queues[0]


def test_a_replacement_is_refused_for_each_reason_naming_the_manifest_line() -> None:
    stack = Stack(name="s", queues=(q("big", max_msg_size=4096, source=at(7)), q("dlq", max_msg_size=4096)))
    state = live(
        queues=[(q("big", max_msg_size=1024, protect=True), "s"), (q("dlq", max_msg_size=1024), "s")]
    )
    counts = MessageCounts(active=1, inactive=2, delayed=4)
    state.queues["big"] = replace(state.queues["big"], messages=counts)
    state.queues["dlq"] = replace(state.queues["dlq"], dead_letter_sources=("src", "other"))
    state.queues["src"] = replace(
        state.queues["big"], queue=q("src"), owner="x", protected=False, messages=MessageCounts()
    )
    plan = make_plan(stack, state)
    assert said(plan) == [
        (
            "queue/big is protected; this plan would replace it",
            "m.yaml:7:3",
            "first apply the resource with `protect: false`, then remove or change it",
        ),
        (
            "queue/big holds 7 message(s) (active 1, in flight 2, delayed 4); this plan would replace it",
            "m.yaml:7:3",
            "drain the queue, or pass --allow-data-loss",
        ),
        (
            "queue/dlq must be replaced but is the dead letter of queue/other, queue/src; the service does "
            "not delete a bound dead-letter queue",
            None,
            "remove deadLetter from those queues and apply, then apply this change",
        ),
    ]
    assert reasons(plan)["queue/big"] == (Action.REPLACE, ("maxMsgSize cannot be changed in place",))
    # allowing data loss lifts exactly that refusal
    assert [m for m, _, _ in said(make_plan(stack, state, allow_data_loss=True))] == [
        "queue/big is protected; this plan would replace it",
        "queue/dlq must be replaced but is the dead letter of queue/other, queue/src; the service does "
        "not delete a bound dead-letter queue",
    ]


def test_dead_letter_sources_changed_away_or_deleted_in_the_same_plan_release_the_queue() -> None:
    dl = DeadLetter("dlq", max_receive_count=1)
    state = live(
        queues=[
            (q("dlq", max_msg_size=1024), "s"),
            (q("a", dead_letter=dl), "s"),
            (q("b", dead_letter=dl), "s"),
        ]
    )
    # a's dead letter points elsewhere now, b is deleted: nothing still binds dlq
    stack = Stack(
        name="s", queues=(q("dlq", max_msg_size=4096), q("a", dead_letter=DeadLetter("x", 1)), q("x"))
    )
    assert make_plan(stack, state).ok, said(make_plan(stack, state))
    kept = Stack(name="s", queues=(*stack.queues, q("b", dead_letter=dl)))
    assert "queue/b" in said(make_plan(kept, state))[0][0]


def test_a_deleted_queue_stays_while_a_subscription_outside_the_plan_delivers_to_it() -> None:
    topics = [(Topic("t"), "s")]
    subs = [Subscription("t", "s1", Protocol.QUEUE, "target")]
    users = {"target": ("subscription/t/s1",)}
    state = live(queues=[(q("target"), "s")], topics=topics, subs=subs, endpoint_users=users)
    # the subscription is re-pointed to http in the same plan: released
    moved = Stack(
        name="s", topics=(Topic("t"),), subscriptions=(Subscription("t", "s1", Protocol.HTTP, "http://h"),)
    )
    assert make_plan(moved, state).ok, said(make_plan(moved, state))
    # re-pointed to another queue: released too
    other = Stack(
        name="s",
        queues=(q("other"),),
        topics=(Topic("t"),),
        subscriptions=(Subscription("t", "s1", Protocol.QUEUE, "other"),),
    )
    assert make_plan(other, state).ok, said(make_plan(other, state))
    # kept as it is: refused
    kept = Stack(name="s", topics=(Topic("t"),), subscriptions=tuple(subs))
    assert [m for m, _, _ in said(make_plan(kept, state))] == [
        "queue/target is still used by subscription/t/s1 (as dead letter or subscription endpoint); "
        "it will not be deleted"
    ]
    # the whole stack destroyed: its subscription goes first, so the queue is free
    assert make_plan(kept, state, destroy=True).ok


def test_destroy_says_why_and_keeps_the_region() -> None:
    stack = Stack(name="s", region="ap-shanghai", queues=(q("a"),), topics=(Topic("t"),))
    sub = Subscription("t", "s1", Protocol.HTTP, "http://x")
    state = live(queues=[(q("a"), "s")], topics=[(Topic("t"), "s")], subs=[sub])
    plan = make_plan(stack, state, destroy=True)
    assert plan.destroy and plan.region == "ap-shanghai" and plan.stack == stack
    assert reasons(plan) == {
        "subscription/t/s1": (Action.DELETE, ("its topic is deleted",)),
        "queue/a": (Action.DELETE, ("the stack is destroyed",)),
        "topic/t": (Action.DELETE, ("the stack is destroyed",)),
    }
    assert make_plan(stack, state, region="eu-frankfurt").region == "eu-frankfurt"
    assert make_plan(stack, state).region == "ap-shanghai"


def test_subscriptions_replace_update_or_stay_with_their_reasons() -> None:
    live_subs = [
        Subscription("t", "same", Protocol.HTTP, "http://x"),
        Subscription("t", "upd", Protocol.HTTP, "http://x"),
        Subscription("t", "moved", Protocol.HTTP, "http://x"),
        Subscription("r", "follows", Protocol.HTTP, "http://x"),
    ]
    state = live(topics=[(Topic("t"), "s"), (Topic("r"), "s")], subs=live_subs)
    stack = Stack(
        name="s",
        topics=(Topic("t"), Topic("r", filter_type=FilterType.ROUTING_KEY)),
        subscriptions=(
            Subscription("t", "same", Protocol.HTTP, "http://x"),
            Subscription("t", "upd", Protocol.HTTP, "http://x", notify_strategy=NotifyStrategy.BACKOFF_RETRY),
            Subscription("t", "moved", Protocol.HTTP, "http://y"),
            Subscription("r", "follows", Protocol.HTTP, "http://x"),
        ),
    )
    plan = make_plan(stack, state)
    assert plan.ok, said(plan)
    assert reasons(plan) == {
        "subscription/r/follows": (Action.REPLACE, ("topic/r is replaced",)),
        "subscription/t/moved": (Action.REPLACE, ("endpoint cannot be changed in place",)),
        "topic/r": (Action.REPLACE, ("filterType cannot be changed in place",)),
        "subscription/t/upd": (Action.UPDATE, ()),
        "subscription/t/same": (Action.NO_OP, ()),
        "topic/t": (Action.NO_OP, ()),
    }
    follows = plan.change_for("subscription/r/follows")
    assert follows is not None and follows.before == live_subs[3] and follows.after == stack.subscriptions[3]
    upd = plan.change_for("subscription/t/upd")
    assert upd is not None and [(a.path, a.after) for a in upd.attribute_changes] == [
        ("notifyStrategy", "BACKOFF_RETRY")
    ]


def test_subscriptions_on_a_topic_owned_elsewhere_are_not_planned() -> None:
    state = live(topics=[(Topic("t"), "other")], subs=[Subscription("t", "x", Protocol.HTTP, "http://x")])
    stack = Stack(
        name="s", topics=(Topic("t"),), subscriptions=(Subscription("t", "mine", Protocol.HTTP, "http://m"),)
    )
    plan = make_plan(stack, state)
    assert reasons(plan) == {"topic/t": (Action.NO_OP, ())}
    assert said(plan)[0][0] == "topic/t is owned by stack 'other', not 's'; it will not be touched"


def test_the_untagged_warning_counts_only_undeclared_untagged_queues_and_topics() -> None:
    state = live(
        queues=[
            (q("u1"), None),
            (q("u2"), None),
            (q("declared"), None),
            (q("owned"), "s"),
            (q("theirs"), "x"),
        ],
        topics=[(Topic("ut"), None), (Topic("ut2"), None), (Topic("dt"), None), (Topic("ot"), "s")],
    )
    stack = Stack(name="s", queues=(q("declared"), q("owned")), topics=(Topic("dt"), Topic("ot")))
    (warning,) = make_plan(stack, state).warnings
    assert warning.severity is Severity.WARNING and warning.location is None
    assert warning.message == (
        "4 untagged queue(s)/topic(s) seen that the manifest does not declare; they are left alone"
    )
    assert make_plan(Stack(name="s"), live(queues=[(q("o"), "s")])).warnings == ()


def _everything() -> Stack:
    return Stack(
        name="s",
        region="ap-guangzhou",
        source=at(1),
        queues=(
            Queue(
                "a",
                visibility_timeout=60,
                polling_wait_seconds=5,
                msg_retention_seconds=7200,
                max_msg_heap_num=2_000_000,
                max_msg_size=2048,
                rewind_seconds=3600,
                retention_size_in_mb=10240,
                trace=True,
                transaction=Transaction(10, 5),
                dead_letter=DeadLetter("b", max_receive_count=4),
                tags=(("team", "x"),),
                protect=True,
                source=at(2),
            ),
            Queue("b", dead_letter=DeadLetter("c", max_time_to_live=600), source=at(3)),
            Queue("c", source=at(4)),
        ),
        topics=(
            Topic(
                "t",
                filter_type=FilterType.ROUTING_KEY,
                max_msg_size=4096,
                msg_retention_seconds=86400,
                trace=True,
                tags=(("k", "v"),),
                protect=True,
                source=at(5),
            ),
            Topic("u", source=at(6)),
        ),
        subscriptions=(
            Subscription("t", "s1", Protocol.QUEUE, "a", binding_keys=("x.#", "a.*"), source=at(7)),
            Subscription(
                "u",
                "s2",
                Protocol.HTTP,
                "https://h",
                notify_strategy=NotifyStrategy.BACKOFF_RETRY,
                notify_content_format=NotifyContentFormat.JSON,
                filter_tags=("red", "amber"),
                source=at(8),
            ),
        ),
    )


def test_a_saved_stack_comes_back_whole_every_field_and_every_location() -> None:
    stack = _everything()
    back = stack_from_data(json.loads(json.dumps(stack_to_data(stack))))
    assert back == stack and back.region == "ap-guangzhou" and back.source == at(1)
    for kind in ("queues", "topics", "subscriptions"):
        for mine, theirs in zip(getattr(stack, kind), getattr(back, kind), strict=True):
            assert repr(mine) == repr(theirs) and theirs.source == mine.source, mine.address
    # list order as written is kept (the saved plan shows what the user wrote)
    assert back.subscriptions[1].filter_tags == ("red", "amber")
    assert back.subscriptions[0].binding_keys == ("x.#", "a.*")


def test_a_saved_resource_with_only_its_name_reads_back_with_the_model_defaults() -> None:
    assert repr(queue_from_data({"name": "q"})) == repr(Queue("q"))
    assert repr(topic_from_data({"name": "t"})) == repr(Topic("t"))
    sub = subscription_from_data({"topic": "t", "name": "s", "protocol": "http", "endpoint": "http://h"})
    assert repr(sub) == repr(Subscription("t", "s", Protocol.HTTP, "http://h"))
    assert queue_from_data({"name": "q"}).source is None and not topic_from_data({"name": "t"}).protect
    empty = stack_from_data({"name": "s"})
    assert (empty.queues, empty.topics, empty.subscriptions, empty.region) == ((), (), (), None)


def test_the_manifest_shape_sorts_filter_lists_and_can_leave_unmanaged_out() -> None:
    sub = Subscription("t", "s", Protocol.HTTP, "http://h", filter_tags=("b", "a"))
    assert to_data(sub)["filterTags"] == ["a", "b"]
    assert to_data(sub, sort_lists=False)["filterTags"] == ["b", "a"]
    assert to_data(Queue("q"))["visibilityTimeout"] is None
    managed = to_data(Queue("q"), managed_only=True)
    assert (
        "visibilityTimeout" not in managed
        and managed["deadLetter"] is None
        and managed["transaction"] is None
    )
    assert to_data(Queue("q", dead_letter=DeadLetter("d", max_receive_count=2)))["deadLetter"] == {
        "queue": "d",
        "maxReceiveCount": 2,
    }


def test_a_protected_topic_is_never_deleted() -> None:
    state = live(topics=[(Topic("t", protect=True), "s"), (Topic("u"), "s")])
    plan = make_plan(Stack(name="s"), state)
    assert said(plan) == [
        (
            "topic/t is protected; this plan would delete it",
            None,
            "first apply the resource with `protect: false`, then remove or change it",
        )
    ]


def test_a_queue_still_used_by_several_names_them_all() -> None:
    dl = DeadLetter("dlq", max_receive_count=1)
    state = live(
        queues=[(q("dlq"), "s"), (q("a", dead_letter=dl), None), (q("b", dead_letter=dl), None)],
        endpoint_users={"dlq": ("subscription/t/x",)},
    )
    assert [m for m, _, _ in said(make_plan(Stack(name="s"), state))] == [
        "queue/dlq is still used by queue/a, queue/b, subscription/t/x (as dead letter or subscription "
        "endpoint); it will not be deleted"
    ]


def test_a_bound_dead_letter_replacement_points_at_its_manifest_line() -> None:
    dl = DeadLetter("dlq", max_receive_count=1)
    stack = Stack(name="s", queues=(q("dlq", max_msg_size=4096, source=at(9)), q("src", dead_letter=dl)))
    state = live(queues=[(q("dlq", max_msg_size=1024), "s"), (q("src", dead_letter=dl), "s")])
    assert said(make_plan(stack, state))[0][1] == "m.yaml:9:3"


def test_every_change_carries_the_live_value_before_and_the_desired_after() -> None:
    subs = [
        Subscription("t", "keep", Protocol.HTTP, "http://x"),
        Subscription("t", "upd", Protocol.HTTP, "http://x"),
        Subscription("t", "move", Protocol.HTTP, "http://x"),
    ]
    state = live(queues=[(q("a"), "s"), (q("b"), "s")], topics=[(Topic("t"), "s")], subs=subs)
    stack = Stack(
        name="s",
        queues=(q("a"), q("b", visibility_timeout=60)),
        topics=(Topic("t"),),
        subscriptions=(
            Subscription("t", "keep", Protocol.HTTP, "http://x"),
            Subscription("t", "upd", Protocol.HTTP, "http://x", filter_tags=("red",)),
            Subscription("t", "move", Protocol.HTTP, "http://y"),
        ),
    )
    plan = make_plan(stack, state)
    befores = {**{x.name: x for x in (q("a"), q("b"))}, "t": Topic("t"), **{s.name: s for s in subs}}
    afters = {x.name: x for x in (*stack.queues, *stack.topics, *stack.subscriptions)}
    for change in plan.changes:
        assert change.before == befores[change.name] and change.after == afters[change.name], change.address
    actions = {c.address: c.action for c in plan.changes}
    assert actions["subscription/t/upd"] is Action.UPDATE and actions["queue/b"] is Action.UPDATE


def test_removing_a_dead_letter_alone_is_an_update() -> None:
    dl = DeadLetter("dlq", max_receive_count=1)
    state = live(queues=[(q("a", dead_letter=dl), "s"), (q("dlq"), "s")])
    plan = make_plan(Stack(name="s", queues=(q("a"), q("dlq"))), state)
    change = plan.change_for("queue/a")
    assert change is not None and change.action is Action.UPDATE
    assert [(a.path, a.after) for a in change.attribute_changes] == [("deadLetter", None)]


def test_a_dead_letter_chain_runs_from_the_end_of_the_chain_whatever_the_names() -> None:
    stack = Stack(
        name="s",
        queues=(
            q("a", dead_letter=DeadLetter("b", max_receive_count=1)),
            q("b", dead_letter=DeadLetter("c", max_receive_count=1)),
            q("c"),
        ),
    )
    assert [c.address for c in make_plan(stack, live()).changes] == ["queue/c", "queue/b", "queue/a"]


def test_a_dead_letter_queue_is_deleted_only_after_its_source_lets_go() -> None:
    from cmqinfra.plan.order import dependencies, steps_of

    dl = DeadLetter("dlq", max_receive_count=1)
    state = live(queues=[(q("src", dead_letter=dl), "s"), (q("dlq"), "s"), (q("other", dead_letter=dl), "s")])
    plan = make_plan(Stack(name="s", queues=(q("src"), q("other", max_msg_size=4096))), state)
    deps = dependencies(steps_of(plan.changes))
    # the update that unbinds src and the delete half of other's replacement come first
    assert deps[("queue/dlq", "delete")] == {("queue/src", "apply"), ("queue/other", "delete")}
    assert deps[("queue/other", "apply")] == {("queue/other", "delete")}


def test_filter_lists_and_tags_count_every_added_or_removed_element() -> None:
    from cmqinfra.plan.diff import attribute_changes

    def sub(*keys: str, tags: tuple[str, ...] = ()) -> Subscription:
        return Subscription("t", "s", Protocol.QUEUE, "a", filter_tags=tags, binding_keys=keys)

    assert [(c.path, c.before, c.after) for c in attribute_changes(sub("a", "b"), sub("a"))] == [
        ("bindingKeys", ["a"], ["a", "b"])
    ]
    assert [(c.path, c.before, c.after) for c in attribute_changes(sub("a"), sub("a", "b"))] == [
        ("bindingKeys", ["a", "b"], ["a"])
    ]
    assert [c.path for c in attribute_changes(sub(tags=("x", "y")), sub(tags=("y",)))] == ["filterTags"]
    assert attribute_changes(sub(tags=("y", "x")), sub(tags=("x", "y"))) == ()
    tagged = attribute_changes(q("a"), q("a", tags=(("team", "x"),)))
    assert [(c.path, c.before, c.after) for c in tagged] == [("tags.team", "x", None)]
    many = attribute_changes(
        Subscription("t", "s", Protocol.HTTP, "h", NotifyStrategy.BACKOFF_RETRY, binding_keys=("c", "d")),
        Subscription(
            "t", "s", Protocol.HTTP, "h", NotifyStrategy.EXPONENTIAL_DECAY_RETRY, binding_keys=("a", "b")
        ),
    )
    assert [c.path for c in many] == ["bindingKeys", "notifyStrategy"]
    renamed = attribute_changes(q("Orders", visibility_timeout=2), q("orders", visibility_timeout=1))
    assert [c.path for c in renamed] == ["visibilityTimeout"]
    assert to_data(Subscription("t", "s", Protocol.QUEUE, "a", binding_keys=("b", "a")))["bindingKeys"] == [
        "a",
        "b",
    ]


def test_fingerprint_changes_when_only_a_topic_changes() -> None:
    one = make_plan(Stack(name="s"), live(topics=[(Topic("t"), "s")])).fingerprint
    two = make_plan(Stack(name="s"), live(topics=[(Topic("t", trace=True), "s")])).fingerprint
    assert one != two
