"""The emulator's clock: wall time in production, a virtual clock that tests advance.

Every time the backend reads (message due times, visibility, retention, dead-letter TTL, push
back-off) comes from one ``Clock``. Waiting is part of the clock too, so a long poll on a
``VirtualClock`` blocks until virtual time reaches its deadline (``advance``) or a message
arrives, without sleeping through real seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""
        ...

    def wait(self, condition: threading.Condition, deadline: float) -> None:
        """Block on ``condition`` (held by the caller) until notified or ``deadline`` passes."""
        ...

    def on_advance(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` whenever time jumps (never, for the real clock)."""
        ...


class RealClock:
    """Wall time."""

    def now(self) -> float:
        return time.time()

    def wait(self, condition: threading.Condition, deadline: float) -> None:
        remaining = deadline - time.time()
        if remaining > 0:
            condition.wait(remaining)

    def on_advance(self, callback: Callable[[], None]) -> None:
        return None


class VirtualClock:
    """Time that moves only when a test calls ``advance(seconds)`` (or ``set(t)``).

    Waiters are woken on every advance and re-check their deadlines against virtual time. A real
    one-second safety slice bounds each wait so a forgotten advance cannot hang a test forever
    (the waiter just re-checks and keeps waiting).
    """

    SAFETY_SLICE = 1.0

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self._now = float(start)
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        """Move time forward by ``seconds``, wake every waiter, and return the new time."""
        if seconds < 0:
            raise ValueError("a clock does not go backwards")
        with self._lock:
            self._now += seconds
            now = self._now
            callbacks = list(self._callbacks)
        for callback in callbacks:
            callback()
        return now

    def set(self, when: float) -> float:
        return self.advance(max(0.0, when - self.now()))

    def wait(self, condition: threading.Condition, deadline: float) -> None:
        if self.now() < deadline:
            condition.wait(self.SAFETY_SLICE)

    def on_advance(self, callback: Callable[[], None]) -> None:
        with self._lock:
            self._callbacks.append(callback)
