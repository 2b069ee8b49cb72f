"""``route``'s decisions and explanations, for every matching rule in the CMQ documentation."""

from __future__ import annotations

import pytest

from cmqinfra.model import FilterType, Protocol, Queue, Stack, Subscription, Topic
from cmqinfra.routing_report import Message, RouteError, explain_binding_keys, explain_tags, route


def sub(topic: str, name: str, *, tags: tuple[str, ...] = (), keys: tuple[str, ...] = (),
        endpoint: str | None = None) -> Subscription:
    return Subscription(topic=topic, name=name, protocol=Protocol.QUEUE, endpoint=endpoint or f"{name}-q",
                        filter_tags=tags, binding_keys=keys)


@pytest.mark.parametrize(
    ("binding_key", "routing_key", "receives"),
    [
        # the documentation's own examples
        ("1.*.0", "1.test.0", True),
        ("1.*.0", "1.anything.0", True),
        ("1.#.0", "1.2.3.4.4.2.2.0", True),
        ("1.*.0", "1.2.3.4.4.2.2.0", False),
        # "*" is exactly one word
        ("1.*.0", "1.0", False),
        ("order.*.created", "order.eu.paid.created", False),
        ("*", "a", True),
        ("*", "a.b", False),
        # "#" is zero or more words
        ("1.#.0", "1.0", True),
        ("1.#.0", "1.2.0", True),
        ("#", "a.b.c", True),
        ("a.#", "a", True),
        ("a.#", "b.a", False),
        ("#.z", "a.b.z", True),
        # empty routing key matches "#" but not "*"
        ("#", "", True),
        ("*", "", False),
        # no wildcards: exact words
        ("a.b", "a.b", True),
        ("a.b", "a.c", False),
        ("a.b", "a.b.c", False),
    ],
)
def test_binding_key_rules(binding_key: str, routing_key: str, receives: bool) -> None:
    decided, reason = explain_binding_keys((binding_key,), routing_key)
    assert decided is receives
    assert f'"{binding_key}"' in reason
    assert ("does not match" in reason) is (not receives)


def test_star_explanation_names_the_one_word_rule() -> None:
    _, reason = explain_binding_keys(("order.*.created",), "order.eu.paid.created")
    assert reason.startswith('binding key "order.*.created" does not match "order.eu.paid.created": '
                             '"*" matches exactly one word')


def test_empty_key_against_star_says_the_key_is_empty() -> None:
    _, reason = explain_binding_keys(("*",), "")
    assert "routing key is empty" in reason


def test_literal_mismatch_names_the_word() -> None:
    _, reason = explain_binding_keys(("a.b.c",), "a.x.c")
    assert 'word 2 is "x", not "b"' in reason


def test_any_of_several_binding_keys_is_enough() -> None:
    receives, reason = explain_binding_keys(("x.*", "1.#.0"), "1.2.0")
    assert receives
    assert reason == 'binding key "1.#.0" matches "1.2.0"'


def test_every_failing_key_is_explained() -> None:
    receives, reason = explain_binding_keys(("x.*", "y"), "1.2.0")
    assert not receives
    assert '"x.*" does not match' in reason and '"y" does not match' in reason


def test_no_binding_keys_receives_nothing() -> None:
    receives, reason = explain_binding_keys((), "a.b")
    assert not receives
    assert "no binding keys" in reason


@pytest.mark.parametrize(
    ("filter_tags", "msg_tags", "receives", "reason"),
    [
        ((), (), True, "no filter tags: receives every message"),
        ((), ("x",), True, "no filter tags: receives every message"),
        (("a", "b"), ("b", "c"), True, "filter tag [b] is among the message tags [b, c]"),
        (("a", "b"), ("c",), False, "no filter tag of [a, b] is among the message tags [c]"),
        (("a", "b"), (), False, "filter tags [a, b] set but the message has no tags"),
    ],
)
def test_tag_rules(
    filter_tags: tuple[str, ...], msg_tags: tuple[str, ...], receives: bool, reason: str
) -> None:
    assert explain_tags(filter_tags, msg_tags) == (receives, reason)


def stack() -> Stack:
    return Stack(
        name="shop",
        queues=(Queue(name="eu-q"), Queue(name="all-q")),
        topics=(Topic(name="orders", filter_type=FilterType.ROUTING_KEY), Topic(name="news")),
        subscriptions=(
            sub("orders", "eu", keys=("order.eu.*",), endpoint="eu-q"),
            sub("orders", "all", keys=("order.#",), endpoint="all-q"),
            sub("orders", "none"),
            sub("news", "sport", tags=("sport",)),
            sub("news", "everything"),
        ),
    )


def test_route_on_a_routing_topic_lists_receivers_and_reasons() -> None:
    report = route(stack(), "ORDERS", Message(routing_key="order.eu.created"))
    assert report.topic.name == "orders"
    assert [v.subscription.name for v in report.receivers] == ["eu", "all"]
    assert [(p, e) for p, e in report.deliveries] == [(Protocol.QUEUE, "eu-q"), (Protocol.QUEUE, "all-q")]
    skipped = [v for v in report.verdicts if not v.receives]
    assert [v.subscription.name for v in skipped] == ["none"]
    assert [v.endpoint_declared for v in report.verdicts] == [True, True, False]


def test_route_without_a_routing_key_is_the_empty_key() -> None:
    report = route(stack(), "orders", Message())
    assert report.receivers == ()
    assert "the routing key is empty" in report.verdicts[0].reason


def test_route_on_a_tag_topic() -> None:
    report = route(stack(), "news", Message(tags=("weather",)))
    assert [v.subscription.name for v in report.receivers] == ["everything"]


@pytest.mark.parametrize(
    ("topic", "message", "expected"),
    [
        ("nope", Message(), 'topic "nope" is not declared in the manifest (declared topics: orders, news)'),
        ("news", Message(routing_key="a"), 'topic "news" filters by tag: use --tag, not --routing-key'),
        (
            "orders",
            Message(tags=("a",)),
            'topic "orders" filters by routing key: use --routing-key, not --tag',
        ),
    ],
)
def test_questions_route_cannot_answer(topic: str, message: Message, expected: str) -> None:
    with pytest.raises(RouteError) as info:
        route(stack(), topic, message)
    assert str(info.value) == expected
