"""Client-side pacing: never send more than the documented per-action rate.

The rule mirrors the service's: at most N requests per action in any rolling one-second window,
counted where the service counts them, at arrival. Spending the budget right up to that line (and
no further) is what lets plan and apply run close to the lower bound the rate limits allow,
without a storm of RequestLimitExceeded.

A slot is taken in two steps. ``reserve`` (in the thread that schedules the call) blocks until
the window has room and holds a place in it; ``Slot.spend`` (in the thread that sends, right
before the request goes out) stamps the window with the real send time. A call that waits in a
pool queue therefore never arrives "late" on a slot stamped early, which would let the next
window's calls land within one second of it at the server.
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
# A request reaches the service a little after it is stamped here (the socket, the gateway's
# own scheduling), and not always by the same delay. A slot is reused only this long after a
# full window, so that two calls one window apart never arrive less than a second apart. Sized
# from the spread of stamp-to-arrival delays measured against the emulator on a loaded 2-core
# machine (p99 10-30 ms above the fastest, depending on the load; see docs/performance.md). It
# costs this much per window of calls. Rarer, larger stalls are left to the throttle path, which
# now costs one slot instead of a back-off: widening the slack for them costs more than it saves.
SLACK_SECONDS = 0.02
_POLL_SECONDS = 0.005


class Slot:
    """One reserved place in an action's window, stamped when the call goes out."""

    __slots__ = ("_limiter", "action", "_spent")

    def __init__(self, limiter: RateLimiter, action: str) -> None:
        self._limiter = limiter
        self.action = action
        self._spent = False

    def spend(self) -> None:
        """The call is going out now: its place in the window starts here."""
        if not self._spent:
            self._spent = True
            self._limiter._spend(self.action)

    def release(self) -> None:
        """The call will not be sent after all: give the place back."""
        if not self._spent:
            self._spent = True
            self._limiter._release(self.action)


class RateLimiter:
    def __init__(
        self,
        limits: Mapping[str, int] | None = None,
        scale: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        slack: float = SLACK_SECONDS,
    ) -> None:
        self._limits = dict(DOCUMENTED_LIMITS if limits is None else limits)
        self._scale = scale
        self._clock = clock
        self._sleep = sleep
        self._span = WINDOW_SECONDS + slack
        self._sent: dict[str, deque[float]] = {}
        self._reserved: dict[str, int] = {}
        self._lock = threading.Lock()

    def allowance(self, action: str) -> int:
        limit = self._limits.get(action, DEFAULT_LIMIT)
        return max(1, int(limit * self._scale))

    def reserve(self, action: str) -> Slot:
        """Block until one more ``action`` request fits in the rolling window, then hold its place."""
        allowed = self.allowance(action)
        while True:
            with self._lock:
                now = self._clock()
                window = self._window(action, now)
                reserved = self._reserved.get(action, 0)
                if len(window) + reserved < allowed:
                    self._reserved[action] = reserved + 1
                    return Slot(self, action)
                # Full: room comes when the oldest stamped call leaves. If only reservations
                # fill it, they are stamped within moments (then that rule applies): look again soon.
                wait = window[0] + self._span - now if window else _POLL_SECONDS
            self._sleep(max(wait, 0.001))

    def acquire(self, action: str) -> None:
        """Take a slot for a call sent right away."""
        self.reserve(action).spend()

    def throttled(self, action: str) -> float:
        """The service refused an ``action`` call as over the limit. Seconds to wait before asking
        for a slot again: until our window has room counting the refused call (the service's
        window may still hold calls that arrived late, but they leave within the arrival jitter),
        and at least one slot's share of the window, the pace at which a full window frees up."""
        with self._lock:
            now = self._clock()
            window = self._window(action, now)
            share = self._span / self.allowance(action)
            if len(window) + self._reserved.get(action, 0) < self.allowance(action):
                return share
            return max(share, window[0] + self._span - now)

    def _window(self, action: str, now: float) -> deque[float]:
        window = self._sent.setdefault(action, deque())
        while window and window[0] <= now - self._span:
            window.popleft()
        return window

    def _spend(self, action: str) -> None:
        with self._lock:
            self._reserved[action] -= 1
            self._sent.setdefault(action, deque()).append(self._clock())

    def _release(self, action: str) -> None:
        with self._lock:
            self._reserved[action] -= 1
