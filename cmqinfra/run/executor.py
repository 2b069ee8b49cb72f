"""The executor: runs a Plan's steps in dependency order, independent ones concurrently.

On the first error (or a stop request from SIGINT/SIGTERM) nothing new starts; calls already
in flight finish; the report says what was done and what was not. Every step is idempotent
enough that running the plan again converges.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, fields, replace

from cmqinfra.cloud.api import CmqApi, ownership_tags
from cmqinfra.cloud.errors import CloudError
from cmqinfra.model import PROTECT_TAG, STACK_TAG, Queue, Resource, Subscription, Topic, tags_of
from cmqinfra.plan.order import Phase, Step, dependencies, steps_of
from cmqinfra.plan.values import Action, Plan

DEFAULT_PARALLELISM = 10


@dataclass(frozen=True)
class StepResult:
    address: str
    phase: Phase
    action: Action
    seconds: float
    error: str | None = None
    code: str | None = None  # the API error code of a failed step, when the API refused it

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def verb(self) -> str:
        if self.phase == "delete":
            return "deleted"
        return {
            Action.CREATE: "created",
            Action.REPLACE: "re-created",
            Action.UPDATE: "updated",
            Action.ADOPT: "adopted",
        }.get(self.action, "done")


@dataclass(frozen=True)
class ApplyReport:
    results: tuple[StepResult, ...]
    not_started: tuple[str, ...]  # "address (phase)"
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return not self.interrupted and not self.not_started and all(r.ok for r in self.results)

    @property
    def failed(self) -> tuple[StepResult, ...]:
        return tuple(r for r in self.results if not r.ok)

    @property
    def done(self) -> tuple[StepResult, ...]:
        return tuple(r for r in self.results if r.ok)


def _merge_unmanaged(after: Resource, before: Resource) -> Resource:
    """``after`` with the attributes it leaves unmanaged (None) taken from ``before``, so that
    a modify call never touches what the manifest does not manage."""
    updates = {}
    for f in fields(after):
        if f.name in ("dead_letter", "transaction") or not f.compare:
            continue
        if getattr(after, f.name) is None and getattr(before, f.name) is not None:
            updates[f.name] = getattr(before, f.name)
    return replace(after, **updates) if updates else after


def _tag_delta(before: Queue | Topic, owner: str | None, after: Queue | Topic, stack: str):  # type: ignore[no-untyped-def]
    live = dict(before.tags)
    if owner is not None:
        live[STACK_TAG] = owner
    if before.protect:
        live[PROTECT_TAG] = "true"
    wanted = dict(ownership_tags(after, stack))
    replace_tags = tags_of({k: v for k, v in wanted.items() if live.get(k) != v})
    delete = tuple(sorted(k for k in live if k not in wanted))
    return replace_tags, delete


def _has_attribute_change(step: Step) -> bool:
    return any(not (a.path == "protect" or a.path.startswith("tags")) for a in step.change.attribute_changes)


def run_step(step: Step, api: CmqApi, stack: str) -> None:
    change = step.change
    before, after = change.before, change.after
    if step.phase == "delete":
        assert before is not None
        try:
            if isinstance(before, Queue):
                api.delete_queue(before.name)
            elif isinstance(before, Topic):
                api.delete_topic(before.name)
            elif isinstance(before, Subscription):
                api.delete_subscription(before.topic, before.name)
        except CloudError as exc:
            # already gone (a previous interrupted run, or another client): converged
            if not exc.code.startswith("ResourceNotFound"):
                raise
        return
    assert after is not None
    if change.action in (Action.CREATE, Action.REPLACE):
        if isinstance(after, Queue):
            api.create_queue(after, ownership_tags(after, stack))
        elif isinstance(after, Topic):
            api.create_topic(after, ownership_tags(after, stack))
        elif isinstance(after, Subscription):
            api.create_subscription(after)
        return
    assert before is not None
    if isinstance(after, (Queue, Topic)):
        assert isinstance(before, (Queue, Topic))
        owner = None if change.action is Action.ADOPT else stack
        replace_tags, delete = _tag_delta(before, owner, after, stack)
        kind = "queue" if isinstance(after, Queue) else "topic"
        # Take ownership first: if the attribute update then fails, the next run sees an
        # owned resource and converges it as an update.
        if replace_tags or delete:
            api.modify_tags(kind, after.name, replace_tags, delete)
        if _has_attribute_change(step):
            merged = _merge_unmanaged(after, before)
            if isinstance(after, Queue):
                api.modify_queue(before, merged)  # type: ignore[arg-type]
            else:
                api.modify_topic(before, merged)  # type: ignore[arg-type]
        return
    if isinstance(after, Subscription):
        api.modify_subscription(before, _merge_unmanaged(after, before))  # type: ignore[arg-type]


def execute(
    plan: Plan,
    api: CmqApi,
    *,
    parallelism: int = DEFAULT_PARALLELISM,
    on_result: Callable[[StepResult], None] | None = None,
    stop: threading.Event | None = None,
    on_start: Callable[[Step], None] | None = None,
) -> ApplyReport:
    """Run every step of ``plan``; never starts a step before its dependencies succeeded."""
    steps = steps_of(plan.changes)
    deps = dependencies(steps)
    by_key = {s.key: s for s in steps}
    order = {s.key: i for i, s in enumerate(steps)}
    # Dependency counting instead of rescanning every pending step after each completion:
    # scheduling stays linear at tens of thousands of steps.
    waiting = {s.key: set(deps[s.key]) for s in steps}
    dependents: dict[tuple[str, Phase], list[tuple[str, Phase]]] = {}
    for key, needs in waiting.items():
        for need in needs:
            dependents.setdefault(need, []).append(key)
    # One ready line per resource kind, launched round-robin: each kind's creates use their own
    # per-action rate budget, so mixing them keeps every budget busy instead of filling all
    # slots with calls that wait on one action's limit.
    ready: dict[str, deque[tuple[str, Phase]]] = {}

    def make_ready(key: tuple[str, Phase]) -> None:
        ready.setdefault(by_key[key].change.type, deque()).append(key)

    for step in steps:
        if not waiting[step.key]:
            make_ready(step.key)
    started: set[tuple[str, Phase]] = set()
    results: list[StepResult] = []
    stop = stop if stop is not None else threading.Event()
    failed = False

    def timed(step: Step) -> StepResult:
        started_at = time.monotonic()
        code = None
        if on_start is not None:
            on_start(step)
        try:
            run_step(step, api, plan.stack.name)
            error = None
        except CloudError as exc:
            error, code = exc.describe(), exc.code
        except Exception as exc:  # noqa: BLE001 - any failure of one step is reported, not raised
            error = f"{type(exc).__name__}: {exc}"
        return StepResult(
            step.change.address, step.phase, step.change.action, time.monotonic() - started_at, error, code
        )

    def next_ready() -> tuple[str, Phase] | None:
        for kind in list(ready):
            line = ready.pop(kind)
            key = line.popleft()
            if line:
                ready[kind] = line  # to the back of the rotation
            return key
        return None

    slots = max(1, parallelism)
    in_flight: dict[Future[StepResult], tuple[str, Phase]] = {}
    with ThreadPoolExecutor(max_workers=slots, thread_name_prefix="apply") as pool:
        while True:
            while not failed and not stop.is_set() and len(in_flight) < slots:
                key = next_ready()
                if key is None:
                    break
                started.add(key)
                in_flight[pool.submit(timed, by_key[key])] = key
            if not in_flight:
                break
            finished, _ = wait(in_flight, timeout=0.2, return_when=FIRST_COMPLETED)
            for fut in finished:
                key = in_flight.pop(fut)
                result = fut.result()
                results.append(result)
                if result.ok:
                    for dependent in dependents.get(key, ()):
                        waiting[dependent].discard(key)
                        if not waiting[dependent]:
                            make_ready(dependent)
                else:
                    failed = True
                if on_result is not None:
                    on_result(result)
    pending = sorted((k for k in by_key if k not in started), key=order.__getitem__)
    not_started = tuple(f"{by_key[k].change.address} ({by_key[k].phase})" for k in pending)
    return ApplyReport(tuple(results), not_started, interrupted=stop.is_set())
