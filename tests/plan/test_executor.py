from __future__ import annotations

import threading

from cmqinfra.model import (
    STACK_TAG,
    DeadLetter,
    FilterType,
    Protocol,
    Queue,
    Removed,
    Stack,
    Subscription,
    Topic,
)
from cmqinfra.plan.compute import make_plan
from cmqinfra.run.executor import execute
from tests.plan.fake_api import FakeApi


def stack(**kw: object) -> Stack:
    base: dict[str, object] = dict(
        name="s",
        queues=(
            Queue("src", visibility_timeout=30, dead_letter=DeadLetter("dlq", max_receive_count=3)),
            Queue("dlq", visibility_timeout=30),
        ),
        topics=(Topic("events"),),
        subscriptions=(Subscription("events", "to-src", Protocol.QUEUE, "src"),),
    )
    base.update(kw)
    return Stack(**base)  # type: ignore[arg-type]


def converge(api: FakeApi, desired: Stack, **kw: object) -> None:
    report = execute(make_plan(desired, api.read(desired)), api, **kw)  # type: ignore[arg-type]
    assert report.ok, report


def test_apply_then_plan_is_empty_and_order_respected() -> None:
    api = FakeApi()
    converge(api, stack())
    assert api.calls.index("CreateCmqQueue:dlq") < api.calls.index("CreateCmqQueue:src")
    assert api.calls.index("CreateCmqQueue:src") < api.calls.index("CreateCmqSubscribe:to-src")
    assert not make_plan(stack(), api.read(stack())).has_changes


def test_replace_topic_recreates_subscriptions_in_order() -> None:
    api = FakeApi()
    converge(api, stack())
    api.calls.clear()
    changed = stack(topics=(Topic("events", filter_type=FilterType.ROUTING_KEY),))
    converge(api, changed)
    assert api.calls == [
        "DeleteCmqSubscribe:to-src",
        "DeleteCmqTopic:events",
        "CreateCmqTopic:events",
        "CreateCmqSubscribe:to-src",
    ]
    assert not make_plan(changed, api.read(changed)).has_changes


def test_adopt_tags_then_converges() -> None:
    api = FakeApi()
    api.queues["dlq"] = (Queue("dlq", visibility_timeout=99), {"team": "x"})
    converge(api, stack())
    assert api.queues["dlq"][1] == {"cmqinfra-stack": "s"}
    assert api.queues["dlq"][0].visibility_timeout == 30
    assert not make_plan(stack(), api.read(stack())).has_changes


def test_failure_stops_new_work_and_rerun_converges() -> None:
    api = FakeApi(fail={"CreateCmqQueue:dlq"})
    report = execute(make_plan(stack(), api.read(stack())), api)
    assert not report.ok and [r.address for r in report.failed] == ["queue/dlq"]
    # src depends on dlq, the subscription on src: neither started
    assert "queue/src (apply)" in report.not_started
    assert "subscription/events/to-src (apply)" in report.not_started
    api.fail.clear()
    converge(api, stack())
    assert not make_plan(stack(), api.read(stack())).has_changes


def test_after_a_failure_no_independent_step_starts() -> None:
    # Five queues that depend on nothing: once the first call fails, none of the others starts.
    names = [f"q{i}" for i in range(5)]
    many = Stack(name="s", queues=tuple(Queue(n) for n in names))
    api = FakeApi(fail={f"CreateCmqQueue:{n}" for n in names})
    report = execute(make_plan(many, api.read(many)), api, parallelism=1)
    assert api.counts["CreateCmqQueue"] == 1 and len(report.failed) == 1
    assert len(report.not_started) == 4 and not report.ok


def test_parallelism_bounds_concurrency() -> None:
    many = Stack(name="s", queues=tuple(Queue(f"q{i}") for i in range(12)))
    api = FakeApi(delay=0.05)
    converge(api, many, parallelism=3)
    assert api.max_active == 3


def test_stop_event_starts_nothing() -> None:
    api = FakeApi()
    stop = threading.Event()
    stop.set()
    report = execute(make_plan(stack(), api.read(stack())), api, stop=stop)
    assert report.interrupted and not report.ok and api.calls == []
    assert len(report.not_started) == 4


def test_destroy_removes_everything_owned_in_reverse_order() -> None:
    api = FakeApi()
    converge(api, stack())
    api.calls.clear()
    report = execute(make_plan(stack(), api.read(stack()), destroy=True), api)
    assert report.ok
    assert api.queues == {} and api.topics == {} and api.subs == {}
    assert api.calls.index("DeleteCmqSubscribe:to-src") < api.calls.index("DeleteCmqQueue:src")
    assert api.calls.index("DeleteCmqQueue:src") < api.calls.index("DeleteCmqQueue:dlq")


def test_a_dead_letter_queue_goes_right_before_the_queue_that_feeds_subscriptions() -> None:
    """One step at a time: each dead-letter queue is created just before its source, which two
    subscriptions wait for, so the subscription creates never wait behind a run of dead letters."""
    queues = [Queue(f"d{i}") for i in range(2)]
    queues += [Queue(f"w{i}", dead_letter=DeadLetter(f"d{i}", max_receive_count=3)) for i in range(2)]
    queues += [Queue(f"x{i}") for i in range(2)]
    subscriptions = [
        Subscription("t", f"s{i}{j}", Protocol.QUEUE, f"w{i}") for i in range(2) for j in range(2)
    ]
    subscriptions += [Subscription("t", f"y{i}", Protocol.QUEUE, f"x{i}") for i in range(2)]
    desired = Stack(name="s", queues=tuple(queues), topics=(Topic("t"),), subscriptions=tuple(subscriptions))
    api = FakeApi()
    converge(api, desired, parallelism=1)
    created = [c.split(":")[1] for c in api.calls if c.startswith("CreateCmqQueue:")]
    assert created == ["d0", "w0", "d1", "w1", "x0", "x1"]


def test_a_delete_of_something_already_gone_counts_as_done() -> None:
    api = FakeApi()
    converge(api, stack())
    plan = make_plan(stack(), api.read(stack()), destroy=True)
    # another client removed the topic (and with it its subscription) after the plan was made
    api.delete_topic("events")
    report = execute(plan, api)
    assert report.ok and {r.address for r in report.done} == {
        "subscription/events/to-src",
        "topic/events",
        "queue/src",
        "queue/dlq",
    }



def test_topics_come_in_the_order_of_the_queues_their_subscriptions_need() -> None:
    """The topic line follows the longer queue line: each topic goes when the first queue one of
    its subscriptions needs does, so every (queue, topic) pair is complete early; a topic whose
    subscription needs no queue goes first. In plan order the topics would go t0 .. t4."""
    queues = tuple(Queue(f"q{i}") for i in range(5))
    topics = tuple(Topic(f"t{i}") for i in range(5))
    subscriptions = tuple(Subscription(f"t{3 - i}", f"s{i}", Protocol.QUEUE, f"q{i}") for i in range(4))
    subscriptions += (Subscription("t4", "hook", Protocol.HTTP, "http://hooks.example.com/in"),)
    subscriptions += (Subscription("t0", "late", Protocol.QUEUE, "q4"),)
    api = FakeApi()
    converge(api, Stack(name="s", queues=queues, topics=topics, subscriptions=subscriptions), parallelism=1)
    created = [c.split(":")[1] for c in api.calls if c.startswith("CreateCmqTopic:")]
    assert created == ["t4", "t3", "t2", "t1", "t0"]


def test_queues_follow_the_topics_when_the_topic_line_is_the_longer() -> None:
    queues = (Queue("qa"), Queue("qb"))
    topics = tuple(Topic(f"t{i}") for i in range(4))
    ends = ["qb", "qb", "qa", "qa"]
    subscriptions = tuple(Subscription(f"t{i}", "s", Protocol.QUEUE, end) for i, end in enumerate(ends))
    api = FakeApi()
    converge(api, Stack(name="s", queues=queues, topics=topics, subscriptions=subscriptions), parallelism=1)
    created = [c.split(":")[1] for c in api.calls if c.startswith("CreateCmqQueue:")]
    assert created == ["qb", "qa"]


def test_a_modify_call_carries_the_live_value_of_what_the_manifest_leaves_unmanaged() -> None:
    # The API sees a whole resource: an attribute the manifest does not set must reach it as
    # the live value, never as "unset" (which an API may send as a reset).
    sent: list[Queue] = []

    class Recording(FakeApi):
        def modify_queue(self, before: Queue, after: Queue) -> None:
            sent.append(after)
            super().modify_queue(before, after)

    api = Recording()
    converge(api, Stack(name="s", queues=(Queue("jobs", visibility_timeout=30, msg_retention_seconds=7200),)))
    converge(api, Stack(name="s", queues=(Queue("jobs", visibility_timeout=60),)))
    [after] = sent
    assert (after.visibility_timeout, after.msg_retention_seconds) == (60, 7200)


def test_a_queue_after_its_dead_letter_queue_keeps_its_place_for_the_topics_that_follow() -> None:
    """src waits for dlq (same kind): it goes right after it, being worth two subscriptions, and
    the topics those subscriptions need follow it before those of the queues behind it."""
    queues = (Queue("dlq"), Queue("q1"), Queue("q2"), Queue("q3"),
              Queue("src", dead_letter=DeadLetter("dlq", max_receive_count=3)))
    topics = tuple(Topic(f"t{i}") for i in range(4))
    subscriptions = (
        Subscription("t0", "a", Protocol.QUEUE, "src"), Subscription("t1", "b", Protocol.QUEUE, "src"),
        Subscription("t2", "c", Protocol.QUEUE, "q1"), Subscription("t3", "d", Protocol.QUEUE, "q2"),
    )
    api = FakeApi()
    converge(api, Stack(name="s", queues=queues, topics=topics, subscriptions=subscriptions), parallelism=1)
    created = [c.split(":")[1] for c in api.calls if c.startswith(("CreateCmqQueue:", "CreateCmqTopic:"))]
    assert created[:2] == ["dlq", "src"]
    assert [name for name in created if name.startswith("t")] == ["t0", "t1", "t2", "t3"]


def test_a_released_queue_and_topic_keep_everything_but_the_ownership_tags() -> None:
    api = FakeApi()
    owned = Stack(name="s", queues=(Queue("jobs", tags=(("team", "a"),)),), topics=(Topic("events"),))
    converge(api, owned)
    assert api.queues["jobs"][1][STACK_TAG] == "s" and api.topics["events"][1][STACK_TAG] == "s"
    converge(api, Stack(name="s", removed=(Removed("queue/jobs"), Removed("topic/events"))))
    assert api.queues["jobs"][1] == {"team": "a"}  # the resource and the user's tag stay
    assert STACK_TAG not in api.topics["events"][1]


def test_a_free_slot_goes_to_the_kind_with_the_fewest_steps_running() -> None:
    # Each kind's calls wait on their own rate budget: two slots go to a queue and a topic, not to
    # two queues that would queue up behind one budget.
    starts: list[str] = []
    desired = Stack(name="s", queues=tuple(Queue(f"q{i}") for i in range(3)),
                    topics=tuple(Topic(f"t{i}") for i in range(3)))
    api = FakeApi(delay=0.05)
    report = execute(make_plan(desired, api.read(desired)), api, parallelism=2,  # type: ignore[arg-type]
                     on_start=lambda step: starts.append(step.change.type))
    assert report.ok
    assert sorted(starts[:2]) == ["queue", "topic"]
