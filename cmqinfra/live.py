"""Live state as read from the TDMQ API, normalised into the model's vocabulary.

The cloud adapter produces it; the planner consumes it. Attributes are normalised so that a
resource created from a desired value reads back equal to it: ownership tags are lifted out
of ``tags`` into ``owner`` / ``protected``, the dead letter comes from DeadLetterPolicy,
transaction is taken from Transaction + TransactionPolicy, nulls become the documented values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from cmqinfra.model import Queue, Subscription, Topic

# Queue and topic names are case-insensitive in CMQ: index them by this key. The method itself,
# not a function around it: the planner takes a key several times per resource.
name_key: Callable[[str], str] = str.casefold


@dataclass(frozen=True)
class MessageCounts:
    active: int = 0
    inactive: int = 0
    delayed: int = 0

    @property
    def total(self) -> int:
        return self.active + self.inactive + self.delayed


@dataclass(frozen=True)
class LiveQueue:
    queue: Queue  # user tags only; protect mirrors the protect tag
    queue_id: str
    owner: str | None  # value of the cmqinfra-stack tag, None when untagged
    protected: bool
    messages: MessageCounts = MessageCounts()
    dead_letter_sources: tuple[str, ...] = ()  # queues that use this one as their dead letter


@dataclass(frozen=True)
class LiveTopic:
    topic: Topic
    topic_id: str
    owner: str | None
    protected: bool


@dataclass(frozen=True)
class LiveSubscription:
    subscription: Subscription
    subscription_id: str


@dataclass(frozen=True)
class LiveState:
    """What exists, indexed by ``name_key`` (subscriptions by (topic key, subscription name)).

    ``endpoint_users`` maps a queue key to the subscriptions (``subscription/TOPIC/NAME``)
    that deliver to it, for the queues the plan may delete or replace (filled on demand by
    ``CmqApi.endpoint_users``).
    """

    queues: dict[str, LiveQueue] = field(default_factory=dict)
    topics: dict[str, LiveTopic] = field(default_factory=dict)
    subscriptions: dict[tuple[str, str], LiveSubscription] = field(default_factory=dict)
    endpoint_users: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Queues and topics of the whole account without an ownership tag, when the adapter counted
    # them (CmqApi.untagged_total): the plan's "untagged resources seen" warning uses it.
    untagged_total: int | None = None
