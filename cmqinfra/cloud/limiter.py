"""Client-side pacing: never send more than the documented per-action rate.

The rule mirrors the service's: at most N requests per action in any rolling one-second
window. Spending the budget right up to that line (and no further) is what lets plan and apply
run close to the lower bound the rate limits allow, without a storm of RequestLimitExceeded.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping

# The documented limits (reference §2). Kept here, not imported from the emulator, because the
# client must not depend on the test bed; a test asserts the two tables agree.
DOCUMENTED_LIMITS: Mapping[str, int] = {
    "DescribeCmqQueueDetail": 100,
}
DEFAULT_LIMIT = 20
WINDOW_SECONDS = 1.0
# Requests arrive at the server a little after they leave here; a 5% margin and a few
# milliseconds of slack absorb that jitter without costing measurable throughput.
SAFETY_MARGIN = 0.95
SLACK_SECONDS = 0.02


class RateLimiter:
    def __init__(
        self,
        limits: Mapping[str, int] | None = None,
        scale: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._limits = dict(DOCUMENTED_LIMITS if limits is None else limits)
        self._scale = scale
        self._clock = clock
        self._sleep = sleep
        self._sent: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allowance(self, action: str) -> int:
        limit = self._limits.get(action, DEFAULT_LIMIT)
        return max(1, int(limit * self._scale * SAFETY_MARGIN))

    def acquire(self, action: str) -> None:
        """Block until one more ``action`` request fits in the rolling window, then take it."""
        allowed = self.allowance(action)
        while True:
            with self._lock:
                now = self._clock()
                window = self._sent.setdefault(action, deque())
                while window and window[0] <= now - WINDOW_SECONDS:
                    window.popleft()
                if len(window) < allowed:
                    window.append(now)
                    return
                wait = window[0] + WINDOW_SECONDS + SLACK_SECONDS - now
            self._sleep(max(wait, 0.001))
