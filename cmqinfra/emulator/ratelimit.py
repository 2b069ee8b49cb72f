"""Per-action request rate limits, as the TDMQ docs state them, enforced with a sliding window."""

from __future__ import annotations

import threading
import time
from collections import deque

# Requests per second per action. Documented values (reference §2); DescribeCmqQueues states
# none, so it gets the common 20/s (see docs/emulator.md). SendCmqMsg: the 2024-08 announcement
# (20/s per root account) is the newest word.
RATE_LIMITS: dict[str, int] = {
    "CreateCmqQueue": 20,
    "DescribeCmqQueues": 20,
    "DescribeCmqQueueDetail": 100,
    "ModifyCmqQueueAttribute": 20,
    "DeleteCmqQueue": 20,
    "ClearCmqQueue": 20,
    "RewindCmqQueue": 20,
    "UnbindCmqDeadLetter": 20,
    "SendCmqMsg": 20,
    "CreateCmqTopic": 20,
    "DescribeCmqTopics": 20,
    "DescribeCmqTopicDetail": 20,
    "ModifyCmqTopicAttribute": 20,
    "DeleteCmqTopic": 20,
    "PublishCmqMsg": 20,
    "CreateCmqSubscribe": 20,
    "DescribeCmqSubscriptionDetail": 20,
    "ModifyCmqSubscriptionAttribute": 20,
    "DeleteCmqSubscribe": 20,
    "ClearCmqSubscriptionFilterTags": 20,
    "ModifyResourceTags": 20,
    "TagResources": 20,
    "UnTagResources": 20,
    "DescribeResourceTagsByResourceIds": 20,
}

WINDOW_SECONDS = 1.0


class RateLimiter:
    """At most limit x scale accepted calls per action in any rolling one-second window.

    Rejected calls do not count, so a client that backs off gets through as soon as the window
    has room again.
    """

    def __init__(self, limits: dict[str, int], scale: float = 1.0) -> None:
        self.limits = dict(limits)
        self.scale = scale
        self._accepted: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, action: str, now: float | None = None) -> bool:
        limit = self.limits.get(action)
        if limit is None:
            return True
        allowed = max(1, int(limit * self.scale))
        now = time.monotonic() if now is None else now
        with self._lock:
            window = self._accepted.setdefault(action, deque())
            while window and window[0] <= now - WINDOW_SECONDS:
                window.popleft()
            if len(window) >= allowed:
                return False
            window.append(now)
            return True
