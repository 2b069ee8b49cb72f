"""The contract between the planner/executor (pure core) and the TDMQ adapter (shell).

The executor only ever calls these methods; the adapter turns them into SDK calls with
retries, back-off and rate limiting. Every method is idempotent where the API allows it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal, Protocol

from cmqinfra.live import LiveState, MessageCounts
from cmqinfra.model import PROTECT_TAG, STACK_TAG, Queue, Stack, Subscription, Tags, Topic, tags_of

TaggedKind = Literal["queue", "topic"]


def ownership_tags(resource: Queue | Topic, stack: str) -> Tags:
    """The full tag set cmqinfra keeps on a resource it owns: user tags + ownership + protection."""
    tags = dict(resource.tags)
    tags[STACK_TAG] = stack
    if resource.protect:
        tags[PROTECT_TAG] = "true"
    return tags_of(tags)


class CmqApi(Protocol):
    def read(self, stack: Stack) -> LiveState:
        """Live state of everything the plan needs: the stack's owned resources (by ownership
        tag), the resources the manifest names (by name list), the queues it references (dead
        letters, endpoints), the subscriptions of those topics, and the users of queues."""
        ...

    def read_named(
        self,
        stack: Stack,
        queues: Iterable[str],
        topics: Iterable[str],
        listed_topics: Iterable[str] = (),
        subscriptions: Iterable[tuple[str, str]] = (),
    ) -> LiveState:
        """Live state of exactly the named resources (a partial plan's read): name-list calls
        and Detail listings, never the stack's whole listing. ``listed_topics``: topics whose
        subscriptions are all read; ``subscriptions``: (topic, name) pairs read one by one."""
        ...

    def endpoint_users(self, queue_names: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
        """For each queue, the subscriptions (``subscription/TOPIC/NAME``) whose endpoint it is
        (DescribeCmqSubscriptionDetail with QueryType=queue), keyed by ``name_key``."""
        ...

    def create_queue(self, queue: Queue, tags: Tags) -> str:
        """CreateCmqQueue with every managed attribute and ``tags``; returns the QueueId.
        A retried create that answers ResourceInUse reads the queue back and succeeds when it
        matches (same attributes and tags)."""
        ...

    def modify_queue(self, before: Queue, after: Queue) -> None:
        """ModifyCmqQueueAttribute with only the changed attributes; a removed dead letter is
        UnbindCmqDeadLetter."""
        ...

    def delete_queue(self, name: str) -> None: ...

    def queue_messages(self, name: str) -> MessageCounts | None:
        """The queue's message counts now (a Describe call), or None when it does not exist."""
        ...

    def create_topic(self, topic: Topic, tags: Tags) -> str: ...

    def modify_topic(self, before: Topic, after: Topic) -> None: ...

    def delete_topic(self, name: str) -> None: ...

    def create_subscription(self, subscription: Subscription) -> str: ...

    def modify_subscription(self, before: Subscription, after: Subscription) -> None:
        """ModifyCmqSubscriptionAttribute with the changed attributes; emptied filter tags are
        ClearCmqSubscriptionFilterTags."""
        ...

    def delete_subscription(self, topic: str, name: str) -> None: ...

    def modify_tags(self, kind: TaggedKind, name: str, replace: Tags, delete: tuple[str, ...]) -> None:
        """Tag service ModifyResourceTags on an existing queue or topic."""
        ...

    def caller_account(self) -> str | None:
        """The account (root uin) the credentials belong to (STS GetCallerIdentity); saved plans
        are bound to it."""
        ...

    def call_counts(self) -> Mapping[str, int]:
        """API calls made so far, per action (retries included)."""
        ...
