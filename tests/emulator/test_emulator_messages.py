"""Messages: send, publish fan-out by tag and routing key, counts, clear, rewind."""

from __future__ import annotations

import time
from typing import Any

from emulator_helpers import call, expect_error

from cmqinfra.emulator import Emulator


def counts(client: Any, queue: str) -> tuple[int, int]:
    described = call(client, "DescribeCmqQueueDetail", {"QueueName": queue})["QueueDescribe"]
    return described["ActiveMsgNum"], described["DelayMsgNum"]


def test_send_counts_active_and_delayed(tdmq_client: Any) -> None:
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "q", "MsgRetentionSeconds": 60})
    sent = call(tdmq_client, "SendCmqMsg", {"QueueName": "q", "MsgContent": "now", "DelaySeconds": 0})
    assert sent["Result"] is True and sent["MsgId"]
    call(tdmq_client, "SendCmqMsg", {"QueueName": "q", "MsgContent": "soon", "DelaySeconds": 1})
    call(tdmq_client, "SendCmqMsg", {"QueueName": "q", "MsgContent": "later", "DelaySeconds": 60})
    assert counts(tdmq_client, "q") == (1, 2)
    time.sleep(1.1)
    assert counts(tdmq_client, "q") == (2, 1)
    expect_error(
        tdmq_client,
        "SendCmqMsg",
        {"QueueName": "q", "MsgContent": "x", "DelaySeconds": 61},
        "InvalidParameterValue",
        "DelaySeconds",
    )
    expect_error(
        tdmq_client,
        "SendCmqMsg",
        {"QueueName": "q", "MsgContent": "x", "DelaySeconds": -1},
        "InvalidParameterValue",
        "DelaySeconds",
    )
    expect_error(
        tdmq_client,
        "SendCmqMsg",
        {"QueueName": "ghost", "MsgContent": "x", "DelaySeconds": 0},
        "ResourceNotFound",
    )
    expect_error(
        tdmq_client, "SendCmqMsg", {"QueueName": "q", "MsgContent": "x"}, "MissingParameter", "DelaySeconds"
    )


def test_message_size_limit(tdmq_client: Any) -> None:
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "small", "MaxMsgSize": 1024})
    call(tdmq_client, "SendCmqMsg", {"QueueName": "small", "MsgContent": "x" * 1024, "DelaySeconds": 0})
    expect_error(
        tdmq_client,
        "SendCmqMsg",
        {"QueueName": "small", "MsgContent": "x" * 1025, "DelaySeconds": 0},
        "InvalidParameterValue",
        "MsgContent",
    )
    call(tdmq_client, "CreateCmqTopic", {"TopicName": "t", "MaxMsgSize": 1024})
    expect_error(
        tdmq_client,
        "PublishCmqMsg",
        {"TopicName": "t", "MsgContent": "x" * 1025},
        "InvalidParameterValue",
        "MsgContent",
    )


def test_clear_empties_the_queue(tdmq_client: Any) -> None:
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "q"})
    for delay in (0, 0, 30):
        call(tdmq_client, "SendCmqMsg", {"QueueName": "q", "MsgContent": "m", "DelaySeconds": delay})
    assert counts(tdmq_client, "q") == (2, 1)
    call(tdmq_client, "ClearCmqQueue", {"QueueName": "q"})
    assert counts(tdmq_client, "q") == (0, 0)


def test_publish_fans_out_by_filter_tags(tdmq_client: Any) -> None:
    call(tdmq_client, "CreateCmqTopic", {"TopicName": "t"})
    for queue, tags in (
        ("all", None),
        ("red", ["red"]),
        ("red-or-blue", ["red", "blue"]),
        ("green", ["green"]),
    ):
        call(tdmq_client, "CreateCmqQueue", {"QueueName": queue})
        params: dict[str, Any] = {
            "TopicName": "t",
            "SubscriptionName": queue,
            "Protocol": "queue",
            "Endpoint": queue,
        }
        if tags:
            params["FilterTag"] = tags
        call(tdmq_client, "CreateCmqSubscribe", params)
    call(tdmq_client, "PublishCmqMsg", {"TopicName": "t", "MsgContent": "untagged"})
    call(tdmq_client, "PublishCmqMsg", {"TopicName": "t", "MsgContent": "r", "MsgTag": ["red"]})
    call(tdmq_client, "PublishCmqMsg", {"TopicName": "t", "MsgContent": "b", "MsgTag": ["blue", "yellow"]})
    assert counts(tdmq_client, "all") == (3, 0)
    assert counts(tdmq_client, "red") == (1, 0)
    assert counts(tdmq_client, "red-or-blue") == (2, 0)
    assert counts(tdmq_client, "green") == (0, 0)


def test_publish_fans_out_by_routing_key(tdmq_client: Any) -> None:
    call(tdmq_client, "CreateCmqTopic", {"TopicName": "r", "FilterType": 2})
    for queue, keys in (
        ("star", ["1.*.0"]),
        ("hash", ["1.#.0"]),
        ("any", ["#"]),
        ("one", ["*"]),
        ("none", None),
    ):
        call(tdmq_client, "CreateCmqQueue", {"QueueName": queue})
        params: dict[str, Any] = {
            "TopicName": "r",
            "SubscriptionName": queue,
            "Protocol": "queue",
            "Endpoint": queue,
        }
        if keys:
            params["BindingKey"] = keys
        call(tdmq_client, "CreateCmqSubscribe", params)
    for key in ("1.a.0", "1.0", "1.a.b.0", "x"):
        call(tdmq_client, "PublishCmqMsg", {"TopicName": "r", "MsgContent": key, "MsgTag": [key]})
    call(tdmq_client, "PublishCmqMsg", {"TopicName": "r", "MsgContent": "empty"})
    assert counts(tdmq_client, "star") == (1, 0)  # 1.a.0
    assert counts(tdmq_client, "hash") == (3, 0)  # 1.a.0, 1.0, 1.a.b.0
    assert counts(tdmq_client, "any") == (5, 0)  # everything, the empty key too
    assert counts(tdmq_client, "one") == (1, 0)  # x only: "*" needs exactly one word
    assert counts(tdmq_client, "none") == (0, 0)
    expect_error(
        tdmq_client,
        "PublishCmqMsg",
        {"TopicName": "r", "MsgContent": "m", "MsgTag": ["a", "b"]},
        "InvalidParameterValue",
        "MsgTag",
    )


def test_http_subscriptions_hold_messages(tdmq_client: Any) -> None:
    call(tdmq_client, "CreateCmqTopic", {"TopicName": "t"})
    call(
        tdmq_client,
        "CreateCmqSubscribe",
        {
            "TopicName": "t",
            "SubscriptionName": "h",
            "Protocol": "http",
            "Endpoint": "http://127.0.0.1:9/none",
        },
    )
    published = call(tdmq_client, "PublishCmqMsg", {"TopicName": "t", "MsgContent": "m"})
    assert published["Result"] is True and published["MsgId"]
    listed = call(tdmq_client, "DescribeCmqSubscriptionDetail", {"TopicName": "t"})["SubscriptionSet"]
    assert listed[0]["MsgCount"] == 1
    expect_error(
        tdmq_client, "PublishCmqMsg", {"TopicName": "ghost", "MsgContent": "m"}, "ResourceNotFound.Topic"
    )
    expect_error(
        tdmq_client,
        "PublishCmqMsg",
        {"TopicName": "t", "MsgContent": "m", "MsgTag": ["x" * 65]},
        "InvalidParameterValue",
        "MsgTag.0",
    )


def test_rewind_rules(tdmq_client: Any, emulator: Emulator) -> None:
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "plain"})
    now_ms = int(time.time() * 1000)
    expect_error(
        tdmq_client,
        "RewindCmqQueue",
        {"QueueName": "plain", "StartConsumeTime": now_ms},
        "FailedOperation",
        "rewind",
    )
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "rw", "RewindSeconds": 3600})
    call(tdmq_client, "RewindCmqQueue", {"QueueName": "rw", "StartConsumeTime": now_ms - 60_000})
    call(tdmq_client, "RewindCmqQueue", {"QueueName": "rw", "StartConsumeTime": now_ms // 1000 - 60})
    expect_error(
        tdmq_client,
        "RewindCmqQueue",
        {"QueueName": "rw", "StartConsumeTime": now_ms - 3_700_000},
        "InvalidParameterValue",
        "StartConsumeTime",
    )
    expect_error(
        tdmq_client,
        "RewindCmqQueue",
        {"QueueName": "rw", "StartConsumeTime": now_ms + 600_000},
        "InvalidParameterValue",
        "StartConsumeTime",
    )
    expect_error(
        tdmq_client, "RewindCmqQueue", {"QueueName": "ghost", "StartConsumeTime": now_ms}, "ResourceNotFound"
    )


def test_messages_to_a_missing_queue_or_topic_are_refused_by_name(tdmq_client: Any) -> None:
    message = expect_error(
        tdmq_client,
        "SendCmqMsg",
        {"QueueName": "nope", "MsgContent": "m", "DelaySeconds": 0},
        "ResourceNotFound",
    )
    assert message == "Queue `nope` does not exist."
    message = expect_error(
        tdmq_client, "PublishCmqMsg", {"TopicName": "gone", "MsgContent": "m"}, "ResourceNotFound.Topic"
    )
    assert message == "Topic `gone` does not exist."
