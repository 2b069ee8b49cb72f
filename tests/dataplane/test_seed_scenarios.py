"""The seed documents' quick-start, run through the unmodified CMQ SDK against the emulator."""

from __future__ import annotations

import json

from cmq.account import Account
from cmq.queue import Message, QueueMeta
from cmq.subscription import SubscriptionMeta
from cmq.topic import Message as TopicMessage
from cmq.topic import TopicMeta

from cmqinfra.emulator import Emulator, VirtualClock

from .conftest import api3, cmq_code, make_queue


def _seed_queue(account: Account, name: str = "QueueForTest", **extra: int):
    return make_queue(account, name, visibilityTimeout=10, maxMsgSize=65536, pollingWaitSeconds=10, **extra)


def test_seed_queue_send_batch_receive_delete(account: Account) -> None:
    queue = _seed_queue(account)
    meta = queue.get_attributes()
    assert (meta.visibilityTimeout, meta.maxMsgSize, meta.pollingWaitSeconds) == (10, 65536, 10)
    assert meta.msgRetentionSeconds == 345600  # the SDK's default, inside the legacy range
    sent = queue.send_message(Message("I am test message."))
    batch = queue.batch_send_message([Message(f"I am test message {i}.") for i in range(3)])
    assert len(batch) == 3 and len({m.msgId for m in batch} | {sent.msgId}) == 4

    first = queue.receive_message(3)
    assert first.msgBody == "I am test message." and first.msgId == sent.msgId
    rest = queue.batch_receive_message(10, 3)  # more than there is: returns what is there
    assert sorted(m.msgBody for m in rest) == [f"I am test message {i}." for i in range(3)]
    queue.delete_message(first.receiptHandle)
    queue.batch_delete_message([m.receiptHandle for m in rest])
    meta = queue.get_attributes()
    assert (meta.activeMsgNum, meta.inactiveMsgNum) == (0, 0)


def test_seed_rewind_on_a_queue_with_rewind_seconds_43200(account: Account, clock: VirtualClock) -> None:
    queue = _seed_queue(account, rewindSeconds=43200)
    start = int(clock.now())
    clock.advance(5)
    for body in ("a", "b"):
        queue.send_message(Message(body))
    for message in queue.batch_receive_message(16, 0):
        queue.delete_message(message.receiptHandle)
    assert cmq_code(queue.receive_message, 0) == 7000
    assert queue.get_attributes().rewindmsgNum == 2
    queue.rewindQueue(start)
    again = queue.batch_receive_message(16, 0)
    assert [m.msgBody for m in again] == ["a", "b"]  # production order


def test_seed_delayed_message_counts_in_delay_msg_num(account: Account, clock: VirtualClock) -> None:
    queue = _seed_queue(account)
    queue.send_message(Message("later"), delayTime=60)
    meta = queue.get_attributes()
    assert (meta.delayMsgNum, meta.activeMsgNum) == (1, 0)
    assert cmq_code(queue.receive_message, 0) == 7000
    clock.advance(60)
    assert queue.receive_message(0).msgBody == "later"


def test_seed_tag_and_routed_messages_land_only_in_subscribed_queues(account: Account) -> None:
    for name in ("tagged", "untagged", "other", "routed", "unrouted"):
        _seed_queue(account, name)
    tags = account.get_topic("TagTopic")
    tags.create(TopicMeta())
    for sub, queue, filter_tags in (("s1", "tagged", ["TAG"]), ("s2", "other", ["OTHER"])):
        meta = SubscriptionMeta()
        meta.Endpoint, meta.Protocal, meta.NotifyContentFormat, meta.FilterTag = (
            queue,
            "queue",
            "SIMPLIFIED",
            filter_tags,
        )
        account.get_subscription("TagTopic", sub).create(meta)
    tags.publish_message(TopicMessage("tag message", ["TAG"]))

    routing = account.get_topic("TopicTest")
    meta = TopicMeta()
    meta.filterType = 2
    routing.create(meta)
    for sub, queue, keys in (("r1", "routed", ["1.*.0"]), ("r2", "unrouted", ["2.#"])):
        sub_meta = SubscriptionMeta()
        sub_meta.Endpoint, sub_meta.Protocal, sub_meta.NotifyContentFormat = queue, "queue", "SIMPLIFIED"
        sub_meta.bindingKey = keys
        account.get_subscription("TopicTest", sub).create(sub_meta)
    routing.publish_message(TopicMessage("routed message"), routingKey="1.test.0")

    held = {
        name: account.get_queue(name).get_attributes().activeMsgNum
        for name in ("tagged", "untagged", "other", "routed", "unrouted")
    }
    assert held == {"tagged": 1, "untagged": 0, "other": 0, "routed": 1, "unrouted": 0}
    assert account.get_queue("tagged").receive_message(0).msgBody == "tag message"
    assert account.get_queue("routed").receive_message(0).msgBody == "routed message"


def test_seed_dead_letter_after_max_receive_count(account: Account, clock: VirtualClock) -> None:
    dead = _seed_queue(account, "dead_queue_api")
    source = make_queue(account, "queue_api", visibilityTimeout=10)
    # The SDK's QueueMeta has no dead-letter field: the policy goes through SetQueueAttributes
    # as the legacy API documents it, a JSON string.
    account.cmq_client.set_queue_attributes(
        {
            "queueName": "queue_api",
            "deadLetterPolicy": json.dumps(
                {"deadLetterQueue": "dead_queue_api", "policy": 0, "maxReceiveCount": 3}
            ),
        }
    )
    source.send_message(Message("poison"))
    for expected in (1, 2, 3):
        assert source.receive_message(0).dequeueCount == expected
        clock.advance(10)
    assert cmq_code(source.receive_message, 0) == 7000
    moved = dead.receive_message(0)
    assert moved.msgBody == "poison" and moved.dequeueCount == 1


def test_api3_dead_letter_queue_of_seed_004(
    emu: Emulator, tdmq, account: Account, clock: VirtualClock
) -> None:
    api3(tdmq, "CreateCmqQueue", {"QueueName": "dead_queue_api"})
    api3(
        tdmq,
        "CreateCmqQueue",
        {
            "QueueName": "queue_api",
            "DeadLetterQueueName": "dead_queue_api",
            "Policy": 0,
            "MaxReceiveCount": 3,
            "VisibilityTimeout": 5,
        },
    )
    queue = account.get_queue("queue_api")
    queue.send_message(Message("poison"))
    for _ in range(3):
        queue.receive_message(0)
        clock.advance(5)
    detail = api3(tdmq, "DescribeCmqQueueDetail", {"QueueName": "dead_queue_api"})["QueueDescribe"]
    assert detail["ActiveMsgNum"] == 1
    assert account.get_queue("dead_queue_api").receive_message(0).msgBody == "poison"


def test_seed_queue_meta_defaults_round_trip(account: Account) -> None:
    queue = account.get_queue("Defaults")
    queue.create(QueueMeta())
    meta = queue.get_attributes()
    assert (meta.maxMsgHeapNum, meta.visibilityTimeout, meta.msgRetentionSeconds) == (10_000_000, 30, 345600)
