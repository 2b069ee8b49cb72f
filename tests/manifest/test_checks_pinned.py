"""The semantic checks at their edges: what each one skips, where it points, and that one
finding never hides the next."""

from __future__ import annotations

from cmqinfra.manifest.schema import show


def found(result) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(d.message, f"{d.location.line}:{d.location.column}") for d in result.diagnostics]


def test_a_name_declared_twice_across_files_names_the_first_place(load) -> None:
    result = load(
        **{"a.yaml": "stack: s\nqueues:\n  jobs: {}\n", "b.yaml": "stack: s\nqueues:\n  jobs: {}\n"}
    )
    [(message, where)] = found(result)
    assert message.startswith('queue "jobs" is declared twice (also at ') and message.endswith("a.yaml:3:3)")
    assert where == "3:3" and str(result.diagnostics[0].location.file).endswith("b.yaml")


def test_subscription_names_repeat_freely_across_topics(load) -> None:
    text = (
        "stack: s\nqueues:\n  w: {}\n  w2: {}\n  W: {}\ntopics:\n"
        "  t: {subscriptions: {same: {protocol: queue, endpoint: w}}}\n"
        "  u: {subscriptions: {same: {protocol: queue, endpoint: w}}}\n"
    )
    assert [m for m, _ in found(load(text))] == [
        'queue "W" clashes with "w" at ' + _at(load, text) + " (queue names are case-insensitive)"
    ]


def _at(load, text: str) -> str:  # type: ignore[no-untyped-def]
    return str(load(text).diagnostics[0].location.file) + ":3:3"


def test_dead_letter_findings_point_at_the_key_and_do_not_stop_at_a_malformed_entry(load) -> None:
    text = (
        "stack: s\nqueues:\n"
        "  bad:\n    deadLetter: 5\n"
        "  both:\n    deadLetter: {queue: t, maxReceiveCount: 1, maxTimeToLive: 400}\n"
        "  t: {}\n"
    )
    semantic = [f for f in found(load(text)) if f[0].startswith("deadLetter needs")]
    assert semantic == [
        ("deadLetter needs exactly one of maxReceiveCount or maxTimeToLive (got both)", "6:5")
    ]


def test_a_malformed_retention_is_not_replaced_by_the_default_for_the_ttl_check(load) -> None:
    text = (
        "stack: s\nqueues:\n  t: {}\n  q:\n    msgRetentionSeconds: lots\n"
        "    deadLetter: {queue: t, maxTimeToLive: 5000}\n"
    )
    assert not [m for m, _ in found(load(text)) if "maxTimeToLive (5000)" in m]
    omitted = "stack: s\nqueues:\n  t: {}\n  q:\n    deadLetter: {queue: t, maxTimeToLive: 5000}\n"
    assert [m for m, _ in found(load(omitted)) if "maxTimeToLive (5000)" in m]


def test_every_dead_letter_cycle_is_reported_once_past_chains_that_end(load) -> None:
    text = (
        "stack: s\nqueues:\n"
        "  a: {deadLetter: {queue: b, maxReceiveCount: 1}}\n  b: {}\n"
        "  c: {deadLetter: {queue: d, maxReceiveCount: 1}}\n"
        "  d: {deadLetter: {queue: c, maxReceiveCount: 1}}\n"
        "  e: {deadLetter: {queue: f, maxReceiveCount: 1}}\n"
        "  f: {deadLetter: {queue: e, maxReceiveCount: 1}}\n"
    )
    assert [m for m, _ in found(load(text))] == [
        "dead-letter cycle: c -> d -> c",
        "dead-letter cycle: e -> f -> e",
    ]


def test_rewind_storage_is_checked_on_every_queue(load) -> None:
    text = "stack: s\nqueues:\n  a: {}\n  b: {retentionSizeInMB: 10240}\n"
    assert found(load(text)) == [("retentionSizeInMB needs rewind on (rewindSeconds > 0)", "4:7")]


def test_binding_keys_checks_skip_what_the_schema_already_refuses(load) -> None:
    text = (
        "stack: s\ntopics:\n  t:\n    subscriptions:\n"
        "      s: {protocol: queue, endpoint: w, bindingKeys: x}\nqueues:\n  w: {}\n"
    )
    assert not [m for m, _ in found(load(text)) if m.startswith("bindingKeys need")]
    long = "k" * 65
    text = (
        "stack: s\nqueues:\n  w: {}\ntopics:\n  t:\n    filterType: routingKey\n    subscriptions:\n"
        f"      s: {{protocol: queue, endpoint: w, bindingKeys: [5, {long}]}}\n"
    )
    assert [m for m, _ in found(load(text)) if m.startswith("binding key")] == [
        f"binding key {show(long)} is 65 bytes long (at most 64)"
    ]


def test_reserved_tag_keys_are_refused_in_topic_defaults_too(load) -> None:
    text = "stack: s\ndefaults:\n  topic:\n    tags: {cmqinfra-x: y}\ntopics:\n  t: {}\n"
    assert found(load(text)) == [
        ('tag key "cmqinfra-x" is reserved: keys starting with "cmqinfra-" belong to cmqinfra', "4:12")
    ]


def test_checks_go_on_past_a_subscription_into_the_next_file(load) -> None:
    first = "stack: s\ntopics:\n  t: {subscriptions: {s1: {protocol: http, endpoint: 'http://h'}}}\n"
    second = "stack: s\nqueues:\n  w: {}\n  W: {}\n  v: {tags: {team: ''}}\n"
    said = [m for m, _ in found(load(**{"a.yaml": first, "b.yaml": second}))]
    assert any(m.startswith('queue "W" clashes with "w"') for m in said), said
    assert any(m.startswith('tag "team" has an empty value') for m in said), said


def test_an_empty_tag_value_is_refused_at_the_tags_key(load) -> None:
    text = "stack: s\nqueues:\n  w:\n    visibilityTimeout: 30\n    tags: {team: x, env: ''}\n"
    assert found(load(text)) == [
        ('tag "env" has an empty value: the Tag service needs 1 to 255 characters', "5:5")
    ]


def _tagged(count: int, protect: bool, kind: str = "queues") -> str:
    tags = ", ".join(f"k{i}: v" for i in range(count))
    guard = "    protect: true\n" if protect else ""
    return f"stack: s\n{kind}:\n  w:\n    visibilityTimeout: 30\n    tags: {{{tags}}}\n{guard}"


def test_the_tag_limit_counts_cmqinfras_own_tags(load) -> None:
    # 50 in all: the stack tag, and the protect tag when protected
    assert found(load(_tagged(49, False))) == []
    assert found(load(_tagged(48, True))) == []
    assert found(load(_tagged(50, False))) == [
        ('queue "w" has 50 tags; with cmqinfra\'s own 1 that is more than the 50 a resource may carry', "5:5")
    ]
    assert [m for m, _ in found(load(_tagged(49, True)))] == [
        'queue "w" has 49 tags; with cmqinfra\'s own 2 that is more than the 50 a resource may carry'
    ]
    topic = _tagged(50, False, "topics").replace("visibilityTimeout: 30", "trace: true")
    assert [m for m, _ in found(load(topic))] == [
        'topic "w" has 50 tags; with cmqinfra\'s own 1 that is more than the 50 a resource may carry'
    ]


def test_the_exactly_one_dead_letter_rule_points_at_the_dead_letter_key(load) -> None:
    text = (
        "stack: s\nqueues:\n  t: {}\n  q:\n    visibilityTimeout: 30\n"
        "    deadLetter: {queue: t}\n"
    )
    assert [f for f in found(load(text)) if f[0].startswith("deadLetter needs")] == [
        ("deadLetter needs exactly one of maxReceiveCount or maxTimeToLive (got neither)", "6:5")
    ]


def test_a_push_endpoint_is_named_in_its_refusal_and_may_be_exactly_500_characters() -> None:
    from cmqinfra.manifest.checks import http_endpoint_problem

    assert http_endpoint_problem("http://a b") == (
        f"an http subscription's endpoint must not contain spaces (got {show('http://a b')})"
    )
    assert http_endpoint_problem("http://:80/x") == (
        f"an http subscription's endpoint must name a host (got {show('http://:80/x')})"
    )
    assert http_endpoint_problem("http://[x/") == (
        f"an http subscription's endpoint must name a host (got {show('http://[x/')})"
    )
    edge = "https://h/" + "p" * 490
    assert len(edge) == 500 and http_endpoint_problem(edge) is None
    assert http_endpoint_problem(edge + "p") == (
        "an http subscription's endpoint is 501 characters long (at most 500)"
    )


def test_tags_on_a_subscription_are_one_unknown_field_not_also_a_tag_finding(load) -> None:
    text = (
        "stack: s\ntopics:\n"
        "  t: {subscriptions: {s1: {protocol: http, endpoint: 'http://h', tags: {a: ''}}}}\n"
    )
    assert [m.split(" (hint")[0] for m, _ in found(load(text))] == ['unknown field "tags"']
