"""Parity: every official request/response example (reference Appendix B) replayed through the real SDK.

The emulator's answer must have the official example's fields, with the same JSON types and the same
nesting (values may differ). Where the official example shows null, the emulator may show null or a
value of the type the SDK model declares; a separate test pins the nulls of freshly created
resources to the examples exactly.
"""

from __future__ import annotations

import json
import re
import time
import warnings
from pathlib import Path
from typing import Any

import pytest
from emulator_helpers import call
from tencentcloud.tdmq.v20200217 import models, tdmq_client

from cmqinfra.emulator import Emulator
from tests import sdk_clients

EXAMPLES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "fixtures" / "appendix_b_examples.json").read_text(encoding="utf-8")
)
_TYPE = re.compile(r":type (\w+): (.+)")
_PARAM = re.compile(r":param _(\w+):(.*?):type ", re.S)


def nullable_fields(model_name: str) -> set[str]:
    """Fields the SDK documents as "may return null"."""
    doc = getattr(models, model_name).__init__.__doc__ or ""
    return {field for field, text in _PARAM.findall(doc) if "null" in text}


def declared_types(model_name: str) -> dict[str, str]:
    """Field -> SDK-declared type ("int", "str", "bool", "list of X", or a model name)."""
    doc = getattr(models, model_name).__init__.__doc__ or ""
    result = {}
    for field, kind in _TYPE.findall(doc):
        kind = kind.strip()
        if kind.startswith(":class:"):
            kind = kind.rstrip("`").rsplit(".", 1)[-1]
        result[field] = kind
    return result


def matches_declared(value: Any, kind: str) -> bool:
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "str":
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "float":
        return isinstance(value, (int, float))
    if kind.startswith("list of "):
        return isinstance(value, list) and all(matches_declared(item, kind[8:]) for item in value)
    return isinstance(value, dict)


def shape_problems(official: Any, ours: Any, model: str, path: str) -> list[str]:
    problems: list[str] = []
    types = declared_types(model)
    for key, expected in official.items():
        where = f"{path}.{key}"
        if key not in ours:
            problems.append(f"{where}: missing")
            continue
        got = ours[key]
        kind = types.get(key, "str" if key == "RequestId" else "?")
        if expected is None:
            if got is not None and not matches_declared(got, kind):
                problems.append(f"{where}: null in the example, {got!r} is not the SDK's {kind}")
            continue
        if got is None and key in nullable_fields(model):
            continue
        if type(expected) is not type(got):
            problems.append(f"{where}: {type(expected).__name__} expected, got {type(got).__name__}")
            continue
        if isinstance(expected, dict):
            problems += shape_problems(expected, got, kind, where)
        elif isinstance(expected, list) and expected and got:
            item_kind = kind[8:] if kind.startswith("list of ") else "?"
            for index, item in enumerate(got):
                if isinstance(expected[0], dict):
                    problems += shape_problems(expected[0], item, item_kind, f"{where}.{index}")
                elif type(item) is not type(expected[0]):
                    problems.append(f"{where}.{index}: {type(expected[0]).__name__} expected")
    for key in set(ours) - set(official):
        if key not in types:
            problems.append(f"{path}.{key}: not a field of the SDK model {model}")
    return problems


def client_for(emu: Emulator, method: str) -> tdmq_client.TdmqClient:
    return sdk_clients.tdmq(emu.endpoint, region=emu.region, method=method)


def build_state(client: Any) -> None:
    """Every resource the examples name, so each example request is valid as written."""
    for queue in ("test-queue", "queue_sub", "cmq-xxx", "dead-letter"):
        call(client, "CreateCmqQueue", {"QueueName": queue})
    call(
        client,
        "CreateCmqQueue",
        {
            "QueueName": "testQueue",
            "MaxMsgSize": 1024,
            "RewindSeconds": 3600,
            "DeadLetterQueueName": "dead-letter",
            "MaxReceiveCount": 22,
        },
    )
    call(client, "SendCmqMsg", {"QueueName": "cmq-xxx", "MsgContent": "m", "DelaySeconds": 0})
    for topic in ("ConnTopic", "Conn", "test-topic", "check-topic", "test-queue"):
        call(client, "CreateCmqTopic", {"TopicName": topic})
    for topic, sub in (("ConnTopic", "Queue"), ("ConnTopic", "york"), ("Conn", "ConnSub")):
        call(
            client,
            "CreateCmqSubscribe",
            {"TopicName": topic, "SubscriptionName": sub, "Protocol": "queue", "Endpoint": "test-queue"},
        )
    call(
        client,
        "CreateCmqSubscribe",
        {
            "TopicName": "check-topic",
            "SubscriptionName": "check-sub",
            "Protocol": "http",
            "Endpoint": "http://example.com/hook",
        },
    )


# Deliberate, documented departures from the example requests (docs/emulator.md):
def adjusted(example: dict[str, Any]) -> dict[str, Any]:
    params = dict(example["params"])
    if example["action"] == "DescribeCmqTopicDetail":
        params["TopicName"] = "Conn"  # the example omits the name; the emulator needs it
    if example["action"] == "RewindCmqQueue":
        params["StartConsumeTime"] = int(time.time() * 1000) - 60_000  # the 2020 time is outside any window
    return params


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"{e['action']}-{e['title']}" for e in EXAMPLES])
def test_official_example_round_trips_with_the_same_shape(
    emulator: Emulator, example: dict[str, Any]
) -> None:
    setup = client_for(emulator, "POST")
    build_state(setup)
    if example["action"] == "CreateCmqTopic" and example["params"]["TopicName"] == "ConnTopic":
        call(setup, "DeleteCmqTopic", {"TopicName": "ConnTopic"})
    client = client_for(emulator, example["method"])
    raw = client.call_json(example["action"], adjusted(example))
    official = example["response"]["Response"]
    problems = shape_problems(official, raw["Response"], f"{example['action']}Response", "Response")
    assert not problems, problems
    # The SDK's own typed response model accepts the answer without complaint.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        response = getattr(models, f"{example['action']}Response")()
        response._deserialize(raw["Response"])
    assert response.RequestId == raw["Response"]["RequestId"]


def nulls(value: dict[str, Any]) -> set[str]:
    return {key for key, item in value.items() if item is None}


def test_fresh_resources_are_null_exactly_where_the_examples_are(tdmq_client: Any) -> None:
    by_action = {e["action"]: e["response"]["Response"] for e in EXAMPLES}
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "fresh"})
    call(tdmq_client, "CreateCmqTopic", {"TopicName": "fresh"})
    call(
        tdmq_client,
        "CreateCmqSubscribe",
        {"TopicName": "fresh", "SubscriptionName": "s", "Protocol": "queue", "Endpoint": "fresh"},
    )
    queue = call(tdmq_client, "DescribeCmqQueueDetail", {"QueueName": "fresh"})["QueueDescribe"]
    assert nulls(queue) == nulls(by_action["DescribeCmqQueueDetail"]["QueueDescribe"])
    topic = call(tdmq_client, "DescribeCmqTopicDetail", {"TopicName": "fresh"})["TopicDescribe"]
    assert nulls(topic) == nulls(by_action["DescribeCmqTopicDetail"]["TopicDescribe"])
    [sub] = call(tdmq_client, "DescribeCmqSubscriptionDetail", {"TopicName": "fresh"})["SubscriptionSet"]
    assert nulls(sub) == nulls(by_action["DescribeCmqSubscriptionDetail"]["SubscriptionSet"][0])


def test_examples_cover_every_documented_example() -> None:
    assert len(EXAMPLES) == 21
    assert {e["action"] for e in EXAMPLES} >= {"CreateCmqQueue", "DescribeCmqQueues", "PublishCmqMsg"}
