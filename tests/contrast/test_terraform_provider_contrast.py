"""Where terraform-provider-tencentcloud's CMQ resources go wrong, and cmqinfra does not.

One test per defect confirmed by reading the provider's source (docs/terraform-contrast.md cites
file and line); each is named for the defect and shows cmqinfra doing it right against the
emulator, through the real SDK over HTTP.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.tdmq.v20200217 import models

from cmqinfra.emulator import Emulator

sys.path.insert(0, str(Path(__file__).parents[1] / "gitops"))
from cli_helpers import run  # noqa: E402

BASE = """
stack: contrast
queues:
  spare: {}
  work-dead: {}
  work:
    deadLetter: {queue: work-dead, maxReceiveCount: 3}
topics:
  events:
    subscriptions:
      to-work: {protocol: queue, endpoint: work}
      hook: {protocol: http, endpoint: "https://hooks.example.com/a", filterTags: [blue]}
"""


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "contrast.yaml"
    path.write_text(BASE.lstrip())
    return path


def apply(manifest: Path, emulator: Emulator, *extra: str) -> None:
    result = run("apply", str(manifest), "--endpoint", emulator.url, "--auto-approve", *extra)
    assert result.code == 0, result.stdout + result.stderr


def plan(manifest: Path, emulator: Emulator) -> dict[str, Any]:
    result = run("plan", str(manifest), "--endpoint", emulator.url, "--format", "json")
    assert result.code in (0, 1), result.stderr
    return json.loads(result.stdout)


def actions(doc: dict[str, Any]) -> dict[str, list[str]]:
    return {
        rc["address"]: rc["change"]["actions"]
        for rc in doc["resource_changes"]
        if rc["change"]["actions"] != ["no-op"]
    }


def edit(manifest: Path, old: str, new: str) -> None:
    text = manifest.read_text()
    assert old in text
    manifest.write_text(text.replace(old, new))


def queue_detail(client: Any, name: str) -> Any:
    request = models.DescribeCmqQueueDetailRequest()
    request.QueueName = name
    return client.DescribeCmqQueueDetail(request).QueueDescribe


def subscription(client: Any, topic: str, name: str) -> Any:
    request = models.DescribeCmqSubscriptionDetailRequest()
    request.TopicName = topic
    request.SubscriptionName = name
    found = [
        s for s in client.DescribeCmqSubscriptionDetail(request).SubscriptionSet if s.SubscriptionName == name
    ]
    return found[0]


def test_queue_deleted_outside_is_planned_again_not_kept_in_state(
    manifest: Path, emulator: Emulator, tdmq_client: Any
) -> None:
    apply(manifest, emulator)
    request = models.DeleteCmqQueueRequest()
    request.QueueName = "spare"
    tdmq_client.DeleteCmqQueue(request)
    # the provider's Read returns nil on ResourceNotFound without clearing the id: no change shown
    assert actions(plan(manifest, emulator)) == {"queue/spare": ["create"]}


def test_topic_deleted_outside_is_planned_again_not_an_error_on_resource_not_found_topic(
    manifest: Path, emulator: Emulator, tdmq_client: Any
) -> None:
    apply(manifest, emulator)
    request = models.DeleteCmqTopicRequest()
    request.TopicName = "events"
    tdmq_client.DeleteCmqTopic(request)
    detail = models.DescribeCmqTopicDetailRequest()
    detail.TopicName = "events"
    with pytest.raises(TencentCloudSDKException) as gone:
        tdmq_client.DescribeCmqTopicDetail(detail)
    assert gone.value.code == "ResourceNotFound.Topic"  # not the "ResourceNotFound" the provider checks
    assert actions(plan(manifest, emulator)) == {
        "topic/events": ["create"],
        "subscription/events/hook": ["create"],
        "subscription/events/to-work": ["create"],
    }


def test_dead_letter_queue_is_read_from_the_queues_own_policy_not_from_its_sources(
    manifest: Path, emulator: Emulator, tmp_path: Path
) -> None:
    apply(manifest, emulator)
    assert actions(plan(manifest, emulator)) == {}
    exported = tmp_path / "exported.yaml"
    result = run("export", "--stack", "contrast", "--endpoint", emulator.url, "-o", str(exported))
    assert result.code == 0, result.stderr
    queues = yaml.safe_load(exported.read_text())["queues"]
    # the source queue names its dead-letter queue; the dead-letter queue names none
    assert queues["work"]["deadLetter"] == {"queue": "work-dead", "maxReceiveCount": 3}
    assert "deadLetter" not in queues["work-dead"]


def test_removing_a_dead_letter_unbinds_it(manifest: Path, emulator: Emulator, tdmq_client: Any) -> None:
    apply(manifest, emulator)
    assert queue_detail(tdmq_client, "work").DeadLetterPolicy.DeadLetterQueue == "work-dead"
    edit(manifest, "  work:\n    deadLetter: {queue: work-dead, maxReceiveCount: 3}\n", "  work: {}\n")
    apply(manifest, emulator)
    policy = queue_detail(tdmq_client, "work").DeadLetterPolicy
    assert policy is None or not policy.DeadLetterQueue
    assert actions(plan(manifest, emulator)) == {}


def test_changed_filter_tags_are_applied_not_ignored(
    manifest: Path, emulator: Emulator, tdmq_client: Any
) -> None:
    apply(manifest, emulator)
    edit(manifest, "filterTags: [blue]", "filterTags: [green, red]")
    assert actions(plan(manifest, emulator)) == {"subscription/events/hook": ["update"]}
    apply(manifest, emulator)
    assert sorted(subscription(tdmq_client, "events", "hook").FilterTags) == ["green", "red"]
    assert actions(plan(manifest, emulator)) == {}


def test_changed_endpoint_replaces_the_subscription_not_ignored(
    manifest: Path, emulator: Emulator, tdmq_client: Any
) -> None:
    apply(manifest, emulator)
    edit(manifest, "https://hooks.example.com/a", "https://hooks.example.com/b")
    assert actions(plan(manifest, emulator)) == {"subscription/events/hook": ["delete", "create"]}
    apply(manifest, emulator)
    assert subscription(tdmq_client, "events", "hook").Endpoint == "https://hooks.example.com/b"
    assert actions(plan(manifest, emulator)) == {}


def test_changed_protocol_replaces_the_subscription_not_ignored(
    manifest: Path, emulator: Emulator, tdmq_client: Any
) -> None:
    apply(manifest, emulator)
    edit(
        manifest,
        'hook: {protocol: http, endpoint: "https://hooks.example.com/a", filterTags: [blue]}',
        "hook: {protocol: queue, endpoint: work-dead, filterTags: [blue]}",
    )
    assert actions(plan(manifest, emulator)) == {"subscription/events/hook": ["delete", "create"]}
    apply(manifest, emulator)
    live = subscription(tdmq_client, "events", "hook")
    assert (live.Protocol, live.Endpoint) == ("queue", "work-dead")


def test_changed_topic_filter_type_replaces_the_topic_not_ignored(
    manifest: Path, emulator: Emulator, tdmq_client: Any
) -> None:
    apply(manifest, emulator)
    edit(manifest, "  events:\n", "  events:\n    filterType: routingKey\n")
    edit(manifest, "filterTags: [blue]", "bindingKeys: [a.b]")
    assert actions(plan(manifest, emulator))["topic/events"] == ["delete", "create"]
    apply(manifest, emulator)
    request = models.DescribeCmqTopicDetailRequest()
    request.TopicName = "events"
    assert tdmq_client.DescribeCmqTopicDetail(request).TopicDescribe.FilterType == 2


def test_unwritten_topic_trace_is_not_turned_on(manifest: Path, emulator: Emulator, tdmq_client: Any) -> None:
    apply(manifest, emulator)
    request = models.DescribeCmqTopicDetailRequest()
    request.TopicName = "events"
    assert tdmq_client.DescribeCmqTopicDetail(request).TopicDescribe.Trace is False  # the provider sends true


def test_unwritten_format_of_a_queue_subscription_is_the_simplified_one_it_needs(
    manifest: Path, emulator: Emulator, tdmq_client: Any
) -> None:
    apply(manifest, emulator)
    # the provider sends its default JSON, which a queue subscription does not take
    assert subscription(tdmq_client, "events", "to-work").NotifyContentFormat == "SIMPLIFIED"
    assert subscription(tdmq_client, "events", "hook").NotifyContentFormat == "JSON"


def test_subscription_tags_are_refused_where_written_not_silently_dropped(manifest: Path) -> None:
    edit(manifest, "filterTags: [blue]}", "filterTags: [blue], tags: {team: a}}")
    result = run("validate", str(manifest))
    assert result.code == 1
    assert f'{manifest}:11:91: error: unknown field "tags"' in result.stderr


def test_deleting_a_queue_holding_messages_is_checked_first(
    manifest: Path, emulator: Emulator, tdmq_client: Any
) -> None:
    apply(manifest, emulator)
    send = models.SendCmqMsgRequest()
    send.QueueName, send.MsgContent, send.DelaySeconds = "work-dead", "poison", 0
    tdmq_client.SendCmqMsg(send)
    edit(manifest, "  work-dead: {}\n", "")
    edit(manifest, "  work:\n    deadLetter: {queue: work-dead, maxReceiveCount: 3}\n", "  work: {}\n")
    refused = run("apply", str(manifest), "--endpoint", emulator.url, "--auto-approve")
    assert refused.code == 1
    assert "queue/work-dead" in refused.stdout + refused.stderr
    assert queue_detail(tdmq_client, "work-dead").ActiveMsgNum == 1  # nothing was deleted
    apply(manifest, emulator, "--allow-data-loss")
    with pytest.raises(TencentCloudSDKException):
        queue_detail(tdmq_client, "work-dead")
