"""The benchmark's own parts: the workload's shape, the lower-bound model, seeding and the baseline."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import yaml

from benchmarks.baseline import run_baseline
from benchmarks.bounds import Level, Limits, apply_bound, level_seconds, plan_bound
from benchmarks.report import markdown
from benchmarks.results_model import Baseline, Run, SizeResult, Target, Timed
from benchmarks.scale import judge, merge_rows
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


def timed_at(seconds: float, bound_seconds: float, calls: int = 1220) -> Timed:
    return Timed(
        seconds=seconds,
        calls={"DescribeCmqQueues": calls},
        bound_seconds=bound_seconds,
        bound_calls={"DescribeCmqQueues": calls},
        local_cpu=3.0,
        peak_rss_mb=150.0,
        changes=0,
    )


def scaled_rows(rate_scale: float = 10.0) -> tuple[SizeResult, ...]:
    """A scaled run whose plan misses its bound only because local CPU does not scale."""
    return (
        SizeResult("1000/100/1000", 1000, timed_at(6.4, 8.0), timed_at(0.9, 0.07), None, 4.0, rate_scale),
        SizeResult(
            "10000/1000/10000",
            10_000,
            timed_at(64.0, 98.0),
            timed_at(10.1, 4.0),
            Baseline(66.9, {"DescribeCmqQueueDetail": 21_000}, 0),
            49.0,
            rate_scale,
        ),
    )


REAL_ROWS = (
    SizeResult("1000/100/1000", 1000, timed_at(105.0, 100.0), None, None, 50.0, 1.0),
    SizeResult("10000/1000/10000", 10_000, None, timed_at(58.0, 49.0), None, 490.0, 1.0),
)


def run_of(
    sizes: tuple[SizeResult, ...], real: tuple[SizeResult, ...] = (), real_limits_skipped: bool = False
) -> Run:
    run = Run(
        "python benchmarks/scale.py",
        sizes[0].rate_scale,
        0.05,
        10,
        sizes,
        (),
        real_limits=real,
        real_limits_skipped=real_limits_skipped,
    )
    return replace(run, targets=judge(run))


def time_targets(targets: tuple[Target, ...]) -> dict[str, Target]:
    """The two time targets by command ("plan", "apply from empty")."""
    return {t.name.split(" at ")[0]: t for t in targets if "within 1.25x" in t.name}


def test_time_targets_are_judged_on_the_runs_at_the_real_limits() -> None:
    targets = time_targets(judge(run_of(scaled_rows(), REAL_ROWS)))
    # the scaled plan is 2.5x its bound; at the real limits it is 1.18x: the latter is judged
    assert targets["plan"].passed is True
    assert "58.00s vs bound 49.00s" in targets["plan"].detail
    assert "real limits" in targets["plan"].name
    assert targets["apply from empty"].passed is True
    assert "105.00s vs bound 100.00s" in targets["apply from empty"].detail
    # call counts do not depend on the scale: judged on the scaled plan and its baseline
    calls = next(t for t in judge(run_of(scaled_rows(), REAL_ROWS)) if "fewer API calls" in t.name)
    assert calls.passed is True and "1220 vs 21000" in calls.detail


def test_time_targets_are_not_judged_when_the_real_limit_runs_are_skipped() -> None:
    targets = judge(run_of(scaled_rows(), real_limits_skipped=True))
    plan, calls, apply = targets[:3]
    assert plan.passed is None and "--no-real-limits" in plan.detail
    assert "x2.52" in plan.detail  # the scaled figure, shown for information only
    assert apply.passed is None and "--no-real-limits" in apply.detail
    assert calls.passed is True
    assert "NOT JUDGED" in markdown(run_of(scaled_rows(), real_limits_skipped=True))


def test_at_rate_scale_one_the_rows_themselves_are_judged() -> None:
    rows = scaled_rows(rate_scale=1.0)
    run = run_of(rows)
    assert run.timing_rows == rows
    plan, _, apply = judge(run)[:3]
    assert plan.passed is False and "x2.52" in plan.detail
    assert apply.passed is True


def test_a_target_size_missing_from_the_run_is_reported_not_judged() -> None:
    small = scaled_rows()[:1]
    real = REAL_ROWS[:1]  # only the apply at 1,000 ran at the real limits
    plan, calls, apply = judge(run_of(small, real))[:3]
    assert plan.passed is None and plan.detail == "size not in this run"
    assert calls.passed is None and calls.detail == "size not in this run"
    assert apply.passed is True
    plan_small = judge(run_of(small, real), plan_size=1000)[0]
    # 1,000 ran at the real limits for apply only
    assert plan_small.passed is None and plan_small.detail == "not measured in this run"


def test_plan_and_apply_at_one_size_merge_into_one_row() -> None:
    apply_only = SizeResult("20/2/20", 20, timed_at(1.0, 1.0), None, None, 1.0, 1.0)
    plan_only = SizeResult("20/2/20", 20, None, timed_at(0.5, 0.5), None, 1.0, 1.0)
    (row,) = merge_rows([plan_only, apply_only])
    assert row.apply == apply_only.apply and row.plan == plan_only.plan


def test_the_report_says_at_which_scale_each_row_ran() -> None:
    run = run_of(scaled_rows(), REAL_ROWS)
    text = markdown(run)
    assert "| 10000/1000/10000 | plan (no changes) | 10 | 10.1 |" in text
    assert "| 10000/1000/10000 | plan (no changes) | 1 (real limits) | 58.0 |" in text
    assert "does not shrink with the rate scale" in text
