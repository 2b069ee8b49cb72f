"""The end of an apply, line for line: each unit's outcome, the totals with every kind of change
counted, the advice for what comes next (the CLI tests in tests/review/test_progress.py and
tests/project/test_project_progress.py drive whole applies; these pin every branch's words)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from cmqinfra.cloud.errors import CloudError
from cmqinfra.plan.values import Action, PlanSummary
from cmqinfra.run.applying import ApplyRun, UnitOutcome, _counts, _error_text, apply_all, report_run
from cmqinfra.run.executor import ApplyReport, StepResult


def _plan(targets: tuple[str, ...] = (), **counts: int) -> SimpleNamespace:
    return SimpleNamespace(summary=PlanSummary(**counts), targets=targets, partial=bool(targets))


def _ok(address: str) -> StepResult:
    return StepResult(address, "apply", Action.CREATE, 0.1)


def _failed(address: str, code: str | None = None, error: str = "boom") -> StepResult:
    return StepResult(address, "apply", Action.CREATE, 0.1, error=error, code=code)


def _lines(run: ApplyRun, destroy: bool = False) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    echo = lambda line, err: out.append((line, err))  # noqa: E731
    if destroy:
        report_run(run, echo, destroy=True)
    else:
        report_run(run, echo)  # an apply is the default
    return out


def test_every_kind_of_change_is_counted_in_words() -> None:
    plans = [_plan(add=1, change=2, destroy=3, adopt=4, move=5), _plan(release=6, import_=7, add=1)]
    assert _counts(plans) == (
        "2 added, 2 changed, 3 destroyed, 4 adopted, 5 moved, 6 released, 7 imported")  # type: ignore[arg-type]
    assert _counts([_plan(change=1)]) == "0 added, 1 changed, 0 destroyed"  # type: ignore[list-item]


def test_a_crashed_units_error_is_worded() -> None:
    assert _error_text(CloudError("CreateCmqQueue", "InternalError", "down", "rid-1", "queue/x")) == (
        "queue/x: CreateCmqQueue failed: InternalError: down (RequestId rid-1)")
    assert _error_text(RuntimeError("the disk is full")) == "the disk is full"
    assert _error_text(KeyError()) == "KeyError"


def test_nothing_to_apply_is_an_empty_run() -> None:
    plan = SimpleNamespace(has_changes=False)
    run = apply_all([SimpleNamespace(label="", plan=plan, api=None)], 10, lambda *_: None)  # type: ignore[list-item]
    assert (run.outcomes, run.total_steps, run.ok) == ((), 0, True)


def test_a_single_stack_that_applied() -> None:
    run = ApplyRun((UnitOutcome("", _plan(add=2), ApplyReport((_ok("queue/a"), _ok("queue/b")), ())),),  # type: ignore[arg-type]
                   2, 1.25)
    assert _lines(run) == [
        ("", False),
        ("Apply complete! Resources: 2 added, 0 changed, 0 destroyed. (2 steps in 1.2s)", False),
    ]
    one = ApplyRun((UnitOutcome("", _plan(destroy=1), ApplyReport((_ok("queue/a"),), ())),), 1, 0.04)  # type: ignore[arg-type]
    assert _lines(one, destroy=True)[-1] == (
        "Destroy complete! Resources: 0 added, 0 changed, 1 destroyed. (1 step in 0.0s)", False)


def test_a_project_says_each_unit_then_the_totals() -> None:
    run = ApplyRun((
        UnitOutcome("shop[dev]", _plan(add=1), ApplyReport((_ok("queue/a"),), ())),  # type: ignore[arg-type]
        UnitOutcome("shop[prod]", _plan(add=1, move=1), ApplyReport((_ok("queue/a"), _ok("queue/b")), ())),  # type: ignore[arg-type]
    ), 3, 2.0)
    assert _lines(run) == [
        ("", False),
        ("shop[dev]: apply complete: 1 added, 0 changed, 0 destroyed (1 step).", False),
        ("shop[prod]: apply complete: 1 added, 0 changed, 0 destroyed, 1 moved (2 steps).", False),
        ("Apply complete! Resources: 2 added, 0 changed, 0 destroyed, 1 moved across 2 stack(s). "
         "(3 steps in 2.0s)", False),
    ]


def test_one_labelled_unit_is_reported_as_a_project() -> None:
    run = ApplyRun((UnitOutcome("shop[dev]", _plan(add=1), ApplyReport((_ok("queue/a"),), ())),), 1, 0.5)  # type: ignore[arg-type]
    assert _lines(run) == [
        ("", False),
        ("shop[dev]: apply complete: 1 added, 0 changed, 0 destroyed (1 step).", False),
        ("Apply complete! Resources: 1 added, 0 changed, 0 destroyed across 1 stack(s). (1 step in 0.5s)",
         False),
    ]
    assert _lines(run, destroy=True)[1] == (
        "shop[dev]: destroy complete: 1 added, 0 changed, 0 destroyed (1 step).", False)


def test_a_project_with_a_crashed_a_failed_and_an_interrupted_unit() -> None:
    run = ApplyRun((
        UnitOutcome("a[dev]", _plan(add=1), None, "queue/x: CreateCmqQueue failed: InternalError: down"),  # type: ignore[arg-type]
        UnitOutcome("b[dev]", _plan(add=2), ApplyReport(  # type: ignore[arg-type]
            (_ok("queue/ok"), _failed("queue/bad", "InvalidParameterValue", "too long")), ())),
        UnitOutcome("c[dev]", _plan(add=2), ApplyReport((_ok("queue/c"),), ("queue/d (apply)",), True)),  # type: ignore[arg-type]
        UnitOutcome("d[dev]", _plan(add=1), ApplyReport((_ok("queue/e"),), ())),  # type: ignore[arg-type]
    ), 6, 3.0)
    assert _lines(run) == [
        ("", False),
        ("a[dev]: apply failed: queue/x: CreateCmqQueue failed: InternalError: down", True),
        ("b[dev]: apply failed: 1 step(s) done, 1 failed, 0 not started.", True),
        ("c[dev]: apply interrupted: 1 step(s) done, 0 failed, 1 not started.", True),
        ("d[dev]: apply complete: 1 added, 0 changed, 0 destroyed (1 step).", False),
        ("Apply interrupted: 3 step(s) done, 1 failed, 1 not started (3 of 4 stack(s) incomplete). "
         "(6 steps in 3.0s)", True),
        ("  failed:      b[dev]: queue/bad (apply): too long", True),
        ("  not started: c[dev]: queue/d (apply)", True),
        ("The service refused b[dev]: queue/bad (InvalidParameterValue); that refusal will repeat on every "
         "run: change the manifest (or the account) first. The steps done are kept; apply after the fix "
         "continues from here.", True),
    ]


def test_a_single_stack_that_failed_lists_what_was_done() -> None:
    run = ApplyRun((UnitOutcome("", _plan(add=2), ApplyReport(  # type: ignore[arg-type]
        (_ok("queue/a"), _failed("queue/b", "InternalError", "down")), ("queue/c (apply)",))),), 3, 1.0)
    assert _lines(run) == [
        ("", False),
        ("Apply failed: 1 step(s) done, 1 failed, 1 not started. (3 steps in 1.0s)", True),
        ("  done:        queue/a (apply)", True),
        ("  failed:      queue/b (apply): down", True),
        ("  not started: queue/c (apply)", True),
        ("Running apply again converges from here.", True),
    ]


def test_a_delete_refused_for_data_loss_says_to_plan_again() -> None:
    run = ApplyRun((UnitOutcome("", _plan(destroy=2), ApplyReport(  # type: ignore[arg-type]
        (_failed("queue/a", "DataLossRefused", "holds 3 messages"),
         _failed("queue/b", "InvalidParameter", "no")), ())),), 2, 1.0)
    assert _lines(run, destroy=True)[-1] == (
        "Not deleted, because they hold messages now: queue/a. Plan again: the plan shows their messages, "
        "and deletes them only with --allow-data-loss.", True)
    assert _lines(run, destroy=True)[1][0].startswith("Destroy failed: 0 step(s) done, 2 failed")


@pytest.mark.parametrize("ok", [True, False])
def test_a_partial_apply_is_flagged(ok: bool) -> None:
    results = (_ok("queue/a"),) if ok else (_failed("queue/a"),)
    run = ApplyRun((
        UnitOutcome("s[dev]", _plan(("queue/a",), add=1), ApplyReport(results, ())),  # type: ignore[arg-type]
        UnitOutcome("s[prod]", _plan(("queue/a", "topic/t"), add=1), ApplyReport((_ok("queue/a"),), ())),  # type: ignore[arg-type]
        UnitOutcome("t[dev]", _plan(add=1), ApplyReport((_ok("queue/a"),), ())),  # type: ignore[arg-type]
    ), 3, 1.0)
    lines = _lines(run)
    warning = ("Warning: this apply was PARTIAL (--target queue/a queue/a topic/t); run a full plan to see "
               "whether other changes are pending.\n", True)
    assert lines[4] == warning


def test_deletes_refused_for_data_loss_in_several_units_are_all_named() -> None:
    run = ApplyRun((
        UnitOutcome("a[dev]", _plan(destroy=1), ApplyReport((_failed("queue/x", "DataLossRefused"),), ())),  # type: ignore[arg-type]
        UnitOutcome("b[dev]", _plan(destroy=1), ApplyReport((_failed("queue/y", "DataLossRefused"),), ())),  # type: ignore[arg-type]
    ), 2, 1.0)
    assert _lines(run, destroy=True)[-1] == (
        "Not deleted, because they hold messages now: a[dev]: queue/x, b[dev]: queue/y. Plan again: the plan "
        "shows their messages, and deletes them only with --allow-data-loss.", True)


def test_refusals_that_will_repeat_are_all_named() -> None:
    run = ApplyRun((UnitOutcome("", _plan(add=2), ApplyReport(  # type: ignore[arg-type]
        (_failed("queue/a", "InvalidParameterValue"), _failed("queue/b", "UnsupportedOperation")), ())),),
        2, 1.0)
    assert _lines(run)[-1][0].startswith(
        "The service refused queue/a (InvalidParameterValue), queue/b (UnsupportedOperation); that refusal")
