"""A fingerprint of the live state a plan was computed from, to refuse stale saved plans.

Message counts and endpoint users are left out: they move all the time and are re-checked at
apply anyway (the safety rules run again on the fresh read).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cmqinfra.live import LiveState
from cmqinfra.plan.shape import to_data


def canonical_live(live: LiveState) -> dict[str, Any]:
    return {
        "queues": {
            key: {"id": q.queue_id, "owner": q.owner, "protected": q.protected, "attrs": to_data(q.queue)}
            for key, q in sorted(live.queues.items())
        },
        "topics": {
            key: {"id": t.topic_id, "owner": t.owner, "protected": t.protected, "attrs": to_data(t.topic)}
            for key, t in sorted(live.topics.items())
        },
        "subscriptions": {
            f"{topic}/{name}": {"id": s.subscription_id, "attrs": to_data(s.subscription)}
            for (topic, name), s in sorted(live.subscriptions.items())
        },
    }


def fingerprint(live: LiveState) -> str:
    text = json.dumps(canonical_live(live), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()
