"""The Tag service actions on queues and topics, and their effect on Describe* Tags and tag filters."""

from __future__ import annotations

from typing import Any

import pytest
from emulator_helpers import call, expect_error
from tencentcloud.tag.v20180813 import models as tag_models

QUEUE = "qcs::tdmq:ap-guangzhou:uin/:queue/{}"
TOPIC = "qcs::tdmq:ap-guangzhou:uin/123456:topic/{}"


def queue_tags(client: Any, name: str) -> Any:
    return call(client, "DescribeCmqQueueDetail", {"QueueName": name})["QueueDescribe"]["Tags"]


def test_modify_resource_tags_replaces_and_deletes(tdmq_client: Any, tag_client: Any) -> None:
    call(
        tdmq_client,
        "CreateCmqQueue",
        {"QueueName": "q", "Tags": [{"TagKey": "a", "TagValue": "1"}, {"TagKey": "b", "TagValue": "2"}]},
    )
    request = tag_models.ModifyResourceTagsRequest()
    request.Resource = QUEUE.format("q")
    replace = tag_models.Tag()
    replace.TagKey, replace.TagValue = "a", "one"
    extra = tag_models.Tag()
    extra.TagKey, extra.TagValue = "c", "3"
    delete = tag_models.TagKeyObject()
    delete.TagKey = "b"
    request.ReplaceTags, request.DeleteTags = [replace, extra], [delete]
    assert tag_client.ModifyResourceTags(request).RequestId
    assert queue_tags(tdmq_client, "q") == [
        {"TagKey": "a", "TagValue": "one"},
        {"TagKey": "c", "TagValue": "3"},
    ]
    call(
        tag_client,
        "ModifyResourceTags",
        {"Resource": QUEUE.format("q"), "DeleteTags": [{"TagKey": "a"}, {"TagKey": "c"}]},
    )
    assert queue_tags(tdmq_client, "q") is None


def test_topic_tags_and_filters(tdmq_client: Any, tag_client: Any) -> None:
    call(tdmq_client, "CreateCmqTopic", {"TopicName": "t"})
    call(tdmq_client, "CreateCmqTopic", {"TopicName": "u"})
    call(
        tag_client,
        "ModifyResourceTags",
        {"Resource": TOPIC.format("T"), "ReplaceTags": [{"TagKey": "owner", "TagValue": "me"}]},
    )
    found = call(
        tdmq_client,
        "DescribeCmqTopics",
        {"IsTagFilter": True, "Filters": [{"Name": "tag:owner", "Values": ["me"]}]},
    )
    assert [t["TopicName"] for t in found["TopicList"]] == ["t"]
    assert found["TopicList"][0]["Tags"] == [{"TagKey": "owner", "TagValue": "me"}]


def test_modify_resource_tags_rules(tdmq_client: Any, tag_client: Any) -> None:
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "q"})
    resource = QUEUE.format("q")
    expect_error(tag_client, "ModifyResourceTags", {"Resource": resource}, "MissingParameter")
    expect_error(
        tag_client,
        "ModifyResourceTags",
        {"Resource": resource, "ReplaceTags": []},
        "InvalidParameterValue",
        "ReplaceTags",
    )
    eleven = [{"TagKey": f"k{i}", "TagValue": "v"} for i in range(11)]
    expect_error(
        tag_client,
        "ModifyResourceTags",
        {"Resource": resource, "ReplaceTags": eleven},
        "LimitExceeded.TagNumPerRequest",
    )
    expect_error(
        tag_client,
        "ModifyResourceTags",
        {
            "Resource": resource,
            "ReplaceTags": [{"TagKey": "k", "TagValue": "v"}],
            "DeleteTags": [{"TagKey": "k"}],
        },
        "InvalidParameterValue.TagKeyDuplicate",
    )
    expect_error(
        tag_client,
        "ModifyResourceTags",
        {"Resource": "queue/q", "DeleteTags": [{"TagKey": "k"}]},
        "InvalidParameterValue.ResourceDescriptionError",
    )
    expect_error(
        tag_client,
        "ModifyResourceTags",
        {"Resource": QUEUE.format("ghost"), "DeleteTags": [{"TagKey": "k"}]},
        "ResourceNotFound",
    )
    expect_error(
        tag_client,
        "ModifyResourceTags",
        {"Resource": "qcs::tdmq:ap-beijing:uin/:queue/q", "DeleteTags": [{"TagKey": "k"}]},
        "ResourceNotFound",
    )
    assert queue_tags(tdmq_client, "q") is None


def test_tag_and_untag_resources_and_describe(tdmq_client: Any, tag_client: Any) -> None:
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "q1"})
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "q2"})
    call(
        tag_client,
        "TagResources",
        {
            "ResourceList": [QUEUE.format("q1"), QUEUE.format("q2")],
            "Tags": [{"TagKey": "env", "TagValue": "dev"}],
        },
    )
    assert queue_tags(tdmq_client, "q2") == [{"TagKey": "env", "TagValue": "dev"}]
    described = call(
        tag_client,
        "DescribeResourceTagsByResourceIds",
        {
            "ServiceType": "tdmq",
            "ResourcePrefix": "queue",
            "ResourceIds": ["q1", "q2"],
            "ResourceRegion": "ap-guangzhou",
        },
    )
    assert described["TotalCount"] == 2
    assert {(t["ResourceId"], t["TagKey"], t["TagValue"]) for t in described["Tags"]} == {
        ("q1", "env", "dev"),
        ("q2", "env", "dev"),
    }
    call(tag_client, "UnTagResources", {"ResourceList": [QUEUE.format("q1")], "TagKeys": ["env"]})
    assert queue_tags(tdmq_client, "q1") is None
    assert queue_tags(tdmq_client, "q2") == [{"TagKey": "env", "TagValue": "dev"}]


def test_tag_service_rejects_tdmq_actions(tag_client: Any) -> None:
    expect_error(tag_client, "DescribeCmqQueues", {}, "InvalidAction")


def _tags(count: int, prefix: str = "k") -> list[dict[str, str]]:
    return [{"TagKey": f"{prefix}{i:02d}", "TagValue": "v"} for i in range(count)]


def test_a_resource_is_created_with_at_most_fifty_tags(tdmq_client: Any) -> None:
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "fifty", "Tags": _tags(50)})
    assert len(queue_tags(tdmq_client, "fifty")) == 50
    expect_error(
        tdmq_client,
        "CreateCmqQueue",
        {"QueueName": "more", "Tags": _tags(51)},
        "InvalidParameterValue",
        "Tags",
    )
    call(tdmq_client, "CreateCmqTopic", {"TopicName": "fifty", "Tags": _tags(50)})
    expect_error(
        tdmq_client,
        "CreateCmqTopic",
        {"TopicName": "more", "Tags": _tags(51)},
        "InvalidParameterValue",
        "Tags",
    )
    assert call(tdmq_client, "DescribeCmqQueues", {"QueueName": "more"})["TotalCount"] == 0


def test_tagging_past_fifty_tags_is_refused_and_changes_nothing(tdmq_client: Any, tag_client: Any) -> None:
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "q", "Tags": _tags(45)})
    resource = QUEUE.format("q")
    call(tag_client, "ModifyResourceTags", {"Resource": resource, "ReplaceTags": _tags(5, "x")})
    assert len(queue_tags(tdmq_client, "q")) == 50
    # replacing the value of a tag it has keeps it at fifty
    call(
        tag_client,
        "ModifyResourceTags",
        {"Resource": resource, "ReplaceTags": [{"TagKey": "x00", "TagValue": "w"}]},
    )
    expect_error(
        tag_client,
        "ModifyResourceTags",
        {"Resource": resource, "ReplaceTags": _tags(1, "y")},
        "LimitExceeded.ResourceAttachedTags",
    )
    assert len(queue_tags(tdmq_client, "q")) == 50
    assert {"TagKey": "y00", "TagValue": "v"} not in queue_tags(tdmq_client, "q")


def test_tag_and_untag_several_resources_then_describe_their_tags(tdmq_client: Any, tag_client: Any) -> None:
    import hashlib

    for name in ("a", "b"):
        call(tdmq_client, "CreateCmqQueue", {"QueueName": name})
    resources = [QUEUE.format("a"), QUEUE.format("B")]
    call(tag_client, "TagResources", {"ResourceList": resources, "Tags": _tags(2)})
    call(tag_client, "UnTagResources", {"ResourceList": [QUEUE.format("b")], "TagKeys": ["k00"]})
    described = call(
        tag_client,
        "DescribeResourceTagsByResourceIds",
        {
            "ServiceType": "tdmq",
            "ResourcePrefix": "queue",
            "ResourceRegion": "ap-guangzhou",
            "ResourceIds": ["A", "b"],
        },
    )

    def row(resource: str, key: str) -> dict[str, str]:
        return {
            "TagKey": key,
            "TagValue": "v",
            "ResourceId": resource,
            "TagKeyMd5": hashlib.md5(key.encode()).hexdigest(),
            "TagValueMd5": hashlib.md5(b"v").hexdigest(),
            "ServiceType": "tdmq",
            "Category": "Custom",
        }

    assert described["TotalCount"] == 3 and (described["Offset"], described["Limit"]) == (0, 15)
    assert described["Tags"] == [row("A", "k00"), row("A", "k01"), row("b", "k01")]
    page = call(
        tag_client,
        "DescribeResourceTagsByResourceIds",
        {
            "ServiceType": "tdmq",
            "ResourcePrefix": "queue",
            "ResourceRegion": "ap-guangzhou",
            "ResourceIds": ["a", "b"],
            "Offset": 1,
            "Limit": 1,
        },
    )
    assert (page["TotalCount"], page["Offset"], page["Limit"]) == (3, 1, 1)
    assert [(t["ResourceId"], t["TagKey"]) for t in page["Tags"]] == [("a", "k01")]
    empty = call(
        tag_client,
        "DescribeResourceTagsByResourceIds",
        {
            "ServiceType": "tdmq",
            "ResourcePrefix": "topic",
            "ResourceRegion": "ap-guangzhou",
            "ResourceIds": [],
        },
    )
    assert empty == {"TotalCount": 0, "Offset": 0, "Limit": 15, "Tags": [], "RequestId": empty["RequestId"]}
    for params, field in (
        ({"ServiceType": "cvm", "ResourcePrefix": "queue"}, "ServiceType"),
        ({"ServiceType": "tdmq", "ResourcePrefix": "instance"}, "ResourcePrefix"),
    ):
        expect_error(
            tag_client,
            "DescribeResourceTagsByResourceIds",
            {**params, "ResourceRegion": "ap-guangzhou", "ResourceIds": ["a"]},
            "InvalidParameterValue.ResourcePrefixInvalid",
            field,
        )
    expect_error(
        tag_client, "TagResources", {"ResourceList": resources, "Tags": []}, "InvalidParameterValue", "Tags"
    )
    expect_error(
        tag_client,
        "UnTagResources",
        {"ResourceList": [QUEUE.format("zz")], "TagKeys": ["k"]},
        "ResourceNotFound",
    )


# ------------------------------------------------------------- the Tag service's limits and its words


def test_ten_entries_a_request_are_allowed_and_eleven_refused(tdmq_client: Any, tag_client: Any) -> None:
    """ReplaceTags, DeleteTags, Tags and TagKeys hold 1..10 entries (Tag service, §4.5)."""
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "q"})
    resource = QUEUE.format("q")
    keys = [{"TagKey": f"k{i:02d}"} for i in range(11)]
    requests = (
        ("ModifyResourceTags", "ReplaceTags", {"Resource": resource}, _tags(11)),
        ("ModifyResourceTags", "DeleteTags", {"Resource": resource}, keys),
        ("TagResources", "Tags", {"ResourceList": [resource]}, _tags(11)),
        ("UnTagResources", "TagKeys", {"ResourceList": [resource]}, [key["TagKey"] for key in keys]),
    )
    for action, field, params, eleven in requests:
        call(tag_client, action, {**params, field: eleven[:10]})
        message = expect_error(
            tag_client, action, {**params, field: eleven}, "LimitExceeded.TagNumPerRequest", f"`{field}`"
        )
        assert "at most 10 entries" in message
        message = expect_error(
            tag_client, action, {**params, field: []}, "InvalidParameterValue", f"`{field}`"
        )
        assert "must not be empty" in message
    assert queue_tags(tdmq_client, "q") is None  # the last call untagged all ten


def test_modify_resource_tags_names_what_is_wrong(tdmq_client: Any, tag_client: Any) -> None:
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "q"})
    resource = QUEUE.format("q")
    message = expect_error(tag_client, "ModifyResourceTags", {"Resource": resource}, "MissingParameter")
    assert "`ReplaceTags`" in message and "`DeleteTags`" in message
    expect_error(
        tag_client,
        "ModifyResourceTags",
        {
            "Resource": resource,
            "ReplaceTags": [{"TagKey": "a", "TagValue": "1"}, {"TagKey": "", "TagValue": "2"}],
        },
        "InvalidParameterValue",
        "`ReplaceTags.1.TagKey`",
    )
    message = expect_error(
        tag_client,
        "ModifyResourceTags",
        {
            "Resource": resource,
            "ReplaceTags": [{"TagKey": "z", "TagValue": "1"}],
            "DeleteTags": [{"TagKey": "z"}],
        },
        "InvalidParameterValue.TagKeyDuplicate",
    )
    assert "`z`" in message and "ReplaceTags" in message and "DeleteTags" in message
    message = expect_error(
        tag_client,
        "ModifyResourceTags",
        {"Resource": "queue/q", "DeleteTags": [{"TagKey": "k"}]},
        "InvalidParameterValue.ResourceDescriptionError",
        "`Resource`",
    )
    assert "`queue/q`" in message and "qcs::tdmq:<region>:uin/<uin>:queue/<name>" in message
    message = expect_error(
        tag_client,
        "ModifyResourceTags",
        {"Resource": "qcs::tdmq:ap-beijing:uin/:topic/t", "DeleteTags": [{"TagKey": "k"}]},
        "ResourceNotFound",
    )
    assert "Topic `t`" in message and "ap-beijing" in message and "ap-guangzhou" in message
    message = expect_error(
        tag_client,
        "ModifyResourceTags",
        {"Resource": TOPIC.format("ghost"), "DeleteTags": [{"TagKey": "k"}]},
        "ResourceNotFound",
    )
    assert message == "Topic `ghost` does not exist."
    assert queue_tags(tdmq_client, "q") is None


@pytest.mark.parametrize("action", ["TagResources", "UnTagResources"])
def test_resource_lists_name_the_entry_that_is_wrong(tdmq_client: Any, tag_client: Any, action: str) -> None:
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "q"})
    entries = {"TagResources": {"Tags": _tags(1)}, "UnTagResources": {"TagKeys": ["k00"]}}[action]
    message = expect_error(
        tag_client,
        action,
        {"ResourceList": [QUEUE.format("q"), "qcs::cvm:ap-guangzhou:uin/:instance/ins-1"], **entries},
        "InvalidParameterValue.ResourceDescriptionError",
        "`ResourceList.1`",
    )
    assert "ins-1" in message
    message = expect_error(
        tag_client,
        action,
        {"ResourceList": [QUEUE.format("q"), QUEUE.format("gone")], **entries},
        "ResourceNotFound",
    )
    assert message == "Queue `gone` does not exist."


def test_tag_resources_checks_the_tags_it_is_given(tdmq_client: Any, tag_client: Any) -> None:
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "q"})
    tags = [{"TagKey": "a", "TagValue": "1"}, {"TagKey": "b", "TagValue": ""}]
    expect_error(
        tag_client,
        "TagResources",
        {"ResourceList": [QUEUE.format("q")], "Tags": tags},
        "InvalidParameterValue",
        "`Tags.1.TagValue`",
    )
    assert queue_tags(tdmq_client, "q") is None


def test_a_refused_tag_resources_changes_no_resource(tdmq_client: Any, tag_client: Any) -> None:
    """The second resource would pass fifty tags: the first, already tagged in the same call, is not."""
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "first"})
    call(tdmq_client, "CreateCmqQueue", {"QueueName": "full", "Tags": _tags(50)})
    message = expect_error(
        tag_client,
        "TagResources",
        {"ResourceList": [QUEUE.format("first"), QUEUE.format("full")], "Tags": _tags(1, "new")},
        "LimitExceeded.ResourceAttachedTags",
    )
    assert "at most 50 tags" in message
    assert queue_tags(tdmq_client, "first") is None
    assert len(queue_tags(tdmq_client, "full")) == 50
