from __future__ import annotations

import json

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
from cmqinfra.plan.diff import attribute_changes
from cmqinfra.plan.shape import stack_from_data, stack_to_data, to_data


def full_stack() -> Stack:
    loc = SourceLocation("m.yaml", 4, 3)
    return Stack(
        name="s",
        region="ap-guangzhou",
        queues=(
            Queue(
                "a",
                visibility_timeout=60,
                max_msg_size=2048,
                retention_size_in_mb=10240,
                rewind_seconds=3600,
                trace=True,
                transaction=Transaction(10, 5),
                dead_letter=DeadLetter("b", max_time_to_live=600),
                tags=(("team", "x"),),
                protect=True,
                source=loc,
            ),
            Queue("b"),
        ),
        topics=(Topic("t", filter_type=FilterType.ROUTING_KEY, tags=(("k", "v"),), source=loc),),
        subscriptions=(
            Subscription("t", "s1", Protocol.QUEUE, "a", binding_keys=("x.#", "a.*")),
            Subscription(
                "t",
                "s2",
                Protocol.HTTP,
                "https://h",
                notify_strategy=NotifyStrategy.BACKOFF_RETRY,
                notify_content_format=NotifyContentFormat.JSON,
            ),
        ),
    )


def test_stack_round_trips_through_json_with_locations() -> None:
    stack = full_stack()
    back = stack_from_data(json.loads(json.dumps(stack_to_data(stack))))
    assert back == stack
    assert back.queues[0].source == stack.queues[0].source


def test_manifest_keys_and_shapes() -> None:
    data = to_data(full_stack().queues[0])
    assert data["retentionSizeInMB"] == 10240
    assert data["deadLetter"] == {"queue": "b", "maxTimeToLive": 600}
    assert data["transaction"] == {"firstQueryInterval": 10, "maxQueryCount": 5}
    assert data["tags"] == {"team": "x"}


def test_nested_and_list_paths() -> None:
    before = Queue("a", dead_letter=DeadLetter("b", max_receive_count=3), tags=(("team", "x"),))
    after = Queue("a", dead_letter=DeadLetter("b", max_receive_count=5), tags=(("team", "y"), ("env", "p")))
    changes = {c.path: (c.before, c.after) for c in attribute_changes(after, before)}
    assert changes == {"deadLetter.maxReceiveCount": (3, 5), "tags.team": ("x", "y"), "tags.env": (None, "p")}
    s1 = Subscription("t", "s", Protocol.QUEUE, "a", binding_keys=("a", "b"))
    s2 = Subscription("t", "s", Protocol.QUEUE, "a", binding_keys=("b", "a"))
    assert attribute_changes(s2, s1) == ()  # order does not matter
    s3 = Subscription("t", "s", Protocol.QUEUE, "a", binding_keys=("c",))
    (change,) = attribute_changes(s3, s1)
    assert (change.path, change.before, change.after) == ("bindingKeys", ["a", "b"], ["c"])


def test_names_are_case_insensitive() -> None:
    assert (
        attribute_changes(Queue("Orders", visibility_timeout=1), Queue("orders", visibility_timeout=1)) == ()
    )
