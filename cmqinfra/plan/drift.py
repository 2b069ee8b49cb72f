"""Drift: which changes of a plan set back something changed outside cmqinfra.

A plan's attribute change goes from the live value to the manifest's. Whether it is the pull
request's own change or a revert of someone's edit in the console depends on the manifest that
was last applied (the baseline: the base commit of the pull request, or the default branch's
head for a scheduled drift check). The live value differs from the baseline's value: changed
outside cmqinfra. The live value equals it: the change is the manifest's own. A resource the
baseline declares and live state lacks was deleted outside cmqinfra. Pure: the same attribute
comparison the plan itself uses, so a "drift" can never disagree with the diff.
"""

from __future__ import annotations

from dataclasses import replace

from cmqinfra.model import Resource, Stack
from cmqinfra.plan.diff import attribute_changes
from cmqinfra.plan.values import Action, Plan, ResourceChange

_SETS_LIVE_VALUES = (Action.UPDATE, Action.REPLACE, Action.ADOPT, Action.MOVE, Action.IMPORT)


def resources_by_address(stack: Stack) -> dict[str, Resource]:
    everything: tuple[Resource, ...] = (*stack.queues, *stack.topics, *stack.subscriptions)
    return {r.address.casefold(): r for r in everything}


def _marked(change: ResourceChange, base: Resource | None) -> ResourceChange:
    if base is None:
        return change  # new in this change set: whatever it does is the manifest's own change
    if change.action is Action.CREATE:
        return replace(change, deleted_outside=True)
    if change.action not in _SETS_LIVE_VALUES or change.before is None or not change.attribute_changes:
        return change
    if type(base) is not type(change.before):
        return change
    moved = {a.path for a in attribute_changes(base, change.before)}
    if not moved:
        return change
    marked = tuple(replace(a, outside=a.path in moved or _under(a.path, moved))
                   for a in change.attribute_changes)
    return replace(change, attribute_changes=marked)


def _under(path: str, moved: set[str]) -> bool:
    """``tags.team`` moved and the change is on ``tags`` (or the reverse): the same attribute."""
    return any(path.startswith(m + ".") or m.startswith(path + ".") for m in moved)


def mark_drift(plan: Plan, baseline: Stack | None) -> Plan:
    """``plan`` with the changes that set back edits made outside cmqinfra marked.
    ``baseline``: the stack as last applied (None: it did not exist then, so nothing drifted)."""
    if baseline is None or not plan.has_changes:
        return plan
    base = resources_by_address(baseline)
    changes = tuple(_marked(c, base.get(c.address.casefold())) for c in plan.changes)
    return replace(plan, changes=changes) if changes != plan.changes else plan


def drift_lines(plan: Plan) -> list[tuple[str, str]]:
    """(address, what) for every change that sets back an edit made outside cmqinfra."""
    out: list[tuple[str, str]] = []
    for change in plan.changes:
        if change.deleted_outside:
            out.append((change.address, "deleted outside cmqinfra: created again"))
        for a in change.attribute_changes:
            if a.outside:
                out.append((change.address, a.path))
    return out
