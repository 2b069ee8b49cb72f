"""The lower bound the API allows for a plan or an apply, from the per-action rate limits.

A bound is a sequence of dependency levels. Within a level every action runs in parallel with
the others, each at its own rate limit; levels run one after the other (dead-letter queues
before the queues that use them, queues and topics before subscriptions). The calls are the
ones no client can avoid: listings 50 a page, one subscription listing per topic (per page of
50 subscriptions), one create per resource.

The emulator enforces a limit as "at most A accepted calls in any rolling one-second window"
(A = limit x rate scale), so C calls of one action need at least floor((C - 1) / A) windows,
plus one call's latency for the last answer. With ``parallelism`` calls in flight and a
latency L per call, a level also needs ceil(total / parallelism) x L.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from benchmarks.workload import Workload

PAGE = 50
WINDOW_SECONDS = 1.0


@dataclass(frozen=True)
class Level:
    name: str
    calls: tuple[tuple[str, int], ...]  # (action, calls), calls > 0

    @property
    def total(self) -> int:
        return sum(count for _, count in self.calls)


@dataclass(frozen=True)
class Bound:
    levels: tuple[Level, ...]
    seconds: float

    def calls(self) -> dict[str, int]:
        merged: dict[str, int] = {}
        for level in self.levels:
            for action, count in level.calls:
                merged[action] = merged.get(action, 0) + count
        return merged

    @property
    def total_calls(self) -> int:
        return sum(level.total for level in self.levels)


@dataclass(frozen=True)
class Limits:
    """Per-action rate limits (calls per second) as the service enforces them, times the scale."""

    per_action: Mapping[str, float]
    latency: float
    parallelism: int

    def rate(self, action: str) -> float | None:
        return self.per_action.get(action)


def pages(items: int) -> int:
    return math.ceil(items / PAGE)


def level_seconds(level: Level, limits: Limits) -> float:
    if level.total == 0:
        return 0.0
    slowest = 0.0
    for action, count in level.calls:
        rate = limits.rate(action)
        windows = 0 if rate is None else (count - 1) // max(1, int(rate))
        slowest = max(slowest, windows * WINDOW_SECONDS + limits.latency)
    in_flight = math.ceil(level.total / limits.parallelism) * limits.latency
    return max(slowest, in_flight)


def bound_of(levels: list[Level], limits: Limits) -> Bound:
    kept = tuple(Level(level.name, tuple((a, c) for a, c in level.calls if c > 0)) for level in levels)
    kept = tuple(level for level in kept if level.calls)
    return Bound(kept, sum(level_seconds(level, limits) for level in kept))


def read_level(workload: Workload, existing: bool) -> Level:
    """Reading the stack's live state: queues and topics 50 a page; when the topics exist, their
    subscriptions 50 a page per topic."""
    calls = [("DescribeCmqQueues", pages(workload.queues)), ("DescribeCmqTopics", pages(workload.topics))]
    if existing:
        per_topic = sum(max(1, pages(count)) for count in workload.subscriptions_per_topic())
        calls.append(("DescribeCmqSubscriptionDetail", per_topic))
    return Level("read", tuple(calls))


def plan_bound(workload: Workload, limits: Limits) -> Bound:
    """``plan`` with no changes: one read of everything, nothing else."""
    return bound_of([read_level(workload, existing=True)], limits)


def apply_bound(workload: Workload, limits: Limits) -> Bound:
    """``apply`` from empty: read (nothing exists), then create level by level."""
    independent_queues = workload.queues - workload.queues_with_dead_letter
    return bound_of(
        [
            read_level(workload, existing=False),
            Level(
                "queues without dead letter, topics",
                (("CreateCmqQueue", independent_queues), ("CreateCmqTopic", workload.topics)),
            ),
            Level("queues with dead letter", (("CreateCmqQueue", workload.queues_with_dead_letter),)),
            Level("subscriptions", (("CreateCmqSubscribe", workload.subscriptions),)),
        ],
        limits,
    )


def pipelined_apply_bound(workload: Workload, limits: Limits) -> Bound:
    """A looser bound for an executor that starts each create as soon as its own dependencies
    exist (not level by level): every create action runs at its limit at the same time, after
    the read. Shown for reference; the targets use :func:`apply_bound`."""
    return bound_of(
        [
            read_level(workload, existing=False),
            Level(
                "all creates",
                (
                    ("CreateCmqQueue", workload.queues),
                    ("CreateCmqTopic", workload.topics),
                    ("CreateCmqSubscribe", workload.subscriptions),
                ),
            ),
        ],
        limits,
    )


BASELINE_RATE = 15.0  # the Terraform provider's client-side limit per action
BASELINE_PARALLELISM = 10  # Terraform's default -parallelism


def baseline_calls(workload: Workload) -> dict[str, int]:
    """A Terraform-style refresh: one Detail call per resource."""
    return {
        "DescribeCmqQueueDetail": workload.queues,
        "DescribeCmqTopicDetail": workload.topics,
        "DescribeCmqSubscriptionDetail": workload.subscriptions,
    }
