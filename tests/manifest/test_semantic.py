"""One test per semantic rule the schema cannot express, asserting message and location."""

from __future__ import annotations

import pytest

from cmqinfra.manifest.schema import show

from .conftest import messages

TOPIC = "stack: s\ntopics:\n  t:\n    filterType: {ftype}\n    subscriptions:\n      sub:\n{body}"


def sub(ftype: str, **fields: str) -> str:
    body = "".join(
        f"        {k}: {v}\n" for k, v in {"protocol": "queue", "endpoint": "work", **fields}.items()
    )
    return TOPIC.format(ftype=ftype, body=body)


def only(result) -> tuple[str, int, int]:
    assert result.stack is None
    [diag] = result.diagnostics
    return diag.message, diag.location.line, diag.location.column


@pytest.mark.parametrize("name", ["1abc", "a.b", "a b", "x" * 65, "ünicode", "-x"])
def test_queue_names_must_match_the_pattern(load, name: str) -> None:
    message, line, column = only(load(f'stack: s\nqueues:\n  "{name}": {{}}\n'))
    assert message.startswith("invalid queue name") and (line, column) == (3, 3)


def test_topic_and_subscription_names_must_match_the_pattern(load) -> None:
    result = load(
        "stack: s\ntopics:\n  t.x:\n    subscriptions:\n      '9s': {protocol: http, endpoint: 'http://h'}\n"
    )
    assert [(d.message.split(" name")[0], d.location.line) for d in result.diagnostics] == [
        ("invalid topic", 3),
        ("invalid subscription", 5),
    ]


def test_names_of_64_characters_are_fine(load) -> None:
    assert load(f"stack: s\nqueues:\n  {'q' * 64}: {{}}\n").stack is not None


@pytest.mark.parametrize("name", ["jobs-retry", "jobs-dlq", "jobs-Retry"])
def test_queue_names_may_not_end_in_reserved_suffixes(load, name: str) -> None:
    message, line, _ = only(load(f"stack: s\nqueues:\n  {name}: {{}}\n"))
    assert "reserved by the service" in message and line == 3


def test_topic_names_may_end_in_dlq(load) -> None:
    assert load("stack: s\ntopics:\n  events-dlq: {}\n").stack is not None


def test_queue_names_are_unique_case_insensitively(load) -> None:
    message, line, _ = only(load("stack: s\nqueues:\n  jobs: {}\n  JOBS: {}\n"))
    assert "case-insensitive" in message and line == 4


def test_topic_names_are_unique_case_insensitively_across_files(load) -> None:
    result = load(
        **{"a.yaml": "stack: s\ntopics:\n  Events: {}\n", "b.yaml": "stack: s\ntopics:\n  events: {}\n"}
    )
    message, line, _ = only(result)
    assert result.diagnostics[0].location.file.endswith("b.yaml") and "Events" in message and line == 3


def test_a_queue_and_a_topic_may_share_a_name(load) -> None:
    assert load("stack: s\nqueues:\n  x: {}\ntopics:\n  x: {}\n").stack is not None


@pytest.mark.parametrize(
    ("policy", "got"),
    [("{queue: d}", "neither"), ("{queue: d, maxReceiveCount: 2, maxTimeToLive: 400}", "both")],
)
def test_dead_letter_needs_exactly_one_limit(load, policy: str, got: str) -> None:
    message, line, column = only(load(f"stack: s\nqueues:\n  q:\n    deadLetter: {policy}\n"))
    assert message.endswith(f"(got {got})") and (line, column) == (4, 5)


def test_max_time_to_live_below_effective_retention(load) -> None:
    ok = (
        "stack: s\nqueues:\n  q:\n    msgRetentionSeconds: 601\n"
        "    deadLetter: {queue: d, maxTimeToLive: 600}\n"
    )
    assert load(ok).stack is not None
    message, line, _ = only(load(ok.replace("601", "600")))
    assert message == "deadLetter maxTimeToLive (600) must be less than the queue's msgRetentionSeconds (600)"
    assert line == 5
    # without msgRetentionSeconds the default (3600) applies
    message, _, _ = only(load("stack: s\nqueues:\n  q:\n    deadLetter: {queue: d, maxTimeToLive: 3600}\n"))
    assert "(3600)" in message


def test_dead_letter_not_its_own_queue(load) -> None:
    message, line, column = only(
        load("stack: s\nqueues:\n  q:\n    deadLetter: {queue: Q, maxReceiveCount: 1}\n")
    )
    assert message == 'queue "q" cannot be its own dead-letter queue' and (line, column) == (4, 25)


def test_dead_letter_cycle(load) -> None:
    result = load(
        "stack: s\nqueues:\n  b: {deadLetter: {queue: a, maxReceiveCount: 1}}\n"
        "  a: {deadLetter: {queue: b, maxReceiveCount: 1}}\n"
    )
    message, line, _ = only(result)
    assert message == "dead-letter cycle: a -> b -> a" and line == 4


def test_dead_letter_outside_queue_is_fine_and_a_chain_is_refused(load) -> None:
    # A dead-letter queue may not have one itself (the service's rule, docs/emulator.md 39).
    result = load("stack: s\nqueues:\n  b: {deadLetter: {queue: elsewhere, maxReceiveCount: 1}}\n")
    assert result.diagnostics == [] and result.stack is not None
    result = load(
        "stack: s\nqueues:\n  a: {deadLetter: {queue: b, maxReceiveCount: 1}}\n"
        "  b: {deadLetter: {queue: elsewhere, maxReceiveCount: 1}}\n"
    )
    message, line, _ = only(result)
    assert "dead-letter queues do not nest" in message and line == 3


def test_binding_keys_only_on_routing_key_topics(load) -> None:
    assert load(sub("routingKey", bindingKeys="[a.b]")).stack is not None
    message, line, _ = only(load(sub("tag", bindingKeys="[a.b]")))
    assert message.startswith("bindingKeys need a routingKey topic") and line == 9


def test_binding_key_limits(load) -> None:
    assert load(sub("routingKey", bindingKeys=f"['{'a' * 64}', '{'.'.join('a' * 16)}']")).stack is not None
    result = load(sub("routingKey", bindingKeys=f"['{'a' * 65}', '{'.'.join('a' * 17)}']"))
    assert messages(result) == [
        f"binding key {show('a' * 65)} is 65 bytes long (at most 64)",
        f'binding key "{".".join("a" * 17)}" has 16 dots (at most 15)',
    ]
    assert load(sub("routingKey", bindingKeys="[a, b, c, d, e, f]")).stack is None


def test_filter_tags_only_on_tag_topics(load) -> None:
    assert load(sub("tag", filterTags="[a, b]")).stack is not None
    message, line, _ = only(load(sub("routingKey", filterTags="[a]")))
    assert message.startswith("filterTags need a tag topic") and line == 9


def test_filter_tag_limits(load) -> None:
    assert load(sub("tag", filterTags=f"[{'x' * 16}]")).stack is not None
    assert only(load(sub("tag", filterTags=f"[{'x' * 17}]")))[0].startswith(
        "filterTags[0] must be at most 16"
    )
    assert only(load(sub("tag", filterTags="[a, b, c, d, e, f]")))[0].startswith(
        "filterTags may have at most 5"
    )


def test_queue_subscription_needs_simplified(load) -> None:
    assert load(sub("tag", notifyContentFormat="SIMPLIFIED")).stack is not None
    message, line, _ = only(load(sub("tag", notifyContentFormat="JSON")))
    assert message == "a queue subscription needs notifyContentFormat SIMPLIFIED (got JSON)" and line == 9


@pytest.mark.parametrize(
    ("endpoint", "ok"),
    [("https://h.example/x", True), ("http://h", True), ("ftp://h", False), ("h.example", False)],
)
def test_http_endpoint_scheme(load, endpoint: str, ok: bool) -> None:
    result = load(sub("tag", protocol="http", endpoint=f"'{endpoint}'"))
    assert (result.stack is not None) is ok
    if not ok:
        assert only(result)[0].startswith("an http subscription's endpoint must start with http://")


def test_queue_endpoint_outside_the_manifest_is_allowed(load) -> None:
    assert load(sub("tag", endpoint="somewhere-else")).stack is not None


def test_retention_size_only_with_rewind(load) -> None:
    assert load("stack: s\nqueues:\n  q: {rewindSeconds: 60, retentionSizeInMB: 10240}\n").stack is not None
    message, line, column = only(
        load("stack: s\nqueues:\n  q: {rewindSeconds: 0, retentionSizeInMB: 10240}\n")
    )
    assert message == "retentionSizeInMB needs rewind on (rewindSeconds > 0)" and (line, column) == (3, 25)


def test_reserved_tag_prefix(load) -> None:
    message, line, column = only(load("stack: s\ntopics:\n  t:\n    tags: {cmqinfra-protect: 'true'}\n"))
    assert message.startswith('tag key "cmqinfra-protect" is reserved') and (line, column) == (4, 12)
    assert only(load("stack: s\ndefaults:\n  queue:\n    tags: {cmqinfra-x: y}\n"))[1] == 4
