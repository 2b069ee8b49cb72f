"""How faithfully perfect delivery is: ``strict`` (the default) or ``realistic``.

CMQ promises at-least-once delivery, best-effort order, and warns that a receive with a wait of 0
may answer "no message" while messages exist (reference §4; the seeds tell consumers to
de-duplicate and not to rely on order or on a wait of 0). ``strict`` never does any of that, so
a test's outcome is exact. ``realistic`` does all three, drawn from one seeded generator so a
failing run can be replayed (docs/emulator.md, "Delivery modes"):

* **reorder**: a receive takes its messages at random among the oldest active ones (a window of
  ``reorder_window`` beyond what it asks for), not strictly oldest first;
* **redeliver**: with ``duplicate_rate`` a received message is also left receivable as a second
  copy with the same msgId, so a receive made before the first one's delete gets it again (its
  own receipt handle), as an at-least-once service may deliver a message twice; a delete removes
  every copy, so a deleted message is never delivered again, and the other holder's delete is
  then refused (4430) like any stale handle;
* **false empty**: with ``false_empty_rate`` a receive whose wait is 0 answers no message.

Nothing documented is broken: no message is lost, a delete with the latest handle still works
before nextVisibleTime, delays, visibility timeouts, retention and dead-letter counts hold.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

STRICT, REALISTIC = "strict", "realistic"
MODES = (STRICT, REALISTIC)

Row = Any  # a message row (sqlite3.Row with a "seq")


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
        self._groups: dict[int, set[int]] = {}  # row seq -> the rows delivering the same message
        self._copies: set[int] = set()  # rows that are redeliveries, not yet received

    @property
    def window(self) -> int:
        return self.mode.reorder_window

    def false_empty(self) -> bool:
        with self._lock:
            return self._random.random() < self.mode.false_empty_rate

    def duplicate(self) -> bool:
        with self._lock:
            return self._random.random() < self.mode.duplicate_rate

    def link(self, original: int, copy: int) -> None:
        """Remember that ``copy`` (a message row) redelivers ``original``."""
        with self._lock:
            self._copies.add(copy)
            group = self._groups.get(original) or {original}
            group.add(copy)
            for seq in group:
                self._groups[seq] = group

    def received(self, seqs: Iterable[int]) -> None:
        """These rows were handed out: a copy among them is no longer waiting to be redelivered."""
        with self._lock:
            self._copies.difference_update(seqs)

    def siblings(self, seq: int) -> list[int]:
        """The other deliveries of the message whose row ``seq`` was just deleted; forgotten."""
        with self._lock:
            group = self._groups.pop(seq, None)
            if group is None:
                return []
            for other in group:
                self._groups.pop(other, None)
                self._copies.discard(other)
            return sorted(group - {seq})

    def pick(self, rows: Sequence[Row], count: int) -> list[Row]:
        """``count`` of ``rows`` (oldest first): redelivered copies first (the next receive gets
        them, as a redelivery does), then the others in a random order."""
        with self._lock:
            copies = [row for row in rows if row["seq"] in self._copies]
            others = [row for row in rows if row["seq"] not in self._copies]
            return (copies + self._random.sample(others, len(others)))[:count]


def imperfection(mode: DeliveryMode | str | None, seed: int | None = None) -> Imperfection | None:
    if mode is None:
        return None
    if isinstance(mode, str):
        mode = DeliveryMode(mode, seed)
    return Imperfection(mode) if mode.realistic else None
