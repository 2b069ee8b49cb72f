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
