"""Fault injection: what can go wrong between a client and TDMQ, on demand and reproducibly."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True)
class Faults:
    """Every fault is off by default. Rates are shares of calls in [0, 1]."""

    latency: float = 0.0  # seconds added to every call
    throttle_rate: float = 0.0  # answered RequestLimitExceeded
    internal_error_rate: float = 0.0  # answered with an InternalError envelope
    http_5xx_rate: float = 0.0  # HTTP 502/503 with a non-JSON body
    drop_connection_rate: float = 0.0  # socket closed without a response, nothing committed
    lost_response_rate: float = 0.0  # change committed, then the socket is closed
    invisible_seconds: float = 0.0  # new resources stay invisible to Describe* this long
    seed: int | None = None  # deterministic randomness when set
    actions: frozenset[str] | None = None  # restrict faults to these actions (None = all)
    # Restrict faults on the CMQ message door to calls naming these queues or topics (queueName /
    # topicName, case-insensitive; None = all). The API 3.0 door is not filtered by it.
    resources: frozenset[str] | None = None

    def __post_init__(self) -> None:
        for name in (
            "throttle_rate",
            "internal_error_rate",
            "http_5xx_rate",
            "drop_connection_rate",
            "lost_response_rate",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        if self.latency < 0 or self.invisible_seconds < 0:
            raise ValueError("latency and invisible_seconds must not be negative")
        if self.actions is not None and not isinstance(self.actions, frozenset):
            object.__setattr__(self, "actions", frozenset(self.actions))
        if self.resources is not None:
            object.__setattr__(self, "resources", frozenset(name.lower() for name in self.resources))

    def applies_to(self, action: str) -> bool:
        return self.actions is None or action in self.actions

    def applies_to_resource(self, name: str | None) -> bool:
        return self.resources is None or (name is not None and name.lower() in self.resources)


class Outcome(Enum):
    """What the fault draw decided for one call, before the action runs."""

    NORMAL = "normal"
    THROTTLE = "throttle"
    INTERNAL_ERROR = "internal_error"
    HTTP_5XX = "http_5xx"
    DROP = "drop"
    LOST_RESPONSE = "lost_response"


class FaultDice:
    """Thread-safe random draws for one Faults value (re-seeded when the Faults change)."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self._random = random.Random(faults.seed)
        self._lock = threading.Lock()
        # No outcome but NORMAL is possible: skip the draw (and its lock) on every call.
        self._quiet = not any(
            (faults.http_5xx_rate, faults.drop_connection_rate, faults.throttle_rate,
             faults.internal_error_rate, faults.lost_response_rate)
        )

    def draw(self, action: str) -> Outcome:
        faults = self.faults
        if self._quiet or not faults.applies_to(action):
            return Outcome.NORMAL
        with self._lock:
            roll = self._random.random()
        # One roll, consecutive bands: the shares add up and never overlap.
        for rate, outcome in (
            (faults.http_5xx_rate, Outcome.HTTP_5XX),
            (faults.drop_connection_rate, Outcome.DROP),
            (faults.throttle_rate, Outcome.THROTTLE),
            (faults.internal_error_rate, Outcome.INTERNAL_ERROR),
            (faults.lost_response_rate, Outcome.LOST_RESPONSE),
        ):
            if roll < rate:
                return outcome
            roll -= rate
        return Outcome.NORMAL

    def pick(self, choices: tuple[int, ...]) -> int:
        with self._lock:
            return self._random.choice(choices)
