"""The listing rules of DescribeCmqQueues / DescribeCmqTopics (reference §2 notes and §4.6): Limit
at most 50, tag filters only with IsTagFilter=true and only of the form ``tag:<key>``, and the
name filter a substring search in which nothing but the caller's text matches."""

from __future__ import annotations

from typing import Any

import pytest
from emulator_helpers import call, expect_error

LISTINGS = (
    ("DescribeCmqQueues", "CreateCmqQueue", "Queue"),
    ("DescribeCmqTopics", "CreateCmqTopic", "Topic"),
)


def names(client: Any, action: str, kind: str, params: dict[str, Any]) -> list[str]:
    return sorted(item[f"{kind}Name"] for item in call(client, action, params)[f"{kind}List"])


@pytest.mark.parametrize(("action", "create", "kind"), LISTINGS)
def test_limit_over_fifty_is_refused_naming_the_maximum(
    tdmq_client: Any, action: str, create: str, kind: str
) -> None:
    call(tdmq_client, create, {f"{kind}Name": "one"})
    assert names(tdmq_client, action, kind, {"Limit": 50}) == ["one"]
    message = expect_error(tdmq_client, action, {"Limit": 51}, "InvalidParameterValue", "`Limit`")
    assert "51" in message and "50" in message


@pytest.mark.parametrize(("action", "create", "kind"), LISTINGS)
def test_tag_filters_apply_only_with_is_tag_filter(
    tdmq_client: Any, action: str, create: str, kind: str
) -> None:
    call(tdmq_client, create, {f"{kind}Name": "tagged", "Tags": [{"TagKey": "owner", "TagValue": "me"}]})
    call(tdmq_client, create, {f"{kind}Name": "plain"})
    owner = [{"Name": "tag:owner", "Values": ["me"]}]
    assert names(tdmq_client, action, kind, {"IsTagFilter": True, "Filters": owner}) == ["tagged"]
    # the reference's own spelling, "tag: owner", names the same key
    spaced = [{"Name": "tag: owner", "Values": ["me"]}]
    assert names(tdmq_client, action, kind, {"IsTagFilter": True, "Filters": spaced}) == ["tagged"]
    assert names(tdmq_client, action, kind, {"IsTagFilter": False, "Filters": owner}) == ["plain", "tagged"]
    assert names(tdmq_client, action, kind, {"Filters": owner}) == ["plain", "tagged"]
    assert names(tdmq_client, action, kind, {"IsTagFilter": True}) == ["plain", "tagged"]


@pytest.mark.parametrize(("action", "create", "kind"), LISTINGS)
@pytest.mark.parametrize("name", ["owner", "Tag:owner", "tag:", "tag:   ", "label:owner"])
def test_a_filter_not_of_the_form_tag_key_is_refused(
    tdmq_client: Any, action: str, create: str, kind: str, name: str
) -> None:
    call(tdmq_client, create, {f"{kind}Name": "tagged", "Tags": [{"TagKey": "owner", "TagValue": "me"}]})
    filters = [{"Name": "tag:owner"}, {"Name": name, "Values": ["me"]}]
    message = expect_error(
        tdmq_client,
        action,
        {"IsTagFilter": True, "Filters": filters},
        "InvalidParameterValue",
        "`Filters.1.Name`",
    )
    assert f"`{name}`" in message and "tag:<key>" in message


@pytest.mark.parametrize(("action", "create", "kind"), LISTINGS)
def test_the_name_filter_matches_the_text_itself(
    tdmq_client: Any, action: str, create: str, kind: str
) -> None:
    """Names may hold ``_``; the caller's ``_``, ``%`` and ``\\`` are plain characters, not wildcards."""
    for name in ("a_b", "axb", "alpha"):
        call(tdmq_client, create, {f"{kind}Name": name})
    assert names(tdmq_client, action, kind, {f"{kind}Name": "a_b"}) == ["a_b"]
    assert names(tdmq_client, action, kind, {f"{kind}Name": "A_"}) == ["a_b"]
    assert names(tdmq_client, action, kind, {f"{kind}Name": "X"}) == ["axb"]
    for text in ("%", "a%b", "\\a", "a\\", "\\"):
        listed = call(tdmq_client, action, {f"{kind}Name": text})
        assert (listed["TotalCount"], listed[f"{kind}List"]) == (0, []), text


# ------------------------------------------------------------------ the other value rules, in words


@pytest.mark.parametrize(("create", "kind"), [("CreateCmqQueue", "Queue"), ("CreateCmqTopic", "Topic")])
def test_tag_keys_hold_1_to_127_characters_and_values_1_to_255(
    tdmq_client: Any, create: str, kind: str
) -> None:
    """The Tag service's limits, on create as on ModifyResourceTags; the message says which tag."""
    longest = [{"TagKey": "k" * 127, "TagValue": "v" * 255}]
    call(tdmq_client, create, {f"{kind}Name": "longest", "Tags": longest})
    tags = call(tdmq_client, f"Describe{create[6:]}Detail", {f"{kind}Name": "longest"})[f"{kind}Describe"][
        "Tags"
    ]
    assert tags == longest
    ok = {"TagKey": "a", "TagValue": "b"}
    for bad, field, words in (
        ({"TagKey": "k" * 128, "TagValue": "v"}, "TagKey", "1..127 characters"),
        ({"TagKey": "", "TagValue": "v"}, "TagKey", "1..127 characters"),
        ({"TagKey": "k", "TagValue": "v" * 256}, "TagValue", "1..255 characters"),
        ({"TagKey": "k", "TagValue": ""}, "TagValue", "1..255 characters"),
        ({"TagKey": "a", "TagValue": "again"}, "TagKey", "tag key `a` appears twice"),
    ):
        message = expect_error(
            tdmq_client, create, {f"{kind}Name": "refused", "Tags": [ok, bad]}, "InvalidParameterValue"
        )
        assert message.startswith(f"The value of parameter `Tags.1.{field}` is invalid: "), message
        assert words in message, message
    listed = call(tdmq_client, f"Describe{create[6:]}s", {f"{kind}Name": "refused"})
    assert listed["TotalCount"] == 0


def test_range_and_name_refusals_say_what_the_rule_is(tdmq_client: Any) -> None:
    message = expect_error(
        tdmq_client, "CreateCmqQueue", {"QueueName": "q", "VisibilityTimeout": 0}, "InvalidParameterValue"
    )
    assert message == "The value of parameter `VisibilityTimeout` is invalid: 0 is outside 1..43200."
    message = expect_error(
        tdmq_client, "CreateCmqQueue", {"QueueName": "jobs-Retry"}, "InvalidParameterValue"
    )
    assert "`jobs-Retry`" in message and "must not end with `-retry` or `-dlq`" in message
    message = expect_error(tdmq_client, "CreateCmqTopic", {"TopicName": "9lives"}, "InvalidParameterValue")
    assert message == (
        "The value of parameter `TopicName` is invalid: `9lives` must start with a letter and contain only "
        "letters, digits, `-` and `_`, at most 64 characters."
    )


@pytest.mark.parametrize(
    ("create", "params", "key", "prefix"),
    [
        ("CreateCmqQueue", {"QueueName": "q"}, "QueueId", "cmqq-"),
        ("CreateCmqTopic", {"TopicName": "t"}, "TopicId", "cmqt-"),
    ],
)
def test_ids_have_the_documented_shape(
    tdmq_client: Any, create: str, params: dict[str, Any], key: str, prefix: str
) -> None:
    """Reference §2.1: a prefix and 8 to 12 lower-case letters and digits (``cmqq-rd42drdeaag9``)."""
    new_id = call(tdmq_client, create, params)[key]
    suffix = new_id.removeprefix(prefix)
    assert new_id.startswith(prefix) and 8 <= len(suffix) <= 12, new_id
    assert suffix.isalnum() and suffix == suffix.lower() and suffix.isascii(), new_id


def test_enum_and_tag_count_refusals_list_what_is_allowed(tdmq_client: Any) -> None:
    message = expect_error(
        tdmq_client, "CreateCmqQueue", {"QueueName": "q", "Policy": 2}, "InvalidParameterValue"
    )
    assert message == "The value of parameter `Policy` is invalid: `2` is not one of 0, 1."
    call(tdmq_client, "CreateCmqTopic", {"TopicName": "t"})
    subscribe = {"TopicName": "t", "SubscriptionName": "s", "Protocol": "http", "Endpoint": "http://e.com/"}
    message = expect_error(
        tdmq_client,
        "CreateCmqSubscribe",
        {**subscribe, "NotifyStrategy": "SOMETIMES"},
        "InvalidParameterValue",
    )
    assert "`SOMETIMES` is not one of BACKOFF_RETRY, EXPONENTIAL_DECAY_RETRY" in message, message
    many = [{"TagKey": f"k{i}", "TagValue": "v"} for i in range(51)]
    message = expect_error(
        tdmq_client, "CreateCmqQueue", {"QueueName": "q", "Tags": many}, "InvalidParameterValue"
    )
    assert message == "The value of parameter `Tags` is invalid: at most 50 tags per resource."
