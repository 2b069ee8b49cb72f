"""The comparison baseline: a refresh that reads each resource with its own Detail call, paced
per action by the Terraform provider's own limiter (a token bucket of 15 calls per second holding
15, see bounds.BASELINE_RATE for the source) with 10 calls in flight, Terraform's default."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import zip_longest

from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from benchmarks.bounds import BASELINE_BURST, BASELINE_PARALLELISM, BASELINE_RATE, WINDOW_BASELINE_RATE
from benchmarks.sdk_calls import ThreadClients
from benchmarks.workload import Workload, dead_letter_name, queue_name, topic_name

READ_RETRY_SECONDS = 180.0


@dataclass(frozen=True)
class BaselineResult:
    seconds: float
    calls: dict[str, int]
    throttled: int


class ActionLimiter:
    """One token bucket per action, as the provider's ``simpleratelimit`` keeps: it starts full
    with ``burst`` calls and refills at ``rate`` per second up to ``burst``. The provider spins on
    it with 10-40 microsecond sleeps; this sleeps until the next token is due, to the same effect."""

    def __init__(
        self,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self._clock = clock
        self._sleep = sleep
        self._tokens: dict[str, float] = {}
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, action: str) -> None:
        while True:
            with self._lock:
                now = self._clock()
                tokens = self._tokens.get(action, float(self.burst))
                tokens = min(float(self.burst), tokens + (now - self._last.get(action, now)) * self.rate)
                self._last[action] = now
                if tokens >= 1.0 - 1e-9:  # a token due now, give or take rounding
                    self._tokens[action] = max(0.0, tokens - 1.0)
                    return
                self._tokens[action] = tokens
                delay = (1.0 - tokens) / self.rate
            self._sleep(delay)


class WindowCounter:
    """At most ``limit`` calls per action in each one-second window, the count starting again at
    every window: the per-second counter reading of the provider's limiter. Windows are counted
    from the first call, and a call that finds its window full waits for the next one."""

    def __init__(
        self,
        limit: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit = max(1, limit)
        self._clock = clock
        self._sleep = sleep
        self._start: float | None = None
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def wait(self, action: str) -> None:
        while True:
            with self._lock:
                now = self._clock()
                if self._start is None:
                    self._start = now
                window = int((now - self._start) // 1.0)
                count = self._counts.get((action, window), 0)
                if count < self.limit:
                    self._counts[(action, window)] = count + 1
                    return
                delay = self._start + window + 1.0 - now
            self._sleep(max(delay, 1e-6))


@dataclass(frozen=True)
class Read:
    action: str
    params: dict[str, str]


def reads_of(workload: Workload) -> list[Read]:
    """Every Detail call, interleaved across actions so each action's limiter is kept busy."""
    queues = [
        Read("DescribeCmqQueueDetail", {"QueueName": dead_letter_name(i)})
        for i in range(workload.dead_letter_queues)
    ]
    queues += [
        Read("DescribeCmqQueueDetail", {"QueueName": queue_name(i)}) for i in range(workload.working_queues)
    ]
    topics = [Read("DescribeCmqTopicDetail", {"TopicName": topic_name(t)}) for t in range(workload.topics)]
    subscriptions = [
        Read("DescribeCmqSubscriptionDetail", {"TopicName": topic_name(t), "SubscriptionName": f"sub{s:04d}"})
        for t, count in enumerate(workload.subscriptions_per_topic())
        for s in range(count)
    ]
    return [r for group in zip_longest(queues, topics, subscriptions) for r in group if r is not None]


def run_baseline(
    workload: Workload,
    endpoint: str,
    secret_id: str,
    secret_key: str,
    region: str,
    rate_scale: float,
    per_second_window: bool = False,
) -> BaselineResult:
    """The refresh as the provider's limiter paces it; ``per_second_window``: as the per-second
    counter reading of it does (WINDOW_BASELINE_RATE calls per action per window)."""
    limiter: ActionLimiter | WindowCounter = (
        WindowCounter(int(WINDOW_BASELINE_RATE * rate_scale))
        if per_second_window
        else ActionLimiter(BASELINE_RATE * rate_scale, int(BASELINE_BURST * rate_scale))
    )
    clients = ThreadClients(endpoint, secret_id, secret_key, region)
    calls: Counter[str] = Counter()
    throttled = 0
    lock = threading.Lock()

    def read(item: Read) -> None:
        nonlocal throttled
        # The provider retries a refused read for ReadRetryTimeout (3 minutes, common.go): its
        # bucket lets a full burst plus a second's refill out in the first second, over the limit.
        deadline = time.monotonic() + READ_RETRY_SECONDS
        attempt = 0
        while time.monotonic() < deadline:
            attempt += 1
            limiter.wait(item.action)
            with lock:
                calls[item.action] += 1
            try:
                clients.call(item.action, item.params)
                return
            except TencentCloudSDKException as exc:
                if not str(exc.code).startswith("RequestLimitExceeded"):
                    raise
                with lock:
                    throttled += 1
                time.sleep(min(1.0, 0.05 * 2 ** min(attempt, 5)) / rate_scale)
        raise RuntimeError(f"{item.action} {item.params} kept being throttled")

    start = time.monotonic()
    with ThreadPoolExecutor(BASELINE_PARALLELISM) as pool:
        for future in [pool.submit(read, item) for item in reads_of(workload)]:
            future.result()
    return BaselineResult(time.monotonic() - start, dict(calls), throttled)
