"""The judge: does the live account hold exactly the stack, once each, and nothing else changed?

Pure functions over an ``Account`` (read through the SDK by ``account.py``) and the desired
``Stack``, returning human-readable problems, so a failing test says precisely what is wrong.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from cmqinfra.model import PROTECT_TAG, RESERVED_TAG_PREFIX, STACK_TAG, Queue, Stack, Topic

from .account import Account, LiveQueueRecord, LiveSubscriptionRecord, LiveTopicRecord

# model field -> CmqQueue / CmqTopic field
QUEUE_API = {
    "visibility_timeout": "VisibilityTimeout",
    "polling_wait_seconds": "PollingWaitSeconds",
    "msg_retention_seconds": "MsgRetentionSeconds",
    "max_msg_heap_num": "MaxMsgHeapNum",
    "max_msg_size": "MaxMsgSize",
    "rewind_seconds": "RewindSeconds",
    "retention_size_in_mb": "RetentionSizeInMB",
    "trace": "Trace",
}
TOPIC_API = {"max_msg_size": "MaxMsgSize", "msg_retention_seconds": "MsgRetentionSeconds", "trace": "Trace"}


def _key(name: str) -> str:
    return name.casefold()


def owner(tags: tuple[tuple[str, str], ...]) -> str | None:
    return dict(tags).get(STACK_TAG)


def duplicates(account: Account) -> list[str]:
    """Names that exist more than once (queue and topic names are case-insensitive)."""
    out: list[str] = []
    for kind, names in (
        ("queue", [q.name for q in account.queues]),
        ("topic", [t.name for t in account.topics]),
    ):
        for name, count in Counter(_key(n) for n in names).items():
            if count > 1:
                out.append(f"{kind}/{name} exists {count} times")
    subs = Counter((_key(s.topic), s.name) for s in account.subscriptions)
    for (topic, name), count in subs.items():
        if count > 1:
            out.append(f"subscription/{topic}/{name} exists {count} times")
    ids = Counter(
        [q.queue_id for q in account.queues]
        + [t.topic_id for t in account.topics]
        + [s.subscription_id for s in account.subscriptions]
    )
    out += [f"id {i} is used {c} times" for i, c in ids.items() if c > 1]
    return out


def _check_tags(
    address: str, desired: Queue | Topic, stack: str, live: tuple[tuple[str, str], ...]
) -> list[str]:
    out: list[str] = []
    tags = dict(live)
    if tags.get(STACK_TAG) != stack:
        out.append(f"{address}: owner tag is {tags.get(STACK_TAG)!r}, want {stack!r}")
    if (tags.get(PROTECT_TAG) == "true") != desired.protect:
        out.append(f"{address}: protect tag is {tags.get(PROTECT_TAG)!r}, want protect={desired.protect}")
    user = tuple(sorted((k, v) for k, v in live if not k.startswith(RESERVED_TAG_PREFIX)))
    if user != tuple(sorted(desired.tags)):
        out.append(f"{address}: tags {dict(user)} != {dict(desired.tags)}")
    return out


def _check_queue(q: Queue, live: LiveQueueRecord, stack: str) -> list[str]:
    out = _check_tags(q.address, q, stack, live.tags)
    for field_name, api in QUEUE_API.items():
        want = getattr(q, field_name)
        if want is not None and live.attribute(api) != want:
            out.append(f"{q.address}: {api} is {live.attribute(api)!r}, want {want!r}")
    dl = q.dead_letter
    if dl is None:
        if live.dead_letter is not None:
            out.append(f"{q.address}: has dead letter {live.dead_letter}, want none")
    else:
        want_dl = (_key(dl.queue), dl.api_policy)
        got = live.dead_letter
        if got is None or (_key(got[0]), got[1]) != want_dl:
            out.append(f"{q.address}: dead letter {got}, want {dl}")
        elif dl.max_receive_count is not None and got[2] != dl.max_receive_count:
            out.append(f"{q.address}: MaxReceiveCount {got[2]}, want {dl.max_receive_count}")
        elif dl.max_time_to_live is not None and got[3] != dl.max_time_to_live:
            out.append(f"{q.address}: MaxTimeToLive {got[3]}, want {dl.max_time_to_live}")
    if q.transaction is None:
        if live.transaction is not None:
            out.append(f"{q.address}: is a transaction queue, want not")
    elif live.transaction is None:
        out.append(f"{q.address}: is not a transaction queue")
    else:
        t = q.transaction
        for want, got, label in (
            (t.first_query_interval, live.transaction[0], "FirstQueryInterval"),
            (t.max_query_count, live.transaction[1], "MaxQueryCount"),
        ):
            if want is not None and want != got:
                out.append(f"{q.address}: {label} {got}, want {want}")
    return out


def _check_topic(t: Topic, live: LiveTopicRecord, stack: str) -> list[str]:
    out = _check_tags(t.address, t, stack, live.tags)
    if live.filter_type != t.filter_type.api_value:
        out.append(f"{t.address}: FilterType {live.filter_type}, want {t.filter_type.api_value}")
    for field_name, api in TOPIC_API.items():
        want = getattr(t, field_name)
        if want is not None and live.attribute(api) != want:
            out.append(f"{t.address}: {api} is {live.attribute(api)!r}, want {want!r}")
    return out


def problems(stack: Stack, account: Account) -> list[str]:
    """Everything that keeps the live account from holding exactly ``stack``, once each."""
    out = duplicates(account)
    live_q = {_key(q.name): q for q in account.queues}
    live_t = {_key(t.name): t for t in account.topics}
    want_q = {_key(q.name): q for q in stack.queues}
    want_t = {_key(t.name): t for t in stack.topics}

    for key, q in want_q.items():
        if key not in live_q:
            out.append(f"{q.address}: missing")
        else:
            out += _check_queue(q, live_q[key], stack.name)
    for key, t in want_t.items():
        if key not in live_t:
            out.append(f"{t.address}: missing")
        else:
            out += _check_topic(t, live_t[key], stack.name)
    out += [
        f"queue/{q.name}: owned by the stack but not in the manifest"
        for q in account.queues
        if owner(q.tags) == stack.name and _key(q.name) not in want_q
    ]
    out += [
        f"topic/{t.name}: owned by the stack but not in the manifest"
        for t in account.topics
        if owner(t.tags) == stack.name and _key(t.name) not in want_t
    ]

    # Subscriptions belong to their topic: on the stack's topics the set must match exactly.
    stack_topics = set(want_t) | {_key(t.name) for t in account.topics if owner(t.tags) == stack.name}
    live_s: dict[tuple[str, str], LiveSubscriptionRecord] = {
        (_key(s.topic), s.name): s for s in account.subscriptions if _key(s.topic) in stack_topics
    }
    want_s = {(_key(s.topic), s.name): s for s in stack.subscriptions}
    for key, s in want_s.items():
        got = live_s.get(key)
        if got is None:
            out.append(f"{s.address}: missing")
            continue
        checks: list[tuple[str, object, object]] = [
            ("Protocol", got.protocol, s.protocol.value),
            (
                "Endpoint",
                _key(got.endpoint or "") if s.protocol.value == "queue" else got.endpoint,
                _key(s.endpoint) if s.protocol.value == "queue" else s.endpoint,
            ),
            ("FilterTags", got.filter_tags, tuple(sorted(s.filter_tags))),
            ("BindingKey", got.binding_keys, tuple(sorted(s.binding_keys))),
        ]
        if s.notify_strategy is not None:
            checks.append(("NotifyStrategy", got.notify_strategy, s.notify_strategy.value))
        if s.notify_content_format is not None:
            checks.append(("NotifyContentFormat", got.notify_content_format, s.notify_content_format.value))
        out += [f"{s.address}: {label} is {g!r}, want {w!r}" for label, g, w in checks if g != w]
    out += [
        f"subscription/{s.topic}/{s.name}: on a stack topic but not in the manifest"
        for key, s in live_s.items()
        if key not in want_s
    ]
    return out


@dataclass(frozen=True)
class Outside:
    """Everything that belongs to none of the given stacks, exactly as read (ids, times, tags)."""

    queues: frozenset[LiveQueueRecord]
    topics: frozenset[LiveTopicRecord]
    subscriptions: frozenset[LiveSubscriptionRecord]


def outside(account: Account, *stacks: Stack) -> Outside:
    names = {s.name for s in stacks}
    mine_q = {_key(q.name) for s in stacks for q in s.queues}
    mine_t = {_key(t.name) for s in stacks for t in s.topics}
    topics = frozenset(t for t in account.topics if owner(t.tags) not in names and _key(t.name) not in mine_t)
    topic_keys = {_key(t.name) for t in topics}
    return Outside(
        queues=frozenset(
            q for q in account.queues if owner(q.tags) not in names and _key(q.name) not in mine_q
        ),
        topics=topics,
        subscriptions=frozenset(s for s in account.subscriptions if _key(s.topic) in topic_keys),
    )


def changed_outside(before: Outside, after: Outside) -> list[str]:
    """What differs between two snapshots of the resources outside the stack."""
    out: list[str] = []
    for kind, b, a in (
        ("queue", before.queues, after.queues),
        ("topic", before.topics, after.topics),
        ("subscription", before.subscriptions, after.subscriptions),
    ):
        out += [f"{kind} outside the stack changed or vanished: {r}" for r in b - a]
        out += [f"{kind} outside the stack appeared or changed: {r}" for r in a - b]
    return out
