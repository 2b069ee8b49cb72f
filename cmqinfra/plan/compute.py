"""Desired + live -> Plan. Pure: no I/O, the same inputs always give the same plan."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, NamedTuple

from cmqinfra.diagnostics import Diagnostic, Severity
from cmqinfra.gcpause import collector_paused
from cmqinfra.live import LiveState, name_key
from cmqinfra.model import Import, Moved, Protocol, Queue, Resource, Stack, Subscription, Topic, assembled
from cmqinfra.plan.diff import attribute_changes
from cmqinfra.plan.order import execution_order
from cmqinfra.plan.safety import SafetyOptions, check_safety, data_losses
from cmqinfra.plan.values import Action, AttributeChange, Plan, ResourceChange, ResourceType, resource_type

if TYPE_CHECKING:
    from cmqinfra.plan.targets import Closure

# Members as module constants: an Enum member looked up on its class costs twenty times a
# global's, and these are looked up several times per resource.
_ADOPT = Action.ADOPT
_CREATE = Action.CREATE
_DELETE = Action.DELETE
_IMPORT = Action.IMPORT
_MOVE = Action.MOVE
_MOVE_OUT = Action.MOVE_OUT
_NO_OP = Action.NO_OP
_RELEASE = Action.RELEASE
_REPLACE = Action.REPLACE
_UPDATE = Action.UPDATE
_QUEUE_PROTOCOL = Protocol.QUEUE


class _Owned(NamedTuple):
    """A live queue or topic with its ownership facts, independent of its kind (a tuple: one is
    made per declared resource that exists, and a tuple is made at a third of a dataclass's cost)."""

    resource: Queue | Topic
    owner: str | None
    resource_id: str


@dataclass(frozen=True)
class Refactoring:
    """The stack's refactoring declarations, keyed by casefolded address."""

    previous_name: str | None = None
    moves_in: dict[str, str] = field(default_factory=dict)  # address -> the stack giving it
    moves_out: dict[str, str] = field(default_factory=dict)  # address -> the stack taking it
    removed: frozenset[str] = frozenset()
    imports: dict[str, Import] = field(default_factory=dict)

    @classmethod
    def of(cls, stack: Stack) -> Refactoring:
        return cls(
            previous_name=stack.renamed_from,
            moves_in={m.address.casefold(): m.from_stack for m in stack.moved if m.from_stack},
            moves_out={m.address.casefold(): m.to_stack for m in stack.moved if m.to_stack},
            removed=frozenset(r.address.casefold() for r in stack.removed),
            imports={i.address.casefold(): i for i in stack.imports},
        )

    def owns(self, stack: str, owner: str | None) -> bool:
        """Whether a live owner tag means "this stack" (its name, or the name it had)."""
        return owner is not None and (owner == stack or owner == self.previous_name)


_TYPES: dict[type, ResourceType] = {Queue: "queue", Topic: "topic", Subscription: "subscription"}


def _change(
    action: Action,
    before: Resource | None,
    after: Resource | None,
    attrs: tuple[AttributeChange, ...] = (),
    reasons: tuple[str, ...] = (),
    **refactoring: str | None,
) -> ResourceChange:
    subject = after if after is not None else before
    assert subject is not None
    kind = _TYPES.get(type(subject)) or resource_type(subject)
    # One change per resource of the stack: assembled, not made by the frozen ``__init__``.
    values = {
        "address": subject.address,
        "type": kind,
        "name": subject.name,
        "action": action,
        "before": before,
        "after": after,
        "attribute_changes": attrs,
        "reasons": reasons,
        "moved_from": None,
        "moved_to": None,
        "import_id": None,
        "deleted_outside": False,
    }
    if refactoring:
        unknown = refactoring.keys() - _REFACTORING
        if unknown:
            raise TypeError(f"not a refactoring field of a change: {sorted(unknown)}")
        values.update(refactoring)
    return assembled(ResourceChange, values)


_REFACTORING = frozenset({"moved_from", "moved_to", "import_id"})


def _not_in_place(desired: Queue | Topic, replace: tuple[AttributeChange, ...], why: str) -> Diagnostic:
    # Nothing we do not own is ever deleted: a resource taken over (adopted, imported or moved
    # in) that would need a replacement is refused.
    return Diagnostic(
        f"{desired.address} {why} and differs in {', '.join(a.path for a in replace)}, which cannot "
        f"change in place; it will not be deleted to take it over",
        desired.source,
        hint="align the manifest with the existing resource, or delete it yourself",
    )


def _plan_owned(
    stack: str,
    desired: Queue | Topic,
    live: _Owned | None,
    errors: list[Diagnostic],
    refactoring: Refactoring,
) -> ResourceChange:
    """Create, adopt, import, move in, update, replace or no-op for a declared queue or topic."""
    imports, moves_in = refactoring.imports, refactoring.moves_in
    # The address key only for the lookups it serves: most stacks declare no import or move.
    key = desired.address.casefold() if imports or moves_in else ""
    declared_import = imports.get(key) if imports else None
    if live is None:
        if declared_import is not None:
            errors.append(Diagnostic(
                f"import {desired.address}: there is nothing to import, it does not exist",
                declared_import.source,
                hint="remove the import entry to create it instead",
            ))
        return _change(_CREATE, None, desired)
    if declared_import is not None and declared_import.id and declared_import.id != live.resource_id:
        errors.append(Diagnostic(
            f"import {desired.address}: the live resource has id {live.resource_id!r}, "
            f"not {declared_import.id!r}",
            declared_import.source,
            hint="check that the import names the resource you mean",
        ))
    attrs = attribute_changes(desired, live.resource)
    replace = tuple(a for a in attrs if a.forces_replacement) if attrs else ()
    if live.owner is None:
        if replace:
            errors.append(_not_in_place(desired, replace, "exists without the cmqinfra-stack tag"))
        if declared_import is not None:
            return _change(
                _IMPORT, live.resource, desired, attrs, ("an import entry declares it",),
                import_id=live.resource_id,
            )
        return _change(_ADOPT, live.resource, desired, attrs, ("it exists without an owner tag",))
    giver = moves_in.get(key) if moves_in else None
    if live.owner != stack and (live.owner == giver or live.owner == refactoring.previous_name):
        if replace:
            errors.append(_not_in_place(desired, replace, f"moves in from stack {live.owner!r}"))
        why = ("the stack was renamed",) if live.owner == refactoring.previous_name else ()
        return _change(_MOVE, live.resource, desired, attrs, why, moved_from=live.owner)
    if giver is not None and live.owner != stack:
        errors.append(Diagnostic(
            f"{desired.address} is owned by stack {live.owner!r}, not {giver!r} as its moved entry says; "
            "it will not be touched",
            desired.source,
            hint=f"name fromStack: {live.owner}, or ask that stack to give it up",
        ))
        return _change(_NO_OP, live.resource, desired)
    if live.owner != stack:
        errors.append(
            Diagnostic(
                f"{desired.address} is owned by stack {live.owner!r}, not {stack!r}; it will not be touched",
                desired.source,
                hint="rename the resource, or remove it from the other stack first",
            )
        )
        return _change(_NO_OP, live.resource, desired)
    if replace:
        reasons = tuple(f"{a.path} cannot be changed in place" for a in replace)
        return _change(_REPLACE, live.resource, desired, attrs, reasons)
    if attrs:
        return _change(_UPDATE, live.resource, desired, attrs)
    return _change(_NO_OP, live.resource, desired)


def _check_references(stack: Stack, live: LiveState, errors: list[Diagnostic]) -> None:
    """A dead letter or queue endpoint that exists neither in the manifest nor live."""
    declared_queues = {name_key(q.name) for q in stack.queues}
    declared_topics = {name_key(t.name) for t in stack.topics}

    def queue_known(name: str) -> bool:
        return name_key(name) in declared_queues or name_key(name) in live.queues

    for q in stack.queues:
        if q.dead_letter is not None and not queue_known(q.dead_letter.queue):
            errors.append(
                Diagnostic(
                    f"{q.address}: dead letter queue {q.dead_letter.queue!r} "
                    "is neither in the manifest nor live",
                    q.source,
                )
            )
    for s in stack.subscriptions:
        if s.protocol is _QUEUE_PROTOCOL and not queue_known(s.endpoint):
            errors.append(
                Diagnostic(
                    f"{s.address}: endpoint queue {s.endpoint!r} is neither in the manifest nor live",
                    s.source,
                )
            )
        if name_key(s.topic) not in declared_topics and name_key(s.topic) not in live.topics:
            errors.append(
                Diagnostic(f"{s.address}: topic {s.topic!r} is neither in the manifest nor live", s.source)
            )


def _undeclared(
    resource: Queue | Topic,
    owner: str | None,
    protected: bool,
    stack: str,
    refactoring: Refactoring,
    gone: str,
) -> ResourceChange | None:
    """What happens to a live queue or topic the manifest does not declare."""
    key = resource.address.casefold()
    if key in refactoring.removed and (refactoring.owns(stack, owner) or (owner is None and protected)):
        return _change(_RELEASE, resource, None, reasons=("it is listed under removed",))
    if not refactoring.owns(stack, owner):
        return None
    taker = refactoring.moves_out.get(key)
    if taker is not None:
        return _change(_MOVE_OUT, resource, None, moved_to=taker)
    return _change(_DELETE, resource, None, reasons=(gone,))


# Topic actions after which the stack holds the topic's subscriptions: those the manifest does
# not list are deleted (a released or moved-out topic keeps its subscriptions).
_HOLDS_SUBSCRIPTIONS = (
    _UPDATE, _REPLACE, _ADOPT, _IMPORT, _MOVE, _DELETE
)


def compute_changes(
    stack: Stack,
    live: LiveState,
    errors: list[Diagnostic],
    gone: str,
) -> list[ResourceChange]:
    """``gone``: the reason given for deleting what the stack owns and no longer declares."""
    refactoring = Refactoring.of(stack)
    changes: list[ResourceChange] = []
    desired_queues = {name_key(q.name): q for q in stack.queues}
    desired_topics = {name_key(t.name): t for t in stack.topics}
    desired_subs = {(name_key(s.topic), s.name): s for s in stack.subscriptions}

    for key, q in desired_queues.items():
        lq = live.queues.get(key)
        owned = None if lq is None else _Owned(lq.queue, lq.owner, lq.queue_id)
        changes.append(_plan_owned(stack.name, q, owned, errors, refactoring))
    for key, lq in sorted(live.queues.items()):
        if key not in desired_queues:
            change = _undeclared(lq.queue, lq.owner, lq.protected, stack.name, refactoring, gone)
            if change is not None:
                changes.append(change)

    topic_action: dict[str, Action] = {}
    for key, t in desired_topics.items():
        lt = live.topics.get(key)
        owned = None if lt is None else _Owned(lt.topic, lt.owner, lt.topic_id)
        change = _plan_owned(stack.name, t, owned, errors, refactoring)
        changes.append(change)
        topic_action[key] = change.action
    for key, lt in sorted(live.topics.items()):
        if key not in desired_topics:
            change = _undeclared(lt.topic, lt.owner, lt.protected, stack.name, refactoring, gone)
            if change is not None:
                changes.append(change)
                topic_action[key] = change.action

    # Subscriptions belong to their topic: every subscription of a topic this stack owns (or
    # is adopting) that the manifest does not list is deleted.
    for (tkey, name), s in sorted(desired_subs.items()):
        ls = live.subscriptions.get((tkey, name))
        t_action = topic_action.get(tkey)
        if t_action is _NO_OP and live.topics.get(tkey) is not None:
            lt = live.topics[tkey]
            if lt.owner is not None and not refactoring.owns(stack.name, lt.owner):
                continue  # the topic's owner error already covers it
        if ls is None:
            changes.append(_change(_CREATE, None, s))
            continue
        if t_action is _REPLACE:
            changes.append(
                _change(
                    _REPLACE,
                    ls.subscription,
                    s,
                    attribute_changes(s, ls.subscription),
                    (f"topic/{s.topic} is replaced",),
                )
            )
            continue
        attrs = attribute_changes(s, ls.subscription)
        replace = tuple(a for a in attrs if a.forces_replacement) if attrs else () if attrs else ()
        if replace:
            reasons = tuple(f"{a.path} cannot be changed in place" for a in replace)
            changes.append(_change(_REPLACE, ls.subscription, s, attrs, reasons))
        elif attrs:
            changes.append(_change(_UPDATE, ls.subscription, s, attrs))
        else:
            changes.append(_change(_NO_OP, ls.subscription, s))
    for (tkey, name), ls in sorted(live.subscriptions.items()):
        if (tkey, name) in desired_subs:
            continue
        lt = live.topics.get(tkey)
        t_action = topic_action.get(tkey)
        owned = lt is not None and (
            t_action in _HOLDS_SUBSCRIPTIONS or (t_action is _NO_OP and lt.owner == stack.name)
        )
        if owned:
            reason = (
                "its topic is deleted"
                if topic_action.get(tkey) is _DELETE
                else "it is not in the manifest"
            )
            changes.append(_change(_DELETE, ls.subscription, None, reasons=(reason,)))
    return changes


def _untagged_warning(stack: Stack, live: LiveState) -> tuple[Diagnostic, ...]:
    declared = {name_key(q.name) for q in stack.queues} | {name_key(t.name) for t in stack.topics}
    if live.untagged_total is not None:
        adopted = sum(1 for k, q in live.queues.items() if q.owner is None and k in declared)
        adopted += sum(1 for k, t in live.topics.items() if t.owner is None and k in declared)
        count = live.untagged_total - adopted
    else:
        count = sum(1 for k, q in live.queues.items() if q.owner is None and k not in declared)
        count += sum(1 for k, t in live.topics.items() if t.owner is None and k not in declared)
    if not count:
        return ()
    return (
        Diagnostic(
            f"{count} untagged queue(s)/topic(s) seen that the manifest does not declare; "
            "they are left alone",
            severity=Severity.WARNING,
        ),
    )


def with_moves(
    stack: Stack, moves_in: Mapping[str, str] | None = None, moves_out: Mapping[str, str] | None = None
) -> Stack:
    """``stack`` with moves another stack's manifest declares (the project layer finds them)
    added to its own ``moved`` entries; an address it already names keeps its own entry."""
    named = {m.address.casefold() for m in stack.moved}
    extra = [
        Moved(address, from_stack=giver)
        for address, giver in sorted((moves_in or {}).items())
        if address.casefold() not in named
    ]
    extra += [
        Moved(address, to_stack=taker)
        for address, taker in sorted((moves_out or {}).items())
        if address.casefold() not in named
    ]
    return replace(stack, moved=stack.moved + tuple(extra)) if extra else stack


def make_plan(
    stack: Stack,
    live: LiveState,
    *,
    region: str | None = None,
    allow_data_loss: bool = False,
    destroy: bool = False,
    approved_data_loss: frozenset[str] | None = None,
    region_source: str | None = None,
    moves_in: Mapping[str, str] | None = None,
    moves_out: Mapping[str, str] | None = None,
    targets: Sequence[str] = (),
) -> Plan:
    """The plan that takes ``live`` to ``stack``. With ``destroy``, the desired state is empty:
    everything the stack owns is deleted (same safety rules).

    ``approved_data_loss``: the queue addresses a saved plan approved losing messages for; when
    given, only those may lose messages (``allow_data_loss`` is then not consulted).

    ``moves_in`` / ``moves_out`` (address -> the other stack) are moves declared in another
    stack's manifest: a resource moving out is shown as such and never deleted. They are kept in
    the plan's stack, so a saved plan recomputes the same. ``targets`` (addresses) makes a
    partial plan: only those resources and what they need, deletions only of the targets."""
    stack = with_moves(stack, moves_in, moves_out)
    safety = SafetyOptions(allow_data_loss=allow_data_loss, approved=approved_data_loss)
    with collector_paused():
        return _make_plan(stack, live, region, safety, destroy, region_source, tuple(targets))


def _make_plan(
    stack: Stack,
    live: LiveState,
    region: str | None,
    safety: SafetyOptions,
    destroy: bool,
    region_source: str | None,
    targets: tuple[str, ...] = (),
) -> Plan:
    closure: Closure | None = None
    if targets:  # --target only: a whole plan never loads the closure's rules
        from cmqinfra.plan.targets import restrict_live, restrict_stack, target_closure

        closure = target_closure(stack, targets)
        live = restrict_live(live, closure)
        working = restrict_stack(stack, closure)
    else:
        working = stack
    if destroy:
        # Nothing is declared any more, but what moves out or is released still does not die.
        desired = Stack(
            name=stack.name,
            renamed_from=stack.renamed_from,
            moved=tuple(m for m in working.moved if m.to_stack),
            removed=working.removed,
        )
    else:
        desired = working
    errors: list[Diagnostic] = []
    if not destroy:
        _check_references(working, live, errors)
    gone = "the stack is destroyed" if destroy else "it is not in the manifest"
    changes = compute_changes(desired, live, errors, gone)
    if closure is not None:
        from cmqinfra.plan.targets import targeted_changes, unknown_targets, untargeted_replacements

        changes = targeted_changes(changes, closure, targets)
        errors.extend(untargeted_replacements(changes, stack, targets))
        errors.extend(unknown_targets(stack, changes, targets))
    errors.extend(check_safety(changes, live, safety))
    plan = Plan(
        stack=stack,
        region=region if region is not None else stack.region,
        changes=tuple(execution_order(changes)),
        live=live,
        warnings=_untagged_warning(desired, live),
        errors=tuple(errors),
        destroy=destroy,
        region_source=region_source or ("manifest" if region is None and stack.region else None),
        data_loss=tuple(data_losses(changes, live, safety)),
        targets=targets,
    )
    if not stack.policies:
        return plan
    from cmqinfra.policy.check import with_policies

    return with_policies(plan)
