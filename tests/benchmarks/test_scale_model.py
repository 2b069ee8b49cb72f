"""The benchmark's own parts: the workload's shape, the lower-bound model, seeding and the baseline."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from benchmarks.baseline import ActionLimiter, WindowCounter, run_baseline
from benchmarks.bounds import (
    Level,
    Limits,
    apply_bound,
    baseline_bound,
    level_seconds,
    plan_bound,
    project_plan_bound,
    window_baseline_bound,
)
from benchmarks.report import markdown
from benchmarks.results_model import Baseline, Run, SizeResult, Target, Timed
from benchmarks.scale import MAX_LOAD, judge, merge_rows
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


def test_actions_of_one_level_overlap() -> None:
    one = Level("a", (("CreateCmqQueue", 41),))
    both = Level("b", (("CreateCmqQueue", 41), ("CreateCmqTopic", 41)))
    # 41 calls at 20 per rolling second: the 41st is accepted in the third window
    assert level_seconds(one, LIMITS) == 2.0
    assert level_seconds(both, LIMITS) == 2.0


AT_50_MS = Limits(LIMITS.per_action, latency=0.05, parallelism=10)


def test_apply_bound_at_100_queues_worked_by_hand() -> None:
    """100/10/100: the read of an empty account is one queue listing and one topic listing (each
    answers that nothing exists), 2 calls in one round of 50 ms. Then 100 queue creates at 20
    per rolling second: the 100th is accepted no earlier than 4 s after the first; every queue
    has a dependent (a queue using it as dead letter, or a subscription), sent after its answer:
    4 s + 2 x 50 ms. The 100 subscriptions
    likewise (the first waits for a queue's and a topic's answer); 10 topics in one window.
    210 creates 10 at a time are 21 rounds of 50 ms = 1.05 s, less than 4.1 s."""
    bound = apply_bound(Workload.of_size(100), AT_50_MS)
    assert bound.calls() == {
        "DescribeCmqQueues": 1,
        "DescribeCmqTopics": 1,
        "CreateCmqQueue": 100,
        "CreateCmqTopic": 10,
        "CreateCmqSubscribe": 100,
    }
    assert bound.seconds == pytest.approx(0.05 + 4.10)


def test_apply_bound_is_the_pipelined_one_not_level_by_level() -> None:
    """Level by level (55 queues and 10 topics, then 45 queues, then 100 subscriptions) would
    be 0.05 + 2.05 + 2.05 + 4.05 = 8.2 s at 100 queues: the executor does better than that, so
    it is no bound. Every create action at once is 4.15 s."""
    assert apply_bound(Workload.of_size(100), AT_50_MS).seconds < 8.2 / 1.9


def test_apply_bound_at_1000_queues_worked_by_hand() -> None:
    """1,000 queue creates at 20/s: 999 // 20 = 49 windows; + 2 x 50 ms; the read of an empty
    account is one queue listing and one topic listing: one round of 50 ms. (Looking the 1,000
    names up, 20 pages of 50, only confirms that nothing exists: a client that asks the account's
    count does without.)"""
    assert apply_bound(Workload.of_size(1000), AT_50_MS).seconds == pytest.approx(0.05 + 49.10)


def test_plan_bound_at_1000_queues_worked_by_hand() -> None:
    """20 queue pages, 2 topic pages, one subscription listing per topic (10 each, one page),
    and the untagged count's two one-item pages of queues and two of topics: 126 calls. 100
    listings at 20/s: 99 // 20 = 4 windows + 50 ms; 126 calls 10 at a time are 13 rounds =
    0.65 s, less."""
    bound = plan_bound(Workload.of_size(1000), AT_50_MS)
    assert bound.calls() == {
        "DescribeCmqQueues": 22,
        "DescribeCmqTopics": 4,
        "DescribeCmqSubscriptionDetail": 100,
    }
    assert bound.seconds == pytest.approx(4.05)


def test_project_bound_of_20_stacks_of_500_worked_by_hand() -> None:
    """20 stacks of 500/50/500 on one account: 10 queue pages, 1 topic page and 50 subscription
    listings (10 subscriptions a topic) each, so 200, 20 and 1,000 in all, and the account's
    untagged count once (2 + 2 one-item pages): 1,224 calls. The 1,000 listings share one 20/s
    budget: 999 // 20 = 49 windows + 50 ms = 49.05 s (not the 20 stacks' own 2.05 s each)."""
    workloads = [Workload.of_size(500, stack=f"s{i}", prefix=f"s{i}") for i in range(20)]
    bound = project_plan_bound(workloads, replace(AT_50_MS, parallelism=200))
    assert bound.calls() == {
        "DescribeCmqQueues": 202,
        "DescribeCmqTopics": 22,
        "DescribeCmqSubscriptionDetail": 1000,
    }
    assert bound.seconds == pytest.approx(49.05)


def test_latency_with_bounded_parallelism_limits_a_level() -> None:
    slow = Limits(LIMITS.per_action, latency=0.1, parallelism=2)
    level = Level("read", (("DescribeCmqQueues", 10),))
    assert level_seconds(level, slow) == 0.5  # 10 calls, 2 at a time, 0.1 s each


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_baseline_limiter_is_the_providers_token_bucket() -> None:
    """simpleratelimit.New(15, time.Second): a full bucket of 15, then one call per 1/15 s."""
    clock = FakeClock()
    limiter = ActionLimiter(15.0, 15, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(20):
        limiter.wait("DescribeCmqQueueDetail")
        times.append(clock.now)
    assert times[:15] == [0.0] * 15
    assert times[15:] == pytest.approx([1 / 15, 2 / 15, 3 / 15, 4 / 15, 5 / 15])
    limiter.wait("DescribeCmqTopicDetail")  # each action has its own bucket
    assert clock.now == pytest.approx(5 / 15)


def test_baseline_bound_at_100_queues_worked_by_hand() -> None:
    """100 queue Detail calls: 15 from the full bucket, 85 more at 15/s = 5.667 s, + 50 ms."""
    assert baseline_bound(Workload.of_size(100), 1.0, 0.05) == pytest.approx(85 / 15 + 0.05)


def test_seed_then_baseline_reads_every_resource_once(tmp_path: Path) -> None:
    emulator = Emulator.start(tmp_path / "emu.sqlite3", rate_limits=True)
    try:
        workload = Workload.of_size(20)
        seed(workload, emulator.endpoint, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, emulator.region)
        result = run_baseline(
            workload, emulator.endpoint, DEFAULT_SECRET_ID, DEFAULT_SECRET_KEY, emulator.region, rate_scale=1
        )
    finally:
        emulator.stop()
    assert result.calls == {
        "DescribeCmqQueueDetail": workload.queues,
        "DescribeCmqTopicDetail": workload.topics,
        "DescribeCmqSubscriptionDetail": workload.subscriptions,
    }
    # 20 queue reads: 15 at once, then 5 at 15/s. Evenly spaced (burst 1) it would be 19/15 s.
    assert 5 / 15 <= result.seconds < 1.0


def timed_at(seconds: float, bound_seconds: float, calls: int = 1220) -> Timed:
    return Timed(
        seconds=seconds,
        calls={"DescribeCmqQueues": calls},
        bound_seconds=bound_seconds,
        bound_calls={"DescribeCmqQueues": calls},
        local_cpu=3.0,
        peak_rss_mb=150.0,
        changes=0,
        network_seconds=seconds - 0.05,
    )


def scaled_rows(rate_scale: float = 10.0) -> tuple[SizeResult, ...]:
    """A scaled run whose plan misses its bound only because local CPU does not scale."""
    return (
        SizeResult("1000/100/1000", 1000, timed_at(6.3, 6.0), timed_at(0.9, 0.07), None, rate_scale),
        SizeResult(
            "10000/1000/10000",
            10_000,
            timed_at(64.0, 49.0),
            timed_at(10.1, 4.0),
            Baseline(66.9, {"DescribeCmqQueueDetail": 21_000}, 0, 66.7),
            rate_scale,
        ),
    )


REAL_ROWS = (
    SizeResult("1000/100/1000", 1000, timed_at(105.0, 100.0), None, None, 1.0),
    SizeResult("10000/1000/10000", 10_000, None, timed_at(50.0, 49.0), None, 1.0),
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
    return {t.name.split(" at ")[0]: t for t in targets if " within " in t.name and "API time" not in t.name}


def test_time_targets_are_judged_on_the_runs_at_the_real_limits() -> None:
    targets = time_targets(judge(run_of(scaled_rows(), REAL_ROWS)))
    # the scaled plan is 2.5x its bound; at the real limits it is 1.02x: the latter is judged
    assert targets["plan"].passed is True
    assert "50.00s vs bound 49.00s" in targets["plan"].detail
    assert "real limits" in targets["plan"].name
    assert targets["apply from empty"].passed is True
    assert "105.00s vs bound 100.00s" in targets["apply from empty"].detail
    # call counts do not depend on the scale: judged on the scaled plan and its baseline
    calls = next(t for t in judge(run_of(scaled_rows(), REAL_ROWS)) if "fewer API calls" in t.name)
    assert calls.passed is True and "1220 vs 21000" in calls.detail


def test_a_time_measured_above_the_stated_load_is_shown_not_judged() -> None:
    """At a load average above MAX_LOAD the local CPU on the critical path stretches: a figure that
    misses is printed with its load, and the target is neither passed nor failed."""
    loaded = tuple(
        replace(row, plan=replace(row.plan, seconds=60.0, load_average=MAX_LOAD + 0.5) if row.plan else None)
        for row in REAL_ROWS
    )
    plan = time_targets(judge(run_of(scaled_rows(), loaded)))["plan"]
    assert plan.passed is None
    assert plan.detail.startswith(f"not judged: load average {MAX_LOAD + 0.5:.1f} above {MAX_LOAD:g}")
    assert "60.00s vs bound 49.00s" in plan.detail
    at_the_limit = tuple(
        replace(row, plan=replace(row.plan, seconds=60.0, load_average=MAX_LOAD) if row.plan else None)
        for row in REAL_ROWS
    )
    assert time_targets(judge(run_of(scaled_rows(), at_the_limit)))["plan"].passed is False
    met_under_load = tuple(
        replace(row, plan=replace(row.plan, load_average=MAX_LOAD * 2) if row.plan else None)
        for row in REAL_ROWS
    )
    plan = time_targets(judge(run_of(scaled_rows(), met_under_load)))["plan"]
    assert plan.passed is True  # 50 s against 49: a load only slows, so a pass under it stands


def test_the_large_apply_at_the_real_limits_is_judged_on_its_wall_time() -> None:
    large = SizeResult("10000/1000/10000", 10_000, timed_at(520.0, 500.0), None, None, 1.0)
    run = replace(run_of(scaled_rows(), REAL_ROWS), large_apply=(large,))
    target = next(t for t in judge(run) if t.name.startswith("apply from empty at 10,000/1,000/10,000"))
    assert "judged at the real limits" in target.name
    assert target.passed is True and "520.00s vs bound 500.00s = x1.04" in target.detail
    slow = replace(large, apply=replace(large.apply, seconds=530.0))
    run = replace(run, large_apply=(slow,))
    target = next(t for t in judge(run) if t.name.startswith("apply from empty at 10,000/1,000/10,000"))
    assert target.passed is False
    scaled = replace(large, rate_scale=5.0)
    run = replace(run, large_apply=(scaled,))
    target = next(t for t in judge(run) if t.name.startswith("apply from empty at 10,000/1,000/10,000"))
    assert target.passed is None and "not the real limits" in target.detail


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
    apply_only = SizeResult("20/2/20", 20, timed_at(1.0, 1.0), None, None, 1.0)
    plan_only = SizeResult("20/2/20", 20, None, timed_at(0.5, 0.5), None, 1.0)
    (row,) = merge_rows([plan_only, apply_only])
    assert row.apply == apply_only.apply and row.plan == plan_only.plan


def test_the_report_says_at_which_scale_each_row_ran() -> None:
    run = run_of(scaled_rows(), REAL_ROWS)
    text = markdown(run)
    assert "| 10000/1000/10000 | plan (no changes) | 10 | 10.1 |" in text
    assert "| 10000/1000/10000 | plan (no changes) | 1 (real limits) | 50.0 |" in text
    assert "does not shrink with the rate scale" in text


def test_a_measured_time_below_its_bound_fails_the_run() -> None:
    """The level-by-level figure of the old benchmark, 98 s at 1,000 queues, was beaten by a
    58 s apply: a bound that is beaten is a bug in the bound, and the run says so."""
    beaten = SizeResult("1000/100/1000", 1000, timed_at(58.1, 98.3), None, None, 1.0)
    check = judge(run_of(scaled_rows(), (beaten, REAL_ROWS[1])))[-1]
    assert check.name == "no measured time below its lower bound"
    assert check.passed is False and "58.100s < bound 98.300s" in check.detail
    assert judge(run_of(scaled_rows(), REAL_ROWS))[-1].passed is True
    slow_baseline = replace(
        scaled_rows()[1], baseline=Baseline(60.0, {"DescribeCmqQueueDetail": 21_000}, 0, 66.7)
    )
    assert judge(run_of((scaled_rows()[0], slow_baseline), REAL_ROWS))[-1].passed is False


def test_fewer_calls_than_the_bound_counts_fail_the_run() -> None:
    """An apply from empty that looks 1,000 names up makes 20 name pages; a client that learns
    from the account's count that nothing exists makes one listing. A bound that counted the 20
    pages as unavoidable would be beaten on calls, and the run says so."""
    counted = replace(
        timed_at(52.0, 49.25), calls={"DescribeCmqQueues": 3}, bound_calls={"DescribeCmqQueues": 20}
    )
    beaten = SizeResult("1000/100/1000", 1000, counted, None, None, 1.0)
    check = judge(run_of(scaled_rows(), (beaten, REAL_ROWS[1])))[-1]
    assert check.passed is False and "DescribeCmqQueues 3 calls < bound 20" in check.detail


def test_per_second_window_baseline_counter_restarts_each_window() -> None:
    """20 a window: the 21st call waits for the next window, and a fresh window takes 20 at once
    again; each action counts apart."""
    clock = FakeClock()
    counter = WindowCounter(20, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(45):
        counter.wait("DescribeCmqQueueDetail")
        times.append(clock.now)
    assert times[:20] == [0.0] * 20
    assert times[20:40] == pytest.approx([1.0] * 20)
    assert times[40:] == pytest.approx([2.0] * 5)
    counter.wait("DescribeCmqTopicDetail")
    assert clock.now == pytest.approx(2.0)


def test_per_second_window_baseline_bound_at_100_queues_worked_by_hand() -> None:
    """100 queue Detail calls at 20 a window: windows 0-4, the last call 4 s after the first,
    + 50 ms; 210 calls 10 at a time are 21 rounds = 1.05 s, less."""
    assert window_baseline_bound(Workload.of_size(100), 1.0, 0.05) == pytest.approx(4.05)


def test_the_per_second_window_baseline_is_printed_beside_the_cited_one() -> None:
    sizes = scaled_rows()
    big = replace(
        sizes[-1], window_baseline=Baseline(50.0, {"DescribeCmqQueueDetail": 21_500}, 500, 49.1)
    )
    run = run_of((*sizes[:-1], big), REAL_ROWS)
    calls = next(t for t in run.targets if "fewer API calls" in t.name)
    assert "1220 vs 21000 calls" in calls.detail  # judged on the cited 15/s baseline
    assert "20 calls/s per action counted per one-second window: 1220 vs 21500 calls" in calls.detail
    assert "| 21000 / 66.9 / 66.7 (20/s window: 21500 / 50.0 / 49.1) |" in markdown(run)


def _raw(load: float, diff: float, rss: float, load_average: float) -> dict:  # type: ignore[type-arg]
    return {"cpu": {"load": load, "diff": diff}, "peak_rss_mb": rss, "load_average": load_average}


def test_the_local_work_is_the_median_process_with_its_spread() -> None:
    from benchmarks.scale import local_point, local_targets

    raws = [_raw(0.7, 0.2, 60, 1.0), _raw(0.4, 0.1, 70, 0.5), _raw(0.5, 0.1, 65, 2.0)]
    point = local_point(10_000, "10000/1000/10000", raws)
    assert point.cpu == {"load": 0.5, "diff": 0.1}  # the middle total (0.6), not the least or a mix
    assert (point.runs, point.total_min, point.total_max) == (3, 0.5, pytest.approx(0.9))
    assert (point.peak_rss_mb, point.load_average) == (70, 2.0)  # the worst seen
    cpu_target = local_targets((point,))[0]
    assert cpu_target.passed is True
    assert "median of 3 fresh processes, min 0.50s, max 0.90s" in cpu_target.detail
    # an even count judges a process that ran, the lower middle one
    assert local_point(10_000, "x", raws[:2]).cpu == {"load": 0.4, "diff": 0.1}
