from __future__ import annotations

import json

from cmqinfra.model import (
    DeadLetter,
    FilterType,
    Import,
    Moved,
    NotifyContentFormat,
    NotifyStrategy,
    Protocol,
    Queue,
    Removed,
    SourceLocation,
    Stack,
    Subscription,
    Topic,
    Transaction,
)
from cmqinfra.plan.diff import attribute_changes
from cmqinfra.plan.shape import manifest_value, stack_from_data, stack_to_data, to_data


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


def test_refactoring_entries_round_trip_with_their_locations() -> None:
    # A saved plan recomputes from this data: a lost moved/removed/import entry (or its
    # location, which its diagnostics name) would plan differently at apply.
    def loc(line: int) -> SourceLocation:
        return SourceLocation("m.yaml", line, 5)

    stack = Stack(
        name="new",
        source=loc(1),
        renamed_from="old",
        moved=(
            Moved("queue/in", from_stack="giver", source=loc(2)),
            Moved("topic/out", to_stack="taker", source=loc(3)),
        ),
        removed=(Removed("queue/kept", source=loc(4)),),
        imports=(Import("queue/found", id="cmq-q-1", source=loc(5)), Import("topic/bare", source=loc(6))),
    )
    data = json.loads(json.dumps(stack_to_data(stack)))
    back = stack_from_data(data)
    assert back == stack
    assert back.renamed_from == "old"
    assert back.moved == (Moved("queue/in", "giver", None), Moved("topic/out", None, "taker"))
    assert back.removed == (Removed("queue/kept"),)
    assert back.imports == (Import("queue/found", "cmq-q-1"), Import("topic/bare", None))
    entries = (*back.moved, *back.removed, *back.imports)
    assert [back.source] + [e.source for e in entries] == [loc(n) for n in range(1, 7)]
    # the saved plan's own spelling (what an older or newer cmqinfra reads)
    assert data["renamedFrom"] == "old"
    assert data["moved"][0] == {
        "address": "queue/in", "fromStack": "giver", "toStack": None,
        "source": {"file": "m.yaml", "line": 2, "column": 5},
    }
    assert data["removed"] == [
        {"address": "queue/kept", "source": {"file": "m.yaml", "line": 4, "column": 5}}
    ]
    assert data["import"][0] == {
        "address": "queue/found", "id": "cmq-q-1", "source": {"file": "m.yaml", "line": 5, "column": 5}
    }


def test_a_stack_without_refactoring_entries_reads_back_without_them() -> None:
    back = stack_from_data({"name": "s", "moved": None, "removed": None, "import": None})
    assert (back.renamed_from, back.moved, back.removed, back.imports) == (None, (), (), ())


def test_manifest_value_of_a_list_keeps_every_item_in_order() -> None:
    # export writes filterTags / bindingKeys as the user wrote them
    assert manifest_value(("b", "a")) == ["b", "a"]
    assert manifest_value((FilterType.TAG, FilterType.ROUTING_KEY)) == ["tag", "routingKey"]


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
