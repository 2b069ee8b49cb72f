"""The benchmark's own parts: the workload's shape, the lower-bound model, seeding and the baseline."""

from __future__ import annotations

from pathlib import Path

import yaml

from benchmarks.baseline import run_baseline
from benchmarks.bounds import Level, Limits, apply_bound, level_seconds, plan_bound
from benchmarks.seed import seed
from benchmarks.workload import Workload, write_manifests
from cmqinfra.emulator import DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, Emulator

LIMITS = Limits(
    {
        "DescribeCmqQueues": 20,
        "DescribeCmqTopics": 20,
        "DescribeCmqSubscriptionDetail": 20,
        "CreateCmqQueue": 20,
        "CreateCmqTopic": 20,
        "CreateCmqSubscribe": 20,
    },
    latency=0.0,
    parallelism=10,
)


def test_workload_manifests_hold_the_declared_counts(tmp_path: Path) -> None:
    workload = Workload.of_size(200)
    directory = write_manifests(workload, tmp_path / "stack")
    queues = yaml.safe_load((directory / "queues.yaml").read_text())["queues"]
    topics = yaml.safe_load((directory / "topics.yaml").read_text())["topics"]
    assert len(queues) == workload.queues
    assert len(topics) == workload.topics
    assert sum(len(t["subscriptions"]) for t in topics.values()) == workload.subscriptions
    assert sum("deadLetter" in q for q in queues.values()) == workload.queues_with_dead_letter
    # every dead letter and every queue endpoint is declared in the same stack
    assert all(q["deadLetter"]["queue"] in queues for q in queues.values() if "deadLetter" in q)
    assert all(s["endpoint"] in queues for t in topics.values() for s in t["subscriptions"].values())


def test_actions_of_one_level_overlap_and_levels_add_up() -> None:
    one = Level("a", (("CreateCmqQueue", 41),))
    both = Level("b", (("CreateCmqQueue", 41), ("CreateCmqTopic", 41)))
    # 41 calls at 20 per rolling second: the 41st is accepted in the third window
    assert level_seconds(one, LIMITS) == 2.0
    assert level_seconds(both, LIMITS) == level_seconds(one, LIMITS)
    workload = Workload.of_size(1000)
    bound = apply_bound(workload, LIMITS)
    assert bound.calls()["CreateCmqQueue"] == workload.queues
    assert bound.calls()["CreateCmqSubscribe"] == workload.subscriptions
    assert bound.seconds == sum(level_seconds(level, LIMITS) for level in bound.levels)


def test_plan_bound_lists_fifty_a_page_and_each_topic_once() -> None:
    workload = Workload.of_size(1000)
    calls = plan_bound(workload, LIMITS).calls()
    assert calls == {
        "DescribeCmqQueues": -(-workload.queues // 50),
        "DescribeCmqTopics": -(-workload.topics // 50),
        "DescribeCmqSubscriptionDetail": workload.topics,  # 10 subscriptions each: one page
    }


def test_latency_with_bounded_parallelism_limits_a_level() -> None:
    slow = Limits(LIMITS.per_action, latency=0.1, parallelism=2)
    level = Level("read", (("DescribeCmqQueues", 10),))
    assert level_seconds(level, slow) == 0.5  # 10 calls, 2 at a time, 0.1 s each


def test_seed_then_baseline_reads_every_resource_once(tmp_path: Path) -> None:
    emulator = Emulator.start(tmp_path / "emu.sqlite3", rate_limits=True, rate_scale=5)
    try:
        workload = Workload.of_size(20)
        seed(workload, emulator.endpoint, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, emulator.region)
        result = run_baseline(
            workload, emulator.endpoint, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, emulator.region, rate_scale=5
        )
    finally:
        emulator.stop()
    assert result.calls == {
        "DescribeCmqQueueDetail": workload.queues,
        "DescribeCmqTopicDetail": workload.topics,
        "DescribeCmqSubscriptionDetail": workload.subscriptions,
    }
    # 20 queue reads at 15 x 5 per second, evenly spaced: at least 19 intervals
    assert result.seconds >= 19 / 75
