"""The legacy CMQ SDK (qcloud-cmq-sdk-py3) through every action it has, with each of its request
methods (POST, GET) and signature methods (HmacSHA1, its default, and HmacSHA256), against the
emulator's /v2/index.php door. What the seed scenarios already cover (send, batch send, receive,
batch receive, delete, rewind, delays, fan-out, dead letters) is tested in tests/dataplane; here
each action is driven once under each client configuration, and checked across both doors."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cmq.account import Account
from cmq.cmq_exception import CMQServerException
from cmq.queue import Message, QueueMeta
from cmq.subscription import SubscriptionMeta
from cmq.topic import Message as TopicMessage
from cmq.topic import TopicMeta

from cmqinfra.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Emulator, VirtualClock

CONFIGURATIONS = [("POST", "sha1"), ("GET", "sha256"), ("POST", "sha256"), ("GET", "sha1")]


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(start=float(int(time.time())))


@pytest.fixture
def emu(tmp_path: Path, clock: VirtualClock) -> Iterator[Emulator]:
    emulator = Emulator.start(tmp_path / "e.sqlite3", rate_limits=False, clock=clock, push_loop=False)
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture(params=CONFIGURATIONS, ids=[f"{m}-{s}" for m, s in CONFIGURATIONS])
def account(request: pytest.FixtureRequest, emu: Emulator) -> Account:
    method, sign = request.param
    account = Account(emu.url, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY)
    account.set_sign(sign)
    account.get_client().set_method(method)
    account.close_log()
    return account


def code_of(call: Any, *args: Any) -> int:
    with pytest.raises(CMQServerException) as info:
        call(*args)
    return int(info.value.code)


def api3(emu: Emulator, action: str, params: dict[str, Any]) -> dict[str, Any]:
    return emu.backend.call(action, params)


def test_queue_actions(account: Account, emu: Emulator, clock: VirtualClock) -> None:
    meta = QueueMeta()
    meta.visibilityTimeout, meta.pollingWaitSeconds, meta.rewindSeconds, meta.maxMsgHeapNum = (
        20,
        1,
        3600,
        2000000,
    )
    for name in ("jobs-a", "jobs-b", "other"):
        account.get_queue(name).create(meta)
    # CreateQueue of an existing name: the documented "queue already exists" code.
    assert code_of(account.get_queue("jobs-a").create, meta) == 4460

    total, listed, next_offset = account.list_queue(searchWord="jobs")
    assert total == 2 and sorted(q["queueName"] for q in listed) == ["jobs-a", "jobs-b"] and next_offset == ""
    total, page, next_offset = account.list_queue(limit=2)
    assert total == 3 and len(page) == 2 and next_offset == 2
    _, rest, next_offset = account.list_queue(limit=2, offset=2)
    assert len(rest) == 1 and next_offset == ""
    assert {q["queueName"] for q in page + rest} == {"jobs-a", "jobs-b", "other"}

    queue = account.get_queue("jobs-a")
    got = queue.get_attributes()
    assert (got.visibilityTimeout, got.pollingWaitSeconds, got.rewindSeconds, got.maxMsgHeapNum) == (
        20,
        1,
        3600,
        2000000,
    )
    changed = QueueMeta()
    changed.visibilityTimeout, changed.msgRetentionSeconds, changed.rewindSeconds = 45, 7200, 0
    queue.set_attributes(changed)
    got = queue.get_attributes()
    assert (got.visibilityTimeout, got.msgRetentionSeconds, got.rewindSeconds) == (45, 7200, 0)
    # The other door sees the same queue with the same attributes.
    detail = api3(emu, "DescribeCmqQueueDetail", {"QueueName": "jobs-a"})["QueueDescribe"]
    assert (detail["VisibilityTimeout"], detail["MsgRetentionSeconds"]) == (45, 7200)

    sent = queue.send_message(Message("one"))
    batch = queue.batch_send_message([Message("two"), Message("three")])
    received = queue.batch_receive_message(16, 0)
    assert {m.msgId for m in received} == {sent.msgId, *(m.msgId for m in batch)}
    queue.delete_message(received[0].receiptHandle)
    queue.batch_delete_message([m.receiptHandle for m in received[1:]])
    assert code_of(queue.receive_message, 0) == 7000

    rewinding = account.get_queue("jobs-b")
    rewinding.send_message(Message("again"))
    first = rewinding.receive_message(0)
    rewinding.delete_message(first.receiptHandle)
    rewinding.rewindQueue(int(clock.now()) - 1)
    assert rewinding.receive_message(0).msgBody == "again"

    queue.delete()
    assert code_of(queue.get_attributes) == 4440
    assert code_of(queue.send_message, Message("x")) == 4440
    total, listed, _ = account.list_queue()
    assert total == 2 and "jobs-a" not in {q["queueName"] for q in listed}


def test_topic_and_subscription_actions(account: Account, emu: Emulator) -> None:
    for name in ("inbox", "audit"):
        account.get_queue(name).create(QueueMeta())
    topic = account.get_topic("events")
    meta = TopicMeta()
    meta.maxMsgSize = 32768
    topic.create(meta)
    account.get_topic("events-b").create(TopicMeta())
    assert code_of(topic.create, meta) == 4000  # no dedicated code for a topic (module 10590)

    total, listed, next_offset = account.list_topic(searchWord="events")
    assert total == 2 and {t["topicName"] for t in listed} == {"events", "events-b"} and next_offset == ""
    total, page, next_offset = account.list_topic(limit=1)
    assert total == 2 and len(page) == 1 and next_offset == 1

    got = topic.get_attributes()
    assert (got.maxMsgSize, got.filterType) == (32768, 1)
    bigger = TopicMeta()
    bigger.maxMsgSize = 65536
    topic.set_attributes(bigger)
    assert topic.get_attributes().maxMsgSize == 65536
    assert (
        api3(emu, "DescribeCmqTopicDetail", {"TopicName": "events"})["TopicDescribe"]["MaxMsgSize"] == 65536
    )

    for name, queue, tags in (("to-inbox", "inbox", ["mail"]), ("to-audit", "audit", ["audit"])):
        sub_meta = SubscriptionMeta()
        sub_meta.Endpoint, sub_meta.Protocal, sub_meta.NotifyContentFormat = queue, "queue", "SIMPLIFIED"
        sub_meta.FilterTag = tags
        account.get_subscription("events", name).create(sub_meta)
    assert code_of(account.get_subscription("events", "to-audit").create, sub_meta) == 4490
    total, subs, next_offset = topic.list_subscription()
    assert total == 2 and {s["subscriptionName"] for s in subs} == {"to-inbox", "to-audit"}
    total, subs, _ = topic.list_subscription(searchWord="to-in")
    assert total == 1 and subs[0]["subscriptionName"] == "to-inbox"

    inbox = account.get_subscription("events", "to-inbox")
    got_sub = inbox.get_attributes()
    assert (got_sub.Protocal, got_sub.NotifyContentFormat, got_sub.FilterTag) == (
        "queue",
        "SIMPLIFIED",
        ["mail"],
    )
    changed = SubscriptionMeta()
    changed.NotifyStrategy, changed.NotifyContentFormat, changed.FilterTag = (
        "BACKOFF_RETRY",
        "",
        ["mail", "news"],
    )
    inbox.set_attributes(changed)
    got_sub = inbox.get_attributes()
    assert got_sub.NotifyStrategy == "BACKOFF_RETRY" and sorted(got_sub.FilterTag) == ["mail", "news"]

    published = topic.publish_message(TopicMessage("hello", ["news"]))
    assert published.msgId
    ids = topic.batch_publish_message([TopicMessage("b1"), TopicMessage("b2")], msgtag=["audit"])
    assert len({m.msgId for m in ids}) == 2
    assert account.get_queue("inbox").receive_message(0).msgBody == "hello"
    assert sorted(m.msgBody for m in account.get_queue("audit").batch_receive_message(16, 0)) == ["b1", "b2"]

    # Without filter tags the subscription takes every message, tagged or not.
    inbox.clearFilterTags()
    assert inbox.get_attributes().FilterTag == []
    topic.publish_message(TopicMessage("untagged"))
    assert account.get_queue("inbox").receive_message(0).msgBody == "untagged"
    assert code_of(account.get_queue("audit").receive_message, 0) == 7000

    inbox.delete()
    total, subs, _ = topic.list_subscription()
    assert [s["subscriptionName"] for s in subs] == ["to-audit"]
    assert code_of(topic.delete) == 4000  # a topic with subscriptions stays (module 10540)
    account.get_subscription("events", "to-audit").delete()
    topic.delete()
    assert code_of(topic.get_attributes) == 4440
    total, listed, _ = account.list_topic()
    assert [t["topicName"] for t in listed] == ["events-b"]


def test_routing_key_topic_actions(account: Account) -> None:
    account.get_queue("eu").create(QueueMeta())
    meta = TopicMeta()
    meta.filterType = 2
    topic = account.get_topic("orders")
    topic.create(meta)
    sub_meta = SubscriptionMeta()
    sub_meta.Endpoint, sub_meta.Protocal, sub_meta.bindingKey = "eu", "queue", ["order.eu.*"]
    sub_meta.NotifyContentFormat = "SIMPLIFIED"
    account.get_subscription("orders", "eu").create(sub_meta)
    assert account.get_subscription("orders", "eu").get_attributes().bindingKey == ["order.eu.*"]
    topic.batch_publish_message([TopicMessage("p1"), TopicMessage("p2")], routingKey="order.eu.paid")
    topic.publish_message(TopicMessage("us"), routingKey="order.us.paid")
    bodies = sorted(m.msgBody for m in account.get_queue("eu").batch_receive_message(16, 0))
    assert bodies == ["p1", "p2"]


def test_wrong_key_is_refused_with_the_documented_code(emu: Emulator) -> None:
    account = Account(emu.url, DEFAULT_SECRET_ID, "not-the-key")
    account.close_log()
    with pytest.raises(CMQServerException) as info:
        account.list_queue()
    assert int(info.value.code) == 4100
