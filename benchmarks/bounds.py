"""The lower bound the API allows for a plan or an apply, from the per-action rate limits.

A bound is a sequence of levels that cannot overlap (a plan's read before the creates it
decides). Within a level every action runs in parallel with the others, each at its own rate
limit. The calls are the ones no client can avoid: listings 50 a page, one subscription listing
per topic (per page of 50 subscriptions), one create per resource. A bound must never be beaten:
tests/benchmarks checks every measured time of a run against it.

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
    # Answers on the shortest dependency chain every call of the level is on (see apply_bound).
    chain: int = 1

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
        slowest = max(slowest, windows * WINDOW_SECONDS + level.chain * limits.latency)
    in_flight = math.ceil(level.total / limits.parallelism) * limits.latency
    return max(slowest, in_flight)


def bound_of(levels: list[Level], limits: Limits) -> Bound:
    kept = tuple(
        Level(level.name, tuple((a, c) for a, c in level.calls if c > 0), level.chain) for level in levels
    )
    kept = tuple(level for level in kept if level.calls)
    return Bound(kept, sum(level_seconds(level, limits) for level in kept))


# A whole plan also counts the account's untagged queues and topics (the plan's warning): for each
# listing action one one-item page of everything and one of everything tagged, sent with the read.
UNTAGGED_COUNT_CALLS = 2


def read_level(workload: Workload, existing: bool, untagged_count: bool = False) -> Level:
    """Reading the stack's live state: queues and topics 50 a page; when the topics exist, their
    subscriptions 50 a page per topic; with ``untagged_count``, the plan's count of untagged
    resources (two one-item pages per listing action). When nothing exists, one listing per action
    is all any client needs to learn it (a page of nothing, or the account's count of 0): looking
    the stack's names up 50 a page would only confirm it."""
    extra = UNTAGGED_COUNT_CALLS if untagged_count else 0
    calls = [
        ("DescribeCmqQueues", (pages(workload.queues) if existing else 1) + extra),
        ("DescribeCmqTopics", (pages(workload.topics) if existing else 1) + extra),
    ]
    if existing:
        per_topic = sum(max(1, pages(count)) for count in workload.subscriptions_per_topic())
        calls.append(("DescribeCmqSubscriptionDetail", per_topic))
    return Level("read", tuple(calls))


def plan_bound(workload: Workload, limits: Limits) -> Bound:
    """``plan`` with no changes: one read of everything (with the untagged count), nothing else."""
    return bound_of([read_level(workload, existing=True, untagged_count=True)], limits)


def project_plan_bound(workloads: list[Workload], limits: Limits) -> Bound:
    """A no-change ``plan`` of several stacks on one account: their reads add up per action,
    because the account's per-action limit is shared; each stack's own reads are those of
    :func:`plan_bound`, and the account's untagged count, the same for every stack, is asked once."""
    merged: dict[str, int] = {}
    for index, workload in enumerate(workloads):
        for action, count in read_level(workload, existing=True, untagged_count=index == 0).calls:
            merged[action] = merged.get(action, 0) + count
    return bound_of([Level("read of every stack", tuple(merged.items()))], limits)


def targeted_plan_bound(limits: Limits) -> Bound:
    """``plan --target queue/NAME`` of a queue that exists: one name-list call finds it (and its
    dead letter); nothing else is needed."""
    return bound_of([Level("read", (("DescribeCmqQueues", 1),))], limits)


def apply_bound(workload: Workload, limits: Limits) -> Bound:
    """``apply`` from empty, as fast as any client can go: the read (nothing exists yet: one
    listing per action), then every create action at its own limit at the same time.

    No schedule beats it. Each action's calls obey its window, so its last call is accepted no
    earlier than floor((C - 1) / A) windows after its first. Every create is also on a chain of
    two answers: the service refuses a subscription to a queue or topic that does not exist yet,
    and a queue whose dead letter does not exist yet; in this workload every queue and topic has
    such a dependent, and every subscription needs both. So whichever queue (or topic) is accepted
    last, a create that needs it is sent after its answer (L later) and answered L after that; and
    the first subscription cannot be sent before a queue and a topic have answered. Hence two
    latencies on top of each action's windows, not one."""
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
                chain=2,
            ),
        ],
        limits,
    )


# The Terraform provider's client-side limiter (terraform-provider-tencentcloud,
# tencentcloud/ratelimit/config.go: ``DefaultLimit int64 = 15``; limit.go: one
# ``simpleratelimit.New(limit, time.Second)`` per service file and action, which is a token bucket
# refilled at ``limit`` per second holding at most ``limit``). The CMQ service file sets no limit of
# its own, so every CMQ action gets the default. docs/performance.md cites the commit.
BASELINE_RATE = 15.0  # calls per second per action
BASELINE_BURST = 15  # the bucket starts full and holds one second's allowance
BASELINE_PARALLELISM = 10  # Terraform's default -parallelism


def baseline_calls(workload: Workload) -> dict[str, int]:
    """A Terraform-style refresh: one Detail call per resource."""
    return {
        "DescribeCmqQueueDetail": workload.queues,
        "DescribeCmqTopicDetail": workload.topics,
        "DescribeCmqSubscriptionDetail": workload.subscriptions,
    }


def baseline_bound(workload: Workload, rate_scale: float, latency: float) -> float:
    """The least time the per-resource refresh can take under the provider's limiter: a full bucket
    of BURST calls at once, then one call per 1/RATE seconds, each action on its own bucket, plus
    the last call's answer; and never more than PARALLELISM calls in flight."""
    rate = BASELINE_RATE * rate_scale
    burst = max(1, int(BASELINE_BURST * rate_scale))
    calls = baseline_calls(workload)
    slowest = max(max(0, count - burst) / rate + latency for count in calls.values() if count)
    in_flight = math.ceil(sum(calls.values()) / BASELINE_PARALLELISM) * latency
    return max(slowest, in_flight)


# The alternative reading of the provider's limiter: 20 calls per action (``DefaultLimit`` before
# commit 7bf2f1a84) counted per one-second window that restarts each second, not a token bucket.
# Shown beside the main baseline (``--window-baseline``); the figures above stay the cited ones.
WINDOW_BASELINE_RATE = 20


def window_baseline_bound(workload: Workload, rate_scale: float, latency: float) -> float:
    """The least time the per-resource refresh can take at WINDOW_BASELINE_RATE calls per action per
    one-second window: C calls of an action need ceil(C / A) - 1 whole windows after the first,
    which is also what the service's rolling window allows (floor((C - 1) / A)), plus the last
    call's answer; and never more than PARALLELISM calls in flight."""
    allowed = max(1, int(WINDOW_BASELINE_RATE * rate_scale))
    calls = baseline_calls(workload)
    slowest = max((count - 1) // allowed * WINDOW_SECONDS + latency for count in calls.values() if count)
    in_flight = math.ceil(sum(calls.values()) / BASELINE_PARALLELISM) * latency
    return max(slowest, in_flight)
