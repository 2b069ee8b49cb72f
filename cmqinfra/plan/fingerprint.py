"""A fingerprint of the live state a plan was computed from, to refuse stale saved plans.

Message counts and endpoint users are left out: they move all the time and are re-checked at
apply anyway (the safety rules run again on the fresh read).

The fingerprint hashes the ``repr`` of the compared fields of each live resource's frozen model
value (``source`` is not compared): a tuple's repr, one C call per resource, not the dataclass's
generated repr, whose guard against recursion cost three times as much (a plan over an
account-size stack computes it for tens of thousands of resources). It is only ever compared
with a fingerprint from the same cmqinfra version (a saved plan records the version that made
it), so the text only has to be deterministic, not a stable format.
"""

from __future__ import annotations

import hashlib
from dataclasses import fields
from operator import attrgetter

from cmqinfra.live import LiveState
from cmqinfra.model import Queue, Subscription, Topic


def _compared(resource_type: type) -> attrgetter[tuple[object, ...]]:
    return attrgetter(*(f.name for f in fields(resource_type) if f.compare))


_QUEUE, _TOPIC, _SUBSCRIPTION = _compared(Queue), _compared(Topic), _compared(Subscription)


def canonical_lines(live: LiveState) -> list[str]:
    """One line per live resource, in a fixed order."""
    lines = [
        repr(("queue", key, q.queue_id, q.owner, q.protected, _QUEUE(q.queue)))
        for key, q in sorted(live.queues.items())
    ]
    lines += [
        repr(("topic", key, t.topic_id, t.owner, t.protected, _TOPIC(t.topic)))
        for key, t in sorted(live.topics.items())
    ]
    lines += [
        repr(("subscription", key, s.subscription_id, _SUBSCRIPTION(s.subscription)))
        for key, s in sorted(live.subscriptions.items())
    ]
    return lines


def fingerprint(live: LiveState) -> str:
    return hashlib.sha256("\n".join(canonical_lines(live)).encode()).hexdigest()
