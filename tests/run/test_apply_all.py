"""The one apply loop over units (the fake API of tests/plan counts calls and concurrency): each
unit's executor gets the run's parallelism, and one unit's crash stays that unit's."""

from __future__ import annotations

from cmqinfra.model import Queue, Stack
from cmqinfra.plan.compute import make_plan
from cmqinfra.plan.values import Plan
from cmqinfra.run.applying import UnitRun, apply_all
from tests.plan.fake_api import FakeApi


def _run(label: str, api: FakeApi, n: int = 8, prefix: str = "") -> UnitRun:
    desired = Stack(name=f"s{label}", queues=tuple(Queue(f"{prefix}q{i}") for i in range(n)))
    return UnitRun(label, make_plan(desired, api.read(desired)), api)  # type: ignore[arg-type]


class _Crashing:
    """A plan the executor cannot even start: its approvals cannot be read."""

    has_changes = True
    changes = ()

    @property
    def approved_data_loss(self) -> tuple[str, ...]:
        raise RuntimeError("the plan is unreadable")


def test_each_units_executor_runs_at_the_runs_parallelism() -> None:
    a, b = FakeApi(delay=0.05), FakeApi(delay=0.05)
    done = apply_all([_run("a", a), _run("b", b)], 2, lambda *_: None)
    assert done.ok and done.total_steps == 16
    assert (a.max_active, b.max_active) == (2, 2)
    one = FakeApi(delay=0.05)
    assert apply_all([_run("", one)], 3, lambda *_: None).ok
    assert one.max_active == 3


def test_a_crashed_unit_keeps_its_label_and_plan_and_the_others_finish() -> None:
    api = FakeApi()
    crashing: Plan = _Crashing()  # type: ignore[assignment]
    good = _run("good", api, 2)
    done = apply_all([UnitRun("bad", crashing, api), good], 4, lambda *_: None)  # type: ignore[arg-type]
    bad, fine = done.outcomes
    assert (bad.label, bad.plan, bad.report, bad.error) == ("bad", crashing, None, "the plan is unreadable")
    assert not bad.ok and not done.ok
    assert fine.label == "good" and fine.plan is good.plan and fine.ok
    (alone,) = apply_all([UnitRun("", crashing, api)], 4, lambda *_: None).outcomes  # type: ignore[arg-type]
    assert (alone.label, alone.plan, alone.error) == ("", crashing, "the plan is unreadable")


def test_the_runs_slow_step_threshold_and_unit_labels_reach_the_progress_lines() -> None:
    lines: list[tuple[str, bool]] = []
    done = apply_all([_run("a[dev]", FakeApi(delay=0.4), 1)], 4, lambda line, err: lines.append((line, err)),
                     slow_after=0.1)
    assert done.ok
    assert ("a[dev]: queue/q0: still creating... 0.1s elapsed", False) in lines
    assert any(line.startswith("[1/1] a[dev]: queue/q0: created (") for line, _ in lines), lines


def test_units_run_at_once_up_to_the_cap() -> None:
    shared = FakeApi(delay=0.3)  # one API behind every unit: its peak is how many units ran at once
    two = apply_all([_run(f"u{i}", shared, 1, f"u{i}") for i in range(2)], 1, lambda *_: None)
    assert two.ok and shared.max_active == 2
    many = FakeApi(delay=0.3)
    done = apply_all([_run(f"u{i}", many, 1, f"u{i}") for i in range(34)], 1, lambda *_: None)
    assert done.ok and len(done.outcomes) == 34
    assert many.max_active == 32  # MAX_CONCURRENT_UNITS
