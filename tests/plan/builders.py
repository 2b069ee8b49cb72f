"""Hand-built live states for the pure planner tests."""

from __future__ import annotations

from cmqinfra.live import LiveQueue, LiveState, LiveSubscription, LiveTopic, MessageCounts, name_key
from cmqinfra.model import Queue, Subscription, Topic


def live(
    queues: list[tuple[Queue, str | None]] = (),  # type: ignore[assignment]
    topics: list[tuple[Topic, str | None]] = (),  # type: ignore[assignment]
    subs: list[Subscription] = (),  # type: ignore[assignment]
    messages: dict[str, int] | None = None,
    endpoint_users: dict[str, tuple[str, ...]] | None = None,
) -> LiveState:
    messages = messages or {}
    sources: dict[str, list[str]] = {}
    for q, _ in queues:
        if q.dead_letter is not None:
            sources.setdefault(name_key(q.dead_letter.queue), []).append(q.name)
    return LiveState(
        queues={
            name_key(q.name): LiveQueue(
                queue=q,
                queue_id=f"id-{q.name}",
                owner=owner,
                protected=q.protect,
                messages=MessageCounts(active=messages.get(q.name, 0)),
                dead_letter_sources=tuple(sources.get(name_key(q.name), ())),
            )
            for q, owner in queues
        },
        topics={
            name_key(t.name): LiveTopic(topic=t, topic_id=f"id-{t.name}", owner=owner, protected=t.protect)
            for t, owner in topics
        },
        subscriptions={
            (name_key(s.topic), s.name): LiveSubscription(subscription=s, subscription_id=f"id-{s.name}")
            for s in subs
        },
        endpoint_users=endpoint_users or {},
    )


def q(name: str, **kw: object) -> Queue:
    """A queue with the visibility timeout the rule tests' live states are built with."""
    kw.setdefault("visibility_timeout", 30)
    return Queue(name=name, **kw)  # type: ignore[arg-type]
