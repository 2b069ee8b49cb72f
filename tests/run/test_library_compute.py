"""``session.compute``, the plan of one stack for library callers (bootstrap, the pytest plugin,
the benchmarks): an API that can count the account's untagged resources is asked, one that
cannot is not."""

from __future__ import annotations

from cmqinfra.model import Queue, Stack
from cmqinfra.run.session import compute
from tests.plan.fake_api import FakeApi

STACK = Stack(name="s", queues=(Queue("jobs"),))


class _Counting(FakeApi):
    def untagged_total(self) -> int:
        return 5  # five queues/topics of the account no stack owns, none of them read here


def test_an_api_that_cannot_count_untagged_resources_still_plans() -> None:
    plan = compute(STACK, FakeApi(), "ap-guangzhou")
    assert [c.address for c in plan.changes] == ["queue/jobs"] and plan.warnings == ()


def test_the_untagged_count_of_an_api_that_has_one_reaches_the_plan() -> None:
    [warning] = compute(STACK, _Counting(), "ap-guangzhou").warnings
    assert warning.message.startswith("5 untagged queue(s)/topic(s) seen that the manifest does not declare")
