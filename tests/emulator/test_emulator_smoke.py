from __future__ import annotations

from typing import Any

from emulator_helpers import call, expect_error
from tencentcloud.tdmq.v20200217 import models


def test_queue_create_describe_delete_round_trip(tdmq_client: Any) -> None:
    created = call(tdmq_client, "CreateCmqQueue", {"QueueName": "orders"})
    assert created["QueueId"].startswith("cmqq-")
    request = models.DescribeCmqQueueDetailRequest()
    request.QueueName = "orders"
    detail = tdmq_client.DescribeCmqQueueDetail(request).QueueDescribe
    assert detail.QueueId == created["QueueId"]
    assert detail.MsgRetentionSeconds == 3600 and detail.MaxMsgSize == 1048576
    call(tdmq_client, "DeleteCmqQueue", {"QueueName": "orders"})
    expect_error(tdmq_client, "DescribeCmqQueueDetail", {"QueueName": "orders"}, "ResourceNotFound")


def test_topic_and_subscription_crud(tdmq_client: Any) -> None:
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "sink"})
    assert call(tdmq_client, "CreateCmqTopic", {"TopicName": "events"})["TopicId"].startswith("cmqt-")
    sub = call(
        tdmq_client,
        "CreateCmqSubscribe",
        {"TopicName": "events", "SubscriptionName": "to-sink", "Protocol": "queue", "Endpoint": "sink"},
    )
    assert sub["SubscriptionId"].startswith("subsc-")
    listed = call(tdmq_client, "DescribeCmqSubscriptionDetail", {"TopicName": "events"})
    assert [s["SubscriptionName"] for s in listed["SubscriptionSet"]] == ["to-sink"]
    call(tdmq_client, "DeleteCmqSubscribe", {"TopicName": "events", "SubscriptionName": "to-sink"})
    call(tdmq_client, "DeleteCmqTopic", {"TopicName": "events"})
    expect_error(tdmq_client, "DescribeCmqTopicDetail", {"TopicName": "events"}, "ResourceNotFound.Topic")
