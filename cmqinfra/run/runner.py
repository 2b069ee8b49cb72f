"""Planning and applying many units at once.

The pure core stays per stack: each unit's plan is ``make_plan`` of its stack and live state.
This module composes: resolve every unit, read the live state of all of them concurrently
(each unit on its own TdmqApi, units of one endpoint and account sharing one rate budget), plan
them all together in ``plan_units``, and apply the plans concurrently. A unit that fails is
reported as failed; the others go on. One exit code sums the run up.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from cmqinfra.diagnostics import Diagnostic
from cmqinfra.gcpause import collector_paused
from cmqinfra.live import LiveState, name_key
from cmqinfra.model import Stack
from cmqinfra.plan.values import Action, Plan
from cmqinfra.project.resolve import ResolvedUnit
from cmqinfra.project.units import StackUnit
from cmqinfra.run.connections import Connections, ResolvedTarget, target_of, unit_region
from cmqinfra.run.session import Failure, TargetOptions

if TYPE_CHECKING:
    from cmqinfra.run.early_reads import EarlyReads

MAX_CONCURRENT_UNITS = 32


@dataclass(frozen=True)
class PlanInput:
    """What one unit's plan is computed from."""

    unit: StackUnit
    stack: Stack
    live: LiveState
    region: str | None
    region_source: str | None = None  # "environment", "manifest", "--region", ...
    approved_data_loss: frozenset[str] | None = None  # a saved plan's approvals
    targets: tuple[str, ...] = ()  # a partial plan (--target STACK[ENV]:ADDRESS) of these addresses


@dataclass(frozen=True)
class UnitPlan:
    """One unit's outcome of planning: a plan, or the error that kept it from having one."""

    unit: StackUnit
    region: str | None
    target: ResolvedTarget | None
    plan: Plan | None = None
    error: str | None = None  # a failure to load, connect or read
    diagnostics: tuple[Diagnostic, ...] = ()
    owned: int | None = None  # live queues and topics its stack (or its previous name) owns

    @property
    def ok(self) -> bool:
        return self.plan is not None and self.error is None and self.plan.ok

    @property
    def status(self) -> str:
        """``changes``, ``no changes``, ``refused`` (safety errors) or ``failed``."""
        if self.plan is None or self.error is not None:
            return "failed"
        if not self.plan.ok:
            return "refused"
        return "changes" if self.plan.has_changes else "no changes"


@dataclass(frozen=True)
class Claimant:
    """A stack of the project that is not planned in this run, but whose ``moved`` entries may
    take resources from one that is: the giving stack must not delete them."""

    environment: str | None
    region: str | None
    stack: Stack


@dataclass(frozen=True)
class Draft:
    """A unit's plan made as soon as its read was in, from the moves out the run expected (every
    unit read): it stands when the units actually read give it the same."""

    input: PlanInput
    moves_out: Mapping[str, str] | None
    plan: Plan


def plan_units(
    inputs: Sequence[PlanInput],
    *,
    allow_data_loss: bool = False,
    destroy: bool = False,
    claimants: Sequence[Claimant] = (),
    drafts: Mapping[str, Draft] | None = None,
    claimed: Mapping[str, Mapping[str, str]] | None = None,
) -> tuple[Plan, ...]:
    """Every unit's plan, computed together from their stacks and live states (pure).

    This is the one place a run sees all its units at once: information that spans stacks (a
    resource moving from one stack to another) is passed to ``make_plan`` here. ``drafts`` (by
    unit key): plans already made from the same input and the same moves out are kept."""
    moves_out = _moves_out(inputs, claimants)
    for index, i in enumerate(inputs):  # what a project around a PATH takes from its stack
        if (claimed or {}).get(i.unit.key):
            moves_out[index] = {**moves_out.get(index, {}), **claimed[i.unit.key]}  # type: ignore[index]
    plans = []
    for index, i in enumerate(inputs):
        draft = (drafts or {}).get(i.unit.key)
        if draft is not None and draft.input is i and draft.moves_out == moves_out.get(index):
            plans.append(draft.plan)
        else:
            plans.append(plan_unit(i, moves_out.get(index), allow_data_loss=allow_data_loss, destroy=destroy))
    return tuple(_show_moves_once(plans, inputs))


def plan_unit(
    i: PlanInput, moves_out: Mapping[str, str] | None, *, allow_data_loss: bool = False, destroy: bool = False
) -> Plan:
    """One unit's plan, given what other stacks take from it (see ``plan_units``)."""
    from cmqinfra.plan.compute import make_plan

    return make_plan(
        i.stack,
        i.live,
        region=i.region,
        allow_data_loss=allow_data_loss,
        destroy=destroy,
        approved_data_loss=i.approved_data_loss,
        region_source=i.region_source,
        moves_out=moves_out,
        targets=i.targets,
    )


def _moves_out(inputs: Sequence[PlanInput], claimants: Sequence[Claimant] = ()) -> dict[int, dict[str, str]]:
    """For each giving unit, the addresses other stacks of the same environment and region take
    with ``moved: fromStack``: the giving stack's plan shows them moving out, never deleted."""
    return _moves_between([Claimant(i.unit.environment, i.region, i.stack) for i in inputs], claimants)


def _moves_between(
    planned: Sequence[Claimant], claimants: Sequence[Claimant] = ()
) -> dict[int, dict[str, str]]:
    """``_moves_out`` of the planned stacks (by their index), other claimants taking too."""
    by_stack = {(p.environment, p.region, p.stack.name): index for index, p in enumerate(planned)}
    takers = [*planned, *claimants]
    out: dict[int, dict[str, str]] = {}
    for taker in takers:
        for move in taker.stack.moved:
            giver = by_stack.get((taker.environment, taker.region, move.from_stack))
            if move.from_stack is not None and giver is not None:
                out.setdefault(giver, {})[move.address] = taker.stack.name
    return out


def _show_moves_once(plans: list[Plan], inputs: Sequence[PlanInput]) -> list[Plan]:
    """A move both sides of which are in this run is shown once, where it happens: in the
    receiving stack (the giving stack calls nothing for it)."""
    taken = {
        (i.unit.environment, i.region, c.moved_from, c.address.casefold())
        for i, plan in zip(inputs, plans, strict=True)
        for c in plan.changes
        if c.action is Action.MOVE
    }
    out = []
    for i, plan in zip(inputs, plans, strict=True):
        kept = tuple(
            c
            for c in plan.changes
            if not (
                c.action is Action.MOVE_OUT
                and (i.unit.environment, i.region, i.stack.name, c.address.casefold()) in taken
            )
        )
        out.append(plan if len(kept) == len(plan.changes) else replace(plan, changes=kept))
    return out


def _owned(item: PlanInput) -> int:
    names = {item.stack.name, item.stack.renamed_from} - {None}
    return (sum(1 for q in item.live.queues.values() if q.owner in names)
            + sum(1 for t in item.live.topics.values() if t.owner in names))


def _doomed(plan: Plan, live: LiveState) -> tuple[str, ...]:
    return tuple(
        c.name for c in plan.changes
        if c.type == "queue" and c.action is Action.DELETE and name_key(c.name) not in live.endpoint_users
    )


def concurrently(work: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
    if not items:
        return []
    with ThreadPoolExecutor(max_workers=min(MAX_CONCURRENT_UNITS, len(items)),
                            thread_name_prefix="cmqinfra-unit") as pool:
        return list(pool.map(work, items))


def _error_text(exc: BaseException) -> str:
    from cmqinfra.cloud.errors import CloudError

    if isinstance(exc, CloudError):
        return exc.describe()
    return str(exc) or type(exc).__name__


def plan_project(
    resolved: Sequence[ResolvedUnit],
    options: TargetOptions,
    connections: Connections,
    *,
    allow_data_loss: bool = False,
    destroy: bool = False,
    desired: Sequence[Stack | None] | None = None,
    targets: Sequence[ResolvedTarget] | None = None,
    approved: Sequence[frozenset[str] | None] | None = None,
    bystanders: Sequence[ResolvedUnit] = (),
    early: EarlyReads | None = None,
    unit_targets: Mapping[str, tuple[str, ...]] | None = None,
    claims: Mapping[str, Callable[[], Mapping[str, str]]] | None = None,
) -> tuple[list[UnitPlan], dict[str, Any]]:
    """Plan every resolved unit. ``desired`` and ``targets``: the stacks and targets of a saved
    project plan, instead of the resolved ones and the CLI's; ``approved``: its data-loss
    approvals. Returns the unit plans (in the given order) and each ok unit's API by key.
    ``bystanders``: the project's other units, not planned, read only for the moves they declare.
    ``early``: the reads started while the project resolved (cmqinfra/run/early_reads.py), taken
    over by their units; those not taken are cancelled. ``unit_targets`` (by unit key): partial
    plans of those addresses and what they need, read by name, as a single stack's ``--target``."""
    from cmqinfra.cloud.errors import CloudError, CredentialsError
    from cmqinfra.run.session import read_live

    claimants = []
    for b in bystanders:
        if b.stack is None or not b.stack.moved:
            continue
        try:
            region = unit_region(b.unit, b.stack.region, options).name
            claimants.append(Claimant(b.unit.environment, region, b.stack))
        except Failure:
            continue  # a stack whose region cannot be resolved claims nothing here

    apis: dict[str, Any] = {}
    drafts: dict[str, Draft] = {}
    lock = threading.Lock()
    expected = _expected_moves_out(resolved, desired, options, claimants)

    def read(index: int) -> UnitPlan | PlanInput:
        item = resolved[index]
        stack = desired[index] if desired is not None else item.stack
        try:
            resolved_region = unit_region(item.unit, stack.region if stack else None, options)
        except Failure as exc:
            return UnitPlan(item.unit, item.unit.region, None, error=str(exc))
        region = resolved_region.name
        source = "saved plan" if targets is not None else resolved_region.source
        if stack is None:
            return UnitPlan(item.unit, region, None, error="the manifests have errors",
                            diagnostics=item.diagnostics)
        try:
            target = targets[index] if targets is not None else target_of(item.unit, options, region)
            started = early.take(item.unit, region, target) if early is not None else None
            api = started.api if started is not None else connections.open(item.unit, target)
            with lock:
                apis[item.unit.key] = api
            partial = (unit_targets or {}).get(item.unit.key, ())
            if started is not None:
                live = started.pending.finish(stack)
            elif partial:  # what the targets need, by name: no listing, no untagged count
                live = read_live(stack, api, partial)
            else:  # the account's untagged count is asked once per target, not once per stack
                live = api.read(stack, connections.untagged_count(item.unit, target, api))
            planned = PlanInput(item.unit, stack, live, region, source,
                                approved[index] if approved is not None else None, partial)
        except (Failure, CloudError, CredentialsError) as exc:
            return UnitPlan(item.unit, region, None, error=_error_text(exc))
        # Planned now, while the other units' reads are still out: at the end only what changed.
        moves_out = expected.get(item.unit.key)
        draft = Draft(planned, moves_out, plan_unit(planned, moves_out, allow_data_loss=allow_data_loss,
                                                    destroy=destroy))
        with lock:
            drafts[item.unit.key] = draft
        return planned

    try:
        # The reads allocate pages and plans, acyclic: the collector would walk them again and
        # again while the calls wait their turn. Paused here for every unit's thread at once.
        with collector_paused():
            outcomes = concurrently(read, range(len(resolved)))
    finally:
        if early is not None:
            early.cancel()  # the reads of units that did not load
    inputs = [o for o in outcomes if isinstance(o, PlanInput)]
    computed = plan_units(inputs, allow_data_loss=allow_data_loss, destroy=destroy,
                          claimants=claimants, drafts=drafts)
    plans = dict(zip((i.unit.key for i in inputs), computed, strict=True))
    claimed = _claimed(inputs, plans, claims or {})
    if claimed:  # planned again: those resources move out instead of being deleted
        computed = plan_units(inputs, allow_data_loss=allow_data_loss, destroy=destroy,
                              claimants=claimants, drafts=drafts, claimed=claimed)
        plans = dict(zip((i.unit.key for i in inputs), computed, strict=True))

    # The users of a queue are only looked up for the queues a plan would delete.
    def follow_up(item: PlanInput) -> tuple[PlanInput, bool, str | None]:
        doomed = _doomed(plans[item.unit.key], item.live)
        if not doomed:
            return item, False, None
        try:
            users = apis[item.unit.key].endpoint_users(doomed)
        except CloudError as exc:
            return item, False, _error_text(exc)
        live = replace(item.live, endpoint_users={**item.live.endpoint_users, **users})
        return replace(item, live=live), True, None

    followed = concurrently(follow_up, inputs)
    if any(changed for _, changed, _ in followed):
        # All units again, not only those with new facts: a move spans two units' plans.
        again = [item for item, _, _ in followed]
        computed = plan_units(again, allow_data_loss=allow_data_loss, destroy=destroy,
                              claimants=claimants, claimed=claimed)
        plans.update(zip((i.unit.key for i in again), computed, strict=True))
    errors = {item.unit.key: error for item, _, error in followed if error is not None}
    results = []
    for index, outcome in enumerate(outcomes):
        if isinstance(outcome, UnitPlan):
            results.append(outcome)
            continue
        key = outcome.unit.key
        target = targets[index] if targets is not None else target_of(outcome.unit, options, outcome.region)
        if key in errors:
            results.append(UnitPlan(outcome.unit, outcome.region, target, error=errors[key]))
        else:
            results.append(UnitPlan(outcome.unit, outcome.region, target, plan=plans[key],
                                    owned=None if outcome.targets else _owned(outcome)))
    return results, apis


def _claimed(inputs: Sequence[PlanInput], plans: Mapping[str, Plan],
             claims: Mapping[str, Callable[[], Mapping[str, str]]]) -> dict[str, dict[str, str]]:
    """By unit key: the queues and topics its plan would delete that ``claims`` (looked up only
    then) says another stack takes with ``moved``."""
    out = {}
    for i in inputs:
        find = claims.get(i.unit.key)
        plan = plans[i.unit.key]
        deleted = {c.address.casefold() for c in plan.changes
                   if c.action is Action.DELETE and c.type != "subscription"}
        if find is None or not deleted:
            continue
        taken = {a: s for a, s in find().items() if a.casefold() in deleted}
        if taken:
            out[i.unit.key] = taken
    return out


def _expected_moves_out(
    resolved: Sequence[ResolvedUnit],
    desired: Sequence[Stack | None] | None,
    options: TargetOptions,
    claimants: Sequence[Claimant],
) -> dict[str, dict[str, str]]:
    """The moves out of each unit (by key) if every unit with a stack and a region is read."""
    planned: list[Claimant] = []
    keys: list[str] = []
    for index, item in enumerate(resolved):
        stack = desired[index] if desired is not None else item.stack
        if stack is None:
            continue
        try:
            region = unit_region(item.unit, stack.region, options).name
        except Failure:
            continue
        planned.append(Claimant(item.unit.environment, region, stack))
        keys.append(item.unit.key)
    return {keys[index]: moves for index, moves in _moves_between(planned, claimants).items()}
