"""The one apply loop: the plans of one or many units carried out, with one progress counter.

A single stack is a run of one unit. Units run concurrently (each its own executor, on its own
API and rate budget); the ``[n/N]`` counter counts every step of every unit, a slow step says
"still creating... Ns", and the report gives each unit's counts, the totals and the elapsed
time. A unit's failure stops only that unit; SIGINT / SIGTERM stop every unit from starting new
steps (calls in flight finish and are reported).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from cmqinfra.cloud.api import CmqApi
from cmqinfra.plan.order import steps_of
from cmqinfra.plan.values import Plan
from cmqinfra.run.executor import ApplyReport, execute
from cmqinfra.run.progress import Progress

MAX_CONCURRENT_UNITS = 32
Echo = Callable[[str, bool], None]  # (line, is_error)


@dataclass(frozen=True)
class UnitRun:
    """One unit to apply: ``label`` names it in a run of many ("" for a single stack)."""

    label: str
    plan: Plan
    api: CmqApi


@dataclass(frozen=True)
class UnitOutcome:
    label: str
    plan: Plan
    report: ApplyReport | None
    error: str | None = None  # the unit crashed before it could report

    @property
    def ok(self) -> bool:
        return self.error is None and self.report is not None and self.report.ok


@dataclass(frozen=True)
class ApplyRun:
    outcomes: tuple[UnitOutcome, ...]
    total_steps: int
    elapsed: float

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes)


@contextmanager
def stop_on_signals(echo: Echo) -> Iterator[threading.Event]:
    """SIGINT / SIGTERM stop launching new work; in-flight calls finish and are reported."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, _frame: object) -> None:
        stop.set()
        echo(f"\n{signal.Signals(signum).name}: stopping after the calls in flight...", True)

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _error_text(exc: BaseException) -> str:
    from cmqinfra.cloud.errors import CloudError

    if isinstance(exc, CloudError):
        return exc.describe()
    return str(exc) or type(exc).__name__


def apply_all(runs: Sequence[UnitRun], parallelism: int, echo: Echo,
              slow_after: float | None = None) -> ApplyRun:
    """Carry out every unit's plan (only those with changes), one counter over all their steps."""
    todo = [r for r in runs if r.plan.has_changes]
    total = sum(len(steps_of(r.plan.changes)) for r in todo)
    with stop_on_signals(echo) as stop, Progress(total, echo, slow_after) as progress:

        def one(run: UnitRun) -> UnitOutcome:
            try:
                report = execute(
                    run.plan, run.api, parallelism=parallelism, stop=stop,
                    on_result=lambda r: progress.finished(r, run.label),
                    on_start=lambda s: progress.started(s, run.label),
                )
            except Exception as exc:  # noqa: BLE001 - one unit's crash must not hide the others' reports
                return UnitOutcome(run.label, run.plan, None, _error_text(exc))
            return UnitOutcome(run.label, run.plan, report)

        if len(todo) <= 1:
            outcomes = [one(r) for r in todo]
        else:
            with ThreadPoolExecutor(max_workers=min(MAX_CONCURRENT_UNITS, len(todo)),
                                    thread_name_prefix="cmqinfra-unit") as pool:
                outcomes = list(pool.map(one, todo))
    return ApplyRun(tuple(outcomes), total, progress.elapsed)


def _counts(plans: Sequence[Plan]) -> str:
    add = sum(p.summary.add for p in plans)
    change = sum(p.summary.change for p in plans)
    destroy = sum(p.summary.destroy for p in plans)
    extra = ""
    for word, attr in (("adopted", "adopt"), ("moved", "move"), ("released", "release"),
                       ("imported", "import_")):
        n = sum(getattr(p.summary, attr) for p in plans)
        if n:
            extra += f", {n} {word}"
    return f"{add} added, {change} changed, {destroy} destroyed{extra}"


def _steps(n: int) -> str:
    return f"{n} step{'s' if n != 1 else ''}"


def report_run(run: ApplyRun, echo: Echo, *, destroy: bool = False) -> None:
    """The end of an apply: each unit's outcome (in a run of many), the totals and the time."""
    from cmqinfra.cloud.retry import will_repeat

    what = "Destroy" if destroy else "Apply"
    took = f" ({_steps(run.total_steps)} in {run.elapsed:.1f}s)"
    many = len(run.outcomes) > 1 or any(o.label for o in run.outcomes)
    echo("", False)
    for o in run.outcomes:
        if not many:
            break
        if o.ok:
            assert o.report is not None
            echo(f"{o.label}: {what.lower()} complete: {_counts([o.plan])} ({_steps(len(o.report.done))}).",
                 False)
        elif o.report is None:
            echo(f"{o.label}: {what.lower()} failed: {o.error}", True)
        else:
            why = "interrupted" if o.report.interrupted else "failed"
            echo(f"{o.label}: {what.lower()} {why}: {len(o.report.done)} step(s) done, "
                 f"{len(o.report.failed)} failed, {len(o.report.not_started)} not started.", True)
    partial = [o.plan for o in run.outcomes if o.plan.partial]
    if partial:
        targets = " ".join(t for p in partial for t in p.targets)
        echo(f"Warning: this apply was PARTIAL (--target {targets}); run a full plan to see whether other "
             "changes are pending.\n", True)
    if run.ok:
        units = f" across {len(run.outcomes)} stack(s)" if many else ""
        echo(f"{what} complete! Resources: {_counts([o.plan for o in run.outcomes])}{units}.{took}", False)
        return
    done = sum(len(o.report.done) for o in run.outcomes if o.report is not None)
    failed = sum(len(o.report.failed) for o in run.outcomes if o.report is not None)
    not_started = sum(len(o.report.not_started) for o in run.outcomes if o.report is not None)
    interrupted = any(o.report is not None and o.report.interrupted for o in run.outcomes)
    why = "interrupted" if interrupted else "failed"
    bad = sum(1 for o in run.outcomes if not o.ok)
    units = f" ({bad} of {len(run.outcomes)} stack(s) incomplete)" if many else ""
    echo(f"{what} {why}: {done} step(s) done, {failed} failed, {not_started} not started{units}.{took}", True)
    repeating = []
    kept = []
    for o in run.outcomes:
        if o.report is None:
            continue
        prefix = f"{o.label}: " if many else ""
        for r in o.report.done:
            if not many:  # a single stack lists what was done; a project's units say it above
                echo(f"  done:        {prefix}{r.address} ({r.phase})", True)
        for r in o.report.failed:
            echo(f"  failed:      {prefix}{r.address} ({r.phase}): {r.error}", True)
        for item in o.report.not_started:
            echo(f"  not started: {prefix}{item}", True)
        repeating += [f"{prefix}{r.address} ({r.code})" for r in o.report.failed if will_repeat(r.code)]
        kept += [f"{prefix}{r.address}" for r in o.report.failed if r.code == "DataLossRefused"]
    if kept:
        echo(
            f"Not deleted, because they hold messages now: {', '.join(kept)}. Plan again: the plan shows "
            "their messages, and deletes them only with --allow-data-loss.",
            True,
        )
    elif repeating:
        echo(
            f"The service refused {', '.join(repeating)}; that refusal will repeat on every run: change the "
            "manifest (or the account) first. The steps done are kept; apply after the fix continues "
            "from here.",
            True,
        )
    else:
        echo("Running apply again converges from here.", True)
