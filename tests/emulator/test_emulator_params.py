"""Every documented request parameter of every action, through the real SDK over HTTP.

The table is the API reference's own, not the emulator's: fixtures/api-requests.md keeps the
request tables of the TDMQ reference (Appendix A, verbatim; held to the reference below where it
is beside the checkout) and the Tag service's. From each row's type and "Req" column follow the
API 3.0 answers a caller gets before any business rule runs: a value of the wrong JSON type is
``InvalidParameter``, a missing required one ``MissingParameter``, a name the action does not
document ``UnknownParameter``, an unsigned number below zero or any number outside 64 bits
``InvalidParameterValue``; each message names the parameter (its path inside a list of objects).
A value of the documented type (the row's own example) passes that check, and, as the last
tests show, is what Describe* reads back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from emulator_helpers import call, expect_error, raw_request
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from cmqinfra.emulator import Emulator
from tests import sdk_clients

REQUESTS = Path(__file__).with_name("fixtures") / "api-requests.md"
_HEADING = re.compile(r"^#### (\w+)\s*$")
_ROW = re.compile(r"^\| (\w+) \| ([\w\[\]]+) \| (\*\*Y\*\*|N) \| (.*) \|\s*$")
_EXAMPLE = re.compile(r"\(ex: `(.*)`\)\s*$")
TAG_ACTIONS = ("ModifyResourceTags", "TagResources", "UnTagResources", "DescribeResourceTagsByResourceIds")

# The members of the request objects: reference Appendix A "Object Tag" / "Object Filter" and §4.5
# ("Tag = {TagKey: string (required), TagValue: string (required)}"); the Tag service's
# TagKeyObject is {TagKey}. A filter without a Name filters on nothing, so Name is required.
OBJECTS: dict[str, dict[str, tuple[str, bool]]] = {
    "Tag": {"TagKey": ("string", True), "TagValue": ("string", True)},
    "TagKeyObject": {"TagKey": ("string", True)},
    "Filter": {"Name": ("string", True), "Values": ("list[string]", False)},
}
_VALID_OBJECT = {
    "Tag": {"TagKey": "aa", "TagValue": "bb"},
    "TagKeyObject": {"TagKey": "aa"},
    "Filter": {"Name": "tag:aa", "Values": ["bb"]},
}
_RANGE_WORDS = ("64-bit range", "must not be negative")


@dataclass(frozen=True)
class Member:
    action: str
    name: str
    type: str  # the reference's words: string, uint64, int64, bool, list[string], list[Tag]...
    required: bool
    example: str | None


def request_tables(text: str) -> dict[str, tuple[Member, ...]]:
    """Every ``#### Action`` request table of a reference text (object tables excluded)."""
    tables: dict[str, list[Member]] = {}
    current: str | None = None
    for line in text.splitlines():
        heading = _HEADING.match(line)
        if heading:
            current = heading.group(1)
            continue
        if line.startswith("#"):
            current = None
        row = _ROW.match(line)
        if current is None or row is None or row.group(1) == "Param":
            continue
        name, kind, req, doc = row.groups()
        example = _EXAMPLE.search(doc)
        tables.setdefault(current, []).append(
            Member(current, name, kind, req == "**Y**", example.group(1) if example else None)
        )
    return {action: tuple(members) for action, members in tables.items()}


@cache
def tables() -> dict[str, tuple[Member, ...]]:
    return request_tables(REQUESTS.read_text(encoding="utf-8"))


def members() -> list[Member]:
    return [member for action in tables().values() for member in action]


def valid(member: Member) -> Any:
    """A value of the documented type: the row's example, or a plain one where it has none."""
    kind = member.type
    if kind.startswith("list[") and kind[5:-1] in OBJECTS:
        return [_VALID_OBJECT[kind[5:-1]]]
    if member.example is None or member.example == "无":  # the reference's "none"
        return {"string": "x", "uint64": 1, "int64": 1, "bool": False, "list[string]": ["x"]}[kind]
    if kind in ("uint64", "int64"):
        return int(member.example)
    if kind == "bool":
        return {"true": True, "false": False}[member.example]
    if kind == "list[string]":
        return json.loads(member.example)
    return member.example


def base(action: str, leave_out: str | None = None) -> dict[str, Any]:
    """The action's required members at their documented examples."""
    return {m.name: valid(m) for m in tables()[action] if m.required and m.name != leave_out}


def wrong_types(kind: str) -> list[Any]:
    """JSON values that are not of the documented type."""
    return {
        "string": [7, True, ["x"], {"x": "y"}],
        "uint64": ["7", True, 1.5, [7]],
        "int64": ["7", False, 2.5, {"x": 1}],
        "bool": [1, "true", [True]],
    }.get(kind, ["x", 7, {"x": "y"}])  # every list[...]


def type_word(kind: str) -> str:
    return {"string": "string", "uint64": "integer", "int64": "integer", "bool": "boolean"}.get(kind, "array")


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """One emulator for the table: the type check answers before any state is read."""
    emu = Emulator.start(tmp_path_factory.mktemp("params") / "emulator.sqlite3", rate_limits=False)
    try:
        yield emu
    finally:
        emu.stop()


def client_for(emu: Emulator, action: str, method: str = "POST") -> Any:
    if action in TAG_ACTIONS:
        return sdk_clients.tag(emu.endpoint, region=emu.region, method=method)
    return sdk_clients.tdmq(emu.endpoint, region=emu.region, method=method)


def outcome(client: Any, action: str, params: dict[str, Any]) -> tuple[str, str]:
    """("", "") on success, else the error's code and message."""
    try:
        client.call_json(action, params)
    except TencentCloudSDKException as error:
        return str(error.code), str(error.message)
    return "", ""


def assert_type_accepted(client: Any, action: str, params: dict[str, Any], name: str) -> None:
    """The call passes the type check: it succeeds, or a business rule answers (a queue that does
    not exist, a value outside the attribute's range, a parameter the rule needs besides)."""
    code, message = outcome(client, action, params)
    complaints = ("must be of type", "is not recognized", *_RANGE_WORDS)
    assert not any(words in message for words in complaints), (action, name, code, message)
    assert not (code == "MissingParameter" and f"`{name}`" in message), (action, name, code, message)


def by_action() -> list[str]:
    return sorted(tables())


# ------------------------------------------------------------------------------------ the table itself


def test_the_kept_request_tables_are_the_references() -> None:
    from tests.reliability.reference import reference_path

    path = reference_path()
    if path is None:
        pytest.skip("the API reference is not beside this checkout (set CMQINFRA_REFERENCE)")
    documented = request_tables(path.read_text(encoding="utf-8"))
    kept = {action: rows for action, rows in tables().items() if action not in TAG_ACTIONS}
    assert len(kept) == 20 and kept == {action: documented[action] for action in kept}


def test_the_table_reads_the_reference_rows() -> None:
    (queue_name, *_rest) = tables()["CreateCmqQueue"]
    assert queue_name == Member("CreateCmqQueue", "QueueName", "string", True, "testQueue")
    assert [m.name for m in tables()["SendCmqMsg"] if m.required] == [
        "QueueName",
        "MsgContent",
        "DelaySeconds",
    ]
    assert {m.type for m in members()} == {
        "string",
        "uint64",
        "int64",
        "bool",
        "list[string]",
        "list[Tag]",
        "list[Filter]",
        "list[TagKeyObject]",
    }


# ---------------------------------------------------------------------------------------- per action


@pytest.mark.parametrize("action", by_action())
def test_a_mistyped_parameter_is_invalid_parameter_naming_it(shared: Emulator, action: str) -> None:
    client = client_for(shared, action)
    for member in tables()[action]:
        for wrong in wrong_types(member.type):
            message = expect_error(
                client, action, {**base(action), member.name: wrong}, "InvalidParameter", f"`{member.name}`"
            )
            assert f"must be of type {type_word(member.type)}" in message, (member, wrong)


@pytest.mark.parametrize("action", by_action())
def test_every_documented_parameter_of_the_documented_type_passes(shared: Emulator, action: str) -> None:
    client = client_for(shared, action)
    for member in tables()[action]:
        assert_type_accepted(client, action, {**base(action), member.name: valid(member)}, member.name)
    everything = {m.name: valid(m) for m in tables()[action]}
    assert_type_accepted(client, action, everything, "all")


@pytest.mark.parametrize("action", by_action())
def test_a_missing_required_parameter_is_missing_parameter(shared: Emulator, action: str) -> None:
    client = client_for(shared, action)
    for member in (m for m in tables()[action] if m.required):
        for params in (base(action, leave_out=member.name), {**base(action), member.name: None}):
            message = expect_error(client, action, params, "MissingParameter", f"`{member.name}`")
            assert message == f"The request is missing a required parameter `{member.name}`."


@pytest.mark.parametrize("action", by_action())
def test_a_parameter_the_action_does_not_document_is_unknown(shared: Emulator, action: str) -> None:
    """Including every parameter another action documents (``Tags`` on a Modify, say)."""
    client = client_for(shared, action)
    own = {m.name for m in tables()[action]}
    others = sorted({m.name for m in members()} - own) + ["Colour"]
    for name in others:
        message = expect_error(client, action, {**base(action), name: "x"}, "UnknownParameter")
        assert message == f"The parameter `{name}` is not recognized."


@pytest.mark.parametrize("action", by_action())
def test_numbers_outside_the_documented_integer_types(shared: Emulator, action: str) -> None:
    client = client_for(shared, action)
    for member in (m for m in tables()[action] if m.type in ("uint64", "int64")):
        refused = [2**64, -(2**64), 2**63]  # 2**63 and up do not fit the emulator's 64-bit store
        if member.type == "uint64":
            refused.append(-1)
        else:
            refused.append(-(2**63) - 1)
        for value in refused:
            message = expect_error(
                client,
                action,
                {**base(action), member.name: value},
                "InvalidParameterValue",
                f"`{member.name}`",
            )
            assert any(word in message for word in _RANGE_WORDS), (member, value, message)
        lowest = 0 if member.type == "uint64" else -(2**63)
        for value in (lowest, 2**63 - 1):
            assert_type_accepted(client, action, {**base(action), member.name: value}, member.name)


@pytest.mark.parametrize("action", by_action())
def test_list_items_are_checked_one_by_one(shared: Emulator, action: str) -> None:
    client = client_for(shared, action)
    for member in (m for m in tables()[action] if m.type.startswith("list[")):
        item_type = member.type[5:-1]
        first = f"`{member.name}.1`"
        if item_type == "string":
            for wrong in (7, None, ["x"]):
                message = expect_error(
                    client, action, {**base(action), member.name: ["x", wrong]}, "InvalidParameter", first
                )
                assert "must be of type string" in message
            continue
        good = _VALID_OBJECT[item_type]
        message = expect_error(
            client, action, {**base(action), member.name: [good, "x"]}, "InvalidParameter", first
        )
        assert "must be of type object" in message
        extra = {**good, "Colour": "red"}
        expect_error(
            client,
            action,
            {**base(action), member.name: [good, extra]},
            "UnknownParameter",
            f"`{member.name}.1.Colour`",
        )
        for field, (kind, required) in OBJECTS[item_type].items():
            path = f"`{member.name}.1.{field}`"
            for wrong in wrong_types(kind):
                expect_error(
                    client,
                    action,
                    {**base(action), member.name: [good, {**good, field: wrong}]},
                    "InvalidParameter",
                    path,
                )
            without = {key: value for key, value in good.items() if key != field}
            if required:
                for item in (without, {**good, field: None}):
                    message = expect_error(
                        client, action, {**base(action), member.name: [good, item]}, "MissingParameter", path
                    )
                    assert message == f"The request is missing a required parameter {path}."
            else:
                assert_type_accepted(client, action, {**base(action), member.name: [without]}, member.name)


def test_a_list_holds_at_most_ten_thousand_items(shared: Emulator) -> None:
    client = client_for(shared, "DescribeCmqQueues")
    names = [f"q{i}" for i in range(10_000)]
    assert call(client, "DescribeCmqQueues", {"QueueNameList": names})["TotalCount"] == 0
    message = expect_error(
        client,
        "DescribeCmqQueues",
        {"QueueNameList": [*names, "one-more"]},
        "InvalidParameterValue",
        "`QueueNameList`",
    )
    assert "more than 10000 items" in message


# ------------------------------------------------------------------------- GET: every value a string


@pytest.mark.parametrize("action", by_action())
def test_get_requests_coerce_numbers_and_booleans_or_refuse_them(shared: Emulator, action: str) -> None:
    """The SDK's GET form sends every value as text; numbers and booleans must still parse."""
    client = client_for(shared, action, method="GET")
    for member in tables()[action]:
        if member.type in ("uint64", "int64"):
            assert_type_accepted(client, action, {**base(action), member.name: valid(member)}, member.name)
            for text in ("seven", "7.5", ""):
                message = expect_error(
                    client,
                    action,
                    {**base(action), member.name: text},
                    "InvalidParameter",
                    f"`{member.name}`",
                )
                assert "must be of type integer" in message
        elif member.type == "bool":
            for value in (True, False, "true", "FALSE"):
                assert_type_accepted(client, action, {**base(action), member.name: value}, member.name)
            for text in ("yes", "1", ""):
                message = expect_error(
                    client,
                    action,
                    {**base(action), member.name: text},
                    "InvalidParameter",
                    f"`{member.name}`",
                )
                assert "must be of type boolean" in message


def test_get_requests_with_malformed_flattened_names(shared: Emulator) -> None:
    for query in ("Tags.0=x&Tags.x=y", "QueueName=q&QueueName.0=x", "Tags.0.TagKey=k&Tags.0.TagKey.x=v"):
        response = raw_request(shared.endpoint, "DescribeCmqQueues", b"", method="GET", query=query)
        error = response.json()["Response"]["Error"]
        assert error["Code"] == "InvalidParameter", (query, error)
        assert "is malformed" in error["Message"] and "`" in error["Message"], (query, error)


def test_get_values_are_read_back_as_numbers_and_booleans(shared: Emulator) -> None:
    get = client_for(shared, "CreateCmqQueue", method="GET")
    post = client_for(shared, "DescribeCmqQueueDetail")
    call(get, "CreateCmqQueue", {"QueueName": "via-get", "VisibilityTimeout": 45, "Trace": False})
    detail = call(post, "DescribeCmqQueueDetail", {"QueueName": "via-get"})["QueueDescribe"]
    assert (detail["VisibilityTimeout"], detail["Trace"]) == (45, False)
    call(get, "ModifyCmqQueueAttribute", {"QueueName": "via-get", "Trace": "TRUE", "PollingWaitSeconds": "7"})
    detail = call(post, "DescribeCmqQueueDetail", {"QueueName": "via-get"})["QueueDescribe"]
    assert (detail["PollingWaitSeconds"], detail["Trace"]) == (7, True)


# --------------------------------------------------------------- well-typed values are what is stored


def read_back(request: dict[str, Any], sent: dict[str, Any]) -> dict[str, Any]:
    """Where the reference's output objects show each request member (Appendix A, CmqQueue and
    CmqTopic): the same name, but the dead-letter members in DeadLetterPolicy, the transaction
    back-check in TransactionPolicy, and Transaction (uint64 in, bool out)."""
    nested = {
        "DeadLetterQueueName": ("DeadLetterPolicy", "DeadLetterQueue"),
        "Policy": ("DeadLetterPolicy", "Policy"),
        "MaxReceiveCount": ("DeadLetterPolicy", "MaxReceiveCount"),
        "MaxTimeToLive": ("DeadLetterPolicy", "MaxTimeToLive"),
        "FirstQueryInterval": ("TransactionPolicy", "FirstQueryInterval"),
        "MaxQueryCount": ("TransactionPolicy", "MaxQueryCount"),
    }
    shown: dict[str, Any] = {}
    for name in sent:
        if name in nested:
            outer, inner = nested[name]
            shown[name] = request[outer][inner]
        elif name == "Transaction":
            shown[name] = int(request[name])
        else:
            shown[name] = request[name]
    return shown


def test_every_queue_attribute_is_stored_as_sent(tdmq_client: Any) -> None:
    documented = {m.name for m in tables()["CreateCmqQueue"]}
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "dead"})
    created = {
        "QueueName": "source",
        "MaxMsgHeapNum": 2_000_000,
        "PollingWaitSeconds": 4,
        "VisibilityTimeout": 45,
        "MaxMsgSize": 65536,
        "MsgRetentionSeconds": 7200,
        "RewindSeconds": 3600,
        "RetentionSizeInMB": 20480,
        "Transaction": 1,
        "FirstQueryInterval": 10,
        "MaxQueryCount": 5,
        "DeadLetterQueueName": "dead",
        "Policy": 1,
        "MaxReceiveCount": 7,
        "MaxTimeToLive": 600,
        "Trace": True,
        "Tags": [{"TagKey": "team", "TagValue": "a"}],
    }
    assert set(created) == documented
    call(tdmq_client, "CreateCmqQueue", created)
    queue = call(tdmq_client, "DescribeCmqQueueDetail", {"QueueName": "source"})["QueueDescribe"]
    assert read_back(queue, created) == created
    modified = {
        "QueueName": "source",
        "MaxMsgHeapNum": 3_000_000,
        "PollingWaitSeconds": 6,
        "VisibilityTimeout": 60,
        "MsgRetentionSeconds": 9000,
        "RewindSeconds": 1800,
        "RetentionSizeInMB": 30000,
        "Transaction": 1,
        "FirstQueryInterval": 20,
        "MaxQueryCount": 8,
        "DeadLetterQueueName": "dead",
        "Policy": 0,
        "MaxReceiveCount": 9,
        "MaxTimeToLive": 900,
        "Trace": False,
    }
    # every member ModifyCmqQueueAttribute documents but MaxMsgSize ("cannot be modified", §4.4)
    assert set(modified) == {m.name for m in tables()["ModifyCmqQueueAttribute"]} - {"MaxMsgSize"}
    call(tdmq_client, "ModifyCmqQueueAttribute", modified)
    queue = call(tdmq_client, "DescribeCmqQueueDetail", {"QueueName": "source"})["QueueDescribe"]
    assert read_back(queue, modified) == modified
    assert (queue["MaxMsgSize"], queue["Tags"]) == (65536, created["Tags"])


def test_every_topic_and_subscription_attribute_is_stored_as_sent(tdmq_client: Any) -> None:
    created = {
        "TopicName": "events",
        "MaxMsgSize": 2048,
        "FilterType": 2,
        "MsgRetentionSeconds": 600,
        "Trace": True,
        "Tags": [{"TagKey": "k", "TagValue": "v"}],
    }
    assert set(created) == {m.name for m in tables()["CreateCmqTopic"]}
    call(tdmq_client, "CreateCmqTopic", created)
    topic = call(tdmq_client, "DescribeCmqTopicDetail", {"TopicName": "events"})["TopicDescribe"]
    assert read_back(topic, created) == created
    modified = {"TopicName": "events", "MaxMsgSize": 4096, "MsgRetentionSeconds": 1200, "Trace": False}
    assert set(modified) == {m.name for m in tables()["ModifyCmqTopicAttribute"]}
    call(tdmq_client, "ModifyCmqTopicAttribute", modified)
    topic = call(tdmq_client, "DescribeCmqTopicDetail", {"TopicName": "events"})["TopicDescribe"]
    assert read_back(topic, modified) == modified

    subscribed = {
        "TopicName": "events",
        "SubscriptionName": "hook",
        "Protocol": "http",
        "Endpoint": "http://example.com/hook",
        "NotifyStrategy": "BACKOFF_RETRY",
        "BindingKey": ["order.*"],
        "NotifyContentFormat": "SIMPLIFIED",
    }
    # FilterTag belongs to tag-filtered topics; this one routes by BindingKey
    assert set(subscribed) == {m.name for m in tables()["CreateCmqSubscribe"]} - {"FilterTag"}
    call(tdmq_client, "CreateCmqSubscribe", subscribed)
    listed = {"TopicName": "events", "SubscriptionName": "hook"}
    (subscription,) = call(tdmq_client, "DescribeCmqSubscriptionDetail", listed)["SubscriptionSet"]
    assert read_back(subscription, subscribed) == subscribed
    changed = {**listed, "NotifyStrategy": "EXPONENTIAL_DECAY_RETRY", "NotifyContentFormat": "JSON"}
    call(tdmq_client, "ModifyCmqSubscriptionAttribute", {**changed, "BindingKey": ["order.#", "refund"]})
    (subscription,) = call(tdmq_client, "DescribeCmqSubscriptionDetail", listed)["SubscriptionSet"]
    assert read_back(subscription, changed) == changed
    assert subscription["BindingKey"] == ["order.#", "refund"]


def test_in_process_calls_are_checked_as_json_not_as_query_text(emulator: Emulator) -> None:
    """``Backend.call`` takes JSON-typed parameters, as a POST body does: text is not a number."""
    from cmqinfra.emulator.errors import ApiError

    for name, text in (("VisibilityTimeout", "30"), ("Trace", "true")):
        with pytest.raises(ApiError) as refused:
            emulator.backend.call("CreateCmqQueue", {"QueueName": "q", name: text})
        assert (refused.value.code, f"`{name}`" in refused.value.message) == ("InvalidParameter", True)
    emulator.backend.call("CreateCmqQueue", {"QueueName": "q", "VisibilityTimeout": 30, "Trace": True})
    detail = call(
        client_for(emulator, "DescribeCmqQueueDetail"), "DescribeCmqQueueDetail", {"QueueName": "q"}
    )
    assert (detail["QueueDescribe"]["VisibilityTimeout"], detail["QueueDescribe"]["Trace"]) == (30, True)
