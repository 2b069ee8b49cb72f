"""The planner's refactoring rules on hand-built live states: moved (in, out, a stack rename),
removed and import, and the moves another stack's manifest declares. The end-to-end runs over
the emulator are in test_refactor.py; these pin each decision and what the plan says about it."""

from __future__ import annotations

from dataclasses import replace

from cmqinfra.live import MessageCounts
from cmqinfra.model import (
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
from cmqinfra.plan.compute import make_plan, with_moves
from cmqinfra.plan.values import Action
from tests.plan.builders import live, q


def at(line: int) -> SourceLocation:
    return SourceLocation("m.yaml", line, 3)


def said(plan) -> list[tuple[str, str | None, str | None]]:  # type: ignore[no-untyped-def]
    return [(d.message, str(d.location) if d.location else None, d.hint) for d in plan.errors]


def change(plan, address: str):  # type: ignore[no-untyped-def]
    found = plan.change_for(address)
    assert found is not None, [c.address for c in plan.changes]
    return found


def test_an_import_adopts_the_live_resource_and_records_its_id() -> None:
    stack = Stack(
        name="s",
        queues=(q("jobs", visibility_timeout=60),),
        topics=(Topic("events"),),
        imports=(Import("queue/jobs", id="id-jobs"), Import("topic/events")),
    )
    plan = make_plan(stack, live(queues=[(q("jobs"), None)], topics=[(Topic("events"), None)]))
    assert plan.ok, said(plan)
    jobs = change(plan, "queue/jobs")
    assert (jobs.action, jobs.reasons, jobs.import_id) == (
        Action.IMPORT,
        ("an import entry declares it",),
        "id-jobs",
    )
    assert (jobs.before, jobs.after) == (q("jobs"), stack.queues[0])
    assert [(a.path, a.before, a.after) for a in jobs.attribute_changes] == [("visibilityTimeout", 30, 60)]
    events = change(plan, "topic/events")
    assert (events.action, events.import_id) == (Action.IMPORT, "id-events")
    assert plan.summary.import_ == 2 and plan.summary.change == 1


def test_an_import_of_nothing_or_of_another_id_is_refused_at_its_entry() -> None:
    stack = Stack(
        name="s",
        queues=(q("missing"), q("jobs")),
        imports=(Import("queue/missing", source=at(8)), Import("queue/jobs", id="id-other", source=at(9))),
    )
    plan = make_plan(stack, live(queues=[(q("jobs"), None)]))
    assert said(plan) == [
        (
            "import queue/missing: there is nothing to import, it does not exist",
            "m.yaml:8:3",
            "remove the import entry to create it instead",
        ),
        (
            "import queue/jobs: the live resource has id 'id-jobs', not 'id-other'",
            "m.yaml:9:3",
            "check that the import names the resource you mean",
        ),
    ]
    assert change(plan, "queue/missing").action is Action.CREATE


def test_a_resource_moves_in_from_the_stack_its_entry_names() -> None:
    stack = Stack(
        name="s",
        queues=(q("jobs", visibility_timeout=60),),
        topics=(Topic("events"),),
        moved=(Moved("queue/jobs", from_stack="old-team"), Moved("topic/events", from_stack="old-team")),
    )
    state = live(queues=[(q("jobs"), "old-team")], topics=[(Topic("events"), "old-team")])
    plan = make_plan(stack, state)
    assert plan.ok, said(plan)
    jobs = change(plan, "queue/jobs")
    assert (jobs.action, jobs.moved_from, jobs.reasons) == (Action.MOVE, "old-team", ())
    assert (jobs.before, jobs.after) == (q("jobs"), stack.queues[0])
    assert [a.path for a in jobs.attribute_changes] == ["visibilityTimeout"]
    assert change(plan, "topic/events").action is Action.MOVE
    assert plan.summary.move == 2 and plan.summary.change == 1


def test_a_move_in_that_needs_a_replacement_or_names_the_wrong_giver_is_refused() -> None:
    stack = Stack(
        name="s",
        queues=(q("big", max_msg_size=4096, source=at(3)), q("jobs", source=at(4))),
        moved=(Moved("queue/big", from_stack="a"), Moved("queue/jobs", from_stack="a")),
    )
    state = live(queues=[(q("big", max_msg_size=1024), "a"), (q("jobs"), "b")])
    plan = make_plan(stack, state)
    assert said(plan) == [
        (
            "queue/big moves in from stack 'a' and differs in maxMsgSize, which cannot change in place; "
            "it will not be deleted to take it over",
            "m.yaml:3:3",
            "align the manifest with the existing resource, or delete it yourself",
        ),
        (
            "queue/jobs is owned by stack 'b', not 'a' as its moved entry says; it will not be touched",
            "m.yaml:4:3",
            "name fromStack: b, or ask that stack to give it up",
        ),
    ]
    jobs = change(plan, "queue/jobs")
    assert (jobs.action, jobs.before, jobs.after) == (Action.NO_OP, q("jobs"), stack.queues[1])
    assert change(plan, "queue/big").action is Action.MOVE


def test_a_moved_entry_for_a_resource_the_stack_already_owns_is_a_plain_update() -> None:
    stack = Stack(
        name="s", queues=(q("jobs", visibility_timeout=60),), moved=(Moved("queue/jobs", from_stack="a"),)
    )
    plan = make_plan(stack, live(queues=[(q("jobs"), "s")]))
    assert plan.ok, said(plan)
    assert change(plan, "queue/jobs").action is Action.UPDATE


def test_a_renamed_stack_takes_over_what_the_old_name_owned_and_deletes_what_it_dropped() -> None:
    stack = Stack(name="new", renamed_from="old", queues=(q("jobs"),), topics=(Topic("events"),))
    state = live(
        queues=[(q("jobs"), "old"), (q("dropped"), "old"), (q("theirs"), "other")],
        topics=[(Topic("events"), "old")],
    )
    plan = make_plan(stack, state)
    assert plan.ok, said(plan)
    jobs = change(plan, "queue/jobs")
    assert (jobs.action, jobs.reasons, jobs.moved_from) == (Action.MOVE, ("the stack was renamed",), "old")
    dropped = change(plan, "queue/dropped")
    assert (dropped.action, dropped.reasons) == (Action.DELETE, ("it is not in the manifest",))
    assert plan.change_for("queue/theirs") is None
    # destroying the renamed stack deletes what the old name owns, too
    gone = make_plan(stack, state, destroy=True)
    assert {c.address: c.action for c in gone.changes} == {
        "queue/jobs": Action.DELETE,
        "queue/dropped": Action.DELETE,
        "topic/events": Action.DELETE,
    }
    assert change(gone, "queue/jobs").reasons == ("the stack is destroyed",)


def test_removed_releases_what_the_stack_owns_and_an_untagged_protected_leftover() -> None:
    stack = Stack(
        name="s",
        removed=(
            Removed("queue/mine"),
            Removed("queue/half"),
            Removed("queue/bare"),
            Removed("queue/theirs"),
            Removed("topic/events"),
            Removed("topic/half-topic"),
        ),
    )
    state = live(
        queues=[
            (q("mine"), "s"),
            # an interrupted release: the owner tag is gone, the protect tag still there
            (q("half", protect=True), None),
            (q("bare"), None),
            (q("theirs"), "other"),
        ],
        topics=[(Topic("events"), "s"), (Topic("half-topic", protect=True), None)],
    )
    plan = make_plan(stack, state)
    assert plan.ok, said(plan)
    assert {c.address: (c.action, c.reasons) for c in plan.changes} == {
        "topic/half-topic": (Action.RELEASE, ("it is listed under removed",)),
        "queue/mine": (Action.RELEASE, ("it is listed under removed",)),
        "queue/half": (Action.RELEASE, ("it is listed under removed",)),
        "topic/events": (Action.RELEASE, ("it is listed under removed",)),
    }
    mine = change(plan, "queue/mine")
    assert (mine.before, mine.after) == (q("mine"), None)
    # destroy keeps the release: a removed resource never dies with the stack
    assert change(make_plan(stack, state, destroy=True), "queue/mine").action is Action.RELEASE


def test_a_resource_moving_out_is_handed_over_not_deleted_even_by_destroy() -> None:
    stack = Stack(
        name="s", moved=(Moved("queue/jobs", to_stack="taker"), Moved("topic/events", to_stack="t2"))
    )
    state = live(queues=[(q("jobs"), "s"), (q("other"), "s")], topics=[(Topic("events"), "s")])
    for destroy in (False, True):
        plan = make_plan(stack, state, destroy=destroy)
        jobs = change(plan, "queue/jobs")
        assert (jobs.action, jobs.moved_to, jobs.before, jobs.after) == (
            Action.MOVE_OUT,
            "taker",
            q("jobs"),
            None,
        )
        assert change(plan, "topic/events").moved_to == "t2"
        assert change(plan, "queue/other").action is Action.DELETE


def test_moves_declared_by_another_stack_join_the_plan_and_its_saved_stack() -> None:
    stack = Stack(name="s", queues=(q("jobs"),))
    state = live(queues=[(q("jobs"), "giver"), (q("leaving"), "s")])
    plan = make_plan(stack, state, moves_in={"queue/jobs": "giver"}, moves_out={"queue/leaving": "taker"})
    assert plan.ok, said(plan)
    assert (change(plan, "queue/jobs").action, change(plan, "queue/jobs").moved_from) == (
        Action.MOVE,
        "giver",
    )
    leaving = change(plan, "queue/leaving")
    assert (leaving.action, leaving.moved_to) == (Action.MOVE_OUT, "taker")
    assert plan.stack.moved == (
        Moved("queue/jobs", from_stack="giver"),
        Moved("queue/leaving", to_stack="taker"),
    )


def test_a_stacks_own_moved_entry_wins_over_another_stacks_declaration() -> None:
    own = Moved("queue/jobs", from_stack="mine")
    stack = Stack(name="s", queues=(q("jobs"),), moved=(own,))
    merged = with_moves(stack, {"queue/JOBS": "theirs", "queue/x": "a"}, {"queue/jobs": "b", "queue/y": "c"})
    assert merged.moved == (own, Moved("queue/x", from_stack="a"), Moved("queue/y", to_stack="c"))
    assert with_moves(stack) is stack and with_moves(stack, {"queue/jobs": "z"}) is stack


def test_subscriptions_of_a_topic_owned_elsewhere_do_not_stop_the_next_topics() -> None:
    stack = Stack(
        name="s",
        topics=(Topic("a-theirs"), Topic("b-mine")),
        subscriptions=(
            Subscription("a-theirs", "s1", Protocol.HTTP, "http://h"),
            Subscription("b-mine", "s2", Protocol.HTTP, "http://h"),
        ),
    )
    plan = make_plan(stack, live(topics=[(Topic("a-theirs"), "other"), (Topic("b-mine"), "s")]))
    assert plan.change_for("subscription/a-theirs/s1") is None
    assert change(plan, "subscription/b-mine/s2").action is Action.CREATE


def test_subscriptions_replaced_with_their_topic_carry_their_own_attribute_changes() -> None:
    stack = Stack(
        name="s",
        topics=(Topic("t", filter_type=FilterType.ROUTING_KEY),),
        subscriptions=(Subscription("t", "s1", Protocol.HTTP, "http://h", binding_keys=("a.#",)),),
    )
    state = live(topics=[(Topic("t"), "s")], subs=[Subscription("t", "s1", Protocol.HTTP, "http://h")])
    plan = make_plan(stack, state)
    sub = change(plan, "subscription/t/s1")
    assert (sub.action, sub.reasons) == (Action.REPLACE, ("topic/t is replaced",))
    assert [(a.path, a.before, a.after) for a in sub.attribute_changes] == [("bindingKeys", [], ["a.#"])]


def test_the_untagged_warning_counts_the_accounts_untagged_less_those_being_adopted() -> None:
    stack = Stack(
        name="s",
        queues=(q("adopt-me"), q("adopt-me-too"), q("mine")),
        topics=(Topic("adopt-too"), Topic("ours"), Topic("ours-too")),
    )
    state = replace(
        live(
            queues=[(q("adopt-me"), None), (q("adopt-me-too"), None), (q("mine"), "s")],
            topics=[(Topic("adopt-too"), None), (Topic("ours"), "s"), (Topic("ours-too"), "s")],
        ),
        untagged_total=7,
    )
    # 7 untagged in the account, 3 of them declared here (adopted): 4 left alone
    [warning] = make_plan(stack, state).warnings
    assert warning.message.startswith("4 untagged queue(s)/topic(s) seen that the manifest does not declare")
    assert make_plan(stack, replace(state, untagged_total=3)).warnings == ()


def test_a_saved_plan_approves_data_loss_only_for_the_queues_it_names() -> None:
    state = live(queues=[(q("Full"), "s"), (q("other"), "s")], messages={"Full": 3, "other": 2})
    stack = Stack(name="s")
    plan = make_plan(stack, state, allow_data_loss=True, approved_data_loss=frozenset({"queue/full"}))
    assert said(plan) == [
        (
            "queue/other holds 2 message(s) (active 2, in flight 0, delayed 0); this plan would delete it",
            None,
            "its data loss was not approved in the saved plan: drain it, or plan again with "
            "--allow-data-loss",
        )
    ]
    assert [(d.address, d.approved) for d in plan.data_loss] == [("queue/Full", True), ("queue/other", False)]
    assert plan.approved_data_loss == ("queue/Full",)
    # without a saved plan's approvals, --allow-data-loss covers every queue
    assert make_plan(stack, state, allow_data_loss=True).ok


def test_data_loss_describes_each_queue_with_its_counts() -> None:
    state = live(queues=[(q("a"), "s"), (q("b", max_msg_size=1024), "s")])
    state.queues["a"] = replace(state.queues["a"], messages=MessageCounts(active=1, inactive=2, delayed=3))
    state.queues["b"] = replace(state.queues["b"], messages=MessageCounts(active=4))
    plan = make_plan(Stack(name="s", queues=(q("b", max_msg_size=2048),)), state, allow_data_loss=True)
    assert sorted(d.describe() for d in plan.data_loss) == [
        "queue/a will be deleted with 6 message(s): active 1, in flight 2, delayed 3",
        "queue/b will be replaced with 4 message(s): active 4, in flight 0, delayed 0",
    ]


def test_the_region_source_is_kept_as_given_or_said_to_be_the_manifest() -> None:
    stack = Stack(name="s", region="ap-guangzhou")
    assert make_plan(stack, live(), region="ap-shanghai", region_source="env").region_source == "env"
    plan = make_plan(stack, live())
    assert (plan.region, plan.region_source) == ("ap-guangzhou", "manifest")
    assert make_plan(Stack(name="s"), live()).region_source is None
