"""A computed plan's fingerprint, worked out from its live state when first read, is the one the
live state had when the plan was made, whichever way the plan is read or copied."""

from __future__ import annotations

from dataclasses import replace

from cmqinfra.model import Protocol, Stack, Subscription, Topic
from cmqinfra.plan.compute import make_plan
from cmqinfra.plan.fingerprint import fingerprint
from cmqinfra.plan.values import Plan

from .builders import live, q

STACK = Stack(
    name="s",
    queues=(q("a"), q("b")),
    topics=(Topic("t"),),
    subscriptions=(Subscription("t", "x", Protocol.QUEUE, "a"),),
)


def test_the_fingerprint_is_that_of_the_live_state_the_plan_was_made_from() -> None:
    state = live(queues=[(q("a"), "s"), (q("b", visibility_timeout=60), "s")], topics=[(Topic("t"), "s")])
    expected = fingerprint(state)
    plan = make_plan(STACK, state)
    assert "_fingerprint" in vars(plan) and vars(plan)["_fingerprint"] == ""  # not worked out yet
    assert plan.fingerprint == expected and len(expected) == 64
    assert vars(plan)["_fingerprint"] == expected  # worked out once, then kept
    copied = replace(make_plan(STACK, state), changes=())
    assert copied.fingerprint == expected
    assert make_plan(STACK, state) == plan  # equal plans: the fingerprint is part of the value
    other = make_plan(STACK, live(queues=[(q("a"), "s")]))
    assert other.fingerprint != expected and other != plan


def test_a_given_fingerprint_is_kept_and_none_means_empty() -> None:
    given = Plan(stack=STACK, region=None, changes=(), fingerprint="abc")
    assert given.fingerprint == "abc"
    assert Plan(stack=STACK, region=None, changes=()).fingerprint == ""
    state = live(queues=[(q("a"), "s")])
    assert Plan(stack=STACK, region=None, changes=(), fingerprint="abc", live=state).fingerprint == "abc"
