"""Putting a stack in place for a test through cmqinfra's own adapter, without a plan."""

from __future__ import annotations

from cmqinfra.cloud.api import CmqApi, ownership_tags
from cmqinfra.model import Stack


def build(api: CmqApi, stack: Stack) -> None:
    """Create every resource of ``stack``, owned by it: dead letters first, then their sources,
    topics, subscriptions."""
    for queue in sorted(stack.queues, key=lambda q: q.dead_letter is not None):
        api.create_queue(queue, ownership_tags(queue, stack.name))
    for topic in stack.topics:
        api.create_topic(topic, ownership_tags(topic, stack.name))
    for sub in stack.subscriptions:
        api.create_subscription(sub)
