"""A fingerprint of the live state a plan was computed from, to refuse stale saved plans.

Message counts and endpoint users are left out: they move all the time and are re-checked at
apply anyway (the safety rules run again on the fresh read).

The fingerprint hashes one JSON text of the compared fields of every live resource's frozen
model value (``source`` is not compared), made by the C encoder in one call: a plan over an
account-size stack computes it for tens of thousands of resources, and the dataclasses' own
``repr`` (a guard against recursion, a Python call per Enum) cost twice as much. Enum members
are written as their values, nested values (a dead letter, a transaction) as their fields. It is
only ever compared with a fingerprint from the same cmqinfra version (a saved plan records the
version that made it), so the text only has to be deterministic, not a stable format.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields, is_dataclass
from operator import attrgetter
from typing import Any

from cmqinfra.live import LiveState
from cmqinfra.model import DeadLetter, Queue, Subscription, Topic, Transaction


def _compared(resource_type: type) -> attrgetter[Any]:
    return attrgetter(*(f.name for f in fields(resource_type) if f.compare))


_QUEUE, _TOPIC, _SUBSCRIPTION = _compared(Queue), _compared(Topic), _compared(Subscription)
_NESTED = {DeadLetter: _compared(DeadLetter), Transaction: _compared(Transaction)}


def _nested(value: Any) -> Any:
    """A value the encoder does not know: a nested model value as its fields (any other
    dataclass by its repr, so a field added later still counts)."""
    fields_of = _NESTED.get(type(value))
    if fields_of is not None:
        return fields_of(value)
    if is_dataclass(value):
        return repr(value)
    raise TypeError(f"cannot fingerprint {type(value).__name__}")


_ENCODE = json.JSONEncoder(default=_nested, separators=(",", ":"), check_circular=False).encode


def canonical_rows(live: LiveState) -> list[tuple[Any, ...]]:
    """One row per live resource, in a fixed order."""
    rows: list[tuple[Any, ...]] = [
        ("queue", key, q.queue_id, q.owner, q.protected, _QUEUE(q.queue))
        for key, q in sorted(live.queues.items())
    ]
    rows += [
        ("topic", key, t.topic_id, t.owner, t.protected, _TOPIC(t.topic))
        for key, t in sorted(live.topics.items())
    ]
    rows += [
        ("subscription", key, s.subscription_id, _SUBSCRIPTION(s.subscription))
        for key, s in sorted(live.subscriptions.items())
    ]
    return rows


def fingerprint(live: LiveState) -> str:
    return hashlib.sha256(_ENCODE(canonical_rows(live)).encode()).hexdigest()
