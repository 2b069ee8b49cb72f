"""The executor: runs a Plan's steps in dependency order, independent ones concurrently.

On the first error (or a stop request from SIGINT/SIGTERM) nothing new starts; calls already
in flight finish; the report says what was done and what was not. Every step is idempotent
enough that running the plan again converges.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, fields, replace

from cmqinfra.cloud.api import CmqApi, ownership_tags
from cmqinfra.cloud.errors import CloudError
from cmqinfra.model import PROTECT_TAG, STACK_TAG, Queue, Resource, Subscription, Topic, tags_of
from cmqinfra.plan.order import Phase, Step, dependencies, steps_of
from cmqinfra.plan.values import Action, Plan
from cmqinfra.run.parallelism import DEFAULT_PARALLELISM

Key = tuple[str, Phase]
Unlock = tuple[int, int, int]  # sorts most urgent first (see _unlock_value)
Urgency = tuple[int, int, int, int]  # sorts most urgent first (see _urgency)


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
            Action.IMPORT: "imported",
            Action.MOVE: "moved in",
            Action.RELEASE: "released",
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


class DataLossRefused(Exception):
    """A queue about to be deleted holds messages now, and the plan did not approve losing them."""


def check_messages_now(queue: Queue, api: CmqApi, approved: frozenset[str]) -> None:
    """Counts read again immediately before the delete: messages that arrived after the plan
    was made (or while the approval prompt waited) are never deleted unapproved."""
    if queue.address in approved:
        return
    counts = api.queue_messages(queue.name)
    if counts is not None and counts.total:
        raise DataLossRefused(
            f"{queue.address} holds {counts.total} message(s) now (active {counts.active}, in flight "
            f"{counts.inactive}, delayed {counts.delayed}) and this plan did not approve losing them: "
            "not deleted, and nothing else was started (plan again to see them; approve with "
            "--allow-data-loss)"
        )


def run_step(step: Step, api: CmqApi, stack: str, approved: frozenset[str] = frozenset()) -> None:
    """One step. ``approved``: the queues whose message loss the plan approved."""
    change = step.change
    before, after = change.before, change.after
    if step.phase == "delete":
        assert before is not None
        if isinstance(before, Queue):
            check_messages_now(before, api, approved)
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
    if change.action is Action.RELEASE:
        assert isinstance(before, (Queue, Topic))
        # Only cmqinfra's own tags go; the resource, its messages and user tags stay.
        kind = "queue" if isinstance(before, Queue) else "topic"
        api.modify_tags(kind, before.name, (), (STACK_TAG, PROTECT_TAG))
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
        if change.action in (Action.ADOPT, Action.IMPORT):
            owner = None
        elif change.action is Action.MOVE:
            owner = change.moved_from
        else:
            owner = stack
        replace_tags, delete = _tag_delta(before, owner, after, stack)
        kind = "queue" if isinstance(after, Queue) else "topic"
        # Take ownership first, in one call: if the attribute update then fails, the next run
        # sees an owned resource and converges it as an update. A move is exactly this retag:
        # the resource is never deleted or re-created.
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
    # One ready line per resource kind. Each kind's calls have their own per-action rate budget,
    # so the next free slot goes to the kind with the fewest steps in progress: a kind already at
    # its limit does not fill every slot with calls that only wait for it.
    urgency = _urgency(by_key, deps, dependents)
    ready: dict[str, list[tuple[Urgency, tuple[str, Phase]]]] = {}
    active: dict[str, int] = {}

    def make_ready(key: tuple[str, Phase]) -> None:
        heapq.heappush(ready.setdefault(by_key[key].change.type, []), (urgency[key], key))

    for step in steps:
        if not waiting[step.key]:
            make_ready(step.key)
    started: set[tuple[str, Phase]] = set()
    results: list[StepResult] = []
    stop = stop if stop is not None else threading.Event()
    failed = False
    approved = frozenset(plan.approved_data_loss)

    def timed(step: Step) -> StepResult:
        started_at = time.monotonic()
        code = None
        if on_start is not None:
            on_start(step)
        try:
            run_step(step, api, plan.stack.name, approved)
            error = None
        except CloudError as exc:
            error, code = exc.describe(), exc.code
        except DataLossRefused as exc:
            error, code = str(exc), "DataLossRefused"
        except Exception as exc:  # noqa: BLE001 - any failure of one step is reported, not raised
            error = f"{type(exc).__name__}: {exc}"
        return StepResult(
            step.change.address, step.phase, step.change.action, time.monotonic() - started_at, error, code
        )

    def next_ready() -> tuple[str, Phase] | None:
        kinds = [kind for kind, line in ready.items() if line]
        if not kinds:
            return None
        kind = min(kinds, key=lambda k: active.get(k, 0))
        return heapq.heappop(ready[kind])[1]

    slots = max(1, parallelism)
    in_flight: dict[Future[StepResult], tuple[str, Phase]] = {}
    with ThreadPoolExecutor(max_workers=slots, thread_name_prefix="apply") as pool:
        while True:
            while not failed and not stop.is_set() and len(in_flight) < slots:
                key = next_ready()
                if key is None:
                    break
                started.add(key)
                kind = by_key[key].change.type
                active[kind] = active.get(kind, 0) + 1
                in_flight[pool.submit(timed, by_key[key])] = key
            if not in_flight:
                break
            finished, _ = wait(in_flight, timeout=0.2, return_when=FIRST_COMPLETED)
            for fut in finished:
                key = in_flight.pop(fut)
                active[by_key[key].change.type] -= 1
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


def _urgency(
    by_key: dict[Key, Step], deps: dict[Key, set[Key]], dependents: dict[Key, list[Key]]
) -> dict[Key, Urgency]:
    """A sort key per step, most urgent first, within its kind's ready line.

    First, for a kind whose steps are paired with another kind's by the steps that need one of
    each (a subscription needs its queue and its topic), the order of the pairing's longest line:
    the shorter line follows it (see :func:`_follow_the_longest_line`). Then the work the step
    unlocks for the other kinds (see :func:`_unlock_value`)."""
    kind = {key: step.change.type for key, step in by_key.items()}
    unlock = _unlock_value(kind, dependents)
    follow = _follow_the_longest_line(kind, deps, dependents, unlock)
    return {key: (follow.get(key, 0), *unlock[key]) for key in by_key}


def _follow_the_longest_line(
    kind_of: dict[Key, str],
    deps: dict[Key, set[Key]],
    dependents: dict[Key, list[Key]],
    unlock: dict[Key, Unlock],
) -> dict[Key, int]:
    """For the steps of a shorter line, the place in the longest line of the partner it waits for.

    A subscription can go only once its queue and its topic both exist, and each kind's creates
    wait on their own rate budget. The longest of the partner lines (queues, usually) takes the
    longest whatever the order, so it keeps its own; a step of a shorter line (a topic) is worth
    the earliest place in that line of a partner it completes a pair with. So the topics come in
    the order the queues do, every queue created finds its subscriptions' topics there already, and
    the subscription budget is busy from the first second instead of waiting for the topics whose
    queues came first. A step that completes a dependent on its own (a subscription to an HTTP
    endpoint) goes first; a step that pairs with no step of the longest line goes after those that
    do, in its usual order. Returns nothing when no dependent needs two other kinds."""
    lines: dict[str, list[Key]] = {}
    for key, kind in kind_of.items():
        lines.setdefault(kind, []).append(key)
    paired: set[str] = set()
    for key, needs in deps.items():
        if len(needs) < 2:
            continue
        kinds = {kind_of[n] for n in needs} - {kind_of[key]}
        if len(kinds) > 1:
            paired |= kinds
    if not paired:
        return {}
    leader = min(paired, key=lambda kind: (-len(lines[kind]), kind))
    place = _line_order(lines[leader], deps, unlock)
    last = len(place)
    follow: dict[Key, int] = {}
    for kind in paired - {leader}:
        for key in lines[kind]:
            need = last
            for dependent in dependents.get(key, ()):
                partners = [place[n] for n in deps[dependent] if n in place]
                need = min(need, max(partners, default=-1))
            follow[key] = need
    return follow


def _line_order(line: list[Key], deps: dict[Key, set[Key]], unlock: dict[Key, Unlock]) -> dict[Key, int]:
    """The place of each step in the order its kind's ready line hands them out, one at a time:
    most urgent first among those whose dependencies of the same kind came before."""
    members = set(line)
    waiting = {key: {n for n in deps[key] if n in members} for key in line}
    after: dict[Key, list[Key]] = {}
    for key, needs in waiting.items():
        for need in needs:
            after.setdefault(need, []).append(key)
    ready = [(unlock[key], key) for key in line if not waiting[key]]
    heapq.heapify(ready)
    place: dict[Key, int] = {}
    while ready:
        _, key = heapq.heappop(ready)
        place[key] = len(place)
        for dependent in after.get(key, ()):
            waiting[dependent].discard(key)
            if not waiting[dependent]:
                heapq.heappush(ready, (unlock[dependent], dependent))
    for key in line:  # a cycle cannot come from a valid plan; keep such steps last
        place.setdefault(key, len(place))
    return place


def _unlock_value(kind_of: dict[Key, str], dependents: dict[Key, list[Key]]) -> dict[Key, Unlock]:
    """The work a step unlocks for the other kinds, as a sort key (most first).

    Creates of one kind wait on one rate budget, so a step is worth what it makes ready for
    another kind's budget: a queue that two subscriptions wait for beats a queue one waits for,
    and a dead-letter queue is worth its best source queue less the slot that source takes in
    the same budget. Among equals, the longer chain of work below it goes first, then plan order.
    So a dead-letter queue goes right before the queue that uses it, and the subscription budget
    never waits for a run of dead-letter queues that unlock nothing it can send."""
    value: dict[tuple[str, Phase], int] = {}
    depth: dict[tuple[str, Phase], int] = {}

    def visit(key: tuple[str, Phase]) -> None:
        stack = [(key, False)]
        while stack:
            node, expanded = stack.pop()
            if node in value:
                continue
            below = dependents.get(node, ())
            if not expanded:
                stack.append((node, True))
                stack.extend((d, False) for d in below if d not in value)
                continue
            kind = kind_of[node]
            other = sum(1 for d in below if kind_of[d] != kind)
            same = [value.get(d, 0) - 1 for d in below if kind_of[d] == kind]
            value[node] = other + max([0, *same])
            depth[node] = 1 + max([0, *(depth.get(d, 0) for d in below)])

    for key in kind_of:
        visit(key)
    return {key: (-value[key], -depth[key], i) for i, key in enumerate(kind_of)}
