"""Client-side pacing: never send more than the documented per-action rate.

The rule mirrors the service's: at most N requests per action in any rolling one-second window,
counted where the service counts them, at arrival. Spending the budget right up to that line (and
no further) is what lets plan and apply run close to the lower bound the rate limits allow,
without a storm of RequestLimitExceeded.

A slot is taken in three steps. ``reserve`` (in the thread that schedules the call) blocks until
the window will have room within a short lead and holds a place in it, with the moment that room
comes (``not_before``); the call is then built and signed meanwhile, and right before its bytes go
out ``Slot.wait`` sleeps to that moment; ``Slot.spend``, once the request is written (see
cloud/wire.py), stamps the window with the real send time. So the next window starts where the
service's does, not a few milliseconds of request building later each time, and a call that
waited in a pool queue never arrives "late" on a slot stamped early.
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
# A request reaches the service a little after its slot is stamped (the kernel, the network, the
# service's own scheduling), and not always by the same delay. A slot is reused only this long
# after a full window, so that two calls one window apart never arrive less than a second apart.
# It costs this much per window of calls, and how much is needed depends on the path: well under
# a millisecond to an emulator on a quiet machine, p99 4-12 ms on a loaded 2-core one
# (docs/performance.md), more across the Internet. So the slack is learned, not guessed: it starts
# at SLACK_FLOOR and grows by SLACK_STEP each time the service refuses a call as over its limit
# (a call that arrived early by more than the slack), up to SLACK_CEILING. A refused call keeps
# its place (``retry_slot``), so learning costs a retry per step, a slot's share of the window
# each. It grows by steps, not by doubling: the delays have a long tail (p99.9 about twice the
# p99), and a slack sized to a rare stall would be paid on every window after it.
SLACK_FLOOR = 0.002
SLACK_STEP = 0.002
SLACK_CEILING = 0.05
# How long before its slot frees a call may be handed on, to be built and signed while it waits.
LEAD_SECONDS = 0.02
_POLL_SECONDS = 0.005


class Slot:
    """One reserved place in an action's window, free from ``not_before``, stamped when sent."""

    __slots__ = ("_limiter", "action", "not_before", "_spent", "stamp")

    def __init__(self, limiter: RateLimiter, action: str, not_before: float) -> None:
        self._limiter = limiter
        self.action = action
        self.not_before = not_before
        self._spent = False
        self.stamp: float | None = None  # when the call went out, once spent

    def wait(self) -> None:
        """Sleep until the place is free: right before the request is written."""
        self._limiter._wait_until(self.not_before)

    def spend(self) -> None:
        """The call has gone out now: its place in the window starts here (never before the
        place is free: a caller that did not ``wait`` waits here)."""
        if not self._spent:
            self.wait()
            self._spent = True
            self.stamp = self._limiter._spend(self.action)

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
        slack: float | None = None,
        lead: float = LEAD_SECONDS,
    ) -> None:
        self._limits = dict(DOCUMENTED_LIMITS if limits is None else limits)
        self._scale = scale
        self._clock = clock
        self._sleep = sleep
        # None: learned from refusals (see SLACK_FLOOR); a number: fixed.
        self._learns = slack is None
        self._span = WINDOW_SECONDS + (SLACK_FLOOR if slack is None else slack)
        self._lead = lead
        self._sent: dict[str, deque[float]] = {}
        self._reserved: dict[str, int] = {}
        self._lock = threading.Lock()

    @property
    def slack(self) -> float:
        """Seconds beyond a full window before a place is reused (see SLACK_FLOOR)."""
        return self._span - WINDOW_SECONDS

    def allowance(self, action: str) -> int:
        limit = self._limits.get(action, DEFAULT_LIMIT)
        return max(1, int(limit * self._scale))

    def reserve(self, action: str) -> Slot:
        """Block until one more ``action`` request fits in the rolling window (or will within the
        lead), then hold its place. The place frees when the call ``allowance`` places back in
        line (a stamp, or a place reserved before this one) leaves the window."""
        allowed = self.allowance(action)
        while True:
            with self._lock:
                now = self._clock()
                window = self._window(action, now)
                ahead = len(window) + self._reserved.get(action, 0) - allowed
                if ahead < 0:
                    free = now
                elif ahead < len(window):
                    free = window[ahead] + self._span
                else:  # only reservations fill it: they are stamped within moments, look again soon
                    free = None
                if free is not None and free - now <= self._lead + 1e-9:  # (float rounding)
                    self._reserved[action] = self._reserved.get(action, 0) + 1
                    return Slot(self, action, free)
                wait = _POLL_SECONDS if free is None else free - now - self._lead
            self._sleep(max(wait, 0.001))

    def acquire(self, action: str) -> None:
        """Take a slot for a call sent right away."""
        slot = self.reserve(action)
        slot.wait()
        slot.spend()

    def throttled(self, action: str) -> float:
        """The service refused an ``action`` call as over the limit, again (see ``retry_slot``).
        Seconds to wait before asking for a slot again: until our window has room counting the
        refused call (the service's window may still hold calls that arrived late, but they leave
        within the arrival jitter), and at least one slot's share of the window, the pace at which
        a full window frees up."""
        with self._lock:
            now = self._clock()
            window = self._window(action, now)
            share = self._span / self.allowance(action)
            if len(window) + self._reserved.get(action, 0) < self.allowance(action):
                return share
            return max(share, window[0] + self._span - now)

    def retry_slot(self, refused: Slot) -> Slot | None:
        """The place for the retry of a call the service refused for the first time, or None when
        its stamp has left the window already (then ask ``throttled``).

        The service did not count it (rejected calls do not count, docs/emulator.md): it was
        refused because an earlier call arrived late and is still in the service's window, which
        it leaves within the arrival jitter. So the call keeps its place, a slot's share of the
        window later (at least twice the slack), instead of losing it for a whole window: its
        stamp leaves our window and the place is held for the retry alone, so no other call takes
        it meanwhile. A call refused again keeps its stamp (``throttled``), as it would have to
        against a service that counted refused calls."""
        action = refused.action
        with self._lock:
            now = self._clock()
            window = self._window(action, now)
            if refused.stamp is None or refused.stamp not in window:
                return None
            window.remove(refused.stamp)
            if self._learns:  # the call arrived early by more than the slack: widen it
                self._span = WINDOW_SECONDS + min(SLACK_CEILING, self._span - WINDOW_SECONDS + SLACK_STEP)
            self._reserved[action] = self._reserved.get(action, 0) + 1
            share = self._span / self.allowance(action)
            return Slot(self, action, now + max(share, 2 * (self._span - WINDOW_SECONDS)))

    def _window(self, action: str, now: float) -> deque[float]:
        window = self._sent.setdefault(action, deque())
        while window and window[0] <= now - self._span:
            window.popleft()
        return window

    def _wait_until(self, moment: float) -> None:
        wait = moment - self._clock()
        if wait > 0:
            self._sleep(wait)

    def _spend(self, action: str) -> float:
        with self._lock:
            self._reserved[action] -= 1
            stamp = self._clock()
            self._sent.setdefault(action, deque()).append(stamp)
            return stamp

    def _release(self, action: str) -> None:
        with self._lock:
            self._reserved[action] -= 1
