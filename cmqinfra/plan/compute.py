"""Desired + live -> Plan. Pure: no I/O, the same inputs always give the same plan."""

from __future__ import annotations

from dataclasses import dataclass

from cmqinfra.diagnostics import Diagnostic, Severity
from cmqinfra.gcpause import collector_paused
from cmqinfra.live import LiveState, name_key
from cmqinfra.model import Protocol, Queue, Resource, Stack, Topic
from cmqinfra.plan.diff import attribute_changes
from cmqinfra.plan.fingerprint import fingerprint
from cmqinfra.plan.order import execution_order
from cmqinfra.plan.safety import SafetyOptions, check_safety, data_losses
from cmqinfra.plan.values import Action, AttributeChange, Plan, ResourceChange, resource_type


@dataclass(frozen=True)
class _Owned:
    """A live queue or topic with its ownership facts, independent of its kind."""

    resource: Queue | Topic
    owner: str | None


def _change(
    action: Action,
    before: Resource | None,
    after: Resource | None,
    attrs: tuple[AttributeChange, ...] = (),
    reasons: tuple[str, ...] = (),
) -> ResourceChange:
    subject = after if after is not None else before
    assert subject is not None
    return ResourceChange(
        address=subject.address,
        type=resource_type(subject),
        name=subject.name,
        action=action,
        before=before,
        after=after,
        attribute_changes=attrs,
        reasons=reasons,
    )


def _plan_owned(
    stack: str, desired: Queue | Topic, live: _Owned | None, errors: list[Diagnostic]
) -> ResourceChange:
    """Create, adopt, update, replace or no-op for a queue or topic the manifest declares."""
    if live is None:
        return _change(Action.CREATE, None, desired)
    attrs = attribute_changes(desired, live.resource)
    replace = tuple(a for a in attrs if a.forces_replacement)
    if live.owner is None:
        if replace:
            # Nothing we do not own is ever deleted: an untagged resource that would need a
            # replacement cannot be adopted.
            errors.append(
                Diagnostic(
                    f"{desired.address} exists without the cmqinfra-stack tag and differs in "
                    f"{', '.join(a.path for a in replace)}, which cannot change in place; "
                    "it will not be deleted to adopt it",
                    desired.source,
                    hint="align the manifest with the existing resource, or delete it yourself",
                )
            )
        return _change(Action.ADOPT, live.resource, desired, attrs, ("it exists without an owner tag",))
    if live.owner != stack:
        errors.append(
            Diagnostic(
                f"{desired.address} is owned by stack {live.owner!r}, not {stack!r}; it will not be touched",
                desired.source,
                hint="rename the resource, or remove it from the other stack first",
            )
        )
        return _change(Action.NO_OP, live.resource, desired)
    if replace:
        reasons = tuple(f"{a.path} cannot be changed in place" for a in replace)
        return _change(Action.REPLACE, live.resource, desired, attrs, reasons)
    if attrs:
        return _change(Action.UPDATE, live.resource, desired, attrs)
    return _change(Action.NO_OP, live.resource, desired)


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
        if s.protocol is Protocol.QUEUE and not queue_known(s.endpoint):
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


def compute_changes(
    stack: Stack, live: LiveState, errors: list[Diagnostic], gone: str = "it is not in the manifest"
) -> list[ResourceChange]:
    changes: list[ResourceChange] = []
    desired_queues = {name_key(q.name): q for q in stack.queues}
    desired_topics = {name_key(t.name): t for t in stack.topics}
    desired_subs = {(name_key(s.topic), s.name): s for s in stack.subscriptions}

    for key, q in desired_queues.items():
        lq = live.queues.get(key)
        changes.append(_plan_owned(stack.name, q, None if lq is None else _Owned(lq.queue, lq.owner), errors))
    for key, lq in sorted(live.queues.items()):
        if key not in desired_queues and lq.owner == stack.name:
            changes.append(_change(Action.DELETE, lq.queue, None, reasons=(gone,)))

    topic_action: dict[str, Action] = {}
    for key, t in desired_topics.items():
        lt = live.topics.get(key)
        change = _plan_owned(stack.name, t, None if lt is None else _Owned(lt.topic, lt.owner), errors)
        changes.append(change)
        topic_action[key] = change.action
    for key, lt in sorted(live.topics.items()):
        if key not in desired_topics and lt.owner == stack.name:
            changes.append(_change(Action.DELETE, lt.topic, None, reasons=(gone,)))
            topic_action[key] = Action.DELETE

    # Subscriptions belong to their topic: every subscription of a topic this stack owns (or
    # is adopting) that the manifest does not list is deleted.
    for (tkey, name), s in sorted(desired_subs.items()):
        ls = live.subscriptions.get((tkey, name))
        t_action = topic_action.get(tkey)
        if t_action is Action.NO_OP and live.topics.get(tkey) is not None:
            lt = live.topics[tkey]
            if lt.owner not in (None, stack.name):
                continue  # the topic's owner error already covers it
        if ls is None:
            changes.append(_change(Action.CREATE, None, s))
            continue
        if t_action is Action.REPLACE:
            changes.append(
                _change(
                    Action.REPLACE,
                    ls.subscription,
                    s,
                    attribute_changes(s, ls.subscription),
                    (f"topic/{s.topic} is replaced",),
                )
            )
            continue
        attrs = attribute_changes(s, ls.subscription)
        replace = tuple(a for a in attrs if a.forces_replacement)
        if replace:
            reasons = tuple(f"{a.path} cannot be changed in place" for a in replace)
            changes.append(_change(Action.REPLACE, ls.subscription, s, attrs, reasons))
        elif attrs:
            changes.append(_change(Action.UPDATE, ls.subscription, s, attrs))
        else:
            changes.append(_change(Action.NO_OP, ls.subscription, s))
    for (tkey, name), ls in sorted(live.subscriptions.items()):
        if (tkey, name) in desired_subs:
            continue
        lt = live.topics.get(tkey)
        owned = lt is not None and (lt.owner == stack.name or (lt.owner is None and tkey in desired_topics))
        if owned:
            reason = (
                "its topic is deleted"
                if topic_action.get(tkey) is Action.DELETE
                else "it is not in the manifest"
            )
            changes.append(_change(Action.DELETE, ls.subscription, None, reasons=(reason,)))
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


def make_plan(
    stack: Stack,
    live: LiveState,
    *,
    region: str | None = None,
    allow_data_loss: bool = False,
    destroy: bool = False,
    approved_data_loss: frozenset[str] | None = None,
    region_source: str | None = None,
) -> Plan:
    """The plan that takes ``live`` to ``stack``. With ``destroy``, the desired state is empty:
    everything the stack owns is deleted (same safety rules).

    ``approved_data_loss``: the queue addresses a saved plan approved losing messages for; when
    given, only those may lose messages (``allow_data_loss`` is then not consulted)."""
    safety = SafetyOptions(allow_data_loss=allow_data_loss, approved=approved_data_loss)
    with collector_paused():
        return _make_plan(stack, live, region, safety, destroy, region_source)


def _make_plan(
    stack: Stack,
    live: LiveState,
    region: str | None,
    safety: SafetyOptions,
    destroy: bool,
    region_source: str | None,
) -> Plan:
    desired = Stack(name=stack.name, region=stack.region, source=stack.source) if destroy else stack
    errors: list[Diagnostic] = []
    if not destroy:
        _check_references(stack, live, errors)
    gone = "the stack is destroyed" if destroy else "it is not in the manifest"
    changes = compute_changes(desired, live, errors, gone)
    errors.extend(check_safety(changes, live, safety))
    return Plan(
        stack=stack,
        region=region if region is not None else stack.region,
        changes=tuple(execution_order(changes)),
        fingerprint=fingerprint(live),
        warnings=_untagged_warning(desired, live),
        errors=tuple(errors),
        destroy=destroy,
        region_source=region_source or ("manifest" if region is None and stack.region else None),
        data_loss=tuple(data_losses(changes, live, safety)),
    )
