"""The CMQ door's freshness rule: a signed request carries `Timestamp` and `Nonce`; it is served
only while its Timestamp is within WINDOW_SECONDS of the server's wall clock, and only once.

The service documents neither the skew it allows nor its replay check (reference §1.3, §6.6);
the emulator takes API 3.0's documented 5-minute rule (AuthFailure.SignatureExpire) and refuses
a (SecretId, Timestamp, Nonce) seen before within that window (docs/emulator.md, choice 41).
The Timestamp is compared with wall time, never with a test's virtual clock: it is the client's
clock, and the SDKs read time.time().
"""

from __future__ import annotations

import threading
import time

WINDOW_SECONDS = 300
MAX_REMEMBERED = 1_000_000  # a flood of fresh nonces cannot grow the ledger without bound


class NonceLedger:
    """The (SecretId, Timestamp, Nonce) triples served within the window, thread-safe."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, int, str], float] = {}
        self._lock = threading.Lock()

    def first_use(self, secret_id: str, timestamp: int, nonce: str, now: float | None = None) -> bool:
        """Record the triple; False when it was already recorded (a replay)."""
        now = time.time() if now is None else now
        key = (secret_id, timestamp, nonce)
        with self._lock:
            if key in self._seen:
                return False
            if len(self._seen) >= MAX_REMEMBERED // 2:
                self._forget_before(now)
            if len(self._seen) >= MAX_REMEMBERED:
                return False  # refuse rather than forget a triple still inside the window
            # Once its Timestamp leaves the window the triple is refused as stale anyway.
            self._seen[key] = timestamp + WINDOW_SECONDS
            return True

    def _forget_before(self, now: float) -> None:
        for key in [key for key, until in self._seen.items() if until < now]:
            del self._seen[key]


def timestamp_fresh(timestamp: int, now: float | None = None) -> bool:
    now = time.time() if now is None else now
    return abs(now - timestamp) <= WINDOW_SECONDS
