"""Topic and subscription rules, one test per documented rule, through the real SDK over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from emulator_helpers import call, expect_error


def topic(client: Any, name: str) -> dict[str, Any]:
    return call(client, "DescribeCmqTopicDetail", {"TopicName": name})["TopicDescribe"]


def subs(client: Any, topic_name: str, **extra: Any) -> list[dict[str, Any]]:
    return call(client, "DescribeCmqSubscriptionDetail", {"TopicName": topic_name, **extra})[
        "SubscriptionSet"
    ]


def test_topic_defaults_and_ids(tdmq_client: Any) -> None:
    topic_id = call(tdmq_client, "CreateCmqTopic", {"TopicName": "events"})["TopicId"]
    assert topic_id.startswith("cmqt-")
    described = topic(tdmq_client, "events")
    assert described["TopicId"] == topic_id
    assert described["MaxMsgSize"] == 65536 and described["MsgRetentionSeconds"] == 86400
    assert described["FilterType"] == 1 and described["Status"] == 1
    assert described["SubscriptionCount"] == 0 and described["NamespaceName"] == "CMQ_TOPIC-events"


@pytest.mark.parametrize(
    ("field", "low", "high"), [("MaxMsgSize", 1024, 65536), ("MsgRetentionSeconds", 60, 86400)]
)
def test_topic_ranges(tdmq_client: Any, field: str, low: int, high: int) -> None:
    call(tdmq_client, "CreateCmqTopic", {"TopicName": "low", field: low})
    call(tdmq_client, "CreateCmqTopic", {"TopicName": "high", field: high})
    expect_error(
        tdmq_client, "CreateCmqTopic", {"TopicName": "x", field: low - 1}, "InvalidParameterValue", field
    )
    expect_error(
        tdmq_client, "CreateCmqTopic", {"TopicName": "x", field: high + 1}, "InvalidParameterValue", field
    )
    expect_error(
        tdmq_client,
        "ModifyCmqTopicAttribute",
        {"TopicName": "low", field: high + 1},
        "InvalidParameterValue",
        field,
    )
    call(tdmq_client, "ModifyCmqTopicAttribute", {"TopicName": "low", field: high, "Trace": True})
    assert topic(tdmq_client, "low")[field] == high and topic(tdmq_client, "low")["Trace"] is True


def test_filter_type_enum_and_immutability(tdmq_client: Any) -> None:
    expect_error(
        tdmq_client,
        "CreateCmqTopic",
        {"TopicName": "t", "FilterType": 3},
        "InvalidParameterValue",
        "FilterType",
    )
    call(tdmq_client, "CreateCmqTopic", {"TopicName": "t", "FilterType": 2})
    expect_error(
        tdmq_client,
        "ModifyCmqTopicAttribute",
        {"TopicName": "t", "FilterType": 1},
        "UnknownParameter",
        "FilterType",
    )
    assert topic(tdmq_client, "t")["FilterType"] == 2


def test_topic_names(tdmq_client: Any) -> None:
    call(tdmq_client, "CreateCmqTopic", {"TopicName": "Events_1"})
    expect_error(tdmq_client, "CreateCmqTopic", {"TopicName": "events_1"}, "ResourceInUse.Topic")
    expect_error(tdmq_client, "CreateCmqTopic", {"TopicName": "9lives"}, "InvalidParameterValue", "TopicName")
    expect_error(tdmq_client, "CreateCmqTopic", {"TopicName": "t" * 65}, "InvalidParameterValue", "TopicName")


def test_missing_topics(tdmq_client: Any) -> None:
    for action in ("DescribeCmqTopicDetail", "ModifyCmqTopicAttribute", "DeleteCmqTopic"):
        expect_error(tdmq_client, action, {"TopicName": "ghost"}, "ResourceNotFound.Topic")
    expect_error(
        tdmq_client, "DescribeCmqSubscriptionDetail", {"TopicName": "ghost"}, "ResourceNotFound.Topic"
    )
    expect_error(
        tdmq_client,
        "DeleteCmqSubscribe",
        {"TopicName": "ghost", "SubscriptionName": "s"},
        "ResourceNotFound.Topic",
    )
    expect_error(tdmq_client, "DescribeCmqTopicDetail", {}, "MissingParameter", "TopicName")


def test_topic_listing_fuzzy_exact_paging_tags(tdmq_client: Any) -> None:
    for index in range(23):
        tags = [{"TagKey": "parity", "TagValue": "even" if index % 2 == 0 else "odd"}]
        call(tdmq_client, "CreateCmqTopic", {"TopicName": f"topic-{index:02d}", "Tags": tags})
    call(tdmq_client, "CreateCmqTopic", {"TopicName": "Other"})
    listed = call(tdmq_client, "DescribeCmqTopics")
    assert listed["TotalCount"] == 24 and len(listed["TopicList"]) == 20
    fuzzy = call(tdmq_client, "DescribeCmqTopics", {"TopicName": "PIC-1", "Limit": 50})
    assert [t["TopicName"] for t in fuzzy["TopicList"]] == [f"topic-{i}" for i in range(10, 20)]
    exact = call(tdmq_client, "DescribeCmqTopics", {"TopicNameList": ["other", "topic-0"]})
    assert [t["TopicName"] for t in exact["TopicList"]] == ["Other"]
    odd = call(
        tdmq_client,
        "DescribeCmqTopics",
        {"IsTagFilter": True, "Limit": 50, "Filters": [{"Name": "tag:parity", "Values": ["odd"]}]},
    )
    assert odd["TotalCount"] == 11
    assert odd["TopicList"][0]["Tags"] == [{"TagKey": "parity", "TagValue": "odd"}]
    expect_error(tdmq_client, "DescribeCmqTopics", {"Limit": 51}, "InvalidParameterValue", "Limit")


def test_subscription_queue_protocol_rules(tdmq_client: Any) -> None:
    call(tdmq_client, "CreateCmqTopic", {"TopicName": "t"})
    base = {"TopicName": "t", "SubscriptionName": "s", "Protocol": "queue"}
    expect_error(
        tdmq_client, "CreateCmqSubscribe", {**base, "Endpoint": "ghost"}, "ResourceNotFound", "ghost"
    )
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "sink"})
    expect_error(
        tdmq_client,
        "CreateCmqSubscribe",
        {**base, "Endpoint": "sink", "NotifyContentFormat": "JSON"},
        "InvalidParameterValue",
        "NotifyContentFormat",
    )
    subscription_id = call(tdmq_client, "CreateCmqSubscribe", {**base, "Endpoint": "sink"})["SubscriptionId"]
    assert subscription_id.startswith("subsc-")
    [sub] = subs(tdmq_client, "t")
    assert sub["NotifyContentFormat"] == "SIMPLIFIED" and sub["NotifyStrategy"] == "EXPONENTIAL_DECAY_RETRY"
    assert sub["FilterTags"] == [] and sub["BindingKey"] is None and sub["TopicName"] == "t"
    expect_error(
        tdmq_client, "CreateCmqSubscribe", {**base, "Endpoint": "sink"}, "ResourceInUse.Subscription"
    )
    expect_error(
        tdmq_client,
        "CreateCmqSubscribe",
        {**base, "SubscriptionName": "S", "Endpoint": "sink"},
        "ResourceInUse.Subscription",
    )
    expect_error(
        tdmq_client,
        "ModifyCmqSubscriptionAttribute",
        {"TopicName": "t", "SubscriptionName": "s", "NotifyContentFormat": "JSON"},
        "InvalidParameterValue",
        "NotifyContentFormat",
    )
    assert topic(tdmq_client, "t")["SubscriptionCount"] == 1


def test_subscription_http_protocol_rules(tdmq_client: Any) -> None:
    call(tdmq_client, "CreateCmqTopic", {"TopicName": "t"})
    base = {"TopicName": "t", "Protocol": "http"}
    for endpoint in ("ftp://example.com", "example.com/hook", "http://"):
        expect_error(
            tdmq_client,
            "CreateCmqSubscribe",
            {**base, "SubscriptionName": "h", "Endpoint": endpoint},
            "InvalidParameterValue",
            "Endpoint",
        )
    call(
        tdmq_client,
        "CreateCmqSubscribe",
        {**base, "SubscriptionName": "h", "Endpoint": "https://example.com/h"},
    )
    call(
        tdmq_client,
        "CreateCmqSubscribe",
        {
            **base,
            "SubscriptionName": "j",
            "Endpoint": "http://10.0.0.1/h",
            "NotifyContentFormat": "SIMPLIFIED",
            "NotifyStrategy": "BACKOFF_RETRY",
        },
    )
    formats = {s["SubscriptionName"]: s["NotifyContentFormat"] for s in subs(tdmq_client, "t")}
    assert formats == {"h": "JSON", "j": "SIMPLIFIED"}
    expect_error(
        tdmq_client,
        "CreateCmqSubscribe",
        {**base, "SubscriptionName": "k", "Endpoint": "http://x", "NotifyStrategy": "SOMETIMES"},
        "InvalidParameterValue",
        "NotifyStrategy",
    )
    expect_error(
        tdmq_client,
        "CreateCmqSubscribe",
        {"TopicName": "t", "SubscriptionName": "k", "Protocol": "smtp", "Endpoint": "x"},
        "InvalidParameterValue",
        "Protocol",
    )


def test_protocol_and_endpoint_cannot_be_modified(tdmq_client: Any) -> None:
    call(tdmq_client, "CreateCmqTopic", {"TopicName": "t"})
    call(
        tdmq_client,
        "CreateCmqSubscribe",
        {"TopicName": "t", "SubscriptionName": "h", "Protocol": "http", "Endpoint": "http://a"},
    )
    for field, value in (("Protocol", "queue"), ("Endpoint", "http://b")):
        expect_error(
            tdmq_client,
            "ModifyCmqSubscriptionAttribute",
            {"TopicName": "t", "SubscriptionName": "h", field: value},
            "UnknownParameter",
            field,
        )


def test_filter_tags_rules_modify_and_clear(tdmq_client: Any) -> None:
    call(tdmq_client, "CreateCmqTopic", {"TopicName": "t"})
    base = {"TopicName": "t", "SubscriptionName": "h", "Protocol": "http", "Endpoint": "http://a"}
    expect_error(
        tdmq_client,
        "CreateCmqSubscribe",
        {**base, "FilterTag": list("abcdef")},
        "InvalidParameterValue",
        "FilterTag",
    )
    expect_error(
        tdmq_client,
        "CreateCmqSubscribe",
        {**base, "FilterTag": ["x" * 17]},
        "InvalidParameterValue",
        "FilterTag.0",
    )
    expect_error(
        tdmq_client,
        "CreateCmqSubscribe",
        {**base, "BindingKey": ["a.b"]},
        "InvalidParameterValue",
        "BindingKey",
    )
    call(tdmq_client, "CreateCmqSubscribe", {**base, "FilterTag": ["x" * 16, "b"]})
    assert subs(tdmq_client, "t")[0]["FilterTags"] == ["x" * 16, "b"]
    call(
        tdmq_client,
        "ModifyCmqSubscriptionAttribute",
        {"TopicName": "t", "SubscriptionName": "h", "FilterTags": ["new"], "NotifyStrategy": "BACKOFF_RETRY"},
    )
    sub = subs(tdmq_client, "t")[0]
    assert sub["FilterTags"] == ["new"] and sub["NotifyStrategy"] == "BACKOFF_RETRY"
    assert sub["LastModifyTime"] >= sub["CreateTime"]
    call(tdmq_client, "ClearCmqSubscriptionFilterTags", {"TopicName": "t", "SubscriptionName": "h"})
    assert subs(tdmq_client, "t")[0]["FilterTags"] == []
    expect_error(
        tdmq_client,
        "ClearCmqSubscriptionFilterTags",
        {"TopicName": "t", "SubscriptionName": "nope"},
        "ResourceNotFound",
    )


def test_binding_key_rules(tdmq_client: Any) -> None:
    call(tdmq_client, "CreateCmqTopic", {"TopicName": "r", "FilterType": 2})
    base = {"TopicName": "r", "SubscriptionName": "h", "Protocol": "http", "Endpoint": "http://a"}
    expect_error(
        tdmq_client,
        "CreateCmqSubscribe",
        {**base, "BindingKey": ["a"] * 6},
        "InvalidParameterValue",
        "BindingKey",
    )
    expect_error(
        tdmq_client,
        "CreateCmqSubscribe",
        {**base, "BindingKey": ["a" * 65]},
        "InvalidParameterValue",
        "BindingKey.0",
    )
    expect_error(
        tdmq_client,
        "CreateCmqSubscribe",
        {**base, "BindingKey": [".".join("a" * 17)]},
        "InvalidParameterValue",
        "BindingKey.0",
    )
    expect_error(
        tdmq_client, "CreateCmqSubscribe", {**base, "FilterTag": ["x"]}, "InvalidParameterValue", "FilterTag"
    )
    call(tdmq_client, "CreateCmqSubscribe", {**base, "BindingKey": [".".join("a" * 16), "1.*.0"]})
    assert subs(tdmq_client, "r")[0]["BindingKey"] == [".".join("a" * 16), "1.*.0"]
    call(
        tdmq_client,
        "ModifyCmqSubscriptionAttribute",
        {"TopicName": "r", "SubscriptionName": "h", "BindingKey": ["1.#.0"]},
    )
    assert subs(tdmq_client, "r")[0]["BindingKey"] == ["1.#.0"]


def test_subscription_listing(tdmq_client: Any) -> None:
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "sink"})
    call(tdmq_client, "CreateCmqTopic", {"TopicName": "a"})
    call(tdmq_client, "CreateCmqTopic", {"TopicName": "b"})
    for index in range(25):
        call(
            tdmq_client,
            "CreateCmqSubscribe",
            {
                "TopicName": "a",
                "SubscriptionName": f"sub-{index:02d}",
                "Protocol": "http",
                "Endpoint": "http://x",
            },
        )
    call(
        tdmq_client,
        "CreateCmqSubscribe",
        {"TopicName": "a", "SubscriptionName": "to-sink", "Protocol": "queue", "Endpoint": "SINK"},
    )
    call(
        tdmq_client,
        "CreateCmqSubscribe",
        {"TopicName": "b", "SubscriptionName": "to-sink", "Protocol": "queue", "Endpoint": "sink"},
    )
    first = call(tdmq_client, "DescribeCmqSubscriptionDetail", {"TopicName": "a"})
    assert first["TotalCount"] == 26 and len(first["SubscriptionSet"]) == 20
    fuzzy = subs(tdmq_client, "a", SubscriptionName="SUB-2")
    assert [s["SubscriptionName"] for s in fuzzy] == [f"sub-{i}" for i in range(20, 25)]
    by_queue = call(tdmq_client, "DescribeCmqSubscriptionDetail", {"QueryType": "queue", "QueueName": "sink"})
    assert by_queue["TotalCount"] == 2
    assert {(s["TopicName"], s["Endpoint"]) for s in by_queue["SubscriptionSet"]} == {
        ("a", "sink"),
        ("b", "sink"),
    }
    expect_error(
        tdmq_client, "DescribeCmqSubscriptionDetail", {"QueryType": "queue"}, "MissingParameter", "QueueName"
    )
    expect_error(
        tdmq_client,
        "DescribeCmqSubscriptionDetail",
        {"QueryType": "bus", "TopicName": "a"},
        "InvalidParameterValue",
        "QueryType",
    )
    expect_error(
        tdmq_client,
        "DescribeCmqSubscriptionDetail",
        {"TopicName": "a", "Limit": 51},
        "InvalidParameterValue",
        "Limit",
    )


def test_deleting_a_topic_deletes_its_subscriptions(tdmq_client: Any) -> None:
    call(tdmq_client, "CreateCmqTopic", {"TopicName": "t"})
    call(
        tdmq_client,
        "CreateCmqSubscribe",
        {"TopicName": "t", "SubscriptionName": "h", "Protocol": "http", "Endpoint": "http://a"},
    )
    call(tdmq_client, "DeleteCmqTopic", {"TopicName": "t"})
    call(tdmq_client, "CreateCmqTopic", {"TopicName": "t"})
    assert subs(tdmq_client, "t") == []


def test_delete_subscription(tdmq_client: Any) -> None:
    call(tdmq_client, "CreateCmqTopic", {"TopicName": "t"})
    call(
        tdmq_client,
        "CreateCmqSubscribe",
        {"TopicName": "t", "SubscriptionName": "h", "Protocol": "http", "Endpoint": "http://a"},
    )
    call(tdmq_client, "DeleteCmqSubscribe", {"TopicName": "t", "SubscriptionName": "h"})
    expect_error(
        tdmq_client, "DeleteCmqSubscribe", {"TopicName": "t", "SubscriptionName": "h"}, "ResourceNotFound"
    )
    assert subs(tdmq_client, "t") == []
