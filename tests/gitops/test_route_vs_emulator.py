"""``route``'s answer equals the emulator's real fan-out (publish via the SDK, count messages)."""

from __future__ import annotations

from typing import Any

import pytest
from tencentcloud.tdmq.v20200217 import models

from cmqinfra.model import FilterType, Protocol, Queue, Stack, Subscription, Topic
from cmqinfra.routing_report import Message, route

ROUTING_SUBS = {
    "one-word": ["1.*.0"],
    "any-middle": ["1.#.0"],
    "order-created": ["order.*.created"],
    "everything": ["#"],
    "single": ["*"],
    "two-keys": ["a.b", "x.#"],
    "unbound": [],
}
TAG_SUBS = {"no-filter": [], "sport": ["sport"], "sport-or-news": ["sport", "news"]}

ROUTING_MESSAGES = ["1.test.0", "1.2.3.4.4.2.2.0", "1.0", "order.eu.created", "order.eu.paid.created",
                    "", "a", "a.b", "x", "x.y.z"]
TAG_MESSAGES: list[tuple[str, ...]] = [(), ("sport",), ("news", "weather"), ("weather",)]


def stack() -> Stack:
    subs = [Subscription("routes", n, Protocol.QUEUE, f"r-{n}", binding_keys=tuple(k))
            for n, k in ROUTING_SUBS.items()]
    subs += [Subscription("tagged", n, Protocol.QUEUE, f"t-{n}", filter_tags=tuple(t))
             for n, t in TAG_SUBS.items()]
    queues = [Queue(name=s.endpoint) for s in subs]
    return Stack(name="fanout", queues=tuple(queues),
                 topics=(Topic(name="routes", filter_type=FilterType.ROUTING_KEY), Topic(name="tagged")),
                 subscriptions=tuple(subs))


def build(client: Any, declared: Stack) -> None:
    for queue in declared.queues:
        req = models.CreateCmqQueueRequest()
        req.QueueName = queue.name
        client.CreateCmqQueue(req)
    for topic in declared.topics:
        req = models.CreateCmqTopicRequest()
        req.TopicName = topic.name
        req.FilterType = topic.filter_type.api_value
        client.CreateCmqTopic(req)
    for sub in declared.subscriptions:
        req = models.CreateCmqSubscribeRequest()
        req.TopicName, req.SubscriptionName = sub.topic, sub.name
        req.Protocol, req.Endpoint = "queue", sub.endpoint
        req.NotifyContentFormat = "SIMPLIFIED"
        if sub.binding_keys:
            req.BindingKey = list(sub.binding_keys)
        if sub.filter_tags:
            req.FilterTag = list(sub.filter_tags)
        client.CreateCmqSubscribe(req)


def active_counts(client: Any, declared: Stack) -> dict[str, int]:
    req = models.DescribeCmqQueuesRequest()
    req.Limit = 50
    req.QueueNameList = [q.name for q in declared.queues]
    resp = client.DescribeCmqQueues(req)
    return {q.QueueName: q.ActiveMsgNum or 0 for q in resp.QueueList}


def test_route_agrees_with_the_emulators_fan_out(tdmq_client: Any) -> None:
    declared = stack()
    build(tdmq_client, declared)
    expected: dict[str, int] = {q.name: 0 for q in declared.queues}
    checked = 0
    for key in ROUTING_MESSAGES:
        req = models.PublishCmqMsgRequest()
        req.TopicName, req.MsgContent = "routes", f"key={key!r}"
        if key:
            req.MsgTag = [key]  # a routing topic's message carries its routing key as its one tag
        tdmq_client.PublishCmqMsg(req)
        for queue in route(declared, "routes", Message(routing_key=key)).deliveries:
            expected[queue[1]] += 1
        checked += 1
    for tags in TAG_MESSAGES:
        req = models.PublishCmqMsgRequest()
        req.TopicName, req.MsgContent = "tagged", f"tags={tags}"
        if tags:
            req.MsgTag = list(tags)
        tdmq_client.PublishCmqMsg(req)
        for queue in route(declared, "tagged", Message(tags=tags)).deliveries:
            expected[queue[1]] += 1
        checked += 1
    assert checked == len(ROUTING_MESSAGES) + len(TAG_MESSAGES)
    assert active_counts(tdmq_client, declared) == expected
    # the comparison is not vacuous: some queues got several messages, the unbound one none
    assert expected["r-everything"] == len(ROUTING_MESSAGES)
    assert expected["r-unbound"] == 0
    assert expected["t-no-filter"] == len(TAG_MESSAGES)


@pytest.mark.parametrize("key", ["1.test.0", "1.2.3.4.4.2.2.0", ""])
def test_seed_examples_reach_the_documented_queues(tdmq_client: Any, key: str) -> None:
    declared = stack()
    build(tdmq_client, declared)
    req = models.PublishCmqMsgRequest()
    req.TopicName, req.MsgContent = "routes", "m"
    if key:
        req.MsgTag = [key]
    tdmq_client.PublishCmqMsg(req)
    counts = active_counts(tdmq_client, declared)
    receivers = {name for name, n in counts.items() if n}
    assert receivers == {e for _, e in route(declared, "routes", Message(routing_key=key)).deliveries}
    if key == "1.test.0":
        assert {"r-one-word", "r-any-middle", "r-everything"} == receivers
    elif key == "1.2.3.4.4.2.2.0":
        assert {"r-any-middle", "r-everything"} == receivers
    else:
        assert receivers == {"r-everything"}
