"""Which failures are worth another try, and how long to wait before it."""

from __future__ import annotations

import random
from dataclasses import dataclass

# Codes that say "the call may succeed if you ask again": throttling, transport failures and
# the service's own transient errors. Business refusals are never retried.
_RETRYABLE_PREFIXES = ("RequestLimitExceeded", "InternalError", "ClientNetworkError", "ServerNetworkError")
_RETRYABLE_EXACT = frozenset(
    {
        "FailedOperation.CmqBackendError",
        "ResourceUnavailable.SystemUpgrade",
        "ServiceUnavailable",
        # The SDK raises these when a response body is cut off or not the API's envelope.
        "JSONDecodeError",
        "KeyError",
    }
)


def is_retryable(code: str | None) -> bool:
    if not code:
        return True
    return code in _RETRYABLE_EXACT or code.startswith(_RETRYABLE_PREFIXES)


# Refusals of the request itself: the same request is refused again on every run, so running
# apply again does not converge until the manifest (or the account) changes.
_REPEATING_PREFIXES = (
    "InvalidParameter",
    "MissingParameter",
    "UnknownParameter",
    "UnsupportedOperation",
    "UnsupportedRegion",
    "InvalidAction",
    "AuthFailure",
    "UnauthorizedOperation",
    "OperationDenied",
    "LimitExceeded",
)


def will_repeat(code: str | None) -> bool:
    """Whether a failure with this code will happen again on every run."""
    return bool(code) and str(code).startswith(_REPEATING_PREFIXES)


def is_throttle(code: str | None) -> bool:
    return bool(code) and str(code).startswith("RequestLimitExceeded")


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential back-off with full jitter (each wait uniform in [0, min(cap, base * 2**n)]) for
    transient failures; throttling waits for the rate window instead."""

    max_attempts: int = 6
    base_seconds: float = 0.2
    cap_seconds: float = 5.0
    # RequestLimitExceeded is answered by waiting for the rate window (see RateLimiter.throttled),
    # not by back-off, and does not use up attempts: a call gives up once it has waited this long
    # for throttling in total (someone else is spending the account's budget for that long).
    throttle_budget_seconds: float = 10.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """The wait after failed attempt number ``attempt`` (1-based)."""
        ceiling = min(self.cap_seconds, self.base_seconds * (2 ** (attempt - 1)))
        return rng.uniform(0, ceiling)
