"""Dependency order: dead letters before their sources, queues and topics before
subscriptions, deletes in reverse, replacements delete-then-create.

A change becomes one or two steps (a replacement is a delete step then a create step); the
steps form a DAG the executor runs with bounded concurrency.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cmqinfra.live import name_key
from cmqinfra.model import Protocol, Queue, Resource, Subscription
from cmqinfra.plan.values import Action, ResourceChange

# Members as module constants: an Enum member looked up on its class costs twenty times a
# global's, and these are looked up several times per resource.
_ADOPT = Action.ADOPT
_CREATE = Action.CREATE
_DELETE = Action.DELETE
_IMPORT = Action.IMPORT
_MOVE = Action.MOVE
_RELEASE = Action.RELEASE
_REPLACE = Action.REPLACE
_UPDATE = Action.UPDATE
_REMOVED = (_DELETE, _REPLACE)  # actions with a delete step


Phase = Literal["delete", "apply"]


@dataclass(frozen=True)
class Step:
    change: ResourceChange
    phase: Phase  # "delete" removes (delete, or first half of replace); "apply" does the rest

    @property
    def key(self) -> tuple[str, Phase]:
        return (self.change.address.casefold(), self.phase)


def _refs(resource: Resource | None) -> set[str]:
    """The addresses (casefolded) a resource depends on."""
    if isinstance(resource, Queue) and resource.dead_letter is not None:
        return {f"queue/{name_key(resource.dead_letter.queue)}"}
    if isinstance(resource, Subscription):
        out = {f"topic/{name_key(resource.topic)}"}
        if resource.protocol is Protocol.QUEUE:
            out.add(f"queue/{name_key(resource.endpoint)}")
        return out
    return set()


# Actions with an "apply" step. A move out has none: the giving stack calls nothing, the stack
# taking the resource retags it.
_APPLIED = (
    _CREATE, _UPDATE, _ADOPT, _REPLACE, _MOVE, _IMPORT, _RELEASE
)


def steps_of(changes: list[ResourceChange] | tuple[ResourceChange, ...]) -> list[Step]:
    steps: list[Step] = []
    for c in changes:
        if c.action in _REMOVED:
            steps.append(Step(c, "delete"))
        if c.action in _APPLIED:
            steps.append(Step(c, "apply"))
    return steps


def dependencies(steps: list[Step]) -> dict[tuple[str, Phase], set[tuple[str, Phase]]]:
    """For each step key, the step keys it must wait for."""
    keys = {s.key for s in steps}
    deps: dict[tuple[str, Phase], set[tuple[str, Phase]]] = {s.key: set() for s in steps}
    for s in steps:
        addr = s.change.address.casefold()
        if s.phase == "apply":
            if (addr, "delete") in keys:
                deps[s.key].add((addr, "delete"))  # replacement: delete, then create
            # whatever it will reference must exist first
            for ref in _refs(s.change.after):
                if (ref, "apply") in keys:
                    deps[s.key].add((ref, "apply"))
        else:
            # a resource is removed only after everything that stops referencing it has done so
            for other in steps:
                if other is s:
                    continue
                c = other.change
                if addr not in _refs(c.before):
                    continue
                still_refs = c.after is not None and addr in _refs(c.after)
                if other.phase == "delete" or (
                    other.phase == "apply" and not still_refs and c.action is not _REPLACE
                ):
                    deps[s.key].add(other.key)
    return deps


def levels(steps: list[Step]) -> list[list[Step]]:
    """Steps grouped so that every step's dependencies are in an earlier group."""
    deps = dependencies(steps)
    by_key = {s.key: s for s in steps}
    done: set[tuple[str, Phase]] = set()
    remaining = [s.key for s in steps]
    out: list[list[Step]] = []
    while remaining:
        ready = [k for k in remaining if deps[k] <= done]
        if not ready:  # a cycle cannot come from a valid plan; run the rest in plan order
            ready = remaining[:1]
        out.append([by_key[k] for k in ready])
        done.update(ready)
        remaining = [k for k in remaining if k not in done]
    return out


_TYPE_RANK = {"queue": 0, "topic": 1, "subscription": 2}


def execution_order(changes: list[ResourceChange]) -> list[ResourceChange]:
    """Changes in the order they will run (no-ops last, by address), for stable output."""
    position: dict[str, int] = {}
    for i, level in enumerate(levels(steps_of(changes))):
        for step in level:
            position.setdefault(step.change.address.casefold(), i)

    def key(c: ResourceChange) -> tuple[int, int, str]:
        address = c.address.casefold()  # once: this runs for every change of the plan
        return (position.get(address, 1_000_000), _TYPE_RANK[c.type], address)

    return sorted(changes, key=key)
