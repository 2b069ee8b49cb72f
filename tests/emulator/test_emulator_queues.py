"""Queue rules, one test per documented rule, through the real SDK over HTTP."""

from __future__ import annotations

import time
from typing import Any

import pytest
from emulator_helpers import call, expect_error


def detail(client: Any, name: str) -> dict[str, Any]:
    return call(client, "DescribeCmqQueueDetail", {"QueueName": name})["QueueDescribe"]


def test_defaults_ids_times_and_status(tdmq_client: Any) -> None:
    before = int(time.time() * 1000)
    queue_id = call(tdmq_client, "CreateCmqQueue", {"QueueName": "plain"})["QueueId"]
    assert queue_id.startswith("cmqq-") and queue_id[5:].isalnum() and queue_id[5:].islower()
    queue = detail(tdmq_client, "plain")
    assert queue["MsgRetentionSeconds"] == 3600
    assert queue["MaxMsgSize"] == 1048576
    assert queue["VisibilityTimeout"] == 30 and queue["PollingWaitSeconds"] == 0
    assert queue["RewindSeconds"] == 0 and queue["RetentionSizeInMB"] == 0
    assert before <= queue["CreateTime"] <= int(time.time() * 1000)
    assert queue["LastModifyTime"] == queue["CreateTime"]
    assert queue["Status"] == 1 and queue["NamespaceName"] == "CMQ_QUEUE-plain"
    assert queue["DeadLetterPolicy"] is None and queue["Tags"] is None and queue["Transaction"] is None


@pytest.mark.parametrize(
    "name", ["1starts-with-digit", "has space", "a" * 65, "", "ends-retry", "Ends-DLQ", "dot.ted", "ünicode"]
)
def test_invalid_queue_names(tdmq_client: Any, name: str) -> None:
    expect_error(tdmq_client, "CreateCmqQueue", {"QueueName": name}, "InvalidParameterValue", "QueueName")


@pytest.mark.parametrize("name", ["a", "A" * 64, "with_underscore", "with-dash-9", "retry-first", "dlq"])
def test_valid_queue_names(tdmq_client: Any, name: str) -> None:
    queue_id = call(tdmq_client, "CreateCmqQueue", {"QueueName": name})["QueueId"]
    assert queue_id.startswith("cmqq-")
    (listed,) = call(tdmq_client, "DescribeCmqQueues", {"QueueNameList": [name]})["QueueList"]
    assert (listed["QueueName"], listed["QueueId"]) == (name, queue_id)


def test_names_are_unique_case_insensitively(tdmq_client: Any) -> None:
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "Orders"})
    expect_error(tdmq_client, "CreateCmqQueue", {"QueueName": "orders"}, "ResourceInUse.Queue")
    expect_error(tdmq_client, "CreateCmqQueue", {"QueueName": "ORDERS"}, "ResourceInUse.Queue")
    assert detail(tdmq_client, "ORDERS")["QueueName"] == "Orders"


@pytest.mark.parametrize(
    ("field", "low", "high"),
    [
        ("MsgRetentionSeconds", 30, 43200),
        ("VisibilityTimeout", 1, 43200),
        ("PollingWaitSeconds", 0, 30),
        ("MaxMsgSize", 1024, 1048576),
        ("MaxMsgHeapNum", 1_000_000, 1_000_000_000),
        ("RewindSeconds", 0, 1296000),
    ],
)
def test_queue_ranges_on_create(tdmq_client: Any, field: str, low: int, high: int) -> None:
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "low", field: low})
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "high", field: high})
    assert detail(tdmq_client, "high")[field] == high
    if low > 0:
        expect_error(
            tdmq_client,
            "CreateCmqQueue",
            {"QueueName": "under", field: low - 1},
            "InvalidParameterValue",
            field,
        )
    expect_error(
        tdmq_client, "CreateCmqQueue", {"QueueName": "over", field: high + 1}, "InvalidParameterValue", field
    )


def test_queue_ranges_on_modify(tdmq_client: Any) -> None:
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "m"})
    expect_error(
        tdmq_client,
        "ModifyCmqQueueAttribute",
        {"QueueName": "m", "MsgRetentionSeconds": 29},
        "InvalidParameterValue",
        "MsgRetentionSeconds",
    )
    expect_error(
        tdmq_client,
        "ModifyCmqQueueAttribute",
        {"QueueName": "m", "VisibilityTimeout": 43201},
        "InvalidParameterValue",
        "VisibilityTimeout",
    )
    call(
        tdmq_client, "ModifyCmqQueueAttribute", {"QueueName": "m", "MsgRetentionSeconds": 7200, "Trace": True}
    )
    queue = detail(tdmq_client, "m")
    assert queue["MsgRetentionSeconds"] == 7200 and queue["Trace"] is True
    assert queue["LastModifyTime"] >= queue["CreateTime"]


def test_max_msg_size_cannot_be_modified(tdmq_client: Any) -> None:
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "sized", "MaxMsgSize": 2048})
    expect_error(
        tdmq_client,
        "ModifyCmqQueueAttribute",
        {"QueueName": "sized", "MaxMsgSize": 4096},
        "InvalidParameterValue",
        "MaxMsgSize",
    )
    call(
        tdmq_client, "ModifyCmqQueueAttribute", {"QueueName": "sized", "MaxMsgSize": 2048}
    )  # unchanged: fine
    assert detail(tdmq_client, "sized")["MaxMsgSize"] == 2048


def test_rewind_storage_only_with_rewind(tdmq_client: Any) -> None:
    expect_error(
        tdmq_client,
        "CreateCmqQueue",
        {"QueueName": "r", "RetentionSizeInMB": 10240},
        "InvalidParameterValue",
        "RetentionSizeInMB",
    )
    expect_error(
        tdmq_client,
        "CreateCmqQueue",
        {"QueueName": "r", "RewindSeconds": 60, "RetentionSizeInMB": 1024},
        "InvalidParameterValue",
        "RetentionSizeInMB",
    )
    expect_error(
        tdmq_client,
        "CreateCmqQueue",
        {"QueueName": "r", "RewindSeconds": 60, "RetentionSizeInMB": 512001},
        "InvalidParameterValue",
        "RetentionSizeInMB",
    )
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "r", "RewindSeconds": 60, "RetentionSizeInMB": 20480})
    assert detail(tdmq_client, "r")["RetentionSizeInMB"] == 20480
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "r2", "RewindSeconds": 60})
    assert detail(tdmq_client, "r2")["RetentionSizeInMB"] == 10240
    call(tdmq_client, "ModifyCmqQueueAttribute", {"QueueName": "r2", "RewindSeconds": 0})
    assert detail(tdmq_client, "r2")["RetentionSizeInMB"] == 0


def test_transaction_in_as_uint_out_as_bool_with_policy(tdmq_client: Any) -> None:
    call(
        tdmq_client,
        "CreateCmqQueue",
        {"QueueName": "tx", "Transaction": 1, "FirstQueryInterval": 5, "MaxQueryCount": 3},
    )
    queue = detail(tdmq_client, "tx")
    assert queue["Transaction"] is True
    assert queue["TransactionPolicy"] == {"FirstQueryInterval": 5, "MaxQueryCount": 3}
    expect_error(
        tdmq_client,
        "CreateCmqQueue",
        {"QueueName": "tx2", "Transaction": 2},
        "InvalidParameterValue",
        "Transaction",
    )
    call(tdmq_client, "ModifyCmqQueueAttribute", {"QueueName": "tx", "Transaction": 0})
    queue = detail(tdmq_client, "tx")
    assert queue["Transaction"] is False and queue["TransactionPolicy"] is None


def test_dead_letter_policy_on_source_and_source_list_on_dlq(tdmq_client: Any) -> None:
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "dead"})
    call(
        tdmq_client,
        "CreateCmqQueue",
        {"QueueName": "src", "DeadLetterQueueName": "DEAD", "Policy": 0, "MaxReceiveCount": 5},
    )
    source = detail(tdmq_client, "src")
    assert source["DeadLetterPolicy"] == {
        "DeadLetterQueue": "dead",
        "Policy": 0,
        "MaxTimeToLive": 0,
        "MaxReceiveCount": 5,
    }
    dlq = detail(tdmq_client, "dead")
    assert dlq["DeadLetterSource"] == [{"QueueId": source["QueueId"], "QueueName": "src"}]
    assert dlq["DeadLetterPolicy"] is None


def test_dead_letter_rules(tdmq_client: Any) -> None:
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "dead"})
    expect_error(
        tdmq_client,
        "CreateCmqQueue",
        {"QueueName": "s", "DeadLetterQueueName": "ghost", "MaxReceiveCount": 1},
        "ResourceNotFound",
        "ghost",
    )
    expect_error(
        tdmq_client,
        "CreateCmqQueue",
        {"QueueName": "s", "DeadLetterQueueName": "s", "MaxReceiveCount": 1},
        "InvalidParameterValue",
        "DeadLetterQueueName",
    )
    expect_error(
        tdmq_client,
        "CreateCmqQueue",
        {"QueueName": "s", "DeadLetterQueueName": "dead"},
        "MissingParameter",
        "MaxReceiveCount",
    )
    expect_error(
        tdmq_client,
        "CreateCmqQueue",
        {"QueueName": "s", "DeadLetterQueueName": "dead", "MaxReceiveCount": 1001},
        "InvalidParameterValue",
        "MaxReceiveCount",
    )
    expect_error(
        tdmq_client,
        "CreateCmqQueue",
        {"QueueName": "s", "DeadLetterQueueName": "dead", "Policy": 1},
        "MissingParameter",
        "MaxTimeToLive",
    )
    expect_error(
        tdmq_client,
        "CreateCmqQueue",
        {"QueueName": "s", "DeadLetterQueueName": "dead", "Policy": 1, "MaxTimeToLive": 299},
        "InvalidParameterValue",
        "MaxTimeToLive",
    )
    expect_error(
        tdmq_client,
        "CreateCmqQueue",
        {"QueueName": "s", "DeadLetterQueueName": "dead", "Policy": 1, "MaxTimeToLive": 3600},
        "InvalidParameterValue",
        "MaxTimeToLive",
    )
    # what terraform-provider-tencentcloud sends for a queue without a dead-letter queue
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "plain", "Policy": 0, "MaxReceiveCount": 50,
                                         "MaxTimeToLive": 300})
    assert detail(tdmq_client, "plain")["DeadLetterPolicy"] is None
    call(
        tdmq_client,
        "CreateCmqQueue",
        {
            "QueueName": "s",
            "DeadLetterQueueName": "dead",
            "Policy": 1,
            "MaxTimeToLive": 300,
            "MsgRetentionSeconds": 600,
        },
    )
    assert detail(tdmq_client, "s")["DeadLetterPolicy"]["MaxTimeToLive"] == 300


def test_modify_and_unbind_dead_letter(tdmq_client: Any) -> None:
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "dead"})
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "src"})
    call(
        tdmq_client,
        "ModifyCmqQueueAttribute",
        {"QueueName": "src", "DeadLetterQueueName": "dead", "MaxReceiveCount": 2},
    )
    call(tdmq_client, "ModifyCmqQueueAttribute", {"QueueName": "src", "MaxReceiveCount": 9})
    assert detail(tdmq_client, "src")["DeadLetterPolicy"]["MaxReceiveCount"] == 9
    call(tdmq_client, "UnbindCmqDeadLetter", {"SourceQueueName": "src"})
    assert detail(tdmq_client, "src")["DeadLetterPolicy"] is None
    assert detail(tdmq_client, "dead")["DeadLetterSource"] is None
    expect_error(tdmq_client, "UnbindCmqDeadLetter", {"SourceQueueName": "ghost"}, "ResourceNotFound")


def test_deleting_a_dead_letter_queue_in_use_is_refused(tdmq_client: Any) -> None:
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "dead"})
    call(
        tdmq_client,
        "CreateCmqQueue",
        {"QueueName": "src", "DeadLetterQueueName": "dead", "MaxReceiveCount": 3},
    )
    message = expect_error(tdmq_client, "DeleteCmqQueue", {"QueueName": "dead"}, "ResourceInUse")
    assert "src" in message
    call(tdmq_client, "DeleteCmqQueue", {"QueueName": "src"})
    call(tdmq_client, "DeleteCmqQueue", {"QueueName": "dead"})


def test_missing_queues(tdmq_client: Any) -> None:
    for action in ("DescribeCmqQueueDetail", "ModifyCmqQueueAttribute", "DeleteCmqQueue", "ClearCmqQueue"):
        expect_error(tdmq_client, action, {"QueueName": "ghost"}, "ResourceNotFound", "ghost")


def test_paging_defaults_limit_and_total(tdmq_client: Any) -> None:
    for index in range(55):
        call(tdmq_client, "CreateCmqQueue", {"QueueName": f"q{index:02d}"})
    first = call(tdmq_client, "DescribeCmqQueues")
    assert first["TotalCount"] == 55 and len(first["QueueList"]) == 20
    assert [q["QueueName"] for q in first["QueueList"]] == [f"q{i:02d}" for i in range(20)]
    page = call(tdmq_client, "DescribeCmqQueues", {"Offset": 50, "Limit": 50})
    assert [q["QueueName"] for q in page["QueueList"]] == [f"q{i:02d}" for i in range(50, 55)]
    expect_error(tdmq_client, "DescribeCmqQueues", {"Limit": 51}, "InvalidParameterValue", "Limit")
    assert call(tdmq_client, "DescribeCmqQueues", {"Offset": 100})["QueueList"] == []


def test_queue_name_filter_is_partial_and_name_list_exact(tdmq_client: Any) -> None:
    for name in ("order-created", "order-paid", "Billing", "orders_x"):
        call(tdmq_client, "CreateCmqQueue", {"QueueName": name})
    partial = call(tdmq_client, "DescribeCmqQueues", {"QueueName": "ORDER"})
    assert {q["QueueName"] for q in partial["QueueList"]} == {"order-created", "order-paid", "orders_x"}
    underscore = call(tdmq_client, "DescribeCmqQueues", {"QueueName": "s_"})
    assert [q["QueueName"] for q in underscore["QueueList"]] == ["orders_x"]
    exact = call(tdmq_client, "DescribeCmqQueues", {"QueueNameList": ["order-paid", "billing", "order"]})
    assert {q["QueueName"] for q in exact["QueueList"]} == {"order-paid", "Billing"}
    assert exact["TotalCount"] == 2
    expect_error(tdmq_client, "DescribeCmqQueueDetail", {"QueueName": "order"}, "ResourceNotFound")
    many = [f"n{i}" for i in range(10_000)] + ["billing"]
    assert call(tdmq_client, "DescribeCmqQueues", {"QueueNameList": many[-2000:]})["TotalCount"] == 1
    expect_error(
        tdmq_client, "DescribeCmqQueues", {"QueueNameList": many}, "InvalidParameterValue", "QueueNameList"
    )


def test_tags_on_create_and_tag_filter(tdmq_client: Any) -> None:
    call(
        tdmq_client,
        "CreateCmqQueue",
        {
            "QueueName": "a",
            "Tags": [{"TagKey": "env", "TagValue": "prod"}, {"TagKey": "team", "TagValue": "x"}],
        },
    )
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "b", "Tags": [{"TagKey": "env", "TagValue": "dev"}]})
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "c"})
    assert detail(tdmq_client, "a")["Tags"] == [
        {"TagKey": "env", "TagValue": "prod"},
        {"TagKey": "team", "TagValue": "x"},
    ]
    prod = call(
        tdmq_client,
        "DescribeCmqQueues",
        {"IsTagFilter": True, "Filters": [{"Name": "tag:env", "Values": ["prod"]}]},
    )
    assert [q["QueueName"] for q in prod["QueueList"]] == ["a"] and prod["TotalCount"] == 1
    any_env = call(tdmq_client, "DescribeCmqQueues", {"IsTagFilter": True, "Filters": [{"Name": "tag:env"}]})
    assert [q["QueueName"] for q in any_env["QueueList"]] == ["a", "b"]
    both = call(
        tdmq_client,
        "DescribeCmqQueues",
        {
            "IsTagFilter": True,
            "Filters": [
                {"Name": "tag:env", "Values": ["prod", "dev"]},
                {"Name": "tag:team", "Values": ["x"]},
            ],
        },
    )
    assert [q["QueueName"] for q in both["QueueList"]] == ["a"]
    expect_error(
        tdmq_client,
        "DescribeCmqQueues",
        {"IsTagFilter": True, "Filters": [{"Name": "env"}]},
        "InvalidParameterValue",
        "Filters.0.Name",
    )
    expect_error(
        tdmq_client,
        "CreateCmqQueue",
        {"QueueName": "d", "Tags": [{"TagKey": "k", "TagValue": "1"}, {"TagKey": "k", "TagValue": "2"}]},
        "InvalidParameterValue",
        "Tags.1.TagKey",
    )
