"""The one place the benchmark touches cmqinfra's own modules: load, read, diff, render, execute.

Kept thin on purpose, so the benchmark measures exactly what ``cmqinfra plan`` / ``apply`` run.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cmqinfra.live import LiveQueue, LiveState, LiveSubscription, LiveTopic, name_key
from cmqinfra.model import Stack


def has_loader() -> bool:
    import importlib.util

    return importlib.util.find_spec("cmqinfra.manifest") is not None


def has_adapter() -> bool:
    import importlib.util

    return importlib.util.find_spec("cmqinfra.run.targets") is not None


def load(paths: list[Path]) -> Stack:
    from cmqinfra.manifest import load_stack

    result = load_stack(paths)
    errors = [d.render() for d in result.diagnostics if d.severity.value == "error"]
    if errors or result.stack is None:
        raise SystemExit("the generated manifest is invalid:\n" + "\n".join(errors[:20]))
    return result.stack


def live_state_equal_to(stack: Stack) -> LiveState:
    """What the API would report after ``apply`` of ``stack``: the input for an offline plan."""
    sources: dict[str, list[str]] = {}
    for queue in stack.queues:
        if queue.dead_letter is not None:
            sources.setdefault(name_key(queue.dead_letter.queue), []).append(queue.name)
    queues = {
        name_key(q.name): LiveQueue(
            q,
            f"cmqq-{i:08d}",
            stack.name,
            q.protect,
            dead_letter_sources=tuple(sources.get(name_key(q.name), ())),
        )
        for i, q in enumerate(stack.queues)
    }
    topics = {
        name_key(t.name): LiveTopic(t, f"cmqt-{i:08d}", stack.name, t.protect)
        for i, t in enumerate(stack.topics)
    }
    subscriptions = {
        (name_key(s.topic), s.name): LiveSubscription(s, f"subsc-{i:08d}")
        for i, s in enumerate(stack.subscriptions)
    }
    return LiveState(queues=queues, topics=topics, subscriptions=subscriptions)


def open_api(endpoint: str, parallelism: int, rate_scale: float) -> Any:
    """The adapter as ``--endpoint`` opens it; told the service's limits are scaled, as they are."""
    from cmqinfra.cloud.target import Target
    from cmqinfra.run.targets import open_target

    return open_target(
        Target.endpoint(endpoint), "ap-guangzhou", parallelism=parallelism, rate_scale=rate_scale
    )


def read(api: Any, stack: Stack) -> LiveState:
    return api.read(stack)


def load_and_read(api: Any, paths: list[Path]) -> tuple[Stack, LiveState, float]:
    """What ``cmqinfra plan PATH`` does: the PATH is a project of one unit, whose read of the owned
    resources starts from the manifest's ``stack:`` line while the manifest loads
    (cmqinfra/run/early_reads.py, on ``api``). Also returns the CPU seconds of the load itself (its
    own thread's: the read's threads run meanwhile)."""
    import time

    from cmqinfra.manifest.peek import peek
    from cmqinfra.project.resolve import ResolvedUnit
    from cmqinfra.run.connections import Connections, target_of, unit_region
    from cmqinfra.run.early_reads import resolve_while_reading
    from cmqinfra.run.session import TargetOptions
    from cmqinfra.run.unit_paths import path_unit

    cpu = 0.0
    names = [str(p) for p in paths]
    unit = path_unit(names, peek(names).stack or "")
    options = TargetOptions(endpoint="http://127.0.0.1", region="ap-guangzhou")
    connections = Connections(options, Path("."), opener=lambda _unit, _target: api)

    def timed_load(_project: object, units: Any) -> list[ResolvedUnit]:
        nonlocal cpu
        started = time.thread_time()
        try:
            return [ResolvedUnit(units[0], load(paths), (), (), tuple(names), frozenset())]
        finally:
            cpu = time.thread_time() - started

    [resolved], early = resolve_while_reading(None, [unit], options, connections, timed_load)  # type: ignore[arg-type]
    stack = resolved.stack
    assert stack is not None
    region = unit_region(unit, stack.region, options).name
    started = early.take(unit, region, target_of(unit, options, region))
    live = started.pending.finish(stack) if started is not None else api.read(stack)
    return stack, live, cpu


def make_plan(stack: Stack, live: LiveState) -> Any:
    """The diff alone, offline (the local-work figure)."""
    from cmqinfra.plan.compute import make_plan

    return make_plan(stack, live, region="ap-guangzhou")


def plan(stack: Stack, live: LiveState, api: Any) -> Any:
    """What ``cmqinfra plan`` and ``apply`` run once the read is in: the session's ``compute``, with
    the untagged count the read started and any follow-up lookups it makes."""
    from cmqinfra.run.session import compute

    return compute(stack, api, "ap-guangzhou", live=live)


def render(plan: Any) -> str:
    from cmqinfra.render.text import render_text

    return render_text(plan, colour=False)


def execute(plan: Any, api: Any, parallelism: int) -> Any:
    from cmqinfra.run.executor import execute

    report = execute(plan, api, parallelism=parallelism)
    failures = [r for r in report.results if not r.ok]
    if failures or report.not_started:
        raise SystemExit(
            f"apply failed: {len(failures)} step(s) failed, {len(report.not_started)} not started; "
            f"first: {failures[0] if failures else report.not_started[0]}"
        )
    return report


def call_counts(api: Any) -> Mapping[str, int]:
    return api.call_counts()


def change_count(plan: Any) -> int:
    return sum(1 for change in plan.changes if change.is_change)


def targeted_plan(api: Any, stack: Stack, target: str) -> Any:
    """``cmqinfra plan --target TARGET``: the partial plan of one address and what it needs."""
    from cmqinfra.run.session import compute

    return compute(stack, api, "ap-guangzhou", targets=(target,))


def project_plan(
    root: Path, endpoint: str, parallelism: int, rate_scale: float
) -> tuple[list[Any], Any, float]:
    """``cmqinfra plan`` in project mode (every stack of the project at ``root``, each unit's read
    started from its stack name while the project resolves, units read concurrently on one shared
    rate budget): the unit plans, the connections (their call counts) and the CPU seconds of
    loading and resolving the stacks (the main thread's: the reads run meanwhile)."""
    import time

    from cmqinfra.project import load_project
    from cmqinfra.run.connections import Connections
    from cmqinfra.run.early_reads import resolve_while_reading
    from cmqinfra.run.runner import plan_project
    from cmqinfra.run.session import TargetOptions

    started = time.thread_time()
    project = load_project(root)
    if not project.ok:
        raise SystemExit(
            "the generated project is invalid:\n" + "\n".join(d.render() for d in project.diagnostics)
        )
    options = TargetOptions(endpoint=endpoint, parallelism=parallelism)
    connections = Connections(options, root, rate_scale=rate_scale)
    try:
        resolved, early = resolve_while_reading(project, project.units(), options, connections)
        load_cpu = time.thread_time() - started
        items, _ = plan_project(resolved, options, connections, early=early)
        counts = connections.call_counts()  # of the open APIs: closing forgets them
    finally:
        connections.close()
    return items, counts, load_cpu
