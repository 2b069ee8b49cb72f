"""The CMQ API's management actions through the SDK, and each door's own ranges."""

from __future__ import annotations

import json

import pytest
from cmq.account import Account
from cmq.queue import QueueMeta
from cmq.subscription import SubscriptionMeta
from cmq.topic import Message as TopicMessage
from cmq.topic import TopicMeta
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from .conftest import api3, cmq_code, make_queue


def test_each_door_enforces_its_own_retention_range(account: Account, tdmq) -> None:  # type: ignore[no-untyped-def]
    make_queue(account, "legacy-long", msgRetentionSeconds=1_296_000)  # legacy maximum
    with pytest.raises(TencentCloudSDKException) as info:
        api3(tdmq, "CreateCmqQueue", {"QueueName": "api3-long", "MsgRetentionSeconds": 345600})
    assert info.value.code == "InvalidParameterValue"
    api3(tdmq, "CreateCmqQueue", {"QueueName": "api3-short", "MsgRetentionSeconds": 30})  # API 3.0 minimum
    meta = QueueMeta()
    meta.queueName, meta.msgRetentionSeconds = "legacy-short", 30
    assert cmq_code(account.get_queue("legacy-short").create, meta) == 4000
    detail = api3(tdmq, "DescribeCmqQueueDetail", {"QueueName": "legacy-long"})["QueueDescribe"]
    assert (detail["MsgRetentionSeconds"], detail["MaxMsgSize"]) == (1_296_000, 65536)
    assert account.get_queue("api3-short").get_attributes().msgRetentionSeconds == 30
    assert (
        cmq_code(make_queue, account, "rewind-too-long", msgRetentionSeconds=600, rewindSeconds=601) == 4000
    )


def test_queue_management_round_trip(account: Account, tdmq) -> None:  # type: ignore[no-untyped-def]
    queue = make_queue(account, "managed")
    assert cmq_code(make_queue, account, "MANAGED") == 4460  # names are case-insensitive
    meta = queue.get_attributes()
    meta.visibilityTimeout, meta.maxMsgSize, meta.pollingWaitSeconds = 99, 2048, 7
    queue.set_attributes(meta)
    again = queue.get_attributes()
    assert (again.visibilityTimeout, again.maxMsgSize, again.pollingWaitSeconds) == (99, 2048, 7)
    detail = api3(tdmq, "DescribeCmqQueueDetail", {"QueueName": "managed"})["QueueDescribe"]
    assert (detail["VisibilityTimeout"], detail["MaxMsgSize"]) == (99, 2048)
    make_queue(account, "other")
    total, listed, _ = account.list_queue(searchWord="manag")
    assert (total, [q["queueName"] for q in listed]) == (1, ["managed"])
    queue.delete()
    assert cmq_code(queue.get_attributes) == 4440
    assert account.list_queue()[0] == 1


def test_topic_and_subscription_management_round_trip(account: Account) -> None:
    make_queue(account, "sink")
    topic = account.get_topic("news")
    meta = TopicMeta()
    meta.maxMsgSize = 4096
    topic.create(meta)
    meta = topic.get_attributes()
    assert (meta.maxMsgSize, meta.filterType, meta.msgRetentionSeconds) == (4096, 1, 86400)
    meta.maxMsgSize = 8192
    topic.set_attributes(meta)
    assert topic.get_attributes().maxMsgSize == 8192
    assert account.list_topic()[0] == 1

    sub = account.get_subscription("news", "to-sink")
    sub_meta = SubscriptionMeta()
    sub_meta.Endpoint, sub_meta.Protocal, sub_meta.NotifyContentFormat = "sink", "queue", "SIMPLIFIED"
    sub_meta.FilterTag = ["a", "b"]
    sub.create(sub_meta)
    assert cmq_code(sub.create, sub_meta) == 4490
    got = sub.get_attributes()
    assert (got.Protocal, got.FilterTag) == ("queue", ["a", "b"])
    raw = account.cmq_client.get_subscription_attributes({"topicName": "news", "subscriptionName": "to-sink"})
    assert raw["endpoint"] == "sink"  # the SDK files it under maxMsgHeapNum, so read it raw
    got.FilterTag = ["c"]
    sub.set_attributes(got)
    assert sub.get_attributes().FilterTag == ["c"]
    sub.clearFilterTags()
    assert sub.get_attributes().FilterTag == []
    total, subs, _ = topic.list_subscription()
    assert (total, subs[0]["subscriptionName"], subs[0]["endpoint"]) == (1, "to-sink", "sink")
    assert cmq_code(topic.delete) == 4000  # still subscribed
    sub.delete()
    topic.delete()
    assert cmq_code(topic.get_attributes) == 4440


def test_dead_letter_sources_listed_and_unbound(account: Account) -> None:
    make_queue(account, "dlq")
    for name in ("src-a", "src-b"):
        make_queue(account, name)
        account.cmq_client.set_queue_attributes(
            {
                "queueName": name,
                "deadLetterPolicy": json.dumps({"deadLetterQueue": "dlq", "maxReceiveCount": 2}),
            }
        )
    listed = account.cmq_client.request("ListDeadLetterSourceQueues", {"deadLetterQueueName": "dlq"})
    reply = json.loads(listed.data)
    assert (reply["code"], reply["totalCount"]) == (0, 2)
    assert [q["queueName"] for q in reply["queueList"]] == ["src-a", "src-b"]
    assert cmq_code(account.get_queue("dlq").delete) == 4000  # still a dead-letter queue
    for name in ("src-a", "src-b"):
        assert (
            json.loads(account.cmq_client.request("UnbindDeadLetterQueue", {"queueName": name}).data)["code"]
            == 0
        )
    account.get_queue("dlq").delete()


def test_publish_that_reaches_nobody_succeeds_or_answers_6030_when_set(emu, account: Account) -> None:  # type: ignore[no-untyped-def]
    topic = account.get_topic("lonely")
    topic.create(TopicMeta())
    topic.publish_message(TopicMessage("dropped"))
    emu.backend.unmatched_publish_error = True
    assert cmq_code(topic.publish_message, TopicMessage("dropped")) == 6030
    make_queue(account, "picky")
    sub = SubscriptionMeta()
    sub.Endpoint, sub.Protocal, sub.NotifyContentFormat, sub.FilterTag = "picky", "queue", "SIMPLIFIED", ["x"]
    account.get_subscription("lonely", "s").create(sub)
    assert cmq_code(topic.publish_message, TopicMessage("no match", ["y"])) == 6030
    topic.publish_message(TopicMessage("match", ["x"]))
    assert account.get_queue("picky").get_attributes().activeMsgNum == 1
