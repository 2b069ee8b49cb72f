"""The Node.js SDK (tencentcloud-sdk-nodejs), configured as its README says: endpoint
"127.0.0.1:PORT", protocol "http://". It signs ``host`` without the port and takes the credential
scope's service from the endpoint's first label (``127``)."""

from __future__ import annotations

from typing import Any

import pytest
from node_sdk import run_node

from cmqinfra.emulator import Emulator

QUEUE_RESOURCE = "qcs::tdmq:ap-guangzhou:uin/:queue/{}"


def only(results: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(results) == 1
    return results[0]


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_node_sdk_creates_what_the_python_sdk_sees(emulator: Emulator, tdmq_client: Any, method: str) -> None:
    results = run_node(
        emulator,
        [
            {"action": "CreateCmqQueue", "params": {"QueueName": "from-node", "VisibilityTimeout": 45}},
            {"action": "CreateCmqTopic", "params": {"TopicName": "node-topic", "FilterType": 2}},
            {"action": "DescribeCmqQueueDetail", "params": {"QueueName": "from-node"}},
            {
                "action": "SendCmqMsg",
                "params": {"QueueName": "from-node", "MsgContent": "hi", "DelaySeconds": 0},
            },
        ],
        method=method,
    )
    assert [r["ok"] for r in results] == [True] * 4, results
    assert results[2]["response"]["QueueDescribe"]["VisibilityTimeout"] == 45
    assert results[3]["response"]["Result"] is True
    seen = tdmq_client.call_json("DescribeCmqQueueDetail", {"QueueName": "from-node"})["Response"]
    assert seen["QueueDescribe"]["VisibilityTimeout"] == 45
    topics = tdmq_client.call_json("DescribeCmqTopics", {})["Response"]["TopicList"]
    assert [t["TopicName"] for t in topics] == ["node-topic"]


def test_node_sdk_reaches_the_tag_service_by_its_version(emulator: Emulator, tdmq_client: Any) -> None:
    tdmq_client.call_json("CreateCmqQueue", {"QueueName": "q"})
    result = only(
        run_node(
            emulator,
            [
                {
                    "client": "tag",
                    "action": "ModifyResourceTags",
                    "params": {
                        "Resource": QUEUE_RESOURCE.format("q"),
                        "ReplaceTags": [{"TagKey": "team", "TagValue": "node"}],
                    },
                }
            ],
        )
    )
    assert result["ok"], result
    detail = tdmq_client.call_json("DescribeCmqQueueDetail", {"QueueName": "q"})["Response"]
    assert detail["QueueDescribe"]["Tags"] == [{"TagKey": "team", "TagValue": "node"}]


def test_node_sdk_errors_are_the_documented_codes(emulator: Emulator) -> None:
    results = run_node(
        emulator,
        [
            {"action": "DescribeCmqQueueDetail", "params": {"QueueName": "ghost"}},
            {"action": "CreateCmqQueue", "params": {"QueueName": "x", "VisibilityTimeout": 100000}},
        ],
    )
    assert [r["code"] for r in results] == ["ResourceNotFound", "InvalidParameterValue"]


def test_node_sdk_with_a_wrong_key_is_refused(emulator: Emulator) -> None:
    result = only(
        run_node(emulator, [{"action": "DescribeCmqQueues", "params": {}}], secret_key="not-the-key")
    )
    assert result["code"] == "AuthFailure.SignatureFailure"


def test_node_sdk_on_localhost_name(emulator: Emulator) -> None:
    # "localhost:PORT": the scope's service is "localhost", the signed host has no port.
    result = only(
        run_node(
            emulator, [{"action": "DescribeCmqQueues", "params": {}}], endpoint=f"localhost:{emulator.port}"
        )
    )
    assert result["ok"], result
    assert result["response"]["TotalCount"] == 0
