"""The comparison baseline: a refresh that reads each resource with its own Detail call, at 15
calls per second per action (client-side) and 10 in flight, as the Terraform provider does."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import zip_longest

from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from benchmarks.bounds import BASELINE_PARALLELISM, BASELINE_RATE
from benchmarks.sdk_calls import ThreadClients
from benchmarks.workload import Workload, dead_letter_name, queue_name, topic_name


@dataclass(frozen=True)
class BaselineResult:
    seconds: float
    calls: dict[str, int]
    throttled: int


class ActionLimiter:
    """Evenly spaced calls per action (Go's rate.Limiter with burst 1, as the provider uses)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, action: str) -> None:
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next.get(action, now))
            self._next[action] = slot + self.interval
        delay = slot - time.monotonic()
        if delay > 0:
            time.sleep(delay)


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
    workload: Workload, endpoint: str, secret_id: str, secret_key: str, region: str, rate_scale: float
) -> BaselineResult:
    limiter = ActionLimiter(BASELINE_RATE * rate_scale)
    clients = ThreadClients(endpoint, secret_id, secret_key, region)
    calls: Counter[str] = Counter()
    throttled = 0
    lock = threading.Lock()

    def read(item: Read) -> None:
        nonlocal throttled
        for attempt in range(8):
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
                time.sleep(min(1.0, 0.05 * 2**attempt) / rate_scale)
        raise RuntimeError(f"{item.action} {item.params} kept being throttled")

    start = time.monotonic()
    with ThreadPoolExecutor(BASELINE_PARALLELISM) as pool:
        for future in [pool.submit(read, item) for item in reads_of(workload)]:
            future.result()
    return BaselineResult(time.monotonic() - start, dict(calls), throttled)
