"""How faithfully perfect delivery is: ``strict`` (the default) or ``realistic``.

CMQ promises at-least-once delivery, best-effort order, and warns that a receive with a wait of 0
may answer "no message" while messages exist (reference §4; the seeds tell consumers to
de-duplicate and not to rely on order or on a wait of 0). ``strict`` never does any of that, so
a test's outcome is exact. ``realistic`` does all three, drawn from one seeded generator so a
failing run can be replayed (docs/emulator.md, "Delivery modes"):

* **reorder**: a receive takes its messages at random among the oldest active ones (a window of
  ``reorder_window`` beyond what it asks for), not strictly oldest first;
* **redeliver**: with ``duplicate_rate`` a received message is also left receivable as a second
  copy with the same msgId and its own receipt handle (each handle deletes only its copy), as an
  at-least-once service may deliver a message twice;
* **false empty**: with ``false_empty_rate`` a receive whose wait is 0 answers no message.

Nothing documented is broken: no message is lost, a delete with the latest handle still works
before nextVisibleTime, delays, visibility timeouts, retention and dead-letter counts hold.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

STRICT, REALISTIC = "strict", "realistic"
MODES = (STRICT, REALISTIC)

T = TypeVar("T")


@dataclass(frozen=True)
class DeliveryMode:
    mode: str = STRICT
    seed: int | None = None
    duplicate_rate: float = 0.1
    false_empty_rate: float = 0.3
    reorder_window: int = 8

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"delivery must be one of {', '.join(MODES)}, got {self.mode!r}")
        for name in ("duplicate_rate", "false_empty_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.reorder_window < 0:
            raise ValueError("reorder_window must not be negative")

    @property
    def realistic(self) -> bool:
        return self.mode == REALISTIC


class Imperfection:
    """The seeded draws of a realistic backend (thread-safe); None stands for strict."""

    def __init__(self, mode: DeliveryMode) -> None:
        self.mode = mode
        self._random = random.Random(mode.seed)
        self._lock = threading.Lock()

    @property
    def window(self) -> int:
        return self.mode.reorder_window

    def false_empty(self) -> bool:
        with self._lock:
            return self._random.random() < self.mode.false_empty_rate

    def duplicate(self) -> bool:
        with self._lock:
            return self._random.random() < self.mode.duplicate_rate

    def pick(self, rows: Sequence[T], count: int) -> list[T]:
        """``count`` of ``rows`` (oldest first) in a random order."""
        with self._lock:
            return self._random.sample(list(rows), min(count, len(rows)))


def imperfection(mode: DeliveryMode | str | None, seed: int | None = None) -> Imperfection | None:
    if mode is None:
        return None
    if isinstance(mode, str):
        mode = DeliveryMode(mode, seed)
    return Imperfection(mode) if mode.realistic else None
