"""What the console shows, read from the one backend through its API actions (never the store
directly): the live state as cmqinfra's own values, the topology graph, a queue's detail, a
test message routed with the ``cmqinfra route`` matcher, the HTTP push log."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cmqinfra.cloud.normalize import queue_from_api, subscription_from_api, topic_from_api
from cmqinfra.emulator.backend import Backend
from cmqinfra.graph.build import Part, topology
from cmqinfra.graph.collapse import DEFAULT_MAX_FANOUT, collapse
from cmqinfra.graph.svg import to_svg
from cmqinfra.live import LiveQueue, LiveState, LiveSubscription, LiveTopic, name_key
from cmqinfra.model import Stack
from cmqinfra.routing_report import Message, route, to_json

PAGE = 50
GROUP = "emulator"
UNTAGGED = ""  # drawn outside any stack box


@dataclass(frozen=True)
class Snapshot:
    """Everything the emulator holds now, as a Stack (for the matcher and the graph) and live state."""

    stack: Stack
    live: LiveState
    raw_queues: dict[str, dict[str, Any]]  # name key -> DescribeCmqQueues entry


def _pages(backend: Backend, action: str, key: str, params: dict[str, Any] | None = None) -> Iterator[Any]:
    offset = 0
    while True:
        reply = backend.call(action, {**(params or {}), "Offset": offset, "Limit": PAGE})
        items = reply.get(key) or []
        yield from items
        offset += len(items)
        if not items or offset >= int(reply.get("TotalCount") or 0):
            return


def snapshot(backend: Backend) -> Snapshot:
    raw = {name_key(q["QueueName"]): q for q in _pages(backend, "DescribeCmqQueues", "QueueList")}
    queues: dict[str, LiveQueue] = {k: queue_from_api(q) for k, q in raw.items()}
    topics: dict[str, LiveTopic] = {}
    subs: dict[tuple[str, str], LiveSubscription] = {}
    for t in _pages(backend, "DescribeCmqTopics", "TopicList"):
        topic = topic_from_api(t)
        topics[name_key(topic.topic.name)] = topic
        for s in _pages(backend, "DescribeCmqSubscriptionDetail", "SubscriptionSet",
                        {"TopicName": topic.topic.name}):
            sub = subscription_from_api(topic.topic.name, s)
            subs[(name_key(topic.topic.name), sub.subscription.name)] = sub
    stack = Stack(
        name=GROUP,
        queues=tuple(q.queue for q in queues.values()),
        topics=tuple(t.topic for t in topics.values()),
        subscriptions=tuple(s.subscription for s in subs.values()),
    )
    return Snapshot(stack, LiveState(queues=queues, topics=topics, subscriptions=subs), raw)


def overview(snap: Snapshot) -> dict[str, Any]:
    """The topology page: every queue with its counts (dead-lettered: what its dead letter holds
    from it and others), every topic with its subscriptions."""
    queues = []
    for _, lq in sorted(snap.live.queues.items()):
        dl = lq.queue.dead_letter
        target = snap.live.queues.get(name_key(dl.queue)) if dl else None
        queues.append({
            "name": lq.queue.name,
            "active": lq.messages.active,
            "inFlight": lq.messages.inactive,
            "delayed": lq.messages.delayed,
            "deadLetterQueue": dl.queue if dl else None,
            "deadLettered": target.messages.total if target is not None else None,
            "deadLetterSources": list(lq.dead_letter_sources),
        })
    topics = [{
        "name": lt.topic.name,
        "filterType": lt.topic.filter_type.value,
        "subscriptions": [{
            "name": s.subscription.name,
            "protocol": s.subscription.protocol.value,
            "endpoint": s.subscription.endpoint,
            "filterTags": list(s.subscription.filter_tags),
            "bindingKeys": list(s.subscription.binding_keys),
        } for (tk, _), s in sorted(snap.live.subscriptions.items()) if tk == key],
    } for key, lt in sorted(snap.live.topics.items())]
    return {"queues": queues, "topics": topics}


def parts(snap: Snapshot) -> list[Part]:
    """One group per owning stack (the ``cmqinfra-stack`` tag), untagged resources apart."""
    live = snap.live
    owners: dict[str, tuple[list[Any], list[Any], list[Any]]] = {}

    def group(owner: str | None) -> tuple[list[Any], list[Any], list[Any]]:
        return owners.setdefault(owner or UNTAGGED, ([], [], []))

    for lq in live.queues.values():
        group(lq.owner)[0].append(lq.queue)
    topic_owner = {k: lt.owner for k, lt in live.topics.items()}
    for lt in live.topics.values():
        group(lt.owner)[1].append(lt.topic)
    for (topic_key, _), ls in live.subscriptions.items():
        group(topic_owner.get(topic_key))[2].append(ls.subscription)
    return [Part(name, Stack(name=name, queues=tuple(q), topics=tuple(t), subscriptions=tuple(s)), live)
            for name, (q, t, s) in sorted(owners.items(), key=lambda kv: (kv[0] == UNTAGGED, kv[0]))]


def topology_svg(snap: Snapshot) -> str:
    return to_svg(collapse(topology(parts(snap)), DEFAULT_MAX_FANOUT))


def queue_detail(snap: Snapshot, name: str) -> dict[str, Any] | None:
    raw = snap.raw_queues.get(name_key(name))
    if raw is None:
        return None
    shown = ("QueueName", "QueueId", "VisibilityTimeout", "PollingWaitSeconds", "MsgRetentionSeconds",
             "MaxMsgSize", "MaxMsgHeapNum", "RewindSeconds", "ActiveMsgNum", "InactiveMsgNum",
             "DelayMsgNum", "RewindMsgNum", "DeadLetterPolicy", "DeadLetterSource", "Tags", "CreateTime")
    return {k: raw.get(k) for k in shown}


def route_message(snap: Snapshot, topic: str, routing_key: str | None, tags: list[str]) -> dict[str, Any]:
    """Who receives it and why the others do not: the ``cmqinfra route`` report, on live state."""
    report = route(snap.stack, topic, Message(routing_key=routing_key, tags=tuple(tags)))
    return to_json(report)


def push_log(backend: Backend, limit: int = 200) -> list[dict[str, Any]]:
    """The latest HTTP push attempts, newest first, with the answer each one got."""
    attempts = list(backend.push_log)[-limit:]
    return [{
        "topic": a.topic,
        "subscription": a.subscription,
        "endpoint": a.endpoint,
        "msgId": a.msg_id,
        "attempt": a.attempt,
        "status": a.status,
        "delivered": a.delivered,
        "at": a.at,
        "nextRetry": a.next_retry,
        "body": _text(a.body),
    } for a in reversed(attempts)]


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")[:4096]
    except UnicodeDecodeError:
        return "base64:" + base64.b64encode(body[:3072]).decode("ascii")
