"""Offline routing simulation: which subscriptions of a topic receive a message, and why not.

The matching decision is always the emulator's matcher (``cmqinfra.routing``), so ``cmqinfra
route`` and the emulator's real fan-out can never disagree. This module only adds the
explanations a person needs to understand a miss.

Rules (CMQ documentation, "路由匹配" and FilterTag):
- tag topics: no filter tags receives everything; otherwise the subscription receives a message
  when its filter tags and the message tags intersect (a message without tags matches nothing).
- routingKey topics (RabbitMQ topic semantics): ``*`` is exactly one word, ``#`` zero or more
  words, an empty routing key matches ``#`` but not ``*``.
- a routingKey subscription without binding keys receives nothing: the documentation is silent,
  and like a RabbitMQ queue with no binding, nothing routes to it (the emulator agrees).
"""

from __future__ import annotations

from dataclasses import dataclass

from cmqinfra.live import name_key
from cmqinfra.model import FilterType, Protocol, Stack, Subscription, Topic
from cmqinfra.routing import binding_key_matches, filter_tags_match


class RouteError(Exception):
    """A question ``route`` cannot answer (unknown topic, wrong kind of key): one line."""


@dataclass(frozen=True)
class Message:
    """The message being simulated: a routing key (routingKey topics) or tags (tag topics)."""

    routing_key: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verdict:
    subscription: Subscription
    receives: bool
    reason: str
    endpoint_declared: bool  # for queue endpoints: is the queue in the manifest?


@dataclass(frozen=True)
class RouteReport:
    topic: Topic
    message: Message
    verdicts: tuple[Verdict, ...]

    @property
    def receivers(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.verdicts if v.receives)

    @property
    def deliveries(self) -> tuple[tuple[Protocol, str], ...]:
        """Distinct (protocol, endpoint) pairs the message reaches, in subscription order."""
        seen: dict[tuple[Protocol, str], None] = {}
        for verdict in self.receivers:
            sub = verdict.subscription
            seen.setdefault((sub.protocol, sub.endpoint), None)
        return tuple(seen)


def _list(items: tuple[str, ...]) -> str:
    return "[" + ", ".join(items) + "]"


def _quote(key: str) -> str:
    return f'"{key}"'


def explain_tags(filter_tags: tuple[str, ...], msg_tags: tuple[str, ...]) -> tuple[bool, str]:
    receives = filter_tags_match(list(filter_tags), list(msg_tags))
    if not filter_tags:
        return receives, "no filter tags: receives every message"
    if receives:
        common = tuple(t for t in filter_tags if t in msg_tags)
        return receives, f"filter tag {_list(common)} is among the message tags {_list(msg_tags)}"
    if not msg_tags:
        return receives, f"filter tags {_list(filter_tags)} set but the message has no tags"
    return receives, f"no filter tag of {_list(filter_tags)} is among the message tags {_list(msg_tags)}"


def _why_not(binding_key: str, routing_key: str) -> str:
    """Why one binding key does not match (only called when the matcher said no)."""
    words = binding_key.split(".")
    key_words = routing_key.split(".") if routing_key else []
    if "#" in words:
        literals = [w for w in words if w not in ("*", "#")]
        return (
            f'"#" matches zero or more words, but the other words {_list(tuple(literals))} '
            f"do not line up with {_quote(routing_key)}"
        )
    if "*" in words:
        if not routing_key:
            return '"*" matches exactly one word and the routing key is empty'
        if len(words) != len(key_words):
            return (
                f'"*" matches exactly one word ({len(words)} words in the binding key, '
                f"{len(key_words)} in the routing key)"
            )
    else:
        if len(words) != len(key_words):
            return f"without wildcards the words must be equal ({len(words)} vs {len(key_words)} words)"
    for position, (want, got) in enumerate(zip(words, key_words, strict=False), start=1):
        if want not in ("*", "#") and want != got:
            return f"word {position} is {_quote(got)}, not {_quote(want)}"
    return "the words differ"  # defensive: the matcher's view wins over this explanation


def explain_binding_keys(binding_keys: tuple[str, ...], routing_key: str) -> tuple[bool, str]:
    if not binding_keys:
        return False, "no binding keys: a routingKey subscription without binding keys receives nothing"
    for key in binding_keys:
        if binding_key_matches(key, routing_key):
            return True, f"binding key {_quote(key)} matches {_quote(routing_key)}"
    reasons = [
        f"binding key {_quote(key)} does not match {_quote(routing_key)}: {_why_not(key, routing_key)}"
        for key in binding_keys
    ]
    return False, "; ".join(reasons)


def find_topic(stack: Stack, name: str) -> Topic:
    wanted = name_key(name)
    for topic in stack.topics:
        if name_key(topic.name) == wanted:
            return topic
    declared = ", ".join(t.name for t in stack.topics) or "none"
    raise RouteError(f"topic {_quote(name)} is not declared in the manifest (declared topics: {declared})")


def route(stack: Stack, topic_name: str, message: Message) -> RouteReport:
    """Simulate publishing ``message`` to ``topic_name`` as the manifest declares it."""
    topic = find_topic(stack, topic_name)
    if topic.filter_type is FilterType.TAG and message.routing_key is not None:
        raise RouteError(
            f"topic {_quote(topic.name)} filters by tag: use --tag, not --routing-key"
        )
    if topic.filter_type is FilterType.ROUTING_KEY and message.tags:
        raise RouteError(
            f"topic {_quote(topic.name)} filters by routing key: use --routing-key, not --tag"
        )
    declared_queues = {name_key(q.name) for q in stack.queues}
    verdicts: list[Verdict] = []
    for sub in stack.subscriptions:
        if name_key(sub.topic) != name_key(topic.name):
            continue
        if topic.filter_type is FilterType.TAG:
            receives, reason = explain_tags(sub.filter_tags, message.tags)
        else:
            receives, reason = explain_binding_keys(sub.binding_keys, message.routing_key or "")
        declared = sub.protocol is not Protocol.QUEUE or name_key(sub.endpoint) in declared_queues
        verdicts.append(Verdict(sub, receives, reason, declared))
    return RouteReport(topic, message, tuple(verdicts))


def _message_text(report: RouteReport) -> str:
    if report.topic.filter_type is FilterType.ROUTING_KEY:
        key = report.message.routing_key or ""
        return f"routing key {_quote(key)}" if key else 'an empty routing key ""'
    tags = report.message.tags
    return f"tags {_list(tags)}" if tags else "no tags"


def _target(sub: Subscription) -> str:
    return f"{sub.protocol.value} {sub.endpoint}"


def render_text(report: RouteReport) -> str:
    topic = report.topic
    kind = topic.filter_type.value
    lines = [f"A message to topic/{topic.name} ({kind} topic) with {_message_text(report)}:"]
    if not report.verdicts:
        lines.append(f"  topic/{topic.name} has no subscriptions in the manifest.")
    for verdict in report.verdicts:
        sub = verdict.subscription
        mark = "receives" if verdict.receives else "skipped "
        note = "" if verdict.endpoint_declared else " (queue not declared in this manifest)"
        lines.append(f"  {mark} {sub.address} -> {_target(sub)}{note}")
        lines.append(f"           because {verdict.reason}")
    receivers = len(report.receivers)
    lines.append(f"{receivers} of {len(report.verdicts)} subscriptions receive the message.")
    if report.deliveries:
        lines.append("Delivered to: " + ", ".join(f"{p.value} {e}" for p, e in report.deliveries))
    return "\n".join(lines)


def to_json(report: RouteReport) -> dict[str, object]:
    return {
        "topic": report.topic.name,
        "filterType": report.topic.filter_type.value,
        "message": {"routingKey": report.message.routing_key, "tags": list(report.message.tags)},
        "subscriptions": [
            {
                "address": v.subscription.address,
                "name": v.subscription.name,
                "protocol": v.subscription.protocol.value,
                "endpoint": v.subscription.endpoint,
                "receives": v.receives,
                "reason": v.reason,
            }
            for v in report.verdicts
        ],
        "deliveries": [{"protocol": p.value, "endpoint": e} for p, e in report.deliveries],
    }
