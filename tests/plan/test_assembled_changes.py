"""The changes the planner assembles without their ``__init__`` are the ones it would make."""

from __future__ import annotations

from dataclasses import fields

import pytest

from cmqinfra.model import (
    DeadLetter,
    FilterType,
    Import,
    Moved,
    Protocol,
    Removed,
    Stack,
    Subscription,
    Topic,
)
from cmqinfra.plan.compute import _change, make_plan
from cmqinfra.plan.values import Action, ResourceChange

from .builders import live, q


def test_every_action_s_change_is_what_its_constructor_makes() -> None:
    sub = Subscription("events", "to-work", Protocol.QUEUE, "work")
    stack = Stack(
        name="shop",
        queues=(
            q("created"), q("updated", visibility_timeout=60), q("replaced", max_msg_size=1024),
            q("adopted"), q("imported"), q("moved-in"), q("same"),
            q("work", dead_letter=DeadLetter("same", 3)),
        ),
        topics=(Topic("events"),),
        subscriptions=(sub, Subscription("events", "new", Protocol.HTTP, "https://example.com")),
        moved=(Moved("queue/moved-in", from_stack="other"), Moved("queue/moved-out", to_stack="next")),
        removed=(Removed("queue/released"),),
        imports=(Import("queue/imported", "id-imported"),),
    )
    state = live(
        queues=[
            (q("updated"), "shop"), (q("replaced"), "shop"), (q("adopted"), None),
            (q("imported"), None), (q("moved-in"), "other"), (q("same"), "shop"),
            (q("work", dead_letter=DeadLetter("SAME", 3)), "shop"),
            (q("deleted"), "shop"), (q("moved-out"), "shop"), (q("released"), "shop"),
        ],
        topics=[(Topic("events", filter_type=FilterType.ROUTING_KEY), "shop")],
        subs=[Subscription("events", "gone", Protocol.HTTP, "https://example.com/gone"),
              Subscription("events", "to-work", Protocol.QUEUE, "WORK")],
    )
    plan = make_plan(stack, state, allow_data_loss=True)
    actions = {c.address: c.action for c in plan.changes}
    assert set(actions.values()) == set(Action), actions  # every kind of change is made here
    by_address = {c.address: c for c in plan.changes}
    assert by_address["queue/moved-in"].moved_from == "other"
    assert by_address["queue/moved-out"].moved_to == "next"
    assert by_address["queue/imported"].import_id == "id-imported"
    names = [f.name for f in fields(ResourceChange)]
    for change in plan.changes:
        # Every field set, nothing else: one the fast path forgot (or misspelt) fails here.
        assert list(vars(change)) == names
        made = ResourceChange(**{name: getattr(change, name) for name in names})
        assert made == change and hash(made) == hash(change) and repr(made) == repr(change)


def test_a_change_refuses_a_field_it_does_not_have() -> None:
    with pytest.raises(TypeError, match="moved_too"):
        _change(Action.MOVE, None, q("a"), moved_too="x")
