"""The API 3.0 action table: every emulated TDMQ and Tag action and the handler that serves it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cmqinfra.emulator import queues, stsservice, tagservice, topics
from cmqinfra.emulator.context import Context

Handler = Callable[[Context, dict[str, Any]], dict[str, Any]]
HANDLERS: dict[str, Handler] = {
    "CreateCmqQueue": queues.create_queue,
    "DescribeCmqQueues": queues.describe_queues,
    "DescribeCmqQueueDetail": queues.describe_queue_detail,
    "ModifyCmqQueueAttribute": queues.modify_queue,
    "DeleteCmqQueue": queues.delete_queue,
    "ClearCmqQueue": queues.clear_queue,
    "RewindCmqQueue": queues.rewind_queue,
    "UnbindCmqDeadLetter": queues.unbind_dead_letter,
    "SendCmqMsg": queues.send_message,
    "CreateCmqTopic": topics.create_topic,
    "DescribeCmqTopics": topics.describe_topics,
    "DescribeCmqTopicDetail": topics.describe_topic_detail,
    "ModifyCmqTopicAttribute": topics.modify_topic,
    "DeleteCmqTopic": topics.delete_topic,
    "PublishCmqMsg": topics.publish_message,
    "CreateCmqSubscribe": topics.create_subscription,
    "DescribeCmqSubscriptionDetail": topics.describe_subscriptions,
    "ModifyCmqSubscriptionAttribute": topics.modify_subscription,
    "DeleteCmqSubscribe": topics.delete_subscription,
    "ClearCmqSubscriptionFilterTags": topics.clear_filter_tags,
    "ModifyResourceTags": tagservice.modify_resource_tags,
    "TagResources": tagservice.tag_resources,
    "UnTagResources": tagservice.untag_resources,
    "DescribeResourceTagsByResourceIds": tagservice.describe_resource_tags,
    "GetCallerIdentity": stsservice.get_caller_identity,
}
